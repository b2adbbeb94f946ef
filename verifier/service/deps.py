"""``Annotated`` dependency aliases for the venue service's handlers (STYLE.md habit 14):
tests swap them with ``app.dependency_overrides``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from verifier.service._access import RateLimiter
from verifier.service._runtime import Clock, Hosted, VenueService
from verifier.service._store import VenueStore

__all__ = [
    "ClockDep",
    "RateLimitDep",
    "ServiceDep",
    "StoreDep",
    "VenueDep",
    "get_clock",
    "get_service",
    "get_store",
    "get_venue",
    "rate_limit",
]


async def get_service(request: Request) -> VenueService:
    """The app's :class:`~verifier.service.VenueService` (made by ``create_app``)."""
    service: VenueService = request.app.state.service
    return service


ServiceDep = Annotated[VenueService, Depends(get_service)]


async def get_store(service: ServiceDep) -> VenueStore:
    """The request path's store."""
    return service.store


StoreDep = Annotated[VenueStore, Depends(get_store)]


async def get_clock(service: ServiceDep) -> Clock:
    """The service's clock (Unix seconds)."""
    return service.clock


ClockDep = Annotated[Clock, Depends(get_clock)]


async def get_venue(venue_id: str, service: ServiceDep) -> Hosted:
    """The hosted venue named in the path.

    Raises:
        VenueNotHosted: no such venue (404).
    """
    return service.hosted(venue_id)


VenueDep = Annotated[Hosted, Depends(get_venue)]


async def rate_limit(request: Request) -> None:
    """Count the request against its source address's rate.

    Raises:
        CheckInRateLimited: the source is over its rate (429).
    """
    limiter: RateLimiter = request.app.state.limiter
    client = request.client
    limiter.check(client.host if client is not None else "")


RateLimitDep = Depends(rate_limit)
