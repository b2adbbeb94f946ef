"""The optimistic combiner (DESIGN.md "Combining, optimistically").

For one record the combiner takes any k shares, combines r·Y = Σ_{i∈S} (μ_i^S / f_i)·D_i
(μ the Lagrange coefficients of the set S, f_i the share's fold, :mod:`escrow._shares`)
and decrypts. The AEAD tag confirms the result (for identities, the issuer's signature
inside does too; the caller checks it), so on this common path no DLEQ proof is checked.
When the request named a quorum and all of its shares are there, S is that quorum and
every weight μ_i/f_i is 1: the combiner only adds points. Otherwise S is the k lowest
indices present and each share costs one scalar multiplication.

Only when decryption fails is every proof checked: each bad custodian is named and
excluded, and the record is combined again from k good shares (the quorum if all of its
shares are good). If that fails too, the shares are proven good, so the envelope or its
label is wrong (:class:`~escrow.errors.DecryptionFailed`). Lagrange weights depend only on
the set of custodians and the folds only on the request's quorum, so a :class:`Plan` holds
them once per batch; statement keys W_i = f_i·Y_i (for the proofs) once per epoch.

Why the fast path returns only what the checked path returns. A candidate key is derived
from the combined point; XChaCha20-Poly1305 opens an honestly sealed ciphertext under any
other key with probability about 2^-100 (Poly1305's forgery bound for these lengths), so
when the AEAD accepts, the point is r·Y and the plaintext is the one the good shares give.
Two bad shares that cancel out also give r·Y: the plaintext is then still the true one (the
checked path would name them; the fast path does not look). The one case the tag cannot
settle is a sealer colluding with a custodian against a non-committing AEAD: a sealer who
knows r can craft a ciphertext that opens under two chosen keys. That needs a dishonest
wallet and a dishonest custodian, yields plaintexts the wallet chose anyway, must still pass
the padding check and the caller's issuer-signature check, and the custodian's bad proof
stays in its signed batch and the audit log; ``check_every_proof=True`` (what an auditor
runs) excludes it. tests/escrow/test_optimistic.py holds the fast and checked paths equal
over random mixes of good, forged, replayed and malformed shares.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import nacl.bindings as _nb
import nacl.exceptions

from escrow._envelope import Envelope, open_with_point
from escrow._epochkeys import EpochKey
from escrow._group import Point, Scalar, lagrange_coefficient
from escrow._labels import Label
from escrow._shares import (
    DecryptionShare,
    check_quorum,
    check_share,
    share_context,
    statement_key,
)
from escrow.errors import BadShare, DecryptionFailed, InvalidScalar, NotEnoughShares

__all__ = ["OpenResult", "Plan", "combine", "open_checked", "open_fast", "open_record"]

_ONE = Scalar.from_int(1)


@dataclass(frozen=True, slots=True)
class OpenResult:
    """A decrypted envelope: its plaintext, the custodians combined, and those excluded.

    ``bad`` is empty when the fast path opened the record: its proofs were not checked.
    """

    plaintext: bytes
    used: tuple[int, ...]
    bad: tuple[BadShare, ...]

    def __repr__(self) -> str:
        size = len(self.plaintext)
        return f"OpenResult(plaintext=<{size} bytes>, used={self.used}, bad={self.bad!r})"


class Plan:
    """What a batch computes once: folds, Lagrange weights per custodian set, statement keys.

    ``quorum`` is the request's (empty: every share is plain).

    Raises:
        InvalidQuorum: if ``quorum`` is malformed.
    """

    __slots__ = ("_keys", "_weights", "folds", "quorum")

    def __init__(self, quorum: Sequence[int] = ()) -> None:
        self.quorum = check_quorum(quorum)
        self.folds: dict[int, Scalar] = {
            i: lagrange_coefficient(i, self.quorum) for i in self.quorum
        }
        self._weights: dict[tuple[int, ...], tuple[Scalar | None, ...]] = {}
        self._keys: dict[tuple[int, int], bytes] = {}

    def weights(self, subset: tuple[int, ...]) -> tuple[Scalar | None, ...]:
        """μ_i^S / f_i for each i of ``subset``; ``None`` where that weight is 1 (no multiply).

        Over the quorum itself every weight is λ_i / λ_i = 1: the shares just add up.
        """
        got = self._weights.get(subset)
        if got is None:
            out: list[Scalar | None] = []
            for i in subset:
                if subset == self.quorum:
                    out.append(None)
                    continue
                w = lagrange_coefficient(i, subset)
                fold = self.folds.get(i)
                if fold is not None:
                    w = w * fold.invert()
                out.append(None if hmac.compare_digest(w.to_bytes(), _ONE.to_bytes()) else w)
            got = self._weights[subset] = tuple(out)
        return got

    def statement_key(self, epoch_key: EpochKey, index: int) -> bytes:
        """W_i = f_i·Y_i for the proofs of custodian ``index`` in this epoch (cached)."""
        slot = (epoch_key.epoch, index)
        got = self._keys.get(slot)
        if got is None:
            got = self._keys[slot] = statement_key(epoch_key, index, self.folds.get(index))
        return got

    def tag(self, index: int) -> bytes:
        """The quorum tag Q of custodian ``index``'s shares (empty for plain shares)."""
        return bytes(self.quorum) if index in self.folds else b""


def _add(a: bytes, b: bytes) -> bytes:
    # Point addition of unchecked encodings: libsodium refuses anything off the curve.
    try:
        return bytes(_nb.crypto_core_ed25519_add(a, b))
    except (nacl.exceptions.RuntimeError, nacl.exceptions.CryptoError) as exc:
        raise DecryptionFailed("a share is not a curve point") from exc


def _combined_point(
    shares: Mapping[int, DecryptionShare], subset: tuple[int, ...], plan: Plan
) -> Point:
    acc: bytes | None = None
    for i, weight in zip(subset, plan.weights(subset), strict=True):
        if weight is None:
            term = shares[i].D.to_bytes()
        else:
            try:
                term = shares[i].D.mul(weight).to_bytes()
            except InvalidScalar as exc:  # libsodium refused D: not a prime-order point
                raise DecryptionFailed("a share is not a prime-order point") from exc
        acc = term if acc is None else _add(acc, term)
    if acc is None:  # k ≥ 1 is guaranteed by EpochKey; kept for the type checker
        raise NotEnoughShares("no shares")
    return Point(acc)


def _pick(available: Sequence[int], k: int, plan: Plan) -> tuple[int, ...]:
    if plan.quorum and set(plan.quorum) <= set(available):
        return plan.quorum
    return tuple(sorted(available)[:k])


def _checked(
    envelope: Envelope,
    epoch_key: EpochKey,
    label: Label,
    shares: Mapping[int, DecryptionShare],
    plan: Plan,
    warrant_id: bytes,
) -> OpenResult:
    # The checked path: every proof, then k good shares.
    if not _nb.crypto_core_ed25519_is_valid_point(envelope.R.to_bytes()):
        # No custodian could have made a share for it; blame none (module docstring).
        raise DecryptionFailed("the envelope's R is not a prime-order point")
    context = share_context(warrant_id, envelope)
    good: dict[int, DecryptionShare] = {}
    bad: list[BadShare] = []
    for i in sorted(shares):
        share = shares[i]
        if not 1 <= i <= len(epoch_key.custodians):
            bad.append(BadShare("share index names no custodian", custodian=i, custodian_did=""))
            continue
        try:
            key_i = plan.statement_key(epoch_key, i)
            check_share(share, epoch_key, envelope, context, key_i, plan.tag(i))
        except BadShare as exc:
            bad.append(exc)
            continue
        good[i] = share
    k = epoch_key.threshold
    if len(good) < k:
        named = ", ".join(str(b.custodian) for b in bad) or "none"
        raise NotEnoughShares(f"{len(good)} good shares, {k} needed (bad: {named})", bad=tuple(bad))
    subset = _pick(list(good), k, plan)
    point = _combined_point(good, subset, plan)
    return OpenResult(open_with_point(envelope, epoch_key, label, point), subset, tuple(bad))


def _by_index(shares: Sequence[DecryptionShare]) -> dict[int, DecryptionShare]:
    out: dict[int, DecryptionShare] = {}
    for share in shares:
        if share.index in out:
            raise NotEnoughShares("two shares from the same custodian")
        out[share.index] = share
    return out


def open_fast(
    envelope: Envelope,
    epoch_key: EpochKey,
    label: Label,
    shares: Sequence[DecryptionShare],
    *,
    plan: Plan,
) -> OpenResult | None:
    """The fast path alone: k shares combined and decrypted, no proof read.

    Returns ``None`` when it does not open the record (fewer than k shares, a bad share or
    a bad envelope): then :func:`open_checked` tells which.

    Raises:
        NotEnoughShares: two shares with the same index.
    """
    by_index = _by_index(shares)
    in_range = [i for i in by_index if 1 <= i <= len(epoch_key.custodians)]
    if len(in_range) < epoch_key.threshold:
        return None
    subset = _pick(in_range, epoch_key.threshold, plan)
    try:
        point = _combined_point(by_index, subset, plan)
        return OpenResult(open_with_point(envelope, epoch_key, label, point), subset, ())
    except DecryptionFailed:
        return None


def open_checked(
    envelope: Envelope,
    epoch_key: EpochKey,
    label: Label,
    shares: Sequence[DecryptionShare],
    *,
    warrant_id: bytes,
    plan: Plan,
) -> OpenResult:
    """The checked path: every proof, then k good shares (module docstring).

    Raises:
        NotEnoughShares: fewer than k good shares (listing the bad); also for two shares
            with the same index.
        DecryptionFailed: k good shares do not open the envelope (a label that is not the
            envelope's, or a tampered envelope).
    """
    return _checked(envelope, epoch_key, label, _by_index(shares), plan, warrant_id)


def open_record(
    envelope: Envelope,
    epoch_key: EpochKey,
    label: Label,
    shares: Sequence[DecryptionShare],
    *,
    warrant_id: bytes,
    plan: Plan,
    check_every_proof: bool = False,
) -> OpenResult:
    """Open one record optimistically with a batch's :class:`Plan` (module docstring).

    Raises:
        NotEnoughShares: fewer than k good shares (listing the bad); also for two shares
            with the same index.
        DecryptionFailed: k good shares do not open the envelope (a label that is not the
            envelope's, or a tampered envelope).
    """
    if not check_every_proof:
        fast = open_fast(envelope, epoch_key, label, shares, plan=plan)
        if fast is not None:
            return fast
    return open_checked(envelope, epoch_key, label, shares, warrant_id=warrant_id, plan=plan)


def combine(
    envelope: Envelope,
    epoch_key: EpochKey,
    label: Label,
    shares: Sequence[DecryptionShare],
    *,
    warrant_id: bytes,
    quorum: Sequence[int] = (),
    check_every_proof: bool = False,
) -> OpenResult:
    """Open one envelope from its custodians' shares, optimistically (module docstring).

    ``quorum`` is the one the unsealing request named (its members' shares are folded).
    ``check_every_proof=True`` checks every DLEQ proof first, as an auditor would; the
    result is the same for any mix of shares (module docstring).

    Raises:
        NotEnoughShares: if fewer than k shares are good (listing the bad ones); also for
            two shares with the same index.
        DecryptionFailed: if k good shares do not open the envelope (a label that is not
            the envelope's).
        InvalidQuorum: if ``quorum`` does not fit ``epoch_key``.
    """
    plan = Plan(check_quorum(quorum, epoch_key))
    return open_record(
        envelope,
        epoch_key,
        label,
        shares,
        warrant_id=warrant_id,
        plan=plan,
        check_every_proof=check_every_proof,
    )
