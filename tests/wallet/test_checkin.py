"""Scanning, check-in, holder-shown and check-out through the wallet, opened back by a
3-of-5 quorum of the test ceremony (DESIGN.md "The check-in protocol")."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import escrow
from did import qr
from protocol import (
    ENVELOPE_SIZE,
    HOLDER_SHOWN_LIFETIME,
    Channel,
    CheckIn,
    CompactPersonCredential,
    HealthDeclaration,
    IdentityPlaintext,
    Kind,
    parse_qr_text,
)
from tests.wallet.support import (
    DAY,
    FIRST_EPOCH,
    ISSUER,
    ISSUER_DID,
    NOW,
    OTHER_VENUE,
    OTHER_VENUE_KEY,
    REGISTRY,
    VENUE,
    VENUE_KEY,
    kiosk,
    new_wallet,
    poster,
    unseal,
    venue_keys,
)
from wallet import (
    AlteredCode,
    CodeNotYetValid,
    ExpiredCode,
    ForgedCode,
    MalformedCode,
    NoEpochKey,
    NotEnrolled,
    ScanRefused,
    UnknownVenueKey,
    Wallet,
    WrongPrefix,
)

CLEAR = HealthDeclaration(False, False)


def test_static_poster_check_in_opens_to_the_exact_identity(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    scanned = w.scan(poster(), now=NOW)
    assert (scanned.venue, scanned.channel, scanned.name) == (VENUE, Channel.QR_STATIC, "Cafe")
    data = w.check_in(scanned, declaration=HealthDeclaration(True, False), now=NOW)
    checkin = CheckIn.verify(data, audience=VENUE, now=NOW)
    assert checkin.challenge is None
    assert checkin.declaration == HealthDeclaration(True, False)
    assert checkin.envelope is not None
    assert len(checkin.envelope) == ENVELOPE_SIZE
    label = escrow.VisitLabel(VENUE, FIRST_EPOCH, checkin.pseudonym, NOW)
    plaintext = IdentityPlaintext.from_bytes(unseal(checkin.envelope, label))
    assert w.credential is not None
    assert plaintext.compact == w.credential.compact.cbor
    compact = CompactPersonCredential.from_cbor(plaintext.compact)
    compact.verify(ISSUER.public_key, issuer_did=ISSUER_DID, now=NOW)
    assert (compact.phone, compact.name, compact.holder) == (
        "+821012345678",
        "홍길동",
        w.holder_did,
    )


def test_kiosk_check_in_answers_the_challenge(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    text = kiosk()
    scanned = w.scan(text, now=NOW + 5, venue_keys=venue_keys)
    assert scanned.channel is Channel.QR_KIOSK
    assert scanned.challenge is not None
    checkin = CheckIn.verify(
        w.check_in(scanned, declaration=CLEAR, now=NOW + 5), audience=VENUE, now=NOW + 5
    )
    assert checkin.challenge == scanned.challenge
    assert checkin.channel is Channel.QR_KIOSK


def test_holder_shown_is_qr_text_for_any_venue_and_opens(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    text = w.holder_shown_check_in(declaration=CLEAR, now=NOW)
    _kind, data = parse_qr_text(text)
    last = NOW + HOLDER_SHOWN_LIFETIME - 1
    checkin = CheckIn.verify(data, audience=OTHER_VENUE, now=last, max_skew=0)
    assert checkin.holder_shown
    assert checkin.expires == NOW + HOLDER_SHOWN_LIFETIME
    assert checkin.envelope is not None
    label = escrow.VisitLabel(escrow.HOLDER_SHOWN_VENUE, FIRST_EPOCH, checkin.pseudonym, NOW)
    assert w.credential is not None
    plaintext = IdentityPlaintext.from_bytes(unseal(checkin.envelope, label))
    assert plaintext.compact == w.credential.compact.cbor
    second = parse_qr_text(w.holder_shown_check_in(declaration=CLEAR, now=NOW + 1))[1]
    assert CheckIn.parse_unverified(second)[1].pseudonym != checkin.pseudonym


def test_check_out_uses_the_check_in_pseudonym(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    scanned = w.scan(poster(), now=NOW)
    first = CheckIn.parse_unverified(w.check_in(scanned, declaration=CLEAR, now=NOW))[1]
    out = CheckIn.verify(w.check_out(scanned, now=NOW + 3600), audience=VENUE, now=NOW + 3600)
    assert out.kind is Kind.CHECK_OUT
    assert out.envelope is None
    assert out.declaration is None
    assert out.pseudonym == first.pseudonym
    assert out.locator == first.locator


def test_check_in_needs_enrollment_and_an_epoch_key(tmp_path: Path) -> None:
    w = new_wallet(tmp_path, enrolled=False)
    scanned = w.scan(poster(), now=NOW)
    with pytest.raises(NotEnrolled):
        w.check_in(scanned, declaration=CLEAR, now=NOW)
    enrolled = new_wallet(tmp_path, "e")
    with pytest.raises(NoEpochKey):  # the test ceremony made three epochs only
        enrolled.check_in(scanned, declaration=CLEAR, now=NOW + 10 * DAY)


def _refusal(w: Wallet, text: str, now: int = NOW) -> ScanRefused:
    with pytest.raises(ScanRefused) as info:
        w.scan(text, now=now, venue_keys=venue_keys)
    assert info.value.user_message
    assert VENUE not in info.value.user_message
    return info.value


def test_scan_refusals_each_have_their_own_code(tmp_path: Path) -> None:
    good = poster()
    _prefix, data = qr.decode_qr_text(good, prefixes=["AV1"], max_bytes=400)
    flipped = data.replace(b"Cafe", b"Cafx")  # a changed name: the signature fails
    structure = bytearray(data)
    structure[1] = 0x85  # the COSE array claims five items
    cases = [
        (poster(key=OTHER_VENUE_KEY), ForgedCode, "forgedCode"),
        (qr.encode_qr_text("AV1", bytes(flipped)), ForgedCode, "forgedCode"),
        (qr.encode_qr_text("AV1", bytes(structure)), AlteredCode, "alteredCode"),
        (poster(now=NOW - 60 * DAY), ExpiredCode, "expiredCode"),
        (poster(now=NOW + 2 * DAY), CodeNotYetValid, "codeNotYetValid"),
        (kiosk(now=NOW - 600), ExpiredCode, "expiredCode"),
        (kiosk(key=OTHER_VENUE_KEY), ForgedCode, "forgedCode"),
        (kiosk("did:web:registry.example:venues:closed"), UnknownVenueKey, "unknownVenueKey"),
        ("HC1:6BFOXN*TS0BI$ZD", WrongPrefix, "wrongPrefix"),
        ("https://example.com/", WrongPrefix, "wrongPrefix"),
        ("AV1:" + "Z" * 10 + "::", MalformedCode, "malformedCode"),
    ]
    w = new_wallet(tmp_path, enrolled=False)
    for text, error, code in cases:
        refusal = _refusal(w, text)
        assert type(refusal) is error, text
        assert refusal.code == code, text


def test_a_visitors_own_code_is_not_a_venue_code(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    shown = w.holder_shown_check_in(declaration=CLEAR, now=NOW)
    assert _refusal(w, shown).code == "wrongPrefix"


def test_kiosk_code_without_a_venue_lookup_is_unknown(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    with pytest.raises(UnknownVenueKey):
        w.scan(kiosk(), now=NOW)
    assert w.scan(kiosk(), now=NOW, venue_keys=VENUE_KEY.public_key).venue == VENUE


def test_registry_key_is_pinned_not_taken_from_the_poster(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    assert w.registry_key == REGISTRY.public_key
    assert w.scan(poster(OTHER_VENUE), now=NOW).venue == OTHER_VENUE


@pytest.fixture(scope="module")
def scanner(tmp_path_factory: pytest.TempPathFactory) -> Wallet:
    """One wallet for the property tests below, in a folder pytest removes."""
    return new_wallet(tmp_path_factory.mktemp("wallet-scan"), enrolled=False)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.text(max_size=300), st.sampled_from(["AV1:", "AC1:"]).map(lambda p: p + "0" * 40))
)
def test_hostile_text_is_refused_with_a_scan_refusal(scanner: Wallet, text: str) -> None:
    with pytest.raises(ScanRefused):
        scanner.scan(text, now=NOW, venue_keys=venue_keys)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 255))
def test_any_changed_byte_of_a_poster_is_refused(scanner: Wallet, position: int, xor: int) -> None:
    _, data = qr.decode_qr_text(poster(), prefixes=["AV1"], max_bytes=400)
    changed = bytearray(data)
    changed[position % len(data)] ^= xor
    with pytest.raises(ScanRefused):
        scanner.scan(qr.encode_qr_text("AV1", bytes(changed)), now=NOW)
