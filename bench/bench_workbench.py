"""How fast the workbench answers on a large graph: the issue's target is an entity page at
1M triples (the generated ecosystem) in <= 200 ms server time.

    python bench/bench_workbench.py [--size 10k|100k|1m|N] [--requests 20] [--seed 1]
                                    [--cold] [--project DIR] [--out FILE]

It generates a synthetic project (`clusterkg generate`, as bench/run.py does; --project reuses
one), starts `clusterkg serve --port 0` on it, and requests, one after another over one
keep-alive connection on loopback:

- the HTML page of a generated cluster (``/id/gen/cluster-0001``),
- the same IRI as Turtle (content negotiation, what a Linked Data client gets),
- ``/api/search?q=...`` with that cluster's label (search as you type; it must be found).

Each is requested twice to warm up, then --requests times; the table gives the medians and the
90th percentiles of the time measured by the client (request sent to last byte read) and, when
the server sends a ``Server-Timing`` header, of the time it reports (its ``total`` entry, else
the largest). Raw numbers go to one JSON file per size in bench/results/
(workbench-1m.json). Starting the server is
timed too (the first start builds the store, later ones reuse it from a cache folder in the
temporary directory; --cold starts with an empty one), but it is not part of the target.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 200.0
PROJECT_IRIS = "https://w3id.org/clusterkg"
CACHE = Path(tempfile.gettempdir()) / "clusterkg-bench-cache"  # the store, kept across runs
NAMED_SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
QUADS_PER_CLUSTER = 700  # as bench/run.py
CLUSTER = re.compile(r'^<(https://w3id\.org/clusterkg/id/gen/cluster-0001)> '
                     r'<http://www\.w3\.org/2000/01/rdf-schema#label> "([^"]+)"')


def env(cache: Path = CACHE) -> dict[str, str]:
    """No inherited CLUSTERKG_* settings; this checkout's src importable; a private cache."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERKG_")}
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                        clean.get("PYTHONPATH")]))
    clean["CLUSTERKG_CACHE_DIR"] = str(cache)
    return clean


def generate(size: str, home: Path, seed: int) -> None:
    """The synthetic project at ``home`` (kept if an earlier run with these settings made it)."""
    if (home / "all.nq").exists():
        return
    label = size.lower()
    how = (["--size", label] if label in NAMED_SIZES
           else ["--clusters", str(max(1, round(int(label) / QUADS_PER_CLUSTER)))])
    done = subprocess.run(
        [sys.executable, "-m", "clusterkg", "--home", str(ROOT), "generate", *how,
         "--seed", str(seed), "-o", str(home)],
        capture_output=True, text=True, env=env(), check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: clusterkg generate failed:\n{done.stderr}")


def first_cluster(home: Path) -> tuple[str, str, int]:
    """(IRI, label, number of quads) of generated cluster 0001, read from all.nq."""
    found: tuple[str, str] | None = None
    quads = 0
    with (home / "all.nq").open(encoding="utf-8") as lines:
        for line in lines:
            quads += 1
            if found is None and (match := CLUSTER.match(line)):
                found = (match.group(1), match.group(2))
    if found is None:
        raise SystemExit(f"bench: no gen/cluster-0001 with an rdfs:label in {home / 'all.nq'}")
    return found[0], found[1], quads


class Serve:
    """`clusterkg --home HOME serve --port 0`, up once it prints its URL."""

    def __init__(self, home: Path, cache: Path) -> None:
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (lives with the server)
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clusterkg", "--home", str(home), "serve", "--port", "0",
             "--timeout", "60"],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env(cache), cwd=home)
        lines: list[str] = []
        threading.Thread(target=lambda: lines.extend(self.process.stdout or []),
                         daemon=True).start()
        while not lines and self.process.poll() is None \
                and time.perf_counter() - started < 1800:
            time.sleep(0.05)
        if not lines:
            self.stop()
            self.log.seek(0)
            raise SystemExit(f"bench: serve did not start:\n{self.log.read()}")
        self.startup_s = time.perf_counter() - started
        url = urlsplit(lines[0].split()[-1])
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=60)


def server_timing(header: str | None) -> float | None:
    """Milliseconds from ``Server-Timing`` (its ``total`` entry, else the largest ``dur``)."""
    if not header:
        return None
    durations: dict[str, float] = {}
    for entry in header.split(","):
        name, *params = [part.strip() for part in entry.split(";")]
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "dur":
                try:
                    durations[name] = float(value.strip().strip('"'))
                except ValueError:
                    continue
    if not durations:
        return None
    return durations.get("total", max(durations.values()))


def measure(serve: Serve, path: str, accept: str, requests: int,
            expect: str) -> dict[str, Any]:
    """Client and server times (ms) of ``requests`` GETs of ``path``, after two to warm up;
    whether every answer holds ``expect`` (a fast error page would prove nothing)."""
    connection = http.client.HTTPConnection(serve.host, serve.port, timeout=120)
    client: list[float] = []
    server: list[float] = []
    statuses: set[int] = set()
    size = 0
    complete = True
    try:
        for number in range(requests + 2):
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Accept": accept})
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):  # e.g. closed after a 500
                connection.close()
                statuses.add(0)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if number < 2:
                continue
            statuses.add(response.status)
            size = len(body)
            complete = complete and expect in body.decode("utf-8", "replace")
            client.append(elapsed)
            if (reported := server_timing(response.getheader("Server-Timing"))) is not None:
                server.append(reported)
    finally:
        connection.close()
    return {"path": path, "accept": accept, "statuses": sorted(statuses), "bytes": size,
            "holds_expected_text": complete,
            "client_ms": client, "server_ms": server}  # status 0: the connection failed


def summary(times: list[float]) -> tuple[float, float] | None:
    if not times:
        return None
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def report(results: list[dict[str, Any]], quads: int, startup_s: float, cold: bool) -> str:
    start = "building its store" if cold else "store cache kept between runs"
    lines = [f"workbench at {quads:,} quads (serve started in {startup_s:.1f} s, {start}); "
             f"target: entity page <= {TARGET_MS:.0f} ms server time", "",
             f"{'request':<48} {'status':>6} {'client median/p90 ms':>21} "
             f"{'server median/p90 ms':>21}  target"]
    for result in results:
        client, server = summary(result["client_ms"]), summary(result["server_ms"])
        judged = server or client
        verdict = "-" if judged is None else ("ok" if judged[0] <= TARGET_MS else "MISSED")
        if result["statuses"] != [200]:
            verdict = "not served"
        elif not result["holds_expected_text"]:
            verdict = "wrong answer"
        what = f"{result['path'][:38]} ({result['accept'].split(',')[0].split('/')[-1]})"
        lines.append(
            f"{what:<48} {','.join(map(str, result['statuses'])):>6} "
            f"{'{:.1f} / {:.1f}'.format(*client) if client else '-':>21} "
            f"{'{:.1f} / {:.1f}'.format(*server) if server else 'no header':>21}  {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="10k", help="10k, 100k, 1m or a number of triples")
    parser.add_argument("--requests", type=int, default=20, help="measured requests per path")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cold", action="store_true",
                        help="start serve with an empty store cache (times building the store)")
    parser.add_argument("--project", type=Path,
                        help="the generated project to use (made there if missing); "
                             "default: a folder under the temporary directory, kept for reuse")
    parser.add_argument("--out", type=Path,
                        help="raw results (default: a JSON file per size in bench/results/)")
    args = parser.parse_args(argv)
    size = args.size.lower()
    if size not in NAMED_SIZES and not size.isdigit():
        parser.error(f"bad --size {args.size!r}")
    home = args.project or Path(tempfile.gettempdir()) / f"clusterkg-bench-{size}-{args.seed}"
    generate(size, home, args.seed)
    iri, label, quads = first_cluster(home)
    word = label.split()[-1]
    path = iri.removeprefix(PROJECT_IRIS)  # served at the IRI's own path (/id/...)
    cache = Path(tempfile.mkdtemp(prefix="clusterkg-bench-cold-")) if args.cold else CACHE
    serve = Serve(home, cache)
    try:
        results = [
            measure(serve, path, "text/html", args.requests, word),
            measure(serve, path, "text/turtle", args.requests, word),
            measure(serve, "/api/search?q=" + quote(label), "application/json",
                    args.requests, iri),
        ]
    finally:
        serve.stop()
        if args.cold:
            shutil.rmtree(cache, ignore_errors=True)
    print(report(results, quads, serve.startup_s, args.cold))
    out = args.out or ROOT / "bench" / "results" / f"workbench-{size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "size": size, "quads": quads, "entity": iri, "search": label,
        "startup_s": round(serve.startup_s, 2), "cold_start": args.cold,
        "target_ms": TARGET_MS,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "results": results,
    }, indent=2) + "\n", encoding="utf-8")
    print(f"\nraw numbers: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
