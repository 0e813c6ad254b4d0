"""Real SPARQL servers for the integration tests: Virtuoso (Debian) and Oxigraph (PyPI).

A pytest plugin (registered in conftest.py via ``pytest_plugins``). Each fixture starts one
throw-away server on 127.0.0.1 with a free port, a private config and data directory under
pytest's tmp, and stops it at the end of the session. No mocks: the point is to meet the real
quirks (digest auth, silent truncation, the union default graph) that the notes in
shared/notes/sparql-servers.md describe.

A missing server binary FAILS the tests with the install command, because a skipped
integration test is too easy to miss; set CLUSTERKG_ALLOW_NO_SERVERS=1 to skip instead.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

VIRTUOSO_INSTALL = "apt-get install -y --no-install-recommends virtuoso-opensource-7-bin"
OXIGRAPH_INSTALL = "pip install oxigraph  (or: scripts/test, which installs the test extra)"
#: Virtuoso's ResultSetMaxRows in the test instance: above every named query's row count,
#: below the size of the ontology and shapes graphs, so truncation and paging both happen.
VIRTUOSO_MAX_ROWS = 1000
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Server:
    """Where a running test server answers, and how to write to it."""

    name: str
    query_url: str
    update_url: str
    store_url: str  # Graph Store Protocol
    user: str | None = None
    password: str | None = None
    max_rows: int | None = None
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def env(self, **extra: str) -> dict[str, str]:
        """CLUSTERKG_USER / CLUSTERKG_PASSWORD for the CLI, when the server wants them."""
        out = dict(extra)
        if self.user is not None and self.password is not None:
            out.setdefault("CLUSTERKG_USER", self.user)
            out.setdefault("CLUSTERKG_PASSWORD", self.password)
        return out


def free_port() -> int:
    """A TCP port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_binary(name: str, install: str) -> str:
    """The binary's path; fail (or skip with CLUSTERKG_ALLOW_NO_SERVERS=1) when it is missing."""
    found = shutil.which(name) or _venv_binary(name)
    if found:
        return found
    message = f"{name} not found on PATH: install it with `{install}`"
    if os.environ.get("CLUSTERKG_ALLOW_NO_SERVERS") == "1":
        pytest.skip(message)
    pytest.fail(message + " (or set CLUSTERKG_ALLOW_NO_SERVERS=1 to skip these tests)")
    raise AssertionError  # unreachable; pytest.fail raises


def _venv_binary(name: str) -> str | None:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


def wait_until_answering(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``url`` until any HTTP answer comes; fail with the log tail if the server dies."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
            return
        except urllib.error.HTTPError:
            return  # it answers, even if not with 200
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {START_TIMEOUT} s: {_tail(log)}")


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM the server and wait for it; SIGKILL if it lingers (a killed store recovers)."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# --- Virtuoso --------------------------------------------------------------------------------


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = ., {d}/data
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ServerThreads = 10
CheckpointInterval = 60

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
ServerThreads = 10
MaxClientConnections = 10

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 60
DefaultQuery = ASK {{}}
"""


def start_virtuoso(directory: Path, max_rows: int = VIRTUOSO_MAX_ROWS) -> Server:
    """A fresh Virtuoso with a random dba password."""
    binary = require_binary("virtuoso-t", VIRTUOSO_INSTALL)
    isql = require_binary("isql-vt", VIRTUOSO_INSTALL)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "data").mkdir(exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(
        VIRTUOSO_INI.format(d=directory, sql_port=sql_port, http_port=http_port,
                            max_rows=max_rows),
        encoding="utf-8",
    )
    log = directory / "virtuoso.log"
    # +foreground keeps virtuoso-t our child, so SIGTERM and wait() need no pid file.
    process = subprocess.Popen(
        [binary, "+configfile", str(ini), "+foreground"],
        cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_until_answering(f"{base}/sparql?query=ASK%7B%7D", process, log)
        password = "t" + secrets.token_hex(12)
        done = subprocess.run(
            [isql, f"127.0.0.1:{sql_port}", "dba", "dba",
             f"exec=USER_SET_PASSWORD('dba','{password}');"],
            capture_output=True, text=True, timeout=60, check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            said = done.stdout + done.stderr
            raise RuntimeError(f"isql-vt could not set the dba password: {said}")
    except BaseException:
        stop(process)
        raise
    server = Server(
        name="virtuoso",
        query_url=f"{base}/sparql",
        update_url=f"{base}/sparql-auth",
        store_url=f"{base}/sparql-graph-crud-auth",
        user="dba",
        password=password,
        max_rows=max_rows,
        process=process,
        log=log,
    )
    return server


# --- Oxigraph --------------------------------------------------------------------------------


def start_oxigraph(directory: Path, port: int | None = None) -> Server:
    """``oxigraph serve`` on a private store directory (no auth: loopback only)."""
    binary = require_binary("oxigraph", OXIGRAPH_INSTALL)
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log = directory / "oxigraph.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "serve", "--location", str(directory / "store"),
             "--bind", f"127.0.0.1:{port}"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/query?query=ASK%7B%7D", process, log)
    except BaseException:
        stop(process)
        raise
    return Server(
        name="oxigraph",
        query_url=f"{base}/query",
        update_url=f"{base}/update",
        store_url=f"{base}/store",
        process=process,
        log=log,
    )


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One Virtuoso for the session (ResultSetMaxRows = VIRTUOSO_MAX_ROWS)."""
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    try:
        yield server
    finally:
        stop(server.process)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One Oxigraph server for the session."""
    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    try:
        yield server
    finally:
        stop(server.process)
