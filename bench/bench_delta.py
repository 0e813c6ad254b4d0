"""Benchmark: validating a ~100-triple delta against a large graph, delta path vs whole union.

Not a test: run it by hand, e.g.

    .venv/bin/python bench/bench_delta.py --clusters 80 800 8000

For each size it builds a synthetic graph that conforms to the shapes (N clusters, each
with two dated level assignments, three member counts, two grants, three memberships of
their own member organisations, a host and a region), loads it into an in-memory Oxigraph
store (as the CLI does), and times

- delta: ``clusterkg.delta.check`` (neighbourhood extraction by store look-ups + pySHACL
  with focus_nodes on the small graph, before/after), and
- full: pySHACL over the whole union + ontology + delta (what `clusterkg validate` does),
  skipped above ``--full-max`` triples because it takes a very long time.

It prints one row per size: triples, the two times, their ratio, and the sizes the delta
path worked on. The generator here is deliberately simple (a stand-in until `clusterkg
generate` exists).
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from clusterkg.delta import Schema, check, skolemise  # noqa: E402
from clusterkg.namespaces import ONTOLOGY_GRAPH, SHAPES_GRAPH  # noqa: E402
from clusterkg.oxstore import fill_union, wrap  # noqa: E402
from clusterkg.store import data_graph  # noqa: E402
from clusterkg.validate import validate_graphs  # noqa: E402

CK = "https://w3id.org/clusterkg/ontology#"
ID = "https://w3id.org/clusterkg/id/"
KIND = "https://w3id.org/clusterkg/member-kind/"
LEVEL = "https://w3id.org/clusterkg/level/"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
FUNDERS = ("innovasjon-norge", "siva", "forskningsradet")


def _lit(value: object, datatype: str | None = None) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"' + (f"^^<{XSD}{datatype}>" if datatype else "")


class Writer:
    """N-Quads lines for one named graph."""

    def __init__(self, graph: str) -> None:
        self.graph = graph
        self.lines: list[str] = []

    def add(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"<{s}> <{p}> {o} <{self.graph}> .")

    def iri(self, s: str, p: str, o: str) -> None:
        self.add(s, p, f"<{o}>")


def generate(clusters: int, seed: int = 1) -> str:
    """A conforming synthetic graph as N-Quads (one named graph per 100 clusters)."""
    rng = random.Random(seed)
    out: list[str] = []
    for block in range(0, clusters, 100):
        name = f"gen-{block // 100:04d}"
        w = Writer(f"https://w3id.org/clusterkg/graph/{name}")
        doc = f"https://w3id.org/clusterkg/source/{name}"
        w.iri(f"https://w3id.org/clusterkg/graph/{name}", RDF_TYPE, CK + "SourceGraph")
        w.add(f"https://w3id.org/clusterkg/graph/{name}", LABEL, _lit(f"Generated {name}"))
        w.iri(f"https://w3id.org/clusterkg/graph/{name}", PROV_DERIVED, doc)
        w.iri(doc, RDF_TYPE, CK + "SourceDocument")
        w.add(doc, LABEL, _lit(f"Synthetic register {name}"))
        w.add(doc, CK + "fileName", _lit(f"{name}.csv"))
        for funder in FUNDERS:
            w.iri(ID + funder, RDF_TYPE, ORG + "FormalOrganization")
            w.add(ID + funder, LABEL, _lit(funder.replace("-", " ").title()))
            w.iri(ID + funder, CK + "sourceDocument", doc)
        for n in range(block, min(block + 100, clusters)):
            _cluster(w, n, doc, rng)
        out += w.lines
    return "\n".join(out) + "\n"


def _fact(w: Writer, node: str, cls: str, doc: str) -> None:
    w.iri(node, RDF_TYPE, CK + cls)
    w.iri(node, CK + "assertionMode", CK + "stated")
    w.iri(node, CK + "sourceDocument", doc)


def _period(w: Writer, fact: str, start: str, end: str) -> None:
    period = fact + "-period"
    w.iri(fact, CK + "period", period)
    w.iri(period, RDF_TYPE, CK + "Period")
    w.add(period, CK + "startDate", _lit(start, "date"))
    w.add(period, CK + "endDate", _lit(end, "date"))


def _cluster(w: Writer, n: int, doc: str, rng: random.Random) -> None:
    c = f"{ID}gen-cluster-{n}"
    f = f"{ID}fact/gen/{n}/"
    w.iri(c, RDF_TYPE, CK + "Cluster")
    w.add(c, LABEL, _lit(f"Generated Cluster {n}"))
    w.iri(c, CK + "sourceDocument", doc)
    for i, (level, start, end) in enumerate((("arena", "2010-01-01", "2014-12-31"),
                                            ("arena-pro", "2015-01-01", "2019-12-31"))):
        _fact(w, f"{f}level-{i}", "LevelAssignment", doc)
        w.iri(f"{f}level-{i}", CK + "cluster", c)
        w.iri(f"{f}level-{i}", CK + "level", LEVEL + level)
        _period(w, f"{f}level-{i}", start, end)
    for kind in ("company", "public-body", "all"):
        node = f"{f}count-{kind}"
        _fact(w, node, "MemberCount", doc)
        w.iri(node, CK + "cluster", c)
        w.iri(node, CK + "memberKind", KIND + kind)
        w.add(node, CK + "count", _lit(rng.randint(5, 300), "integer"))
        w.add(node, CK + "observationDate", _lit("2023-12-31", "date"))
    for i, (start, end) in enumerate((("2015-01-01", "2019-12-31"), ("2020-01-01", "2024-12-31"))):
        node = f"{f}grant-{i}"
        _fact(w, node, "Grant", doc)
        w.iri(node, SCHEMA + "fundedItem", c)
        for funder in FUNDERS:
            w.iri(node, SCHEMA + "funder", ID + funder)
        w.add(node, CK + "annualAmount", _lit(rng.randint(1, 9) * 1_000_000, "decimal"))
        w.add(node, SCHEMA + "currency", _lit("NOK"))
        _period(w, node, start, end)
    for i in range(3):
        member = f"{ID}gen-member-{n}-{i}"
        w.iri(member, RDF_TYPE, ORG + "FormalOrganization")
        w.add(member, LABEL, _lit(f"Member {n}-{i} AS"))
        w.iri(member, CK + "sourceDocument", doc)
        node = f"{f}membership-{i}"
        _fact(w, node, "Membership", doc)
        w.iri(node, ORG + "member", member)
        w.iri(node, ORG + "organization", c)
        w.iri(node, ORG + "role", "https://w3id.org/clusterkg/role/member")
    node = f"{f}hosting"
    _fact(w, node, "Hosting", doc)
    w.iri(node, CK + "cluster", c)
    w.iri(node, CK + "host", f"{ID}gen-member-{n}-0")


def delta_for(clusters: int, facts: int = 10, seed: int = 2) -> Graph:
    """About 10 triples per new member count: ``facts`` counts for random clusters."""
    rng = random.Random(seed)
    lines = []
    for i in range(facts):
        n = rng.randrange(clusters)
        node = f"{ID}fact/bench/count-{i}"
        doc = "https://w3id.org/clusterkg/source/bench"
        lines += [
            f"<{node}> <{RDF_TYPE}> <{CK}MemberCount> .",
            f"<{node}> <{CK}cluster> <{ID}gen-cluster-{n}> .",
            f"<{node}> <{CK}memberKind> <{KIND}company> .",
            f"<{node}> <{CK}count> {_lit(rng.randint(5, 300) + 1000, 'integer')} .",
            f"<{node}> <{CK}observationDate> {_lit('2024-06-30', 'date')} .",
            f"<{node}> <{CK}approximate> {_lit('false', 'boolean')} .",
            f"<{node}> <{CK}assertionMode> <{CK}stated> .",
            f"<{node}> <{CK}sourceDocument> <{doc}> .",
            f"<{doc}> <{RDF_TYPE}> <{CK}SourceDocument> .",
            f"<{doc}> <{LABEL}> {_lit('Bench report')} .",
        ]
    graph = Graph()
    graph.parse(data="\n".join(lines), format="nt")
    return graph


def build_dataset(clusters: int) -> tuple[Dataset, int, float]:
    """An in-memory Oxigraph store with the generated graph, the ontology and the shapes."""
    start = time.perf_counter()
    store = ox.Store()
    store.bulk_load(generate(clusters).encode(), format=ox.RdfFormat.N_QUADS)
    for folder, graph in (("ontology", ONTOLOGY_GRAPH), ("shapes", SHAPES_GRAPH)):
        for path in sorted((ROOT / folder).glob("*.ttl")):
            store.bulk_load(path.read_bytes(), format=ox.RdfFormat.TURTLE,
                            to_graph=ox.NamedNode(str(graph)))
    size = len(store)
    fill_union(store)
    return wrap(store), size, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, nargs="+", default=[80, 800, 8000])
    parser.add_argument("--facts", type=int, default=12,
                        help="new member counts (8 triples each, + 2 for their document)")
    parser.add_argument("--full-max", type=int, default=1_200_000,
                        help="skip whole-union validation above this many triples")
    args = parser.parse_args()
    print(f"# machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}")
    print("# clusters  triples  load_s  delta_triples  focus  neighbourhood  delta_s  full_s"
          "  ratio")
    for n in args.clusters:
        dataset, triples, load = build_dataset(n)
        delta = delta_for(n, args.facts)
        schema = Schema(dataset)
        start = time.perf_counter()
        result = check(dataset, skolemise(delta), schema=schema)
        delta_s = time.perf_counter() - start
        assert result.conforms, [f.message for f in result.report.findings]
        full_s: float | None = None
        if triples <= args.full_max:
            start = time.perf_counter()
            data = data_graph(dataset)
            data += schema.ontology
            data += delta
            report = validate_graphs(data, schema.shapes)
            full_s = time.perf_counter() - start
            assert report.conforms, [f.message for f in report.findings[:3]]
        ratio = f"{full_s / delta_s:.0f}x" if full_s else "-"
        full = f"{full_s:.1f}" if full_s else "skipped"
        print(f"{n:>10}  {triples:>7}  {load:6.1f}  {len(delta):>13}  {result.focus_nodes:>5}  "
              f"{result.neighbourhood_triples:>13}  {delta_s:7.2f}  {full:>6}  {ratio:>5}",
              flush=True)


if __name__ == "__main__":
    main()
