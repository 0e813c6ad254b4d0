"""Wall time of whole `clusterkg` processes (interpreter start included), now and before.

    python bench/bench_commands.py [--sizes 10k,1m] [--runs 3] [--baseline b9f79f2]
                                   [--out docs/benchmarks.md]

What a person at the keyboard waits for: each command runs as its own process on a synthetic
project (`clusterkg generate`), and the time from start to exit is measured, with the peak
memory of the process (ru_maxrss from wait4). The baseline is the same commands run by the code
of an earlier commit (default: b9f79f2, the state issue #14 measured), checked out in a git
worktree and run in the same session, each with its own empty store cache, so the ratios
compare like with like on the same machine. Medians of --runs runs; the first command after
`generate` (the build) is measured once.

The section between the ``commands:begin``/``commands:end`` markers of --out is rewritten;
raw numbers go to one JSON file per size in bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, generate, parse_size, write_delta

BEGIN = "<!-- commands:begin (written by bench/bench_commands.py; edit outside these markers) -->"
END = "<!-- commands:end -->"
DEFAULT_BASELINE = "b9f79f2"
#: Targets at 1M (issue #14): seconds of wall time per step.
TARGETS = {"query hosts -p host=LABEL": 0.5, "validate FILE (100 triples)": 1.0,
           "add FILE (100 triples), then query": 2.0, "stats": 1.0, "export -f graphml": 10.0}


def run_process(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int, int]:
    """Wall seconds, peak RSS bytes and exit code of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=env, cwd=cwd)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        message = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"bench: {' '.join(command[3:])} failed ({code}): {message}")
    return elapsed, usage.ru_maxrss * 1024, code


class Runner:
    """One implementation (this checkout or a baseline worktree) on its own copy of the
    project, with its own store cache."""

    def __init__(self, name: str, src: Path, home: Path, cache: Path) -> None:
        self.name, self.home = name, home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERKG_")}
        self.env.update(PYTHONPATH=str(src), CLUSTERKG_CACHE_DIR=str(cache))

    def __call__(self, *args: str) -> tuple[float, int, int]:
        command = [sys.executable, "-m", "clusterkg", "--home", str(self.home), *args]
        return run_process(command, self.env, self.home)


def steps(home: Path, delta: Path, work: Path) -> list[tuple[str, Callable[[Runner, int], list[
        tuple[float, int]]]]]:
    """(name, run) for each measured step; run returns (seconds, peak bytes) per timed part."""
    host, cluster = host_and_cluster(home)

    def one(*args: str) -> Callable[[Runner, int], list[tuple[float, int]]]:
        return lambda runner, i: [runner(*args)[:2]]

    def add_then_query(runner: Runner, i: int) -> list[tuple[float, int]]:
        add = runner("add", str(delta), "--source", f"Bench run {runner.name} {i}")
        query = runner("query", "member-counts", "-p", f"cluster=<{cluster}>", "-f", "csv")
        runner("remove", "--source", f"Bench run {runner.name} {i}")  # not timed
        return [(add[0] + query[0], max(add[1], query[1]))]

    def stats_after_add(runner: Runner, i: int) -> list[tuple[float, int]]:
        runner("add", str(delta), "--source", f"Bench stats {runner.name} {i}")  # not timed
        stats = runner("stats")  # a new store version: its counts are not known yet
        runner("remove", "--source", f"Bench stats {runner.name} {i}")  # not timed
        return [stats[:2]]

    return [
        ("query hosts -p host=LABEL", one("query", "hosts", "-p", f"host={host}", "-f", "csv")),
        ("query member-counts -p cluster=IRI",
         one("query", "member-counts", "-p", f"cluster=<{cluster}>", "-f", "csv")),
        ("query programme-timeline (no parameters, read in place)",
         one("query", "programme-timeline", "-f", "csv")),
        ("query cluster-members (all rows, csv)", one("query", "cluster-members", "-f", "csv")),
        ("validate FILE (100 triples)", one("validate", str(delta))),
        ("add FILE (100 triples), then query", add_then_query),
        ("stats", one("stats")),
        ("stats, first after an add (new store version)", stats_after_add),
        ("export -f graphml", one("export", "-f", "graphml", "-o", str(work / "out.graphml"))),
    ]


def host_and_cluster(home: Path) -> tuple[str, str]:
    """A host organisation's label and a cluster's IRI from the generated data."""
    host_iri = cluster = label = None
    hosting = re.compile(r"^<([^>]+)> <https://w3id\.org/clusterkg/ontology#host> <([^>]+)>")
    with (home / "all.nq").open(encoding="utf-8") as lines:
        for line in lines:
            if cluster is None and "#Cluster> " in line and "rdf-syntax-ns#type" in line:
                cluster = line.split(">", 1)[0][1:]
            if host_iri is None and (match := hosting.match(line)):
                host_iri = match.group(2)
            if cluster and host_iri:
                break
    labels: dict[str, set[str]] = {}
    with (home / "all.nq").open(encoding="utf-8") as lines:
        for line in lines:
            if " <http://www.w3.org/2000/01/rdf-schema#label> " in line:
                labels.setdefault(line.split('"')[1], set()).add(line.split(">", 1)[0][1:])
                if line.startswith(f"<{host_iri}> ") and label is None:
                    label = line.split('"')[1]
    if not (cluster and label):
        raise SystemExit("bench: no host or cluster in the generated project")
    # At 10M generated names repeat: then the host is named by its IRI, as a user would.
    return (label if len(labels[label]) == 1 else f"<{host_iri}>"), cluster


def measure(label: str, triples: int, args: argparse.Namespace, work: Path,
            baseline_src: Path | None) -> dict[str, object]:
    generated = work / f"gen-{label}"
    quads = generate(label, triples, generated, seed=1)
    delta = write_delta(generated, work / "delta.ttl")
    runners = []
    for name, src in (("clusterkg", ROOT / "src"), ("baseline", baseline_src)):
        if src is None:
            continue
        home = work / f"{name}-{label}"
        shutil.copytree(generated, home)
        runners.append(Runner(name, src, home, work / f"cache-{name}-{label}"))
    results: dict[str, dict[str, object]] = {}
    for runner in runners:
        build = runner("sources")  # the first command after generate makes the store
        results.setdefault("first command (build the store)", {})[runner.name] = [build[:2]]
    for name, step in steps(generated, delta, work):
        for runner in runners:
            timed = [part for i in range(args.runs) for part in step(runner, i)]
            results.setdefault(name, {})[runner.name] = timed
            print(f"bench: {label} {name} [{runner.name}]: "
                  f"{statistics.median(t for t, _ in timed):.2f} s", file=sys.stderr)
    return {"size": label, "quads": quads, "runs": args.runs, "baseline": args.baseline,
            "steps": results}


def table(result: dict[str, object]) -> list[str]:
    lines = [f"#### {result['size']} ({result['quads']:,} triples; medians of "
             f"{result['runs']} runs; baseline: commit {result['baseline']})", "",
             "| command (whole process) | clusterkg | peak | baseline | peak | speed-up |",
             "|---|---|---|---|---|---|"]
    for name, by in result["steps"].items():  # type: ignore[union-attr]
        cells = []
        medians = {}
        for who in ("clusterkg", "baseline"):
            timed = by.get(who)
            if not timed:
                cells += ["—", "—"]
                continue
            medians[who] = statistics.median(t for t, _ in timed)
            cells += [f"{medians[who]:.2f} s", f"{max(m for _, m in timed) / 2**20:,.0f} MiB"]
        ratio = (f"{medians['baseline'] / medians['clusterkg']:.1f}x"
                 if len(medians) == 2 and medians["clusterkg"] > 0 else "—")
        shown = name if name.startswith("first") else f"`clusterkg {name}`"
        lines.append(f"| {shown} | " + " | ".join(cells) + f" | {ratio} |")
    return [*lines, ""]


def targets(result: dict[str, object]) -> list[str]:
    lines = ["| target at 1M | measured | |", "|---|---|---|"]
    for name, limit in TARGETS.items():
        timed = result["steps"].get(name, {}).get("clusterkg")  # type: ignore[union-attr]
        if timed:
            value = statistics.median(t for t, _ in timed)
            lines.append(f"| `{name}` ≤ {limit:g} s | {value:.2f} s | "
                         f"{'met' if value <= limit else '**not met**'} |")
    return [*lines, ""]


def write(path: Path, results: list[dict[str, object]], command: str) -> None:
    block = [BEGIN, "", "### Whole commands, as a person waits for them", "",
             f"Reproduce: `{command}` (2 cores; other work on the machine shows as noise in "
             "both columns alike).", ""]
    for result in results:
        block += table(result)
        if result["size"] == "1m":
            block += targets(result)
    block.append(END)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + "\n".join(block) + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + "\n".join(block) + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,1m")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE,
                        help="git commit to compare with ('none' to skip)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    command = "python bench/bench_commands.py " + " ".join(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="clusterkg-bench-commands-") as scratch:
        work = Path(scratch)
        baseline_src = None
        if args.baseline != "none":
            tree = work / "baseline"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                            args.baseline], check=True, capture_output=True)
            baseline_src = tree / "src"
        try:
            results = []
            for text in args.sizes.split(","):
                label, triples = parse_size(text)
                result = measure(label, triples, args, work, baseline_src)
                out = ROOT / "bench" / "results" / f"commands-{label}.json"
                out.write_text(json.dumps(result, indent=1), encoding="utf-8")
                results.append(result)
            write(args.out, results, command)
        finally:
            if baseline_src is not None:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(work / "baseline")], check=False, capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
