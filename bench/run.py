"""The performance numbers of docs/benchmarks.md, with the baseline measured in the same run.

    python bench/run.py [--sizes 10k,100k,1m] [--runs 3] [--baseline-runs N]
                        [--out docs/benchmarks.md]

Per size it generates a synthetic project (`clusterkg generate`), then measures, each step in
a fresh Python process of its own so its peak memory (ru_maxrss from wait4) is its own:

clusterkg (the default path)            baseline (what clusterkg did before)
- build: parse + load into a fresh      - rdflib in-memory Dataset (parse)
  Oxigraph store (empty cache dir)
- every named query (default            - the same query with rdflib's SPARQL engine
  parameters) on Oxigraph
- full validation, `shacl` engine       - pySHACL over the whole graph
- a 100-triple delta (clusterkg.delta)  (compared with pySHACL over the whole graph)
- export to GraphML
- every named query that takes a parameter, with a typical value bound (a cluster, a host, a
  place, a level...: what users ask), on the on-disk store
- whole `clusterkg` processes as a person waits for them (bench/bench_commands.py's steps:
  a question, validate FILE, add then query, stats, export), interpreter start included

At --no-baseline-above triples and more (default 5M), the rdflib/pySHACL baseline is not run
(pySHACL takes hours there, rdflib's store needs more memory than this machine has), nor the
GraphML export (its networkx graph needs ~1.3 GiB per million triples); the page says so.

Times are medians of --runs runs (queries: --runs runs each, in one process per engine) and
count only the work, not Python start-up or imports. The baseline runs --baseline-runs times:
by default --runs, but once at 1M and above, where pySHACL takes many minutes a run (the
output says so). The document between the ``bench:begin``/``bench:end`` markers is rewritten;
everything else in it (the engine-agreement notes) is kept. Raw numbers go to
bench/results/<size>.json; --merge adds earlier sizes from there to the document.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BEGIN = "<!-- bench:begin (written by bench/run.py; edit outside these markers) -->"
END = "<!-- bench:end -->"
MILLION = 1_000_000
GENERATE_SIZES = {"10k": 10_000, "100k": 100_000, "1m": MILLION}  # clusterkg generate --size
QUADS_PER_CLUSTER = 700  # what clusterkg.generate measured; for sizes it has no name for
DELTA_FACTS = 10  # x 10 triples each = the 100-triple delta
QUERY_TIMEOUT = 300.0  # default seconds a query may run before it is given up (--query-timeout)
NO_BASELINE_ABOVE = 5 * MILLION  # sizes from which the baseline and the export are not run
#: A typical value of each entity parameter the named queries take: what a user would ask
#: about (the first in IRI order, so that every run binds the same one).
PARAM_PROBES = {
    "cluster": "?v a ck:Cluster",
    "entity": "?v a ck:Cluster",
    "host": "?h a ck:Hosting ; ck:host ?v",
    "place": "?f a ck:Location ; ck:place ?v",
    "level": "?a a ck:LevelAssignment ; ck:level ?v",
    "person": "?v a ck:Person",
    "announcement": "?v a ck:Announcement",
    "owner": "?f a ck:ProgrammeOwnership ; ck:owner ?v",
    "programme": "?v a ck:Programme",
    "member": "?m a ck:Membership ; <http://www.w3.org/ns/org#member> ?v",
}


@dataclass(frozen=True)
class Targets:
    """The goals at 1M triples (issue "Scale"), and at 10M (issue #14)."""

    build_s: float = 10.0
    query_s: float = 0.3
    query_speedup: float = 20.0
    validate_s: float = 10.0
    validate_speedup: float = 20.0
    delta_s: float = 0.5
    memory_bytes: int = 4 * 1024**3
    build_10m_s: float = 100.0
    param_query_s: float = 0.3
    validate_10m_s: float = 100.0
    memory_10m_bytes: int = 12 * 1024**3


TARGETS = Targets()


# --- sizes and data ----------------------------------------------------------------------------


def parse_size(text: str) -> tuple[str, int]:
    """``10k`` -> ("10k", 10000), ``1m`` -> ("1m", 1000000), ``2500`` -> ("2500", 2500)."""
    label = text.strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([km]?)", label)
    if not match:
        raise SystemExit(f"bench: bad size {text!r} (use e.g. 10k, 100k, 1m)")
    scale = {"": 1, "k": 1000, "m": MILLION}[match.group(2)]
    return label, int(float(match.group(1)) * scale)


def generate(label: str, triples: int, home: Path, seed: int) -> int:
    """Write the synthetic project; returns its number of quads (lines of all.nq)."""
    how = (["--size", label] if label in GENERATE_SIZES
           else ["--clusters", str(max(1, round(triples / QUADS_PER_CLUSTER)))])
    command = [sys.executable, "-m", "clusterkg", "--home", str(ROOT), "generate", *how,
               "--seed", str(seed), "-o", str(home)]
    done = subprocess.run(command, capture_output=True, text=True, env=_env(), check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: clusterkg generate failed:\n{done.stderr}")
    with (home / "all.nq").open("rb") as lines:
        return sum(1 for _ in lines)


def write_delta(home: Path, out: Path) -> Path:
    """100 new triples: ten member counts of existing clusters, each with ten triples."""
    clusters: list[str] = []
    pattern = re.compile(r"^<(https://w3id\.org/clusterkg/id/gen/cluster-\d+)> "
                         r"<http://www\.w3\.org/1999/02/22-rdf-syntax-ns#type> "
                         r"<https://w3id\.org/clusterkg/ontology#Cluster> ")
    with (home / "all.nq").open(encoding="utf-8") as lines:
        for line in lines:
            match = pattern.match(line)
            if match and match.group(1) not in clusters:
                clusters.append(match.group(1))
                if len(clusters) == DELTA_FACTS:
                    break
    if not clusters:
        raise SystemExit(f"bench: no clusters found in {home / 'all.nq'}")
    facts = []
    for i in range(DELTA_FACTS):
        facts.append(f"""bench:member-count-{i + 1} a ck:MemberCount ;
    ck:cluster <{clusters[i % len(clusters)]}> ;
    ck:memberKind kind:all ;
    ck:count {40 + i} ;
    ck:approximate false ;
    ck:observationDate "2031-{i % 12 + 1:02d}-01"^^xsd:date ;
    ck:categoryLabel "medlemmer"@nb ;
    ck:assertionMode ck:stated ;
    ck:sourceDocument cks:gen-register ;
    rdfs:comment "benchmark delta"@en .
""")
    out.write_text(
        "@prefix bench: <https://w3id.org/clusterkg/id/bench/> .\n"
        "@prefix ck: <https://w3id.org/clusterkg/ontology#> .\n"
        "@prefix kind: <https://w3id.org/clusterkg/member-kind/> .\n"
        "@prefix cks: <https://w3id.org/clusterkg/source/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\n" + "\n".join(facts),
        encoding="utf-8",
    )
    return out


# --- measuring one step in a child process ------------------------------------------------------


@dataclass
class Measured:
    """What a child reported, and its peak resident memory in bytes."""

    payload: dict[str, Any]
    peak_rss: int


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERKG_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def child(step: str, home: Path, cache: Path, log: Path, **options: Any) -> Measured:
    """Run ``run.py --child STEP`` and collect its JSON answer and ru_maxrss (KiB on Linux)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", step, "--home", str(home)]
    for key, value in options.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    with log.open("a", encoding="utf-8") as err:
        err.write(f"\n$ {shlex.join(command)}\n")
        err.flush()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err,
                                   env=_env(CLUSTERKG_CACHE_DIR=str(cache)))
        assert process.stdout is not None
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"bench: step {step} failed (exit {process.returncode}); see {log}")
    return Measured(json.loads(output.decode("utf-8").strip().splitlines()[-1]),
                    usage.ru_maxrss * 1024)


def child_main(args: argparse.Namespace) -> None:
    """One measured step; prints one JSON line: ``{"seconds": ..., ...}``."""
    sys.path.insert(0, str(ROOT / "src"))
    from clusterkg.paths import find_home

    home = find_home(args.home)
    step = args.child
    answer: dict[str, Any]
    if step == "build":
        from clusterkg.oxstore import open_dataset

        started = time.perf_counter()
        dataset = open_dataset(home)
        seconds = time.perf_counter() - started
        answer = {"seconds": seconds, "quads": _count_quads(dataset)}
    elif step == "parse":
        from clusterkg.loader import load_memory_dataset

        started = time.perf_counter()
        dataset = load_memory_dataset(home)
        answer = {"seconds": time.perf_counter() - started}
    elif step in ("queries", "rdflib-queries"):
        answer = _queries(home, step == "rdflib-queries", args.repeat, args.query_timeout)
    elif step in ("validate", "pyshacl"):
        from clusterkg import validate

        started = time.perf_counter()
        dataset = _dataset(home, memory=step == "pyshacl")
        opened = time.perf_counter() - started
        engine = "pyshacl" if step == "pyshacl" else "shacl"
        started = time.perf_counter()
        report = validate.validate(dataset, engine=engine)
        seconds = time.perf_counter() - started
        answer = {"seconds": seconds, "conforms": report.conforms,
                  "findings": len(report.findings)}
        if step == "validate":
            answer["dump_seconds"] = _dump_seconds(dataset)
            answer["open_seconds"] = opened
    elif step == "params":
        answer = _param_queries(home, args.repeat, args.query_timeout)
    elif step == "delta":
        answer = _delta(home, Path(args.delta))
    elif step == "export":
        from clusterkg.cli import app

        out = Path(tempfile.mkdtemp(prefix="bench-export-")) / "ecosystem.graphml"
        started = time.perf_counter()
        app.main(["--home", str(home.root), "export", "-f", "graphml", "-o", str(out)],
                 standalone_mode=False)
        answer = {"seconds": time.perf_counter() - started, "bytes": out.stat().st_size}
        shutil.rmtree(out.parent, ignore_errors=True)
    else:
        raise SystemExit(f"bench: unknown step {step}")
    print(json.dumps(answer))


def _dataset(home: Any, *, memory: bool) -> Any:
    if memory:
        from clusterkg.loader import load_memory_dataset

        return load_memory_dataset(home)
    from clusterkg.oxstore import open_dataset

    return open_dataset(home)


def _count_quads(dataset: Any) -> int:
    from clusterkg.store import run_query

    result = run_query(dataset, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    return int(result.rows[0][0])  # type: ignore[arg-type]


def _dump_seconds(dataset: Any) -> float:
    """How long writing the validator's input (N-Triples) takes on its own."""
    from clusterkg.shacl_engine import dump_data

    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        dump_data(dataset, out)
        return time.perf_counter() - started


def _queries(home: Any, memory: bool, repeat: int, timeout: float) -> dict[str, Any]:
    """Every named query ``repeat`` times with its default parameters: on Oxigraph, on the
    store version copied into memory (the copy's time is reported apart, as
    ``copy_seconds``), as `clusterkg query NAME` runs a query whose header says
    ``in_memory``; and once read in place (``in_place``), as it runs every other query."""
    from clusterkg.catalog import coerce_params, list_queries, resolve_labels
    from clusterkg.store import run_query

    started = time.perf_counter()
    if memory:
        dataset = _dataset(home, memory=True)
    else:
        from clusterkg.oxstore import open_dataset

        dataset = open_dataset(home, memory=True)
        in_place = open_dataset(home)
    copy_seconds = time.perf_counter() - started
    out: dict[str, Any] = {}
    for named in list_queries(home):
        def run(named: Any = named, on: Any = dataset) -> Any:
            values = resolve_labels(coerce_params(named, {}), on)
            return run_query(on, named.text, values, name=named.name)

        times, rows = _timed(run, repeat, timeout)
        out[named.name] = {"times": times, "rows": rows}
        if not memory:
            out[named.name]["in_place"] = _timed(lambda n=named: run(n, in_place), 1, timeout)[0]
        print(f"{'rdflib' if memory else 'oxigraph'} {named.name}: "
              f"{[round(t, 4) for t in times]}", file=sys.stderr, flush=True)
    return {"queries": out, "copy_seconds": copy_seconds}


def _param_queries(home: Any, repeat: int, timeout: float) -> dict[str, Any]:
    """Every named query that takes a parameter, its first entity parameter bound to a
    typical value (PARAM_PROBES); queries whose parameters are not entities run with their
    defaults (a date, a minimum)."""
    from rdflib import URIRef

    from clusterkg.catalog import coerce_params, list_queries
    from clusterkg.store import run_query

    dataset = _dataset(home, memory=False)
    memory: Any = None
    prefix = "PREFIX ck: <https://w3id.org/clusterkg/ontology#>\n"
    out: dict[str, Any] = {}
    for named in list_queries(home):
        if not named.params:
            continue
        values = coerce_params(named, {})
        bound = ""
        for param in named.params.values():
            probe = PARAM_PROBES.get(param.name)
            if param.type != "entity" or probe is None:
                continue
            found = run_query(dataset, f"{prefix}SELECT ?v WHERE {{ {probe} }} "
                              "ORDER BY ?v LIMIT 1").rows
            if found and isinstance(found[0][0], URIRef):
                values = {**values, param.name: found[0][0]}
                bound = f"{param.name}={found[0][0]}"
                break
        # As `clusterkg query` does: in place, unless the header asks for a copy in memory
        # and no entity is bound (the copy's time is the queries step's copy_seconds).
        on = dataset
        if named.reads_in_memory([bound.split("=", 1)[0]] if bound else []):
            if memory is None:
                from clusterkg.oxstore import open_dataset

                memory = open_dataset(home, memory=True)
            on, bound = memory, "(in memory)"

        def run(named: Any = named, values: Any = values, on: Any = on) -> Any:
            return run_query(on, named.text, values, name=named.name)

        times, rows = _timed(run, repeat, timeout)
        out[named.name] = {"times": times, "rows": rows, "bound": bound}
        print(f"oxigraph {named.name} [{bound}]: {[round(t, 4) for t in times]}",
              file=sys.stderr, flush=True)
    return {"queries": out}


def _timed(run: Callable[[], Any], repeat: int, timeout: float) -> tuple[list[float], int | None]:
    """Seconds of each of ``repeat`` runs (inf, and no more runs, past ``timeout``) and the
    rows of the answer."""
    import signal

    class GiveUp(BaseException):
        """Not an Exception: run_query turns those into ClusterKGError, this must get out."""

    def give_up(signum: int, frame: Any) -> None:
        raise GiveUp

    signal.signal(signal.SIGALRM, give_up)
    times: list[float] = []
    rows = None
    for _ in range(repeat):
        signal.setitimer(signal.ITIMER_REAL, timeout)
        started = time.perf_counter()
        try:
            result = run()
        except GiveUp:
            times.append(float("inf"))
            break
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        times.append(time.perf_counter() - started)
        rows = len(result.rows) if result.kind == "SELECT" else None
    return times, rows


def _delta(home: Any, delta_file: Path) -> dict[str, Any]:
    """What `clusterkg validate FILE` does: read the file, check it against the store."""
    dataset = _dataset(home, memory=False)
    try:
        import pyshacl  # noqa: F401  (imported before the clock starts, as every import is)

        from clusterkg.delta import Schema, check, read_files, skolemise
    except ImportError:
        return {"seconds": None}
    started = time.perf_counter()
    delta, locator = read_files([delta_file])
    result = check(dataset, skolemise(delta, locator), locator=locator, schema=Schema(dataset))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "conforms": result.conforms, "triples": len(delta),
            "findings": len(result.report.findings), "focus_nodes": result.focus_nodes,
            "neighbourhood_triples": result.neighbourhood_triples}


# --- the run ------------------------------------------------------------------------------------


@dataclass
class SizeResult:
    """Everything measured for one size (what bench/results/<size>.json holds)."""

    label: str
    quads: int
    runs: int
    baseline_runs: int
    command: str
    steps: dict[str, Any] = field(default_factory=dict)
    skipped: str = ""  # what was not measured at this size, and why


def median(values: list[float | None]) -> float | None:
    clean = [v for v in values if v is not None]
    return statistics.median(clean) if clean else None


def measure_size(label: str, triples: int, args: argparse.Namespace, work: Path,
                 note: Callable[[str], None]) -> SizeResult:
    base = work / label
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    home, log = base / "home", base / "steps.log"
    note(f"{label}: generating")
    quads = generate(label, triples, home, args.seed)
    delta = write_delta(home, base / "delta-100.ttl")
    baseline_runs = args.baseline_runs or (1 if triples >= MILLION else args.runs)
    result = SizeResult(label, quads, args.runs, baseline_runs, command_line(args))

    def repeated(step: str, runs: int, cache: Callable[[int], Path], **options: Any
                 ) -> dict[str, Any]:
        done = []
        for i in range(runs):
            note(f"{label}: {step} run {i + 1}/{runs}")
            done.append(child(step, home, cache(i), log, **options))
        seconds = [m.payload.get("seconds") for m in done]
        return {"seconds": seconds, "median": median(seconds),
                "peak_rss": max(m.peak_rss for m in done), "info": done[-1].payload,
                "payloads": [m.payload for m in done]}

    big = triples >= args.no_baseline_above
    build_runs = 1 if big else args.runs
    shared = base / "cache-shared"
    result.steps["build"] = repeated("build", build_runs, lambda i: base / f"cache-build-{i}")
    shutil.rmtree(shared, ignore_errors=True)
    os.rename(base / f"cache-build-{build_runs - 1}", shared)
    for i in range(build_runs):
        shutil.rmtree(base / f"cache-build-{i}", ignore_errors=True)
    if not big:
        note(f"{label}: named queries on Oxigraph")
        fast = child("queries", home, shared, log, repeat=args.runs,
                     query_timeout=args.query_timeout)
        result.steps["queries"] = {"peak_rss": fast.peak_rss, **fast.payload}
    note(f"{label}: named queries with a parameter bound")
    bound = child("params", home, shared, log, repeat=max(3, args.runs),
                  query_timeout=args.query_timeout)
    result.steps["params"] = {"peak_rss": bound.peak_rss, **bound.payload}
    result.steps["validate"] = repeated("validate", args.runs, lambda i: shared)
    result.steps["delta"] = repeated("delta", args.runs, lambda i: shared, delta=delta)
    if big:
        result.skipped = (f"at {label} the baseline (rdflib, pySHACL), the GraphML export and "
                          "the named queries without a parameter (whole-graph listings) are not "
                          f"run (--no-baseline-above {args.no_baseline_above:,})")
    else:
        result.steps["export"] = repeated("export", args.runs, lambda i: shared)
        result.steps["parse"] = repeated("parse", baseline_runs, lambda i: shared)
        note(f"{label}: named queries on rdflib")
        slow = child("rdflib-queries", home, shared, log, repeat=baseline_runs,
                     query_timeout=args.query_timeout)
        result.steps["rdflib-queries"] = {"peak_rss": slow.peak_rss, **slow.payload}
        result.steps["pyshacl"] = repeated("pyshacl", baseline_runs, lambda i: shared)
    if args.commands:
        note(f"{label}: whole commands")
        result.steps["commands"] = whole_commands(home, shared, delta, base, args.runs,
                                                  export=not big, note=note)
    shutil.rmtree(shared, ignore_errors=True)
    return result


def whole_commands(home: Path, cache: Path, delta: Path, work: Path, runs: int, *,
                   export: bool, note: Callable[[str], None]) -> dict[str, Any]:
    """Wall time and peak memory of whole `clusterkg` processes (bench_commands.py's steps)
    on the store already built: what a person at the keyboard waits for."""
    from bench_commands import Runner, steps

    runner = Runner("clusterkg", ROOT / "src", home, cache)
    out: dict[str, Any] = {}
    for name, step in steps(home, delta, work):
        if not export and (name.startswith("export") or "all rows" in name):
            continue  # at the largest sizes: see measure_size
        timed = [part for i in range(runs) for part in step(runner, i)]
        out[name] = {"seconds": [t for t, _ in timed], "peak_rss": max(m for _, m in timed)}
        note(f"command {name}: {statistics.median(t for t, _ in timed):.2f} s")
    return out


def command_line(args: argparse.Namespace) -> str:
    parts = ["python", "bench/run.py", "--sizes", args.sizes, "--runs", str(args.runs)]
    if args.baseline_runs:
        parts += ["--baseline-runs", str(args.baseline_runs)]
    if args.query_timeout != QUERY_TIMEOUT:
        parts += ["--query-timeout", f"{args.query_timeout:g}"]
    if not args.commands:
        parts.append("--no-commands")
    return " ".join(parts)


# --- the document -------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(line for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
        ram = f"{int(memory.split()[1]) / 1024**2:.1f} GiB"
    except (OSError, StopIteration):
        ram = "?"
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": ram,
            "os": f"{platform.system()} {platform.release()}"}


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("rdflib", "pyoxigraph", "oxrdflib", "shacl", "pyshacl"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def seconds_text(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value == float("inf"):
        return "gave up (timeout)"
    if value < 1:
        return f"{value * 1000:.1f} ms" if value < 0.1 else f"{value * 1000:.0f} ms"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def memory_text(value: int | None) -> str:
    return "—" if value is None else f"{value / 1024**2:,.0f} MiB"


def ratio_text(fast: float | None, slow: float | None) -> str:
    if fast is None or slow is None or fast <= 0:
        return "—"
    if slow == float("inf"):
        return "—"
    return f"{slow / fast:,.1f}x"


def query_medians(step: dict[str, Any]) -> dict[str, tuple[float | None, int | None]]:
    return {name: (median(q["times"]), q["rows"]) for name, q in step["queries"].items()}


def _empty() -> dict[str, Any]:
    return {"median": None, "peak_rss": None, "queries": {}, "info": {}, "payloads": []}


def size_table(result: SizeResult) -> list[str]:
    steps = result.steps
    none = _empty()
    fast_q = query_medians(steps.get("queries", none))
    slow_q = query_medians(steps.get("rdflib-queries", none))
    q_rss = steps.get("queries", none)["peak_rss"]
    slow_q_rss = steps.get("rdflib-queries", none)["peak_rss"]
    pyshacl, parse = steps.get("pyshacl", none), steps.get("parse", none)
    rows = [
        "| step | clusterkg | peak RSS | baseline | baseline peak RSS | time ratio "
        "(baseline / clusterkg) | memory ratio |",
        "|---|---|---|---|---|---|---|",
    ]

    def row(name: str, fast: float | None, fast_rss: int | None, slow: float | None,
            slow_rss: int | None) -> None:
        memory = (f"{fast_rss / slow_rss:.2f}" if fast_rss and slow_rss else "—")
        rows.append(f"| {name} | {seconds_text(fast)} | {memory_text(fast_rss)} | "
                    f"{seconds_text(slow)} | {memory_text(slow_rss)} | "
                    f"{ratio_text(fast, slow)} | {memory} |")

    row("build: parse, check and load into a new on-disk store version "
        "(baseline: rdflib parse)",
        steps["build"]["median"], steps["build"]["peak_rss"], parse["median"],
        parse["peak_rss"])
    opened = median([p.get("open_seconds") for p in steps["validate"].get("payloads", [])])
    row("open the store version read-only (every command pays this)", opened,
        steps["validate"]["peak_rss"], None, None)
    copied = steps.get("queries", none).get("copy_seconds")
    if copied is not None:
        row("copy the store version into memory (whole-graph queries, `stats`, `export`, "
            "`serve` pay this once; the first time also writes its dump)", copied,
            steps["queries"]["peak_rss"], None, None)
    for name in sorted(fast_q):
        fast, rows_fast = fast_q[name]
        slow, rows_slow = slow_q.get(name, (None, None))
        mark = "" if (rows_fast == rows_slow or slow == float("inf") or name not in slow_q) \
            else f" (rows differ: {rows_fast} vs {rows_slow})"
        place = steps["queries"]["queries"][name].get("in_place")
        place = f"; read in place: {seconds_text(median(place))}" if place else ""
        row(f"query `{name}`, no parameter, in memory ({rows_fast} rows{place}){mark}", fast,
            q_rss, slow, slow_q_rss)
    validate = steps["validate"]
    dump = validate["info"].get("dump_seconds")
    row(f"full validation (`shacl`; of it, writing the input: {seconds_text(dump)}; "
        f"baseline: pySHACL)", validate["median"], validate["peak_rss"], pyshacl["median"],
        pyshacl["peak_rss"])
    delta = steps["delta"]
    info = delta["info"]
    detail = (f"{info.get('triples')} triples, {info.get('focus_nodes')} focus nodes, "
              f"{'conforms' if info.get('conforms') else 'does not conform'}"
              if delta["median"] is not None else "clusterkg.delta not found")
    row(f"validate a 100-triple delta ({detail}; baseline: pySHACL, whole graph)",
        delta["median"], delta["peak_rss"], pyshacl["median"], pyshacl["peak_rss"])
    if "export" in steps:
        row("export GraphML (the whole `clusterkg export -f graphml`)",
            steps["export"]["median"], steps["export"]["peak_rss"], None, None)
    rows += params_table(result) + commands_table(result)
    if result.skipped:
        rows += ["", f"Not measured: {result.skipped}."]
    return rows


def params_table(result: SizeResult) -> list[str]:
    """The named queries with a parameter bound, as users ask them."""
    step = result.steps.get("params")
    if not step:
        return []
    rows = ["", "Named queries with a typical parameter bound (on the on-disk store, read in "
            "place, or in memory where the header asks for it and no entity is bound; "
            f"peak RSS {memory_text(step['peak_rss'])}):", "",
            "| query | bound | rows | median |", "|---|---|---|---|"]
    for name, found in sorted(step["queries"].items()):
        bound = found.get("bound") or "defaults"
        bound = bound.replace("https://w3id.org/clusterkg/", "…/")
        rows.append(f"| `{name}` | {bound} | {found['rows']} | "
                    f"{seconds_text(median(found['times']))} |")
    return rows


def commands_table(result: SizeResult) -> list[str]:
    """Whole processes, interpreter start included."""
    step = result.steps.get("commands")
    if not step:
        return []
    rows = ["", "Whole `clusterkg` processes, interpreter start included (medians):", "",
            "| command | wall time | peak RSS |", "|---|---|---|"]
    for name, found in step.items():
        rows.append(f"| `clusterkg {name}` | {seconds_text(median(found['seconds']))} | "
                    f"{memory_text(found['peak_rss'])} |")
    return rows


def _command_seconds(result: SizeResult, name: str) -> float | None:
    found = result.steps.get("commands", {}).get(name)
    return median(found["seconds"]) if found else None


def targets_section(results: list[SizeResult]) -> list[str]:
    lines = targets_1m(results)
    huge = [r for r in results if r.quads >= 0.9 * 10 * MILLION]
    if huge:
        lines += targets_10m(huge[-1])
    return lines


def _slowest_param(result: SizeResult) -> tuple[str, float | None]:
    found = result.steps.get("params", {}).get("queries", {})
    if not found:
        return "n/a", None
    name = max(found, key=lambda n: median(found[n]["times"]) or 0)
    return name, median(found[name]["times"])


def targets_1m(results: list[SizeResult]) -> list[str]:
    big = [r for r in results if 0.9 * MILLION <= r.quads < 5 * MILLION]
    lines = ["### Targets at 1M triples", ""]
    if not big:
        return [*lines, "Not measured: run with `--sizes 1m` (the targets are for 1M triples).",
                ""]
    r = big[-1]
    steps = r.steps
    none = _empty()
    fast_q = query_medians(steps["queries"])
    slow_q = query_medians(steps.get("rdflib-queries", none))
    peak = max(steps[s]["peak_rss"] or 0 for s in ("build", "queries", "validate", "delta",
                                                   "export", "params") if s in steps)
    worst_query = max(fast_q, key=lambda n: fast_q[n][0] or 0)
    slow_ratio = {n: (slow_q[n][0] or 0) / (fast_q[n][0] or 1) for n in fast_q if n in slow_q}
    least = min(slow_ratio, key=lambda n: slow_ratio[n]) if slow_ratio else None
    validate, pyshacl = steps["validate"]["median"], steps.get("pyshacl", none)["median"]
    delta = steps["delta"]["median"]
    param_name, param_s = _slowest_param(r)
    checks = [
        ("build ≤ 10 s", f"{seconds_text(steps['build']['median'])}",
         (steps["build"]["median"] or 1e9) <= TARGETS.build_s),
        ("every named query ≤ 300 ms (no parameter: whole-graph listings)",
         f"slowest: `{worst_query}` {seconds_text(fast_q[worst_query][0])}",
         all((t or 1e9) <= TARGETS.query_s for t, _ in fast_q.values())),
        ("every named query with a parameter bound ≤ 300 ms",
         f"slowest: `{param_name}` {seconds_text(param_s)}",
         param_s is not None and param_s <= TARGETS.param_query_s),
        ("every named query ≥ 20x faster than rdflib",
         f"least: `{least}` {slow_ratio.get(least or '', 0):,.1f}x" if least else "n/a",
         bool(slow_ratio) and all(v >= TARGETS.query_speedup for v in slow_ratio.values())),
        ("full validation ≤ 10 s", seconds_text(validate), (validate or 1e9) <= TARGETS.validate_s),
        ("full validation ≥ 20x faster than pySHACL", ratio_text(validate, pyshacl),
         bool(validate and pyshacl) and pyshacl / validate >= TARGETS.validate_speedup),
        ("100-triple delta ≤ 0.5 s", seconds_text(delta),
         delta is not None and delta <= TARGETS.delta_s),
        ("peak memory ≤ 4 GiB (clusterkg steps)", memory_text(peak),
         peak <= TARGETS.memory_bytes),
    ]
    try:
        from bench_commands import TARGETS as COMMAND_TARGETS
    except ImportError:
        COMMAND_TARGETS = {}
    for name, limit in COMMAND_TARGETS.items():
        value = _command_seconds(r, name)
        if value is not None:
            checks.append((f"`clusterkg {name}` ≤ {limit:g} s (whole process)",
                           seconds_text(value), value <= limit))
    lines += [f"Measured at {r.quads:,} triples ({r.label}).", "",
              "| target | measured | |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'met' if ok else '**not met**'} |" for t, m, ok in checks]
    return [*lines, ""]


def targets_10m(r: SizeResult) -> list[str]:
    steps = r.steps
    peak = max(steps[s]["peak_rss"] or 0 for s in ("build", "queries", "validate", "delta",
                                                   "params") if s in steps)
    build, validate = steps["build"]["median"], steps["validate"]["median"]
    param_name, param_s = _slowest_param(r)
    checks = [
        ("build ≤ 100 s", seconds_text(build), (build or 1e9) <= TARGETS.build_10m_s),
        ("every parameterised named query ≤ 300 ms",
         f"slowest: `{param_name}` {seconds_text(param_s)}",
         param_s is not None and param_s <= TARGETS.param_query_s),
        ("full validation ≤ 100 s", seconds_text(validate),
         (validate or 1e9) <= TARGETS.validate_10m_s),
        ("peak memory ≤ 12 GiB (clusterkg steps)", memory_text(peak),
         peak <= TARGETS.memory_10m_bytes),
    ]
    lines = ["### Targets at 10M triples", "", f"Measured at {r.quads:,} triples ({r.label}).",
             "", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'met' if ok else '**not met**'} |" for t, m, ok in checks]
    return [*lines, ""]


def render(results: list[SizeResult]) -> str:
    info, libs = machine(), versions()
    lines = [
        BEGIN,
        "## Results",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM, {info['os']}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in libs.items()) + ".",
        "",
        "Each step runs in a fresh Python process; times count the work only (not start-up",
        "or imports) and are medians; peak RSS is that process's maximum resident memory",
        "(ru_maxrss), the queries' figure is for the one process that ran them all. The",
        "baseline is rdflib's in-memory store and SPARQL engine and pySHACL, on the same",
        "generated data in the same run. A time ratio above 1 means clusterkg is faster.",
        "",
    ]
    for r in results:
        lines += [
            f"### {r.label}: {r.quads:,} triples",
            "",
            f"Reproduce: `{r.command}` — {r.runs} run(s) per step, baseline "
            f"{r.baseline_runs} run(s)"
            + (" (one baseline run at this size: pySHACL takes minutes a run)."
               if r.baseline_runs < r.runs else "."),
            "",
            *size_table(r),
            "",
        ]
    lines += targets_section(results)
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_document(path: Path, block: str) -> None:
    """Replace the marked block of ``path`` (or create the file around it)."""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            tail = rest.split(END, 1)[1]
            text = head + block.rstrip("\n") + tail
        else:
            text = text.rstrip("\n") + "\n\n" + block
    else:
        text = "# Benchmarks\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def load_results(directory: Path) -> dict[str, SizeResult]:
    found = {}
    for path in sorted(directory.glob("*.json")):
        if not re.fullmatch(r"\d+(\.\d+)?[km]?", path.stem):
            continue  # another bench's results (commands-*, intake, workbench-*)
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["label"]] = SizeResult(**data)
    return found


# --- entry point --------------------------------------------------------------------------------


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10k,100k,1m",
                        help="comma-separated sizes in triples: 10k, 100k, 1m or a number")
    parser.add_argument("--runs", type=int, default=3, help="runs per measured step")
    parser.add_argument("--baseline-runs", type=int, default=None,
                        help="runs of the baseline steps (default: --runs; 1 at 1M and above)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results",
                        help="where the raw numbers per size are kept (JSON)")
    parser.add_argument("--merge", action="store_true",
                        help="also show earlier sizes found in --results")
    parser.add_argument("--work", type=Path, default=None,
                        help="scratch directory (default: a new temporary directory)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-baseline-above", type=int, default=NO_BASELINE_ABOVE,
                        metavar="TRIPLES",
                        help="from this size on, build once and skip the baseline and the "
                             "GraphML export (default 5,000,000)")
    parser.add_argument("--no-commands", dest="commands", action="store_false",
                        help="skip the whole-process command timings")
    parser.add_argument("--query-timeout", type=float, default=QUERY_TIMEOUT,
                        help="seconds a query may run before it is given up (reported as such)")
    # internal: one measured step in a child process
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--delta", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 1 or (args.baseline_runs is not None and args.baseline_runs < 1):
        parser.error("--runs and --baseline-runs must be 1 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if args.child:
        child_main(args)
        return 0
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    work = args.work or Path(tempfile.mkdtemp(prefix="clusterkg-bench-"))
    started = time.perf_counter()

    def note(message: str) -> None:
        print(f"bench [{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr,
              flush=True)

    note(f"scratch directory {work}")
    args.results.mkdir(parents=True, exist_ok=True)
    done: dict[str, SizeResult] = load_results(args.results) if args.merge else {}
    for label, triples in sizes:
        result = measure_size(label, triples, args, work, note)
        (args.results / f"{label}.json").write_text(
            json.dumps(result.__dict__, indent=1), encoding="utf-8")
        done[label] = result
    ordered = sorted(done.values(), key=lambda r: r.quads)
    write_document(args.out, render(ordered))
    note(f"wrote {args.out}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
