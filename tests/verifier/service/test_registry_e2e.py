"""Every channel end to end over HTTP, with real uvicorn on loopback, into the real
registry (registry.service on SQLite): the venue service's uploader sends venue-signed
batches and deletes them locally only once acknowledged; a registry outage only delays
them; refused gateway, device and staff requests never reach the outbox."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from protocol import HealthDeclaration, VisitReceipt
from tests.escrow.support import NOW, World
from tests.verifier.service.registry_world import live_registry, make_live_registry
from tests.verifier.service.serving import free_port, serve_in_thread
from tests.verifier.service.support import (
    BAR_NUMBER,
    CAFE_NUMBER,
    STAFF_PASSCODE,
    STRANGER_KEY,
    Clock,
    app_options,
    gateway_request,
    new_wallet,
    reading,
    settings,
    wallet_answer,
)
from tests.wallet.support import poster
from verifier.service import VenueService, create_app

CBOR = {"content-type": "application/cbor"}
DAY = NOW // 86400


def wait_for(condition: Callable[[], bool], *, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise TimeoutError("condition not met in time")


def venue_app(tmp: Path, clock: Clock, venue_did: str, bar_did: str, registry_url: str) -> object:
    config = settings(
        tmp, cafe_did=venue_did, bar_did=bar_did, category="restaurant", registry=registry_url
    )
    return create_app(config, **app_options(clock))


def test_every_channel_reaches_the_registry_once(
    tmp_path: Path, escrow_world: World, request: pytest.FixtureRequest
) -> None:
    clock = Clock()
    reg, venue_did, bar_did = make_live_registry(tmp_path / "registry", NOW)
    request.addfinalizer(reg.store.close)
    with live_registry(reg, venue_did) as registry:
        app = venue_app(tmp_path / "venue", clock, venue_did, bar_did, registry.url)
        service: VenueService = app.state.service  # type: ignore[attr-defined]
        w = new_wallet(tmp_path, "visitor")
        admitted: list[bytes] = []
        with serve_in_thread(app) as base, httpx.Client(base_url=base, timeout=30) as http:
            # Kiosk, poster: phones post their signed check-ins and get receipts.
            for text in (http.get("/kiosk/cafe-1/state").json()["code"]["text"],
                         poster(venue_did)):  # fmt: skip
                message = wallet_answer(w, text, now=NOW, keys=registry.keys)
                r = http.post("/venues/cafe-1/checkins", content=message, headers=CBOR)
                assert r.status_code == 201, r.text
                admitted.append(VisitReceipt.verify(r.content, registry.keys, now=NOW).visit_id)
            # Holder-shown: a scanner types the AH1 text.
            code = w.holder_shown_check_in(declaration=HealthDeclaration(False, False), now=NOW)
            r = http.post("/venues/cafe-1/scans", content=code.encode())
            assert r.status_code == 201, r.text
            # SMS and call, from the telecom gateway.
            for channel in ("sms", "call"):
                body, headers = gateway_request(channel=channel, venue_number=CAFE_NUMBER)
                r = http.post("/gateway/checkins", content=body, headers=headers)
                assert r.status_code == 201, r.text
                assert "+8210" not in r.text
                assert "Cafe One" in r.json()["reply"]
            # Staff's assisted entry.
            entry = {"name": "김영희", "phone": "+821098765432"}
            r = http.post("/venues/cafe-1/assisted", json=entry,
                          headers={"x-staff-passcode": STAFF_PASSCODE})  # fmt: skip
            assert r.status_code == 201, r.text
            # Refused: a bad HMAC, a stale one, an unknown number, an unregistered device,
            # assisted entry without (or with a wrong) passcode. None reaches the outbox.
            body, headers = gateway_request()
            bad = {**headers, "x-anshim-signature": "0" * 64}
            assert http.post("/gateway/checkins", content=body, headers=bad).status_code == 401
            old_body, old = gateway_request(now=NOW - 301)
            r = http.post("/gateway/checkins", content=old_body, headers=old)
            assert (r.status_code, r.json()["code"]) == (401, "staleGatewayRequest")
            nowhere, signed = gateway_request(venue_number="+8215889999")
            assert (
                http.post("/gateway/checkins", content=nowhere, headers=signed).status_code == 404
            )
            nonce = bytes.fromhex(http.get("/kiosk/cafe-1/state").json()["code"]["id"])
            stranger = reading(nonce, venue=venue_did, key=STRANGER_KEY)
            assert http.post("/venues/cafe-1/readings", content=stranger,
                             headers=CBOR).status_code == 403  # fmt: skip
            assert http.post("/venues/cafe-1/assisted", json=entry).status_code == 401
            wrong = {"x-staff-passcode": "0000"}
            assert (
                http.post("/venues/cafe-1/assisted", json=entry, headers=wrong).status_code == 401
            )
            # The same gateway request again is a replay.
            body, headers = gateway_request(channel="sms", venue_number=BAR_NUMBER)
            assert http.post("/gateway/checkins", content=body, headers=headers).status_code == 201
            again = http.post("/gateway/checkins", content=body, headers=headers)
            assert again.status_code == 409
            wait_for(lambda: http.get("/health").json()["backlog"] == 0)
            health = http.get("/health").json()
            assert health["lastUpload"] == NOW
            summary = http.get("/operator/summary").json()
        cafe = next(v for v in summary["venues"] if v["venue"] == "cafe-1")
        assert cafe["admitted"] == {
            "qrKiosk": 1, "qrStatic": 1, "holderShown": 1, "sms": 1, "call": 1, "assisted": 1,
        }  # fmt: skip
        assert "+8210" not in json.dumps(summary)
        # The registry holds the cafe's six visits and the bar's one, each once.
        stats = {s.day: s for s in reg.store.stats()}
        assert sum(s.visits for s in stats.values()) == 7
        assert sorted(registry.holds(admitted, DAY)) == sorted(admitted)
        assert service.store.backlog() == {}


def test_registry_down_then_up_loses_and_duplicates_nothing(
    tmp_path: Path, escrow_world: World, request: pytest.FixtureRequest
) -> None:
    clock = Clock()
    reg, venue_did, bar_did = make_live_registry(tmp_path / "registry", NOW)
    request.addfinalizer(reg.store.close)
    port = free_port()
    app = venue_app(tmp_path / "venue", clock, venue_did, bar_did, f"http://127.0.0.1:{port}")
    w = new_wallet(tmp_path, "visitor")
    receipts: list[bytes] = []
    with serve_in_thread(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        for i in range(12):
            message = wallet_answer(w, poster(venue_did), now=NOW + i, keys=lambda d: None)
            r = http.post("/venues/cafe-1/checkins", content=message, headers=CBOR)
            assert r.status_code == 201, r.text
            receipts.append(r.content)
        # The registry is down: the records wait, the failure is visible.
        wait_for(lambda: http.get("/health").json()["lastError"] is not None)
        assert http.get("/health").json()["backlog"] == 12
        with live_registry(reg, venue_did, port=port) as registry:
            wait_for(lambda: http.get("/health").json()["backlog"] == 0)
            ids = [VisitReceipt.verify(r, registry.keys, now=NOW).visit_id for r in receipts]
            assert sorted(registry.holds(ids, DAY)) == sorted(ids)
            assert sum(s.visits for s in reg.store.stats()) == 12
