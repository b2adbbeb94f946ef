"""Decryption shares with Chaum–Pedersen proofs (DESIGN.md "Decryption share").

Custodian i answers an envelope with D_i = w_i·R, where w_i = f_i·x_i, and a DLEQ proof
that log_G W_i = log_R D_i with W_i = f_i·Y_i: t random, A = t·G, B = t·R,
c = SHA-512(A ‖ W_i ‖ M_i) mod ℓ with M_i = DLEQ_DOMAIN ‖ i ‖ R ‖ D_i ‖ B ‖ context ‖ Q,
z = t + c·w_i; the proof is (A, B, z). The ``context`` is the warrant id ‖ envelope id
(64 bytes), so a share is bound to one envelope under one warrant: replaying it for
another envelope (another R) or another warrant fails.

**Folded shares.** The fold f_i is 1 for a *plain* share (W_i = Y_i, Q empty): the
ordinary share x_i·R. When the unsealing request names a quorum S of k custodians and i is
in S, custodian i folds its Lagrange coefficient into the share: f_i = λ_i^S, so
D_i = λ_i^S·x_i·R and the combiner only adds, r·Y = Σ_{i∈S} D_i, instead of paying one
variable-base multiplication per share (each about two, since libsodium re-checks the
subgroup). Q is then S's indices, one byte each, so the proof names its quorum. The proof
stays meaningful because λ_i^S is public and non-zero: anyone computes W_i = λ_i^S·Y_i from
the directory and the quorum, and a valid proof shows knowledge of w with w·G = λ_i^S·Y_i and
w·R = D_i, i.e. exactly that λ_i^S⁻¹·D_i = x_i·R is custodian i's plain share. So a folded
share is as checkable as a plain one, and it is not tied to S either: the combiner can
rescale it by μ_i/λ_i^S to combine over another quorum when a member of S sent a bad share.
A folded share reveals nothing a plain one does not (it is a public multiple of it).

A share is a fixed 129-byte string (format 2): index (1) ‖ D_i (32) ‖ A (32) ‖ B (32) ‖ z (32).
Format 1 (97 bytes, proof (c, z)) is refused by its length.

Verification checks both Chaum–Pedersen equations, z·G = A + c·W_i and z·R = B + c·D_i:

* the G-side is an Ed25519 signature (A ‖ z) on M_i under the public key W_i, checked by
  libsodium's ``crypto_sign_open``: Ed25519 verifies S·B = R_sig + h·A_pk with
  h = SHA-512(R_sig ‖ A_pk ‖ M), which with R_sig = A, A_pk = W_i, S = z is the equation
  above with exactly our challenge. libsodium refuses a non-canonical z and compares the
  canonical encoding of z·G − c·W_i byte for byte with A, so A is forced to be that
  prime-order point;
* the R-side is computed explicitly: B must equal the canonical encoding of z·R − c·D_i
  (two scalar multiplications and a subtraction, compared as bytes), which forces B into
  the prime-order subgroup too. libsodium's multiplication c·D_i refuses D_i unless it is
  a canonical prime-order point: with a torsion component a forged D_i could otherwise
  pass with probability 1/8.

So this is the ordinary Chaum–Pedersen proof made non-interactive by Fiat–Shamir: the
challenge is SHA-512 over every public value (A, W_i, i, R, D_i, B, context, Q) and the
domain string, M_i is unambiguous (every part before Q has a fixed length, the context
included), and the two verification equations are unchanged; only the hash input order is
fixed by Ed25519. Special soundness is the usual one: two accepting transcripts with the
same (A, B) and different challenges give w = (z − z')/(c − c') with W_i = w·G and
D_i = w·R. tests/escrow/test_equivalence.py checks that :func:`verify_share` accepts
exactly when both equations, computed explicitly with libsodium's group operations, hold.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

import nacl.bindings as _nb
import nacl.exceptions

from escrow._envelope import Envelope
from escrow._epochkeys import EpochKey
from escrow._group import Point, RandomBytes, Scalar, lagrange_coefficient, random_scalar
from escrow.errors import (
    BadShare,
    EnvelopeBadPoint,
    InvalidPoint,
    InvalidQuorum,
    InvalidScalar,
)

__all__ = [
    "CONTEXT_SIZE",
    "SHARE_FORMAT",
    "SHARE_SIZE",
    "DecryptionShare",
    "check_quorum",
    "fold_factor",
    "make_share",
    "share_context",
    "share_from_bytes_or_bad",
    "verify_share",
]

SHARE_SIZE = 129
SHARE_FORMAT = 2
CONTEXT_SIZE = 64
DLEQ_DOMAIN = b"anshim/escrow/dleq/v2\x00"
_MAX_INDEX = 255


def share_context(warrant_id: bytes, envelope: Envelope) -> bytes:
    """The context a share is bound to: warrant id ‖ SHA-256 of the envelope (64 bytes)."""
    return warrant_id + bytes.fromhex(envelope.envelope_id)


def check_quorum(quorum: Sequence[int], epoch_key: EpochKey | None = None) -> tuple[int, ...]:
    """A quorum as a tuple: strictly increasing custodian indices in [1, 255].

    With ``epoch_key``, also exactly its threshold k of indices, each naming a custodian.
    The empty quorum (no folding) is always accepted.

    Raises:
        InvalidQuorum: otherwise.
    """
    q = tuple(quorum)
    if not all(type(i) is int and 1 <= i <= _MAX_INDEX for i in q) or list(q) != sorted(set(q)):
        raise InvalidQuorum("a quorum lists distinct custodian indices in increasing order")
    if (
        q
        and epoch_key is not None
        and (len(q) != epoch_key.threshold or q[-1] > len(epoch_key.custodians))
    ):
        raise InvalidQuorum(f"a quorum names exactly {epoch_key.threshold} custodians")
    return q


def fold_factor(index: int, quorum: Sequence[int]) -> Scalar | None:
    """f_i: λ_index over ``quorum`` if ``index`` is in it, else ``None`` (a plain share).

    Raises:
        InvalidQuorum: if ``quorum`` is malformed.
    """
    q = check_quorum(quorum)
    return lagrange_coefficient(index, q) if index in q else None


def _tag(index: int, quorum: Sequence[int]) -> bytes:
    # Q of the module docstring: the quorum's indices for a folded share, empty for a plain one.
    return bytes(quorum) if index in quorum else b""


@dataclass(frozen=True, slots=True)
class DecryptionShare:
    """Custodian ``index``'s share D of one envelope, with its DLEQ proof (A, B, z).

    A and B are kept as the bytes received: verification accepts only the canonical
    prime-order encodings the proof equations determine (module docstring). Whether D is
    plain or folded is said by the request's quorum, not by the share.
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
        # Everything from_bytes checks except D's point validity, for the combiner only: D
        # is either added into a candidate key that the AEAD then confirms (a D off the
        # prime-order subgroup gives a wrong key) or multiplied by libsodium, which refuses
        # it; its DLEQ check, when one is needed, refuses it too.
        if not isinstance(data, (bytes, bytearray)) or len(data) != SHARE_SIZE:
            raise InvalidScalar(f"a decryption share must be {SHARE_SIZE} bytes")
        if data[0] == 0:
            raise InvalidScalar("share index 0 is not a custodian")
        data = bytes(data)
        return cls(
            data[0], Point(data[1:33]), data[33:65], data[65:97], Scalar.from_bytes(data[97:])
        )


def _message(
    index: int, r_point: Point, d: Point, b: bytes, context: bytes, tag: bytes = b""
) -> bytes:
    # M_i = DLEQ_DOMAIN ‖ i ‖ R ‖ D_i ‖ B ‖ context ‖ Q (module docstring).
    return DLEQ_DOMAIN + bytes((index,)) + r_point.to_bytes() + d.to_bytes() + b + context + tag


def _challenge(a: bytes, w_i: bytes, message: bytes) -> Scalar:
    # c = SHA-512(A ‖ W_i ‖ M_i) mod ℓ: the challenge Ed25519 verification recomputes.
    return Scalar.reduce64(hashlib.sha512(a + w_i + message).digest())


def _check_context(context: bytes) -> None:
    if not isinstance(context, bytes) or len(context) != CONTEXT_SIZE:
        raise InvalidScalar(f"a share context is {CONTEXT_SIZE} bytes (see share_context)")


def _mul_r(r_point: Point, k: Scalar) -> bytes:
    # k·R for a custodian's secret-derived k: libsodium refuses R unless it is a canonical
    # point of the prime-order subgroup (the checks of crypto_core_ed25519_is_valid_point)
    # before it multiplies, so this is the custodian's full point validation of R.
    try:
        return bytes(_nb.crypto_scalarmult_ed25519_noclamp(k.to_bytes(), r_point.to_bytes()))
    except (nacl.exceptions.RuntimeError, nacl.exceptions.CryptoError) as exc:
        raise EnvelopeBadPoint("envelope R is not a point of the prime-order subgroup") from exc


def prove(
    w: Scalar,
    w_public: bytes,
    index: int,
    envelope: Envelope,
    context: bytes,
    tag: bytes,
    *,
    _rng: RandomBytes | None = None,
) -> DecryptionShare:
    """The share w·R and its proof, for a batch that computed w = f_i·x_i and W_i once.

    Raises:
        EnvelopeBadPoint: R is not a prime-order point (no share is made).
    """
    d = Point(_mul_r(envelope.R, w))
    t = random_scalar(_rng=_rng)
    a = Point.base_mul(t).to_bytes()
    b = _mul_r(envelope.R, t)
    c = _challenge(a, w_public, _message(index, envelope.R, d, b, context, tag))
    return DecryptionShare(index, d, a, b, t + c * w)


def make_share(
    x_i: Scalar,
    index: int,
    epoch_key: EpochKey,
    envelope: Envelope,
    context: bytes,
    *,
    quorum: Sequence[int] = (),
    _rng: RandomBytes | None = None,
) -> DecryptionShare:
    """Custodian ``index``'s share of ``envelope`` with its DLEQ proof.

    Folded (module docstring) when ``index`` is in ``quorum``, plain otherwise. The caller
    (:func:`escrow.answer_warrant`) has already checked the warrant, the scope and the
    envelope's proof. ``_rng`` is for the known-answer tests only.

    Raises:
        InvalidScalar: if ``x_i`` is zero (no such share can exist) or ``context`` is not
            64 bytes.
        InvalidQuorum: if ``quorum`` does not fit ``epoch_key``.
        EnvelopeBadPoint: if the envelope's R is not a prime-order point.
    """
    _check_context(context)
    q = check_quorum(quorum, epoch_key)
    fold = fold_factor(index, q)
    w = x_i if fold is None else fold * x_i
    w_public = Point.base_mul(w).to_bytes()
    return prove(w, w_public, index, envelope, context, _tag(index, q), _rng=_rng)


def statement_key(epoch_key: EpochKey, index: int, fold: Scalar | None) -> bytes:
    """W_i = f_i·Y_i, the key a share's G-side equation is checked under."""
    y_i = epoch_key.verification_keys[index - 1]
    return y_i.to_bytes() if fold is None else y_i.mul(fold).to_bytes()


def check_share(
    share: DecryptionShare,
    epoch_key: EpochKey,
    envelope: Envelope,
    context: bytes,
    w_public: bytes,
    tag: bytes,
) -> None:
    """:func:`verify_share` with the statement key and quorum tag already computed.

    Raises:
        BadShare: as :func:`verify_share`.
    """
    did = epoch_key.custodians[share.index - 1]
    failed = BadShare(
        f"decryption share of custodian {share.index} fails its DLEQ proof",
        custodian=share.index,
        custodian_did=did,
    )
    message = _message(share.index, envelope.R, share.D, share.B, context, tag)
    # G-side, z·G = A + c·W_i: an Ed25519 signature (A ‖ z) on M_i under W_i.
    try:
        _nb.crypto_sign_open(share.A + share.z.to_bytes() + message, w_public)
    except nacl.exceptions.CryptoError as exc:
        raise failed from exc
    # R-side, z·R = B + c·D_i: B must be the canonical encoding of z·R − c·D_i. The
    # multiplication c·D_i fails unless D_i is a canonical prime-order point (libsodium
    # checks the subgroup of every input point), so a torsion component is always refused.
    c = _challenge(share.A, w_public, message)
    try:
        b = envelope.R.mul(share.z) - share.D.mul(c)
    except InvalidScalar as exc:  # D_i not a prime-order point, or c = 0 (probability 2^-252)
        raise failed from exc
    if not hmac.compare_digest(b.to_bytes(), share.B):
        raise failed


def verify_share(
    share: DecryptionShare,
    epoch_key: EpochKey,
    envelope: Envelope,
    context: bytes,
    *,
    quorum: Sequence[int] = (),
) -> None:
    """Check a share's DLEQ proof against W_i and the envelope's R (module docstring).

    The share is taken as folded when its index is in ``quorum`` (the request's), plain
    otherwise. The G-side is checked with ``crypto_sign_open``, the R-side explicitly; D is
    checked to be a canonical prime-order point by libsodium's scalar multiplication.

    Raises:
        BadShare: naming the custodian, if the index is out of range, D is not a
            prime-order point, or the proof fails (a forged proof, a share made with the
            wrong x_i or the wrong fold, or one for another envelope or warrant).
        InvalidQuorum: if ``quorum`` does not fit ``epoch_key``.
        InvalidScalar: if ``context`` is not 64 bytes.
    """
    _check_context(context)
    q = check_quorum(quorum, epoch_key)
    if not 1 <= share.index <= len(epoch_key.custodians):
        raise BadShare("share index names no custodian", custodian=share.index, custodian_did="")
    w_public = statement_key(epoch_key, share.index, fold_factor(share.index, q))
    check_share(share, epoch_key, envelope, context, w_public, _tag(share.index, q))


def share_from_bytes_or_bad(data: bytes, index_hint: int, epoch_key: EpochKey) -> DecryptionShare:
    """Decode a share read from outside for the combiner; a malformed one becomes :class:`BadShare`.

    D is not point-checked here (see :meth:`DecryptionShare._decode`).

    Raises:
        BadShare: naming custodian ``index_hint`` if the bytes are malformed (length, index,
            z).
    """
    try:
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
