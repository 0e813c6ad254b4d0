"""Regenerate the pictures in docs/img/ (run by hand after the data or the drawing changes).

    .venv/bin/python docs/img/make_images.py

Needs Graphviz (`dot`) and Chromium (/usr/bin/chromium) with the `playwright` Python package;
it never downloads a browser. Writes docs/img/ecosystem.png (the HTML page, as a browser shows
it) and docs/img/ecosystem-graph.png (`clusterkg export --format png`).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def clusterkg(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "clusterkg", *args], check=True)


def screenshot(page_file: Path, picture: Path, focus: str | None = None) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, device_scale_factor=1)
        page.goto(page_file.as_uri())
        page.wait_for_function("window.cy && window.cy.nodes().length > 0")
        if focus:
            # Click the node like a user would, so the side panel shows its facts and sources.
            box = page.locator("#cy").bounding_box()
            where = page.evaluate(
                "(label) => { const n = cy.nodes().filter(n => n.data('label') === label)[0];"
                " const p = n.renderedPosition(); return [p.x, p.y]; }", focus)
            page.mouse.click(box["x"] + where[0], box["y"] + where[1])
            page.wait_for_selector("#panel-body:not([hidden])")
        page.screenshot(path=str(picture))
        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "ecosystem.html"
        clusterkg("export", "--format", "html", "-o", str(page_file))
        screenshot(page_file, HERE / "ecosystem.png", focus="Validé AS")
    clusterkg("export", "--format", "png", "-o", str(HERE / "ecosystem-graph.png"))


if __name__ == "__main__":
    main()
