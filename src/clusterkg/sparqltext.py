"""Bind parameters into query text as a VALUES block at the start of the WHERE clause.

Engines other than rdflib take no ``initBindings``: Oxigraph's substitutions only accept
projected variables, and a VALUES block after the query is joined after grouping (SPARQL 1.1
§18.2.4.3), so in an aggregating query it cannot bind a variable that is grouped away. A
VALUES block as the first element of the WHERE group binds the variable for the whole
pattern, as rdflib's initBindings does. The terms are escaped N-Triples terms; nothing a user
typed becomes SPARQL syntax. Finding the WHERE group needs only a small scan that skips
comments, strings and IRIs — not a SPARQL parser.

The same block also opens each sub-SELECT that projects the bound variable (bare, not as
``(… AS ?v)``), is reached only through sub-SELECTs that project it too, and has no LIMIT or
OFFSET — unless its group holds nothing but such a sub-SELECT, which restricts the rows
already (and whose order a GROUP_CONCAT may rely on). Its rows can only join outer rows, which
all carry the bound value, where they carry it too; so binding it inside changes no answer,
provided the sub-SELECT always binds the variable (the named queries are written so). Engines
evaluate a sub-SELECT on its own before joining it: without the block, one that groups per
cluster is computed for every cluster in the graph when one is asked for (seconds at 10M
triples instead of milliseconds).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from rdflib.term import Node

_IRI = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_WORD = re.compile(r"[^\W\d][\w.-]*")
_LOCAL = re.compile(r"(?:[\w.:-]|%[0-9A-Fa-f]{2}|\\.)*")  # a prefixed name's local part
_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


def inline_values(text: str, bindings: Mapping[str, Node | None]) -> str:
    """The query with ``VALUES (...) { (...) }`` opening its WHERE group and the groups of the
    sub-SELECTs that project a bound variable."""
    from clusterkg.store import values_block

    bound = {k: v for k, v in bindings.items() if v is not None}
    block = values_block(bound)
    if not block:
        return text
    at = where_group_start(text)
    if at is None:  # e.g. CONSTRUCT WHERE {…}: the pattern is also the template
        return f"{text.rstrip()}\n{block}\n"
    inserts = [(at, block)]
    subs = _subselects(text)
    for sub in subs:
        # Not a sub-SELECT whose group is just another one that gets the block: joining the
        # block with an ordered sub-SELECT would undo the order its GROUP_CONCAT relies on.
        names = [name for name in bound if sub.binds(name)
                 and not any(inner.parent is sub and inner.binds(name)
                             and _only_content(text, sub, inner) for inner in subs)]
        if names:
            inserts.append((sub.group, values_block({name: bound[name] for name in names})))
    for pos, inner in sorted(inserts, reverse=True):
        text = f"{text[: pos + 1]}\n  {inner}\n{text[pos + 1 :]}"
    return text


def where_group_start(text: str) -> int | None:
    """Index of the ``{`` that opens the query's WHERE group, or None if not found."""
    form: str | None = None
    groups_seen = 0
    for kind, value, pos, depth in _tokens(text):
        if kind == "word" and depth == 0:
            if form is None and value in _FORMS:
                form = value
            elif form == "CONSTRUCT" and groups_seen == 0 and value == "WHERE":
                return None  # CONSTRUCT WHERE short form
        elif kind == "{" and depth == 0 and form is not None:
            if form != "CONSTRUCT" or groups_seen == 1:
                return pos
            groups_seen += 1
    return None


@dataclass
class _SubSelect:
    """A sub-SELECT: its bare projected variables, the ``{`` of its WHERE group, whether a
    LIMIT or OFFSET follows that group, and the sub-SELECT it sits in (None: the query)."""

    parent: _SubSelect | None
    projected: set[str] = field(default_factory=set)
    group: int = -1
    group_depth: int = -1
    sliced: bool = False
    opened: int = -1  # the ``{`` around the sub-SELECT
    closed: int = -1  # the ``}`` around it
    group_end: int = -1  # the ``}`` that closes its group

    def binds(self, name: str) -> bool:
        """True if a VALUES block for ``?name`` may open this sub-SELECT's group."""
        scope: _SubSelect | None = self
        while scope is not None:
            if scope.sliced or name not in scope.projected:
                return False
            scope = scope.parent
        return True


def _subselects(text: str) -> list[_SubSelect]:
    """The sub-SELECTs of a query (SELECTs inside its braces), outermost first."""
    found: list[_SubSelect] = []
    open_: list[_SubSelect] = []  # sub-SELECTs whose WHERE group or modifiers we are in
    heading: _SubSelect | None = None  # reading a projection
    parens = 0
    last_brace = -1
    for kind, value, pos, depth in _tokens(text):
        if kind == "{":
            last_brace = pos
        if heading is not None:
            if kind == "(":
                parens += 1
            elif kind == ")":
                parens -= 1
            elif kind == "var" and parens == 0:
                heading.projected.add(value)
            elif kind == "{":
                heading.group, heading.group_depth = pos, depth
                open_.append(heading)
                heading = None
            continue
        if kind == "word" and value == "SELECT" and depth > 0:
            inner = [s for s in open_ if depth > s.group_depth]
            heading = _SubSelect(parent=inner[-1] if inner else None, opened=last_brace)
            found.append(heading)
            parens = 0
        elif kind == "word" and value in {"LIMIT", "OFFSET"} and open_:
            if depth == open_[-1].group_depth:  # a modifier after the group closed
                open_[-1].sliced = True
        elif kind == "}":
            if open_ and depth == open_[-1].group_depth and open_[-1].group_end < 0:
                open_[-1].group_end = pos
            # a ``}`` one level above a sub-SELECT's group closes the braces around it
            while open_ and depth < open_[-1].group_depth:
                open_.pop().closed = pos
    return found


_BLANK = re.compile(r"(?:\s|#[^\n]*)*")


def _only_content(text: str, outer: _SubSelect, inner: _SubSelect) -> bool:
    """True if ``outer``'s WHERE group holds ``inner`` (in its braces) and nothing else."""
    return bool(
        _BLANK.fullmatch(text, outer.group + 1, inner.opened)
        and _BLANK.fullmatch(text, inner.closed + 1, outer.group_end)
    )


def _tokens(text: str) -> Iterator[tuple[str, str, int, int]]:
    """(kind, value, position, brace depth) of the keywords, variables, braces and parentheses
    of a query; comments, strings, IRIs and prefixed names are skipped. A ``{`` carries
    the depth outside it; a ``}`` the depth outside it after closing."""
    depth = 0
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
            if m:
                yield "var", m.group(0), i, depth
            i = m.end() if m else i + 1
            continue
        if c.isalpha() or c == "_":
            m = _WORD.match(text, i)
            if m is None:
                i += 1
                continue
            if text.startswith(":", m.end()):  # a prefixed name such as select:x, not a keyword
                i = _LOCAL.match(text, m.end() + 1).end()  # type: ignore[union-attr]
                continue
            yield "word", m.group(0).upper(), i, depth
            i = m.end()
            continue
        if c == ":":  # a name in the default prefix, such as :select
            i = _LOCAL.match(text, i + 1).end()  # type: ignore[union-attr]
            continue
        if c == "{":
            yield "{", c, i, depth
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
            yield "}", c, i, depth
        elif c in "()":
            yield c, c, i, depth
        i += 1


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
