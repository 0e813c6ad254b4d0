"""The default embedded store: Oxigraph in memory, from a snapshot kept on disk.

The project's files are parsed and checked once; the result is kept as an N-Quads snapshot
in the cache directory, keyed by the home directory and a fingerprint of every data file
(name, size, modification time). A command whose files have not changed loads that snapshot
into an in-memory Oxigraph store without re-parsing the Turtle (about 2.6 s for a million
triples) and queries it with Oxigraph's engine through oxrdflib, so the rest of the code keeps
one rdflib ``Dataset`` interface whichever store is chosen. An in-memory store answers
queries about ten times faster than Oxigraph's on-disk RocksDB store, and readers never lock
each other out. A change writes a new snapshot beside the old one and swaps it in with a
directory rename, so a reader never sees a half-written one.

SPARQL's default graph here is the union of the named graphs as a *set* of triples (RDF
merge), as in rdflib's union Dataset. Oxigraph's union default graph is a multiset (a triple
held by two graphs matches twice), so the snapshot also holds every distinct triple once in
the default graph, and queries run on that. rdflib-level access (``dataset.triples``,
``dataset.quads``) goes through ``NamedGraphsStore``, which leaves the default graph out, so
every triple still comes with the named graphs that hold it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import Dataset, URIRef

from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import NON_SOURCE_GRAPHS, ONTOLOGY_GRAPH, SHAPES_GRAPH, bind_prefixes
from clusterkg.namespaces import source_graph as source_graph_name
from clusterkg.paths import Home

ENV_CACHE = "CLUSTERKG_CACHE_DIR"
READY = "READY"
SNAPSHOT = "dataset.nq"
# Bumped whenever what a snapshot holds changes (2: the set union in the default graph), so
# a snapshot written by an older version is never read as a current one.
SNAPSHOT_FORMAT = b"2"
_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".trig": ox.RdfFormat.TRIG}


def cache_root() -> Path:
    """Where stores are kept: $CLUSTERKG_CACHE_DIR, else $XDG_CACHE_HOME/clusterkg."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clusterkg"


def data_files(home: Home) -> list[tuple[str, Path]]:
    """Every file that goes into the dataset, with the folder it belongs to, in load order."""
    return (
        [("ontology", p) for p in home.files("ontology", ".ttl")]
        + [("shapes", p) for p in home.files("shapes", ".ttl")]
        + [("graph", p) for p in home.files("graph", ".trig", ".ttl")]
    )


def fingerprint(home: Home) -> str:
    """Changes whenever a data file is added, removed, renamed or rewritten."""
    digest = hashlib.sha256(ox.__version__.encode() if hasattr(ox, "__version__") else b"")
    digest.update(SNAPSHOT_FORMAT)
    for folder, path in data_files(home):
        stat = path.stat()
        digest.update(f"{folder}/{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def open_dataset(home: Home) -> Dataset:
    """The project's dataset in an in-memory Oxigraph store, from the snapshot if current."""
    home_key = hashlib.sha256(str(home.root.resolve()).encode()).hexdigest()[:16]
    directory = cache_root() / home_key
    current = directory / fingerprint(home)
    store: ox.Store | None = None
    if (current / READY).exists():
        store = ox.Store()
        try:
            store.load(path=str(current / SNAPSHOT), format=ox.RdfFormat.N_QUADS, lenient=True)
        except (OSError, SyntaxError):  # a damaged snapshot is rebuilt, never trusted
            shutil.rmtree(current, ignore_errors=True)
            store = None
    if store is None:
        store = _build(home, directory, current)
    return wrap(store)


def wrap(store: ox.Store) -> Dataset:
    """An rdflib union Dataset over a pyoxigraph Store whose default graph is the set union."""
    dataset = Dataset(store=NamedGraphsStore(store=store), default_union=True)
    bind_prefixes(dataset)
    return dataset


def fill_union(store: ox.Store) -> None:
    """Put every distinct triple of the named graphs into the default graph, once."""
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")


class NamedGraphsStore(OxigraphStore):
    """oxrdflib's store with the default graph (the materialised union) hidden from rdflib.

    The default graph only serves SPARQL's set semantics; to rdflib the dataset is its
    named graphs, each triple listed with every graph that holds it, as before.
    """

    def triples(self, triple_pattern: Any, context: Any = None) -> Any:
        if context is not None and _is_default(context):
            return iter(())
        found = super().triples(triple_pattern, context)
        if context is not None:
            return found
        return _named_only(found)

    def __len__(self, context: Any = None) -> int:
        if context is not None and _is_default(context):
            return 0
        return super().__len__(context)

    def contexts(self, triple: Any = None) -> Any:
        return (g for g in super().contexts(triple) if g.identifier != _RDFLIB_DEFAULT)


_RDFLIB_DEFAULT = URIRef("urn:x-rdflib:default")


def _is_default(context: Any) -> bool:
    return getattr(context, "identifier", context) == _RDFLIB_DEFAULT


def _named_only(found: Any) -> Any:
    """oxrdflib yields each quad as (triple, iterator of its one graph); keep the named ones."""
    for triple, graphs in found:
        held = list(graphs)
        if all(g.identifier != _RDFLIB_DEFAULT for g in held):
            yield triple, iter(held)


def _build(home: Home, directory: Path, current: Path) -> ox.Store:
    store = ox.Store()
    load_into(store, home)
    fill_union(store)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        scratch = directory / f".building-{current.name}-{os.getpid()}"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
    except OSError as exc:
        raise ClusterKGError(
            f"cannot write the store cache in {directory}: {exc.strerror}"
        ) from exc
    try:
        store.dump(output=str(scratch / SNAPSHOT), format=ox.RdfFormat.N_QUADS)
        (scratch / READY).write_text("ok\n", encoding="utf-8")
        try:
            os.rename(scratch, current)
        except OSError:
            if not (current / READY).exists():  # not a concurrent build that won the race
                raise
    except OSError as exc:
        raise ClusterKGError(f"cannot write the store cache in {directory}: {exc}") from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for old in directory.iterdir():  # older fingerprints of the same home are garbage now
        if old != current and not old.name.startswith(".building-"):
            shutil.rmtree(old, ignore_errors=True)
    return store


def load_into(store: ox.Store, home: Home) -> None:
    """Load ontology/, shapes/ and graph/ with the same rules as the rdflib loader."""
    origins: dict[str, Path] = {}
    for folder, path in data_files(home):
        if folder == "ontology":
            store.bulk_extend(_with_graph(path, ONTOLOGY_GRAPH))
        elif folder == "shapes":
            store.bulk_extend(_with_graph(path, SHAPES_GRAPH))
        else:
            name, quads = _source_quads(path)
            if URIRef(name) in NON_SOURCE_GRAPHS:
                raise ClusterKGError(f"{path}: graph <{name}> is reserved for ontology/ or shapes/")
            if name in origins:
                raise ClusterKGError(
                    f"{path}: graph <{name}> is already defined in {origins[name]}"
                )
            origins[name] = path
            store.bulk_extend(quads)


def _with_graph(path: Path, graph: URIRef) -> list[ox.Quad]:
    target = ox.NamedNode(str(graph))
    return [ox.Quad(q.subject, q.predicate, q.object, target) for q in _parse(path)]


def _source_quads(path: Path) -> tuple[str, list[ox.Quad]]:
    """A graph/ file's quads and graph name; a TriG file must hold exactly one named graph."""
    if path.suffix == ".ttl":
        name = str(source_graph_name(path.stem))
        return name, [
            ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(name)) for q in _parse(path)
        ]
    quads = list(_parse(path))
    default = sum(1 for q in quads if isinstance(q.graph_name, ox.DefaultGraph))
    if default:
        raise ClusterKGError(
            f"{path}: {default} triple(s) outside any GRAPH block; "
            "a graph/ file must hold exactly one named graph"
        )
    names = {q.graph_name for q in quads}
    if len(names) != 1:
        listed = ", ".join(sorted(str(n) for n in names)) or "none"
        raise ClusterKGError(f"{path}: expected exactly one named graph, found {listed}")
    (name,) = names
    if not isinstance(name, ox.NamedNode):
        raise ClusterKGError(f"{path}: the named graph must be named by an IRI")
    return name.value, quads


def _parse(path: Path) -> Iterator[ox.Quad]:
    """Parse one file; errors name the file and the line, as the rdflib loader's do."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ClusterKGError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ClusterKGError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from exc
    try:
        return iter(list(ox.parse(
            data, format=_FORMATS[path.suffix], base_iri=path.as_uri(), rename_blank_nodes=True
        )))
    except SyntaxError as exc:
        line = f", line {exc.lineno}" if exc.lineno else ""
        why = str(exc.msg if hasattr(exc, "msg") else exc).split(" (", 1)[0]
        raise ClusterKGError(f"cannot parse {path}{line}: {why}") from exc


def describe() -> dict[str, Any]:
    """Facts about the store for `clusterkg stats`-like output and the benchmarks."""
    version = getattr(ox, "__version__", "?")
    return {"engine": "oxigraph", "version": version, "cache": str(cache_root())}
