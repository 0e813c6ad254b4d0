"""Files and endpoints a user runs into after something went wrong elsewhere.

* A killed ``add`` leaves its temp file in graph/: the next command that takes the graph lock
  removes it, says so, and touches nothing else.
* ``-o -`` means stdout for every output option (or is refused where files are many).
* ``--endpoint``: a redirect is reported with its target, never followed; a certificate that
  does not verify is reported once, not retried.

Everything runs for real: the CLI in a subprocess, servers on 127.0.0.1 from http.server/ssl,
a self-signed certificate made by the openssl command.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, Runner, assert_one_line_error, cli_env, lock_held, snapshot

FACTS = ROOT / "tests" / "data" / "facts"
ENV = {"USER": "tester"}
PARTIAL = b"@prefix ck: <https://w3id.org/clusterkg/ontology#> .\n" + b"# half a graph\n" * 200_000


def ck(run: Runner, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run(*args, home=home, env=cli_env(**{**ENV, **env}))


def leftover(graph: Path, target: str) -> Path:
    """A temp file named exactly as build.write_atomically names it, cut off mid-write."""
    handle, name = tempfile.mkstemp(dir=graph, prefix=f".{target}.", suffix=".tmp")
    with os.fdopen(handle, "wb") as stream:
        stream.write(PARTIAL)
    return Path(name)


def warnings_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in result.stderr, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("clusterkg: warning:")]


# --- 8: leftovers of a killed writer ----------------------------------------------------------


def test_commands_that_take_the_lock_remove_leftover_temp_files(
    run: Runner, seed_home: Path, tmp_path: Path
) -> None:
    # Killing a real `add` between mkstemp and os.replace cannot be timed reliably (the write
    # takes milliseconds after minutes of validation), so the file it would leave is made here
    # with the writer's own naming.
    graph = seed_home / "graph"
    unrelated = graph / ".notes.tmp"  # hidden and .tmp, but not a name our writers use
    unrelated.write_text("mine\n", encoding="utf-8")
    before = snapshot(graph)

    stale = leftover(graph, "arsrapport-2024.trig")
    refused = ck(run, seed_home, "add", str(FACTS / "bad.ttl"), "--source", "Test")
    assert refused.returncode == 1, refused.stderr
    (note,) = warnings_of(refused)
    assert f"removed 1 leftover temporary file ({len(PARTIAL)} bytes)" in note, note
    assert stale.name in note
    assert snapshot(graph) == before  # the leftover gone, every other byte as it was

    stale = leftover(graph, "arsrapport-2024.trig")
    added = ck(run, seed_home, "add", str(FACTS / "good.ttl"), "--source", "Årsrapport 2024")
    assert added.returncode == 0, added.stderr
    assert len(warnings_of(added)) == 1 and not stale.exists()
    assert (graph / "arsrapport-2024.trig").is_file()

    orgs = tmp_path / "orgs.csv"
    orgs.write_text("name,kind\nNorsk Test AS,bedrift\n", encoding="utf-8")
    stale = leftover(graph, "brreg.trig")
    imported = ck(run, seed_home, "import", "organisations", str(orgs), "-s", "Brreg")
    assert imported.returncode == 0, imported.stderr
    assert len(warnings_of(imported)) == 1 and not stale.exists()

    stales = [leftover(graph, "brreg.trig"), leftover(graph, "arsrapport-2024.trig")]
    for source in ("Brreg", "Årsrapport 2024"):
        removed = ck(run, seed_home, "remove", "--source", source)
        assert removed.returncode == 0, removed.stderr
    assert not any(p.exists() for p in stales)
    assert snapshot(graph) == before


def test_the_temp_file_of_the_lock_holder_is_never_removed(
    run: Runner, seed_home: Path
) -> None:
    # A writer holds the lock from before it creates its temp file until after the rename, and
    # leftovers are only removed by whoever holds the lock: so a temp file that is still being
    # written is never seen by a cleaner. Here another process holds the lock "mid-write".
    graph = seed_home / "graph"
    lock = graph / ".clusterkg.lock"
    in_use = leftover(graph, "arsrapport-2024.trig")
    before = snapshot(graph)
    with lock_held(lock):
        for args in (("add", str(FACTS / "good.ttl"), "-s", "Årsrapport 2024"),
                     ("remove", "-s", "000_e55087a455a2a3a4", "--force")):
            waited = ck(run, seed_home, *args, CLUSTERKG_LOCK_TIMEOUT="0.3")
            assert_one_line_error(waited, "locked by another clusterkg command")
    assert in_use.exists() and snapshot(graph) == before


# --- 9: '-' is stdout ------------------------------------------------------------------------


def test_template_dash_writes_to_stdout(run: Runner, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    result = run("template", "member-counts", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("cluster,kind,count,")
    assert "Traceback" not in result.stderr and "wrote" not in result.stderr
    assert not (workdir / "-").exists() and list(workdir.iterdir()) == []
    bom = run("template", "member-counts", "-o", "-", "--bom", raw=True)
    assert bom.returncode == 0 and bom.stdout.startswith("\ufeffcluster,".encode())


@pytest.mark.parametrize("command", [("build",), ("demo",), ("generate", "--clusters", "2")])
def test_directory_outputs_refuse_dash(run: Runner, tmp_path: Path,
                                       command: tuple[str, ...]) -> None:
    result = run(*command, "-o", "-")
    assert_one_line_error(result, "'-' means stdout", "give a directory")
    assert list((tmp_path / "work").iterdir()) == []


def test_analyze_plot_refuses_dash(run: Runner, tmp_path: Path) -> None:
    assert_one_line_error(run("analyze", "--plot", "-"), "--plot cannot write to stdout")
    assert list((tmp_path / "work").iterdir()) == []


# --- 11: --endpoint redirects and certificates -------------------------------------------------


class _Counting(http.server.ThreadingHTTPServer):
    """Counts TCP connections; with ``tls`` set, speaks TLS (handshake at accept)."""

    daemon_threads = True
    tls: ssl.SSLContext | None = None

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.connections = 0
        self.requests: list[str] = []
        self.answer: tuple[int, str] = (302, "")

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        self.connections += 1
        if self.tls is not None:  # a failed handshake raises here; serve_forever carries on
            sock = self.tls.wrap_socket(sock, server_side=True)
        return sock, address


class _Redirecting(http.server.BaseHTTPRequestHandler):
    server: _Counting

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append(f"{self.command} {self.path}")
        code, location = self.server.answer
        self.send_response(code)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Counting]:
    running = _Counting(_Redirecting)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()


@pytest.mark.parametrize(("code", "location", "shown"), [
    (301, "http://127.0.0.1:9/new/sparql", "http://127.0.0.1:9/new/sparql"),
    (302, "http://127.0.0.1:9/new/sparql", "http://127.0.0.1:9/new/sparql"),
    (303, "/other/sparql", "/other/sparql"),  # relative: shown resolved against the endpoint
    (307, "https://127.0.0.1:9/sparql", "https://127.0.0.1:9/sparql"),
    (308, "https://127.0.0.1:9/sparql", "https://127.0.0.1:9/sparql"),
])
def test_redirect_is_reported_not_followed(run: Runner, seed_home: Path, server: _Counting,
                                           code: int, location: str, shown: str) -> None:
    server.answer = (code, location)
    endpoint = f"http://127.0.0.1:{server.server_port}/sparql"
    result = run("query", "hosts", "--endpoint", endpoint, home=seed_home)
    line = assert_one_line_error(result, f"{endpoint} redirected", f"(HTTP {code})",
                                 "use that URL with --endpoint")
    assert shown in line
    assert server.requests == ["POST /sparql"]  # once, and never re-sent to the new place


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    """A server-side TLS context with a fresh self-signed certificate for 127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command (apt install openssl)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_untrusted_certificate_is_one_attempt_and_one_line(
    run: Runner, seed_home: Path, server: _Counting, self_signed: ssl.SSLContext
) -> None:
    server.tls = self_signed
    endpoint = f"https://127.0.0.1:{server.server_port}/sparql"
    result = run("query", "hosts", "--endpoint", endpoint, "--retries", "3", home=seed_home)
    assert_one_line_error(result, f"TLS certificate of {endpoint} is not trusted",
                          "self-signed certificate", "SSL_CERT_FILE")
    assert "attempts" not in result.stderr
    assert server.connections == 1 and server.requests == []
