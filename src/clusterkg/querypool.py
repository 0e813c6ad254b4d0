"""Where `clusterkg serve` runs queries: worker processes with a time limit each.

Why processes: neither engine can stop a query once it runs (pyoxigraph has no
cancellation, rdflib none either), and a query held under one lock in the server's own
process stalled every other request, /ontology included, and the server's own shutdown. A
query in a worker process can be stopped: when it outlives ``timeout`` or its client goes
away, pebble terminates that worker and starts a fresh one. A crash (an engine bug on some
input) takes one worker down, not the endpoint.

Each worker loads the dataset once, when it starts (an in-memory copy of the store version,
read from the N-Triples files clusterkg.oxstore keeps beside it: about 5 s at 1M triples),
and answers queries one at a time: at most ``workers`` queries run at once, up to
``backlog`` more wait, and beyond that the endpoint says it is busy (503 with Retry-After)
instead of queueing without end. Workers are spawned, not forked: the server process has
threads (uvicorn, pebble) that a fork would copy mid-step.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
from collections.abc import Awaitable, Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from clusterkg.errors import ClusterKGError

if TYPE_CHECKING:
    from rdflib import Dataset

#: A worker's answer: ("ok", body, content type) or ("problem", HTTP status, message).
Outcome = tuple[str, Any, Any]
_POLL = 0.25  # seconds between checks that the client is still there

_dataset: Dataset | None = None  # in a worker: the dataset it loaded at start


class Busy(Exception):
    """Every worker is busy and the backlog is full."""


class TimedOut(Exception):
    """The query ran longer than the limit and was stopped."""


class Crashed(Exception):
    """The worker running the query died (a signal or exit), and was replaced."""


class Gone(Exception):
    """The client went away; its query was stopped."""


class Stopping(Exception):
    """The server is shutting down; the query was stopped."""


class QueryPool:
    """Worker processes, each holding the dataset, that answer queries within a time limit."""

    def __init__(self, root: str, store: str | None, *, workers: int, timeout: float,
                 backlog: int | None = None) -> None:
        from pebble import ProcessPool

        self.timeout = timeout
        self.workers = workers
        self.capacity = workers + (2 * workers if backlog is None else backlog)
        self.active = 0
        self.stopping = False  # set by the server on SIGTERM/SIGINT: queries end at once
        self._pool = ProcessPool(
            max_workers=workers, initializer=_start, initargs=(root, store),
            context=multiprocessing.get_context("spawn"),
        )

    def warm(self) -> None:
        """Wait until the workers have loaded the dataset, so the first query is fast."""
        futures = [self._pool.schedule(_ready, timeout=300) for _ in range(self.workers)]
        for future in futures:
            try:
                future.result()
            except Exception as exc:
                self.stop()
                raise ClusterKGError(f"the query workers could not start: {exc}") from exc

    async def answer(self, query: str, wanted: str | None, accept: str | None,
                     gone: Callable[[], Awaitable[bool]]) -> Outcome:
        """The worker's outcome for one query; Busy, TimedOut, Crashed, Gone or Stopping."""
        return await self.run(_answer, query, wanted, accept, gone=gone)

    async def run(self, function: Callable[..., Any], *args: Any,
                  gone: Callable[[], Awaitable[bool]] | None = None) -> Any:
        """``function(*args)`` in a worker, which holds the dataset (``worker_dataset()``),
        under the same time limit, backlog and cancellation as queries; the function must be
        importable by name (module level) and return a value that pickles. Raises Busy,
        TimedOut, Crashed, Gone or Stopping."""
        from pebble import ProcessExpired

        if self.stopping:
            raise Stopping
        if self.active >= self.capacity:
            raise Busy
        self.active += 1
        future = self._pool.schedule(function, args=args, timeout=self.timeout)
        try:
            waiting = asyncio.wrap_future(future)
            while not (await asyncio.wait({waiting}, timeout=_POLL))[0]:
                if self.stopping:
                    raise Stopping
                if gone is not None and await gone():
                    raise Gone  # finally: pebble stops the worker running it
            return waiting.result()
        except FutureTimeout as exc:
            raise TimedOut from exc
        except ProcessExpired as exc:
            raise Crashed(str(exc)) from exc
        finally:
            future.cancel()  # no-op when done; stops it when the server cancels the request
            self.active -= 1

    def stop_queries(self) -> None:
        """From now on, every query ends within a poll interval (the server is stopping), so
        no request is still open when uvicorn's graceful shutdown runs out."""
        self.stopping = True

    def stop(self) -> None:
        """Stop the workers now, whatever they are running."""
        self._pool.stop()
        self._pool.join(timeout=5)


# --- in the worker process -------------------------------------------------------------------


def _start(root: str, store: str | None) -> None:
    """Load the dataset once per worker.

    SIGTERM kills at once: pebble's own handler is Python code, which cannot run while
    Oxigraph evaluates a query, so a timed-out query would run three more seconds before
    pebble's SIGKILL. (Ctrl-C, which reaches the whole process group, pebble ignores here:
    the server stops its workers itself.)
    """
    global _dataset
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from clusterkg.loader import load_dataset
    from clusterkg.paths import find_home

    _dataset = load_dataset(find_home(root), store, memory=True)  # long-lived: fast queries


def _ready() -> bool:
    return _dataset is not None


def worker_dataset() -> Dataset:
    """The dataset this worker loaded at start (only in a worker process)."""
    if _dataset is None:
        raise RuntimeError("worker_dataset() outside a query worker")
    return _dataset


def _answer(query: str, wanted: str | None, accept: str | None) -> Outcome:
    """Run and render one query; errors come back as values (exceptions may not pickle)."""
    from clusterkg.queryguard import QueryRefused
    from clusterkg.serve import HTTPProblem, render_result
    from clusterkg.store import run_query

    assert _dataset is not None
    try:
        result = run_query(_dataset, query, name="query")
        body, content_type = render_result(result, wanted, accept)
    except HTTPProblem as exc:
        return ("problem", exc.status, exc.message)
    except ClusterKGError as exc:
        refused = isinstance(exc, QueryRefused) or "syntax error" in exc.message
        return ("problem", 400 if refused else 500, exc.message.removeprefix("query: "))
    return ("ok", body, content_type)
