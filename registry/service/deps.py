"""FastAPI dependencies as ``Annotated`` aliases (STYLE.md habit 14): handlers declare
what they need (``AuthorityDep``, ``AdminDep``, ...) and tests swap the providers with
``app.dependency_overrides``. Nothing here is built at import time: the app factory puts
the authority, access checks and metrics on ``app.state``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from registry._access import Access
from registry._authority import Authority
from registry._metrics import Metrics
from registry._store import Store
from registry._tokens import AccessToken

__all__ = [
    "AccessDep",
    "AdminDep",
    "AuthorityDep",
    "ClockDep",
    "InvestigatorDep",
    "MetricsDep",
    "StoreDep",
    "VenueOrAdminDep",
    "get_access",
    "get_authority",
    "get_clock",
    "get_metrics",
    "get_store",
]

_bearer = HTTPBearer(auto_error=False, description="A token from POST /auth/token")


def get_authority(request: Request) -> Authority:
    """The app's :class:`~registry._authority.Authority`."""
    authority: Authority = request.app.state.authority
    return authority


def get_access(request: Request) -> Access:
    """The app's access checks."""
    access: Access = request.app.state.access
    return access


def get_metrics(request: Request) -> Metrics:
    """The app's counters."""
    metrics: Metrics = request.app.state.metrics
    return metrics


def get_store(request: Request) -> Store:
    """The sealed-visit store."""
    return get_authority(request).store


def get_clock(request: Request) -> Callable[[], int]:
    """The injected clock."""
    return get_authority(request).clock


AuthorityDep = Annotated[Authority, Depends(get_authority)]
AccessDep = Annotated[Access, Depends(get_access)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
StoreDep = Annotated[Store, Depends(get_store)]
ClockDep = Annotated[Callable[[], int], Depends(get_clock)]
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _header(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return None if credentials is None else f"Bearer {credentials.credentials}"


def _admin(access: AccessDep, credentials: Bearer) -> AccessToken:
    return access.require(_header(credentials), "admin")


def _investigator(access: AccessDep, credentials: Bearer) -> AccessToken:
    return access.require(_header(credentials), "investigator")


def _venue_or_admin(access: AccessDep, credentials: Bearer) -> AccessToken:
    return access.require(_header(credentials), "venue", "admin")


AdminDep = Annotated[AccessToken, Depends(_admin)]
InvestigatorDep = Annotated[AccessToken, Depends(_investigator)]
VenueOrAdminDep = Annotated[AccessToken, Depends(_venue_or_admin)]
