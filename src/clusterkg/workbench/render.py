"""HTML pages from Jinja2 templates, in the reader's language, with a strict security policy.

Everything from the data is escaped (autoescape); the Content-Security-Policy allows scripts,
styles, images and fetches from this server only, so no page can send a request elsewhere or
run an injected inline script.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from clusterkg import __version__

if TYPE_CHECKING:
    import jinja2
    from starlette.requests import Request
    from starlette.responses import HTMLResponse

LANGUAGES = ("en", "nb")
#: The project's own IRIs: their pages are at the IRI's path on this server (Linked Data).
ID_BASE = "https://w3id.org/clusterkg/"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def language(request: Request) -> str:
    """``?lang=`` if given, else the ``lang`` cookie, else the browser's Accept-Language
    (nb, no and nn read Norwegian), else English."""
    asked = request.query_params.get("lang") or request.cookies.get("lang")
    if asked in LANGUAGES:
        return asked
    for part in (request.headers.get("accept-language") or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith(("nb", "no", "nn")):
            return "nb"
        if tag.startswith("en"):
            return "en"
    return "en"


def entity_url(iri: str) -> str:
    """The workbench page of a thing: the IRI's own path for the project's IRIs
    (``https://w3id.org/clusterkg/id/valide`` -> ``/id/valide``), else ``/page?iri=...``."""
    if iri.startswith(ID_BASE) and "#" not in iri and "?" not in iri:
        return "/" + urllib.parse.quote(iri[len(ID_BASE):], safe="/-._~")
    return "/page?" + urllib.parse.urlencode({"iri": iri})


@cache
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("clusterkg.workbench", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(entity_url=entity_url, version=__version__)
    return env


def render(request: Request, template: str, context: Mapping[str, Any] | None = None,
           status: int = 200) -> HTMLResponse:
    """The page ``template`` with ``context``, plus ``lang``, ``t(en, nb)`` (the text in the
    reader's language), ``path`` and ``lang_url(code)`` (this page in another language)."""
    from starlette.responses import HTMLResponse

    lang = language(request)

    def t(en: str, nb: str) -> str:
        return nb if lang == "nb" else en

    def lang_url(code: str) -> str:
        query = dict(request.query_params)
        query["lang"] = code
        return request.url.path + "?" + urllib.parse.urlencode(query)

    body = environment().get_template(template).render(
        {**(context or {}), "lang": lang, "t": t, "path": request.url.path,
         "lang_url": lang_url})
    response = HTMLResponse(body, status_code=status, headers=security_headers())
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="strict")
    return response


def security_headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Vary": "Accept, Accept-Language, Cookie"}


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """The workbench's page for a problem (bad input, time limit, busy), with its message."""
    return render(request, "error.html", {"status": status, "message": message}, status)
