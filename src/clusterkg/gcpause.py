"""Pausing Python's cyclic garbage collector for one command's large, long-lived work.

Exporting or taking in a million triples allocates millions of small objects (terms,
tuples, dicts) that live to the end of the command and make next to no reference cycles:
collections free nothing but keep rescanning the growing heap (a quarter of a large export,
10-20 s of adding a 50 MB file). One-shot commands only: ``gc.freeze`` keeps what is alive
out of every later collection, which a long-running server must not do.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No collections inside; what is still alive afterwards is frozen (the first collection
    after re-enabling, and the one at exit, would otherwise walk it all once more)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
