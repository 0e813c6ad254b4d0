"""Bulk intake (issue #14): large deltas take the fast paths and behave as small ones do.

Behaviour, not timing (bench/bench_intake.py measures the time): the report of a delta is the
same whichever engine validates its neighbourhood (pySHACL for small ones, the Rust ``shacl``
engine for large ones, forced here both ways); a bad row deep in a big spreadsheet is still
reported with its row and nothing is written; a big graph written by Oxigraph's serialiser
holds what rdflib's would; a file parsed by Oxigraph gives the triples rdflib's parser gives.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from clusterkg import delta as delta_module
from clusterkg import facts_cli
from clusterkg.errors import ClusterKGError
from conftest import ROOT, Runner, cli_env, copy_seed_project, snapshot

FACTS = ROOT / "tests" / "data" / "facts"
CK = "https://w3id.org/clusterkg/ontology#"
CKR = "https://w3id.org/clusterkg/id/"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_seed_project(tmp_path / "project")


def ck(run: Runner, project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run(*args, home=project, env=cli_env(USER="tester", **env))


def same_run(text: str) -> str:
    """The report without the blank nodes' skolem IRIs (new ones on every run)."""
    return re.sub(r"genid/[0-9a-zA-Z]+", "genid/_", text)


def big_turtle(path: Path, facts: int) -> Path:
    """bad.ttl's three mistakes after ``facts`` conforming member counts (a large delta)."""
    counts = "\n".join(
        f"new:count-{i} a ck:MemberCount ; ck:cluster ckr:nscc ; ck:memberKind kind:company ;\n"
        f"    ck:count {i} ; ck:approximate false ; ck:assertionMode ck:stated ;\n"
        f'    ck:observationDate "{2000 + i // 300}-{1 + i // 28 % 10:02d}-{1 + i % 28:02d}"'
        "^^xsd:date .\n"
        for i in range(facts))
    path.write_text((FACTS / "bad.ttl").read_text(encoding="utf-8") + "\n" + counts,
                    encoding="utf-8")
    return path


# --- the engine for a delta ----------------------------------------------------------------------


def test_engine_is_chosen_by_size_or_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(delta_module.ENV_DELTA_ENGINE, raising=False)
    assert delta_module.delta_engine(10) == "pyshacl"
    assert delta_module.delta_engine(delta_module.FAST_ENGINE_TRIPLES) == "shacl"
    assert delta_module.delta_engine(10, "shacl") == "shacl"
    monkeypatch.setenv(delta_module.ENV_DELTA_ENGINE, "pyshacl")
    assert delta_module.delta_engine(10**7) == "pyshacl"
    monkeypatch.setenv(delta_module.ENV_DELTA_ENGINE, "fastest")
    with pytest.raises(ClusterKGError, match="unknown delta engine"):
        delta_module.delta_engine(10)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_small_delta_gets_the_same_report_from_both_engines(
        run: Runner, project: Path, fmt: str) -> None:
    bad = str(FACTS / "bad.ttl")
    reports = {engine: ck(run, project, "validate", bad, "-s", "Test", "-f", fmt,
                          CLUSTERKG_DELTA_ENGINE=engine)
               for engine in ("pyshacl", "shacl")}
    assert {r.returncode for r in reports.values()} == {1}
    assert same_run(reports["pyshacl"].stdout) == same_run(reports["shacl"].stdout)
    assert "line 12" in reports["shacl"].stdout


def test_a_large_delta_gets_the_same_report_from_both_engines_with_lines(
        run: Runner, project: Path, tmp_path: Path) -> None:
    big = big_turtle(tmp_path / "big.ttl", 700)
    reports = {engine: ck(run, project, "validate", str(big), "-s", "Test", "-f", "json",
                          CLUSTERKG_DELTA_ENGINE=engine)
               for engine in ("pyshacl", "shacl", "auto")}
    assert {r.returncode for r in reports.values()} == {1}, reports["auto"].stderr
    pyshacl, shacl, auto = (same_run(reports[e].stdout) for e in ("pyshacl", "shacl", "auto"))
    assert pyshacl == shacl == auto
    results = json.loads(reports["auto"].stdout)["results"]
    # bad.ttl's mistakes are found among 700 good facts, each at its line of the big file
    origins = {r["resultPath"]: r["origin"] for r in results}
    assert origins[CK + "count"] == f"{big}, line 12"
    assert origins[CK + "level"].endswith("line 17")
    assert len([r for r in results if r["severity"] == "Violation"]) == 3


def test_checking_a_large_delta_takes_the_fast_engine_by_default(project: Path,
                                                                  tmp_path: Path) -> None:
    from clusterkg.loader import load_dataset
    from clusterkg.paths import find_home

    dataset = load_dataset(find_home(project), None)
    graph, locator = delta_module.read_files([big_turtle(tmp_path / "big.ttl", 700)])
    result = delta_module.check(dataset, delta_module.skolemise(graph, locator),
                                locator=locator)
    assert result.neighbourhood_triples >= delta_module.FAST_ENGINE_TRIPLES
    assert delta_module.delta_engine(result.neighbourhood_triples) == "shacl"
    assert result.report.counts()["Violation"] >= 3


# --- a big spreadsheet ---------------------------------------------------------------------------


def counts_csv(path: Path, rows: int, bad_row: int | None = None) -> Path:
    lines = ["cluster,kind,count,date"]
    for i in range(rows):
        count = "many" if bad_row is not None and i + 2 == bad_row else str(i)
        lines.append(f"ckr:nscc,company,{count},{2000 + i // 336}-{1 + i // 28 % 12:02d}-"
                     f"{1 + i % 28:02d}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_bad_row_deep_in_a_big_file_is_reported_with_its_row_and_nothing_is_written(
        run: Runner, project: Path, tmp_path: Path) -> None:
    sheet = counts_csv(tmp_path / "counts.csv", 3000, bad_row=2500)
    before = snapshot(project / "graph")
    result = ck(run, project, "import", "member-counts", str(sheet), "-s", "Big report")
    assert result.returncode == 2, result.stderr
    assert f"{sheet}: row 2500, column count: 'many' is not a whole number" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(project / "graph") == before


def test_a_big_import_is_written_by_the_fast_serialiser_and_read_back(
        run: Runner, project: Path, tmp_path: Path) -> None:
    sheet = counts_csv(tmp_path / "counts.csv", 3000)  # 24,000 triples: the fast serialiser
    added = ck(run, project, "import", "member-counts", str(sheet), "-s", "Big report")
    assert added.returncode == 0, added.stderr
    (written,) = [p for p in (project / "graph").glob("big-report*.trig")]
    dataset = Dataset(default_union=True)
    dataset.parse(written, format="trig")
    counts = set(dataset.subjects(RDF.type, URIRef(CK + "MemberCount")))
    assert len(counts) == 3000
    assert written.read_text(encoding="utf-8").startswith("# Facts added by `clusterkg import")
    # the store reads it back: the same rows again say nothing new
    again = ck(run, project, "import", "member-counts", str(sheet), "-s", "Big report")
    assert again.returncode == 1 and "nothing new" in again.stderr, again.stderr


# --- the pieces ----------------------------------------------------------------------------------


def test_the_fast_serialiser_writes_what_rdflibs_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    from clusterkg.sources import serialize_graph

    graph = Graph()
    for i in range(50):
        node = URIRef(f"{CKR}fact/x/{i}")
        graph.add((node, RDF.type, URIRef(CK + "MemberCount")))
        graph.add((node, URIRef(CK + "count"), Literal(i)))
        graph.add((node, URIRef(CK + "note"), Literal(f"«{i}»\n\"quoted\"", lang="nb")))
    name = URIRef("https://w3id.org/clusterkg/graph/x")
    slow = facts_cli._serialize(name, graph, len(graph), "a header\nline two", serialize_graph)
    monkeypatch.setattr(facts_cli, "FAST_SERIALIZE_TRIPLES", 0)
    fast = facts_cli._serialize(name, graph, len(graph), "a header\nline two", serialize_graph)
    assert fast != slow and fast.startswith(b"# a header\n# line two\n")
    parsed = [Dataset().parse(data=data.decode("utf-8"), format="trig") for data in (slow, fast)]
    assert isomorphic(parsed[0].graph(name), parsed[1].graph(name))


@pytest.mark.parametrize("name", ["good.ttl", "bad.ttl", "arena.ttl", "overlap.ttl",
                                  "count.nt"])
def test_oxigraph_parses_a_file_as_rdflib_does(name: str) -> None:
    path = FACTS / name
    fast = delta_module.read_file(path).graph
    slow = Graph().parse(path, format="nt" if name.endswith(".nt") else "turtle")
    plain = Graph()
    for s, p, o in slow:
        plain.add((s, p, delta_module.plain_string(o)))
    assert isomorphic(fast, plain)


def test_a_file_oxigraph_refuses_gets_rdflibs_message() -> None:
    with pytest.raises(ClusterKGError) as raised:
        delta_module.read_file(FACTS / "malformed.ttl")
    assert str(FACTS / "malformed.ttl") in str(raised.value)
