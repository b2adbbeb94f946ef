"""Routes for the other ways in: the telecom gateway's SMS and call webhook, staff's
assisted entry, and device-signed thermal and mask readings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.params import Body

from protocol import HealthDeclaration
from verifier.service._messages import ADMITTED, kiosk_message
from verifier.service._problems import binary_body, responses
from verifier.service.deps import ServiceDep
from verifier.service.schemas import (
    AdmittedVisit,
    AssistedEntry,
    GatewayCheckIn,
    GatewayReply,
    ReadingsAccepted,
)

__all__ = ["router"]

router = APIRouter()
_GATEWAY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": GatewayCheckIn.model_json_schema()}},
    }
}


@router.post(
    "/gateway/checkins",
    status_code=201,
    tags=["gateway"],
    summary="An SMS or call check-in from the telecom gateway",
    openapi_extra=_GATEWAY_BODY,
    responses=responses(400, 401, 404, 409, 413, 422, 503),
)
async def gateway_checkin(
    request: Request,
    service: ServiceDep,
    x_anshim_timestamp: Annotated[str | None, Header()] = None,
    x_anshim_signature: Annotated[str | None, Header()] = None,
) -> GatewayReply:
    """Checked with HMAC-SHA256 over ``timestamp + "." + body`` before the body is read;
    the caller's number is sealed at once and never stored, logged or echoed."""
    body = await request.body()
    # Committed before the SMS reply is sent.
    reply = await service.durably(
        lambda: service.gateway(body, timestamp=x_anshim_timestamp, signature=x_anshim_signature)
    )
    return GatewayReply(reply=reply)


@router.post(
    "/venues/{venue_id}/assisted",
    status_code=201,
    tags=["staff"],
    summary="Assisted entry typed by staff",
    responses=responses(400, 401, 403, 404, 413, 422, 503),
)
async def assisted_entry(
    venue_id: str,
    entry: Annotated[AssistedEntry, Body()],
    service: ServiceDep,
    x_staff_passcode: Annotated[str | None, Header()] = None,
) -> AdmittedVisit:
    """Seal the name and phone number at once (staff passcode required)."""
    declaration = HealthDeclaration(entry.fever, entry.respiratory)
    outcome = await service.durably(
        lambda: service.assisted(
            venue_id,
            passcode=x_staff_passcode,
            name=entry.name,
            phone=entry.phone,
            declaration=declaration,
        )
    )
    return AdmittedVisit(
        venue=venue_id,
        channel=outcome.channel,
        timeIn=outcome.time_in,
        message=kiosk_message(ADMITTED),
    )


@router.post(
    "/venues/{venue_id}/readings",
    status_code=201,
    tags=["devices"],
    summary="Device-signed thermal and mask readings",
    openapi_extra=binary_body(
        "application/cbor", "a signed ThermalReading, or a CBOR array of up to 15"
    ),
    responses=responses(400, 403, 404, 413, 422, 503),
)
async def post_readings(venue_id: str, request: Request, service: ServiceDep) -> ReadingsAccepted:
    """Verify each reading against the venue's registered devices and keep it for the
    check-in it was taken for."""
    body = await request.body()
    accepted = await service.durably(lambda: service.add_readings(venue_id, body))
    return ReadingsAccepted(accepted=accepted)
