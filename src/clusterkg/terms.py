"""Render RDF terms as N-Triples-style text, escaped so they are safe inside SPARQL and TSV.

rdflib's ``Literal.n3()`` switches to triple quotes for strings with newlines and leaves tabs
raw; TSV results and VALUES blocks need every separator escaped, hence this small module.
"""

from __future__ import annotations

import re

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

# IRIREF in N-Triples / SPARQL: no controls, space, <>"{}|^`\
_BAD_IRI_CHARS = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LANG = re.compile(r"^[A-Za-z]+(-[A-Za-z0-9]+)*$")
_ECHAR = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def iri(value: str) -> str:
    """``<value>``, refusing characters that would end or corrupt the IRI reference."""
    if _BAD_IRI_CHARS.search(value):
        raise ValueError(f"not a valid IRI: {value!r}")
    return f"<{value}>"


def quoted(value: str) -> str:
    """A double-quoted string with every special character escaped (ECHAR / UCHAR)."""
    out = []
    for ch in value:
        if ch in _ECHAR:
            out.append(_ECHAR[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def literal(term: Literal) -> str:
    """A literal as ``"lex"``, ``"lex"@lang`` or ``"lex"^^<datatype>``."""
    text = quoted(str(term))
    if term.language:
        if not _LANG.match(term.language):
            raise ValueError(f"not a valid language tag: {term.language!r}")
        return f"{text}@{term.language}"
    if term.datatype is not None:
        return f"{text}^^{iri(str(term.datatype))}"
    return text


def ntriples(term: Node) -> str:
    """Any IRI, literal or blank node in N-Triples syntax."""
    if isinstance(term, URIRef):
        return iri(str(term))
    if isinstance(term, Literal):
        return literal(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    raise ValueError(f"cannot render {type(term).__name__} {term!r} as an RDF term")
