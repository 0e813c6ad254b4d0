"""Readings are marked as readings: what the graph says is stated is what the documents say.

A fact the text does not state in so many words is ck:inferred, with its reason in Norwegian
and English. docs/stated-facts.md lists every stated fact with the lines it cites, so that a
reviewer can read each one against its lines; it must match graph/.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from rdflib import Dataset, URIRef
from rdflib.namespace import RDF

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT.parent / "shared" / "sources"
CK = "https://w3id.org/clusterkg/ontology#"
CKR = "https://w3id.org/clusterkg/id/"
F000 = CKR + "fact/000/"
F001 = CKR + "fact/001/"


def _maker():  # docs/make_stated_facts.py, imported as a module
    spec = importlib.util.spec_from_file_location("make_stated_facts",
                                                  ROOT / "docs" / "make_stated_facts.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="module")
def graph() -> Dataset:
    dataset = Dataset(default_union=True)
    for path in sorted((ROOT / "graph").glob("*.trig")):
        dataset.parse(path, format="trig")
    return dataset


def mode(graph: Dataset, fact: str) -> str:
    modes = graph.objects(URIRef(fact), URIRef(CK + "assertionMode"))
    found = {str(m).rsplit("#", 1)[-1] for m in modes}
    assert len(found) == 1, (fact, found)
    return found.pop()


def test_stated_facts_report_is_current() -> None:
    """docs/stated-facts.md is what graph/ says today (regenerate it with the script)."""
    expected = _maker().report(ROOT / "graph")
    written = (ROOT / "docs" / "stated-facts.md").read_text(encoding="utf-8")
    assert written == expected, "run: python docs/make_stated_facts.py"
    assert "## 000_e55087a455a2a3a4.txt" in written and "## 001_4e0765e6e6d46d59.txt" in written


@pytest.mark.skipif(not SOURCES.is_dir(), reason="the source documents are not beside the checkout")
def test_every_stated_fact_cites_lines_that_hold_text(tmp_path: Path) -> None:
    """The reviewer's copy: every cited line exists in its document and is not blank."""
    review = _maker().report(ROOT / "graph", SOURCES)
    quoted = [line for line in review.splitlines() if line.startswith("> ")]
    assert quoted, "no cited lines"
    empty = [q for q in quoted if q.endswith("(no such line)") or not q.split(": ", 1)[1].strip()]
    assert not empty


def test_no_inferred_fact_lacks_its_reason(graph: Dataset) -> None:
    rows = graph.query(
        """
        PREFIX ck: <https://w3id.org/clusterkg/ontology#>
        SELECT ?fact ?lang WHERE {
          ?fact ck:assertionMode ck:inferred .
          VALUES ?lang { "en" "nb" }
          FILTER NOT EXISTS {
            ?fact ck:inferenceReason ?reason .
            FILTER(LANGMATCHES(LANG(?reason), ?lang) && STRLEN(STR(?reason)) > 20)
          }
        }
        """
    )
    assert [(str(f), str(lang)) for f, lang in rows] == []
    inferred = set(graph.subjects(URIRef(CK + "assertionMode"), URIRef(CK + "inferred")))
    assert len(inferred) >= 8  # the readings below and the date estimates


def test_readings_of_the_two_documents_are_marked_inferred(graph: Dataset) -> None:
    # 001's "6 millioner kroner i fem år" read as 6 million a year
    assert mode(graph, F001 + "nscc-grant") == "inferred"
    assert mode(graph, F000 + "nscc-grant") == "stated"  # 000 states it per year
    # the photographer's organisation, from a photo credit
    assert mode(graph, F001 + "tom-hansen-photographer") == "stated"
    assert mode(graph, F001 + "tom-hansen-photographer-innovasjon-norge") == "inferred"
    assert (URIRef(F001 + "tom-hansen-photographer"), URIRef("http://www.w3.org/ns/org#organization"),
            None) not in graph
    # "de tre oppdragsgiverne" resolved to the three owners
    for owner in ("innovasjon-norge", "siva", "forskningsradet"):
        assert mode(graph, F001 + f"announcement-by-{owner}") == "inferred"
    announcement = URIRef(CKR + "announcement-8-november")
    assert (announcement, URIRef(CK + "announcedBy"), None) not in graph
    # the Arena period meeting the Arena Pro period
    assert mode(graph, F000 + "nscc-arena-then-arena-pro") == "inferred"
    assert (URIRef(F000 + "nscc-arena-period"), URIRef("http://www.w3.org/2006/time#intervalMeets"),
            None) not in graph


def test_the_documents_name_no_funder_of_a_grant(graph: Dataset) -> None:
    """The programme funds the clusters; no stated grant credits the three owners as funders."""
    funder = URIRef("https://schema.org/funder")
    for grant in graph.subjects(RDF.type, URIRef(CK + "Grant")):
        if str(grant).startswith((F000, F001)):
            assert (grant, funder, None) not in graph, grant
            programme = URIRef(CKR + "norwegian-innovation-clusters")
            assert (grant, URIRef(CK + "programme"), programme) in graph


def test_stated_lines_are_not_the_unnamed_announcers(graph: Dataset) -> None:
    """Line 9 of 001 names no owner: no stated ownership cites it."""
    line9 = URIRef("https://w3id.org/clusterkg/source/001_4e0765e6e6d46d59#L9")
    for fact in graph.subjects(URIRef(CK + "sourceLine"), line9):
        if (fact, RDF.type, URIRef(CK + "ProgrammeOwnership")) in graph:
            pytest.fail(f"{fact} cites line 9 for ownership")
