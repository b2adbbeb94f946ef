"""The group layer: scalars mod ℓ and points of the prime-order subgroup of edwards25519.

DESIGN.md "Escrow: threshold, label-bound sealing", Group. Everything goes through
libsodium's group operations (PyNaCl's ``nacl.bindings``); nothing here implements field
arithmetic. Both types are small immutable wrappers around their canonical 32-byte
encodings; equality is constant-time.

* :meth:`Point.from_bytes` is the only way a point enters from outside, and it requires
  ``crypto_core_ed25519_is_valid_point``: canonical encoding, on the curve, in the main
  subgroup, not of small order.
* :meth:`Scalar.from_bytes` refuses non-canonical encodings (≥ ℓ) and zero.
* :func:`hash_to_scalar` is SHA-512 over a domain-separation prefix and length-prefixed
  parts, reduced mod ℓ (``crypto_core_ed25519_scalar_reduce``).

Quick start::

    from escrow._group import Point, Scalar, random_scalar
    x = random_scalar()
    Y = Point.base_mul(x)
    Point.from_bytes(Y.to_bytes()) == Y
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Callable, Sequence

import nacl.bindings as _nb
import nacl.exceptions
import nacl.utils

from did.errors import VerificationError
from escrow.errors import InvalidPoint, InvalidScalar

__all__ = [
    "ORDER",
    "Point",
    "RandomBytes",
    "Scalar",
    "commitment_eval",
    "feldman_verify",
    "hash_to_scalar",
    "lagrange_coefficient",
    "poly_commit",
    "poly_eval",
    "random_scalar",
]

#: ℓ = 2^252 + 27742317777372353535851937790883648493, the order of the prime subgroup.
ORDER = 2**252 + 27742317777372353535851937790883648493
_LEN = 32
_ZERO = bytes(32)

# A random-byte source for known-answer tests only (see escrow._kat); production callers
# never pass one, so the default is libsodium's CSPRNG.
RandomBytes = Callable[[int], bytes]


class Scalar:
    """An integer mod ℓ as its canonical 32-byte little-endian encoding.

    Arithmetic may produce zero internally; :meth:`from_bytes` (input from outside) refuses it.
    The value never appears in ``repr``.
    """

    __slots__ = ("_b",)

    def __init__(self, canonical: bytes) -> None:
        # Internal constructor: callers must pass an already reduced encoding.
        self._b = canonical

    @classmethod
    def from_bytes(cls, data: bytes) -> Scalar:
        """Strictly decode 32 bytes read from outside.

        Raises:
            InvalidScalar: on a wrong type or length, a value ≥ ℓ, or zero.
        """
        if not isinstance(data, (bytes, bytearray)) or len(data) != _LEN:
            raise InvalidScalar("a scalar must be 32 bytes")
        raw = bytes(data)
        # Canonical iff reducing it mod ℓ leaves it unchanged (compared in constant time).
        if not hmac.compare_digest(_nb.crypto_core_ed25519_scalar_reduce(raw + _ZERO), raw):
            raise InvalidScalar("non-canonical scalar")
        if hmac.compare_digest(raw, _ZERO):
            raise InvalidScalar("zero scalar")
        return cls(raw)

    @classmethod
    def from_int(cls, value: int) -> Scalar:
        """The scalar ``value mod ℓ`` (for small public constants such as indices)."""
        return cls((value % ORDER).to_bytes(_LEN, "little"))

    @classmethod
    def reduce64(cls, data: bytes) -> Scalar:
        """Reduce 64 bytes mod ℓ (uniform when the bytes are uniform)."""
        if len(data) != 64:
            raise InvalidScalar("reduce64 needs 64 bytes")
        return cls(_nb.crypto_core_ed25519_scalar_reduce(data))

    def to_bytes(self) -> bytes:
        """The canonical 32-byte little-endian encoding."""
        return self._b

    def is_zero(self) -> bool:
        """Whether this is the zero scalar (constant-time comparison)."""
        return hmac.compare_digest(self._b, _ZERO)

    def __add__(self, other: Scalar) -> Scalar:
        return Scalar(_nb.crypto_core_ed25519_scalar_add(self._b, other._b))

    def __sub__(self, other: Scalar) -> Scalar:
        return Scalar(_nb.crypto_core_ed25519_scalar_sub(self._b, other._b))

    def __mul__(self, other: Scalar) -> Scalar:
        return Scalar(_nb.crypto_core_ed25519_scalar_mul(self._b, other._b))

    def __neg__(self) -> Scalar:
        return Scalar(_nb.crypto_core_ed25519_scalar_negate(self._b))

    def invert(self) -> Scalar:
        """The multiplicative inverse. Raises :class:`InvalidScalar` for zero."""
        if self.is_zero():
            raise InvalidScalar("zero has no inverse")
        return Scalar(_nb.crypto_core_ed25519_scalar_invert(self._b))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scalar) and hmac.compare_digest(self._b, other._b)

    def __hash__(self) -> int:
        return hash((Scalar, self._b))

    def __repr__(self) -> str:
        return "Scalar(<hidden>)"

    __str__ = __repr__


class Point:
    """A point of the prime-order subgroup, as its canonical 32-byte encoding."""

    __slots__ = ("_b",)

    def __init__(self, encoded: bytes) -> None:
        # Internal constructor: results of libsodium's group operations only.
        self._b = encoded

    @classmethod
    def from_bytes(cls, data: bytes) -> Point:
        """Strictly decode a point read from outside.

        Raises:
            InvalidPoint: unless ``crypto_core_ed25519_is_valid_point`` accepts it
                (canonical, on the curve, main subgroup, not small order).
        """
        if not isinstance(data, (bytes, bytearray)) or len(data) != _LEN:
            raise InvalidPoint("a point must be 32 bytes")
        raw = bytes(data)
        if not _nb.crypto_core_ed25519_is_valid_point(raw):
            raise InvalidPoint("not a valid prime-order edwards25519 point")
        return cls(raw)

    @classmethod
    def base_mul(cls, k: Scalar) -> Point:
        """k·G. Raises :class:`InvalidScalar` if ``k`` is zero."""
        try:
            return cls(_nb.crypto_scalarmult_ed25519_base_noclamp(k.to_bytes()))
        except (nacl.exceptions.RuntimeError, nacl.exceptions.CryptoError) as exc:
            raise InvalidScalar("scalar multiplication by zero") from exc

    def mul(self, k: Scalar) -> Point:
        """k·P. Raises :class:`InvalidScalar` if the scalar is zero (libsodium refuses it)."""
        try:
            return Point(_nb.crypto_scalarmult_ed25519_noclamp(k.to_bytes(), self._b))
        except (nacl.exceptions.RuntimeError, nacl.exceptions.CryptoError) as exc:
            raise InvalidScalar("scalar multiplication by zero") from exc

    def to_bytes(self) -> bytes:
        """The canonical 32-byte encoding."""
        return self._b

    def __add__(self, other: Point) -> Point:
        return Point(_nb.crypto_core_ed25519_add(self._b, other._b))

    def __sub__(self, other: Point) -> Point:
        return Point(_nb.crypto_core_ed25519_sub(self._b, other._b))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and hmac.compare_digest(self._b, other._b)

    def __hash__(self) -> int:
        return hash((Point, self._b))

    def __repr__(self) -> str:
        return f"Point({self._b.hex()})"


def random_scalar(*, _rng: RandomBytes | None = None) -> Scalar:
    """A uniformly random non-zero scalar: 64 random bytes reduced mod ℓ.

    ``_rng`` exists for known-answer tests only (:mod:`escrow._kat`); never pass it.
    """
    source = _rng if _rng is not None else nacl.utils.random
    while True:
        k = Scalar.reduce64(source(64))
        if not k.is_zero():
            return k


def hash_to_scalar(domain: bytes, *parts: bytes) -> Scalar:
    """SHA-512(domain ‖ len(part) ‖ part ‖ …) reduced mod ℓ.

    Every part is length-prefixed (8-byte big-endian), so no two part lists collide; every
    caller uses its own ``domain`` (DESIGN.md: every hash-to-scalar is domain-separated).
    """
    h = hashlib.sha512()
    h.update(struct.pack(">H", len(domain)) + domain)
    for part in parts:
        h.update(struct.pack(">Q", len(part)))
        h.update(part)
    return Scalar.reduce64(h.digest())


def poly_eval(coefficients: Sequence[Scalar], x: int) -> Scalar:
    """f(x) = Σ a_j·x^j mod ℓ (Horner), for a share index ``x`` ≥ 1."""
    xs = Scalar.from_int(x)
    acc = Scalar(_ZERO)
    for a in reversed(coefficients):
        acc = acc * xs + a
    return acc


def poly_commit(coefficients: Sequence[Scalar]) -> tuple[Point, ...]:
    """Feldman commitments C_j = a_j·G of a polynomial's coefficients."""
    return tuple(Point.base_mul(a) for a in coefficients)


def commitment_eval(commitments: Sequence[Point], x: int) -> Point:
    """Σ x^j·C_j: the public image f(x)·G of a committed polynomial at index ``x``."""
    acc = commitments[0]
    power = 1
    for c in commitments[1:]:
        power = power * x % ORDER
        acc = acc + c.mul(Scalar.from_int(power))
    return acc


def feldman_verify(share: Scalar, index: int, commitments: Sequence[Point]) -> None:
    """Check share·G = Σ index^j·C_j (Feldman's verifiable secret sharing).

    Raises:
        VerificationError: if the share does not match the commitments or is zero (the
            ceremony turns this into :class:`~escrow.errors.DealerMisbehaved`).
    """
    if share.is_zero() or Point.base_mul(share) != commitment_eval(commitments, index):
        raise VerificationError("share does not match its Feldman commitments")


def lagrange_coefficient(i: int, indices: Sequence[int]) -> Scalar:
    """λ_i = Π_{j≠i} j / (j − i) mod ℓ, the weight of share i when interpolating at 0.

    Raises:
        InvalidScalar: if ``i`` is not in ``indices``, an index is not positive, or indices
            repeat.
    """
    if i not in indices or len(set(indices)) != len(indices) or min(indices) < 1:
        raise InvalidScalar("Lagrange indices must be distinct, positive and include i")
    # Indices are public small integers, so Python's exact integers do this arithmetic (one
    # modular inverse by pow(·, −1, ℓ), a few µs) instead of a libsodium call per product;
    # the denominator is non-zero mod ℓ because the indices are distinct and below ℓ.
    num = 1
    den = 1
    for j in indices:
        if j != i:
            num *= j
            den *= j - i
    return Scalar.from_int(num * pow(den % ORDER, -1, ORDER))
