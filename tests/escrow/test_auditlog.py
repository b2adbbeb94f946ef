"""Audit log: every kind of tampering is detected; (non-)unsealing proofs (DESIGN.md)."""

from __future__ import annotations

import dataclasses

import pytest

from did import Ed25519PrivateKey
from escrow import AuditLog, UnsealedProof, UnsealRequest, answer_warrant, seal
from escrow._merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)
from escrow.errors import AuditLogError
from tests.escrow.support import FIRST_EPOCH, NOW, approved_warrant, visit, world


@pytest.fixture(scope="module")
def built() -> tuple[AuditLog, list[bytes]]:
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    envs = [seal(key, visit(i), b"p", pad_to=64) for i in range(6)]
    log = AuditLog()
    for n in range(2):
        warrant = approved_warrant(w)
        for s in w.stores[:3]:
            log.record_approval(warrant, s.key, s.did, now=NOW + n)
        items = tuple((e, visit(i)) for i, e in enumerate(envs) if i % 2 == n)
        request = UnsealRequest(warrant.warrant_id, items)
        for s in w.stores[:3]:
            batch = answer_warrant(warrant, request, store=s, directory=w.directory, now=NOW)
            log.record_batch(batch, s.key, s.did, now=NOW + n)
        log.sign_head(w.stores[0].key, w.stores[0].did, now=NOW + n)
    return log, [bytes.fromhex(e.envelope_id) for e in envs]


def _custodians() -> tuple[str, ...]:
    return world().directory.custodians


def _copy(log: AuditLog) -> AuditLog:
    return AuditLog.from_bytes(log.to_bytes())


def test_untouched_log_verifies(built: tuple[AuditLog, list[bytes]]) -> None:
    log, _ = built
    _copy(log).verify(_custodians())
    assert len(log.entries) == 12
    assert len(log.heads) == 2


@pytest.mark.parametrize("index", [0, 3, 5, 11])
def test_removed_entry_is_detected(built: tuple[AuditLog, list[bytes]], index: int) -> None:
    log = _copy(built[0])
    del log.entries[index]
    with pytest.raises(AuditLogError):
        log.verify(_custodians())


@pytest.mark.parametrize(("a", "b"), [(0, 1), (4, 9), (10, 11)])
def test_reordered_entries_are_detected(
    built: tuple[AuditLog, list[bytes]], a: int, b: int
) -> None:
    log = _copy(built[0])
    log.entries[a], log.entries[b] = log.entries[b], log.entries[a]
    with pytest.raises(AuditLogError) as info:
        log.verify(_custodians())
    assert info.value.code == "auditLogOrder"


@pytest.mark.parametrize("index", [0, 6, 11])
def test_altered_entry_is_detected(built: tuple[AuditLog, list[bytes]], index: int) -> None:
    log = _copy(built[0])
    e = log.entries[index]
    altered = e.body[:-1] + bytes([e.body[-1] ^ 1])  # one bit of the payload digest
    assert altered != e.body
    log.entries[index] = dataclasses.replace(e, body=altered)
    with pytest.raises(AuditLogError) as info:
        log.verify(_custodians())
    assert info.value.code == "auditLogSignature"


def test_resigned_entry_by_outsider_and_truncated_tail_are_detected(
    built: tuple[AuditLog, list[bytes]],
) -> None:
    log = _copy(built[0])
    outsider = Ed25519PrivateKey.generate()
    e = log.entries[2]
    log.entries[2] = dataclasses.replace(e, sig=outsider.sign(b"x" * 10))
    with pytest.raises(AuditLogError):
        log.verify(_custodians())
    # Dropping the last entry keeps the chain intact, but the signed head covers it.
    log = _copy(built[0])
    log.entries.pop()
    with pytest.raises(AuditLogError) as info:
        log.verify(_custodians())
    assert info.value.code == "auditLogRoot"
    # A head re-signed over other data does not verify either.
    log = _copy(built[0])
    h = log.heads[0]
    log.heads[0] = dataclasses.replace(h, root=b"\x00" * 32)
    with pytest.raises(AuditLogError):
        log.verify(_custodians())


def test_unsealed_and_not_unsealed_proofs(built: tuple[AuditLog, list[bytes]]) -> None:
    log, ids = built
    head = log.heads[-1]
    for rid in ids:
        proof = log.prove_unsealed(rid, head)
        assert proof.unsealed
        proof.verify(head)
    for rid in [b"\x00" * 32, b"\xff" * 32, bytes.fromhex("80" * 32)]:
        proof = log.prove_unsealed(rid, head)
        assert not proof.unsealed
        proof.verify(head)
    # After the first head only the even records were unsealed.
    first = log.heads[0]
    odd = log.prove_unsealed(ids[1], first)
    assert not odd.unsealed
    odd.verify(first)
    # A lie is caught: claiming "not unsealed" with a bracket that skips the record.
    real = log.prove_unsealed(ids[0], head)
    lie = UnsealedProof(ids[0], False, real.neighbours)
    with pytest.raises(AuditLogError):
        lie.verify(head)
    wrong = UnsealedProof(ids[1], True, real.neighbours)
    with pytest.raises(AuditLogError):
        wrong.verify(head)


def test_merkle_inclusion_and_consistency_all_sizes() -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(13)]
    for n in range(1, 14):
        root = root_from_leaves(leaves[:n])
        for i in range(n):
            verify_inclusion(leaves[i], i, n, inclusion_proof(i, leaves[:n]), root)
        with pytest.raises(AuditLogError):
            verify_inclusion(leaves[0], 0, n, [*inclusion_proof(0, leaves[:n]), root], root)
        for m in range(1, n + 1):
            proof = consistency_proof(m, leaves[:n])
            verify_consistency(m, n, root_from_leaves(leaves[:m]), root, proof)
            if m < n:
                altered = [leaf_hash(b"x"), *leaves[1:m]]
                with pytest.raises(AuditLogError):
                    verify_consistency(m, n, root_from_leaves(altered), root, proof)
