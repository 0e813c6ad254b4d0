"""Unit tests of clusterkg.sparqltext: where a parameter's VALUES block goes, and that it is safe.

Oxigraph takes no initBindings, so a parameter is bound by a ``VALUES`` block opening the
query's WHERE group (``inline_values``). ``where_group_start`` finds that group with a small
scan that must not be fooled by comments, strings, IRIs, variable names or nested groups. In
the cases below ``▸`` marks the ``{`` the scan must find; it is removed before the scan.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Node

from clusterkg.sparqltext import inline_values, where_group_start
from clusterkg.store import with_values

MARK = "▸"
EX = "http://example.org/"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"  # not rdflib.XSD: pytest probes module names

# rdflib 7.6 warns about its own internal use of deprecated names, many times over.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FOUND = {
    "select with WHERE": f"SELECT ?s WHERE {MARK}{{ ?s ?p ?o }}",
    "select without WHERE": f"SELECT * {MARK}{{ ?s ?p ?o }}",
    "lower-case keywords": f"select distinct ?s where {MARK}{{ ?s ?p ?o }}",
    "prefixes and base": (
        "BASE <http://example.org/>\n"
        "PREFIX ex: <http://example.org/ns#>\n"
        "PREFIX : <http://example.org/default/>\n"
        f"SELECT ?s WHERE {MARK}{{ ?s ex:p :o }}"
    ),
    "comments with braces": (
        "# { a comment before the query }\n"
        "SELECT ?s # { after the projection\n"
        "# } and a line of its own\n"
        f"WHERE {MARK}{{ ?s ?p ?o # {{ inside\n}}"
    ),
    "strings with braces": (
        'SELECT (CONCAT("{", \'}\', """ { "" } """, \'\'\' } \' { \'\'\', '
        "\"a \\\" { b\", 'c \\' } d', '\\\\', \"\\\\\") AS ?x)\n"
        f"WHERE {MARK}{{ }}"
    ),
    "hash and braces in the projection's strings": (
        f'SELECT ("# not a comment {{" AS ?x) ?s WHERE {MARK}{{ ?s ?p ?o }}'
    ),
    "IRIs with a hash": (
        f"SELECT ?s FROM <http://example.org/g#x> {MARK}{{ ?s <http://example.org/p#y> ?o }}"
    ),
    "variables named like keywords": (
        f"SELECT ?where $select ?construct WHERE {MARK}{{ ?where ?select $construct }}"
    ),
    "less-than in the projection": (
        f"SELECT (IF(?a<?b, 1, 0) AS ?x) (?c > 2 AS ?y) WHERE {MARK}{{ ?s ?a ?b ; ?c ?d }}"
    ),
    "aggregate with GROUP BY": (
        f"SELECT ?s (COUNT(*) AS ?n) WHERE {MARK}{{ ?s ?p ?o }} GROUP BY ?s ORDER BY ?s"
    ),
    "sub-SELECT inside WHERE": (
        f"SELECT ?s ?n WHERE {MARK}{{\n"
        "  ?s ?p ?o .\n"
        "  { SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?q ?r } GROUP BY ?s }\n"
        "}"
    ),
    "WHERE opening with a sub-SELECT": (
        f"SELECT * WHERE {MARK}{{ {{ SELECT ?s WHERE {{ ?s ?p ?o }} ORDER BY ?s }} }}"
    ),
    "CONSTRUCT template then WHERE": (
        f'CONSTRUCT {{ ?s ?p ?o . ?o ?p "}}" }} WHERE {MARK}{{ ?s ?p ?o }}'
    ),
    "CONSTRUCT template, no WHERE keyword": f"CONSTRUCT {{ ?s ?p ?o }} {MARK}{{ ?s ?p ?o }}",
    "CONSTRUCT with a where-like name in the template": (
        "PREFIX ex: <http://example.org/>\n"
        f"CONSTRUCT {{ ?s ex:where ?where }} WHERE {MARK}{{ ?s ?p ?where }}"
    ),
    "ASK": f"ASK {MARK}{{ ?s ?p ?o }}",
    "ASK WHERE": f"ASK WHERE {MARK}{{ ?s ?p ?o }}",
    "DESCRIBE with WHERE": f"DESCRIBE ?s WHERE {MARK}{{ ?s ?p ?o }}",
    "DESCRIBE without WHERE keyword": f"DESCRIBE ?s {MARK}{{ ?s ?p ?o }}",
    "a named query's header": (
        "#+ summary: braces { in } the header\n#+ params:\n#+   o:\n#+     type: string\n"
        "PREFIX ck: <https://w3id.org/clusterkg/ontology#>\n"
        f"SELECT ?s WHERE {MARK}{{ ?s ck:p ?o }}"
    ),
}

# Queries the scan gets wrong today (see the reasons); strict, so a fix shows up as XPASS.
FOUND_XFAIL = {
    "prefix named like a query form, then CONSTRUCT": (
        "PREFIX select: <http://example.org/>\n"
        f"CONSTRUCT {{ ?s select:p ?o }} WHERE {MARK}{{ ?s select:p ?o }}",
        "a prefix label such as `select:` is read as the query form, so the VALUES block goes "
        "into the CONSTRUCT template (a syntax error)",
    ),
    "prefix named construct, then SELECT": (
        f"PREFIX construct: <http://example.org/>\nSELECT ?s WHERE {MARK}{{ ?s construct:p ?o }}",
        "`construct:` is read as the query form: the WHERE group is taken for a template and "
        "the block ends up trailing, where it cannot bind a variable that is not projected",
    ),
    "non-ASCII variable": (
        f"SELECT ?år WHERE {MARK}{{ ?s ?p ?år }}",
        "the word pattern is ASCII-only: a letter such as å fails an assert (AssertionError)",
    ),
    "non-ASCII prefix": (
        f"PREFIX bø: <http://example.org/>\nSELECT ?s WHERE {MARK}{{ ?s bø:p ?o }}",
        "the word pattern is ASCII-only: a letter such as ø fails an assert (AssertionError)",
    ),
}

NOT_FOUND = {
    "CONSTRUCT WHERE short form": "CONSTRUCT WHERE { ?s ?p ?o }",
    "DESCRIBE of an IRI": "DESCRIBE <http://example.org/a>",
    "no query form": "# { only a comment }",
}


def marked(case: str) -> tuple[str, int]:
    """The query without its marker, and where the marker was."""
    assert case.count(MARK) == 1
    at = case.index(MARK)
    text = case.replace(MARK, "")
    assert text[at] == "{"
    return text, at


def parses_on_both(text: str) -> None:
    """The text is a valid query for rdflib's parser and for Oxigraph's."""
    prepareQuery(text)
    ox.Store().query(text)


@pytest.mark.parametrize("case", FOUND.values(), ids=FOUND.keys())
def test_finds_the_where_group(case: str) -> None:
    text, at = marked(case)
    parses_on_both(text)
    assert where_group_start(text) == at


@pytest.mark.parametrize(
    "case", [query for query, _why in FOUND_XFAIL.values()], ids=FOUND_XFAIL.keys()
)
def test_finds_the_where_group_in_former_failures(case: str) -> None:
    """Prefixes named like query forms and non-ASCII names (each once broke the scan)."""
    text, at = marked(case)
    parses_on_both(text)
    assert where_group_start(text) == at


@pytest.mark.parametrize("text", NOT_FOUND.values(), ids=NOT_FOUND.keys())
def test_no_where_group(text: str) -> None:
    assert where_group_start(text) is None


@pytest.mark.parametrize("case", FOUND.values(), ids=FOUND.keys())
def test_inlined_values_open_the_group_and_parse(case: str) -> None:
    text, at = marked(case)
    out = inline_values(text, {"o": Literal("v"), "unused": None})
    block = 'VALUES (?o) { ("v") }'
    assert out.count(block) == 1
    assert out[: at + 1] == text[: at + 1]  # everything up to the brace is unchanged
    assert out[at + 1 :].lstrip().startswith(block)
    assert out.replace(f"\n  {block}\n", "") == text  # and nothing else was touched
    parses_on_both(out)


def test_values_go_in_the_outer_group_not_a_sub_select() -> None:
    text = (
        "SELECT ?s ?n WHERE {\n"
        "  { SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?q ?r } GROUP BY ?s }\n"
        "  ?s ?p ?o .\n"
        "}"
    )
    out = inline_values(text, {"o": URIRef(EX + "x")})
    assert out.startswith("SELECT ?s ?n WHERE {\n  VALUES (?o) { (<http://example.org/x>) }\n")
    assert out.index("VALUES") < out.index("{ SELECT")


@pytest.mark.parametrize(
    "text",
    ["CONSTRUCT WHERE { ?s ?p ?o }", "DESCRIBE <http://example.org/a>"],
    ids=["CONSTRUCT WHERE", "DESCRIBE IRI"],
)
def test_falls_back_to_a_trailing_values_block(text: str) -> None:
    out = inline_values(text, {"o": Literal(1)})
    assert out == text + '\nVALUES (?o) { ("1"^^<http://www.w3.org/2001/XMLSchema#integer>) }\n'
    parses_on_both(out)


def test_construct_where_short_form_still_filters_on_oxigraph() -> None:
    # Only Oxigraph runs it: rdflib 7.6 fails on CONSTRUCT WHERE with a trailing VALUES block
    # (TypeError: the template is None); the memory store binds with initBindings instead.
    store = ox.Store()
    p = ox.NamedNode(EX + "p")
    for name, value in (("a", 1), ("b", 2)):
        store.add(ox.Quad(ox.NamedNode(EX + name), p, to_ox_literal(Literal(value))))
    out = inline_values("CONSTRUCT WHERE { ?s ?p ?o }", {"o": Literal(2)})
    assert [t.subject.value for t in store.query(out)] == [EX + "b"]


def test_no_bindings_leave_the_text_alone() -> None:
    text = "SELECT ?s WHERE { ?s ?p ?o }"
    assert inline_values(text, {}) == text
    assert inline_values(text, {"o": None}) == text


@pytest.mark.parametrize(
    ("bindings", "message"),
    [
        ({"o": BNode()}, "blank node"),
        ({"o x": Literal(1)}, "not a SPARQL variable name"),
        ({"o": URIRef("http://example.org/> } DROP ALL <")}, "not a valid IRI"),
    ],
    ids=["blank node", "bad variable name", "IRI that would end early"],
)
def test_refuses_what_cannot_be_bound_safely(bindings: dict[str, Node], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        inline_values("SELECT ?s WHERE { ?s ?p ?o }", bindings)


# --- escaping: a value never becomes SPARQL syntax -------------------------------------------

NASTY = {
    "quote brace DROP": Literal('x" } ; DROP ALL #'),
    "single quote": Literal("x' } #"),
    "newline": Literal("line one\n} # line two"),
    "backslashes": Literal('back\\slash\\" } \\'),
    "triple quotes": Literal('""" } """'),
    "tab and control": Literal("a\tb\x01c\r\n"),
    "non-ASCII": Literal("Validé AS, Østebø, 日本"),
    "language tag": Literal('x" } #', lang="nb"),
    "typed": Literal("P5Y", datatype=URIRef(XSD_NS + "duration")),
    "integer": Literal(42),
    "IRI with hash": URIRef(EX + "a#b"),
}


def to_ox_literal(term: Literal) -> ox.Literal:
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def from_ox(term: ox.NamedNode | ox.Literal) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_NS + "string":
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


@pytest.mark.parametrize("value", NASTY.values(), ids=NASTY.keys())
def test_a_value_comes_back_as_one_term(value: Node) -> None:
    """The escaped value parses as exactly one term, equal to the one given, on both engines."""
    text = "SELECT ?v (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?v"
    out = inline_values(text, {"v": value})
    graph = Graph()
    graph.add((URIRef(EX + "s"), URIRef(EX + "p"), Literal("o")))
    ((got, count),) = list(graph.query(out))  # one row: the VALUES block has one term
    assert got == value and int(count) == 1
    if isinstance(value, Literal):
        assert (got.language, got.datatype) == (value.language, value.datatype)
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("o")))
    (row,) = list(store.query(out))
    assert from_ox(row["v"]) == value and row["n"].value == "1"
    assert len(store) == 1  # and nothing was changed


# --- why this exists: binding a variable that is not projected -------------------------------


@pytest.fixture
def store() -> ox.Store:
    s = ox.Store()
    p = ox.NamedNode(EX + "p")
    for name, value in (("a", 1), ("b", 2), ("c", 2)):
        s.add(ox.Quad(ox.NamedNode(EX + name), p, to_ox_literal(Literal(value))))
    return s


def subjects(store: ox.Store, text: str) -> list[str]:
    return sorted(r["s"].value for r in store.query(text))


def test_a_bound_variable_that_is_not_projected_filters_on_oxigraph(store: ox.Store) -> None:
    text = f"SELECT ?s WHERE {{ ?s <{EX}p> ?o }}"
    assert subjects(store, inline_values(text, {"o": Literal(2)})) == [EX + "b", EX + "c"]
    assert subjects(store, inline_values(text, {"o": Literal(7)})) == []


def test_a_bound_variable_filters_before_grouping_on_oxigraph(store: ox.Store) -> None:
    """The reason for the leading block: a trailing one is joined after grouping (SPARQL 1.1,
    18.2.4.3), where a variable that is not a group key no longer is, so it filters nothing."""
    text = f"SELECT ?s (COUNT(*) AS ?n) WHERE {{ ?s <{EX}p> ?o }} GROUP BY ?s ORDER BY ?s"
    bindings = {"o": Literal(2)}
    assert subjects(store, inline_values(text, bindings)) == [EX + "b", EX + "c"]
    assert subjects(store, with_values(text, bindings)) == [EX + "a", EX + "b", EX + "c"]
    total = f"SELECT (COUNT(?s) AS ?n) WHERE {{ ?s <{EX}p> ?o }}"
    assert [r["n"].value for r in store.query(inline_values(total, bindings))] == ["2"]
    assert [r["n"].value for r in store.query(with_values(total, bindings))] == ["3"]


def test_rdflib_gives_the_same_answer_to_the_inlined_text(store: ox.Store) -> None:
    graph = Graph()
    for quad in store:
        graph.add((URIRef(quad.subject.value), URIRef(quad.predicate.value), from_ox(quad.object)))
    text = f"SELECT ?s WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?s"
    out = inline_values(text, {"o": Literal(2)})
    assert [str(r[0]) for r in graph.query(out)] == subjects(store, out) == [EX + "b", EX + "c"]


# --- sub-SELECTs that project a bound variable get the block too ----------------------------

GROUPED = (
    f"SELECT ?s ?n WHERE {{ ?s <{EX}p> ?o .\n"
    f"  OPTIONAL {{ SELECT ?s (COUNT(*) AS ?n) WHERE {{ ?s <{EX}p> ?any }} GROUP BY ?s }} }}"
)


def blocks(text: str) -> int:
    return text.count("VALUES (")


def test_a_sub_select_that_projects_the_variable_is_bound_inside() -> None:
    out = inline_values(GROUPED, {"s": URIRef(EX + "b")})
    assert blocks(out) == 2
    inner = out.index("SELECT ?s (COUNT")
    assert out.index("VALUES (?s)", inner) < out.index("?any", inner)


@pytest.mark.parametrize(
    "text",
    [
        # projected only as an expression's result
        f"SELECT ?x WHERE {{ {{ SELECT (?s AS ?t) WHERE {{ ?s <{EX}p> ?o }} }} }}",
        # a LIMIT or OFFSET: binding first would change which rows are kept
        f"SELECT ?s WHERE {{ {{ SELECT ?s WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?s LIMIT 1 }} }}",
        f"SELECT ?s WHERE {{ {{ SELECT ?s WHERE {{ ?s <{EX}p> ?o }} OFFSET 1 }} }}",
        # a sub-SELECT inside one that hides ?s: the inner ?s is another variable
        f"SELECT ?s WHERE {{ ?s <{EX}p> ?o . {{ SELECT ?o WHERE {{\n"
        f"  {{ SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} }} }} }} }}",
        # SELECT * is left alone
        f"SELECT ?s WHERE {{ {{ SELECT * WHERE {{ ?s <{EX}p> ?o }} }} }}",
        # names that only look like the variable or a sub-SELECT
        f"SELECT ?s WHERE {{ ?s <{EX}p> ?o . ?s <{EX}select> ?sx . ?s ex:select ?o }}",
    ],
)
def test_sub_selects_that_must_not_be_bound_inside(text: str) -> None:
    assert blocks(inline_values(text, {"s": URIRef(EX + "b")})) == 1


def test_of_nested_sub_selects_that_project_the_variable_the_innermost_is_bound() -> None:
    text = (
        f"SELECT ?s ?n WHERE {{ ?s <{EX}p> ?o .\n"
        f"  {{ SELECT ?s (COUNT(?v) AS ?n) WHERE {{\n"
        f"    {{ SELECT DISTINCT ?s ?v WHERE {{ ?s <{EX}p> ?v }} ORDER BY ?v }}\n"
        f"  }} GROUP BY ?s }} }}"
    )
    out = inline_values(text, {"s": URIRef(EX + "b"), "o": Literal(2)})
    assert blocks(out) == 2  # the query's group and the innermost sub-SELECT only
    assert out.count("VALUES (?s) {") == 1  # the sub-SELECT gets only what it projects
    inner = out.index("SELECT DISTINCT ?s ?v")
    assert out.index("VALUES (?s)") > inner  # not between GROUP BY and its ordered input


@pytest.mark.parametrize("value", [URIRef(EX + "a"), URIRef(EX + "b"), URIRef(EX + "zz")])
def test_binding_inside_sub_selects_gives_the_same_answer(store: ox.Store, value: URIRef) -> None:
    """Against the reference: the same query with the value bound only at the top (a FILTER
    on the whole answer), on the store with a grouped sub-SELECT per subject."""
    store.add(ox.Quad(ox.NamedNode(EX + "b"), ox.NamedNode(EX + "p"), ox.Literal("x")))
    out = inline_values(GROUPED, {"s": value})
    assert blocks(out) == 2
    reference = GROUPED.replace("?o .\n", f"?o . FILTER(?s = <{value}>)\n", 1)
    got = sorted((r["s"].value, r["n"].value) for r in store.query(out))
    want = sorted((r["s"].value, r["n"].value) for r in store.query(reference))
    assert got == want
    assert got or value == URIRef(EX + "zz")


def test_a_sub_select_with_patterns_of_its_own_is_bound_as_well_as_the_one_inside() -> None:
    text = (
        f"SELECT ?s ?n WHERE {{ ?s <{EX}p> ?o .\n"
        f"  OPTIONAL {{ SELECT ?s ?n WHERE {{ ?s <{EX}q> ?t .\n"
        f"    {{ SELECT ?s (COUNT(*) AS ?n) WHERE {{ ?s <{EX}p> ?v }} GROUP BY ?s }}\n"
        f"  }} }} }}"
    )
    assert blocks(inline_values(text, {"s": URIRef(EX + "b")})) == 3
