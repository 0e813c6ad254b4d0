"""`clusterkg template` and `clusterkg import`: spreadsheets in, facts out, bad rows refused.

Runs the real command (subprocess) on a private copy of the project; every refusal must
leave graph/ byte-identical.
"""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from conftest import Runner, assert_one_line_error, cli_env, copy_seed_project, snapshot

CK = "https://w3id.org/clusterkg/ontology#"
CKR = "https://w3id.org/clusterkg/id/"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the real project with the two documents' graphs."""
    return copy_seed_project(tmp_path / "project")


def ck(run: Runner, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(*args, home=project, env=cli_env(USER="tester"))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def graph_of(path: Path) -> Graph:
    dataset = Dataset()
    dataset.parse(path, format="trig")
    (graph,) = [g for g in dataset.graphs() if len(g)]
    return graph


# --- the end-to-end story -----------------------------------------------------------------


def test_new_user_fills_the_member_count_template_and_sees_it_in_the_query(
    run: Runner, project: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "counts.csv"
    made = ck(run, project, "template", "member-counts", "-o", str(sheet))
    assert made.returncode == 0, made.stderr
    assert sheet.read_text(encoding="utf-8").splitlines() == [
        "cluster,kind,count,approximate,date,source,locator"
    ]
    assert "count" in made.stderr and "required" in made.stderr  # the column documentation
    with sheet.open("a", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerow(["Norwegian Smart Care Cluster", "company", "130", "false",
                                     "2024-01-01", ""])
    imported = ck(run, project, "import", "member-counts", str(sheet),
                  "--source", "Årsrapport 2024")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "(1 fact)" in imported.stdout
    result = ck(run, project, "query", "member-counts", "-p", "cluster=NSCC", "-f", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    companies = {r["count"]: r for r in rows if r["kindLabel"] == "company"}
    assert set(companies) == {"123", "125", "130"}  # next to the earlier ones
    new = companies["130"]
    assert new["source"] == "Årsrapport 2024" and new["date"] == "2024-01-01"
    assert new["assertionMode"] == "stated" and new["lines"] == ""
    assert companies["123"]["source"] == "000_e55087a455a2a3a4.txt"
    assert ck(run, project, "validate").returncode == 0


def test_template_help_stdout_and_refusals(run: Runner, project: Path, tmp_path: Path) -> None:
    helped = run("template", "--help", home=None)
    assert helped.returncode == 0
    for text in ("member-counts", "amount_per_year", "organisation_number", "funders",
                 "separated by ;", "YYYY-MM-DD"):
        assert text in helped.stdout, text
    out = ck(run, project, "template", "grants")
    assert out.stdout.splitlines() == ["cluster,funders,amount_per_year,currency,from,to"]
    assert_one_line_error(ck(run, project, "template", "castles"), "unknown kind 'castles'")
    existing = write(tmp_path / "x.csv", "keep me")
    assert_one_line_error(ck(run, project, "template", "people", "-o", str(existing)),
                          "already exists", "--force")
    assert existing.read_text() == "keep me"
    bom = ck(run, project, "template", "people", "-o", str(existing), "--force", "--bom")
    assert bom.returncode == 0 and existing.read_bytes().startswith(b"\xef\xbb\xbfperson,post")


# --- every kind ----------------------------------------------------------------------------


def test_import_clusters_with_levels_hosts_regions_and_earlier_rows(
    run: Runner, project: Path, tmp_path: Path
) -> None:
    sheet = write(tmp_path / "clusters.csv",
                  "name,level,from,to,host,region\n"
                  "Ålesund Maritime Klynge,Arena,2014,2019,Validé AS,Rogaland\n"
                  "ålesund maritime klynge,Arena Pro,2019-07-01,2024-06-30,,\n"
                  ",,,,,\n")
    result = ck(run, project, "import", "clusters", str(sheet), "--source", "Klyngeregisteret")
    assert result.returncode == 0, result.stdout + result.stderr
    graph = graph_of(project / "graph" / "klyngeregisteret.trig")
    cluster = URIRef(CKR + "alesund-maritime-klynge")  # æøå transliterated, row 3 reuses it
    assert graph.value(cluster, RDFS.label) == Literal("Ålesund Maritime Klynge")
    assert len(list(graph.subjects(URIRef(CK + "cluster"), cluster))) == 4  # 2 levels, host, base
    levels = {graph.value(f, URIRef(CK + "level")) for f in graph.subjects(
        RDF.type, URIRef(CK + "LevelAssignment"))}
    assert levels == {URIRef("https://w3id.org/clusterkg/level/arena"),
                      URIRef("https://w3id.org/clusterkg/level/arena-pro")}
    periods = graph.objects(None, URIRef(CK + "period"))
    starts = {graph.value(p, URIRef(CK + "startDate")) for p in periods}
    assert Literal("2019-07-01", datatype=XSD.date) in starts
    listing = ck(run, project, "query", "clusters-by-level", "-f", "csv").stdout
    assert "Ålesund Maritime Klynge" in listing


def test_import_organisations_bom_semicolons_and_norwegian_letters(
    run: Runner, project: Path, tmp_path: Path
) -> None:
    sheet = write(tmp_path / "orgs.csv",
                  "\ufeffName;Organisation number;Kind;Place\n"
                  "Lyse AS;923 609 016;company;Stavanger\n"
                  "Bærum Øst Næringsråd;;næringsutviklingsselskap;\n")
    result = ck(run, project, "import", "organisations", str(sheet), "--source", "Brreg")
    assert result.returncode == 0, result.stdout + result.stderr
    graph = graph_of(project / "graph" / "brreg.trig")
    lyse = URIRef(CKR + "lyse-as")
    assert graph.value(lyse, URIRef(CK + "organisationNumber")) == Literal("923609016")
    assert (lyse, RDF.type, URIRef("http://www.w3.org/ns/regorg#RegisteredOrganization")) in graph
    assert (URIRef(CKR + "baerum-ost-naeringsrad"), RDFS.label,
            Literal("Bærum Øst Næringsråd")) in graph


def test_import_memberships_grants_and_people(run: Runner, project: Path,
                                              tmp_path: Path) -> None:
    members = write(tmp_path / "members.csv",
                    "cluster,member,role,from,to\n"
                    "NSCC,Validé AS,board member,2020-01-01,2023-12-31\n"
                    "NTSC,SIVA,,,\n")
    grants = write(tmp_path / "grants.csv",
                   "cluster,funders,amount_per_year,currency,from,to\n"
                   "NTSC,Innovasjon Norge; SIVA;Norges forskningsråd,5 500 000,nok,2024,2028\n")
    people = write(tmp_path / "people.csv",
                   "person,post,organisation,from,to\n"
                   "Kari Nordmann,daglig leder,Validé AS,2021-01-01,\n"
                   "kari nordmann,styremedlem,NSCC,2022,\n")
    for kind, sheet, source in (("memberships", members, "Medlemsliste 2024"),
                                ("grants", grants, "Tildelingsbrev 2024"),
                                ("people", people, "Ansatte")):
        result = ck(run, project, "import", kind, str(sheet), "--source", source)
        assert result.returncode == 0, (kind, result.stdout, result.stderr)
    grant = graph_of(project / "graph" / "tildelingsbrev-2024.trig")
    (fact,) = grant.subjects(RDF.type, URIRef(CK + "Grant"))
    assert len(list(grant.objects(fact, URIRef("https://schema.org/funder")))) == 3
    amount = grant.value(fact, URIRef(CK + "annualAmount"))
    assert isinstance(amount, Literal) and amount.datatype == XSD.decimal
    assert amount.toPython() == 5500000
    assert str(grant.value(fact, URIRef("https://schema.org/currency"))) == "NOK"
    staff = graph_of(project / "graph" / "ansatte.trig")
    kari = URIRef(CKR + "kari-nordmann")
    assert len(list(staff.subjects(URIRef("http://www.w3.org/ns/org#member"), kari))) == 2
    assert len(list(staff.objects(kari, RDFS.label))) == 1  # row 3 found row 2's person
    funding = ck(run, project, "query", "funding-per-cluster", "-f", "csv")
    assert "5500000" in funding.stdout
    assert ck(run, project, "validate").returncode == 0


# --- bad spreadsheets ----------------------------------------------------------------------

BAD_SHEETS = [
    ("unknown column", "member-counts", "cluster,kind,count,colour\nNSCC,company,1,red\n",
     ("row 1", "unknown column 'colour'", "cluster, kind, count")),
    ("missing required column", "member-counts", "cluster,count\nNSCC,12\n",
     ("row 1", "missing required column 'kind'")),
    ("non-integer count", "member-counts", "cluster,kind,count\nNSCC,company,12\nNSCC,all,1a2\n",
     ("row 3, column count", "'1a2' is not a whole number")),
    ("negative amount", "grants",
     "cluster,funders,amount_per_year\nNSCC,SIVA,-6000000\n",
     ("row 2, column amount_per_year", "not greater than 0")),
    ("end before start", "memberships",
     "cluster,member,from,to\nNSCC,Validé AS,2022-05-01,2021-05-01\n",
     ("row 2, column to", "end 2021-05-01 is before the start 2022-05-01")),
    ("unknown level", "clusters", "name,level\nNy klynge,Arena Super\n",
     ("row 2, column level", "no level called 'Arena Super'", "Arena Pro")),
    ("NCE is not a level", "clusters", "name,level\nNy klynge,NCE\n",
     ("row 2, column level", "no level called 'NCE'")),
    ("unknown organisation", "memberships", "cluster,member\nNSCC,Nowhere Industries AS\n",
     ("row 2, column member", "no organisation called 'Nowhere Industries AS'",
      "earlier rows of this file")),
    ("unknown funder", "grants",
     "cluster,funders,amount_per_year\nNSCC,SIVA;Ghost Fund,1000\n",
     ("row 2, column funders", "no organisation called 'Ghost Fund'")),
    ("bad date", "member-counts", "cluster,kind,count,date\nNSCC,company,3,31.12.2023\n",
     ("row 2, column date", "YYYY-MM-DD")),
    ("empty file", "member-counts", "", ("empty", "cluster,kind,count")),
    ("only a header", "member-counts", "cluster,kind,count\n", ("no rows below the header",)),
]


@pytest.mark.parametrize(("case", "kind", "text", "fragments"), BAD_SHEETS,
                         ids=[c[0] for c in BAD_SHEETS])
def test_bad_spreadsheets_are_refused(run: Runner, project: Path, tmp_path: Path, case: str,
                                      kind: str, text: str,
                                      fragments: tuple[str, ...]) -> None:
    sheet = write(tmp_path / "sheet.csv", text)
    before = snapshot(project / "graph")
    result = ck(run, project, "import", kind, str(sheet), "--source", "Test")
    line = assert_one_line_error(result, *fragments)
    assert str(sheet) in line
    assert snapshot(project / "graph") == before


def test_not_utf8_is_refused_with_the_row(run: Runner, project: Path, tmp_path: Path) -> None:
    sheet = write(tmp_path / "latin1.csv", "name,place\nTromsø Klynge AS,\n", "latin-1")
    before = snapshot(project / "graph")
    result = ck(run, project, "import", "organisations", str(sheet), "--source", "Test")
    assert_one_line_error(result, "latin1.csv", "not UTF-8", "row 2")
    assert snapshot(project / "graph") == before


def test_every_bad_row_is_reported_and_nothing_added(run: Runner, project: Path,
                                                     tmp_path: Path) -> None:
    sheet = write(tmp_path / "counts.csv",
                  "cluster,kind,count\nNSCC,company,10\nNo Such Cluster,company,1\n"
                  "NSCC,planets,2\nNSCC,company,-4\n")
    before = snapshot(project / "graph")
    result = ck(run, project, "import", "member-counts", str(sheet), "--source", "Test")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert [line.split(": ")[3] for line in lines] == [
        "row 3, column cluster", "row 4, column kind", "row 5, column count"]
    assert "known: all members, company" in lines[1]
    assert snapshot(project / "graph") == before


def test_a_fact_another_source_states_gets_both_sources(run: Runner, project: Path,
                                                       tmp_path: Path) -> None:
    """Corroboration: the same count from a second report is one fact with two sources."""
    sheet = write(tmp_path / "counts.csv",
                  "cluster,kind,count,date\nNSCC,company,130,2024-01-01\n")
    assert ck(run, project, "import", "member-counts", str(sheet), "-s", "Rapport").returncode == 0
    again = ck(run, project, "import", "member-counts", str(sheet), "-s", "Annen rapport")
    assert again.returncode == 0, again.stdout + again.stderr
    first, second = (graph_of(project / "graph" / f"{name}.trig")
                     for name in ("rapport", "annen-rapport"))
    facts = [set(g.subjects(RDF.type, URIRef(CK + "MemberCount"))) for g in (first, second)]
    assert facts[0] == facts[1] and len(facts[0]) == 1  # the same fact node in both graphs
    # the same source again: nothing new
    before = snapshot(project / "graph")
    repeated = ck(run, project, "import", "member-counts", str(sheet), "-s", "Rapport")
    assert_one_line_error(repeated, "nothing new to add", code=1)
    assert snapshot(project / "graph") == before
    # a different count is another fact (a disagreement to keep), not the same one
    other = write(tmp_path / "other.csv",
                  "cluster,kind,count,date\nNSCC,company,131,2024-01-01\n")
    assert ck(run, project, "import", "member-counts", str(other), "-s", "Tredje").returncode == 0
    third = graph_of(project / "graph" / "tredje.trig")
    assert set(third.subjects(RDF.type, URIRef(CK + "MemberCount"))).isdisjoint(facts[0])


def test_a_bad_check_digit_is_a_row_error_like_any_bad_cell(run: Runner, project: Path,
                                                           tmp_path: Path) -> None:
    """The mod-11 check is made per row, as every other cell check: exit 2, row and column."""
    sheet = write(tmp_path / "orgs.csv",
                  "name,organisation_number\nRiktig AS,923609016\nFeil AS,923609017\n")
    before = snapshot(project / "graph")
    result = ck(run, project, "import", "organisations", str(sheet), "-s", "Brreg", "--dry-run")
    assert_one_line_error(result, f"{sheet}: row 3, column organisation_number",
                          "'923609017'", "check digit")
    assert snapshot(project / "graph") == before


def test_dry_run_import_prints_the_graph(run: Runner, project: Path, tmp_path: Path) -> None:
    sheet = write(tmp_path / "counts.csv", "cluster,kind,count\nNTSC,all members,119\n")
    before = snapshot(project / "graph")
    result = ck(run, project, "import", "member-counts", str(sheet), "-s", "Rapport", "-n")
    assert result.returncode == 0, result.stderr
    dataset = Dataset()
    dataset.parse(data=result.stdout, format="trig")
    counts = [o for _, _, o, _ in dataset.quads((None, URIRef(CK + "count"), None, None))]
    assert counts == [Literal(119, datatype=XSD.integer)]
    assert snapshot(project / "graph") == before


def test_an_iri_in_a_cell_is_checked_as_iris_in_files_are(run: Runner, project: Path,
                                                          tmp_path: Path) -> None:
    """An id such as <urn:x[1]> was written as given, and the default store (Oxigraph) then
    could not read graph/ at all; now it is a row error like any bad cell."""
    sheet = write(tmp_path / "clusters.csv",
                  "id,name,level,from\n<urn:x[1]>,Klynge X,Arena,2020\n"
                  "<https://example.org/a#b#c>,Klynge Y,Arena,2020\n")
    before = snapshot(project / "graph")
    result = ck(run, project, "import", "clusters", str(sheet), "--source", "Register")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert "row 2" in lines[0] and "'<urn:x[1]>' is not a valid IRI" in lines[0], lines
    assert "row 3" in lines[1] and "a#b#c" in lines[1], lines
    assert snapshot(project / "graph") == before
    assert ck(run, project, "query", "clusters-by-level", "-f", "csv").returncode == 0
