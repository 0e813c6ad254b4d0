"""Write the projected graph (see netgraph.py) as GraphML, GEXF, DOT/SVG/PNG, Cytoscape.js JSON
or one self-contained HTML page.

Every format starts from the same MultiDiGraph; this module only flattens, colours and lays it
out. Files are written atomically (a temporary file in the same directory, then os.replace), so
a failed export never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import networkx as nx

from clusterkg import __version__
from clusterkg.errors import ClusterKGError

#: Fill colours by node type (CURIE), chosen to be told apart and to carry black text.
TYPE_COLOURS: dict[str, str] = {
    "ck:Cluster": "#c4a5a5",  # a cluster with no level assignment (see LEVEL_COLOURS)
    "ck:ClusterOrganisation": "#ff9d9a",
    "org:FormalOrganization": "#f28e2b",
    "rov:RegisteredOrganization": "#ffbe7d",
    "org:Organization": "#f1ce63",
    "ck:Programme": "#4e79a7",
    "ck:Person": "#b07aa1",
    "ck:Place": "#59a14f",
    "ck:FocusArea": "#edc948",
    "ck:SharedProject": "#76b7b2",
    "ck:TestCentre": "#76b7b2",
    "ck:Announcement": "#bcbddc",
    "skos:Concept": "#c49c76",
    "rdfs:Literal": "#e8e8e8",
}
#: Clusters are coloured by the highest level they reached (darker up the levels); a cluster
#: with no level assignment keeps the cluster colour.
LEVEL_COLOURS: dict[str, str] = {
    "ckl:arena": "#fcd5d5",
    "ckl:arena-pro": "#f59a9a",
    "ckl:nce-level": "#e15759",
    "ckl:gce": "#b0303f",
}
#: Colours for types not in TYPE_COLOURS (fact classes of the generic fallback, new classes).
EXTRA_COLOURS = ("#86bcb6", "#d4a6c8", "#a0cbe8", "#8cd17d", "#b6992d", "#d7b5a6", "#bab0ac")
FACT_COLOUR = "#c9c9c9"

#: Formats, the suffixes that imply them, and whether they are binary.
SUFFIXES: dict[str, tuple[str, ...]] = {
    "graphml": (".graphml",),
    "gexf": (".gexf",),
    "dot": (".dot", ".gv"),
    "svg": (".svg",),
    "png": (".png",),
    "cytoscape": (".cyjs", ".cytoscape", ".json"),
    "html": (".html", ".htm"),
}
BINARY_FORMATS = frozenset({"png"})
GRAPHVIZ_FORMATS = frozenset({"svg", "png"})
LAYOUTS = ("neato", "sfdp", "fdp", "dot", "circo", "twopi")
DEFAULT_LAYOUT = "neato"

_INTERNAL_EDGE_KEYS = frozenset({"key"})
_WRAP = 22  # characters per line of a node label in pictures


# --- shared helpers ---------------------------------------------------------------------------


def format_for(path: str) -> str | None:
    """The format implied by a file name's suffix, or None."""
    suffix = Path(path).suffix.lower()
    return next((fmt for fmt, sfx in SUFFIXES.items() if suffix in sfx), None)


def group_of(data: Mapping[str, Any]) -> str:
    """The colour group of a node: its type, or for a cluster its type and highest level."""
    return str(data.get("group") or data["type"])


def colours(graph: nx.MultiDiGraph) -> dict[str, str]:
    """group -> colour for every node group in the graph, stable across runs."""
    out: dict[str, str] = {}
    spare = iter(EXTRA_COLOURS)
    kinds: dict[str, set[str]] = defaultdict(set)
    for _, data in graph.nodes(data=True):
        kinds[group_of(data)].add(data["kind"])
    for group in sorted(kinds):
        node_type, _, level = group.partition(" ")
        if level in LEVEL_COLOURS:
            out[group] = LEVEL_COLOURS[level]
        elif node_type in TYPE_COLOURS:
            out[group] = TYPE_COLOURS[node_type]
        elif kinds[group] == {"fact"}:
            out[group] = FACT_COLOUR
        else:
            out[group] = next(spare, FACT_COLOUR)
    return out


def legend(graph: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """One entry per node group present: group, type, label, colour, count (most frequent
    first; clusters grouped by level, in level order)."""
    counts: dict[str, int] = defaultdict(int)
    labels: dict[str, str] = {}
    types: dict[str, str] = {}
    for _, data in graph.nodes(data=True):
        group = group_of(data)
        counts[group] += 1
        labels[group] = data.get("groupLabel") or data["typeLabel"]
        types[group] = data["type"]
    palette = colours(graph)
    order = list(LEVEL_COLOURS)

    def rank(group: str) -> tuple[int, int, str]:
        level = group.partition(" ")[2]
        by_type = sum(c for g, c in counts.items() if types[g] == types[group])
        return (-by_type, order.index(level) if level in order else -1, labels[group])

    return [
        {"group": g, "type": types[g], "label": labels[g], "color": palette[g], "count": counts[g]}
        for g in sorted(counts, key=rank)
    ]


def sources_text(sources: Iterable[Mapping[str, Any]]) -> str:
    """``file.txt L6, L16; other.txt L5`` for flat formats and tooltips."""
    parts = []
    for source in sources:
        name = source.get("file") or source.get("document", "")
        lines = ", ".join(f"L{n}" for n in source.get("lines", []))
        parts.append(f"{name} {lines}".strip())
    return "; ".join(parts)


def flat(value: Any) -> str:
    """One attribute value as a string: GraphML and GEXF hold no lists, dicts or None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return "; ".join(flat(v) for v in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _flat_node(data: Mapping[str, Any]) -> dict[str, str]:
    out = {k: flat(v) for k, v in data.items() if k not in ("sources", "facts")}
    out["sources"] = sources_text(data.get("sources", []))
    per_type: dict[str, list[str]] = defaultdict(list)
    for fact in data.get("facts", []):
        name = fact["type"].split(":")[-1]
        per_type[name[:1].lower() + name[1:]].append(
            f"{fact['summary']} [{sources_text(fact['sources'])}]"
        )
    for name, entries in per_type.items():
        out[name if name not in out else f"fact_{name}"] = "; ".join(entries)
    return out


def _flat_edge(data: Mapping[str, Any]) -> dict[str, str]:
    out = {k: flat(v) for k, v in data.items() if k != "sources"}
    out["sources"] = sources_text(data.get("sources", []))
    return out


def _flat_graph_data(graph: nx.MultiDiGraph) -> dict[str, str]:
    return {"name": "clusterkg", "lang": flat(graph.graph.get("lang", "")),
            "generator": f"clusterkg {__version__}"}


def _sorted_edges(graph: nx.MultiDiGraph) -> list[tuple[str, str, str, dict[str, Any]]]:
    return sorted(graph.edges(keys=True, data=True), key=lambda e: e[:3])


def _flat_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy with string-only attributes, sorted nodes and edges (stable files)."""
    flat_graph = nx.MultiDiGraph()
    flat_graph.graph.update(_flat_graph_data(graph))
    for node in sorted(graph):
        flat_graph.add_node(node, **_flat_node(graph.nodes[node]))
    for u, v, key, data in _sorted_edges(graph):
        flat_graph.add_edge(u, v, key=key, **_flat_edge(data))
    return flat_graph


# --- GraphML and GEXF -------------------------------------------------------------------------


_GRAPHML_ROOT = (
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">'
)
#: What str.splitlines() breaks ASCII text at besides "\n" (see to_graphml).
_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e"


def to_graphml(graph: nx.MultiDiGraph) -> str:
    """GraphML (Gephi, yEd, Cytoscape) with readable attribute keys, every value a string.

    Written as text in one pass over the graph, the same bytes networkx's
    ``generate_graphml(..., named_key_ids=True)`` gave for the flattened copy (pretty-printed,
    ASCII with character references, keys listed last-used first), without building that copy
    or a tree of XML elements (which took most of a large export's time and memory).
    """
    graph_data = _flat_graph_data(graph)
    # Per scope, attribute -> the start of its data element, in the order first used.
    keys: dict[str, dict[str, str]] = {"graph": {}, "node": {}, "edge": {}}
    body = ['  <graph edgedefault="directed">']
    for node in sorted(graph):
        opening = f'<node id="{_xml_attr(str(node))}"'
        body.append(_graphml_element("node", opening, _flat_node(graph.nodes[node]), keys))
    for u, v, key, data in _sorted_edges(graph):
        opening = (f'<edge source="{_xml_attr(str(u))}" target="{_xml_attr(str(v))}" '
                   f'id="{_xml_attr(str(key))}"')
        body.append(_graphml_element("edge", opening, _flat_edge(data), keys))
    body.extend(_graphml_data("graph", graph_data, keys, "    "))
    body.append("  </graph>")
    head = [
        f'  <key id="{_xml_attr(name)}" for="{scope}" attr.name="{_xml_attr(name)}" '
        'attr.type="string" />'
        for scope in ("edge", "node", "graph") for name in reversed(keys[scope])
    ]  # networkx listed keys last-used first, and its graph's keys were used first
    text = "\n".join([_GRAPHML_ROOT, *head, *body, "</graphml>"])
    # networkx wrote ASCII (other characters as references) and split the text into lines,
    # which turned the rarer line breaks (only ever inside values) into "\n".
    text = text.encode("ascii", "xmlcharrefreplace").decode("ascii")
    if any(c in text for c in _LINE_BREAKS):
        text = "\n".join(text.splitlines())
    return text + "\n"


def _graphml_element(
    tag: str, opening: str, data: Mapping[str, str], keys: dict[str, dict[str, str]]
) -> str:
    """A node or edge element with its data, indented as networkx's pretty-printer does."""
    if not data:
        return f"    {opening} />"
    return "\n".join([f"    {opening}>", *_graphml_data(tag, data, keys, "      "),
                      f"    </{tag}>"])


def _graphml_data(
    scope: str, data: Mapping[str, str], keys: dict[str, dict[str, str]], indent: str
) -> list[str]:
    """The data elements of one node, edge or graph (this runs for every value: the
    escaping is inlined, each key's start tag made once)."""
    lines = []
    used = keys[scope]
    for name, value in data.items():
        start = used.get(name)
        if start is None:
            start = used[name] = f'{indent}<data key="{_xml_attr(name)}"'
        if not value:
            lines.append(start + " />")
            continue
        if "&" in value or "<" in value or ">" in value:
            value = _xml_text(value)
        lines.append(f"{start}>{value}</data>")
    return lines


def _xml_text(text: str) -> str:
    """Character data escaped as ElementTree escapes it."""
    return escape(text)


_ATTRIBUTE_ESCAPES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def _xml_attr(text: str) -> str:
    """An attribute value escaped as ElementTree escapes it."""
    return escape(text, _ATTRIBUTE_ESCAPES)


def to_gexf(graph: nx.MultiDiGraph) -> str:
    """GEXF 1.2 for Gephi: labels, string attributes and a viz:color per node type."""
    flat_graph = _flat_graph(graph)
    palette = colours(graph)
    for node, data in flat_graph.nodes(data=True):
        red, green, blue = _rgb(palette[group_of(graph.nodes[node])])
        data["viz"] = {"color": {"r": red, "g": green, "b": blue, "a": 1.0},
                       "size": 10.0 + 2.0 * graph.degree(node)}
    for number, (_, _, data) in enumerate(flat_graph.edges(data=True)):
        data["id"] = f"e{number}"  # unique ids: fact IRIs repeat when a fact has many ends
        data.pop("type", None)  # "type" is GEXF's directed/undirected flag on edges
    return "\n".join(nx.generate_gexf(flat_graph, version="1.2draft")) + "\n"


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


# --- DOT and Graphviz -------------------------------------------------------------------------


def to_dot(graph: nx.MultiDiGraph, *, title: str = "clusterkg") -> str:
    """Graphviz DOT: nodes coloured by type, a legend, parallel edges with one label merged.

    Edges that share ends and label (two sources stating one relation) are drawn once with a
    count (``funds x2``) and all their sources in the tooltip, so the picture stays legible;
    the other formats keep every edge.
    """
    palette = colours(graph)
    lines = [
        f"digraph {_dot_id(title)} {{",
        '  graph [overlap=false, splines=true, sep="+10", esep="+6", pad=0.4, '
        'outputorder=edgesfirst, bgcolor="white", fontname="DejaVu Sans", fontsize=14, '
        'labelloc=b, labeljust=l, K=1.1, repulsiveforce=1.6];',
        '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=13, '
        'penwidth=1.2, margin="0.12,0.06"];',
        '  edge [fontname="DejaVu Sans", fontsize=10.5, fontcolor="#404040", color="#8a8a8a", '
        "arrowsize=0.7];",
    ]
    for node in sorted(graph):
        data = graph.nodes[node]
        fill = palette[group_of(data)]
        shape = {"concept": "ellipse", "fact": "diamond", "literal": "note"}.get(data["kind"])
        attrs = {
            "label": _wrap(data["label"]),
            "fillcolor": fill,
            "fontcolor": "white" if _luminance(fill) < 0.18 else "black",
            "color": _darker(fill),
            "tooltip": f"{data['label']} ({data['typeLabel']})\n{data.get('iri', '')}\n"
            + sources_text(data.get("sources", [])),
        }
        if shape:
            attrs["shape"] = shape
        if graph.graph.get("focus") == node:
            attrs["penwidth"] = "3"
        lines.append(f"  {_dot_id(node)} [{_dot_attrs(attrs)}];")
    groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for u, v, data in graph.edges(data=True):
        groups[(u, v, data["label"])].append(data)
    for (u, v, label), edges in sorted(groups.items()):
        shown = label if len(edges) == 1 else f"{label} \u00d7{len(edges)}"
        tooltip = "\n".join(sources_text(e.get("sources", [])) for e in edges)
        attrs = {"label": shown, "tooltip": f"{label}: {tooltip}"}
        lines.append(f"  {_dot_id(u)} -> {_dot_id(v)} [{_dot_attrs(attrs)}];")
    lines.append(f"  label=<{_legend_table(graph)}>;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _legend_table(graph: nx.MultiDiGraph) -> str:
    rows = "".join(
        f'<TR><TD BGCOLOR="{entry["color"]}" WIDTH="18"> </TD>'
        f'<TD ALIGN="LEFT">{html.escape(entry["label"])} ({entry["count"]})</TD></TR>'
        for entry in legend(graph)
    )
    return (
        '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="2">'
        f'<TR><TD COLSPAN="2" ALIGN="LEFT"><B>{html.escape(_legend_title(graph))}</B></TD></TR>'
        f"{rows}</TABLE>"
    )


def _legend_title(graph: nx.MultiDiGraph) -> str:
    return "Nodetyper" if graph.graph.get("lang") == "nb" else "Node types"


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, _WRAP, break_long_words=False)) or text


def _luminance(colour: str) -> float:
    """WCAG relative luminance, to pick black or white text on a fill."""
    def linear(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in _rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _darker(colour: str, factor: float = 0.65) -> str:
    red, green, blue = (int(c * factor) for c in _rgb(colour))
    return f"#{red:02x}{green:02x}{blue:02x}"


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot_attrs(attrs: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={_dot_id(str(v))}" for k, v in attrs.items())


def graphviz_binary() -> str:
    """The path of Graphviz's ``dot``; a one-line error saying to install it if missing."""
    found = shutil.which("dot")
    if found is None:
        raise ClusterKGError(
            "Graphviz is not installed (no 'dot' on PATH): install it, e.g. "
            "'apt-get install graphviz' or 'brew install graphviz'"
        )
    return found


def render_graphviz(dot_text: str, fmt: str, layout: str = DEFAULT_LAYOUT) -> bytes:
    """Lay out and render DOT with the Graphviz binary (``-K`` layout engine, ``-T`` format)."""
    if layout not in LAYOUTS:
        raise ClusterKGError(f"unknown layout {layout!r} (use one of: {', '.join(LAYOUTS)})")
    command = [graphviz_binary(), f"-K{layout}", f"-T{fmt}"]
    if fmt == "png":
        command.append("-Gdpi=110")
    try:
        done = subprocess.run(command, input=dot_text.encode(), capture_output=True,
                              timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterKGError(f"Graphviz failed: {exc}") from exc
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise ClusterKGError(f"Graphviz failed: {message[-1] if message else done.returncode}")
    return done.stdout


# --- Cytoscape.js JSON and the HTML page ------------------------------------------------------


def to_cytoscape(graph: nx.MultiDiGraph, *, positions: bool = False) -> dict[str, Any]:
    """Cytoscape.js JSON (``{"elements": {"nodes": [...], "edges": [...]}}``), JSON-native values.

    Cytoscape desktop and Cytoscape.js read it as is; ``positions`` adds a deterministic
    force-directed layout so the HTML page opens the same way every time.
    """
    palette = colours(graph)
    where = _positions(graph) if positions else {}
    nodes = []
    for node in sorted(graph):
        data = dict(graph.nodes[node])
        data.update(id=node, color=palette[group_of(data)], degree=graph.degree(node))
        element: dict[str, Any] = {"data": data}
        if node in where:
            element["position"] = where[node]
        nodes.append(element)
    edges = []
    ordered = sorted(graph.edges(keys=True, data=True), key=lambda e: e[:3])
    for number, (u, v, key, data) in enumerate(ordered):
        payload = {k: v for k, v in data.items() if k not in _INTERNAL_EDGE_KEYS}
        payload.update(id=f"e{number}", source=u, target=v, key=key)
        edges.append({"data": payload})
    return {
        "format_version": "1.0",
        "generated_by": f"clusterkg {__version__}",
        "target_cytoscapejs_version": "~3",
        "data": {
            "name": "clusterkg",
            "lang": graph.graph.get("lang", "en"),
            "legend": legend(graph),
            "focus": graph.graph.get("focus"),
            "documents": graph.graph.get("documents", []),
        },
        "elements": {"nodes": nodes, "edges": edges},
    }


def _positions(graph: nx.MultiDiGraph) -> dict[str, dict[str, float]]:
    """Seeded spring-layout start positions in pixels; the page refines them (cose, no
    randomness), so it opens with the same picture every time."""
    if not len(graph):
        return {}
    simple = nx.Graph(graph.to_undirected())
    size = len(simple)
    layout = nx.spring_layout(simple, seed=7, k=2.2 / size**0.5, iterations=500)
    scale = 100.0 * size**0.5
    return {n: {"x": round(float(x) * scale, 1), "y": round(float(y) * scale, 1)}
            for n, (x, y) in layout.items()}


def to_html(graph: nx.MultiDiGraph, *, title: str = "clusterkg ecosystem") -> str:
    """One self-contained page (Cytoscape.js, styles, script and data inlined; works offline)."""
    static = resources.files("clusterkg") / "static"
    # Fetched from the npm registry by scripts/fetch-assets (assets.json), licence beside it.
    cytoscape_js = static / "vendor" / "cytoscape" / "dist" / "cytoscape.min.js"
    document = to_cytoscape(graph, positions=True)
    document["data"]["title"] = title
    parts = {
        "TITLE": html.escape(title),
        "LANG": html.escape(str(graph.graph.get("lang", "en"))),
        "STYLE": _inline(static.joinpath("page.css").read_text("utf-8"), "style"),
        "CYTOSCAPE": _inline(cytoscape_js.read_text("utf-8"), "script"),
        "APP": _inline(static.joinpath("page.js").read_text("utf-8"), "script"),
        "DATA": script_json(document),
    }
    template = static.joinpath("page.html").read_text("utf-8")
    # One pass: text substituted in is never scanned for further placeholders.
    return re.sub(r"\{\{([A-Z]+)\}\}", lambda m: parts[m.group(1)], template)


def script_json(value: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``</script>``, ``<!--``, ``&``.

    ``<``, ``>`` and ``&`` only ever occur inside JSON strings, where ``\\u003c`` etc. decode to
    the same text; U+2028/U+2029 are escaped for old JavaScript parsers.
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def _inline(code: str, tag: str) -> str:
    """Code for an inline ``<script>``/``<style>``: a closing tag inside would end it early."""
    return re.sub(f"</{tag}", f"<\\\\/{tag}", code, flags=re.IGNORECASE)


# --- the format table and writing -------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """An export ready to write: its bytes and whether it is text."""

    data: bytes
    binary: bool


def render(graph: nx.MultiDiGraph, fmt: str, *, layout: str = DEFAULT_LAYOUT) -> Rendered:
    """The graph in one of the formats of SUFFIXES."""
    writers: dict[str, Callable[[], str | bytes]] = {
        "graphml": lambda: to_graphml(graph),
        "gexf": lambda: to_gexf(graph),
        "dot": lambda: to_dot(graph),
        "svg": lambda: render_graphviz(to_dot(graph), "svg", layout),
        "png": lambda: render_graphviz(to_dot(graph), "png", layout),
        "cytoscape": lambda: json.dumps(to_cytoscape(graph), indent=2, ensure_ascii=False,
                                        sort_keys=True) + "\n",
        "html": lambda: to_html(graph),
    }
    if fmt not in writers:
        raise ClusterKGError(f"unknown format {fmt!r} (use one of: {', '.join(writers)})")
    out = writers[fmt]()
    return Rendered(out.encode("utf-8") if isinstance(out, str) else out, fmt in BINARY_FORMATS)


def check_writable(path: Path) -> None:
    """Fail early, before any work, when ``path`` cannot be written."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ClusterKGError(f"cannot write {path}: it is a directory")
    if not parent.is_dir():
        raise ClusterKGError(f"cannot write {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ClusterKGError(f"cannot write {path}: directory {parent} is not writable")


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same directory and os.replace: all or nothing."""
    check_writable(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ClusterKGError(f"cannot write {path}: {exc.strerror or exc}") from exc
