"""Why the venue checks the pseudonym's point itself (DESIGN.md "Validation at the venue" 2).

libsodium's ``crypto_sign_open`` refuses non-canonical and small-order public keys, but
not mixed-order ones (a prime-order key plus a torsion point): for such a key the
cofactorless check holds whenever the challenge hash is a multiple of the torsion order,
so about every second message signed with the prime-order part verifies. A verifier that
left the pseudonym's point check to the signature check would admit those pseudonyms,
which are not valid Ed25519 did:keys. These tests build such a message and prove that
:func:`verifier.validate_checkin` refuses it as ``bad_pseudonym``.
"""

from __future__ import annotations

import base58
import nacl.bindings as nb
import nacl.exceptions
import pytest

import tests.verifier.support as sup
from did import cbor, cose
from did._multibase import ED25519_PUB
from protocol import CheckIn
from protocol.errors import BadPseudonym
from verifier import MemoryReplayStore, validate_checkin

# The order-2 point (0, -1) of edwards25519.
_ORDER_2 = bytes([0xEC]) + b"\xff" * 30 + b"\x7f"
_PROTECTED = b"\xa1\x01\x27"  # {1: -8}, RFC 9052 section 4.2 / RFC 9053 section 2.2
_AAD = b"anshim/protocol/v1/CheckIn"


def _sig_structure(payload: bytes) -> bytes:
    # RFC 9052 section 4.4: ["Signature1", protected, external_aad, payload].
    return cbor.encode(["Signature1", _PROTECTED, _AAD, payload])


def _mixed_order_checkin() -> tuple[bytes, bytes]:
    """(message, mixed-order key): a check-in whose pseudonym is a prime-order key plus the
    order-2 point, with a signature libsodium's ``crypto_sign_open`` accepts."""
    parsed = cose.CoseSign1.from_bytes(sup.checkin(), require_tag=True)
    fields = cbor.decode(parsed.payload)
    for attempt in range(64):
        seed = bytes([attempt]) * 32
        public, _ = nb.crypto_sign_seed_keypair(seed)
        mixed = nb.crypto_core_ed25519_add(public, _ORDER_2)
        fields[5] = "did:key:z" + base58.b58encode(ED25519_PUB + mixed).decode("ascii")
        payload = cbor.encode(fields)
        # libsodium signs with the seed's scalar and hashes the public key stored in the
        # secret key: here the mixed-order one.
        signed = nb.crypto_sign(_sig_structure(payload), seed + mixed)
        try:
            nb.crypto_sign_open(signed, mixed)
        except nacl.exceptions.BadSignatureError:  # refused: about every second message
            continue
        message = cbor.encode(cbor.Tag(18, [_PROTECTED, {}, payload, signed[:64]]))
        return message, mixed
    raise AssertionError("no accepted signature in 64 attempts (expected about 1 in 2)")


def test_libsodium_alone_accepts_a_mixed_order_pseudonym() -> None:
    message, mixed = _mixed_order_checkin()
    assert not nb.crypto_core_ed25519_is_valid_point(mixed)
    parsed = cose.CoseSign1.from_bytes(message, require_tag=True)
    nb.crypto_sign_open(parsed.signature + _sig_structure(parsed.payload), mixed)


def test_the_venue_refuses_a_mixed_order_pseudonym() -> None:
    message, _ = _mixed_order_checkin()
    with pytest.raises(BadPseudonym) as caught:
        validate_checkin(
            message,
            venue=sup.venue(),
            now=sup.NOW,
            replay=MemoryReplayStore(),
            epoch_keys=sup.EPOCH_KEYS,
        )
    assert caught.value.code == "bad_pseudonym"
    with pytest.raises(BadPseudonym):
        CheckIn.verify(message, audience=sup.VENUE, now=sup.NOW)
