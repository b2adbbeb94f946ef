"""The VerifiedPersonCredential, its compact COSE twin and the sealed identity plaintext
(DESIGN.md "Credentials")."""

from __future__ import annotations

import contextlib
import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import escrow
from did import Ed25519PrivateKey, did_from_public_key
from did.errors import AnshimError
from did.vc.errors import InvalidProofSignature, UntrustedIssuer
from protocol import (
    ENVELOPE_PAD_TO,
    ENVELOPE_SIZE,
    MAX_COMPACT_SIZE,
    MAX_IDENTITY_PLAINTEXT,
    CompactPersonCredential,
    IdentityPlaintext,
    IdentityVerification,
    PersonCredential,
    check_phone,
    issue_person_credential,
)
from protocol.errors import (
    BadSignature,
    Expired,
    IdentityNotYetValid,
    MalformedMessage,
    TwinMismatch,
    WrongIssuer,
)

ISSUER = Ed25519PrivateKey.from_seed(b"\x11" * 32)
ISSUER_DID = did_from_public_key(ISSUER.public_key)
HOLDER_KEY = Ed25519PrivateKey.from_seed(b"\x12" * 32)
HOLDER = did_from_public_key(HOLDER_KEY.public_key)
T0 = 1_730_000_000


def _issue(**kw: object) -> PersonCredential:
    args: dict[str, object] = {"name": "Kim", "valid_from": T0, "valid_until": T0 + 86400}
    args.update(kw)
    return issue_person_credential(ISSUER, ISSUER_DID, HOLDER, "+821012345678", **args)  # type: ignore[arg-type]


GOOD = _issue()


def test_pad_is_the_envelope_size_minus_escrow_overhead() -> None:
    assert ENVELOPE_PAD_TO == ENVELOPE_SIZE - escrow.ENVELOPE_OVERHEAD
    assert MAX_IDENTITY_PLAINTEXT == ENVELOPE_PAD_TO - 1


def test_both_forms_verify_and_agree() -> None:
    GOOD.verify(now=T0 + 10, trusted_issuers=[ISSUER_DID])
    assert GOOD.holder == HOLDER
    assert GOOD.credential_id.startswith("urn:uuid:")
    subject = GOOD.document["credentialSubject"]
    assert subject["telephone"] == "+821012345678"
    assert subject["identityVerification"] == "mobile-carrier"
    assert GOOD.compact.credential_urn == GOOD.document["id"]
    again = PersonCredential.from_bytes(GOOD.to_bytes())
    assert again.compact == GOOD.compact
    assert again.document == GOOD.document


def test_the_largest_credential_fits_the_envelope() -> None:
    biggest = issue_person_credential(
        ISSUER,
        ISSUER_DID,
        HOLDER,
        "+999999999999999",
        name="가나다라마X",
        verified_by=IdentityVerification.BANK,
        valid_from=2**32 - 10,
        valid_until=2**32 - 1,
    )
    assert len(biggest.compact.cbor) == MAX_COMPACT_SIZE
    label = escrow.TraceSeedLabel("x", 20000)
    plaintext = IdentityPlaintext.new(
        biggest.compact.cbor, holder_key=HOLDER_KEY, label=label.to_bytes()
    ).to_bytes()
    # The compact form, the holder's signature, the nonce and the kind byte fill the pad
    # but for the padding's one byte.
    assert len(plaintext) == MAX_IDENTITY_PLAINTEXT
    sealed = escrow.seal(_world_key(), label, plaintext, pad_to=ENVELOPE_PAD_TO)
    assert len(sealed.to_bytes()) == ENVELOPE_SIZE


def _world_key() -> escrow.EpochKey:
    from tests.escrow.support import FIRST_EPOCH, world

    assert FIRST_EPOCH == 20000
    return world().directory.get_key(FIRST_EPOCH)


@pytest.mark.parametrize(
    "phone",
    [
        "821012345678",
        "+0821012345",
        "+82 10 1234 5678",
        "+82-10-1234",
        "+12345",
        "+1234567890123456",
        "+８２１０１２３４５６７",
        "",
    ],
)
def test_phone_numbers_are_strict_e164(phone: str) -> None:
    with pytest.raises(MalformedMessage):
        check_phone(phone)
    with pytest.raises(MalformedMessage):
        issue_person_credential(
            ISSUER, ISSUER_DID, HOLDER, phone, valid_from=T0, valid_until=T0 + 1
        )


def test_names_over_the_budget_or_not_nfc_are_refused() -> None:
    for name in ("x" * 17, "가나다라마바", "e\u0301", "a\nb", ""):
        with pytest.raises(MalformedMessage):
            _issue(name=name)
    assert _issue(name=None).compact.name is None


def test_compact_verify_checks_key_issuer_and_time() -> None:
    compact = CompactPersonCredential.from_cbor(GOOD.compact.cbor)
    compact.verify(ISSUER.public_key, issuer_did=ISSUER_DID, now=T0)
    with pytest.raises(BadSignature):
        compact.verify(Ed25519PrivateKey.generate().public_key)
    with pytest.raises(WrongIssuer):
        compact.verify(ISSUER.public_key, issuer_did="did:web:other.example")
    with pytest.raises(IdentityNotYetValid):
        compact.verify(ISSUER.public_key, now=T0 - 1)
    with pytest.raises(Expired):
        compact.verify(ISSUER.public_key, now=T0 + 86400)
    assert compact.issuer_in(["did:web:a.example", ISSUER_DID]) == ISSUER_DID
    with pytest.raises(WrongIssuer):
        compact.issuer_in(["did:web:a.example"])
    assert "+82" not in repr(compact)
    assert "Kim" not in repr(compact)
    assert "+82" not in repr(GOOD)


def test_a_twin_that_disagrees_is_refused() -> None:
    other = _issue(name="Lee")
    with pytest.raises(TwinMismatch):
        PersonCredential.from_parts(GOOD.document, other.compact.cbor)


def test_an_altered_json_form_is_refused() -> None:
    doc = copy.deepcopy(dict(GOOD.document))
    doc["credentialSubject"]["name"] = "Lee"
    altered = PersonCredential(doc, _issue(name="Lee").compact)
    with pytest.raises(InvalidProofSignature):
        altered.verify(now=T0)


def test_untrusted_issuer_is_refused() -> None:
    with pytest.raises(UntrustedIssuer):
        GOOD.verify(now=T0, trusted_issuers=["did:web:other.example"])


def test_identity_plaintext_round_trip_and_strictness() -> None:
    plain = IdentityPlaintext.new(GOOD.compact.cbor, holder_key=HOLDER_KEY, label=b"label")
    data = plain.to_bytes()
    assert IdentityPlaintext.from_bytes(data) == plain
    assert IdentityPlaintext.from_bytes(data).credential() == GOOD.compact
    assert IdentityPlaintext.from_bytes(data).verify_holder(b"label") == GOOD.compact
    for bad in (b"", data[:17], data[:81], b"\x02" + data[1:], data + b"\x00", data[:-1]):
        with pytest.raises(MalformedMessage):
            IdentityPlaintext.from_bytes(bad)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=260))
def test_hostile_bytes_raise_only_typed_errors(data: bytes) -> None:
    for decode in (
        CompactPersonCredential.from_cbor,
        IdentityPlaintext.from_bytes,
        PersonCredential.from_bytes,
    ):
        with contextlib.suppress(AnshimError):
            decode(data)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(GOOD.compact.cbor) - 1), st.integers(1, 255))
def test_any_changed_byte_is_refused(position: int, xor: int) -> None:
    data = bytearray(GOOD.compact.cbor)
    data[position] ^= xor
    with pytest.raises(AnshimError):
        CompactPersonCredential.from_cbor(bytes(data)).verify(ISSUER.public_key)
