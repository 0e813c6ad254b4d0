"""Size of the graph: instances per class, triples per named graph, facts with conflicts, and
what it knows of the programme (clusters with dated levels, public sources, sourced facts)."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Dataset, URIRef

from clusterkg.catalog import coerce_params, load_query, query_files, resolve_labels
from clusterkg.namespaces import NON_SOURCE_GRAPHS
from clusterkg.paths import Home
from clusterkg.store import graph_sizes, named_graphs, run_query

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

_COVERAGE = """
PREFIX ck: <https://w3id.org/clusterkg/ontology#>
SELECT
  (COUNT(DISTINCT ?cluster) AS ?clusters)
  (COUNT(DISTINCT ?datedCluster) AS ?datedClusters)
  (COUNT(DISTINCT ?web) AS ?webSources)
  (COUNT(DISTINCT ?fact) AS ?facts)
  (COUNT(DISTINCT ?sourced) AS ?sourcedFacts)
WHERE {
  { ?cluster a ck:Cluster }
  UNION
  {
    ?assignment a ck:LevelAssignment ; ck:cluster ?datedCluster .
    { ?assignment ck:period/ck:startDate ?when } UNION { ?assignment ck:period/ck:endDate ?when }
    UNION { ?assignment ck:decidedAt/^ck:about/ck:date ?when }
  }
  UNION {
    ?web a ck:WebSource ; <https://schema.org/url> ?url ;
         <http://purl.org/dc/terms/publisher> ?publisher .
  }
  UNION {
    ?fact ck:assertionMode ?mode .
    OPTIONAL { ?fact ck:sourceDocument ?doc }
    BIND(IF(BOUND(?doc), ?fact, ?none) AS ?sourced)
  }
}
"""


@dataclass(frozen=True)
class Coverage:
    """What the graph knows of the programme: the counts issue 10 asks to see."""

    clusters: int
    dated_clusters: int  # clusters with at least one level assignment that has a date
    web_sources: int  # public web pages with URL and publisher
    facts: int
    sourced_facts: int  # facts that cite a source


@dataclass(frozen=True)
class Stats:
    """Counts for `clusterkg stats`; ``conflicts`` is None when there is no conflicts query."""

    instances_per_class: list[tuple[URIRef, int]]
    triples_per_graph: list[tuple[URIRef, int]]
    source_graphs: int
    conflicts: int | None
    coverage: Coverage | None = None


def compute(dataset: Dataset, home: Home) -> Stats:
    """Count, using SPARQL for classes and the named query ``conflicts`` when present."""
    classes = run_query(dataset, _CLASS_COUNTS, name="class counts")
    per_class = [(row[0], int(row[1])) for row in classes.rows if isinstance(row[0], URIRef)]
    sizes = graph_sizes(dataset)
    per_graph = [(name, sizes.get(name, 0)) for name in named_graphs(dataset)]
    sources = sum(1 for name, _ in per_graph if name not in NON_SOURCE_GRAPHS)
    numbers = run_query(dataset, _COVERAGE, name="coverage").rows[0]
    coverage = Coverage(*(int(n) if n is not None else 0 for n in numbers))
    return Stats(
        instances_per_class=per_class,
        triples_per_graph=per_graph,
        source_graphs=sources,
        conflicts=count_conflicts(dataset, home),
        coverage=coverage,
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
