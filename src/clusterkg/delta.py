"""Validate new facts (a delta) against the graph, quickly, and say where each problem came from.

Why not run pySHACL over the union plus the delta? Because that costs what the whole graph
costs (minutes at a million triples) and reports every old problem again. Instead:

1. Focus nodes: the subjects and (non-schema) objects of the new triples, plus the nodes
   whose shapes read those: the cluster of a level assignment and its other level
   assignments (the no-overlap rule is the cluster's and reads all of them),
   facts that use a touched period, and, when a graph is taken away, the nodes that point
   at its subjects. Classes and vocabulary terms (subjects of the ontology graph) are schema,
   never focus nodes.
2. Neighbourhood: from the store, the triples whose subject is a focus node or lies within
   two hops of one (what sh:class, sh:node and the SPARQL constraints look at), the triples
   that reach a focus node by a predicate some shape walks backwards (sh:inversePath) with the
   types of their subjects, and the whole ontology graph (class hierarchy and vocabularies).
   ``neighbourhood()`` does this with store look-ups (on Oxigraph straight on the pyoxigraph
   store, ``View``), so it costs index look-ups, not a scan; the delta itself is indexed once
   in plain dicts (``TripleIndex``).
3. A SHACL engine on that graph, keeping the results about the focus nodes (``_validate``:
   not pySHACL's own ``focus_nodes`` option), once with the delta ("after") and once
   without it ("before"); only results that are new after the change are reported, so old
   problems elsewhere (or on a cluster the delta merely mentions) are not blamed on it.
   pySHACL for a small neighbourhood, the Rust ``shacl`` engine from FAST_ENGINE_TRIPLES on
   (``delta_engine``): the same graph either way, so the same report.
4. Duplicates: a new fact with the same class and key properties as an existing fact (or as
   another new fact) is reported; see ``KEY_PROPERTIES``. The existing facts about an anchor
   (a cluster) are read and signed once, however many new facts name it.

Input files are parsed by Oxigraph when it can (Turtle, TriG, N-Triples, N-Quads: some 20
times faster than rdflib), by rdflib otherwise (JSON-LD, and files Oxigraph refuses, so
their error messages stay rdflib's).

Blank nodes of the delta are skolemised into ``GENID`` IRIs first, because pySHACL only takes
IRIs as focus nodes; reports show them as ``[]``.

Where a triple came from: rdflib keeps no line numbers, so ``Locator`` re-scans the input
text. For Turtle/TriG it finds the line where the subject starts a statement (spelled as
``<iri>`` or with any prefix the file declares), then the line of the property within that
statement; for N-Triples/N-Quads the line that starts with the subject (and predicate); for
JSON-LD the first line that holds the full IRI in quotes. Spreadsheet rows register their
nodes directly (``file.csv, row N``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import (
    CK,
    NON_SOURCE_GRAPHS,
    ONTOLOGY_GRAPH,
    ORG,
    SCHEMA,
    SHAPES_GRAPH,
    bind_prefixes,
    compact,
)
from clusterkg.validate import Finding, Report, report_from, validate_graphs

GENID = "https://w3id.org/clusterkg/.well-known/genid/"
INPUT_FORMATS = ("turtle", "trig", "json-ld", "nt", "nquads")
EXTENSIONS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".nt": "nt",
    ".nq": "nquads",
}
_QUAD_FORMATS = {"trig", "nquads", "json-ld"}

#: Properties that say where a fact comes from, not what it says: never part of its identity.
PROVENANCE = frozenset({
    CK.sourceDocument, CK.sourceLine, CK.assertionMode, CK.inferenceReason, CK.categoryLabel,
    CK.postTitle, RDFS.comment, RDFS.label, RDF.type, CK.sourceSection,
})
#: Per fact class, the properties that make two facts "the same fact" (periods by their dates).
#: Classes not listed compare all their non-provenance properties (an identical triple set).
KEY_PROPERTIES: dict[URIRef, tuple[URIRef, ...]] = {
    CK.MemberCount: (CK.cluster, CK.memberKind, CK["count"], CK.observationDate),
    CK.LevelAssignment: (CK.cluster, CK.level, CK.programme, CK.period),
    CK.Grant: (SCHEMA.fundedItem, SCHEMA.funder, CK.annualAmount, CK.totalAmount,
               SCHEMA.currency, CK.period),
    CK.Membership: (ORG.organization, ORG.member, ORG.role, CK.period),
    CK.PostHolding: (ORG.member, ORG.organization, ORG.role, CK.period),
    CK.Hosting: (CK.cluster, CK.host, CK.period),
    CK.Location: (CK.cluster, CK.place, CK.locationRole),
    CK.ProgrammeOwnership: (CK.programme, CK.owner),
    CK.AdmissionCount: (CK.programme, CK.announcement, CK.level, CK["count"]),
}
_KEY_SETS = {cls: frozenset(keys) for cls, keys in KEY_PROPERTIES.items()}  # for `in`
#: Properties tried, in order, to find candidate duplicates by an index look-up.
ANCHORS = (CK.cluster, SCHEMA.fundedItem, ORG.organization, ORG.member, CK.programme, CK.about,
           CK.owner, CK.host, CK.place)
HOPS = 2
# rdflib's namespace terms are attribute look-ups each time (~1 us): these are in hot loops
_TYPE = RDF.type
_ONLY_TYPE = frozenset({RDF.type})  # `p not in` it: str's hash, where `p != RDF.type` is Python
_PERIOD = CK.Period
_PERIOD_DATES = frozenset({CK.startDate, CK.endDate, CK.duration})
#: From this many neighbourhood triples on, the fast engine validates a delta (``delta_engine``).
FAST_ENGINE_TRIPLES = 5_000
ENV_DELTA_ENGINE = "CLUSTERKG_DELTA_ENGINE"


# --- reading input files -------------------------------------------------------------------


@dataclass
class InputFile:
    """One parsed input file, kept with its text so lines can be found again."""

    path: Path
    fmt: str
    text: str
    graph: Graph


def input_format(path: Path, explicit: str | None) -> str:
    """The RDF syntax of ``path``: ``--input-format`` if given, else by file extension."""
    if explicit:
        if explicit not in INPUT_FORMATS:
            raise ClusterKGError(f"unknown input format '{explicit}' ({', '.join(INPUT_FORMATS)})")
        return explicit
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(EXTENSIONS))
        raise ClusterKGError(
            f"{path}: cannot tell the RDF syntax from the extension (known: {known}); "
            "use --input-format"
        )
    return fmt


def read_file(path: Path, fmt: str | None = None, base: str | None = None) -> InputFile:
    """Parse one file of new facts; errors name the file and, where known, the line.

    Relative IRIs resolve against ``base`` (``--base``); without it, against the file's own
    path, and then clusterkg.iricheck refuses them. Every IRI is checked here, before any
    validation, so `validate FILE` and `add` refuse the same files with the same message.
    """
    from clusterkg.iricheck import check_iris, check_jsonld, iris_of, quiet_uri_warnings
    from clusterkg.loader import describe_parse_error

    syntax = input_format(path, fmt)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ClusterKGError(f"cannot read {path}: {exc.strerror or exc}") from exc
    text = decode_utf8(path, data)
    if not text.strip():
        raise ClusterKGError(f"{path}: the file is empty; expected {syntax} with new facts")
    if syntax == "json-ld":
        check_jsonld(path, text)  # before rdflib, which would fetch contexts or drop triples
    document = path.resolve().as_uri()
    fast = _parse_fast(data, syntax, base or document)
    if fast is not None:
        graph, iris = fast
        check_iris(path, text, iris, document=document, base=base)
    else:  # rdflib: JSON-LD, and whatever Oxigraph refuses (rdflib's message, as before)
        parsed: Graph = Dataset() if syntax in _QUAD_FORMATS else Graph()
        try:
            with quiet_uri_warnings():
                parsed.parse(data=text, format=syntax, publicID=base or document)
        except Exception as exc:  # rdflib raises many unrelated types for bad input
            raise ClusterKGError(describe_parse_error(path, exc)) from exc
        quads = list(parsed.quads((None, None, None, None))) if isinstance(
            parsed, Dataset) else [(s, p, o) for s, p, o in parsed]
        check_iris(path, text, iris_of(quads), document=document, base=base)
        graph = Graph()
        for s, p, o, *_ in quads:
            graph.add((s, p, o))
    if next(iter(graph), None) is None:  # len() of rdflib's store counts every triple
        raise ClusterKGError(f"{path}: no triples in it (only prefixes or comments?)")
    return InputFile(path=path, fmt=syntax, text=text, graph=graph)


_OX_FORMATS = {"turtle": "TURTLE", "trig": "TRIG", "nt": "N_TRIPLES", "nquads": "N_QUADS"}


def _parse_fast(data: bytes, syntax: str, base: str) -> tuple[Graph, set[str]] | None:
    """The triples of ``data`` parsed by Oxigraph (graph names dropped) and every IRI in
    them (terms and datatypes), or None if it cannot: then rdflib parses it and reports the
    error as before.

    Oxigraph's parser is some 20 times faster than rdflib's (a 50 MB Turtle file: seconds,
    not a minute) and stricter, so what it accepts rdflib accepts too; the graph is rdflib's
    context-free store, which the check reads twice as fast as the default one. Each
    distinct term is converted once (a file names the same classes, properties and values
    over and over), and its IRIs are read off the distinct terms, not off every triple.
    """
    import pyoxigraph as ox

    name = _OX_FORMATS.get(syntax)
    if name is None:
        return None
    graph = Graph(store="SimpleMemory")
    bind_prefixes(graph)
    add = graph.store.add  # Graph.add only checks the terms' types, which from_ox makes
    terms = RdflibTerms()
    try:
        for quad in ox.parse(data, format=getattr(ox.RdfFormat, name), base_iri=base):
            add((terms[quad.subject], terms[quad.predicate], terms[quad.object]), graph, False)
    except (SyntaxError, ValueError, OSError):
        return None
    iris = {str(t) for t in terms.values() if isinstance(t, URIRef)}
    iris.update(str(t.datatype) for t in terms.values()
                if isinstance(t, Literal) and t.datatype is not None)
    return graph, iris


def decode_utf8(path: Path, data: bytes) -> str:
    """UTF-8 text without a BOM; anything else is an input error with the line of the bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ClusterKGError(
            f"{path}: not UTF-8 text (line {line}: byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save the file as UTF-8"
        ) from exc
    return text.removeprefix("\ufeff")


def read_files(paths: Iterable[Path], fmt: str | None = None,
               base: str | None = None) -> tuple[Graph, Locator]:
    """All triples of the files (graph names dropped) and a locator for their lines.

    ``base`` (``--base``) is what relative IRIs resolve against; see ``read_file``.
    """
    from clusterkg.iricheck import check_base

    base = check_base(base) if base is not None else None
    locator = Locator()
    for path in paths:
        locator.files.append(read_file(path, fmt, base))
    if len(locator.files) == 1:  # one file: its graph, not a copy of it
        return locator.files[0].graph, locator
    delta = Graph()
    bind_prefixes(delta)
    for parsed in locator.files:
        delta += parsed.graph
    return delta, locator


# --- where a triple came from ---------------------------------------------------------------


_PREFIX_DECL = re.compile(r"(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


@dataclass
class Locator:
    """Finds ``file, line N`` (or ``file, row N``) for the nodes of a delta."""

    files: list[InputFile] = field(default_factory=list)
    rows: dict[Node, str] = field(default_factory=dict)
    skolem: dict[URIRef, BNode] = field(default_factory=dict)
    _lines: dict[int, list[str]] = field(default_factory=dict)
    _prefixes: dict[int, dict[str, str]] = field(default_factory=dict)
    # per file: where each name first starts a line (built once: a big file with many
    # reported nodes was scanned from the top for each of them)
    _starts: dict[int, dict[str, int]] = field(default_factory=dict)

    def locate(self, node: Node, predicate: Node | None = None,
               delta: Graph | TripleIndex | None = None, _depth: int = 0) -> str | None:
        """Where ``node`` (and its ``predicate``, if given) is written, or None."""
        if node in self.rows:
            return self.rows[node]
        original = self.skolem.get(node) if isinstance(node, URIRef) else None
        if isinstance(node, URIRef) and original is None:
            for index, parsed in enumerate(self.files):
                if (node, None, None) not in parsed.graph:
                    continue
                line = self._line(index, parsed, node, predicate)
                if line is not None:
                    return f"{parsed.path}, line {line}"
                return str(parsed.path)
        # a blank node (or an unnamed one): where its parent mentions it
        if delta is not None and _depth < 3:
            for parent, via in delta.subject_predicates(node):
                found = self.locate(parent, via, delta, _depth + 1)
                if found:
                    return found
        return None

    def _line(
        self, index: int, parsed: InputFile, node: URIRef, predicate: Node | None
    ) -> int | None:
        if index not in self._lines:  # split (and indexed, below) once per file
            self._lines[index] = parsed.text.splitlines()
        lines = self._lines[index]
        if parsed.fmt in ("nt", "nquads"):
            if index not in self._starts:
                self._starts[index] = _statement_starts(lines)
            return _ntriples_line(lines, node, predicate, self._starts[index])
        if parsed.fmt == "json-ld":
            needle = f'"{node}"'
            return next((n for n, text in enumerate(lines, 1) if needle in text), None)
        if index not in self._prefixes:
            self._prefixes[index] = {(m.group(1) or ""): m.group(2)
                                     for m in _PREFIX_DECL.finditer(parsed.text)}
        prefixes = self._prefixes[index]
        if index not in self._starts:
            self._starts[index] = _line_starts(lines)
        return turtle_line(lines, prefixes, node, predicate, self._starts[index])


def _line_starts(lines: list[str]) -> dict[str, int]:
    """Every name a Turtle line can start with -> the first such line (0-based).

    What ``turtle_line``'s start pattern (the name, then a space, one of ``;,.[]{}`` or the
    end of the line) would match: each prefix of the line's first word that ends before one
    of those characters, and the whole word.
    """
    first: dict[str, int] = {}
    setdefault = first.setdefault
    for number, text in enumerate(lines):
        words = text.split(None, 1)
        if not words:
            continue
        word = words[0]
        if word in first:
            continue  # its prefixes were seen with it
        setdefault(word, number)
        for match in _DELIMITER.finditer(word, 1):
            setdefault(word[:match.start()], number)
    return first


_DELIMITER = re.compile(r"[;,.\[\]{}]")


_NT_START = re.compile(r"\s*(<[^>]*>)\s*(<[^>]*>)?")


def _statement_starts(lines: list[str]) -> dict[str, int]:
    """N-Triples/N-Quads: subject, and subject + predicate -> their first line (1-based)."""
    first: dict[str, int] = {}
    for number, text in enumerate(lines, 1):
        match = _NT_START.match(text)
        if match is not None:
            first.setdefault(match.group(1), number)
            if match.group(2):
                first.setdefault(match.group(1) + match.group(2), number)
    return first


def _spellings(iri: str, prefixes: dict[str, str]) -> list[str]:
    out = [f"<{iri}>"]
    for prefix, namespace in prefixes.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            local = iri[len(namespace):]
            if re.fullmatch(r"[\w.:%-]*[\w:%-]|[\w]", local):
                out.append(f"{prefix}:{local}")
            elif "/" in local and re.fullmatch(r"[\w.:%/-]*[\w:%/-]", local):
                out.append(f"{prefix}:{local.replace('/', chr(92) + '/')}")  # ckr:a\/b
    return out


def turtle_line(lines: list[str], prefixes: dict[str, str], node: URIRef,
                predicate: Node | None = None,
                line_starts: dict[str, int] | None = None) -> int | None:
    """1-based line of ``node`` as a subject (and of ``predicate`` in that statement).

    ``line_starts`` (``_line_starts(lines)``) finds the subject's line without a scan.
    """
    names = _spellings(str(node), prefixes)
    starts = [re.compile(r"^\s*" + re.escape(n) + r"(?=[\s;,.\[\]{}]|$)") for n in names]
    anywhere = [re.compile(r"(?<![\w:/#.-])" + re.escape(n) + r"(?![\w/#-])") for n in names]
    if line_starts is not None:
        subject_line = min((line_starts[n] for n in names if n in line_starts), default=None)
    else:
        subject_line = next(
            (i for i, text in enumerate(lines) if any(p.search(text) for p in starts)), None
        )
    if subject_line is None:
        return next(
            (i + 1 for i, text in enumerate(lines) if any(p.search(text) for p in anywhere)), None
        )
    if isinstance(predicate, URIRef):
        spelled = _spellings(str(predicate), prefixes) + (["a"] if predicate == RDF.type else [])
        tokens = [re.compile(r"(?<![\w:/#.<-])" + re.escape(n) + r"(?![\w/#:-])") for n in spelled]
        for i in range(subject_line, min(len(lines), subject_line + 200)):
            text = _without_strings(lines[i])
            if i == subject_line:
                text = starts_strip(text, starts)
            if any(t.search(text) for t in tokens):
                return i + 1
            if text.rstrip().endswith("."):
                break
    return subject_line + 1


def starts_strip(text: str, starts: list[re.Pattern[str]]) -> str:
    """The line without the subject at its start (so ``ckr:x a ...`` finds ``a`` after it)."""
    for pattern in starts:
        match = pattern.search(text)
        if match:
            return " " * match.end() + text[match.end():]
    return text


def _without_strings(text: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


def _ntriples_line(lines: list[str], node: URIRef, predicate: Node | None,
                   starts: dict[str, int] | None = None) -> int | None:
    subject = f"<{node}>"
    if starts is not None:  # see _statement_starts
        if predicate is not None and subject + f"<{predicate}>" in starts:
            return starts[subject + f"<{predicate}>"]
        return starts.get(subject)
    best = None
    for i, text in enumerate(lines, 1):
        stripped = text.lstrip()
        if not stripped.startswith(subject):
            continue
        if predicate is None or stripped[len(subject):].lstrip().startswith(f"<{predicate}>"):
            return i
        best = best or i
    return best


# --- looking at the store ------------------------------------------------------------------


class TripleIndex:
    """A graph's triples by subject and by object, in plain dicts.

    rdflib's memory store spends ~10 us on a look-up (it tracks contexts); checking a delta
    looks each of its nodes up several times, so a large delta is indexed once here.
    """

    def __init__(self, *graphs: Iterable[tuple[Node, Node, Node]]) -> None:
        """The triples of ``graphs`` (a delta and its provenance, say: indexed together, so
        neither is copied into the other)."""
        self.by_subject: dict[Node, list[tuple[Node, Node]]] = {}
        self.by_object: dict[Node, list[tuple[Node, Node]]] = {}
        for number, graph in enumerate(graphs):
            for s, p, o in graph:
                pairs = self.by_subject.setdefault(s, [])
                if number and (p, o) in pairs:
                    continue  # a triple of an earlier graph (each graph is a set already)
                pairs.append((p, o))
                self.by_object.setdefault(o, []).append((s, p))

    def triples(self, pattern: tuple[Node | None, Node | None, Node | None]) -> Iterator[
            tuple[Node, Node, Node]]:
        s, p, o = pattern
        if s is not None:
            for tp, to in self.by_subject.get(s, ()):
                if (p is None or tp == p) and (o is None or to == o):
                    yield s, tp, to
        elif o is not None:
            for ts, tp in self.by_object.get(o, ()):
                if p is None or tp == p:
                    yield ts, tp, o
        else:
            for s, pairs in self.by_subject.items():
                for tp, to in pairs:
                    if p is None or tp == p:
                        yield s, tp, to

    def subject_predicates(self, o: Node) -> Iterator[tuple[Node, Node]]:
        yield from self.by_object.get(o, ())

    def discard(self, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Take ``triples`` out, each list filtered once (a class's list of subjects can
        hold a hundred thousand entries)."""
        by_subject: dict[Node, set[tuple[Node, Node]]] = {}
        by_object: dict[Node, set[tuple[Node, Node]]] = {}
        for s, p, o in triples:
            by_subject.setdefault(s, set()).add((p, o))
            by_object.setdefault(o, set()).add((s, p))
        for index, gone in ((self.by_subject, by_subject), (self.by_object, by_object)):
            for key, pairs in gone.items():
                kept = [pair for pair in index.get(key, ()) if pair not in pairs]
                if kept:
                    index[key] = kept
                else:
                    index.pop(key, None)

    def __len__(self) -> int:
        return sum(len(pairs) for pairs in self.by_subject.values())

    def __iter__(self) -> Iterator[tuple[Node, Node, Node]]:
        for s, pairs in self.by_subject.items():
            for p, o in pairs:
                yield s, p, o

    def __contains__(self, triple: tuple[Node | None, Node | None, Node | None]) -> bool:
        return next(self.triples(triple), None) is not None


def indexed(graph: Graph | TripleIndex | None) -> TripleIndex | None:
    """``graph`` as a TripleIndex (made once; an index is returned as it is)."""
    if graph is None or isinstance(graph, TripleIndex):
        return graph
    return TripleIndex(graph)


class View:
    """The store as it would be: minus some named graphs, plus an extra (new) graph.

    Look-ups are index look-ups: on Oxigraph straight on the pyoxigraph store (oxrdflib's
    ``quads`` converts all four terms of every quad and lists its graphs, which was most of
    the time of checking a large delta), otherwise rdflib's ``quads``. Neither the store nor
    the extra graph changes while a View is used, so a node's types are looked up once.

    On Oxigraph a node's own triples (with their graphs) are read from the store once and
    kept in ``stored``, which the views of one check share: the focus nodes, the
    neighbourhood, the before/after comparison and the duplicates each look at the same
    nodes (a 50 MB file: a million nodes, each looked up five times before).
    """

    def __init__(self, dataset: Graph, exclude: Iterable[URIRef] = (),
                 extra: Graph | TripleIndex | None = None,
                 stored: dict[Node, list[tuple[Node, Node, str]]] | None = None) -> None:
        from clusterkg.store import oxigraph_store

        self.dataset = dataset
        self.exclude = frozenset(exclude) | {SHAPES_GRAPH}  # shapes are not data
        self.extra = indexed(extra)
        self._inner = oxigraph_store(dataset) if isinstance(dataset, Dataset) else None
        # a View of the new facts alone has an empty graph under it: not asked at all
        self._empty = not isinstance(dataset, Dataset) and next(iter(dataset), None) is None
        self._excluded = frozenset(str(g) for g in self.exclude)
        self._types: dict[Node, set[Node]] = {}
        self.stored = stored if stored is not None else {}

    def _quads(self, pattern: tuple[Node | None, Node | None, Node | None]) -> Iterator[
            tuple[Node, Node, Node]]:
        dataset = self.dataset
        if self._inner is not None:
            s, p, o = pattern
            if s is not None and o is None:
                yield from self._stored_out(s, p)
            else:
                yield from self._ox_quads(pattern)
        elif isinstance(dataset, Dataset):
            s, p, o = pattern
            for qs, qp, qo, graph in dataset.quads((s, p, o, None)):
                name = getattr(graph, "identifier", graph)
                if name not in self.exclude:
                    yield qs, qp, plain_string(qo)
        elif not self._empty:
            yield from dataset.triples(pattern)
        if self.extra is not None:
            yield from self.extra.triples(pattern)

    def out(self, node: Node) -> Iterator[tuple[Node, Node, Node]]:
        """Triples with ``node`` as subject."""
        return self._quads((node, None, None))

    def into(self, node: Node, predicate: Node | None = None) -> Iterator[tuple[Node, Node, Node]]:
        """Triples with ``node`` as object (optionally by one predicate)."""
        return self._quads((None, predicate, node))

    def objects(self, node: Node, predicate: Node) -> set[Node]:
        return {o for _, _, o in self._quads((node, predicate, None))}

    def _ox_quads(self, pattern: tuple[Node | None, Node | None, Node | None]) -> Iterator[
            tuple[Node, Node, Node]]:
        """The quads of the named graphs (not the default graph: it is the materialised
        union, clusterkg.oxstore) that are not excluded, as rdflib terms."""
        import pyoxigraph as ox

        s, p, o = pattern
        excluded = self._excluded
        for quad in self._inner.quads_for_pattern(to_ox(s), to_ox(p), to_ox(o), None):
            graph = quad.graph_name
            if isinstance(graph, ox.DefaultGraph) or graph.value in excluded:
                continue
            yield (from_ox(quad.subject) if s is None else s,
                   from_ox(quad.predicate) if p is None else p,
                   from_ox(quad.object) if o is None else plain_string(o))

    def _stored_out(self, s: Node, p: Node | None) -> Iterator[tuple[Node, Node, Node]]:
        """``s``'s triples in the named graphs that are not excluded (by ``p``, if given)."""
        import pyoxigraph as ox

        found = self.stored.get(s)
        if found is None:
            found = self.stored[s] = [
                (from_ox(q.predicate), from_ox(q.object), q.graph_name.value)
                for q in self._inner.quads_for_pattern(to_ox(s), None, None, None)
                if isinstance(q.graph_name, ox.NamedNode)]
        excluded = self._excluded
        for qp, qo, graph in found:
            if graph not in excluded and (p is None or qp == p):
                yield s, qp, qo

    def types(self, node: Node) -> set[Node]:
        found = self._types.get(node)
        if found is None:
            found = self._types[node] = self.objects(node, _TYPE)
        return found

    def exists(self, node: Node) -> bool:
        return next(self.out(node), None) is not None


def to_ox(term: Node | None) -> Any:
    """An rdflib term as a pyoxigraph term (None stays None: a wildcard)."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, URIRef):
        node = _OX_IRIS.get(term)
        if node is None:
            node = _OX_IRIS[term] = ox.NamedNode(term)
        return node
    if isinstance(term, BNode):
        return ox.BlankNode(term)
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(term.datatype))
        return ox.Literal(str(term))
    raise ValueError(f"not an RDF term: {term!r}")


class OxTerms(dict):  # type: ignore[type-arg]
    """rdflib term -> pyoxigraph term, each distinct term converted once (a large graph
    names the same classes, properties and values over and over): ``terms[node]``."""

    def __missing__(self, node: Node) -> Any:
        found = self[node] = to_ox(node)
        return found


class RdflibTerms(dict):  # type: ignore[type-arg]
    """pyoxigraph term -> rdflib term as ``from_ox`` makes it, each distinct term converted
    once: ``terms[term]``."""

    def __missing__(self, term: Any) -> Node:
        found = self[term] = from_ox(term)
        return found


_IRIS: dict[str, URIRef] = {}
_OX_IRIS: dict[URIRef, Any] = {}  # the same few classes and properties, converted once


def from_ox(term: Any) -> Node:
    """A pyoxigraph term as rdflib's (strings untyped, as ``plain_string`` makes them).

    IRIs are made once per distinct IRI: a large delta names the same classes, properties
    and clusters over and over.
    """
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        value = term.value
        iri = _IRIS.get(value)
        if iri is None:
            iri = _IRIS[value] = URIRef(value)
        return iri
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    if datatype == _XSD_STRING:
        return Literal(term.value)
    return Literal(term.value, datatype=from_ox(term.datatype))


_XSD_STRING = str(XSD.string)


def plain_string(term: Node) -> Node:
    """``"x"^^xsd:string`` as ``"x"``: one term in RDF 1.1, two in rdflib.

    Oxigraph hands strings back with their datatype, new facts parsed by rdflib come without
    it; mixed, the same name would count twice (two values where sh:maxCount allows one).
    """
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def neighbourhood(store_or_dataset: Graph | View, nodes: Iterable[Node], *, hops: int = HOPS,
                  inverse: Iterable[URIRef] = ()) -> Graph:
    """The triples SHACL needs to check ``nodes``: their descriptions up to ``hops`` away.

    Subjects at distance 0..hops (following object links, not rdf:type); plus the triples
    that reach a start node by one of the ``inverse`` predicates, with their subjects' types.
    """
    out = Graph()
    for triple in neighbourhood_triples(store_or_dataset, nodes, hops=hops, inverse=inverse):
        out.add(triple)
    return out


def neighbourhood_triples(store_or_dataset: Graph | View, nodes: Iterable[Node], *,
                          hops: int = HOPS, inverse: Iterable[URIRef] = ()
                          ) -> set[tuple[Node, Node, Node]]:
    """The triples of ``neighbourhood``, as a set (no rdflib graph: a large delta's
    neighbourhood goes to the fast engine as a file)."""
    view = store_or_dataset if isinstance(store_or_dataset, View) else View(store_or_dataset)
    out: set[tuple[Node, Node, Node]] = set()
    start = set(nodes)
    seen: set[Node] = set()
    frontier = set(start)
    for depth in range(hops + 1):
        following: set[Node] = set()
        for node in frontier - seen:
            seen.add(node)
            for s, p, o in view.out(node):
                out.add((s, p, o))
                if depth < hops and p not in _ONLY_TYPE and isinstance(o, (URIRef, BNode)):
                    following.add(o)
        frontier = following
    for predicate in inverse:
        for node in start:
            for s, p, o in view.into(node, predicate):
                out.add((s, p, o))
                for t in view.types(s):
                    out.add((s, _TYPE, t))
    return out


# --- the check -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    """A new fact that says what an existing fact (or another new one) already says."""

    fact: Node
    existing: Node
    fact_class: URIRef
    in_input: bool
    origin: str | None = None

    def message(self, lang: str = "en") -> str:
        keys = KEY_PROPERTIES.get(self.fact_class)
        what = ", ".join(compact(str(k)) for k in keys) if keys else None
        if lang == "nb":
            where = "et annet nytt faktum" if self.in_input else "et faktum som finnes fra før"
            same = f"samme {what}" if what else "de samme egenskapene"
            return (f"{_show(self.fact)} er et duplikat av {where}, {_show(self.existing)}: "
                    f"samme type ({compact(str(self.fact_class))}) og {same}. "
                    "Det legges ikke inn to ganger; sier denne kilden det også, bruk IRI-en "
                    f"{_show(self.existing)} for faktumet, så får det to kilder.")
        where = "another new fact" if self.in_input else "an existing fact"
        same = f"the same {what}" if what else "the same properties"
        return (f"{_show(self.fact)} duplicates {where}, {_show(self.existing)}: same class "
                f"({compact(str(self.fact_class))}) and {same}. It is not added twice; if this "
                f"source states it too, use the IRI {_show(self.existing)} for the fact, so that "
                "the one fact has both sources.")


@dataclass
class DeltaReport:
    """The outcome of checking a change: new SHACL results, duplicates, and some sizes."""

    report: Report
    duplicates: list[Duplicate]
    focus_nodes: int
    neighbourhood_triples: int

    @property
    def conforms(self) -> bool:
        return self.report.conforms and not self.duplicates


class Schema:
    """The ontology and shapes, read once from the dataset."""

    def __init__(self, dataset: Graph) -> None:
        self.ontology = _copy_graph(dataset, ONTOLOGY_GRAPH)
        self.shapes = _copy_graph(dataset, SHAPES_GRAPH)
        self.terms = set(self.ontology.subjects())
        self.inverse = {o for o in self.shapes.objects(None, SH.inversePath)
                        if isinstance(o, URIRef)}
        self.fact_classes = self.subclasses(CK.Fact)
        self.sourced_classes = self._sourced()

    def _sourced(self) -> set[URIRef]:
        """Classes whose shapes require ck:sourceDocument (what ``--source`` fills in)."""
        found: set[URIRef] = set()
        for shape, prop in self.shapes.subject_objects(SH.property):
            if (prop, SH.path, CK.sourceDocument) in self.shapes and (
                prop, SH.minCount, None) in self.shapes:
                for cls in self.shapes.objects(shape, SH.targetClass):
                    found |= {c for c in self.subclasses(cls) if isinstance(c, URIRef)}
        return found

    def subclasses(self, cls: URIRef) -> set[Node]:
        found = {cls}
        todo = [cls]
        while todo:
            for sub in self.ontology.subjects(RDFS.subClassOf, todo.pop()):
                if sub not in found:
                    found.add(sub)
                    todo.append(sub)
        return found


def _copy_graph(dataset: Graph, name: URIRef) -> Graph:
    out = Graph()
    bind_prefixes(out)
    if isinstance(dataset, Dataset):
        for triple in dataset.graph(name):
            out.add(triple)
    return out


def skolemise(delta: Graph, locator: Locator | None = None) -> Graph:
    """The delta with blank nodes replaced by GENID IRIs (pySHACL focus nodes must be IRIs).

    A delta without blank nodes is returned as it is (not copied): callers never change it.
    """
    if not any(isinstance(s, BNode) or isinstance(o, BNode) for s, _, o in delta):
        return delta
    mapping: dict[BNode, URIRef] = {}

    def name(term: Node) -> Node:
        if isinstance(term, BNode):
            mapping.setdefault(term, URIRef(f"{GENID}{term}"))
            return mapping[term]
        return term

    out = Graph()
    bind_prefixes(out)
    for s, p, o in delta:
        out.add((name(s), p, name(o)))
    if locator is not None:
        locator.skolem.update({iri: b for b, iri in mapping.items()})
    return out


def skolemised_index(*graphs: Graph, locator: Locator | None = None) -> TripleIndex:
    """The graphs indexed together (see TripleIndex), their blank nodes skolemised (see
    ``skolemise``). The index's keys tell whether there are blank nodes at all, so graphs
    without them (most files) are not scanned for them first (1.4 s for a 50 MB file)."""
    found = TripleIndex(*graphs)
    if any(isinstance(n, BNode) for n in found.by_subject) or any(
            isinstance(n, BNode) for n in found.by_object):
        found = TripleIndex(*(skolemise(graph, locator) for graph in graphs))
    return found


def check(
    dataset: Graph,
    delta: Graph | TripleIndex,
    *,
    remove: Iterable[URIRef] = (),
    locator: Locator | None = None,
    lang: str = "en",
    inference: str = "none",
    schema: Schema | None = None,
    engine: str | None = None,
    dropped: Graph | None = None,
) -> DeltaReport:
    """Validate the store with ``delta`` added and the ``remove`` graphs taken away.

    Reports only results that the change brings (new after it, absent before it) and
    duplicate facts; ``delta`` must already be skolemised (see ``skolemise``). ``engine``
    (pyshacl or shacl) validates the neighbourhood; by default ``delta_engine`` picks one by
    its size (the same neighbourhood, so the same results either way).

    ``dropped`` (skolemised too): triples just taken out of a delta that passed this check
    with no violation, the duplicates `add --skip-duplicates` leaves out. Then only the nodes
    those triples touch (and the nodes that point at them) are checked again, as when a graph
    is taken away: the rest of the delta passed already, and leaving facts out makes no new
    duplicate. A 50 MB file is then checked once, not twice.
    """
    schema = schema or Schema(dataset)
    removed_graphs = [g for g in remove if g not in NON_SOURCE_GRAPHS]
    removed = Graph()
    if isinstance(dataset, Dataset):
        for name in removed_graphs:
            for triple in dataset.graph(name):
                removed.add(triple)
    new = indexed(delta)
    assert new is not None
    after = View(dataset, exclude=removed_graphs, extra=new)
    before = View(dataset, stored=after.stored)
    if dropped is None:
        focus = focus_nodes(after, before, new, removed, schema)
    else:
        removed += dropped
        focus = focus_nodes(after, before, (), removed, schema)
    after_triples = neighbourhood_triples(after, focus, inverse=schema.inverse)
    size = len(after_triples) + len(schema.ontology)
    engine = delta_engine(size, engine)
    report = _validate(after_triples, focus, schema, inference, lang, engine)
    old = {n for n in focus if before.exists(n)}
    if old and report.findings:
        before_triples = neighbourhood_triples(before, old, inverse=schema.inverse)
        earlier = _validate(before_triples, old, schema, inference, lang, engine)
        known = {_key(f) for f in earlier.findings}
        findings = [f for f in report.findings if _key(f) not in known]
    else:
        findings = list(report.findings)
    findings = [_with_origin(f, locator, new, dataset) for f in findings]
    conforms = not any(f.severity == "Violation" for f in findings)
    duplicates = [] if dropped is not None else find_duplicates(
        View(dataset, exclude=removed_graphs, stored=after.stored), new, schema, locator)
    return DeltaReport(
        report=Report(conforms=conforms, findings=findings, graph=report.graph),
        duplicates=duplicates,
        focus_nodes=len(focus),
        neighbourhood_triples=size,
    )


def delta_engine(size: int, engine: str | None = None) -> str:
    """The engine for a neighbourhood of ``size`` triples: ``engine`` if given, else
    $CLUSTERKG_DELTA_ENGINE (pyshacl, shacl or auto), else by size (auto).

    pySHACL costs about a millisecond per triple of the neighbourhood (11 s for the 8,000
    triples of a 1,000-row import), the Rust ``shacl`` engine a fixed ~0.3 s (compiling the
    shapes, writing the graph to a file) and then microseconds a triple. Both validate the
    same neighbourhood and clusterkg.validate builds the same report from either (checked by
    tests/test_intake_scale.py), so the choice changes the time only.
    """
    import os

    from clusterkg.shacl_engine import CLI_ENGINES

    name = (engine or os.environ.get(ENV_DELTA_ENGINE) or "auto").strip().lower()
    if name == "auto":
        return "shacl" if size >= FAST_ENGINE_TRIPLES and _has_shacl() else "pyshacl"
    if name not in CLI_ENGINES:
        raise ClusterKGError(f"unknown delta engine {name!r} (${ENV_DELTA_ENGINE}); choose one "
                             f"of: auto, {', '.join(CLI_ENGINES)}")
    return name


def _has_shacl() -> bool:
    from importlib.util import find_spec

    return find_spec("shacl") is not None


def _validate(triples: set[tuple[Node, Node, Node]], focus: set[Node], schema: Schema,
              inference: str, lang: str, engine: str = "pyshacl") -> Report:
    """The neighbourhood (``triples`` and the ontology) validated by ``engine``, keeping only
    results about the ``focus`` nodes.

    Both engines get the same data graph; the fast one reads it from an N-Triples file
    written by Oxigraph, and the labels of focus nodes come from the same triples.

    pySHACL's own ``focus_nodes`` option is not used: pySHACL (0.40) also applies it to the
    value nodes that sh:node, sh:or, sh:and, sh:not and sh:qualifiedValueShape check, and it
    keeps only IRIs there, so a literal checked through sh:or (a count that must be an integer,
    a date that must be a date) would always pass. The neighbourhood is small (about 1,500
    triples for a 100-triple delta), so validating all of it costs no more.
    """
    if engine == "pyshacl":
        graph = Graph()
        for triple in triples:
            graph.add(triple)
        graph += schema.ontology
        report = validate_graphs(graph, schema.shapes, inference=inference, lang=lang)
    else:
        report = _validate_fast(triples, schema, inference, lang, engine)
    wanted = {str(n) for n in focus}
    findings = [f for f in report.findings if f.focus_node in wanted]
    conforms = not any(f.severity == "Violation" for f in findings)
    return Report(conforms=conforms, findings=findings, graph=report.graph)


def _validate_fast(triples: set[tuple[Node, Node, Node]], schema: Schema, inference: str,
                   lang: str, engine: str) -> Report:
    """A file-reading engine (clusterkg.shacl_engine) on the neighbourhood and the ontology."""
    import tempfile

    import pyoxigraph as ox

    from clusterkg.shacl_engine import run

    named: list[tuple[Node, Node, Node]] = []
    term = OxTerms()
    with tempfile.TemporaryDirectory(prefix="clusterkg-delta-") as scratch:
        data = Path(scratch) / "data.nt"
        with data.open("wb") as out:
            for graph in (triples, schema.ontology):
                ox.serialize((ox.Triple(term[s], term[p], term[o]) for s, p, o in graph),
                             out, format=ox.RdfFormat.N_TRIPLES)
                named.extend((s, p, o) for s, p, o in graph if p in _LABELS)
        conforms, report_graph = run(engine, data, schema.shapes, inference=inference)
    reported = set(report_graph.objects(None, SH.focusNode))
    labels = Graph()  # the labels of the nodes the report names, which report_from shows
    for triple in named:
        if triple[0] in reported:
            labels.add(triple)
    return report_from(conforms, report_graph, schema.shapes, labels, lang)


_LABELS = frozenset({RDFS.label, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")})


def focus_nodes(after: View, before: View, added: Iterable[tuple[Node, Node, Node]],
                removed: Graph, schema: Schema) -> set[Node]:
    """The nodes whose validation results the change (the triples ``added`` and
    ``removed``) can alter (see the module docstring)."""
    touched: set[Node] = set()
    for graph in (added, removed):
        for s, p, o in graph:
            touched.add(s)
            if p not in _ONLY_TYPE and isinstance(o, (URIRef, BNode)):
                touched.add(o)
    for s in set(removed.subjects()):  # what pointed at a removed description
        touched.update(x for x, _, _ in after.into(s))
    touched -= schema.terms

    def types(node: Node) -> set[Node]:
        # with no graph taken away, "after" sees every type "before" sees (one look-up)
        if after.exclude == before.exclude:
            return after.types(node)
        return after.types(node) | before.types(node)

    periods = {n for n in touched if _PERIOD in types(n)}
    for period in periods:
        touched.update(x for x, _, _ in after.into(period, CK.period))
    level = CK.LevelAssignment
    for node in [n for n in touched if level in types(n)]:
        for cluster in after.objects(node, CK.cluster) | before.objects(node, CK.cluster):
            touched.add(cluster)  # the no-overlap rule is checked on the cluster
            for other, _, _ in after.into(cluster, CK.cluster):
                if level in after.types(other):
                    touched.add(other)
    return {n for n in touched if not isinstance(n, Literal)}


def _key(f: Finding) -> tuple[str | None, ...]:
    return (f.severity, f.focus_node, f.result_path, f.value, f.source_shape,
            f.source_constraint_component, f.message)


def _with_origin(f: Finding, locator: Locator | None, delta: Graph | TripleIndex,
                 dataset: Graph) -> Finding:
    focus = URIRef(f.focus_node) if f.focus_node.startswith(("http", "urn")) else None
    path = URIRef(f.result_path) if f.result_path and f.result_path.startswith("http") else None
    origin = None
    if focus is not None and locator is not None:
        if (focus, None, None) in delta:
            origin = locator.locate(focus, path, delta)
        else:  # an old node: blame the new triple that points at it
            for s, p in delta.subject_predicates(focus):
                origin = locator.locate(s, p, delta)
                if origin:
                    break
    if origin is None and focus is not None and isinstance(dataset, Dataset):
        graphs = sorted({str(g) for *_, g in dataset.quads((focus, None, None, None))})
        if graphs:
            origin = "graph " + ", ".join(compact(g) for g in graphs)
    return replace(
        f,
        origin=origin,
        focus_node_compact=_unskolem(f.focus_node_compact),
        value_compact=_unskolem(f.value_compact),
        message=_unskolem(f.message) or "",
    )


_GENID_TEXT = re.compile(re.escape(GENID) + r"[^\s>\"]*>?")


def _unskolem(text: str | None) -> str | None:
    """Show skolemised blank nodes as ``[]`` again."""
    if text is None:
        return None
    return _GENID_TEXT.sub("[]", text.replace(f"<{GENID}", GENID))


# --- duplicates ----------------------------------------------------------------------------


def fact_class(types: set[Node], schema: Schema) -> URIRef | None:
    """The most specific fact class among ``types`` (None if the node is not a fact)."""
    facts = [t for t in types if t in schema.fact_classes and isinstance(t, URIRef)]
    if not facts:
        return None
    keyed = [t for t in facts if t in KEY_PROPERTIES]
    return sorted(keyed or facts)[0]


def _value(view: View, term: Node) -> object:
    """A comparable value: numbers by value, periods by their dates, the rest as terms."""
    if isinstance(term, Literal):
        try:
            if term.datatype is not None and isinstance(term.value, (int, float, Decimal)) and not (
                isinstance(term.value, bool)
            ):
                return ("number", Decimal(str(term.value)).normalize())
        except InvalidOperation:
            pass
        return ("literal", str(term), term.language or "", str(term.datatype or ""))
    if _PERIOD in view.types(term):
        return ("period", tuple(sorted(
            (str(p), str(o)) for _, p, o in view.out(term) if p in _PERIOD_DATES)))
    return ("node", str(term))


def signature(view: View, fact: Node, cls: URIRef | None) -> tuple[object, ...]:
    """What a fact says, as a hashable value (its identity for duplicate detection)."""
    values: dict[Node, set[object]] = {}
    keys = _KEY_SETS.get(cls)
    for _, p, o in view.out(fact):
        if (keys is not None and p not in keys) or (keys is None and p in PROVENANCE):
            continue
        values.setdefault(p, set()).add(_value(view, o))
    pairs = sorted((str(p), tuple(sorted(map(repr, v)))) for p, v in values.items())
    return (str(cls), tuple(pairs))


def find_duplicates(store: View, delta: Graph | TripleIndex, schema: Schema,
                    locator: Locator | None = None) -> list[Duplicate]:
    """New facts that repeat an existing fact or an earlier new fact (same class and keys)."""
    delta = indexed(delta)  # type: ignore[assignment]
    new = View(Graph(), extra=delta)
    combined = View(store.dataset, exclude=store.exclude, extra=delta, stored=store.stored)
    found: list[Duplicate] = []
    first: dict[tuple[object, ...], Node] = {}
    index: dict[tuple[Node, Node, URIRef], dict[tuple[object, ...], list[Node]]] = {}

    def origin(fact: Node) -> str | None:  # only for what is reported: finding a line costs
        return locator.locate(fact, None, delta) if locator else None

    facts = sorted({s for s, _, _ in delta.triples((None, RDF.type, None))}, key=str)
    for fact in facts:
        cls = fact_class(new.types(fact), schema)
        if cls is None:
            continue
        mine = signature(combined, fact, cls)
        if mine in first:
            found.append(Duplicate(fact, first[mine], cls, True, origin(fact)))
            continue
        first[mine] = fact
        # A fact already in the store is no candidate: stated again by another source it
        # corroborates the fact (a new ck:sourceDocument on it); by the same source, nothing new.
        for candidate in _candidates(store, new, fact, cls, index).get(mine, ()):
            if _same_claim(store, combined, candidate, fact):
                found.append(Duplicate(fact, candidate, cls, False, origin(fact)))
                break
    return found


def _same_claim(store: View, combined: View, existing: Node, fact: Node) -> bool:
    """Whether a fact with the same keys repeats the existing one rather than adding to it.

    From the same source it always does. From another source only when it says exactly the
    same (then it should be that fact, with a second source); with more or other details it
    is that source's own statement, kept beside the other (as conflicts and corroboration are).
    """
    mine = set(combined.objects(fact, CK.sourceDocument))
    theirs = set(store.objects(existing, CK.sourceDocument))
    if mine & theirs:
        return True
    return signature(store, existing, None) == signature(combined, fact, None)


def _candidates(store: View, new: View, fact: Node, cls: URIRef,
                index: dict[tuple[Node, Node, URIRef], dict[tuple[object, ...], list[Node]]]
                ) -> dict[tuple[object, ...], list[Node]]:
    """Existing facts that could be what ``fact`` says, by their signature (in IRI order).

    The existing facts of a class about one anchor (a cluster, say) are read and signed once
    and kept in ``index``: a delta of many facts about a few clusters then costs one pass
    over each cluster's facts, not one per new fact.
    """
    if store.exists(fact):
        return {}  # the same fact, stated again: never a duplicate of itself
    for anchor in ANCHORS:
        targets = sorted((o for o in new.objects(fact, anchor) if isinstance(o, URIRef)), key=str)
        if targets:
            key = (anchor, targets[0], cls)
            if key not in index:
                signed: dict[tuple[object, ...], list[Node]] = {}
                found = {s for s, _, _ in store.into(targets[0], anchor) if cls in store.types(s)}
                for candidate in sorted(found, key=str):
                    signed.setdefault(signature(store, candidate, cls), []).append(candidate)
                index[key] = signed
            return index[key]
    return {}


def _show(node: Node) -> str:
    text = str(node)
    return "[]" if text.startswith(GENID) else compact(text)


# --- output --------------------------------------------------------------------------------


def duplicate_findings(duplicates: list[Duplicate], lang: str = "en") -> list[Finding]:
    """Duplicates as report findings, so text/json/turtle output lists them with the rest."""
    out = []
    for d in duplicates:
        out.append(Finding(
            severity="Violation",
            focus_node=str(d.fact),
            focus_label=None,
            result_path=None,
            value=f"<{d.existing}>",
            message=d.message(lang),
            source_constraint_component=None,
            source_shape=None,
            focus_node_compact=_show(d.fact),
            result_path_compact=None,
            value_compact=_show(d.existing),
            source_constraint_component_compact="duplicate fact",
            source_shape_compact=None,
            origin=d.origin,
        ))
    return out


def as_report(result: DeltaReport, lang: str = "en") -> Report:
    """One Report holding the SHACL findings and the duplicates (for the shared renderers)."""
    findings = list(result.report.findings) + duplicate_findings(result.duplicates, lang)
    graph = result.report.graph
    if result.duplicates:
        graph = _with_duplicate_results(graph, result.duplicates)
    return Report(conforms=result.conforms, findings=findings, graph=graph)


def _with_duplicate_results(report_graph: Graph, duplicates: list[Duplicate]) -> Graph:
    graph = Graph()
    bind_prefixes(graph)
    graph += report_graph
    reports = list(graph.subjects(RDF.type, SH.ValidationReport))
    root = reports[0] if reports else BNode()
    if not reports:
        graph.add((root, RDF.type, SH.ValidationReport))
    graph.set((root, SH.conforms, Literal(False)))
    for d in duplicates:
        node = BNode()
        graph.add((root, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, d.fact))
        graph.add((node, SH.value, d.existing))
        graph.add((node, SH.resultSeverity, SH.Violation))
        graph.add((node, SH.resultMessage, Literal(d.message(), lang="en")))
    return graph
