"""Property tests for did.cose: bad input raises only our errors; tampering never verifies."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from did import Ed25519PrivateKey
from did.cose import CoseError, CoseSign1, UnsupportedAlgorithm, sign1, verify1
from did.errors import InvalidSignature

KEY = Ed25519PrivateKey.from_seed(b"\x07" * 32)


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_cose_errors(data: bytes) -> None:
    # Anything but these two propagates and fails the test.
    with contextlib.suppress(CoseError, UnsupportedAlgorithm):
        CoseSign1.from_bytes(data)


@st.composite
def _tampered(draw: st.DrawFn) -> tuple[bytes, bytes, bytes]:
    payload = draw(st.binary(max_size=80))
    kid = draw(st.none() | st.binary(min_size=1, max_size=8))
    original = sign1(payload, KEY, kid=kid)
    data = bytearray(original)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        pos = draw(st.integers(min_value=0, max_value=len(data) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete"]))
        if action == "flip":
            data[pos] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif action == "insert":
            data.insert(pos, draw(st.integers(min_value=0, max_value=255)))
        elif len(data) > 1:
            del data[pos]
    return original, bytes(data), payload


@settings(max_examples=400)
@given(_tampered())
def test_tampered_messages_never_verify_to_another_payload(
    case: tuple[bytes, bytes, bytes],
) -> None:
    original, data, payload = case
    try:
        result = verify1(data, KEY.public_key)
    except (CoseError, UnsupportedAlgorithm, InvalidSignature):
        return
    # A mutation may only survive in the unprotected header (which COSE does not sign);
    # the payload must then be the signed one.
    assert result == payload
    assert CoseSign1.from_bytes(data).protected == CoseSign1.from_bytes(original).protected


@given(st.binary(max_size=300), st.binary(max_size=16), st.binary(max_size=32))
def test_sign_verify_round_trip(payload: bytes, kid: bytes, aad: bytes) -> None:
    msg = sign1(payload, KEY, kid=kid or None, external_aad=aad)
    assert verify1(msg, KEY.public_key, external_aad=aad, require_tag=True) == payload
