"""The IRI checks every file of new facts passes before validation (`validate FILE`, `add`).

Why: rdflib is lenient where graph/ cannot be. It keeps IRIs that no serialiser can write
back (``<http://example.org/a b>``: `validate` said yes, `add` then failed), resolves
relative IRIs against the local path of the file (``<rel-count>`` became
``<file:///tmp/.../rel-count>`` in graph/), and fetches remote JSON-LD contexts over the
network. ``delta.read_file`` calls these checks for both commands, so both give the same
one-line answer (file, line, IRI) and nothing reaches graph/ or the network.
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from rdflib import Literal, URIRef

from clusterkg.errors import ClusterKGError

#: Characters RFC 3987 allows nowhere in an IRI (besides spaces and control characters).
FORBIDDEN = frozenset('<>"{}|\\^`')
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# One search finds the first character no IRI has (a loop over the characters in Python took
# 6 s for the 360,000 IRIs of a 50 MB file); its message is then chosen as before.
_BAD_CHAR = re.compile("[ \x00-\x1f\x7f-\x9f\ud800-\udfff" + re.escape("".join(sorted(FORBIDDEN)))
                       + "]")
_SHOWN = 50  # offending IRIs whose line is looked up, to name the first in the file
_INLINE = '"@context": {"ck": "https://w3id.org/clusterkg/ontology#", ...}'


# --- one IRI -------------------------------------------------------------------------------


def iri_problem(iri: str) -> str | None:
    """Why ``iri`` is not an absolute IRI (RFC 3987), or None if it is one."""
    if not _SCHEME.match(iri):
        return "it has no scheme (such as https:)"
    return reference_problem(iri) or _strict_problem(iri)


def _strict_problem(iri: str) -> str | None:
    """What the default store's strict IRI parser (Oxigraph) refuses beyond characters: a
    second #, brackets outside an IPv6 host, a port that is not a number, private-use code
    points... An IRI it refuses would make the whole project unreadable on that store."""
    import pyoxigraph

    try:
        pyoxigraph.NamedNode(iri)
    except ValueError as exc:
        said = "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in str(exc))
        return f"it does not follow the IRI syntax (RFC 3987): {said}"
    return None


def reference_problem(iri: str) -> str | None:
    """Why ``iri`` is not an IRI, even a relative one or a compact one: a character no IRI has."""
    bad = _BAD_CHAR.search(iri)
    if bad is not None:
        char = bad.group()
        if char == " ":
            return "it contains a space"
        if ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            return f"it contains the control character U+{ord(char):04X}"
        if 0xD800 <= ord(char) <= 0xDFFF:
            return f"it contains U+{ord(char):04X}, half of a surrogate pair, not a character"
        return f"it contains the character {char}"
    if _BAD_PERCENT.search(iri):
        return "it has a % that is not followed by two hexadecimal digits"
    return None


def check_base(base: str) -> str:
    """``--base``, which must itself be an absolute IRI for relative ones to resolve against."""
    why = iri_problem(base)
    if why:
        raise ClusterKGError(f"--base {base!r} is not an absolute IRI: {why}")
    return base


# --- the IRIs of a parsed file -------------------------------------------------------------


def iris_of(quads: Iterable[tuple[object, ...]]) -> set[str]:
    """Every IRI in the quads: terms, graph names and literal datatypes."""
    found: set[str] = set()
    for quad in quads:
        for term in quad:
            term = getattr(term, "identifier", term)  # a Graph in place of its name
            if isinstance(term, URIRef):
                found.add(str(term))
            elif isinstance(term, Literal) and term.datatype is not None:
                found.add(str(term.datatype))
    return found


def check_iris(path: Path, text: str, iris: Iterable[str], *, document: str,
               base: str | None) -> None:
    """Refuse a file with an invalid IRI, or (without ``base``) one resolved to a local path.

    ``document`` is the file's own ``file:`` IRI, what rdflib resolved relative IRIs against
    when no ``--base`` was given.
    """
    ordered = sorted(set(iris))
    invalid = {iri: why for iri in ordered if (why := iri_problem(iri))}
    if invalid:
        iri, line = _first(text, {iri: [iri] for iri in invalid})
        raise ClusterKGError(
            f"{_where(path, line)}: <{iri}> is not a valid IRI: {invalid[iri]}{_more(invalid)}; "
            "fix or percent-encode it (a space is %20)"
        )
    if base is not None:
        return
    local = [iri for iri in ordered if iri[:5].lower() == "file:"]
    if local:
        written = {iri: [iri, as_written(iri, document)] for iri in local}
        iri, line = _first(text, written)
        shown = iri if _line(text, [iri]) else as_written(iri, document)
        raise ClusterKGError(
            f"{_where(path, line)}: the IRI <{shown}> resolves to a local file ({iri})"
            f"{_more(local)}; write absolute IRIs (https://...), or give --base IRI to "
            "resolve relative ones against it"
        )


def as_written(iri: str, document: str) -> str:
    """The relative reference that resolves to ``iri`` against ``document`` (as typed, mostly)."""
    if iri == document:
        return ""
    if iri.startswith(document) and iri[len(document)] in "#?":
        return iri[len(document):]
    target, origin = urlsplit(iri), urlsplit(document)
    relative = posixpath.relpath(target.path or "/", posixpath.dirname(origin.path) or "/")
    if target.path.endswith("/") and relative != ".":
        relative += "/"
    relative = "./" if relative == "." else relative
    return (relative + (f"?{target.query}" if target.query else "")
            + (f"#{target.fragment}" if target.fragment else ""))


def _first(text: str, spellings: dict[str, list[str]]) -> tuple[str, int | None]:
    """The IRI written earliest in ``text`` (by its spellings) and its line; else the first."""
    located = [(_line(text, names), iri) for iri, names in list(spellings.items())[:_SHOWN]]
    found = sorted((line, iri) for line, iri in located if line is not None)
    return (found[0][1], found[0][0]) if found else (next(iter(spellings)), None)


def _line(text: str, names: list[str]) -> int | None:
    """1-based line of the first of ``names`` written as ``<name>`` or ``"name"``, else bare."""
    for needles in ([f"<{n}>" for n in names] + [json.dumps(n) for n in names],
                    [n for n in names if n]):
        offsets = [i for needle in needles if (i := text.find(needle)) >= 0]
        if offsets:
            return text.count("\n", 0, min(offsets)) + 1
    return None


def _where(path: Path, line: int | None) -> str:
    return f"{path}, line {line}" if line else str(path)


def _more(items: Iterable[object]) -> str:
    extra = len(list(items)) - 1
    return f" (and {extra} more)" if extra > 0 else ""


@contextmanager
def quiet_uri_warnings() -> Iterator[None]:
    """Silence rdflib's "does not look like a valid URI" warning: check_iris says it better."""

    def drop(record: logging.LogRecord) -> bool:
        return "does not look like a valid URI" not in str(record.msg)

    logger = logging.getLogger("rdflib.term")
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


# --- JSON-LD contexts ----------------------------------------------------------------------


def check_jsonld(path: Path, text: str) -> None:
    """Refuse JSON-LD that rdflib would fetch contexts for, or silently drop triples of.

    A context named by reference would be fetched over the network; inline contexts
    (``"@context": {...}``) are fine. An ``@id`` or ``@type`` with a space is not an IRI, and
    rdflib's JSON-LD parser leaves out its triples without a word, so it is refused here as
    check_iris refuses it in Turtle. Text that is not JSON is left to the parser, which
    reports it with its line.
    """
    try:
        document = json.loads(text)
        _refuse_remote_context(path, text, next(remote_contexts(document), None))
        names = list(node_names(document))
    except ValueError:
        return
    except RecursionError:
        raise _too_deep(str(path)) from None
    for name in names:
        why = reference_problem(name)
        if why:
            raise ClusterKGError(
                f"{_where(path, _line(text, [name]))}: <{name}> is not a valid IRI: {why}; "
                "fix or percent-encode it (a space is %20)"
            )


def _too_deep(where: str) -> ClusterKGError:
    """JSON nested deeper than Python's parsers can follow (about 1000 levels): no real
    JSON-LD is; refused rather than crashing the parser."""
    return ClusterKGError(f"{where}: the JSON is nested too deeply to read (about 1000 levels "
                          "or more); no JSON-LD document needs that")


def refuse_remote_contexts(where: str, text: str) -> None:
    """For JSON-LD that is not new facts (a server's answer, a shapes file): refuse a context
    given by reference, which rdflib would fetch, and leave the rest to the parser."""
    try:
        document = json.loads(text)
        reference = next(remote_contexts(document), None)
    except ValueError:
        return
    except RecursionError:
        raise _too_deep(where) from None
    if reference is not None:
        raise ClusterKGError(
            f"{where}: the JSON-LD context {reference!r} is a reference to another document, "
            "and clusterkg never fetches contexts"
        )


def _refuse_remote_context(path: Path, text: str, reference: str | None) -> None:
    if reference is None:
        return
    line = _line(text, [reference])
    raise ClusterKGError(
        f"{_where(path, line)}: the JSON-LD context {reference!r} is a reference to another "
        "document, and clusterkg never fetches contexts (from the network or elsewhere); "
        f"put the context inline instead, which works: {_INLINE}"
    )


def remote_contexts(node: object, in_context: bool = False) -> Iterator[str]:
    """Context references anywhere in parsed JSON-LD: string ``@context`` values, ``@import``."""
    if isinstance(node, list):
        for item in node:
            yield from remote_contexts(item, in_context)
    elif isinstance(node, dict) and "@value" not in node:  # a value may be a JSON literal
        for key, value in node.items():
            if key == "@context":
                yield from _context_references(value)
            elif key == "@import" and in_context:
                yield str(value)
            else:
                yield from remote_contexts(value, in_context)


def node_names(node: object) -> Iterator[str]:
    """The strings given as ``@id`` or ``@type`` anywhere in parsed JSON-LD."""
    if isinstance(node, list):
        for item in node:
            yield from node_names(item)
    elif isinstance(node, dict) and "@value" not in node:
        for key, value in node.items():
            if key in ("@id", "@type"):
                yield from (v for v in (value if isinstance(value, list) else [value])
                            if isinstance(v, str))
            else:
                yield from node_names(value)


def _context_references(value: object) -> Iterator[str]:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            yield item
        else:
            yield from remote_contexts(item, in_context=True)
