"""Screenshots of the workbench for the README (run by hand after the pages change).

    .venv/bin/python docs/make_screenshots.py [--lang en|nb] [--only NAME ...]

Starts `clusterkg serve` on this checkout's own project, opens the main pages in Debian's
Chromium (/usr/bin/chromium via Playwright; no browser is downloaded, and every request that
would leave 127.0.0.1 is aborted) at 1280x900 and writes one PNG per page in docs/img/
(workbench-home.png, ...):

  home      the start page
  entity    NSCC's page (names, kinds, the conflict notice, the sources naming it)
  counts    NSCC's page at its member counts (each source's value side by side, the conflicts)
  search    search results for "Validé"
  question  the `hosts` question run with host = Validé
  editor    the SPARQL editor
  check     the fact checker after pasting tests/data/facts/bad.ttl (three violations)
  graph     the interactive ecosystem view, served

A page that fails (not built yet, or an error) is reported and skipped; the exit status is
then 1, so a rerun shows what is still missing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
BAD_FACTS = ROOT / "tests" / "data" / "facts" / "bad.ttl"
LOG = Path(tempfile.gettempdir()) / "clusterkg-screenshots-serve.log"


def start_serve() -> tuple[subprocess.Popen[str], str]:
    """`clusterkg serve --port 0` on the checkout; returns the process and its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERKG_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env["CLUSTERKG_CACHE_DIR"] = tempfile.mkdtemp(prefix="clusterkg-screenshots-cache-")
    # The pictures go into the repository, which never holds the source documents'
    # sentences: pages show the cited line numbers only (no texts folder).
    env["CLUSTERKG_TEXTS"] = tempfile.mkdtemp(prefix="clusterkg-screenshots-no-texts-")
    with LOG.open("w") as log:  # the server's messages, for a page that fails
        process = subprocess.Popen([sys.executable, "-m", "clusterkg", "serve", "--port", "0"],
                                   stdout=subprocess.PIPE, stderr=log, text=True, env=env,
                                   cwd=ROOT)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True).start()
    deadline = time.monotonic() + 300
    while not lines and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not lines:
        process.kill()
        raise SystemExit("make_screenshots: clusterkg serve did not start")
    return process, lines[0].split()[-1].removesuffix("/sparql")


def submit(page: Any, form: str) -> None:
    """Click the form's submit button and wait for the answer to load."""
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").last.click()


def scroll_to(page: Any, selector: str) -> None:
    """Bring the first match of ``selector`` (if any) to the top of the window."""
    page.evaluate("""(selector) => { const found = document.querySelector(selector);
        if (found) window.scrollTo(0, found.getBoundingClientRect().top + window.scrollY - 8); }""",
                  selector)


def counts(page: Any, base: str) -> None:
    page.goto(f"{base}/id/nscc")
    heading = page.get_by_role("heading", name="Member counts")
    if heading.count():
        heading.first.evaluate("(h) => window.scrollTo(0, h.offsetTop - 8)")


def question(page: Any, base: str) -> None:
    page.goto(f"{base}/questions/hosts")
    page.fill("[name=host]", "Validé")
    submit(page, "form:has([name=host])")


def check(page: Any, base: str) -> None:
    page.goto(f"{base}/check")
    page.locator("textarea").first.fill(BAD_FACTS.read_text("utf-8"))
    if page.locator("[name=source]").count():
        page.fill("[name=source]", "Test")  # as `clusterkg validate bad.ttl --source Test`
    submit(page, "form:has(textarea)")
    scroll_to(page, "section:has(.finding), section.outcome")


def shots(base: str) -> dict[str, Callable[[Any], Any]]:
    return {
        "home": lambda p: p.goto(f"{base}/"),
        "entity": lambda p: p.goto(f"{base}/id/nscc"),
        "counts": lambda p: counts(p, base),
        "search": lambda p: p.goto(f"{base}/search?q={quote('Validé')}"),
        "question": lambda p: question(p, base),
        "editor": lambda p: p.goto(f"{base}/editor"),
        "check": lambda p: check(p, base),
        "graph": lambda p: p.goto(f"{base}/graph"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", choices=("en", "nb"), default="en")
    parser.add_argument("--only", nargs="*", metavar="NAME", help="only these screenshots")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    process, base = start_serve()
    failed: list[str] = []
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            locale = "en-GB" if args.lang == "en" else "nb-NO"
            context = browser.new_context(viewport=VIEWPORT, locale=locale)
            context.route("**/*", lambda route: route.continue_()
                          if urlsplit(route.request.url).hostname in (None, "127.0.0.1")
                          else route.abort("blockedbyclient"))
            for name, open_page in shots(base).items():
                if args.only and name not in args.only:
                    continue
                page = context.new_page()
                page.set_default_timeout(15000)
                errors: list[str] = []
                page.on("console", lambda m, e=errors: e.append(m.text)
                        if m.type == "error" else None)
                page.on("pageerror", lambda x, e=errors: e.append(str(x)))
                try:
                    response = open_page(page)
                    status = response.status if response is not None else 200
                    page.wait_for_load_state("networkidle")
                    if status >= 400:
                        raise RuntimeError(f"HTTP {status}")
                    target = OUT / f"workbench-{name}.png"
                    page.screenshot(path=str(target))
                    note = f" (console: {'; '.join(errors)})" if errors else ""
                    print(f"make_screenshots: {target.relative_to(ROOT)}{note}")
                except Exception as error:
                    failed.append(name)
                    print(f"make_screenshots: {name}: {error}".splitlines()[0], file=sys.stderr)
                finally:
                    page.close()
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=60)
    if failed:
        print(f"make_screenshots: not made: {', '.join(failed)} (server log: {LOG})",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
