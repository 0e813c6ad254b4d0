"""Bind parameters into query text as a VALUES block at the start of the WHERE clause.

Engines other than rdflib take no ``initBindings``: Oxigraph's substitutions only accept
projected variables, and a VALUES block after the query is joined after grouping (SPARQL 1.1
§18.2.4.3), so in an aggregating query it cannot bind a variable that is grouped away. A
VALUES block as the first
element of the WHERE group binds the variable for the whole pattern, as rdflib's
initBindings does. The terms are escaped N-Triples terms; nothing a user typed becomes
SPARQL syntax. Finding the WHERE group needs only a small scan that skips comments,
strings and IRIs — not a SPARQL parser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rdflib.term import Node

_IRI = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_WORD = re.compile(r"[^\W\d][\w.-]*")
_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


def inline_values(text: str, bindings: Mapping[str, Node | None]) -> str:
    """The query with ``VALUES (...) { (...) }`` opening its WHERE group."""
    from clusterkg.store import values_block

    block = values_block({k: v for k, v in bindings.items() if v is not None})
    if not block:
        return text
    at = where_group_start(text)
    if at is None:  # e.g. CONSTRUCT WHERE {…}: the pattern is also the template
        return f"{text.rstrip()}\n{block}\n"
    return f"{text[: at + 1]}\n  {block}\n{text[at + 1 :]}"


def where_group_start(text: str) -> int | None:
    """Index of the ``{`` that opens the query's WHERE group, or None if not found."""
    form: str | None = None
    depth = 0
    groups_seen = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if c in "'\"":
            i = _skip_string(text, i)
            continue
        if c == "<":
            m = _IRI.match(text, i)
            i = m.end() if m else i + 1
            continue
        if c in "?$":  # a variable: its name must not be read as a keyword
            m = _WORD.match(text, i + 1)
            i = m.end() if m else i + 1
            continue
        if c.isalpha() or c == "_":
            m = _WORD.match(text, i)
            if m is None:
                i += 1
                continue
            word = m.group(0).upper()
            if text.startswith(":", m.end()):  # a prefixed name such as select:x, not a keyword
                i = m.end() + 1
                continue
            if depth == 0 and form is None and word in _FORMS:
                form = word
            elif depth == 0 and form == "CONSTRUCT" and groups_seen == 0 and word == "WHERE":
                return None  # CONSTRUCT WHERE short form
            i = m.end()
            continue
        if c == "{":
            if depth == 0 and form is not None:
                if form != "CONSTRUCT" or groups_seen == 1:
                    return i
                groups_seen += 1
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
        i += 1
    return None


def _skip_string(text: str, i: int) -> int:
    quote = text[i]
    long_quote = text.startswith(quote * 3, i)
    delim = quote * 3 if long_quote else quote
    j = i + len(delim)
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text.startswith(delim, j):
            return j + len(delim)
        j += 1
    return len(text)
