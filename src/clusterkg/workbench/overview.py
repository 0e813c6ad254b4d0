"""Workbench pages about the whole graph: the home page (what the graph holds, where to go),
the sources (``clusterkg sources`` as a table), the statistics (``clusterkg stats``) and the
interactive ecosystem view of ``clusterkg export -f html``, served with a link from every
node to its page.

Each page's numbers are computed in a query worker, by the same functions as the commands
(clusterkg.sources.list_sources, clusterkg.stats.compute, clusterkg.netgraph), so the
browser and the command line always agree.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from clusterkg.namespaces import compact
from clusterkg.workbench.render import entity_url, error_page, render

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from clusterkg.workbench.site import Site

#: The ecosystem view draws at most this many nodes (a browser cannot lay out a million).
MAX_GRAPH_NODES = 3000
MAX_CLUSTERS = 300

_COUNTS = """
PREFIX ck: <https://w3id.org/clusterkg/ontology#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
SELECT (COUNT(DISTINCT ?cluster) AS ?clusters) (COUNT(DISTINCT ?organisation) AS ?organisations)
       (COUNT(DISTINCT ?person) AS ?people) (COUNT(DISTINCT ?document) AS ?sources)
       (COUNT(DISTINCT ?fact) AS ?facts)
WHERE {
  { ?cluster a ck:Cluster }
  UNION { ?organisation a ?kind . ?kind rdfs:subClassOf* org:FormalOrganization }
  UNION { ?person a ck:Person }
  UNION { ?document a ck:SourceDocument }
  UNION { ?fact ck:assertionMode ?mode }
}
"""
_CLUSTERS = """
PREFIX ck: <https://w3id.org/clusterkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?cluster (SAMPLE(?name) AS ?label) WHERE {
  ?cluster a ck:Cluster .
  OPTIONAL { ?cluster rdfs:label ?name FILTER(LANG(?name) = "" || LANGMATCHES(LANG(?name), ?lang)) }
}
GROUP BY ?cluster
ORDER BY LCASE(STR(?label))
LIMIT 301
"""


def routes(site: Site) -> list[BaseRoute]:
    from rdflib import Literal
    from starlette.routing import Route

    from clusterkg.serve import HTTPProblem
    from clusterkg.workbench.render import language

    async def home(request: Request) -> Response:
        try:
            counts = await site.select(request, _COUNTS)
            clusters = await site.select(request, _CLUSTERS,
                                         {"lang": Literal(language(request))})
        except HTTPProblem as exc:
            return error_page(request, exc.status, exc.message)
        numbers = {k: int(v) for k, v in (counts[0] if counts else {}).items()}
        shown = [{"label": str(row.get("label") or compact(str(row["cluster"]))),
                  "url": entity_url(str(row["cluster"]))} for row in clusters[:MAX_CLUSTERS]]
        return render(request, "home.html", {"numbers": numbers, "clusters": shown,
                                             "more_clusters": len(clusters) > MAX_CLUSTERS})

    async def sources(request: Request) -> Response:
        try:
            rows = await site.run(request, source_rows, str(site.root) if site.root else None)
        except HTTPProblem as exc:
            return error_page(request, exc.status, exc.message)
        return render(request, "sources.html", {"sources": rows})

    async def stats(request: Request) -> Response:
        try:
            numbers = await site.run(request, stats_numbers,
                                     str(site.root) if site.root else None)
        except HTTPProblem as exc:
            return error_page(request, exc.status, exc.message)
        from clusterkg.workbench.entities import vocabulary
        from clusterkg.workbench.render import language

        words, lang = vocabulary(site), language(request)
        classes = [(words.label(c, lang), compact(c), entity_url(c), n)
                   for c, n in numbers["classes"]]
        graphs = [(compact(g), entity_url(g), n) for g, n in numbers["graphs"]]
        return render(request, "stats.html", {**numbers, "classes": classes, "graphs": graphs})

    async def graph(request: Request) -> Response:
        from clusterkg.workbench.render import language

        try:
            data, nodes = await site.run(request, graph_document, language(request))
        except HTTPProblem as exc:
            return error_page(request, exc.status, exc.message)
        return render(request, "graph.html", {"nodes": nodes, "too_big": data is None,
                                              "limit": MAX_GRAPH_NODES})

    async def graph_json(request: Request) -> Response:
        """The page's data, fetched by graphview.js: no inline script, no HTML escaping."""
        from starlette.responses import Response

        from clusterkg.workbench.render import language, security_headers

        try:
            data, _ = await site.run(request, graph_document, language(request))
        except HTTPProblem as exc:
            return error_page(request, exc.status, exc.message)
        if data is None:
            return error_page(request, 413, f"more than {MAX_GRAPH_NODES} nodes")
        return Response(data, media_type="application/json", headers=security_headers())

    return [Route("/", home), Route("/sources", sources), Route("/stats", stats),
            Route("/graph", graph), Route("/graph.json", graph_json)]


# --- in a worker -----------------------------------------------------------------------------


def _home(root: str | None) -> Any:
    from clusterkg.paths import find_home

    return find_home(root)


def source_rows(root: str | None) -> list[dict[str, Any]]:
    """`clusterkg sources`, as rows for the table."""
    from clusterkg.querypool import worker_dataset
    from clusterkg.sources import list_sources

    rows = []
    for info in list_sources(worker_dataset(), _home(root)):
        status = ["original"] if info.original else []
        rows.append({
            "graph": compact(str(info.graph)), "graph_url": entity_url(str(info.graph)),
            "file": info.file.name if info.file else None,
            "labels": info.labels, "triples": info.triples,
            "source": info.url or info.derived_label or info.derived_file_name or (
                compact(str(info.derived_from)) if info.derived_from else ""),
            "source_url": entity_url(str(info.derived_from)) if info.derived_from else None,
            "web": info.url, "publisher": info.publisher or "",
            "published": info.published or "", "original": info.original,
            "statement_by": info.statement_by, "status": status,
            "replaces": [compact(str(g)) for g in info.replaces],
            "replaced_by": [compact(str(g)) for g in info.replaced_by],
        })
    return rows


def stats_numbers(root: str | None) -> dict[str, Any]:
    """`clusterkg stats`, as plain numbers."""
    from clusterkg.querypool import worker_dataset
    from clusterkg.stats import compute

    numbers = compute(worker_dataset(), _home(root))
    coverage = numbers.coverage
    return {
        "classes": [(str(c), n) for c, n in numbers.instances_per_class],
        "graphs": [(str(g), n) for g, n in numbers.triples_per_graph],
        "source_graphs": numbers.source_graphs,
        "conflicts": numbers.conflicts,
        "coverage": None if coverage is None else coverage.__dict__,
    }


@cache
def graph_document(lang: str) -> tuple[str | None, int]:
    """The ecosystem as the HTML export draws it (Cytoscape.js JSON) and its number of
    nodes; None past MAX_GRAPH_NODES. Built once per worker and language."""
    import json

    from clusterkg.export import to_cytoscape
    from clusterkg.netgraph import to_networkx
    from clusterkg.querypool import worker_dataset

    dataset = worker_dataset()
    named = _named_things(dataset, MAX_GRAPH_NODES + 1)
    if named > MAX_GRAPH_NODES:  # counted before projecting, which would take minutes
        return None, named
    graph = to_networkx(dataset, lang=lang)
    if graph.number_of_nodes() > MAX_GRAPH_NODES:
        return None, graph.number_of_nodes()
    document = to_cytoscape(graph, positions=True)
    document["data"]["title"] = "clusterkg"
    return json.dumps(document, ensure_ascii=False), graph.number_of_nodes()


def _named_things(dataset: Any, limit: int) -> int:
    """How many things have a label, counting no further than ``limit``: about as many as
    the ecosystem view has nodes (facts become edges)."""
    from itertools import islice

    from rdflib.namespace import RDFS

    from clusterkg.workbench.facts import Reader

    seen: set[Any] = set()
    for subject, _, _ in islice(Reader(dataset).triples(None, RDFS.label, None), 4 * limit):
        seen.add(subject)
        if len(seen) >= limit:
            break
    return len(seen)
