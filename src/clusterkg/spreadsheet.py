"""Spreadsheet (CSV) templates and import: one kind of thing per file, one row per fact.

Why CSV: anyone can fill it in a spreadsheet program; the import turns rows into the project's
model (fact nodes with ck:assertionMode ck:stated and ck:sourceDocument) so the new facts are
validated and added exactly like hand-written Turtle.

Rules shared by every kind:
- UTF-8 (a BOM is fine), comma- or semicolon-separated (whichever the header row uses);
  the first row names the columns (in any order, case and spaces/hyphens ignored); rows whose
  cells are all empty are skipped. Row numbers are as a spreadsheet shows them: header = 1.
- References to things (cluster, host, funder, member, organisation, level, kind, role,
  region) are found by name: rdfs:label, skos:prefLabel, skos:altLabel or skos:hiddenLabel,
  case-insensitively, among things of the right type in the graph or made by earlier rows of
  the same file; an IRI (``<...>``, ``https://...``) or prefixed name (``ckr:nscc``) works too.
  Vocabulary terms also match their IRI's last segment (``arena-pro``, ``public-body``).
- Dates are ISO 8601: ``2024-03-31``; in from/to also just a year, ``2024``.
- Something new (a cluster, organisation or person not yet in the graph) gets a readable
  IRI ``https://w3id.org/clusterkg/id/<slug>`` (æ->ae, ø->o, å->a, é->e).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import (
    CK,
    CKL,
    CKR,
    CKS,
    ONTOLOGY_GRAPH,
    ORG,
    ROV,
    SCHEMA,
    compact,
    expand,
)
from clusterkg.orgnumber import valid_org_number
from clusterkg.sources import slugify

LABELS = (RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
MEMBER_KINDS = URIRef("https://w3id.org/clusterkg/member-kind/memberKinds")
ORG_KINDS = URIRef("https://w3id.org/clusterkg/org-kind/organisationKinds")
ROLES = URIRef("https://w3id.org/clusterkg/role/roles")
LEVELS = CKL.levels
BRANDS = CKL.brands
LEVEL_CHANGES = URIRef("https://w3id.org/clusterkg/level-change/levelChanges")
FOCUS_SCHEME = URIRef("https://w3id.org/clusterkg/id/focus/focus-areas")
BASE_ROLE = URIRef("https://w3id.org/clusterkg/location-role/base")
ONGOING = URIRef("https://w3id.org/clusterkg/emphasis/ongoing")
MEMBER_ROLE = URIRef("https://w3id.org/clusterkg/role/member")
FACT_NS = str(CKR) + "fact/"
# What says where a fact comes from rather than what it says: not part of its identity.
_PROVENANCE = {CK.sourceDocument, CK.sourceSection, CK.sourceLine, CK.assertionMode,
               CK.inferenceReason}


# --- what each kind of spreadsheet holds ---------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a template: its name, whether it must be filled, and what goes in it."""

    name: str
    required: bool
    doc: str
    example: str = ""


@dataclass(frozen=True)
class Kind:
    """A kind of spreadsheet: what one row means, and its columns."""

    name: str
    row: str
    columns: tuple[Column, ...]

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("clusters", "a cluster as a source names it: its level (and what changed), host, "
         "region, place and industry", (
        Column("name", True, "the cluster's name; a new cluster unless one has that name "
               "(or an alias)", "Ocean Hyway Cluster"),
        Column("id", False, "the cluster's IRI in the graph (ckr:...), when the name alone "
               "does not say which cluster it is", "ckr:energy-valley"),
        Column("alias", False, "other names the source uses for it, separated by ;",
               "OHC; Ocean Hyway"),
        Column("level", False, "programme level: Arena, Arena Pro, GCE, or NCE (level) "
               "before 2019", "Arena"),
        Column("change", False, "what the source says happened at that level: entered, "
               "moved up, extended, left, continued, status (it holds the level)", "entered"),
        Column("from", False, "first day (or year) at that level", "2019-07-01"),
        Column("to", False, "last day (or year) at that level", "2024-06-30"),
        Column("duration", False, "years at that level, as the source says (e.g. 5)", "5"),
        Column("announcement", False, "the announcement it was decided at: its date "
               "(YYYY-MM-DD) or name", "2019-11-08"),
        Column("host", False, "host organisation (new unless one has that name)", "Validé AS"),
        Column("region", False, "the county or region the cluster is based in", "Rogaland"),
        Column("place", False, "the town or municipality it is based in", "Stavanger"),
        Column("industry", False, "what the cluster works on, in the source's words",
               "helseteknologi"),
        Column("locator", False, "where on the page: a heading", "Nye Arena-klynger"),
    )),
    Kind("organisations", "an organisation", (
        Column("name", True, "the organisation's name", "Lyse AS"),
        Column("organisation_number", False,
               "nine-digit number in Enhetsregisteret (spaces allowed)", "980 001 234"),
        Column("kind", False, "company, innovation company, municipality, public body, "
               "government agency, research institution, business development agency, "
               "cluster organisation or other", "company"),
        Column("place", False, "the place it is based in (in the graph)", "Stavanger"),
    )),
    Kind("memberships", "an organisation taking part in a cluster", (
        Column("cluster", True, "the cluster", "Norwegian Smart Care Cluster"),
        Column("member", True, "the member organisation (in the graph or organisations file)",
               "Greater Stavanger"),
        Column("role", False, "member (default) or board member", "member"),
        Column("from", False, "first day (or year) of the membership", "2020"),
        Column("to", False, "last day (or year) of the membership", ""),
    )),
    Kind("member-counts", "how many members of one kind a cluster has on a date", (
        Column("cluster", True, "the cluster", "Norwegian Smart Care Cluster"),
        Column("kind", True, "all members, company, public body, research and education, other",
               "company"),
        Column("count", True, "a whole number, 0 or more", "130"),
        Column("approximate", False, "true if the source says about/close to (default false)",
               "false"),
        Column("date", False, "the date the count holds for (YYYY-MM-DD)", "2024-01-01"),
        Column("source", False, "the document the count is from, if not the --source one",
               "Årsrapport 2023"),
        Column("locator", False, "where in the source: a heading", "Om klyngen"),
    )),
    Kind("grants", "money given to a cluster per year for a period", (
        Column("cluster", True, "the cluster that receives the grant",
               "Norwegian Smart Care Cluster"),
        Column("funders", True, "funding organisation(s), separated by ;",
               "Innovasjon Norge; SIVA"),
        Column("amount_per_year", True, "amount per year, greater than 0, digits with an "
               "optional decimal point", "6000000"),
        Column("currency", False, "ISO 4217 code (default NOK)", "NOK"),
        Column("from", False, "first day (or year) of the grant", "2019"),
        Column("to", False, "last day (or year) of the grant", "2024"),
    )),
    Kind("people", "a person holding a post, optionally in an organisation", (
        Column("person", True, "the person's name; a new person unless one has that name",
               "Kari Nordmann"),
        Column("post", True, "head, chief executive officer, general manager, minister, "
               "board member, member, photographer (English or Norwegian)", "daglig leder"),
        Column("organisation", False, "the organisation, cluster or project (in the graph)",
               "Validé AS"),
        Column("from", False, "first day (or year) in the post", "2021-01-01"),
        Column("to", False, "last day (or year) in the post", ""),
        Column("locator", False, "where in the source: a heading", ""),
    )),
    Kind("announcements", "what a source says about one announcement of the programme "
         "(several rows for one date describe the same announcement, e.g. one per level)", (
        Column("date", True, "the day of the announcement (YYYY-MM-DD), or its month (YYYY-MM) "
               "if the source gives only that", "2017-10-16"),
        Column("announcement", False, "an announcement already in the graph that this is "
               "(its name or IRI), if the graph knows it without its date",
               "ckr:announcement-8-november"),
        Column("time", False, "the time of day, if given (HH:MM)", "10:00"),
        Column("date_reason_en", False, "if the source does not give the date in words but "
               "lets you read it (e.g. from its own date): why, in English; the date is then "
               "recorded as inferred", "Reported as news of the month the page was published."),
        Column("date_reason_nb", False, "the same reason in Norwegian (both or neither)",
               "Meldt som nyhet i måneden siden ble publisert."),
        Column("announced_by", False, "the organisations that made it, separated by ;",
               "Innovasjon Norge; Siva; Norges forskningsråd"),
        Column("level", False, "the level the figures of the row are about (empty: all)",
               "Arena"),
        Column("admitted", False, "how many clusters were taken up (at that level)", "5"),
        Column("applications", False, "how many applied (for that level)", "31"),
        Column("average_per_year", False, "average support per cluster and year at that "
               "level", "2200000"),
        Column("frame_per_year", False, "the programme's total frame for the year", "190000000"),
        Column("currency", False, "ISO 4217 code (default NOK)", "NOK"),
        Column("locator", False, "where on the page: a heading", ""),
    )),
    Kind("renames", "a cluster changing its name", (
        Column("cluster", True, "the cluster (any of its names)", "Subsea Valley"),
        Column("old_name", True, "the name before", "Arena Subsea Valley"),
        Column("new_name", True, "the name after", "NCE Energy Technology"),
        Column("date", False, "when (YYYY-MM-DD, YYYY-MM or YYYY)", "2017"),
        Column("locator", False, "where in the source: a heading", ""),
    )),
    Kind("programme", "a statement about the programme itself: who owns or funds it, its "
         "levels and brands over time, how many clusters it has", (
        Column("statement", True, "owner, funder, level, brand or portfolio", "funder"),
        Column("programme", False, "the programme (default: the one in the graph)",
               "Norwegian Innovation Clusters"),
        Column("organisation", False, "owner: the owning organisation; funder: the funder "
               "(e.g. a ministry)", "Nærings- og fiskeridepartementet"),
        Column("level", False, "level or brand: Arena, Arena Pro, NCE (level), GCE, NCE; "
               "portfolio: the level counted (empty: all)", "GCE"),
        Column("from", False, "level/brand: first year (or day)", "2014"),
        Column("to", False, "level/brand: last year (or day)", ""),
        Column("duration", False, "level: the usual years a cluster holds it", "10"),
        Column("count", False, "portfolio: the number of clusters", "39"),
        Column("date", False, "portfolio: the day the count holds for (YYYY-MM-DD)", ""),
        Column("year", False, "portfolio: the year it holds for, if no day is given", "2016"),
        Column("locator", False, "where in the source: a heading", ""),
    )),
)}


def kind_or_error(name: str) -> Kind:
    """The spreadsheet kind called ``name``; an unknown one is a usage error."""
    if name not in KINDS:
        raise ClusterKGError(f"unknown kind '{name}'; known kinds: {', '.join(KINDS)}")
    return KINDS[name]


def documentation(kind: Kind) -> str:
    """The columns of a kind as plain text (for stderr and --help)."""
    width = max(len(c.name) for c in kind.columns)
    lines = [f"{kind.name}: one row = {kind.row}"]
    for c in kind.columns:
        need = "required" if c.required else "optional"
        example = f' (e.g. "{c.example}")' if c.example else ""
        lines.append(f"  {c.name:<{width}}  {need}: {c.doc}{example}")
    return "\n".join(lines)


def template_text(kind: Kind) -> str:
    """The header row of an empty template (CSV, CRLF as the csv module writes)."""
    out = io.StringIO()
    csv.writer(out).writerow(kind.column_names())
    return out.getvalue()


# --- reading a filled-in file --------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """A problem with one cell or row, reported as a spreadsheet would number it."""

    path: Path
    row: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{self.path}: {where}: {self.reason}"


class RowErrors(ClusterKGError):
    """Several bad rows at once: nothing is imported."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


@dataclass
class Row:
    number: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "").strip()


def _normalise(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower()).strip("_")


def read_rows(path: Path, kind: Kind) -> list[Row]:
    """The non-empty data rows of a CSV file, with the header checked against the kind."""
    from clusterkg.delta import decode_utf8

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ClusterKGError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = decode_utf8(path, data)
    except ClusterKGError as exc:
        raise ClusterKGError(exc.message.replace(" (line ", " (row ")) from None
    if not text.strip("\ufeff \t\r\n"):  # nothing, or only a byte order mark
        raise ClusterKGError(
            f"{path}: the file is empty; expected a header row: {','.join(kind.column_names())}"
        )
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise ClusterKGError(f"{path}: row {reader.line_num}: not valid CSV: {exc}") from exc
    header = [_normalise(h) for h in records[0]]
    known = kind.column_names()
    unknown = [h for h in header if h and h not in known]
    if unknown:
        raise ClusterKGError(
            f"{path}: row 1: unknown column '{unknown[0]}' for {kind.name}; "
            f"the columns are: {', '.join(known)}"
        )
    if "" in header:
        raise ClusterKGError(f"{path}: row 1, column {header.index('') + 1}: empty column name")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise ClusterKGError(f"{path}: row 1: column '{repeated[0]}' appears twice")
    missing = [c.name for c in kind.columns if c.required and c.name not in header]
    if missing:
        raise ClusterKGError(
            f"{path}: row 1: missing required column '{missing[0]}' for {kind.name} "
            f"(required: {', '.join(c.name for c in kind.columns if c.required)})"
        )
    rows: list[Row] = []
    errors: list[RowError] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
            errors.append(RowError(path, number, None,
                                   f"{len(record)} cells, but the header has {len(header)}"))
            continue
        rows.append(Row(number, dict(zip(header, record, strict=False))))
    if errors:
        raise RowErrors(errors)
    if not rows:
        raise ClusterKGError(f"{path}: no rows below the header; nothing to import")
    return rows


# --- turning rows into RDF -----------------------------------------------------------------


class _Bad(Exception):
    """A bad cell: caught per row and turned into a RowError."""

    def __init__(self, column: str | None, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass
class Imported:
    """The RDF made from a file, and which row each new node came from."""

    graph: Graph
    rows: dict[Node, str] = field(default_factory=dict)


class Resolver:
    """Finds things by name (or IRI) in the graph and among the things this import made."""

    def __init__(self, dataset: Graph, new: Graph) -> None:
        self.dataset = dataset
        self.new = new
        self.by_label: dict[str, set[Node]] = {}
        for predicate in LABELS:
            for node, label in dataset.subject_objects(predicate):
                if isinstance(node, URIRef):
                    self.by_label.setdefault(str(label).casefold(), set()).add(node)
        ontology = dataset.graph(ONTOLOGY_GRAPH) if isinstance(dataset, Dataset) else dataset
        self.superclasses: dict[Node, set[Node]] = {}
        for sub, sup in ontology.subject_objects(RDFS.subClassOf):
            self.superclasses.setdefault(sub, set()).add(sup)
        # The graph does not change during an import: what rows ask of it again and again
        # (a cluster's types, a vocabulary's names) is looked up once, so each row costs the
        # same however many rows came before it.
        self._stored_types: dict[Node, frozenset[Node]] = {}
        self._schemes: dict[URIRef, frozenset[Node]] = {}
        self._names: dict[tuple[URIRef, str], str] = {}
        self._stored_exists: dict[Node, bool] = {}

    def remember(self, node: URIRef, label: str) -> None:
        self.by_label.setdefault(label.casefold(), set()).add(node)

    def stored_types(self, node: Node) -> frozenset[Node]:
        """The rdf:types the graph gives ``node`` (looked up once per node)."""
        found = self._stored_types.get(node)
        if found is None:
            found = self._stored_types[node] = frozenset(self.dataset.objects(node, RDF.type))
        return found

    def scheme(self, scheme: URIRef) -> frozenset[Node]:
        """The concepts of a vocabulary in the graph (looked up once per vocabulary)."""
        found = self._schemes.get(scheme)
        if found is None:
            found = self._schemes[scheme] = frozenset(
                self.dataset.subjects(SKOS.inScheme, scheme))
        return found

    def types(self, node: Node) -> set[Node]:
        direct = set(self.stored_types(node)) | set(self.new.objects(node, RDF.type))
        found = set(direct)
        todo = list(direct)
        while todo:
            for sup in self.superclasses.get(todo.pop(), ()):
                if sup not in found:
                    found.add(sup)
                    todo.append(sup)
        return found

    def exists(self, node: Node) -> bool:
        stored = self._stored_exists.get(node)
        if stored is None:
            stored = self._stored_exists[node] = (node, None, None) in self.dataset
        return stored or (node, None, None) in self.new

    def find(self, text: str, accept: Callable[[Node], bool], what: str,
             vocabulary: URIRef | None = None) -> URIRef | None:
        """The one accepted thing called ``text``; None if there is none; error if several."""
        iri = _as_iri(text)
        if iri is not None:
            if not self.exists(iri) or not accept(iri):
                raise _Bad(None, f"{compact(str(iri))} is not a known {what}")
            return iri
        found = {n for n in self.by_label.get(text.casefold(), ()) if accept(n)}
        if not found and vocabulary is not None:
            wanted = slugify(text)
            found = {n for n in self.scheme(vocabulary)
                     if isinstance(n, URIRef) and str(n).rsplit("/", 1)[-1].lower() == wanted}
        if len(found) > 1:
            names = ", ".join(sorted(compact(str(n)) for n in found))
            raise _Bad(None, f"'{text}' could be several {what}s ({names}); write the IRI instead")
        return next(iter(found), None)  # type: ignore[return-value]

    def is_a(self, cls: URIRef) -> Callable[[Node], bool]:
        return lambda node: cls in self.types(node)

    def in_scheme(self, scheme: URIRef) -> Callable[[Node], bool]:
        return lambda node: node in self.scheme(scheme)

    def vocabulary_names(self, scheme: URIRef, lang: str = "en") -> str:
        if (scheme, lang) in self._names:
            return self._names[scheme, lang]
        names = []
        for node in sorted(self.scheme(scheme), key=str):
            labels = [x for x in self.dataset.objects(node, RDFS.label)
                      if isinstance(x, Literal) and x.language == lang]
            names.append(str(labels[0]) if labels else str(node).rsplit("/", 1)[-1])
        self._names[scheme, lang] = ", ".join(dict.fromkeys(names))
        return self._names[scheme, lang]


def _as_iri(text: str) -> URIRef | None:
    """The IRI a cell names (``<...>``, https://..., urn:..., ckr:x), checked as files are."""
    found = _IRI_CELLS.get(text)
    if found is None:  # the same few names fill a column: each is read and checked once
        if len(_IRI_CELLS) > 100_000:
            _IRI_CELLS.clear()
        try:
            found = _IRI_CELLS[text] = (_read_iri(text), None)
        except _Bad as bad:
            found = _IRI_CELLS[text] = (None, bad.reason)
    if found[1] is not None:
        raise _Bad(None, found[1])
    return found[0]


_IRI_CELLS: dict[str, tuple[URIRef | None, str | None]] = {}


def _read_iri(text: str) -> URIRef | None:
    from clusterkg.iricheck import iri_problem

    if text.startswith("<") and text.endswith(">"):
        iri: URIRef | None = URIRef(text[1:-1])
    elif re.match(r"^(https?://|urn:)\S+$", text):
        iri = URIRef(text)
    else:
        iri = expand(text) if re.match(r"^[a-z]+:\S+$", text) else None
    if iri is not None and (why := iri_problem(str(iri))):
        raise _Bad(None, f"'{text}' is not a valid IRI: {why}")
    return iri


class JournalGraph(Graph):
    """A graph that can undo what was changed since ``begin()``: a bad row's half is taken
    out in the time the row took, not by comparing the whole output before and after (which
    made an import quadratic in its rows)."""

    def __init__(self) -> None:
        # rdflib's context-free store: about twice as fast to fill and read as the default
        # one, and an import's output is one graph, never a dataset.
        super().__init__(store="SimpleMemory")
        self._log: list[tuple[bool, tuple[Node, Node, Node]]] = []

    def begin(self) -> None:
        self._log.clear()

    def add(self, triple: tuple[Node, Node, Node]) -> JournalGraph:  # type: ignore[override]
        if triple not in self:
            self._log.append((True, triple))
            super().add(triple)
        return self

    def remove(self, triple: Any) -> JournalGraph:  # type: ignore[override]
        for found in list(self.triples(triple)):
            self._log.append((False, found))
            super().remove(found)
        return self

    def undo(self) -> None:
        for added, triple in reversed(self._log):
            if added:
                super().remove(triple)
            else:
                super().add(triple)
        self._log.clear()


class Importer:
    """Builds the RDF for the rows of one file (see ``import_rows``)."""

    def __init__(self, dataset: Graph, path: Path, graph_slug: str, document: URIRef) -> None:
        self.dataset = dataset
        self.path = path
        self.graph_slug = graph_slug
        self.document = document
        self.out = JournalGraph()
        self.rows: dict[Node, str] = {}
        self.resolver = Resolver(dataset, self.out)
        self.minted: set[str] = set()
        self.row = 0
        self.pending: list[tuple[str, URIRef]] = []
        self.locator = ""
        self._by_content: dict[tuple[Node, Node], dict[frozenset[Any], URIRef]] = {}
        self._programme: list[URIRef | None] = []
        # What the row's new facts (and their periods) say, held here under their pending
        # names until ``finish_row`` knows their IRIs: then each triple is written once,
        # rather than written and renamed (removed and written again) in the output graph.
        self._held: dict[URIRef, dict[tuple[Node, Node], None]] = {}

    # helpers -------------------------------------------------------------------------------

    def where(self) -> str:
        return f"{self.path}, row {self.row}"

    def add(self, s: Node, p: Node, o: Node) -> None:
        held = self._held.get(s)  # type: ignore[call-overload]
        if held is not None:
            held[p, o] = None
        else:
            self.out.add((s, p, o))
        self.rows.setdefault(s, self.where())

    def discard(self, s: Node, p: Node, o: Node) -> None:
        """Take back one triple this row added."""
        held = self._held.get(s)  # type: ignore[call-overload]
        if held is not None:
            held.pop((p, o), None)
        else:
            self.out.remove((s, p, o))

    def abandon_row(self) -> None:
        """Forget the facts of a bad row (its other triples are undone by the journal)."""
        self.pending.clear()
        self._held.clear()
        self.out.undo()

    def fact(self, name: str, cls: URIRef, document: URIRef | None = None) -> URIRef:
        """A new fact node; ``finish_row`` gives it its IRI from what it says.

        The IRI depends on the fact's content only (class, values, period), not on the source
        or the row, so that two sources stating the same fact make one node with two
        ck:sourceDocument values (corroboration), and a different value makes another fact.
        """
        node = URIRef(f"{FACT_NS}{name}/pending-{len(self.pending)}")
        self.pending.append((name, node))
        self._held[node] = {}
        self._held[URIRef(f"{node}-period")] = {}
        self.add(node, RDF.type, cls)
        self.add(node, CK.assertionMode, CK.stated)
        self.add(node, CK.sourceDocument, document or self.document)
        if self.locator:
            self.add(node, CK.sourceSection, self.section(self.locator, document))
        return node

    def section(self, heading: str, document: URIRef | None = None) -> URIRef:
        doc = document or self.document
        node = URIRef(f"{doc}#section-{slugify(heading, 'section')}")
        self.add(node, RDF.type, CK.SourceSection)
        self.add(node, CK.inDocument, doc)
        self.add(node, RDFS.label, Literal(heading))
        return node

    def finish_row(self) -> None:
        """Give the row's new facts (and their periods) their content-addressed IRIs."""
        for name, node in self.pending:
            period = URIRef(f"{node}-period")
            says, dated = list(self._held.pop(node)), list(self._held.pop(period))
            content = sorted(
                f"{p.n3()} {o.n3()}" for p, o in says if p not in _PROVENANCE and o != period
            ) + sorted(f"period {p.n3()} {o.n3()}" for p, o in dated)
            digest = hashlib.sha256("\n".join(content).encode("utf-8")).hexdigest()[:10]
            words = [str(o).rstrip("/").rsplit("/", 1)[-1]
                     for p, o in sorted(says)
                     if isinstance(o, URIRef) and p not in _PROVENANCE and p != RDF.type
                     and o != period][:3]
            readable = slugify("-".join(words), "fact")[:60]
            target = self.same_fact(says) or URIRef(f"{FACT_NS}{name}/{readable}-{digest}")
            target_period = URIRef(f"{target}-period")
            for p, o in says:
                self.out.add((target, p, target_period if o == period else o))
            for p, o in dated:
                self.out.add((target_period, p, o))
            for old, new in ((node, target), (period, target_period)):
                if old in self.rows:
                    self.rows.setdefault(new, self.rows.pop(old))
        self.pending.clear()

    def same_fact(self, says: list[tuple[Node, Node]]) -> URIRef | None:
        """An existing fact (e.g. of a hand-written source) that says exactly what a new fact
        ``says``, so that this source is recorded as another source of it, not a duplicate."""
        mine = _content(says)
        anchors = [(p, o) for p, o in mine if isinstance(o, URIRef) and p != RDF.type]
        if not anchors or any(p == CK.period for p, _ in says):
            return None  # facts with periods keep their own, content-addressed IRI
        return self.stated_by_content(min(anchors, key=lambda a: (str(a[0]), str(a[1])))).get(mine)

    def stated_by_content(self, anchor: tuple[Node, Node]) -> dict[frozenset[Any], URIRef]:
        """The graph's stated facts that have ``anchor`` (a property and value), by content.

        Built once per anchor (a cluster, say) and kept: the graph does not change during an
        import, and looking the candidates up again for every row made an import of many rows
        about a few clusters cost rows x facts-per-cluster look-ups. Where several facts say
        the same, the first by IRI wins (as when they were compared one by one).
        """
        index = self._by_content.get(anchor)
        if index is None:
            index = self._by_content[anchor] = {}
            p, o = anchor
            for candidate in sorted(set(self.dataset.subjects(p, o)), key=str):
                if (isinstance(candidate, URIRef)
                        and (candidate, CK.assertionMode, CK.inferred) not in self.dataset):
                    # a stated fact: a reading stays a reading of its own source
                    says = list(self.dataset.predicate_objects(candidate))
                    index.setdefault(_content(says), candidate)
        return index

    def new_entity(self, label: str, cls: URIRef) -> URIRef:
        node = self.fresh(CKR, slugify(label))
        self.add(node, RDF.type, cls)
        self.add(node, RDFS.label, Literal(label))
        self.add(node, CK.sourceDocument, self.document)
        self.resolver.remember(node, label)
        return node

    def fresh(self, namespace: Namespace, base: str) -> URIRef:
        """``namespace[base]``, or ``base-2`` ... if that IRI is taken in the graph or file."""
        slug, n = base, 2
        while slug in self.minted or self.resolver.exists(namespace[slug]):
            slug, n = f"{base}-{n}", n + 1
        self.minted.add(slug)
        return namespace[slug]

    def ref(self, row: Row, column: str, accept: Callable[[Node], bool], what: str,
            vocabulary: URIRef | None = None, known: str = "") -> URIRef | None:
        text = row.get(column)
        if not text:
            return None
        try:
            node = self.resolver.find(text, accept, what, vocabulary)
        except _Bad as bad:
            raise _Bad(column, bad.reason) from None
        if node is None:
            hint = f"; known: {known}" if known else ""
            where = "" if vocabulary is not None else (
                " in the graph or in earlier rows of this file")
            raise _Bad(column, f"no {what} called '{text}'{where}{hint}")
        return node

    def required(self, row: Row, column: str) -> str:
        text = row.get(column)
        if not text:
            raise _Bad(column, "must be filled in")
        return text

    def period(self, fact: URIRef, row: Row, years: int | None = None) -> None:
        start = _date_or_year(row, "from")
        end = _date_or_year(row, "to")
        if start is not None and end is not None and _before(end, start):
            raise _Bad("to", f"the end {end} is before the start {start}")
        if start is None and end is None and years is None:
            return
        period = URIRef(f"{fact}-period")
        self.add(fact, CK.period, period)
        self.add(period, RDF.type, CK.Period)
        if start is not None:
            self.add(period, CK.startDate, start)
        if end is not None:
            self.add(period, CK.endDate, end)
        if years is not None:
            self.add(period, CK.duration, Literal(f"P{years}Y", datatype=XSD.duration))

    def find_or_make(self, text: str, cls: URIRef, what: str, column: str) -> URIRef:
        """The thing of class ``cls`` called ``text``, or a new one with that name."""
        try:
            found = self.resolver.find(text, self.resolver.is_a(cls), what)
        except _Bad as bad:
            raise _Bad(column, bad.reason) from None
        if found is not None:
            return found
        # a new organisation is a formal one (registered or not), as the shapes describe
        return self.new_entity(text, ORG.FormalOrganization if cls == ORG.Organization else cls)

    def programme(self, row: Row) -> URIRef:
        """The programme a row is about: its column, else the one programme in the graph."""
        text = row.get("programme")
        if text:
            node = self.ref(row, "programme", self.resolver.is_a(CK.Programme), "programme")
            assert node is not None
            return node
        only = self.default_programme()
        if only is None:
            raise _Bad("programme", "say which programme (the graph has none or several)")
        return only

    def announcement(self, row: Row, column: str = "announcement") -> URIRef | None:
        """An announcement by name/IRI, or by its date (a stated date in the graph), or new."""
        text = row.get(column)
        if not text:
            return None
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?", text):
            iri = _as_iri(text)
            if iri is not None and str(iri).startswith(str(CKR) + "announcement") and not (
                    self.resolver.exists(iri)):
                return self.new_announcement(iri, str(iri).rsplit("/", 1)[-1])
            found = self.ref(row, column, self.resolver.is_a(CK.Announcement), "announcement")
            assert found is not None
            return found
        day = _partial_date(text, column)
        for graph in (self.out, self.dataset):
            for statement in graph.subjects(CK.date, day):
                about = graph.value(statement, CK.about)
                if isinstance(about, URIRef) and CK.Announcement in self.resolver.types(about):
                    return about
        node = CKR[f"announcement/{text}"]
        if not self.resolver.exists(node):
            self.new_announcement(node, text)
        self.date_statement(node, day)
        return node

    def new_announcement(self, node: URIRef, key: str) -> URIRef:
        """An announcement the graph does not know yet, named by its key (date or month)."""
        self.add(node, RDF.type, CK.Announcement)
        self.add(node, RDFS.label, Literal(f"Kunngjøring i klyngeprogrammet {key}", lang="nb"))
        self.add(node, RDFS.label, Literal(f"Cluster programme announcement {key}", lang="en"))
        self.add(node, CK.sourceDocument, self.document)
        return node

    def date_statement(self, about: URIRef, day: Literal) -> URIRef:
        fact = self.fact("date", CK.DateStatement)
        self.add(fact, CK.about, about)
        self.add(fact, CK.date, day)
        return fact

    def focus_area(self, text: str) -> URIRef:
        found = self.resolver.find(text, self.resolver.is_a(CK.FocusArea), "focus area")
        if found is not None:
            return found
        node = self.fresh(Namespace(str(CKR) + "focus/"), slugify(text, "focus"))
        self.add(node, RDF.type, CK.FocusArea)
        self.add(node, RDFS.label, Literal(text))
        self.add(node, SKOS.prefLabel, Literal(text))
        self.add(node, SKOS.inScheme, FOCUS_SCHEME)
        self.add(node, CK.sourceDocument, self.document)
        self.resolver.remember(node, text)
        return node

    def located(self, cluster: URIRef, place: URIRef) -> None:
        fact = self.fact("location", CK.Location)
        self.add(fact, CK.cluster, cluster)
        self.add(fact, CK.place, place)
        self.add(fact, CK.locationRole, BASE_ROLE)

    def cluster(self, row: Row, column: str = "cluster") -> URIRef:
        self.required(row, column)
        node = self.ref(row, column, self.resolver.is_a(CK.Cluster), "cluster")
        assert node is not None
        return node

    def organisation(self, row: Row, column: str) -> URIRef | None:
        return self.ref(row, column, self.resolver.is_a(ORG.Organization), "organisation")

    # kinds ---------------------------------------------------------------------------------

    def clusters(self, row: Row) -> None:
        name = self.required(row, "name")
        aliases = [a.strip() for a in row.get("alias").split(";") if a.strip()]
        cluster = None
        if row.get("id"):
            cluster = _as_iri(row.get("id"))
            if cluster is None:
                raise _Bad("id", f"'{row.get('id')}' is not an IRI (ckr:x or https://...)")
            if not self.resolver.exists(cluster):
                self.add(cluster, RDF.type, CK.Cluster)
                self.add(cluster, RDFS.label, Literal(name))
                self.add(cluster, CK.sourceDocument, self.document)
                self.resolver.remember(cluster, name)
            elif not self.resolver.is_a(CK.Cluster)(cluster):
                raise _Bad("id", f"{compact(str(cluster))} is not a cluster")
        for text in (name, *aliases):
            cluster = cluster or self.resolver.find(text, self.resolver.is_a(CK.Cluster),
                                                    "cluster")
        if cluster is None:
            cluster = self.new_entity(name, CK.Cluster)
        else:
            self.add(cluster, CK.sourceDocument, self.document)
            if not self.named(cluster, name):
                self.add(cluster, SKOS.altLabel, Literal(name))
                self.resolver.remember(cluster, name)
        for alias in aliases:
            if alias.casefold() != name.casefold():
                self.add(cluster, SKOS.altLabel, Literal(alias))
                self.resolver.remember(cluster, alias)
        level = self.ref(row, "level", self.resolver.in_scheme(LEVELS), "level", LEVELS,
                         self.resolver.vocabulary_names(LEVELS))
        if level is not None:
            change = self.ref(row, "change", self.resolver.in_scheme(LEVEL_CHANGES),
                              "level change", LEVEL_CHANGES,
                              self.resolver.vocabulary_names(LEVEL_CHANGES))
            years = _whole_number(row.get("duration"), "duration") if row.get("duration") else None
            decided = self.announcement(row)
            fact = self.fact("level", CK.LevelAssignment)
            self.add(fact, CK.cluster, cluster)
            self.add(fact, CK.level, level)
            if change is not None:
                self.add(fact, CK.levelChange, change)
            if decided is not None:
                self.add(fact, CK.decidedAt, decided)
            if self.default_programme() is not None:
                self.add(fact, CK.programme, self.default_programme())  # type: ignore[arg-type]
            self.period(fact, row, years)
        elif any(row.get(c) for c in ("from", "to", "change", "duration", "announcement")):
            raise _Bad("level", "from/to/change/duration/announcement describe a level: fill "
                       "in the level too")
        if row.get("host"):
            host = self.find_or_make(row.get("host"), ORG.Organization, "organisation", "host")
            fact = self.fact("hosting", CK.Hosting)
            self.add(fact, CK.cluster, cluster)
            self.add(fact, CK.host, host)
        for column in ("region", "place"):
            if row.get(column):
                self.located(cluster, self.find_or_make(row.get(column), CK.Place, "place",
                                                        column))
        if row.get("industry"):
            fact = self.fact("focus", CK.FocusStatement)
            self.add(fact, CK.cluster, cluster)
            self.add(fact, CK.focusArea, self.focus_area(row.get("industry")))
            self.add(fact, CK.emphasis, ONGOING)  # the source gives no weight

    def named(self, node: URIRef, name: str) -> bool:
        """Whether ``node`` already has ``name`` (any case) as a name, in the graph or here."""
        return any(str(label).casefold() == name.casefold()
                   for graph in (self.dataset, self.out) for p in LABELS
                   for label in graph.objects(node, p))

    def default_programme(self) -> URIRef | None:
        if not self._programme:  # looked up once: the graph does not change during an import
            known = sorted({s for s in self.dataset.subjects(RDF.type, CK.Programme)
                            if isinstance(s, URIRef)}, key=str)
            self._programme.append(known[0] if len(known) == 1 else None)
        return self._programme[0]

    def announcements(self, row: Row) -> None:
        self.required(row, "date")
        node = self.announcement(row, "announcement") if row.get("announcement") else None
        day = _partial_date(row.get("date"), "date")
        reasons = (row.get("date_reason_en"), row.get("date_reason_nb"))
        if any(reasons) and not all(reasons):
            raise _Bad("date_reason_nb" if reasons[0] else "date_reason_en",
                       "give the reason in both English and Norwegian")
        if node is None and all(reasons):
            node = CKR[f"announcement/{row.get('date')}"]
            if not self.resolver.exists(node):
                self.new_announcement(node, row.get("date"))
        if node is None:
            node = self.announcement(row, "date")
        else:
            statement = self.date_statement(node, day)
            if all(reasons):
                self.discard(statement, CK.assertionMode, CK.stated)
                self.add(statement, CK.assertionMode, CK.inferred)
                self.add(statement, CK.inferenceReason, Literal(reasons[0], lang="en"))
                self.add(statement, CK.inferenceReason, Literal(reasons[1], lang="nb"))
        assert node is not None
        if row.get("time"):
            if day.datatype != XSD.date:
                raise _Bad("time", "a time of day needs the full date (YYYY-MM-DD)")
            if not re.fullmatch(r"[0-2][0-9]:[0-5][0-9]", row.get("time")):
                raise _Bad("time", f"'{row.get('time')}' is not a time of day (HH:MM)")
            moment = Literal(f"{row.get('date')}T{row.get('time')}:00", datatype=XSD.dateTime)
            self.date_statement(node, moment)
        for name in [n.strip() for n in row.get("announced_by").split(";") if n.strip()]:
            fact = self.fact("announcing", CK.Announcing)
            self.add(fact, CK.announcement, node)
            self.add(fact, CK.announcedBy, self.find_or_make(name, ORG.Organization,
                                                             "organisation", "announced_by"))
        level = self.ref(row, "level", self.resolver.in_scheme(LEVELS), "level", LEVELS,
                         self.resolver.vocabulary_names(LEVELS))
        programme = self.programme(row)
        currency = _currency(row)
        for column, cls in (("admitted", CK.AdmissionCount), ("applications", CK.ApplicationCount)):
            if row.get(column):
                fact = self.fact(column, cls)
                self.add(fact, CK.announcement, node)
                self.add(fact, CK.programme, programme)
                self.add(fact, CK["count"], Literal(_whole_number(row.get(column), column),
                                                   datatype=XSD.integer))
                if level is not None:
                    self.add(fact, CK.level, level)
        if row.get("average_per_year"):
            if level is None:
                raise _Bad("level", "an average per year is for one level: fill in the level")
            fact = self.fact("average-grant", CK.AverageGrant)
            self.add(fact, CK.announcement, node)
            self.add(fact, CK.programme, programme)
            self.add(fact, CK.level, level)
            self.add(fact, CK.annualAmount, Literal(_amount(row.get("average_per_year"),
                                                            "average_per_year"),
                                                    datatype=XSD.decimal))
            self.add(fact, SCHEMA.currency, Literal(currency))
            self.add(fact, CK.year, Literal(row.get("date")[:4], datatype=XSD.gYear))
        if row.get("frame_per_year"):
            fact = self.fact("budget", CK.ProgrammeBudget)
            self.add(fact, CK.programme, programme)
            self.add(fact, CK.annualAmount, Literal(_amount(row.get("frame_per_year"),
                                                            "frame_per_year"),
                                                    datatype=XSD.decimal))
            self.add(fact, SCHEMA.currency, Literal(currency))
            self.add(fact, CK.year, Literal(row.get("date")[:4], datatype=XSD.gYear))

    def renames(self, row: Row) -> None:
        cluster = self.cluster(row)
        old, new = self.required(row, "old_name"), self.required(row, "new_name")
        if old.casefold() == new.casefold():
            raise _Bad("new_name", f"'{new}' is the old name: a rename cannot point at itself")
        fact = self.fact("renaming", CK.Renaming)
        self.add(fact, CK.cluster, cluster)
        self.add(fact, CK.oldName, Literal(old))
        self.add(fact, CK.newName, Literal(new))
        if row.get("date"):
            self.add(fact, CK.date, _partial_date(row.get("date"), "date"))
        for name in (old, new):
            if not self.named(cluster, name):
                self.add(cluster, SKOS.altLabel, Literal(name))
                self.add(cluster, CK.sourceDocument, self.document)
                self.resolver.remember(cluster, name)

    def programme_statements(self, row: Row) -> None:
        statement = self.required(row, "statement").lower()
        programme = self.programme(row)
        if statement in ("owner", "funder"):
            self.required(row, "organisation")
            org = self.find_or_make(row.get("organisation"), ORG.Organization, "organisation",
                                    "organisation")
            if statement == "owner":
                fact = self.fact("programme-owner", CK.ProgrammeOwnership)
                self.add(fact, CK.owner, org)
            else:
                fact = self.fact("programme-funder", CK.ProgrammeFunding)
                self.add(fact, SCHEMA.funder, org)
            self.add(fact, CK.programme, programme)
        elif statement in ("level", "brand"):
            self.required(row, "level")
            scheme = LEVELS if statement == "level" else BRANDS
            level = self.ref(row, "level", self.resolver.in_scheme(scheme), statement, scheme,
                             self.resolver.vocabulary_names(scheme))
            years = _whole_number(row.get("duration"), "duration") if row.get("duration") else None
            fact = self.fact("programme-level", CK.LevelDefinition)
            self.add(fact, CK.programme, programme)
            self.add(fact, CK.level, level)  # type: ignore[arg-type]
            self.add(fact, CK.asBrand, Literal(statement == "brand"))
            if years is not None:
                self.add(fact, CK.standardDuration, Literal(f"P{years}Y", datatype=XSD.duration))
            if row.get("from") or row.get("to"):
                self.period(fact, row)
        elif statement == "portfolio":
            count = _whole_number(self.required(row, "count"), "count")
            level = self.ref(row, "level", self.resolver.in_scheme(LEVELS), "level", LEVELS,
                             self.resolver.vocabulary_names(LEVELS))
            if not row.get("date") and not row.get("year"):
                raise _Bad("date", "say when the count holds: a date or a year")
            fact = self.fact("portfolio", CK.PortfolioCount)
            self.add(fact, CK.programme, programme)
            self.add(fact, CK["count"], Literal(count, datatype=XSD.integer))
            if level is not None:
                self.add(fact, CK.level, level)
            if row.get("date"):
                self.add(fact, CK.observationDate, _date(row.get("date"), "date"))
            else:
                if not re.fullmatch(r"[0-9]{4}", row.get("year")):
                    raise _Bad("year", f"'{row.get('year')}' is not a year (YYYY)")
                self.add(fact, CK.year, Literal(row.get("year"), datatype=XSD.gYear))
        else:
            raise _Bad("statement", f"'{statement}' is not one of: owner, funder, level, brand, "
                       "portfolio")

    def organisations(self, row: Row) -> None:
        name = self.required(row, "name")
        number = re.sub(r"\s+", "", row.get("organisation_number"))
        if number and not re.fullmatch(r"[0-9]{9}", number):
            raise _Bad("organisation_number", f"'{row.get('organisation_number')}' is not nine "
                       "digits")
        if number and not valid_org_number(number):
            raise _Bad("organisation_number", f"'{row.get('organisation_number')}' is not a "
                       "valid organisation number: its last digit is not the mod-11 check "
                       "digit of the first eight (check it in Enhetsregisteret)")
        kind = self.ref(row, "kind", self.resolver.in_scheme(ORG_KINDS), "organisation kind",
                        ORG_KINDS, self.resolver.vocabulary_names(ORG_KINDS))
        place = self.ref(row, "place", self.resolver.is_a(CK.Place), "place")
        org = self.resolver.find(name, self.resolver.is_a(ORG.Organization), "organisation")
        if org is None:
            org = self.new_entity(name, ROV.RegisteredOrganization if number
                                  else ORG.FormalOrganization)
        else:
            self.add(org, CK.sourceDocument, self.document)
        if number:
            self.add(org, CK.organisationNumber, Literal(number))
        if kind is not None:
            self.add(org, CK.organisationKind, kind)
        if place is not None:
            self.add(org, CK.basedIn, place)

    def memberships(self, row: Row) -> None:
        cluster = self.cluster(row)
        self.required(row, "member")
        member = self.organisation(row, "member")
        role = self.ref(row, "role", self.resolver.in_scheme(ROLES), "role", ROLES,
                        self.resolver.vocabulary_names(ROLES)) or MEMBER_ROLE
        fact = self.fact("membership", CK.Membership)
        self.add(fact, ORG.organization, cluster)
        self.add(fact, ORG.member, member)  # type: ignore[arg-type]
        self.add(fact, ORG.role, role)
        self.period(fact, row)

    def member_counts(self, row: Row) -> None:
        cluster = self.cluster(row)
        self.required(row, "kind")
        kind = self.ref(row, "kind", self.resolver.in_scheme(MEMBER_KINDS), "member kind",
                        MEMBER_KINDS, self.resolver.vocabulary_names(MEMBER_KINDS))
        count = _whole_number(self.required(row, "count"), "count")
        approximate = _boolean(row.get("approximate"), "approximate")
        observed = _date(row.get("date"), "date") if row.get("date") else None
        document = self.source_document(row.get("source")) if row.get("source") else None
        fact = self.fact("member-count", CK.MemberCount, document)
        self.add(fact, CK.cluster, cluster)
        self.add(fact, CK.memberKind, kind)  # type: ignore[arg-type]
        self.add(fact, CK["count"], Literal(count, datatype=XSD.integer))
        self.add(fact, CK.approximate, Literal(approximate))
        if observed is not None:
            self.add(fact, CK.observationDate, observed)

    def grants(self, row: Row) -> None:
        cluster = self.cluster(row)
        names = [n.strip() for n in self.required(row, "funders").split(";") if n.strip()]
        funders = []
        for name in names:
            found = self.resolver.find(name, self.resolver.is_a(ORG.Organization), "organisation")
            if found is None:
                raise _Bad("funders", f"no organisation called '{name}' in the graph or in "
                           "earlier rows of this file")
            funders.append(found)
        amount = _amount(self.required(row, "amount_per_year"), "amount_per_year")
        currency = _currency(row)
        fact = self.fact("grant", CK.Grant)
        self.add(fact, SCHEMA.fundedItem, cluster)
        for funder in funders:
            self.add(fact, SCHEMA.funder, funder)
        self.add(fact, CK.annualAmount, Literal(amount, datatype=XSD.decimal))
        self.add(fact, SCHEMA.currency, Literal(currency))
        self.period(fact, row)

    def people(self, row: Row) -> None:
        name = self.required(row, "person")
        self.required(row, "post")
        role = self.ref(row, "post", self.resolver.in_scheme(ROLES), "post", ROLES,
                        self.resolver.vocabulary_names(ROLES))
        accept_org = self.resolver.is_a(ORG.Organization)
        accept_project = self.resolver.is_a(CK.SharedProject)
        where = self.ref(row, "organisation", lambda n: accept_org(n) or accept_project(n),
                         "organisation or project")
        person = self.resolver.find(name, self.resolver.is_a(CK.Person), "person")
        if person is None:
            person = self.new_entity(name, CK.Person)
        fact = self.fact("post", CK.PostHolding)
        self.add(fact, ORG.member, person)
        self.add(fact, ORG.role, role)  # type: ignore[arg-type]
        if where is not None:
            self.add(fact, ORG.organization, where)
        self.period(fact, row)

    def source_document(self, name: str) -> URIRef:
        accept = self.resolver.is_a(CK.SourceDocument)
        found = self.resolver.find(name, accept, "source document")
        if found is None:
            for doc in self.dataset.subjects(CK.fileName, None):
                if any(str(f).casefold() == name.casefold()
                       for f in self.dataset.objects(doc, CK.fileName)):
                    return doc  # type: ignore[return-value]
            found = self.fresh(CKS, slugify(name, "source"))
            self.add(found, RDF.type, CK.SourceDocument)
            self.add(found, RDFS.label, Literal(name))
            self.resolver.remember(found, name)
        return found


HANDLERS: dict[str, Callable[[Importer, Row], None]] = {
    "clusters": Importer.clusters,
    "organisations": Importer.organisations,
    "memberships": Importer.memberships,
    "member-counts": Importer.member_counts,
    "grants": Importer.grants,
    "people": Importer.people,
    "announcements": Importer.announcements,
    "renames": Importer.renames,
    "programme": Importer.programme_statements,
}


def import_rows(dataset: Graph, kind: Kind, path: Path, rows: Iterable[Row], *,
                graph_slug: str, document: URIRef) -> Imported:
    """RDF for all rows, or RowErrors listing every bad row (then nothing is imported)."""
    return import_files(dataset, [(kind, path, list(rows))], graph_slug=graph_slug,
                        document=document)


def import_files(dataset: Graph, files: list[tuple[Kind, Path, list[Row]]], *,
                 graph_slug: str, document: URIRef) -> Imported:
    """RDF for the rows of several files of one source, in order; names made by earlier files
    are known to later ones. RowErrors lists every bad row of every file."""
    errors: list[RowError] = []
    importer: Importer | None = None
    for kind, path, rows in files:
        if importer is None:
            importer = Importer(dataset, path, graph_slug, document)
        importer.path = path
        handler = HANDLERS[kind.name]
        for row in rows:
            importer.row = row.number
            importer.locator = row.get("locator")
            importer.out.begin()
            try:
                handler(importer, row)
                importer.finish_row()
            except _Bad as bad:
                errors.append(RowError(path, row.number, bad.column, bad.reason))
                importer.abandon_row()  # keep a bad row's half out
    if errors:
        raise RowErrors(errors)
    assert importer is not None
    return Imported(graph=importer.out, rows=importer.rows)


# --- cell values ---------------------------------------------------------------------------


def _whole_number(text: str, column: str) -> int:
    cleaned = re.sub(r"\s+", "", text)
    if not re.fullmatch(r"[+-]?[0-9]+", cleaned):
        raise _Bad(column, f"'{text}' is not a whole number")
    value = int(cleaned)
    if value < 0:
        raise _Bad(column, f"{value} is negative; a count is 0 or more")
    return value


def _amount(text: str, column: str) -> Decimal:
    cleaned = re.sub(r"\s+", "", text.replace("\u00a0", ""))
    if not re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", cleaned):
        raise _Bad(column, f"'{text}' is not an amount (digits, optionally with a decimal point)")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise _Bad(column, f"'{text}' is not an amount") from None
    if value <= 0:
        raise _Bad(column, f"{text} is not greater than 0")
    return value


_TRUE = {"true", "yes", "ja", "y", "1", "sant"}
_FALSE = {"false", "no", "nei", "n", "0", "usant", ""}


def _boolean(text: str, column: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _Bad(column, f"'{text}' is not true or false")


def _date(text: str, column: str) -> Literal:
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        return Literal(date.fromisoformat(text), datatype=XSD.date)
    except ValueError:
        raise _Bad(column, f"'{text}' is not a date; write it as YYYY-MM-DD") from None


def _content(says: Iterable[tuple[Node, Node]]) -> frozenset[tuple[Node, Node]]:
    """What a fact says (its properties and values): its class, properties and values,
    without provenance and wording (a category label in the source's words does not make it
    another fact)."""
    from clusterkg.delta import PROVENANCE, plain_string

    return frozenset((p, plain_string(o)) for p, o in says
                     if p not in _PROVENANCE and (p not in PROVENANCE or p == RDF.type))


def _currency(row: Row) -> str:
    currency = (row.get("currency") or "NOK").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise _Bad("currency", f"'{row.get('currency')}' is not a three-letter currency code "
                   "such as NOK or EUR")
    return currency


def _partial_date(text: str, column: str) -> Literal:
    """A day, a month (YYYY-MM) or a year, as precisely as the source gives it."""
    if re.fullmatch(r"[0-9]{4}", text):
        return Literal(text, datatype=XSD.gYear)
    if re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", text):
        return Literal(text, datatype=XSD.gYearMonth)
    try:
        return _date(text, column)
    except _Bad:
        raise _Bad(column, f"'{text}' is not a date; write YYYY-MM-DD, YYYY-MM or YYYY") from None


def _date_or_year(row: Row, column: str) -> Literal | None:
    text = row.get(column)
    if not text:
        return None
    if re.fullmatch(r"[0-9]{4}", text):
        return Literal(text, datatype=XSD.gYear)
    try:
        return _date(text, column)
    except _Bad:
        raise _Bad(column, f"'{text}' is not a date; write YYYY-MM-DD or a year YYYY") from None


def _before(end: Literal, start: Literal) -> bool:
    """As the shapes compare: two dates as dates, otherwise by year (2019 to 2019 is fine)."""
    if end.datatype == XSD.date and start.datatype == XSD.date:
        return str(end) < str(start)
    return int(str(end)[:4]) < int(str(start)[:4])
