"""Smoke test of bench/run.py at a tiny size: it runs end to end and writes the table.

No timing is asserted: the numbers depend on the machine. What is checked is that every step
ran (both engines, every named query), the document keeps what is outside its markers, and
the raw results are written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import cli_env

ROOT = Path(__file__).resolve().parents[1]


def test_bench_runs_at_a_tiny_size_and_writes_the_table(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nKept by hand.\n\n## Engine agreement\n\nAlso kept.\n",
                   encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "2k", "--runs", "1",
         "--out", str(out), "--results", str(tmp_path / "results"),
         "--work", str(tmp_path / "work")],
        capture_output=True, text=True, env=cli_env(), timeout=900, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert "Kept by hand." in text and "## Engine agreement" in text and "Also kept." in text
    assert text.count("<!-- bench:begin") == 1 and text.count("<!-- bench:end -->") == 1
    assert "### 2k:" in text
    assert "| step | clusterkg | peak RSS | baseline |" in text
    queries = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
    for name in queries:
        assert f"query `{name}`" in text, name
    for step in ("build: parse, check", "open the store version read-only",
                 "copy the store version into memory", "full validation", "100-triple delta",
                 "export GraphML", "Named queries with a typical parameter bound",
                 "`clusterkg query hosts -p host=LABEL`",
                 "`clusterkg add FILE (100 triples), then query`", "`clusterkg stats`"):
        assert step in text, step
    assert "rows differ" not in text  # Oxigraph and rdflib give the same number of rows
    assert "Versions: python" in text and "pyoxigraph" in text
    assert "python bench/run.py --sizes 2k --runs 1" in text
    raw = json.loads((tmp_path / "results" / "2k.json").read_text(encoding="utf-8"))
    assert raw["quads"] > 1000
    assert set(raw["steps"]) == {"build", "queries", "params", "validate", "delta", "export",
                                 "parse", "rdflib-queries", "pyshacl", "commands"}
    # every query that takes a parameter ran with a value of the data bound, and found rows
    bound = raw["steps"]["params"]["queries"]
    assert bound["hosts"]["bound"].startswith("host=https://") and bound["hosts"]["rows"] > 0
    assert bound["cluster-members"]["rows"] > 0 and bound["clusters-by-place"]["rows"] > 0
    assert "announcements" in bound and "corroboration" in bound and "conflicts" not in bound
    assert raw["steps"]["validate"]["info"]["conforms"] is True
    assert raw["steps"]["delta"]["info"]["conforms"] is True

    # a second run replaces the marked block instead of adding another; the results of other
    # benches kept beside the sizes' (commands-*.json, intake.json) are left out of --merge;
    # above --no-baseline-above the baseline and the export are skipped, and the page says so
    (tmp_path / "results" / "intake.json").write_text('{"rows": []}', encoding="utf-8")
    again = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "1k", "--runs", "1",
         "--out", str(out), "--results", str(tmp_path / "results"), "--merge",
         "--no-baseline-above", "500", "--no-commands"],
        capture_output=True, text=True, env=cli_env(), timeout=900, check=False,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert text.count("<!-- bench:begin") == 1
    assert "### 1k:" in text and "### 2k:" in text  # --merge keeps the earlier size
    assert "Not measured: at 1k the baseline (rdflib, pySHACL), the GraphML export" in text
    small = json.loads((tmp_path / "results" / "1k.json").read_text(encoding="utf-8"))
    assert set(small["steps"]) == {"build", "params", "validate", "delta"}
