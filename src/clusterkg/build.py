"""Write the loaded dataset as release files, each replaced atomically so readers never see
half a file: clusterkg.trig (named graphs), .ttl and .nt (union), .jsonld (named graphs).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, URIRef

from clusterkg.errors import ClusterKGError
from clusterkg.namespaces import PREFIXES
from clusterkg.store import graph_sizes, named_graphs, union_graph

BASENAME = "clusterkg"


@dataclass(frozen=True)
class BuildReport:
    """What was written and how big it is."""

    files: list[Path]
    triples_per_graph: dict[URIRef, int]
    quads: int
    union_triples: int


def build(dataset: Dataset, out_dir: Path) -> BuildReport:
    """Serialise the dataset into ``out_dir`` (created if missing)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ClusterKGError(f"cannot create output directory {out_dir}: {exc.strerror}") from exc
    union = union_graph(dataset)
    outputs = {
        "trig": lambda: dataset.serialize(format="trig", encoding="utf-8"),
        "ttl": lambda: union.serialize(format="turtle", encoding="utf-8"),
        "nt": lambda: union.serialize(format="nt", encoding="utf-8"),
        "jsonld": lambda: dataset.serialize(
            format="json-ld", context=dict(PREFIXES), auto_compact=True, encoding="utf-8"
        ),
    }
    files = []
    for suffix, produce in outputs.items():
        target = out_dir / f"{BASENAME}.{suffix}"
        write_atomically(target, produce())
        files.append(target)
    sizes = graph_sizes(dataset)
    per_graph = {name: sizes.get(name, 0) for name in named_graphs(dataset)}
    return BuildReport(
        files=files,
        triples_per_graph=per_graph,
        quads=sum(per_graph.values()),
        union_triples=len(union),
    )


def write_atomically(target: Path, data: bytes) -> None:
    """Write to a temp file in the same directory, then os.replace it over the target."""
    try:
        handle, temp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise ClusterKGError(f"cannot write in {target.parent}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise ClusterKGError(f"cannot write {target}: {exc.strerror or exc}") from exc
