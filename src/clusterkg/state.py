"""What every subcommand shares: the per-invocation options, and how it prints.

A module of its own so that the command modules (cli, facts_cli, export_cli, server_cli,
generate_cli) all depend on it and never on each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from clusterkg.errors import one_line

if TYPE_CHECKING:
    from pathlib import Path

    from rdflib import Dataset

    from clusterkg.paths import Home

PROG = "clusterkg"


class State:
    """Per-invocation options shared by the subcommands (the data directory, found lazily)."""

    def __init__(self, home: str | None, store: str | None = None) -> None:
        self.home_option = home
        self.store = store
        self._home: Home | None = None

    def home(self) -> Home:
        from clusterkg.paths import find_home

        if self._home is None:
            self._home = find_home(self.home_option)
        return self._home

    def dataset(self, *, memory: bool = False) -> Dataset:
        """The project's dataset; ``memory`` for work that reads much of the graph (see
        clusterkg.loader.load_dataset)."""
        from clusterkg.loader import load_dataset

        return load_dataset(self.home(), self.store, memory=memory)


pass_state = click.make_pass_decorator(State)


def current_state() -> State:
    """The State of the running command (for helpers called from a command)."""
    state = click.get_current_context().find_object(State)
    assert state is not None
    return state


def echo(text: str) -> None:
    """A result, on stdout, as given (no newline added)."""
    click.echo(text, nl=False)


def note(message: str) -> None:
    """A message for people, on stderr."""
    click.echo(f"{PROG}: {message}", err=True)


def error(message: str) -> None:
    """An error, one line on stderr."""
    click.echo(f"{PROG}: error: {one_line(message)}", err=True)


def directory_option(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """A click callback for an output directory: '-' means stdout everywhere, and a command
    that writes several files cannot put them there, so refuse it instead of making a
    directory named '-'."""
    if value is not None and str(value) == "-":
        raise click.BadParameter(
            f"'-' means stdout, but {ctx.info_name} writes several files: give a directory"
        )
    return value
