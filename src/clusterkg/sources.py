"""Source graphs under graph/: list them with their provenance, write and remove them safely.

Every change to graph/ goes through here, so that it is
- exclusive: ``graph_lock`` holds ``graph/.clusterkg.lock`` (fcntl.flock) for the whole
  read-validate-write cycle, so two ``add``s cannot both check against the old graph;
- atomic: a new file is written as a temp file inside graph/ and os.replace'd into place, and
  removal is one unlink, so a reader (or a crash) sees the old state or the new, never half;
- traceable: each added graph carries a ck:SourceGraph node with its provenance.

The lock file exists only while a command holds it: it is unlinked before the lock is
released, and a waiter that wins a lock on an unlinked file retries on the new one. That keeps
graph/ byte-identical after a failed command, without the classic lock-file race.

A killed writer leaves its temp file (``.NAME.trig.XXXXXXXX.tmp``, possibly many MB) behind;
whoever takes the lock next removes such leftovers and says so. Only the lock holder writes in
graph/, so while we hold the lock no temp file there can belong to a live command.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from clusterkg.build import write_atomically
from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import CK, CKG, NON_SOURCE_GRAPHS, bind_prefixes, compact
from clusterkg.paths import Home

if TYPE_CHECKING:
    from clusterkg.websource import WebMeta

LOCK_NAME = ".clusterkg.lock"
ENV_LOCK_TIMEOUT = "CLUSTERKG_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 30.0
GRAPH_SUFFIX = ".trig"
#: The temp files of build.write_atomically for a graph file: tempfile.mkstemp names them
#: ``.<target name>.<8 characters of [a-z0-9_]>.tmp``.
LEFTOVER = re.compile(r"\.[^/]+\.(?:trig|ttl)\.[a-z0-9_]{8}\.tmp")

log = logging.getLogger(__name__)

_TRANSLITERATION = str.maketrans(
    {"æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "å": "a", "Å": "a", "é": "e", "É": "e", "ß": "ss"}
)


# --- names ---------------------------------------------------------------------------------


def slugify(text: str, fallback: str = "x") -> str:
    """A readable, stable IRI/file-name segment: ``Årsrapport 2024`` -> ``arsrapport-2024``."""
    text = text.translate(_TRANSLITERATION)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80].rstrip("-") or fallback


def unique_slug(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3`` ... whichever is not taken yet."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def graph_file(home: Home, slug: str) -> Path:
    """Where the named graph ckg:<slug> is written."""
    return home.graph_dir / f"{slug}{GRAPH_SUFFIX}"


def taken_slugs(home: Home) -> set[str]:
    """File stems already used in graph/ (a new graph must not reuse one)."""
    return {p.stem for p in home.files("graph", ".trig", ".ttl")}


# --- the lock ------------------------------------------------------------------------------


def lock_timeout(explicit: float | None = None) -> float:
    """Seconds to wait for the lock: the option, else $CLUSTERKG_LOCK_TIMEOUT, else 30."""
    if explicit is not None:
        return explicit
    raw = os.environ.get(ENV_LOCK_TIMEOUT)
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            raise ClusterKGError(f"${ENV_LOCK_TIMEOUT} must be a number of seconds") from None
    return DEFAULT_LOCK_TIMEOUT


@contextlib.contextmanager
def graph_lock(home: Home, timeout: float | None = None) -> Iterator[Path]:
    """Hold the exclusive lock on graph/ (waiting up to ``timeout`` seconds) for the block."""
    directory = home.graph_dir
    if not directory.is_dir():
        raise ClusterKGError(f"no graph/ directory in {home.root}")
    path = directory / LOCK_NAME
    wait = lock_timeout(timeout)
    deadline = time.monotonic() + wait
    fd = _acquire(path, deadline, wait)
    try:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        _report_leftovers(directory, remove_leftovers(directory))
        yield path
    finally:
        # Unlink while still holding the lock: a waiter then notices its file is stale.
        with contextlib.suppress(OSError):
            os.unlink(path)
        with contextlib.suppress(OSError):
            os.close(fd)


def _acquire(path: Path, deadline: float, wait: float) -> int:
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ClusterKGError(f"cannot create the lock file {path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            if time.monotonic() >= deadline:
                raise ClusterKGError(
                    f"graph/ is locked by another clusterkg command{holder} ({path}); "
                    f"gave up after {wait:g} s: try again when it has finished, or wait longer "
                    f"with ${ENV_LOCK_TIMEOUT}"
                ) from None
            time.sleep(0.05)
            continue
        except OSError as exc:
            os.close(fd)
            raise ClusterKGError(f"cannot lock {path}: {exc.strerror}") from exc
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder unlinked it after we opened it: lock the new one


def remove_leftovers(directory: Path) -> list[tuple[str, int]]:
    """Delete the temp files killed writers left in graph/: (name, bytes) of each removed.

    Call only while holding the lock: every writer in graph/ holds it from before it creates
    its temp file until after the rename, so no temp file seen now can be one still in use.
    """
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            if not LEFTOVER.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
                continue
            try:
                size = entry.stat(follow_symlinks=False).st_size
                os.unlink(entry.path)
            except OSError as exc:
                log.warning("cannot remove the leftover temporary file %s: %s", entry.path,
                            exc.strerror or exc)
                continue
            removed.append((entry.name, size))
    return removed


def _report_leftovers(directory: Path, removed: list[tuple[str, int]]) -> None:
    if not removed:
        return
    files = "file" if len(removed) == 1 else "files"
    size = sum(n for _, n in removed)
    names = sorted(name for name, _ in removed)
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    log.warning("removed %d leftover temporary %s (%d bytes) from %s, left by an interrupted "
                "command: %s", len(removed), files, size, directory, shown)


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        pid = int(os.pread(fd, 32, 0).decode("ascii").strip())
        return f" (pid {pid})"
    return ""


# --- writing and removing ------------------------------------------------------------------


def serialize_graph(name: URIRef, graph: Graph, header: str = "") -> bytes:
    """One named graph as TriG with the project prefixes, after a ``#`` comment header."""
    dataset = Dataset()
    bind_prefixes(dataset)
    target = dataset.graph(name)
    for triple in graph:
        target.add(triple)
    body = dataset.serialize(format="trig")
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return (comment + body).encode("utf-8")


def write_graph_file(path: Path, data: bytes) -> None:
    """Create ``path`` atomically (temp file in graph/ + os.replace; temps cleaned up)."""
    if path.exists():
        raise ClusterKGError(f"{path} already exists; refusing to overwrite it")
    write_atomically(path, data)


def remove_graph_file(path: Path) -> None:
    """Take a graph file away (one unlink: atomic)."""
    try:
        path.unlink()
    except OSError as exc:
        raise ClusterKGError(f"cannot remove {path}: {exc.strerror or exc}") from exc


# --- listing -------------------------------------------------------------------------------


@dataclass
class SourceInfo:
    """One named graph of graph/ and what its ck:SourceGraph node says about it."""

    graph: URIRef
    file: Path | None
    triples: int
    labels: dict[str, str] = field(default_factory=dict)  # language ("" = none) -> label
    derived_from: URIRef | None = None
    derived_label: str | None = None
    derived_file_name: str | None = None
    generated_at: str | None = None
    command: str | None = None
    creator: str | None = None
    url: str | None = None  # a web source's address
    publisher: str | None = None
    published: str | None = None
    statement_by: list[str] = field(default_factory=list)
    replaces: list[URIRef] = field(default_factory=list)
    replaced_by: list[URIRef] = field(default_factory=list)

    @property
    def original(self) -> bool:
        """Derived from a text document: one of the project's original source documents."""
        return bool(self.derived_file_name and self.derived_file_name.lower().endswith(".txt"))

    def label(self, lang: str = "en") -> str:
        for key in (lang, "", "en"):
            if key in self.labels:
                return self.labels[key]
        return next(iter(self.labels.values()), "")

    def names(self) -> set[str]:
        """Everything ``remove --source`` accepts for this graph (compared case-insensitively)."""
        found = {str(self.graph), compact(str(self.graph)), *self.labels.values()}
        if self.file is not None:
            found |= {self.file.name, self.file.stem}
        if self.derived_from is not None:
            found |= {str(self.derived_from), compact(str(self.derived_from))}
        found |= {x for x in (self.derived_label, self.derived_file_name) if x}
        return {x.casefold() for x in found}


def list_sources(dataset: Dataset, home: Home) -> list[SourceInfo]:
    """Every source graph in the dataset, sorted by file/graph name."""
    from clusterkg.store import graph_sizes

    files = _files_by_graph(home)
    infos: dict[URIRef, SourceInfo] = {}
    for name, count in graph_sizes(dataset).items():
        if name in NON_SOURCE_GRAPHS or count == 0:
            continue
        infos[name] = SourceInfo(graph=name, file=files.get(name), triples=count)
    for name, info in infos.items():
        _describe(dataset, info)
        for old in dataset.objects(name, DCTERMS.replaces):
            if isinstance(old, URIRef) and old not in info.replaces:
                info.replaces.append(old)
    for name, info in infos.items():
        for old in info.replaces:
            if old in infos and name not in infos[old].replaced_by:
                infos[old].replaced_by.append(name)
        for new in dataset.objects(name, DCTERMS.isReplacedBy):
            if isinstance(new, URIRef) and new in infos and new not in info.replaced_by:
                info.replaced_by.append(new)
    return sorted(infos.values(), key=lambda i: (i.file.name if i.file else "~", str(i.graph)))


def _describe(dataset: Dataset, info: SourceInfo) -> None:
    node = info.graph
    for label in dataset.objects(node, RDFS.label):
        if isinstance(label, Literal):
            info.labels.setdefault(label.language or "", str(label))
    derived = dataset.value(node, PROV.wasDerivedFrom)
    if isinstance(derived, URIRef):
        info.derived_from = derived
        label = dataset.value(derived, RDFS.label)
        info.derived_label = str(label) if label is not None else None
        file_name = dataset.value(derived, CK.fileName)
        info.derived_file_name = str(file_name) if file_name is not None else None
        url = dataset.value(derived, URIRef("https://schema.org/url"))
        info.url = str(url) if url is not None else None
        publisher = dataset.value(derived, DCTERMS.publisher)
        if publisher is not None:
            name = dataset.value(publisher, RDFS.label)
            info.publisher = str(name) if name is not None else str(publisher)
        issued = dataset.value(derived, DCTERMS.issued)
        info.published = str(issued) if issued is not None else None
        senders = dataset.objects(derived, CK.statementBy)
        info.statement_by = sorted(str(dataset.value(o, RDFS.label) or o) for o in senders)
    at = dataset.value(node, PROV.generatedAtTime)
    info.generated_at = str(at) if at is not None else None
    activity = dataset.value(node, PROV.wasGeneratedBy)
    if activity is not None:
        command = dataset.value(activity, RDFS.label)
        info.command = str(command) if command is not None else None
    creator = dataset.value(node, DCTERMS.creator)
    info.creator = str(creator) if creator is not None else None


def _files_by_graph(home: Home) -> dict[URIRef, Path]:
    """Graph name -> file: ckg:<stem> by convention, else the one file that spells the name."""
    out: dict[URIRef, Path] = {}
    for path in home.files("graph", ".trig", ".ttl"):
        out.setdefault(CKG[path.stem], path)
    return out


def find_source(sources: list[SourceInfo], name: str) -> SourceInfo:
    """The one source graph that ``name`` designates (graph IRI, file, label, document ...)."""
    wanted = name.strip().casefold()
    exact = [s for s in sources if str(s.graph) == name.strip().strip("<>")]
    matches = exact or [s for s in sources if wanted in s.names()]
    if not matches:
        raise ClusterKGError(f"no source graph named '{name}'; see `clusterkg sources`")
    if len(matches) > 1:
        listed = ", ".join(compact(str(s.graph)) for s in matches)
        raise ClusterKGError(
            f"'{name}' names {len(matches)} source graphs ({listed}); give the graph name instead"
        )
    return matches[0]


def graph_triples(dataset: Dataset, name: URIRef) -> Graph:
    """A copy of one named graph's triples."""
    out = Graph()
    for triple in dataset.graph(name):
        out.add(triple)
    return out


# --- a new source graph: name, source document, provenance ---------------------------------

ACTIVITY = "https://w3id.org/clusterkg/activity/"
_IRI_LIKE = re.compile(r"^(<.*>|[A-Za-z][A-Za-z0-9+.-]*://\S+|urn:\S+)$")


@dataclass
class Plan:
    """Where a new source graph will go and which source document it is derived from."""

    slug: str
    name: URIRef
    path: Path
    document: URIRef
    document_label: str
    document_triples: Graph


def plan(home: Home, dataset: Dataset, source: str, web: WebMeta | None = None) -> Plan:
    """Pick the graph name and resolve ``--source`` (a document label, file name, IRI or URL).

    An http(s) address is a web page: a ck:WebSource whose metadata (title, publisher,
    publication date ...) comes from ``web`` when the page is new to the graph. Any other IRI
    (``<...>``, ``urn:...`` or a project prefix such as ``cks:x``) is used as it is; a name is
    looked up among the ck:SourceDocument labels and file names (case-insensitively). A
    source that is not in the graph yet is declared as a new ck:SourceDocument (``cks:<slug>``,
    labelled with the name or the IRI).
    """
    from clusterkg.iricheck import iri_problem
    from clusterkg.namespaces import CKS, expand
    from clusterkg.websource import WebMeta, check, describe, graph_slug, is_web_address

    text = source.strip()
    if not text:
        raise ClusterKGError("--source must not be empty")
    iri: URIRef | None = None
    if _IRI_LIKE.match(text):
        iri = URIRef(text.strip("<>"))
    elif (expanded := expand(text)) is not None:
        iri = expanded
    if iri is not None and (why := iri_problem(str(iri))):
        raise ClusterKGError(f"--source {text!r} is not a valid IRI: {why}; give an absolute "
                             "IRI such as <urn:x> or https://..., or a document's name")
    known = _documents(dataset)
    if iri is None:
        wanted = text.casefold()
        matches = sorted({d for d, names in known.items() if wanted in names}, key=str)
        if len(matches) > 1:
            listed = ", ".join(compact(str(m)) for m in matches)
            raise ClusterKGError(f"--source '{text}' names several source documents: {listed}")
        iri = matches[0] if matches else None
    triples = Graph()
    base: str | None = None
    if iri is not None and iri in known:
        label = dataset.value(iri, RDFS.label)
        doc_label = str(label) if label is not None else str(iri)
    elif iri is not None and is_web_address(str(iri)):
        meta = check(replace(web, url=str(iri)) if web else WebMeta(url=str(iri)))
        triples += describe(meta, _finder(dataset))
        doc_label = meta.title
        base = graph_slug(meta)
    else:
        doc_label = text
        if iri is None:
            taken = {str(d).removeprefix(str(CKS)) for d in known}
            iri = CKS[unique_slug(slugify(text, "source"), taken)]
        triples.add((iri, RDF.type, CK.SourceDocument))
        triples.add((iri, RDFS.label, Literal(doc_label)))
    graphs = {str(g.identifier).removeprefix(str(CKG)) for g in dataset.graphs()}
    slug = unique_slug(base or slugify(doc_label, "source"), taken_slugs(home) | graphs)
    return Plan(slug=slug, name=CKG[slug], path=graph_file(home, slug), document=iri,
                document_label=doc_label, document_triples=triples)


_LABELS = (RDFS.label, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
           URIRef("http://www.w3.org/2004/02/skos/core#altLabel"),
           URIRef("http://www.w3.org/2004/02/skos/core#hiddenLabel"))


def _finder(dataset: Dataset) -> Callable[[str, tuple[URIRef, ...]], URIRef | None]:
    """Find a thing of some classes (or their subclasses) by one of its names, any case."""
    from rdflib.namespace import RDFS as _RDFS

    def find(name: str, classes: tuple[URIRef, ...]) -> URIRef | None:
        wanted = name.strip().casefold()
        accepted = set(classes)
        for cls in classes:
            accepted |= set(dataset.transitive_subjects(_RDFS.subClassOf, cls))
        found = sorted({node for predicate in _LABELS
                        for node, label in dataset.subject_objects(predicate)
                        if isinstance(node, URIRef) and str(label).casefold() == wanted
                        and set(dataset.objects(node, RDF.type)) & accepted}, key=str)
        return found[0] if found else None

    return find


def _documents(dataset: Dataset) -> dict[URIRef, set[str]]:
    """Every ck:SourceDocument with the names it can be given by (label, file name, IRI)."""
    out: dict[URIRef, set[str]] = {}
    for doc in set(dataset.subjects(RDF.type, CK.SourceDocument)):
        if not isinstance(doc, URIRef):
            continue
        names = {str(doc), compact(str(doc))}
        names |= {str(x) for x in dataset.objects(doc, RDFS.label)}
        names |= {str(x) for x in dataset.objects(doc, CK.fileName)}
        out[doc] = {n.casefold() for n in names}
    return out


def provenance(
    target: Plan,
    *,
    command: str,
    replaces: URIRef | None = None,
    now: datetime | None = None,
) -> Graph:
    """The ck:SourceGraph node of a new graph: derived from, when, by which command, by whom."""
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    graph = Graph()
    node = target.name
    activity = URIRef(ACTIVITY + target.slug)
    graph += target.document_triples
    graph.add((node, RDF.type, CK.SourceGraph))
    graph.add((node, RDFS.label, Literal(f"Facts from {target.document_label}", lang="en")))
    graph.add((node, RDFS.label, Literal(f"Fakta fra {target.document_label}", lang="nb")))
    graph.add((node, PROV.wasDerivedFrom, target.document))
    graph.add((node, PROV.generatedAtTime,
               Literal(moment.isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime,
                       normalize=False)))
    graph.add((node, PROV.wasGeneratedBy, activity))
    graph.add((activity, RDF.type, PROV.Activity))
    graph.add((activity, RDFS.label, Literal(command)))
    graph.add((node, DCTERMS.creator, Literal(current_user())))
    if replaces is not None:
        graph.add((node, DCTERMS.replaces, replaces))
        graph.add((node, PROV.wasRevisionOf, replaces))
        graph.add((replaces, DCTERMS.isReplacedBy, node))
    return graph


def current_user() -> str:
    """$USER (or the login name), recorded as dcterms:creator of an added graph."""
    user = os.environ.get("USER") or os.environ.get("USERNAME")
    if not user:
        try:
            import getpass

            user = getpass.getuser()
        except Exception:  # no user database entry, e.g. in some containers
            user = "unknown"
    return user


def with_source_documents(delta: Graph, document: URIRef, classes: set[URIRef]) -> Graph:
    """A copy of ``delta`` where every node of a ``classes`` type that names no source
    document gets ``ck:sourceDocument document`` (what ``--source`` means for the facts)."""
    out = Graph()
    out += delta
    for node in {s for s, o in delta.subject_objects(RDF.type) if o in classes}:
        if (node, CK.sourceDocument, None) not in delta:
            out.add((node, CK.sourceDocument, document))
    return out
