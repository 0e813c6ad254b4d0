"""Each store version's named graphs, also as N-Triples files written while it is made.

Why: reading quads back out of the on-disk store is slow (Oxigraph looks every term's string
up in RocksDB: ~4 s per million quads at 1M triples, ~12 s at 10M), while a version's quads
are at hand, parsed, when it is made; writing them once as N-Triples costs ~0.8 s per
million. So every named graph of a version has a file in its ``graphs/`` directory, and what
reads a whole version (the SHACL engine's input, the in-memory copy, `export`) reads those
files. A graph the next version keeps is hard-linked into it (no data copied, as the store
itself is); a graph loaded again is written as a new file, never appended to in place, since
its old file may belong to a version another process still reads.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

DIRECTORY = "graphs"

GraphFiles = list[tuple[str, Path]]  # (graph IRI, its N-Triples file)


def path_for(version: Path, name: str) -> Path:
    """The file of graph ``name`` in a version (named by a digest: IRIs are no file names)."""
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:32]
    return version / DIRECTORY / f"{digest}.nt"


def append(version: Path, name: str, quads: Iterable[ox.Quad]) -> None:
    """Add one file's quads to its graph's file (the files of ontology/ and of shapes/ each
    make one graph, so a graph's file may be written in several steps)."""
    path = path_for(version, name)
    path.parent.mkdir(exist_ok=True)
    with path.open("ab") as out:
        ox.serialize((q.triple for q in quads), out, format=ox.RdfFormat.N_TRIPLES)


def forget(version: Path, name: str) -> None:
    """Drop a graph's file from a version that is being made (before it is written anew)."""
    path_for(version, name).unlink(missing_ok=True)


def link_all(base: Path, version: Path) -> None:
    """Give a version being made every graph file of ``base`` (hard links where the file
    system allows, else copies)."""
    source = base / DIRECTORY
    target = version / DIRECTORY
    target.mkdir(exist_ok=True)
    for path in source.iterdir() if source.is_dir() else ():
        try:
            os.link(path, target / path.name)
        except OSError:
            shutil.copyfile(path, target / path.name)


def files(version: Path, names: Iterable[str]) -> GraphFiles | None:
    """The files of the non-empty graphs among ``names``, in the order given; None when one
    is missing (a version made before graph files existed is never read so, but a file may
    have been removed by hand)."""
    found = []
    for name in names:
        path = path_for(version, name)
        try:
            size = path.stat().st_size
        except OSError:
            return None
        if size:
            found.append((name, path))
    return found

