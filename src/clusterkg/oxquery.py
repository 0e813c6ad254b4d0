"""Answer a query on the pyoxigraph Store under an Oxigraph dataset, read straight into rdflib.

Through oxrdflib every cell goes through a generic converter, a dict per row and rdflib's
``ResultRow``, and then through ``store.canonical``; for tens of thousands of rows that costs
as much as the query itself. Here the answer is read from pyoxigraph directly, and each
distinct term is converted once per query (a dict keyed by the pyoxigraph term), straight
into the canonical form ``store.canonical`` gives, so every store prints the same rows.
Errors are left to the caller (``store.run_query``), which words them for every store alike.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from clusterkg.namespaces import bind_prefixes
from clusterkg.store import Result, canonical

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def query(inner: ox.Store, text: str, prefixes: dict[str, str]) -> Result:
    """Run ``text`` with the set union of the named graphs as the default graph.

    The store's default graph holds that union (clusterkg.oxstore.fill_union): Oxigraph's own
    union default graph would match a triple once per graph that holds it.

    SELECT rows hold canonical rdflib terms (None when unbound); a SELECT without variables
    has no rows, as through rdflib's ``Result``. CONSTRUCT and DESCRIBE give a graph of the
    terms as they are, with kind "CONSTRUCT" for both, as oxrdflib reports them.
    """
    answer = inner.query(text, prefixes=prefixes)
    if isinstance(answer, ox.QuerySolutions):
        variables = [v.value for v in answer.variables]
        if not variables:
            for _ in answer:  # evaluate it all, so errors surface as before
                pass
            return Result(kind="SELECT", variables=variables, rows=[])
        cell = _CanonicalTerms().__getitem__
        rows = [tuple(map(cell, solution)) for solution in answer]
        return Result(kind="SELECT", variables=variables, rows=rows)  # type: ignore[arg-type]
    if isinstance(answer, ox.QueryBoolean):
        return Result(kind="ASK", boolean=bool(answer))
    # Through a plain Graph first, as oxrdflib does: the triples then come out in the same
    # order, and serialisers that keep the store's order (JSON-LD) print the same document.
    triples = Graph()
    triples += (to_rdflib(t) for t in answer)
    graph = Graph(bind_namespaces="core")
    bind_prefixes(graph)
    graph += triples
    return Result(kind="CONSTRUCT", graph=graph)


def to_rdflib(term: Any) -> Any:
    """A pyoxigraph term as the rdflib term oxrdflib makes of it (not canonicalised)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    if isinstance(term, ox.Triple):  # RDF 1.2 quoted triple
        return to_rdflib(term.subject), to_rdflib(term.predicate), to_rdflib(term.object)
    if term is None:
        return None
    raise ValueError(f"unexpected Oxigraph term: {term!r}")


class TermCache(dict[Any, Any]):
    """pyoxigraph term -> the rdflib term ``to_rdflib`` makes of it, each converted once."""

    def __missing__(self, term: Any) -> Any:
        node = self[term] = to_rdflib(term)
        return node


class _CanonicalTerms(dict[Any, Any]):
    """pyoxigraph term -> canonical rdflib term, each distinct term converted once.

    ``None`` (an unbound cell) stays None. A cell costs one dict look-up once its term is
    known; ``store.canonical(to_rdflib(term))`` runs once per distinct term.
    """

    def __init__(self) -> None:
        super().__init__()
        self[None] = None

    def __missing__(self, term: Any) -> Node | None:
        if isinstance(term, ox.NamedNode):
            node: Any = URIRef(term.value)
        elif isinstance(term, ox.Literal) and not term.language and (
            term.datatype.value == _XSD_STRING
        ):
            node = Literal(term.value)  # what canonical() makes of it, built once, not twice
        else:
            node = canonical(to_rdflib(term))
        self[term] = node
        return node
