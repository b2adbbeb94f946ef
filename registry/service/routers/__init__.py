"""One router per resource of the registry service (STYLE.md habit 14).

Quick start::

    from fastapi import FastAPI
    from registry.service.routers import all_routers

    app = FastAPI()
    for router in all_routers():
        app.include_router(router)

Modules: :mod:`~registry.service.routers._venues` (venues, did:web documents),
:mod:`~registry.service.routers._posters`, :mod:`~registry.service.routers._published`
(epoch keys, status lists, trust list, audit log, notices),
:mod:`~registry.service.routers._uploads`, :mod:`~registry.service.routers._auth`,
:mod:`~registry.service.routers._queries`, :mod:`~registry.service.routers._vcapi`,
:mod:`~registry.service.routers._health`.
"""

from __future__ import annotations

import typing as _typing

if _typing.TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["all_routers"]


def all_routers() -> list[APIRouter]:
    """Every router, in the order the OpenAPI document lists them."""
    from registry.service.routers import (
        _auth,
        _health,
        _posters,
        _published,
        _queries,
        _uploads,
        _vcapi,
        _venues,
    )

    return [
        _venues.router,
        _posters.router,
        _uploads.router,
        _auth.router,
        _queries.router,
        _published.router,
        _vcapi.router,
        _health.router,
    ]
