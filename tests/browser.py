"""Shared fixtures for the browser tests (a pytest plugin: ``pytest_plugins = ["browser"]``).

- ``chromium`` (session): Debian's /usr/bin/chromium driven by Playwright, never a downloaded
  browser. Missing, the tests FAIL with an install hint, unless CLUSTERKG_ALLOW_NO_BROWSER=1
  (then they are skipped).
- ``workbench`` (session): a real ``clusterkg serve`` on a copy of the seed project (with the
  source texts linked beside it, where the workbench finds them); yields its base URL.
- ``page`` (function): a fresh page in a fresh context. Everything it logs and requests is
  recorded (``page_log``); the test FAILS at teardown on a console error, an uncaught page
  error, or a request to any host but 127.0.0.1 (such requests are aborted, so nothing leaves
  the machine even then). A test expecting a console message says so with
  ``page_log.allow("text")`` or ``@pytest.mark.allow_console("text")``.
- ``axe(page)``: the serious and critical accessibility violations axe-core finds on the page.

One implementation, so every page kind is held to the same rules.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = HERE / "vendor" / "axe-core" / "axe.min.js"
LOCAL_HOSTS = frozenset({"127.0.0.1"})
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})
SERIOUS = frozenset({"serious", "critical"})
VIEWPORT = {"width": 1280, "height": 900}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_console(text, ...): console errors containing a text are expected")


def is_local(url: str) -> bool:
    """True for a request that stays on this machine's loopback server (or needs no network)."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname in LOCAL_HOSTS


@dataclass
class PageLog:
    """What one page logged and requested; ``problems()`` is what fails the test."""

    console: list[tuple[str, str]] = field(default_factory=list)  # (type, text)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def allow(self, *texts: str) -> None:
        """Console errors containing one of ``texts`` are expected and do not fail the test."""
        self.allowed.extend(texts)

    @property
    def errors(self) -> list[str]:
        """Console errors not allowed, then uncaught page errors."""
        console = [text for kind, text in self.console
                   if kind == "error" and not any(a in text for a in self.allowed)]
        return console + self.page_errors

    @property
    def outside(self) -> list[str]:
        """Requests to any host but 127.0.0.1."""
        return [url for url in self.requests if not is_local(url)]

    def problems(self) -> list[str]:
        return ([f"console/page error: {e}" for e in self.errors]
                + [f"request left 127.0.0.1: {u}" for u in self.outside])


def watch(page: Any, log: PageLog) -> None:
    """Record ``page``'s console, errors and requests into ``log``; abort non-local requests."""
    page.on("console", lambda m: log.console.append((m.type, m.text))
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: log.page_errors.append(str(e)))
    page.on("request", lambda r: log.requests.append(r.url))

    def guard(route: Any) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    page.context.route("**/*", guard)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright (the flags keep it off the network)."""
    allowed = os.environ.get("CLUSTERKG_ALLOW_NO_BROWSER") == "1"
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing: install it with 'apt-get install -y chromium'"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = missing or "the playwright package is missing: pip install -e '.[test]'"
    if missing:
        if allowed:
            pytest.skip(missing + " (skipped: CLUSTERKG_ALLOW_NO_BROWSER=1)")
        pytest.fail(missing + " (or set CLUSTERKG_ALLOW_NO_BROWSER=1 to skip)", pytrace=False)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``clusterkg serve`` on a copy of the seed project; yields its base URL (no slash)."""
    from conftest import ROOT, copy_seed_project, start_serve, stop_serve

    folder = tmp_path_factory.mktemp("workbench")
    home = copy_seed_project(folder / "home")
    # The source documents' text, found where the workbench looks: ../shared/sources beside
    # the project (as the checkout has it); never copied, only linked.
    texts = ROOT.parent / "shared" / "sources"
    if texts.is_dir():
        (folder / "shared").mkdir()
        (folder / "shared" / "sources").symlink_to(texts, target_is_directory=True)
    server = start_serve(home)
    try:
        yield server.base
    finally:
        stop_serve(server)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def page_log(request: pytest.FixtureRequest) -> PageLog:
    """The record of the ``page`` fixture's page (see the module docstring)."""
    log = PageLog()
    for marker in request.node.iter_markers("allow_console"):
        log.allow(*marker.args)
    return log


@pytest.fixture
def page(chromium: Any, page_log: PageLog) -> Iterator[Any]:
    """A new page in a new context; fails the test on console errors or outside requests."""
    context = chromium.new_context(viewport=VIEWPORT, locale="en-GB")
    new = context.new_page()
    watch(new, page_log)
    try:
        yield new
    finally:
        context.close()
    problems = page_log.problems()
    if problems:
        pytest.fail("the page broke the browser rules:\n  " + "\n  ".join(problems),
                    pytrace=False)


def axe(page: Any, *, impacts: frozenset[str] = SERIOUS) -> list[dict[str, Any]]:
    """axe-core's violations of ``impacts`` (default serious, critical) on the page as it is.

    axe.min.js is evaluated through the DevTools protocol rather than added as a <script>:
    the workbench's Content-Security-Policy (script-src 'self') rightly refuses an inline
    script, and evaluation keeps the page's own state and its CSP in force.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text("utf-8") + "\n;undefined")
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]]}
        for v in violations if v.get("impact") in impacts
    ]
