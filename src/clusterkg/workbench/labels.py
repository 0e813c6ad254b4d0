"""Names for the reader: a label in their language (falling back), the ontology's own labels
for classes and properties, and the text of the cited lines of the local source documents.

The ontology is in the server process (Endpoint.ontology), so naming a kind or a property
costs no trip to a worker. The documents' text is read from their folder at run time, never
copied into the project: ``$CLUSTERKG_TEXTS`` if set, else ``../shared/sources`` beside the
project (where the project's README keeps them); without it pages show line numbers only.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from clusterkg.namespaces import compact

ENV_TEXTS = "CLUSTERKG_TEXTS"


def pick(labels: dict[str, str], lang: str, fallback: str = "") -> str:
    """The label in ``lang``, else without language, else English, else Norwegian, else any."""
    for key in (lang, "", "en", "nb", "no", "nn"):
        if labels.get(key):
            return labels[key]
    return next(iter(labels.values()), fallback)


def local_name(iri: str) -> str:
    """The last segment of an IRI (after # or /), for a thing without any label."""
    return iri.rstrip("/").replace("#", "/").rsplit("/", 1)[-1] or iri


class Vocabulary:
    """Labels of the ontology's terms, by language, read once from the ontology graph."""

    def __init__(self, ontology: Graph) -> None:
        self._labels: dict[str, dict[str, str]] = {}
        for predicate in (SKOS.prefLabel, RDFS.label):
            for term, _, label in ontology.triples((None, predicate, None)):
                if isinstance(term, URIRef) and isinstance(label, Literal):
                    self._labels.setdefault(str(term), {}).setdefault(
                        label.language or "", str(label))

    def label(self, iri: str, lang: str) -> str:
        """The term's label in ``lang``; its prefixed name when the ontology has none."""
        found = self._labels.get(iri)
        return pick(found, lang) if found else compact(iri)

    def known(self, iri: str) -> bool:
        return iri in self._labels


def texts_folder(root: Path | None) -> Path | None:
    """Where the local source documents are, if anywhere."""
    given = os.environ.get(ENV_TEXTS)
    if given:
        folder = Path(given)
    elif root is not None:
        folder = root.resolve().parent / "shared" / "sources"
    else:
        return None
    return folder if folder.is_dir() else None


@cache
def document_lines(folder: Path) -> dict[str, list[str]]:
    """File name -> its lines, for every .txt document of the folder (read once)."""
    from clusterkg.factreport import read_texts

    try:
        return read_texts(folder)
    except (OSError, UnicodeDecodeError):
        return {}
