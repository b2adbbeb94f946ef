"""Group layer: strict point and scalar decoding, Lagrange, Feldman (DESIGN.md "Escrow")."""

from __future__ import annotations

import pytest

from did.errors import VerificationError
from escrow import (
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
from escrow.errors import InvalidPoint, InvalidScalar
from tests.escrow.points import BAD_POINTS, BAD_SCALARS, G


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
