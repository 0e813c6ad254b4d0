"""The project's fixed namespaces, in one place so output and input agree on prefixes."""

from __future__ import annotations

import re

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, TIME, XSD

CK = Namespace("https://w3id.org/clusterkg/ontology#")
CKR = Namespace("https://w3id.org/clusterkg/id/")
CKL = Namespace("https://w3id.org/clusterkg/level/")
CKS = Namespace("https://w3id.org/clusterkg/source/")
CKG = Namespace("https://w3id.org/clusterkg/graph/")
ORG = Namespace("http://www.w3.org/ns/org#")
ROV = Namespace("http://www.w3.org/ns/regorg#")
SCHEMA = Namespace("https://schema.org/")

#: prefix -> namespace IRI; order matters only for display.
PREFIXES: dict[str, str] = {
    "ck": str(CK),
    "ckr": str(CKR),
    "ckl": str(CKL),
    "cks": str(CKS),
    "ckg": str(CKG),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "org": str(ORG),
    "rov": str(ROV),
    "prov": str(PROV),
    "time": str(TIME),
    "schema": str(SCHEMA),
    "dcterms": str(DCTERMS),
    "sh": str(SH),
}

#: The named graphs that are not source documents.
ONTOLOGY_GRAPH = CKG["ontology"]
SHAPES_GRAPH = CKG["shapes"]
NON_SOURCE_GRAPHS = frozenset({ONTOLOGY_GRAPH, SHAPES_GRAPH})

# Longest namespace first, so e.g. ckr: never swallows a longer namespace sharing its start.
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: len(item[1]), reverse=True)
_CURIE = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*)?:(\S*)$")


def bind_prefixes(graph: Graph) -> None:
    """Bind the project prefixes so serialisations use them instead of ns1:, ns2:..."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)


def compact(iri: str) -> str:
    """Shorten an IRI with the project prefixes for human display; unknown IRIs stay whole."""
    for prefix, ns in _BY_LENGTH:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def expand(curie: str) -> URIRef | None:
    """Expand ``prefix:local`` with a known prefix; None if it is not one of ours."""
    match = _CURIE.match(curie)
    if not match or match.group(1) not in PREFIXES:
        return None
    return URIRef(PREFIXES[match.group(1)] + match.group(2))


def source_graph(stem: str) -> URIRef:
    """The named graph for a source document / graph file stem."""
    return CKG[stem]
