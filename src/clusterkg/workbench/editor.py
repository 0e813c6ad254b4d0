"""Workbench page: a SPARQL editor, read-only exactly like /sparql.

A plain form (a textarea, POST /editor) that works without JavaScript; editor.js turns the
textarea into CodeMirror 5 with the SPARQL mode when the vendored copy is there. The query
goes through the endpoint's own path (serve.read_request, Endpoint.answer: the same guard,
worker, time limit and refusals as /sparql), asked for SPARQL JSON, which the page shows as
a table with links; an ASK as yes/no, a graph as Turtle.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import PREFIXES
from clusterkg.serve import JSON_RESULTS, READ_ONLY, HTTPProblem, SparqlRequest, read_request
from clusterkg.workbench.questions import SHOWN_ROWS, Shown, named_queries, table
from clusterkg.workbench.render import render

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from clusterkg.workbench.site import Site

EXAMPLE = """SELECT ?cluster ?label WHERE {
  ?cluster a ck:Cluster ;
           rdfs:label ?label .
}
ORDER BY ?label
LIMIT 20
"""
#: The vendored CodeMirror 5 files the page loads when they are there (scripts/fetch-assets).
CODEMIRROR = ("lib/codemirror.js", "mode/sparql/sparql.js", "addon/edit/matchbrackets.js")
# The prologue (PREFIX, BASE, comments) and then an update's first keyword: such a text is
# refused as read-only before it runs (the engine would refuse it too, as a syntax error).
_PROLOGUE = re.compile(r"(?:\s|#[^\n]*|(?:PREFIX\s+[^\s:<]*:\s*|BASE\s*)<[^>]*>)*", re.I)
_UPDATE = re.compile(r"(?:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.I)


def routes(site: Site) -> list[BaseRoute]:
    from starlette.routing import Route

    async def editor(request: Request) -> Response:
        examples = [q.name for q in named_queries(site)]
        example = request.query_params.get("example")
        context: dict[str, Any] = {
            "examples": examples, "example": example, "result": None, "problem": None,
            "codemirror": codemirror_present(), "query": default_query()}
        if example in examples:
            context["query"] = next(q.text for q in named_queries(site) if q.name == example)
        if request.method == "GET" and "query" not in request.query_params:
            return render(request, "editor.html", context)
        status = 200
        try:
            asked = await read_request(request)
            context["query"] = asked.query
            context["result"] = await run(site, request, asked)
        except HTTPProblem as exc:
            context["problem"], status = exc.message, exc.status
        return render(request, "editor.html", context, status)

    return [Route("/editor", editor, methods=["GET", "POST"])]


def default_query() -> str:
    """Every prefix of the project, then a small example."""
    width = max(len(p) for p in PREFIXES)
    lines = [f"PREFIX {p + ':':<{width + 1}} <{iri}>" for p, iri in PREFIXES.items()]
    return "\n".join(lines) + "\n\n" + EXAMPLE


@cache
def codemirror_present() -> bool:
    folder = files("clusterkg") / "static" / "vendor" / "codemirror"
    return all((folder / name).is_file() for name in CODEMIRROR)


def is_update(text: str) -> bool:
    """Whether the text reads as a SPARQL Update (its first keyword after the prologue)."""
    start = _PROLOGUE.match(text)
    return bool(_UPDATE.match(text, start.end() if start else 0))


async def run(site: Site, request: Request, asked: SparqlRequest) -> Shown:
    """The answer as /sparql gives it (SPARQL JSON, or Turtle for a graph), made a table."""
    if is_update(asked.query):
        raise HTTPProblem(403, READ_ONLY)
    asked = SparqlRequest(asked.query, asked.default_graphs, asked.named_graphs, "json")
    body, content_type = await site.endpoint.answer(asked, None, request.is_disconnected)
    text = body.decode("utf-8")
    if not content_type.startswith(JSON_RESULTS):
        return Shown("CONSTRUCT", [], [], 0, None, text)
    document = json.loads(text)
    if "boolean" in document:
        return Shown("ASK", [], [], 0, bool(document["boolean"]), None)
    variables = document["head"]["vars"]
    bindings = document["results"]["bindings"]
    rows = [tuple(term(b[v]) if v in b else None for v in variables)
            for b in bindings[:SHOWN_ROWS]]
    columns, cells = table(variables, rows)
    return Shown("SELECT", columns, cells, len(bindings), None, None)


def term(value: dict[str, str]) -> Node:
    """One term of SPARQL JSON results as an rdflib term."""
    kind = value.get("type")
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind in ("literal", "typed-literal"):
        return Literal(value["value"], lang=value.get("xml:lang"),
                       datatype=value.get("datatype") if "xml:lang" not in value else None)
    raise ClusterKGError(f"unknown term in the results: {value!r}")

