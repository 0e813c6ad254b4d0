"""What a query must pass before any engine sees it: no federation unasked, no deep nesting.

Why a module of its own, and why it parses: neither engine can be told "never fetch".
Oxigraph (pyoxigraph 0.5) runs ``SERVICE <http://...>`` with its own HTTP client and has no
switch to stop it; rdflib runs SERVICE too and loads ``FROM <...>`` graphs from the web or
from local files. A keyword search over the query text was tried and fooled twice (a
``\\u0041`` escape before a ``#`` hid the rest of the line; ``?q<?r)SERVICE?x#>`` read as an
IRI), so the decision is taken on the parsed query: rdflib's SPARQL parser, on the text with
its codepoint escapes expanded first (SPARQL 1.1 section 19.2; rdflib leaves them in IRIs).

Oxigraph's parser also crashes the whole process (a segfault, no exception) on a few thousand
nested ``{``, so nesting is bounded here before Oxigraph parses anything.

Parsing every query with rdflib would cost 65-830 ms per named query, so there is a fast
path: a query whose text (escapes expanded) never says "service", with few brackets, can
neither federate nor nest deeply, and goes straight to the engine. The rest is parsed; a
query that cannot be parsed is refused (fail closed), with the parser's reason. ``FROM`` is
handled by the engines' settings (clusterkg.store), not here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from clusterkg.errors import ClusterKGError

#: Above this many opening brackets, a query is parsed to learn how deeply it nests.
#: The named queries have at most about 330; Oxigraph crashes somewhere past 2000 levels.
FAST_BRACKETS = 500
#: Above this many brackets and operators that nest (!, &&, ||, +, *, UNION), a query is
#: refused: Oxigraph's parser recurses on each of them and crashes the process (a segfault)
#: somewhere past 5000 (a flat chain of 10000 "&& true" is enough). Counted on the text, so
#: it over-counts (a "*" in a string); the named queries stay far below it.
MAX_NESTING = 2000
#: The longest query accepted, in characters (the largest named query is about 12 000).
MAX_CHARS = 1_000_000
#: A codepoint escape, unless its backslash is itself escaped (``"\\\\u0022"`` stays as is,
#: as Oxigraph reads it).
_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")
_SYNTAX = frozenset("\"'<>#\\{}")
#: What the command line adds to a refused SERVICE (the endpoint has no such switch).
FEDERATION_HINT = "give `clusterkg query --federated` if you mean it to fetch"


class QueryRefused(ClusterKGError):
    """A query clusterkg will not hand to an engine; the message says why and what to do.

    ``federation`` is set when the query would be allowed with federation on, so a command
    that has such a switch can name it.
    """

    def __init__(self, message: str, *, federation: bool = False) -> None:
        super().__init__(message)
        self.federation = federation


def check(text: str, *, federated: bool = False) -> None:
    """Raise QueryRefused unless ``text`` may run (without federation unless ``federated``)."""
    problem = _verdict(text, federated)
    if problem:
        raise QueryRefused(problem, federation=not federated and not _verdict(text, True))


@lru_cache(maxsize=512)
def _verdict(text: str, federated: bool) -> str | None:
    if len(text) > MAX_CHARS:
        return (f"the query is {len(text)} characters long; the limit is {MAX_CHARS} "
                "(put long lists of values in a file of facts instead)")
    expanded = expand_escapes(text)
    lowered = expanded.lower()
    mentions_service = "service" in lowered
    brackets = sum(expanded.count(c) for c in "{([")
    nesting = brackets + sum(expanded.count(op) for op in ("!", "&&", "||", "+", "*"))
    nesting += lowered.count("union")
    if nesting > MAX_NESTING:
        return (f"the query has {nesting} brackets and operators that nest (!, &&, ||, +, *, "
                f"UNION); more than {MAX_NESTING} could crash the query engine; split it")
    if brackets <= FAST_BRACKETS and (federated or not mentions_service):
        return None
    if (hidden := _syntax_escape(text)) is not None:  # rdflib would misread it
        return (f"the escape {hidden} stands for a character SPARQL reads as syntax, and "
                "engines disagree about where such an escape ends a string or an IRI; write "
                "the character itself, or inside a string its string escape (\\\", \\')")
    return _parsed_verdict(expanded, federated, mentions_service)


def _parsed_verdict(expanded: str, federated: bool, mentions_service: bool) -> str | None:
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(expanded)
    except RecursionError:
        return "the query nests brackets too deeply to be checked safely; flatten it"
    except ParseBaseException as exc:
        if mentions_service and not federated:  # fail closed: it might hide a SERVICE
            return ("the query mentions SERVICE, and the SPARQL parser that checks it for "
                    f"SERVICE patterns cannot read it ({exc}); SERVICE is not allowed here")
        return f"SPARQL syntax error: {exc}"
    except Exception as exc:  # the parser raises odd types for odd input
        return f"SPARQL syntax error: {type(exc).__name__}: {exc}"
    if not federated and uses_service(tree):
        return "SERVICE is not allowed: clusterkg fetches nothing from other servers unasked"
    return None


def expand_escapes(text: str) -> str:
    r"""The text with ``\uXXXX`` and ``\UXXXXXXXX`` replaced by their characters, as SPARQL
    reads them before any other rule (an escape that names no character is left alone)."""

    def character(match: re.Match[str]) -> str:
        code = int(match.group(2) or match.group(3), 16)
        return match.group(1) + chr(code) if code <= 0x10FFFF else match.group(0)

    return _ESCAPE.sub(character, text)


def _syntax_escape(text: str) -> str | None:
    """The first codepoint escape that stands for a quote, ``<``, ``>``, ``#``, ``\\``, ``{``
    or ``}``: expanded, it can open or close a string, IRI or comment where Oxigraph (which
    expands escapes inside IRIs but not in strings) sees none, and hide a pattern from the
    check. Letters, digits and other characters cannot, so they pass."""
    for match in _ESCAPE.finditer(text):
        code = int(match.group(2) or match.group(3), 16)
        if code < 0x80 and chr(code) in _SYNTAX:
            return match.group(0)[len(match.group(1)):]
    return None


def uses_service(tree: object) -> bool:
    """Whether a parse tree from rdflib's SPARQL parser holds a SERVICE pattern anywhere."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if getattr(node, "name", None) == "ServiceGraphPattern":
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
            stack.extend(list(node))  # type: ignore[call-overload]
    return False

