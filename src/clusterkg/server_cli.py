"""The ``push`` and ``serve`` commands, and the ``--endpoint`` options of ``query``/``validate``.

Kept apart from cli.py so the remote code stays in one place; this module imports nothing
from cli.py (cli.py imports it), and heavy libraries load inside the commands.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from clusterkg.errors import EXIT_OK, ClusterKGError
from clusterkg.state import note as _note

F = TypeVar("F", bound=Callable[..., Any])
_META = "clusterkg.remote"
_DEFAULT_PREFIX = "https://w3id.org/clusterkg/graph/"


def _keep(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Collect the remote options in ctx.meta, so commands keep their signatures."""
    ctx.meta.setdefault(_META, {})[param.name] = value
    return value


def endpoint_options(*, partial: bool = False, required: bool = False) -> Callable[[F], F]:
    """``--endpoint`` and the options that go with it (timeout, retries, auth, prefix...)."""

    def option(*decls: str, **attrs: Any) -> Callable[[F], F]:
        return click.option(*decls, callback=_keep, expose_value=False, **attrs)

    options = [
        option("--endpoint", metavar="URL", required=required,
               help="A SPARQL 1.1 query endpoint to use instead of the embedded store "
               "(Virtuoso .../sparql, Oxigraph .../query, Fuseki .../ds/sparql, GraphDB "
               ".../repositories/REPO). Credentials: $CLUSTERKG_USER and $CLUSTERKG_PASSWORD, "
               "else ~/.netrc."),
        option("--graph-prefix", metavar="IRI", default=_DEFAULT_PREFIX, show_default=True,
               help="Where the project's named graphs are on the server (as pushed)."),
        option("--timeout", metavar="SECONDS", type=click.FloatRange(min=0, min_open=True),
               default=30.0, show_default=True, help="HTTP timeout per request."),
        option("--retries", metavar="N", type=click.IntRange(0, 10), default=3,
               show_default=True,
               help="Retries, with exponential backoff, when the server is not up yet or "
               "answers 502/503/504."),
        option("--auth", type=click.Choice(["auto", "basic", "digest"]), default="auto",
               show_default=True,
               help="HTTP auth scheme when credentials are set; auto answers the server's "
               "challenge (Virtuoso wants digest)."),
    ]
    if not required:
        options.append(option(
            "--max-rows", metavar="N", type=click.IntRange(min=1),
            help="The server's result row limit, if known (Virtuoso: ResultSetMaxRows): a "
            "result of exactly N rows counts as truncated. Virtuoso's X-SPARQL-MaxRows header "
            "is always checked."))
    if partial:
        options.append(option(
            "--allow-partial", is_flag=True,
            help="Print a result the server truncated (with a warning) instead of failing."))

    def decorate(f: F) -> F:
        for add in reversed(options):
            f = add(f)
        return f

    return decorate


def remote_options(ctx: click.Context | None = None) -> Any:
    """The remote.Options of this invocation, or None when no --endpoint was given."""
    ctx = ctx or click.get_current_context()
    given: dict[str, Any] = ctx.meta.get(_META, {})
    if not given.get("endpoint"):
        for name, value in given.items():
            source = ctx.get_parameter_source(name)
            if value not in (None, False) and source == click.core.ParameterSource.COMMANDLINE:
                flag = "--" + name.replace("_", "-")
                raise click.UsageError(f"{flag} only applies with --endpoint", ctx=ctx)
        return None
    from clusterkg.remote import Options, check_url
    from clusterkg.terms import iri

    prefix = given.get("graph_prefix") or _DEFAULT_PREFIX
    try:
        iri(prefix)
    except ValueError as exc:
        raise ClusterKGError(f"--graph-prefix: {exc}") from exc
    if ":" not in prefix:
        raise ClusterKGError(f"--graph-prefix must be an absolute IRI, got '{prefix}'")
    return Options(
        endpoint=check_url(given["endpoint"]),
        timeout=given.get("timeout", 30.0),
        retries=given.get("retries", 3),
        auth=given.get("auth", "auto"),
        graph_prefix=prefix,
        max_rows=given.get("max_rows"),
        allow_partial=bool(given.get("allow_partial", False)),
    )



# --- push ------------------------------------------------------------------------------------


@click.command()
@endpoint_options(required=True)
@click.option(
    "--update-endpoint", "update_url", metavar="URL",
    help="Where writes go: the Graph Store endpoint for --protocol gsp (Virtuoso "
    ".../sparql-graph-crud-auth, Oxigraph .../store, Fuseki .../ds/data, GraphDB "
    ".../repositories/REPO/rdf-graphs/service) or the SPARQL Update endpoint for --protocol "
    "update (Virtuoso .../sparql-auth, Oxigraph .../update, Fuseki .../ds/update, GraphDB "
    ".../repositories/REPO/statements). Default: --endpoint.",
)
@click.option(
    "--protocol", type=click.Choice(["gsp", "update"]), default="gsp", show_default=True,
    help="gsp = SPARQL 1.1 Graph Store HTTP Protocol (PUT per graph); update = SPARQL 1.1 "
    "Update (DROP SILENT GRAPH + INSERT, in batches).",
)
@click.option(
    "--batch-size", metavar="TRIPLES", type=click.IntRange(min=1),
    help="Triples per request; a larger graph goes in batches (default: 10000 for gsp, 500 "
    "for update, where Virtuoso's SPARQL-to-SQL compiler gives up on larger INSERTs).",
)
@click.pass_obj
def push(state: Any, update_url: str | None, protocol: str, batch_size: int | None) -> int:
    """Load the built dataset into a SPARQL server, replacing our graphs there.

    Sends one named graph per source plus the ontology and shapes graphs. Each graph is
    replaced, so pushing again never doubles a triple. Graph names stay
    https://w3id.org/clusterkg/graph/... unless --graph-prefix gives another namespace.
    Prints each graph with the triples sent and the triples the server then holds.

    \b
    Examples:
      # Oxigraph (no auth)
      clusterkg push --endpoint http://127.0.0.1:7878/query \\
          --update-endpoint http://127.0.0.1:7878/store
      # Virtuoso (user dba; digest auth is picked from the server's challenge)
      CLUSTERKG_USER=dba CLUSTERKG_PASSWORD=... clusterkg push \\
          --endpoint http://127.0.0.1:8890/sparql \\
          --update-endpoint http://127.0.0.1:8890/sparql-graph-crud-auth
      # Fuseki by SPARQL Update
      clusterkg push --endpoint http://localhost:3030/ds/sparql \\
          --update-endpoint http://localhost:3030/ds/update --protocol update
    """
    from clusterkg.namespaces import compact
    from clusterkg.push import progress_bar, total_triples
    from clusterkg.push import push as send

    options = remote_options()
    dataset = state.dataset()
    advance, close = progress_bar(total_triples(dataset))
    try:
        pushed = send(dataset, options, write_url=update_url, protocol=protocol,
                      batch_size=batch_size, progress=advance)
    finally:
        close()
    names = [p.remote if p.remote != str(p.local) else compact(p.remote) for p in pushed]
    width = max([len(n) for n in names] + [len("named graph")])
    lines = [f"{'named graph':<{width}}  {'pushed':>7}  {'on server':>9}"]
    for name, item in zip(names, pushed, strict=True):
        lines.append(f"{name:<{width}}  {item.pushed:>7}  {item.on_server:>9}")
    lines.append(f"{'total':<{width}}  {sum(p.pushed for p in pushed):>7}  "
                 f"{sum(p.on_server for p in pushed):>9}")
    click.echo("\n".join(lines))
    for item in pushed:
        if item.on_server != item.pushed:
            _note(f"warning: <{item.remote}> holds {item.on_server} triples on the server, "
                  f"{item.pushed} were sent (the server may merge equal literals, or another "
                  "writer is at work)")
    how = "Graph Store Protocol" if protocol == "gsp" else "SPARQL Update"
    _note(f"pushed {len(pushed)} named graphs by {how}")
    return EXIT_OK


# --- serve -----------------------------------------------------------------------------------


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the graph to the "
              "network, without authentication.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port (0 = any free port; the URL printed says which).")
@click.option("--timeout", metavar="SECONDS", type=click.FloatRange(min=0.1), default=5.0,
              show_default=True,
              help="Time limit per query; a query running longer is stopped and answered "
              "with 503.")
@click.option("--workers", metavar="N", type=click.IntRange(1, 64), default=2,
              show_default=True,
              help="Queries that run at once, each in a worker process holding the dataset "
              "(memory grows with N). Up to 2N more wait; beyond that the answer is 503 busy.")
@click.pass_obj
def serve(state: Any, host: str, port: int, timeout: float, workers: int) -> int:
    """Serve the graph as a read-only SPARQL 1.1 endpoint, and the ontology at /ontology.

    /sparql answers GET and POST queries (form-encoded or application/sparql-query) as SPARQL
    JSON, XML, CSV or TSV, and CONSTRUCT/DESCRIBE as Turtle, JSON-LD, N-Triples or RDF/XML,
    chosen by the Accept header. Updates are refused (403). /ontology serves the ontology as
    Turtle, JSON-LD or an HTML page by content negotiation. Stop with Ctrl-C.

    The endpoint fetches nothing (SERVICE is refused, FROM loads nothing), and each query
    runs in a worker process under --timeout, so an expensive query holds up neither other
    queries nor the server's shutdown. See docs/security.md.

    \b
    Examples:
      clusterkg serve
      clusterkg serve --port 8080
      curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * {?s ?p ?o} LIMIT 5' \\
          http://127.0.0.1:8000/sparql
    """
    from clusterkg.querypool import QueryPool
    from clusterkg.serve import create_app, listen
    from clusterkg.store import named_graphs

    dataset = state.dataset()  # makes the store version the workers then copy into memory
    graphs = named_graphs(dataset)
    sock = listen(host, port)
    pool: QueryPool | None = None
    try:
        pool = QueryPool(str(state.home().root), state.store, workers=workers, timeout=timeout)
        pool.warm()
        app = create_app(dataset, pool, str(state.home().root))
        del dataset
        _serve(app, sock, host, len(graphs), pool.stop_queries)
    finally:
        if pool is not None:
            pool.stop()
        sock.close()
    return EXIT_OK


def _serve(app: Any, sock: Any, host: str, graphs: int, on_stop: Callable[[], None]) -> None:
    from clusterkg.serve import base_url, is_loopback, run

    if not is_loopback(sock):
        _note(f"warning: listening on {host}, not loopback: anyone who can reach this machine "
              "can read the graph (there is no authentication)")
    url = base_url(sock)
    click.echo(f"SPARQL endpoint: {url}/sparql\nOntology:        {url}/ontology")
    _note(f"serving {graphs} named graphs read-only; Ctrl-C to stop")
    sys.stdout.flush()
    run(app, sock, on_stop)
