"""Print query results: a rich table for people, W3C SPARQL 1.1 JSON / CSV / TSV for programs.

Rows keep the order the store returned (the query's ORDER BY). Prefixes compact IRIs in the
table only; the machine formats carry full terms.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import replace
from decimal import Decimal
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from clusterkg.console import plain_console
from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import compact
from clusterkg.store import Result
from clusterkg.terms import ntriples

FORMATS = ("table", "csv", "tsv", "json")


def page(result: Result, offset: int = 0, limit: int | None = None) -> tuple[Result, str]:
    """The rows from ``offset``, at most ``limit`` of them (in the query's own order), and a
    note saying which rows of how many are shown when any are left out ("" when none are)."""
    if result.kind != "SELECT" or (offset == 0 and (limit is None or limit >= len(result.rows))):
        return result, ""
    total = len(result.rows)
    end = total if limit is None else min(total, offset + limit)
    shown = replace(result, rows=result.rows[offset:end])
    if offset >= total:
        return shown, f"no rows after --offset {offset}: the answer has {total:,} rows"
    return shown, (f"rows {offset + 1:,}-{end:,} of {total:,} shown; --limit and --offset "
                   "show others, -f csv or -f json with no --limit gives every row")


def render(result: Result, fmt: str, columns: tuple[str, ...] = ()) -> str:
    """The whole output for one result in one format, as text.

    ``columns`` (from the query header) are the columns the table format shows; the machine
    formats keep every column.
    """
    if fmt not in FORMATS:
        raise ClusterKGError(f"unknown format '{fmt}' (known: {', '.join(FORMATS)})")
    if result.kind == "ASK":
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": bool(result.boolean)}, indent=2) + "\n"
        return ("true" if result.boolean else "false") + "\n"
    if result.kind != "SELECT":
        graph = result.graph
        if fmt == "table":
            return graph.serialize(format="turtle") if graph is not None else ""
        if fmt == "json":
            return graph.serialize(format="json-ld") if graph is not None else "[]"
        raise ClusterKGError(
            f"{result.kind} results come as Turtle (--format table) or JSON-LD (--format json)"
        )
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_csv(result)
    if fmt == "tsv":
        return to_tsv(result)
    return to_table_text(result, columns=columns)


def to_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON Format (https://www.w3.org/TR/sparql11-results-json/)."""
    bindings = []
    for row in result.rows:
        binding = {
            var: json_term(term)
            for var, term in zip(result.variables, row, strict=True)
            if term is not None
        }
        bindings.append(binding)
    document = {"head": {"vars": result.variables}, "results": {"bindings": bindings}}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def json_term(term: Node) -> dict[str, str]:
    """One RDF term in the W3C JSON results shape."""
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        out: dict[str, Any] = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype is not None:
            out["datatype"] = str(term.datatype)
        return out
    raise ClusterKGError(f"cannot serialise {term!r} as a SPARQL JSON term")


def to_csv(result: Result) -> str:
    """SPARQL 1.1 CSV: header of names, plain values (IRIs bare, literals lexical), CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([csv_value(term) for term in row])
    return buffer.getvalue()


def csv_value(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def to_tsv(result: Result) -> str:
    """SPARQL 1.1 TSV: ``?var`` header, N-Triples-style terms, tabs/newlines escaped, LF."""
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    for row in result.rows:
        lines.append("\t".join("" if term is None else ntriples(term) for term in row))
    return "\n".join(lines) + "\n"


def display(term: Node | None) -> str:
    """How a term reads in a table: compact IRIs, bare literal text."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return compact(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def to_table_text(result: Result, title: str | None = None,
                  columns: tuple[str, ...] = ()) -> str:
    """The rich table rendered to plain text (no colour codes, so it pipes cleanly)."""
    buffer = io.StringIO()
    console = plain_console(file=buffer, width=output_width(), markup=True)
    console.print(make_table(result, title, columns))
    return buffer.getvalue()


#: Longer cell text is cut to this many characters, ending in CUT, so that a note or a list
#: of lines never turns a table into pages of wrapped words (csv/tsv/json keep it whole).
CELL_LIMIT = 60
CUT = "…"


def make_table(result: Result, title: str | None = None, columns: tuple[str, ...] = ()) -> Any:
    """A rich Table; cell text is wrapped in Text so data never reads as console markup.

    Shows ``columns`` if given (the query header's choice), else every column but IRI columns
    that have a ``…Label`` column; leaves out columns that are empty in every row; cuts long
    cells with a marker; wraps at spaces, never inside a word.
    """
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title) if title else None, show_lines=False)
    keep = table_columns(result.variables, columns)
    keep = [i for i in keep if any(row[i] is not None and display(row[i]) for row in result.rows)]
    for i in keep:
        values = [row[i] for row in result.rows if row[i] is not None]
        numeric = bool(values) and all(
            isinstance(v, Literal) and isinstance(v.toPython(), (int, Decimal, float))
            and not isinstance(v.toPython(), bool)
            for v in values)
        # numbers are never cut or wrapped; other cells wrap at spaces
        width = max((len(display(v)) for v in values), default=0) if numeric else None
        table.add_column(Text(heading(result.variables, i)), overflow="ellipsis",
                         no_wrap=numeric, min_width=width,
                         justify="right" if numeric else "left")
    for row in result.rows:
        table.add_row(*(Text(cut(display(row[i]))) for i in keep))
    return table


def heading(variables: list[str], index: int) -> str:
    """A column's heading: ``clusterLabel`` reads "cluster" when the IRI column is hidden."""
    name = variables[index]
    if name.endswith("Label") and len(name) > 5 and name[:-5] in variables:
        return name[:-5]
    return name


def cut(text: str, limit: int = CELL_LIMIT) -> str:
    """``text``, or its first ``limit`` characters ending in the marker if it is longer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + CUT


def table_columns(variables: list[str], columns: tuple[str, ...] = ()) -> list[int]:
    """Indexes of the columns a table shows.

    The query's own choice when it names one (unknown names are ignored), else every column
    but an IRI column whose ``<name>Label`` column is there too, so tables stay readable;
    csv/tsv/json keep every column.
    """
    if columns:
        chosen = [variables.index(c) for c in columns if c in variables]
        if chosen:
            return chosen
    names = set(variables)
    return [i for i, var in enumerate(variables) if f"{var}Label" not in names]


def output_width() -> int:
    """Wide enough not to fold ordinary rows when output is piped (rich assumes 80)."""
    try:
        return max(80, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        size = os.get_terminal_size(1).columns if os.isatty(1) else 160
        return max(80, size)

