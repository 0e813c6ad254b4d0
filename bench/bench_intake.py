"""Bulk intake: `clusterkg import` of 1k/10k/100k CSV rows and `validate`/`add` of a big file.

    python bench/bench_intake.py [--rows 1k,10k,100k] [--file-mb 50] [--baseline REV]
                                 [--baseline-timeout 600] [--out docs/benchmarks.md]

Why a script of its own: bench/run.py measures a generated project at fixed sizes, one step
per child process; intake grows with its *input*, so this one varies the input (issue #14:
"bulk intake grows linearly with its size") and runs the baseline - the code at --baseline,
checked out into a temporary `git worktree` - in the same run, so the ratios compare like
with like on a machine that is as busy for both.

Every step is the whole command in a fresh process (interpreter start included), timed from
outside, with its peak resident memory (ru_maxrss from wait4):

- `clusterkg import member-counts rows.csv --source Bench --dry-run` and the real import
  (which writes the graph file of the source "Bench", taken away again afterwards), on a
  copy of this checkout's project, for each --rows size. The rows are member counts of the
  project's clusters, each a distinct fact (cluster, kind, count, date), 50 bytes a row;
- `clusterkg validate big.ttl` and `clusterkg add big.ttl --skip-duplicates` of a Turtle file
  of --file-mb MB:
  every triple of a `clusterkg generate` project (graph names dropped), about 1.2M triples
  for 50 MB, against the same project.

A baseline step that runs longer than --baseline-timeout is stopped and recorded as "did not
finish in N min"; larger sizes of that step are then not tried. The section between the
``intake:begin``/``intake:end`` markers of --out is rewritten (outside bench/run.py's
``bench:begin``/``bench:end``); raw numbers go to bench/results/intake.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN = "<!-- intake:begin (written by bench/bench_intake.py; edit outside these markers) -->"
END = "<!-- intake:end -->"
DEFAULT_BASELINE = "2bfaedd"
CKR = "https://w3id.org/clusterkg/id/"
CLUSTER = "https://w3id.org/clusterkg/ontology#Cluster"
KINDS = ("all", "company", "public body", "research and education", "other")
PROJECT_FOLDERS = ("ontology", "shapes", "queries", "graph")
TRIPLES_PER_MB = 24_000  # Turtle written by Oxigraph from generated data (measured)
QUADS_PER_CLUSTER = 700  # what clusterkg.generate makes per cluster


@dataclass
class Step:
    """One measured command: seconds of wall time, peak memory in KiB, exit code."""

    name: str
    code: str  # "current" or "baseline"
    seconds: float | None
    peak_kib: int | None
    exit: int | None
    note: str = ""


# --- inputs ---------------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+)([km]?)", text.strip().lower())
    if not match:
        raise SystemExit(f"bench_intake: bad size {text!r} (e.g. 1k, 10k, 100k)")
    return int(match.group(1)) * {"": 1, "k": 1000, "m": 1_000_000}[match.group(2)]


def clusters_of(project: Path) -> list[str]:
    """The project's clusters (ckr: IRIs), read from graph/ with pyoxigraph."""
    import pyoxigraph as ox

    found: set[str] = set()
    for path in sorted((project / "graph").glob("*.trig")):
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TRIG):
            if (quad.predicate.value.endswith("#type") and isinstance(quad.object, ox.NamedNode)
                    and quad.object.value == CLUSTER and quad.subject.value.startswith(CKR)):
                found.add(quad.subject.value)
    if not found:
        raise SystemExit(f"bench_intake: no clusters in {project / 'graph'}")
    return sorted(found)


def write_rows(clusters: list[str], rows: int, out: Path) -> Path:
    """``rows`` distinct member counts (cluster, kind, count, date) as a CSV file."""
    lines = ["cluster,kind,count,date"]
    for i in range(rows):
        j = i // (len(clusters) * len(KINDS))
        day, month, year = 1 + j % 28, 1 + (j // 28) % 12, 2000 + j // 336
        lines.append(f"ckr:{clusters[i % len(clusters)][len(CKR):]},"
                     f"{KINDS[(i // len(clusters)) % len(KINDS)]},{10 + i % 500},"
                     f"{year}-{month:02d}-{day:02d}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def write_big_file(megabytes: int, work: Path) -> tuple[Path, int]:
    """A Turtle file of about ``megabytes`` MB: a generated project's triples, no graphs."""
    import pyoxigraph as ox

    from_namespaces = {
        "ck": "https://w3id.org/clusterkg/ontology#", "ckr": CKR,
        "cks": "https://w3id.org/clusterkg/source/", "ckg": "https://w3id.org/clusterkg/graph/",
        "xsd": "http://www.w3.org/2001/XMLSchema#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "org": "http://www.w3.org/ns/org#", "schema": "https://schema.org/",
        "skos": "http://www.w3.org/2004/02/skos/core#", "prov": "http://www.w3.org/ns/prov#",
        "dcterms": "http://purl.org/dc/terms/",
    }
    clusters = max(1, megabytes * TRIPLES_PER_MB // QUADS_PER_CLUSTER)
    generated = work / "generated"
    run_checked([sys.executable, "-m", "clusterkg", "--home", str(ROOT), "generate",
                 "--clusters", str(clusters), "-o", str(generated)], src=ROOT / "src")
    triples = {ox.Triple(q.subject, q.predicate, q.object)
               for q in ox.parse(path=str(generated / "all.nq"), format=ox.RdfFormat.N_QUADS)}
    out = work / "big.ttl"
    with out.open("wb") as stream:
        ox.serialize(sorted(triples, key=str), stream, format=ox.RdfFormat.TURTLE,
                     prefixes=from_namespaces)
    shutil.rmtree(generated)
    return out, len(triples)


def big_file_in_child(megabytes: int, work: Path) -> tuple[Path, int]:
    """``write_big_file`` in a process of its own: a child started later by this (then large)
    process would report this process's memory as its own peak (ru_maxrss counts the fork)."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "import bench_intake as b; p, n = b.write_big_file(int(sys.argv[2]), "
            "Path(sys.argv[3])); print(p, n)")
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent),
                           str(megabytes), str(work)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench_intake: making the big file failed:\n{done.stderr}")
    path, triples = done.stdout.split()
    return Path(path), int(triples)


# --- running --------------------------------------------------------------------------------------


def env_for(src: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERKG_")}
    env["PYTHONPATH"] = str(src)
    env["CLUSTERKG_CACHE_DIR"] = str(cache)
    return env


def run_checked(command: list[str], *, src: Path) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          env=env_for(src, Path(tempfile.gettempdir()) / "ck-intake-gen"))
    if done.returncode != 0:
        raise SystemExit(f"bench_intake: {shlex.join(command)} failed:\n{done.stderr}")


def measure(args: list[str], *, src: Path, home: Path, cache: Path, timeout: float
            ) -> tuple[float | None, int | None, int | None]:
    """Run `python -m clusterkg --home HOME ARGS`: (seconds, peak KiB, exit) or Nones."""
    command = [sys.executable, "-m", "clusterkg", "--home", str(home), *args]
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        child = subprocess.Popen(command, stdout=sink, stderr=sink, env=env_for(src, cache))
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            return time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status)
        if time.perf_counter() > deadline:
            child.kill()
            os.wait4(child.pid, 0)
            return None, None, None
        time.sleep(0.05)


def copy_project(source: Path, out: Path) -> Path:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for folder in PROJECT_FOLDERS:
        if (source / folder).is_dir():
            shutil.copytree(source / folder, out / folder)
    return out


def measure_code(code: str, src: Path, inputs: dict[str, Path], work: Path,
                 args: argparse.Namespace, note: Callable[[str], None]) -> list[Step]:
    """Every step for one version of the code; a step over the timeout stops its larger sizes."""
    cache = work / f"cache-{code}"
    home = copy_project(ROOT, work / f"project-{code}")
    timeout = args.baseline_timeout if code == "baseline" else args.timeout
    steps: list[Step] = []
    given_up: set[str] = set()

    last: dict[str, tuple[int, float]] = {}  # kind -> (size, seconds) of its last run

    def step(kind: str, name: str, command: list[str], size: int = 0) -> None:
        if kind in given_up:
            steps.append(Step(name, code, None, None, None, "not tried (a smaller size did "
                              f"not finish in {timeout / 60:.0f} min)"))
            return
        if kind in last and size and last[kind][1] * size / last[kind][0] > timeout:
            guess = last[kind][1] * size / last[kind][0]
            steps.append(Step(name, code, None, None, None, f"not run: would take ~{guess / 60:.0f}"
                              f" min (linear from {last[kind][0]:,} rows), over "
                              f"{timeout / 60:.0f} min"))
            note(f"{code:8} {name}: {steps[-1].note}")
            return
        measure(["stats"], src=src, home=home, cache=cache, timeout=600)  # warm the snapshot
        seconds, peak, exit_code = measure(command, src=src, home=home, cache=cache,
                                           timeout=timeout)
        for leftover in (home / "graph").glob("bench*.trig"):
            leftover.unlink()  # a real import or add is taken back for the next step
        text = "" if seconds is not None else f"did not finish in {timeout / 60:.0f} min"
        if seconds is None:
            given_up.add(kind)
        elif size:
            last[kind] = (size, seconds)
        steps.append(Step(name, code, seconds, peak, exit_code, text))
        note(f"{code:8} {name}: " + (f"{seconds:.1f} s, {peak / 1024:.0f} MiB, exit {exit_code}"
                                     if seconds is not None else text))

    for label, path in inputs.items():
        if label.startswith("rows-"):
            rows = label[len("rows-"):]
            size = parse_size(rows)
            step("dry", f"import {rows} rows --dry-run",
                 ["import", "member-counts", str(path), "-s", "Bench", "--dry-run"], size)
            step("real", f"import {rows} rows",
                 ["import", "member-counts", str(path), "-s", "Bench"], size)
    if "big" in inputs:
        step("validate", "validate FILE", ["validate", str(inputs["big"])])
        step("add", "add FILE --skip-duplicates",
             ["add", str(inputs["big"]), "-s", "Bench big", "--skip-duplicates"])
    return steps


# --- the document ---------------------------------------------------------------------------------


def seconds_text(value: float | None) -> str:
    return "—" if value is None else (f"{value:.1f} s" if value >= 1 else f"{value * 1000:.0f} ms")


def memory_text(kib: int | None) -> str:
    return "—" if kib is None else f"{kib / 1024:,.0f} MiB"


def render(steps: list[Step], meta: dict[str, str]) -> str:
    baseline = {s.name: s for s in steps if s.code == "baseline"}
    lines = [
        BEGIN,
        "## Bulk intake (issue #14)",
        "",
        f"Measured {meta['date']} on {meta['machine']}, by `{meta['command']}`. Each step is "
        "the whole command in a fresh process (interpreter start included) on a copy of this "
        "checkout's project; the baseline is commit "
        f"`{meta['baseline']}` run from a `git worktree` in the same run. Exit 0 = accepted, "
        "1 = refused by validation.",
        "",
        f"Inputs: member-count rows of the project's clusters; {meta['big']}. The "
        "generated sources state some facts twice (a yearly report repeats the register), so "
        "in one file those are duplicates: `validate` reports them (exit 1) and `add` runs "
        "with `--skip-duplicates`, which checks the file, leaves the duplicates out and "
        "checks again what leaving them out touches before writing it.",
        "",
        "| step | this code | peak | exit | baseline | peak | exit | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in (s for s in steps if s.code == "current"):
        b = baseline.get(s.name)
        ratio = "—"
        if b is not None and b.seconds and s.seconds:
            ratio = f"{b.seconds / s.seconds:.1f}x"
        elif b is not None and b.seconds is None and s.seconds and meta_timeout(b):
            ratio = "> " + f"{(meta_timeout(b) or 0) / s.seconds:.0f}x"
        lines.append(
            f"| {s.name} | {seconds_text(s.seconds) if s.seconds is not None else s.note} | "
            f"{memory_text(s.peak_kib)} | {s.exit if s.exit is not None else '—'} | "
            + (f"{seconds_text(b.seconds) if b.seconds is not None else b.note} | "
               f"{memory_text(b.peak_kib)} | {b.exit if b.exit is not None else '—'} | "
               if b is not None else "not run | — | — | ")
            + f"{ratio} |")
    lines += ["", END]
    return "\n".join(lines)


def _rows(name: str) -> int:
    match = re.search(r"import (\w+) rows", name)
    return parse_size(match.group(1)) if match else 0


def meta_timeout(step: Step) -> float | None:
    match = re.search(r"did not finish in (\d+) min", step.note)
    return float(match.group(1)) * 60 if match else None


def write_document(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


# --- main -----------------------------------------------------------------------------------------


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="1k,10k,100k", help="CSV sizes (rows), comma-separated")
    parser.add_argument("--file-mb", type=int, default=50, help="size of the big Turtle file "
                        "(0: skip validate/add of a file)")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="the commit to compare with")
    parser.add_argument("--no-baseline", action="store_true", help="measure this code only")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds a step of this "
                        "code may take")
    parser.add_argument("--baseline-timeout", type=float, default=600,
                        help="seconds a baseline step may take before it counts as not finished")
    parser.add_argument("--merge", action="store_true", help="keep the steps of the earlier "
                        "--results file that this run does not measure")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results" / "intake.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)

    def note(message: str) -> None:
        print(f"bench_intake: {message}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="ck-intake-") as scratch:
        work = Path(scratch)
        clusters = clusters_of(ROOT)
        inputs: dict[str, Path] = {}
        for text in filter(None, args.rows.split(",")):
            rows = parse_size(text)
            inputs[f"rows-{text.strip()}"] = write_rows(clusters, rows, work / f"rows-{rows}.csv")
        big = "no big file"
        if args.file_mb > 0:
            note(f"generating a {args.file_mb} MB Turtle file")
            inputs["big"], triples = big_file_in_child(args.file_mb, work)
            size = inputs["big"].stat().st_size / 1e6
            big = f"a {size:.0f} MB Turtle file of {triples:,} triples (clusterkg generate)"
        steps = measure_code("current", ROOT / "src", inputs, work, args, note)
        if not args.no_baseline:
            tree = work / "baseline"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                            args.baseline], check=True, capture_output=True)
            try:
                steps += measure_code("baseline", tree / "src", inputs, work, args, note)
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(tree)], check=False, capture_output=True)
        meta = {
            "date": time.strftime("%Y-%m-%d"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                       f"{platform.python_version()}",
            "command": shlex.join(["python", "bench/bench_intake.py", *(argv or sys.argv[1:])]),
            "baseline": args.baseline if not args.no_baseline else "(not run)",
            "big": big,
        }
    if args.merge and args.results.exists():  # keep the steps of an earlier run not re-run
        earlier = json.loads(args.results.read_text(encoding="utf-8"))
        names = {(s.name, s.code) for s in steps}
        steps = [Step(**s) for s in earlier["steps"] if (s["name"], s["code"]) not in names
                 ] + steps
        meta["big"] = meta["big"] if args.file_mb > 0 else earlier["meta"]["big"]
        meta["command"] = earlier["meta"]["command"] + "` and `" + meta["command"]
        order = ["import", "validate", "add"]
        steps.sort(key=lambda s: (next(i for i, w in enumerate(order) if s.name.startswith(w)),
                                  _rows(s.name), "--dry-run" not in s.name))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({"meta": meta, "steps": [asdict(s) for s in steps]},
                                       indent=2) + "\n", encoding="utf-8")
    write_document(args.out, render(steps, meta))
    note(f"wrote {args.out} and {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
