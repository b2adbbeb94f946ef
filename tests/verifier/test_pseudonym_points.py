"""The venue's rule for the pseudonym's point (DESIGN.md "Validation at the venue" step 2):
libsodium's verification rules, and no prime-order check.

libsodium's ``crypto_sign_open`` refuses non-canonical and small-order public keys, but
not mixed-order ones (a prime-order key plus a torsion point): for such a key the
cofactorless check holds whenever the challenge hash is a multiple of the torsion order,
so about every second message signed with the prime-order part verifies. DESIGN.md admits
such a pseudonym on purpose: the pseudonym is never used for key agreement or by the
custodians (who recompute the label from the record's strings), so a mixed-order key can
only alias its own holder's pseudonym, which the holder can do anyway by deriving another
pseudonym; the venue does not pay a prime-order check (a scalar multiplication) for it.
These tests pin that rule: the mixed-order check-in is admitted, small-order and
non-canonical keys are refused as ``badPseudonym``, and a key that is not on the curve
fails the signature.
"""

from __future__ import annotations

import base58
import nacl.bindings as nb
import nacl.exceptions
import pytest

import tests.verifier.support as sup
from did import ED25519_PUB, cbor, cose
from protocol import CheckIn
from protocol.errors import BadPseudonym, BadSignature
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


def _validate(message: bytes) -> None:
    validate_checkin(
        message,
        venue=sup.venue(),
        now=sup.NOW,
        replay=MemoryReplayStore(),
        epoch_keys=sup.EPOCH_KEYS,
    )


def test_the_venue_admits_a_mixed_order_pseudonym_as_designed() -> None:
    message, mixed = _mixed_order_checkin()
    admission = validate_checkin(
        message,
        venue=sup.venue(),
        now=sup.NOW,
        replay=MemoryReplayStore(),
        epoch_keys=sup.EPOCH_KEYS,
    )
    assert admission.record.pseudonym.endswith(
        base58.b58encode(ED25519_PUB + mixed).decode("ascii")
    )
    assert (
        CheckIn.verify(message, audience=sup.VENUE, now=sup.NOW).pseudonym_key.to_bytes() == mixed
    )


def _with_pseudonym(raw: bytes) -> bytes:
    # A check-in whose pseudonym field names ``raw`` (signed by an unrelated key: the
    # pseudonym is refused before any signature is checked, or the signature fails).
    parsed = cose.CoseSign1.from_bytes(sup.checkin(), require_tag=True)
    fields = cbor.decode(parsed.payload)
    fields[5] = "did:key:z" + base58.b58encode(ED25519_PUB + raw).decode("ascii")
    payload = cbor.encode(fields)
    signed = nb.crypto_sign(_sig_structure(payload), nb.crypto_sign_seed_keypair(bytes(32))[1])
    return cbor.encode(cbor.Tag(18, [_PROTECTED, {}, payload, signed[:64]]))


@pytest.mark.parametrize(
    "raw",
    [
        _ORDER_2,  # order 2
        bytes([0xEC]) + b"\xff" * 31,  # the same point with the sign bit set
        bytes(32),  # y = 0: order 4
        b"\x01" + bytes(31),  # the identity
        bytes([0xED]) + b"\xff" * 30 + b"\x7f",  # y = p: not canonical
        b"\xff" * 32,  # y = 2^255 - 1: not canonical
    ],
)
def test_small_order_and_non_canonical_pseudonyms_are_refused(raw: bytes) -> None:
    message = _with_pseudonym(raw)
    with pytest.raises(BadPseudonym) as caught:
        _validate(message)
    assert caught.value.code == "badPseudonym"
    # libsodium refuses such a key whatever the signature: the byte rule is its rule.
    with pytest.raises(nacl.exceptions.BadSignatureError):
        nb.crypto_sign_open(b"\x00" * 64 + b"m", raw)


def test_a_pseudonym_off_the_curve_fails_the_signature() -> None:
    # y = 2 is canonical and of no small order, but no point has it: the venue's byte
    # checks pass and libsodium's decompression refuses the signature.
    raw = b"\x02" + bytes(31)
    with pytest.raises(BadSignature) as caught:
        _validate(_with_pseudonym(raw))
    assert caught.value.code == "badSignature"
