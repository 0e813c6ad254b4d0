"""Split a shapes graph in two halves that validate the same data side by side.

Why: the Rust ``shacl`` engine runs on one core, and at a million triples its time goes
about a third to SHACL Core and two thirds to the SHACL-SPARQL constraints, which it
evaluates once per focus node. Validating with two shapes graphs at once - every shape
minus the SPARQL constraints of the targeted node shapes, and those SPARQL constraints
alone - takes the time of the slower half on a machine with two cores. The engine releases
the GIL, so two threads are enough.

The split is exact: each (shape, constraint) pair is in exactly one half, so the union of
the two reports is the report of the whole graph. A SPARQL constraint of a shape that is
reached only through another shape (sh:node, sh:property) stays in the core half with the
shape that reaches it. Shapes graphs with constraint components of their own
(sh:ConstraintComponent) are not split: their parameters could sit on either half.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, SH
from rdflib.term import Node

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
#: What a node shape keeps in the SPARQL half besides its targets and sh:sparql.
KEPT = (RDF.type, SH.severity, SH.deactivated, SH.message)


def split(shapes: Graph) -> tuple[Graph, Graph] | None:
    """``(core, sparql)`` shapes graphs, or None when there is nothing to split."""
    if (None, RDF.type, SH.ConstraintComponent) in shapes:
        return None
    owners = sorted({s for s, _ in shapes.subject_objects(SH.sparql) if _targeted(shapes, s)},
                    key=str)
    if not owners:
        return None
    core = Graph()
    sparql = Graph()
    for graph in (core, sparql):
        for prefix, namespace in shapes.namespaces():
            graph.bind(prefix, namespace, override=True)
    moved = {(s, SH.sparql, o) for s in owners for o in shapes.objects(s, SH.sparql)}
    for triple in shapes:
        if triple not in moved:
            core.add(triple)
    for shape in owners:
        for predicate in (*TARGETS, *KEPT, SH.sparql):
            for value in shapes.objects(shape, predicate):
                sparql.add((shape, predicate, value))
                if predicate in (SH.sparql, SH.target):
                    _copy_description(shapes, value, sparql)
    for prefixes in list(sparql.objects(None, SH.prefixes)):
        _copy_description(shapes, prefixes, sparql)
        for imported in shapes.objects(prefixes, SH.prefixes):  # prefixes of prefixes
            _copy_description(shapes, imported, sparql)
    return core, sparql


def _targeted(shapes: Graph, shape: Node) -> bool:
    return any((shape, p, None) in shapes for p in TARGETS)


def _copy_description(source: Graph, node: Node, out: Graph) -> None:
    """``node``'s triples and, recursively, those of the blank nodes it refers to."""
    for s, p, o in _description(source, node, set()):
        out.add((s, p, o))


def _description(source: Graph, node: Node, seen: set[Node]) -> Iterator[tuple[Node, Node, Node]]:
    if node in seen:
        return
    seen.add(node)
    for _, p, o in source.triples((node, None, None)):
        yield node, p, o
        if isinstance(o, BNode):
            yield from _description(source, o, seen)


def merge_reports(reports: Iterable[Graph]) -> Graph:
    """One sh:ValidationReport with the results of all ``reports``; conforms if all do."""
    merged = Graph()
    top: Node | None = None
    conforms = True
    for report in reports:
        for prefix, namespace in report.namespaces():
            merged.bind(prefix, namespace, override=False)
        own = next(iter(report.subjects(RDF.type, SH.ValidationReport)), None)
        top = top if top is not None else own
        for s, p, o in report:
            if s == own and p == SH.conforms:
                conforms = conforms and isinstance(o, Literal) and o.toPython() is True
                continue
            merged.add((top if s == own else s, p, o))
    if top is not None:
        merged.add((top, SH.conforms, Literal(conforms)))
    return merged
