"""The workbench's forms: named questions, the SPARQL editor and checking new facts (#13).

Against a real `clusterkg serve` on a copy of the seed project: over HTTP (httpx) for what the
server answers, and in Debian's Chromium (tests/browser.py) for what a user sees and does.
The answers are compared with the command line's, which the forms promise to equal.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from browser import axe
from clusterkg.validate import compact_iris
from conftest import ROOT, cli_env, copy_seed_project, start_serve, stop_serve

FACTS = ROOT / "tests" / "data" / "facts"
NSCC = "https://w3id.org/clusterkg/id/nscc"
#: What the shapes say about bad.ttl's negative member count, in each language.
COUNT_MESSAGE = {"en": "A member count must be a whole number of 0 or more",
                 "nb": "Medlemstallet må være et heltall fra 0 og oppover"}


@dataclass
class Served:
    base: str
    home: Path
    graph: dict[str, str]  # file name -> sha256 of graph/ when the server started


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = copy_seed_project(tmp_path_factory.mktemp("forms") / "home")
    server = start_serve(home)
    try:
        yield Served(server.base, home, digest(home / "graph"))
    finally:
        stop_serve(server)


@pytest.fixture
def http(served: Served) -> Iterator[httpx.Client]:
    """A client of its own per test: the language cookie of one test never leaks into another."""
    with httpx.Client(base_url=served.base, timeout=120) as client:
        yield client


def cli_bytes(home: Path, *args: str) -> bytes:
    """What `clusterkg --home HOME ARGS` prints, byte for byte (CSV ends lines in CRLF)."""
    done = subprocess.run([sys.executable, "-m", "clusterkg", "--home", str(home), *args],
                          capture_output=True, env=cli_env(), timeout=300, check=False)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def cli(home: Path, *args: str) -> str:
    return cli_bytes(home, *args).decode("utf-8")


def main_text(page: str) -> str:
    """The text of <main>, tags dropped: what the page says."""
    main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


# --- named questions over HTTP ----------------------------------------------------------------


def test_questions_lists_every_named_query_with_a_link(served: Served,
                                                       http: httpx.Client) -> None:
    listed = json.loads(cli(served.home, "queries", "-f", "json"))
    page = http.get("/questions")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers
    for query in listed:
        assert f'href="/questions/{query["name"]}"' in page.text
    hosts = next(q for q in listed if q["name"] == "hosts")
    assert hosts["summary"] in main_text(page.text)
    assert "Spørsmål" in http.get("/questions", params={"lang": "nb"}).text


def test_the_form_is_made_from_the_query_header(http: httpx.Client) -> None:
    page = http.get("/questions/corroboration")
    assert page.status_code == 200
    field = re.search(r'<input id="p-minimum"[^>]*>', page.text)
    assert field is not None
    assert 'name="minimum"' in field[0] and 'type="number"' in field[0]
    assert 'value="2"' in field[0]  # the default
    text = main_text(page.text)
    assert "Least number of sources a listed fact has" in text  # the description
    assert "integer" in text
    hosts = http.get("/questions/hosts").text
    for name in ("host", "cluster"):
        assert f'<label for="p-{name}">{name}' in hosts
    assert 'class="results"' not in hosts  # nothing is run before the form is sent
    assert http.get("/questions/no-such-question").status_code == 404


def test_hosts_of_valide_are_the_commands_rows_with_links(served: Served,
                                                          http: httpx.Client) -> None:
    expected = json.loads(cli(served.home, "query", "hosts", "-p", "host=Validé", "-f", "json"))
    rows = expected["results"]["bindings"]
    assert len(rows) >= 2
    page = http.get("/questions/hosts", params={"host": "Validé", "run": "1"})
    assert page.status_code == 200
    table = page.text.split('<table class="results">', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == len(rows) + 1  # header and one per row
    for row in rows:
        cluster = row["cluster"]["value"].removeprefix("https://w3id.org/clusterkg")
        assert f'<a href="{cluster}" title="{row["cluster"]["value"]}">' \
               f'{row["clusterLabel"]["value"]}</a>' in table
        assert f'<a href="/id/valide" title="https://w3id.org/clusterkg/id/valide">' \
               f'{row["hostLabel"]["value"]}</a>' in table
    assert "/questions/hosts.csv?host=Valid%C3%A9" in page.text


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_downloads_equal_the_commands_output(served: Served, http: httpx.Client,
                                             fmt: str) -> None:
    for params, options in (({"host": "Validé"}, ["-p", "host=Validé"]), ({}, [])):
        answer = http.get(f"/questions/hosts.{fmt}", params=params)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-disposition"] == f'attachment; filename="hosts.{fmt}"'
        assert answer.content == cli_bytes(served.home, "query", "hosts", *options, "-f", fmt)
    text = http.get("/questions/hosts.rq").text
    assert text == (served.home / "queries" / "hosts.rq").read_text("utf-8")


def test_bad_values_come_back_next_to_their_field(http: httpx.Client) -> None:
    page = http.get("/questions/corroboration", params={"minimum": "many"})
    assert page.status_code == 400
    assert 'id="p-minimum-error"' in page.text and 'aria-invalid="true"' in page.text
    assert "expects integer, got &#39;many&#39;" in page.text
    assert "Traceback" not in page.text
    nb = http.get("/questions/corroboration", params={"minimum": "many", "lang": "nb"})
    assert nb.status_code == 400 and "Ventet et heltall, fikk «many»" in nb.text
    unknown = http.get("/questions/hosts", params={"host": "No Such Host AS", "lang": "en"})
    assert unknown.status_code == 400
    error = re.search(r'<p class="field-error" id="p-host-error"[^>]*>([^<]*)</p>', unknown.text)
    assert error is not None and "nothing found labelled &#39;No Such Host AS&#39;" in error[1]
    assert http.get("/questions/portfolio-at", params={"date": "31.12.2019"}).status_code == 400
    download = http.get("/questions/corroboration.csv", params={"minimum": "many"})
    assert download.status_code == 400 and "expects integer" in download.text
    stray = http.get("/questions/hosts.json", params={"hots": "Validé"})
    assert stray.status_code == 400 and "no parameter 'hots'" in stray.text


# --- the editor over HTTP ---------------------------------------------------------------------


def test_editor_offers_prefixes_and_examples_and_answers(http: httpx.Client) -> None:
    page = http.get("/editor")
    assert page.status_code == 200
    assert "PREFIX ck:" in page.text and "PREFIX ckr:" in page.text
    assert '<option value="hosts">hosts</option>' in page.text
    example = http.get("/editor", params={"example": "hosts"}).text
    assert "ck:Hosting" in example
    select = http.post("/editor", data={"query": f"SELECT ?label WHERE {{ <{NSCC}> "
                                                 "<http://www.w3.org/2000/01/rdf-schema#label> "
                                                 "?label }"})
    assert select.status_code == 200
    assert "Norwegian Smart Care Cluster" in main_text(select.text)
    link = http.post("/editor", data={"query": f"SELECT ?x WHERE {{ VALUES ?x {{ <{NSCC}> }} }}"})
    assert '<a href="/id/nscc" title="https://w3id.org/clusterkg/id/nscc">ckr:nscc</a>' in link.text
    ask = http.post("/editor", data={"query": "ASK { ?s ?p ?o }"}, params={"lang": "nb"})
    assert "Svar: ja" in main_text(ask.text)
    graph = http.post("/editor", data={"query": f"CONSTRUCT {{ <{NSCC}> ?p ?o }} WHERE "
                                                f"{{ <{NSCC}> ?p ?o }}"})
    assert graph.status_code == 200 and "ckr:nscc" in graph.text
    syntax = http.post("/editor", data={"query": "SELEC nothing"})
    assert syntax.status_code == 400 and "syntax error" in syntax.text


def test_editor_is_read_only_like_the_endpoint(served: Served, http: httpx.Client) -> None:
    service = http.post("/editor", data={
        "query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"})
    assert service.status_code == 400 and "SERVICE is not allowed" in service.text
    insert = f"PREFIX x: <urn:x:>\n# a comment\nINSERT DATA {{ <{NSCC}> x:p x:o }}"
    for sent in (http.post("/editor", data={"query": insert}),
                 http.post("/editor", data={"update": insert, "query": "ASK {}"}),
                 http.get("/editor", params={"query": "DELETE WHERE { ?s ?p ?o }"})):
        assert sent.status_code == 403 and "read-only" in sent.text
    asked = http.post("/editor", data={"query": f"ASK {{ <{NSCC}> <urn:x:p> <urn:x:o> }}"})
    assert "Answer: no" in main_text(asked.text)
    assert digest(served.home / "graph") == served.graph


# --- checking facts over HTTP -----------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_check_reports_a_violation_in_the_pages_language(http: httpx.Client,
                                                         lang: str) -> None:
    bad = (FACTS / "bad.ttl").read_text("utf-8")
    page = http.post("/check", params={"lang": lang}, data={"text": bad, "format": "turtle"})
    assert page.status_code == 200
    text = main_text(page.text)
    assert COUNT_MESSAGE[lang] in text
    assert ("does NOT conform" if lang == "en" else "IKKE i samsvar") in text
    line = "line 12" if lang == "en" else "linje 12"
    assert f"pasted.ttl, {line}" in text
    assert "12: ck:count -5 ;" in text  # the cited line of the pasted text
    assert '<a href="/id/fact/test/nscc-count"' in page.text  # the focus node's page


def test_check_gives_what_validate_gives(served: Served, http: httpx.Client) -> None:
    """The same findings as `clusterkg validate FILE -f json`, uploaded as a file."""
    expected = json.loads(cli(served.home, "validate", str(FACTS / "bad.ttl"), "-f", "json"))
    page = http.post("/check", files={"file": ("bad.ttl", (FACTS / "bad.ttl").read_bytes())})
    assert page.status_code == 200
    text = main_text(page.text)
    assert text.count("Violation:") == len(expected["results"])
    for result in expected["results"]:
        assert compact_iris(result["message"]) in text
        assert result["origin"].replace(str(FACTS / "bad.ttl"), "bad.ttl") in text


def test_check_conforms_for_valid_facts_and_templates(http: httpx.Client) -> None:
    good = http.post("/check", data={"text": (FACTS / "good.ttl").read_text("utf-8"),
                                     "source": "Årsrapport 2024"})
    assert good.status_code == 200
    assert "SHACL validation: conforms (0 violations" in good.text
    without_source = http.post("/check", data={"text": (FACTS / "good.ttl").read_text("utf-8")})
    assert "does NOT conform" in without_source.text  # facts must name their source
    header = "cluster,kind,count,approximate,date,source,locator\n"
    row = "Norwegian Smart Care Cluster,company,{},false,2024-01-01,,\n"
    fine = http.post("/check", data={"kind": "member-counts", "source": "Årsrapport 2024"},
                     files={"file": ("counts.csv", header + row.format(130))})
    assert fine.status_code == 200 and "conforms (0 violations" in fine.text
    wrong = http.post("/check", data={"kind": "member-counts", "source": "Årsrapport 2024"},
                      files={"file": ("counts.csv", header + row.format("lots"))})
    assert wrong.status_code == 400
    assert "counts.csv: row 2, column count: &#39;lots&#39; is not a whole number" in wrong.text
    unnamed = http.post("/check", files={"file": ("counts.csv", header)})
    assert unnamed.status_code == 400 and "choose which kind of template" in unnamed.text


def test_check_refuses_bad_and_oversized_input(http: httpx.Client) -> None:
    malformed = http.post("/check", data={"text": "@prefix ck: <x> .\nthis is not turtle"})
    assert malformed.status_code == 400 and "pasted.ttl" in malformed.text
    assert "/tmp" not in main_text(malformed.text)  # the temporary folder is not shown
    empty = http.post("/check", data={"text": "  "}, params={"lang": "nb"})
    assert empty.status_code == 400 and "Lim inn fakta eller last opp en fil" in empty.text
    huge = http.post("/check", params={"lang": "en"},
                     files={"file": ("big.ttl", b"#" * (4 * 1_000_000 + 10))})
    assert huge.status_code == 413 and "Too large: at most 4 MB" in huge.text


def test_checking_adds_nothing(served: Served, http: httpx.Client) -> None:
    good = (FACTS / "good.ttl").read_text("utf-8")
    assert "conforms (0" in http.post("/check", data={"text": good,
                                                      "source": "Årsrapport 2024"}).text
    new = "https://w3id.org/clusterkg/id/fact/test/nscc-companies-2024"
    asked = http.get("/sparql", params={"query": f"ASK {{ <{new}> ?p ?o }}"},
                     headers={"Accept": "application/sparql-results+json"})
    assert asked.json()["boolean"] is False
    assert digest(served.home / "graph") == served.graph
    assert not list(served.home.glob("**/pasted*"))


# --- in Chromium --------------------------------------------------------------------------------


def open_page(page: Any, url: str) -> None:
    answer = page.goto(url)
    assert answer is not None and answer.status == 200, url


@pytest.mark.parametrize("path", ["/questions", "/questions/hosts?host=Validé&run=1",
                                  "/questions/portfolio-at", "/editor", "/check?lang=nb"])
def test_page_loads_cleanly_and_is_accessible(served: Served, page: Any, path: str) -> None:
    """No console error or outside request (the ``page`` fixture), no serious axe finding."""
    open_page(page, served.base + path)
    page.wait_for_load_state("networkidle")
    assert axe(page) == []


def test_hosts_form_answers_in_the_browser(served: Served, page: Any) -> None:
    open_page(page, served.base + "/questions/hosts")
    page.fill("#p-host", "Validé")
    page.click("form.question button[type=submit]")
    page.wait_for_selector("table.results")
    assert "host=Valid%C3%A9" in page.url
    link = page.locator("table.results a", has_text="Norwegian Smart Care Cluster")
    assert link.count() == 1 and link.get_attribute("href") == "/id/nscc"
    assert page.locator("table.results tbody tr").count() == 2
    assert axe(page) == []


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_pasting_an_invalid_fact_shows_the_violation(served: Served, page: Any,
                                                     lang: str) -> None:
    open_page(page, f"{served.base}/check?lang={lang}")
    page.fill("#text", (FACTS / "bad.ttl").read_text("utf-8"))
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#report")
    report = page.inner_text("#report")
    assert COUNT_MESSAGE[lang] in report
    assert COUNT_MESSAGE["nb" if lang == "en" else "en"] not in report
    assert ("Violation" if lang == "en" else "Brudd") in report
    assert axe(page) == []


def tab_stops(page: Any, count: int) -> list[str]:
    """The id (or tag and text) of each element the Tab key reaches, in order."""
    stops = []
    for _ in range(count):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(
            "() => { const e = document.activeElement; return e.id || "
            "(e.tagName + ':' + (e.textContent || '').trim()); }"))
    return stops


def test_keyboard_reaches_the_fields_and_submit(served: Served, page: Any) -> None:
    open_page(page, served.base + "/questions/hosts")
    stops = tab_stops(page, 20)
    assert "p-host" in stops and "p-cluster" in stops
    assert stops.index("BUTTON:Run") > stops.index("p-cluster")
    open_page(page, served.base + "/questions/hosts")
    for _ in range(30):  # Tab on to the host field, fill it in and send it: no mouse
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "p-host":
            break
    page.keyboard.type("Validé")
    page.keyboard.press("Enter")
    page.wait_for_selector("table.results")
    open_page(page, served.base + "/check")
    stops = tab_stops(page, 25)
    for field in ("text", "format", "file", "kind", "source"):
        assert field in stops
    assert "BUTTON:Check" in stops


def test_editor_highlights_and_runs_a_query(served: Served, page: Any) -> None:
    open_page(page, served.base + "/editor")
    page.wait_for_selector(".CodeMirror .cm-keyword")  # CodeMirror's SPARQL mode is on
    keywords = page.locator(".CodeMirror .cm-keyword").all_inner_texts()
    assert "PREFIX" in [k.upper() for k in keywords]
    page.select_option("#example", "hosts")
    page.wait_for_function(
        "() => document.querySelector('.CodeMirror').CodeMirror.getValue().includes('ck:Hosting')")
    page.evaluate("""() => document.querySelector('.CodeMirror').CodeMirror.setValue(
        'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\\n'
        + 'SELECT ?label WHERE { <https://w3id.org/clusterkg/id/nscc> rdfs:label ?label }')""")
    page.click("#editor-form button[type=submit]")
    page.wait_for_selector("table.results")
    assert "Norwegian Smart Care Cluster" in page.inner_text("table.results")
    # the answer page has the editor again (made by its script, which may run after the table
    # is already in the page)
    page.wait_for_selector(".CodeMirror")
    assert page.locator(".CodeMirror").count() == 1
    # Tab leaves the editor (no keyboard trap): from the editor to the Run button
    page.click(".CodeMirror-line")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Run"
    assert axe(page) == []


def test_the_forms_added_nothing(served: Served) -> None:
    """Last: after every form above, graph/ is byte for byte what it was."""
    assert digest(served.home / "graph") == served.graph


def test_header_languages_and_required_fields(served: Served, http: httpx.Client) -> None:
    """A header with a Norwegian summary shows it to Norwegian readers; a required parameter
    without a default must be filled in; a boolean is a choice of true or false."""
    query = served.home / "queries" / "zz-form-test.rq"
    query.write_text(
        "#+ summary: Things counted\n#+ summary_nb: Ting som er telt\n#+ params:\n"
        "#+   n:\n#+     type: integer\n#+     required: true\n#+   flag: boolean\n"
        "SELECT ?n ?flag WHERE { }\n", encoding="utf-8")
    try:
        assert "Ting som er telt" in http.get("/questions", params={"lang": "nb"}).text
        english = http.get("/questions", params={"lang": "en"}).text
        assert "Things counted" in english and "Ting som er telt" not in english
        missing = http.get("/questions/zz-form-test", params={"run": "1", "n": ""})
        assert missing.status_code == 400 and "This field is required" in missing.text
        assert '<select id="p-flag" name="flag"' in missing.text
        given = http.get("/questions/zz-form-test", params={"n": "3", "flag": "true"})
        assert given.status_code == 200
        assert "<td>3</td><td>true</td>" in given.text
    finally:
        query.unlink()
