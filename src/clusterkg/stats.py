"""Size of the graph: instances per class, triples per named graph, facts with conflicts, and
what it knows of the programme (clusters with dated levels, public sources, sourced facts)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from rdflib import Dataset, URIRef

from clusterkg.catalog import coerce_params, load_query, query_files, resolve_labels
from clusterkg.namespaces import NON_SOURCE_GRAPHS
from clusterkg.oxstore import version_directory
from clusterkg.paths import Home
from clusterkg.progress import slow_step
from clusterkg.store import named_graphs, run_query

CONFLICTS_QUERY = "conflicts"
CACHE_FILE = "stats.json"  # in a store version's directory: the counts of that version
CACHE_FORMAT = "1"  # bumped when what is kept changes

_CLASS_COUNTS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?s a ?class }
  FILTER (?g NOT IN (<https://w3id.org/clusterkg/graph/ontology>,
                     <https://w3id.org/clusterkg/graph/shapes>))
}
GROUP BY ?class
ORDER BY DESC(?n) ?class
"""

_CK = "PREFIX ck: <https://w3id.org/clusterkg/ontology#>\n"
# One small query per count, in the order of Coverage's fields: as one UNION of them all, each
# row went through five DISTINCT counts (at a million triples on disk, three times as long). A
# sub-SELECT of one pattern is the same as the pattern, but Oxigraph reads it in one scan and
# hash-joins it, where the plain pattern is looked up again per fact (slow on disk).
_COVERAGE = (
    _CK + "SELECT (COUNT(DISTINCT ?cluster) AS ?n) WHERE { ?cluster a ck:Cluster }",
    _CK + """SELECT (COUNT(DISTINCT ?datedCluster) AS ?n) WHERE {
  ?assignment a ck:LevelAssignment ; ck:cluster ?datedCluster .
  { ?assignment ck:period/ck:startDate ?when } UNION { ?assignment ck:period/ck:endDate ?when }
  UNION { ?assignment ck:decidedAt/^ck:about/ck:date ?when }
}""",
    _CK + """SELECT (COUNT(DISTINCT ?web) AS ?n) WHERE {
  ?web a ck:WebSource ; <https://schema.org/url> ?url ;
       <http://purl.org/dc/terms/publisher> ?publisher .
}""",
    _CK + "SELECT (COUNT(DISTINCT ?fact) AS ?n) WHERE { ?fact ck:assertionMode ?mode }",
    _CK + """SELECT (COUNT(DISTINCT ?fact) AS ?n) WHERE {
  ?fact ck:assertionMode ?mode .
  { SELECT ?fact WHERE { ?fact ck:sourceDocument ?doc } }
}""",
)
_GRAPH_SIZE = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


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
    """Count, using SPARQL for classes and the named query ``conflicts`` when present.

    On a store version (clusterkg.oxstore) the counts are kept in the version's directory
    and read from there the next time: a version never changes, a new one is made when a
    data file does, and the key holds the queries, so an edited conflicts query counts again.
    """
    version = version_directory(dataset)
    key = _cache_key(home)
    if version is not None:
        cached = _read_cache(version / CACHE_FILE, key)
        if cached is not None:
            return cached
    with slow_step("counting (once per version of the graph: later `stats` read the "
                   "counts back)"):
        numbers = _count(dataset, home)
    if version is not None:
        _write_cache(version / CACHE_FILE, key, numbers)
    return numbers


def _count(dataset: Dataset, home: Home) -> Stats:
    classes = run_query(dataset, _CLASS_COUNTS, name="class counts")
    per_class = [(row[0], int(row[1])) for row in classes.rows if isinstance(row[0], URIRef)]
    per_graph = [(name, _graph_size(dataset, name)) for name in named_graphs(dataset)]
    sources = sum(1 for name, _ in per_graph if name not in NON_SOURCE_GRAPHS)
    coverage = Coverage(*(_single_count(dataset, text) for text in _COVERAGE))
    return Stats(
        instances_per_class=per_class,
        triples_per_graph=per_graph,
        source_graphs=sources,
        conflicts=count_conflicts(dataset, home),
        coverage=coverage,
    )


def _graph_size(dataset: Dataset, name: URIRef) -> int:
    """One graph's triples: a count per graph reads each graph's range of the index, where
    one GROUP BY over all quads (store.graph_sizes) took twice as long on disk."""
    return _single_count(dataset, _GRAPH_SIZE, {"g": name})


def _single_count(dataset: Dataset, text: str, bindings: dict[str, URIRef] | None = None) -> int:
    rows = run_query(dataset, text, bindings, name="stats").rows
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _cache_key(home: Home) -> str:
    """What the counts depend on besides the data: this module's queries and the project's
    conflicts query (its text, or that there is none)."""
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for text in (_CLASS_COUNTS, _GRAPH_SIZE, *_COVERAGE):
        digest.update(text.encode() + b"\0")
    path = query_files(home).get(CONFLICTS_QUERY)
    try:
        digest.update(path.read_bytes() if path is not None else b"\0none")
    except OSError:
        digest.update(b"\0unreadable")  # count_conflicts then says why
    return digest.hexdigest()


def _read_cache(path: Path, key: str) -> Stats | None:
    """The counts kept for ``key``; None if there are none (or they are not readable)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("key") != key:
            return None
        coverage = doc["coverage"]
        return Stats(
            instances_per_class=[(URIRef(c), int(n)) for c, n in doc["instancesPerClass"]],
            triples_per_graph=[(URIRef(g), int(n)) for g, n in doc["triplesPerGraph"]],
            source_graphs=int(doc["sourceGraphs"]),
            conflicts=None if doc["conflicts"] is None else int(doc["conflicts"]),
            coverage=None if coverage is None else Coverage(**coverage),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_cache(path: Path, key: str, numbers: Stats) -> None:
    """Keep the counts beside the version, atomically (written aside, then renamed); a cache
    that cannot be written only means counting again next time."""
    doc = {
        "key": key,
        "instancesPerClass": [[str(c), n] for c, n in numbers.instances_per_class],
        "triplesPerGraph": [[str(g), n] for g, n in numbers.triples_per_graph],
        "sourceGraphs": numbers.source_graphs,
        "conflicts": numbers.conflicts,
        "coverage": None if numbers.coverage is None else asdict(numbers.coverage),
    }
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        scratch.write_text(json.dumps(doc), encoding="utf-8")
        os.replace(scratch, path)
    except OSError:
        scratch.unlink(missing_ok=True)


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
