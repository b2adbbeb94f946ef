"""Venues: registration, approval, rotation, deactivation, and the registry's and venues'
did:web documents (DESIGN.md "The registry service", Venues)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from registry._investigations import venue_requests
from registry._venues import VenueRecord
from registry.errors import NotPermitted, UnknownVenue, VenueDeactivated, VenueNotActive
from registry.service._problems import problem
from registry.service.deps import AdminDep, AuthorityDep, VenueOrAdminDep
from registry.service.routers._common import PROBLEMS, cacheable
from registry.service.schemas import RegistrationRequest, RotationRequest, VenueView

__all__ = ["router"]

router = APIRouter(tags=["venues"], responses=PROBLEMS)
_DID_JSON = "application/did+json"


def _view(record: VenueRecord, *, with_credential: bool = True) -> dict[str, Any]:
    out = record.public_json()
    if with_credential and record.status == "active":
        out["credential"] = record.credential
    return out


@router.post("/venues", status_code=202, response_model=VenueView)
def register_venue(body: RegistrationRequest, authority: AuthorityDep) -> dict[str, Any]:
    """Register a venue (pending until the administrator approves it)."""
    return _view(authority.register(body.model_dump()))


@router.get("/venues", response_model=list[VenueView])
def list_venues(
    authority: AuthorityDep,
    _: AdminDep,
    status: Literal["pending", "active", "deactivated"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Venues, optionally of one status (administrator)."""
    rows = authority.ledger.venues(status=status, limit=limit)
    return [_view(VenueRecord.from_json(r), with_credential=False) for r in rows]


@router.get("/venues/{venue_id}", response_model=VenueView)
def get_venue(venue_id: str, authority: AuthorityDep) -> dict[str, Any]:
    """A venue's public record (and its credential once approved)."""
    return _view(authority.venue(venue_id))


@router.post("/venues/{venue_id}/approval", response_model=VenueView)
def approve_venue(venue_id: str, authority: AuthorityDep, _: AdminDep) -> dict[str, Any]:
    """Approve a venue: its DID document, directory entry and VenueCredential."""
    return _view(authority.approve(venue_id))


@router.post("/venues/{venue_id}/rotation", response_model=VenueView)
def rotate_venue(venue_id: str, body: RotationRequest, authority: AuthorityDep) -> dict[str, Any]:
    """Replace a venue's keys (signed by its current key and the new one)."""
    return _view(authority.rotate(venue_id, body.model_dump()))


@router.post("/venues/{venue_id}/deactivation", response_model=VenueView)
def deactivate_venue(venue_id: str, authority: AuthorityDep, _: AdminDep) -> dict[str, Any]:
    """Deactivate a venue (final): status bit, DID document gone, uploads refused."""
    return _view(authority.deactivate(venue_id))


@router.get(
    "/venues/{venue_id}/did.json",
    responses={200: {"content": {_DID_JSON: {}}}},
    response_class=Response,
)
def venue_document(venue_id: str, request: Request, authority: AuthorityDep) -> Response:
    """The venue's did:web document; 410 once it is deactivated (DID Resolution: the
    resolver reports ``deactivated``)."""
    try:
        doc = authority.venue_document(venue_id)
    except VenueDeactivated as exc:
        return problem(exc, status=410)
    except VenueNotActive as exc:
        raise UnknownVenue("the venue has no DID document yet") from exc
    return cacheable(request, json.dumps(doc).encode(), _DID_JSON, max_age=60)


@router.get("/venues/{venue_id}/credential")
def venue_credential(venue_id: str, authority: AuthorityDep) -> dict[str, Any]:
    """The venue's VenueCredential (VC 2.0, eddsa-jcs-2022, with its status entry)."""
    record = authority.active_venue(venue_id)
    return dict(record.credential or {})


@router.get("/venues/{venue_id}/requests")
def venue_record_requests(
    venue_id: str,
    authority: AuthorityDep,
    token: VenueOrAdminDep,
    after: Annotated[int, Query(ge=-1, le=2**31)] = -1,
) -> list[dict[str, Any]]:
    """Which of the venue's records were requested, under which case, when (the venue
    itself, or the administrator)."""
    record = authority.venue(venue_id)
    if token.role == "venue" and token.subject != record.did:
        raise NotPermitted("a venue reads only its own requests")
    return venue_requests(authority, record.did, after=after)


@router.get("/venues/{venue_id}/relays")
def venue_relays(
    venue_id: str,
    authority: AuthorityDep,
    token: VenueOrAdminDep,
    after: Annotated[int, Query(ge=-1, le=2**62)] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Holder-shown check-ins of the venue that reached the registry twice: its record
    kept while another upload of the same code was refused, or its record refused as a
    relay of one already kept (the venue itself sees its own records only; the
    administrator sees both)."""
    record = authority.venue(venue_id)
    if token.role == "venue" and token.subject != record.did:
        raise NotPermitted("a venue reads only its own relay flags")
    flags = authority.ledger.relays(venue=record.did, after=after, limit=limit)
    if token.role == "admin":
        return [r.to_json() for r in flags]
    return [r.view_of(record.did) for r in flags]


@router.get(
    "/.well-known/did.json",
    responses={200: {"content": {_DID_JSON: {}}}},
    response_class=Response,
)
def registry_document(request: Request, authority: AuthorityDep) -> Response:
    """The registry's own did:web document (its key signs posters, credentials, notices)."""
    body = json.dumps(authority.document().to_json()).encode()
    return cacheable(request, body, _DID_JSON, max_age=300)
