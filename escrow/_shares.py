"""Decryption shares with Chaum–Pedersen proofs, and the combiner (DESIGN.md "Decryption share").

Custodian i answers an envelope with D_i = x_i·R and a DLEQ proof that
log_G Y_i = log_R D_i: t random, A = t·G, B = t·R,
c = H_dleq(i, Y_i, R, D_i, A, B, context), z = t + c·x_i; the proof is (c, z). The
``context`` is the warrant id ‖ envelope id, so a share is bound to one envelope under one
warrant: replaying it for another envelope (another R) or another warrant fails.

A share is a fixed 97-byte string: index (1) ‖ D_i (32) ‖ c (32) ‖ z (32).

The combiner verifies every share (a bad one names its custodian and is excluded), takes
any k good ones, computes r·Y = Σ λ_i·D_i and decrypts.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from escrow._envelope import Envelope, open_with_point
from escrow._epochkeys import EpochKey
from escrow._labels import Label
from escrow.errors import BadShare, InvalidPoint, InvalidScalar, NotEnoughShares
from escrow.group import (
    Point,
    RandomBytes,
    Scalar,
    hash_to_scalar,
    lagrange_coefficient,
    random_scalar,
)

__all__ = [
    "SHARE_SIZE",
    "DecryptionShare",
    "OpenResult",
    "combine",
    "make_share",
    "share_context",
    "verify_share",
]

SHARE_SIZE = 97
DLEQ_DOMAIN = b"anshim/escrow/dleq/v1"


def share_context(warrant_id: bytes, envelope: Envelope) -> bytes:
    """The context a share is bound to: warrant id ‖ SHA-256 of the envelope."""
    return warrant_id + bytes.fromhex(envelope.envelope_id)


@dataclass(frozen=True, slots=True)
class DecryptionShare:
    """Custodian ``index``'s share D = x_i·R of one envelope, with its DLEQ proof (c, z)."""

    index: int
    D: Point
    c: Scalar
    z: Scalar

    def to_bytes(self) -> bytes:
        """The fixed 97-byte encoding (module docstring)."""
        return bytes((self.index,)) + self.D.to_bytes() + self.c.to_bytes() + self.z.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> DecryptionShare:
        """Strictly decode a share read from outside.

        Raises:
            InvalidPoint: if D is not a valid prime-order point.
            InvalidScalar: if c or z is non-canonical or zero, the index is 0, or the
                length is wrong.
        """
        if not isinstance(data, (bytes, bytearray)) or len(data) != SHARE_SIZE:
            raise InvalidScalar(f"a decryption share must be {SHARE_SIZE} bytes")
        if data[0] == 0:
            raise InvalidScalar("share index 0 is not a custodian")
        return cls(
            data[0],
            Point.from_bytes(bytes(data[1:33])),
            Scalar.from_bytes(bytes(data[33:65])),
            Scalar.from_bytes(bytes(data[65:97])),
        )


def _challenge(
    index: int, y_i: Point, r_point: Point, d: Point, a: Point, b: Point, context: bytes
) -> Scalar:
    return hash_to_scalar(
        DLEQ_DOMAIN,
        bytes((index,)),
        y_i.to_bytes(),
        r_point.to_bytes(),
        d.to_bytes(),
        a.to_bytes(),
        b.to_bytes(),
        context,
    )


def make_share(
    x_i: Scalar,
    index: int,
    epoch_key: EpochKey,
    envelope: Envelope,
    context: bytes,
    *,
    _rng: RandomBytes | None = None,
) -> DecryptionShare:
    """Custodian ``index``'s share of ``envelope`` with its DLEQ proof.

    The caller (:func:`escrow.answer_warrant`) has already checked the warrant, the scope
    and the envelope's proof. ``_rng`` is for the known-answer tests only.

    Raises:
        InvalidScalar: if ``x_i`` is zero (no such share can exist).
    """
    y_i = epoch_key.verification_keys[index - 1]
    d = envelope.R.mul(x_i)
    t = random_scalar(_rng=_rng)
    a = Point.base_mul(t)
    b = envelope.R.mul(t)
    c = _challenge(index, y_i, envelope.R, d, a, b, context)
    return DecryptionShare(index, d, c, t + c * x_i)


def verify_share(
    share: DecryptionShare, epoch_key: EpochKey, envelope: Envelope, context: bytes
) -> None:
    """Check a share's DLEQ proof against Y_i and the envelope's R.

    Raises:
        BadShare: naming the custodian, if the index is out of range or the proof fails
            (a forged proof, a share made with the wrong x_i, or one for another envelope
            or warrant).
    """
    n = len(epoch_key.custodians)
    if not 1 <= share.index <= n:
        raise BadShare("share index names no custodian", custodian=share.index, custodian_did="")
    y_i = epoch_key.verification_keys[share.index - 1]
    did = epoch_key.custodians[share.index - 1]
    try:
        a = Point.base_mul(share.z) - y_i.mul(share.c)
        b = envelope.R.mul(share.z) - share.D.mul(share.c)
    except InvalidScalar as exc:
        raise BadShare(
            "share proof is malformed", custodian=share.index, custodian_did=did
        ) from exc
    if _challenge(share.index, y_i, envelope.R, share.D, a, b, context) != share.c:
        raise BadShare(
            f"decryption share of custodian {share.index} fails its DLEQ proof",
            custodian=share.index,
            custodian_did=did,
        )


@dataclass(frozen=True, slots=True)
class OpenResult:
    """A decrypted envelope: its plaintext and the custodians whose shares were excluded."""

    plaintext: bytes
    used: tuple[int, ...]
    bad: tuple[BadShare, ...]

    def __repr__(self) -> str:
        size = len(self.plaintext)
        return f"OpenResult(plaintext=<{size} bytes>, used={self.used}, bad={self.bad!r})"


@functools.lru_cache(maxsize=256)
def _lagrange(indices: tuple[int, ...]) -> tuple[Scalar, ...]:
    return tuple(lagrange_coefficient(i, indices) for i in indices)


def combine(
    envelope: Envelope,
    epoch_key: EpochKey,
    label: Label,
    shares: Sequence[DecryptionShare],
    *,
    warrant_id: bytes,
    verified: bool = False,
) -> OpenResult:
    """Verify every share, Lagrange-combine any k good ones, derive the key and decrypt.

    ``verified=True`` skips the per-share DLEQ checks for shares the caller has already
    checked with :func:`verify_share` (the parallel batch path does this).

    Raises:
        NotEnoughShares: if fewer than k shares are good (listing the bad ones); also for
            two shares with the same index.
        DecryptionFailed: if the combined key does not open the envelope (a label that is
            not the envelope's).
    """
    context = share_context(warrant_id, envelope)
    good: dict[int, DecryptionShare] = {}
    bad: list[BadShare] = []
    for share in shares:
        if share.index in good:
            raise NotEnoughShares("two shares from the same custodian", bad=tuple(bad))
        try:
            if not verified:
                verify_share(share, epoch_key, envelope, context)
        except BadShare as exc:
            bad.append(exc)
            continue
        good[share.index] = share
    k = epoch_key.threshold
    if len(good) < k:
        named = ", ".join(str(b.custodian) for b in bad) or "none"
        raise NotEnoughShares(f"{len(good)} good shares, {k} needed (bad: {named})", bad=tuple(bad))
    indices = tuple(sorted(good)[:k])
    acc: Point | None = None
    for i, lam in zip(indices, _lagrange(indices), strict=True):
        term = good[i].D.mul(lam)
        acc = term if acc is None else acc + term
    if acc is None:  # k ≥ 1 is guaranteed by EpochKey; kept for the type checker
        raise NotEnoughShares("no shares")
    plaintext = open_with_point(envelope, epoch_key, label, acc)
    return OpenResult(plaintext, indices, tuple(bad))


def share_from_bytes_or_bad(data: bytes, index_hint: int, epoch_key: EpochKey) -> DecryptionShare:
    """Decode a share read from outside; a malformed one becomes :class:`BadShare`.

    Raises:
        BadShare: naming custodian ``index_hint`` if the bytes are not a valid share.
    """
    try:
        return DecryptionShare.from_bytes(data)
    except (InvalidPoint, InvalidScalar) as exc:
        did = (
            epoch_key.custodians[index_hint - 1]
            if 1 <= index_hint <= len(epoch_key.custodians)
            else ""
        )
        raise BadShare(
            "malformed decryption share", custodian=index_hint, custodian_did=did
        ) from exc
