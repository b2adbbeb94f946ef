"""Decryption shares with Chaum–Pedersen proofs, and the combiner (DESIGN.md "Decryption share").

Custodian i answers an envelope with D_i = x_i·R and a DLEQ proof that
log_G Y_i = log_R D_i: t random, A = t·G, B = t·R, c = SHA-512(A ‖ Y_i ‖ M_i) mod ℓ with
M_i = DLEQ_DOMAIN ‖ i ‖ R ‖ D_i ‖ B ‖ context, z = t + c·x_i; the proof is (A, B, z). The
``context`` is the warrant id ‖ envelope id, so a share is bound to one envelope under one
warrant: replaying it for another envelope (another R) or another warrant fails.

A share is a fixed 129-byte string (format 2): index (1) ‖ D_i (32) ‖ A (32) ‖ B (32) ‖ z (32).
Format 1 (97 bytes, proof (c, z)) is refused by its length; share batches carry ``"v": 2``.

Verification checks both Chaum–Pedersen equations, z·G = A + c·Y_i and z·R = B + c·D_i:

* the G-side is an Ed25519 signature (A ‖ z) on M_i under the public key Y_i, checked by
  libsodium's ``crypto_sign_open``: Ed25519 verifies S·B = R_sig + h·A_pk with
  h = SHA-512(R_sig ‖ A_pk ‖ M), which with R_sig = A, A_pk = Y_i, S = z is the equation
  above with exactly our challenge. libsodium refuses a non-canonical z and compares the
  canonical encoding of z·G − c·Y_i byte for byte with A, so A is forced to be that
  prime-order point;
* the R-side is computed explicitly: B must equal the canonical encoding of z·R − c·D_i
  (two scalar multiplications and a subtraction, compared as bytes), which forces B into
  the prime-order subgroup too. D_i itself is validated as a prime-order point when the
  share is decoded: with a torsion component a forged D_i could otherwise pass with
  probability 1/8.

So this is the ordinary Chaum–Pedersen proof made non-interactive by Fiat–Shamir: the
challenge is SHA-512 over every public value (A, Y_i, i, R, D_i, B, context) and the domain
string, M_i is unambiguous (every part but the last, the context, has a fixed length), and the
two verification equations are unchanged; only the hash input order is fixed by Ed25519.
Special soundness is the usual one: two accepting transcripts with the same (A, B) and
different challenges give x_i = (z − z')/(c − c') with Y_i = x_i·G and D_i = x_i·R.
tests/test_escrow_equivalence.py checks that :func:`verify_share` accepts exactly when both
equations, computed explicitly with libsodium's group operations, hold.

The combiner verifies every share (a bad one names its custodian and is excluded), takes
any k good ones, computes r·Y = Σ λ_i·D_i and decrypts.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

import nacl.bindings as _nb
import nacl.exceptions

from escrow._envelope import Envelope, open_with_point
from escrow._epochkeys import EpochKey
from escrow._labels import Label
from escrow.errors import BadShare, InvalidPoint, InvalidScalar, NotEnoughShares
from escrow.group import (
    Point,
    RandomBytes,
    Scalar,
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

SHARE_SIZE = 129
SHARE_FORMAT = 2
DLEQ_DOMAIN = b"anshim/escrow/dleq/v2\x00"


def share_context(warrant_id: bytes, envelope: Envelope) -> bytes:
    """The context a share is bound to: warrant id ‖ SHA-256 of the envelope."""
    return warrant_id + bytes.fromhex(envelope.envelope_id)


@dataclass(frozen=True, slots=True)
class DecryptionShare:
    """Custodian ``index``'s share D = x_i·R of one envelope, with its DLEQ proof (A, B, z).

    A and B are kept as the bytes received: verification accepts only the canonical
    prime-order encodings the proof equations determine (module docstring).
    """

    index: int
    D: Point
    A: bytes
    B: bytes
    z: Scalar

    def to_bytes(self) -> bytes:
        """The fixed 129-byte encoding (module docstring)."""
        return bytes((self.index,)) + self.D.to_bytes() + self.A + self.B + self.z.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> DecryptionShare:
        """Strictly decode a share read from outside.

        Raises:
            InvalidPoint: if D is not a valid prime-order point.
            InvalidScalar: if z is non-canonical or zero, the index is 0, or the length
                is wrong.
        """
        share = cls._decode(data)
        Point.from_bytes(share.D.to_bytes())
        return share

    @classmethod
    def _decode(cls, data: bytes) -> DecryptionShare:
        # Everything from_bytes checks except D's point validity; for the combiner only,
        # which runs verify_share on every share: libsodium's scalar multiplication there
        # refuses D unless it is a canonical prime-order point (the same four checks as
        # crypto_core_ed25519_is_valid_point), so D is validated once instead of twice.
        if not isinstance(data, (bytes, bytearray)) or len(data) != SHARE_SIZE:
            raise InvalidScalar(f"a decryption share must be {SHARE_SIZE} bytes")
        if data[0] == 0:
            raise InvalidScalar("share index 0 is not a custodian")
        data = bytes(data)
        return cls(
            data[0], Point(data[1:33]), data[33:65], data[65:97], Scalar.from_bytes(data[97:])
        )


def _message(index: int, r_point: Point, d: Point, b: bytes, context: bytes) -> bytes:
    # M_i = DLEQ_DOMAIN ‖ i ‖ R ‖ D_i ‖ B ‖ context (module docstring).
    return DLEQ_DOMAIN + bytes((index,)) + r_point.to_bytes() + d.to_bytes() + b + context


def _challenge(a: bytes, y_i: Point, message: bytes) -> Scalar:
    # c = SHA-512(A ‖ Y_i ‖ M_i) mod ℓ: the challenge Ed25519 verification recomputes.
    return Scalar.reduce64(hashlib.sha512(a + y_i.to_bytes() + message).digest())


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
    a = Point.base_mul(t).to_bytes()
    b = envelope.R.mul(t).to_bytes()
    c = _challenge(a, y_i, _message(index, envelope.R, d, b, context))
    return DecryptionShare(index, d, a, b, t + c * x_i)


def verify_share(
    share: DecryptionShare, epoch_key: EpochKey, envelope: Envelope, context: bytes
) -> None:
    """Check a share's DLEQ proof against Y_i and the envelope's R (module docstring).

    Every share's proof is checked in full: the G-side with ``crypto_sign_open``, the
    R-side explicitly; D is (re)checked to be a canonical prime-order point by libsodium's
    scalar multiplication.

    Raises:
        BadShare: naming the custodian, if the index is out of range, D is not a
            prime-order point, or the proof fails (a forged proof, a share made with the
            wrong x_i, or one for another envelope or warrant).
    """
    n = len(epoch_key.custodians)
    if not 1 <= share.index <= n:
        raise BadShare("share index names no custodian", custodian=share.index, custodian_did="")
    y_i = epoch_key.verification_keys[share.index - 1]
    did = epoch_key.custodians[share.index - 1]
    failed = BadShare(
        f"decryption share of custodian {share.index} fails its DLEQ proof",
        custodian=share.index,
        custodian_did=did,
    )
    message = _message(share.index, envelope.R, share.D, share.B, context)
    # G-side, z·G = A + c·Y_i: an Ed25519 signature (A ‖ z) on M_i under Y_i.
    try:
        _nb.crypto_sign_open(share.A + share.z.to_bytes() + message, y_i.to_bytes())
    except nacl.exceptions.CryptoError as exc:
        raise failed from exc
    # R-side, z·R = B + c·D_i: B must be the canonical encoding of z·R − c·D_i. The
    # multiplication c·D_i fails unless D_i is a canonical prime-order point (libsodium
    # checks the subgroup of every input point), so a torsion component is always refused.
    c = _challenge(share.A, y_i, message)
    try:
        b = envelope.R.mul(share.z) - share.D.mul(c)
    except InvalidScalar as exc:  # D_i not a prime-order point, or c = 0 (probability 2^-252)
        raise failed from exc
    if not hmac.compare_digest(b.to_bytes(), share.B):
        raise failed


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
    """Decode a share read from outside for the combiner; a malformed one becomes :class:`BadShare`.

    D is not point-checked here: the combiner passes every share to :func:`verify_share`,
    whose scalar multiplication by D refuses anything but a canonical prime-order point
    (a share with such a D becomes :class:`BadShare` there).

    Raises:
        BadShare: naming custodian ``index_hint`` if the bytes are malformed (length, index,
            z).
    """
    try:
        # D is validated by verify_share, which the combiner runs on every share.
        return DecryptionShare._decode(data)
    except (InvalidPoint, InvalidScalar) as exc:
        did = (
            epoch_key.custodians[index_hint - 1]
            if 1 <= index_hint <= len(epoch_key.custodians)
            else ""
        )
        raise BadShare(
            "malformed decryption share", custodian=index_hint, custodian_did=did
        ) from exc
