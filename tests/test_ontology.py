"""The ontology documents every term in both languages and stays consistent with the facts."""

from __future__ import annotations

from pathlib import Path

import owlrl
import pytest
from rdflib import OWL, RDF, RDFS, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

ROOT = Path(__file__).resolve().parents[1]
CK = Namespace("https://w3id.org/clusterkg/ontology#")
ERRNS = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")
ONTOLOGY_IRI = URIRef("https://w3id.org/clusterkg/ontology")
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    g = Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


@pytest.fixture(scope="module")
def facts() -> Graph:
    """The union of all source graphs, without graph names."""
    union = Graph()
    for path in sorted((ROOT / "graph").glob("*.trig")):
        ds = Dataset()
        ds.parse(path, format="trig")
        for _s, _p, _o, _g in ds.quads((None, None, None, None)):
            union.add((_s, _p, _o))
    return union


def _closure(g: Graph) -> None:
    """OWL-RL closure without owlrl's "improved" datatypes: they replace rdflib's literal
    converters for the whole process (and reject "---08"^^xsd:gDay), which would change what
    every later test in the same run sees."""
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, improved_datatypes=False).expand(g)


def _own_terms(g: Graph) -> list[URIRef]:
    terms = {s for t in TERM_TYPES for s in g.subjects(RDF.type, t) if str(s).startswith(str(CK))}
    return sorted(terms)


def _langs(g: Graph, s: URIRef, p: URIRef) -> set[str]:
    return {o.language for o in g.objects(s, p) if isinstance(o, Literal) and o.language}


def test_header_has_what_documentation_tools_expect(ontology: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    for p in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator, OWL.versionIRI):
        assert ontology.value(ONTOLOGY_IRI, p) is not None, f"ontology header lacks {p}"
    assert _langs(ontology, ONTOLOGY_IRI, DCTERMS.title) >= {"nb", "en"}


def test_ontology_defines_many_terms(ontology: Graph) -> None:
    assert len(_own_terms(ontology)) > 40


@pytest.mark.parametrize("prop", [RDFS.label, SKOS.definition])
def test_every_term_is_labelled_and_defined_in_nb_and_en(ontology: Graph, prop: URIRef) -> None:
    missing = [
        f"{term} lacks {prop} in {sorted({'nb', 'en'} - _langs(ontology, term, prop))}"
        for term in _own_terms(ontology)
        if not _langs(ontology, term, prop) >= {"nb", "en"}
    ]
    assert not missing, "\n".join(missing)


def test_every_concept_has_labels_and_definitions_in_nb_and_en(ontology: Graph) -> None:
    concepts = set(ontology.subjects(RDF.type, SKOS.Concept))
    concepts |= set(ontology.subjects(RDF.type, CK.AssertionMode))
    assert len(concepts) > 20
    bad = [
        str(c)
        for c in concepts
        if not (
            _langs(ontology, c, SKOS.prefLabel) >= {"nb", "en"}
            and _langs(ontology, c, SKOS.definition) >= {"nb", "en"}
        )
    ]
    assert not bad, bad


def test_levels_are_arena_arena_pro_nce_level_gce_and_the_nce_brand_is_not_a_level(
    ontology: Graph,
) -> None:
    levels_scheme = URIRef("https://w3id.org/clusterkg/level/levels")
    levels = {
        str(label)
        for c in ontology.subjects(SKOS.inScheme, levels_scheme)
        for label in ontology.objects(c, SKOS.prefLabel) if label.language == "en"
    }
    assert levels == {"Arena", "Arena Pro", "GCE", "NCE (level)"}  # NCE a level until 2019
    nce = URIRef("https://w3id.org/clusterkg/level/nce")  # the brand since 2019
    assert (nce, SKOS.inScheme, levels_scheme) not in ontology
    nce_level = URIRef("https://w3id.org/clusterkg/level/nce-level")
    assert (nce_level, SKOS.closeMatch, nce) in ontology


def test_every_ck_term_used_by_the_facts_is_defined(ontology: Graph, facts: Graph) -> None:
    used = {p for p in facts.predicates() if str(p).startswith(str(CK))}
    used |= {o for o in facts.objects(None, RDF.type) if str(o).startswith(str(CK))}
    defined = set(ontology.subjects())
    assert used, "the facts use no ck: terms"
    assert not (used - defined), sorted(used - defined)


def test_owl_rl_closure_of_ontology_and_facts_is_consistent(ontology: Graph, facts: Graph) -> None:
    g = Graph()
    for t in ontology:
        g.add(t)
    for t in facts:
        g.add(t)
    _closure(g)
    errors = [
        str(m) for s in g.subjects(RDF.type, ERRNS.ErrorMessage) for m in g.objects(s, ERRNS.error)
    ]
    assert not errors, errors
    # No individual may fall into two disjoint classes (checked directly, not only via owlrl).
    clashes = []
    for a, b in g.subject_objects(OWL.disjointWith):
        both = set(g.subjects(RDF.type, a)) & set(g.subjects(RDF.type, b))
        clashes += [f"{x} is both {a} and {b}" for x in both]
    assert not clashes, clashes
    # the closure did real work: every fact node is a prov:Entity
    assert (
        URIRef("https://w3id.org/clusterkg/id/fact/001/valide-hosts-nscc"),
        RDF.type,
        URIRef("http://www.w3.org/ns/prov#Entity"),
    ) in g


def test_disjointness_is_detected_when_broken(ontology: Graph, facts: Graph) -> None:
    """The consistency check above can fail: a person typed as an organisation is caught."""
    g = Graph()
    for t in ontology:
        g.add(t)
    for t in facts:
        g.add(t)
    g.add(
        (
            URIRef("https://w3id.org/clusterkg/id/arild-kristensen"),
            RDF.type,
            URIRef("http://www.w3.org/ns/org#FormalOrganization"),
        )
    )
    _closure(g)
    assert list(g.subjects(RDF.type, ERRNS.ErrorMessage))
