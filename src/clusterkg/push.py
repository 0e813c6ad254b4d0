"""Load the built dataset into a SPARQL server, one named graph per source plus ontology and
shapes, replacing those graphs so that pushing twice never doubles anything.

Two ways in, both W3C: the Graph Store HTTP Protocol (PUT replaces a graph; further batches
are POSTed, which adds) or SPARQL 1.1 Update (``DROP SILENT GRAPH`` then ``INSERT`` in
batches; the drop and the first batch go in one request, which servers run as one
transaction). A blank node must not be split between two requests (each request would make
its own copy), so triples that share blank nodes travel together in one batch.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.term import Node

from clusterkg.errors import ClusterKGError
from clusterkg.remote import Client, Options, check_url, remote_name
from clusterkg.store import named_graphs
from clusterkg.terms import iri, ntriples

PROTOCOLS = ("gsp", "update")
#: Triples per request. Smaller for SPARQL Update: Virtuoso compiles an INSERT into SQL and
#: gives up past 10,000 lines of it (SP031), which a few thousand triples reach.
DEFAULT_BATCH = {"gsp": 10_000, "update": 500}

Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class Pushed:
    """One graph after the push: its name locally and on the server, and the two counts."""

    local: URIRef
    remote: str
    pushed: int
    on_server: int


def batches(triples: Iterable[Triple], size: int) -> Iterator[list[Triple]]:
    """Batches of about ``size`` triples; triples linked by blank nodes stay in one batch."""
    parent: dict[Node, Node] = {}

    def find(node: Node) -> Node:
        root = node
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(node, node) != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    plain: list[Triple] = []
    linked: list[Triple] = []
    for triple in triples:
        blanks = [t for t in (triple[0], triple[2]) if isinstance(t, BNode)]
        if not blanks:
            plain.append(triple)
            continue
        linked.append(triple)
        first = find(blanks[0])
        parent.setdefault(first, first)
        for other in blanks[1:]:
            root = find(other)
            if root != first:
                parent[root] = first
    groups: dict[Node, list[Triple]] = {}
    for triple in linked:
        anchor = triple[0] if isinstance(triple[0], BNode) else triple[2]
        groups.setdefault(find(anchor), []).append(triple)
    batch: list[Triple] = []
    for group in [*([t] for t in plain), *groups.values()]:
        if batch and len(batch) + len(group) > size:
            yield batch
            batch = []
        batch.extend(group)
    if batch:
        yield batch


def nt_lines(triples: Iterable[Triple]) -> str:
    """Triples as N-Triples text (also valid Turtle and valid in an INSERT template)."""
    return "".join(f"{ntriples(s)} {ntriples(p)} {ntriples(o)} .\n" for s, p, o in triples)


def insert(graph: str, batch: list[Triple], *, drop: bool) -> str:
    """``[DROP SILENT GRAPH g ;] INSERT { GRAPH g { ... } } WHERE {}`` for one batch.

    The template form with an empty WHERE inserts exactly the listed triples (one solution,
    fresh blank nodes). INSERT DATA would say the same, but Virtuoso 7.2 refuses blank nodes
    in it (SP031) and fails on xsd:duration literals (SR553); the template form works on
    Virtuoso, Oxigraph, Fuseki and GraphDB alike.
    """
    target = iri(graph)
    drop_first = f"DROP SILENT GRAPH {target} ;\n" if drop else ""
    return f"{drop_first}INSERT {{ GRAPH {target} {{\n{nt_lines(batch)}}} }} WHERE {{}}"


def push(
    dataset: Dataset,
    options: Options,
    *,
    write_url: str | None = None,
    protocol: str = "gsp",
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Pushed]:
    """Replace our graphs on the server with the local ones; return the server's counts."""
    if protocol not in PROTOCOLS:
        raise ClusterKGError(f"unknown protocol '{protocol}' (known: {', '.join(PROTOCOLS)})")
    batch_size = batch_size or DEFAULT_BATCH[protocol]
    if batch_size < 1:
        raise ClusterKGError("--batch-size must be at least 1")
    client = Client(options)
    target_url = check_url(write_url or options.endpoint, "--update-endpoint")
    names = named_graphs(dataset)
    if not names:
        raise ClusterKGError("the dataset has no named graphs to push")
    pushed: dict[URIRef, tuple[str, int]] = {}
    for name in names:
        graph: Graph = dataset.graph(name)
        remote = remote_name(str(name), options.graph_prefix)
        triples = list(graph)
        for number, batch in enumerate(batches(triples, batch_size)):
            if protocol == "gsp":
                body = nt_lines(batch).encode("utf-8")
                client.store(target_url, remote, body, replace=number == 0)
            else:
                client.update(insert(remote, batch, drop=number == 0), target_url,
                              what=f"update of <{remote}>")
            if progress is not None:
                progress(len(batch))
        pushed[name] = (remote, len(triples))
    counts = client.counts([remote for remote, _ in pushed.values()])
    return [
        Pushed(local=name, remote=remote, pushed=count, on_server=counts[remote])
        for name, (remote, count) in pushed.items()
    ]


def total_triples(dataset: Dataset) -> int:
    """How many triples a push sends (for the progress bar)."""
    return sum(len(dataset.graph(name)) for name in named_graphs(dataset))


def progress_bar(total: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A rich progress bar on stderr (silent when stderr is not a terminal): advance, close."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(file=sys.stderr)
    bar = Progress(
        TextColumn("pushing"), BarColumn(), MofNCompleteColumn(), TextColumn("triples"),
        console=console, disable=not console.is_terminal, transient=True,
    )
    task = bar.add_task("push", total=total)
    bar.start()
    return (lambda n: bar.advance(task, n)), bar.stop
