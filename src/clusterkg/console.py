"""The rich console every table goes through, plain text and quiet about a closed pipe.

rich ends the process with exit code 1 when stdout is closed early (`clusterkg analyze |
head -1`); here a closed pipe raises BrokenPipeError instead, which the entry point turns into
a quiet exit 0, as `cat` does.
"""

from __future__ import annotations

from typing import IO, Any


def plain_console(file: IO[str] | None = None, width: int | None = None, **options: Any) -> Any:
    """A rich Console without colour, highlighting or markup, for output that pipes cleanly."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    settings: dict[str, Any] = {"color_system": None, "highlight": False, "markup": False}
    settings.update(options)
    return _Console(file=file, width=width, **settings)
