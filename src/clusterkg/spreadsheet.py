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
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

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
from clusterkg.sources import slugify

LABELS = (RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
MEMBER_KINDS = URIRef("https://w3id.org/clusterkg/member-kind/memberKinds")
ORG_KINDS = URIRef("https://w3id.org/clusterkg/org-kind/organisationKinds")
ROLES = URIRef("https://w3id.org/clusterkg/role/roles")
LEVELS = CKL.levels
BASE_ROLE = URIRef("https://w3id.org/clusterkg/location-role/base")
MEMBER_ROLE = URIRef("https://w3id.org/clusterkg/role/member")
FACT_NS = str(CKR) + "fact/"


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
    Kind("clusters", "a cluster, and optionally its level for a period, its host and region", (
        Column("name", True, "the cluster's name; a new cluster unless one has that name",
               "Ocean Hyway Cluster"),
        Column("level", False, "programme level: Arena, Arena Pro or GCE", "Arena"),
        Column("from", False, "first day (or year) at that level", "2019-07-01"),
        Column("to", False, "last day (or year) at that level", "2024-06-30"),
        Column("host", False, "host organisation (already in the graph)", "Validé AS"),
        Column("region", False, "the place the cluster is based in (in the graph)", "Rogaland"),
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
    if not data.strip():
        raise ClusterKGError(
            f"{path}: the file is empty; expected a header row: {','.join(kind.column_names())}"
        )
    try:
        text = decode_utf8(path, data)
    except ClusterKGError as exc:
        raise ClusterKGError(exc.message.replace(" (line ", " (row ")) from None
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

    def remember(self, node: URIRef, label: str) -> None:
        self.by_label.setdefault(label.casefold(), set()).add(node)

    def types(self, node: Node) -> set[Node]:
        direct = set(self.dataset.objects(node, RDF.type)) | set(self.new.objects(node, RDF.type))
        found = set(direct)
        todo = list(direct)
        while todo:
            for sup in self.superclasses.get(todo.pop(), ()):
                if sup not in found:
                    found.add(sup)
                    todo.append(sup)
        return found

    def exists(self, node: Node) -> bool:
        return (node, None, None) in self.dataset or (node, None, None) in self.new

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
            found = {n for n in self.dataset.subjects(SKOS.inScheme, vocabulary)
                     if isinstance(n, URIRef) and str(n).rsplit("/", 1)[-1].lower() == wanted}
        if len(found) > 1:
            names = ", ".join(sorted(compact(str(n)) for n in found))
            raise _Bad(None, f"'{text}' could be several {what}s ({names}); write the IRI instead")
        return next(iter(found), None)  # type: ignore[return-value]

    def is_a(self, cls: URIRef) -> Callable[[Node], bool]:
        return lambda node: cls in self.types(node)

    def in_scheme(self, scheme: URIRef) -> Callable[[Node], bool]:
        return lambda node: (node, SKOS.inScheme, scheme) in self.dataset

    def vocabulary_names(self, scheme: URIRef, lang: str = "en") -> str:
        names = []
        for node in sorted(self.dataset.subjects(SKOS.inScheme, scheme), key=str):
            labels = [x for x in self.dataset.objects(node, RDFS.label)
                      if isinstance(x, Literal) and x.language == lang]
            names.append(str(labels[0]) if labels else str(node).rsplit("/", 1)[-1])
        return ", ".join(dict.fromkeys(names))


def _as_iri(text: str) -> URIRef | None:
    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    if re.match(r"^(https?://|urn:)\S+$", text):
        return URIRef(text)
    return expand(text) if re.match(r"^[a-z]+:\S+$", text) else None


class Importer:
    """Builds the RDF for the rows of one file (see ``import_rows``)."""

    def __init__(self, dataset: Graph, path: Path, graph_slug: str, document: URIRef) -> None:
        self.dataset = dataset
        self.path = path
        self.graph_slug = graph_slug
        self.document = document
        self.out = Graph()
        self.rows: dict[Node, str] = {}
        self.resolver = Resolver(dataset, self.out)
        self.minted: set[str] = set()
        self.row = 0

    # helpers -------------------------------------------------------------------------------

    def where(self) -> str:
        return f"{self.path}, row {self.row}"

    def add(self, s: Node, p: Node, o: Node) -> None:
        self.out.add((s, p, o))
        self.rows.setdefault(s, self.where())

    def fact(self, name: str, cls: URIRef, document: URIRef | None = None) -> URIRef:
        node = URIRef(f"{FACT_NS}{self.graph_slug}/{name}-r{self.row}")
        self.add(node, RDF.type, cls)
        self.add(node, CK.assertionMode, CK.stated)
        self.add(node, CK.sourceDocument, document or self.document)
        return node

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

    def period(self, fact: URIRef, row: Row) -> None:
        start = _date_or_year(row, "from")
        end = _date_or_year(row, "to")
        if start is not None and end is not None and _before(end, start):
            raise _Bad("to", f"the end {end} is before the start {start}")
        if start is None and end is None:
            return
        period = URIRef(f"{fact}-period")
        self.add(fact, CK.period, period)
        self.add(period, RDF.type, CK.Period)
        if start is not None:
            self.add(period, CK.startDate, start)
        if end is not None:
            self.add(period, CK.endDate, end)

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
        cluster = self.resolver.find(name, self.resolver.is_a(CK.Cluster), "cluster")
        if cluster is None:
            cluster = self.new_entity(name, CK.Cluster)
        level = self.ref(row, "level", self.resolver.in_scheme(LEVELS), "level", LEVELS,
                         self.resolver.vocabulary_names(LEVELS))
        if level is not None:
            fact = self.fact("level", CK.LevelAssignment)
            self.add(fact, CK.cluster, cluster)
            self.add(fact, CK.level, level)
            self.period(fact, row)
        elif row.get("from") or row.get("to"):
            raise _Bad("level", "from/to give the period at a level: fill in the level too")
        host = self.organisation(row, "host")
        if host is not None:
            fact = self.fact("hosting", CK.Hosting)
            self.add(fact, CK.cluster, cluster)
            self.add(fact, CK.host, host)
        region = self.ref(row, "region", self.resolver.is_a(CK.Place), "place")
        if region is not None:
            fact = self.fact("location", CK.Location)
            self.add(fact, CK.cluster, cluster)
            self.add(fact, CK.place, region)
            self.add(fact, CK.locationRole, BASE_ROLE)

    def organisations(self, row: Row) -> None:
        name = self.required(row, "name")
        number = re.sub(r"\s+", "", row.get("organisation_number"))
        if number and not re.fullmatch(r"[0-9]{9}", number):
            raise _Bad("organisation_number", f"'{row.get('organisation_number')}' is not nine "
                       "digits")
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
        currency = (row.get("currency") or "NOK").upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise _Bad("currency", f"'{row.get('currency')}' is not a three-letter currency "
                       "code such as NOK or EUR")
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
}


def import_rows(dataset: Graph, kind: Kind, path: Path, rows: Iterable[Row], *,
                graph_slug: str, document: URIRef) -> Imported:
    """RDF for all rows, or RowErrors listing every bad row (then nothing is imported)."""
    importer = Importer(dataset, path, graph_slug, document)
    handler = HANDLERS[kind.name]
    errors: list[RowError] = []
    for row in rows:
        importer.row = row.number
        before = set(importer.out)
        try:
            handler(importer, row)
        except _Bad as bad:
            errors.append(RowError(path, row.number, bad.column, bad.reason))
            for triple in set(importer.out) - before:  # keep a bad row's half out of later rows
                importer.out.remove(triple)
    if errors:
        raise RowErrors(errors)
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
