"""The default embedded store: Oxigraph on disk, one immutable version per state of the files.

The project's files are parsed and checked once into an on-disk Oxigraph (RocksDB) store in
the cache directory, keyed by the home directory and a fingerprint of every data file (name,
size, modification time). A command whose files have not changed opens that version
read-only, which costs milliseconds whatever the size (loading a snapshot into memory cost
1.7 s at a million triples, on every command).

A version's store is never written once it is READY, so any number of processes read it
while another makes the next one (beside the store, files derived from it may be added, each
written atomically: the counts of `clusterkg stats`). Each named graph is also written as an
N-Triples file while the version is made (clusterkg.graphfiles): whole-version readers
(validation, in-memory copies, exports) read those, since reading RocksDB back is slow.
When files change, the next version starts as a hard-linked
copy of the newest one (RocksDB's own backup and hard-linked graph files: milliseconds, no
data copied), and only the
graphs of the files that changed are dropped and loaded again, so an `add` of 100 triples
costs what 100 triples cost, not a re-parse of the whole graph. It is made in a scratch
directory and renamed into place: a crash leaves the old version as it was, and a scratch
directory that the next builder removes. A reader holds a shared lock on its version's READY
file while it runs; old versions are removed only when no reader holds them.

SPARQL's default graph here is the union of the named graphs as a *set* of triples (RDF
merge), as in rdflib's union Dataset. Oxigraph's union default graph is a multiset (a triple
held by two graphs matches twice), so the store also holds every distinct triple once in
the default graph, and queries run on that; dropping a graph takes out of the default graph
only the triples no other graph holds. rdflib-level access (``dataset.triples``,
``dataset.quads``) goes through ``NamedGraphsStore``, which leaves the default graph out, so
every triple still comes with the named graphs that hold it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import Dataset, URIRef

from clusterkg import graphfiles
from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import NON_SOURCE_GRAPHS, ONTOLOGY_GRAPH, SHAPES_GRAPH, bind_prefixes
from clusterkg.namespaces import source_graph as source_graph_name
from clusterkg.paths import Home
from clusterkg.progress import slow_step

ENV_CACHE = "CLUSTERKG_CACHE_DIR"
READY = "READY"
STORE = "store"  # the RocksDB directory inside a version
MANIFEST = "manifest.json"  # the files a version was made from, and their graphs
LOCK = ".lock"  # held while a version is made, so two processes never make the same one
# Bumped whenever what a version holds changes (3: on-disk versions with a manifest; 4: with
# graph files), so a version written by an older release is never read as a current one.
SNAPSHOT_FORMAT = b"4"
_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".trig": ox.RdfFormat.TRIG}
_LEASES: list[IO[bytes]] = []  # shared locks on the versions this process has open


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


FileStates = dict[str, list[int]]  # "graph/x.trig" -> [size, mtime_ns]


def file_states(home: Home) -> FileStates:
    """What each data file looks like now, by its folder and name."""
    return {f"{folder}/{path.name}": [path.stat().st_size, path.stat().st_mtime_ns]
            for folder, path in data_files(home)}


def fingerprint(home: Home, states: FileStates | None = None) -> str:
    """Changes whenever a data file is added, removed, renamed or rewritten."""
    digest = hashlib.sha256(ox.__version__.encode() if hasattr(ox, "__version__") else b"")
    digest.update(SNAPSHOT_FORMAT)
    for key, (size, mtime) in (states if states is not None else file_states(home)).items():
        digest.update(f"{key}\0{size}\0{mtime}\n".encode())
    return digest.hexdigest()[:32]


def open_dataset(home: Home, *, memory: bool = False) -> Dataset:
    """The project's dataset: the store version of the files as they are now, read-only; with
    ``memory``, a copy in memory (for whole-graph work, where Oxigraph's in-memory store is
    about ten times faster than reading RocksDB)."""
    home_key = hashlib.sha256(str(home.root.resolve()).encode()).hexdigest()[:16]
    directory = cache_root() / home_key
    states = file_states(home)
    current = directory / fingerprint(home, states)
    store = _open_version(current)
    if store is None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ClusterKGError(
                f"cannot write the store cache in {directory}: {exc.strerror}") from exc
        with _locked(directory / LOCK):
            store = _open_version(current)  # made by another process while this one waited
            if store is None:
                with slow_step("making the store for the data files as they are now (once "
                               "per change; only changed files are loaded again)"):
                    _make_version(home, directory, current, states)
                store = _open_version(current)
                if store is None:
                    raise ClusterKGError(f"cannot open the store just made in {current}")
            _collect(directory, keep=current)
    if memory:
        store = _in_memory(current)
    dataset = wrap(store)
    dataset.store.version = current
    return dataset


def version_directory(dataset: Dataset) -> Path | None:
    """The version a dataset of ``open_dataset`` reads (also as an in-memory copy), where
    what is computed from it may be kept beside the store: the version never changes, and
    goes with it. None for any other dataset."""
    return getattr(dataset.store, "version", None)


def graph_files(dataset: Dataset, names: Iterable[str] | None = None
                ) -> graphfiles.GraphFiles | None:
    """The N-Triples files of the non-empty named graphs (``names``, else all, sorted) of the
    version a dataset of ``open_dataset`` reads; None for any other dataset. Parsing them is
    the fastest way to read a whole version (see clusterkg.graphfiles)."""
    version = version_directory(dataset)
    return None if version is None else _version_files(version, names)


def _version_files(version: Path, names: Iterable[str] | None = None
                   ) -> graphfiles.GraphFiles | None:
    """The graph files of ``names`` (else of every graph in the manifest) in ``version``."""
    return graphfiles.files(version, _manifest_graphs(version) if names is None else names)


def _manifest_graphs(version: Path) -> list[str]:
    """The named graphs of a version, sorted, from its manifest."""
    try:
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ClusterKGError(f"cannot read {version / MANIFEST}: {exc}") from exc
    return sorted({entry[2] for entry in manifest["files"].values()})


def _in_memory(version: Path) -> ox.Store:
    """The version copied into an in-memory store from its graph files, and the union default
    graph filled in memory (each file is loaded once: Oxigraph renames blank nodes per load,
    so loading a file twice would not give the default graph the named graph's nodes)."""
    copy = ox.Store()
    found = _version_files(version)
    if found is None:
        raise ClusterKGError(f"the store cache in {version} is incomplete: remove it and retry")
    for name, path in found:
        copy.load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(name))
    fill_union(copy)
    return copy


def _open_version(path: Path) -> ox.Store | None:
    """A READY version, opened read-only and leased (see the module docstring); None if
    there is none or it cannot be opened (then it is made again)."""
    try:
        lease = (path / READY).open("rb")
    except OSError:
        return None
    try:
        fcntl.flock(lease, fcntl.LOCK_SH)
        store = ox.Store.read_only(str(path / STORE))
    except OSError:
        lease.close()
        return None
    _LEASES.append(lease)
    return store


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        handle = path.open("ab")
    except OSError as exc:
        raise ClusterKGError(f"cannot write the store cache in {path.parent}: {exc}") from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _make_version(home: Home, directory: Path, current: Path, states: FileStates) -> None:
    """Make the version for ``states`` from the newest READY version (only what changed is
    loaded again) or from nothing, in a scratch directory renamed into place when done."""
    scratch = directory / f".building-{current.name}-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(current, ignore_errors=True)  # not READY, or damaged: never trusted
    base = _newest_version(directory)
    try:
        scratch.mkdir()
        if base is not None:
            ox.Store.read_only(str(base[0] / STORE)).backup(str(scratch / STORE))
            graphfiles.link_all(base[0], scratch)
            store = ox.Store(str(scratch / STORE))
            graphs = update_store(store, home, base[1], states, scratch)
        else:
            store = ox.Store(str(scratch / STORE))
            graphs = load_into(store, home, scratch)
        store.flush()
        del store  # closed before the directory moves
        manifest = {"format": SNAPSHOT_FORMAT.decode(),
                    "files": {k: [*v, graphs[k]] for k, v in states.items()}}
        (scratch / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        (scratch / READY).write_text("ok\n", encoding="utf-8")
        os.rename(scratch, current)
    except OSError as exc:
        raise ClusterKGError(f"cannot write the store cache in {directory}: {exc}") from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _newest_version(directory: Path) -> tuple[Path, dict[str, list[Any]]] | None:
    """The most recently made READY version of this project, with its manifest's files."""
    found = []
    for path in directory.iterdir():
        if path.name.startswith("."):
            continue
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            made = (path / READY).stat().st_mtime_ns
        except (OSError, ValueError):
            continue
        if manifest.get("format") == SNAPSHOT_FORMAT.decode():
            found.append((made, path, manifest["files"]))
    if not found:
        return None
    _, path, files = max(found, key=lambda item: item[0])
    return path, files


def _collect(directory: Path, keep: Path) -> None:
    """Remove the versions no process reads any more, and scratch directories of builders
    that died (this process holds the lock, so no builder is running)."""
    for path in directory.iterdir():
        if path == keep or path.name == LOCK:
            continue
        if path.name.startswith(".building-"):
            shutil.rmtree(path, ignore_errors=True)
            continue
        try:
            lease = (path / READY).open("rb")
        except OSError:
            shutil.rmtree(path, ignore_errors=True)
            continue
        with lease:
            try:
                fcntl.flock(lease, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a reader still has it open
            shutil.rmtree(path, ignore_errors=True)


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

    version: Path | None = None  # set by open_dataset: the version directory it reads

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

    def add_graph(self, graph: Any) -> None:
        """Nothing to do: rdflib's ``dataset.graph(name)`` asks for it even to read, and a
        store version is read-only (a named graph exists by its quads)."""


_RDFLIB_DEFAULT = URIRef("urn:x-rdflib:default")


def _is_default(context: Any) -> bool:
    return getattr(context, "identifier", context) == _RDFLIB_DEFAULT


def _named_only(found: Any) -> Any:
    """oxrdflib yields each quad as (triple, iterator of its one graph); keep the named ones."""
    for triple, graphs in found:
        held = list(graphs)
        if all(g.identifier != _RDFLIB_DEFAULT for g in held):
            yield triple, iter(held)


def load_into(store: ox.Store, home: Home, version: Path) -> dict[str, str]:
    """Load ontology/, shapes/ and graph/ with the same rules as the rdflib loader, each triple
    also once into the default graph, and each graph into its file in ``version``; returns
    each file's graph name."""
    graphs: dict[str, str] = {}
    for folder, path in data_files(home):
        name, quads = _file_quads(folder, path)
        _check_name(path, name, graphs, folder)
        graphs[f"{folder}/{path.name}"] = name
        _insert(store, quads, version, name)
    return graphs


def update_store(store: ox.Store, home: Home, before: dict[str, list[Any]],
                 states: FileStates, version: Path) -> dict[str, str]:
    """Bring a copy of the version made from the files ``before`` up to the files as they
    are (``states``): drop the graphs of the files that changed or went away, load those that
    changed or came (graph files in ``version`` alike); returns each file's graph name."""
    by_key = {f"{folder}/{path.name}": (folder, path) for folder, path in data_files(home)}
    changed = {k for k in states if k not in before or before[k][:2] != states[k]}
    gone = {k for k in before if k not in states}
    folders_changed = {k.split("/", 1)[0] for k in changed | gone}
    reload = set(changed)
    for folder in ("ontology", "shapes"):  # all of a folder's files make one graph
        if folder in folders_changed:
            reload |= {k for k in states if k.startswith(folder + "/")}
    drop = {before[k][2] for k in (reload | gone) if k in before}
    for name in sorted(drop):
        _drop_graph(store, name)
        graphfiles.forget(version, name)
    graphs = {k: before[k][2] for k in states if k not in reload}
    order = list(states)  # load order: ontology, shapes, graph
    for key in sorted(reload, key=order.index):
        folder, path = by_key[key]
        name, quads = _file_quads(folder, path)
        _check_name(path, name, graphs, folder)
        graphs[key] = name
        _insert(store, quads, version, name)
    return graphs


def _file_quads(folder: str, path: Path) -> tuple[str, list[ox.Quad]]:
    if folder == "ontology":
        return str(ONTOLOGY_GRAPH), _with_graph(path, ONTOLOGY_GRAPH)
    if folder == "shapes":
        return str(SHAPES_GRAPH), _with_graph(path, SHAPES_GRAPH)
    return _source_quads(path)


def _check_name(path: Path, name: str, graphs: dict[str, str], folder: str) -> None:
    """A graph/ file may not use a reserved graph or one another file of graph/ holds."""
    if folder != "graph":
        return
    if URIRef(name) in NON_SOURCE_GRAPHS:
        raise ClusterKGError(f"{path}: graph <{name}> is reserved for ontology/ or shapes/")
    for key, other in graphs.items():
        if other == name and key.startswith("graph/"):
            raise ClusterKGError(
                f"{path}: graph <{name}> is already defined in {key.split('/', 1)[1]}")


def _insert(store: ox.Store, quads: list[ox.Quad], version: Path, name: str) -> None:
    """The quads, their triples once in the default graph (the set union), and the graph's
    file."""
    default = ox.DefaultGraph()
    store.bulk_extend(quads)
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, default) for q in quads)
    graphfiles.append(version, name, quads)


def _drop_graph(store: ox.Store, name: str) -> None:
    """Drop one named graph, and from the default graph the triples no other graph holds."""
    graph = ox.NamedNode(name)
    held = list(store.quads_for_pattern(None, None, None, graph))
    store.remove_graph(graph)
    default = ox.DefaultGraph()
    for quad in held:
        if not any(isinstance(q.graph_name, ox.NamedNode) for q in
                   store.quads_for_pattern(quad.subject, quad.predicate, quad.object)):
            store.remove(ox.Quad(quad.subject, quad.predicate, quad.object, default))


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
