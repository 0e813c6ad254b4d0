"""Find things by name: ``/api/search?q=`` (JSON, for the suggestions as you type) and
``/search?q=`` (a page of results, which works without JavaScript).

Names are every rdfs:label, skos:prefLabel, skos:altLabel, skos:hiddenLabel and schema:name,
compared case- and accent-insensitively ("valide" finds "Validé"): a whole name first, then
names that start with the words typed, then names with a word that does, then any substring.
Each worker builds its index of names once (the dataset never changes while serving), so a
keystroke costs one pass over a list of strings, not a query.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from clusterkg.namespaces import CK, SCHEMA

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from clusterkg.workbench.site import Site

LIMIT = 20
MAX_QUERY = 200
_NAMES = (RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, SCHEMA.name)
_MAIN = frozenset({RDFS.label, SKOS.prefLabel, SCHEMA.name})
#: Named nodes that are parts of facts, not things to look for.
_NOT_THINGS = frozenset({CK.Period, CK.SourceGraph, CK.SourceLine})


def fold(text: str) -> str:
    """Lower case without accents: "Validé" and "valide" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


@dataclass
class Entry:
    iri: str
    labels: dict[str, str]  # language -> main label
    names: list[tuple[str, str, bool]]  # (folded name, name, is a main label)
    blob: str = ""  # every folded name, for a quick first test


@cache
def index() -> list[Entry]:
    """In a worker: every named IRI, built on first use from the name triples alone (one
    pass over each name property; a million-triple graph has some 50 000 names)."""
    from clusterkg.querypool import worker_dataset
    from clusterkg.workbench.facts import Reader

    reader = Reader(worker_dataset())
    entries: dict[str, Entry] = {}
    for predicate in _NAMES:
        main = predicate in _MAIN
        for subject, _, name in reader.triples(None, predicate, None):
            if not isinstance(subject, URIRef) or not isinstance(name, Literal):
                continue
            entry = entries.setdefault(str(subject), Entry(str(subject), {}, []))
            text = str(name)
            if main:
                entry.labels.setdefault(name.language or "", text)
            folded = fold(text)
            if predicate != SKOS.hiddenLabel or all(n != folded for n, _, _ in entry.names):
                entry.names.append((folded, text, main))
    for entry in entries.values():
        entry.blob = "\n".join(n for n, _, _ in entry.names)
    return sorted(entries.values(), key=lambda e: e.iri)


def find(query: str, limit: int = LIMIT) -> list[dict[str, Any]]:
    """In a worker: up to ``limit`` things whose names match, best first; fact nodes and
    periods (which have labels too) are left out."""
    from clusterkg.querypool import worker_dataset
    from clusterkg.workbench.facts import Reader

    wanted = fold(query)[:MAX_QUERY]
    if not wanted:
        return []
    ranked = []
    for entry in index():
        if wanted not in entry.blob:
            continue
        best = None
        for folded, name, main in entry.names:
            if folded == wanted:
                rank = 0
            elif folded.startswith(wanted):
                rank = 1
            elif " " + wanted in " " + folded:  # from the start of a word on
                rank = 2
            elif wanted in folded:
                rank = 3
            else:
                continue
            key = (rank, not main, len(folded), name)
            if best is None or key < best[0]:
                best = (key, name)
        if best is not None:
            ranked.append((best[0], entry, best[1]))
    ranked.sort(key=lambda item: (item[0], item[1].iri))
    reader = Reader(worker_dataset())
    found = []
    for _, entry, name in ranked:
        node = URIRef(entry.iri)
        kinds = reader.objects(node, RDF.type)
        if _NOT_THINGS.intersection(kinds) or reader.objects(node, CK.assertionMode):
            continue
        found.append({"iri": entry.iri, "labels": entry.labels, "matched": name,
                      "kinds": sorted(str(k) for k in kinds)})
        if len(found) == limit:
            break
    return found


def routes(site: Site) -> list[BaseRoute]:
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from clusterkg.serve import HTTPProblem
    from clusterkg.workbench.render import error_page, language, render, security_headers

    async def results(request: Request) -> list[dict[str, Any]]:
        from clusterkg.workbench.entities import vocabulary
        from clusterkg.workbench.labels import local_name, pick
        from clusterkg.workbench.render import entity_url

        query = request.query_params.get("q", "")
        found = await site.run(request, find, query) if query.strip() else []
        words = vocabulary(site)
        lang = language(request)
        shown = []
        for hit in found:
            label = pick(hit["labels"], lang) or hit["matched"] or local_name(hit["iri"])
            shown.append({
                "label": label, "iri": hit["iri"], "url": entity_url(hit["iri"]),
                "matched": hit["matched"] if hit["matched"] != label else None,
                "kind": ", ".join(words.label(k, lang) for k in hit["kinds"]),
                "kinds": hit["kinds"],
            })
        return shown

    async def api(request: Request) -> Response:
        try:
            shown = await results(request)
        except HTTPProblem as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status,
                                headers=security_headers())
        return JSONResponse({"query": request.query_params.get("q", ""), "results": shown},
                            headers=security_headers())

    async def page(request: Request) -> Response:
        try:
            shown = await results(request)
        except HTTPProblem as exc:
            return error_page(request, exc.status, exc.message)
        return render(request, "search.html",
                      {"query": request.query_params.get("q", ""), "results": shown})

    return [Route("/api/search", api), Route("/search", page)]
