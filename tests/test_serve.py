"""`clusterkg serve`: a real subprocess on a free port, queried with SPARQLWrapper and urllib."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF
from SPARQLWrapper import CSV, JSON, JSONLD, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper

from conftest import ROOT, STORE_CACHE, assert_one_line_error, cli_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

QUERY_NAMES = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="session")
def embedded() -> Iterator[Dataset]:
    from clusterkg.loader import load_dataset
    from clusterkg.paths import find_home

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLUSTERKG_CACHE_DIR", str(STORE_CACHE))
        yield load_dataset(find_home(ROOT))


def client(base: str, query: str, fmt: str = JSON) -> SPARQLWrapper:
    wrapper = SPARQLWrapper(f"{base}/sparql")
    wrapper.setQuery(query)
    wrapper.setReturnFormat(fmt)
    return wrapper


def fetch(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
          method: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


# --- results formats --------------------------------------------------------------------------


def test_select_in_json_xml_csv_tsv(serving: str, embedded: Dataset) -> None:
    # the default graph is the union of the named graphs as a set: each distinct triple once
    total = len({(s, p, o) for s, p, o, _ in embedded.quads((None, None, None, None))})
    as_json = client(serving, COUNT).queryAndConvert()
    assert int(as_json["results"]["bindings"][0]["n"]["value"]) == total  # type: ignore[index]
    as_xml = client(serving, COUNT, XML).queryAndConvert()
    assert as_xml.getElementsByTagName("literal")[0].firstChild.data == str(total)  # type: ignore[union-attr]
    as_csv = client(serving, COUNT, CSV).queryAndConvert()
    assert as_csv == f"n\r\n{total}\r\n".encode()
    as_tsv = client(serving, COUNT, TSV).queryAndConvert()
    assert as_tsv.decode().splitlines() == [  # type: ignore[union-attr]
        "?n", f'"{total}"^^<http://www.w3.org/2001/XMLSchema#integer>']
    ask = client(serving, "ASK { ?s a <https://w3id.org/clusterkg/ontology#Cluster> }")
    assert ask.queryAndConvert()["boolean"] is True  # type: ignore[index]


def test_construct_as_turtle_and_json_ld(serving: str) -> None:
    query = ("CONSTRUCT { ?c a <https://w3id.org/clusterkg/ontology#Cluster> } "
             "WHERE { ?c a <https://w3id.org/clusterkg/ontology#Cluster> }")
    turtle = client(serving, query, TURTLE).query()
    assert turtle.info()["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=turtle.convert(), format="turtle")  # type: ignore[arg-type]
    assert len(graph) >= 2
    json_ld = client(serving, query, JSONLD).queryAndConvert()
    assert isinstance(json_ld, Graph) and set(json_ld) == set(graph)


def test_post_form_and_direct(serving: str) -> None:
    for request_method in (None, POSTDIRECTLY):
        wrapper = client(serving, COUNT)
        wrapper.setMethod(POST)
        if request_method:
            wrapper.setRequestMethod(request_method)
        assert int(wrapper.queryAndConvert()["results"]["bindings"][0]["n"]["value"]) > 0  # type: ignore[index]


def test_every_named_query_gives_the_embedded_rows(serving: str, embedded: Dataset) -> None:
    from clusterkg.catalog import coerce_params, find_query, resolve_labels
    from clusterkg.paths import find_home
    from clusterkg.remote import result_from_json
    from clusterkg.sparqltext import inline_values
    from clusterkg.store import canonical, run_query

    home = find_home(ROOT)
    for name in QUERY_NAMES:
        named = find_query(home, name)
        bindings = resolve_labels(coerce_params(named, {}), embedded)
        local = run_query(embedded, named.text, bindings, name=name)
        answer = client(serving, inline_values(named.text, bindings)).queryAndConvert()
        served = result_from_json(answer)
        assert served.variables == local.variables, name

        def rows(result: Any) -> collections.Counter[tuple[Any, ...]]:
            return collections.Counter(
                tuple("_:" if isinstance(t, BNode) else canonical(plain(t)) for t in row)
                for row in result.rows
            )

        assert rows(served) == rows(local), name


def plain(term: Any) -> Any:
    """A simple literal and an xsd:string literal are one RDF 1.1 term."""
    if isinstance(term, Literal) and term.datatype is None and not term.language:
        return Literal(str(term), datatype=URIRef("http://www.w3.org/2001/XMLSchema#string"))
    return term


# --- read-only, errors ------------------------------------------------------------------------


def test_updates_are_refused(serving: str) -> None:
    wrapper = client(serving, "INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    wrapper.setMethod(POST)
    with pytest.raises(urllib.error.HTTPError) as caught:
        wrapper.query()
    assert caught.value.code == 403
    assert b"read-only" in caught.value.read()
    status, _, body = fetch(f"{serving}/sparql", data=b"DROP ALL",
                            headers={"Content-Type": "application/sparql-update"})
    assert status == 403 and b"read-only" in body
    status, _, _ = fetch(f"{serving}/update", data=b"update=DROP+ALL",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403
    assert client(serving, "ASK { <urn:a> <urn:b> <urn:c> }").queryAndConvert()["boolean"] is False  # type: ignore[index]


def test_bad_requests(serving: str) -> None:
    sparql = f"{serving}/sparql"
    status, _, body = fetch(sparql + "?query=" + urllib.parse.quote("SELECT * {"))
    assert status == 400 and b"syntax error" in body
    status, _, body = fetch(sparql)
    assert status == 400 and b"exactly one query" in body
    service = "SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    status, _, body = fetch(sparql + "?query=" + urllib.parse.quote(service))
    assert status == 400 and b"SERVICE" in body
    one = urllib.parse.urlencode({"query": COUNT,
                                  "default-graph-uri": "https://w3id.org/clusterkg/graph/shapes"})
    status, _, body = fetch(f"{sparql}?{one}")
    assert status == 400 and b"fixed dataset" in body
    status, _, _ = fetch(sparql, data=b"x", headers={"Content-Type": "text/plain"})
    assert status == 415
    status, _, _ = fetch(sparql + "?query=" + urllib.parse.quote(COUNT),
                         headers={"Accept": "image/png"})
    assert status == 406
    status, _, _ = fetch(sparql, method="PUT", data=b"")
    assert status == 405


def test_dataset_parameters_naming_every_graph_are_accepted(serving: str) -> None:
    """What `clusterkg query --endpoint` sends: all graphs as default and named graphs."""
    from clusterkg.remote import Client, Options

    client_ = Client(Options(f"{serving}/sparql"))
    graphs = client_.graphs()
    assert "https://w3id.org/clusterkg/graph/ontology" in graphs
    assert client_.select_rows(COUNT, graphs)[0][0].toPython() > 0  # type: ignore[union-attr]


# --- the ontology -----------------------------------------------------------------------------


def test_ontology_content_negotiation(serving: str) -> None:
    ontology = URIRef("https://w3id.org/clusterkg/ontology")
    status, headers, body = fetch(f"{serving}/ontology", headers={"Accept": "text/turtle"})
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    turtle = Graph().parse(data=body, format="turtle")
    assert (ontology, RDF.type, OWL.Ontology) in turtle
    status, headers, body = fetch(f"{serving}/ontology",
                                  headers={"Accept": "application/ld+json"})
    assert status == 200 and headers["content-type"].startswith("application/ld+json")
    assert len(Graph().parse(data=body, format="json-ld")) == len(turtle)
    json.loads(body)
    status, headers, body = fetch(
        f"{serving}/ontology",
        headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    )
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert 'id="Cluster"' in page and "<table>" in page and "label (nb)" in page
    assert headers.get("vary") == "Accept"
    status, headers, _ = fetch(f"{serving}/ontology.jsonld")
    assert status == 200 and headers["content-type"].startswith("application/ld+json")
    status, _, _ = fetch(f"{serving}/ontology", headers={"Accept": "image/png"})
    assert status == 406


def test_port_in_use_is_one_line(serving: str) -> None:
    port = urllib.parse.urlsplit(serving).port
    result = subprocess.run(
        [sys.executable, "-m", "clusterkg", "serve", "--port", str(port)],
        capture_output=True, text=True, env=cli_env(), cwd=ROOT, timeout=120, check=False,
    )
    assert_one_line_error(result, "cannot listen on 127.0.0.1", "in use")


def test_loopback_detection() -> None:
    import socket

    from clusterkg.serve import base_url, is_loopback, listen

    sock = listen("127.0.0.1", 0)
    try:
        assert is_loopback(sock)
        assert base_url(sock).startswith("http://127.0.0.1:")
    finally:
        sock.close()
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        assert is_loopback(other)
