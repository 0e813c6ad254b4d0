"""The embedded store and the one way queries are run on it.

Kept deliberately thin (new_dataset, run_query, Result) so rdflib's in-memory Dataset can
later be swapped for Oxigraph or a remote endpoint without touching the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rdflib import XSD, BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.term import Node

from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import NON_SOURCE_GRAPHS, bind_prefixes
from clusterkg.terms import ntriples

_VARNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Result:
    """A store-independent query answer: rows for SELECT, a boolean for ASK, a graph else."""

    kind: str  # "SELECT", "ASK", "CONSTRUCT" or "DESCRIBE"
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None

    @property
    def is_empty(self) -> bool:
        """No rows, a false ASK, or an empty graph: the CLI exits 1 on this."""
        if self.kind == "SELECT":
            return not self.rows
        if self.kind == "ASK":
            return not self.boolean
        return self.graph is None or len(self.graph) == 0


def new_dataset() -> Dataset:
    """An empty Dataset whose default graph is the union of all named graphs."""
    dataset = Dataset(default_union=True)
    bind_prefixes(dataset)
    return dataset


def named_graphs(dataset: Dataset) -> list[URIRef]:
    """The non-empty named graphs, sorted by name."""
    names = {g.identifier for g in dataset.graphs()
             if isinstance(g.identifier, URIRef) and _holds_any(g)}
    names.discard(URIRef("urn:x-rdflib:default"))
    return sorted(names)


def graph_sizes(dataset: Dataset) -> dict[URIRef, int]:
    """Triples per named graph, in one query: len() of each graph through oxrdflib converts
    every triple (25 s at a million)."""
    result = run_query(dataset, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } "
                       "GROUP BY ?g", name="graph sizes")
    return {row[0]: int(row[1]) for row in result.rows if isinstance(row[0], URIRef)}


def _holds_any(graph: Graph) -> bool:
    """Whether the graph has a triple: the first one answers (len() counts them all)."""
    return next(iter(graph.triples((None, None, None))), None) is not None


def union_graph(dataset: Dataset, exclude: Iterable[URIRef] = ()) -> Graph:
    """A plain Graph holding the union of the named graphs (minus ``exclude``)."""
    skip = set(exclude)
    graph = Graph(bind_namespaces="core")
    bind_prefixes(graph)
    for name in named_graphs(dataset):
        if name not in skip:
            graph += dataset.graph(name)
    return graph


def data_graph(dataset: Dataset) -> Graph:
    """The union of the source graphs only (no ontology, no shapes)."""
    return union_graph(dataset, exclude=NON_SOURCE_GRAPHS)


def run_query(
    dataset: Dataset,
    text: str,
    bindings: Mapping[str, Node] | None = None,
    *,
    name: str = "query",
    federated: bool = False,
) -> Result:
    """Run SPARQL over the union of all graphs; values are bound as terms, never spliced.

    Nothing is fetched unless ``federated``: clusterkg.queryguard refuses SERVICE (and
    queries that would crash Oxigraph's parser) before an engine sees the text, and rdflib's
    loading of ``FROM`` graphs (from the web or local files) is off; Oxigraph's ``FROM`` only
    picks graphs of the dataset. With ``federated``, both engines run SERVICE and rdflib
    loads FROM graphs it does not hold.

    On Oxigraph the answer is read from the pyoxigraph Store directly (clusterkg.oxquery),
    not through oxrdflib, with the same terms in the rows; rdflib's store goes through
    ``Dataset.query``.
    """
    import rdflib.plugins.sparql

    from clusterkg.queryguard import QueryRefused, check

    def guard(checked: str) -> None:
        try:
            check(checked, federated=federated)
        except QueryRefused as exc:
            raise QueryRefused(f"{name}: {exc.message}", federation=exc.federation) from None

    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = federated
    init = {Variable(k): v for k, v in (bindings or {}).items()}
    prepared: object = text
    if is_oxigraph(dataset):
        from clusterkg.sparqltext import inline_values

        try:
            prepared, init = inline_values(text, bindings or {}), {}
        except ValueError as exc:
            raise ClusterKGError(f"{name}: cannot bind parameters: {exc}") from exc
        guard(str(prepared))  # the text Oxigraph will read, values and all
        inner = oxigraph_store(dataset)
        if inner is not None and dataset.default_union:
            return _run_on_oxigraph(dataset, inner, str(prepared), name)
    else:
        from rdflib.plugins.sparql import prepareQuery

        guard(text)  # values go in as initBindings, never into the text
        try:
            prepared = prepareQuery(text)
        except Exception as exc:  # pyparsing ParseException and friends
            raise ClusterKGError(f"{name}: SPARQL syntax error: {exc}") from exc
    try:
        answer = dataset.query(prepared, initBindings=init)  # type: ignore[arg-type]
        if answer.type == "SELECT":
            variables = [str(v) for v in answer.vars or []]
            rows = [tuple(canonical(term) for term in row) for row in answer]
            return Result(kind="SELECT", variables=variables, rows=rows)  # type: ignore[arg-type]
        if answer.type == "ASK":
            return Result(kind="ASK", boolean=bool(answer.askAnswer))
        graph = Graph(bind_namespaces="core")
        bind_prefixes(graph)
        if answer.graph is not None:
            graph += answer.graph
        return Result(kind=str(answer.type), graph=graph)
    except ClusterKGError:
        raise
    except SyntaxError as exc:  # Oxigraph's parser
        raise ClusterKGError(f"{name}: SPARQL syntax error: {exc}") from exc
    except Exception as exc:
        raise ClusterKGError(f"{name}: query failed: {type(exc).__name__}: {exc}") from exc


def _run_on_oxigraph(dataset: Dataset, inner: object, text: str, name: str) -> Result:
    """The answer read straight from the pyoxigraph Store, not through oxrdflib and rdflib.

    Same query, prefixes and union default graph as ``dataset.query`` sends through
    oxrdflib, the same terms in the rows (see clusterkg.oxquery), the same error messages.
    """
    from clusterkg import oxquery

    prefixes = {prefix: str(namespace) for prefix, namespace in dataset.namespaces()}
    try:
        return oxquery.query(inner, text, prefixes)  # type: ignore[arg-type]
    except SyntaxError as exc:  # Oxigraph's parser
        raise ClusterKGError(f"{name}: SPARQL syntax error: {exc}") from exc
    except Exception as exc:
        raise ClusterKGError(f"{name}: query failed: {type(exc).__name__}: {exc}") from exc


def oxigraph_store(dataset: Graph) -> Any:
    """The pyoxigraph Store under an oxrdflib-backed Dataset (for bulk reads), else None."""
    return getattr(dataset.store, "_inner", None) if is_oxigraph(dataset) else None


def is_oxigraph(dataset: Graph) -> bool:
    """True when the dataset sits on Oxigraph, whose engine takes query text, not rdflib's."""
    return type(dataset.store).__module__.startswith("oxrdflib") or any(
        c.__module__.startswith("oxrdflib") for c in type(dataset.store).__mro__
    )


def values_block(bindings: Mapping[str, Node | None]) -> str:
    """A one-row SPARQL ``VALUES`` clause from escaped N-Triples terms (for remote endpoints).

    ``None`` becomes ``UNDEF``; blank nodes are refused because VALUES cannot hold them.
    """
    if not bindings:
        return ""
    names, cells = [], []
    for var, term in bindings.items():
        if not _VARNAME.match(var):
            raise ValueError(f"not a SPARQL variable name: {var!r}")
        if isinstance(term, BNode):
            raise ValueError(f"a blank node cannot be bound in VALUES: ?{var}")
        names.append(f"?{var}")
        cells.append("UNDEF" if term is None else ntriples(term))
    return f"VALUES ({' '.join(names)}) {{ ({' '.join(cells)}) }}"


def with_values(text: str, bindings: Mapping[str, Node | None]) -> str:
    """The query with a trailing VALUES clause: the SPARQL grammar allows one after any form."""
    block = values_block(bindings)
    return f"{text.rstrip()}\n{block}\n" if block else text


_INTEGER_TYPES = frozenset(
    XSD[t] for t in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong",
        "unsignedShort", "unsignedByte",
    )
)


def canonical(term: Node | None) -> Node | None:
    """Numbers in their XSD 1.1 canonical form ("6000000.0" -> "6000000", "007" -> "7").

    Oxigraph keeps numbers as values and prints them canonically; rdflib keeps the lexical
    form. Canonicalising answers makes every store print the same row for the same value.
    """
    if not isinstance(term, Literal) or term.datatype is None:
        return term
    if term.datatype == XSD.string:  # RDF 1.1: "x" and "x"^^xsd:string are one term
        return Literal(str(term))
    try:
        if term.datatype == XSD.decimal:
            value = Decimal(str(term)).normalize()
            text = format(value, "f")
            if value == 0:
                text = "0"
            return Literal(text, datatype=XSD.decimal)
        if term.datatype in _INTEGER_TYPES:
            return Literal(str(int(str(term).strip())), datatype=term.datatype)
    except (ArithmeticError, ValueError):
        return term  # an ill-typed literal stays as it was written
    return term

