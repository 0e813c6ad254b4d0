"""The workbench's pages of things, search, home, sources, stats and graph view, over HTTP.

A real `clusterkg serve` on a copy of the seed project (the two source documents' graphs) to
which a hostile fact was added with `clusterkg add`: a cluster whose label is markup. The
source documents' text is linked beside the copy, where the workbench looks for it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from conftest import ROOT, cli_env, copy_seed_project, start_serve, stop_serve

CK = "https://w3id.org/clusterkg/ontology#"
NSCC = URIRef("https://w3id.org/clusterkg/id/nscc")
HOSTILE = '</script><img src=x onerror=alert(1)>'
TEXTS = ROOT.parent / "shared" / "sources"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pages")
    home = copy_seed_project(folder / "home")
    if TEXTS.is_dir():
        (folder / "shared").mkdir()
        (folder / "shared" / "sources").symlink_to(TEXTS, target_is_directory=True)
    facts = folder / "hostile.ttl"
    facts.write_text(
        "@prefix ck: <https://w3id.org/clusterkg/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<https://w3id.org/clusterkg/id/hostile> a ck:Cluster ;\n"
        f"    rdfs:label {json.dumps(HOSTILE)} ;\n"
        '    skos:altLabel "hostileklyngen\\"><script>alert(2)</script>" .\n',
        encoding="utf-8")
    added = subprocess.run(
        [sys.executable, "-m", "clusterkg", "--home", str(home), "add", str(facts),
         "--source", "Hostile <b>report</b>"],
        capture_output=True, text=True, env=cli_env(), timeout=300, check=False)
    assert added.returncode == 0, added.stderr
    return home


@pytest.fixture(scope="module")
def client(project: Path) -> Iterator[httpx.Client]:
    server = start_serve(project)
    try:
        with httpx.Client(base_url=server.base, timeout=60) as http:
            yield http
    finally:
        stop_serve(server)


@pytest.fixture(autouse=True)
def english(client: httpx.Client) -> None:
    """Each test starts without the language cookie a ?lang= link sets."""
    client.cookies.clear()


def test_home_counts_and_links(client: httpx.Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert re.search(r'id="count-clusters">3<', page), "NSCC, NTSC and the hostile cluster"
    assert re.search(r'id="count-sources">3<', page)
    for link in ("/sparql", "/ontology", "/questions", "/editor", "/check", "/graph",
                 "/sources", "/stats", "/search"):
        assert f'href="{link}"' in page or f'action="{link}"' in page, link
    assert 'href="/id/nscc">Norwegian Smart Care Cluster</a>' in page
    assert "'self'" in response.headers["content-security-policy"]


def test_nscc_page_shows_both_member_counts_with_lines_and_the_conflict(
        client: httpx.Client) -> None:
    response = client.get("/id/nscc", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "Accept" in response.headers["vary"]
    timing = response.headers["server-timing"]
    assert re.fullmatch(r"worker;dur=[\d.]+, total;dur=[\d.]+", timing), timing
    page = response.text
    assert "<h1>Norwegian Smart Care Cluster</h1>" in page
    section = page[page.index('id="member-counts"'):page.index("</section>",
                                                              page.index('id="member-counts"'))]
    rows = re.findall(r"<tr class=\"(conflict)?\">(.*?)</tr>", section, re.S)
    counts = {re.search(r'">(\d+)</a>', row).group(1): (mark, row) for mark, row in rows}
    assert {"123", "125", "19", "50"} <= set(counts)
    for value, line in (("123", 9), ("19", 9), ("125", 21), ("50", 21)):
        mark, row = counts[value]
        assert mark == "conflict", value
        assert f"line {line}<" in row, (value, row)
        assert "Conflict</strong>" in row
    assert "another source says 125" in counts["123"][1]
    assert "<svg" in section and "Member counts over time" in section
    assert "The sources disagree on some values below" in page


@pytest.mark.skipif(not TEXTS.is_dir(), reason="the source documents are not beside the checkout")
def test_cited_lines_show_their_text(client: httpx.Client) -> None:
    import html

    page = client.get("/id/nscc").text
    line = (TEXTS / "000_e55087a455a2a3a4.txt").read_text("utf-8").splitlines()[8]
    assert html.escape(line) in page
    assert "line 9</span>: <q" in page


def test_nscc_facts_grouped_with_sources_and_links(client: httpx.Client) -> None:
    page = client.get("/id/nscc").text
    for heading in ("Level timeline", "Host", "Owners, funders and grants", "People and posts",
                    "Projects", "Places", "Memberships"):
        assert re.search(rf"<h2 id=\"\w+-h\">{heading} \(\d+\)</h2>", page), heading
    assert 'href="/id/valide">Validé AS</a>' in page
    assert 'href="/level/arena-pro"' in page
    assert 'href="/source/001_4e0765e6e6d46d59"' in page
    assert "Also called" in page and "helseklyngen" in page


def test_inferred_fact_shows_its_reason_in_the_readers_language(client: httpx.Client) -> None:
    english = client.get("/source/000_e55087a455a2a3a4").text
    norwegian = client.get("/source/000_e55087a455a2a3a4?lang=nb").text
    assert 'class="mode inferred">inferred<' in english
    assert "The document carries no date" in english
    assert 'class="mode inferred">utledet<' in norwegian
    assert "Dokumentet har ingen dato" in norwegian
    assert "The document carries no date" not in norwegian


@pytest.mark.parametrize(("accept", "fmt"), [
    ("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
    ("application/n-triples", "nt"), ("application/rdf+xml", "xml")])
def test_content_negotiation_gives_the_description(client: httpx.Client, accept: str,
                                                   fmt: str) -> None:
    response = client.get("/id/nscc", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    assert "Accept" in response.headers["vary"]
    graph = Graph().parse(data=response.content, format=fmt)
    assert (NSCC, RDFS.label, Literal("Norwegian Smart Care Cluster")) in graph
    counts = set(graph.subjects(URIRef(CK + "cluster"), NSCC))
    assert URIRef("https://w3id.org/clusterkg/id/fact/000/nscc-members-companies") in counts
    for fact in counts:  # every fact comes with its provenance
        assert graph.value(fact, URIRef(CK + "sourceDocument")) is not None, fact
        assert graph.value(fact, URIRef(CK + "assertionMode")) is not None, fact
    lines = graph.objects(None, URIRef(CK + "lineNumber"))
    assert {int(n) for n in lines} >= {9, 21}


def test_format_parameter_and_page_by_iri(client: httpx.Client) -> None:
    turtle = client.get("/id/valide?format=ttl")
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert "Validé AS" in turtle.text
    by_iri = client.get("/page", params={"iri": "https://w3id.org/clusterkg/id/valide"})
    assert by_iri.status_code == 200 and "<h1>Validé AS</h1>" in by_iri.text
    term = client.get("/page", params={"iri": CK + "Cluster"})
    assert term.status_code == 200 and "<h1>cluster</h1>" in term.text
    assert client.get("/page").status_code == 400
    for not_an_iri in ("not an iri", "<script>alert(3)</script>", "https://a b"):
        page = client.get("/page", params={"iri": not_an_iri})
        assert page.status_code == 400 and "Not an IRI" in page.text, not_an_iri


def test_unknown_things_are_404(client: httpx.Client) -> None:
    page = client.get("/id/no-such-thing")
    assert page.status_code == 404
    assert "The graph says nothing about https://w3id.org/clusterkg/id/no-such-thing" in page.text
    assert client.get("/id/no-such-thing", headers={"Accept": "text/turtle"}).status_code == 404
    other = client.get("/page", params={"iri": "https://example.org/nothing"})
    assert other.status_code == 404


def test_hostile_label_is_escaped_everywhere(client: httpx.Client) -> None:
    escaped = "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    for path in ("/id/hostile", "/", "/search?q=hostileklyngen", "/search?q=%3Cscript%3E",
                 "/sources", "/page?iri=%3Cscript%3Ealert(3)%3C/script%3E"):
        page = client.get(path).text
        assert "<img src=x" not in page, path
        assert "<script>alert" not in page, path
        assert "<b>report</b>" not in page, path
    assert escaped in client.get("/id/hostile").text
    assert "Hostile &lt;b&gt;report&lt;/b&gt;" in client.get("/sources").text
    hits = client.get("/api/search", params={"q": "hostileklyngen"}).json()["results"]
    assert hits[0]["label"] == HOSTILE  # JSON carries the text; the page script sets textContent


def test_search_api(client: httpx.Client) -> None:
    def search(q: str) -> list[dict]:
        response = client.get("/api/search", params={"q": q})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        return response.json()["results"]

    for query in ("Validé", "valide", "VALID", "Valid"):
        first = search(query)[0]
        assert first["iri"] == "https://w3id.org/clusterkg/id/valide", query
        assert first["url"] == "/id/valide" and first["label"] == "Validé AS"
    found = search("helseklyngen")
    assert found[0]["iri"] == str(NSCC) and found[0]["matched"] == "helseklyngen"
    assert search("nscc")[0]["iri"] == str(NSCC)
    assert search("care cluster")[0]["iri"] == str(NSCC)  # from a word of the name on
    assert search("mart care clus")[0]["iri"] == str(NSCC)  # any part of it
    assert search("") == [] and search("zzzz-no-such-name") == []
    assert len(search("a")) == 20
    assert all("fact" not in hit["iri"] for hit in search("e"))  # fact nodes are not things


def test_search_page_works_without_javascript(client: httpx.Client) -> None:
    page = client.get("/search", params={"q": "helseklyngen"}).text
    assert '<a href="/id/nscc">Norwegian Smart Care Cluster</a>' in page
    assert re.search(r"\d+ results for «helseklyngen»", page)
    norwegian = client.get("/search", params={"q": "ingenting-her", "lang": "nb"}).text
    assert "0 treff for «ingenting-her»" in norwegian


def test_sources_page_is_clusterkg_sources(client: httpx.Client) -> None:
    page = client.get("/sources").text
    assert "Sources (3)" in page
    assert 'href="/graph/000_e55087a455a2a3a4"' in page
    assert "000_e55087a455a2a3a4.trig" in page
    assert page.count("original document") == 2


def test_stats_page_matches_clusterkg_stats(client: httpx.Client, project: Path) -> None:
    numbers = json.loads(subprocess.run(
        [sys.executable, "-m", "clusterkg", "--home", str(project), "stats", "--format",
         "json"], capture_output=True, text=True, env=cli_env(), timeout=300,
        check=True).stdout)
    page = client.get("/stats").text
    assert f'id="conflicts">{numbers["factsWithConflicts"]}<' in page
    assert numbers["factsWithConflicts"] > 0
    clusters = numbers["instancesPerClass"][CK + "Cluster"]
    assert re.search(rf'href="/page\?iri=[^"]*Cluster">cluster</a>.*?>{clusters}<', page, re.S)
    for graph, triples in numbers["triplesPerGraph"].items():
        assert f">{triples}<" in page, graph


def test_graph_view_and_its_data(client: httpx.Client) -> None:
    page = client.get("/graph").text
    assert 'src="/static/vendor/cytoscape/dist/cytoscape.min.js"' in page
    assert 'src="/static/graphview.js"' in page
    assert "<script>" not in page  # no inline script (CSP)
    data = client.get("/graph.json").json()
    iris = {node["data"].get("iri") for node in data["elements"]["nodes"]}
    assert str(NSCC) in iris
    for asset in ("/static/vendor/cytoscape/dist/cytoscape.min.js", "/static/page.js",
                  "/static/graphview.js", "/static/workbench.js", "/static/workbench.css"):
        assert client.get(asset).status_code == 200, asset


def test_language_switch(client: httpx.Client) -> None:
    page = client.get("/id/nscc?lang=nb")
    assert "Medlemstall" in page.text and "Konflikt" in page.text
    assert page.cookies.get("lang") == "nb"
    assert "Medlemstall" in client.get("/id/nscc").text  # the cookie keeps the choice
    client.cookies.clear()
    assert "Member counts" in client.get("/id/nscc", headers={"Accept-Language": "en"}).text
    norwegian = client.get("/id/nscc", headers={"Accept-Language": "nb-NO,nb;q=0.9"})
    assert "Medlemstall" in norwegian.text


@pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated")
def test_both_stores_describe_a_thing_alike(project: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's facts are read by triple look-ups, straight from Oxigraph's union graph
    or through rdflib's: both give the same description, conflicts and RDF."""
    from clusterkg.loader import load_dataset
    from clusterkg.paths import find_home
    from clusterkg.store import canonical
    from clusterkg.workbench.facts import Reader, description_graph

    monkeypatch.setenv("CLUSTERKG_CACHE_DIR", cli_env()["CLUSTERKG_CACHE_DIR"])
    seen = []
    for store in ("memory", "oxigraph"):
        reader = Reader(load_dataset(find_home(str(project)), store))
        found = reader.describe(NSCC)
        assert found is not None
        graph = description_graph(reader, NSCC)
        seen.append((
            sorted((f.iri, str(f.values), f.mode, sorted(s.iri for s in f.sources),
                    sorted(f.conflicts)) for f in found.facts),
            {tuple(canonical(t) for t in triple) for triple in graph},
        ))
    assert seen[0] == seen[1]
    assert sum(1 for fact in seen[0][0] if fact[4]) == 4  # NSCC's four disputed counts


def test_labels_of_one_text_come_in_one_order_whatever_the_hash_seed() -> None:
    """"Arena"@nb and "Arena"@en have one text: ordered by text alone, they would come in the
    order of a Python set, which changes with the hash seed of each process (and the page and
    its RDF with it). Eight processes with eight seeds must print one order."""
    program = (
        "from rdflib import Dataset, Literal, URIRef\n"
        "from rdflib.namespace import RDFS\n"
        "from clusterkg.workbench.facts import Reader\n"
        "data = Dataset(default_union=True)\n"
        "node = URIRef('https://w3id.org/clusterkg/level/arena')\n"
        "graph = data.graph(URIRef('https://example.org/g'))\n"
        "for lang in ('nb', 'en', 'nn', 'sv'):\n"
        "    graph.add((node, RDFS.label, Literal('Arena', lang=lang)))\n"
        "print(list(Reader(data).labels(node)))\n")
    seen = set()
    for seed in range(8):
        done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                              env=cli_env(PYTHONHASHSEED=str(seed)), timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        seen.add(done.stdout.strip())
    assert seen == {"['en', 'nb', 'nn', 'sv']"}
