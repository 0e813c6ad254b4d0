"""`clusterkg generate`: a synthetic ecosystem that is deterministic, conforms to the shapes and
gives sensible answers to the named queries. Runs the real command in a subprocess.

The generated project copies ontology/, shapes/ and queries/ from this checkout, so these
tests use the real model, not the small fixture under tests/data/cli.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import subprocess
import sys
from collections import defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from conftest import ROOT, cli_env

CK = "https://w3id.org/clusterkg/ontology#"
ORG = "http://www.w3.org/ns/org#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LEVEL = "https://w3id.org/clusterkg/level/"
KIND_ALL = "https://w3id.org/clusterkg/member-kind/all"
ROLE_MEMBER = "https://w3id.org/clusterkg/role/member"


def clusterkg(*args: str, home: Path | None = ROOT, cwd: Path | None = None) -> Any:
    command = [sys.executable, "-m", "clusterkg"]
    if home is not None:
        command += ["--home", str(home)]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=cli_env(), cwd=cwd,
        timeout=600, check=False,
    )


def generate(out: Path, *args: str) -> Any:
    result = clusterkg("generate", *args, "-o", str(out))
    assert result.returncode == 0, result.stderr
    return result


def snapshot(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*")) if p.is_file()
    }


def mod11_ok(number: str) -> bool:
    """Enhetsregisteret's check, written out independently of the generator."""
    if len(number) != 9 or not number.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:8], (3, 2, 7, 6, 5, 4, 3, 2), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(number[8])


class Facts:
    """all.nq, indexed: subject -> predicate -> values, and each subject's graphs."""

    def __init__(self, path: Path) -> None:
        self.lines = path.read_text(encoding="utf-8").splitlines()
        self.values: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        self.graph: dict[str, str] = {}
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
            subject = quad.subject.value
            self.values[subject][quad.predicate.value].append(quad.object)
            self.graph[subject] = quad.graph_name.value

    def of_type(self, cls: str) -> list[str]:
        return sorted(s for s, po in self.values.items()
                      if any(o.value == cls for o in po.get(RDF_TYPE, [])))

    def one(self, subject: str, predicate: str) -> Any:
        values = self.values[subject].get(predicate, [])
        return values[0].value if values else None


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("gen") / "project"
    result = generate(out, "--clusters", "20", "--seed", "3")
    return out, result.stdout


@pytest.fixture(scope="module")
def facts(project: tuple[Path, str]) -> Facts:
    return Facts(project[0] / "all.nq")


def test_project_layout_and_summary(project: tuple[Path, str], facts: Facts) -> None:
    out, stdout = project
    for folder in ("ontology", "shapes", "queries"):
        copied = sorted(p.name for p in (out / folder).iterdir())
        assert copied == sorted(p.name for p in (ROOT / folder).iterdir()
                                if p.is_file() and not p.name.startswith("."))
    trig = sorted((out / "graph").glob("*.trig"))
    names = [p.stem for p in trig]
    assert "gen-register" in names and "gen-contacts" in names
    assert any(n.startswith("gen-report-") for n in names)
    assert any(n.startswith("gen-news-") for n in names)
    # the count printed at the end is the number of quads in all.nq
    assert f"{len(facts.lines)} triples in {len(trig)} named graphs" in stdout
    assert "20 clusters" in stdout


def test_all_nq_is_the_union_of_the_trig_files(project: tuple[Path, str], facts: Facts) -> None:
    out, _ = project
    from_trig: set[str] = set()
    for path in sorted((out / "graph").glob("*.trig")):
        quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TRIG))
        assert {q.graph_name.value for q in quads} == {
            f"https://w3id.org/clusterkg/graph/{path.stem}"}
        from_trig |= {str(q) for q in quads}
    from_nq = {str(q) for q in ox.parse(path=str(out / "all.nq"), format=ox.RdfFormat.N_QUADS)}
    assert from_nq == from_trig
    assert len(set(facts.lines)) == len(facts.lines)  # no quad written twice


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", "--clusters", "6", "--seed", "11")
    generate(tmp_path / "b", "--clusters", "6", "--seed", "11")
    generate(tmp_path / "c", "--clusters", "6", "--seed", "12")
    a, b, c = (snapshot(tmp_path / name) for name in "abc")
    assert a == b
    assert a["all.nq"] != c["all.nq"]
    assert a["graph/gen-register.trig"] != c["graph/gen-register.trig"]


def test_generated_project_conforms_to_the_shapes(project: tuple[Path, str]) -> None:
    result = clusterkg("validate", home=project[0])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "conforms" in result.stdout


def test_organisation_numbers_pass_mod11(facts: Facts) -> None:
    numbers = [o.value for po in facts.values.values()
               for o in po.get(CK + "organisationNumber", [])]
    assert len(numbers) > 100
    bad = [n for n in numbers if not mod11_ok(n)]
    assert not bad
    assert len(set(numbers)) == len(numbers)


def test_level_periods_never_overlap_and_follow_each_other(facts: Facts) -> None:
    periods: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for fact in facts.of_type(CK + "LevelAssignment"):
        period = facts.one(fact, CK + "period")
        start, end = facts.one(period, CK + "startDate"), facts.one(period, CK + "endDate")
        if start is None:  # newsletters give only the duration
            continue
        level = facts.one(fact, CK + "level")
        periods[facts.one(fact, CK + "cluster")].append((start, end, level))
    assert len(periods) == 20
    ranks = {LEVEL + "arena": 1, LEVEL + "arena-pro": 2, LEVEL + "gce": 3}
    for cluster, spans in periods.items():
        spans.sort()
        for (start, end, level), (next_start, _next_end, next_level) in pairwise(spans):
            assert start <= end
            assert end < next_start, f"{cluster}: {level} to {end}, {next_level} from {next_start}"
            assert int(next_start[:4]) == int(end[:4]) + 1 and next_start[5:] == "01-01"
            assert ranks[next_level] == ranks[level] + 1  # Arena, then Arena Pro, then GCE


def test_member_counts_are_heavy_tailed(facts: Facts) -> None:
    latest: dict[str, tuple[str, int]] = {}
    for fact in facts.of_type(CK + "MemberCount"):
        if facts.one(fact, CK + "memberKind") != KIND_ALL:
            continue
        cluster, date = facts.one(fact, CK + "cluster"), facts.one(fact, CK + "observationDate")
        count = int(facts.one(fact, CK + "count"))
        if cluster not in latest or date > latest[cluster][0]:
            latest[cluster] = (date, count)
    sizes = sorted(count for _, count in latest.values())
    assert len(sizes) == 20
    assert sizes[-1] >= 4 * statistics.median(sizes)


def test_organisations_belong_to_one_to_three_clusters(facts: Facts) -> None:
    clusters_of: dict[str, set[str]] = defaultdict(set)
    board_seats = 0
    for fact in facts.of_type(CK + "Membership"):
        role = facts.one(fact, ORG + "role")
        if role == ROLE_MEMBER:
            clusters_of[facts.one(fact, ORG + "member")].add(facts.one(fact, ORG + "organization"))
        else:
            board_seats += 1
    assert clusters_of and board_seats
    counts = {len(c) for c in clusters_of.values()}
    assert counts <= {1, 2, 3} and 1 in counts and len(counts) > 1
    # every registered organisation but the hosts is a member somewhere
    registered = facts.of_type("http://www.w3.org/ns/regorg#RegisteredOrganization")
    hosts = {facts.one(f, CK + "host") for f in facts.of_type(CK + "Hosting")}
    assert set(registered) - hosts == set(clusters_of)
    # some hosts host several clusters
    hosted: dict[str, int] = defaultdict(int)
    for fact in facts.of_type(CK + "Hosting"):
        hosted[facts.one(fact, CK + "host")] += 1
    assert max(hosted.values()) > 1


def planted(facts: Facts) -> set[tuple[str, str, str, str]]:
    """Member counts for the same cluster, kind and date that two sources give differently."""
    seen: dict[tuple[str, str, str], dict[str, tuple[int, str]]] = defaultdict(dict)
    for fact in facts.of_type(CK + "MemberCount"):
        key = (facts.one(fact, CK + "cluster"), facts.one(fact, CK + "memberKind"),
               facts.one(fact, CK + "observationDate"))
        seen[key][facts.graph[fact]] = (int(facts.one(fact, CK + "count")), fact)
    out = set()
    for by_graph in seen.values():
        values = sorted(by_graph.values())
        for (count_a, fact_a) in values:
            for (count_b, fact_b) in values:
                if count_a != count_b and fact_a < fact_b:
                    out.add((fact_a, fact_b, str(count_a), str(count_b)))
    return out


def test_conflicts_query_finds_the_planted_disagreements(
    project: tuple[Path, str], facts: Facts
) -> None:
    expected = planted(facts)
    assert expected
    assert f"{len(expected)} planted member-count conflicts" in project[1]
    result = clusterkg("query", "conflicts", "--format", "json", home=project[0])
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["results"]["bindings"]
    found = {
        tuple(sorted((r["factA"]["value"], r["factB"]["value"])))
        for r in rows if r["kind"]["value"] == "member count"
    }
    assert found == {(a, b) for a, b, _, _ in expected}
    assert all(r["kind"]["value"] == "member count" for r in rows)  # nothing else disagrees


def test_named_queries_answer_on_generated_data(project: tuple[Path, str]) -> None:
    result = clusterkg("query", "clusters-by-level", "--format", "json", home=project[0])
    assert result.returncode == 0, result.stderr
    levels = {r["level"]["value"] for r in json.loads(result.stdout)["results"]["bindings"]}
    assert levels == {LEVEL + "arena", LEVEL + "arena-pro", LEVEL + "gce"}
    for name in ("member-counts", "hosts", "people-posts", "projects", "funding-per-cluster",
                 "clusters-by-place", "focus-areas", "admission-counts"):
        result = clusterkg("query", name, "--format", "csv", home=project[0])
        assert result.returncode == 0, f"{name}: {result.stderr}"
        assert len(result.stdout.splitlines()) > 2, name


def test_size_10k_is_about_ten_thousand_triples(tmp_path: Path) -> None:
    out = tmp_path / "g10k"
    result = generate(out, "--size", "10k")
    lines = (out / "all.nq").read_bytes().count(b"\n")
    assert 7_000 <= lines <= 13_000
    assert f"{lines} triples" in result.stdout


def test_rerun_into_a_generated_project_replaces_it(tmp_path: Path) -> None:
    out = tmp_path / "again"
    generate(out, "--clusters", "12", "--seed", "2")
    many = {p.name for p in (out / "graph").iterdir()}
    generate(out, "--clusters", "1", "--seed", "2")
    few = {p.name for p in (out / "graph").iterdir()}
    assert len(few) < len(many)
    # nothing of the first run is left: graph/ holds exactly the graphs of the new all.nq
    graphs = {q.graph_name.value.rsplit("/", 1)[1]
              for q in ox.parse(path=str(out / "all.nq"), format=ox.RdfFormat.N_QUADS)}
    assert few == {f"{name}.trig" for name in graphs}
    assert "cluster-0002" not in (out / "all.nq").read_text(encoding="utf-8")
    assert clusterkg("validate", home=out).returncode == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--clusters", "0"], "--clusters"),
        (["--clusters", "abc"], "--clusters"),
        ([], "--clusters"),
        (["--clusters", "3", "--size", "10k"], "not both"),
        (["--size", "5k"], "--size"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    result = clusterkg("generate", *args, "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("clusterkg: error:"), result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_unwritable_or_foreign_output_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n", encoding="utf-8")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine\n", encoding="utf-8")
    for target in (blocker / "out", blocker, foreign):
        result = clusterkg("generate", "--clusters", "2", "-o", str(target))
        assert result.returncode == 2, result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("clusterkg: error:"), result.stderr
        assert "Traceback" not in result.stderr
    assert sorted(p.name for p in foreign.iterdir()) == ["keep.txt"]


def test_size_names_match_the_generator() -> None:
    from clusterkg.generate import SIZES
    from clusterkg.generate_cli import SIZE_NAMES

    assert set(SIZE_NAMES) == set(SIZES)
