"""Workbench pages: questions (being built; see clusterkg.workbench)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from clusterkg.workbench.site import Site


def routes(site: Site) -> list[BaseRoute]:
    return []
