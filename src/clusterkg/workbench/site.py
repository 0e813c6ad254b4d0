"""What every workbench page shares: the graph (through the query workers) and the project.

Pages never hold the dataset in the server process: ``select`` and ``run`` send the work to a
query worker (clusterkg.querypool), under the endpoint's time limit and backlog, and a failure
comes back as an HTTPProblem that the error page shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib.term import Node

if TYPE_CHECKING:
    from starlette.requests import Request

    from clusterkg.serve import Endpoint

Row = dict[str, Node]


class Site:
    """The endpoint (graph names, ontology, workers) and the project's folder."""

    def __init__(self, endpoint: Endpoint, root: str | None) -> None:
        self.endpoint = endpoint
        self.root = Path(root) if root else None

    async def run(self, request: Request | None, function: Any, *args: Any) -> Any:
        """``function(*args)`` in a query worker; it reads the graph with
        ``clusterkg.querypool.worker_dataset()``. Stopped when the browser goes away."""
        gone = request.is_disconnected if request is not None else None
        return await self.endpoint.run(function, *args, gone=gone)

    async def select(self, request: Request | None, query: str,
                     bindings: Mapping[str, Node] | None = None) -> list[Row]:
        """The rows of a SELECT, values bound as terms (never pasted into the text); unbound
        variables are left out of each row."""
        return await self.run(request, select_rows, query, dict(bindings or {}))


def select_rows(query: str, bindings: dict[str, Node]) -> list[Row]:
    """In a worker: run one SELECT over the dataset (clusterkg.store.run_query)."""
    from clusterkg.querypool import worker_dataset
    from clusterkg.store import run_query

    result = run_query(worker_dataset(), query, bindings, name="workbench")
    return [{name: value for name, value in zip(result.variables, row, strict=True)
             if value is not None} for row in result.rows]
