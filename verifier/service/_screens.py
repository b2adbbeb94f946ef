"""Routes for screens: the kiosk page (``/kiosk/<venue>``, its state, its assets), the
operator's counts and the health check."""

from __future__ import annotations

import html
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from verifier.errors import VenueNotHosted
from verifier.service._operator import authorised_venues, operator_page, passcode_of
from verifier.service._problems import responses
from verifier.service._views import health, kiosk_state, operator_summary
from verifier.service.deps import RateLimitDep, ServiceDep, VenueDep
from verifier.service.schemas import Health, KioskState, OperatorSummary

__all__ = ["router"]

router = APIRouter()
_ASSETS = {"kiosk.js": "text/javascript", "kiosk.css": "text/css", "operator.css": "text/css"}
_UNAUTHORISED: dict[int | str, Any] = {
    401: {
        "description": "no hosted venue has that staff passcode (the form again)",
        "content": {"text/html": {}},
    }
}
_OPERATOR_HEADERS = {
    # No script at all; its own style sheet; nothing framed, nothing cached.
    "content-security-policy": "default-src 'none'; style-src 'self'; form-action 'self';"
    " frame-ancestors 'none'",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
}
_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "0", "back"]


def _page(venue_id: str, name: str) -> str:
    keypad = "".join(
        f'<button type="button" data-key="{k}">{"⌫" if k == "back" else k}</button>' for k in _KEYS
    )
    return f"""<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(name)} · 체크인 / Check-in</title>
<link rel="stylesheet" href="/kiosk-assets/kiosk.css">
</head>
<body data-venue="{html.escape(venue_id)}">
<main>
  <section id="left">
    <h1 id="venue-name">{html.escape(name)}</h1>
    <div id="qr" role="img" aria-label="체크인 QR 코드 / check-in QR code"></div>
    <p id="scan-hint">휴대폰으로 스캔해 주세요 / Scan with your phone</p>
  </section>
  <section id="right">
    <div id="outcome" role="status" aria-live="assertive"></div>
    <div id="reading" aria-live="polite"></div>
    <div id="fallback" hidden>
      <div id="poster" role="img" aria-label="포스터 코드 / poster code"></div>
      <p>화면을 스캔할 수 없으면 이 코드를 / If the screen will not scan, use this code</p>
    </div>
  </section>
</main>
<button id="staff-open" type="button">직원 / Staff</button>
<section id="staff" aria-label="직원 전용 / staff only">
  <h2>직원 전용: 대리 입력 / Staff only: assisted entry</h2>
  <div class="toggles">
    <button id="field-passcode" type="button" aria-pressed="true">암호 / Passcode</button>
    <button id="field-phone" type="button" aria-pressed="false">전화 / Phone</button>
  </div>
  <label for="passcode-view">암호 / Passcode</label><output id="passcode-view"></output>
  <label for="phone-view">전화번호 / Phone</label><output id="phone-view"></output>
  <div id="keypad">{keypad}</div>
  <label for="staff-name">이름 / Name</label>
  <input id="staff-name" type="text" maxlength="64" autocomplete="off">
  <div class="toggles">
    <button id="toggle-fever" type="button" aria-pressed="false">발열 / Fever</button>
    <button id="toggle-symptoms" type="button" aria-pressed="false">호흡기 증상 / Symptoms</button>
  </div>
  <p id="staff-result" role="status"></p>
  <div class="actions">
    <button id="staff-submit" class="primary" type="button">입력 / Submit</button>
    <button id="staff-close" type="button">닫기 / Close</button>
  </div>
</section>
<script src="/kiosk-assets/kiosk.js"></script>
</body>
</html>
"""


@router.get(
    "/kiosk/{venue_id}",
    response_class=HTMLResponse,
    tags=["kiosk"],
    summary="The kiosk page for a tablet at the door",
    responses=responses(404),
)
async def kiosk_page(venue: VenueDep) -> HTMLResponse:
    """The page: the rotating challenge, outcomes, the reading, the staff form."""
    return HTMLResponse(
        _page(venue.settings.id, venue.settings.name),
        headers={
            "content-security-policy": "default-src 'self'; img-src 'self' data:",
            "cache-control": "no-store",
        },
    )


@router.get(
    "/kiosk/{venue_id}/state",
    tags=["kiosk"],
    summary="What the kiosk shows now (polled every second)",
    responses=responses(404, 503),
)
async def kiosk_poll(
    venue_id: str,
    service: ServiceDep,
    known: Annotated[str, Query(max_length=64)] = "",
    after: Annotated[int, Query(ge=-1, le=2**62)] = -1,
) -> KioskState:
    """The challenge (its SVG only when it changed), outcomes after ``after``, the reading."""
    # A challenge on screen is one the store remembers.
    state = await service.durably(lambda: kiosk_state(service, venue_id, known=known, after=after))
    return KioskState.model_validate(state)


@router.get("/kiosk-assets/{name}", tags=["kiosk"], include_in_schema=False)
async def kiosk_asset(name: str) -> Response:
    """The page's own script and style sheet (no external assets)."""
    media = _ASSETS.get(name)
    if media is None:
        raise VenueNotHosted("no such kiosk asset")
    data = resources.files("verifier.service").joinpath("static", name).read_bytes()
    return Response(data, media_type=media, headers={"cache-control": "max-age=300"})


@router.get("/operator/summary", tags=["operator"], summary="Today's counts, backlog, uploads")
async def summary(service: ServiceDep) -> OperatorSummary:
    """Admissions by channel and refusals by reason and channel: counts only."""
    return OperatorSummary.model_validate(operator_summary(service))


@router.get(
    "/operator",
    response_class=HTMLResponse,
    tags=["operator"],
    summary="The operator's page: the staff passcode form",
)
async def operator_form(service: ServiceDep) -> HTMLResponse:
    """The form that asks for a staff passcode (nothing of the counts before it)."""
    return HTMLResponse(operator_page(service, None, [], ""), headers=_OPERATOR_HEADERS)


@router.post(
    "/operator",
    response_class=HTMLResponse,
    tags=["operator"],
    summary="The operator's page: today's counts, backlog and last upload",
    dependencies=[RateLimitDep],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {"passcode": {"type": "string", "maxLength": 128}},
                        "required": ["passcode"],
                    }
                }
            },
        }
    },
    responses=_UNAUTHORISED | responses(429, 503),
)
async def operator_view(request: Request, service: ServiceDep) -> HTMLResponse:
    """Admissions by channel and refusals by reason and channel of the venues whose staff
    passcode was posted, the backlog and the last upload: counts only."""
    venues = authorised_venues(service, passcode_of(await request.body()))
    if not venues:
        page = operator_page(
            service, None, [], "암호가 맞지 않습니다 / The staff passcode is not right"
        )
        return HTMLResponse(page, status_code=401, headers=_OPERATOR_HEADERS)
    page = operator_page(service, operator_summary(service), venues, "")
    return HTMLResponse(page, headers=_OPERATOR_HEADERS)


@router.get(
    "/health", tags=["operator"], summary="Store reachable; backlog", responses=responses(503)
)
async def health_check(service: ServiceDep) -> Health:
    """The store answers; how many records wait for the registry; the last upload."""
    return Health.model_validate(health(service))
