"""Audit-log inclusion and absence proofs by record id over HTTP, with a real share batch
(DESIGN.md "Investigation" step 7: a wallet checks, per visit in its diary, whether that
record was unsealed): a venue uploads records whose envelopes are sealed to the escrow
world's epoch key, an investigator fetches them for a warrant naming two record ids, k
custodians approve it and answer with their decryption shares, each step goes into an
AuditLog whose signed head the registry publishes; then the proof the registry serves for
each record verifies against that head, saying unsealed for the two and not for the
others, and a proof moved to another record does not verify. The one answer also names the
case (checked as a wallet checks it), while the log everyone downloads names cases only
by commitment, and a log without its case openings is not published."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import registry
from did import Ed25519PrivateKey, b64url_decode, did_from_public_key
from escrow import (
    AuditLog,
    Envelope,
    RecordAuditProof,
    SignedTreeHead,
    UnsealedProof,
    UnsealRequest,
    VisitLabel,
    Warrant,
    WarrantScope,
    answer_warrant,
    seal,
)
from escrow.errors import AuditLogError
from protocol import ENVELOPE_PAD_TO, Channel, HealthDeclaration, SealedVisit
from tests.escrow.support import DAY, FIRST_EPOCH, NOW, K, World
from tests.registry.service.support import Clock, Operator, Registry, make_registry
from wallet import read_audit_answer

CBOR = {"Content-Type": "application/cbor"}
CASE = "JEJU-2024-0077"


@pytest.fixture
def pinned(
    tmp_path: Path, escrow_world: World, store_url: str, open_url: Callable[..., registry.Store]
) -> Registry:
    """A registry pinned to the escrow world's custodians, its clock on the world's first
    epoch, once per engine."""
    custodians = tuple(s.did for s in escrow_world.stores)
    return make_registry(
        tmp_path, store=open_url(store_url), custodians=custodians, threshold=K,
        clock=Clock(NOW),
    )  # fmt: skip


def _sealed_records(world: World, op: Operator, n: int) -> list[bytes]:
    # What a venue uploads for n wallet check-ins: each envelope sealed to the day's epoch
    # key under the label custodians recompute from the record (venue, day, pseudonym,
    # time in); the plaintext does not matter to the log.
    key = world.directory.get_key(FIRST_EPOCH)
    out = []
    for i in range(n):
        time_in = FIRST_EPOCH * DAY + 9 * 3600 + i * 600
        pseudonym = did_from_public_key(Ed25519PrivateKey.generate().public_key)
        label = VisitLabel(op.did, FIRST_EPOCH, pseudonym, time_in)
        envelope = seal(key, label, os.urandom(32), pad_to=ENVELOPE_PAD_TO).to_bytes()
        visit = SealedVisit(
            visit_id=os.urandom(16), venue=op.did, day=FIRST_EPOCH, time_in=time_in,
            time_out=time_in + 3600, pseudonym=pseudonym, locator=os.urandom(16),
            channel=Channel.QR_STATIC, declaration=HealthDeclaration(False, False),
            envelope=envelope, receipt_hash=os.urandom(32),
        )  # fmt: skip
        out.append(visit.sign(op.key))
    return out


def _proof(reg: Registry, record_id: str) -> tuple[UnsealedProof, SignedTreeHead, bool]:
    r = reg.client.get(f"/audit-log/proofs/{record_id}")
    assert r.status_code == 200, r.text
    body = r.json()
    proof = UnsealedProof(
        bytes.fromhex(body["record_id"]),
        body["unsealed"],
        tuple(
            (n["index"], bytes.fromhex(n["record_id"]), tuple(bytes.fromhex(p) for p in n["path"]))
            for n in body["neighbours"]
        ),
    )
    head = SignedTreeHead.from_bytes(b64url_decode(body["tree_head"]["head"]))
    return proof, head, body["unsealed"]


def test_a_share_batch_makes_inclusion_proofs_and_the_rest_absence_proofs(
    pinned: Registry, escrow_world: World
) -> None:
    reg, world = pinned, escrow_world
    op = reg.register()
    batch = op.batch(_sealed_records(world, op, 5), NOW)
    assert reg.client.post("/uploads/visits", content=batch, headers=CBOR).status_code == 200
    # The investigator finds the records and fetches two of them, signed, for a warrant.
    investigator, headers = reg.investigator()
    found = reg.client.post(
        "/queries/contacts",
        json={"case_id": CASE, "venue": op.did, "start": FIRST_EPOCH * DAY + 9 * 3600,
              "end": FIRST_EPOCH * DAY + 10 * 3600, "min_overlap": 0},
        headers=headers,
    ).json()  # fmt: skip
    assert found["count"] == 5
    wanted = [m["visit_id"] for m in found["matches"][:2]]
    records = reg.client.post(
        "/queries/records",
        json={"case_id": CASE, "visit_ids": wanted, "first_day": FIRST_EPOCH,
              "last_day": FIRST_EPOCH},
        headers=headers,
    ).json()["matches"]  # fmt: skip
    items = []
    for m in records:
        _, visit = SealedVisit.parse_unverified(b64url_decode(m["record"]))
        label = VisitLabel(visit.venue, visit.day, visit.pseudonym, visit.time_in)
        items.append((Envelope.from_bytes(visit.envelope), label))
    opened = sorted(bytes.fromhex(e.envelope_id) for e, _ in items)
    # k custodians approve a warrant naming exactly those record ids and answer it; every
    # approval and share batch is logged, and one custodian signs the head.
    warrant = Warrant.create(
        case_id=CASE, purpose="contact tracing",
        investigator=did_from_public_key(investigator.public_key),
        scope=WarrantScope(records=frozenset(opened)), issued=NOW - 60, expires=NOW + DAY,
    )  # fmt: skip
    log = AuditLog()
    for store in world.stores[:K]:
        warrant = warrant.approve(store.key, store.did, now=NOW)
    for store in world.stores[:K]:
        log.record_approval(warrant, store.key, store.did, now=NOW)
    request = UnsealRequest(warrant.warrant_id, tuple(items))
    for store in world.stores[:K]:
        shares = answer_warrant(warrant, request, store=store, directory=world.directory, now=NOW)
        assert len(shares.shares) == 2
        log.record_batch(shares, store.key, store.did, now=NOW)
    head = log.sign_head(world.stores[0].key, world.stores[0].did, now=NOW)
    # Without the custodians' case openings the log is refused: no proof could name a case.
    bare = reg.client.put("/audit-log", content=log.to_bytes(openings=False), headers=CBOR)
    assert bare.status_code == 422
    assert bare.json()["type"] == "urn:anshim:error:invalidPublication"
    assert reg.client.put("/audit-log", content=log.to_bytes(), headers=CBOR).status_code == 201
    # Everyone's copy names no case id, and verifies.
    public = reg.client.get("/audit-log").content
    assert CASE.encode() not in public
    AuditLog.from_bytes(public).verify(tuple(s.did for s in world.stores))
    served = reg.client.get("/audit-log/head").json()
    assert SignedTreeHead.from_bytes(b64url_decode(served["head"])) == head
    # Every record of the venue: the two opened are proven included, the others absent,
    # each proof checked against the published head.
    every = [m["visit_id"] for m in found["matches"]]
    all_records = reg.client.post(
        "/queries/records",
        json={"case_id": CASE, "visit_ids": every, "first_day": FIRST_EPOCH,
              "last_day": FIRST_EPOCH},
        headers=headers,
    ).json()["matches"]  # fmt: skip
    verdicts = {}
    for m in all_records:
        _, visit = SealedVisit.parse_unverified(b64url_decode(m["record"]))
        proof, served_head, unsealed = _proof(reg, visit.envelope_id)
        assert served_head == head
        proof.verify(head)
        verdicts[bytes.fromhex(visit.envelope_id)] = unsealed
    assert sorted(r for r, u in verdicts.items() if u) == opened
    assert sum(not u for u in verdicts.values()) == 3
    # The one answer also names the case: its proof, read and checked as a wallet does.
    custodians = tuple(s.did for s in world.stores)
    for rid, unsealed in verdicts.items():
        answer = reg.client.get(f"/audit-log/proofs/{rid.hex()}")
        head_bytes, proof_bytes = read_audit_answer(answer.content)
        cases = RecordAuditProof.from_bytes(proof_bytes).verify(
            SignedTreeHead.from_bytes(head_bytes), custodians
        )
        assert [c.case_id for c in cases] == ([CASE] if unsealed else [])
        named = answer.json()["cases"]
        assert [c["case_id"] for c in named] == ([CASE] if unsealed else [])
        if unsealed:
            assert named[0]["warrant_id"] == warrant.warrant_id.hex()
            assert named[0]["approved_by"] == named[0]["shares_from"] == list(custodians[:K])
    # A proof does not carry over: an inclusion proof claimed for another record, or an
    # absence proof claimed for an opened one, fails against the head.
    included, _, _ = _proof(reg, opened[0].hex())
    absent_id = next(r for r, u in verdicts.items() if not u)
    with pytest.raises(AuditLogError):
        UnsealedProof(absent_id, True, included.neighbours).verify(head)
    absent, _, _ = _proof(reg, absent_id.hex())
    with pytest.raises(AuditLogError):
        UnsealedProof(opened[0], False, absent.neighbours).verify(head)
