"""Parse the project's files into one rdflib Dataset, one named graph per source.

ontology/*.ttl -> ckg:ontology, shapes/*.ttl -> ckg:shapes, graph/*.trig -> the one named
graph each file declares, graph/*.ttl -> ckg:<file stem>. Any parse problem becomes a
ClusterKGError naming the file and, when the parser knows it, the line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import NON_SOURCE_GRAPHS, ONTOLOGY_GRAPH, SHAPES_GRAPH, source_graph
from clusterkg.paths import Home
from clusterkg.store import new_dataset

# rdflib's Turtle/TriG parser (notation3.BadSyntax) says "at line N of <uri>:" and then
# "Bad syntax (WHY) at ^ in: ..."; pyparsing-based errors say "(line:N, col:M)".
_LINE_PATTERNS = (re.compile(r"at line (\d+)"), re.compile(r"\(line:(\d+), col:\d+\)"))
_WHY_PATTERN = re.compile(r"Bad syntax \((.*?)\) at \^", re.DOTALL)


STORES = ("oxigraph", "memory")
ENV_STORE = "CLUSTERKG_STORE"


def load_dataset(home: Home, store: str | None = None, *, memory: bool = False) -> Dataset:
    """The project's dataset on the chosen embedded store (default: persisted Oxigraph).

    ``oxigraph`` keeps a parsed copy on disk and answers SPARQL with Oxigraph's engine: read
    in place (opening costs milliseconds, the right choice for questions about a few things),
    or, with ``memory``, copied into memory first (1-2 s at a million triples, then whole-graph
    listings and aggregates run about ten times faster). ``memory`` (the store) is rdflib's own
    in-memory store and SPARQL engine, parsed on every run.
    """
    kind = store or os.environ.get(ENV_STORE) or "oxigraph"
    if kind not in STORES:
        raise ClusterKGError(f"unknown store {kind!r}; choose one of: {', '.join(STORES)}")
    if kind == "oxigraph":
        from clusterkg.oxstore import open_dataset

        return open_dataset(home, memory=memory)
    return load_memory_dataset(home)


def load_memory_dataset(home: Home) -> Dataset:
    """Load every data file of the project into a fresh rdflib in-memory Dataset."""
    dataset = new_dataset()
    for path in home.files("ontology", ".ttl"):
        _merge(dataset, ONTOLOGY_GRAPH, parse_turtle(path))
    for path in home.files("shapes", ".ttl"):
        _merge(dataset, SHAPES_GRAPH, parse_turtle(path))
    origins: dict[URIRef, Path] = {}
    for path in home.files("graph", ".trig", ".ttl"):
        if path.suffix == ".ttl":
            name, graph = source_graph(path.stem), parse_turtle(path)
        else:
            name, graph = parse_single_graph_trig(path)
        if name in NON_SOURCE_GRAPHS:
            raise ClusterKGError(f"{path}: graph <{name}> is reserved for ontology/ or shapes/")
        if name in origins:
            raise ClusterKGError(f"{path}: graph <{name}> is already defined in {origins[name]}")
        origins[name] = path
        _merge(dataset, name, graph)
    return dataset


def parse_turtle(path: Path) -> Graph:
    """Parse one Turtle file into a new Graph."""
    graph = Graph()
    _parse(graph, path, "turtle")
    return graph


def parse_single_graph_trig(path: Path) -> tuple[URIRef, Graph]:
    """Parse a TriG file that must hold exactly one named graph and nothing in the default."""
    parsed = Dataset()
    _parse(parsed, path, "trig")
    named = [g for g in parsed.graphs() if g.identifier != DATASET_DEFAULT_GRAPH_ID and len(g)]
    default_triples = len(parsed.graph(DATASET_DEFAULT_GRAPH_ID))
    if default_triples:
        raise ClusterKGError(
            f"{path}: {default_triples} triple(s) outside any GRAPH block; "
            "a graph/ file must hold exactly one named graph"
        )
    if len(named) != 1:
        names = ", ".join(sorted(f"<{g.identifier}>" for g in named)) or "none"
        raise ClusterKGError(f"{path}: expected exactly one named graph, found {names}")
    graph = named[0]
    if not isinstance(graph.identifier, URIRef):
        raise ClusterKGError(f"{path}: the named graph must be named by an IRI")
    return graph.identifier, graph


def _merge(dataset: Dataset, name: URIRef, graph: Graph) -> None:
    target = dataset.graph(name)
    target += graph


def _parse(graph: Graph, path: Path, fmt: str) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ClusterKGError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ClusterKGError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from exc
    try:
        graph.parse(data=text, format=fmt)
    except Exception as exc:  # rdflib raises several unrelated types for bad input
        raise ClusterKGError(describe_parse_error(path, exc)) from exc


def describe_parse_error(path: Path, exc: Exception) -> str:
    """One line naming the file, the line (if the parser reported one) and the reason."""
    text = str(exc)
    line = next((m.group(1) for p in _LINE_PATTERNS if (m := p.search(text))), None)
    why_match = _WHY_PATTERN.search(text)
    first_line = text.splitlines()[0] if text else type(exc).__name__
    why = why_match.group(1) if why_match else first_line
    where = f"{path}, line {line}" if line else str(path)
    return f"cannot parse {where}: {why}"
