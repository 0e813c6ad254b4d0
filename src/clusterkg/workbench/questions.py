"""Workbench pages: the named questions (queries/*.rq), one form each, answered as a table.

Each form comes from the query's ``#+`` header (clusterkg.catalog): a field per parameter
with its description, type and default. Values are checked here, field by field, so a bad
one comes back next to its field; they are then bound as RDF terms in a query worker, never
pasted into the query, exactly as ``clusterkg query NAME -p ...`` does. The CSV and JSON
downloads are rendered by clusterkg.results, so they equal the command's output.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import compact
from clusterkg.serve import HTTPProblem
from clusterkg.workbench.render import entity_url, error_page, language, render

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from clusterkg.catalog import NamedQuery, Param
    from clusterkg.workbench.site import Site

#: Rows shown on a page; the downloads have them all.
SHOWN_ROWS = 1000
#: Query-string keys that are the page's own, not query parameters.
PAGE_KEYS = ("lang", "run")
#: What each parameter type expects, for the field's help and its error (en, nb).
TYPE_HINTS = {
    "iri": ("an IRI: <https://…>, https://… or a prefixed name such as ckr:x",
            "en IRI: <https://…>, https://… eller et prefiksnavn som ckr:x"),
    "entity": ("a name (label) such as “Validé”, or an IRI",
               "et navn (etikett) som «Validé», eller en IRI"),
    "string": ("text", "tekst"),
    "integer": ("a whole number", "et heltall"),
    "decimal": ("a number such as 2.5", "et tall som 2.5"),
    "date": ("a date, YYYY-MM-DD", "en dato, ÅÅÅÅ-MM-DD"),
    "boolean": ("true or false", "true eller false"),
}
DOWNLOADS = {"csv": "text/csv; charset=utf-8",
             "json": "application/sparql-results+json; charset=utf-8",
             "rq": "application/sparql-query; charset=utf-8"}


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, the page it links to, its language and full IRI."""

    text: str
    href: str | None = None
    lang: str | None = None
    iri: str | None = None


@dataclass(frozen=True)
class Field:
    """One form field, from a parameter of the query header."""

    param: Param
    value: str
    error: str | None

    @property
    def input_type(self) -> str:
        return {"integer": "number", "date": "date"}.get(self.param.type, "text")


def routes(site: Site) -> list[BaseRoute]:
    from starlette.routing import Route

    async def index(request: Request) -> Response:
        try:
            queries = named_queries(site)
        except ClusterKGError as exc:
            return error_page(request, 500, exc.message)
        lang = language(request)
        return render(request, "questions.html",
                      {"queries": [(q, *_about(q, lang)) for q in queries]})

    async def question(request: Request) -> Response:
        named = _find(site, request.path_params["name"])
        if named is None:
            return _unknown(request)
        return await _form_page(site, request, named)

    async def download(request: Request) -> Response:
        from starlette.responses import PlainTextResponse, Response

        named = _find(site, request.path_params["name"])
        fmt = request.path_params["ext"]
        if named is None or fmt not in DOWNLOADS:
            return PlainTextResponse(f"no such question or format: {request.url.path}\n",
                                     status_code=404)
        if fmt == "rq":
            return Response(named.text, media_type=DOWNLOADS["rq"])
        given, errors = check_params(named, request.query_params, "en")
        if errors:
            return PlainTextResponse("\n".join(errors.values()) + "\n", status_code=400)
        try:
            outcome = await site.run(request, answer, str(named.path), given, fmt)
        except HTTPProblem as exc:
            return PlainTextResponse(exc.message + "\n", status_code=exc.status)
        if outcome[0] != "ok":
            return PlainTextResponse(outcome[-1] + "\n", status_code=400)
        return Response(outcome[1], media_type=DOWNLOADS[fmt], headers={
            "Content-Disposition": f'attachment; filename="{named.name}.{fmt}"'})

    return [Route("/questions", index),
            Route("/questions/{name}.{ext}", download),
            Route("/questions/{name}", question)]


async def _form_page(site: Site, request: Request, named: NamedQuery) -> Response:
    lang = language(request)
    given, errors = check_params(named, request.query_params, lang)
    asked = "run" in request.query_params or bool(given) or bool(errors)
    context: dict[str, Any] = {
        "q": named, "about": _about(named, lang), "fields": [], "problem": None,
        "hints": TYPE_HINTS,
        "result": None, "asked": asked, "downloads": {}, "editor_url":
        "/editor?" + urllib.parse.urlencode({"example": named.name})}
    status = 200
    if asked and not errors:
        try:
            outcome = await site.run(request, answer, str(named.path), dict(given), "rows")
        except HTTPProblem as exc:
            context["problem"], status = exc.message, exc.status
        else:
            if outcome[0] == "param":
                errors[outcome[1]] = _label_problem(outcome[2], given[outcome[1]], lang)
            elif outcome[0] == "problem":
                context["problem"], status = outcome[1], 400
            else:
                context["result"] = shown(*outcome[1:])
                query = urllib.parse.urlencode(given)
                context["downloads"] = {
                    fmt: f"/questions/{named.name}.{fmt}" + ("?" + query if query else "")
                    for fmt in ("csv", "json")}
    if errors:
        status = 400
    context["fields"] = [
        Field(p, request.query_params.get(p.name, p.default or "") if asked else
              (p.default or ""), errors.get(p.name)) for p in named.params.values()]
    context["unknown"] = errors.get("")
    return render(request, "question.html", context, status)


def _unknown(request: Request) -> Response:
    lang = language(request)
    return error_page(request, 404, "Det finnes ikke noe spørsmål med det navnet; se /questions"
                      if lang == "nb" else "There is no question by that name; see /questions")


def named_queries(site: Site) -> list[NamedQuery]:
    """The project's named queries, read again on each request (cheap; edits show)."""
    from clusterkg.catalog import list_queries
    from clusterkg.paths import find_home

    return list_queries(find_home(site.root))


def _find(site: Site, name: str) -> NamedQuery | None:
    return next((q for q in named_queries(site) if q.name == name), None)


def _about(named: NamedQuery, lang: str) -> tuple[str, str, str | None]:
    """Summary and description in ``lang`` when the header has them (``summary_nb``,
    ``description_nb``), else as written; and the language to mark them with if it differs."""
    from clusterkg.catalog import parse_header

    if lang == "nb":
        header = parse_header(named.text, named.name)
        summary, description = header.get("summary_nb"), header.get("description_nb")
        if summary or description:
            return (" ".join(str(summary or named.summary).split()),
                    " ".join(str(description or named.description).split()), None)
        return named.summary, named.description, "en"
    return named.summary, named.description, None


def check_params(named: NamedQuery, given: Mapping[str, str],
                 lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """The non-empty values of the declared parameters, and a message per bad field (key ""
    for a parameter the query does not have). An empty field means "not given", as if the
    parameter were left out on the command line: its default, or unbound."""
    from clusterkg.catalog import convert

    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key in given:
        if key not in named.params and key not in PAGE_KEYS:
            errors[""] = (f"«{named.name}» har ingen parameter «{key}»" if lang == "nb" else
                          f"the question '{named.name}' has no parameter '{key}'")
    for param in named.params.values():
        raw = given.get(param.name, "")
        if not raw.strip():
            if param.required and param.default is None:
                errors[param.name] = ("Dette feltet må fylles ut" if lang == "nb" else
                                      "This field is required")
            continue
        try:
            convert(param, raw)
        except ClusterKGError as exc:
            errors[param.name] = (f"Ventet {TYPE_HINTS[param.type][1]}, fikk «{raw}»"
                                  if lang == "nb" else exc.message)
            continue
        values[param.name] = raw
    return values, errors


def _label_problem(message: str, label: str, lang: str) -> str:
    """The worker's message about a label that names nothing or several things, in ``lang``."""
    if lang != "nb":
        return message
    if "nothing found" in message:
        return (f"Fant ingenting med navnet «{label}» (rdfs:label, skos:prefLabel, "
                "skos:altLabel; nøyaktig treff, store og små bokstaver likt)")
    candidates = message.partition(" entities: ")[2].partition("; pass")[0]
    return f"«{label}» passer med flere ting: {candidates}; bruk en av disse IRI-ene"


# --- in a query worker ------------------------------------------------------------------------


def answer(path: str, given: dict[str, str], fmt: str) -> tuple[Any, ...]:
    """In a worker: what ``clusterkg query PATH -p NAME=VALUE... -f FMT`` computes.

    ``fmt`` "rows" gives (ok, kind, variables, rows, boolean, turtle) for the page, at most
    SHOWN_ROWS rows plus the total; "csv" or "json" the rendered text. A label that names
    nothing or several things is ("param", name, message); any other refusal ("problem",
    message). Exceptions do not cross the process boundary; values do.
    """
    from clusterkg.catalog import LabelRef, coerce_params, find_entity, load_query
    from clusterkg.querypool import worker_dataset
    from clusterkg.results import render as render_result
    from clusterkg.store import run_query

    dataset = worker_dataset()
    try:
        named = load_query(Path(path))
        values = coerce_params(named, given)
    except ClusterKGError as exc:
        return ("problem", exc.message)
    bindings: dict[str, Node] = {}
    for name, value in values.items():
        if isinstance(value, LabelRef):
            try:
                bindings[name] = find_entity(dataset, value)
            except ClusterKGError as exc:
                return ("param", name, exc.message)
        else:
            bindings[name] = value
    try:
        result = run_query(dataset, named.text, bindings, name=str(named.path))
        if fmt != "rows":
            return ("ok", render_result(result, fmt, named.columns))
    except ClusterKGError as exc:
        return ("problem", exc.message)
    turtle = (result.graph.serialize(format="turtle")
              if result.graph is not None and result.kind not in ("SELECT", "ASK") else None)
    return ("ok", result.kind, result.variables, result.rows[:SHOWN_ROWS], len(result.rows),
            result.boolean, turtle)


# --- results as a table -----------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A result as the page shows it."""

    kind: str
    columns: list[str]
    rows: list[list[Cell]]
    total: int
    boolean: bool | None
    turtle: str | None


def shown(kind: str, variables: list[str], rows: Sequence[Sequence[Node | None]], total: int,
          boolean: bool | None, turtle: str | None) -> Shown:
    columns, cells = table(variables, rows)
    return Shown(kind, columns, cells, total, boolean, turtle)


def table(variables: Sequence[str],
          rows: Sequence[Sequence[Node | None]]) -> tuple[list[str], list[list[Cell]]]:
    """Columns and cells: an IRI column with a ``…Label`` column is shown as that label,
    linked to the thing's page; other IRIs compacted and linked; columns empty in every row
    left out. Like the command's table, but nothing is cut short."""
    index = {name: i for i, name in enumerate(variables)}
    folded = {name for name in variables if f"{name}Label" in index}
    keep = [name for name in variables if name not in folded
            and any(row[index[name]] is not None
                    or (name.endswith("Label") and name[:-5] in folded
                        and row[index[name[:-5]]] is not None) for row in rows)]
    body = []
    for row in rows:
        cells = []
        for name in keep:
            term = row[index[name]]
            target = row[index[name[:-5]]] if name.endswith("Label") and name[:-5] in folded \
                else None
            cells.append(cell(term, target))
        body.append(cells)
    return keep, body


def cell(term: Node | None, target: Node | None = None) -> Cell:
    """A term for people: literals as text (with their language), IRIs compacted and
    linked to their page; ``target`` is the thing a label names."""
    link = target if isinstance(target, URIRef) else None
    if term is None:
        return cell(link) if link is not None else Cell("")
    if isinstance(term, URIRef):
        return Cell(compact(str(term)), entity_url(str(term)), None, str(term))
    if isinstance(term, BNode):
        return Cell(f"_:{term}")
    language_tag = term.language if isinstance(term, Literal) else None
    return Cell(str(term), entity_url(str(link)) if link is not None else None, language_tag,
                str(link) if link is not None else None)
