"""A read-only SPARQL 1.1 Protocol endpoint over the embedded graph, and the ontology page.

Built on Starlette (routing, requests, responses) and served by uvicorn: no hand-rolled HTTP.
Queries go through the same ``run_query`` as the CLI, so answers match ``clusterkg query``.

* ``/sparql``: GET ``?query=``, POST form-encoded ``query=`` or a direct
  ``application/sparql-query`` body. SELECT/ASK as SPARQL JSON, XML, CSV or TSV and
  CONSTRUCT/DESCRIBE as Turtle, JSON-LD, N-Triples or RDF/XML, by the Accept header (or a
  ``format``/``output`` parameter, as Virtuoso and Fuseki accept). Updates are refused (403).
* ``/ontology``: the ontology graph as Turtle, JSON-LD, N-Triples, RDF/XML or a simple HTML
  page of its classes and properties, by content negotiation (``/ontology.ttl`` etc. too).

Read-only means more than "no update": a query may not make the server fetch anything
(``SERVICE`` is refused on the parsed query, clusterkg.queryguard; ``FROM`` loads nothing),
and the dataset is fixed, the union of its named graphs as default graph. Queries run in
worker processes with a time limit (clusterkg.querypool), so one expensive or crashing query
stalls neither the other requests nor the server's shutdown. docs/security.md says what the
endpoint promises and how the tests hold it to that.
"""

from __future__ import annotations

import html
import ipaddress
import socket
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rdflib import Dataset, Graph, Literal, URIRef, Variable
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from clusterkg import __version__
from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import CK, ONTOLOGY_GRAPH, bind_prefixes, compact
from clusterkg.queryguard import MAX_CHARS
from clusterkg.results import to_csv, to_json, to_tsv
from clusterkg.store import Result, named_graphs

if TYPE_CHECKING:
    from clusterkg.querypool import QueryPool

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

ONTOLOGY_IRI = "https://w3id.org/clusterkg/ontology"
JSON_RESULTS = "application/sparql-results+json"
XML_RESULTS = "application/sparql-results+xml"
#: Media type -> (rdflib result serialiser or our own, Content-Type sent)
RESULT_TYPES = {
    JSON_RESULTS: "json",
    "application/json": "json",
    XML_RESULTS: "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
RESULT_CONTENT = {
    "json": JSON_RESULTS,
    "xml": XML_RESULTS,
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}
#: Media type -> rdflib serialiser name, for graphs
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/rdf+xml": "xml",
}
GRAPH_CONTENT = {
    "turtle": "text/turtle; charset=utf-8",
    "json-ld": "application/ld+json",
    "nt": "application/n-triples",
    "xml": "application/rdf+xml",
}
#: ``format=`` / ``output=`` short names
SHORT_NAMES = {
    "json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv",
    "turtle": "turtle", "ttl": "turtle", "json-ld": "json-ld", "jsonld": "json-ld",
    "nt": "nt", "ntriples": "nt", "n-triples": "nt", "rdf": "xml", "rdfxml": "xml",
    "rdf+xml": "xml",
}
ONTOLOGY_EXTENSIONS = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml",
                       "html": "html"}
READ_ONLY = (
    "this SPARQL endpoint is read-only: SPARQL Update is not accepted "
    "(change the project's files and run `clusterkg serve` again)"
)
#: The largest request body read (a query of MAX_CHARS characters, form-encoded, fits).
MAX_BODY = 4 * MAX_CHARS


class HTTPProblem(Exception):
    """An error answer: status and one plain-text line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class SparqlRequest:
    """What a SPARQL Protocol request asks, whichever way it was sent."""

    query: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    format: str | None


# --- content negotiation ---------------------------------------------------------------------


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges with their q-values, best first (order kept among equals)."""
    if not header:
        return [("*/*", 1.0)]
    ranges = []
    for index, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((index, media, q))
    ranges.sort(key=lambda r: (-r[2], r[0]))
    return [(media, q) for _, media, q in ranges]


def negotiate(header: str | None, offers: Sequence[str]) -> str | None:
    """The first offer (ours are in preference order) that the best acceptable range allows."""
    for media, q in parse_accept(header):
        if q <= 0:
            continue
        if media == "*/*":
            return offers[0]
        if media.endswith("/*"):
            major = media[:-1]
            for offer in offers:
                if offer.startswith(major):
                    return offer
        elif media in offers:
            return media
    return None


# --- the application ---------------------------------------------------------------------------


class Endpoint:
    """What the routes share: the dataset's graph names, its ontology, the query workers.

    The server process keeps no dataset of its own: queries go to the workers, and the
    ontology is copied out once at start, so /ontology never waits for a query.
    """

    def __init__(self, dataset: Dataset, pool: QueryPool) -> None:
        self.graphs = frozenset(str(g) for g in named_graphs(dataset))
        self.pool = pool
        ontology = Graph(bind_namespaces="core")
        bind_prefixes(ontology)
        ontology += dataset.graph(ONTOLOGY_GRAPH)
        self._ontology = ontology

    def check_dataset(self, request: SparqlRequest) -> None:
        for given, kind in ((request.default_graphs, "default"), (request.named_graphs, "named")):
            if given and set(given) != self.graphs:
                raise HTTPProblem(
                    400,
                    f"{kind}-graph-uri: this endpoint serves one fixed dataset, whose default "
                    "graph is the union of all its named graphs; name all of them or none "
                    "(use GRAPH <...> in the query to pick one)",
                )

    async def answer(self, request: SparqlRequest, accept: str | None,
                     gone: Any) -> tuple[bytes, str]:
        """The rendered answer, from a worker; every failure an HTTPProblem."""
        from clusterkg.querypool import _answer

        self.check_dataset(request)
        kind, first, second = await self.run(_answer, request.query, request.format, accept,
                                             gone=gone)
        if kind == "problem":
            raise HTTPProblem(first, second)
        return first, second

    async def run(self, function: Any, *args: Any, gone: Any = None) -> Any:
        """``function(*args)`` in a query worker (QueryPool.run); the pool's refusals and
        failures become HTTPProblems that say what to do."""
        from clusterkg.querypool import Busy, Crashed, Gone, Stopping, TimedOut

        try:
            return await self.pool.run(function, *args, gone=gone)
        except Busy as exc:
            raise HTTPProblem(503, f"busy: {self.pool.capacity} queries are running or "
                              "waiting; try again in a moment") from exc
        except TimedOut as exc:
            raise HTTPProblem(503, f"the query ran longer than this endpoint's limit of "
                              f"{self.pool.timeout:g} s and was stopped; narrow it (LIMIT, "
                              "more specific patterns), or run it with `clusterkg query`, "
                              "which has no limit") from exc
        except Crashed as exc:
            raise HTTPProblem(400, f"the query engine crashed on this query ({exc}); it was "
                              "stopped, and the endpoint goes on") from exc
        except Gone as exc:
            raise HTTPProblem(499, "the client went away; the query was stopped") from exc
        except Stopping as exc:
            raise HTTPProblem(503, "the server is stopping; the query was stopped") from exc

    def ontology(self) -> Graph:
        return self._ontology


def create_app(dataset: Dataset, pool: QueryPool, root: str | None = None) -> Starlette:
    """The Starlette application: /sparql, /ontology, and the browser workbench
    (clusterkg.workbench) for the project at ``root``."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import HTMLResponse, PlainTextResponse, Response
    from starlette.routing import Route

    from clusterkg.workbench import workbench_routes

    endpoint = Endpoint(dataset, pool)

    def problem(exc: HTTPProblem) -> Response:
        headers = {"Allow": "GET, POST"} if exc.status == 405 else None
        if exc.status == 503 and exc.message.startswith("busy"):
            headers = {"Retry-After": "1"}
        return PlainTextResponse(exc.message + "\n", status_code=exc.status, headers=headers)

    async def sparql(request: Request) -> Response:
        try:
            asked = await read_request(request)
            body, content_type = await endpoint.answer(asked, request.headers.get("accept"),
                                                       request.is_disconnected)
        except HTTPProblem as exc:
            return problem(exc)
        return Response(body, media_type=content_type, headers={"Vary": "Accept"})

    async def update(request: Request) -> Response:
        return problem(HTTPProblem(403, READ_ONLY))

    async def ontology(request: Request) -> Response:
        ext = request.path_params.get("ext")
        if ext is not None:
            fmt = ONTOLOGY_EXTENSIONS.get(ext)
            if fmt is None:
                known = " ".join(f".{x}" for x in ONTOLOGY_EXTENSIONS)
                return problem(HTTPProblem(404, f"no /ontology.{ext}; try {known}"))
        else:
            offers = ["text/turtle", "text/html", "application/xhtml+xml", *GRAPH_TYPES]
            chosen = negotiate(request.headers.get("accept"), offers)
            if chosen is None:
                return problem(HTTPProblem(406, "acceptable: " + ", ".join(offers)))
            is_html = chosen in ("text/html", "application/xhtml+xml")
            fmt = "html" if is_html else GRAPH_TYPES[chosen]
        graph = endpoint.ontology()
        headers = {"Vary": "Accept"}
        if fmt == "html":
            return HTMLResponse(ontology_html(graph), headers=headers)
        body = await run_in_threadpool(_serialize, graph, fmt)
        return Response(body, media_type=GRAPH_CONTENT[fmt], headers=headers)

    async def index(request: Request) -> Response:
        return HTMLResponse(INDEX_HTML.format(version=html.escape(__version__)))

    return Starlette(routes=[
        *workbench_routes(endpoint, root),  # first: its "/" replaces the bare index
        Route("/", index),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/update", update, methods=["GET", "POST"]),
        Route("/ontology", ontology),
        Route("/ontology.{ext}", ontology),
    ])


async def read_request(request: Request) -> SparqlRequest:
    """The query and dataset parameters of a GET, form POST or direct POST (SPARQL 1.1
    Protocol section 2.1); update attempts and malformed requests become HTTP problems."""
    params = urllib.parse.parse_qs(request.url.query, keep_blank_values=True)
    query: list[str] = params.get("query", [])
    if request.method == "POST":
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        body = await read_body(request)
        if content_type == "application/sparql-update":
            raise HTTPProblem(403, READ_ONLY)
        if content_type == "application/x-www-form-urlencoded":
            try:
                form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True,
                                             strict_parsing=False)
            except UnicodeDecodeError as exc:
                raise HTTPProblem(400, "the form is not UTF-8") from exc
            for key, values in form.items():
                params.setdefault(key, []).extend(values)
            query = params.get("query", [])
        elif content_type == "application/sparql-query":
            try:
                query = [*query, body.decode("utf-8")]
            except UnicodeDecodeError as exc:
                raise HTTPProblem(400, "the query is not UTF-8") from exc
        else:
            raise HTTPProblem(
                415, "POST a query as application/x-www-form-urlencoded (query=...) or as "
                "application/sparql-query",
            )
    if "update" in params:
        raise HTTPProblem(403, READ_ONLY)
    if len(query) != 1 or not query[0].strip():
        raise HTTPProblem(
            400, "give exactly one query: GET /sparql?query=..., or POST it (form or "
            "application/sparql-query)",
        )
    wanted = next((v for key in ("format", "output") for v in params.get(key, [])), None)
    return SparqlRequest(
        query=query[0],
        default_graphs=tuple(params.get("default-graph-uri", [])),
        named_graphs=tuple(params.get("named-graph-uri", [])),
        format=wanted,
    )


async def read_body(request: Request) -> bytes:
    """The request body, refused (413) past MAX_BODY bytes without reading it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPProblem(413, f"the request body is over {MAX_BODY} bytes; queries are limited "
                          f"to {MAX_CHARS} characters")
    from starlette.requests import ClientDisconnect

    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise HTTPProblem(413, f"the request body is over {MAX_BODY} bytes; queries "
                                  f"are limited to {MAX_CHARS} characters")
            chunks.append(chunk)
    except ClientDisconnect:  # gone mid-body: nothing to answer, nothing to log
        raise HTTPProblem(499, "the client went away before the end of its request") from None
    return b"".join(chunks)


def render_result(result: Result, wanted: str | None, accept: str | None) -> tuple[bytes, str]:
    """The body and Content-Type for a result, by ``format=`` if given, else by Accept."""
    if result.kind in ("SELECT", "ASK"):
        fmt = _choose(wanted, accept, RESULT_TYPES, ("json", "xml", "csv", "tsv"))
        if fmt == "xml":
            return results_xml(result), RESULT_CONTENT["xml"]
        if result.kind == "ASK":  # CSV/TSV for ASK are not W3C formats: Fuseki's shape
            text = {
                "json": '{"head": {}, "boolean": ' + _ask(result) + "}\n",
                "csv": f"_askResult\r\n{_ask(result)}\r\n",
                "tsv": f"?_askResult\n{_ask(result)}\n",
            }[fmt]
        else:
            text = {"json": to_json, "csv": to_csv, "tsv": to_tsv}[fmt](result)
        return text.encode("utf-8"), RESULT_CONTENT[fmt]
    fmt = _choose(wanted, accept, GRAPH_TYPES, ("turtle", "json-ld", "nt", "xml"))
    graph = result.graph if result.graph is not None else Graph()
    return _serialize(graph, fmt), GRAPH_CONTENT[fmt]


def _choose(wanted: str | None, accept: str | None, types: dict[str, str],
            allowed: Sequence[str]) -> str:
    if wanted:
        short = SHORT_NAMES.get(wanted.lower()) or types.get(wanted.lower().split(";")[0])
        if short in allowed:
            return short
    chosen = negotiate(accept, list(types))
    if chosen is None:
        raise HTTPProblem(406, "acceptable here: " + ", ".join(types))
    return types[chosen]


def _ask(result: Result) -> str:
    return "true" if result.boolean else "false"


def results_xml(result: Result) -> bytes:
    """SPARQL Query Results XML, by rdflib's serialiser."""
    from rdflib.query import Result as RdflibResult

    if result.kind == "ASK":
        answer = RdflibResult("ASK")
        answer.askAnswer = bool(result.boolean)
    else:
        answer = RdflibResult("SELECT")
        variables = [Variable(v) for v in result.variables]
        answer.vars = variables
        answer.bindings = [
            {var: term for var, term in zip(variables, row, strict=True) if term is not None}
            for row in result.rows
        ]
    return answer.serialize(format="xml") or b""


def _serialize(graph: Graph, fmt: str) -> bytes:
    data = graph.serialize(format=fmt, encoding="utf-8")
    return data if isinstance(data, bytes) else data.encode("utf-8")


# --- the ontology as HTML ----------------------------------------------------------------------

TERM_KINDS = (
    ("Classes", (OWL.Class, RDFS.Class)),
    ("Object properties", (OWL.ObjectProperty,)),
    ("Datatype properties", (OWL.DatatypeProperty,)),
    ("Annotation properties", (OWL.AnnotationProperty,)),
    ("Other properties", (RDF.Property,)),
)


def _text(graph: Graph, node: URIRef, predicates: Sequence[URIRef], lang: str) -> str:
    for predicate in predicates:
        for value in sorted(graph.objects(node, predicate), key=str):
            if isinstance(value, Literal) and (value.language or "").lower().startswith(lang):
                return str(value)
    return ""


def ontology_html(graph: Graph) -> str:
    """A plain page: the ontology's title and description, then one table per kind of term
    with English and Norwegian labels and definitions. Anchors are the terms' local names,
    so ``.../ontology#Cluster`` lands on the row."""
    onto = URIRef(ONTOLOGY_IRI)
    title = _text(graph, onto, (DCTERMS.title, RDFS.label), "en") or "clusterkg ontology"
    about = _text(graph, onto, (DCTERMS.description, RDFS.comment), "en")
    e = html.escape
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{e(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:80em}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;"
        "padding:.3em;vertical-align:top;text-align:left}code{font-size:90%}</style>",
        "</head>", "<body>", f"<h1>{e(title)}</h1>", f"<p><code>{e(ONTOLOGY_IRI)}</code></p>",
    ]
    if about:
        parts.append(f"<p>{e(about)}</p>")
    parts.append('<p>Also as <a href="/ontology.ttl">Turtle</a>, '
                 '<a href="/ontology.jsonld">JSON-LD</a>, <a href="/ontology.nt">N-Triples</a>.'
                 "</p>")
    seen: set[URIRef] = set()
    for heading, kinds in TERM_KINDS:
        terms = sorted(
            {t for k in kinds for t in graph.subjects(RDF.type, k)
             if isinstance(t, URIRef) and str(t).startswith(str(CK)) and t not in seen},
            key=str,
        )
        if not terms:
            continue
        seen.update(terms)
        parts += [f"<h2>{e(heading)} ({len(terms)})</h2>", "<table>",
                  "<tr><th>term</th><th>label (en)</th><th>label (nb)</th>"
                  "<th>definition (en)</th><th>definition (nb)</th></tr>"]
        for term in terms:
            local = str(term)[len(str(CK)):]
            cells = [
                _text(graph, term, (RDFS.label, SKOS.prefLabel), "en"),
                _text(graph, term, (RDFS.label, SKOS.prefLabel), "nb"),
                _text(graph, term, (SKOS.definition, RDFS.comment), "en"),
                _text(graph, term, (SKOS.definition, RDFS.comment), "nb"),
            ]
            parts.append(
                f'<tr id="{e(local)}"><td><code>{e(compact(str(term)))}</code></td>'
                + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>"
            )
        parts.append("</table>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


INDEX_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>clusterkg</title></head>
<body><h1>clusterkg {version}</h1>
<ul>
<li><a href="/sparql">/sparql</a>: read-only SPARQL 1.1 endpoint
 (GET or POST <code>query</code>)</li>
<li><a href="/ontology">/ontology</a>: the ontology (HTML, Turtle, JSON-LD by Accept)</li>
</ul></body></html>
"""


# --- running it --------------------------------------------------------------------------------


def listen(host: str, port: int) -> socket.socket:
    """A bound, listening socket; a taken port or unknown host is a one-line error."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ClusterKGError(f"cannot listen on {host}: {exc.strerror}") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ClusterKGError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


def is_loopback(sock: socket.socket) -> bool:
    """Whether the socket only accepts connections from this machine."""
    address = sock.getsockname()[0]
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def base_url(sock: socket.socket) -> str:
    """``http://host:port`` for the bound socket (IPv6 in brackets)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class Stopped(Exception):
    """SIGTERM, re-raised by uvicorn after its graceful shutdown."""


def _stopped(signum: int, frame: object) -> None:
    raise Stopped


def run(app: Any, sock: socket.socket, on_stop: Any = None) -> None:
    """Serve until SIGINT/SIGTERM. ``on_stop`` is called on the signal, so that running
    queries end at once (clusterkg.querypool); requests still open after one second are
    cancelled.

    uvicorn shuts down on SIGTERM and then raises the signal again for the handler it found;
    with the default one the process would die there, before the caller stops its workers
    and cleans up. So SIGTERM gets a handler that ends this function instead: exit 0.
    """
    import signal

    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            server_header=False, timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    if on_stop is not None:
        handle_exit = server.handle_exit

        def stopping(signum: int, frame: Any) -> None:
            on_stop()
            handle_exit(signum, frame)

        server.handle_exit = stopping  # type: ignore[method-assign]
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        server.run(sockets=[sock])
    except Stopped:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)

