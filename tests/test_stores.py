"""Every named query gives identical answers on every embedded store.

The real command (``python -m clusterkg --store S query NAME -f json -p ...``) is run on the
project in this checkout with the persisted Oxigraph store and with rdflib's in-memory store,
for every query file with its defaults and with each declared parameter bound (by IRI,
prefixed name or label). The two JSON documents must hold the same variables and the same rows
in the same order. The Python API is checked the same way, also on made-up sparse data, and the
Oxigraph store must be kept on disk, reused while the files are unchanged and rebuilt when one
changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from rdflib import Literal, URIRef

from clusterkg.catalog import coerce_params, list_queries, resolve_labels
from clusterkg.loader import load_dataset
from clusterkg.paths import find_home
from clusterkg.store import Result, run_query

ROOT = Path(__file__).resolve().parents[1]
STORES = ("oxigraph", "memory")
CKR = "https://w3id.org/clusterkg/id/"
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")

# rdflib 7.6 warns about its own internal use of deprecated names, many times over.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# Per query, the parameter sets to run besides the defaults: every declared parameter at least
# once (checked below), given the ways people give them, some matching nothing.
PARAM_CASES: dict[str, list[tuple[str, ...]]] = {
    "announcements": [("announcement=ckr:announcement-8-november",)],
    "cluster-members": [
        ("cluster=NSCC",),
        ("member=Greater Stavanger",),
        ("cluster=NSCC", "member=ckr:greater-stavanger"),
        ("cluster=NTSC",),
    ],
    "clusters-by-level": [("level=Arena Pro",), ("level=ckl:arena",), ("level=GCE",)],
    "clusters-by-place": [
        ("place=Rogaland",),
        ("place=ckr:norway",),
        ("cluster=NTSC",),
        ("place=Rogaland", "cluster=NSCC"),
    ],
    "focus-areas": [("cluster=NTSC",), ("cluster=NSCC",)],
    "funding-per-cluster": [("cluster=NSCC",), ("cluster=https://w3id.org/clusterkg/id/ntsc",)],
    "hosts": [("host=Validé AS",), ("cluster=NSCC",), ("host=SIVA",)],
    "level-history": [("cluster=NTSC",), ("cluster=<https://w3id.org/clusterkg/id/nscc>",)],
    "member-counts": [("cluster=NSCC",), ("cluster=NTSC",)],
    "people-posts": [("person=Marit Hagland",), ("person=ckr:monica-maeland",)],
    "programme-owners": [("owner=SIVA",), ("programme=Norwegian Innovation Clusters",)],
    "projects": [("cluster=NSCC",), ("cluster=NTSC",)],
    "provenance": [
        ("entity=ckr:valide",),
        ("entity=NTSC",),
        ("entity=ckr:announcement-8-november",),
    ],
    "strategy-periods": [("cluster=NSCC",), ("cluster=NTSC",)],
    "portfolio-at": [("date=2019-12-31",), ("date=2015-01-01",)],
    "level-transitions": [("cluster=Arctic Cluster Team",), ("cluster=NSCC",)],
    "clusters-by-region": [("place=Rogaland",), ("place=Bergen",)],
    "member-growth": [("cluster=NSCC",)],
    "corroboration": [("minimum=3",)],
}

Job = tuple[Any, str]  # (what to run, store)
QUERY_NAMES = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
CASES = [(name, ()) for name in QUERY_NAMES] + [
    (name, params) for name, cases in PARAM_CASES.items() for params in cases
]


def case_id(case: tuple[str, tuple[str, ...]]) -> str:
    name, params = case
    return " ".join([name, *params])


def env_for(cache: Path, **extra: str) -> dict[str, str]:
    """The environment of a run: no inherited CLUSTERKG_* settings, src importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERKG_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env["CLUSTERKG_CACHE_DIR"] = str(cache)
    env.update(extra)
    return env


def clusterkg(
    home: Path, store: str, *args: str, cache: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clusterkg", "--home", str(home), "--store", store, *args],
        capture_output=True,
        text=True,
        env=env_for(cache, **env),
        timeout=300,
        check=False,
    )


def in_parallel(jobs: list[Job], run: Callable[[Job], Any]) -> dict[Job, Any]:
    """``run`` for every job, four at a time (each is a process of its own), keyed by job."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(jobs, pool.map(run, jobs), strict=True))


def query_args(name: str, params: tuple[str, ...]) -> list[str]:
    args = ["query", name, "-f", "json"]
    for param in params:
        args += ["-p", param]
    return args


# --- the command, on both stores ---------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[Any, ...], Any]:
    """Every case on every store, run a few at a time (each run is a new process)."""
    cache = tmp_path_factory.mktemp("store-cache")
    # Build the Oxigraph store once before the parallel runs, so they all find it ready.
    warm = clusterkg(ROOT, "oxigraph", "query", "class-counts", "-f", "csv", cache=cache)
    assert warm.returncode == 0, warm.stderr
    jobs = [(case, store) for case in CASES for store in STORES]
    return in_parallel(jobs, lambda job: clusterkg(ROOT, job[1], *query_args(*job[0]), cache=cache))


def test_every_parameter_has_a_case() -> None:
    home = find_home(str(ROOT))
    covered = {(name, param.split("=", 1)[0]) for name, params in CASES for param in params}
    for query in list_queries(home):
        for param in query.params:
            assert (query.name, param) in covered, f"no case binds {query.name} ?{param}"
    assert set(PARAM_CASES) <= set(QUERY_NAMES)


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_both_stores_give_identical_json(
    cli_runs: dict[tuple[Any, ...], Any], case: tuple[str, tuple[str, ...]]
) -> None:
    ox_run, memory_run = (cli_runs[case, store] for store in STORES)
    for run in (ox_run, memory_run):
        assert run.returncode in (0, 1), run.stderr  # 1: no rows, still a valid document
        assert "Traceback" not in run.stderr
    assert ox_run.returncode == memory_run.returncode
    ox_doc, memory_doc = json.loads(ox_run.stdout), json.loads(memory_run.stdout)
    assert ox_doc["head"]["vars"] == memory_doc["head"]["vars"]
    assert ox_doc["results"]["bindings"] == memory_doc["results"]["bindings"]
    assert ox_run.stdout == memory_run.stdout  # byte for byte, datatypes and all
    if case == ("funding-totals", ()):  # the answer Oxigraph 0.5 used to give twice per group
        keys = [tuple(b[k]["value"] for k in ("source", "groupKind", "group", "basis"))
                for b in ox_doc["results"]["bindings"]]
        assert len(keys) == len(set(keys)) > 0


def test_the_cases_return_rows(cli_runs: dict[tuple[Any, ...], Any]) -> None:
    """Most cases must match something, or identical answers would prove little."""
    empty = sorted(case_id(c) for c in CASES if cli_runs[c, "memory"].returncode == 1)
    assert empty == [  # GCE clusters are in the graph since the programme's pages came in
        "cluster-members cluster=NTSC",
        "hosts host=SIVA",
        "projects cluster=NTSC",
        "strategy-periods cluster=NTSC",
    ]


def test_csv_is_byte_identical(tmp_path: Path) -> None:
    names = ("funding-totals", "clusters-by-level", "strategy-periods")
    jobs = [(name, store) for name in names for store in STORES]

    def csv(job: Job) -> str:
        return clusterkg(ROOT, job[1], "query", job[0], "-f", "csv", cache=tmp_path).stdout

    out = in_parallel(jobs, csv)
    for name in names:
        assert out[name, "oxigraph"] == out[name, "memory"], name
        assert out[name, "memory"].count("\n") > 2, name


def test_list_order_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """GROUP_CONCAT lists and row order are fixed by the queries, not by Python's set order."""
    script = (
        "import hashlib, sys\n"
        "from clusterkg.paths import find_home\n"
        "from clusterkg.loader import load_dataset\n"
        "from clusterkg.catalog import list_queries, coerce_params, resolve_labels\n"
        "from clusterkg.store import run_query\n"
        "from clusterkg.results import render\n"
        "home = find_home(sys.argv[1]); dataset = load_dataset(home, 'memory')\n"
        "digest = hashlib.sha256()\n"
        "for q in list_queries(home):\n"
        "    values = resolve_labels(coerce_params(q, {}), dataset)\n"
        "    digest.update(render(run_query(dataset, q.text, values), 'json').encode())\n"
        "print(digest.hexdigest())\n"
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(ROOT)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env_for(tmp_path, PYTHONHASHSEED=seed),
        )
        for seed in ("0", "1")
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr
    assert outputs[0][0] == outputs[1][0]


# --- the Python API ------------------------------------------------------------------------


def normalised(result: Result) -> tuple[Any, ...]:
    """A result as comparable data: each term with its kind, lexical form, language, datatype."""

    def term(t: Any) -> Any:
        if isinstance(t, Literal):
            return ("literal", str(t), t.language, None if t.datatype is None else str(t.datatype))
        return None if t is None else (type(t).__name__, str(t))

    return (result.kind, result.variables, [tuple(term(t) for t in row) for row in result.rows])


@pytest.fixture(scope="module")
def api_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    cache = tmp_path_factory.mktemp("api-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLUSTERKG_CACHE_DIR", str(cache))
        yield cache


def answers(home_dir: Path, store: str) -> dict[str, tuple[Any, ...]]:
    """Every named query of a project, with its defaults, on one store."""
    home = find_home(str(home_dir))
    dataset = load_dataset(home, store)
    out = {}
    for query in list_queries(home):
        values = resolve_labels(coerce_params(query, {}), dataset)
        out[query.name] = normalised(run_query(dataset, query.text, values, name=query.name))
    return out


def test_api_gives_identical_answers_on_the_project(api_cache: Path) -> None:
    oxigraph, memory = answers(ROOT, "oxigraph"), answers(ROOT, "memory")
    assert list(oxigraph) == QUERY_NAMES
    for name in QUERY_NAMES:
        assert oxigraph[name] == memory[name], name
        assert oxigraph[name][2], f"{name}: no rows"


def test_the_project_holds_a_label_in_two_source_graphs(api_cache: Path) -> None:
    """Keeps the case that made Oxigraph 0.5 return duplicate rows (one per graph) covered."""
    dataset = load_dataset(find_home(str(ROOT)), "memory")
    siva = URIRef(CKR + "siva")
    graphs = {c.identifier for c in dataset.contexts((siva, RDFS_LABEL, Literal("SIVA")))}
    assert len(graphs) >= 2


def test_api_gives_one_row_per_total(api_cache: Path, tmp_path: Path) -> None:
    """Per source: one row per level, programme and funder set, and per stated total."""
    from conftest import copy_seed_project

    home = find_home(str(copy_seed_project(tmp_path / "seed")))
    query = next(q for q in list_queries(home) if q.name == "funding-totals")
    for store in STORES:
        result = run_query(load_dataset(home, store), query.text, name=query.name)
        keys = [(row[0], row[1], row[2], row[4]) for row in result.rows]
        assert len(keys) == len(set(keys)) == 5, store


# Facts with only their key links (no sources, lines, labels or modes), plus grants that only a
# funder stands behind, with two assertion modes, and labels in two forms: the places where
# engines part ways (GROUP_CONCAT over nothing, ordering a tagged label against a plain one).
SPARSE = """
@prefix ck: <https://w3id.org/clusterkg/ontology#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ckr: <https://w3id.org/clusterkg/id/> .
@prefix ckl: <https://w3id.org/clusterkg/level/> .
@prefix t: <urn:test:> .
<urn:test:graph> {
  t:c a ck:Cluster ; rdfs:label "test cluster" . t:c2 rdfs:label "Another cluster"@en .
  t:o a org:Organization . t:p a ck:Person . t:l a ck:Place .
  t:f1 a ck:LevelAssignment ; ck:cluster t:c ; ck:level t:lv .
  t:f2 a ck:Hosting ; ck:cluster t:c ; ck:host t:o .
  t:f3 a ck:ProgrammeOwnership ; ck:programme t:prog ; ck:owner t:o ;
        ck:sourceDocument t:doc .
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
  t:doc ck:fileName "900_test.txt" .
  t:funder rdfs:label "zeta funder" , "Alpha Funder"@en .
  t:g1 a ck:Grant ; schema:funder t:funder , ckr:siva ;
       ck:programme ckr:norwegian-innovation-clusters ;
       schema:fundedItem t:c ; ck:level ckl:arena ; ck:annualAmount 1000000.0 ;
       ck:period [ ck:duration "P2Y"^^xsd:duration ] ;
       ck:sourceDocument t:doc ; ck:assertionMode ck:stated ; ck:sourceLine t:L20 , t:L3 .
  t:g2 a ck:Grant ; schema:funder t:funder ;
       ck:programme ckr:norwegian-innovation-clusters ;
       schema:fundedItem t:c2 ; ck:totalAmount 500000.0 ;
       ck:sourceDocument t:doc ; ck:assertionMode ck:inferred ; ck:sourceLine t:L100 .
  t:g3 a ck:Grant ; schema:funder t:funder ;
       ck:programme ckr:norwegian-innovation-clusters ;
       schema:fundedItem t:c ; ck:totalAmount 700000.0 ;
       ck:sourceDocument t:doc ; ck:assertionMode ck:stated ; ck:sourceLine t:L7 .
  t:L3 ck:lineNumber 3 . t:L20 ck:lineNumber 20 .
  t:L100 ck:lineNumber 100 . t:L7 ck:lineNumber 7 .
  t:tot a ck:FundingTotal ; ck:totalAmount 1200000.0 ; ck:coversGrant t:g1 , t:g3 ;
       ck:sourceDocument t:doc ; ck:sourceLine t:L20 , t:L7 , t:L100 .
}
"""


def copy_project(target: Path) -> Path:
    """A copy of the project (the two documents' graphs), safe to change."""
    from conftest import copy_seed_project

    return copy_seed_project(target)


def test_api_gives_identical_answers_on_sparse_data(api_cache: Path, tmp_path: Path) -> None:
    home = copy_project(tmp_path / "project")
    (home / "graph" / "zz-sparse.trig").write_text(SPARSE, encoding="utf-8")
    oxigraph, memory = answers(home, "oxigraph"), answers(home, "memory")
    for name in QUERY_NAMES:
        assert oxigraph[name] == memory[name], name

    def rows(name: str) -> list[dict[str, Any]]:
        _, variables, found = memory[name]
        return [
            {v: (None if t is None else t[1]) for v, t in zip(variables, row, strict=True)}
            for row in found
        ]

    funders = [r for r in rows("programme-owners") if r["relation"] == "grant funder"]
    got = [(r["ownerLabel"], r["assertionMode"], r["grants"], r["lines"]) for r in funders]
    every_grant = "Another cluster; test cluster; test cluster (Arena)"
    assert got == [  # lines without ck:inDocument name no document: none are shown
        ("Alpha Funder", "inferred, stated", every_grant, None),
        ("SIVA", "stated", every_grant, None),
    ]
    owner = [r for r in rows("programme-owners") if r["owner"] == "urn:test:o"]
    assert [(r["grantCount"], r["grants"]) for r in owner] == [("0", None)]
    grants = {r["grant"]: r for r in rows("funding-per-cluster")}
    assert grants["urn:test:g1"]["funders"] == "Alpha Funder, SIVA"
    assert grants["urn:test:f4"]["funders"] is None and grants["urn:test:f4"]["lines"] is None
    stated = [r for r in rows("funding-totals") if r["basis"] == "stated"]
    assert [r["lines"] for r in stated if r["source"] == "900_test.txt"] == ["7, 20, 100"]
    # labels sort as text whether they carry a language tag or not
    clusters = [r["clusterLabel"] for r in rows("funding-per-cluster")]
    assert clusters == sorted(clusters)


# --- the Oxigraph store is kept on disk, reused, and rebuilt when a file changes -------------


def store_dirs(cache: Path) -> list[Path]:
    """The store directories in a cache: one directory per project, one store in each."""
    return sorted(
        p for project in cache.iterdir() for p in project.iterdir() if not p.name.startswith(".")
    )


def fingerprint_of(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def test_the_store_is_persisted_reused_and_rebuilt(tmp_path: Path) -> None:
    home = copy_project(tmp_path / "project")
    cache = tmp_path / "cache"
    probe = tmp_path / "probe.rq"
    probe.write_text(
        "SELECT ?o WHERE { <urn:test:probe> <urn:test:says> ?o } ORDER BY ?o\n", encoding="utf-8"
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return clusterkg(home, "oxigraph", *args, cache=cache)

    def said(store: str = "oxigraph") -> list[str]:
        done = clusterkg(home, store, "query", str(probe), "-f", "json", cache=cache)
        assert done.returncode in (0, 1), done.stderr
        return [b["o"]["value"] for b in json.loads(done.stdout)["results"]["bindings"]]

    first = run("query", "hosts", "-f", "csv")
    assert first.returncode == 0, first.stderr
    (built,) = store_dirs(cache)
    assert (built / "READY").is_file()
    before = (fingerprint_of(built), fingerprint_of(built / "READY"), sorted(os.listdir(built)))

    second = run("query", "hosts", "-f", "csv")
    assert second.returncode == 0 and second.stdout == first.stdout
    assert store_dirs(cache) == [built]  # not rebuilt: same directory, untouched
    after = (fingerprint_of(built), fingerprint_of(built / "READY"), sorted(os.listdir(built)))
    assert after == before

    assert said() == []  # not there yet
    source = home / "graph" / "000_e55087a455a2a3a4.trig"
    text = source.read_text(encoding="utf-8")
    end = text.rstrip().rindex("}")  # the file's one named graph closes at its last brace
    source.write_text(
        text[:end] + '    <urn:test:probe> <urn:test:says> "changed" .\n' + text[end:],
        encoding="utf-8",
    )
    assert said() == ["changed"]
    (rebuilt,) = store_dirs(cache)  # a new store, and the old one is gone
    assert rebuilt != built and not built.exists()

    # Touching a file without changing it also makes a new store (size and mtime are checked).
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))
    assert said() == ["changed"]
    (touched,) = store_dirs(cache)
    assert touched != rebuilt

    # The memory store reads the files on every run and sees the same.
    assert said("memory") == ["changed"]


def test_each_project_has_its_own_store(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    one = copy_project(tmp_path / "one")
    two = copy_project(tmp_path / "two")
    for home in (one, two):
        run = clusterkg(home, "oxigraph", "query", "class-counts", "-f", "csv", cache=cache)
        assert run.returncode == 0, run.stderr
    stores = store_dirs(cache)
    assert len(stores) == 2 and stores[0].parent != stores[1].parent


# --- run_query reads Oxigraph's answer directly, with the terms oxrdflib + canonical() gave ----

TERMS = """
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix t: <urn:test:> .
<urn:test:g1> {
  t:s t:int "007"^^xsd:integer , "-0"^^xsd:int , "300"^^xsd:byte , "abc"^^xsd:integer ,
          " 12 "^^xsd:integer ;
      t:dec 6000000.0 , "0.000"^^xsd:decimal , "-1.50"^^xsd:decimal , "x"^^xsd:decimal ;
      t:dbl 1.0E0 , "NaN"^^xsd:double , "0.1"^^xsd:float ;
      t:str "plain" , "typed"^^xsd:string , "tab\\there" , "nb"@nb , "Mixed"@EN-gb ;
      t:other true , "1"^^xsd:boolean , "2024-01-05"^^xsd:date , "P1Y"^^xsd:duration ,
              "odd"^^<urn:test:custom> , <http://example.org/é> ;
      t:node [ t:int 7 ] , [ t:str "plain" ] .
}
<urn:test:g2> { t:s t:str "plain" . t:s2 t:int 7 . }
"""


@pytest.fixture()
def tiny_oxigraph() -> Any:
    """Loaded by Oxigraph's own parser, as clusterkg.oxstore loads a project."""
    import pyoxigraph as ox

    from clusterkg.oxstore import fill_union, wrap

    store = ox.Store()
    store.load(TERMS, format=ox.RdfFormat.TRIG)
    fill_union(store)
    return wrap(store)


def through_oxrdflib(dataset: Any, text: str) -> list[tuple[Any, ...]]:
    """The rows as run_query made them before: oxrdflib's terms, then canonical().

    The query runs on the default graph, which holds the set union of the named graphs.
    """
    from rdflib import Graph
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    from clusterkg.store import canonical

    default = Graph(store=dataset.store, identifier=DATASET_DEFAULT_GRAPH_ID)
    return [tuple(canonical(t) for t in row) for row in default.query(text)]


def exact(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows down to each term's class, lexical form, language and datatype."""
    return [tuple(None if t is None else (type(t), repr(t)) for t in row) for row in rows]


def test_oxigraph_rows_keep_the_terms_oxrdflib_and_canonical_gave(
    tiny_oxigraph: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oxrdflib import OxigraphStore

    cells = (
        "SELECT ?s ?p ?o ?unbound WHERE { ?s ?p ?o OPTIONAL { ?o <urn:test:none> ?unbound } }"
        " ORDER BY ?s ?p ?o"
    )
    made = (  # computed terms, and a term bound to rdf:type-style prefixed names
        "SELECT ?a ?b ?c ?d ?e WHERE { BIND(1 + 2 AS ?a) BIND(1.5 * 2 AS ?b) BIND(10 / 4 AS ?c)"
        ' BIND(STRLANG("x", "NB") AS ?d) BIND(xsd:decimal("2.50") AS ?e) }'
    )
    expected = {text: through_oxrdflib(tiny_oxigraph, text) for text in (cells, made)}
    # 27 distinct triples: t:s t:str "plain" is in both graphs and matches once (a set)
    assert len(expected[cells]) == 27 and all(row[3] is None for row in expected[cells])

    def not_through_oxrdflib(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("run_query went through oxrdflib")

    monkeypatch.setattr(OxigraphStore, "query", not_through_oxrdflib)
    for text, rows in expected.items():
        result = run_query(tiny_oxigraph, text)
        assert result.kind == "SELECT"
        assert exact(result.rows) == exact(rows)
    assert run_query(tiny_oxigraph, cells).variables == ["s", "p", "o", "unbound"]
    # blank nodes keep their Oxigraph ids, the same node in every row it is in
    nodes = {row[2] for row in run_query(tiny_oxigraph, cells).rows if row[1].endswith("node")}
    assert len(nodes) == 2 and all(type(n).__name__ == "BNode" for n in nodes)


def test_oxigraph_answers_ask_bindings_and_empty_selects(
    tiny_oxigraph: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oxrdflib import OxigraphStore

    monkeypatch.setattr(OxigraphStore, "query", None)  # never called: it would fail
    ask = "ASK { ?s <urn:test:str> ?o }"
    assert run_query(tiny_oxigraph, ask) == Result(kind="ASK", boolean=True)
    no = run_query(tiny_oxigraph, ask, {"o": Literal("nowhere")})
    assert no.kind == "ASK" and no.boolean is False and no.is_empty
    # parameters are bound as terms, a language tag and a plain string apart
    pick = "SELECT ?s WHERE { ?s <urn:test:str> ?o } ORDER BY ?s"
    assert run_query(tiny_oxigraph, pick, {"o": Literal("Mixed", lang="en-gb")}).rows == [
        (URIRef("urn:test:s"),)
    ]
    plain = [row[0] for row in run_query(tiny_oxigraph, pick, {"o": Literal("plain")}).rows]
    # t:s t:str "plain" is in two graphs: one triple of the union (a set), so one row
    assert [type(s).__name__ for s in plain] == ["BNode", "URIRef"]
    # no variables: no rows, as rdflib's Result gave; no solutions: no rows either
    assert run_query(tiny_oxigraph, "SELECT * WHERE { }").rows == []
    none = run_query(tiny_oxigraph, "SELECT ?x WHERE { ?x <urn:test:none> ?y }")
    assert none.variables == ["x"] and none.rows == [] and none.is_empty


def test_oxigraph_construct_and_errors_are_as_before(tiny_oxigraph: Any) -> None:
    from clusterkg.errors import ClusterKGError

    construct = "CONSTRUCT { ?s <urn:test:copy> ?o } WHERE { ?s <urn:test:dec> ?o }"
    expected = set(tiny_oxigraph.query(construct).graph)  # type: ignore[union-attr]
    result = run_query(tiny_oxigraph, construct)
    assert result.kind == "CONSTRUCT" and result.graph is not None
    assert set(result.graph) == expected and len(expected) == 4
    described = run_query(tiny_oxigraph, "DESCRIBE <urn:test:s2>")
    assert described.kind == "CONSTRUCT" and len(described.graph or ()) == 1
    with pytest.raises(ClusterKGError, match=r"^bad: SPARQL syntax error: "):
        run_query(tiny_oxigraph, "SELECT ?x WHERE { ?x", name="bad")
    far = "SELECT * WHERE { SERVICE <http://127.0.0.1:1/x> { ?s ?p ?o } }"
    with pytest.raises(ClusterKGError, match=r"^far: SERVICE is not allowed"):
        run_query(tiny_oxigraph, far, name="far")
    with pytest.raises(ClusterKGError, match=r"^far: query failed: OSError: "):
        run_query(tiny_oxigraph, far, name="far", federated=True)


# --- store versions: only what changed is loaded again; readers and killed writers ----------

UNION_PROBE = "SELECT ?o (COUNT(*) AS ?n) WHERE { <urn:test:s> <urn:test:p> ?o } GROUP BY ?o " \
              "ORDER BY ?o\n"


def probe_graph(name: str, values: list[str]) -> str:
    triples = "".join(f'    <urn:test:s> <urn:test:p> "{v}" .\n' for v in values)
    return f"<urn:test:graph:{name}> {{\n{triples}}}\n"


def union_rows(home: Path, store: str, cache: Path, probe: Path) -> list[tuple[str, str]]:
    done = clusterkg(home, store, "query", str(probe), "-f", "csv", cache=cache)
    assert done.returncode in (0, 1), done.stderr
    return [tuple(line.split(",")) for line in done.stdout.splitlines()[1:]]


def test_a_changed_file_changes_only_its_graph_and_the_union_stays_a_set(tmp_path: Path) -> None:
    """After adding, rewriting, renaming and removing graph files, the store (brought up to
    date graph by graph from the previous version) answers as a fresh parse does: a triple
    two graphs hold counts once, and stays while either graph holds it."""
    home = copy_project(tmp_path / "project")
    cache = tmp_path / "cache"
    probe = tmp_path / "probe.rq"
    probe.write_text(UNION_PROBE, encoding="utf-8")
    graph = home / "graph"
    steps: list[Callable[[], None]] = [
        lambda: (graph / "zz-a.trig").write_text(probe_graph("a", ["x", "y"]), encoding="utf-8"),
        lambda: (graph / "zz-b.trig").write_text(probe_graph("b", ["y", "z"]), encoding="utf-8"),
        lambda: (graph / "zz-a.trig").write_text(probe_graph("a", ["x"]), encoding="utf-8"),
        lambda: (graph / "zz-b.trig").rename(graph / "zz-c.trig"),
        lambda: (graph / "zz-c.trig").unlink(),
        lambda: (graph / "zz-a.trig").write_text(probe_graph("a", ["w", "x"]), encoding="utf-8"),
    ]
    expected = [
        [("x", "1"), ("y", "1")],
        [("x", "1"), ("y", "1"), ("z", "1")],
        [("x", "1"), ("y", "1"), ("z", "1")],  # y: still in b
        [("x", "1"), ("y", "1"), ("z", "1")],
        [("x", "1")],  # y and z went with the last graph that held them
        [("w", "1"), ("x", "1")],
    ]
    assert union_rows(home, "oxigraph", cache, probe) == []
    for step, wanted in zip(steps, expected, strict=True):
        step()
        assert union_rows(home, "oxigraph", cache, probe) == wanted
        assert union_rows(home, "memory", cache, probe) == wanted
        (version,) = store_dirs(cache)
        files = json.loads((version / "manifest.json").read_text())["files"]
        assert sorted(k for k in files if k.startswith("graph/zz-")) == sorted(
            f"graph/{p.name}" for p in graph.glob("zz-*"))
    # A graph file that names a graph another file holds is refused, as a fresh parse does.
    (graph / "zz-d.trig").write_text(probe_graph("a", ["v"]), encoding="utf-8")
    clash = clusterkg(home, "oxigraph", "query", str(probe), cache=cache)
    assert clash.returncode == 2 and "already defined in zz-a.trig" in clash.stderr, clash.stderr


def test_graph_files_hold_the_store_graphs_and_an_older_version_keeps_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What validation, in-memory copies and exports read (each graph's N-Triples file) holds
    exactly the triples of the store's graph, also after a changed file made the next version
    from the previous one; the previous version's files (hard-linked, not copied) are not
    touched by that."""
    import pyoxigraph as ox

    from clusterkg.oxstore import graph_files, open_dataset
    from clusterkg.store import oxigraph_store

    home = copy_project(tmp_path / "project")
    monkeypatch.setenv("CLUSTERKG_CACHE_DIR", str(tmp_path / "cache"))
    probe = home / "graph" / "zz-a.trig"
    probe.write_text(probe_graph("a", ["x"]), encoding="utf-8")
    first = open_dataset(find_home(str(home)))
    old = graph_files(first)
    assert old is not None
    before = {name: path.read_bytes() for name, path in old}
    probe.write_text(probe_graph("a", ["x", "y"]), encoding="utf-8")
    second = open_dataset(find_home(str(home)))
    files, inner = graph_files(second), oxigraph_store(second)
    assert files is not None and inner is not None
    assert sorted(name for name, _ in files) == sorted(
        g.value for g in inner.named_graphs() if isinstance(g, ox.NamedNode))
    for name, path in files:
        canonical = ox.Store()  # literals in the store's canonical form, blank nodes kept
        canonical.extend(ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES))
        in_file = {q.triple for q in canonical}
        in_store = {q.triple for q in inner.quads_for_pattern(None, None, None,
                                                              ox.NamedNode(name))}
        assert in_file == in_store, name
    changed = dict(files)["urn:test:graph:a"]
    assert len(changed.read_bytes().splitlines()) == 2
    assert {name: path.read_bytes() for name, path in old} == before


HEAVY_QUERY = """#+ summary: Triples about a cluster, or in the whole graph
#+ description: A test query that says it reads most of the graph, to be run in memory.
#+ params:
#+   cluster:
#+     type: entity
#+     description: the cluster
#+ in_memory: true
SELECT (COUNT(*) AS ?n) WHERE { ?cluster ?p ?o } ORDER BY ?n
"""


def test_a_query_reads_the_store_in_place_unless_its_header_asks_for_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a query whose header says ``in_memory: true`` is run on a copy in memory (made
    from the version's graph files), and not when it is asked about an entity: with the
    graph files gone, that copy cannot be made, while reading in place still answers."""
    from clusterkg.oxstore import graph_files, open_dataset

    home = copy_project(tmp_path / "project")
    cache = tmp_path / "cache"
    (home / "queries" / "heavy.rq").write_text(HEAVY_QUERY, encoding="utf-8")
    (home / "queries" / "plain.rq").write_text(
        HEAVY_QUERY.replace("#+ in_memory: true\n", ""), encoding="utf-8")
    counted = clusterkg(home, "oxigraph", "query", "heavy", "-f", "csv", cache=cache)
    assert counted.returncode == 0, counted.stderr
    monkeypatch.setenv("CLUSTERKG_CACHE_DIR", str(cache))
    files = graph_files(open_dataset(find_home(str(home))))
    assert files
    for _, path in files:
        path.unlink()
    plain = clusterkg(home, "oxigraph", "query", "plain", "-f", "csv", cache=cache)
    assert plain.returncode == 0 and plain.stdout == counted.stdout, plain.stderr
    about = clusterkg(home, "oxigraph", "query", "heavy", "-p", "cluster=NSCC", cache=cache)
    assert about.returncode == 0, about.stderr
    heavy = clusterkg(home, "oxigraph", "query", "heavy", cache=cache)
    assert heavy.returncode == 2 and "incomplete" in heavy.stderr, heavy.stderr
    (home / "queries" / "bad.rq").write_text(
        HEAVY_QUERY.replace("in_memory: true", "in_memory: often"), encoding="utf-8")
    bad = clusterkg(home, "oxigraph", "query", "bad", cache=cache)
    assert bad.returncode == 2 and "'in_memory' must be true or false" in bad.stderr


def test_a_reader_keeps_its_version_while_a_writer_makes_the_next(tmp_path: Path) -> None:
    """A process that has the store open goes on reading its version, unchanged, while the
    files change and another command makes (and reads) the next version; the old version is
    removed once no process reads it."""
    home = copy_project(tmp_path / "project")
    cache = tmp_path / "cache"
    probe = tmp_path / "probe.rq"
    probe.write_text(UNION_PROBE, encoding="utf-8")
    (home / "graph" / "zz-a.trig").write_text(probe_graph("a", ["old"]), encoding="utf-8")
    reader = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys\n"
            "from clusterkg.loader import load_dataset\n"
            "from clusterkg.paths import find_home\n"
            "from clusterkg.store import run_query\n"
            f"d = load_dataset(find_home({str(home)!r}), 'oxigraph')\n"
            f"q = open({str(probe)!r}).read()\n"
            "for line in sys.stdin:\n"
            "    print([str(r[0]) for r in run_query(d, q).rows], flush=True)\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env_for(cache),
    )
    assert reader.stdin is not None and reader.stdout is not None
    try:
        reader.stdin.write("go\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "['old']"
        (first,) = store_dirs(cache)
        (home / "graph" / "zz-a.trig").write_text(probe_graph("a", ["new"]), encoding="utf-8")
        assert union_rows(home, "oxigraph", cache, probe) == [("new", "1")]
        assert first.exists() and len(store_dirs(cache)) == 2  # still read: kept
        reader.stdin.write("go\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "['old']"
    finally:
        reader.stdin.close()
        reader.wait(timeout=60)
    (home / "graph" / "zz-a.trig").write_text(probe_graph("a", ["newer"]), encoding="utf-8")
    assert union_rows(home, "oxigraph", cache, probe) == [("newer", "1")]
    assert not first.exists() and len(store_dirs(cache)) == 1


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5])
def test_a_command_killed_while_making_a_version_leaves_a_store_that_matches(
    tmp_path: Path, delay: float
) -> None:
    """SIGKILL in the middle of making a version (first build, or an update after a change):
    the next command opens a store that matches the files, and no scratch copy is left."""
    import signal
    import time

    home = copy_project(tmp_path / "project")
    cache = tmp_path / "cache"
    probe = tmp_path / "probe.rq"
    probe.write_text(UNION_PROBE, encoding="utf-8")
    for values in (["a"], ["a", "b"]):  # the first build, then an update of one graph
        (home / "graph" / "zz-a.trig").write_text(probe_graph("a", values), encoding="utf-8")
        victim = subprocess.Popen(
            [sys.executable, "-m", "clusterkg", "--home", str(home), "query", str(probe)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env_for(cache))
        time.sleep(delay)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        assert union_rows(home, "oxigraph", cache, probe) == [(v, "1") for v in values]
        assert union_rows(home, "memory", cache, probe) == [(v, "1") for v in values]
        leftovers = [p.name for project in cache.iterdir() for p in project.iterdir()
                     if p.name.startswith(".building-")]
        assert leftovers == []
