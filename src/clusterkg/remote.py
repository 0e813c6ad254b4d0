"""A client for remote SPARQL 1.1 servers (Virtuoso, Oxigraph, Fuseki, GraphDB...).

SPARQLWrapper builds the protocol requests (form-encoded POST, Accept header, query type);
sending them is done here with urllib so that one place owns what SPARQLWrapper's own
``query()`` hides or gets wrong for us: the response headers (Virtuoso says it truncated a
result only in ``X-SPARQL-MaxRows``), the server's error text (to quote its first line), the
auth scheme chosen from the server's challenge (Virtuoso wants digest, others basic; digest
in SPARQLWrapper installs a process-wide opener), timeouts and retries with backoff.
Redirects are not followed: urllib would re-send a POST elsewhere as a GET without the query
(ending in "malformed results"), so a redirect is reported with its target instead. Only a
refused or dropped connection and HTTP 502/503/504 are retried; a TLS certificate that does not
verify never gets better by asking again.

The project's graphs are named (one per source, plus ontology and shapes), so every query is
sent with ``default-graph-uri`` and ``named-graph-uri`` for exactly those graphs: that makes
the server's default graph the union of our graphs, as in the embedded store, and keeps out
whatever else the server holds (Virtuoso's default graph includes its system triples).

Every failure becomes a one-line ClusterKGError (exit 2). Credentials come from
CLUSTERKG_USER / CLUSTERKG_PASSWORD or ~/.netrc, never from the command line, and are never
printed.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import netrc
import os
import re
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.term import Node

from clusterkg import __version__
from clusterkg.catalog import LABEL_PREDICATES, LabelRef, NamedQuery
from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import CKG, bind_prefixes, compact
from clusterkg.store import Result, new_dataset
from clusterkg.terms import iri, ntriples

log = logging.getLogger(__name__)

ENV_USER = "CLUSTERKG_USER"
ENV_PASSWORD = "CLUSTERKG_PASSWORD"
AUTH_SCHEMES = ("auto", "basic", "digest")
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_PREFIX = str(CKG)
TRANSIENT_STATUS = frozenset({502, 503, 504})
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
#: Accept header for CONSTRUCT / DESCRIBE: N-Triples first, because its blank node labels
#: can be kept across pages (see Client.fetch_graph).
RDF_ACCEPT = "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8, application/ld+json;q=0.5"
_RDF_FORMATS = {
    "application/n-triples": "nt",
    "text/plain": "nt",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}
_TAGS = re.compile(r"<[^>]+>")
# Comments, IRIs and strings: where keyword-like words must not be taken for keywords.
_NOT_KEYWORDS = re.compile(
    r'#[^\n]*|<[^<>"{}|^`\\\s]*>|"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
)
_FORM = re.compile(
    r"(?<![?$:\w])(SELECT|ASK|CONSTRUCT|DESCRIBE|INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY"
    r"|MOVE|ADD|WITH)(?![\w:])",
    re.IGNORECASE,
)
UPDATE_FORMS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE",
                          "ADD", "WITH"})
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_BNODE_LABEL = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class Options:
    """How to talk to one server: its query URL and the knobs the CLI exposes."""

    endpoint: str
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    auth: str = "auto"
    graph_prefix: str = DEFAULT_PREFIX
    #: The server's row limit when known (Virtuoso: ResultSetMaxRows): a result with exactly
    #: that many rows is taken as truncated.
    max_rows: int | None = None
    allow_partial: bool = False


@dataclass(frozen=True)
class Answer:
    """One HTTP response, fully read."""

    status: int
    headers: Message
    body: bytes

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class Credentials:
    """A user name and password, and where they came from (for messages, never the values)."""

    user: str
    password: str = field(repr=False)
    origin: str


def credentials(url: str) -> Credentials | None:
    """CLUSTERKG_USER/CLUSTERKG_PASSWORD if set, else the ~/.netrc entry for the URL's host."""
    user, password = os.environ.get(ENV_USER), os.environ.get(ENV_PASSWORD)
    if user or password:
        if not (user and password):
            missing = ENV_PASSWORD if user else ENV_USER
            raise ClusterKGError(f"{missing} is not set (set both {ENV_USER} and {ENV_PASSWORD})")
        return Credentials(user, password, f"${ENV_USER}/${ENV_PASSWORD}")
    host = urllib.parse.urlsplit(url).hostname
    if not host:
        return None
    try:
        entry = netrc.netrc().authenticators(host)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except netrc.NetrcParseError as exc:
        raise ClusterKGError(f"cannot read ~/.netrc: {exc.msg} (line {exc.lineno})") from exc
    except OSError as exc:
        raise ClusterKGError(f"cannot read ~/.netrc: {exc.strerror or exc}") from exc
    if entry is None or not entry[0] or not entry[2]:
        return None
    return Credentials(entry[0], entry[2] or "", "~/.netrc")


def display_url(url: str) -> str:
    """The URL without user info or query string, for messages."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def first_line(body: bytes, limit: int = 300) -> str:
    """The first non-empty line of a server's error text (HTML tags dropped), shortened."""
    text = body.decode("utf-8", errors="replace")
    if "<html" in text[:500].lower() or "<body" in text[:2000].lower():
        text = _TAGS.sub("\n", re.sub(r"(?is)<(head|style|script).*?</\1>", "", text))
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return ""


def without_literals(text: str) -> str:
    """The SPARQL text with comments, IRIs and strings blanked out, for keyword checks."""
    return _NOT_KEYWORDS.sub(" ", text)


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT, DESCRIBE or an update keyword: the first one outside comments,
    IRIs and strings (SPARQLWrapper's own guess trips over words in ``#`` comments)."""
    match = _FORM.search(without_literals(text))
    return match.group(1).upper() if match else "SELECT"


def check_url(url: str, what: str = "--endpoint") -> str:
    """Refuse anything but an absolute http(s) URL early, with a clear message."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ClusterKGError(f"{what} must be an http:// or https:// URL, got '{url}'")
    if parts.username or parts.password:
        raise ClusterKGError(
            f"{what}: put no credentials in the URL; use ${ENV_USER}/${ENV_PASSWORD} or ~/.netrc"
        )
    return url


class Client:
    """One server: SPARQL queries, updates and Graph Store requests, with auth and retries."""

    def __init__(self, options: Options, *, sleep: Callable[[float], None] = time.sleep) -> None:
        check_url(options.endpoint)
        self.options = options
        self._sleep = sleep
        self._openers: dict[str, tuple[urllib.request.OpenerDirector, Credentials | None]] = {}
        self._graphs: list[str] | None = None

    # --- HTTP ----------------------------------------------------------------------------

    def _opener(self, url: str) -> tuple[urllib.request.OpenerDirector, Credentials | None]:
        """An opener per URL; with credentials it answers the server's auth challenge."""
        if url in self._openers:
            return self._openers[url]
        creds = credentials(url)
        handlers: list[urllib.request.BaseHandler] = []
        if creds is not None:
            scheme = self.options.auth
            if scheme == "basic":  # sent up front: no extra round trip
                prior = urllib.request.HTTPPasswordMgrWithPriorAuth()
                prior.add_password(None, url, creds.user, creds.password, is_authenticated=True)
                handlers.append(urllib.request.HTTPBasicAuthHandler(prior))
            else:
                manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
                manager.add_password(None, url, creds.user, creds.password)
                if scheme == "auto":  # each handler answers only a challenge of its scheme
                    handlers.append(urllib.request.HTTPBasicAuthHandler(manager))
                handlers.append(urllib.request.HTTPDigestAuthHandler(manager))
        opener = urllib.request.build_opener(*handlers, _NoRedirect())
        self._openers[url] = (opener, creds)
        return self._openers[url]

    def send(self, make: Callable[[], urllib.request.Request], what: str) -> Answer:
        """Send a request (built afresh per attempt); retry transient failures with backoff."""
        first = make()
        url = first.full_url.split("?", 1)[0]
        opener, creds = self._opener(url)
        where = display_url(url)
        attempts = self.options.retries + 1
        for attempt in range(attempts):
            request = first if attempt == 0 else make()
            last = attempt == attempts - 1
            try:
                with opener.open(request, timeout=self.options.timeout) as response:
                    return Answer(response.status, response.headers, response.read())
            except urllib.error.HTTPError as exc:
                body = _read_error(exc)
                if exc.code in REDIRECT_STATUS:
                    raise self._redirected(exc, url, where, what) from None
                if exc.code in TRANSIENT_STATUS and not last:
                    self._backoff(attempt, f"{where} answered HTTP {exc.code}")
                    continue
                raise _http_error(exc.code, body, where, what, creds, attempts) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                if _is_timeout(reason):
                    raise ClusterKGError(
                        f"{where} did not answer the {what} within {self.options.timeout:g} s "
                        "(raise --timeout; the server may still be working on it)"
                    ) from None
                if isinstance(reason, ssl.SSLError):
                    raise _tls_error(reason, where) from None
                if _is_transient(reason) and not last:
                    self._backoff(attempt, f"cannot reach {where} yet")
                    continue
                tries = f" after {attempt + 1} attempts" if attempt else ""
                raise ClusterKGError(
                    f"cannot reach SPARQL server {where}{tries}: {_describe(reason)} "
                    "(is the server running and the URL right?)"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _redirected(self, exc: urllib.error.HTTPError, url: str, where: str,
                    what: str) -> ClusterKGError:
        """Where the server sent us, as the URL to give instead (never followed unasked)."""
        location = exc.headers.get("Location") if exc.headers else None
        option = "--endpoint" if url == self.options.endpoint.split("?", 1)[0] else (
            "--update-endpoint")
        if not location:
            return ClusterKGError(
                f"{where} redirected the {what} (HTTP {exc.code}) without saying where to"
            )
        target = display_url(urllib.parse.urljoin(url, location))
        return ClusterKGError(
            f"{where} redirected the {what} to {target} (HTTP {exc.code}); redirects are not "
            f"followed (a query is never re-sent elsewhere unasked): use that URL with {option}"
        )

    def _backoff(self, attempt: int, why: str) -> None:
        delay = min(0.5 * 2**attempt, 8.0)
        log.debug("%s; retrying in %.1f s", why, delay)
        self._sleep(delay)

    # --- SPARQL queries and updates -------------------------------------------------------

    def _wrapper(self, url: str) -> Any:
        from SPARQLWrapper import POST, SPARQLWrapper

        wrapper = SPARQLWrapper(url, updateEndpoint=url, agent=f"clusterkg/{__version__}")
        wrapper.setMethod(POST)  # form-encoded: Virtuoso hangs on a direct sparql-query POST
        wrapper.setOnlyConneg(True)  # the Accept header only, no format=/output= guesses
        return wrapper

    def query(self, text: str, graphs: Sequence[str] | None = None, *, what: str = "query",
              strict: bool = True) -> Result:
        """Run a query over ``graphs`` (default: our graphs on the server) into a Result.

        SELECT/ASK come as SPARQL JSON (XML is flaky with Virtuoso), CONSTRUCT/DESCRIBE as
        N-Triples. ``strict`` refuses a truncated result unless --allow-partial.
        """
        from SPARQLWrapper import ASK, JSON, SELECT

        wrapper = self._wrapper(self.options.endpoint)
        kind = query_form(text)
        if kind in UPDATE_FORMS:
            raise ClusterKGError(f"the {what} is a SPARQL update; only queries are run here")
        with _quiet_warnings():
            wrapper.setQuery(text)
        wrapper.queryType = kind
        if kind in (SELECT, ASK):
            wrapper.setReturnFormat(JSON)
        else:
            wrapper.addCustomHttpHeader("Accept", RDF_ACCEPT)
        for name in self.graphs() if graphs is None else graphs:
            wrapper.addParameter("default-graph-uri", name)
            wrapper.addParameter("named-graph-uri", name)
        answer = self.send(wrapper._createRequest, what)
        if kind in (SELECT, ASK):
            result = result_from_json(_json(answer, self.options.endpoint))
            count = len(result.rows)
        else:
            graph = Graph(bind_namespaces="core")
            bind_prefixes(graph)
            parse_rdf(graph, answer, self.options.endpoint)
            result = Result(kind=str(kind), graph=graph)
            count = len(graph)
        self._check_truncation(answer, count, what, strict)
        return result

    def _check_truncation(self, answer: Answer, count: int, what: str, strict: bool) -> None:
        header = answer.headers.get("X-SPARQL-MaxRows")
        limit = self.options.max_rows
        if header is None and not (limit and count >= limit):
            return
        at = header or str(limit)
        message = (
            f"{display_url(self.options.endpoint)} truncated the {what} result at {at} rows "
            f"({'X-SPARQL-MaxRows header' if header else '--max-rows'}): the answer is "
            "incomplete; raise the server's limit (Virtuoso: ResultSetMaxRows in [SPARQL]), "
            "narrow the query"
        )
        if strict and self.options.allow_partial:
            log.warning("%s; printing the partial result (--allow-partial)", message)
            return
        raise ClusterKGError(message + (", or pass --allow-partial" if strict else ""))

    def update(self, text: str, url: str, *, what: str = "update") -> None:
        """Send a SPARQL 1.1 Update (form-encoded POST ``update=``) to ``url``."""
        wrapper = self._wrapper(check_url(url, "--update-endpoint"))
        with _quiet_warnings():
            wrapper.setQuery(text)
        wrapper.queryType = query_form(text)
        if not wrapper.isSparqlUpdateRequest():
            raise ClusterKGError("internal error: not a SPARQL update")  # pragma: no cover
        self.send(wrapper._createRequest, what)

    def select_rows(self, text: str, graphs: Sequence[str] | None = None,
                    what: str = "query") -> list[tuple[Node | None, ...]]:
        """Rows of an internal SELECT; a truncated answer is always an error."""
        return self.query(text, graphs, what=what, strict=False).rows

    # --- Graph Store Protocol ------------------------------------------------------------

    def store(self, url: str, graph: str, data: bytes, *, replace: bool) -> None:
        """PUT (replace) or POST (add to) one graph of a Graph Store Protocol endpoint."""
        check_url(url, "--update-endpoint")
        sep = "&" if "?" in url else "?"
        target = f"{url}{sep}graph={urllib.parse.quote(graph, safe='')}"

        def make() -> urllib.request.Request:
            request = urllib.request.Request(
                target, data=data, method="PUT" if replace else "POST",
                headers={"Content-Type": "text/turtle; charset=utf-8",
                         "User-Agent": f"clusterkg/{__version__}"},
            )
            return request

        self.send(make, f"Graph Store {'PUT' if replace else 'POST'} of <{graph}>")

    # --- our graphs on the server --------------------------------------------------------

    def graphs(self) -> list[str]:
        """The server's graphs under the graph prefix (cached); none is an error."""
        if self._graphs is None:
            prefix = self.options.graph_prefix
            rows = self.select_rows(
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                f"FILTER(STRSTARTS(STR(?g), {ntriples(Literal(prefix))})) }}",
                graphs=(), what="graph listing",
            )
            self._graphs = sorted(str(row[0]) for row in rows if isinstance(row[0], URIRef))
            if not self._graphs:
                raise ClusterKGError(
                    f"{display_url(self.options.endpoint)} holds no graphs under <{prefix}>: "
                    "load them with `clusterkg push --endpoint ...` (or check --graph-prefix)"
                )
        return list(self._graphs)

    def counts(self, names: Sequence[str]) -> dict[str, int]:
        """Triples per graph as the server counts them (0 for a graph it does not have)."""
        if not names:
            return {}
        values = " ".join(iri(n) for n in names)
        rows = self.select_rows(
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} "
            "GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            graphs=(), what="triple count",
        )
        found = {str(g): int(n.toPython()) for g, n in rows if isinstance(n, Literal)}  # type: ignore[misc]
        return {name: found.get(name, 0) for name in names}

    def fetch_graph(self, name: str) -> Graph:
        """One graph by CONSTRUCT; paged with ORDER BY/LIMIT/OFFSET if the server truncates.

        The server's count comes first, so truncation is seen even without a header (Virtuoso
        cuts CONSTRUCT results silently) and the page size is what the server let through.
        Pages are parsed as N-Triples with one blank-node map, so a blank node split over two
        pages stays one node (servers label blank nodes by their stored id).
        """
        expected = self.counts([name])[name]
        graph = Graph(bind_namespaces="core")
        bnodes: dict[str, Node] = {}
        pattern = f"GRAPH {iri(name)} {{ ?s ?p ?o }}"
        answer = self._construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}", name)
        parse_rdf(graph, answer, self.options.endpoint, bnodes)
        if len(graph) >= expected:
            return graph
        page, offset = len(graph), 0
        if page == 0:
            where = display_url(self.options.endpoint)
            raise ClusterKGError(f"{where} sent no triples of <{name}>")
        log.debug("<%s>: %d of %d triples; paging by %d", name, page, expected, page)
        graph, bnodes = Graph(bind_namespaces="core"), {}
        while offset < expected:
            answer = self._construct(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ SELECT ?s ?p ?o WHERE {{ {pattern} }} "
                f"ORDER BY ?s ?p ?o LIMIT {page} OFFSET {offset} }} }}",
                name,
            )
            before = len(graph)
            parse_rdf(graph, answer, self.options.endpoint, bnodes)
            if len(graph) == before:
                break
            offset += page
        if len(graph) != expected:
            raise ClusterKGError(
                f"could not fetch all of <{name}> from {display_url(self.options.endpoint)}: "
                f"got {len(graph)} of {expected} triples"
            )
        return graph

    def _construct(self, text: str, name: str) -> Answer:
        wrapper = self._wrapper(self.options.endpoint)
        with _quiet_warnings():
            wrapper.setQuery(text)
        wrapper.queryType = "CONSTRUCT"
        wrapper.addCustomHttpHeader("Accept", RDF_ACCEPT)
        return self.send(wrapper._createRequest, f"download of <{name}>")


# --- the CLI's uses ---------------------------------------------------------------------------


def run_named(options: Options, query: NamedQuery, values: Mapping[str, Node | LabelRef]) -> Result:
    """A named query on the server: labels looked up there, values as a VALUES block that
    opens the WHERE group (bound for the whole pattern, as on the embedded store; a trailing
    VALUES would be joined only after grouping and projection)."""
    from clusterkg.sparqltext import inline_values
    from clusterkg.store import canonical

    client = Client(options)
    graphs = client.graphs()
    bindings = {
        name: find_entity(client, value, graphs) if isinstance(value, LabelRef) else value
        for name, value in values.items()
    }
    try:
        text = inline_values(query.text, bindings)
    except ValueError as exc:
        raise ClusterKGError(f"{query.path}: {exc}") from exc
    with _ill_typed_literals("they are printed as the server sent them"):
        result = client.query(text, graphs, what=f"query '{query.name}'")
    if result.kind == "SELECT":
        result.rows = [tuple(canonical(term) for term in row) for row in result.rows]
    return result


def find_entity(client: Client, ref: LabelRef, graphs: Sequence[str]) -> URIRef:
    """The one IRI labelled ``ref.label`` on the server (case-insensitive, like the local
    lookup; SPARQL's LCASE stands in for Python's casefold)."""
    predicates = " ".join(iri(str(p)) for p in LABEL_PREDICATES)
    text = (
        "SELECT DISTINCT ?entity WHERE {\n"
        f"  VALUES ?wanted {{ {ntriples(Literal(ref.label))} }}\n"
        f"  VALUES ?predicate {{ {predicates} }}\n"
        "  ?entity ?predicate ?label .\n"
        "  FILTER(isIRI(?entity) && isLiteral(?label) && LCASE(STR(?label)) = LCASE(?wanted))\n"
        "}"
    )
    found = sorted({row[0] for row in client.select_rows(text, graphs, "label lookup")
                    if isinstance(row[0], URIRef)})
    if not found:
        raise ClusterKGError(
            f"parameter '{ref.param}': nothing found labelled '{ref.label}' on the server "
            "(rdfs:label, skos:prefLabel, skos:altLabel; case-insensitive exact match)"
        )
    if len(found) > 1:
        candidates = ", ".join(compact(str(s)) for s in found)
        raise ClusterKGError(
            f"parameter '{ref.param}': '{ref.label}' matches {len(found)} entities: "
            f"{candidates}; pass one of these IRIs instead"
        )
    return found[0]


def fetch_dataset(options: Options) -> Dataset:
    """Our graphs on the server, renamed back to the ckg: names, as a local Dataset."""
    client = Client(options)
    dataset = new_dataset()
    with _ill_typed_literals("the report shows them as they came"):
        for name in client.graphs():
            target = dataset.graph(local_name(name, options.graph_prefix))
            target += client.fetch_graph(name)
    return dataset


@contextlib.contextmanager
def _ill_typed_literals(consequence: str) -> Iterator[None]:
    """One warning instead of rdflib's one per literal whose text does not fit its datatype."""
    counter = _CountIllTyped()
    rdflib_log = logging.getLogger("rdflib.term")
    rdflib_log.addFilter(counter)
    try:
        yield
    finally:
        rdflib_log.removeFilter(counter)
    if counter.count:
        log.warning(
            "%d literals from the server do not fit their datatype (Virtuoso 7 rewrites "
            "xsd:duration as a number of months, openlink/virtuoso-opensource#936); %s",
            counter.count, consequence,
        )


class _CountIllTyped(logging.Filter):
    """Counts rdflib's one-warning-per-literal 'Failed to convert' and silences them."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Failed to convert Literal"):
            self.count += 1
            return False
        return True


def local_name(name: str, prefix: str) -> URIRef:
    """The project's graph name for a graph pushed under ``prefix``."""
    return URIRef(str(CKG) + name[len(prefix):]) if name.startswith(prefix) else URIRef(name)


def remote_name(name: str, prefix: str) -> str:
    """The graph name on the server: ``prefix`` instead of the ckg: namespace."""
    return prefix + name[len(str(CKG)):] if name.startswith(str(CKG)) else name


# --- results ----------------------------------------------------------------------------------


def result_from_json(document: Any) -> Result:
    """SPARQL 1.1 JSON results into our Result (Virtuoso's typed-literal included)."""
    if not isinstance(document, dict):
        raise ClusterKGError("the server's JSON answer is not a SPARQL results document")
    if "boolean" in document:
        return Result(kind="ASK", boolean=bool(document["boolean"]))
    try:
        variables = [str(v) for v in document["head"]["vars"]]
        bindings = document["results"]["bindings"]
        rows = [tuple(json_to_term(b.get(v)) for v in variables) for b in bindings]
    except (KeyError, TypeError, ValueError) as exc:
        raise ClusterKGError(f"malformed SPARQL JSON results from the server: {exc}") from exc
    return Result(kind="SELECT", variables=variables, rows=rows)


def json_to_term(cell: Mapping[str, str] | None) -> Node | None:
    """One W3C JSON term into an rdflib term."""
    if cell is None:
        return None
    kind, value = cell["type"], cell["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":  # Virtuoso says nodeID://b10001; keep a label valid in N-Triples
        return BNode(_BNODE_LABEL.sub("", value.removeprefix("nodeID://")) or "b")
    if kind in ("literal", "typed-literal"):
        lang = cell.get("xml:lang")
        if lang:
            return Literal(value, lang=lang)
        # RDF 1.1: a simple literal is an xsd:string; say so, as the embedded store does.
        return Literal(value, datatype=URIRef(cell.get("datatype") or XSD_STRING))
    raise ValueError(f"unknown term type {kind!r}")


def parse_rdf(
    graph: Graph, answer: Answer, url: str, bnodes: dict[str, Node] | None = None
) -> None:
    """Parse an RDF answer by its Content-Type into ``graph``."""
    fmt = _RDF_FORMATS.get(answer.content_type)
    if fmt is None:
        raise ClusterKGError(
            f"{display_url(url)} answered with {answer.content_type or 'no content type'}, "
            "not an RDF format this client reads (N-Triples, Turtle, JSON-LD, RDF/XML)"
        )
    kwargs: dict[str, Any] = {"bnode_context": bnodes} if fmt == "nt" and bnodes is not None else {}
    try:
        text = answer.body.decode("utf-8")
        if fmt == "json-ld":  # a context by reference would make rdflib fetch it
            from clusterkg.iricheck import refuse_remote_contexts

            refuse_remote_contexts(f"the JSON-LD answer of {display_url(url)}", text)
        graph.parse(data=text, format=fmt, **kwargs)
    except ClusterKGError:
        raise
    except Exception as exc:  # rdflib's parsers raise assorted types
        raise ClusterKGError(f"cannot parse the {fmt} answer of {display_url(url)}: {exc}") from exc


def _json(answer: Answer, url: str) -> Any:
    try:
        return json.loads(answer.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        kind = answer.content_type or "no content type"
        raise ClusterKGError(
            f"{display_url(url)} did not answer with SPARQL JSON results ({kind}): {exc}"
        ) from exc


# --- errors -----------------------------------------------------------------------------------


def _read_error(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read() or b""
    except (OSError, http.client.HTTPException):
        return b""


def _http_error(code: int, body: bytes, where: str, what: str, creds: Credentials | None,
                attempts: int) -> ClusterKGError:
    detail = first_line(body)
    said = f": {detail}" if detail else ""
    if code == 401:
        if creds is None:
            return ClusterKGError(
                f"{where} needs credentials for the {what} (HTTP 401): set {ENV_USER} and "
                f"{ENV_PASSWORD}, or add the host to ~/.netrc"
            )
        return ClusterKGError(
            f"{where} refused the credentials from {creds.origin} (HTTP 401): wrong user or "
            "password, or the wrong --auth scheme"
        )
    if code == 403:
        return ClusterKGError(f"{where} forbids the {what} (HTTP 403){said}")
    if code == 400:
        return ClusterKGError(f"{where} rejected the {what} (HTTP 400){said}")
    if code == 404:
        return ClusterKGError(f"no SPARQL service at {where} (HTTP 404): check the URL")
    if code >= 500:
        tries = f" (after {attempts} attempts)" if attempts > 1 and code in TRANSIENT_STATUS else ""
        return ClusterKGError(f"{where} failed on the {what} with HTTP {code}{tries}{said}")
    return ClusterKGError(f"{where} answered the {what} with HTTP {code}{said}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hands a redirect back as an HTTPError: urllib would turn a POST into a GET without
    its body (301/302/303) and send it, and credentials, to wherever the server said."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Message, newurl: str) -> None:
        return None


def _tls_error(reason: ssl.SSLError, where: str) -> ClusterKGError:
    """A certificate that does not verify, or a failed TLS handshake: not worth a retry."""
    if isinstance(reason, ssl.SSLCertVerificationError):
        problem = reason.verify_message or reason.reason or "verification failed"
        return ClusterKGError(
            f"the TLS certificate of {where} is not trusted: {problem} (use a certificate "
            "from a trusted CA, or point SSL_CERT_FILE at the server's CA certificate)"
        )
    return ClusterKGError(
        f"TLS with {where} failed: {reason.reason or reason} (is it an https:// server?)"
    )


def _is_timeout(reason: object) -> bool:
    return isinstance(reason, TimeoutError | socket.timeout) or "timed out" in str(reason)


def _is_transient(reason: object) -> bool:
    """Worth another try: nobody listening yet, or the connection dropped."""
    return isinstance(
        reason,
        ConnectionRefusedError | ConnectionResetError | ConnectionAbortedError
        | BrokenPipeError | http.client.RemoteDisconnected,
    )


def _describe(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return f"unknown host ({reason.strerror})"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason) or type(reason).__name__


@contextlib.contextmanager
def _quiet_warnings() -> Iterator[None]:
    """SPARQLWrapper warns about query forms it does not recognise; the server will say."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
