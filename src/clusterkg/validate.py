"""SHACL validation of the whole dataset with pySHACL, and a sorted, language-aware report.

The data graph is the union of the source graphs and the ontology; the shapes come from
ckg:shapes. SHACL-AF/SHACL-SPARQL are on (``advanced=True``); warnings and infos do not make
the data non-conforming (``allow_warnings=True``).

The ontology is added to the data graph directly rather than passed as pySHACL's
``ont_graph``: pySHACL's "inoculation" deep-clones every owl:NamedIndividual ten levels deep
without remembering what it visited, which took over ten minutes on the project ontology.
A plain union gives the validator the same (in fact all) ontology triples in milliseconds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, SKOS
from rdflib.term import Node

from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import ONTOLOGY_GRAPH, SHAPES_GRAPH, bind_prefixes, compact
from clusterkg.store import data_graph
from clusterkg.terms import ntriples, quoted

INFERENCE = ("none", "rdfs")
LANGUAGES = ("en", "nb")
# {?var} / {$this} placeholders in SHACL-SPARQL messages
_TEMPLATE_VAR = re.compile(r"\{[?$][A-Za-z_][A-Za-z0-9_]*\}")

Namer = Callable[[URIRef], str]


@dataclass(frozen=True)
class Finding:
    """One validation result, with terms already rendered (full IRIs) for stable output."""

    severity: str
    focus_node: str
    focus_label: str | None
    result_path: str | None
    value: str | None
    message: str
    source_constraint_component: str | None
    source_shape: str | None
    # compact renderings for people
    focus_node_compact: str
    result_path_compact: str | None
    value_compact: str | None
    source_constraint_component_compact: str | None
    source_shape_compact: str | None
    # where the offending triple came from ("file, line N"), when validating new facts
    origin: str | None = None


@dataclass(frozen=True)
class Report:
    """Whether the data conforms, the sorted findings, and pySHACL's report graph."""

    conforms: bool
    findings: list[Finding]
    graph: Graph

    def counts(self) -> dict[str, int]:
        out = {"Violation": 0, "Warning": 0, "Info": 0}
        for finding in self.findings:
            out[finding.severity] = out.get(finding.severity, 0) + 1
        return out


def validate(dataset: Dataset, *, inference: str = "none", lang: str = "en",
             engine: str | None = None) -> Report:
    """Validate the union of the source graphs and the ontology against the shapes.

    ``engine`` (default $CLUSTERKG_SHACL_ENGINE, else ``shacl``): the fast Rust engine reads
    a dump of the store (clusterkg.shacl_engine); ``pyshacl`` validates an rdflib copy here.
    """
    from clusterkg.shacl_engine import choose, validate_dataset

    if choose(engine) != "pyshacl":
        return validate_dataset(dataset, engine=engine, inference=inference, lang=lang)
    shapes = _copy(dataset.graph(SHAPES_GRAPH))
    data = data_graph(dataset)
    data += dataset.graph(ONTOLOGY_GRAPH)
    return validate_graphs(data, shapes, inference=inference, lang=lang)


def validate_graphs(
    data: Graph,
    shapes: Graph,
    *,
    inference: str = "none",
    lang: str = "en",
) -> Report:
    """Validate a throw-away data graph (changed in place) with pySHACL.

    Used by `validate --engine pyshacl` for the whole dataset and by clusterkg.delta for the
    small neighbourhood of new facts (which keeps the results about its focus nodes itself).
    pySHACL's ``focus_nodes`` option is deliberately not offered: pySHACL 0.40 hands any
    focus node whose IRI is not http(s):, urn: or file: to ``expand_curie``, which fails with
    "TypeError: Argument must be a string, not URIRef" (a mailto: or tag: IRI), and it also
    filters the value nodes of sh:node/sh:or (see ``delta._validate``).
    """
    import pyshacl  # heavy: imported only when validating

    if inference not in INFERENCE:
        raise ClusterKGError(f"unknown inference '{inference}' (known: {', '.join(INFERENCE)})")
    _cache_sparql_translation()
    try:
        conforms, report_graph, _ = pyshacl.validate(
            data,
            shacl_graph=shapes,
            inference=inference,
            advanced=True,
            allow_warnings=True,
            inplace=True,  # `data` is our own throw-away copy
        )
    except Exception as exc:  # pySHACL reports bad shapes with its own exception types
        raise ClusterKGError(f"SHACL validation failed: {type(exc).__name__}: {exc}") from exc
    return report_from(bool(conforms), report_graph, shapes, data, lang)


def report_from(conforms: bool, report_graph: Graph, shapes: Graph, labels: Graph,
                lang: str) -> Report:
    """The sorted report model from any engine's sh:ValidationReport graph.

    ``labels`` is where focus-node labels are looked up (the data, or the whole dataset).
    """
    bind_prefixes(report_graph)
    findings = [
        _finding(report_graph, shapes, labels, node, lang)
        for node in report_graph.objects(None, SH.result)
    ]
    findings = _type_before_range(findings)
    findings.sort(key=_sort_key)
    return Report(conforms=bool(conforms), findings=findings, graph=report_graph)


_TYPE_RULES = {str(SH.DatatypeConstraintComponent), str(SH.OrConstraintComponent)}
_RANGE_RULES = {str(SH[c]) for c in ("MinInclusiveConstraintComponent",
                                     "MinExclusiveConstraintComponent",
                                     "MaxInclusiveConstraintComponent",
                                     "MaxExclusiveConstraintComponent")}


def _type_before_range(findings: list[Finding]) -> list[Finding]:
    """A value of the wrong type is reported under its type rule only.

    "twelve" as a count breaks the datatype rule, and engines then also report the range rule
    (sh:minInclusive cannot compare it); the range result says nothing the type result does
    not, and would send the reader to the wrong rule.
    """
    typed = {(f.focus_node, f.result_path, f.value) for f in findings
             if f.source_constraint_component in _TYPE_RULES}
    return [f for f in findings
            if not (f.source_constraint_component in _RANGE_RULES
                    and (f.focus_node, f.result_path, f.value) in typed)]


def _cache_sparql_translation() -> None:
    """Parse each SHACL-SPARQL query once, not once per shape and focus-node batch.

    pySHACL hands rdflib the query text every time; rdflib's pyparsing parser then costs
    ~0.1 s per call, which dominated validation (26 parses = 4 s of a 5 s run). The
    translated query is what rdflib's own ``prepareQuery`` returns for reuse, so caching it
    by (text, base, namespaces) changes nothing but the time.
    """
    from functools import lru_cache

    from rdflib.plugins.sparql import processor

    if getattr(processor.SPARQLProcessor.query, "_clusterkg_cached", False):
        return
    original = processor.SPARQLProcessor.query

    @lru_cache(maxsize=512)
    def translate(text: str, base: str | None, namespaces: tuple[tuple[str, str], ...]) -> Any:
        return processor.translateQuery(processor.parseQuery(text), base, dict(namespaces))

    def query(self: Any, strOrQuery: Any, initBindings: Any = None, initNs: Any = None,
              base: str | None = None, DEBUG: bool = False) -> Any:
        if isinstance(strOrQuery, str):
            spaces = tuple(sorted((str(k), str(v)) for k, v in (initNs or {}).items()))
            strOrQuery = translate(strOrQuery, base, spaces)
        return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

    query._clusterkg_cached = True  # type: ignore[attr-defined]
    processor.SPARQLProcessor.query = query  # type: ignore[method-assign]


def _copy(graph: Graph) -> Graph:
    out = Graph(bind_namespaces="core")
    bind_prefixes(out)
    out += graph
    return out


def _finding(report: Graph, shapes: Graph, labels: Graph, node: Node, lang: str) -> Finding:
    focus = report.value(node, SH.focusNode)
    path = report.value(node, SH.resultPath)
    value = report.value(node, SH.value)
    severity = report.value(node, SH.resultSeverity)
    component = report.value(node, SH.sourceConstraintComponent)
    shape = report.value(node, SH.sourceShape)
    path_graphs = (report, shapes)
    return Finding(
        severity=_local(severity) if isinstance(severity, URIRef) else "Violation",
        focus_node=_term_text(focus, str),
        focus_label=pick_label(labels, focus, lang),
        result_path=_plain_or(path, lambda p: render_path(path_graphs, p, _full)),
        value=ntriples(value) if value is not None else None,
        message=pick_message(report, shapes, node, lang),
        source_constraint_component=str(component) if component is not None else None,
        source_shape=_plain_or(shape, lambda s: describe_shape(shapes, s, _full)),
        focus_node_compact=_term_text(focus, compact),
        result_path_compact=render_path(path_graphs, path, compact) if path is not None else None,
        value_compact=_value_text(value) if value is not None else None,
        source_constraint_component_compact=compact(str(component)) if component else None,
        source_shape_compact=describe_shape(shapes, shape, compact) if shape is not None else None,
    )


def _sort_key(f: Finding) -> tuple[int, str, str, str, str, str, str]:
    rank = {"Violation": 0, "Warning": 1, "Info": 2}.get(f.severity, 3)
    return (
        rank,
        f.focus_node,
        f.result_path or "",
        f.source_shape or "",
        f.source_constraint_component or "",
        f.value or "",
        f.message,
    )


def _plain_or(term: Node | None, render: Callable[[Node], str]) -> str | None:
    """A bare IRI string for an IRI, else the rendering (paths, blank property shapes)."""
    if term is None:
        return None
    return str(term) if isinstance(term, URIRef) else render(term)


def _full(iri: URIRef) -> str:
    return f"<{iri}>"


def _local(iri: URIRef) -> str:
    return str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _term_text(term: Node | None, name: Callable[[str], str]) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return name(str(term))
    if isinstance(term, BNode):
        return "[]"  # blank node ids change on every run
    return ntriples(term)


def _value_text(term: Node) -> str:
    """A value for people: ``"7"^^xsd:integer``, ``"Oslo"@nb``, ``ckr:x``."""
    if isinstance(term, Literal) and term.datatype is not None and not term.language:
        return f"{quoted(str(term))}^^{compact(str(term.datatype))}"
    if isinstance(term, Literal):
        return ntriples(term)
    return _term_text(term, compact)


# --- languages -----------------------------------------------------------------------------


def _lang_matches(literal: Node, lang: str) -> bool:
    tag = (literal.language or "").lower() if isinstance(literal, Literal) else ""
    return tag == lang or tag.startswith(lang + "-")


def _pick(literals: list[Node], lang: str) -> str | None:
    """Prefer the wanted language, then untagged, then English, then any (sorted, stable)."""
    texts = sorted(
        (x for x in literals if isinstance(x, Literal)), key=lambda x: (x.language or "", str(x))
    )
    for accept in (
        lambda x: _lang_matches(x, lang),
        lambda x: not x.language,
        lambda x: _lang_matches(x, "en"),
        lambda x: True,
    ):
        for literal in texts:
            if accept(literal):
                return str(literal)
    return None


def pick_label(graph: Graph, node: Node | None, lang: str) -> str | None:
    """The node's rdfs:label or skos:prefLabel in ``lang`` (or the best fallback)."""
    if node is None:
        return None
    labels = [*graph.objects(node, RDFS.label), *graph.objects(node, SKOS.prefLabel)]
    return _pick(labels, lang)


def pick_message(report: Graph, shapes: Graph, result: Node, lang: str) -> str:
    """sh:resultMessage@lang, else sh:message@lang on the constraint or shape, else any.

    pySHACL drops the language tags of SHACL-SPARQL messages after filling in their
    ``{?var}`` templates, so an untagged result message that fits the wanted template wins.
    """
    result_messages = [
        m for m in report.objects(result, SH.resultMessage) if isinstance(m, Literal)
    ]
    for message in result_messages:
        if _lang_matches(message, lang):
            return str(message)
    for holder in (report.value(result, SH.sourceConstraint), report.value(result, SH.sourceShape)):
        if holder is None:
            continue
        for template in shapes.objects(holder, SH.message):
            if not _lang_matches(template, lang):
                continue
            pieces = _TEMPLATE_VAR.split(str(template))
            pattern = re.compile(".*?".join(re.escape(p) for p in pieces), re.DOTALL)
            filled = [m for m in result_messages if not m.language and pattern.fullmatch(str(m))]
            return str(filled[0]) if filled else str(template)
    return _pick(result_messages, lang) or ""


# --- paths and shapes ----------------------------------------------------------------------


def render_path(graphs: tuple[Graph, ...], path: Node, name: Namer) -> str:
    """A SHACL path in SPARQL property-path syntax (``^p``, ``p/q``, ``(p|q)``, ``p*``...)."""
    if isinstance(path, URIRef):
        return name(path)
    graph = next((g for g in graphs if (path, None, None) in g), graphs[0])
    if (path, RDF.first, None) in graph:
        return "/".join(render_path(graphs, p, name) for p in Collection(graph, path))
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            text = render_path(graphs, inner, name)
            return template.format(text if isinstance(inner, URIRef) else f"({text})")
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        options = (render_path(graphs, p, name) for p in Collection(graph, alternatives))
        return "(" + "|".join(options) + ")"
    return "[]"


def describe_shape(shapes: Graph, shape: Node, name: Namer) -> str:
    """An IRI shape by name; a blank property shape as ``Parent/sh:property[path]``."""
    if isinstance(shape, URIRef):
        return name(shape)
    parent = next(iter(shapes.subjects(SH.property, shape)), None)
    path = shapes.value(shape, SH.path)
    inner = render_path((shapes,), path, name) if path is not None else "[]"
    owner = describe_shape(shapes, parent, name) if parent is not None else "[]"
    return f"{owner} sh:property [ sh:path {inner} ]"


# --- output --------------------------------------------------------------------------------


def render(report: Report, fmt: str, lang: str = "en") -> str:
    """The report as ``text`` (for people, in ``lang``), ``json`` or ``turtle``."""
    if fmt == "text":
        return to_text(report, lang)
    return {"json": to_json, "turtle": to_turtle}[fmt](report)


def to_json(report: Report) -> str:
    """``{"conforms": bool, "results": [...]}`` with stable camelCase keys and full IRIs."""
    results = []
    for f in report.findings:
        full = {k: v for k, v in asdict(f).items() if not k.endswith("_compact")}
        if full.get("origin") is None:
            full.pop("origin", None)  # only findings about new facts have one
        results.append({_camel(k): v for k, v in full.items()})
    return json.dumps({"conforms": report.conforms, "results": results}, indent=2,
                      ensure_ascii=False, sort_keys=True) + "\n"


def to_turtle(report: Report) -> str:
    """pySHACL's sh:ValidationReport graph as Turtle."""
    return report.graph.serialize(format="turtle")


def summary(report: Report, lang: str = "en") -> str:
    """One line: conforms or not, and counts per severity, in ``lang``."""
    from clusterkg.messages import count, text

    counts = report.counts()
    parts = ", ".join(count(n, k.lower(), lang) for k, n in counts.items())
    verdict = text("conforms" if report.conforms else "not conforms", lang)
    return text("summary", lang, verdict=verdict, parts=parts)


_WHERE = re.compile(r", (line|row) (\d+)$")


def where(origin: str | None, lang: str) -> str | None:
    """``file, line N`` / ``file, row N`` in ``lang`` (linje, rad)."""
    if origin is None or lang != "nb":
        return origin
    return _WHERE.sub(lambda m: f", {'linje' if m.group(1) == 'line' else 'rad'} {m.group(2)}",
                      origin)


def to_text(report: Report, lang: str = "en") -> str:
    """One block per result for people, then the summary line, with labels in ``lang``."""
    from clusterkg.messages import text

    blocks = []
    for f in report.findings:
        node = f.focus_node_compact + (f" ({f.focus_label})" if f.focus_label else "")
        lines = [f"{text(f.severity, lang)}: {node}"]
        for label, value in (
            ("path", f.result_path_compact),
            ("value", f.value_compact),
            ("message", compact_iris(f.message)),
            ("shape", f.source_shape_compact),
            ("constraint", f.source_constraint_component_compact),
            ("source", where(f.origin, lang)),
        ):
            if value:
                lines.append(f"  {text(label, lang) + ':':<12}{value}")
        blocks.append("\n".join(lines))
    blocks.append(summary(report, lang))
    return "\n\n".join(blocks) + "\n"


_IRI_IN_TEXT = re.compile(r"<?(https?://[^\s<>\"(),]*[^\s<>\"(),.;:])>?")


def compact_iris(text: str) -> str:
    """IRIs that SHACL-SPARQL messages fill in (``{?value}``), shortened for people."""
    return _IRI_IN_TEXT.sub(lambda m: compact(m.group(1)), text)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)
