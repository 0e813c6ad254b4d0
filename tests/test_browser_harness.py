"""The shared browser harness (tests/browser.py) catches what it promises to catch.

Each check runs real Chromium on a real page: a data: URL built here (under the workbench's own
Content-Security-Policy, set by a <meta> tag) or the running workbench. The ``page`` fixture's
teardown is shown to fail a test by running pytest on a small test file in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from browser import PageLog, axe, is_local, watch
from clusterkg.workbench.render import CSP

HERE = Path(__file__).resolve().parent
META_CSP = CSP.replace("; frame-ancestors 'none'", "")  # not allowed in <meta>


def html(body: str, *, csp: bool = True) -> str:
    """A data: URL of a small page (with the workbench's CSP unless ``csp`` is False)."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{META_CSP}">' if csp else ""
    return ("data:text/html;charset=utf-8," + quote(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{meta}'
        f"<title>harness</title></head><body><main><h1>Harness</h1>{body}</main></body></html>"))


@pytest.fixture
def watched(chromium: Any) -> Iterator[tuple[Any, PageLog]]:
    """A page watched like the ``page`` fixture's, whose log the test inspects itself."""
    context = chromium.new_context()
    page = context.new_page()
    log = PageLog()
    watch(page, log)
    try:
        yield page, log
    finally:
        context.close()


def test_is_local() -> None:
    assert is_local("http://127.0.0.1:8000/id/valide")
    assert is_local("data:text/html,x") and is_local("about:blank")
    assert not is_local("http://localhost.example.org/")
    assert not is_local("https://w3id.org/clusterkg/id/valide")
    assert not is_local("http://127.0.0.2/")


def test_a_request_to_another_host_is_reported_and_aborted(
    watched: tuple[Any, PageLog],
) -> None:
    page, log = watched
    page.goto(html('<img alt="x" src="http://example.invalid/pixel.png">', csp=False))
    page.wait_for_load_state("load")
    assert "http://example.invalid/pixel.png" in log.outside
    assert "request left 127.0.0.1: http://example.invalid/pixel.png" in log.problems()
    # Aborted by the harness before any connection: the failed load shows as a console error.
    assert page.evaluate("() => document.querySelector('img').naturalWidth") == 0


def test_console_and_page_errors_are_reported_unless_allowed(
    watched: tuple[Any, PageLog],
) -> None:
    page, log = watched
    page.goto(html("<p>quiet</p>"))
    assert log.problems() == []
    page.evaluate("() => { console.error('expected boom'); console.warn('just a warning'); }")
    page.evaluate("() => setTimeout(() => { throw new Error('uncaught trouble'); }, 0)")
    page.wait_for_timeout(200)
    assert log.errors == ["expected boom", "uncaught trouble"]
    assert ("warning", "just a warning") in log.console
    log.allow("expected boom")
    assert log.errors == ["uncaught trouble"]


def test_axe_runs_under_the_workbench_csp(watched: tuple[Any, PageLog]) -> None:
    """axe-core loads despite script-src 'self' and finds a serious violation, then none."""
    page, log = watched
    page.goto(html('<button type="button"></button><img src="data:image/gif;base64,'
                   'R0lGODlhAQABAAAAACw=">'))
    found = {v["id"] for v in axe(page)}
    assert {"button-name", "image-alt"} <= found
    page.goto(html('<button type="button">Search</button>'))
    assert axe(page) == []
    assert log.problems() == []  # loading axe raised no CSP violation


def test_workbench_serves_under_the_page_fixture(workbench: str, page: Any) -> None:
    """The session server answers with its CSP, and axe runs on a real page of it."""
    assert workbench.startswith("http://127.0.0.1:")
    response = page.goto(workbench + "/search?q=" + quote("Validé"))
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == CSP
    assert isinstance(axe(page), list)
    assert page.evaluate("() => typeof window.axe.run") == "function"


RULES = """
import pytest

def test_outside_request(page):
    page.goto("data:text/html,<img alt=x src='http://example.invalid/leak.png'>")
    page.wait_for_load_state("load")

def test_console_error(page):
    page.goto("data:text/html,<p>x</p>")
    page.evaluate("() => console.error('unexpected boom')")

@pytest.mark.allow_console("expected boom")
def test_allowed_by_marker(page):
    page.goto("data:text/html,<p>x</p>")
    page.evaluate("() => console.error('expected boom')")

def test_allowed_by_log(page, page_log):
    page_log.allow("expected boom")
    page.goto("data:text/html,<p>x</p>")
    page.evaluate("() => console.error('expected boom')")
"""


def test_the_page_fixture_fails_a_test_that_breaks_the_rules(
    chromium: Any, tmp_path: Path,  # chromium: skipped with the others when there is none
) -> None:
    (tmp_path / "test_rules.py").write_text(textwrap.dedent(RULES), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parent / "src")])}
    env.pop("CLUSTERKG_ALLOW_NO_BROWSER", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "browser", "-q", "-rA", "--rootdir",
         str(tmp_path), "-p", "no:cacheprovider", str(tmp_path / "test_rules.py")],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300, check=False,
    )
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "4 passed, 2 errors" in out, out  # the two teardowns fail
    assert "request left 127.0.0.1: http://example.invalid/leak.png" in out
    assert "console/page error: unexpected boom" in out
    assert "PASSED test_rules.py::test_allowed_by_marker" in out
    assert "PASSED test_rules.py::test_allowed_by_log" in out
