"""Phones over HTTP: a check-in answering the kiosk is admitted with a receipt the wallet
accepts, committed to the outbox first; refusals are problem details with stable codes."""

from __future__ import annotations

from pathlib import Path

from httpx import Client

from did import cbor
from protocol import VisitReceipt
from tests.verifier.service.support import (
    NOW,
    STRANGER_KEY,
    VENUE,
    Clock,
    reading,
    wallet_answer,
)
from tests.wallet.support import poster, venue_keys
from verifier.errors import UnknownDevice
from verifier.service import VenueService
from wallet import Wallet

CBOR = {"content-type": "application/cbor"}


def kiosk_text(client: Client, venue: str = "cafe-1") -> str:
    state = client.get(f"/kiosk/{venue}/state").json()
    text: str = state["code"]["text"]
    return text


def service_of(client: Client) -> VenueService:
    service: VenueService = client.app.state.service  # type: ignore[attr-defined]
    return service


def test_kiosk_answer_is_admitted_committed_and_receipted(client: Client, wallet: Wallet) -> None:
    message = wallet_answer(wallet, kiosk_text(client), now=NOW)
    response = client.post("/venues/cafe-1/checkins", content=message, headers=CBOR)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/cbor"
    receipt = VisitReceipt.verify(response.content, venue_keys, now=NOW)
    assert receipt.venue == VENUE
    wallet.accept_receipt(response.content, venue_key=venue_keys, now=NOW)
    # Committed before the receipt left: the record waits in the outbox.
    assert service_of(client).store.backlog() == {VENUE: 1}
    rows = service_of(client).store.pending(VENUE, limit=10)
    assert rows[0].record.visit_id == receipt.visit_id


def test_the_same_check_in_twice_is_a_replay(client: Client, wallet: Wallet) -> None:
    message = wallet_answer(wallet, kiosk_text(client), now=NOW)
    assert client.post("/venues/cafe-1/checkins", content=message, headers=CBOR).status_code == 201
    again = client.post("/venues/cafe-1/checkins", content=message, headers=CBOR)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["type"].startswith("urn:anshim:error:")
    assert service_of(client).store.backlog() == {VENUE: 1}


def test_the_kiosk_code_changes_after_an_accepted_answer(client: Client, wallet: Wallet) -> None:
    first = kiosk_text(client)
    assert kiosk_text(client) == first
    message = wallet_answer(wallet, first, now=NOW)
    assert client.post("/venues/cafe-1/checkins", content=message, headers=CBOR).status_code == 201
    assert kiosk_text(client) != first


def test_the_kiosk_code_changes_every_thirty_seconds(client: Client, clock: Clock) -> None:
    first = kiosk_text(client)
    clock.advance(29)
    assert kiosk_text(client) == first
    clock.advance(1)
    assert kiosk_text(client) != first


def test_poster_check_in_is_admitted(client: Client, wallet: Wallet) -> None:
    message = wallet_answer(wallet, poster(VENUE), now=NOW)
    response = client.post("/venues/cafe-1/checkins", content=message, headers=CBOR)
    assert response.status_code == 201, response.text


def test_declared_fever_is_refused_with_the_kiosk_message(client: Client, wallet: Wallet) -> None:
    message = wallet_answer(wallet, kiosk_text(client), now=NOW, fever=True)
    response = client.post("/venues/cafe-1/checkins", content=message, headers=CBOR)
    assert response.status_code == 403
    problem = response.json()
    assert problem["type"] == "urn:anshim:error:declaredFever"
    assert "발열" in problem["userMessage"]
    assert service_of(client).store.backlog() == {}


def kiosk_nonce(client: Client, venue: str = "cafe-1") -> bytes:
    return bytes.fromhex(client.get(f"/kiosk/{venue}/state").json()["code"]["id"])


def test_a_hot_reading_refuses_with_the_kiosk_message(client: Client, wallet: Wallet) -> None:
    nonce = kiosk_nonce(client)
    hot = client.post("/venues/cafe-1/readings", content=reading(nonce, 3850), headers=CBOR)
    assert hot.status_code == 201, hot.text
    assert hot.json() == {"accepted": 1}
    message = wallet_answer(wallet, kiosk_text(client), now=NOW)
    refused = client.post("/venues/cafe-1/checkins", content=message, headers=CBOR)
    assert refused.status_code == 403
    assert refused.json()["code"] == "highTemperature"
    assert refused.json()["userMessage"] == "체온이 높습니다 / High temperature"
    state = client.get("/kiosk/cafe-1/state", params={"after": 0}).json()
    assert state["outcomes"][-1]["code"] == "highTemperature"
    assert state["outcomes"][-1]["temperature"] == 38.5
    assert state["reading"] == {"celsius": 38.5, "mask": True}


def test_no_mask_refuses_and_a_healthy_reading_admits_one_visitor_only(
    client: Client, wallet: Wallet, tmp_path: Path
) -> None:
    nonce = kiosk_nonce(client)
    readings = cbor.encode([reading(nonce, 3640, mask=False)])
    assert client.post("/venues/cafe-1/readings", content=readings, headers=CBOR).status_code == 201
    message = wallet_answer(wallet, kiosk_text(client), now=NOW)
    refused = client.post("/venues/cafe-1/checkins", content=message, headers=CBOR)
    assert refused.json()["userMessage"] == "마스크를 착용해 주세요 / Please wear a mask"
    # A healthy reading for the same challenge: the newest one counts, and only once.
    healthy = reading(nonce, 3640, now=NOW + 1)
    assert client.post("/venues/cafe-1/readings", content=healthy, headers=CBOR).status_code == 201
    again = wallet_answer(wallet, kiosk_text(client), now=NOW)
    admitted = client.post("/venues/cafe-1/checkins", content=again, headers=CBOR)
    assert admitted.status_code == 201, admitted.text
    outcomes = client.get("/kiosk/cafe-1/state", params={"after": 0}).json()["outcomes"]
    assert [o["code"] for o in outcomes] == ["maskMissing", "admitted"]
    assert outcomes[-1]["temperature"] == 36.4


def test_several_people_in_one_camera_frame(
    client: Client, escrow_world: object, tmp_path: Path
) -> None:
    # The camera measures everyone at the door at once: one post, one reading per person,
    # each naming the challenge on screen when that person was measured.
    first = kiosk_nonce(client)
    frame = cbor.encode([reading(first, 3600 + i, now=NOW) for i in range(15)])
    assert client.post("/venues/cafe-1/readings", content=frame, headers=CBOR).json() == {
        "accepted": 15
    }
    too_many = cbor.encode([reading(first, 3600, now=NOW)] * 16)
    assert client.post("/venues/cafe-1/readings", content=too_many, headers=CBOR).status_code == 400


def test_a_reading_from_an_unregistered_device_is_refused(client: Client) -> None:
    stranger = reading(kiosk_nonce(client), key=STRANGER_KEY)
    response = client.post("/venues/cafe-1/readings", content=stranger, headers=CBOR)
    assert response.status_code == 403
    assert response.json()["type"] == "urn:anshim:error:" + UnknownDevice.code
    assert client.get("/kiosk/cafe-1/state").json()["reading"] is None


def test_unknown_venue_and_garbage_are_problems_not_crashes(client: Client) -> None:
    missing = client.post("/venues/nowhere/checkins", content=b"\xa0", headers=CBOR)
    assert missing.status_code == 404
    assert missing.json()["code"] == "venueNotHosted"
    garbage = client.post("/venues/cafe-1/checkins", content=b"\xff\x00garbage", headers=CBOR)
    assert garbage.status_code == 400
    big = client.post("/venues/cafe-1/checkins", content=bytes(20000), headers=CBOR)
    assert big.status_code == 413
    assert big.json()["code"] == "oversizeMessage"
