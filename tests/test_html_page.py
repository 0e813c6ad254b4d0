"""The exported HTML page in a real headless Chromium (Debian's /usr/bin/chromium via Playwright).

Nothing is mocked and no browser is downloaded. Without Chromium these tests FAIL and say how to
install it, unless CLUSTERKG_ALLOW_NO_BROWSER=1 (the shared `chromium` fixture of tests/browser.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
VALIDE = "https://w3id.org/clusterkg/id/valide"
CACHE = tempfile.mkdtemp(prefix="clusterkg-page-test-cache-")
EVIL = "</script><script>window.pwned = 1</script><!-- & \u2028"


def clusterkg(*args: str) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERKG_")}
    environment["CLUSTERKG_CACHE_DIR"] = CACHE  # never the user's ~/.cache
    done = subprocess.run([sys.executable, "-m", "clusterkg", *args], capture_output=True,
                          text=True, env=environment, timeout=300, check=False)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The page and, for comparison, the Cytoscape JSON of the same graph."""
    folder = tmp_path_factory.mktemp("page")
    clusterkg("export", "--format", "html", "-o", str(folder / "ecosystem.html"))
    clusterkg("export", "--format", "cytoscape", "-o", str(folder / "ecosystem.json"))
    return folder / "ecosystem.html", json.loads((folder / "ecosystem.json").read_text("utf-8"))


class Loaded:
    """A page with what it logged and requested while loading."""

    def __init__(self, chromium: Any, path: Path) -> None:
        self.url = path.as_uri()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = chromium.new_page(viewport={"width": 1600, "height": 1000})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(self.url)
        self.page.wait_for_function("window.cy && window.cy.nodes().length > 0")

    def js(self, code: str, arg: Any = None) -> Any:
        return self.page.evaluate(code, arg)


@pytest.fixture()
def loaded(chromium: Any, exported: tuple[Path, dict[str, Any]]) -> Iterator[Loaded]:
    loaded = Loaded(chromium, exported[0])
    yield loaded
    loaded.page.close()


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def test_loads_offline_without_errors(loaded: Loaded) -> None:
    assert loaded.errors == []
    outside = [u for u in loaded.requests if u != loaded.url and not u.startswith("data:")]
    assert outside == []


def test_draws_every_node_and_edge(loaded: Loaded, exported: tuple[Path, dict[str, Any]]) -> None:
    doc = exported[1]
    assert loaded.js("cy.nodes().length") == len(doc["elements"]["nodes"])
    assert loaded.js("cy.edges().length") == len(doc["elements"]["edges"])
    inside = loaded.js("""() => { const b = cy.extent(); return cy.nodes().every(n => {
        const p = n.position();
        return p.x >= b.x1 && p.x <= b.x2 && p.y >= b.y1 && p.y <= b.y2; }); }""")
    assert inside, "every node is in view when the page opens"


def test_search_highlights_matching_labels(
    loaded: Loaded, exported: tuple[Path, dict[str, Any]]
) -> None:
    query = "tunnel"
    expected = {
        n["data"]["id"] for n in exported[1]["elements"]["nodes"]
        if any(query in fold(name) for name in [n["data"]["label"], *n["data"]["aliases"]])
    }
    assert len(expected) >= 2
    loaded.page.fill("#search", query)
    matched = set(loaded.js("cy.nodes('.match').map(n => n.id())"))
    faded = set(loaded.js("cy.nodes('.faded').map(n => n.id())"))
    assert matched == expected
    assert faded == {n["data"]["id"] for n in exported[1]["elements"]["nodes"]} - expected
    assert loaded.page.text_content("#search-status").startswith(str(len(expected)))
    loaded.page.fill("#search", "valide")  # accents do not matter
    assert loaded.js("cy.nodes('.match').map(n => n.id())") == [VALIDE]
    loaded.page.fill("#search", "")
    assert loaded.js("cy.elements('.faded, .match').length") == 0


def test_type_filter_hides_nodes(loaded: Loaded, exported: tuple[Path, dict[str, Any]]) -> None:
    total = len(exported[1]["elements"]["nodes"])
    people = [n for n in exported[1]["elements"]["nodes"] if n["data"]["type"] == "ck:Person"]
    assert people
    box = loaded.page.locator('#type-filter input[data-type="ck:Person"]')
    box.uncheck()
    loaded.page.wait_for_function(f"cy.nodes(':visible').length === {total - len(people)}")
    assert loaded.js("cy.nodes(':visible').length") == total - len(people)
    assert loaded.js("cy.nodes('[type = \"ck:Person\"]').every(n => !n.visible())")
    box.check()
    assert box.is_checked()
    # The page re-filters on the change event; wait for it rather than racing it.
    loaded.page.wait_for_function(f"cy.nodes(':visible').length === {total}", timeout=5000)
    loaded.page.click("#types-none")
    loaded.page.wait_for_function("cy.nodes(':visible').length === 0", timeout=5000)


def test_clicking_a_node_shows_its_facts_and_sources(loaded: Loaded, tmp_path: Path) -> None:
    assert loaded.page.is_hidden("#panel-body")
    box = loaded.page.locator("#cy").bounding_box()
    x, y = loaded.js("(id) => { const p = cy.getElementById(id).renderedPosition(); "
                   "return [p.x, p.y]; }", VALIDE)
    loaded.page.mouse.click(box["x"] + x, box["y"] + y)
    loaded.page.wait_for_selector("#panel-body:not([hidden])")
    panel = loaded.page.text_content("#panel-body")
    assert "Validé AS" in panel
    assert "001_4e0765e6e6d46d59.txt" in panel  # the source document
    assert "lines 39, 41" in panel  # where the document mentions it
    assert "hosts" in panel and "Norwegian Smart Care Cluster" in panel
    assert loaded.js("cy.$(':selected').map(n => n.id())") == [VALIDE]
    loaded.page.screenshot(path=str(tmp_path / "ecosystem.png"))
    assert (tmp_path / "ecosystem.png").read_bytes()[:4] == b"\x89PNG"
    assert loaded.errors == []


def test_labels_cannot_break_out_of_the_page(chromium: Any, tmp_path: Path) -> None:
    """A label holding </script> is shown as text and runs nothing."""
    home = tmp_path / "home"
    shutil.copytree(ROOT / "ontology", home / "ontology")
    shutil.copytree(ROOT / "graph", home / "graph")
    label = EVIL.replace("\\", "\\\\").replace('"', '\\"')
    (home / "graph" / "evil.ttl").write_text(
        "@prefix ck: <https://w3id.org/clusterkg/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f'<https://w3id.org/clusterkg/id/evil> a ck:Cluster ; rdfs:label "{label}" .\n',
        encoding="utf-8",
    )
    target = tmp_path / "evil.html"
    clusterkg("--home", str(home), "export", "--format", "html", "-o", str(target))
    loaded = Loaded(chromium, target)
    try:
        assert loaded.js("window.pwned === undefined")
        assert loaded.js("cy.getElementById('https://w3id.org/clusterkg/id/evil').data('label')") \
            == EVIL
        assert loaded.errors == []
    finally:
        loaded.page.close()


def test_norwegian_page_and_focus(chromium: Any, tmp_path: Path) -> None:
    """--lang nb labels the page in Norwegian; --focus opens with the focus node selected."""
    target = tmp_path / "valide.html"
    clusterkg("export", "--format", "html", "--lang", "nb", "--focus", "Validé AS",
              "-o", str(target))
    loaded = Loaded(chromium, target)
    try:
        assert loaded.errors == []
        assert loaded.page.text_content("#legend-title") == "Typer (forklaring og filter)"
        assert loaded.js("cy.$(':selected').map(n => n.id())") == [VALIDE]
        panel = loaded.page.text_content("#panel-body")
        assert "er vert for" in panel and "daglig leder" in panel
    finally:
        loaded.page.close()
