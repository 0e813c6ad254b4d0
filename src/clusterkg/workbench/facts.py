"""What the graph says about one thing, gathered in a query worker for its page.

A thing's page shows its own triples and the fact nodes that point at it (a member count's
``ck:cluster``, a grant's ``schema:fundedItem`` ...), each fact with its sources: the document,
the cited line numbers, stated or inferred and why. Everything is read by triple-pattern
look-ups on the worker's dataset (indexed on both stores), never by scanning, and the number
of facts and mentions read is capped, so a page stays fast on a graph of a million triples.

The answer is plain data (strings, lists, dicts) that pickles back to the server process,
which adds the ontology's labels and the text of the cited lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from clusterkg.namespaces import CK, SCHEMA

#: Facts and mentions read per page at most (a programme node is named by thousands).
MAX_FACTS = 250
MAX_MENTIONS = 200
MAX_VALUES = 12  # values shown per property of a fact; the rest counted
MORE = "urn:clusterkg:more"  # the datatype of the "and N more" value
MAX_OUT = 64  # a node with more triples is a hub: looked up by predicate, not read whole
LABELS = (RDFS.label, SKOS.prefLabel, SCHEMA.name)
NAMES = (*LABELS, SKOS.altLabel)
#: A fact's provenance: shown as its sources, not among its values.
PROVENANCE = frozenset({CK.sourceDocument, CK.sourceLine, CK.assertionMode, CK.inferenceReason,
                        CK.sourceSection, RDF.type})
PERIOD_PARTS = (CK.startDate, CK.endDate, CK.duration)


@dataclass
class Value:
    """An object of a triple: a literal (text, datatype, language) or a node with labels."""

    text: str
    iri: str | None = None  # None for literals and blank nodes
    labels: dict[str, str] = field(default_factory=dict)
    datatype: str | None = None
    language: str | None = None
    details: list[tuple[str, str]] = field(default_factory=list)  # a period's dates


@dataclass
class Source:
    """One document a fact (or the thing) cites, with the line numbers it cites there."""

    iri: str
    labels: dict[str, str] = field(default_factory=dict)
    file: str | None = None
    url: str | None = None
    issued: str | None = None
    estimate: str | None = None  # "2018/2019" when the document's year is inferred
    lines: list[int] = field(default_factory=list)
    text: dict[int, str] = field(default_factory=dict)  # filled in by the server


@dataclass
class Fact:
    """A fact node that names the thing, by ``role`` (the predicate pointing at it)."""

    iri: str
    types: list[str]
    roles: list[str]
    values: list[tuple[str, Value]]
    mode: str | None
    reasons: dict[str, str]
    sources: list[Source]
    #: (source IRI of this fact, the other value, the other source's IRI) per disagreement
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Description:
    """Everything a thing's page shows."""

    iri: str
    types: list[str]
    labels: dict[str, list[str]]  # language -> labels (rdfs:label, prefLabel, name)
    alt_labels: list[str]
    values: list[tuple[str, Value]]  # its own triples, but names and provenance
    sources: list[Source]  # where the thing itself is named
    mode: str | None
    reasons: dict[str, str]
    facts: list[Fact]
    mentions: list[tuple[str, str, Value]]  # (subject, predicate, subject as value)
    more_facts: bool = False
    more_mentions: bool = False


def _to_oxigraph(term: Node | None) -> Any:
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise ValueError(f"not a term: {term!r}")


def describe(iri: str) -> Description | None:
    """In a worker: the thing's description, or None when the graph says nothing of it."""
    from clusterkg.querypool import worker_dataset

    return Reader(worker_dataset()).describe(URIRef(iri))


def _order(node: Node) -> tuple[str, str]:
    """A total order: "Arena"@en before "Arena"@nb on every store (by text alone, their
    order would follow the store's, and the page and its RDF would differ between stores)."""
    return str(node), node.n3()


class Reader:
    """Triple look-ups on the dataset, each distinct triple once (the union is a set)."""

    def __init__(self, dataset: Dataset) -> None:
        from clusterkg.store import oxigraph_store

        self.dataset = dataset
        # On Oxigraph, its default graph holds every distinct triple of the named graphs
        # once (clusterkg.oxstore): read it directly, a tenth of the cost through rdflib.
        self.inner = oxigraph_store(dataset)
        self._terms: dict[Any, Any] = {}
        self._sources: dict[Node, Source] = {}
        self._out: dict[Node, list[tuple[Node, Node]] | None] = {}
        self._values: dict[tuple[Node, bool], Value] = {}

    def triples(self, s: Node | None, p: Node | None, o: Node | None) -> Iterator[tuple]:
        if self.inner is not None:
            yield from self._oxigraph_triples(s, p, o)
            return
        seen: set[tuple] = set()
        for triple in self.dataset.triples((s, p, o)):
            if triple not in seen:
                seen.add(triple)
                yield triple

    def _oxigraph_triples(self, s: Node | None, p: Node | None,
                          o: Node | None) -> Iterator[tuple]:
        import pyoxigraph as ox

        from clusterkg.oxquery import to_rdflib

        terms = self._terms

        def back(term: Any) -> Any:
            found = terms.get(term)
            if found is None:
                found = terms[term] = to_rdflib(term)
            return found

        pattern = [_to_oxigraph(t) for t in (s, p, o)]
        for quad in self.inner.quads_for_pattern(*pattern, ox.DefaultGraph()):
            yield back(quad.subject), back(quad.predicate), back(quad.object)

    def out(self, node: Node) -> list[tuple[Node, Node]] | None:
        """The node's (predicate, object) pairs, read once; None for a node with more than
        MAX_OUT (a hub), whose look-ups go by predicate instead."""
        if node not in self._out:
            pairs = [(p, o) for _, p, o in islice(self.triples(node, None, None), MAX_OUT + 1)]
            self._out[node] = pairs if len(pairs) <= MAX_OUT else None
        return self._out[node]

    def objects(self, s: Node, p: Node) -> list[Node]:
        """Objects of one predicate: from the node's triples if already read (a fact's),
        else by one look-up (cheaper than reading a whole node for its label)."""
        pairs = self._out.get(s)
        if pairs is None:
            return sorted({o for _, _, o in self.triples(s, p, None)}, key=_order)
        return sorted({o for predicate, o in pairs if predicate == p}, key=_order)

    def labels(self, node: Node) -> dict[str, str]:
        """Language ("" for none) -> one label, preferring rdfs:label, then prefLabel, name."""
        found: dict[str, str] = {}
        for predicate in LABELS:
            for label in self.objects(node, predicate):
                if isinstance(label, Literal):
                    found.setdefault(label.language or "", str(label))
        return found

    def value(self, node: Node, period: bool = False) -> Value:
        """The object ``node`` as shown: with its labels, and with its dates when it is a
        ``period``."""
        key = (node, period)
        if key not in self._values:
            self._values[key] = self._value(node, period)
        return self._values[key]

    def _value(self, node: Node, period: bool) -> Value:
        from clusterkg.store import canonical

        if isinstance(node, Literal):
            node = canonical(node)  # numbers as every store prints them; "x"^^xsd:string is "x"
            assert isinstance(node, Literal)
            datatype = str(node.datatype) if node.datatype is not None else None
            return Value(str(node), datatype=datatype, language=node.language)
        iri = str(node) if isinstance(node, URIRef) else None
        shown = Value(str(node), iri=iri, labels=self.labels(node))
        for part in PERIOD_PARTS if period else ():
            for found in self.objects(node, part):
                shown.details.append((str(part), str(found)))
        return shown

    def source(self, document: Node) -> Source:
        if document not in self._sources:
            found = Source(str(document), labels=self.labels(document))
            file = next(iter(self.objects(document, CK.fileName)), None)
            url = next(iter(self.objects(document, SCHEMA.url)), None)
            issued = next(iter(self.objects(document, DCTERMS.issued)), None)
            found.file = str(file) if file is not None else None
            found.url = str(url) if url is not None else None
            found.issued = str(issued) if issued is not None else None
            for estimate, _, _ in self.triples(None, CK.about, document):
                early = next(iter(self.objects(estimate, CK.earliestYear)), None)
                late = next(iter(self.objects(estimate, CK.latestYear)), None)
                if early is not None and late is not None:
                    found.estimate = str(early) if early == late else f"{early}/{late}"
            self._sources[document] = found
        return self._sources[document]

    def provenance(self, node: Node) -> tuple[list[Source], str | None, dict[str, str]]:
        """The node's sources (each with its cited lines), assertion mode and reasons."""
        lines: dict[str, list[int]] = {}
        for line in self.objects(node, CK.sourceLine):
            document = next(iter(self.objects(line, CK.inDocument)), None)
            number = next(iter(self.objects(line, CK.lineNumber)), None)
            if document is not None and number is not None:
                lines.setdefault(str(document), []).append(int(number))
        sources = []
        for document in self.objects(node, CK.sourceDocument):
            source = self.source(document)
            sources.append(Source(**{**source.__dict__,
                                     "lines": sorted(set(lines.get(str(document), [])))}))
        mode = next(iter(self.objects(node, CK.assertionMode)), None)
        reasons = {o.language or "": str(o) for o in self.objects(node, CK.inferenceReason)
                   if isinstance(o, Literal)}
        return sources, (str(mode) if mode is not None else None), reasons

    def own_values(self, node: Node, skip: frozenset[Node]) -> list[tuple[str, Value]]:
        pairs = self.out(node)
        if pairs is None:
            pairs = [(p, o) for _, p, o in self.triples(node, None, None)]
        by_predicate: dict[Node, list[Node]] = {}
        for p, o in pairs:
            if p not in skip:
                by_predicate.setdefault(p, []).append(o)
        rows = []
        for p, objects in by_predicate.items():
            objects.sort(key=str)
            for o in objects[:MAX_VALUES]:
                rows.append((str(p), self.value(o, p == CK.period)))
            if len(objects) > MAX_VALUES:  # a total over hundreds of clusters, say
                rows.append((str(p), Value(str(len(objects) - MAX_VALUES), datatype=MORE)))
        return sorted(rows, key=lambda row: (row[0], row[1].datatype == MORE, row[1].text))

    def describe(self, node: URIRef) -> Description | None:
        own = list(self.triples(node, None, None))
        incoming = self.triples(None, None, node)
        pointing: dict[Node, list[str]] = {}
        for subject, predicate, _ in islice(incoming, MAX_FACTS + MAX_MENTIONS + 1):
            pointing.setdefault(subject, []).append(str(predicate))
        if not own and not pointing:
            return None
        labels: dict[str, list[str]] = {}
        for predicate in LABELS:
            for _, _, label in self.triples(node, predicate, None):
                if isinstance(label, Literal):
                    labels.setdefault(label.language or "", []).append(str(label))
        alt = sorted({str(o) for _, _, o in self.triples(node, SKOS.altLabel, None)})
        sources, mode, reasons = self.provenance(node)
        facts, mentions = [], []
        for subject, roles in sorted(pointing.items(), key=lambda item: str(item[0])):
            is_fact = bool(self.objects(subject, CK.assertionMode))  # before reading it whole
            if is_fact and len(facts) < MAX_FACTS:
                facts.append(self.fact(subject, node, roles))
            elif not is_fact and len(mentions) < MAX_MENTIONS:
                for role in roles:
                    mentions.append((str(subject), role, self.value(subject)))
        mark_conflicts(facts)
        return Description(
            iri=str(node),
            types=sorted(str(o) for o in self.objects(node, RDF.type)),
            labels={k: sorted(set(v)) for k, v in labels.items()},
            alt_labels=alt,
            values=self.own_values(node, PROVENANCE | set(NAMES)),
            sources=sources, mode=mode, reasons=reasons, facts=facts, mentions=mentions,
            more_facts=len(facts) >= MAX_FACTS,
            more_mentions=len(pointing) > MAX_FACTS + MAX_MENTIONS,
        )

    def fact(self, subject: Node, about: Node, roles: list[str]) -> Fact:
        self.out(subject)  # read whole once: its values, types and provenance
        sources, mode, reasons = self.provenance(subject)
        values = [(p, v) for p, v in self.own_values(subject, PROVENANCE)
                  if not (v.iri == str(about) and p in roles)]
        iri = str(subject) if not isinstance(subject, BNode) else "_:" + str(subject)
        return Fact(iri=iri, types=sorted(str(t) for t in self.objects(subject, RDF.type)),
                    roles=sorted(set(roles)), values=values, mode=mode, reasons=reasons,
                    sources=sources)


# --- conflicts (the rules of queries/conflicts.rq, for one thing's facts) ---------------------


def when(fact: Fact, source: Source) -> str:
    """The month a count holds for, as conflicts.rq keys it: its observation date, else the
    month its source was published, else unknown ("")."""
    observed = first(fact, CK.observationDate)
    return (observed or source.issued or "")[:7]


def first(fact: Fact, predicate: URIRef) -> str | None:
    return next((v.text for p, v in fact.values if p == str(predicate)), None)


def mark_conflicts(facts: list[Fact]) -> None:
    """Note on each member count and grant where another source gives another value for the
    same thing at the same time (member counts: same kind and month; grants: same level and
    currency, different annual amount): both values stand, neither overrides the other."""
    groups: dict[tuple[str, ...], list[tuple[Fact, Source, str]]] = {}
    for fact in facts:
        types = set(fact.types)
        if str(CK.MemberCount) in types:
            value, key = first(fact, CK["count"]), ("count", first(fact, CK.memberKind) or "")
        elif str(CK.Grant) in types:
            value = first(fact, CK.annualAmount)
            key = ("grant", first(fact, CK.level) or "", first(fact, SCHEMA.currency) or "")
        else:
            continue
        if value is None:
            continue
        for source in fact.sources:
            moment = when(fact, source) if key[0] == "count" else ""
            groups.setdefault((*key, moment), []).append((fact, source, value))
    for entries in groups.values():
        for fact, source, value in entries:
            others = [(other, v) for _, other, v in entries
                      if other.iri != source.iri and _number(v) != _number(value)]
            for other, other_value in others:
                note = (source.iri, other_value, other.iri)
                if note not in fact.conflicts:
                    fact.conflicts.append(note)


def _number(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


# --- the description as RDF (content negotiation) ---------------------------------------------


def describe_rdf(iri: str, fmt: str) -> bytes | None:
    """In a worker: the thing's own triples and the fact nodes that point at it, with their
    provenance (cited line nodes, periods), serialised as ``fmt``; None when unknown."""
    from clusterkg.querypool import worker_dataset
    from clusterkg.serve import _serialize

    graph = description_graph(Reader(worker_dataset()), URIRef(iri))
    return _serialize(graph, fmt) if len(graph) else None


def description_graph(reader: Reader, node: URIRef) -> Any:
    from rdflib import Graph

    from clusterkg.namespaces import bind_prefixes
    from clusterkg.store import canonical

    graph = Graph(bind_namespaces="core")
    bind_prefixes(graph)
    subjects: list[Node] = [node]
    for subject, _, _ in islice(reader.triples(None, None, node), MAX_FACTS):
        if any(True for _ in reader.triples(subject, CK.assertionMode, None)):
            subjects.append(subject)
    done: set[Node] = set()
    while subjects:
        subject = subjects.pop()
        if subject in done:
            continue
        done.add(subject)
        for _, predicate, value in reader.triples(subject, None, None):
            graph.add((subject, predicate, canonical(value)))  # "x"^^xsd:string is "x"
            if predicate in (CK.sourceLine, CK.period) or isinstance(value, BNode):
                subjects.append(value)  # the cited lines and periods belong to the fact
    return graph
