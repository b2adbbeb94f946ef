"""Routes for phones and scanners: check-in and check-out (``application/cbor``, the
wallet's bytes as they are, the signed receipt back) and holder-shown codes typed by a
keyboard-wedge scanner (``text/plain`` QR text)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from protocol.errors import MalformedMessage
from verifier.service._messages import ADMITTED, kiosk_message
from verifier.service._problems import binary_body, binary_response, responses
from verifier.service.deps import RateLimitDep, ServiceDep
from verifier.service.schemas import AdmittedVisit

__all__ = ["router"]

router = APIRouter(tags=["phones"], dependencies=[RateLimitDep])
_CBOR = "application/cbor"


@router.post(
    "/venues/{venue_id}/checkins",
    status_code=201,
    response_class=Response,
    summary="Check in with a signed presentation",
    openapi_extra=binary_body(_CBOR, "the wallet's signed CheckIn (COSE_Sign1)"),
    responses=binary_response(201, _CBOR, "the venue-signed VisitReceipt")
    | responses(400, 403, 404, 409, 413, 422, 429, 503),
)
async def check_in(venue_id: str, request: Request, service: ServiceDep) -> Response:
    """Validate the check-in, commit it to the outbox, and answer with the receipt."""
    body = await request.body()
    # Committed before the receipt leaves.
    receipt = await service.durably(lambda: service.check_in(venue_id, body))
    return Response(receipt, status_code=201, media_type=_CBOR)


@router.post(
    "/venues/{venue_id}/checkouts",
    response_class=Response,
    summary="Check out with a signed presentation",
    openapi_extra=binary_body(_CBOR, "the wallet's signed check-out (COSE_Sign1)"),
    responses=binary_response(200, _CBOR, "the receipt with the time out")
    | responses(400, 404, 409, 413, 422, 429, 503),
)
async def check_out(venue_id: str, request: Request, service: ServiceDep) -> Response:
    """Close the open visit of the check-out's pseudonym and answer with the new receipt."""
    body = await request.body()
    receipt = await service.durably(lambda: service.check_out(venue_id, body))
    return Response(receipt, media_type=_CBOR)


@router.post(
    "/venues/{venue_id}/scans",
    status_code=201,
    summary="A holder-shown code read by a scanner",
    openapi_extra=binary_body("text/plain", "the QR text as the scanner typed it (AH1:…)"),
    responses=responses(400, 403, 404, 409, 413, 422, 429, 503),
)
async def scan(venue_id: str, request: Request, service: ServiceDep) -> AdmittedVisit:
    """Admit a holder-shown check-in: the venue binds the "any venue" code to itself."""
    try:
        text = (await request.body()).decode("ascii")
    except UnicodeDecodeError:
        raise MalformedMessage("QR text is ASCII") from None
    outcome = await service.durably(lambda: service.scan(venue_id, text))
    return AdmittedVisit(
        venue=venue_id,
        channel=outcome.channel,
        timeIn=outcome.time_in,
        message=kiosk_message(ADMITTED),
    )
