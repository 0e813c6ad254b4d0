"""The ``export`` and ``analyze`` commands (registered on the main group at the end of cli.py).

Kept apart from cli.py so the drawing side can grow without touching the query side. Heavy
libraries (networkx, matplotlib) are imported inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from clusterkg.errors import EXIT_OK, ClusterKGError
from clusterkg.gcpause import paused as _gc_paused
from clusterkg.state import note as _note

if TYPE_CHECKING:
    import networkx as nx
    from rdflib import Dataset

    from clusterkg.graphfiles import GraphFiles
    from clusterkg.state import State

# Mirrors export.SUFFIXES / export.LAYOUTS (a test checks), listed here to keep --help light.
FORMATS = ("graphml", "gexf", "dot", "svg", "png", "cytoscape", "html")
LAYOUTS = ("neato", "sfdp", "fdp", "dot", "circo", "twopi")
LANGS = ("en", "nb")


def _graph(
    state: State, lang: str, with_literals: bool, focus: str | None, depth: int | None,
    types: str | None,
) -> nx.MultiDiGraph:
    """Project the dataset, then cut out the focus neighbourhood and keep the chosen types."""
    from clusterkg.netgraph import (
        keep_types,
        neighbourhood,
        resolve_node,
        resolve_types,
        to_networkx,
    )

    if depth is not None and depth < 0:
        raise ClusterKGError(f"--depth must be 0 or more, not {depth}")
    if depth is not None and focus is None:
        raise ClusterKGError("--depth needs --focus (the entity to start from)")
    graph = to_networkx(_source(state), lang=lang, with_literals=with_literals)
    wanted = resolve_types(graph, types) if types is not None else None
    if focus is not None:
        graph = neighbourhood(graph, resolve_node(graph, focus), 1 if depth is None else depth)
    if wanted is not None:
        graph = keep_types(graph, wanted)
    return graph


def _source(state: State) -> Dataset | GraphFiles:
    """What to project: on Oxigraph the version's graph files, parsed straight into the
    projection (half the time and a third of the memory of an in-memory copy at 1M triples),
    else the dataset."""
    from clusterkg.oxstore import graph_files

    dataset = state.dataset()
    return graph_files(dataset) or dataset


@click.command()
@click.option(
    "--format", "-f", "fmt", type=click.Choice(FORMATS), default=None,
    help="Output format [default: from the suffix of -o].",
)
@click.option(
    "--output", "-o", "output", default="-", show_default=True, metavar="PATH",
    help="File to write (atomically); '-' writes text formats to stdout.",
)
@click.option("--focus", metavar="LABEL_OR_IRI", help="Keep only the neighbourhood of this entity.")
@click.option(
    "--depth", type=int, default=None, metavar="N",
    help="With --focus: how many edges away from it to go [default: 1].",
)
@click.option(
    "--types", metavar="CLASSES",
    help="Keep only instances of these classes (comma-separated; ck:Cluster, org:Organization, "
    "or local names like Cluster; subclasses count).",
)
@click.option(
    "--lang", type=click.Choice(LANGS), default="en", show_default=True,
    help="Language of labels.",
)
@click.option(
    "--with-literals", is_flag=True,
    help="Draw literal values (and facts about one entity) as nodes instead of attributes.",
)
@click.option(
    "--layout", type=click.Choice(LAYOUTS), default="neato", show_default=True,
    help="Graphviz layout engine for svg and png.",
)
@click.pass_obj
def export(
    state: State, fmt: str | None, output: str, focus: str | None, depth: int | None,
    types: str | None, lang: str, with_literals: bool, layout: str,
) -> int:
    """Export the ecosystem as a graph file: GraphML, GEXF, DOT, SVG, PNG, Cytoscape.js or HTML.

    Fact nodes that link two entities become labelled edges (Validé AS -hosts-> NSCC) that
    keep the fact IRI, its values and its sources; facts about one entity (member counts)
    become attributes. svg and png need Graphviz ('dot'); html is one page that works offline.

    \b
    Examples:
      clusterkg export -o ecosystem.html
      clusterkg export -f graphml -o ecosystem.graphml
      clusterkg export -o valide.svg --focus "Validé AS" --depth 1
      clusterkg export -f dot --types ck:Cluster,org:Organization | dot -Kneato -Tpdf > g.pdf
      clusterkg export -o graf.png --lang nb
    """
    from clusterkg import export as writers

    fmt = fmt or (writers.format_for(output) if output != "-" else None)
    if fmt is None:
        raise ClusterKGError(
            f"cannot tell the format of {output!r}: give --format ({', '.join(FORMATS)})"
        )
    target = None if output == "-" else Path(output)
    if target is None and fmt in writers.BINARY_FORMATS:
        raise ClusterKGError(f"{fmt} is binary: write it to a file with -o FILE.{fmt}")
    if target is not None:
        writers.check_writable(target)
    if fmt in writers.GRAPHVIZ_FORMATS:
        writers.graphviz_binary()  # fail before the work when Graphviz is missing
    with _gc_paused():
        graph = _graph(state, lang, with_literals, focus, depth, types)
        rendered = writers.render(graph, fmt, layout=layout)
    if target is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(rendered.data)
        sys.stdout.buffer.flush()
    else:
        writers.write_atomic(target, rendered.data)
        _note(f"wrote {target} ({fmt}: {graph.number_of_nodes()} nodes, "
              f"{graph.number_of_edges()} edges)")
    return EXIT_OK


@click.command()
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table",
    show_default=True, help="table for people; json with stable sorted keys.",
)
@click.option("--plot", metavar="FILE.png", help="Also draw the graph, coloured, to this PNG.")
@click.option(
    "--color-by", "colour_by", type=click.Choice(["community", "type"]), default="community",
    show_default=True, help="What the colours of the plot show.",
)
@click.option(
    "--lang", type=click.Choice(LANGS), default="en", show_default=True,
    help="Language of labels.",
)
@click.pass_obj
def analyze(state: State, fmt: str, plot: str | None, colour_by: str, lang: str) -> int:
    """Centrality, organisations that connect clusters, and communities of the ecosystem.

    Works on the projected entity graph (as drawn by `clusterkg export`), undirected: degree
    and betweenness centrality per node; the organisations and people linked to more than one
    cluster (by hosting, funding, membership, posts...); Louvain communities (fixed seed).

    \b
    Examples:
      clusterkg analyze
      clusterkg analyze --format json > analysis.json
      clusterkg analyze --plot communities.png
    """
    from clusterkg import analyze as metrics
    from clusterkg.export import check_writable

    if plot == "-":  # '-' is stdout everywhere; here stdout has the tables and PNG is binary
        raise ClusterKGError("--plot cannot write to stdout ('-'): the tables go there and PNG "
                             "is binary; give a FILE.png")
    target = Path(plot) if plot else None
    if target is not None:
        if target.suffix.lower() != ".png":
            raise ClusterKGError(f"--plot writes PNG: give a file name ending in .png, not {plot}")
        check_writable(target)
    with _gc_paused():
        graph = _graph(state, lang, False, None, None, None)
    result = metrics.analyse(graph)
    if fmt == "json":
        click.echo(metrics.to_json(result), nl=False)
    else:
        metrics.print_tables(result, lang)
    if target is not None:
        metrics.plot(graph, result, target, colour_by=colour_by, lang=lang)
        _note(f"wrote {target}")
    return EXIT_OK
