"""`clusterkg stats` keeps its counts with the store version they were made from (#14).

A version never changes, so a second `stats` on it reads the counts back; a changed data file
makes a new version and an edited conflicts query a new key, and both count again. The counts
are checked against what the user would otherwise see: `clusterkg query conflicts`' rows.
Runs the real command on a generated project with planted member-count conflicts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, cli_env

MEMBER_COUNT = "https://w3id.org/clusterkg/ontology#MemberCount"

# A third source's count for a cluster and month where the generator planted a disagreement
# (reports say 3 companies, newsletters 2): two more pairs for the conflicts query.
EXTRA_COUNT = """\
@prefix ck: <https://w3id.org/clusterkg/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/clusterkg/graph/zz-extra> {
  <https://w3id.org/clusterkg/id/gen/fact/zz-extra/count> a ck:MemberCount ;
      ck:cluster <https://w3id.org/clusterkg/id/gen/cluster-0017> ;
      ck:memberKind <https://w3id.org/clusterkg/member-kind/company> ;
      ck:count 9 ;
      ck:observationDate "2017-11-30"^^xsd:date ;
      ck:assertionMode ck:stated ;
      ck:sourceDocument <https://w3id.org/clusterkg/id/gen/source/zz-extra> .
}
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "gen20"
    made = subprocess.run(
        [sys.executable, "-m", "clusterkg", "--home", str(ROOT), "generate",
         "--clusters", "20", "-o", str(out)],
        capture_output=True, text=True, env=cli_env(), timeout=300, check=False)
    assert made.returncode == 0, made.stderr
    return out


@pytest.fixture
def project(generated: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A private copy of the generated project and a store cache of its own."""
    home = tmp_path / "home"
    shutil.copytree(generated, home)
    return home, cli_env(CLUSTERKG_CACHE_DIR=str(tmp_path / "cache"))


def clusterkg(home: Path, env: dict[str, str], *args: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "clusterkg", "--home", str(home), *args],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def stats(home: Path, env: dict[str, str]) -> dict[str, Any]:
    return clusterkg(home, env, "stats", "--format", "json")  # type: ignore[no-any-return]


def conflict_rows(home: Path, env: dict[str, str]) -> int:
    answer = clusterkg(home, env, "query", "conflicts", "--format", "json")
    return len(answer["results"]["bindings"])


def kept(env: dict[str, str]) -> list[Path]:
    """The counts kept in the cache, one file per store version that has them."""
    return sorted(Path(env["CLUSTERKG_CACHE_DIR"]).glob("*/*/stats.json"))


def overwrite_conflicts(path: Path, value: int) -> None:
    """Change the kept conflict count, so a number read back from the cache can be told from
    one counted again."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["conflicts"] = value
    path.write_text(json.dumps(doc), encoding="utf-8")


def test_stats_counts_the_rows_of_the_conflicts_query(
        project: tuple[Path, dict[str, str]]) -> None:
    home, env = project
    first = stats(home, env)
    assert first["factsWithConflicts"] == conflict_rows(home, env) == 2  # the planted ones
    assert stats(home, env) == first  # read back: the same document


def test_counts_are_read_back_until_a_graph_file_changes(
        project: tuple[Path, dict[str, str]]) -> None:
    home, env = project
    before = stats(home, env)
    (cache,) = kept(env)
    overwrite_conflicts(cache, 999)
    assert stats(home, env)["factsWithConflicts"] == 999  # not counted again
    (home / "graph" / "zz-extra.trig").write_text(EXTRA_COUNT, encoding="utf-8")
    after = stats(home, env)
    assert after["factsWithConflicts"] == conflict_rows(home, env) == 4
    assert (after["instancesPerClass"][MEMBER_COUNT]
            == before["instancesPerClass"][MEMBER_COUNT] + 1)
    assert after["triplesPerGraph"]["https://w3id.org/clusterkg/graph/zz-extra"] == 7
    assert after["sourceGraphs"] == before["sourceGraphs"] + 1


def test_an_edited_conflicts_query_is_counted_again(
        project: tuple[Path, dict[str, str]]) -> None:
    home, env = project
    stats(home, env)
    overwrite_conflicts(kept(env)[0], 999)
    query = home / "queries" / "conflicts.rq"
    query.write_text(query.read_text(encoding="utf-8") + "LIMIT 1\n", encoding="utf-8")
    assert stats(home, env)["factsWithConflicts"] == conflict_rows(home, env) == 1
    query.unlink()
    assert stats(home, env)["factsWithConflicts"] is None


def test_a_damaged_cache_file_is_counted_again(project: tuple[Path, dict[str, str]]) -> None:
    home, env = project
    first = stats(home, env)
    (cache,) = kept(env)
    cache.write_text('{"key": "', encoding="utf-8")
    assert stats(home, env) == first
    assert json.loads(cache.read_text(encoding="utf-8"))["conflicts"] == 2  # written anew
