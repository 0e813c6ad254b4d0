"""`clusterkg export` and `clusterkg analyze`, run as the real command in a subprocess.

Needs Graphviz (`dot`) for the svg/png tests: they fail, not skip, without it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from rdflib import Dataset
from rdflib.namespace import RDF, RDFS

from clusterkg import export as writers
from clusterkg import export_cli, netgraph, oxstore
from clusterkg.loader import load_dataset
from clusterkg.namespaces import CK, NON_SOURCE_GRAPHS, ONTOLOGY_GRAPH
from clusterkg.paths import find_home
from conftest import copy_seed_project

ID = "https://w3id.org/clusterkg/id/"
NSCC, NTSC, VALIDE = ID + "nscc", ID + "ntsc", ID + "valide"
ANNE = ID + "anne-cathrin-ostebo"
OWNERS = {ID + "innovasjon-norge", ID + "siva", ID + "forskningsradet"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"
CACHE = tempfile.mkdtemp(prefix="clusterkg-export-test-cache-")
# The views are checked against what the two source documents say: a copy of the project with
# their graphs only (the whole programme is drawn in tests/test_programme.py).
SEED = copy_seed_project(Path(tempfile.mkdtemp(prefix="clusterkg-export-test-home-")) / "seed")


def clusterkg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command; CLUSTERKG_* settings are cleared (errors are user-facing lines)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERKG_")}
    environment["CLUSTERKG_CACHE_DIR"] = CACHE  # never the user's ~/.cache
    environment["CLUSTERKG_HOME"] = str(SEED)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "clusterkg", *args], capture_output=True, text=True,
        env=environment, timeout=300, check=False,
    )


def ok(*args: str) -> subprocess.CompletedProcess[str]:
    done = clusterkg(*args)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def cytoscape(*args: str) -> dict[str, Any]:
    return json.loads(ok("export", "--format", "cytoscape", *args).stdout)


def node_ids(doc: dict[str, Any]) -> set[str]:
    return {n["data"]["id"] for n in doc["elements"]["nodes"]}


def nodes_by_id(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["data"]["id"]: n["data"] for n in doc["elements"]["nodes"]}


def edges(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["data"] for e in doc["elements"]["edges"]]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole ecosystem exported once in every file format."""
    folder = tmp_path_factory.mktemp("export")
    for fmt in ("graphml", "gexf", "svg", "png", "cytoscape"):
        ok("export", "--format", fmt, "-o", str(folder / f"ecosystem.{fmt}"))
    return folder


@pytest.fixture(scope="module")
def reference(out: Path) -> dict[str, Any]:
    return json.loads((out / "ecosystem.cytoscape").read_text("utf-8"))


# --- the file formats -------------------------------------------------------------------------


def test_no_temporary_files_are_left(out: Path) -> None:
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"ecosystem.{f}" for f in ("graphml", "gexf", "svg", "png", "cytoscape")
    )


def test_graphml_reads_back_with_networkx(out: Path, reference: dict[str, Any]) -> None:
    graph = nx.read_graphml(out / "ecosystem.graphml", force_multigraph=True)
    assert set(graph.nodes) == node_ids(reference)
    assert graph.number_of_edges() == len(edges(reference))
    for _, data in graph.nodes(data=True):
        assert data["type"] and data["label"] and data["typeLabel"]
    assert all(data["label"] for _, _, data in graph.edges(data=True))
    assert graph.nodes[NSCC]["type"] == "ck:Cluster"
    # lists and nested facts are flattened to text, with their sources
    assert "001_4e0765e6e6d46d59.txt" in graph.nodes[NSCC]["memberCount"]
    hosts = [d for u, v, d in graph.edges(data=True) if (u, v) == (VALIDE, NSCC)]
    assert [h["label"] for h in hosts] == ["hosts"]
    assert hosts[0]["sources"] == "001_4e0765e6e6d46d59.txt L39"


def test_gexf_reads_back_with_colours_by_type_and_level(
    out: Path, reference: dict[str, Any]
) -> None:
    graph = nx.read_gexf(out / "ecosystem.gexf")
    assert set(graph.nodes) == node_ids(reference)
    assert graph.number_of_edges() == len(edges(reference))
    for _, data in graph.nodes(data=True):
        assert data["type"] and data["label"]
        assert set(data["viz"]["color"]) >= {"r", "g", "b"}
    def hex_colour(node: str) -> str:
        colour = graph.nodes[node]["viz"]["color"]
        return "#{:02x}{:02x}{:02x}".format(colour["r"], colour["g"], colour["b"])

    # clusters are coloured by the highest level they reached: both moved up to Arena Pro
    assert hex_colour(NSCC) == hex_colour(NTSC) == writers.LEVEL_COLOURS["ckl:arena-pro"]
    assert hex_colour(VALIDE) == writers.TYPE_COLOURS["rov:RegisteredOrganization"]
    assert {d["label"] for _, _, d in graph.edges(data=True)} >= {"hosts", "funds", "owns"}


def test_svg_draws_a_node_for_each_entity(out: Path, reference: dict[str, Any]) -> None:
    root = ET.parse(out / "ecosystem.svg").getroot()
    drawn = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "node":
            title = group.find(f"{SVG}title")
            assert title is not None
            drawn[title.text] = " ".join(t.text or "" for t in group.iter(f"{SVG}text"))
    assert set(drawn) == node_ids(reference)
    for node_id, data in nodes_by_id(reference).items():
        assert drawn[node_id].split() == data["label"].split()
    # a legend of the node types, with their counts
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Node types" in texts
    assert "cluster: Arena Pro (2)" in texts


def test_png_is_a_png(out: Path) -> None:
    assert (out / "ecosystem.png").read_bytes()[:8] == PNG_SIGNATURE


def test_dot_goes_to_stdout_with_dash() -> None:
    done = ok("export", "--format", "dot", "-o", "-")
    assert done.stdout.startswith('digraph "clusterkg" {')
    assert f'"{VALIDE}" -> "{NSCC}" [label="hosts"' in done.stdout


def test_format_is_taken_from_the_suffix(tmp_path: Path) -> None:
    target = tmp_path / "picture.gexf"
    ok("export", "-o", str(target))
    assert nx.read_gexf(target).number_of_nodes() > 0


# --- what the projection keeps ----------------------------------------------------------------


def test_cytoscape_json_structure(reference: dict[str, Any]) -> None:
    assert set(reference["elements"]) == {"nodes", "edges"}
    ids = node_ids(reference)
    for node in reference["elements"]["nodes"]:
        assert {"id", "label", "type", "typeLabel", "iri", "color", "sources"} <= set(node["data"])
    edge_ids = [e["id"] for e in edges(reference)]
    assert len(edge_ids) == len(set(edge_ids))
    for edge in edges(reference):
        assert edge["source"] in ids and edge["target"] in ids and edge["label"]
    assert [entry["type"] for entry in reference["data"]["legend"]].count("ck:Cluster") == 1


def test_facts_become_edges_with_their_sources(reference: dict[str, Any]) -> None:
    (hosting,) = [e for e in edges(reference) if (e["source"], e["target"]) == (VALIDE, NSCC)]
    assert hosting["label"] == "hosts"
    assert hosting["fact"] == ID + "fact/001/valide-hosts-nscc"
    assert hosting["sources"] == [{
        "document": "https://w3id.org/clusterkg/source/001_4e0765e6e6d46d59",
        "file": "001_4e0765e6e6d46d59.txt", "lines": [39],
        "title": "Helseklyngen rykker opp på A-laget",
    }]
    # two sources state the grant to NSCC: two edges, each with its own source and amount;
    # neither names a funder of the grant, so the edge starts at the programme that gives it
    grants = [e for e in edges(reference)
              if (e["source"], e["target"]) == (ID + "norwegian-innovation-clusters", NSCC)]
    assert sorted(g["sources"][0]["file"] for g in grants) == [
        "000_e55087a455a2a3a4.txt", "001_4e0765e6e6d46d59.txt"]
    assert all(g["label"] == "funds" and g["annualAmount"] == 6000000 for g in grants)
    roles = {e["label"] for e in edges(reference)
             if (e["source"], e["target"]) == (ID + "greater-stavanger", NSCC)}
    assert roles == {"member", "board member"}


def test_facts_about_one_entity_become_attributes(reference: dict[str, Any]) -> None:
    nscc = nodes_by_id(reference)[NSCC]
    counts = [f for f in nscc["facts"] if f["type"] == "ck:MemberCount"]
    assert sorted(f["details"]["count"] for f in counts) == [19, 50, 123, 125]
    assert {f["sources"][0]["file"] for f in counts} == {
        "000_e55087a455a2a3a4.txt", "001_4e0765e6e6d46d59.txt"}


def test_no_provenance_period_or_fact_nodes_by_default(reference: dict[str, Any]) -> None:
    kinds = {n["kind"] for n in nodes_by_id(reference).values()}
    assert kinds == {"entity", "concept"}
    for data in nodes_by_id(reference).values():
        assert not set(data["classes"]) & {"ck:SourceLine", "ck:SourceDocument", "ck:Period",
                                           "ck:Fact", "owl:Class", "sh:NodeShape"}


def test_with_literals_draws_values_and_facts_as_nodes(reference: dict[str, Any]) -> None:
    doc = cytoscape("--with-literals")
    nodes = nodes_by_id(doc)
    assert len(nodes) > len(nodes_by_id(reference))
    literal_labels = {d["label"] for d in nodes.values() if d["kind"] == "literal"}
    assert {"NSCC", "123", "NOK"} <= literal_labels
    counts = [n for n, d in nodes.items() if d["type"] == "ck:MemberCount"]
    assert len(counts) == 5
    assert all(any(e["source"] == c and e["target"] in (NSCC, NTSC) for e in edges(doc))
               for c in counts)


def test_focus_depth_1_is_the_direct_neighbourhood() -> None:
    doc = cytoscape("--focus", "Validé AS", "--depth", "1")
    # hosts NSCC and NTSC; its general manager is one edge away too
    assert node_ids(doc) == {VALIDE, NSCC, NTSC, ANNE}
    assert sorted(e["label"] for e in edges(doc)) == ["general manager", "hosts", "hosts"]
    assert doc["data"]["focus"] == VALIDE


def test_focus_accepts_curies_and_iris_and_depth_0() -> None:
    assert node_ids(cytoscape("--focus", "ckr:valide", "--depth", "0")) == {VALIDE}
    assert node_ids(cytoscape("--focus", f"<{VALIDE}>", "--depth", "0")) == {VALIDE}
    assert node_ids(cytoscape("--focus", "nscc", "--depth", "0")) == {NSCC}  # abbreviation


def test_types_keep_only_those_classes() -> None:
    doc = cytoscape("--types", "ck:Cluster,org:FormalOrganization")
    assert node_ids(doc) == {NSCC, NTSC, VALIDE, ID + "greater-stavanger"} | OWNERS
    assert {n["type"] for n in nodes_by_id(doc).values()} == {
        "ck:Cluster", "org:FormalOrganization", "rov:RegisteredOrganization"}
    assert node_ids(cytoscape("--types", "Cluster")) == {NSCC, NTSC}
    people = cytoscape("--types", "Person,Cluster")  # ck:Person, not schema:Person
    assert {n["type"] for n in nodes_by_id(people).values()} == {"ck:Person", "ck:Cluster"}


def test_lang_nb_gives_norwegian_labels() -> None:
    nb, en = cytoscape("--lang", "nb"), cytoscape("--lang", "en")
    assert nodes_by_id(nb)[ID + "norway"]["label"] == "Norge"
    assert nodes_by_id(en)[ID + "norway"]["label"] == "Norway"
    assert nodes_by_id(nb)[NSCC]["typeLabel"] == "klynge"
    assert nodes_by_id(nb)["https://w3id.org/clusterkg/level/arena-pro"]["typeLabel"] == (
        "nivåer i klyngeprogrammet")
    nb_labels = {e["label"] for e in edges(nb)}
    assert {"styremedlem", "daglig leder", "er vert for", "finansierer"} <= nb_labels
    assert {"board member", "general manager", "hosts", "funds"} <= {e["label"] for e in edges(en)}


# --- bad input: one line on stderr, exit 2, nothing written ---------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--format", "jpeg"], "jpeg"),
        (["--focus", "Valide ASA"], "Validé AS"),  # unknown; the close match is listed
        (["--focus", "Nobody At All"], "unknown entity"),
        (["--focus", "Validé AS", "--depth", "-1"], "--depth"),
        (["--depth", "2"], "--focus"),
        (["--types", "ck:Klynge"], "unknown type"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], says: str) -> None:
    target = tmp_path / "out.graphml"
    done = clusterkg("export", "-o", str(target), *args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("clusterkg: error:"), done.stderr
    assert says in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_and_binary_to_stdout_are_errors(tmp_path: Path) -> None:
    for args in (["-o", str(tmp_path / "missing" / "x.svg")], ["-f", "png", "-o", "-"],
                 ["-o", str(tmp_path / "x.unknown")]):
        done = clusterkg("export", *args)
        assert done.returncode == 2, args
        assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_missing_graphviz_says_to_install_it(tmp_path: Path) -> None:
    target = tmp_path / "x.svg"
    done = clusterkg("export", "-o", str(target), env={"PATH": str(tmp_path)})
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert "install" in done.stderr and "graphviz" in done.stderr.lower()
    assert not target.exists()


# --- in-process checks of the building blocks ---------------------------------------------


@pytest.fixture()
def dataset(monkeypatch: pytest.MonkeyPatch) -> Dataset:
    monkeypatch.setenv("CLUSTERKG_CACHE_DIR", CACHE)  # never the user's ~/.cache
    return load_dataset(find_home(str(SEED)))


def test_projection_tables_name_fact_classes_of_the_ontology(dataset: Dataset) -> None:
    ontology = dataset.graph(ONTOLOGY_GRAPH)
    for cls in [*netgraph.PROJECTIONS, *netgraph.ATTRIBUTE_FACTS]:
        assert (cls, RDFS.subClassOf, CK.Fact) in ontology, cls


def test_every_fact_of_the_data_is_drawn_or_attached(dataset: Dataset) -> None:
    graph = netgraph.to_networkx(dataset)
    on_edges = {d["fact"] for _, _, d in graph.edges(data=True) if "fact" in d}
    on_nodes = {f["fact"] for _, d in graph.nodes(data=True) for f in d["facts"]}
    on_documents = {f["fact"] for d in graph.graph["documents"] for f in d["facts"]}
    fact_classes = set(dataset.graph(ONTOLOGY_GRAPH).transitive_subjects(RDFS.subClassOf, CK.Fact))
    fact_classes -= netgraph.UNDRAWN_FACTS  # how periods follow each other: not drawn
    facts = {
        str(s)
        for g in dataset.graphs() if g.identifier not in NON_SOURCE_GRAPHS
        for c in fact_classes for s in g.subjects(RDF.type, c)
    }
    assert len(facts) > 40 and facts == on_edges | on_nodes | on_documents


def test_projection_reads_the_triples_oxrdflib_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """The projection reads Oxigraph's quads itself: same terms, in the same order."""
    monkeypatch.setenv("CLUSTERKG_CACHE_DIR", CACHE)
    dataset = load_dataset(find_home(str(SEED)), "oxigraph")
    read = netgraph._reader(dataset)
    for graph in dataset.graphs():
        assert list(read(graph)) == list(graph), graph.identifier


def test_both_stores_project_the_same_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERKG_CACHE_DIR", CACHE)
    home = find_home(str(SEED))
    files = [
        writers.render(netgraph.to_networkx(load_dataset(home, store)), "graphml").data
        for store in ("oxigraph", "memory")
    ]
    assert files[0] == files[1]


def _networkx_graphml(graph: nx.MultiDiGraph) -> str:
    """GraphML as networkx's own writer gives it for the flattened graph (the writer the
    export used before it wrote the text itself)."""
    flat_graph = writers._flat_graph(graph)
    return "\n".join(nx.generate_graphml(flat_graph, named_key_ids=True)) + "\n"


def _same_graphml(ours: str, theirs: str, folder: Path) -> None:
    """Byte for byte, and read back by networkx: the same nodes, edges and attributes."""
    assert ours == theirs
    read = []
    for name, text in (("ours", ours), ("theirs", theirs)):
        (folder / f"{name}.graphml").write_text(text, "utf-8")
        read.append(nx.read_graphml(folder / f"{name}.graphml", force_multigraph=True))
    assert dict(read[0].nodes(data=True)) == dict(read[1].nodes(data=True))
    assert sorted(read[0].edges(keys=True, data=True), key=str) == sorted(
        read[1].edges(keys=True, data=True), key=str)
    assert read[0].graph == read[1].graph


def test_graphml_is_what_networkx_writes_on_a_generated_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The streamed GraphML of a generated project is networkx's, and so is the projection
    read from the store version's graph files (what `export` reads) and from the Dataset."""
    home_dir, cache = tmp_path / "gen", tmp_path / "cache"
    done = clusterkg("generate", "--clusters", "12", "-o", str(home_dir))
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("CLUSTERKG_CACHE_DIR", str(cache))
    dataset = load_dataset(find_home(str(home_dir)), "oxigraph")
    files = oxstore.graph_files(dataset)
    assert files is not None and len(files) > 5 and all(path.is_file() for _, path in files)
    from_snapshot = netgraph.to_networkx(files)
    from_dataset = netgraph.to_networkx(dataset)
    assert from_snapshot.number_of_nodes() > 50 and from_snapshot.number_of_edges() > 100
    ours = writers.to_graphml(from_snapshot)
    assert ours == writers.to_graphml(from_dataset)
    _same_graphml(ours, _networkx_graphml(from_dataset), tmp_path)
    done = clusterkg("--home", str(home_dir), "export", "-o", str(tmp_path / "cli.graphml"),
                     env={"CLUSTERKG_CACHE_DIR": str(cache)})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cli.graphml").read_text("utf-8") == ours


def test_graphml_escapes_and_flattens_as_networkx_does(tmp_path: Path) -> None:
    """Markup, quotes, line breaks, tabs and non-ASCII text in ids and values; empty values,
    nodes without attributes, lists, dicts, None and booleans."""
    graph = nx.MultiDiGraph(lang="nb")
    odd = 'a&b<c>"d\'\ne\tf\rg Validé \u2028'
    graph.add_node(odd, label="x < y & z\r\nline\x0bvtab", type="ck:X", empty="", none=None,
                   flag=True, values=["a", 1, 2.5], nested={"k": [1]},
                   sources=[{"file": "f.txt", "lines": [1, 2]}],
                   facts=[{"type": "ck:MemberCount", "summary": "3 <members>", "sources": []}])
    graph.add_node("plain")
    graph.add_node("sources", sources=[], label="")
    graph.add_edge(odd, "plain", key="k&1", label="funds", sources=[], note="tab\there")
    graph.add_edge("plain", odd, key="k2")
    graph.add_edge("plain", "plain", key="k3", label="æøå")
    _same_graphml(writers.to_graphml(graph), _networkx_graphml(graph), tmp_path)
    empty = nx.MultiDiGraph()
    assert writers.to_graphml(empty) == _networkx_graphml(empty)


def test_html_embeds_data_safely() -> None:
    graph = nx.MultiDiGraph(lang="en")
    evil = "</script><script>alert(1)</script><!-- & \u2028"
    graph.add_node("urn:x", label=evil, type="ck:Cluster", typeLabel="cluster", kind="entity",
                   iri="urn:x", classes=["ck:Cluster"], aliases=[], sources=[], facts=[])
    page = writers.to_html(graph)
    assert "<script>alert(1)" not in page and "<!--" not in page.split("graph-data")[1]
    start = page.index('id="graph-data">') + len('id="graph-data">')
    data = json.loads(page[start:page.index("</script>", start)])
    assert data["elements"]["nodes"][0]["data"]["label"] == evil


def test_cli_lists_match_the_writers() -> None:
    assert tuple(writers.SUFFIXES) == export_cli.FORMATS
    assert export_cli.LAYOUTS == writers.LAYOUTS


# --- analyze ------------------------------------------------------------------------------------


def test_analyze_json_and_plot(tmp_path: Path) -> None:
    plot = tmp_path / "communities.png"
    done = ok("analyze", "--format", "json", "--plot", str(plot))
    doc = json.loads(done.stdout)
    ranked = [s["id"] for s in doc["centrality"]]
    assert {NSCC, NTSC} <= set(ranked)
    assert ranked[:2] == [NSCC, NTSC]  # the two clusters are the most central
    connectors = {c["id"]: c for c in doc["connectors"]}
    # Validé hosts both (the programme, not an organisation, funds both)
    assert VALIDE in connectors
    assert {c["id"] for c in connectors[VALIDE]["clusters"]} == {NSCC, NTSC}
    assert connectors[VALIDE]["clusters"][0]["relations"] == ["hosts"]
    members = Counter(m for c in doc["communities"] for m in c["members"])
    assert set(members) == set(ranked) and set(members.values()) == {1}
    assert plot.read_bytes()[:8] == PNG_SIGNATURE
    assert ok("analyze", "--format", "json").stdout == done.stdout  # stable


def test_analyze_table_names_the_connectors() -> None:
    text = ok("analyze").stdout
    assert "Validé AS" in text and "Norwegian Smart Care Cluster" in text
    assert "Communities" in text


def test_analyze_refuses_a_plot_that_is_not_png(tmp_path: Path) -> None:
    done = clusterkg("analyze", "--plot", str(tmp_path / "x.svg"))
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_html_page_of_a_graph_over_500_nodes(tmp_path: Path) -> None:
    """Above 500 nodes networkx lays the graph out with SciPy's sparse matrices: the page of
    a generated 10k-triple project (~540 nodes) is written, not a ModuleNotFoundError."""
    home_dir, cache = tmp_path / "gen", tmp_path / "cache"
    done = clusterkg("generate", "--size", "10k", "-o", str(home_dir))
    assert done.returncode == 0, done.stderr
    out = tmp_path / "eco.html"
    done = clusterkg("--home", str(home_dir), "export", "-f", "html", "-o", str(out),
                     env={"CLUSTERKG_CACHE_DIR": str(cache)})
    assert done.returncode == 0, done.stderr
    nodes = int(re.search(r"\((?:html): (\d+) nodes", done.stderr).group(1))  # type: ignore[union-attr]
    assert nodes > 500
    page = out.read_text("utf-8")
    assert page.count('"position"') >= nodes  # every node placed by the layout
