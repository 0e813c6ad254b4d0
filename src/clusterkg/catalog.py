"""Named queries: discovery in queries/*.rq, grlc-style ``#+`` YAML headers, typed parameters.

A parameter NAME binds the SPARQL variable ?NAME. Values become RDF terms for rdflib's
initBindings (never text spliced into the query). ``entity`` values may be labels, looked up
case-insensitively in rdfs:label, skos:prefLabel and skos:altLabel.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import CK as CK_NS
from clusterkg.namespaces import PREFIXES, compact, expand
from clusterkg.paths import Home

PARAM_TYPES = ("iri", "entity", "string", "integer", "decimal", "date", "boolean")
LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel, SKOS.altLabel)

_HEADER_MARK = "#+"
_VARNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
_BARE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://|urn:)\S+$")
_CURIE_LIKE = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*):\S*$")


@dataclass(frozen=True)
class Param:
    """One declared query parameter."""

    name: str
    type: str = "string"
    default: str | None = None
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class NamedQuery:
    """A query file with its parsed header."""

    name: str
    path: Path
    text: str
    summary: str = ""
    description: str = ""
    params: dict[str, Param] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()  # shown by the table format; csv/tsv/json keep every column
    # The query reads most of the graph: the command copies the store into memory first
    # (unless an entity is asked for), which pays off where reading in place is slower still.
    in_memory: bool = False

    def reads_in_memory(self, given: Iterable[str]) -> bool:
        """Whether the query runs on a copy in memory when the parameters ``given`` (their
        names) are set: when its header says ``in_memory`` and none of them is an entity."""
        return self.in_memory and not any(
            name in self.params and self.params[name].type == "entity" for name in given)


@dataclass(frozen=True)
class LabelRef:
    """An ``entity`` value that is a label still to be looked up in the dataset."""

    param: str
    label: str


# --- discovery -----------------------------------------------------------------------------


def query_files(home: Home) -> dict[str, Path]:
    """Query name (file stem) -> file, sorted by name."""
    return {p.stem: p for p in home.files("queries", ".rq")}


def list_queries(home: Home) -> list[NamedQuery]:
    """Every named query with its header parsed."""
    return [load_query(path) for path in query_files(home).values()]


def find_query(home: Home, ref: str) -> NamedQuery:
    """A named query by name, or a query file by path (anything ending in .rq or with a /)."""
    files = query_files(home)
    if ref in files:
        return load_query(files[ref])
    if ref.endswith(".rq") or "/" in ref:
        path = Path(ref)
        if not path.is_file():
            raise ClusterKGError(f"no such query file: {ref}")
        return load_query(path)
    known = ", ".join(files) or f"none (no .rq files in {home.queries_dir})"
    raise ClusterKGError(f"unknown query '{ref}'; known queries: {known}")


# --- header --------------------------------------------------------------------------------


def header_text(text: str) -> str:
    """The YAML in the leading ``#+`` lines (blank lines before or between them allowed)."""
    lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith(_HEADER_MARK):
            break
        body = line.lstrip()[len(_HEADER_MARK) :]
        lines.append(body[1:] if body.startswith(" ") else body)
    return "\n".join(lines)


def parse_header(text: str, source: str = "query") -> dict[str, Any]:
    """Parse the header into a mapping; a malformed one is an input error naming the source."""
    yaml_text = header_text(text)
    if not yaml_text.strip():
        return {}
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (header line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ClusterKGError(f"{source}: bad query header{where}: {problem}") from exc
    except RecursionError:  # PyYAML recurses per level of [ or {
        raise ClusterKGError(f"{source}: bad query header: nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ClusterKGError(f"{source}: query header must be a YAML mapping")
    return data


def load_query(path: Path) -> NamedQuery:
    """Read a query file and its header."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ClusterKGError(f"cannot read query file {path}: {exc}") from exc
    header = parse_header(text, str(path))
    params = _parse_params(header.get("params"), str(path))
    tags = header.get("tags") or ()
    if isinstance(tags, (str, int, float)):
        tags = (tags,)
    if not isinstance(tags, (list, tuple)):
        raise ClusterKGError(f"{path}: 'tags' must be a word or a list of words")
    columns = header.get("columns") or ()
    if isinstance(columns, str):
        columns = tuple(columns.split())
    if not isinstance(columns, (list, tuple)):
        raise ClusterKGError(f"{path}: 'columns' must be a list of variable names")
    in_memory = header.get("in_memory", False)
    if not isinstance(in_memory, bool):
        raise ClusterKGError(f"{path}: 'in_memory' must be true or false")
    return NamedQuery(
        name=path.stem,
        path=path,
        text=text,
        summary=_as_text(header.get("summary")),
        description=_as_text(header.get("description")),
        params=params,
        tags=tuple(str(t) for t in tags),
        columns=tuple(str(c) for c in columns),
        in_memory=in_memory,
    )


def _parse_params(raw: Any, source: str) -> dict[str, Param]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ClusterKGError(f"{source}: 'params' must be a mapping of parameter name to spec")
    params: dict[str, Param] = {}
    for name, spec in raw.items():
        name = str(name)
        if not _VARNAME.match(name):
            raise ClusterKGError(f"{source}: parameter name '{name}' is not a SPARQL variable name")
        spec = spec if isinstance(spec, dict) else {"type": spec} if spec else {}
        ptype = str(spec.get("type", "string"))
        if ptype not in PARAM_TYPES:
            raise ClusterKGError(
                f"{source}: parameter '{name}' has unknown type '{ptype}' "
                f"(known: {', '.join(PARAM_TYPES)})"
            )
        default = spec.get("default")
        params[name] = Param(
            name=name,
            type=ptype,
            default=None if default is None else _yaml_scalar(default),
            required=bool(spec.get("required", False)),
            description=_as_text(spec.get("description")),
        )
    return params


def _yaml_scalar(value: Any) -> str:
    """YAML turns `true`/`2020-01-01` into Python objects; get the text back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _as_text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


# --- parameter values ----------------------------------------------------------------------


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings from the command line into a mapping (a name at most once)."""
    given: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ClusterKGError(f"--param expects NAME=VALUE, got '{item}'")
        if name in given:
            raise ClusterKGError(f"parameter '{name}' given more than once")
        given[name] = value
    return given


def coerce_params(query: NamedQuery, given: Mapping[str, str]) -> dict[str, Node | LabelRef]:
    """Check names, requiredness and types; labels for ``entity`` params are left to resolve."""
    unknown = sorted(set(given) - set(query.params))
    if unknown:
        known = ", ".join(f"{p.name} ({p.type})" for p in query.params.values()) or "none"
        raise ClusterKGError(
            f"unknown parameter '{unknown[0]}' for query '{query.name}'; its parameters: {known}"
        )
    values: dict[str, Node | LabelRef] = {}
    for param in query.params.values():
        raw = given.get(param.name, param.default)
        if raw is None:
            if param.required:
                raise ClusterKGError(
                    f"query '{query.name}' needs parameter '{param.name}' ({param.type}): "
                    f"pass --param {param.name}=VALUE"
                )
            continue  # optional without default: left unbound, matches everything
        values[param.name] = convert(param, raw)
    return values


def convert(param: Param, raw: str) -> Node | LabelRef:
    """Turn one textual value into an RDF term of the declared type (or a label to look up)."""
    value = raw.strip() if param.type != "string" else raw
    problem = f"parameter '{param.name}' expects {param.type}, got '{raw}'"
    if param.type == "string":
        return Literal(value)
    if param.type == "integer":
        if not _INTEGER.match(value):
            raise ClusterKGError(problem)
        return Literal(int(value), datatype=XSD.integer)
    if param.type == "decimal":
        if not _DECIMAL.match(value):
            raise ClusterKGError(problem)
        return Literal(Decimal(value), datatype=XSD.decimal)
    if param.type == "date":
        try:
            if not _DATE.match(value):
                raise ValueError(value)
            return Literal(dt.date.fromisoformat(value), datatype=XSD.date)
        except ValueError:
            raise ClusterKGError(f"{problem} (use YYYY-MM-DD)") from None
    if param.type == "boolean":
        if value.lower() not in _BOOLEANS:
            raise ClusterKGError(f"{problem} (use true or false)")
        return Literal(_BOOLEANS[value.lower()], datatype=XSD.boolean)
    iri = _as_iri(value)
    if iri is not None:
        return iri
    if param.type == "entity" and value:
        return LabelRef(param.name, value)
    match = _CURIE_LIKE.match(value)
    if match:
        raise ClusterKGError(
            f"{problem}: unknown prefix '{match.group(1)}:' (known: {', '.join(PREFIXES)})"
        )
    raise ClusterKGError(f"{problem} (use <IRI>, https://... or a prefixed name like ckr:x)")


def _as_iri(value: str) -> URIRef | None:
    if value.startswith("<") and value.endswith(">"):
        candidate = value[1:-1]
    elif (expanded := expand(value)) is not None:
        candidate = str(expanded)
    elif _BARE_IRI.match(value):
        candidate = value
    else:
        return None
    if not candidate or re.search(r'[\x00-\x20<>"{}|^`\\]', candidate):
        raise ClusterKGError(f"not a valid IRI: '{value}'")
    return URIRef(candidate)


def resolve_labels(values: Mapping[str, Node | LabelRef], dataset: Dataset) -> dict[str, Node]:
    """Replace every LabelRef by the single entity carrying that label."""
    resolved: dict[str, Node] = {}
    for name, value in values.items():
        resolved[name] = (
            find_entity(dataset, value) if isinstance(value, LabelRef) else value
        )
    return resolved


_FIND_LABEL = """
SELECT DISTINCT ?s ?label WHERE {
  VALUES ?p { rdfs:label skos:prefLabel skos:altLabel }
  ?s ?p ?label .
  FILTER(isIRI(?s) && isLiteral(?label) && LCASE(STR(?label)) = ?wanted)
}"""
# Language tags tried for a label spelt exactly as given (an indexed look-up, milliseconds at
# any size) before every label is compared without case (a scan: about a second at 1M).
_LABEL_LANGUAGES = (None, "nb", "nn", "no", "en", "se", "sv", "da", "de", "fr")


def _labelled_exactly(dataset: Dataset, label: str) -> list[tuple[Node, Node]]:
    from clusterkg.store import run_query
    from clusterkg.terms import literal

    # One branch per predicate and spelling: each an index look-up (a VALUES join made
    # Oxigraph scan every label, half a second at 1M).
    branches = [f"{{ ?s {p} {term} BIND({term} AS ?label) }}"
                for term in (literal(Literal(label, lang=lang)) for lang in _LABEL_LANGUAGES)
                for p in ("rdfs:label", "skos:prefLabel", "skos:altLabel")]
    text = ("SELECT DISTINCT ?s ?label WHERE { " + " UNION ".join(branches)
            + " FILTER(isIRI(?s)) }")
    return run_query(dataset, text, name="label look-up").rows  # type: ignore[return-value]


def find_entity(dataset: Dataset, ref: LabelRef) -> URIRef:
    """The one IRI labelled ``ref.label``: spelt exactly so if there is one, else compared
    without case; none or several is a usage error."""
    from clusterkg.store import run_query

    wanted = ref.label.casefold()
    found: dict[URIRef, str] = {}
    rows = _labelled_exactly(dataset, ref.label)
    if not rows:  # LCASE finds the candidates, casefold decides
        rows = run_query(dataset, _FIND_LABEL, {"wanted": Literal(ref.label.lower())},
                         name="label look-up").rows  # type: ignore[assignment]
    for subject, label in sorted(rows, key=lambda row: str(row[0])):
        if (isinstance(subject, URIRef) and isinstance(label, Literal)
                and str(label).casefold() == wanted):
            found.setdefault(subject, str(label))
    if not found:
        raise ClusterKGError(
            f"parameter '{ref.param}': nothing found labelled '{ref.label}' "
            "(rdfs:label, skos:prefLabel, skos:altLabel; case-insensitive exact match)"
        )
    if len(found) > 1:
        # A page titled like the thing it is about ("Norwegian Innovation Clusters") is a
        # source, not the thing: the thing wins.
        documents = {s for s in found
                     if (s, RDF.type, URIRef(str(CK_NS) + "SourceDocument")) in dataset}
        if 0 < len(documents) < len(found):
            found = {s: v for s, v in found.items() if s not in documents}
    if len(found) > 1:
        candidates = ", ".join(sorted(compact(str(s)) for s in found))
        raise ClusterKGError(
            f"parameter '{ref.param}': '{ref.label}' matches {len(found)} entities: "
            f"{candidates}; pass one of these IRIs instead"
        )
    return next(iter(found))
