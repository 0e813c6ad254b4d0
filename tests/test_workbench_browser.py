"""The workbench's pages of things, search, home, sources, stats and graph view in Chromium.

Real Debian Chromium (Playwright) against a real `clusterkg serve` on the seed project (the
``workbench`` fixture of tests/browser.py); the ``page`` fixture fails a test on any console
error or a request leaving 127.0.0.1, so every test here also checks those rules.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from browser import axe

PAGES = {
    "home": "/",
    "entity": "/id/nscc",
    "entity-by-iri": "/page?iri=https%3A%2F%2Fw3id.org%2Fclusterkg%2Fontology%23Cluster",
    "search": "/search?q=valid",
    "sources": "/sources",
    "stats": "/stats",
    "graph": "/graph",
}


def _open(page: Any, base: str, path: str) -> None:
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    if path == "/graph":  # drawn once graph.json and page.js are in
        page.wait_for_function("() => window.cy && window.cy.nodes().length > 0")


@pytest.mark.parametrize("path", PAGES.values(), ids=list(PAGES))
def test_page_loads_cleanly_and_is_accessible(page: Any, workbench: str, path: str) -> None:
    _open(page, workbench, path)
    assert page.locator("h1").first.is_visible()
    assert page.locator("#search-box").is_visible()
    violations = axe(page)
    assert violations == [], violations


@pytest.mark.allow_console("404 (Not Found)")
def test_unknown_thing_page(page: Any, workbench: str) -> None:
    response = page.goto(workbench + "/id/no-such-thing")
    assert response.status == 404
    assert "says nothing about" in page.locator("[role=alert]").inner_text()
    assert axe(page) == []


def test_nscc_shows_both_sources_counts_with_lines_and_the_conflict(page: Any,
                                                                     workbench: str) -> None:
    _open(page, workbench, "/id/nscc")
    assert page.locator("h1").inner_text() == "Norwegian Smart Care Cluster"
    table = page.locator("#member-counts table.members")
    rows = table.locator("tbody tr")
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    by_count = {re.search(r"\b(\d+)\b", t.split("\t")[1]).group(1): t for t in texts}
    assert {"123", "125", "19", "50"} <= set(by_count), texts
    assert "line 9" in by_count["123"] and "line 21" in by_count["125"]
    assert "000_e55087a455a2a3a4.txt" in by_count["123"]
    assert "001_4e0765e6e6d46d59.txt" in by_count["125"]
    for value in ("123", "125", "19", "50"):
        assert "Conflict: another source says" in by_count[value], by_count[value]
    assert table.locator("tr.conflict").count() >= 4
    assert page.locator("figure.chart svg[role=img]").is_visible()
    assert "disagree" in page.locator(".conflict-note").inner_text()


def test_level_timeline_and_links_to_related_pages(page: Any, workbench: str) -> None:
    _open(page, workbench, "/id/nscc")
    levels = page.locator("#levels")
    assert "Arena Pro" in levels.inner_text()
    page.locator("#host a", has_text="Validé AS").first.click()
    page.wait_for_url(re.compile(r"/id/valide$"))
    assert page.locator("h1").inner_text() == "Validé AS"


def test_typing_in_the_search_box_offers_valide_and_enter_opens_it(page: Any,
                                                                    workbench: str) -> None:
    _open(page, workbench, "/")
    box = page.locator("#search-box")
    box.click()
    box.press_sequentially("Valid", delay=40)
    option = page.locator("#search-suggestions [role=option]").first
    option.wait_for(state="visible")
    assert option.inner_text().startswith("Validé AS")
    assert box.get_attribute("aria-expanded") == "true"
    box.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    box.press("Enter")
    page.wait_for_url(re.compile(r"/id/valide$"))
    assert page.locator("h1").inner_text() == "Validé AS"


def test_escape_closes_the_suggestions_and_enter_searches(page: Any, workbench: str) -> None:
    _open(page, workbench, "/")
    box = page.locator("#search-box")
    box.fill("helseklyngen")
    page.locator("#search-suggestions [role=option]").first.wait_for(state="visible")
    box.press("Escape")
    assert page.locator("#search-suggestions").is_hidden()
    box.press("Enter")  # no suggestion chosen: the form goes to the results page
    page.wait_for_url(re.compile(r"/search\?q=helseklyngen"))
    assert page.locator("ol.results a", has_text="Norwegian Smart Care Cluster").is_visible()


def test_tab_reaches_the_search_box(page: Any, workbench: str) -> None:
    _open(page, workbench, "/id/nscc")
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "search-box":
            break
    assert page.evaluate("() => document.activeElement.id") == "search-box"


def test_language_switch_shows_norwegian(page: Any, workbench: str) -> None:
    _open(page, workbench, "/id/nscc")
    page.locator("a[hreflang=nb]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.locator("#members-h").inner_text() == "Medlemstall"
    assert "Konflikt" in page.locator("#member-counts").inner_text()


def test_graph_view_links_every_node_to_its_page(page: Any, workbench: str) -> None:
    _open(page, workbench, "/graph")
    summary = page.locator("#summary").inner_text()
    assert re.match(r"\d+ nodes, \d+ edges", summary), summary
    page.evaluate("() => window.cy.getElementById('https://w3id.org/clusterkg/id/nscc')"
                  ".emit('tap')")
    link = page.locator("#panel-body .open-page a")
    assert link.get_attribute("href") == "/id/nscc"
    link.click()
    page.wait_for_url(re.compile(r"/id/nscc$"))
    assert page.locator("h1").inner_text() == "Norwegian Smart Care Cluster"


def test_graph_view_search_and_keyboard_reach_a_page(page: Any, workbench: str) -> None:
    _open(page, workbench, "/graph")
    search = page.locator("#search")
    search.fill("Validé AS")
    search.press("Enter")  # the one match is selected and shown, with the link to its page
    link = page.locator("#panel-body .open-page a")
    link.wait_for(state="visible")
    assert link.get_attribute("href") == "/id/valide"
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/id/valide$"))
