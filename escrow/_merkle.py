"""Merkle tree hashing, inclusion and consistency proofs (RFC 9162 section 2.1, SHA-256).

Leaves hash as SHA-256(0x00 ‖ data) and nodes as SHA-256(0x01 ‖ left ‖ right); the tree of
n leaves splits at the largest power of two smaller than n (section 2.1.1). The empty tree's
hash is SHA-256 of the empty string.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from escrow.errors import AuditLogBadProof

__all__ = [
    "EMPTY_ROOT",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "root_from_leaves",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 ‖ data) (RFC 9162 section 2.1.1)."""
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root_from_leaves(leaves: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves (RFC 9162 section 2.1.1)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = _split(n)
    return _node(root_from_leaves(leaves[:k]), root_from_leaves(leaves[k:]))


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) (RFC 9162 section 2.1.3.1).

    Raises:
        AuditLogBadProof: if ``index`` is out of range.
    """
    n = len(leaves)
    if not 0 <= index < n:
        raise AuditLogBadProof("leaf index out of range")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_proof(index, leaves[:k]), root_from_leaves(leaves[k:])]
    return [*inclusion_proof(index - k, leaves[k:]), root_from_leaves(leaves[:k])]


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof (RFC 9162 section 2.1.3.2).

    Raises:
        AuditLogBadProof: if the proof does not lead to ``root``.
    """
    if not 0 <= index < size:
        raise AuditLogBadProof("leaf index out of range")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise AuditLogBadProof("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise AuditLogBadProof("inclusion proof does not match the root")


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root_from_leaves(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), root_from_leaves(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root_from_leaves(leaves[:k])]


def consistency_proof(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(first, D[n]) (RFC 9162 section 2.1.4.1), for 0 < first ≤ n."""
    if not 0 < first <= len(leaves):
        raise AuditLogBadProof("consistency proof sizes out of range")
    return _subproof(first, leaves, True)


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of size ``second`` extends the one of size ``first`` (section 2.1.4.2).

    Raises:
        AuditLogBadProof: if it does not (entries removed, reordered or altered).
    """
    if not 0 < first <= second:
        raise AuditLogBadProof("consistency proof sizes out of range")
    if first == second:
        if proof or first_root != second_root:
            raise AuditLogBadProof("equal sizes need equal roots")
        return
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    if not path:
        raise AuditLogBadProof("empty consistency proof")
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise AuditLogBadProof("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = _node(c, fr)
            sr = _node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = _node(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise AuditLogBadProof("the larger tree does not extend the smaller one")
