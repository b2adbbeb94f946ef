"""Venue uploads over HTTP: a batch is committed only when the active venue's current key
signed it and every record is that venue's; every refusal is a problem detail and
stores nothing."""

from __future__ import annotations

import os

from did import Ed25519PrivateKey, X25519PrivateKey, cbor
from protocol import MAX_UPLOAD_BATCH_MESSAGE
from tests.registry.service.support import MINUTE, T0, Operator, Registry

CBOR = {"Content-Type": "application/cbor"}


def _post(reg: Registry, body: bytes):  # type: ignore[no-untyped-def]
    return reg.client.post("/uploads/visits", content=body, headers=CBOR)


def _stored(reg: Registry, op: Operator) -> int:
    return len(reg.store.contacts(op.did, T0 - 3 * 3600, T0, min_overlap=0))


def _refused(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"urn:anshim:error:{code}"
    assert body["status"] == status
    assert "inserted" not in body


def test_a_signed_batch_is_committed_and_a_retry_is_idempotent(
    reg: Registry, venue: Operator
) -> None:
    records = [venue.record(T0 - 2 * 3600 + i * MINUTE) for i in range(20)]
    batch = venue.batch(records, T0)
    first = _post(reg, batch)
    assert first.status_code == 200, first.text
    assert first.json()["inserted"] == 20
    again = _post(reg, batch)
    assert again.json() == {**first.json(), "inserted": 0, "unchanged": 20}
    assert _stored(reg, venue) == 20


def test_unsigned_batch_is_refused(reg: Registry, venue: Operator) -> None:
    # A bare record (no batch) and a batch whose signature bytes were altered.
    _refused(_post(reg, venue.record(T0 - 3600)), 400, "malformedMessage")
    batch = bytearray(venue.batch([venue.record(T0 - 3600)], T0))
    batch[-1] ^= 1
    _refused(_post(reg, bytes(batch)), 401, "badSignature")
    assert _stored(reg, venue) == 0


def test_batch_signed_by_another_venue_is_refused(reg: Registry, venue: Operator) -> None:
    other = reg.register(Operator(name_ko="다른 카페", name_en="Another Cafe", category="cafe"))
    forged = venue.batch([venue.record(T0 - 3600)], T0, key=other.key)
    _refused(_post(reg, forged), 401, "badSignature")
    assert _stored(reg, venue) == 0


def test_records_of_another_venue_in_a_batch_are_refused(reg: Registry, venue: Operator) -> None:
    other = reg.register(Operator(name_ko="다른 카페", name_en="Another Cafe", category="cafe"))
    mixed = [venue.record(T0 - 3600), other.record(T0 - 3600, key=venue.key)]
    _refused(_post(reg, venue.batch(mixed, T0)), 403, "foreignRecord")
    assert _stored(reg, venue) == 0
    assert _stored(reg, other) == 0


def test_deactivated_venue_upload_is_refused(reg: Registry, venue: Operator) -> None:
    assert (
        reg.client.post(f"/venues/{venue.venue_id}/deactivation", headers=reg.admin).status_code
        == 200
    )
    _refused(_post(reg, venue.batch([venue.record(T0 - 3600)], T0)), 403, "unknownKey")


def test_pending_and_unknown_venues_cannot_upload(reg: Registry) -> None:
    pending = reg.register(approve=False)
    _refused(_post(reg, pending.batch([pending.record(T0 - 3600)], T0)), 403, "unknownKey")
    stranger = Operator(did="did:web:registry.test:venues:aaaaaaaaaaaa")
    _refused(_post(reg, stranger.batch([stranger.record(T0 - 3600)], T0)), 403, "unknownKey")


def test_after_rotation_only_the_new_key_uploads(reg: Registry, venue: Operator) -> None:
    new_key, new_agreement = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
    r = reg.client.post(
        f"/venues/{venue.venue_id}/rotation", json=venue.rotation(T0, new_key, new_agreement)
    )
    assert r.status_code == 200, r.text
    old = venue.batch([venue.record(T0 - 3600)], T0)
    _refused(_post(reg, old), 401, "badSignature")
    fresh = venue.batch([venue.record(T0 - 3600, key=new_key)], T0, key=new_key)
    assert _post(reg, fresh).status_code == 200


def test_a_batch_dated_in_the_future_is_refused(reg: Registry, venue: Operator) -> None:
    _refused(_post(reg, venue.batch([venue.record(T0 - 3600)], T0 + 3600)), 422, "clockSkew")


def test_malformed_cbor_is_400_and_a_huge_body_413_before_parsing(reg: Registry) -> None:
    _refused(_post(reg, b"\xff\x00garbage"), 400, "malformedMessage")
    _refused(_post(reg, b"\x00" * (MAX_UPLOAD_BATCH_MESSAGE + 1)), 413, "payloadTooLarge")
    _refused(
        reg.client.post(
            "/venues", content=b"{" * 300_000, headers={"Content-Type": "application/json"}
        ),
        413,
        "payloadTooLarge",
    )


def test_conflicting_record_is_409_and_nothing_of_the_batch_is_stored(
    reg: Registry, venue: Operator
) -> None:
    vid = os.urandom(16)
    assert _post(reg, venue.batch([venue.record(T0 - 3600, visit_id=vid)], T0)).status_code == 200
    clash = [venue.record(T0 - 1800), venue.record(T0 - 3000, visit_id=vid)]
    _refused(_post(reg, venue.batch(clash, T0)), 409, "recordConflict")
    assert _stored(reg, venue) == 1


def test_trace_seed_upload_refuses_garbage(reg: Registry) -> None:
    r = reg.client.post("/uploads/trace-seeds", content=cbor.encode([[b"x", b"y"]]), headers=CBOR)
    _refused(r, 422, "invalidTraceSeed")
    _refused(
        reg.client.post("/uploads/trace-seeds", content=b"\xa0", headers=CBOR), 422, "invalidBatch"
    )


def test_upload_counters_move(reg: Registry, venue: Operator) -> None:
    _post(reg, venue.batch([venue.record(T0 - 3600)], T0))
    _post(reg, b"\xff")
    text = reg.client.get("/metrics").text
    assert "anshim_registry_uploads_total 1" in text
    assert 'anshim_registry_records_total{outcome="inserted"} 1' in text
    assert 'anshim_registry_refusals_total{code="malformedMessage"} 1' in text
