"""The holder's signature inside a wallet's envelope (DESIGN.md "Check-in presentation"; issue
9 section 4 item 11): after unsealing, :func:`protocol.verify_sealed_identity` shows that the
credential's holder sealed it for this very visit, so a leaked identity credential sealed
into someone else's check-ins, or a genuine identity moved to another visit, is caught."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did import Ed25519PrivateKey, did_from_public_key
from did.errors import InvalidKey
from escrow import VisitLabel
from protocol import (
    HOLDER_SIGNATURE_SIZE,
    MAX_IDENTITY_PLAINTEXT,
    IdentityPlaintext,
    issue_person_credential,
    verify_sealed_identity,
)
from protocol.errors import (
    BadHolderSignature,
    BadSignature,
    Expired,
    IdentityNotYetValid,
    MalformedMessage,
    WrongIssuer,
)

ISSUER = Ed25519PrivateKey.from_seed(b"\x21" * 32)
ISSUER_DID = did_from_public_key(ISSUER.public_key)
VICTIM = Ed25519PrivateKey.from_seed(b"\x22" * 32)
ATTACKER = Ed25519PrivateKey.from_seed(b"\x23" * 32)
T0 = 1_730_000_000
VENUE = "did:web:registry.example:venues:cafe-1"
ISSUERS = {ISSUER_DID: ISSUER.public_key}

VICTIM_CREDENTIAL = issue_person_credential(
    ISSUER,
    ISSUER_DID,
    did_from_public_key(VICTIM.public_key),
    "+821012345678",
    name="Kim",
    valid_from=T0 - 86400,
    valid_until=T0 + 365 * 86400,
)
COMPACT = VICTIM_CREDENTIAL.compact.cbor


def _label(pseudonym_seed: bytes, time_in: int = T0, venue: str = VENUE) -> bytes:
    pseudonym = did_from_public_key(Ed25519PrivateKey.from_seed(pseudonym_seed).public_key)
    return VisitLabel(venue, time_in // 86400, pseudonym, time_in).to_bytes()


def test_the_holders_own_checkin_verifies() -> None:
    label = _label(b"\x01" * 32)
    plaintext = IdentityPlaintext.new(COMPACT, holder_key=VICTIM, label=label).to_bytes()
    assert len(plaintext) <= MAX_IDENTITY_PLAINTEXT
    credential = verify_sealed_identity(plaintext, label=label, issuers=ISSUERS, now=T0)
    assert credential.phone == "+821012345678"
    assert credential.holder == VICTIM_CREDENTIAL.holder


def test_leaked_credential_sealed_into_another_persons_checkin_is_caught() -> None:
    # The attacker holds the victim's compact credential (a leak) and seals it into their
    # own check-in. Without the victim's long-term key their signature is their own, or
    # made up: either way it is not the credential holder's over this label.
    label = _label(b"\x02" * 32)
    forged = IdentityPlaintext(COMPACT, bytes(16), ATTACKER.sign(b"anything"))
    with pytest.raises(BadHolderSignature) as info:
        verify_sealed_identity(forged.to_bytes(), label=label, issuers=ISSUERS, now=T0)
    assert info.value.code == "badHolderSignature"
    assert isinstance(info.value, BadSignature)
    # The wallet API refuses to make such a plaintext at all.
    with pytest.raises(InvalidKey):
        IdentityPlaintext.new(COMPACT, holder_key=ATTACKER, label=label)


def test_genuine_identity_moved_to_another_visit_is_caught() -> None:
    # A plaintext the victim really sealed for one visit, sealed again under another
    # visit's label (another pseudonym, time or venue): the signature names the first.
    first = _label(b"\x03" * 32)
    genuine = IdentityPlaintext.new(COMPACT, holder_key=VICTIM, label=first).to_bytes()
    for other in (
        _label(b"\x04" * 32),
        _label(b"\x03" * 32, time_in=T0 + 1),
        _label(b"\x03" * 32, venue="did:web:registry.example:venues:bar-2"),
    ):
        with pytest.raises(BadHolderSignature):
            verify_sealed_identity(genuine, label=other, issuers=ISSUERS, now=T0)


def test_the_issuer_and_validity_are_checked_too() -> None:
    label = _label(b"\x05" * 32)
    plaintext = IdentityPlaintext.new(COMPACT, holder_key=VICTIM, label=label)
    rogue = Ed25519PrivateKey.from_seed(b"\x29" * 32)
    with pytest.raises(WrongIssuer):
        verify_sealed_identity(
            plaintext, label=label, issuers={"did:web:other.example": ISSUER.public_key}, now=T0
        )
    with pytest.raises(BadSignature):
        verify_sealed_identity(
            plaintext, label=label, issuers={ISSUER_DID: rogue.public_key}, now=T0
        )
    with pytest.raises(IdentityNotYetValid):
        verify_sealed_identity(plaintext, label=label, issuers=ISSUERS, now=T0 - 2 * 86400)
    with pytest.raises(Expired):
        verify_sealed_identity(plaintext, label=label, issuers=ISSUERS, now=T0 + 400 * 86400)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, HOLDER_SIGNATURE_SIZE - 1), st.integers(1, 255))
def test_any_changed_signature_byte_is_caught(position: int, xor: int) -> None:
    label = _label(b"\x06" * 32)
    plaintext = bytearray(IdentityPlaintext.new(COMPACT, holder_key=VICTIM, label=label).to_bytes())
    plaintext[17 + position] ^= xor  # the signature follows the kind byte and the nonce
    with pytest.raises(BadHolderSignature):
        verify_sealed_identity(bytes(plaintext), label=label, issuers=ISSUERS, now=T0)


def test_labels_must_be_bytes() -> None:
    plaintext = IdentityPlaintext.new(COMPACT, holder_key=VICTIM, label=b"x")
    for bad in (b"", "label", b"x" * 1025):
        with pytest.raises(MalformedMessage):
            plaintext.verify_holder(bad)  # type: ignore[arg-type]
