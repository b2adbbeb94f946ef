"""Enrollment, trace-seed escrow, unlinkability, the diary, disclosures and exposure
matching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import escrow
from did import Ed25519PrivateKey, did_from_public_key
from protocol import (
    Channel,
    CheckIn,
    DiaryDisclosure,
    ExposureNotice,
    HealthDeclaration,
    RiskLevel,
    derive_trace_seed,
    issue_person_credential,
    parse_qr_text,
)
from protocol.errors import BadSignature
from tests.wallet.support import (
    AUTHORITY,
    DAY,
    FIRST_EPOCH,
    ISSUER_DID,
    NOW,
    OTHER_VENUE,
    OTHER_VENUE_KEY,
    REGISTRY,
    VENUE,
    VENUE_KEY,
    checked_in,
    new_wallet,
    person,
    poster,
    receipt_for,
    unseal,
    venue_keys,
)
from wallet import EnrollmentRefused, ReceiptRefused, Wallet

CLEAR = HealthDeclaration(False, False)


def test_enrollment_refuses_untrusted_forged_and_foreign_credentials(tmp_path: Path) -> None:
    w = new_wallet(tmp_path, enrolled=False)
    good = person(w.holder_did)
    with pytest.raises(EnrollmentRefused):
        w.enroll(good, trusted_issuers=["did:web:other-issuer.example"], now=NOW)
    with pytest.raises(EnrollmentRefused):
        w.enroll(good, trusted_issuers=[], now=NOW)
    forged_doc = json.loads(json.dumps(good.document))
    forged_doc["credentialSubject"]["telephone"] = "+821099999999"
    with pytest.raises(EnrollmentRefused):
        w.enroll(type(good)(forged_doc, good.compact), trusted_issuers=[ISSUER_DID], now=NOW)
    other = person(new_wallet(tmp_path, "o", enrolled=False).holder_did)
    with pytest.raises(EnrollmentRefused):
        w.enroll(other, trusted_issuers=[ISSUER_DID], now=NOW)
    with pytest.raises(EnrollmentRefused):
        w.enroll(good, trusted_issuers=[ISSUER_DID], now=NOW + 400 * DAY)
    assert w.credential is None
    w.enroll(good, trusted_issuers=[ISSUER_DID], now=NOW)
    w.close()
    assert Wallet.open(w.path, "wallet passphrase", now=NOW).credential is not None


def test_trace_seed_envelopes_open_to_the_days_seed(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    envelopes = w.trace_seed_envelopes(range(FIRST_EPOCH, FIRST_EPOCH + 3))
    assert [e.epoch for e in envelopes] == [FIRST_EPOCH, FIRST_EPOCH + 1, FIRST_EPOCH + 2]
    assert len({len(e.envelope) for e in envelopes}) == 1
    first = envelopes[1]
    assert first.label == escrow.TraceSeedLabel(w.credential.credential_id, FIRST_EPOCH + 1)  # type: ignore[union-attr]
    seed = unseal(first.envelope, first.label, FIRST_EPOCH + 1)
    secret = w._state.secret  # the test checks the seed against the derivation
    assert seed == derive_trace_seed(secret, FIRST_EPOCH + 1)


def _checkin(w: Wallet, venue: str, now: int) -> CheckIn:
    text = poster(venue, now=now)
    return CheckIn.parse_unverified(w.check_in(w.scan(text, now=now), declaration=CLEAR, now=now))[
        1
    ]


def test_unlinkable_across_venues_and_days_and_same_size_across_holders(tmp_path: Path) -> None:
    a, b = new_wallet(tmp_path, "a"), new_wallet(tmp_path, "b")
    visits = [
        _checkin(a, VENUE, NOW),
        _checkin(a, OTHER_VENUE, NOW + 60),
        _checkin(a, VENUE, NOW + DAY),
    ]
    for field in ("pseudonym", "locator", "envelope"):
        values = [getattr(v, field) for v in visits]
        assert len(set(values)) == len(values), field
    envelopes = [v.envelope for v in visits]
    for x in envelopes:
        for y in envelopes:
            if x is not y:
                assert x is not None
                assert y is not None
                # No shared key material: R, proof and nonce all differ.
                assert x[6:38] != y[6:38]
                assert x[102:126] != y[102:126]
    other = _checkin(b, VENUE, NOW)
    assert other.pseudonym != visits[0].pseudonym
    sizes = {len(v.envelope or b"") for v in [*visits, other]}
    assert len(sizes) == 1
    # The same venue on the same day keeps one pseudonym (so a check-out matches).
    assert _checkin(a, VENUE, NOW + 600).pseudonym == visits[0].pseudonym


def test_receipts_fill_the_diary_and_expire(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    data, pid = checked_in(w)
    w.accept_receipt(receipt_for(data, pid), venue_key=venue_keys, now=NOW)
    w.check_out(VENUE, now=NOW + 1800)
    out = receipt_for(data, pid, time_out=NOW + 1800)
    visit = w.accept_receipt(out, venue_key=venue_keys, now=NOW + 1800)
    assert visit.time_out == NOW + 1800
    assert [(v.venue, v.time_out) for v in w.visits()] == [(VENUE, NOW + 1800)]
    with pytest.raises(ReceiptRefused):  # signed by another venue's key
        w.accept_receipt(receipt_for(data, pid, key=OTHER_VENUE_KEY), venue_key=venue_keys, now=NOW)
    stranger = Ed25519PrivateKey.generate()
    with pytest.raises(ReceiptRefused):  # a pseudonym this wallet never used
        w.accept_receipt(
            receipt_for(data, did_from_public_key(stranger.public_key)),
            venue_key=venue_keys,
            now=NOW,
        )
    w.close()
    with Wallet.open(w.path, "wallet passphrase", now=NOW + 27 * DAY) as again:
        assert len(again.visits()) == 1
    with Wallet.open(w.path, "wallet passphrase", now=NOW + 29 * DAY) as again:
        assert again.visits() == []


def test_holder_shown_receipt_is_recognised(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    data = parse_qr_text(w.holder_shown_check_in(declaration=CLEAR, now=NOW))[1]
    pid = CheckIn.parse_unverified(data)[1].pseudonym
    receipt = receipt_for(data, pid, channel=Channel.HOLDER_SHOWN)
    assert w.accept_receipt(receipt, venue_key=venue_keys, now=NOW).channel is Channel.HOLDER_SHOWN


def _two_visits(w: Wallet) -> None:
    for venue, key, t in ((VENUE, VENUE_KEY, NOW), (OTHER_VENUE, OTHER_VENUE_KEY, NOW + 7200)):
        data = w.check_in(w.scan(poster(venue, now=t), now=t), declaration=CLEAR, now=t)
        pid = CheckIn.parse_unverified(data)[1].pseudonym
        w.accept_receipt(
            receipt_for(data, pid, venue=venue, key=key, time_in=t), venue_key=venue_keys, now=t
        )


def test_disclosure_verifies_and_tampering_is_detected(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    _two_visits(w)
    data = w.export_disclosure(NOW - DAY, NOW + DAY, audience=AUTHORITY, now=NOW + DAY)
    verified = DiaryDisclosure.verify(data, venue_keys, audience=AUTHORITY, now=NOW + DAY)
    assert [r.venue for r in verified.receipts] == [VENUE, OTHER_VENUE]
    only_first = w.export_disclosure(NOW - DAY, NOW + 3600, audience=AUTHORITY, now=NOW + DAY)
    assert (
        len(
            DiaryDisclosure.verify(
                only_first, venue_keys, audience=AUTHORITY, now=NOW + DAY
            ).receipts
        )
        == 1
    )
    disclosure = DiaryDisclosure.from_cbor(data)
    entry = disclosure.entries[0]
    swapped = type(entry)(entry.receipt, disclosure.entries[1].signature)
    tampered = type(disclosure)(
        audience=AUTHORITY,
        window_start=disclosure.window_start,
        window_end=disclosure.window_end,
        issued=disclosure.issued,
        entries=(swapped, disclosure.entries[1]),
    ).to_cbor()
    with pytest.raises(BadSignature):
        DiaryDisclosure.verify(tampered, venue_keys, audience=AUTHORITY, now=NOW + DAY)


def test_exposure_notices_match_overlapping_visits_only(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    _two_visits(w)
    hit = ExposureNotice(
        venue=VENUE, window_start=NOW + 1800, window_end=NOW + 7200, risk=RiskLevel.HIGH
    )
    miss = ExposureNotice(
        venue=OTHER_VENUE, window_start=NOW, window_end=NOW + 3600, risk=RiskLevel.LOW
    )
    matches = w.match_exposures([hit.sign(REGISTRY), miss.sign(REGISTRY)], now=NOW + DAY)
    assert [(m.visit.venue, m.overlap, m.notice.risk) for m in matches] == [
        (VENUE, 1800, RiskLevel.HIGH)
    ]
    with pytest.raises(BadSignature):
        w.match_exposures([hit.sign(VENUE_KEY)], now=NOW + DAY)


def test_compact_issuer_key_differs_from_other_issuers(tmp_path: Path) -> None:
    w = new_wallet(tmp_path, enrolled=False)
    impostor = Ed25519PrivateKey.generate()
    fake = issue_person_credential(
        impostor,
        did_from_public_key(impostor.public_key),
        w.holder_did,
        "+821012345678",
        valid_from=NOW - DAY,
        valid_until=NOW + DAY,
    )
    with pytest.raises(EnrollmentRefused):
        w.enroll(fake, trusted_issuers=[ISSUER_DID], now=NOW)
