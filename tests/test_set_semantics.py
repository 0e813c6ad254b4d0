"""Any query gives the same answer on every store and on `serve`: the default graph is a set.

SPARQL's default graph here is the union of the named graphs as an RDF graph, a set of
triples: a triple that two source graphs both hold matches once. Queries of the user's own,
generated from templates with a fixed seed (basic graph patterns, OPTIONAL, FILTER, GROUP BY
with COUNT, property paths, DISTINCT), run on the Oxigraph store, on rdflib's in-memory
store and on `clusterkg serve`, over the real graph and over a generated ecosystem; the answers
must equal rdflib's as multisets of rows.
"""

from __future__ import annotations

import json
import random
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import BNode, Dataset, URIRef

from clusterkg.loader import load_dataset, load_memory_dataset
from clusterkg.paths import Home, find_home
from clusterkg.store import run_query

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PREFIXES = """PREFIX ck: <https://w3id.org/clusterkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
"""


def rows(result: Any) -> Counter[tuple[str, ...]]:
    """The answer as a multiset of rows; blank nodes count as one value (ids differ per store)."""
    def cell(term: Any) -> str:
        if term is None:
            return ""
        if isinstance(term, BNode):
            return "_:b"
        return term.n3()

    return Counter(tuple(cell(t) for t in row) for row in result.rows)


def generated_queries(dataset: Dataset, seed: int, count: int) -> list[str]:
    """Queries built from the predicates and classes the data really uses."""
    rng = random.Random(seed)
    predicates = sorted({str(p) for _, p, _ in dataset.triples((None, None, None))
                         if not str(p).endswith("#type")})
    classes = sorted({str(o) for _, _, o in dataset.triples(
        (None, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), None))
        if isinstance(o, URIRef)})
    pick = rng.choice
    queries = [
        PREFIXES + "SELECT ?c ?label WHERE { ?c a ck:Cluster ; rdfs:label ?label }",
        PREFIXES + "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
        PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    ]
    for _ in range(count):
        shape = rng.randrange(6)
        c, p1, p2 = pick(classes), pick(predicates), pick(predicates)
        if shape == 0:  # a basic graph pattern: a class and one of its properties
            queries.append(f"SELECT ?s ?o WHERE {{ ?s a <{c}> ; <{p1}> ?o }}")
        elif shape == 1:  # two properties of one subject
            queries.append(f"SELECT ?s ?a ?b WHERE {{ ?s <{p1}> ?a ; <{p2}> ?b }}")
        elif shape == 2:  # OPTIONAL
            queries.append(f"SELECT ?s ?o WHERE {{ ?s a <{c}> OPTIONAL {{ ?s <{p1}> ?o }} }}")
        elif shape == 3:  # GROUP BY with COUNT
            queries.append(f"SELECT ?s (COUNT(?o) AS ?n) WHERE {{ ?s <{p1}> ?o }} GROUP BY ?s")
        elif shape == 4:  # a property path: sequence, then one-or-more
            queries.append(f"SELECT ?s ?o WHERE {{ ?s <{p1}>/<{p2}> ?o }}")
        else:
            queries.append(
                "SELECT ?s ?o WHERE { ?s (<http://www.w3.org/2004/02/skos/core#broader>|"
                f"<{p1}>)+ ?o }}"
            )
    queries.append(PREFIXES + "SELECT DISTINCT ?type WHERE { ?x a ?type }")
    queries.append(PREFIXES + "SELECT ?type (COUNT(?x) AS ?n) WHERE { ?x a ?type } GROUP BY ?type")
    return queries


@pytest.fixture(scope="module")
def real() -> Iterator[tuple[Dataset, Dataset]]:
    home = find_home(str(ROOT))
    yield load_dataset(home, "oxigraph"), load_memory_dataset(home)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, Dataset]:
    from clusterkg.generate import generate

    out = tmp_path_factory.mktemp("eco")
    generate(find_home(str(ROOT)), out, clusters=6, seed=7)
    home = Home(root=out, origin="--home")
    return load_dataset(home, "oxigraph"), load_memory_dataset(home)


def test_the_reported_query_gives_one_row_per_cluster(real: tuple[Dataset, Dataset]) -> None:
    text = PREFIXES + "SELECT ?c ?label WHERE { ?c a ck:Cluster ; rdfs:label ?label }"
    oxigraph, memory = real
    assert rows(run_query(oxigraph, text)) == rows(run_query(memory, text))
    labels = Counter(row[0] for row in rows(run_query(oxigraph, text)).elements())
    assert labels and max(labels.values()) == 1  # each cluster once, not once per graph


@pytest.mark.parametrize("which", ["real", "synthetic"])
def test_generated_queries_agree_with_rdflib(which: str, request: pytest.FixtureRequest) -> None:
    oxigraph, memory = request.getfixturevalue(which)
    for text in generated_queries(memory, seed=11, count=40):
        expected = rows(run_query(memory, text))
        assert rows(run_query(oxigraph, text)) == expected, text


def test_serve_gives_the_same_answers(serving: str, real: tuple[Dataset, Dataset]) -> None:
    _, memory = real
    for text in generated_queries(memory, seed=5, count=12):
        url = f"{serving}/sparql?" + urllib.parse.urlencode({"query": text})
        request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            document = json.load(response)
        got: Counter[tuple[str, ...]] = Counter()
        names = document["head"]["vars"]
        for binding in document["results"]["bindings"]:
            got[tuple(_json_cell(binding.get(v)) for v in names)] += 1
        assert got == rows(run_query(memory, text)), text


def _json_cell(value: dict[str, str] | None) -> str:
    from rdflib import Literal

    from clusterkg.store import canonical

    if value is None:
        return ""
    if value["type"] == "uri":
        return URIRef(value["value"]).n3()
    if value["type"] == "bnode":
        return "_:b"
    literal = Literal(value["value"], lang=value.get("xml:lang"),
                      datatype=value.get("datatype"))
    return canonical(literal).n3()  # type: ignore[union-attr]
