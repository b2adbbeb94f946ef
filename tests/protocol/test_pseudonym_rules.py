"""The pseudonym's key rule (DESIGN.md "Validation at the venue" step 2): the encodings
libsodium's Ed25519 verification refuses before it decompresses a public key, reproduced
by byte checks (``protocol.wire``), and nothing more: no prime-order check.

The small-order set is derived here from the curve equation (RFC 8032 section 5.1), not
copied from libsodium, and libsodium is asked about every point of it."""

from __future__ import annotations

import base58
import nacl.bindings as nb
import nacl.exceptions
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import _pseudonym

P = 2**255 - 19
D = -121665 * pow(121666, P - 2, P) % P
L = 2**252 + 27742317777372353535851937790883648493
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    # RFC 8032 section 5.1.4, affine twisted Edwards addition (a = -1).
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, P - 2, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P
    return x3, y3


def _mul(k: int, point: tuple[int, int]) -> tuple[int, int]:
    result, addend = (0, 1), point
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _add(addend, addend)
        k >>= 1
    return result


def _decode_x(y: int) -> int | None:
    # RFC 8032 section 5.1.3 step 2-3: x^2 = (y^2 - 1) / (d y^2 + 1).
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x2 = u * pow(v, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if x * x % P != x2:
        x = x * SQRT_M1 % P
    return x if x * x % P == x2 else None


def _encode(point: tuple[int, int], sign: int) -> bytes:
    return (point[1] | sign << 255).to_bytes(32, "little")


def _torsion() -> set[tuple[int, int]]:
    # L times a point of full order 8L has order 8; its multiples are the 8-torsion.
    y = 2
    while True:
        x = _decode_x(y)
        if x is not None:
            t = _mul(L, (x, y))
            if _mul(4, t) != (0, 1):
                return {_mul(i, t) for i in range(8)}
        y += 1


TORSION = _torsion()


def test_the_small_order_set_is_the_curves_8_torsion() -> None:
    assert len(TORSION) == 8
    assert {y for _, y in TORSION} == _pseudonym._SMALL_ORDER_Y


def test_libsodium_refuses_every_small_order_key_and_so_do_we() -> None:
    for point in TORSION:
        for sign in (0, 1):
            raw = _encode(point, sign)
            assert not _pseudonym._libsodium_accepts(raw)
            with pytest.raises(nacl.exceptions.BadSignatureError):
                nb.crypto_sign_open(bytes(64) + b"m", raw)


def test_non_canonical_encodings_are_refused() -> None:
    for y in range(P, 2**255):
        assert not _pseudonym._libsodium_accepts(y.to_bytes(32, "little"))


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.integers(1, 7))
def test_mixed_order_keys_are_accepted_prime_order_ones_too(seed: bytes, torsion: int) -> None:
    public, _ = nb.crypto_sign_seed_keypair(seed)
    assert _pseudonym._libsodium_accepts(public)
    t = sorted(TORSION)[torsion]
    if t == (0, 1):
        t = sorted(TORSION)[0]
    mixed = nb.crypto_core_ed25519_add(public, _encode(t, t[0] & 1))
    assert not nb.crypto_core_ed25519_is_valid_point(mixed)  # not prime order
    assert _pseudonym._libsodium_accepts(mixed)  # and yet admitted: DESIGN.md step 2


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(min_size=32, max_size=32).map(
            lambda raw: "did:key:z" + base58.b58encode(b"\xed\x01" + raw).decode()
        ),
        st.text(st.sampled_from(_B58 + "0OIl+é"), min_size=44, max_size=44).map(
            lambda tail: "did:key:z6Mk" + tail
        ),
    )
)
def test_the_pseudonym_decoder_is_did_keys_multibase_decoder(did: str) -> None:
    # The direct base58 read equals the multibase decoding (the ``base58`` library) and the
    # encoding rule: same key bytes, or refused alike.
    try:
        data = base58.b58decode(did[9:])
    except ValueError:
        data = b""
    expected = (
        data[2:]
        if len(data) == 34 and data[:2] == b"\xed\x01" and _pseudonym._libsodium_accepts(data[2:])
        else None
    )
    assert _pseudonym._pseudonym_raw(did) == expected
    assert _pseudonym.is_pseudonym(did) == (expected is not None and len(did) == 56)


def test_only_the_47_digit_form_is_read() -> None:
    # A leading "1" is a zero digit in base58btc: 48 digits "16Mk…" spell the number the 47
    # digits "6Mk…" spell, but multibase decodes them to a leading zero byte (no Ed25519
    # did:key), so the digit reader takes exactly 47 digits.
    raw, _ = nb.crypto_sign_seed_keypair(bytes(32))
    digits = base58.b58encode(b"\xed\x01" + raw)
    assert len(digits) == 47
    assert _pseudonym.key_of_digits(digits) == raw
    for wrong in (b"1" + digits, digits[:-1], digits + b"1", digits[1:]):
        assert _pseudonym.key_of_digits(wrong) is None


@pytest.mark.parametrize("seed", [bytes(32), b"\xff" * 32, b"\x5a" * 32])
def test_the_digit_folds_hold_every_digit_in_every_place(seed: bytes) -> None:
    # The folded read against Horner's rule: a key's 47 digits with each place set to each
    # digit in turn (so every lane meets its smallest and largest digit; most results keep
    # the 0xed01 top and so compare key bytes, not only refusals).
    raw, _ = nb.crypto_sign_seed_keypair(seed)
    digits = base58.b58encode(b"\xed\x01" + raw).decode()
    for at in range(47):
        for digit in _B58[1:] if at == 0 else _B58:
            tail = digits[:at] + digit + digits[at + 1 :]
            number = 0
            for c in tail:
                number = number * 58 + _B58.index(c)
            key = (number & ((1 << 256) - 1)).to_bytes(32, "big")
            top = number >> 256 == 0xED01
            expected = key if top and _pseudonym._libsodium_accepts(key) else None
            assert _pseudonym.key_of_digits(tail.encode()) == expected
