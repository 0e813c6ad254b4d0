"""The RDF dataset as ONE networkx MultiDiGraph that every export format and the analysis share.

The graph stores facts as nodes (n-ary relations with provenance). Drawn as such, a picture is
mostly fact and source-line nodes, so this module *projects* them:

* a fact that links two entities (PROJECTIONS) becomes an edge between them, labelled by what
  it means, carrying the fact IRI, the fact's other properties and its sources;
* a fact about one entity (ATTRIBUTE_FACTS, or a projected fact missing one end) becomes an
  entry of that entity's ``facts`` attribute (or a node of its own with ``with_literals``);
* any other fact stays a node, linked to what it mentions (the generic fallback);
* source documents and lines, periods, time descriptions and ontology terms are not nodes:
  they are summarised in attributes.

Node ids are IRIs (literal nodes get ``literal:<hash>``); multi-edges are kept, so two
sources stating the same relation give two edges, each with its own sources.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import networkx as nx
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import OWL, PROV, RDF, RDFS, SH, SKOS, TIME, XSD
from rdflib.term import Node

from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import CK, NON_SOURCE_GRAPHS, ONTOLOGY_GRAPH, ORG, SCHEMA, compact, expand

if TYPE_CHECKING:
    from clusterkg.graphfiles import GraphFiles

LANGS = ("en", "nb")

# Node kinds (the ``kind`` attribute): what a node stands for.
ENTITY, CONCEPT, FACT, LITERAL = "entity", "concept", "fact", "literal"
# Edge kinds: a projected fact, a plain triple between two entities, a link from a fact node,
# a link to a literal node.
PROJECTED, DIRECT, FACT_LINK, LITERAL_LINK = "projected", "direct", "fact", "literal"

DASH = "\u2013"  # en dash, for ranges
_LOCATION_ROLE = "https://w3id.org/clusterkg/location-role/"
_ROLE = "https://w3id.org/clusterkg/role/"


def _l(en: str, nb: str) -> dict[str, str]:
    return {"en": en, "nb": nb}


@dataclass(frozen=True)
class Projection:
    """How instances of one fact class become edges ``source -> target``.

    ``qualifier`` names a concept-valued property whose label (or QUALIFIER_LABELS entry)
    replaces ``label``; ``wording`` a literal property giving the label in the source's own
    words when it exists in the requested language.
    """

    source: URIRef
    target: URIRef
    label: Mapping[str, str]
    qualifier: URIRef | None = None
    wording: URIRef | None = None
    fallback: URIRef | None = None  # the source end when ``source`` gives none


@dataclass(frozen=True)
class Anchor:
    """How a fact about one entity becomes an entry of that entity's ``facts`` attribute."""

    entity: URIRef
    summary: Mapping[str, str]  # str.format template over the fact's details


#: Fact class -> edge. Order does not matter; a fact uses its most specific mapped class.
PROJECTIONS: dict[URIRef, Projection] = {
    CK.Hosting: Projection(CK.host, CK.cluster, _l("hosts", "er vert for")),
    # A grant's edge starts at the funders the source names, else at the programme it is given
    # through (what most sources say: the programme funds the cluster).
    CK.Grant: Projection(SCHEMA.funder, SCHEMA.fundedItem, _l("funds", "finansierer"),
                         fallback=CK.programme),
    CK.Membership: Projection(
        ORG.member, ORG.organization, _l("member of", "medlem av"), qualifier=ORG.role
    ),
    CK.PostHolding: Projection(
        ORG.member, ORG.organization, _l("holds a post in", "har stilling i"),
        qualifier=ORG.role, wording=CK.postTitle,
    ),
    CK.ProgrammeOwnership: Projection(CK.owner, CK.programme, _l("owns", "eier")),
    CK.LevelAssignment: Projection(CK.cluster, CK.level, _l("at level", "på nivå")),
    CK.ClusterProject: Projection(CK.cluster, CK.project, _l("has project", "har prosjekt")),
    CK.Location: Projection(
        CK.cluster, CK.place, _l("located in", "ligger i"), qualifier=CK.locationRole
    ),
    CK.FocusStatement: Projection(CK.cluster, CK.focusArea, _l("works on", "arbeider med")),
    CK.StrategyStatement: Projection(CK.cluster, CK.goal, _l("strategy goal", "strategimål")),
    CK.CertificatePresentation: Projection(
        CK.presentedBy, CK.presentedTo, _l("presents certificate to", "overrekker bevis til")
    ),
    CK.Announcing: Projection(CK.announcedBy, CK.announcement, _l("announces", "kunngjør")),
    CK.ProgrammeFunding: Projection(SCHEMA.funder, CK.programme, _l("funds", "finansierer")),
    CK.LevelDefinition: Projection(CK.programme, CK.level, _l("has level", "har nivå")),
}

#: Fact class -> attribute of the one entity it is about.
ATTRIBUTE_FACTS: dict[URIRef, Anchor] = {
    CK.MemberCount: Anchor(
        CK.cluster, _l("{count} members ({memberKind})", "{count} {categoryLabel}")
    ),
    CK.DateEstimate: Anchor(
        CK.about, _l(*[f"{{earliestYear}}{DASH}{{latestYear}}"] * 2)
    ),
    CK.AdmissionCount: Anchor(
        CK.programme, _l("{count} clusters admitted {level}", "{count} klynger tatt opp {level}")
    ),
    CK.FundingTotal: Anchor(
        SCHEMA.fundedItem, _l("{totalAmount} {currency} in total for {fundedItem}",
                              "{totalAmount} {currency} i alt til {fundedItem}")
    ),
    CK.DateStatement: Anchor(CK.about, _l("on {date}", "den {date}")),
    CK.Renaming: Anchor(CK.cluster, _l("renamed from {oldName} to {newName}",
                                       "nytt navn fra {oldName} til {newName}")),
    CK.ProgrammeBudget: Anchor(CK.programme, _l("{annualAmount} {currency} in {year}",
                                                "{annualAmount} {currency} i {year}")),
    CK.AverageGrant: Anchor(CK.programme, _l("{annualAmount} {currency} a year on average {level}",
                                             "{annualAmount} {currency} i året i snitt {level}")),
    CK.PortfolioCount: Anchor(CK.programme, _l("{count} clusters {level}",
                                               "{count} klynger {level}")),
    CK.ApplicationCount: Anchor(CK.announcement, _l("{count} applications {level}",
                                                    "{count} søknader {level}")),
}

#: Facts about time and provenance alone (how two periods follow each other): not drawn.
UNDRAWN_FACTS = frozenset({CK.PeriodSequence})

#: Edge labels for qualifier concepts whose own label does not read as a relation.
QUALIFIER_LABELS: dict[URIRef, Mapping[str, str]] = {
    URIRef(_LOCATION_ROLE + "base"): _l("based in", "har base i"),
    URIRef(_LOCATION_ROLE + "main-concentration"): _l("centred in", "har tyngdepunkt i"),
    URIRef(_LOCATION_ROLE + "member-catchment"): _l("members from", "har medlemmer fra"),
    URIRef(_LOCATION_ROLE + "scope"): _l("scope", "nedslagsfelt"),
    URIRef(_ROLE + "ceo"): _l("CEO", "administrerende direktør"),
}

#: Classes whose instances are never nodes: provenance, time, schemes, ontology machinery.
HIDDEN_CLASSES = frozenset({
    CK.SourceDocument, CK.SourceLine, CK.SourceGraph, CK.Period, CK.AssertionMode,
    CK.WebSource, CK.Publisher, CK.SourceSection,
    TIME.Instant, TIME.ProperInterval, TIME.DateTimeDescription, SKOS.ConceptScheme,
    OWL.Ontology, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
    RDF.Property, SH.NodeShape, SH.PropertyShape,
})
_IGNORED_TYPES = frozenset({OWL.NamedIndividual, OWL.Thing, RDFS.Resource})

#: Terms asked about for every node and fact, built once (a Namespace attribute is a new URIRef)
#: and used for every mention below: the terms read are these very objects (see _CANONICAL).
_FACT, _PERIOD, _SOURCE_DOCUMENT, _SOURCE_LINE, _IN_DOCUMENT, _LINE_NUMBER, _FILE_NAME = (
    CK.Fact, CK.Period, CK.sourceDocument, CK.sourceLine, CK.inDocument, CK.lineNumber,
    CK.fileName,
)
_TYPE, _LABEL, _PREF_LABEL, _ALT_LABEL, _HIDDEN_LABEL, _IN_SCHEME = (
    RDF.type, RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, SKOS.inScheme,
)
_INSTANT, _INTERVAL, _DATE_TIME = TIME.Instant, TIME.ProperInterval, TIME.DateTimeDescription
#: Properties that are provenance or identity, shown as ``sources``/``label``, never as edges.
_PROVENANCE = frozenset({_SOURCE_DOCUMENT, _SOURCE_LINE, _TYPE})
_LABELS = (_PREF_LABEL, _LABEL)
_NAME_PROPS = (_LABEL, _PREF_LABEL, _ALT_LABEL, _HIDDEN_LABEL, CK.abbreviation)
#: Literal properties not turned into literal nodes (they name the node itself).
_NOT_LITERAL_NODES = frozenset({_LABEL, _PREF_LABEL, _HIDDEN_LABEL})
#: Entity properties kept out of the node attributes (scheme plumbing).
_ENTITY_SKIP = frozenset({
    _IN_SCHEME, SKOS.topConceptOf, _HIDDEN_LABEL, *_PROVENANCE, *_LABELS,
})
#: The readers return these objects for their IRIs, so the dictionary and set look-ups that
#: ask with them (millions at 1M triples) match by identity: rdflib's ``__eq__`` is Python.
_CANONICAL = (
    _FACT, _PERIOD, _SOURCE_DOCUMENT, _SOURCE_LINE, _IN_DOCUMENT, _LINE_NUMBER, _FILE_NAME,
    _TYPE, _LABEL, _PREF_LABEL, _ALT_LABEL, _HIDDEN_LABEL, _IN_SCHEME, _INSTANT, _INTERVAL,
    _DATE_TIME,
)
#: compact() of the classes, properties and datatypes named on every node and edge.
_curie = functools.lru_cache(maxsize=1024)(compact)
#: Attribute and edge keys the exporters rely on; fact properties must not overwrite them.
RESERVED_KEYS = frozenset({
    "id", "key", "label", "kind", "type", "types", "typeLabel", "classes", "iri", "source",
    "target", "sources", "facts", "aliases", "predicate", "fact", "factType", "factTypeLabel",
    "weight", "color", "viz", "start", "end", "group", "groupLabel",
})


# --- the public entry points ------------------------------------------------------------------


def to_networkx(
    dataset: Dataset | GraphFiles, *, lang: str = "en", with_literals: bool = False
) -> nx.MultiDiGraph:
    """Project the dataset's source graphs into a labelled, typed networkx MultiDiGraph.

    ``dataset`` is a Dataset, or a store version's graph files (see oxstore.graph_files),
    read in one streaming pass. ``lang`` picks the labels (``en`` or
    ``nb``); ``with_literals`` turns literal values and single-entity facts into nodes of
    their own instead of node attributes.
    """
    if lang not in LANGS:
        raise ClusterKGError(f"unknown language {lang!r} (use one of: {', '.join(LANGS)})")
    return _Builder(dataset, lang, with_literals).build()


def resolve_node(graph: nx.MultiDiGraph, text: str) -> str:
    """The node named by an IRI, ``<IRI>``, CURIE, label, alternative label or abbreviation.

    Matching is exact but ignores case; an unknown name lists the closest known names.
    """
    wanted = text.strip()
    if wanted.startswith("<") and wanted.endswith(">"):
        wanted = wanted[1:-1]
    expanded = expand(wanted)
    for candidate in (wanted, str(expanded) if expanded else None):
        if candidate and candidate in graph:
            return candidate
    key = _fold(wanted)
    names: dict[str, set[str]] = defaultdict(set)
    for node, data in graph.nodes(data=True):
        if data.get("kind") == LITERAL:
            continue
        for name in [data.get("label", ""), *data.get("aliases", []), compact(node)]:
            names[_fold(str(name))].add(node)
    hits = names.get(key, set())
    if len(hits) == 1:
        return next(iter(hits))
    if len(hits) > 1:
        listed = ", ".join(f"{graph.nodes[n]['label']} <{n}>" for n in sorted(hits))
        raise ClusterKGError(f"{text!r} names several entities: {listed}; give the IRI")
    close = difflib.get_close_matches(key, list(names), n=5, cutoff=0.5)
    labels = sorted({graph.nodes[n]["label"] for c in close for n in names[c]})
    hint = f"; close matches: {', '.join(labels)}" if labels else ""
    raise ClusterKGError(f"unknown entity {text!r}{hint}")


def neighbourhood(graph: nx.MultiDiGraph, centre: str, depth: int) -> nx.MultiDiGraph:
    """The nodes within ``depth`` edges of ``centre`` (any direction), with the edges among them."""
    if depth < 0:
        raise ClusterKGError(f"--depth must be 0 or more, not {depth}")
    keep = nx.single_source_shortest_path_length(graph.to_undirected(as_view=True), centre, depth)
    sub = graph.subgraph(keep).copy()
    sub.graph["focus"] = centre
    return sub


def resolve_types(graph: nx.MultiDiGraph, spec: str) -> list[str]:
    """Class CURIEs from a comma-separated list of CURIEs, IRIs or local names (``Cluster``).

    A local name shared by several vocabularies means the project's own class (``ck:``).
    """
    known: dict[str, str] = graph.graph.get("classes", {})
    by_local: dict[str, set[str]] = defaultdict(set)
    for curie in known:
        by_local[_fold(_local_name(curie))].add(curie)
    wanted = [part.strip() for part in spec.split(",") if part.strip()]
    if not wanted:
        raise ClusterKGError("--types needs at least one class, e.g. ck:Cluster,org:Organization")
    out: list[str] = []
    for item in wanted:
        iri = item[1:-1] if item.startswith("<") and item.endswith(">") else item
        expanded = expand(iri)
        curie = compact(str(expanded) if expanded else iri)
        if curie in known:
            out.append(curie)
            continue
        hits = by_local.get(_fold(iri), set())
        own = {h for h in hits if h.startswith("ck:")}
        if len(hits) == 1 or len(own) == 1:  # a bare name means ours: Person is ck:Person
            out.append(next(iter(own if len(own) == 1 else hits)))
            continue
        if len(hits) > 1:
            raise ClusterKGError(f"type {item!r} is ambiguous: {', '.join(sorted(hits))}")
        close = difflib.get_close_matches(item, sorted(known), n=5, cutoff=0.5)
        hint = f"; close matches: {', '.join(close)}" if close else ""
        raise ClusterKGError(f"unknown type {item!r}{hint} (see the classes in ontology/)")
    return out


def keep_types(graph: nx.MultiDiGraph, classes: Iterable[str]) -> nx.MultiDiGraph:
    """Only the nodes that are instances of one of ``classes`` (subclasses count).

    The focus node of a neighbourhood is always kept, so the picture keeps its centre.
    """
    wanted = set(classes)
    focus = graph.graph.get("focus")
    keep = [
        n for n, d in graph.nodes(data=True)
        if n == focus or wanted & set(d.get("classes", ()))
    ]
    return graph.subgraph(keep).copy()


# --- building ---------------------------------------------------------------------------------


class _Triples:
    """Triples as ``{subject: {predicate: {object: names of the graphs stating it}}}``.

    The projection asks a handful of questions per triple; asked of the Dataset, each crossed
    into the store (oxrdflib -> Oxigraph) and converted its terms again. These are plain dict
    look-ups instead, with the few Graph methods the builder uses. Like rdflib's Memory store,
    objects keep the order they were first added in, so ``value`` picks the same one.
    """

    def __init__(self) -> None:
        self.spo: dict[Node, dict[Node, dict[Node, tuple[URIRef, ...]]]] = {}

    def add_graph(self, name: URIRef, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Add the triples of graph ``name`` (one loop: this runs once per triple)."""
        spo, stated = self.spo, (name,)
        for s, p, o in triples:
            po = spo.get(s)
            if po is None:
                po = spo[s] = {}
            objects = po.get(p)
            if objects is None:
                objects = po[p] = {}
            names = objects.get(o)
            if names is None:
                objects[o] = stated
            elif name not in names:
                objects[o] = names + stated

    def value_in(self, graph: URIRef, subject: Node, predicate: Node) -> Node | None:
        """The first object that graph ``graph`` states (``dataset.graph(g).value``)."""
        objects = self.spo.get(subject, {}).get(predicate, {})
        return next((o for o, names in objects.items() if graph in names), None)

    def union(self, other: _Triples) -> _Triples:
        """Both (``self``'s triples first), sharing the per-subject dicts of either side.

        Only subjects in both are copied, so the union of the data and the (small) ontology
        costs little; neither side may be changed afterwards.
        """
        merged = _Triples()
        merged.spo = dict(self.spo)
        for s, po in other.spo.items():
            if s not in self.spo:
                merged.spo[s] = po
                continue
            both = {p: dict(objects) for p, objects in self.spo[s].items()}
            for p, objects in po.items():
                known = both.setdefault(p, {})
                for o, names in objects.items():
                    old = known.get(o, ())
                    known[o] = old + tuple(n for n in names if n not in old)
            merged.spo[s] = both
        return merged

    def objects(self, subject: Node, predicate: Node) -> Collection[Node]:
        po = self.spo.get(subject)
        objects = po.get(predicate) if po is not None else None
        return objects.keys() if objects is not None else ()

    def value(self, subject: Node, predicate: Node) -> Node | None:
        """The first object, as ``Graph.value`` gives it."""
        return next(iter(self.objects(subject, predicate)), None)

    def predicates(self, subject: Node) -> Iterable[Node]:
        po = self.spo.get(subject)
        return po.keys() if po is not None else ()

    def subjects(self, predicate: Node, obj: Node | None = None) -> Iterator[Node]:
        """Subjects with ``predicate`` (to ``obj``): a scan, for the few whole-graph questions."""
        for s, po in self.spo.items():
            objects = po.get(predicate)
            if objects is not None and (obj is None or obj in objects):
                yield s

    def subject_objects(self, predicate: Node) -> Iterator[tuple[Node, Node]]:
        for s, po in self.spo.items():
            for o in po.get(predicate, ()):
                yield s, o

    def statements(self, subject: Node) -> Iterator[tuple[URIRef, Node, Node]]:
        """``(graph, predicate, object)`` for each triple about ``subject`` in each graph."""
        for p, objects in self.spo.get(subject, {}).items():
            for o, names in objects.items():
                for name in names:
                    yield name, p, o


def _reader(dataset: Dataset) -> Callable[[Graph], Iterator[tuple[Node, Node, Node]]]:
    """A function giving a graph's triples, in the order iterating the graph gives them.

    On Oxigraph the quads come straight from the pyoxigraph Store under the Dataset and each
    distinct term is converted once (oxrdflib converts, the same way, on every call).
    """
    from clusterkg.store import oxigraph_store

    inner = oxigraph_store(dataset)
    if inner is None:
        return iter
    import pyoxigraph as ox

    terms = _term_cache()

    def read(graph: Graph) -> Iterator[tuple[Node, Node, Node]]:
        for s, p, o, _ in inner.quads_for_pattern(None, None, None, ox.NamedNode(graph.identifier)):
            yield terms[s], terms[p], terms[o]

    return read


def _term_cache() -> dict[Any, Node]:
    """pyoxigraph term -> rdflib term, each converted once, as oxrdflib converts it (the
    IRIs of _CANONICAL to those very objects)."""
    import pyoxigraph as ox

    from clusterkg.oxquery import TermCache

    terms = TermCache()
    for term in _CANONICAL:
        terms[ox.NamedNode(str(term))] = term
    return terms


def _read_dataset(dataset: Dataset) -> tuple[_Triples, _Triples]:
    """The source graphs (in order of their names) and the ontology of a Dataset."""
    sources: dict[URIRef, Graph] = {
        g.identifier: g
        for g in dataset.graphs()
        if isinstance(g.identifier, URIRef)
        and g.identifier not in NON_SOURCE_GRAPHS
        and g.identifier != DATASET_DEFAULT_GRAPH_ID
    }
    read = _reader(dataset)
    data, ontology = _Triples(), _Triples()
    for name in sorted(sources):
        data.add_graph(name, read(sources[name]))
    ontology.add_graph(ONTOLOGY_GRAPH, read(dataset.graph(ONTOLOGY_GRAPH)))
    return data, ontology


def _read_files(files: GraphFiles) -> tuple[_Triples, _Triples]:
    """The source graphs (in order of their names) and the ontology of a store version's
    graph files (see clusterkg.graphfiles); the shapes are skipped. Parsed straight from the
    files, no store is filled first: at 1M triples this reads in half the time and a third of
    the memory of an in-memory copy."""
    import pyoxigraph as ox

    terms = _term_cache()
    data, ontology = _Triples(), _Triples()
    for name, path in sorted(files):
        graph = URIRef(name)
        if graph == ONTOLOGY_GRAPH:
            target = ontology
        elif graph in NON_SOURCE_GRAPHS:
            continue
        else:
            target = data
        try:
            triples = ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)
            target.add_graph(graph, ((terms[t.subject], terms[t.predicate], terms[t.object])
                                     for t in triples))
        except (OSError, SyntaxError) as exc:
            raise ClusterKGError(f"cannot read {path}: {exc}") from exc
    return data, ontology


class _Builder:
    """One projection run: holds the dataset views and fills the MultiDiGraph."""

    def __init__(self, dataset: Dataset | GraphFiles, lang: str, with_literals: bool) -> None:
        self.lang = lang
        self.with_literals = with_literals
        # Read in one pass: the builder's look-ups are then dict look-ups (see _Triples).
        if isinstance(dataset, list):
            self.data, self.ontology = _read_files(dataset)
        else:
            self.data, self.ontology = _read_dataset(dataset)
        self.every = self.data.union(self.ontology)
        self.supers = _superclasses(self.ontology)
        self.derived_from: dict[URIRef, Node | None] = {}
        # Asked again for every fact and edge that mentions a node; the data does not change.
        self.known_classes: dict[Node, frozenset[URIRef]] = {}
        self.known_labels: dict[Node, str] = {}
        self.out = nx.MultiDiGraph(lang=lang, with_literals=with_literals)
        self.document_facts: dict[str, list[dict[str, Any]]] = defaultdict(list)

    # entity classification ---------------------------------------------------------------

    def classes_of(self, node: Node) -> frozenset[URIRef]:
        """Asserted types plus all their superclasses."""
        known = self.known_classes.get(node)
        if known is None:
            asserted = {t for t in self.every.objects(node, _TYPE) if isinstance(t, URIRef)}
            closed = set(asserted)
            for t in asserted:
                closed |= self.supers.get(t, set())
            known = self.known_classes[node] = frozenset(closed - _IGNORED_TYPES)
        return known

    def is_fact(self, node: Node) -> bool:
        return _FACT in self.classes_of(node)

    def is_hidden(self, node: Node) -> bool:
        """Only provenance, time or ontology machinery: a thing that is also something else
        (a cluster whose own site is a publisher) is still drawn."""
        asserted = {t for t in self.every.objects(node, _TYPE) if isinstance(t, URIRef)}
        asserted -= _IGNORED_TYPES
        if asserted == {PROV.Activity}:
            return True  # the command that made a source graph (not an announcement)
        return bool(asserted) and all(
            ({t} | self.supers.get(t, set())) & HIDDEN_CLASSES for t in asserted
        )

    def build(self) -> nx.MultiDiGraph:
        subjects = sorted(
            {s for s in self.data.subjects(_TYPE, None) if isinstance(s, URIRef)}, key=str
        )
        facts = [s for s in subjects if self.is_fact(s)]
        fact_set = set(facts)
        entities = [s for s in subjects if s not in fact_set and not self.is_hidden(s)]
        for entity in entities:
            self.add_node(entity, ENTITY)
        for fact in facts:
            self.add_fact(fact)
        for entity in entities:
            self.add_direct_edges(entity)
        self.group_clusters_by_level()
        self.out.graph["classes"] = self.class_labels()
        self.out.graph["documents"] = self.documents()
        return self.out

    def group_clusters_by_level(self) -> None:
        """Give each cluster the group of the highest level it reached, so views colour the
        programme by level; other nodes keep their type as their group."""
        for _, data in self.out.nodes(data=True):
            data.setdefault("group", data["type"])
            data.setdefault("groupLabel", data["typeLabel"])
        best: dict[str, tuple[int, str, URIRef]] = {}
        for fact in self.data.subjects(RDF.type, CK.LevelAssignment):
            cluster, level = self.data.value(fact, CK.cluster), self.data.value(fact, CK.level)
            if not isinstance(level, URIRef) or str(cluster) not in self.out:
                continue
            rank = self.every.value(level, CK.levelRank)
            candidate = (int(rank.toPython()) if isinstance(rank, Literal) else 0, str(level),
                         level)
            if candidate > best.get(str(cluster), (-1, "", level)):
                best[str(cluster)] = candidate
        for key, (_, _, level) in best.items():
            data = self.out.nodes[key]
            data["group"] = f"{data['type']} {_curie(str(level))}"
            data["groupLabel"] = f"{data['typeLabel']}: {self.label(level)}"

    # nodes ------------------------------------------------------------------------------

    def add_node(self, node: URIRef, kind: str) -> str:
        key = str(node)
        if key in self.out:
            return key
        classes = self.classes_of(node)
        asserted = {t for t in self.every.objects(node, _TYPE) if isinstance(t, URIRef)}
        main = _most_specific(asserted - _IGNORED_TYPES, self.supers) or SKOS.Concept
        attrs: dict[str, Any] = {
            "label": self.label(node),
            "iri": key,
            "kind": kind,
            "type": _curie(str(main)),
            "typeLabel": self.type_label(node, main),
            "classes": sorted(_curie(str(c)) for c in classes),
            "aliases": self.aliases(node),
            "sources": self.sources_of(node),
            "facts": [],
        }
        if kind in (ENTITY, CONCEPT):
            attrs.update(self.entity_attributes(node))
        self.out.add_node(key, **attrs)
        if self.with_literals:
            self.add_literal_nodes(node)
        return key

    def entity_attributes(self, node: URIRef) -> dict[str, Any]:
        """Literal values and labels of non-node IRIs, keyed by property local name."""
        values: dict[str, list[Any]] = defaultdict(list)
        for prop in sorted(set(self.every.predicates(node)), key=str):
            if prop in _ENTITY_SKIP or (self.with_literals and prop not in _NOT_LITERAL_NODES
                                        and self._literal_values(node, prop)):
                continue
            for value in self.values(node, prop):
                if isinstance(value, URIRef) and self.is_node_target(value):
                    continue  # drawn as an edge by add_direct_edges
                values[_attr_key(prop)].append(
                    _plain(value) if isinstance(value, Literal) else self.describe(value)
                )
        return {k: v[0] if len(v) == 1 else v for k, v in values.items()}

    def add_literal_nodes(self, node: URIRef) -> None:
        """With ``with_literals``: one node per literal value, linked from its subject."""
        for prop in sorted(set(self.every.predicates(node)), key=str):
            if prop in _NOT_LITERAL_NODES or prop in _ENTITY_SKIP:
                continue
            for value in self._literal_values(node, prop):
                self._add_literal(str(node), prop, value)

    def _literal_values(self, node: Node, prop: URIRef) -> list[Literal]:
        return [v for v in self.values(node, prop) if isinstance(v, Literal)]

    def _add_literal(self, subject: str, prop: URIRef, value: Literal) -> None:
        digest = hashlib.sha1(f"{subject} {prop} {value.n3()}".encode()).hexdigest()[:16]
        key = f"literal:{digest}"
        self.out.add_node(
            key, label=self.text(value), iri="", kind=LITERAL, type="rdfs:Literal",
            typeLabel=_l("value", "verdi")[self.lang], classes=["rdfs:Literal"], aliases=[],
            sources=[], facts=[], value=_plain(value),
            datatype=_curie(str(value.datatype)) if value.datatype else "",
        )
        self.out.add_edge(
            subject, key, key=str(prop), label=self.prop_label(prop), kind=LITERAL_LINK,
            predicate=_curie(str(prop)), sources=self.out.nodes[subject]["sources"],
        )

    # facts ------------------------------------------------------------------------------

    def add_fact(self, fact: URIRef) -> None:
        classes = self.classes_of(fact)
        if classes & UNDRAWN_FACTS:
            return
        projection = _pick(PROJECTIONS, classes, self.supers)
        anchor = _pick(ATTRIBUTE_FACTS, classes, self.supers)
        if projection is not None:
            cls, rule = projection
            starts = self.ends(fact, rule.source, concepts=True)
            if not starts and rule.fallback is not None:
                starts = self.ends(fact, rule.fallback, concepts=True)
            ends = (starts, self.ends(fact, rule.target, concepts=True))
            if all(ends):
                self.add_projected(fact, cls, rule, *ends)
                return
            if ends[0] or ends[1]:  # a post without an organisation: about the person only
                present = rule.source if ends[0] else rule.target
                self.attach(fact, cls, ends[0] or ends[1], None, {present})
                return
        if anchor is not None:
            cls, rule = anchor
            targets = self.ends(fact, rule.entity)
            if targets:
                # The anchor is implied by where the entry sits, unless there are several.
                skip = {rule.entity} if len(targets) == 1 else set()
                self.attach(fact, cls, targets, rule.summary, skip)
                return
            documents = [d for d in self.data.objects(fact, rule.entity)
                         if CK.SourceDocument in self.classes_of(d)]
            if documents:  # e.g. the estimated date of a document: provenance, not a node
                entry = self.fact_entry(fact, cls, rule.summary, {rule.entity})
                for document in documents:
                    self.document_facts[str(document)].append(entry)
                return
        self.add_fact_node(fact)

    def ends(self, fact: URIRef, prop: URIRef, *, concepts: bool = False) -> list[str]:
        """The nodes a fact points to through ``prop``.

        With ``concepts``, a concept of the ontology (a level) becomes a node when it is the
        end of a projected edge; roles, kinds and the like otherwise stay attributes.
        """
        out = []
        for value in sorted(self.data.objects(fact, prop), key=str):
            if not isinstance(value, URIRef):
                continue
            if str(value) in self.out:
                out.append(str(value))
            elif self.is_node_target(value) or (concepts and self.can_be_node(value)):
                out.append(self.add_node(value, CONCEPT if self.is_concept(value) else ENTITY))
        return out

    def can_be_node(self, node: URIRef) -> bool:
        classes = self.classes_of(node)
        return bool(classes) and not self.is_hidden(node) and _FACT not in classes

    def is_concept(self, node: URIRef) -> bool:
        return SKOS.Concept in self.classes_of(node)

    def is_node_target(self, node: URIRef) -> bool:
        """Whether an IRI in object position is (or may become) a node of its own."""
        if str(node) in self.out:
            return True
        return self.can_be_node(node) and self.data.value(node, _TYPE) is not None

    def add_projected(
        self, fact: URIRef, cls: URIRef, rule: Projection, sources: list[str], targets: list[str]
    ) -> None:
        skip = {rule.source, rule.target, rule.fallback} - {None}
        details = self.details(fact, skip)
        label = self.projection_label(fact, rule)
        base = {
            "label": label,
            "kind": PROJECTED,
            "predicate": _curie(str(cls)),
            "fact": str(fact),
            "factType": _curie(str(cls)),
            "factTypeLabel": self.label(cls),
            "sources": self.sources_of(fact),
            **details,
        }
        for u in sources:
            for v in targets:
                self.out.add_edge(u, v, key=str(fact), **base)

    def projection_label(self, fact: URIRef, rule: Projection) -> str:
        if rule.wording is not None:
            words = [o for o in self.data.objects(fact, rule.wording)
                     if isinstance(o, Literal) and o.language == self.lang]
            if words:
                return str(sorted(words)[0])
        if rule.qualifier is not None:
            qualifier = self.data.value(fact, rule.qualifier)
            if isinstance(qualifier, URIRef):
                if qualifier in QUALIFIER_LABELS:
                    return QUALIFIER_LABELS[qualifier][self.lang]
                return self.label(qualifier)
        return rule.label[self.lang]

    def attach(
        self,
        fact: URIRef,
        cls: URIRef,
        targets: list[str],
        summary: Mapping[str, str] | None,
        skip: set[URIRef],
    ) -> None:
        """A fact about one entity: an entry of its ``facts`` list (or a node with literals)."""
        if self.with_literals:
            self.add_fact_node(fact)
            return
        entry = self.fact_entry(fact, cls, summary, skip)
        for target in targets:
            self.out.nodes[target]["facts"].append(entry)

    def fact_entry(
        self, fact: URIRef, cls: URIRef, summary: Mapping[str, str] | None, skip: set[URIRef]
    ) -> dict[str, Any]:
        """A fact as a ``facts`` entry: a one-line summary, its values and its sources."""
        details = self.details(fact, skip)
        template = summary[self.lang] if summary else None
        shown = {k: _join(v, self.lang) for k, v in details.items()}
        return {
            "fact": str(fact),
            "type": _curie(str(cls)),
            "typeLabel": self.label(cls),
            "summary": _summary(template, shown, self.label(cls)),
            "details": details,
            "sources": self.sources_of(fact),
        }

    def add_fact_node(self, fact: URIRef) -> None:
        """The generic fallback: the fact as a node, linked to every node it mentions."""
        key = self.add_node(fact, FACT)
        for name, value in self.details(fact, set(), as_node=True).items():
            self.out.nodes[key].setdefault(name, value)
        for prop in sorted(set(self.data.predicates(fact)), key=str):
            if prop in _PROVENANCE:
                continue
            for target in self.ends(fact, prop):
                self.out.add_edge(
                    key, target, key=str(prop), label=self.prop_label(prop), kind=FACT_LINK,
                    predicate=_curie(str(prop)), fact=str(fact), sources=self.sources_of(fact),
                )

    def details(
        self, fact: URIRef, skip: set[URIRef], *, as_node: bool = False
    ) -> dict[str, Any]:
        """A fact's other properties as plain values: numbers, text, labels of what it names.

        For a fact drawn as a node (``as_node``) the values that are nodes become edges, and
        with ``with_literals`` the literal values are nodes already, so both are left out.
        """
        out: dict[str, Any] = {}
        for prop in sorted(set(self.data.predicates(fact)), key=str):
            if prop in _PROVENANCE or prop in skip:
                continue
            values = []
            for value in self.values(fact, prop):
                if isinstance(value, Literal):
                    if not (as_node and self.with_literals):
                        values.append(_plain(value))
                elif not (as_node and self.is_node_target(value)):
                    values.append(self.describe(value))
            if values:
                key = _attr_key(prop)
                out[f"fact_{key}" if key in RESERVED_KEYS else key] = (
                    values[0] if len(values) == 1 else values
                )
        return out

    # plain triples between entities -----------------------------------------------------

    def add_direct_edges(self, entity: URIRef) -> None:
        """Triples ``entity -p-> other node``, one edge per source graph that states them."""
        stated = sorted(  # by graph, then predicate and object, as IRIs
            (name, prop, value) for name, prop, value in self.data.statements(entity)
            if prop not in _ENTITY_SKIP and isinstance(value, URIRef) and str(value) in self.out
        )
        for name, prop, value in stated:
            self.out.add_edge(
                str(entity), str(value), key=f"{prop} {name}",
                label=self.prop_label(prop), kind=DIRECT, predicate=_curie(str(prop)),
                sources=self.sources_of(entity, only=name),
            )

    # provenance ---------------------------------------------------------------------------

    def documents(self) -> list[dict[str, Any]]:
        """The source documents (title, file) with the facts about them (an estimated date)."""
        return [
            {
                "document": str(doc),
                "title": self.label(doc),
                "file": str(self.data.value(doc, CK.fileName) or ""),
                "facts": self.document_facts.get(str(doc), []),
            }
            for doc in sorted(set(self.data.subjects(RDF.type, CK.SourceDocument)), key=str)
        ]

    def sources_of(self, node: URIRef, *, only: URIRef | None = None) -> list[dict[str, Any]]:
        """Where a node is stated: per document its title, file name and line numbers."""
        documents = set(self.data.objects(node, _SOURCE_DOCUMENT))
        lines: dict[Node, set[int]] = defaultdict(set)
        for line in self.data.objects(node, _SOURCE_LINE):
            document = self.data.value(line, _IN_DOCUMENT)
            number = self.data.value(line, _LINE_NUMBER)
            if document is not None:
                documents.add(document)
                if isinstance(number, Literal):
                    lines[document].add(int(number.toPython()))
        if only is not None:
            if only not in self.derived_from:
                self.derived_from[only] = self.data.value_in(only, only, PROV.wasDerivedFrom)
            wanted = self.derived_from[only]
            documents = {d for d in documents if d == wanted} or (
                {wanted} if wanted is not None else set()
            )
        return [
            {
                "document": str(doc),
                "title": self.label(doc),
                "file": str(self.data.value(doc, _FILE_NAME) or ""),
                "lines": sorted(lines.get(doc, set())),
            }
            for doc in sorted(documents, key=str)
        ]

    # labels and values ------------------------------------------------------------------

    def values(self, node: Node, prop: URIRef) -> list[Node]:
        """Objects of ``node prop``; of several literals, those in the chosen language."""
        found = self.every.objects(node, prop)
        if len(found) < 2:  # most properties: nothing to sort or choose (n3() is costly)
            return list(found)
        objects = sorted(set(found), key=lambda o: (str(o), o.n3()))
        literals = [o for o in objects if isinstance(o, Literal)]
        tagged = [o for o in literals if o.language]
        if tagged:
            chosen = [o for o in literals if o.language in (None, self.lang)] or literals
            objects = [o for o in objects if not isinstance(o, Literal)] + chosen
        return objects

    def label(self, node: Node) -> str:
        """The best label in the chosen language, else an untagged one, else the local name."""
        known = self.known_labels.get(node)
        if known is None:
            known = self.known_labels[node] = self._label(node)
        return known

    def _label(self, node: Node) -> str:
        for prop in _LABELS:
            candidates = [o for o in self.every.objects(node, prop) if isinstance(o, Literal)]
            if candidates:
                candidates.sort(key=lambda o: (_lang_rank(o, self.lang), str(o)))
                return str(candidates[0])
        return _humanise(_local_name(str(node)))

    def aliases(self, node: Node) -> list[str]:
        """Every other name (all languages): search and --focus match on these."""
        names = {str(o) for p in _NAME_PROPS for o in self.every.objects(node, p)
                 if isinstance(o, Literal)}
        names.discard(self.label(node))
        return sorted(names)

    def prop_label(self, prop: URIRef) -> str:
        return self.label(prop)

    def type_label(self, node: URIRef, main: URIRef) -> str:
        """The class label; for a plain concept, the label of its scheme (e.g. the levels)."""
        if main == SKOS.Concept:
            scheme = self.every.value(node, SKOS.inScheme)
            if scheme is not None:
                return self.label(scheme)
        return self.label(main)

    def describe(self, value: Node) -> Any:
        """A non-node value as text: its label, a period with its duration, a partial date."""
        if isinstance(value, Literal):
            return self.text(value)
        classes = self.classes_of(value)
        if _PERIOD in classes or _INTERVAL in classes:
            return self.describe_period(value)
        if _INSTANT in classes:
            when = self.every.value(value, TIME.inDateTime)
            return self.describe_datetime(when) if when is not None else _local_name(str(value))
        if _DATE_TIME in classes:
            return self.describe_datetime(value)
        return self.label(value)

    def describe_period(self, period: Node) -> str:
        parts = []
        has_label = any(True for p in _LABELS for _ in self.every.objects(period, p))
        if has_label:
            parts.append(self.label(period))
        bounds = [self.every.value(period, p) for p in (CK.startDate, CK.endDate)]
        if any(b is not None for b in bounds):
            parts.append(DASH.join(str(b) if b is not None else "…" for b in bounds))
        duration = self.every.value(period, CK.duration)
        if duration is not None:
            parts.append(str(duration))
        if not parts:
            return _local_name(str(period))
        return parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")

    def describe_datetime(self, when: Node) -> str:
        """OWL-Time parts as a partial ISO 8601 date-time (``--11-08T10:00`` has no year)."""
        parts = ("year", "month", "day", "hour", "minute")
        get = {p: self.every.value(when, TIME[p]) for p in parts}
        year = str(get["year"]) if get["year"] is not None else "-"
        month = str(get["month"]).lstrip("-") if get["month"] is not None else "??"
        day = str(get["day"]).lstrip("-") if get["day"] is not None else "??"
        text = f"{year}-{month}-{day}"
        if get["hour"] is not None:
            minute = int(get["minute"].toPython()) if get["minute"] is not None else 0
            text += f"T{int(get['hour'].toPython()):02d}:{minute:02d}"
        return text

    def text(self, value: Literal) -> str:
        python = value.toPython()
        if isinstance(python, bool):
            return {"en": ("no", "yes"), "nb": ("nei", "ja")}[self.lang][python]
        if isinstance(python, (int, float, Decimal)) and value.datatype != XSD.gYear:
            return _number(python, self.lang)
        return str(value)

    def class_labels(self) -> dict[str, str]:
        """Every class of the ontology or the graph (CURIE -> label), for --types and legends."""
        classes = set(self.ontology.subjects(RDF.type, OWL.Class)) | set(self.supers)
        for _, data in self.out.nodes(data=True):
            classes |= {expand(c) or URIRef(c) for c in data["classes"]}
        return {compact(str(c)): self.label(c) for c in sorted(classes, key=str)
                if isinstance(c, URIRef)}


# --- helpers ----------------------------------------------------------------------------------


def _superclasses(ontology: _Triples) -> dict[URIRef, set[URIRef]]:
    """class -> all its (transitive) superclasses, from rdfs:subClassOf."""
    direct: dict[URIRef, set[URIRef]] = defaultdict(set)
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            direct[sub].add(sup)
    closed: dict[URIRef, set[URIRef]] = {}
    for cls in direct:
        seen: set[URIRef] = set()
        todo = list(direct[cls])
        while todo:
            sup = todo.pop()
            if sup not in seen:
                seen.add(sup)
                todo.extend(direct.get(sup, ()))
        closed[cls] = seen
    return closed


def _most_specific(types: set[URIRef], supers: dict[URIRef, set[URIRef]]) -> URIRef | None:
    """The type that no other asserted type specialises (ties broken by IRI)."""
    general = set().union(*(supers.get(t, set()) for t in types)) if types else set()
    specific = sorted((t for t in types if t not in general), key=str)
    return specific[0] if specific else None


def _pick(
    table: Mapping[URIRef, Any], classes: AbstractSet[URIRef], supers: dict[URIRef, set[URIRef]]
) -> tuple[URIRef, Any] | None:
    """The most specific class of ``classes`` that has an entry in ``table``."""
    mapped = {c for c in classes if c in table}
    best = _most_specific(mapped, supers)
    return (best, table[best]) if best is not None else None


def _summary(template: str | None, shown: Mapping[str, str], fallback: str) -> str:
    """One line for a fact: its template filled in, or ``type: key: value, ...``."""
    if template is None:
        listed = ", ".join(f"{k}: {v}" for k, v in shown.items() if k != "assertionMode")
        return f"{fallback}: {listed}" if listed else fallback
    return " ".join(template.format_map(defaultdict(str, shown)).split()).strip(f" :{DASH}")


def _join(value: Any, lang: str) -> str:
    if isinstance(value, list):
        return " + ".join(_join(v, lang) for v in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number(value, lang)
    return str(value)


def _plain(value: Literal) -> Any:
    """A literal as a JSON-friendly value: bool, int, float or text."""
    python = value.toPython()
    if isinstance(python, bool | int | float):
        return python
    if isinstance(python, Decimal):
        return int(python) if python == python.to_integral_value() else float(python)
    return str(value)


def _number(value: float | Decimal, lang: str) -> str:
    if isinstance(value, bool):
        return str(value)
    text = f"{int(value):,}" if value == int(value) else f"{float(value):,.2f}"
    return text.replace(",", "\u00a0") if lang == "nb" else text


def _lang_rank(literal: Literal, lang: str) -> int:
    if literal.language == lang:
        return 0
    return 1 if not literal.language else 2


def _attr_key(prop: URIRef) -> str:
    return _local_name(str(prop))


def _local_name(iri: str) -> str:
    for sep in ("#", "/", ":"):
        if sep in iri.rstrip(sep):
            iri = iri.rstrip(sep).rsplit(sep, 1)[1]
    return iri


def _humanise(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("-", " ").replace("_", " ")
    return spaced.lower() if spaced[:1].islower() or " " in spaced else spaced


def _fold(text: str) -> str:
    """Case- and accent-insensitive key ("Validé" matches "valide")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())
