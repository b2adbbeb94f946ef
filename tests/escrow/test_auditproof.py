"""Per-record audit proofs: a record's proof names the case it was unsealed under, checked
against the signed tree head; every swap, truncation or foreign signature is refused
(DESIGN.md "Investigation" step 7, "Audit log")."""

from __future__ import annotations

import dataclasses

import pytest

from did import Ed25519PrivateKey, did_from_public_key
from did.errors import DecodeError
from escrow import (
    AuditLog,
    CaseOpening,
    EntryProof,
    RecordAuditProof,
    SignedTreeHead,
    UnsealedCase,
    UnsealRequest,
    Warrant,
    WarrantScope,
    answer_warrant,
    seal,
)
from escrow.errors import AuditLogBadProof, AuditLogBadSignature, AuditLogError
from tests.escrow.support import DAY, FIRST_EPOCH, NOW, K, World, visit, world

CASES = ("JEJU-2024-0077", "JEJU-2024-0078")


def _warrant(w: World, case_id: str, records: frozenset[bytes]) -> Warrant:
    warrant = Warrant.create(
        case_id=case_id, purpose="contact tracing", investigator="did:key:z6MkInvestigator",
        scope=WarrantScope(records=records), issued=NOW - 60, expires=NOW + DAY,
    )  # fmt: skip
    for store in w.stores[:K]:
        warrant = warrant.approve(store.key, store.did, now=NOW)
    return warrant


@pytest.fixture(scope="module")
def built() -> tuple[AuditLog, SignedTreeHead, list[bytes]]:
    """Six records; case 0's warrant opens records 0-2, case 1's records 2-3 (record 2
    under both), records 4 and 5 are never opened. Custodians 0-2 approve and answer
    each; custodian 3 answers case 1 too."""
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    envs = [seal(key, visit(i), b"p", pad_to=64) for i in range(6)]
    ids = [bytes.fromhex(e.envelope_id) for e in envs]
    log = AuditLog()
    for n, chosen in enumerate(((0, 1, 2), (2, 3))):
        warrant = _warrant(w, CASES[n], frozenset(ids[i] for i in chosen))
        for s in w.stores[:K]:
            log.record_approval(warrant, s.key, s.did, now=NOW + n)
        request = UnsealRequest(warrant.warrant_id, tuple((envs[i], visit(i)) for i in chosen))
        for s in w.stores[: K + n]:
            batch = answer_warrant(warrant, request, store=s, directory=w.directory, now=NOW)
            log.record_batch(batch, s.key, s.did, now=NOW + 10 + n)
    head = log.sign_head(w.stores[0].key, w.stores[0].did, now=NOW + 20)
    return log, head, ids


def _custodians() -> tuple[str, ...]:
    return world().directory.custodians


def test_each_unsealed_record_names_its_cases_and_the_others_none(
    built: tuple[AuditLog, SignedTreeHead, list[bytes]],
) -> None:
    log, head, ids = built
    dids = _custodians()
    got = {}
    for i, rid in enumerate(ids):
        proof = RecordAuditProof.from_bytes(log.prove_record(rid, head).to_bytes())
        got[i] = proof.verify(head, dids)
    assert [c.case_id for c in got[0]] == [CASES[0]]
    assert [c.case_id for c in got[2]] == list(CASES)
    assert [c.case_id for c in got[3]] == [CASES[1]]
    assert got[4] == got[5] == ()
    first = got[1][0]
    assert first == UnsealedCase(CASES[0], log.entries[0].warrant_id, dids[:K], dids[:K], NOW + 10)
    assert got[3][0].shares_from == dids[: K + 1]


def test_the_published_log_names_no_case_and_cannot_prove_one(
    built: tuple[AuditLog, SignedTreeHead, list[bytes]],
) -> None:
    log, head, ids = built
    public = log.to_bytes(openings=False)
    assert not any(c.encode() in public for c in CASES)
    copy = AuditLog.from_bytes(public)
    copy.verify(_custodians())  # anyone can still verify the log
    with pytest.raises(AuditLogBadProof):
        copy.verify(_custodians(), openings=True)  # the registry wants the custodians' copy
    with pytest.raises(AuditLogBadProof):
        copy.prove_record(ids[0], head)
    assert copy.prove_record(ids[4], head).verify(head, _custodians()) == ()
    full = AuditLog.from_bytes(log.to_bytes())
    full.verify(_custodians(), openings=True)
    assert full.openings == log.openings


def test_a_share_batch_without_a_logged_approval_is_refused_in_the_custodians_copy() -> None:
    w = world()
    env = seal(w.directory.get_key(FIRST_EPOCH), visit(9), b"p", pad_to=64)
    warrant = _warrant(w, "CASE-9", frozenset({bytes.fromhex(env.envelope_id)}))
    log = AuditLog()
    request = UnsealRequest(warrant.warrant_id, ((env, visit(9)),))
    batch = answer_warrant(warrant, request, store=w.stores[0], directory=w.directory, now=NOW)
    log.record_batch(batch, w.stores[0].key, w.stores[0].did, now=NOW)
    log.verify(_custodians())
    with pytest.raises(AuditLogBadProof, match="approval"):
        log.verify(_custodians(), openings=True)


def test_proof_for_another_record_is_refused(
    built: tuple[AuditLog, SignedTreeHead, list[bytes]],
) -> None:
    log, head, ids = built
    proof = log.prove_record(ids[0], head)
    moved = dataclasses.replace(proof, record_id=ids[4])
    with pytest.raises(AuditLogBadProof, match="another record"):
        moved.verify(head, _custodians())
    # The whole proof re-labelled, unsealed-tree proof included: the inclusion fails.
    relabelled = dataclasses.replace(
        moved, unsealed=dataclasses.replace(proof.unsealed, record_id=ids[4])
    )
    with pytest.raises(AuditLogBadProof):
        relabelled.verify(head, _custodians())
    # Record 1's share batches, shown for record 4 (never opened): they do not name it.
    absent = log.prove_record(ids[4], head)
    claimed = dataclasses.replace(absent, cases=proof.cases)
    with pytest.raises(AuditLogBadProof):
        claimed.verify(head, _custodians())


def test_an_entry_naming_another_case_swapped_in_is_refused(
    built: tuple[AuditLog, SignedTreeHead, list[bytes]],
) -> None:
    log, head, ids = built
    only0, only3 = log.prove_record(ids[0], head).cases[0], log.prove_record(ids[3], head).cases[0]
    # The other case's opening (another warrant): its approvals are not this warrant's.
    with pytest.raises(AuditLogBadProof, match="another warrant"):
        dataclasses.replace(only0, opening=only3.opening).verify(ids[0], head, _custodians())
    # The same warrant, but an opening that claims another case id.
    lie = CaseOpening(only0.opening.warrant_id, CASES[1], only0.opening.nonce)
    with pytest.raises(AuditLogBadProof, match="another case"):
        dataclasses.replace(only0, opening=lie).verify(ids[0], head, _custodians())
    # Another warrant's approval entry (genuine, in the tree) swapped in.
    mixed = (*only0.approvals[:-1], only3.approvals[-1])
    with pytest.raises(AuditLogBadProof, match="another warrant"):
        dataclasses.replace(only0, approvals=mixed).verify(ids[0], head, _custodians())
    # Another warrant's share batch (which does not name record 0) swapped in.
    with pytest.raises(AuditLogBadProof):
        dataclasses.replace(only0, shares=only3.shares[:1]).verify(ids[0], head, _custodians())


def test_a_head_signed_by_a_non_pinned_key_is_refused(
    built: tuple[AuditLog, SignedTreeHead, list[bytes]],
) -> None:
    log, head, ids = built
    rogue = Ed25519PrivateKey.generate()
    forged = AuditLog.from_bytes(log.to_bytes()).sign_head(
        rogue, did_from_public_key(rogue.public_key), now=NOW + 30
    )
    proof = log.prove_record(ids[0], head)
    with pytest.raises(AuditLogBadSignature):
        proof.verify(forged, _custodians())
    # A rogue log of its own: entries signed by the rogue are refused too.
    own = AuditLog()
    w = world()
    warrant = _warrant(w, "ROGUE-1", frozenset({ids[0]}))
    own.record_approval(warrant, rogue, did_from_public_key(rogue.public_key), now=NOW)
    rogue_head = own.sign_head(w.stores[0].key, w.stores[0].did, now=NOW)
    case = dataclasses.replace(proof.cases[0], approvals=(EntryProof(0, own.entries[0], ()),))
    with pytest.raises(AuditLogError):
        case.verify(ids[0], rogue_head, _custodians())


def test_a_truncated_proof_is_refused(
    built: tuple[AuditLog, SignedTreeHead, list[bytes]],
) -> None:
    log, head, ids = built
    proof = log.prove_record(ids[2], head)
    case = proof.cases[0]
    short = dataclasses.replace(case.shares[0], path=case.shares[0].path[:-1])
    with pytest.raises(AuditLogBadProof):
        dataclasses.replace(case, shares=(short,)).verify(ids[2], head, _custodians())
    with pytest.raises(AuditLogBadProof):  # no share batch at all
        dataclasses.replace(case, shares=()).verify(ids[2], head, _custodians())
    with pytest.raises(AuditLogBadProof):  # no approval at all
        dataclasses.replace(case, approvals=()).verify(ids[2], head, _custodians())
    with pytest.raises(AuditLogBadProof):  # the cases dropped from an inclusion
        dataclasses.replace(proof, cases=()).verify(head, _custodians())
    with pytest.raises(AuditLogBadProof):  # one case named twice
        dataclasses.replace(proof, cases=(case, case)).verify(head, _custodians())
    nb = proof.unsealed.neighbours[0]
    cut = dataclasses.replace(proof.unsealed, neighbours=((nb[0], nb[1], nb[2][:-1]),))
    with pytest.raises(AuditLogBadProof):
        dataclasses.replace(proof, unsealed=cut).verify(head, _custodians())
    data = proof.to_bytes()
    for n in (1, len(data) // 2, len(data) - 1):
        with pytest.raises(DecodeError):
            RecordAuditProof.from_bytes(data[:n])


def test_an_entry_moved_to_another_index_is_refused(
    built: tuple[AuditLog, SignedTreeHead, list[bytes]],
) -> None:
    log, head, ids = built
    case = log.prove_record(ids[0], head).cases[0]
    a = case.approvals[0]
    moved = EntryProof(a.index + 1, a.entry, tuple(log.inclusion_proof(a.index + 1, head.size)))
    with pytest.raises(AuditLogBadProof, match="sequence"):
        moved.verify(head, _custodians())


def test_a_head_of_another_size_is_not_this_logs() -> None:
    log = AuditLog()
    w = world()
    other = AuditLog()
    other.record_approval(_warrant(w, "C-1", frozenset({b"\x01" * 32})), w.stores[0].key,
                          w.stores[0].did, now=NOW)  # fmt: skip
    head = other.sign_head(w.stores[0].key, w.stores[0].did, now=NOW)
    with pytest.raises(AuditLogBadProof):
        log.prove_record(b"\x02" * 32, head)
