"""Published data: the epoch-key directory, status lists, the issuer trust list, the audit
log with its tree heads and proofs, and exposure notices with a cursor (public and
cacheable; custodians' uploads are verified, the administrator's authenticated)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response

from registry._publication import (
    MAX_FEED_PAGE,
    audit_head,
    correct_notice,
    epoch_directory,
    notice_feed,
    prove_record,
    public_audit_log,
    publish_audit_log,
    publish_directory,
    publish_notice,
    publish_trust_list,
    trust_list,
    withdraw_notice,
)
from registry._status import STATUS_LISTS
from registry.service.deps import AdminDep, AuthorityDep
from registry.service.routers._common import PROBLEMS, cacheable
from registry.service.schemas import NoticeFeed, NoticeRequest, TrustListRequest

__all__ = ["router"]

router = APIRouter(tags=["published"], responses=PROBLEMS)
_CBOR = "application/cbor"
_CBOR_BODY = {"content": {_CBOR: {"schema": {"type": "string", "format": "binary"}}}}
CborBody = Annotated[bytes, Body(media_type=_CBOR)]


@router.get("/epoch-keys", response_class=Response, responses={200: _CBOR_BODY})
def get_epoch_keys(request: Request, authority: AuthorityDep) -> Response:
    """The custodians' signed epoch-key directory (verify it against your pinned
    custodians: ``escrow.EpochKeyDirectory.verify``)."""
    return cacheable(request, epoch_directory(authority), _CBOR)


@router.put("/epoch-keys", status_code=201)
def put_epoch_keys(data: CborBody, authority: AuthorityDep) -> dict[str, Any]:
    """Publish a directory the custodians signed; verified against the pinned custodians
    and threshold first, and refused unless newer than the published one."""
    directory = publish_directory(authority, data)
    return {"ceremony": directory.ceremony_id.hex(), "first_epoch": min(directory),
            "last_epoch": max(directory), "threshold": directory.threshold}  # fmt: skip


@router.get("/status/{name}")
def get_status_list(
    name: Annotated[str, Path(pattern="^(" + "|".join(STATUS_LISTS) + ")$")],
    request: Request,
    authority: AuthorityDep,
) -> Response:
    """A BitstringStatusListCredential signed by the registry."""
    body = authority.status.credential(name, now=authority.now())
    return cacheable(request, body, "application/json", max_age=60)


@router.get("/trust/issuers")
def get_trust_list(request: Request, authority: AuthorityDep) -> Response:
    """The identity issuers the authority trusts, as a registry-signed credential."""
    body = json.dumps(trust_list(authority)).encode()
    return cacheable(request, body, "application/json", max_age=300)


@router.put("/trust/issuers", status_code=201)
def put_trust_list(body: TrustListRequest, authority: AuthorityDep, _: AdminDep) -> dict[str, Any]:
    """Publish the trusted identity issuers (administrator)."""
    return publish_trust_list(authority, [i.model_dump() for i in body.issuers])


@router.get("/audit-log", response_class=Response, responses={200: _CBOR_BODY})
def get_audit_log(request: Request, authority: AuthorityDep) -> Response:
    """The custodians' whole audit log (verify with ``escrow.AuditLog.verify``); its
    entries name cases only by commitment (the openings are not published here)."""
    return cacheable(request, public_audit_log(authority), _CBOR)


@router.put("/audit-log", status_code=201)
def put_audit_log(data: CborBody, authority: AuthorityDep) -> dict[str, Any]:
    """Publish the custodians' audit log: verified whole against the pinned custodians,
    and refused unless it extends the published log."""
    log = publish_audit_log(authority, data)
    return {"entries": len(log.entries), "heads": len(log.heads)}


@router.get("/audit-log/head")
def get_audit_head(authority: AuthorityDep) -> dict[str, Any]:
    """The latest signed tree head."""
    return audit_head(authority)


@router.get("/audit-log/proofs/{record_id}")
def get_unsealed_proof(
    record_id: Annotated[str, Path(pattern="^[0-9a-f]{64}$")], authority: AuthorityDep
) -> dict[str, Any]:
    """Whether a record (SHA-256 of its envelope, hex) was unsealed and under which
    cases, in one answer: the latest signed tree head and the record's audit proof
    (``proof``: an ``escrow.RecordAuditProof``, the inclusion or absence proof and, for
    an unsealed record, the approval and share-batch entries with their inclusion proofs
    and each case's opening), with the same content as readable fields."""
    return prove_record(authority, bytes.fromhex(record_id))


@router.get("/notices", response_model=NoticeFeed)
def get_notices(
    authority: AuthorityDep,
    since: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_FEED_PAGE)] = 100,
) -> dict[str, Any]:
    """Exposure-notice events after cursor ``since`` (published, withdrawn, corrected);
    ask again with ``next``."""
    return notice_feed(authority, since, limit)


@router.post("/notices", status_code=201)
def post_notice(body: NoticeRequest, authority: AuthorityDep, _: AdminDep) -> dict[str, Any]:
    """Publish an exposure notice (administrator)."""
    return publish_notice(authority, **_fields(body))


def _fields(body: NoticeRequest) -> dict[str, Any]:
    return {
        "venue": body.venue,
        "start": body.window_start,
        "end": body.window_end,
        "risk": body.risk,
        "message": body.message.model_dump(),
    }


@router.post("/notices/{number}/withdrawal")
def post_withdrawal(
    number: Annotated[int, Path(ge=1, le=2**62)], authority: AuthorityDep, _: AdminDep
) -> dict[str, Any]:
    """Withdraw a notice (its status bit is set; phones see a withdrawn event)."""
    return withdraw_notice(authority, number)


@router.post("/notices/{number}/correction", status_code=201)
def post_correction(
    number: Annotated[int, Path(ge=1, le=2**62)],
    body: NoticeRequest,
    authority: AuthorityDep,
    _: AdminDep,
) -> dict[str, Any]:
    """Correct a notice: a new notice naming it, the old one withdrawn as corrected."""
    return correct_notice(authority, number, **_fields(body))
