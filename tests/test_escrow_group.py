"""Group layer: strict point and scalar decoding, Lagrange, Feldman (DESIGN.md "Escrow")."""

from __future__ import annotations

import nacl.bindings as nb
import pytest

from did.errors import VerificationError
from escrow.errors import InvalidPoint, InvalidScalar
from escrow.group import (
    ORDER,
    Point,
    Scalar,
    feldman_verify,
    hash_to_scalar,
    lagrange_coefficient,
    poly_commit,
    poly_eval,
    random_scalar,
)

P = 2**255 - 19
D = (-121665 * pow(121666, P - 2, P)) % P


def _enc(y: int, sign: int = 0) -> bytes:
    return (y | (sign << 255)).to_bytes(32, "little")


def _off_curve() -> bytes:
    # The first y whose x² = (y² − 1)/(d·y² + 1) is not a square mod p: no point has it.
    y = 2
    while True:
        x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
        if x2 and pow(x2, (P - 1) // 2, P) == P - 1:
            return _enc(y)
        y += 1


# libsodium's small-order list (crypto_core_ed25519 blocklist): orders 1, 2, 4 and 8.
SMALL_ORDER = [
    _enc(1),  # identity (0, 1)
    _enc(P - 1),  # (0, −1), order 2
    _enc(0),  # order 4
    _enc(0, 1),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
]
NON_CANONICAL = [_enc(P), _enc(P + 1), _enc(2**255 - 1)]
G = Point.base_mul(Scalar.from_int(1))
MIXED = nb.crypto_core_ed25519_add(G.to_bytes(), SMALL_ORDER[4])  # G + torsion: not in subgroup
BAD_POINTS = [*SMALL_ORDER, *NON_CANONICAL, _off_curve(), MIXED, b"\x00" * 31, b""]
BAD_SCALARS = [
    bytes(32),  # zero
    ORDER.to_bytes(32, "little"),  # ℓ: non-canonical
    (ORDER + 1).to_bytes(32, "little"),
    (2**256 - 1).to_bytes(32, "little"),
    b"\x01" * 31,
]


@pytest.mark.parametrize("raw", BAD_POINTS)
def test_bad_points_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidPoint):
        Point.from_bytes(raw)


@pytest.mark.parametrize("raw", BAD_SCALARS)
def test_bad_scalars_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidScalar):
        Scalar.from_bytes(raw)


def test_valid_round_trip_and_constant_time_eq() -> None:
    x = random_scalar()
    y = Point.base_mul(x)
    assert Point.from_bytes(y.to_bytes()) == y
    assert Scalar.from_bytes(x.to_bytes()) == x
    assert Scalar.from_bytes((ORDER - 1).to_bytes(32, "little")) == -Scalar.from_int(1)
    assert repr(x) == "Scalar(<hidden>)"


def test_zero_scalar_multiplication_is_our_error() -> None:
    with pytest.raises(InvalidScalar):
        Point.base_mul(Scalar.from_int(0))
    with pytest.raises(InvalidScalar):
        G.mul(Scalar.from_int(ORDER))
    with pytest.raises(InvalidScalar):
        Scalar.from_int(0).invert()


def test_hash_to_scalar_is_domain_separated_and_length_prefixed() -> None:
    assert hash_to_scalar(b"a", b"x") != hash_to_scalar(b"b", b"x")
    assert hash_to_scalar(b"a", b"xy", b"z") != hash_to_scalar(b"a", b"x", b"yz")


def test_lagrange_interpolates_the_secret() -> None:
    coeffs = [random_scalar() for _ in range(3)]
    for subset in [(1, 2, 3), (2, 4, 5), (1, 3, 5), (3, 4, 5)]:
        acc = Scalar.from_int(0)
        for i in subset:
            acc = acc + lagrange_coefficient(i, subset) * poly_eval(coeffs, i)
        assert acc == coeffs[0]
    # k − 1 shares interpolate to something else.
    pair = (1, 2)
    acc = Scalar.from_int(0)
    for i in pair:
        acc = acc + lagrange_coefficient(i, pair) * poly_eval(coeffs, i)
    assert acc != coeffs[0]
    with pytest.raises(InvalidScalar):
        lagrange_coefficient(1, (1, 1, 2))
    with pytest.raises(InvalidScalar):
        lagrange_coefficient(4, (1, 2, 3))


def test_feldman_accepts_true_shares_and_refuses_wrong_ones() -> None:
    coeffs = [random_scalar() for _ in range(3)]
    comms = poly_commit(coeffs)
    for i in range(1, 6):
        feldman_verify(poly_eval(coeffs, i), i, comms)
    with pytest.raises(VerificationError):
        feldman_verify(poly_eval(coeffs, 1) + Scalar.from_int(1), 1, comms)
    with pytest.raises(VerificationError):
        feldman_verify(poly_eval(coeffs, 2), 3, comms)
    with pytest.raises(VerificationError):
        feldman_verify(Scalar.from_int(0), 1, comms)
