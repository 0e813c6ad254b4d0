"""The named SPARQL queries in queries/*.rq, checked against what the two source documents say.

The dataset is loaded here directly (rdflib Dataset with a union default graph: one named graph
per graph/*.trig file, the ontology in ckg:ontology), and each query is run the way the CLI
runs it: its ``#+`` YAML header is parsed, defaults are applied and parameters are bound to
``?NAME`` through ``initBindings``. A second way of binding (a trailing ``VALUES`` block, as for
a remote endpoint) must give the same answer.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from rdflib import Dataset, Literal, URIRef, Variable
from rdflib.namespace import RDFS, SKOS
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

ROOT = Path(__file__).resolve().parents[1]
QUERY_DIR = ROOT / "queries"
ONTOLOGY_GRAPH = URIRef("https://w3id.org/clusterkg/graph/ontology")

CK = "https://w3id.org/clusterkg/ontology#"
CKR = "https://w3id.org/clusterkg/id/"
CKL = "https://w3id.org/clusterkg/level/"
CKG = "https://w3id.org/clusterkg/graph/"
ROLE = "https://w3id.org/clusterkg/role/"
KIND = "https://w3id.org/clusterkg/member-kind/"

NSCC = CKR + "nscc"
NTSC = CKR + "ntsc"
VALIDE = CKR + "valide"
ROGALAND = CKR + "rogaland"
ANNOUNCEMENT = CKR + "announcement-8-november"
ARENA, ARENA_PRO, GCE = CKL + "arena", CKL + "arena-pro", CKL + "gce"
FUNDERS = {CKR + "innovasjon-norge", CKR + "siva", CKR + "forskningsradet"}

DOC0 = "000_e55087a455a2a3a4.txt"
DOC1 = "001_4e0765e6e6d46d59.txt"

PARAM_TYPES = {"iri", "entity", "string", "integer", "decimal", "date", "boolean"}
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
KEEP_AS_TEXT = {URIRef(XSD_NS + t) for t in ("duration", "gYear", "gMonth", "gDay")}

# rdflib 7.6 warns about its own internal use of deprecated names, tens of thousands of times.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# --- loading and running ---------------------------------------------------------------------


# The tests here check the answers against what the two source documents say, so they load
# the graphs of those two documents only; tests/test_programme.py checks the whole programme.
SEED_GRAPHS = (
    ROOT / "graph" / "000_e55087a455a2a3a4.trig",
    ROOT / "graph" / "001_4e0765e6e6d46d59.trig",
)


def load_dataset(*extra_trig: str) -> Dataset:
    """The two documents' graphs and the ontology, plus any extra TriG text (made-up data)."""
    dataset = Dataset(default_union=True)
    for path in SEED_GRAPHS:
        dataset.parse(path, format="trig")
    ontology = dataset.graph(ONTOLOGY_GRAPH)
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        ontology.parse(path, format="turtle")
    for text in extra_trig:
        dataset.parse(data=text, format="trig")
    return dataset


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset()


@pytest.fixture(scope="module")
def full_dataset() -> Dataset:
    """Every graph of graph/, for the queries about the whole programme."""
    dataset = load_dataset()
    for path in sorted((ROOT / "graph").glob("*.trig")):
        if path not in SEED_GRAPHS:
            dataset.parse(path, format="trig")
    return dataset


def query_files() -> list[Path]:
    return sorted(QUERY_DIR.glob("*.rq"))


def split_query(text: str) -> tuple[dict[str, Any], str]:
    """The YAML of the leading ``#+`` lines, and the rest of the file."""
    lines = text.splitlines()
    header: list[str] = []
    index = 0
    for index, line in enumerate(lines):  # noqa: B007 - index is used after the loop
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#+"):
            break
        body = stripped[2:]
        header.append(body[1:] if body.startswith(" ") else body)
    else:
        index = len(lines)
    data = yaml.safe_load("\n".join(header)) if header else None
    return (data or {}), "\n".join(lines[index:])


def read_query(name: str) -> tuple[dict[str, Any], str]:
    text = (QUERY_DIR / f"{name}.rq").read_text(encoding="utf-8")
    header, _ = split_query(text)
    return header, text


def resolve_entity(dataset: Dataset, value: str) -> URIRef:
    """An IRI as is; otherwise the one subject with that label (case-insensitive)."""
    if value.startswith(("http://", "https://", "urn:")):
        return URIRef(value)
    wanted = value.casefold()
    found = {
        s
        for predicate in (RDFS.label, SKOS.prefLabel, SKOS.altLabel)
        for s, _, o in dataset.triples((None, predicate, None))
        if isinstance(s, URIRef) and str(o).casefold() == wanted
    }
    assert len(found) == 1, f"label {value!r} matches {sorted(found)}"
    return next(iter(found))


def bindings_for(dataset: Dataset, name: str, given: dict[str, Any]) -> dict[str, Any]:
    header, _ = read_query(name)
    params = header.get("params") or {}
    unknown = set(given) - set(params)
    assert not unknown, f"{name}: no such parameter(s) {unknown}"
    bindings: dict[str, Any] = {}
    for param, spec in params.items():
        spec = spec or {}
        value = given.get(param, spec.get("default"))
        if value is None:
            assert not spec.get("required"), f"{name}: parameter {param} is required"
            continue
        ptype = spec.get("type", "string")
        if ptype in ("entity", "iri"):
            bindings[param] = resolve_entity(dataset, str(value))
        elif ptype == "integer":
            bindings[param] = Literal(int(value), datatype=URIRef(XSD_NS + "integer"))
        elif ptype == "decimal":
            bindings[param] = Literal(Decimal(str(value)), datatype=URIRef(XSD_NS + "decimal"))
        elif ptype == "boolean":
            bindings[param] = Literal(bool(value), datatype=URIRef(XSD_NS + "boolean"))
        elif ptype == "date":
            bindings[param] = Literal(str(value), datatype=URIRef(XSD_NS + "date"))
        else:
            bindings[param] = Literal(str(value))
    return bindings


def plain(term: Any) -> Any:
    """A result cell as a plain Python value: IRIs as str, literals as their value."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, Literal):
        if term.datatype in KEEP_AS_TEXT:
            return str(term)
        value = term.toPython()
        return value if not isinstance(value, Literal) else str(value)
    return str(term)


def rows_of(result: Any) -> list[dict[str, Any]]:
    names = [str(v) for v in result.vars]
    return [{n: plain(row[Variable(n)]) for n in names} for row in result]


def run(dataset: Dataset, name: str, **given: Any) -> list[dict[str, Any]]:
    """Run a named query with its defaults and the given parameters bound via initBindings."""
    _, text = read_query(name)
    bindings = bindings_for(dataset, name, given)
    return rows_of(dataset.query(text, initBindings={Variable(k): v for k, v in bindings.items()}))


def run_with_values(dataset: Dataset, name: str, **given: Any) -> list[dict[str, Any]]:
    """The same, with the parameters bound by a VALUES block opening the WHERE group, as the
    Oxigraph store and remote endpoints bind them (clusterkg.sparqltext.inline_values)."""
    from clusterkg.sparqltext import inline_values

    _, text = read_query(name)
    bindings = bindings_for(dataset, name, given)
    return rows_of(dataset.query(inline_values(text, bindings)))


def lines(row: dict[str, Any], column: str = "lines") -> set[int]:
    """The numbers in a list of line numbers, which must be ascending, without repeats."""
    value = row[column]
    if not value:
        return set()
    numbers = [int(x) for x in str(value).split(", ")]
    assert numbers == sorted(set(numbers)), f"{column} is not in ascending order: {value!r}"
    return set(numbers)


# --- every query file: header, parameters, syntax --------------------------------------------

QUERY_NAMES = [p.stem for p in query_files()]


def test_query_files_exist() -> None:
    assert len(QUERY_NAMES) >= 15, QUERY_NAMES


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_header_and_syntax(name: str) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), f"{name} is not kebab-case"
    header, text = read_query(name)
    _, body = split_query(text)
    assert isinstance(header.get("summary"), str) and header["summary"].strip()
    assert isinstance(header.get("description"), str) and len(header["description"].split()) >= 10
    params = header.get("params") or {}
    assert isinstance(params, dict)
    code = "\n".join(
        line.split("#", 1)[0] if line.lstrip().startswith("#") else line
        for line in body.splitlines()
    )
    for param, spec in params.items():
        spec = spec or {}
        assert spec.get("type", "string") in PARAM_TYPES, f"{name}: {param} has a bad type"
        assert str(spec.get("description", "")).strip(), f"{name}: {param} has no description"
        assert re.search(rf"\?{param}\b", code), f"{name}: ?{param} is not used in the query"
        assert not re.search(rf"\bAS\s+\?{param}\b", code, re.I), f"{name}: ?{param} is BIND-ed"
        if spec.get("required"):
            assert spec.get("default") is not None, f"{name}: required {param} needs a default"
    prepareQuery(text)  # the whole file, header included, is valid SPARQL
    assert re.search(r"\bORDER\s+BY\b", code, re.I), f"{name} has no ORDER BY"
    assert re.search(r"^\s*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", code, re.I | re.M)


def _nodes(node: Any) -> Any:
    """Every CompValue in a parse tree, depth first."""
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, (list, tuple)) or hasattr(node, "asList"):
        for value in node:
            yield from _nodes(value)


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_aggregates_project_only_group_keys(name: str) -> None:
    """Strict SPARQL 1.1 (unlike rdflib) refuses a projected variable that is not a GROUP BY key.

    It matters for parameters too: a trailing VALUES block joins after grouping, so a parameter
    that is not a group key would not filter the rows on a remote endpoint.
    """
    _, text = read_query(name)
    for select in _nodes(parseQuery(text)):
        if select.name not in ("SelectQuery", "SubSelect"):
            continue
        # not select.get(...): CompValue.get returns the key's name when the key is missing
        projection = select["projection"] if "projection" in select else []  # noqa: SIM401
        aggregating = "groupby" in select or any(
            node.name.startswith("Aggregate_")
            for item in projection
            if "evar" in item
            for node in _nodes(item["expr"])
        )
        if not aggregating:
            continue
        keys = set(select["groupby"]["condition"]) if "groupby" in select else set()
        for item in projection:
            if "evar" not in item:
                assert item["var"] in keys, f"{name}: ?{item['var']} is projected but not grouped"


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_grouped_sub_selects_join_before_optional_and_bind(name: str) -> None:
    """The README's rule for query authors, measured at 1M triples (docs/benchmarks.md).

    A required grouped sub-SELECT after an OPTIONAL or BIND of its group was evaluated again
    by Oxigraph for every row (member-growth 41 s instead of 0.3 s); at the head of the group
    rdflib matched the rest again for every row of it. Right after the triple patterns that
    bind its keys it is fast on both.
    """
    _, text = read_query(name)
    for group in _nodes(parseQuery(text)):
        if group.name != "GroupGraphPatternSub":
            continue
        barrier = None
        # not group.get(...): CompValue.get returns the key's name when the key is missing
        for part in group["part"] if "part" in group else []:  # noqa: SIM401
            if part.name in ("OptionalGraphPattern", "Bind"):
                barrier = barrier or part.name
                continue
            inner = part["graph"] if part.name == "GroupOrUnionGraphPattern" else []
            grouped = len(inner) == 1 and inner[0].name == "SubSelect" and "groupby" in inner[0]
            assert not (grouped and barrier), (
                f"{name}: a grouped sub-SELECT joins after {barrier}; move it up, right after "
                "the triple patterns that bind its keys"
            )


# Queries about the whole programme: the two documents hold no dated level assignments and no
# facts with several sources, so they are checked on the real graph in tests/test_programme.py.
PROGRAMME_QUERIES = {"portfolio-at", "programme-timeline", "level-transitions",
                     "clusters-by-region", "member-growth", "corroboration"}


@pytest.mark.parametrize("name", [n for n in QUERY_NAMES if n not in PROGRAMME_QUERIES])
def test_runs_with_defaults(dataset: Dataset, name: str) -> None:
    assert run(dataset, name), f"{name} gives no rows on the project data"


# Each parameter of each query, with a value that filters: a VALUES block opening the WHERE group
# (as the Oxigraph store and remote endpoints bind parameters) must give the
# same rows (in the same order) as initBindings, which fails if ?NAME sits only in an OPTIONAL,
# a FILTER or a sub-SELECT, or is not a GROUP BY key of an aggregating query.
BINDING_CASES = [
    ("portfolio-at", {"date": "2019-12-31"}),
    ("level-transitions", {"cluster": NSCC}),
    ("clusters-by-region", {"place": ROGALAND}),
    ("member-growth", {"cluster": NSCC}),
    ("corroboration", {"minimum": 1}),
    ("clusters-by-level", {"level": ARENA}),
    ("hosts", {"host": VALIDE}),
    ("hosts", {"cluster": NTSC}),
    ("programme-owners", {"owner": CKR + "siva"}),
    ("programme-owners", {"programme": CKR + "norwegian-innovation-clusters"}),
    ("funding-per-cluster", {"cluster": NTSC}),
    ("people-posts", {"person": CKR + "monica-maeland"}),
    ("member-counts", {"cluster": NTSC}),
    ("cluster-members", {"cluster": NSCC}),
    ("cluster-members", {"member": CKR + "greater-stavanger"}),
    ("provenance", {"entity": NTSC}),
    ("level-history", {"cluster": NTSC}),
    ("clusters-by-place", {"place": ROGALAND}),
    ("clusters-by-place", {"cluster": NTSC}),
    ("projects", {"cluster": NSCC}),
    ("focus-areas", {"cluster": NTSC}),
    ("strategy-periods", {"cluster": NSCC}),
    ("announcements", {"announcement": ANNOUNCEMENT}),
]


@pytest.mark.parametrize(("name", "given"), BINDING_CASES)
def test_values_binding_matches_init_bindings(
    request: pytest.FixtureRequest, name: str, given: dict[str, str]
) -> None:
    dataset = request.getfixturevalue("full_dataset" if name in PROGRAMME_QUERIES else "dataset")
    expected = run(dataset, name, **given)
    assert expected, f"{name} {given}: pick a value that matches something"
    assert run_with_values(dataset, name, **given) == expected


# Facts with only their key links: no sources, lines, periods, labels or amounts. Every query
# must still run (rdflib, for one, fails on GROUP_CONCAT(DISTINCT ?x) when ?x is never bound).
SPARSE = """
@prefix ck: <https://w3id.org/clusterkg/ontology#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix schema: <https://schema.org/> .
@prefix t: <urn:test:> .
<urn:test:graph> {
  t:c a ck:Cluster . t:o a org:Organization . t:p a ck:Person . t:l a ck:Place .
  t:f1 a ck:LevelAssignment ; ck:cluster t:c ; ck:level t:lv .
  t:f2 a ck:Hosting ; ck:cluster t:c ; ck:host t:o .
  t:f3 a ck:ProgrammeOwnership ; ck:programme t:prog ; ck:owner t:o .
  t:f4 a ck:Grant ; schema:fundedItem t:c .
  t:f5 a ck:FundingTotal ; ck:totalAmount 1.0 .
  t:f6 a ck:MemberCount ; ck:cluster t:c ; ck:count 1 .
  t:f7 a ck:Membership ; org:organization t:c ; org:member t:o .
  t:f8 a ck:PostHolding ; org:member t:p .
  t:f9 a ck:ClusterProject ; ck:cluster t:c ; ck:project t:proj .
  t:f10 a ck:Location ; ck:cluster t:c ; ck:place t:l .
  t:f11 a ck:FocusStatement ; ck:cluster t:c ; ck:focusArea t:fa .
  t:f12 a ck:StrategyStatement ; ck:cluster t:c .
  t:f13 a ck:AdmissionCount ; ck:count 1 .
  t:a a ck:Announcement .
  t:f14 a ck:DateEstimate ; ck:about t:a .
}
"""


@pytest.fixture(scope="module")
def sparse_dataset() -> Dataset:
    return load_dataset(SPARSE)


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_runs_on_sparse_facts(sparse_dataset: Dataset, name: str) -> None:
    rows = run(sparse_dataset, name)
    assert isinstance(rows, list)
    if name == "provenance":
        assert run(sparse_dataset, name, entity="urn:test:c")


def test_every_parameter_has_a_binding_case() -> None:
    covered = {(name, param) for name, given in BINDING_CASES for param in given}
    for name in QUERY_NAMES:
        for param in read_query(name)[0].get("params") or {}:
            assert (name, param) in covered, f"no binding case for {name} ?{param}"


# Every query must have an answer test below; the names are listed here so a new query file
# without one makes this fail.
ANSWER_TESTED = {
    "admission-counts",
    "announcements",
    "class-counts",
    "cluster-members",
    "clusters-by-level",
    "clusters-by-place",
    "conflicts",
    "focus-areas",
    "funding-per-cluster",
    "funding-totals",
    "hosts",
    "level-history",
    "member-counts",
    "people-posts",
    "programme-owners",
    "projects",
    "provenance",
    "strategy-periods",
}


def test_every_query_has_an_answer_test() -> None:
    assert set(QUERY_NAMES) == ANSWER_TESTED | PROGRAMME_QUERIES


# --- answers, against what the documents say --------------------------------------------------


def test_clusters_by_level(dataset: Dataset) -> None:
    pro = run(dataset, "clusters-by-level", level="Arena Pro")
    assert {r["cluster"] for r in pro} == {NSCC, NTSC}
    assert {(r["cluster"], r["source"]) for r in pro} == {
        (NSCC, DOC0),
        (NSCC, DOC1),
        (NTSC, DOC0),
        (NTSC, DOC1),
    }
    assert {r["levelLabel"] for r in pro} == {"Arena Pro"}
    nscc_001 = next(r for r in pro if r["cluster"] == NSCC and r["source"] == DOC1)
    assert nscc_001["decidedAt"] == ANNOUNCEMENT
    assert "8 November" in nscc_001["decidedAtLabel"]
    assert nscc_001["duration"] == "P5Y"
    assert lines(nscc_001) == {5, 9, 13, 39}
    assert nscc_001["lines"] == "5, 9, 13, 39"  # numerically, not "13, 39, 5, 9"
    assert {r["lines"] for r in pro if r["source"] == DOC0} == {"3, 6, 18"}
    assert all(r["duration"] == "P5Y" for r in pro if r["source"] == DOC0)
    assert all(r["assertionMode"] == "stated" for r in pro)

    arena = run(dataset, "clusters-by-level", level=ARENA)
    assert [(r["cluster"], r["source"], r["duration"]) for r in arena] == [(NSCC, DOC0, "P5Y")]
    assert lines(arena[0]) == {9}
    assert run(dataset, "clusters-by-level", level=GCE) == []

    everything = run(dataset, "clusters-by-level")
    assert {r["level"] for r in everything} == {ARENA, ARENA_PRO}
    assert [r["levelRank"] for r in everything] == sorted(r["levelRank"] for r in everything)


def test_hosts(dataset: Dataset) -> None:
    rows = run(dataset, "hosts", host="Validé")
    assert sorted(r["cluster"] for r in rows) == [NSCC, NTSC]
    for r in rows:
        assert (r["host"], r["hostLabel"], r["source"]) == (VALIDE, "Validé AS", DOC1)
        assert r["hostKindLabel"] == "innovation company"
        assert lines(r) == {39}
    assert [r["host"] for r in run(dataset, "hosts", cluster="NTSC")] == [VALIDE]
    assert run(dataset, "hosts", host=CKR + "siva") == []


def test_programme_owners(dataset: Dataset) -> None:
    rows = run(dataset, "programme-owners")
    assert {(r["owner"], r["source"]) for r in rows} == {
        (f, d) for f in FUNDERS for d in (DOC0, DOC1)
    }
    assert {r["relation"] for r in rows} == {"owner"}
    assert {r["programmeLabel"] for r in rows} == {"Norwegian Innovation Clusters"}
    assert all(r["stateFunded"] is True for r in rows)
    for r in rows:
        if r["source"] == DOC0:
            assert r["grantCount"] == 2 and r["lines"] == "16"
            assert r["grants"] == (
                "Norwegian Smart Care Cluster (Arena Pro); "
                "Norwegian Tunnel Safety Cluster (Arena Pro)"
            )
        else:
            # line 9 ("de tre oppdragsgiverne") names no one: it is not cited for ownership
            assert r["grantCount"] == 1 and r["lines"] == "5, 39"
            assert r["grants"] == "Norwegian Smart Care Cluster (Arena Pro)"
    siva = run(dataset, "programme-owners", owner="SIVA")
    assert sorted(r["source"] for r in siva) == [DOC0, DOC1]


def test_funding_per_cluster(dataset: Dataset) -> None:
    rows = run(dataset, "funding-per-cluster")
    assert sorted((r["cluster"], r["source"]) for r in rows) == [
        (NSCC, DOC0),
        (NSCC, DOC1),
        (NTSC, DOC0),
    ]
    for r in rows:
        assert r["annualAmount"] == Decimal("6000000")
        assert r["currency"] == "NOK"
        assert r["duration"] == "P5Y"
        assert r["years"] == 5
        assert r["statedTotal"] is None
        assert r["total"] == Decimal("30000000")
        assert r["totalBasis"] == "computed"
        assert r["level"] == ARENA_PRO
        # the documents say the programme funds the clusters, not who pays each grant
        assert r["funders"] is None
        assert r["programmeLabel"] == "Norwegian Innovation Clusters"
    by_source = {(r["cluster"], r["source"]): r for r in rows}
    assert by_source[NSCC, DOC0]["lines"] == "6, 16"
    assert by_source[NSCC, DOC1]["lines"] == "5, 13"
    # 001's "6 millioner kroner i fem år" read as a yearly amount: a reading, with its reason
    assert by_source[NSCC, DOC1]["assertionMode"] == "inferred"
    assert "yearly amount" in by_source[NSCC, DOC1]["note"]
    assert by_source[NSCC, DOC0]["assertionMode"] == "stated"
    assert by_source[NSCC, DOC0]["note"] is None
    assert [r["cluster"] for r in run(dataset, "funding-per-cluster", cluster="NTSC")] == [NTSC]


def test_funding_per_cluster_durations_and_stated_totals() -> None:
    extra = """
    @prefix ck: <https://w3id.org/clusterkg/ontology#> .
    @prefix schema: <https://schema.org/> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    @prefix t: <urn:test:> .
    <urn:test:graph> {
      t:doc ck:fileName "900_test.txt" .
      t:c1 a ck:Cluster . t:c2 a ck:Cluster . t:c3 a ck:Cluster . t:c4 a ck:Cluster .
      t:g1 a ck:Grant ; schema:fundedItem t:c1 ; ck:annualAmount 1000000.0 ;
           ck:period [ ck:duration "P2Y6M"^^xsd:duration ] ; ck:sourceDocument t:doc .
      t:g2 a ck:Grant ; schema:fundedItem t:c2 ; ck:annualAmount 1200000.0 ;
           ck:period [ ck:duration "P18M"^^xsd:duration ] ; ck:sourceDocument t:doc .
      t:g3 a ck:Grant ; schema:fundedItem t:c3 ; ck:annualAmount 1000000.0 ;
           ck:period [ ck:duration "P10D"^^xsd:duration ] ; ck:sourceDocument t:doc .
      t:g4 a ck:Grant ; schema:fundedItem t:c4 ; ck:annualAmount 1000000.0 ;
           ck:totalAmount 4500000.0 ;
           ck:period [ ck:duration "P5Y"^^xsd:duration ] ; ck:sourceDocument t:doc .
    }
    """
    rows = {r["grant"]: r for r in run(load_dataset(extra), "funding-per-cluster")}
    assert rows["urn:test:g1"]["total"] == Decimal("2500000")
    assert rows["urn:test:g1"]["totalBasis"] == "computed"
    assert rows["urn:test:g2"]["total"] == Decimal("1800000")
    assert rows["urn:test:g3"]["years"] is None and rows["urn:test:g3"]["total"] is None
    assert rows["urn:test:g4"]["total"] == Decimal("4500000")
    assert rows["urn:test:g4"]["totalBasis"] == "stated"


def test_funding_totals(dataset: Dataset) -> None:
    rows = run(dataset, "funding-totals")
    table = {(r["source"], r["groupKind"], r["group"], r["basis"]): r for r in rows}
    assert len(table) == len(rows), "a (source, group, basis) appears twice"
    computed0 = table[DOC0, "level", ARENA_PRO, "computed"]
    stated0 = table[DOC0, "level", ARENA_PRO, "stated"]
    assert (computed0["total"], computed0["currency"], computed0["grants"]) == (
        Decimal("60000000"),
        "NOK",
        2,
    )
    assert (stated0["total"], stated0["currency"], stated0["grants"]) == (
        Decimal("60000000"),
        "NOK",
        2,
    )
    assert stated0["lines"] == "6"
    assert stated0["groupLabel"] == "Arena Pro"
    # the NSCC grant that both sources state is counted once per source, never twice in one sum
    computed1 = table[DOC1, "level", ARENA_PRO, "computed"]
    assert (computed1["total"], computed1["grants"]) == (Decimal("30000000"), 1)
    assert (DOC1, "level", ARENA_PRO, "stated") not in table
    # the grants are given through the programme: one total per programme, not one per owner
    programme = CKR + "norwegian-innovation-clusters"
    assert table[DOC0, "programme", programme, "computed"]["total"] == Decimal("60000000")
    assert table[DOC1, "programme", programme, "computed"]["total"] == Decimal("30000000")
    assert {r["groupKind"] for r in rows} == {"level", "programme"}
    assert len(rows) == 5


def test_funding_totals_count_joint_funders_once() -> None:
    """A grant with three funders is one krone amount for the three together, not three."""
    extra = """
    @prefix ck: <https://w3id.org/clusterkg/ontology#> .
    @prefix ckr: <https://w3id.org/clusterkg/id/> .
    @prefix schema: <https://schema.org/> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    @prefix t: <urn:test:> .
    <urn:test:graph> {
      t:doc ck:fileName "900_test.txt" .
      t:g1 a ck:Grant ; schema:fundedItem ckr:nscc ; ck:totalAmount 9000000.0 ;
           schema:currency "NOK" ; ck:sourceDocument t:doc ;
           schema:funder ckr:innovasjon-norge , ckr:siva , ckr:forskningsradet .
      t:g2 a ck:Grant ; schema:fundedItem ckr:ntsc ; ck:totalAmount 1000000.0 ;
           schema:currency "NOK" ; ck:sourceDocument t:doc ; schema:funder ckr:siva .
    }
    """
    rows = [r for r in run(load_dataset(extra), "funding-totals") if r["source"] == "900_test.txt"]
    funders = {r["groupLabel"]: r for r in rows if r["groupKind"] == "funders"}
    assert set(funders) == {"Innovasjon Norge + Norges forskningsråd + SIVA", "SIVA"}
    joint = funders["Innovasjon Norge + Norges forskningsråd + SIVA"]
    assert (joint["total"], joint["grants"]) == (Decimal("9000000"), 1)
    assert funders["SIVA"]["total"] == Decimal("1000000")
    # summed over the funder groups, every krone is counted once
    assert sum(r["total"] for r in funders.values()) == Decimal("10000000")


def test_people_posts(dataset: Dataset) -> None:
    rows = run(dataset, "people-posts")
    # Tom Hansen twice: photographer (the credit says so), and for Innovasjon Norge (a reading)
    tom = [r for r in rows if r["personLabel"] == "Tom Hansen"]
    assert sorted((r["organisation"] or "", r["assertionMode"]) for r in tom) == [
        ("", "stated"),
        (CKR + "innovasjon-norge", "inferred"),
    ]
    rows = [r for r in rows if r["personLabel"] != "Tom Hansen"]
    posts = {r["personLabel"]: r for r in rows}
    assert len(posts) == len(rows)
    arild = posts["Arild Kristensen"]
    assert (arild["role"], arild["postTitle"], arild["organisation"]) == (ROLE + "ceo", "CEO", NSCC)
    assert arild["lines"] == "7, 19, 25"
    marit = posts["Marit Hagland"]
    assert (marit["role"], marit["postTitle"], marit["organisationLabel"]) == (
        ROLE + "general-manager",
        "daglig leder",
        "Norwegian Smart Care Lab",
    )
    anne = posts["Anne Cathrin Østebø"]
    assert (anne["roleLabel"], anne["postTitle"], anne["organisation"]) == (
        "general manager",
        "daglig leder",
        VALIDE,
    )
    monica = posts["Monica Mæland"]
    assert monica["role"] == ROLE + "minister"
    assert monica["organisation"] is None and monica["organisationLabel"] is None
    assert "minister" in monica["postTitle"]
    assert all(r["source"] == DOC1 and r["assertionMode"] == "stated" for r in rows)
    only = run(dataset, "people-posts", person="Monica Mæland")
    assert [r["personLabel"] for r in only] == ["Monica Mæland"]


def test_member_counts(dataset: Dataset) -> None:
    rows = run(dataset, "member-counts")
    got = {
        (r["cluster"], r["kind"], r["count"], r["approximate"], r["source"], frozenset(lines(r)))
        for r in rows
    }
    assert got == {
        (NSCC, KIND + "company", 123, False, DOC0, frozenset({9})),
        (NSCC, KIND + "public-body", 19, False, DOC0, frozenset({9})),
        (NSCC, KIND + "company", 125, False, DOC1, frozenset({21})),
        (NSCC, KIND + "public-body", 50, False, DOC1, frozenset({21})),
        (NTSC, KIND + "all", 120, True, DOC0, frozenset({13})),
    }
    assert all(r["categoryLabel"] for r in rows)
    assert all(r["observationDate"] is None for r in rows)
    # Neither document is dated: the date column falls back to the inferred range of years.
    assert {r["date"] for r in rows} == {"2018/2019 (inferred)"}
    ntsc = run(dataset, "member-counts", cluster="NTSC")
    assert [(r["count"], r["approximate"], r["kindLabel"]) for r in ntsc] == [
        (120, True, "all members")
    ]


def test_conflicts(dataset: Dataset) -> None:
    rows = run(dataset, "conflicts")
    got = {
        (r["kind"], r["subject"], r["what"], r["valueA"], r["sourceA"], r["valueB"], r["sourceB"])
        for r in rows
    }
    assert got == {
        ("member count", NSCC, "count of members of kind: company", 123, DOC0, 125, DOC1),
        ("member count", NSCC, "count of members of kind: public body", 19, DOC0, 50, DOC1),
    }
    assert len(rows) == 2
    for r in rows:
        assert r["subjectLabel"] == "Norwegian Smart Care Cluster"
        assert lines(r, "linesA") == {9} and lines(r, "linesB") == {21}
    assert not any(r["kind"] == "grant" for r in rows)


def test_conflicts_finds_grant_disagreements() -> None:
    extra = """
    @prefix ck: <https://w3id.org/clusterkg/ontology#> .
    @prefix schema: <https://schema.org/> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    @prefix ckr: <https://w3id.org/clusterkg/id/> .
    @prefix ckl: <https://w3id.org/clusterkg/level/> .
    <urn:test:graph> {
      <urn:test:doc> ck:fileName "900_test.txt" .
      <urn:test:grant> a ck:Grant ; schema:fundedItem ckr:nscc ; ck:level ckl:arena-pro ;
          ck:annualAmount 5000000.0 ; schema:currency "NOK" ;
          ck:period [ ck:duration "P5Y"^^xsd:duration ] ;
          ck:sourceDocument <urn:test:doc> .
    }
    """
    rows = [r for r in run(load_dataset(extra), "conflicts") if r["kind"] == "grant"]
    got = {(r["what"].split()[0], r["sourceA"], r["valueA"], r["valueB"]) for r in rows}
    assert got == {
        ("annual", DOC0, Decimal("6000000"), Decimal("5000000")),
        ("annual", DOC1, Decimal("6000000"), Decimal("5000000")),
        ("total", DOC0, Decimal("30000000"), Decimal("25000000")),
        ("total", DOC1, Decimal("30000000"), Decimal("25000000")),
    }
    assert all(r["sourceB"] == "900_test.txt" for r in rows)


def test_provenance(dataset: Dataset) -> None:
    rows = run(dataset, "provenance")  # default entity: NSCC
    assert {r["entity"] for r in rows} == {NSCC}
    assert {r["source"] for r in rows} == {DOC0, DOC1}
    assert all(lines(r) for r in rows)
    assert all(r["graph"] == CKG + r["source"].removesuffix(".txt") for r in rows)
    facts = {r["fact"]: r for r in rows}
    companies0 = facts[CKR + "fact/000/nscc-members-companies"]
    assert (companies0["factClass"], companies0["property"]) == (CK + "MemberCount", CK + "cluster")
    assert lines(companies0) == {9}
    grant1 = facts[CKR + "fact/001/nscc-grant"]
    assert grant1["property"] == "https://schema.org/fundedItem"
    assert grant1["lines"] == "5, 13"
    assert CKR + "fact/001/valide-hosts-nscc" in facts
    assert CKR + "fact/000/greater-stavanger-member-nscc" in facts
    assert not any(r["factClass"] == CK + "ProgrammeOwnership" for r in rows)
    assert not any(CKR + "fact/000/ntsc" in f for f in facts)

    about_announcement = run(dataset, "provenance", entity=ANNOUNCEMENT)
    estimate = next(r for r in about_announcement if r["factClass"] == CK + "DateEstimate")
    assert estimate["assertionMode"] == "inferred"
    assert "2018" in estimate["inferenceReason"]
    decided = next(r for r in about_announcement if r["factClass"] == CK + "LevelAssignment")
    assert decided["property"] == CK + "decidedAt"


def test_level_history(dataset: Dataset) -> None:
    rows = run(dataset, "level-history")  # default cluster: NSCC
    assert [(r["level"], r["source"]) for r in rows] == [
        (ARENA, DOC0),
        (ARENA_PRO, DOC0),
        (ARENA_PRO, DOC1),
    ]
    arena, pro0, pro1 = rows
    assert (arena["levelRank"], arena["duration"], arena["meetsLevel"]) == (1, "P5Y", "Arena Pro")
    # that the Arena period ends where the Arena Pro period starts is a reading of source 000
    assert arena["meetsMode"] == "inferred"
    assert (pro0["levelRank"], pro0["followsLevel"]) == (2, "Arena")
    assert pro0["followsMode"] == "inferred"
    assert pro1["decidedAt"] == ANNOUNCEMENT and pro1["duration"] == "P5Y"
    assert arena["decidedAt"] is None
    ntsc = run(dataset, "level-history", cluster="NTSC")
    assert {r["level"] for r in ntsc} == {ARENA_PRO}


def test_clusters_by_place(dataset: Dataset) -> None:
    rogaland = run(dataset, "clusters-by-place", place="Rogaland")
    assert sorted(r["cluster"] for r in rogaland) == [NSCC, NTSC]
    assert {(r["locationRoleLabel"], r["source"]) for r in rogaland} == {("base", DOC0)}
    assert all(lines(r) == {6} for r in rogaland)
    stavanger = run(dataset, "clusters-by-place", place="Stavanger")
    assert [(r["cluster"], r["locationRoleLabel"]) for r in stavanger] == [
        (NSCC, "main concentration")
    ]
    norway = run(dataset, "clusters-by-place", place=CKR + "norway")
    assert {(r["cluster"], r["locationRoleLabel"]) for r in norway} == {
        (NSCC, "member catchment"),
        (NTSC, "scope"),
    }


def test_clusters_by_place_follows_located_in() -> None:
    extra = """
    <urn:test:graph> {
      <https://w3id.org/clusterkg/id/stavanger>
          <https://w3id.org/clusterkg/ontology#locatedIn> <https://w3id.org/clusterkg/id/rogaland> .
    }
    """
    rows = run(load_dataset(extra), "clusters-by-place", place=ROGALAND)
    assert {(r["cluster"], r["statedPlaceLabel"]) for r in rows} == {
        (NSCC, "Rogaland"),
        (NTSC, "Rogaland"),
        (NSCC, "Stavanger"),
    }


def test_projects(dataset: Dataset) -> None:
    rows = run(dataset, "projects")
    assert len(rows) == 1
    (row,) = rows
    assert (row["cluster"], row["project"], row["projectLabel"]) == (
        NSCC,
        CKR + "nscl",
        "Norwegian Smart Care Lab",
    )
    assert row["projectKindLabel"] == "test centre"
    assert (row["leaderLabel"], row["leaderRoleLabel"], row["leaderPostTitle"]) == (
        "Marit Hagland",
        "general manager",
        "daglig leder",
    )
    assert (row["source"], row["lines"]) == (DOC1, "29, 31")
    assert (row["leaderSource"], row["leaderLines"]) == (DOC1, "31")
    assert run(dataset, "projects", cluster="NTSC") == []


def test_focus_areas(dataset: Dataset) -> None:
    rows = run(dataset, "focus-areas", cluster="NTSC")
    order = [r["focusAreaLabel"] for r in rows]
    by_label = {r["focusAreaLabel"]: r for r in rows}
    assert set(order) == {"transport infrastructure", "tunnels", "roads", "railways", "bridges"}
    tunnels = by_label["tunnels"]
    assert (tunnels["emphasisLabel"], tunnels["duration"], tunnels["step"]) == ("main", "P3Y", 0)
    assert "three years" in tunnels["periodLabel"]
    for later in ("roads", "railways", "bridges"):
        row = by_label[later]
        assert (row["emphasisLabel"], row["step"]) == ("increased", 1)
        assert row["followsPeriod"] == tunnels["periodLabel"]
        assert order.index(later) > order.index("tunnels")
    assert all(r["source"] == DOC0 and lines(r) == {13} for r in rows)
    nscc = run(dataset, "focus-areas", cluster="NSCC")
    assert {(r["focusAreaLabel"], r["source"]) for r in nscc} == {
        ("health industry", DOC0),
        ("health and care services", DOC0),
        ("health industry", DOC1),
    }


def test_cluster_members(dataset: Dataset) -> None:
    rows = run(dataset, "cluster-members", cluster="NSCC")
    assert {(r["member"], r["role"]) for r in rows} == {
        (CKR + "greater-stavanger", ROLE + "member"),
        (CKR + "greater-stavanger", ROLE + "board-member"),
    }
    assert len(rows) == 2
    assert all(r["memberLabel"] == "Greater Stavanger" for r in rows)
    assert all(r["source"] == DOC0 and lines(r) == {11} for r in rows)
    assert run(dataset, "cluster-members", cluster="NTSC") == []


def test_class_counts(dataset: Dataset) -> None:
    rows = run(dataset, "class-counts")
    counts = {r["class"]: r["instances"] for r in rows}
    assert counts[CK + "Cluster"] == 2
    assert counts[CK + "Grant"] == 3
    assert counts[CK + "MemberCount"] == 5
    assert counts[CK + "SourceDocument"] == 2
    assert counts[CK + "Person"] == 5
    assert counts[CK + "LevelAssignment"] == 5
    labels = {r["class"]: r["classLabel"] for r in rows}
    assert labels[CK + "Cluster"] == "cluster"
    instances = [r["instances"] for r in rows]
    assert instances == sorted(instances, reverse=True)


def test_announcements(dataset: Dataset) -> None:
    rows = run(dataset, "announcements")
    assert {r["announcement"] for r in rows} == {ANNOUNCEMENT}
    assert {(r["admissionLevel"], r["admitted"]) for r in rows} == {(ARENA, 4), (ARENA_PRO, 4)}
    for r in rows:
        assert (r["month"], r["day"], r["hour"], r["minute"]) == ("--11", "---08", 10, 0)
        assert (r["earliestYear"], r["latestYear"]) == ("2018", "2019")
        assert r["yearAssertionMode"] == "inferred" and r["yearReason"]
        # "de tre oppdragsgiverne" (line 9) resolved to the three owners: a reading
        assert r["announcedBy"] == (
            "Innovasjon Norge (inferred), Norges forskningsråd (inferred), SIVA (inferred)"
        )
        assert (r["admissionSource"], r["admissionLines"]) == (DOC1, "9, 15")
        assert (r["source"], r["lines"]) == (DOC1, "9")


def test_admission_counts(dataset: Dataset) -> None:
    rows = run(dataset, "admission-counts")
    got = {(r["source"], r["level"], r["announcement"], r["admitted"]) for r in rows}
    assert got == {
        (DOC0, None, None, 8),
        (DOC1, ARENA, ANNOUNCEMENT, 4),
        (DOC1, ARENA_PRO, ANNOUNCEMENT, 4),
    }
    total = next(r for r in rows if r["level"] is None)
    assert lines(total) == {18}
    # the per-level counts of one source add up to the total the other source gives
    assert sum(r["admitted"] for r in rows if r["level"]) == total["admitted"]


def test_strategy_periods(dataset: Dataset) -> None:
    rows = run(dataset, "strategy-periods", cluster="NSCC")
    assert [(r["source"], r["step"]) for r in rows] == [(DOC0, 0), (DOC0, 1), (DOC1, 0), (DOC1, 1)]
    for r in rows:
        assert r["duration"] == "P5Y"
        if r["step"] == 0:
            assert r["slogan"].casefold() == "fra idé til marked"
            assert r["goals"] == "from idea to market"
            assert r["followsPeriod"] is None
        else:
            assert r["slogan"].casefold() == "fra marked til industri"
            assert r["goals"] == "capital, industry building, scaling"  # alphabetical
            assert r["followsPeriod"] is not None
    assert [r["goalReached"] for r in rows] == [True, None, None, None]
    assert run(dataset, "strategy-periods", cluster="NTSC") == []
