"""The pseudonym's key rule (DESIGN.md "Validation at the venue" step 2), public through
:mod:`protocol.wire`: a pseudonym is an Ed25519 ``did:key`` whose key libsodium's Ed25519
verification accepts, checked by bytes, without decompressing the point and without a
prime-order check (a mixed-order pseudonym can only alias its own holder's pseudonym).
"""

from __future__ import annotations

import functools

from protocol.errors import BadPseudonym, MalformedMessage

__all__ = ["is_pseudonym", "key_of_digits", "pseudonym_key_bytes", "pseudonym_value"]

# An Ed25519 did:key is "did:key:z" and the base58btc digits of 0xed01 ‖ the 32-byte key
# (did:key 3.1.1; multicodec ed25519-pub): 47 digits, the first "6" (so no leading "1",
# and the digits are the one base58btc form of their value), 56 characters in all.
_PSEUDONYM_PREFIX = "did:key:z6Mk"
_PSEUDONYM_CHARS = 56
_ED25519_PUB = b"\xed\x01"
# RFC 8032 section 5.1.3: an encoding is the little-endian y with x's sign in the top bit.
_P = 2**255 - 19
_Y_MASK = (1 << 255) - 1
# libsodium's ge25519_has_small_order() blocklist (ed25519_ref10.c), compared with the sign
# bit cleared: y = 0 (order 4), 1 (order 1), the two y of the order-8 points, p - 1
# (order 2); p and p + 1 (0 and 1 again) are non-canonical and refused by the y < p rule.
# tests/protocol/test_pseudonym_rules.py derives the same set from the curve equation.
_SMALL_ORDER_Y = frozenset(
    (
        0,
        1,
        0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826,
        0x7A03AC9277FDC74EC6CC392CFA53202A0F67100D760B3CBA4FD84D3D706A17C7,
        _P - 1,
    )
)


def _libsodium_accepts(raw: bytes) -> bool:
    # libsodium's crypto_sign_verify_detached refuses a public key that is not canonically
    # encoded (ge25519_is_canonical: y < p) or has small order (the blocklist above), before
    # it decompresses the point. Mixed-order keys pass, as DESIGN.md step 2 allows.
    y = int.from_bytes(raw, "little") & _Y_MASK
    return y < _P and y not in _SMALL_ORDER_Y


# base58btc digits (the Bitcoin alphabet) as their values; any other byte maps to 0xFF.
_B58_DIGITS = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_VALUES = bytes(_B58_DIGITS.index(b) if b in _B58_DIGITS else 0xFF for b in range(256))
# The multicodec prefix 0xed01 as the top of the 272-bit number the digits spell.
_ED25519_PUB_TOP = int.from_bytes(_ED25519_PUB, "big")
_KEY_MASK = (1 << 256) - 1
_DIGITS = 47


def _lanes(width: int) -> int:
    # The low halves of the 2 * width-bit lanes of a 512-bit number.
    return sum(((1 << width) - 1) << at for at in range(0, 512, 2 * width))


# The 47 digit values, one a byte, are read as one 376-bit number and folded pairwise in
# six steps (SIMD within a register): step k turns each 2 * w-bit lane (w = 8 * 2**k)
# holding hi ‖ lo, two numbers of 2**k digits, into hi * 58**(2**k) + lo, which is below
# 58**(2**(k+1)) < 2**(2 * w), so it fits its lane. Six steps join 64 digits (the 47, under
# 17 zero digits).
_FOLDS: tuple[tuple[int, int, int], ...] = tuple(
    (8 << k, _lanes(8 << k), 58 ** (1 << k)) for k in range(5)
)
_TOP_POW = 58**32


def key_of_digits(digits: bytes) -> bytes | None:
    """The key bytes of a pseudonym from its 47 base58btc digits after ``did:key:z`` (ASCII
    bytes, the first ``6``, as :func:`is_pseudonym`'s form has them), or ``None`` if they
    are not 0xed01 ‖ a key libsodium verifies under.

    A 47-digit base58btc number with no leading ``1`` has one encoding, so the digits are
    read as a number, which must be 0xed01 ‖ 32 bytes (the value did:key's multibase
    decoding gives). The check-in reader calls this on the bytes it reads (a venue meets
    every pseudonym once); :func:`pseudonym_key_bytes` on text.
    """
    values = digits.translate(_B58_VALUES)
    if len(values) != _DIGITS or 0xFF in values:
        return None
    # The folds of _FOLDS, unrolled (about a third of Horner's rule on the digits).
    (w0, m0, p0), (w1, m1, p1), (w2, m2, p2), (w3, m3, p3), (w4, m4, p4) = _FOLDS
    x = int.from_bytes(values, "big")
    x = (x >> w0 & m0) * p0 + (x & m0)
    x = (x >> w1 & m1) * p1 + (x & m1)
    x = (x >> w2 & m2) * p2 + (x & m2)
    x = (x >> w3 & m3) * p3 + (x & m3)
    x = (x >> w4 & m4) * p4 + (x & m4)
    number = (x >> 256) * _TOP_POW + (x & _KEY_MASK)
    if number >> 256 != _ED25519_PUB_TOP:
        return None
    raw = (number & _KEY_MASK).to_bytes(32, "big")
    # _libsodium_accepts, inline (the venue's hot path).
    y = int.from_bytes(raw, "little") & _Y_MASK
    if y >= _P or y in _SMALL_ORDER_Y:
        return None
    return raw


@functools.lru_cache(maxsize=64)
def _pseudonym_raw(value: str) -> bytes | None:
    # The key bytes of a string of the pseudonym form, or None (key_of_digits). Kept for
    # the few strings just seen: a wallet or a test names one pseudonym many times.
    return key_of_digits(value[9:].encode("ascii", "replace"))


def is_pseudonym(value: str) -> bool:
    """Whether the text ``value`` is a pseudonym DID (:func:`pseudonym_key_bytes`)."""
    return (
        len(value) == _PSEUDONYM_CHARS
        and value.startswith(_PSEUDONYM_PREFIX)
        and _pseudonym_raw(value) is not None
    )


def pseudonym_key_bytes(value: object, what: str) -> bytes:
    """The 32-byte key of a pseudonym (DESIGN.md "Validation at the venue" step 2).

    A pseudonym is an Ed25519 ``did:key`` (``did:key:z6Mk…``, no fragment) whose key
    libsodium verifies under: canonically encoded and not of small order. The point is not
    decompressed and no prime-order check is made: a mixed-order pseudonym key can only
    alias its own holder's pseudonym, which the holder can do anyway by deriving another;
    a key that is not on the curve fails the signature check.

    Raises:
        MalformedMessage: ``value`` is not text.
        BadPseudonym: text that is not such a did:key.
    """
    if type(value) is not str:
        raise MalformedMessage(f"{what}: pseudonym must be text")
    if len(value) != _PSEUDONYM_CHARS or not value.startswith(_PSEUDONYM_PREFIX):
        raise BadPseudonym(f"{what}: pseudonym must be an Ed25519 did:key")
    raw = _pseudonym_raw(value)
    if raw is None:
        raise BadPseudonym(f"{what}: pseudonym must be an Ed25519 key libsodium verifies under")
    return raw


def pseudonym_value(value: object, what: str) -> str:
    """A pseudonym DID (:func:`pseudonym_key_bytes` says which), returned as given.

    Raises:
        MalformedMessage: ``value`` is not text.
        BadPseudonym: text that is not an Ed25519 did:key libsodium verifies under.
    """
    if type(value) is not str:
        raise MalformedMessage(f"{what}: pseudonym must be text")
    pseudonym_key_bytes(value, what)
    return value
