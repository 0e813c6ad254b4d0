"""Tests of the SHACL shapes in shapes/*.ttl.

Every node shape has fixtures in tests/shapes/: <ShapeLocalName>-valid[-NN].ttl must conform
to all the shapes, <ShapeLocalName>-invalid[-NN].ttl must not, and its results must come from
exactly the shapes or SPARQL constraints listed on its "# expect:" line. The real graph
(graph/*.trig, all named graphs together) must conform, and the shapes must pass SHACL-SHACL.

The ontology is mixed into the data graph by hand (the union of ontology/*.ttl and the data)
rather than through pySHACL's ont_graph. pySHACL 0.40.1 copies every owl:NamedIndividual of
ont_graph with a recursive deep clone that follows skos:inScheme / skos:hasTopConcept back and
forth to depth 10; with the SKOS schemes in ontology/ that never finishes in practice, and the
alternative full mix-in (PYSHACL_USE_FULL_MIXIN) fails with an AttributeError. A plain union
is what the full mix-in would have produced.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from pathlib import Path

import pyshacl
import pytest
from pyshacl.entrypoints import meta_validate
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

ROOT = Path(__file__).resolve().parent.parent
SHAPES_DIR = ROOT / "shapes"
FIXTURES_DIR = Path(__file__).resolve().parent / "shapes"
ONTOLOGY_DIR = ROOT / "ontology"
GRAPH_DIR = ROOT / "graph"

SH = Namespace("http://www.w3.org/ns/shacl#")
CK = Namespace("https://w3id.org/clusterkg/ontology#")
CKSHAPE = Namespace("https://w3id.org/clusterkg/shapes#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
EX = Namespace("https://example.org/clusterkg-test/")

FIXTURE_NAME = re.compile(r"^(?P<shape>[A-Za-z]+)-(?P<kind>valid|invalid)(?:-(?P<n>\d{2}))?\.ttl$")
EXPECT_LINE = re.compile(r"^#\s*expect:\s*(?P<shapes>.+)$", re.MULTILINE)

TARGET_PREDICATES = (
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.target,
)
# Constraint parameters that, on a node shape, produce results whose sh:sourceShape is the
# node shape itself (so the node shape must carry the messages for them).
NODE_LEVEL_PARAMETERS = (
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.minExclusive,
    SH.minInclusive,
    SH.maxExclusive,
    SH.maxInclusive,
    SH.minLength,
    SH.maxLength,
    SH.pattern,
    SH.languageIn,
    SH.equals,
    SH.disjoint,
    SH["not"],
    SH["and"],
    SH["or"],
    SH.xone,
    SH.node,
    SH.closed,
    SH.hasValue,
    SH["in"],
)


# ---------------------------------------------------------------------------
# Loading and validating
# ---------------------------------------------------------------------------


@cache
def shapes_graph() -> Graph:
    graph = Graph()
    files = sorted(SHAPES_DIR.glob("*.ttl"))
    assert files, "no shapes in shapes/"
    for path in files:
        graph.parse(path, format="turtle")
    return graph


@cache
def ontology_graph() -> Graph:
    graph = Graph()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@cache
def real_graph() -> Graph:
    """The union of all named graphs in graph/*.trig."""
    dataset = Dataset()
    for path in sorted(GRAPH_DIR.glob("*.trig")):
        with warnings.catch_warnings():
            # rdflib 7 warns about its own use of Dataset.default_context while parsing TriG.
            warnings.simplefilter("ignore", DeprecationWarning)
            dataset.parse(path, format="trig")
    union = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    assert len(union) > 0, "graph/*.trig holds no triples"
    return union


def validate(data: Graph, **kwargs) -> tuple[bool, Graph, str]:
    mixed = Graph()
    mixed += ontology_graph()
    mixed += data
    return pyshacl.validate(
        mixed,
        shacl_graph=shapes_graph(),
        inference="none",
        advanced=True,
        **kwargs,
    )


def results(report: Graph) -> list:
    """The top-level results of a report (pySHACL also reports the results of sh:node checks,
    nested under sh:detail)."""
    return list(report.objects(None, SH.result))


def detail_sources(report: Graph) -> set:
    """Source shapes of the nested results (sh:detail) of a report."""
    return {
        report.value(d, SH.sourceShape)
        for r in results(report)
        for d in report.objects(r, SH.detail)
    }


def result_source(report: Graph, result) -> URIRef:
    """The SPARQL constraint a result comes from if any, else its source shape."""
    constraint = report.value(result, SH.sourceConstraint)
    return constraint if constraint is not None else report.value(result, SH.sourceShape)


def qname(node) -> str:
    if isinstance(node, URIRef) and str(node).startswith(str(CKSHAPE)):
        return "ckshape:" + str(node)[len(str(CKSHAPE)) :]
    return str(node)


def expand(curie: str) -> URIRef:
    assert curie.startswith("ckshape:"), f"expected shape {curie!r} is not a ckshape: name"
    return CKSHAPE[curie[len("ckshape:") :]]


# ---------------------------------------------------------------------------
# The shapes graph, looked at as data
# ---------------------------------------------------------------------------


def node_shapes() -> set:
    g = shapes_graph()
    shapes = set(g.subjects(RDF.type, SH.NodeShape))
    for predicate in TARGET_PREDICATES:
        shapes |= set(g.subjects(predicate, None))
    return shapes


def property_shapes() -> set:
    g = shapes_graph()
    return set(g.objects(None, SH.property)) | set(g.subjects(RDF.type, SH.PropertyShape))


def sparql_constraints() -> set:
    g = shapes_graph()
    return set(g.objects(None, SH.sparql)) | set(g.subjects(RDF.type, SH.SPARQLConstraint))


def logical_members() -> set:
    """Shapes that are members of sh:or / sh:and / sh:xone lists (may be blank nodes)."""
    g = shapes_graph()
    members = set()
    for predicate in (SH["or"], SH["and"], SH.xone):
        for head in g.objects(None, predicate):
            members |= set(Collection(g, head))
    return members


def targeted(shape) -> bool:
    return any(shapes_graph().value(shape, p) is not None for p in TARGET_PREDICATES)


def related_shapes(shape: URIRef) -> set:
    """What an invalid fixture for `shape` may report: the shape, its property shapes and
    SPARQL constraints, for a shape that is only used through sh:node, the property shapes
    that refer to it, and the shapes that target every subject of one of its paths."""
    g = shapes_graph()
    related = {shape} | set(g.objects(shape, SH.property)) | set(g.objects(shape, SH.sparql))
    if not targeted(shape):
        related |= set(g.subjects(SH.node, shape))
    # Shapes that target the subjects of a property (ckshape:LineCitationShape) check every
    # node the shape describes with that property, whatever its class.
    paths = {g.value(p, SH.path) for p in g.objects(shape, SH.property)}
    for other in g.subjects(SH.targetSubjectsOf, None):
        if set(g.objects(other, SH.targetSubjectsOf)) & paths:
            related |= {other} | set(g.objects(other, SH.sparql))
    return related


def messages(node) -> list:
    return list(shapes_graph().objects(node, SH.message))


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


def fixture_files(kind: str) -> list:
    files = []
    for path in sorted(FIXTURES_DIR.glob("*.ttl")):
        match = FIXTURE_NAME.match(path.name)
        if match and match["kind"] == kind:
            files.append(path)
    return files


def expected_shapes(path: Path) -> set:
    found = EXPECT_LINE.findall(path.read_text(encoding="utf-8"))
    assert found, f"{path.name} has no '# expect: ckshape:...' line"
    return {expand(c) for line in found for c in re.split(r"[\s,]+", line.strip()) if c}


def test_fixture_files_are_named_after_shapes():
    assert FIXTURES_DIR.is_dir()
    names = {qname(s) for s in node_shapes()}
    for path in sorted(FIXTURES_DIR.iterdir()):
        match = FIXTURE_NAME.match(path.name)
        assert match, f"{path.name} is not named <ShapeLocalName>-valid|invalid[-NN].ttl"
        assert "ckshape:" + match["shape"] in names, f"{path.name} names no node shape in shapes/"


def test_every_node_shape_has_valid_and_invalid_fixtures():
    missing = []
    for shape in sorted(node_shapes()):
        name = qname(shape)
        assert name.startswith("ckshape:"), f"node shape {shape} is not in the ckshape: namespace"
        local = name[len("ckshape:") :]
        for kind in ("valid", "invalid"):
            if not any(FIXTURE_NAME.match(p.name)["shape"] == local for p in fixture_files(kind)):
                missing.append(f"{local}-{kind}.ttl")
    assert not missing, "fixtures missing: " + ", ".join(missing)


@pytest.mark.parametrize("path", fixture_files("valid"), ids=lambda p: p.stem)
def test_valid_fixture_conforms(path: Path):
    data = Graph().parse(path, format="turtle")
    conforms, _, text = validate(data)
    assert conforms, text


@pytest.mark.parametrize("path", fixture_files("invalid"), ids=lambda p: p.stem)
def test_invalid_fixture_fails_for_the_expected_reason(path: Path):
    shape = CKSHAPE[FIXTURE_NAME.match(path.name)["shape"]]
    expected = expected_shapes(path)
    allowed = related_shapes(shape)
    assert expected <= allowed, (
        f"{path.name} expects {sorted(map(qname, expected - allowed))}, "
        f"which do not belong to {qname(shape)}"
    )
    data = Graph().parse(path, format="turtle")
    conforms, report, text = validate(data)
    assert not conforms, f"{path.name} conforms, but should break {sorted(map(qname, expected))}"
    found = {result_source(report, r) for r in results(report)}
    assert found == expected, (
        f"{path.name}: expected results from {sorted(map(qname, expected))}, "
        f"got {sorted(map(qname, found))}\n{text}"
    )
    if not targeted(shape):
        # A shape used only through sh:node: its own property shapes report under sh:detail.
        own = set(shapes_graph().objects(shape, SH.property))
        assert detail_sources(report) & own, f"{path.name}: no sh:detail from {qname(shape)}"
    for r in results(report):
        assert report.value(r, SH.resultSeverity) == SH.Violation
        result_messages = list(report.objects(r, SH.resultMessage))
        for message in result_messages:
            assert "{$" not in message and "{?" not in message, f"unfilled: {message!r}"
        if report.value(r, SH.sourceConstraint) is None:
            assert sorted(str(m.language) for m in result_messages) == ["en", "nb"], result_messages
        else:
            # pySHACL 0.40.1 fills the placeholders of SPARQL messages and drops their language
            # tags, so only the number of messages can be checked here.
            assert len(result_messages) == 2, result_messages


# ---------------------------------------------------------------------------
# The shapes themselves
# ---------------------------------------------------------------------------


def test_shapes_pass_shacl_shacl():
    conforms, _, text = meta_validate(shapes_graph(), inference="none")
    assert conforms, text


def test_shacl_shacl_would_catch_a_broken_shape():
    broken = Graph()
    broken += shapes_graph()
    broken.add((CKSHAPE["MemberCount-count"], SH.minCount, Literal("one")))
    conforms, _, _ = meta_validate(broken, inference="none")
    assert not conforms


def test_every_shape_is_named_labelled_and_a_violation():
    members = logical_members()
    g = shapes_graph()
    for shape in node_shapes() | property_shapes() | sparql_constraints():
        if isinstance(shape, BNode):
            description = g.cbd(shape).serialize(format="turtle")
            assert shape in members, f"blank-node shape outside sh:or: {description}"
            continue
        assert str(shape).startswith(str(CKSHAPE)), f"{shape} is not in the ckshape: namespace"
        languages = sorted(label.language for label in g.objects(shape, RDFS.label))
        assert languages == ["en", "nb"], f"{qname(shape)}: rdfs:label languages {languages}"
        if shape not in sparql_constraints():
            severity = g.value(shape, SH.severity)
            assert severity == SH.Violation, f"{qname(shape)}: sh:severity {severity}"


def test_property_shapes_and_sparql_constraints_have_english_and_norwegian_messages():
    for constraint in property_shapes() | sparql_constraints():
        if constraint in logical_members():
            continue
        languages = sorted(str(m.language) for m in messages(constraint))
        assert languages == ["en", "nb"], f"{qname(constraint)}: sh:message languages {languages}"


def test_node_shapes_carry_messages_exactly_when_they_have_constraints_of_their_own():
    g = shapes_graph()
    for shape in node_shapes():
        own = [p for p in NODE_LEVEL_PARAMETERS if g.value(shape, p) is not None]
        languages = sorted(str(m.language) for m in messages(shape))
        if own:
            assert languages == ["en", "nb"], f"{qname(shape)} has {own}: needs sh:message @en, @nb"
            # pySHACL adds the messages of a shape to every result of that shape's SPARQL
            # constraints, which would mix two messages into one result.
            assert g.value(shape, SH.sparql) is None, f"{qname(shape)}: messages and sh:sparql"
        else:
            assert languages == [], f"{qname(shape)} has messages but no constraint of its own"


def test_every_message_bearing_node_has_both_languages():
    g = shapes_graph()
    for node in set(g.subjects(SH.message, None)):
        languages = sorted(str(m.language) for m in messages(node))
        assert languages == ["en", "nb"], f"{qname(node)}: sh:message languages {languages}"


def test_sparql_constraints_use_declared_prefixes():
    g = shapes_graph()
    for constraint in sparql_constraints():
        prefixes_node = g.value(constraint, SH.prefixes)
        assert prefixes_node is not None, f"{qname(constraint)} has no sh:prefixes"
        assert (prefixes_node, RDF.type, OWL.Ontology) in g
        declared = {str(g.value(d, SH.prefix)) for d in g.objects(prefixes_node, SH.declare)}
        query = str(g.value(constraint, SH.select))
        used = set(re.findall(r"\b([a-z][a-z0-9]*):[A-Za-z_]", query))
        assert used <= declared, f"{qname(constraint)} uses undeclared prefixes {used - declared}"
        assert "$this" in query


def test_every_class_used_in_the_graph_is_targeted():
    g = shapes_graph()
    ontology = ontology_graph()
    targets = set(g.objects(None, SH.targetClass))
    for cls in set(real_graph().objects(None, RDF.type)):
        superclasses = set(ontology.transitive_objects(cls, RDFS.subClassOf))
        assert superclasses & targets, f"no shape targets {cls} or a superclass of it"


def test_every_fact_class_has_a_shape_of_its_own():
    g = shapes_graph()
    targets = set(g.objects(None, SH.targetClass))
    facts = set(ontology_graph().transitive_subjects(RDFS.subClassOf, CK.Fact))
    assert CK.Grant in facts and CK.Fact in facts
    missing = sorted(str(c) for c in facts - targets)
    assert not missing, f"fact classes without a shape: {missing}"


# ---------------------------------------------------------------------------
# The real graph
# ---------------------------------------------------------------------------


def test_real_graph_conforms():
    conforms, _, text = validate(real_graph(), meta_shacl=True)
    assert conforms, text


def test_real_graph_is_checked_at_all():
    """Break one fact of the real graph and make sure the shapes notice."""
    data = Graph()
    data += real_graph()
    fact = URIRef("https://w3id.org/clusterkg/id/fact/000/nscc-members-companies")
    assert (fact, CK["count"], None) in data
    data.remove((fact, CK["count"], None))
    data.add((fact, CK["count"], Literal(-1)))
    conforms, report, _ = validate(data)
    assert not conforms
    assert {result_source(report, r) for r in results(report)} == {CKSHAPE["MemberCount-count"]}


# ---------------------------------------------------------------------------
# Particular rules
# ---------------------------------------------------------------------------


def test_brand_as_level_message_names_the_levels():
    data = Graph().parse(FIXTURES_DIR / "LevelAssignmentShape-invalid.ttl", format="turtle")
    conforms, report, _ = validate(data)
    assert not conforms
    texts = [str(m) for r in results(report) for m in report.objects(r, SH.resultMessage)]
    english = [t for t in texts if "brand" in t]
    norwegian = [t for t in texts if "merkenavn" in t]
    assert english and norwegian, texts
    for text in english + norwegian:
        for level in ("Arena", "Arena Pro", "GCE", "NCE"):
            assert level in text


def mod11_valid(number: str) -> bool:
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    remainder = sum(int(d) * w for d, w in zip(number[:8], weights, strict=True)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(number[8])


def test_mod11_reference_implementation():
    assert mod11_valid("923609016")
    assert not mod11_valid("923609017")
    assert mod11_valid("974760673")  # Brønnøysundregistrene
    assert mod11_valid("971524960")  # remainder 0, check digit 0


def organisation_numbers() -> list:
    """Every check digit for a few prefixes, including prefixes with remainder 0 and 1."""
    prefixes = ["92360901", "97476067", "97152496", "98388745"]
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    found = {}
    for n in range(10000000, 10000400):
        remainder = sum(int(d) * w for d, w in zip(str(n), weights, strict=True)) % 11
        found.setdefault(remainder, str(n))
    prefixes += [found[0], found[1]]
    return [prefix + str(digit) for prefix in prefixes for digit in range(10)]


def test_organisation_number_check_digit_matches_python():
    numbers = organisation_numbers()
    data = Graph()
    doc = EX["doc"]
    data.add((doc, RDF.type, CK.SourceDocument))
    data.add((doc, RDFS.label, Literal("Testdokument")))
    for number in numbers:
        org = EX["org-" + number]
        data.add((org, RDF.type, URIRef("http://www.w3.org/ns/org#FormalOrganization")))
        data.add((org, RDFS.label, Literal("Organisasjon " + number)))
        data.add((org, CK.organisationNumber, Literal(number)))
        data.add((org, CK.sourceDocument, doc))
    _, report, _ = validate(data)
    check_digit_constraint = CKSHAPE["FormalOrganization-organisationNumberCheckDigit"]
    flagged = set()
    for r in results(report):
        assert result_source(report, r) == check_digit_constraint
        flagged.add(str(report.value(r, SH.value)))
    expected = {n for n in numbers if not mod11_valid(n)}
    assert flagged == expected
    # one valid check digit per prefix, except the prefix with remainder 1, which has none
    assert len(numbers) - len(expected) == len(numbers) // 10 - 1
