"""The browser workbench of ``clusterkg serve``: a page per thing, search, a form per named
question, a SPARQL editor, a checker for new facts, the ecosystem view, sources and stats.

Server-side HTML from Jinja2 templates (clusterkg/workbench/templates) on the endpoint's
Starlette app, with a little JavaScript of our own (clusterkg/static/workbench.js) and
third-party assets fetched from the npm registry by scripts/fetch-assets and shipped in the
wheel. Every page reads the graph through the query workers (Site.run), so the endpoint's
rules hold here too: read-only, time-limited, nothing fetched. A strict Content-Security-Policy
keeps every request of a page on this server.

Each page module exposes ``routes(site) -> list[BaseRoute]``; this package joins them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from clusterkg.serve import Endpoint


def workbench_routes(endpoint: Endpoint, root: str | None) -> list[BaseRoute]:
    """The workbench's routes and /static, for the endpoint's app."""
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    from clusterkg.workbench import check, editor, entities, overview, questions
    from clusterkg.workbench.site import Site

    site = Site(endpoint, root)
    routes: list[BaseRoute] = []
    for module in (overview, entities, questions, editor, check):
        routes += module.routes(site)
    routes.append(Mount("/static", StaticFiles(packages=[("clusterkg", "static")]),
                        name="static"))
    return routes
