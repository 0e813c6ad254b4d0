"""End-to-end tests of the `clusterkg` command (subprocesses) plus a few unit tests."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import SH, XSD

from conftest import (
    FIXTURE,
    ROOT,
    Runner,
    assert_one_line_error,
    build_wheel,
    cli_env,
    snapshot,
)

CLUSTER_COLUMNS = ["cluster", "clusterLabel", "level", "members"]
BAD_GRAPH = """\
@prefix ck: <https://w3id.org/clusterkg/ontology#> .
@prefix ckr: <https://w3id.org/clusterkg/id/> .
@prefix ckg: <https://w3id.org/clusterkg/graph/> .
ckg:001_bad {
    ckr:nameless a ck:Cluster ; ck:memberCount -3, "many" .
}
"""


def add_bad_graph(home: Path) -> None:
    (home / "graph" / "001_bad.trig").write_text(BAD_GRAPH, encoding="utf-8")


# --- help, version ------------------------------------------------------------------------


def test_help_and_version(run: Runner) -> None:
    top = run("--help", home=None)
    assert top.returncode == 0 and "Examples" in top.stdout
    for command in ("build", "validate", "queries", "query", "stats", "demo"):
        result = run(command, "--help", home=None)
        assert result.returncode == 0, result.stderr
        assert "Examples" in result.stdout, command
    version = run("--version", home=None)
    assert version.returncode == 0
    assert re.fullmatch(r"clusterkg \d+\.\d+\.\d+\S*\n", version.stdout)


# --- build --------------------------------------------------------------------------------


def test_build_writes_four_files_that_parse_back(run: Runner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("build", "--out", str(out))
    assert result.returncode == 0, result.stderr
    quads, union = map(
        int, re.search(r"(\d+) quads, (\d+) distinct triples", result.stdout).groups()
    )
    assert "ckg:000_fixture" in result.stdout and "ckg:ontology" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "clusterkg.jsonld", "clusterkg.nt", "clusterkg.trig", "clusterkg.ttl",
    ]  # and no temp files left behind
    for name, fmt, expected in (
        ("clusterkg.trig", "trig", quads),
        ("clusterkg.jsonld", "json-ld", quads),
    ):
        dataset = Dataset()
        dataset.parse(out / name, format=fmt)
        assert sum(1 for _ in dataset.quads()) == expected, name
    for name, fmt in (("clusterkg.ttl", "turtle"), ("clusterkg.nt", "nt")):
        assert len(Graph().parse(out / name, format=fmt)) == union, name
    assert quads > 0 and union > 0


def test_build_default_out_is_dist_in_cwd(run: Runner, tmp_path: Path) -> None:
    result = run("build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dist" / "clusterkg.trig").is_file()


# --- validate -----------------------------------------------------------------------------


def test_validate_conforming(run: Runner) -> None:
    result = run("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conforms" in result.stdout and "NOT" not in result.stdout
    as_json = json.loads(run("validate", "--format", "json").stdout)
    assert as_json == {"conforms": True, "results": []}


def test_validate_non_conforming_text(run: Runner, home: Path) -> None:
    add_bad_graph(home)
    result = run("validate", home=home)
    assert result.returncode == 1, result.stderr
    assert "does NOT conform" in result.stdout
    assert "Violation: ckr:nameless" in result.stdout
    assert "A cluster needs a name (rdfs:label)." in result.stdout
    assert "The member count (-3) must not be negative." in result.stdout  # SHACL-SPARQL


def test_validate_json_is_stable_and_structured(run: Runner, home: Path) -> None:
    add_bad_graph(home)
    first = run("validate", "--format", "json", home=home)
    second = run("validate", "--format", "json", home=home)
    assert first.returncode == 1
    assert first.stdout == second.stdout
    report = json.loads(first.stdout)
    assert set(report) == {"conforms", "results"} and report["conforms"] is False
    keys = {
        "severity", "focusNode", "focusLabel", "resultPath", "value", "message",
        "sourceConstraintComponent", "sourceShape",
    }
    assert report["results"] and all(set(r) == keys for r in report["results"])
    paths = {r["resultPath"] for r in report["results"]}
    assert "http://www.w3.org/2000/01/rdf-schema#label" in paths
    assert {r["severity"] for r in report["results"]} == {"Violation"}


def test_validate_turtle_is_the_report_graph(run: Runner, home: Path) -> None:
    add_bad_graph(home)
    result = run("validate", "--format", "turtle", home=home)
    assert result.returncode == 1
    graph = Graph().parse(data=result.stdout, format="turtle")
    report = graph.value(predicate=SH.conforms, object=Literal(False))
    assert report is not None
    assert len(list(graph.objects(report, SH.result))) >= 3


def test_validate_lang_nb_picks_norwegian_messages(run: Runner, home: Path) -> None:
    add_bad_graph(home)
    result = run("validate", "--lang", "nb", home=home)
    assert result.returncode == 1
    assert "En klynge må ha et navn (rdfs:label)." in result.stdout
    assert "Antall medlemmer (-3) kan ikke være negativt." in result.stdout
    assert "A cluster needs a name" not in result.stdout
    nb = json.loads(run("validate", "-f", "json", "--lang", "nb", home=home).stdout)
    assert all(r["message"] for r in nb["results"])


def test_validate_with_rdfs_inference(run: Runner) -> None:
    assert run("validate", "--inference", "rdfs").returncode == 0


# --- queries / query ----------------------------------------------------------------------


def test_queries_lists_names_summaries_and_params(run: Runner) -> None:
    result = run("queries")
    assert result.returncode == 0, result.stderr
    assert "clusters-by-level - Clusters at a programme level (test fixture)" in result.stdout
    assert "--param cluster=<entity>  (required)" in result.stdout
    assert "--param min=<integer>  (default: 0)" in result.stdout
    listed = json.loads(run("queries", "--format", "json").stdout)
    members = next(q for q in listed if q["name"] == "cluster-members")
    assert [p["name"] for p in members["params"]] == ["cluster", "min", "since", "share", "active"]
    assert members["params"][4] == {
        "name": "active", "type": "boolean", "default": "true", "required": False,
        "description": "",
    }


def test_query_json_follows_w3c_results_format(run: Runner) -> None:
    result = run("query", "clusters-by-level", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["head"]["vars"] == CLUSTER_COLUMNS
    bindings = doc["results"]["bindings"]
    assert len(bindings) == 3
    first = bindings[0]
    assert first["cluster"] == {"type": "uri", "value": "https://w3id.org/clusterkg/id/ocean-hyway"}
    assert first["clusterLabel"] == {
        "type": "literal", "value": "Ocean Hyway Cluster", "xml:lang": "en",
    }
    assert first["members"] == {"type": "literal", "value": "40", "datatype": str(XSD.integer)}


def test_query_csv_header_rows_and_order(run: Runner) -> None:
    result = run("query", "clusters-by-level", "--format", "csv", raw=True)
    assert result.returncode == 0
    text = result.stdout.decode("utf-8")
    assert text.startswith("cluster,clusterLabel,level,members\r\n")  # RFC 4180 line ends
    assert text.count("\r\n") == 4
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0].rsplit("/", 1)[1] for r in rows[1:]] == ["ocean-hyway", "valide", "arena-x"]
    assert rows[1][3] == "40"  # plain lexical form


def test_query_limit_and_offset_page_through_rows_in_order(run: Runner) -> None:
    """--limit/--offset cut the ordered rows; what was left out is said on stderr, once."""
    def labels(*args: str) -> tuple[list[str], str, int]:
        done = run("query", "clusters-by-level", "-f", "csv", *args)
        rows = list(csv.reader(io.StringIO(done.stdout)))[1:]
        return [r[0].rsplit("/", 1)[1] for r in rows], done.stderr, done.returncode

    assert labels() == (["ocean-hyway", "valide", "arena-x"], "", 0)
    rows, note, code = labels("--limit", "1", "--offset", "1")
    assert (rows, code) == (["valide"], 0)
    assert note.strip() == ("clusterkg: rows 2-2 of 3 shown; --limit and --offset show others, "
                            "-f csv or -f json with no --limit gives every row")
    rows, note, code = labels("--offset", "5")
    assert (rows, code) == ([], 1) and "no rows after --offset 5: the answer has 3 rows" in note
    assert labels("--limit", "0")[0] == []
    bad = run("query", "clusters-by-level", "--limit", "-1")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_query_table_shows_the_first_hundred_rows_and_says_how_many_more(
    run: Runner, tmp_path: Path
) -> None:
    many = tmp_path / "many.rq"
    many.write_text("SELECT ?n WHERE { VALUES ?n { " + " ".join(map(str, range(250)))
                    + " } } ORDER BY ?n\n", encoding="utf-8")
    table = run("query", str(many))
    assert table.returncode == 0
    assert " 99 " in table.stdout and " 100 " not in table.stdout
    assert "rows 1-100 of 250 shown" in table.stderr
    whole = run("query", str(many), "-f", "csv")
    assert whole.stdout.split() == ["n", *map(str, range(250))] and whole.stderr == ""


def test_query_tsv_uses_ntriples_terms(run: Runner) -> None:
    result = run("query", "clusters-by-level", "--format", "tsv")
    assert result.returncode == 0
    lines = result.stdout.split("\n")
    assert lines[0] == "?cluster\t?clusterLabel\t?level\t?members"
    assert lines[1].split("\t") == [
        "<https://w3id.org/clusterkg/id/ocean-hyway>",
        '"Ocean Hyway Cluster"@en',
        "<https://w3id.org/clusterkg/level/nce>",
        f'"40"^^<{XSD.integer}>',
    ]


def test_query_table_compacts_iris_and_keeps_brackets(run: Runner) -> None:
    result = run("query", "clusters-by-level")
    assert result.returncode == 0
    for text in ("ckl:arena-pro", "Arena X [beta]"):
        assert text in result.stdout
    header = result.stdout.splitlines()[1]
    assert "cluster" in header and "clusterLabel" not in header  # the label column reads "cluster"
    assert "https://w3id.org/clusterkg/id/" not in result.stdout
    # The IRI column `cluster` is hidden in tables because `clusterLabel` names it ...
    assert "ckr:valide" not in result.stdout
    # ... but every column stays in the machine-readable formats.
    csv_out = run("query", "clusters-by-level", "--format", "csv").stdout
    assert csv_out.splitlines()[0].split(",")[:2] == ["cluster", "clusterLabel"]
    assert "https://w3id.org/clusterkg/id/valide" in csv_out


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (["level=ckl:arena-pro"], ["valide", "arena-x"]),
        (["level=<https://w3id.org/clusterkg/level/arena-pro>"], ["valide", "arena-x"]),
        (["level=https://w3id.org/clusterkg/level/nce"], ["ocean-hyway"]),
        (["name=Valide"], ["valide"]),
        (["level=ckl:nce", "name=Valide"], []),
    ],
)
def test_query_params_are_bound(run: Runner, params: list[str], expected: list[str]) -> None:
    args = [a for p in params for a in ("--param", p)]
    result = run("query", "clusters-by-level", *args, "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
    assert [r[0].rsplit("/", 1)[1] for r in rows] == expected
    assert result.returncode == (0 if expected else 1)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (["cluster=ckr:valide"], ["valide"]),
        (["cluster=valide cluster"], ["valide"]),  # skos:altLabel, any case
        (["cluster=OCEAN HYWAY CLUSTER", "min=41"], []),
        (["cluster=ckr:arena-x", "since=2021-01-01"], ["arena-x"]),
        (["cluster=ckr:valide", "since=2021-01-01"], []),
        (["cluster=ckr:arena-x", "share=0.1"], []),
        (["cluster=ckr:arena-x", "share=.5", "active=false"], ["arena-x"]),
    ],
)
def test_query_typed_params(run: Runner, params: list[str], expected: list[str]) -> None:
    args = [a for p in params for a in ("-p", p)]
    result = run("query", "cluster-members", *args, "-f", "json")
    assert result.returncode == (0 if expected else 1), result.stderr
    bindings = json.loads(result.stdout)["results"]["bindings"]
    assert [b["cluster"]["value"].rsplit("/", 1)[1] for b in bindings] == expected


@pytest.mark.parametrize("value", ['x" } ; DROP', "x' } UNION { ?s ?p ?o }", 'a\\"b\n}'])
def test_string_param_cannot_break_the_query(run: Runner, value: str) -> None:
    result = run("query", "clusters-by-level", "--param", f"name={value}", "--format", "json")
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["results"]["bindings"] == []
    csv_out = run("query", "clusters-by-level", "-p", f"name={value}", "-f", "csv", raw=True)
    assert csv_out.returncode == 1
    assert csv_out.stdout == b"cluster,clusterLabel,level,members\r\n"


def test_query_file_path(run: Runner) -> None:
    path = FIXTURE / "queries" / "clusters-by-level.rq"
    result = run("query", str(path), "-f", "csv")
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 4


# --- bad input: one line on stderr, exit 2, nothing under the home changed -----------------


def bad_turtle(home: Path) -> None:
    (home / "ontology" / "broken.ttl").write_text(
        "@prefix ck: <https://w3id.org/clusterkg/ontology#> .\n\nck:A a ck:B ;\n"
        "    ck:c ck:d\nck:e ck:f ck:g .\n",
        encoding="utf-8",
    )


def bad_trig(home: Path) -> None:
    (home / "graph" / "002_broken.trig").write_text(
        "@prefix ckg: <https://w3id.org/clusterkg/graph/> .\nckg:002_broken {\n"
        "    <urn:a> <urn:b> <urn:c> .\n    <urn:a> <urn:b> .\n}\n",
        encoding="utf-8",
    )


def two_graphs(home: Path) -> None:
    (home / "graph" / "003_two.trig").write_text(
        "GRAPH <urn:g1> { <urn:a> <urn:b> <urn:c> . }\nGRAPH <urn:g2> { <urn:a> <urn:b> 1 . }\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize("command", [["build"], ["validate"], ["stats"],
                                     ["query", "clusters-by-level"]])
@pytest.mark.parametrize(
    ("damage", "fragments"),
    [
        (bad_turtle, ["broken.ttl", "line 5"]),
        (bad_trig, ["002_broken.trig", "line 4"]),
        (two_graphs, ["003_two.trig", "exactly one named graph", "urn:g1", "urn:g2"]),
    ],
)
def test_malformed_data_file(
    run: Runner, home: Path, tmp_path: Path, command: list[str], damage, fragments: list[str]
) -> None:
    damage(home)
    before = snapshot(home)
    extra = ["--out", str(tmp_path / "o")] if command == ["build"] else []
    result = run(*command, *extra, home=home)
    assert_one_line_error(result, *fragments)
    assert snapshot(home) == before
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["query", "no-such-query"], ["unknown query 'no-such-query'",
                                       "cluster-members, clusters-by-level"]),
        (["query", "missing.rq"], ["no such query file"]),
        (["query", "clusters-by-level", "-p", "colour=red"],
         ["unknown parameter 'colour'", "level (iri), name (string)"]),
        (["query", "clusters-by-level", "-p", "level"], ["NAME=VALUE"]),
        (["query", "clusters-by-level", "-p", "name=a", "-p", "name=b"], ["more than once"]),
        (["query", "cluster-members"], ["needs parameter 'cluster'"]),
        (["query", "cluster-members", "-p", "cluster=ckr:valide", "-p", "min=abc"],
         ["'min' expects integer", "abc"]),
        (["query", "cluster-members", "-p", "cluster=ckr:valide", "-p", "since=2020-13-01"],
         ["'since' expects date", "2020-13-01"]),
        (["query", "cluster-members", "-p", "cluster=ckr:valide", "-p", "share=1,5"],
         ["'share' expects decimal"]),
        (["query", "cluster-members", "-p", "cluster=ckr:valide", "-p", "active=maybe"],
         ["'active' expects boolean"]),
        (["query", "clusters-by-level", "-p", "level=nope:x"], ["unknown prefix 'nope:'"]),
        (["query", "clusters-by-level", "-p", "level=<https://x/a b>"], ["not a valid IRI"]),
        (["query", "cluster-members", "-p", "cluster=Nobody"], ["nothing found labelled 'Nobody'"]),
        (["query", "cluster-members", "-p", "cluster=TWIN"],
         ["matches 2 entities", "ckr:twin-a", "ckr:twin-b"]),
        (["query", "clusters-by-level", "--format", "xml"], ["--format"]),
        (["validate", "--lang", "de"], ["--lang"]),
        (["frobnicate"], ["No such command"]),
    ],
)
def test_bad_usage(run: Runner, home: Path, args: list[str], fragments: list[str]) -> None:
    before = snapshot(home)
    assert_one_line_error(run(*args, home=home), *fragments)
    assert snapshot(home) == before


def test_missing_home(run: Runner, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    for command in (["queries"], ["validate"], ["build"], ["query", "x"]):
        assert_one_line_error(run(*command, home=missing), str(missing), "does not exist")
    assert not missing.exists()


def test_home_that_is_not_a_project(run: Runner, tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("not a directory\n")
    assert_one_line_error(run("queries", home=a_file), "not a directory")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(run("stats", home=empty), "holds none of")
    assert a_file.read_text() == "not a directory\n" and not any(empty.iterdir())


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a mode-000 directory")
def test_unreadable_home(run: Runner, home: Path) -> None:
    home.chmod(0)
    try:
        assert_one_line_error(run("queries", home=home), "not readable")
    finally:
        home.chmod(0o755)


def test_home_from_environment(run: Runner, tmp_path: Path) -> None:
    ok = run("queries", home=None, env=cli_env(CLUSTERKG_HOME=str(FIXTURE)))
    assert ok.returncode == 0 and "cluster-members" in ok.stdout
    bad = run("queries", home=None, env=cli_env(CLUSTERKG_HOME=str(tmp_path / "gone")))
    assert_one_line_error(bad, "gone", "$CLUSTERKG_HOME")


# --- stats, demo --------------------------------------------------------------------------


def test_stats(run: Runner, home: Path) -> None:
    result = run("stats")
    assert result.returncode == 0, result.stderr
    assert re.search(r"ck:Cluster\s+3", result.stdout)
    assert re.search(r"ckg:000_fixture\s+\d+", result.stdout)
    assert "conflicts" not in result.stdout  # no such named query in the fixture
    shutil.copy(home / "queries" / "clusters-by-level.rq", home / "queries" / "conflicts.rq")
    with_conflicts = run("stats", "--format", "json", home=home)
    doc = json.loads(with_conflicts.stdout)
    assert doc["factsWithConflicts"] == 3
    assert doc["instancesPerClass"]["https://w3id.org/clusterkg/ontology#Cluster"] == 3


def test_demo(run: Runner, home: Path, tmp_path: Path) -> None:
    result = run("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dist" / "clusterkg.ttl").is_file()
    assert "SHACL validation: conforms" in result.stdout
    # the fixture project holds none of the demo's queries: they are skipped, quietly
    assert "─" not in result.stdout and result.stderr == ""
    add_bad_graph(home)
    failing = run("demo", "--out", str(tmp_path / "d2"), home=home)
    assert failing.returncode == 1
    assert "does NOT conform" in failing.stdout


# --- unit tests ---------------------------------------------------------------------------


def test_values_block_escapes_terms_and_matches_init_bindings() -> None:
    from clusterkg.store import new_dataset, run_query, values_block, with_values

    nasty = 'x" } ; DROP ALL ; \\ \n\t\r end'
    dataset = new_dataset()
    graph = dataset.graph(URIRef("https://w3id.org/clusterkg/graph/t"))
    graph.add((URIRef("urn:a"), URIRef("urn:label"), Literal(nasty)))
    graph.add((URIRef("urn:b"), URIRef("urn:label"), Literal("plain")))
    graph.add((URIRef("urn:c"), URIRef("urn:label"), Literal("hei", lang="nb")))
    graph.add((URIRef("urn:d"), URIRef("urn:n"), Literal(5, datatype=XSD.integer)))
    query = "SELECT ?s WHERE { ?s ?p ?label } ORDER BY ?s"
    for term in (Literal(nasty), Literal("hei", lang="nb"), Literal(5, datatype=XSD.integer),
                 URIRef("urn:label")):
        var = "p" if isinstance(term, URIRef) else "label"
        block = values_block({var: term})
        assert "\n" not in block and "\t" not in block
        via_values = run_query(dataset, with_values(query, {var: term}))
        via_bindings = run_query(dataset, query, {var: term})
        assert via_values.rows == via_bindings.rows and via_values.rows
    assert values_block({"x": Literal('a"b')}) == 'VALUES (?x) { ("a\\"b") }'
    assert values_block({"x": None, "y": URIRef("urn:y")}) == "VALUES (?x ?y) { (UNDEF <urn:y>) }"
    assert values_block({}) == ""
    with pytest.raises(ValueError):
        values_block({"x": URIRef("urn:a> } DROP <urn:b")})
    with pytest.raises(ValueError):
        values_block({"bad name": Literal(1)})


def test_header_parsing() -> None:
    from clusterkg.catalog import header_text, load_query, parse_header

    query = load_query(FIXTURE / "queries" / "clusters-by-level.rq")
    assert query.summary == "Clusters at a programme level (test fixture)"
    assert query.description.startswith("Every cluster with its level")
    assert query.tags == ("levels",)
    assert query.params["level"].type == "iri" and query.params["level"].default is None
    assert parse_header("SELECT * WHERE {}") == {}
    text = "#+ summary: s\n#+ params:\n#+   d:\n#+     type: date\n#+     default: 2020-01-02\n"
    assert "  d:" in header_text(text)
    assert parse_header(text)["params"]["d"]["default"].isoformat() == "2020-01-02"


def test_parse_error_names_file_and_line(tmp_path: Path) -> None:
    from clusterkg.errors import ClusterKGError
    from clusterkg.loader import parse_turtle

    path = tmp_path / "x.ttl"
    path.write_text('<urn:a> <urn:b> "unterminated .\n<urn:c> <urn:d> <urn:e> .\n')
    with pytest.raises(ClusterKGError) as caught:
        parse_turtle(path)
    assert "x.ttl" in caught.value.message and "line" in caught.value.message
    assert "\n" not in caught.value.message and caught.value.exit_code == 2


def test_ruff_is_clean() -> None:
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "src", "tests"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- packaging ----------------------------------------------------------------------------


@pytest.mark.slow
def test_wheel_works_outside_the_checkout(tmp_path: Path) -> None:
    """Build a wheel (with the fixture as data), install it in a fresh venv, run it elsewhere."""
    wheel = build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert "clusterkg/data/ontology/mini.ttl" in names
    assert "clusterkg/data/queries/cluster-members.rq" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    vbin = venv / "bin"
    subprocess.run(
        [str(vbin / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         str(wheel)],
        check=True, capture_output=True, text=True,
    )
    # Dependencies come from this interpreter's site-packages (no network needed); a .pth
    # only adds the directory, so this checkout's editable install is not picked up.
    site = subprocess.run(
        [str(vbin / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    (Path(site) / "zz_clusterkg_test_deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in cli_env().items() if k != "PYTHONPATH"}

    def installed(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(vbin / "clusterkg"), *args], capture_output=True, text=True,
            cwd=elsewhere, env=env, check=False,
        )

    where = subprocess.run(
        [str(vbin / "python"), "-c", "import clusterkg.paths as p; print(p.find_home())"],
        capture_output=True, text=True, cwd=elsewhere, env=env, check=True,
    ).stdout
    assert "origin='installed'" in where and str(venv) in where
    listed = installed("queries")
    assert listed.returncode == 0, listed.stderr
    assert "cluster-members" in listed.stdout and "clusters-by-level" in listed.stdout
    validated = installed("validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "conforms" in validated.stdout
    assert not any(elsewhere.iterdir())
