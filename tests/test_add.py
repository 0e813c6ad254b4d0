"""`clusterkg validate FILE...`, `add`, `sources`, `remove`: end to end, on a copy of the project.

Every command runs as a subprocess with --home pointing at a private copy of the real
ontology/, graph/, shapes/ and queries/; every refusal is checked to leave graph/
byte-identical (a hash of every file).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from conftest import (
    ROOT,
    Runner,
    assert_one_line_error,
    cli_env,
    copy_seed_project,
    lock_held,
    snapshot,
)

FACTS = ROOT / "tests" / "data" / "facts"
CK = "https://w3id.org/clusterkg/ontology#"
CKR = "https://w3id.org/clusterkg/id/"
NEW = "https://w3id.org/clusterkg/id/fact/test/"
ENV = {"USER": "tester"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the real project with the two documents' graphs."""
    return copy_seed_project(tmp_path / "project")


def ck(run: Runner, project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run(*args, home=project, env=cli_env(**{**ENV, **env}))


def parse_graph_file(path: Path) -> tuple[URIRef, Graph]:
    dataset = Dataset()
    dataset.parse(path, format="trig")
    (graph,) = [g for g in dataset.graphs() if len(g)]
    return graph.identifier, graph  # type: ignore[return-value]


# --- validate FILE... ----------------------------------------------------------------------


def test_validate_file_that_conforms(run: Runner, project: Path) -> None:
    result = ck(run, project, "validate", str(FACTS / "good.ttl"), "--source", "Årsrapport 2024")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conforms (0 violations" in result.stdout


def test_validate_file_names_node_path_value_rule_and_line(run: Runner, project: Path) -> None:
    before = snapshot(project / "graph")
    result = ck(run, project, "validate", str(FACTS / "bad.ttl"), "--source", "Test")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    # the negative count: node, path, value, rule in words, file and line
    block = next(b for b in out.split("\n\n") if "ck:count" in b)
    assert "ckr:fact/test/nscc-count" in block and '"-5"^^xsd:integer' in block
    assert "whole number of 0 or more" in block
    assert f"{FACTS / 'bad.ttl'}, line 12" in block
    # the brand used as a level, on the line of ck:level
    block = next(b for b in out.split("\n\n") if "ckl:nce" in b)
    assert "The NCE brand (ckl:nce) is not a level" in block and "line 17" in block
    # the blank-node period: shown as [], located through the fact that holds it
    block = next(b for b in out.split("\n\n") if "before it starts" in b)
    assert block.startswith("Violation: []") and "line 19" in block
    assert "3 violations" in out
    # nothing about the (conforming) old data, and nothing written
    assert "fact/000/" not in out and "fact/001/" not in out
    assert snapshot(project / "graph") == before


def test_validate_file_in_norwegian_and_json_and_turtle(run: Runner, project: Path) -> None:
    nb = ck(run, project, "validate", str(FACTS / "bad.ttl"), "--lang", "nb", "-s", "Test")
    assert nb.returncode == 1 and "Merkenavnet NCE (ckl:nce) er ikke et nivå" in nb.stdout
    doc = json.loads(ck(run, project, "validate", str(FACTS / "bad.ttl"), "-f", "json",
                        "-s", "Test").stdout)
    assert doc["conforms"] is False
    count = next(r for r in doc["results"] if r["resultPath"] == CK + "count")
    assert count["focusNode"] == NEW + "nscc-count" and count["origin"].endswith("line 12")
    turtle = ck(run, project, "validate", str(FACTS / "bad.ttl"), "-f", "turtle", "-s", "Test")
    assert turtle.returncode == 1
    assert len(Graph().parse(data=turtle.stdout, format="turtle")) > 0


def test_validate_without_source_reports_missing_source_document(
    run: Runner, project: Path
) -> None:
    result = ck(run, project, "validate", str(FACTS / "good.ttl"))
    assert result.returncode == 1
    assert "ck:sourceDocument" in result.stdout and "line 8" in result.stdout


@pytest.mark.parametrize("name", ["count.nt", "count.jsonld"])
def test_validate_other_syntaxes(run: Runner, project: Path, name: str) -> None:
    result = ck(run, project, "validate", str(FACTS / name), "--source", "Test")
    if name == "count.nt":  # count -1, on line 4 of the N-Triples file
        assert result.returncode == 1, result.stderr
        assert f"{FACTS / name}, line 4" in result.stdout
    else:
        assert result.returncode == 0, result.stdout + result.stderr


def test_validate_input_format_overrides_extension(run: Runner, project: Path,
                                                   tmp_path: Path) -> None:
    odd = tmp_path / "facts.txt"
    odd.write_bytes((FACTS / "good.ttl").read_bytes())
    unknown = ck(run, project, "validate", str(odd), "-s", "Test")
    assert_one_line_error(unknown, "cannot tell the RDF syntax", "--input-format")
    ok = ck(run, project, "validate", str(odd), "--input-format", "turtle", "-s", "Test")
    assert ok.returncode == 0, ok.stdout


def test_validate_blames_only_the_change_not_old_problems(
    run: Runner, project: Path
) -> None:
    # an old problem elsewhere in the graph, and one on the cluster the new facts mention
    (project / "graph" / "old.trig").write_text(
        "@prefix ck: <https://w3id.org/clusterkg/ontology#> .\n"
        "@prefix ckr: <https://w3id.org/clusterkg/id/> .\n"
        "<https://w3id.org/clusterkg/graph/old> {\n"
        "  ckr:nameless a ck:Place .\n"
        "  ckr:nscc ck:abbreviation 42 .\n"
        "}\n",
        encoding="utf-8",
    )
    whole = ck(run, project, "validate")
    assert whole.returncode == 1 and "ckr:nameless" in whole.stdout
    delta = ck(run, project, "validate", str(FACTS / "good.ttl"), "-s", "Årsrapport 2024")
    assert delta.returncode == 0, delta.stdout
    assert "ckr:nameless" not in delta.stdout and "abbreviation" not in delta.stdout


def test_level_overlap_is_reported_on_the_cluster(run: Runner, project: Path) -> None:
    first = ck(run, project, "add", str(FACTS / "arena.ttl"), "--source", "Programrapport")
    assert first.returncode == 0, first.stdout + first.stderr
    # from another source, different dates are a conflict the graph keeps, not an error
    other = ck(run, project, "validate", str(FACTS / "overlap.ttl"), "-s", "Test", "-f", "json")
    assert other.returncode == 0, other.stdout
    # from the same source, two levels at once is an error
    result = ck(run, project, "validate", str(FACTS / "overlap.ttl"), "-s", "Programrapport",
                "-f", "json")
    assert result.returncode == 1
    found = json.loads(result.stdout)["results"]
    # one result for the pair, on the cluster that would be at two levels at once
    assert [r["focusNode"] for r in found] == ["https://w3id.org/clusterkg/id/nscc"], found
    message = found[0]["message"]
    assert "two levels at the same time" in message
    assert "nscc-gce-dated" in message and "nscc-arena-dated" in message, message
    text = ck(run, project, "validate", str(FACTS / "overlap.ttl"), "-s",
              "Programrapport").stdout
    # the cluster is old: the result is blamed on the new triple that points at it
    assert f"{FACTS / 'overlap.ttl'}, line 9" in text, text
    assert "(ckl:arena)" in text and "(ckl:gce)" in text, text  # IRIs in messages shortened


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fragments"), [
    ("malformed.ttl", ("cannot parse", "malformed.ttl, line 6")),
    ("empty.ttl", ("empty.ttl", "empty")),
    ("latin1.ttl", ("latin1.ttl", "not UTF-8", "line 2")),
    ("missing.ttl", ("missing.ttl",)),
])
@pytest.mark.parametrize("command", ["validate", "add"])
def test_bad_files_are_refused_with_one_line(run: Runner, project: Path, name: str,
                                             fragments: tuple[str, ...], command: str) -> None:
    before = snapshot(project / "graph")
    result = ck(run, project, command, str(FACTS / name), "--source", "Test")
    assert_one_line_error(result, *fragments)
    assert snapshot(project / "graph") == before


# --- add -----------------------------------------------------------------------------------


def test_add_writes_a_named_graph_with_provenance_and_queries_see_it(
    run: Runner, project: Path
) -> None:
    result = ck(run, project, "add", str(FACTS / "good.ttl"), "--source", "Årsrapport 2024")
    assert result.returncode == 0, result.stdout + result.stderr
    path = project / "graph" / "arsrapport-2024.trig"
    assert "Added" in result.stdout and str(path) in result.stdout
    name, graph = parse_graph_file(path)
    assert name == URIRef("https://w3id.org/clusterkg/graph/arsrapport-2024")
    assert (name, RDF.type, URIRef(CK + "SourceGraph")) in graph
    document = graph.value(name, PROV.wasDerivedFrom)
    assert graph.value(document, RDFS.label) == Literal("Årsrapport 2024")
    assert (document, RDF.type, URIRef(CK + "SourceDocument")) in graph
    assert graph.value(name, PROV.generatedAtTime) is not None
    activity = graph.value(name, PROV.wasGeneratedBy)
    command = str(graph.value(activity, RDFS.label))
    assert command.startswith("clusterkg add ") and "--source 'Årsrapport 2024'" in command
    assert graph.value(name, DCTERMS.creator) == Literal("tester")
    fact = URIRef(NEW + "nscc-companies-2024")
    assert (fact, URIRef(CK + "sourceDocument"), document) in graph
    assert (fact, URIRef(CK + "sourceLine"), None) not in graph  # not a .txt source
    assert not list((project / "graph").glob(".*"))  # no temp or lock files left

    counts = ck(run, project, "query", "member-counts", "-p", "cluster=NSCC", "-f", "csv")
    assert counts.returncode == 0, counts.stderr
    rows = counts.stdout.splitlines()
    new_row = next(r for r in rows if "nscc-companies-2024" in r)
    assert ",140," in new_row and "Årsrapport 2024" in new_row and "2024-01-01" in new_row
    assert any(",123," in r for r in rows) and any(",125," in r for r in rows)

    whole = ck(run, project, "validate")
    assert whole.returncode == 0, whole.stdout

    listing = json.loads(ck(run, project, "sources", "-f", "json").stdout)
    added = next(s for s in listing if s["graph"] == str(name))
    assert added["derivedFromLabel"] == "Årsrapport 2024" and added["triples"] == len(graph)
    assert added["command"] == command and added["original"] is False
    assert sum(1 for s in listing if s["original"]) == 2
    table = ck(run, project, "sources").stdout
    assert "ckg:arsrapport-2024" in table and "original" in table


def test_add_dry_run_prints_trig_and_writes_nothing(run: Runner, project: Path) -> None:
    before = snapshot(project / "graph")
    result = ck(run, project, "add", str(FACTS / "good.ttl"), "-s", "Årsrapport 2024", "-n")
    assert result.returncode == 0, result.stderr
    dataset = Dataset()
    dataset.parse(data=result.stdout, format="trig")
    assert sum(1 for _ in dataset.quads()) > 10
    assert "dry run" in result.stderr and "nothing written" in result.stderr
    assert snapshot(project / "graph") == before


def test_add_refuses_invalid_facts_and_changes_nothing(run: Runner, project: Path) -> None:
    before = snapshot(project / "graph")
    result = ck(run, project, "add", str(FACTS / "bad.ttl"), "--source", "Test")
    assert_one_line_error(result, "not added", "3 violations", code=1)
    assert "whole number of 0 or more" in result.stdout
    assert snapshot(project / "graph") == before


def test_add_with_a_web_source_and_other_syntaxes(run: Runner, project: Path) -> None:
    iri = "https://example.org/reports/ntsc-2023.pdf"
    bare = ck(run, project, "add", str(FACTS / "count.jsonld"), "--source", iri)
    assert_one_line_error(bare, "needs its title, publisher, published", "--sources")
    result = ck(run, project, "add", str(FACTS / "count.jsonld"), "--source", iri,
                "--title", "Årsrapport 2023", "--publisher", "Norwegian Tunnel Safety Cluster",
                "--published", "2024-03-01", "--statement-by", "Validé AS")
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = (project / "graph").glob("2024-03-01-*.trig")
    name, graph = parse_graph_file(path)
    assert graph.value(name, PROV.wasDerivedFrom) == URIRef(iri)
    web = URIRef(iri)
    assert (web, RDF.type, URIRef(CK + "WebSource")) in graph
    assert str(graph.value(web, DCTERMS.title)) == "Årsrapport 2023"
    assert graph.value(web, DCTERMS.issued) == Literal("2024-03-01", datatype=XSD.date)
    assert graph.value(web, URIRef(CK + "statementBy")) == URIRef(CKR + "valide")


def test_duplicates_are_reported_not_added_twice(run: Runner, project: Path) -> None:
    assert ck(run, project, "add", str(FACTS / "good.ttl"), "-s", "Årsrapport 2024").returncode == 0
    before = snapshot(project / "graph")
    again = ck(run, project, "add", str(FACTS / "good.ttl"), "-s", "Årsrapport 2024")
    assert_one_line_error(again, "nothing new to add", code=1)  # same facts, same source
    assert snapshot(project / "graph") == before
    # the same facts under other IRIs are duplicates too (same class and key properties)
    renamed = project.parent / "renamed.ttl"
    text = (FACTS / "good.ttl").read_text(encoding="utf-8").replace("nscc-", "other-nscc-")
    renamed.write_text(text + (
        "new:ntsc-2024 a ck:MemberCount ; ck:cluster ckr:ntsc ; ck:memberKind kind:all ;\n"
        "    ck:count 121 ; ck:observationDate \"2024-01-01\"^^xsd:date ;\n"
        "    ck:assertionMode ck:stated .\n"
    ), encoding="utf-8")
    refused = ck(run, project, "add", str(renamed), "-s", "Kopi")
    assert refused.returncode == 1 and "2 duplicate facts" in refused.stderr
    assert "duplicates an existing fact" in refused.stdout
    assert "use the IRI ckr:fact/test/nscc-" in refused.stdout  # how to cite it instead
    assert snapshot(project / "graph") == before
    skipped = ck(run, project, "add", str(renamed), "-s", "Kopi", "--skip-duplicates")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert skipped.stderr.count("skipped") == 2 and "(1 fact)" in skipped.stdout
    _, graph = parse_graph_file(project / "graph" / "kopi.trig")
    assert (URIRef(NEW + "ntsc-2024"), None, None) in graph
    assert (URIRef(NEW + "other-nscc-companies-2024"), None, None) not in graph
    # nothing new at all: refused
    nothing = ck(run, project, "add", str(FACTS / "good.ttl"), "-s", "Årsrapport 2024",
                 "--skip-duplicates")
    assert nothing.returncode == 1 and "nothing new" in nothing.stderr, nothing.stderr
    # the same facts (same IRIs) from another source: one fact with two sources
    other = ck(run, project, "add", str(FACTS / "good.ttl"), "-s", "X")
    assert other.returncode == 0, other.stdout + other.stderr
    dataset = Dataset(default_union=True)
    for path in (project / "graph").glob("*.trig"):
        dataset.parse(path, format="trig")
    fact = URIRef(NEW + "nscc-companies-2024")
    assert len(set(dataset.objects(fact, URIRef(CK + "sourceDocument")))) == 2


def test_leaving_out_a_duplicate_checks_what_pointed_at_it(run: Runner, project: Path,
                                                           tmp_path: Path) -> None:
    """--skip-duplicates checks again only what leaving the duplicates out touches: here a
    funding total that covers the duplicate grant, which then covers nothing that is a
    grant. The add is refused and graph/ is as it was."""
    valid = (ROOT / "tests" / "shapes" / "FundingTotalShape-valid.ttl").read_text(encoding="utf-8")
    text = valid.replace("ck:coversGrant ex:grant ;", "ck:coversGrant ex:grant2 ;") + (
        "ex:grant2 a ck:Grant ; schema:fundedItem ex:cluster ; schema:funder ex:org ;\n"
        "    ck:annualAmount 6000000.0 ; schema:currency \"NOK\" ; ck:assertionMode ck:stated ;\n"
        "    ck:sourceDocument ex:doc ; ck:sourceLine ex:L2 .\n")
    facts = tmp_path / "twice.ttl"
    facts.write_text(text, encoding="utf-8")
    before = snapshot(project / "graph")
    refused = ck(run, project, "add", str(facts), "-s", "Twice", "--skip-duplicates")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "skipped https://example.org/clusterkg-test/grant2 duplicates" in refused.stderr
    assert "1 violation" in refused.stderr and "nothing in graph/ changed" in refused.stderr
    assert "ck:coversGrant" in refused.stdout and "clusterkg-test/total" in refused.stdout
    assert snapshot(project / "graph") == before
    # the funding total covering the grant that stays: added, without the duplicate
    fixed = tmp_path / "fixed.ttl"
    fixed.write_text(text.replace("ck:coversGrant ex:grant2 ;", "ck:coversGrant ex:grant ;"),
                     encoding="utf-8")
    added = ck(run, project, "add", str(fixed), "-s", "Twice", "--skip-duplicates")
    assert added.returncode == 0, added.stdout + added.stderr
    _, graph = parse_graph_file(project / "graph" / "twice.trig")
    grant2 = URIRef("https://example.org/clusterkg-test/grant2")
    assert (grant2, None, None) not in graph
    assert (URIRef("https://example.org/clusterkg-test/total"), None, None) in graph


def test_lock_held_by_another_process(run: Runner, project: Path) -> None:
    before = snapshot(project / "graph")
    lock = project / "graph" / ".clusterkg.lock"
    with lock_held(lock, pid="4242"):
        result = ck(run, project, "add", str(FACTS / "good.ttl"), "-s", "Årsrapport 2024",
                    "--lock-timeout", "0.5")
        assert_one_line_error(result, "locked by another clusterkg command", "pid 4242",
                              "0.5 s")
        removal = ck(run, project, "remove", "-s", "000_e55087a455a2a3a4", "--force",
                     CLUSTERKG_LOCK_TIMEOUT="0.2")
        assert_one_line_error(removal, "locked")
    assert snapshot(project / "graph") == before


def test_two_adds_at_once_do_not_corrupt_graph(run: Runner, project: Path) -> None:
    commands = [
        [sys.executable, "-m", "clusterkg", "--home", str(project), "add", str(FACTS / name),
         "--source", source]
        for name, source in (("good.ttl", "Årsrapport 2024"), ("count.jsonld", "NTSC 2023"))
    ]
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=cli_env(**ENV)) for c in commands]
    outcomes = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outcomes
    names = sorted(p.name for p in (project / "graph").iterdir())
    assert names == ["000_e55087a455a2a3a4.trig", "001_4e0765e6e6d46d59.trig",
                     "arsrapport-2024.trig", "ntsc-2023.trig"]
    assert ck(run, project, "validate").returncode == 0


# --- remove and replace --------------------------------------------------------------------


def test_remove_an_added_source_and_refuse_originals(run: Runner, project: Path) -> None:
    before = snapshot(project / "graph")
    original = ck(run, project, "remove", "--source", "000_e55087a455a2a3a4")
    assert_one_line_error(original, "original document", "--force")
    unknown = ck(run, project, "remove", "--source", "no-such-thing")
    assert_one_line_error(unknown, "no source graph named 'no-such-thing'")
    assert snapshot(project / "graph") == before
    assert ck(run, project, "add", str(FACTS / "good.ttl"), "-s", "Årsrapport 2024").returncode == 0
    dry = ck(run, project, "remove", "--source", "Årsrapport 2024", "--dry-run")
    assert dry.returncode == 0 and "would remove" in dry.stderr
    removed = ck(run, project, "remove", "--source", "Årsrapport 2024")
    assert removed.returncode == 0, removed.stderr
    assert snapshot(project / "graph") == before
    forced = ck(run, project, "remove", "--source", "ckg:000_e55087a455a2a3a4", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert not (project / "graph" / "000_e55087a455a2a3a4.trig").exists()


def test_remove_refuses_when_other_facts_depend_on_the_source(
    run: Runner, project: Path, tmp_path: Path
) -> None:
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("name,kind\nNorsk Test AS,bedrift\n", encoding="utf-8")
    members = tmp_path / "members.csv"
    members.write_text("cluster,member\nNSCC,Norsk Test AS\n", encoding="utf-8")
    assert ck(run, project, "import", "organisations", str(orgs), "-s", "Brreg").returncode == 0
    assert ck(run, project, "import", "memberships", str(members), "-s", "Liste").returncode == 0
    before = snapshot(project / "graph")
    refused = ck(run, project, "remove", "--source", "Brreg")
    assert_one_line_error(refused, "not removed", "1 violation", "--force", code=1)
    assert "org:member" in refused.stdout and "ckr:norsk-test-as" in refused.stdout
    assert snapshot(project / "graph") == before
    assert ck(run, project, "remove", "--source", "Liste").returncode == 0
    assert ck(run, project, "remove", "--source", "Brreg").returncode == 0


def test_a_correction_replaces_an_earlier_source(run: Runner, project: Path,
                                                 tmp_path: Path) -> None:
    assert ck(run, project, "add", str(FACTS / "good.ttl"), "-s", "Årsrapport 2024").returncode == 0
    old_file = project / "graph" / "arsrapport-2024.trig"
    old_bytes = old_file.read_bytes()
    fixed = tmp_path / "fixed.ttl"
    fixed.write_text((FACTS / "good.ttl").read_text(encoding="utf-8")
                     .replace("ck:count 140", "ck:count 141"), encoding="utf-8")
    result = ck(run, project, "add", str(fixed), "-s", "Årsrapport 2024, rettet",
                "--replaces", "arsrapport-2024")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stays in graph/ marked as replaced" in result.stdout
    assert old_file.read_bytes() == old_bytes  # the old file is not touched
    new_name, graph = parse_graph_file(project / "graph" / "arsrapport-2024-rettet.trig")
    old_name = URIRef("https://w3id.org/clusterkg/graph/arsrapport-2024")
    assert (new_name, DCTERMS.replaces, old_name) in graph
    assert (new_name, PROV.wasRevisionOf, old_name) in graph
    assert (old_name, DCTERMS.isReplacedBy, new_name) in graph
    listing = {s["graph"]: s for s in json.loads(ck(run, project, "sources", "-f", "json").stdout)}
    assert listing[str(old_name)]["replacedBy"] == [str(new_name)]
    assert listing[str(new_name)]["replaces"] == [str(old_name)]
    assert "replaced by ckg:arsrapport-2024-rettet" in ck(run, project, "sources").stdout


def test_help_of_the_new_commands(run: Runner) -> None:
    for command in ("add", "import", "sources", "remove", "template"):
        result = run(command, "--help", home=None)
        assert result.returncode == 0 and "Examples" in result.stdout, command
    assert "[FILE]..." in run("validate", "--help", home=None).stdout


def test_lock_file_is_gone_after_a_command(project: Path) -> None:
    from clusterkg.paths import find_home
    from clusterkg.sources import LOCK_NAME, graph_lock

    home = find_home(project)
    with graph_lock(home, 1):
        assert (project / "graph" / LOCK_NAME).exists()
    assert not (project / "graph" / LOCK_NAME).exists()
    start = time.monotonic()
    with graph_lock(home, 1), pytest.raises(Exception, match="locked"), graph_lock(home, 0.2):
        pass
    assert time.monotonic() - start < 5
