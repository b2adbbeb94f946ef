"""What the kiosk screen, the operator and the health check see, computed from the store.

The kiosk's challenge rotates every :data:`REFRESH_SECONDS` and as soon as one is answered
(the check-in's transaction takes it off the screen), so the next poll issues a fresh one.
The QR code is rendered here, on the server, as inline SVG (:func:`did.qr.make_qr`): the
page needs no script library and no network.
"""

from __future__ import annotations

import functools
import io
from typing import Any

from did import day_of, qr
from protocol import QrKind, VenueChallenge, to_qr_text
from verifier.service._messages import ADMITTED, CHECKED_OUT, kiosk_message
from verifier.service._runtime import VenueService

__all__ = ["REFRESH_SECONDS", "health", "kiosk_state", "operator_summary", "qr_svg"]

#: The kiosk shows a new challenge at least this often (DESIGN.md "Venue codes" 2).
REFRESH_SECONDS = 30


@functools.lru_cache(maxsize=64)
def qr_svg(text: str) -> str:
    """The QR code of ``text`` as an inline ``<svg>`` element that scales to its box."""
    buffer = io.BytesIO()
    qr.make_qr(text).save(
        buffer,
        kind="svg",
        scale=1,
        border=4,
        xmldecl=False,
        svgns=True,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
        dark="#000",
        light="#fff",
    )
    return buffer.getvalue().decode("ascii")


def _current_code(service: VenueService, venue_id: str, now: int) -> tuple[bytes, bytes, int]:
    hosted = service.hosted(venue_id)
    current = service.store.kiosk_code(hosted.context.did)
    if current is not None and now < current[2] + REFRESH_SECONDS and now >= current[2]:
        return current
    message = hosted.context.issue_challenge(now=now)
    nonce = VenueChallenge.parse_unverified(message)[1].nonce
    service.store.set_kiosk_code(hosted.context.did, message, nonce, now)
    return message, nonce, now


def kiosk_state(service: VenueService, venue_id: str, *, known: str, after: int) -> dict[str, Any]:
    """The kiosk screen's state: the challenge (its SVG only if ``known`` is not its id),
    outcomes after sequence number ``after`` (or only the newest, for a fresh page), the
    poster code and the newest device reading.

    Raises:
        VenueNotHosted: no such venue.
        OutboxUnavailable: the store failed.
    """
    hosted = service.hosted(venue_id)
    venue = hosted.context.did
    now = service.clock()
    message, nonce, issued = _current_code(service, venue_id, now)
    text = to_qr_text(QrKind.CHALLENGE, message)
    code: dict[str, Any] = {
        "id": nonce.hex(),
        "text": text,
        "svg": None if known == nonce.hex() else qr_svg(text),
        "refreshAt": issued + REFRESH_SECONDS,
    }
    if after < 0:
        after = max(0, service.store.last_outcome_seq(venue) - 1)
    outcomes = [
        {
            "seq": seq,
            "time": time,
            "channel": channel,
            "code": outcome,
            "message": kiosk_message(outcome),
            "temperature": None if temperature is None else temperature / 100,
        }
        for seq, time, channel, outcome, temperature in service.store.outcomes_after(venue, after)
    ]
    latest = service.store.latest_reading(venue, since=now - hosted.policy.max_reading_age)
    poster = hosted.settings.poster
    return {
        "venue": venue_id,
        "name": hosted.settings.name,
        "now": now,
        "code": code,
        "poster": None if poster is None else qr_svg(poster),
        "outcomes": outcomes,
        "reading": None if latest is None else {"celsius": latest[0] / 100, "mask": latest[1]},
    }


def _last(service: VenueService) -> tuple[int | None, str | None]:
    upload = service.store.get_meta("last_upload")
    return (None if upload is None else int(upload)), service.store.get_meta("last_error")


def operator_summary(service: VenueService) -> dict[str, Any]:
    """Today's admissions by channel and refusals by reason and channel, per venue, with
    the backlog and the last upload: counts only, no pseudonyms.

    Raises:
        OutboxUnavailable: the store failed.
    """
    now = service.clock()
    day = day_of(now)
    backlog = service.store.backlog()
    venues = []
    for hosted in service.venues.values():
        did = hosted.context.did
        admitted: dict[str, int] = {}
        refused: dict[str, dict[str, int]] = {}
        checked_out = 0
        for tally in service.store.tallies(day, did):
            if tally.code == ADMITTED:
                admitted[tally.channel] = admitted.get(tally.channel, 0) + tally.count
            elif tally.code == CHECKED_OUT:
                checked_out += tally.count
            else:
                refused.setdefault(tally.code, {})[tally.channel] = tally.count
        venues.append(
            {
                "venue": hosted.settings.id,
                "admitted": admitted,
                "refused": refused,
                "checkedOut": checked_out,
                "backlog": backlog.get(did, 0),
            }
        )
    last_upload, last_error = _last(service)
    return {
        "day": day,
        "venues": venues,
        "backlog": sum(backlog.values()),
        "lastUpload": last_upload,
        "lastError": last_error,
    }


def health(service: VenueService) -> dict[str, Any]:
    """The store answers; the backlog and the last upload.

    Raises:
        OutboxUnavailable: the store failed (the endpoint answers 503).
    """
    last_upload, last_error = _last(service)
    return {
        "status": "ok",
        "backlog": sum(service.store.backlog().values()),
        "lastUpload": last_upload,
        "lastError": last_error,
    }
