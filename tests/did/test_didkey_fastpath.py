"""The direct decoding of plain Ed25519 did:keys (did/didkey.py ``_plain_ed25519_raw``).

Every check-in names a pseudonym the venue has never parsed, so the Ed25519 did:key is
decoded without the generic DID-URL and multibase machinery. These tests hold it to the
generic path: the same bytes for every string the generic path decodes to an Ed25519 key,
``None`` (fall back to the generic path) for everything else, and the same point check.
"""

from __future__ import annotations

import base58
import nacl.bindings as nb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did import ED25519_PUB, Ed25519PrivateKey, Ed25519PublicKey
from did._didkey import (
    _plain_ed25519_raw,
    did_from_public_key,
    ed25519_public_key_from_did,
    public_key_from_did_key,
)
from did.errors import InvalidDid

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# The order-2 point (0, -1) of edwards25519: adding it to a key gives a mixed-order point.
_ORDER_2 = bytes([0xEC]) + b"\xff" * 30 + b"\x7f"


def _did_of_raw(raw: bytes) -> str:
    return "did:key:z" + base58.b58encode(ED25519_PUB + raw).decode("ascii")


def _library_raw(did: str) -> bytes | None:
    """What the base58 library says the did:key holds, if it is an Ed25519 multikey."""
    if not did.startswith("did:key:z") or "#" in did:
        return None
    body = did[len("did:key:z") :]
    if not body or not set(body) <= set(_B58):
        return None
    data = base58.b58decode(body)
    if len(data) != 34 or data[:2] != ED25519_PUB:
        return None
    return data[2:]


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_every_ed25519_did_key_decodes_as_the_library_does(raw: bytes) -> None:
    did = _did_of_raw(raw)
    assert len(did) == 56
    assert _plain_ed25519_raw(did) == raw == _library_raw(did)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(min_size=32, max_size=32),
    st.integers(min_value=9, max_value=55),
    st.sampled_from([*_B58, "0", "O", "I", "l", "#", ":", "é"]),
)
def test_a_changed_character_decodes_as_the_library_does(raw: bytes, at: int, ch: str) -> None:
    did = _did_of_raw(raw)
    changed = did[:at] + ch + did[at + 1 :]
    assert _plain_ed25519_raw(changed) == _library_raw(changed)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_B58, min_size=40, max_size=50))
def test_arbitrary_base58_values_decode_as_the_library_does(body: str) -> None:
    did = "did:key:z" + body
    assert _plain_ed25519_raw(did) == _library_raw(did)


def test_other_forms_take_the_generic_path() -> None:
    did = did_from_public_key(Ed25519PrivateKey.generate().public_key)
    x25519 = "did:key:" + Ed25519PrivateKey.generate().public_key.to_x25519().to_multikey()
    for other in (did + "#" + did[8:], did[:-1], did + "1", x25519, "did:web:example.com"):
        assert _plain_ed25519_raw(other) is None
    # Over 34 bytes: the largest 47-digit value does not fit.
    assert _plain_ed25519_raw("did:key:z6Mk" + "z" * 44) is None


def test_fast_and_generic_paths_give_the_same_key() -> None:
    for _ in range(20):
        key = Ed25519PrivateKey.generate().public_key
        did = did_from_public_key(key)
        fast = ed25519_public_key_from_did(did)
        generic = public_key_from_did_key(did)
        assert isinstance(generic, Ed25519PublicKey)
        assert fast.to_bytes() == generic.to_bytes() == key.to_bytes()
        # The verification-method URL form takes the generic path to the same key.
        assert ed25519_public_key_from_did(f"{did}#{did[8:]}").to_bytes() == key.to_bytes()


@pytest.mark.parametrize(
    "raw",
    [
        bytes(32),  # y = 0: a point of order 4
        bytes([1]) + bytes(31),  # the identity point: small order
        _ORDER_2,  # order 2
        b"\xff" * 31 + b"\x7f",  # y = 2^255 - 1: not canonical
    ],
)
def test_invalid_points_are_refused_on_the_fast_path(raw: bytes) -> None:
    did = _did_of_raw(raw)
    assert _plain_ed25519_raw(did) == raw
    with pytest.raises(InvalidDid):
        ed25519_public_key_from_did(did)


def test_mixed_order_keys_are_refused_on_the_fast_path() -> None:
    # A valid key plus the order-2 point: canonical, on the curve, not of small order, but
    # outside the prime-order subgroup (did:key 3.1.4 invalidPublicKey as anshim applies it).
    key = Ed25519PrivateKey.generate().public_key.to_bytes()
    mixed = nb.crypto_core_ed25519_add(key, _ORDER_2)
    assert not nb.crypto_core_ed25519_is_valid_point(mixed)
    with pytest.raises(InvalidDid):
        ed25519_public_key_from_did(_did_of_raw(mixed))
