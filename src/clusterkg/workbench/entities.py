"""The page of every thing: at its IRI's own path for the project's IRIs (``/id/valide`` for
``https://w3id.org/clusterkg/id/valide``, so the ids resolve as Linked Data) and at
``/page?iri=`` for any IRI.

Browsers get HTML: the label in the reader's language, the kinds, and the facts grouped the
way a person reads them (level timeline, member counts with a chart, host, funding, people,
projects, places, memberships, other facts), each fact with its sources, the cited lines'
text, stated or inferred and why, and a visible mark where sources disagree. Machines get
the thing's description as Turtle, JSON-LD, N-Triples or RDF/XML by the Accept header (or
``?format=``). The facts are gathered in a query worker (clusterkg.workbench.facts); the
response carries a ``Server-Timing`` header for the benchmark.
"""

from __future__ import annotations

import time
import urllib.parse
from typing import TYPE_CHECKING, Any

from clusterkg.namespaces import CK, compact
from clusterkg.workbench import chart, search
from clusterkg.workbench.facts import (
    MORE,
    Description,
    Fact,
    Source,
    Value,
    describe,
    describe_rdf,
)
from clusterkg.workbench.labels import Vocabulary, document_lines, local_name, pick, texts_folder
from clusterkg.workbench.render import ID_BASE, entity_url, error_page, render, security_headers

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from clusterkg.workbench.site import Site

#: First path segments of the project's IRIs whose pages live at the IRI's own path.
ID_PATHS = ("id", "level", "level-change", "source", "graph", "activity", "emphasis",
            "location-role", "member-kind", "org-kind", "role", "ontology", "shapes")
RDF_TYPES = {"text/turtle": "turtle", "application/x-turtle": "turtle",
             "application/ld+json": "json-ld", "application/n-triples": "nt",
             "application/rdf+xml": "xml"}
FORMATS = {"ttl": "turtle", "turtle": "turtle", "jsonld": "json-ld", "json-ld": "json-ld",
           "nt": "nt", "ntriples": "nt", "rdf": "xml", "rdfxml": "xml"}
#: (group key, fact classes, heading en, heading nb), in the order a person reads them.
GROUPS = (
    ("levels", ("LevelAssignment",), "Level timeline", "Nivåhistorikk"),
    ("members", ("MemberCount",), "Member counts", "Medlemstall"),
    ("host", ("Hosting",), "Host", "Vertskap"),
    ("funding", ("Grant", "FundingTotal", "ProgrammeFunding", "AverageGrant", "ProgrammeBudget",
                 "ProgrammeOwnership"), "Owners, funders and grants",
     "Eiere, finansiering og tilskudd"),
    ("people", ("PostHolding",), "People and posts", "Personer og stillinger"),
    ("projects", ("ClusterProject",), "Projects", "Prosjekter"),
    ("places", ("Location",), "Places", "Steder"),
    ("memberships", ("Membership",), "Memberships", "Medlemskap"),
    ("focus", ("FocusStatement", "StrategyStatement"), "Focus and strategy",
     "Fokus og strategi"),
    ("names", ("Renaming",), "Names", "Navn"),
    ("other", (), "Other facts", "Andre fakta"),
)
DATE_PROPERTIES = (str(CK.observationDate), str(CK.date), str(CK.year))


def routes(site: Site) -> list[BaseRoute]:
    from starlette.routing import Route

    async def by_path(request: Request) -> Response:
        iri = ID_BASE + urllib.parse.unquote(request.url.path.lstrip("/"))
        return await thing(site, request, iri)

    async def by_iri(request: Request) -> Response:
        iri = request.query_params.get("iri", "").strip()
        if not iri:
            return error_page(request, 400, _t(request, "Give the thing's IRI: /page?iri=...",
                                               "Oppgi tingens IRI: /page?iri=..."))
        return await thing(site, request, iri)

    found: list[BaseRoute] = [Route("/page", by_iri)]
    found += [Route(f"/{segment}/{{rest:path}}", by_path) for segment in ID_PATHS]
    return found + search.routes(site)


def _t(request: Request, en: str, nb: str) -> str:
    from clusterkg.workbench.render import language

    return nb if language(request) == "nb" else en


async def thing(site: Site, request: Request, iri: str) -> Response:
    """The thing's page, or its description as RDF, or the 404 page."""
    from starlette.responses import Response

    from clusterkg.iricheck import iri_problem
    from clusterkg.serve import HTTPProblem, negotiate

    started = time.perf_counter()
    problem = iri_problem(iri)
    if problem is not None:
        return error_page(request, 400, _t(request, f"Not an IRI: {problem}.",
                                           f"Ikke en IRI: {problem}."))
    wanted = request.query_params.get("format", "").lower()
    fmt = FORMATS.get(wanted)
    if fmt is None and wanted not in ("", "html"):
        return error_page(request, 400, "format: " + ", ".join(["html", *FORMATS]))
    if fmt is None and wanted != "html":
        offers = ["text/html", "application/xhtml+xml", *RDF_TYPES]
        chosen = negotiate(request.headers.get("accept"), offers)
        if chosen is None:
            return error_page(request, 406, "acceptable: " + ", ".join(offers), )
        fmt = RDF_TYPES.get(chosen)
    try:
        if fmt is not None:
            body = await site.run(request, describe_rdf, iri, fmt)
        else:
            found = await site.run(request, describe, iri)
    except HTTPProblem as exc:
        return error_page(request, exc.status, exc.message)
    worker = (time.perf_counter() - started) * 1000
    if fmt is not None:
        if body is None:
            return error_page(request, 404, _unknown(request, iri))
        from clusterkg.serve import GRAPH_CONTENT

        headers = {**security_headers(), "Vary": "Accept",
                   "Server-Timing": f"worker;dur={worker:.1f}"}
        return Response(body, media_type=GRAPH_CONTENT[fmt], headers=headers)
    if found is None:
        return error_page(request, 404, _unknown(request, iri))
    response = render(request, "entity.html", page_context(site, request, found))
    total = (time.perf_counter() - started) * 1000
    response.headers["Server-Timing"] = f"worker;dur={worker:.1f}, total;dur={total:.1f}"
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    return response


def _unknown(request: Request, iri: str) -> str:
    return _t(request, f"The graph says nothing about {iri}.",
              f"Grafen sier ingenting om {iri}.")


# --- what the page shows -------------------------------------------------------------------


class Shower:
    """Turns the worker's plain description into what the template prints, in one language."""

    def __init__(self, site: Site, lang: str) -> None:
        self.lang = lang
        self.vocabulary = vocabulary(site)
        folder = texts_folder(site.root)
        self.lines = document_lines(folder) if folder is not None else {}

    def term(self, iri: str) -> str:
        return self.vocabulary.label(iri, self.lang)

    def value(self, value: Value) -> dict[str, Any]:
        if value.datatype == MORE:
            more = {"en": f"… and {value.text} more", "nb": f"… og {value.text} til"}[self.lang]
            return {"text": more, "url": None, "lang": None}
        if value.iri is None:
            text = value.text
            if value.datatype and value.datatype.endswith("#boolean"):
                text = {"true": ("yes", "ja"), "false": ("no", "nei")}.get(text, (text, text))[
                    self.lang == "nb"]
            return {"text": text, "url": None, "lang": value.language}
        label = pick(value.labels, self.lang)
        details = "; ".join(f"{self.term(p)} {v}" for p, v in value.details)
        if not label and details:  # a period without a name: its dates say it
            label, details = details, ""
        if not label:
            label = self.term(value.iri) if self.vocabulary.known(value.iri) else (
                local_name(value.iri))
        if details:
            label += f" ({details})"
        return {"text": label, "url": entity_url(value.iri), "lang": None}

    def source(self, source: Source) -> dict[str, Any]:
        text = self.lines.get(source.file or "", [])
        return {
            "label": pick(source.labels, self.lang, source.file or source.url or source.iri),
            "page": entity_url(source.iri),
            "url": source.url if source.url and source.url.startswith(("http:", "https:"))
            else None,
            "file": source.file,
            "date": source.issued or (
                f"{source.estimate} ({self.mode_word()})" if source.estimate else None),
            "lines": [(n, text[n - 1] if 0 < n <= len(text) else None) for n in source.lines],
        }

    def mode_word(self) -> str:
        return "utledet" if self.lang == "nb" else "inferred"

    def mode(self, mode: str | None, reasons: dict[str, str]) -> dict[str, Any] | None:
        if mode is None:
            return None
        return {"label": self.term(mode), "inferred": mode == str(CK.inferred),
                "reason": pick(reasons, self.lang) if reasons else ""}

    def fact(self, fact: Fact) -> dict[str, Any]:
        return {
            "iri": fact.iri,
            "page": entity_url(fact.iri) if not fact.iri.startswith("_:") else None,
            "kind": ", ".join(self.term(t) for t in fact.types) or compact(fact.iri),
            "parts": [(self.term(p), self.value(v)) for p, v in fact.values],
            "when": fact_date(fact),
            "sources": [self.source(s) for s in fact.sources],
            "mode": self.mode(fact.mode, fact.reasons),
            "conflicts": fact.conflicts,
        }


def vocabulary(site: Site) -> Vocabulary:
    cached = getattr(site, "_vocabulary", None)
    if cached is None:
        cached = Vocabulary(site.endpoint.ontology())
        site._vocabulary = cached  # type: ignore[attr-defined]
    return cached


def fact_date(fact: Fact) -> str:
    """When a fact holds, as far as the fact itself says: a date, else its period's start."""
    for predicate, value in fact.values:
        if predicate in DATE_PROPERTIES:
            return value.text
    for _, value in fact.values:
        for part, text in value.details:
            if part == str(CK.startDate):
                return text
    return ""


def group_of(fact: Fact) -> str:
    names = {local_name(t) for t in fact.types}
    for key, classes, _, _ in GROUPS:
        if names & set(classes):
            return key
    return "other"


def page_context(site: Site, request: Request, found: Description) -> dict[str, Any]:
    from clusterkg.workbench.render import language

    lang = language(request)
    show = Shower(site, lang)
    label = pick({k: v[0] for k, v in found.labels.items()}, lang) or local_name(found.iri)
    grouped: dict[str, list[Fact]] = {}
    for fact in found.facts:
        grouped.setdefault(group_of(fact), []).append(fact)
    sections = []
    for key, _, en, nb in GROUPS:
        facts = grouped.get(key, [])
        if not facts or key == "members":
            continue
        shown = [show.fact(f) for f in facts]
        for fact in shown:
            fact["published"] = _first_source_date(fact) if not fact["when"] else ""
        shown.sort(key=lambda f: (f["when"] or f["published"], f["kind"], f["iri"]))
        sections.append({"key": key, "title": nb if lang == "nb" else en, "facts": shown})
    members = member_rows(show, grouped.get("members", []))
    sources_by_iri = {s.iri: s for f in found.facts for s in f.sources}
    for row in members:
        row["conflicts"] = [
            {"value": value, "source": show.source(sources_by_iri[other])["label"]
             if other in sources_by_iri else other}
            for mine, value, other in row.pop("raw_conflicts") if mine == row["source_iri"]]
    counts = chart.build([(r["kind"], r["date"], float(r["count"]), r["title"])
                          for r in members if _is_number(r["count"])])
    labels_all = sorted({text for values in found.labels.values() for text in values})
    return {
        "iri": found.iri,
        "label": label,
        "other_labels": [x for x in labels_all if x != label],
        "alt_labels": found.alt_labels,
        "kinds": [(show.term(t), t) for t in found.types],
        "values": [(show.term(p), show.value(v)) for p, v in found.values],
        "sources": [show.source(s) for s in found.sources],
        "own_mode": show.mode(found.mode, found.reasons),
        "sections": sections,
        "members": members,
        "chart": counts,
        "mentions": [(show.term(p), show.value(v)) for _, p, v in found.mentions],
        "more_facts": found.more_facts,
        "more_mentions": found.more_mentions,
        "conflict_count": sum(1 for r in members if r["conflicts"]),
        "formats": [("Turtle", "ttl"), ("JSON-LD", "jsonld"), ("N-Triples", "nt")],
        "self_url": entity_url(found.iri),
    }


def _first_source_date(fact: dict[str, Any]) -> str:
    """The earliest date of a fact's sources: when it was known, if not when it holds."""
    return min((s["date"] for s in fact["sources"] if s["date"]), default="")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def member_rows(show: Shower, facts: list[Fact]) -> list[dict[str, Any]]:
    """One row per member count and source: the counts of all sources side by side, sorted
    by kind and date, each row with the disagreements that concern its source."""
    rows = []
    for fact in facts:
        values = dict(fact.values)
        kind_value = values.get(str(CK.memberKind))
        kind = show.value(kind_value)["text"] if kind_value else "?"
        count = values.get(str(CK["count"]))
        approximate = values.get(str(CK.approximate))
        observed = values.get(str(CK.observationDate))
        for source in fact.sources or [Source("")]:
            shown = show.source(source)
            date = observed.text if observed else (source.issued or source.estimate or "")
            rows.append({
                "kind": kind,
                "count": count.text if count else "",
                "approximate": bool(approximate and approximate.text == "true"),
                "date": date,
                "date_shown": date if observed or source.issued else (
                    f"{date} ({show.mode_word()})" if date else ""),
                "source": shown,
                "source_iri": source.iri,
                "mode": show.mode(fact.mode, fact.reasons),
                "fact": fact.iri,
                "fact_page": entity_url(fact.iri),
                "title": f"{kind}: {count.text if count else '?'} ({shown['label']})",
                "raw_conflicts": fact.conflicts,
            })
    rows.sort(key=lambda r: (r["kind"], chart.year_of(r["date"]) or 0, r["source"]["label"]))
    return rows
