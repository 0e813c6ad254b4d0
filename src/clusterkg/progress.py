"""A word on stderr when a step turns out to be long, so a person at a terminal knows why the
command is quiet (making the store of a 10M-triple graph takes minutes, the first `stats`
on it a minute).

Only at a terminal: scripts and pipes get nothing they did not ask for. Only once the step
has run for ``$CLUSTERKG_SLOW_AFTER`` seconds (default 2): a quick command says nothing.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

ENV_AFTER = "CLUSTERKG_SLOW_AFTER"
AFTER_SECONDS = 2.0


def _after() -> float:
    try:
        return max(0.0, float(os.environ.get(ENV_AFTER, AFTER_SECONDS)))
    except ValueError:
        return AFTER_SECONDS


@contextmanager
def slow_step(message: str) -> Iterator[None]:
    """Say ``message`` if the step is still running after a while, and how long it took."""
    if not sys.stderr.isatty():
        yield
        return
    start = time.monotonic()
    said = threading.Event()

    def say() -> None:
        said.set()
        print(f"clusterkg: {message} ...", file=sys.stderr, flush=True)

    timer = threading.Timer(_after(), say)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()  # if it is saying its word, let it finish before "done"
        if said.is_set():
            print(f"clusterkg: done ({time.monotonic() - start:.1f} s)", file=sys.stderr,
                  flush=True)
