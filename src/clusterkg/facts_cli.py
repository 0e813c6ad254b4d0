"""The commands that change graph/: add, import, remove; and sources, template.

Each change runs under the graph/ lock as one cycle: load the current dataset, build the new
named graph (facts + provenance), validate it against the graph (clusterkg.delta: only what
the change touches), and only if it conforms write it as graph/<slug>.trig atomically. A
refused change leaves graph/ byte-identical. ``validate_files`` is `clusterkg validate FILE...`.
"""

from __future__ import annotations

import contextlib
import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from clusterkg.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, ClusterKGError, one_line
from clusterkg.messages import count, joined, text
from clusterkg.state import current_state as _state
from clusterkg.state import echo as _echo
from clusterkg.state import error as _error
from clusterkg.state import note as _note

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

    from clusterkg.delta import DeltaReport, Locator
    from clusterkg.sources import Plan
    from clusterkg.websource import WebMeta

from clusterkg.state import PROG

FORMATS = ("text", "json", "turtle")
BASE_HELP = ("Resolve relative IRIs in the files against this IRI (without it, a relative IRI "
             "is refused rather than resolved against the file's local path).")

Build = Callable[["Dataset", "Plan"], "tuple[Graph, Locator]"]


def command_line(ctx: click.Context) -> str:
    """The command as typed, rebuilt from its parsed parameters (so no global options, no
    environment, nothing secret): recorded as the label of the prov:Activity of a new graph."""
    words = [PROG, ctx.info_name or ""]
    options: list[str] = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if value in (None, False, (), param.default) or param.name in ("fmt", "lang"):
            continue
        values = value if isinstance(value, tuple) else (value,)
        if isinstance(param, click.Argument):
            words += [str(v) for v in values]
        elif isinstance(param, click.Option):
            flag = max(param.opts, key=len)
            if param.is_flag:
                options.append(flag)
            else:
                for v in values:
                    options += [flag, str(v)]
    return shlex.join(words + options)


# --- shared options ------------------------------------------------------------------------


def _report_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--lang", type=click.Choice(["en", "nb"]), default="en", show_default=True,
        help="Language of the messages in the report.",
    )(func)
    return click.option(
        "--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
        help="Report format when the facts are refused: text, json or turtle (SHACL report).",
    )(func)


def _change_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for decorator in reversed((
        click.option("--source", "-s", required=True, metavar="NAME|IRI",
                     help="Where the facts come from: a source document's name (new or known), "
                     "file name or IRI. Becomes prov:wasDerivedFrom of the new graph and "
                     "ck:sourceDocument of facts that name none."),
        click.option("--replaces", metavar="SOURCE",
                     help="The new graph corrects this earlier source graph (name, file or "
                     "label as in `clusterkg sources`): recorded as dcterms:replaces / "
                     "prov:wasRevisionOf, and the old graph is marked dcterms:isReplacedBy."),
        click.option("--dry-run", "-n", is_flag=True,
                     help="Validate and print the graph that would be added (TriG); write "
                     "nothing."),
        click.option("--skip-duplicates", is_flag=True,
                     help="Leave out facts that duplicate existing ones and add the rest "
                     "(default: report duplicates and add nothing, exit 1)."),
        click.option("--lock-timeout", type=click.FloatRange(min=0), metavar="SECONDS",
                     help="How long to wait for another command's lock on graph/ "
                     "(default: $CLUSTERKG_LOCK_TIMEOUT, else 30)."),
        click.option("--sources", "sources_file", type=click.Path(path_type=Path, dir_okay=False),
                     metavar="FILE.csv",
                     help="Web source metadata, one row per page (url, title, publisher, "
                     "published, retrieved, language, statement_by): used when --source is a "
                     "URL new to the graph."),
        click.option("--title", help="Web source: the page's headline as shown."),
        click.option("--publisher", help="Web source: the site or organisation publishing it."),
        click.option("--published", metavar="DATE",
                     help="Web source: publication date YYYY-MM-DD, YYYY-MM-DDTHH:MM if the page "
                     "gives the time, or YYYY-MM."),
        click.option("--retrieved", metavar="DATE",
                     help="Web source: the date it was read (default: today)."),
        click.option("--source-language", metavar="CODE",
                     help="Web source: its language, nb, nn or en (default: nb)."),
        click.option("--statement-by", multiple=True, metavar="ORGANISATION",
                     help="Web source: whose press release the page reprints (repeatable)."),
    )):
        func = decorator(func)
    return _report_options(func)


# --- add and import ------------------------------------------------------------------------


@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...",
                type=click.Path(path_type=Path, dir_okay=False))
@click.option("--input-format", type=click.Choice(["turtle", "trig", "json-ld", "nt", "nquads"]),
              help="RDF syntax of the files (default: by extension .ttl .trig .jsonld .nt .nq).")
@click.option("--base", metavar="IRI", help=BASE_HELP)
@_change_options
@click.pass_context
def add(ctx: click.Context, files: tuple[Path, ...], input_format: str | None, base: str | None,
        source: str, replaces: str | None, dry_run: bool, skip_duplicates: bool,
        lock_timeout: float | None, fmt: str, lang: str, **web: Any) -> int:
    """Validate new facts and, if they conform, add them as a source graph of their own.

    The facts are checked together with the graph (only what they touch is re-checked);
    if they conform they are written to graph/<slug>.trig as the named graph
    https://w3id.org/clusterkg/graph/<slug>, with a ck:SourceGraph node saying where they
    come from (prov:wasDerivedFrom), when (prov:generatedAtTime), by which command
    (prov:wasGeneratedBy) and who (dcterms:creator = $USER). Facts and things that need a
    source document and name none get --source as their ck:sourceDocument. A fact that
    duplicates an existing one (same class and key properties) is refused, or left out with
    --skip-duplicates. Nothing in graph/ changes unless everything is fine. Every IRI must
    be a valid absolute IRI (relative ones only with --base); JSON-LD contexts must be inline.

    Exit 0 added (or would be, with --dry-run); 1 refused (report on stdout); 2 bad input.

    \b
    Examples:
      clusterkg add new-facts.ttl --source "Årsrapport 2024"
      clusterkg add counts.nt --source https://example.org/report.pdf --dry-run
      clusterkg add fixed.ttl --source "Rettet årsrapport" --replaces arsrapport-2024
      clusterkg add relative.ttl --source "Årsrapport 2024" --base https://example.org/id/
    """
    from clusterkg.delta import read_files

    delta, locator = read_files(files, input_format, base)

    def build(dataset: Dataset, target: Plan) -> tuple[Graph, Locator]:
        return delta, locator

    return _apply(build, source=source, replaces=replaces, dry_run=dry_run,
                  skip_duplicates=skip_duplicates, lock_timeout=lock_timeout, fmt=fmt, lang=lang,
                  command=command_line(ctx), what=", ".join(str(f) for f in files),
                  web=web_meta(source, **web))


@click.command(name="import")
@click.argument("pairs", nargs=-1, required=True, metavar="KIND FILE.csv [KIND FILE.csv]...")
@_change_options
@click.pass_context
def import_(ctx: click.Context, pairs: tuple[str, ...], source: str, replaces: str | None,
            dry_run: bool, skip_duplicates: bool, lock_timeout: float | None, fmt: str,
            lang: str, **web: Any) -> int:
    """Turn the rows of filled-in templates into facts and add them like `clusterkg add`.

    KIND is one of clusters, organisations, memberships, member-counts, grants, people,
    announcements, renames, programme (`clusterkg template --help` lists their columns).
    Several KIND FILE pairs go into the one named graph of the source, in order (names made
    by an earlier file are known to later ones): one press release, one import. Each row
    becomes fact nodes of the project's model (ck:LevelAssignment, ck:MemberCount, ...) with
    ck:assertionMode ck:stated and ck:sourceDocument = --source. A fact's IRI follows from what
    it says, so a fact another source already states gets this source as a second
    ck:sourceDocument. A bad row is reported with its file, row number (header = row 1),
    column and reason, and then nothing is imported.

    A --source that is an http(s) address is a web page: give its --title, --publisher and
    --published date (and --statement-by when it reprints another's press release), or a
    --sources file that describes it.

    Exit 0 added; 1 refused by validation or as duplicates; 2 bad file or rows.

    \b
    Examples:
      clusterkg template member-counts -o counts.csv
      clusterkg import member-counts counts.csv --source "Årsrapport 2024"
      clusterkg import announcements ann.csv clusters clusters.csv \\
          --source https://www.innovasjonnorge.no/... --title "Nye klynger" \\
          --publisher "Innovasjon Norge" --published 2024-11-20
      clusterkg import clusters c.csv --source https://example.no/x --sources sources.csv
    """
    from clusterkg.delta import Locator
    from clusterkg.spreadsheet import import_files, kind_or_error, read_rows

    if len(pairs) % 2:
        raise ClusterKGError("give KIND FILE.csv pairs, e.g. `clusterkg import clusters c.csv` "
                             f"(got {len(pairs)} arguments)")
    files = []
    for kind, name in zip(pairs[::2], pairs[1::2], strict=True):
        spec = kind_or_error(kind)
        path = Path(name)
        files.append((spec, path, read_rows(path, spec)))

    def build(dataset: Dataset, target: Plan) -> tuple[Graph, Locator]:
        imported = import_files(dataset, files, graph_slug=target.slug, document=target.document)
        return imported.graph, Locator(rows=imported.rows)

    return _apply(build, source=source, replaces=replaces, dry_run=dry_run,
                  skip_duplicates=skip_duplicates, lock_timeout=lock_timeout, fmt=fmt, lang=lang,
                  command=command_line(ctx), what=", ".join(str(f[1]) for f in files),
                  web=web_meta(source, **web))


def web_meta(source: str, *, sources_file: Path | None = None, title: str | None = None,
             publisher: str | None = None, published: str | None = None,
             retrieved: str | None = None, source_language: str | None = None,
             statement_by: tuple[str, ...] = ()) -> WebMeta | None:
    """The metadata of a web --source: its row of --sources, overridden by the options."""
    from clusterkg.websource import WebMeta, is_web_address, read_sources_file

    if not is_web_address(source):
        return None
    url = source.strip().strip("<>")
    meta = WebMeta(url=url)
    if sources_file is not None:
        meta = read_sources_file(sources_file).get(url, meta)
    return meta.merged(WebMeta(url=url, title=title or "", publisher=publisher or "",
                               published=published or "", retrieved=retrieved or "",
                               language=source_language or "", statement_by=statement_by))


def _apply(build: Build, *, source: str, replaces: str | None, dry_run: bool,
           skip_duplicates: bool, lock_timeout: float | None, fmt: str, lang: str,
           command: str, what: str, web: WebMeta | None = None) -> int:
    """The locked read-build-validate-write cycle shared by add and import."""
    from clusterkg.delta import Schema, check, skolemise, skolemised_index
    from clusterkg.gcpause import paused
    from clusterkg.progress import slow_step
    from clusterkg.sources import (
        find_source,
        graph_lock,
        list_sources,
        plan,
        provenance,
        serialize_graph,
        with_source_documents,
        write_graph_file,
    )
    from clusterkg.spreadsheet import RowErrors

    state = _state()
    home = state.home()
    guard = contextlib.nullcontext() if dry_run else graph_lock(home, lock_timeout)
    with guard, paused():
        dataset = state.dataset()
        schema = Schema(dataset)
        old = find_source(list_sources(dataset, home), replaces) if replaces else None
        target = plan(home, dataset, source, web)
        try:
            content, locator = build(dataset, target)
        except RowErrors as bad:
            for problem in bad.errors:
                _error(str(problem))
            return EXIT_USAGE
        if _needs_documents(content, schema.sourced_classes):
            content = with_source_documents(content, target.document, schema.sourced_classes)
        removed = [old.graph] if old is not None else []

        # The provenance is checked with the facts, indexed together with them rather than
        # copied into one graph (a copy of a 100k-row import costs seconds).
        with slow_step("checking the new facts against the graph and the shapes"):
            both = skolemised_index(content, provenance(target, command=command),
                                    locator=locator)
            result = check(dataset, both, remove=removed, locator=locator, lang=lang,
                           schema=schema)
        if result.duplicates and skip_duplicates and result.report.conforms:
            content, taken = _drop_facts(content, [d.fact for d in result.duplicates], locator)
            for d in result.duplicates:
                _note(text("skipped", lang, what=one_line(d.message(lang))))
            dropped = skolemise(taken, locator)
            both.discard(dropped)
            # what leaving them out touches, checked again
            result = check(dataset, both, remove=removed, locator=locator, lang=lang,
                           schema=schema, dropped=dropped)
        if not result.conforms:
            _show_report(result, fmt, lang)
            _error(text("not added", lang, problems=_problems(result, lang), what=what)
                   + ("" if skip_duplicates or not result.duplicates or not result.report.conforms
                      else text("use skip", lang)))
            return EXIT_FAILURE
        if not _anything_new(dataset, content):
            _error(text("nothing new", lang, what=what))
            return EXIT_FAILURE
        facts = _count_facts(content, schema)
        graph = content  # from here on the graph to write: the facts and their provenance
        graph += provenance(target, command=command,
                            replaces=old.graph if old is not None else None)
        header = (f"Facts added by `{command}`.\nSource: {target.document_label} "
                  f"<{target.document}>.\nThe ck:SourceGraph node below records the "
                  "provenance; `clusterkg sources` lists it and\n`clusterkg remove --source "
                  f"{target.slug}` takes it back.")
        size = len(graph)  # counted once: rdflib's len() walks every triple
        data = _serialize(target.name, graph, size, header, serialize_graph)
        if dry_run:
            _echo(data.decode("utf-8"))
            _note(text("dry run", lang, triples=size, facts=count(facts, "fact", lang),
                       path=target.path, graph=target.name))
            return EXIT_OK
        write_graph_file(target.path, data)
    _echo(text("added", lang, triples=size, facts=count(facts, "fact", lang), what=what,
               path=target.path, graph=target.name, source=target.document_label) + "\n")
    if old is not None:
        _echo(text("replaces", lang, graph=old.graph) + "\n")
    return EXIT_OK


#: From this many triples on, a graph file is written by Oxigraph's TriG serialiser: rdflib's
#: costs ~0.15 ms a triple (2 minutes for a 100k-row import). Smaller graphs are written as
#: before (rdflib's layout), so small additions keep the look of the files in graph/.
FAST_SERIALIZE_TRIPLES = 20_000


def _serialize(name: Any, graph: Graph, size: int, header: str,
               slow: Callable[..., bytes]) -> bytes:
    """One named graph (of ``size`` triples) as TriG after a ``#`` comment header (see
    FAST_SERIALIZE_TRIPLES)."""
    if size < FAST_SERIALIZE_TRIPLES:
        return slow(name, graph, header)
    import pyoxigraph as ox

    from clusterkg.delta import OxTerms
    from clusterkg.namespaces import PREFIXES

    target = ox.NamedNode(name)
    term = OxTerms()
    quads = [ox.Quad(term[s], term[p], term[o], target)
             for s, p, o in sorted(graph, key=lambda t: (str(t[0]), str(t[1]), str(t[2])))]
    body = ox.serialize(quads, format=ox.RdfFormat.TRIG,
                        prefixes={k: str(v) for k, v in PREFIXES.items()})
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comment.encode("utf-8") + body


def _needs_documents(content: Graph, classes: set[Any]) -> bool:
    """Whether some node of a sourced class names no source document (so --source is added)."""
    from rdflib.namespace import RDF

    from clusterkg.namespaces import CK

    return any((node, CK.sourceDocument, None) not in content
               for node, cls in content.subject_objects(RDF.type) if cls in classes)


def _problems(result: DeltaReport, lang: str = "en") -> str:
    violations = result.report.counts().get("Violation", 0)
    parts = [count(violations, "violation", lang)] if violations else []
    if result.duplicates:
        parts.append(count(len(result.duplicates), "duplicate fact", lang))
    return joined(parts, lang) or text("problems", lang)


def _show_report(result: DeltaReport, fmt: str, lang: str) -> None:
    from clusterkg import validate as shacl
    from clusterkg.delta import as_report

    _echo(shacl.render(as_report(result, lang), fmt, lang))


def _drop_facts(content: Graph, facts: list[Any], locator: Locator) -> tuple[Graph, Graph]:
    """``content`` without the given facts and the periods only they use, and the triples
    taken out of it.

    In place: ``content`` is the command's own graph (a copy of a big file's cost seconds).
    """
    from rdflib import Graph
    from rdflib.namespace import RDF

    from clusterkg.namespaces import CK

    out = content
    taken = Graph()
    for fact in facts:
        node = locator.skolem.get(fact, fact)
        for period in list(out.objects(node, CK.period)):
            others = {s for s in out.subjects(CK.period, period)} - {node}
            if not others and (period, RDF.type, CK.Period) in out:
                for triple in list(out.triples((period, None, None))):
                    taken.add(triple)
                out.remove((period, None, None))
        for triple in list(out.triples((node, None, None))):
            taken.add(triple)
        out.remove((node, None, None))
    return out, taken


def _anything_new(dataset: Dataset, content: Graph) -> bool:
    return any(triple not in dataset for triple in content)


def _count_facts(graph: Graph, schema: Any) -> int:
    from rdflib.namespace import RDF

    return len({s for s, o in graph.subject_objects(RDF.type) if o in schema.fact_classes})


# --- validate FILE... ----------------------------------------------------------------------


def validate_files(files: tuple[Path, ...], *, dataset: Dataset, input_format: str | None,
                   source: str | None, fmt: str, lang: str, inference: str,
                   base: str | None = None) -> int:
    """`clusterkg validate FILE...`: the new facts checked as `add` would check them."""
    from clusterkg import validate as shacl
    from clusterkg.delta import Schema, as_report, check, read_files, skolemised_index
    from clusterkg.gcpause import paused
    from clusterkg.progress import slow_step
    from clusterkg.sources import plan, with_source_documents

    with paused():
        delta, locator = read_files(files, input_format, base)
        state = _state()
        schema = Schema(dataset)
        if source:
            target = plan(state.home(), dataset, source)
            delta = with_source_documents(delta, target.document, schema.sourced_classes)
            delta += target.document_triples
        with slow_step("checking the new facts against the graph and the shapes"):
            result = check(dataset, skolemised_index(delta, locator=locator), locator=locator,
                           lang=lang, inference=inference, schema=schema)
    _echo(shacl.render(as_report(result, lang), fmt, lang))
    return EXIT_OK if result.conforms else EXIT_FAILURE


# --- sources and remove --------------------------------------------------------------------


@click.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="table for people, json for programs.")
@click.option("--lang", type=click.Choice(["en", "nb"]), default="en", show_default=True,
              help="Language of the labels.")
def sources(fmt: str, lang: str) -> int:
    """List the source graphs in graph/ with their provenance and triple counts.

    For each named graph: its name, how many triples it holds, the source it is derived from
    (a web page's address, or a document's name), a web source's publisher and publication
    date, and whether it is an original document graph (derived from a .txt source) or
    replaced by a later correction. --format json adds the label, title, whose press release a
    page reprints (statementBy), and when, by which command and by whom the graph was made.

    \b
    Examples:
      clusterkg sources
      clusterkg sources --format json
    """
    from clusterkg.namespaces import compact
    from clusterkg.sources import list_sources

    state = _state()
    infos = list_sources(state.dataset(), state.home())
    if fmt == "json":
        doc = [{
            "graph": str(i.graph),
            "file": str(i.file) if i.file else None,
            "label": i.label(lang),
            "derivedFrom": str(i.derived_from) if i.derived_from else None,
            "derivedFromLabel": i.derived_label,
            "derivedFromFile": i.derived_file_name,
            "url": i.url,
            "publisher": i.publisher,
            "published": i.published,
            "statementBy": i.statement_by,
            "generatedAt": i.generated_at,
            "command": i.command,
            "creator": i.creator,
            "triples": i.triples,
            "original": i.original,
            "replaces": [str(g) for g in i.replaces],
            "replacedBy": [str(g) for g in i.replaced_by],
        } for i in infos]
        _echo(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    rows = [("graph", "triples", "source", "publisher", "published", "status")]
    for i in infos:
        status = []
        if i.original:
            status.append("original")
        status += [f"replaced by {compact(str(g))}" for g in i.replaced_by]
        status += [f"replaces {compact(str(g))}" for g in i.replaces]
        rows.append((
            compact(str(i.graph)), str(i.triples),
            i.url or i.derived_label or i.derived_file_name or (
                compact(str(i.derived_from)) if i.derived_from else ""),
            i.publisher or "", i.published or "", "; ".join(status),
        ))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]) - 1)]
    lines = ["  ".join([*(r[c].ljust(widths[c]) for c in range(len(widths))), r[-1]]).rstrip()
             for r in rows]
    _echo("\n".join(lines) + "\n")
    if len(infos) == 0:
        _note("no source graphs in graph/")
    return EXIT_OK


@click.command()
@click.option("--source", "-s", required=True, metavar="NAME",
              help="The source graph: its graph name, file, label or source document.")
@click.option("--force", is_flag=True,
              help="Also remove an original document graph (derived from a .txt source), "
              "and remove even if the rest of the graph then has new violations.")
@click.option("--dry-run", "-n", is_flag=True, help="Check and say what would go; change nothing.")
@click.option("--lock-timeout", type=click.FloatRange(min=0), metavar="SECONDS",
              help="How long to wait for another command's lock on graph/.")
@_report_options
def remove(source: str, force: bool, dry_run: bool, lock_timeout: float | None, fmt: str,
           lang: str) -> int:
    """Take back a source graph that was added: its file leaves graph/ (one atomic unlink).

    The graphs of the original documents (derived from a .txt source document) are only
    removed with --force. The rest of the graph is re-checked where the removed facts were
    used (a membership of an organisation that only this source described, say); if that
    brings new violations the removal is refused (report on stdout) unless --force.

    Exit 0 removed; 1 refused because of new violations; 2 unknown source, original
    document without --force, or lock held.

    \b
    Examples:
      clusterkg sources
      clusterkg remove --source arsrapport-2024
      clusterkg remove --source 000_e55087a455a2a3a4 --force
    """
    from rdflib import Graph

    from clusterkg.delta import check
    from clusterkg.namespaces import compact
    from clusterkg.sources import find_source, graph_lock, list_sources, remove_graph_file

    state = _state()
    home = state.home()
    guard = contextlib.nullcontext() if dry_run else graph_lock(home, lock_timeout)
    with guard:
        dataset = state.dataset()
        info = find_source(list_sources(dataset, home), source)
        name = compact(str(info.graph))
        if info.original and not force:
            raise ClusterKGError(
                f"{name} holds the facts of the original document "
                f"{info.derived_file_name}; use --force to remove it anyway"
            )
        if info.file is None:
            raise ClusterKGError(f"cannot find the file of {name} in {home.graph_dir}")
        result = check(dataset, Graph(), remove=[info.graph], lang=lang)
        if not result.report.conforms and not force:
            _show_report(result, fmt, lang)
            _error(f"not removed: without {name} the graph would have {_problems(result)}; "
                   "use --force to remove it anyway")
            return EXIT_FAILURE
        if dry_run:
            _note(f"dry run: would remove {info.file} ({name}, {info.triples} triples)")
            return EXIT_OK
        remove_graph_file(info.file)
    _echo(f"Removed {info.file} ({name}, {info.triples} triples).\n")
    return EXIT_OK


# --- template ------------------------------------------------------------------------------


def _template_help() -> str:
    from clusterkg.spreadsheet import KINDS, documentation

    kinds = "\n\n".join("\b\n" + documentation(k) for k in KINDS.values())
    return (
        "Write an empty spreadsheet template for KIND: a UTF-8 CSV file whose first row names "
        "the columns (CSV has no comment rows, so the column documentation goes to stderr). "
        "Fill it in with any spreadsheet program, save as CSV (UTF-8; comma or semicolon), "
        "and load it with `clusterkg import KIND FILE.csv --source NAME`.\n\n"
        "Names in cells are looked up (case-insensitively, by label, preferred, alternative "
        "or hidden label) in the graph and in earlier rows of the file. Dates are YYYY-MM-DD; "
        "from/to also take a year (YYYY).\n\n"
        f"{kinds}\n\n"
        "\b\nExamples:\n  clusterkg template member-counts -o counts.csv\n"
        "  clusterkg template grants > grants.csv"
    )


class _TemplateCommand(click.Command):
    """Builds its help (the column tables) only when asked, so the CLI starts fast."""

    def get_help(self, ctx: click.Context) -> str:
        if not self.help:
            self.help = _template_help()
        return super().get_help(ctx)


@click.command(cls=_TemplateCommand,
               short_help="Write an empty spreadsheet template (CSV) for KIND.")
@click.argument("kind", metavar="KIND")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FILE.csv",
              help="Where to write the template ('-' or none: stdout).")
@click.option("--force", is_flag=True, help="Overwrite FILE.csv if it exists.")
@click.option("--bom", is_flag=True,
              help="Start the file with a UTF-8 byte order mark (helps older Excel versions).")
def template(kind: str, output: Path | None, force: bool, bom: bool) -> int:
    from clusterkg.build import write_atomically
    from clusterkg.spreadsheet import documentation, kind_or_error, template_text

    spec = kind_or_error(kind)
    data = (("\ufeff" if bom else "") + template_text(spec)).encode("utf-8")
    if output is None or str(output) == "-":  # '-' is stdout, as for every output option
        click.echo(data, nl=False)
    else:
        if output.exists() and not force:
            raise ClusterKGError(f"{output} already exists; use --force to overwrite it")
        write_atomically(output, data)
        _note(f"wrote {output}")
    click.echo(documentation(spec), err=True)
    return EXIT_OK
