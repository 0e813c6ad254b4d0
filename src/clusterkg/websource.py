"""Public web pages as sources: what a careful citation of a page not kept here needs.

A web source is a ck:WebSource whose IRI is the page's address (schema:url says it again),
with its title, publisher, publication date (and time where given), the date it was read, its
language, and - when the page reprints another's press release - the organisation whose
statement it is (ck:statementBy; pages with the same sender are not independent sources).

The metadata comes from options (--title, --publisher, --published ...) or from a sources
file: a CSV with one row per page (``url,title,publisher,published,retrieved,language,
statement_by``), so that a batch of press releases is described once and each import names
only its --source URL.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import CK, CKR, ORG, SCHEMA

SOURCES_COLUMNS = ("url", "title", "publisher", "published", "retrieved", "language",
                   "statement_by")
_WEB = re.compile(r"^https?://[^/?#\s]+([/?#]\S*)?$", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def is_web_address(text: str) -> bool:
    """An absolute http(s) URL: the kind of --source that makes a web source."""
    return bool(_WEB.match(text.strip().strip("<>")))


@dataclass(frozen=True)
class WebMeta:
    """What a citation of a web page records (see the module docstring)."""

    url: str
    title: str = ""
    publisher: str = ""
    published: str = ""
    retrieved: str = ""
    language: str = ""
    statement_by: tuple[str, ...] = field(default_factory=tuple)

    def merged(self, override: WebMeta) -> WebMeta:
        """This metadata with every field ``override`` fills in replaced (options over file)."""
        changes = {k: v for k, v in override.__dict__.items() if v and k != "url"}
        return replace(self, **changes)


def published_literal(text: str, what: str = "published") -> Literal:
    """A publication date as typed as the page gives it: date, date and time, or month."""
    text = text.strip()
    try:
        if _DATE.match(text):
            return Literal(date.fromisoformat(text), datatype=XSD.date)
        if _DATETIME.match(text):
            from datetime import datetime

            datetime.fromisoformat(text.replace("Z", "+00:00"))
            return Literal(text, datatype=XSD.dateTime)
        if _MONTH.match(text) and 1 <= int(text[5:7]) <= 12:
            return Literal(text, datatype=XSD.gYearMonth)
    except ValueError:
        pass
    raise ClusterKGError(f"{what} '{text}' is not a date: write YYYY-MM-DD, YYYY-MM-DDTHH:MM "
                         "(with the time the page gives) or YYYY-MM (only the month)")


def check(meta: WebMeta) -> WebMeta:
    """The metadata, complete and well-formed, or an error saying what is missing or wrong."""
    if not is_web_address(meta.url):
        raise ClusterKGError(f"'{meta.url}' is not an absolute http(s) address")
    missing = [name for name in ("title", "publisher", "published")
               if not getattr(meta, name).strip()]
    if missing:
        options = ", ".join(f"--{m}" for m in missing)
        raise ClusterKGError(
            f"the web source {meta.url} needs its {', '.join(missing)}: give {options}, or a "
            "--sources file with a row for it (columns: " + ",".join(SOURCES_COLUMNS) + ")"
        )
    published_literal(meta.published)
    retrieved = meta.retrieved or date.today().isoformat()
    if not _DATE.match(retrieved):
        raise ClusterKGError(f"retrieved '{retrieved}' is not a date (YYYY-MM-DD)")
    try:
        date.fromisoformat(retrieved)
    except ValueError:
        raise ClusterKGError(f"retrieved '{retrieved}' is not a date (YYYY-MM-DD)") from None
    language = meta.language or "nb"
    if not _LANGUAGE.match(language):
        raise ClusterKGError(f"language '{language}' is not a language code such as nb, nn or en")
    return replace(meta, retrieved=retrieved, language=language)


def read_sources_file(path: Path) -> dict[str, WebMeta]:
    """URL -> metadata from a sources file; a bad row is an error naming the row and column."""
    from clusterkg.delta import decode_utf8

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ClusterKGError(f"cannot read {path}: {exc.strerror or exc}") from exc
    text = decode_utf8(path, data)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows:
        raise ClusterKGError(f"{path}: empty; expected the header {','.join(SOURCES_COLUMNS)}")
    header = [h.strip().lower().replace(" ", "_").replace("-", "_") for h in rows[0]]
    unknown = [h for h in header if h not in SOURCES_COLUMNS]
    if unknown or "url" not in header:
        raise ClusterKGError(f"{path}: row 1: the columns are {','.join(SOURCES_COLUMNS)}"
                             + (f" (unknown: {unknown[0]})" if unknown else " (url is missing)"))
    found: dict[str, WebMeta] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        url = cells.get("url", "")
        if not is_web_address(url):
            raise ClusterKGError(f"{path}: row {number}, column url: '{url}' is not an absolute "
                                 "http(s) address")
        if cells.get("published"):
            try:
                published_literal(cells["published"])
            except ClusterKGError as exc:
                raise ClusterKGError(f"{path}: row {number}, column published: {exc}") from None
        found[url] = WebMeta(
            url=url, title=cells.get("title", ""), publisher=cells.get("publisher", ""),
            published=cells.get("published", ""), retrieved=cells.get("retrieved", ""),
            language=cells.get("language", ""),
            statement_by=tuple(s.strip() for s in cells.get("statement_by", "").split(";")
                               if s.strip()),
        )
    return found


def describe(meta: WebMeta, find: Callable[[str, tuple[URIRef, ...]], URIRef | None]) -> Graph:
    """The triples of a new web source; ``find(name, classes)`` resolves publisher and senders.

    ``find`` returns the IRI of a thing already called ``name`` (of one of ``classes``), or
    None; unknown publishers become ck:Publisher nodes, unknown senders organisations.
    """
    from clusterkg.sources import slugify

    node = URIRef(meta.url)
    graph = Graph()
    graph.add((node, RDF.type, CK.WebSource))
    graph.add((node, RDF.type, CK.SourceDocument))
    graph.add((node, RDFS.label, Literal(meta.title)))
    graph.add((node, DCTERMS.title, Literal(meta.title)))
    graph.add((node, SCHEMA.url, node))
    graph.add((node, DCTERMS.issued, published_literal(meta.published)))
    read = Literal(date.fromisoformat(meta.retrieved), datatype=XSD.date)
    graph.add((node, CK.retrievedOn, read))
    graph.add((node, DCTERMS.language, Literal(meta.language)))
    publisher = find(meta.publisher, (CK.Publisher, ORG.Organization))
    if publisher is None or str(publisher).startswith(str(CKR) + "publisher/"):
        # Each source graph names its publisher itself, so that no graph depends on another
        # for the name (removing one source never leaves a nameless publisher behind).
        publisher = publisher or CKR[f"publisher/{slugify(meta.publisher, 'publisher')}"]
        graph.add((publisher, RDFS.label, Literal(meta.publisher)))
    graph.add((publisher, RDF.type, CK.Publisher))
    graph.add((node, DCTERMS.publisher, publisher))
    for sender in meta.statement_by:
        org = find(sender, (ORG.Organization,))
        if org is None:
            org = CKR[slugify(sender, "organisation")]
            graph.add((org, RDF.type, ORG.FormalOrganization))
            graph.add((org, RDFS.label, Literal(sender)))
            graph.add((org, CK.sourceDocument, node))
        graph.add((node, CK.statementBy, org))
    return graph


def graph_slug(meta: WebMeta) -> str:
    """The file stem of a web source's graph: date, publisher and title, readable and sorted."""
    from clusterkg.sources import slugify

    return slugify(f"{meta.published[:10]} {meta.publisher} {meta.title}", "web-source")
