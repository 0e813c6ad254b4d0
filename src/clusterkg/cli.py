"""The ``clusterkg`` command: build, validate, list and run named queries, stats, demo.

Results go to stdout, messages to stderr. Every expected failure is one line
``clusterkg: error: ...`` and an exit code (2 = usage or input error); never a traceback
unless CLUSTERKG_DEBUG=1. Heavy libraries are imported inside the commands so --help is fast.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from clusterkg import __version__
from clusterkg.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, ClusterKGError, one_line
from clusterkg.server_cli import endpoint_options, remote_options
from clusterkg.state import State, directory_option, pass_state
from clusterkg.state import echo as _echo
from clusterkg.state import error as _error
from clusterkg.state import note as _note

PROG = "clusterkg"
DEMO_QUERIES = ("programme-timeline", "hosts", "funding-per-cluster", "conflicts")
TABLE_ROWS = 100  # rows the table format shows unless --limit says otherwise
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}




@click.group(context_settings=CONTEXT)
@click.option(
    "--home",
    metavar="DIR",
    help="Project directory holding ontology/, graph/, shapes/ and queries/ "
    "(default: $CLUSTERKG_HOME, else this checkout, else the data shipped with the package).",
)
@click.option(
    "--store",
    type=click.Choice(["oxigraph", "memory"]),
    default=None,
    help="Embedded store: oxigraph (default; the files are loaded once into an on-disk "
    "Oxigraph store under $CLUSTERKG_CACHE_DIR or ~/.cache/clusterkg, opened read-only in "
    "milliseconds; after a change only the changed files are loaded again) or memory "
    "(rdflib's in-memory store and SPARQL engine, parsed on every run). Also "
    "$CLUSTERKG_STORE.",
)
@click.version_option(__version__, "--version", prog_name=PROG, message="%(prog)s %(version)s")
@click.pass_context
def app(ctx: click.Context, home: str | None, store: str | None) -> None:
    """Knowledge graph of Norwegian innovation clusters: build, validate and query it.

    \b
    Examples:
      clusterkg demo                      build, validate and show the main answers
      clusterkg build --out dist          write dist/clusterkg.{trig,ttl,nt,jsonld}
      clusterkg validate --lang nb        SHACL report with Norwegian messages
      clusterkg queries                   list the named queries and their parameters
      clusterkg query clusters-by-level -p level=ckl:arena-pro --format csv
      clusterkg --home /path/to/project stats

    Exit codes: 0 success; 1 the answer is "no" (not conforming, no rows);
    2 usage or input error (one line on stderr). Set CLUSTERKG_DEBUG=1 for tracebacks.
    """
    ctx.obj = State(home, store)


@app.command()
@click.option(
    "--out", "-o", "out", default="dist", show_default=True, metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path), callback=directory_option,
    help="Directory to write into (created if missing).",
)
@pass_state
def build(state: State, out: Path) -> int:
    """Load all data and write it as TriG, Turtle, N-Triples and JSON-LD.

    Writes OUT/clusterkg.trig (all named graphs), clusterkg.ttl and clusterkg.nt (their
    union, without graph names) and clusterkg.jsonld (named graphs), each atomically.
    Prints the triples per named graph and the totals.

    \b
    Examples:
      clusterkg build
      clusterkg build --out /tmp/release
    """
    from clusterkg.build import build as write_build

    report = write_build(state.dataset(memory=True), out)
    _echo(_build_counts(report))
    for path in report.files:
        _note(f"wrote {path}")
    return EXIT_OK


def _build_counts(report: Any) -> str:
    from clusterkg.namespaces import compact

    names = [compact(str(n)) for n in report.triples_per_graph]
    width = max([len(n) for n in names] + [len("named graph")])
    lines = [f"{'named graph':<{width}}  triples"]
    for name, count in zip(names, report.triples_per_graph.values(), strict=True):
        lines.append(f"{name:<{width}}  {count:>7}")
    lines.append(f"{'total':<{width}}  {report.quads:>7}")
    lines.append(
        f"{len(names)} named graphs, {report.quads} quads, "
        f"{report.union_triples} distinct triples in the union"
    )
    return "\n".join(lines) + "\n"


@app.command()
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text",
    show_default=True, help="text for people; json {conforms, results}; turtle = SHACL report.",
)
@click.option(
    "--lang", type=click.Choice(["en", "nb"]), default="en", show_default=True,
    help="Language of messages and labels.",
)
@click.option(
    "--inference", type=click.Choice(["none", "rdfs"]), default="none", show_default=True,
    help="Entailment to apply before validating.",
)
@click.option(
    "--engine", type=click.Choice(["shacl", "pyshacl"]), default="shacl", show_default=True,
    envvar="CLUSTERKG_SHACL_ENGINE", show_envvar=True,
    help="SHACL engine for the whole dataset: shacl (fast, Rust) or pyshacl (the slow "
    "reference). New facts in FILE... are always checked with pySHACL on their neighbourhood.",
)
@click.option(
    "--input-format", type=click.Choice(["turtle", "trig", "json-ld", "nt", "nquads"]),
    help="RDF syntax of FILE... (default: by extension .ttl .trig .jsonld .nt .nq).",
)
@click.option(
    "--source", "-s", metavar="NAME|IRI",
    help="With FILE...: check the facts as `clusterkg add --source` would (facts naming no "
    "source document get this one).",
)
@click.option(
    "--base", metavar="IRI",
    help="With FILE...: resolve relative IRIs against this IRI (without it, a relative IRI is "
    "refused rather than resolved against the file's local path).",
)
@click.argument("files", nargs=-1, metavar="[FILE]...",
                type=click.Path(path_type=Path, dir_okay=False))
@endpoint_options()
@pass_state
def validate(state: State, fmt: str, lang: str, inference: str, engine: str,
             input_format: str | None, source: str | None, base: str | None,
             files: tuple[Path, ...]) -> int:
    """Validate the whole dataset, or new facts in FILE... with it, against shapes/.

    With FILE... (Turtle, TriG, JSON-LD, N-Triples, N-Quads), only the new facts are checked,
    together with the graph: the results they cause or carry, each with the file and line it
    comes from. Nothing is written (see `clusterkg add`).

    Exit 0 if the data conforms (warnings and infos allowed), 1 if it does not, 2 for bad
    input (e.g. a file that does not parse).

    \b
    Examples:
      clusterkg validate
      clusterkg validate --lang nb
      clusterkg validate --format json > report.json
      clusterkg validate --format turtle --inference rdfs
      clusterkg validate --endpoint http://127.0.0.1:8890/sparql   (the graphs on a server)
      clusterkg validate new-facts.ttl --lang nb
      clusterkg validate --engine pyshacl          (the slow reference engine)
    """
    from clusterkg import validate as shacl
    from clusterkg.progress import slow_step

    if base is not None and not files:
        raise ClusterKGError("--base applies to the IRIs in FILE...; give the files to check")
    remote = remote_options()
    if remote is not None:
        from clusterkg.remote import fetch_dataset

        dataset = fetch_dataset(remote)
    else:
        dataset = state.dataset()
    if files:
        from clusterkg.facts_cli import validate_files

        return validate_files(files, dataset=dataset, input_format=input_format, source=source,
                              fmt=fmt, lang=lang, inference=inference, base=base)
    with slow_step("validating the whole graph against the shapes"):
        report = shacl.validate(dataset, inference=inference, lang=lang, engine=engine)
    _echo(shacl.render(report, fmt, lang))
    return EXIT_OK if report.conforms else EXIT_FAILURE


@app.command(name="queries")
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text",
    show_default=True, help="Output format.",
)
@pass_state
def list_queries(state: State, fmt: str) -> int:
    """List the named queries: name, summary and parameters (type, default).

    \b
    Examples:
      clusterkg queries
      clusterkg queries --format json
    """
    import json

    from clusterkg.catalog import list_queries as discover

    queries = discover(state.home())
    if fmt == "json":
        doc = [
            {
                "name": q.name,
                "summary": q.summary,
                "description": q.description,
                "tags": list(q.tags),
                "params": [
                    {"name": p.name, "type": p.type, "default": p.default,
                     "required": p.required, "description": p.description}
                    for p in q.params.values()
                ],
            }
            for q in queries
        ]
        _echo(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    if not queries:
        _note(f"no named queries in {state.home().queries_dir}")
    lines = []
    for q in queries:
        lines.append(f"{q.name}" + (f" - {q.summary}" if q.summary else ""))
        for p in q.params.values():
            detail = f"default: {p.default}" if p.default is not None else (
                "required" if p.required else "optional, unbound if not given")
            about = f" - {p.description}" if p.description else ""
            lines.append(f"    --param {p.name}=<{p.type}>  ({detail}){about}")
    _echo("\n".join(lines) + ("\n" if lines else ""))
    return EXIT_OK


@app.command()
@click.argument("name", metavar="NAME|FILE.rq")
@click.option(
    "--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
    help="Bind parameter NAME (the SPARQL variable ?NAME); repeatable.",
)
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]),
    default="table", show_default=True,
    help="table for people; csv/tsv/json = W3C SPARQL 1.1 results formats.",
)
@click.option(
    "--federated", is_flag=True,
    help="Let the query fetch from elsewhere: SERVICE <URL> calls that server, and FROM "
    "<URL> or <file:...> loads what it names (with --store memory). Off by default, as on "
    "`clusterkg serve`: such a query is refused and nothing is fetched.",
)
@click.option("--limit", type=click.IntRange(min=0), metavar="N",
              help=f"Print at most N rows (default: all; the table shows {TABLE_ROWS} and "
              "says how many more there are).")
@click.option("--offset", type=click.IntRange(min=0), default=0, metavar="N",
              help="Leave out the first N rows (in the query's ORDER BY order).")
@endpoint_options(partial=True)
@pass_state
def query(state: State, name: str, params: tuple[str, ...], fmt: str, federated: bool,
          limit: int | None, offset: int) -> int:
    """Run a named query (see `clusterkg queries`) or a .rq file on the whole dataset.

    Values are typed per the query header (iri, entity, string, integer, decimal, date,
    boolean) and bound as RDF terms, never pasted into the query. An entity may be given as
    <IRI>, https://..., a prefixed name (ckr:x) or a label (case-insensitive exact match).

    Exit 0 with rows; 1 if the query returns no rows (false for ASK; stdout is still a valid
    document, e.g. the CSV header or JSON with empty bindings); 2 for bad usage, or a query
    that is refused (SERVICE without --federated; brackets nested thousands deep).

    The default store is read in place. A query whose header says `in_memory: true` (it
    reads most of the graph: cluster-members, member-counts, corroboration) runs on a copy
    in memory instead, unless an entity parameter is given; the copy takes a few seconds at
    a million triples.

    \b
    Examples:
      clusterkg query clusters-by-level
      clusterkg query clusters-by-level -p level=https://w3id.org/clusterkg/level/arena-pro
      clusterkg query hosts --format json
      clusterkg query cluster-members --limit 20 --offset 40
      clusterkg query my-query.rq -p cluster="Oslo Cancer Cluster" -f tsv
      clusterkg query hosts --endpoint http://127.0.0.1:8890/sparql   (after `clusterkg push`)
    """
    from clusterkg.catalog import coerce_params, find_query, parse_assignments, resolve_labels
    from clusterkg.queryguard import FEDERATION_HINT, QueryRefused
    from clusterkg.results import page, render
    from clusterkg.store import run_query

    named = find_query(state.home(), name)
    given = parse_assignments(params)
    values = coerce_params(named, given)
    remote = remote_options()
    if remote is not None:  # labels are looked up on the server too
        from clusterkg.remote import run_named

        result = run_named(remote, named, values)
    else:
        # The store is read in place (it opens at once); a query whose header says it reads
        # most of the graph is run on a copy in memory, unless it is asked about an entity.
        dataset = state.dataset(memory=named.reads_in_memory(given))
        try:
            result = run_query(dataset, named.text, resolve_labels(values, dataset),
                               name=str(named.path), federated=federated)
        except QueryRefused as exc:
            if exc.federation:
                raise ClusterKGError(f"{exc.message}; {FEDERATION_HINT}") from None
            raise
    if limit is None and fmt == "table":
        limit = TABLE_ROWS
    result, left_out = page(result, offset, limit)
    _echo(render(result, fmt, named.columns))
    if left_out:
        _note(left_out)
    if result.is_empty:
        if not left_out:
            _note("no results")
        return EXIT_FAILURE
    return EXIT_OK


@app.command()
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text",
    show_default=True, help="Output format.",
)
@pass_state
def stats(state: State, fmt: str) -> int:
    """Count instances per class, triples per named graph (source) and conflicting facts.

    The conflict count is the number of rows of the named query `conflicts`; it is left out
    when there is no such query.

    \b
    Examples:
      clusterkg stats
      clusterkg stats --format json
    """
    import json

    from clusterkg.namespaces import compact
    from clusterkg.stats import compute

    numbers = compute(state.dataset(), state.home())
    if fmt == "json":
        doc = {
            "instancesPerClass": {str(c): n for c, n in numbers.instances_per_class},
            "triplesPerGraph": {str(g): n for g, n in numbers.triples_per_graph},
            "sourceGraphs": numbers.source_graphs,
            "factsWithConflicts": numbers.conflicts,
            "coverage": None if numbers.coverage is None else {
                "clusters": numbers.coverage.clusters,
                "clustersWithDatedLevel": numbers.coverage.dated_clusters,
                "webSources": numbers.coverage.web_sources,
                "facts": numbers.coverage.facts,
                "factsCitingASource": numbers.coverage.sourced_facts,
            },
        }
        _echo(json.dumps(doc, indent=2) + "\n")
        return EXIT_OK
    out = ["Instances per class:"]
    out += _aligned([(compact(str(c)), n) for c, n in numbers.instances_per_class])
    out += ["", "Triples per named graph:"]
    out += _aligned([(compact(str(g)), n) for g, n in numbers.triples_per_graph])
    out += ["", f"Source graphs: {numbers.source_graphs}"]
    if numbers.conflicts is not None:
        out.append(f"Facts with conflicts: {numbers.conflicts}")
    if numbers.coverage is not None:
        c = numbers.coverage
        out += ["", "The programme in the graph:",
                f"  clusters                                 {c.clusters:>7}",
                f"  clusters with a dated level assignment   {c.dated_clusters:>7}",
                f"  public web sources (URL and publisher)   {c.web_sources:>7}",
                f"  facts citing a source                    {c.sourced_facts:>7} of {c.facts}"]
    _echo("\n".join(out) + "\n")
    return EXIT_OK


def _aligned(rows: list[tuple[str, int]]) -> list[str]:
    if not rows:
        return ["  (none)"]
    width = max(len(name) for name, _ in rows)
    return [f"  {name:<{width}}  {count:>7}" for name, count in rows]


@app.command()
@click.option(
    "--out", "-o", "out", default="dist", show_default=True, metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path), callback=directory_option,
    help="Where to build.",
)
@pass_state
def demo(state: State, out: Path) -> int:
    """Build into dist/, validate, and print the answers of the main named queries.

    Shows programme-timeline (which clusters entered or moved at which level, intake by
    intake), hosts, funding-per-cluster and conflicts when those queries exist (missing ones
    are skipped). Exit code: that of validation if the data
    does not conform, 2 if a query failed, else 0.

    \b
    Examples:
      clusterkg demo
      scripts/demo
    """
    from clusterkg import validate as shacl
    from clusterkg.build import build as write_build
    from clusterkg.catalog import coerce_params, load_query, query_files, resolve_labels
    from clusterkg.results import make_table, render
    from clusterkg.store import run_query

    dataset = state.dataset(memory=True)
    report = write_build(dataset, out)
    _echo(_wrapped(f"Built {len(report.files)} files in {out}/: {report.quads} quads in "
                   f"{len(report.triples_per_graph)} named graphs."))
    validation = shacl.validate(dataset)
    _echo(shacl.summary(validation) + "\n")
    if not validation.conforms:
        _echo("Run `clusterkg validate` for the details.\n")

    console = _console()
    failed = False
    files = query_files(state.home())
    for name in DEMO_QUERIES:
        if name not in files:
            continue
        try:
            named = load_query(files[name])
            bindings = resolve_labels(coerce_params(named, {}), dataset)
            result = run_query(dataset, named.text, bindings, name=str(named.path))
        except ClusterKGError as exc:
            _error(exc.message)
            failed = True
            continue
        _echo("\n")
        console.rule(f"{name}" + (f": {named.summary}" if named.summary else ""), style="")
        if result.kind != "SELECT":
            _echo(render(result, "table"))
        elif result.rows:
            console.print(make_table(result, columns=named.columns))
        else:
            _echo("(no rows)\n")
    if not validation.conforms:
        return EXIT_FAILURE
    return EXIT_USAGE if failed else EXIT_OK


def _wrapped(text: str) -> str:
    """Prose wrapped at the output width (a long path breaks onto the next line)."""
    import textwrap

    from clusterkg.results import output_width

    return textwrap.fill(text, width=output_width(), break_long_words=True) + "\n"


def _console() -> Any:
    from clusterkg.console import plain_console
    from clusterkg.results import output_width

    return plain_console(width=output_width())


# --- output helpers and the entry point -----------------------------------------------------


class _OneLineFormatter(logging.Formatter):
    """Library warnings (rdflib, pySHACL) as single stderr lines, without tracebacks."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{PROG}: {record.levelname.lower()}: {one_line(record.getMessage())}"


def _setup_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: run the CLI and map every failure to an exit code."""
    debug = os.environ.get("CLUSTERKG_DEBUG") == "1"
    _setup_logging()
    try:
        rv = app.main(args=argv, prog_name=PROG, standalone_mode=False)
        return rv if isinstance(rv, int) else EXIT_OK
    except ClusterKGError as exc:
        if debug:
            raise
        _error(exc.message)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:  # bad option, missing argument, bad choice...
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else PROG
        _error(f"{exc.format_message()} (see '{where} --help')")
        return EXIT_USAGE
    except (click.Abort, KeyboardInterrupt):
        _error("interrupted")
        return 130
    except BrokenPipeError:
        # stdout closed early (e.g. `| head -1`): the reader has what it wanted, so end
        # quietly with 0, as `cat` does; silence the flush at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        if debug:
            raise
        _error(f"unexpected {type(exc).__name__}: {exc}")
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

from clusterkg.export_cli import analyze, export  # noqa: E402

app.add_command(export)
app.add_command(analyze)

from clusterkg.server_cli import push, serve  # noqa: E402

app.add_command(push)
app.add_command(serve)

from clusterkg.facts_cli import add, import_, remove, sources, template  # noqa: E402

app.add_command(add)
app.add_command(import_)
app.add_command(sources)
app.add_command(remove)
app.add_command(template)

from clusterkg.generate_cli import generate  # noqa: E402

app.add_command(generate)
