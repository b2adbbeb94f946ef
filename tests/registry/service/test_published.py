"""Published data: the epoch-key directory (verified against the pinned custodians before
publishing, never rolled back), the audit log's heads and absence proofs, exposure notices
with a cursor, correction and withdrawal, the trust list, status lists."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import registry
from did import b64url_decode
from escrow import AuditLog, SignedTreeHead, UnsealedProof
from protocol import ExposureNotice
from tests.escrow.support import NOW, K, World, approved_warrant
from tests.registry.service.support import T0, Operator, Registry, make_registry

CBOR = {"Content-Type": "application/cbor"}


@pytest.fixture
def pinned(
    tmp_path: Path, escrow_world: World, store_url: str, open_url: Callable[..., registry.Store]
) -> Registry:
    """A registry pinned to the escrow world's custodians, once per engine."""
    custodians = tuple(s.did for s in escrow_world.stores)
    return make_registry(tmp_path, store=open_url(store_url), custodians=custodians, threshold=K)


def test_a_verified_directory_is_published_and_cacheable(
    pinned: Registry, escrow_world: World
) -> None:
    data = escrow_world.directory.to_bytes()
    assert pinned.client.get("/epoch-keys").status_code == 404
    r = pinned.client.put("/epoch-keys", content=data, headers=CBOR)
    assert r.status_code == 201, r.text
    got = pinned.client.get("/epoch-keys")
    assert got.content == data
    assert got.headers["content-type"] == "application/cbor"
    assert (
        pinned.client.get("/epoch-keys", headers={"If-None-Match": got.headers["etag"]}).status_code
        == 304
    )
    again = pinned.client.put("/epoch-keys", content=data, headers=CBOR)
    assert (again.status_code, again.json()["code"]) == (409, "stalePublication")


def test_a_directory_of_other_custodians_is_never_published(
    reg: Registry, escrow_world: World, tmp_path: Path
) -> None:
    # No pinned custodians: nothing can be verified, so nothing is published.
    r = reg.client.put("/epoch-keys", content=escrow_world.directory.to_bytes(), headers=CBOR)
    assert (r.status_code, r.json()["code"]) == (422, "invalidPublication")
    other = make_registry(
        tmp_path / "other", custodians=("did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH",)
    )
    r = other.client.put("/epoch-keys", content=escrow_world.directory.to_bytes(), headers=CBOR)
    assert r.status_code == 422
    assert other.client.get("/epoch-keys").status_code == 404
    other.store.close()


def test_audit_log_heads_and_absence_proofs(pinned: Registry, escrow_world: World) -> None:
    log = AuditLog()
    warrant = approved_warrant(escrow_world)
    for store in escrow_world.stores[:K]:
        log.record_approval(warrant, store.key, store.did, now=NOW)
    head = log.sign_head(escrow_world.stores[0].key, escrow_world.stores[0].did, now=NOW)
    assert pinned.client.put("/audit-log", content=log.to_bytes(), headers=CBOR).status_code == 201
    served = pinned.client.get("/audit-log/head").json()
    assert served["size"] == 3
    assert SignedTreeHead.from_bytes(b64url_decode(served["head"])) == head
    record = bytes(range(32))
    proof = pinned.client.get(f"/audit-log/proofs/{record.hex()}").json()
    assert proof["unsealed"] is False
    UnsealedProof(record, False, ()).verify(head)  # nothing unsealed: the empty proof holds
    # A log that drops an entry does not extend the published one.
    shorter = AuditLog()
    shorter.record_approval(
        warrant, escrow_world.stores[1].key, escrow_world.stores[1].did, now=NOW
    )
    shorter.sign_head(escrow_world.stores[1].key, escrow_world.stores[1].did, now=NOW)
    r = pinned.client.put("/audit-log", content=shorter.to_bytes(), headers=CBOR)
    assert (r.status_code, r.json()["code"]) == (409, "stalePublication")
    bad = bytearray(log.to_bytes())
    bad[-5] ^= 1
    assert pinned.client.put("/audit-log", content=bytes(bad), headers=CBOR).status_code in (
        400,
        422,
    )


def _notice(op: Operator, **changes: object) -> dict[str, object]:
    message = {"ko": "검사를 받으세요", "en": "Please get tested"}
    body: dict[str, object] = {
        "venue": op.did,
        "window_start": T0 - 7200,
        "window_end": T0 - 3600,
        "risk": "high",
        "message": message,
    }
    return {**body, **changes}


def test_notices_cursor_correction_and_withdrawal(reg: Registry, venue: Operator) -> None:
    assert reg.client.post("/notices", json=_notice(venue)).status_code == 401
    first = reg.client.post("/notices", json=_notice(venue), headers=reg.admin).json()
    notice = ExposureNotice.verify(b64url_decode(first["notice"]), reg.key.public_key, now=T0)
    assert notice.venue == venue.did
    feed = reg.client.get("/notices").json()
    assert [e["event"] for e in feed["events"]] == ["published"]
    cursor = feed["next"]
    assert reg.client.get(f"/notices?since={cursor}").json()["events"] == []
    corrected = reg.client.post(f"/notices/{first['number']}/correction",
                                json=_notice(venue, risk="low"), headers=reg.admin)  # fmt: skip
    assert corrected.status_code == 201
    assert corrected.json()["replaces"] == first["number"]
    new = reg.client.get(f"/notices?since={cursor}").json()["events"]
    assert [e["event"] for e in new] == ["published", "corrected"]
    again = reg.client.post(f"/notices/{first['number']}/withdrawal", headers=reg.admin)
    assert (again.status_code, again.json()["code"]) == (409, "noticeClosed")
    status = reg.client.get("/status/notices")
    assert status.status_code == 200
    assert "encodedList" in status.text
    bad = reg.client.post("/notices", json=_notice(venue, window_end=T0 - 9000), headers=reg.admin)
    assert bad.status_code == 422


def test_trust_list_is_signed_by_the_registry(reg: Registry) -> None:
    assert reg.client.get("/trust/issuers").status_code == 404
    issuers = {
        "issuers": [{"id": "did:web:pass.example.kr", "types": ["VerifiedPersonCredential"]}]
    }
    assert reg.client.put("/trust/issuers", json=issuers).status_code == 401
    assert reg.client.put("/trust/issuers", json=issuers, headers=reg.admin).status_code == 201
    published = reg.client.get("/trust/issuers").json()
    assert published["credentialSubject"]["issuers"] == issuers["issuers"]
    verified = reg.client.post("/credentials/verify", json={"verifiableCredential": published})
    assert verified.json()["verified"] is True
