"""Size of the graph: instances per class, triples per named graph, facts with conflicts."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Dataset, URIRef

from clusterkg.catalog import coerce_params, load_query, query_files, resolve_labels
from clusterkg.namespaces import NON_SOURCE_GRAPHS
from clusterkg.paths import Home
from clusterkg.store import named_graphs, run_query

CONFLICTS_QUERY = "conflicts"

_CLASS_COUNTS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?s a ?class }
  FILTER (?g NOT IN (<https://w3id.org/clusterkg/graph/ontology>,
                     <https://w3id.org/clusterkg/graph/shapes>))
}
GROUP BY ?class
ORDER BY DESC(?n) ?class
"""


@dataclass(frozen=True)
class Stats:
    """Counts for `clusterkg stats`; ``conflicts`` is None when there is no conflicts query."""

    instances_per_class: list[tuple[URIRef, int]]
    triples_per_graph: list[tuple[URIRef, int]]
    source_graphs: int
    conflicts: int | None


def compute(dataset: Dataset, home: Home) -> Stats:
    """Count, using SPARQL for classes and the named query ``conflicts`` when present."""
    classes = run_query(dataset, _CLASS_COUNTS, name="class counts")
    per_class = [(row[0], int(row[1])) for row in classes.rows if isinstance(row[0], URIRef)]
    per_graph = [(name, len(dataset.graph(name))) for name in named_graphs(dataset)]
    sources = sum(1 for name, _ in per_graph if name not in NON_SOURCE_GRAPHS)
    return Stats(
        instances_per_class=per_class,
        triples_per_graph=per_graph,
        source_graphs=sources,
        conflicts=count_conflicts(dataset, home),
    )


def count_conflicts(dataset: Dataset, home: Home) -> int | None:
    """Rows of the named query ``conflicts`` with its defaults; None if it does not exist."""
    path = query_files(home).get(CONFLICTS_QUERY)
    if path is None:
        return None
    query = load_query(path)
    bindings = resolve_labels(coerce_params(query, {}), dataset)
    result = run_query(dataset, query.text, bindings, name=str(path))
    if result.kind == "ASK":
        return int(bool(result.boolean))
    if result.kind != "SELECT":
        return len(result.graph) if result.graph is not None else 0
    return len(result.rows)
