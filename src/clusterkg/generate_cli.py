"""The ``generate`` command (registered on the main group at the end of cli.py).

Writes a synthetic ecosystem shaped like the real one as a project directory; the work is
in clusterkg.generate, imported inside the command so ``--help`` stays fast.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from clusterkg.errors import EXIT_OK
from clusterkg.state import directory_option
from clusterkg.state import note as _note

if TYPE_CHECKING:
    from clusterkg.state import State

SIZE_NAMES = ("10k", "100k", "1m")  # mirrors generate.SIZES (a test checks)



@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<32}"), BarColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task("generating", total=1)

        def update(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=max(total, 1))

        yield update


@click.command()
@click.option(
    "--clusters", "-n", type=click.IntRange(min=1), default=None, metavar="N",
    help="How many clusters to make (1 or more).",
)
@click.option(
    "--size", type=click.Choice(SIZE_NAMES, case_sensitive=False), default=None,
    help="Pick N to make about 10 000, 100 000 or 1 000 000 triples instead of --clusters.",
)
@click.option(
    "--seed", type=int, default=1, show_default=True,
    help="Random seed: the same seed and N always give byte-identical files.",
)
@click.option(
    "--out", "-o", "out", required=True, metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path), callback=directory_option,
    help="Project directory to write (new, empty, or made by an earlier generate).",
)
@click.pass_obj
def generate(state: State, clusters: int | None, size: str | None, seed: int, out: Path) -> int:
    """Write a synthetic cluster ecosystem, shaped like the real one, as a project directory.

    DIR gets ontology/, shapes/ and queries/ copied from the current project, graph/ with one
    TriG file (one named graph) per synthetic source - a national register, a contact list,
    yearly programme reports and yearly newsletters - and all.nq, every quad of graph/ in one
    N-Quads file. The data conforms to the shapes, and a few member counts are planted to
    disagree between two sources so that the conflicts query finds them. Give --clusters or
    --size. Prints the files and the number of triples.

    \b
    Examples:
      clusterkg generate --clusters 20 -o /tmp/gen20
      clusterkg generate --size 100k --seed 7 -o /tmp/gen100k
      clusterkg --home /tmp/gen20 validate
      clusterkg --home /tmp/gen20 query conflicts
    """
    from clusterkg.errors import ClusterKGError
    from clusterkg.generate import generate as write_project

    if clusters is None and size is None:
        raise ClusterKGError(
            "give --clusters N or --size 10k|100k|1m (see 'clusterkg generate --help')"
        )
    if clusters is not None and size is not None:
        raise ClusterKGError("give --clusters or --size, not both")
    size = size.lower() if size else None
    asked = f"--clusters {clusters}" if clusters is not None else f"--size {size}"
    started = time.perf_counter()
    with _progress(enabled=True) as progress:
        result = write_project(
            state.home(), out, clusters=clusters, size=size, seed=seed, progress=progress,
            command=f"clusterkg generate {asked} --seed {seed}",
        )
    seconds = time.perf_counter() - started
    width = max(len(path.name) for path, _ in result.files)
    lines = [f"{'graph/' + path.name:<{width + 6}}  {quads:>9}" for path, quads in result.files]
    lines.append(
        f"{result.clusters} clusters, {result.organisations} member organisations, "
        f"{result.people} people; {result.planted_conflicts} planted member-count conflicts"
    )
    lines.append(
        f"{result.quads} triples in {len(result.files)} named graphs "
        f"(graph/*.trig and all.nq) in {out}"
    )
    click.echo("\n".join(lines))
    _note(f"generated in {seconds:.1f} s")
    return EXIT_OK
