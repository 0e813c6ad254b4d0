"""Shared helpers: run the real `clusterkg` command in a subprocess against a fixture project.

The fixture under tests/data/cli is passed with --home so these tests never depend on the
real ontology/, graph/, shapes/ and queries/ that are written alongside.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["servers", "browser"]  # Virtuoso, Oxigraph (servers.py); Chromium (browser.py)
ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "cli"

Runner = Callable[..., subprocess.CompletedProcess[Any]]
# One store cache for the whole test session, so tests never touch ~/.cache.
STORE_CACHE = Path(tempfile.mkdtemp(prefix="clusterkg-test-cache-"))


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a run: no inherited CLUSTERKG_* settings, src importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERKG_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env["COLUMNS"] = "200"
    env["CLUSTERKG_CACHE_DIR"] = str(STORE_CACHE)
    env.update(extra)
    return env


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    """Run ``python -m clusterkg [--home HOME] ARGS`` in an empty working directory."""
    workdir = tmp_path / "work"
    workdir.mkdir()

    def _run(
        *args: str,
        home: Path | None = FIXTURE,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        raw: bool = False,
    ) -> subprocess.CompletedProcess[Any]:
        command = [sys.executable, "-m", "clusterkg"]
        if home is not None:
            command += ["--home", str(home)]
        return subprocess.run(
            [*command, *args],
            capture_output=True,
            text=not raw,  # raw: bytes, to see CRLF line ends untranslated
            cwd=cwd or workdir,
            env=env or cli_env(),
            timeout=300,
            check=False,
        )

    return _run


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A private, writable copy of the fixture project."""
    target = tmp_path / "home"
    shutil.copytree(FIXTURE, target)
    return target


SEED_GRAPHS = ("000_e55087a455a2a3a4.trig", "001_4e0765e6e6d46d59.trig")


def copy_seed_project(target: Path) -> Path:
    """The real ontology, shapes and queries with the graphs of the two source documents only.

    Tests that check behaviour (not the whole programme's data) run on this: small, fast, and
    not changed by every new press release added to graph/.
    """
    for folder in ("ontology", "shapes", "queries"):
        shutil.copytree(ROOT / folder, target / folder)
    (target / "graph").mkdir(parents=True)
    for name in SEED_GRAPHS:
        shutil.copy2(ROOT / "graph" / name, target / "graph" / name)
    return target


@pytest.fixture
def seed_home(tmp_path: Path) -> Path:
    """A private copy of the project with the two source documents' graphs (see above)."""
    return copy_seed_project(tmp_path / "seed-home")


def build_wheel(tmp_path: Path) -> Path:
    """The project's wheel, built from this checkout's code with the fixture project as its
    data (without network: hatchling is a test dependency)."""
    import importlib.util

    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "pyproject.toml", project)
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("ontology", "graph", "shapes", "queries"):
        shutil.copytree(FIXTURE / folder, project / folder)
    wheels = tmp_path / "wheels"
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *isolation,
         "-w", str(wheels), str(project)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (wheel,) = wheels.glob("clusterkg-*.whl")
    return wheel


def snapshot(directory: Path) -> dict[str, str]:
    """Path -> sha256 of every file below ``directory``, to prove a command changed nothing."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def assert_one_line_error(
    result: subprocess.CompletedProcess[str], *fragments: str, code: int = 2
) -> str:
    """Exit ``code``, exactly one stderr line starting with the prefix, no traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("clusterkg: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@contextmanager
def lock_held(lock: Path, pid: str | None = None) -> Iterator[None]:
    """Another process holds the graph lock (writing ``pid`` into it, as a writer does)."""
    content = (pid + "\n").encode() if pid else b""
    holder = subprocess.Popen([
        sys.executable, "-c",
        "import fcntl, os, sys\n"
        f"fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        f"os.write(fd, {content!r})\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
        f"os.unlink({str(lock)!r})\n",
    ], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        yield
    finally:
        holder.communicate("", timeout=30)


@dataclass
class Server:
    """A running `clusterkg serve`: its base URL, process and stderr log file."""

    base: str
    process: subprocess.Popen[str]
    log: Path

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])


def start_serve(home: Path | None, *options: str, log: Path | None = None) -> Server:
    """`clusterkg [--home HOME] serve --port 0 OPTIONS` in a subprocess, once it listens.

    Stderr goes to a file (``log``, or a temporary one), so a chatty server never blocks on a
    full pipe and a test can read what it logged; the URL is read from stdout, which serve
    prints once its workers hold the dataset. Without ``home``, the checkout's own project.
    """
    if log is None:
        log = Path(tempfile.mkstemp(prefix="clusterkg-serve-", suffix=".log")[1])
    where = ["--home", str(home)] if home is not None else []
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "clusterkg", *where, "serve", "--port", "0", *options],
            stdout=subprocess.PIPE, stderr=stderr, text=True, env=cli_env(),
            cwd=home if home is not None else ROOT,
        )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while not lines and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    if not lines:
        process.kill()
        pytest.fail(f"serve printed no URL: {log.read_text()}", pytrace=False)
    url = lines[0].split()[-1]
    assert url.startswith("http://127.0.0.1:") and url.endswith("/sparql"), lines[0]
    return Server(url.removesuffix("/sparql"), process, log)


def stop_serve(server: Server) -> None:
    """SIGTERM, as a user's Ctrl-C or service manager would; kill if it does not stop."""
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=30)


@pytest.fixture(scope="session")
def serving() -> Iterator[str]:
    """`clusterkg serve --port 0` on the checkout's project; yields its base URL."""
    server = start_serve(None)
    try:
        yield server.base
    finally:
        stop_serve(server)


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection made to it.

    The hostile inputs name its URL (SERVICE, FROM, JSON-LD contexts, redirects): a
    connection means clusterkg sent a request it was not asked to. It answers each request
    with a real document (by default an empty SPARQL JSON result), so a command that does
    fetch succeeds: only the recorded requests tell whether anything was fetched.
    """

    def __init__(self, body: bytes = b'{"head": {"vars": []}, "results": {"bindings": []}}',
                 content_type: str = "application/sparql-results+json",
                 when: dict[bytes, tuple[bytes, str]] | None = None) -> None:
        """``when`` maps a word to look for in the request to another (body, content type)."""
        import socket

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[bytes] = []
        self._answers = [(word, _http_answer(*answer)) for word, answer in (when or {}).items()]
        self._answer = _http_answer(body, content_type)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                request = _read_request(conn)
                self.requests.append(request)
                answer = next((a for word, a in self._answers if word in request), self._answer)
                with suppress(OSError):
                    conn.sendall(answer)

    def close(self) -> None:
        self.sock.close()


def _http_answer(body: bytes, content_type: str) -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def _read_request(conn: Any) -> bytes:
    """The request line, headers and (by Content-Length) body, or what came before a pause."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body
    except (OSError, ValueError):
        return data


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A fresh Listener (see above) for one test."""
    server = Listener()
    try:
        yield server
    finally:
        server.close()
