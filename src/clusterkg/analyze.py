"""Network measures of the projected ecosystem graph: who is central, who bridges clusters,
which groups hang together, and a picture of it.

Works on the graph of netgraph.to_networkx, viewed as undirected with parallel edges merged
(their count is the weight): a funder of two clusters is one step from each, whichever way
the arrow points.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
import textwrap
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

SEED = 42
CLUSTER = "ck:Cluster"
#: Node classes that count as actors able to connect clusters.
AGENTS = frozenset({"org:Organization", "ck:Person"})

_TEXT = {
    "en": {
        "centrality": "Centrality (undirected, parallel edges merged)", "name": "name",
        "type": "type", "degree": "degree", "betweenness": "betweenness",
        "connectors": "Organisations and people connecting more than one cluster",
        "clusters": "clusters (relations)", "communities": "Communities (Louvain, seed 42)",
        "size": "size", "members": "members", "none": "(none)", "community": "community",
        "title": "clusterkg ecosystem",
    },
    "nb": {
        "centrality": "Sentralitet (urettet, parallelle kanter slått sammen)", "name": "navn",
        "type": "type", "degree": "grad", "betweenness": "mellomliggende",
        "connectors": "Organisasjoner og personer som knytter sammen flere klynger",
        "clusters": "klynger (relasjoner)", "communities": "Fellesskap (Louvain, frø 42)",
        "size": "størrelse", "members": "medlemmer", "none": "(ingen)", "community": "fellesskap",
        "title": "clusterkg-økosystemet",
    },
}


@dataclass(frozen=True)
class NodeScore:
    """How central one node is."""

    id: str
    label: str
    type: str
    typeLabel: str  # camelCase: these are JSON field names
    degree: int  # distinct neighbours
    relations: int  # edges, parallel ones counted
    degreeCentrality: float
    betweenness: float
    community: int


@dataclass(frozen=True)
class Connector:
    """An organisation or person linked to more than one cluster, and how."""

    id: str
    label: str
    type: str
    typeLabel: str  # camelCase: a JSON field name
    clusters: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Community:
    """A group found by Louvain, named after its best-connected member."""

    number: int
    name: str
    size: int
    members: list[str]
    labels: list[str]


@dataclass(frozen=True)
class Analysis:
    """Everything `clusterkg analyze` reports."""

    nodes: int
    edges: int
    undirected_edges: int
    scores: list[NodeScore]
    connectors: list[Connector]
    communities: list[Community]


def undirected(graph: nx.MultiDiGraph) -> nx.Graph:
    """Simple undirected view; ``weight`` = how many edges (either way) join the two nodes."""
    simple = nx.Graph()
    simple.add_nodes_from(sorted(graph))
    for u, v in sorted((u, v) for u, v, _ in graph.edges(keys=True)):
        if u == v:
            continue
        if simple.has_edge(u, v):
            simple[u][v]["weight"] += 1
        else:
            simple.add_edge(u, v, weight=1)
    return simple


def analyse(graph: nx.MultiDiGraph, *, seed: int = SEED) -> Analysis:
    """Degree and betweenness centrality, cluster connectors and communities."""
    simple = undirected(graph)
    found = (
        nx.community.louvain_communities(simple, weight="weight", seed=seed) if len(simple) else []
    )
    communities = _communities(graph, simple, found)
    member_of = {n: c.number for c in communities for n in c.members}
    degree = nx.degree_centrality(simple) if len(simple) > 1 else dict.fromkeys(simple, 0.0)
    between = nx.betweenness_centrality(simple, normalized=True)
    scores = [
        NodeScore(
            id=n, label=graph.nodes[n]["label"], type=graph.nodes[n]["type"],
            typeLabel=graph.nodes[n]["typeLabel"], degree=simple.degree(n),
            relations=graph.degree(n), degreeCentrality=round(degree[n], 6),
            betweenness=round(between[n], 6), community=member_of.get(n, 0),
        )
        for n in simple
    ]
    scores.sort(key=lambda s: (-s.betweenness, -s.degree, s.label.casefold(), s.id))
    return Analysis(
        nodes=graph.number_of_nodes(), edges=graph.number_of_edges(),
        undirected_edges=simple.number_of_edges(), scores=scores,
        connectors=connectors(graph), communities=communities,
    )


def connectors(graph: nx.MultiDiGraph) -> list[Connector]:
    """Organisations and people with edges (any relation, any direction) to two+ clusters."""
    clusters = {n for n, d in graph.nodes(data=True) if CLUSTER in d.get("classes", ())}
    out = []
    for node, data in graph.nodes(data=True):
        if node in clusters or not AGENTS & set(data.get("classes", ())):
            continue
        relations: dict[str, set[str]] = defaultdict(set)
        for u, v, edge in [*graph.out_edges(node, data=True), *graph.in_edges(node, data=True)]:
            other = v if u == node else u
            if other in clusters:
                relations[other].add(edge["label"])
        if len(relations) > 1:
            out.append(Connector(
                id=node, label=data["label"], type=data["type"], typeLabel=data["typeLabel"],
                clusters=[
                    {"id": c, "label": graph.nodes[c]["label"], "relations": sorted(relations[c])}
                    for c in sorted(relations, key=lambda c: graph.nodes[c]["label"])
                ],
            ))
    out.sort(key=lambda c: (-len(c.clusters), c.label.casefold(), c.id))
    return out


def _communities(
    graph: nx.MultiDiGraph, simple: nx.Graph, found: list[set[str]]
) -> list[Community]:
    ordered = sorted(found, key=lambda c: (-len(c), min(graph.nodes[n]["label"] for n in c)))
    out = []
    for number, members in enumerate(ordered, start=1):
        ranked = sorted(members, key=lambda n: (-simple.degree(n), graph.nodes[n]["label"], n))
        out.append(Community(
            number=number, name=graph.nodes[ranked[0]]["label"], size=len(members),
            members=ranked, labels=[graph.nodes[n]["label"] for n in ranked],
        ))
    return out


# --- output ------------------------------------------------------------------------------------


def to_json(result: Analysis) -> str:
    """The analysis as JSON with sorted keys and rounded numbers (diff-friendly)."""
    doc = {
        "graph": {"nodes": result.nodes, "edges": result.edges,
                  "undirectedEdges": result.undirected_edges},
        "centrality": [asdict(s) for s in result.scores],
        "connectors": [asdict(c) for c in result.connectors],
        "communities": [asdict(c) for c in result.communities],
        "method": {"view": "undirected, parallel edges merged (weight = count)",
                   "betweenness": "normalised, unweighted",
                   "communities": f"networkx louvain_communities, weight, seed {SEED}"},
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def print_tables(result: Analysis, lang: str = "en") -> None:
    """Three rich tables on stdout: centrality, connectors, communities."""
    from rich.table import Table

    from clusterkg.console import plain_console

    text = _TEXT.get(lang, _TEXT["en"])
    width = shutil.get_terminal_size((110, 24)).columns
    console = plain_console(file=sys.stdout, width=max(width, 80), emoji=False)

    table = Table(title=text["centrality"], title_justify="left")
    for name, justify in (("#", "right"), (text["name"], "left"), (text["type"], "left"),
                          (text["degree"], "right"), (text["betweenness"], "right"),
                          (text["community"], "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for rank, score in enumerate(result.scores, start=1):
        table.add_row(str(rank), score.label, score.typeLabel, str(score.degree),
                      f"{score.betweenness:.3f}", str(score.community))
    console.print(table)

    table = Table(title=text["connectors"], title_justify="left")
    table.add_column(text["name"])
    table.add_column(text["type"])
    table.add_column(text["clusters"])
    for connector in result.connectors:
        linked = "; ".join(
            f"{c['label']} ({', '.join(c['relations'])})" for c in connector.clusters
        )
        table.add_row(connector.label, connector.typeLabel, linked)
    if not result.connectors:
        table.add_row(text["none"], "", "")
    console.print(table)

    table = Table(title=text["communities"], title_justify="left")
    table.add_column("#", justify="right")
    table.add_column(text["size"], justify="right")
    table.add_column(text["members"])
    for community in result.communities:
        table.add_row(str(community.number), str(community.size), ", ".join(community.labels))
    console.print(table)


def plot(
    graph: nx.MultiDiGraph, result: Analysis, path: Path, *, colour_by: str = "community",
    lang: str = "en",
) -> None:
    """A PNG of the undirected graph, nodes coloured by community or type, sized by degree."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from clusterkg.export import colours, group_of, write_atomic

    text = _TEXT.get(lang, _TEXT["en"])
    simple = undirected(graph)
    size = max(len(simple), 1)
    where = nx.spring_layout(simple, seed=SEED, k=2.4 / size**0.5, iterations=300)
    community_of = {s.id: s.community for s in result.scores}
    palette = plt.get_cmap("tab10")
    if colour_by == "type":
        by_group = colours(graph)
        fill = {n: by_group[group_of(graph.nodes[n])] for n in simple}
        seen = {group_of(graph.nodes[n]): graph.nodes[n].get("groupLabel")
                or graph.nodes[n]["typeLabel"] for n in simple}
        handles = [Patch(color=by_group[g], label=label) for g, label in sorted(seen.items())]
    else:
        fill = {n: palette((community_of.get(n, 1) - 1) % 10) for n in simple}
        handles = [Patch(color=palette((c.number - 1) % 10),
                         label=f"{text['community']} {c.number}: {c.name} ({c.size})")
                   for c in result.communities]

    figure, axes = plt.subplots(figsize=(14, 10), dpi=120)
    nodes = list(simple)
    nx.draw_networkx_edges(simple, where, ax=axes, edge_color="#9a9a9a", alpha=0.7,
                           width=[0.8 + 0.6 * simple[u][v]["weight"] for u, v in simple.edges])
    nx.draw_networkx_nodes(simple, where, ax=axes, nodelist=nodes,
                           node_color=[fill[n] for n in nodes], edgecolors="#333333",
                           linewidths=0.8, node_size=[120 + 60 * simple.degree(n) for n in nodes])
    for node, (x, y) in where.items():
        label = "\n".join(textwrap.wrap(graph.nodes[node]["label"], 26)) or node
        axes.annotate(label, (x, y), xytext=(0, -11),
                      textcoords="offset points", ha="center", va="top", fontsize=8,
                      bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                            "alpha": 0.75})
    axes.legend(handles=handles, loc="upper left", fontsize=8, frameon=True)
    axes.set_title(f"{text['title']}: {result.nodes} nodes, {result.edges} edges", fontsize=12)
    axes.margins(0.08)
    axes.set_axis_off()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    write_atomic(path, buffer.getvalue())
