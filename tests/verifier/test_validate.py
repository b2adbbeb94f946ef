"""validate_checkin / validate_checkout: the accepted paths, the records and receipts they
produce, the entry policy and the state they keep (DESIGN.md "Validation at the venue")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tests.verifier.support as sup
from did.errors import ReplayStoreFull
from protocol import (
    ANY_VENUE,
    ENVELOPE_SIZE,
    Channel,
    HealthDeclaration,
    Kind,
    SealedVisit,
    VisitReceipt,
    day_of,
    digest,
)
from protocol.errors import (
    BadSignature,
    DeclaredFever,
    DeclaredSymptoms,
    Expired,
    HighTemperature,
    MalformedMessage,
    MaskMissing,
    StaleReading,
    UnknownChallenge,
    WrongAudience,
)
from verifier import (
    EntryPolicy,
    MemoryReplayStore,
    VisitBook,
    default_dwell,
    time_out_of,
    validate_checkin,
    validate_checkout,
)
from verifier.errors import NoOpenVisit, UnknownDevice

NOW = sup.NOW


def admit(message: bytes, **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "venue": sup.venue(),
        "now": NOW,
        "replay": MemoryReplayStore(),
        "epoch_keys": sup.EPOCH_KEYS,
    }
    args.update(kw)
    return validate_checkin(message, **args)  # type: ignore[arg-type]


def test_static_poster_checkin_gives_receipt_and_record() -> None:
    message = sup.checkin()
    admission = admit(message)
    receipt = VisitReceipt.verify(admission.receipt, sup.VENUE_KEY.public_key, now=NOW)
    record = admission.record
    assert admission.channel is Channel.QR_STATIC
    assert receipt.venue == record.venue == sup.VENUE
    assert receipt.pseudonym == record.pseudonym == admission.checkin.pseudonym
    assert receipt.time_in == record.time_in == NOW
    assert receipt.time_out is None
    assert record.time_out is None
    assert receipt.visit_id == record.visit_id
    assert receipt.checkin_hash == digest(message)
    assert record.receipt_hash == digest(admission.receipt)
    assert record.day == day_of(NOW) == sup.FIRST_EPOCH
    assert record.envelope == admission.checkin.envelope
    assert len(record.envelope) == ENVELOPE_SIZE
    assert record.locator == admission.checkin.locator
    assert record.declaration == HealthDeclaration(False, False)


def test_record_is_signed_at_upload_and_verifies_at_the_registry() -> None:
    venue = sup.venue()
    admission = admit(sup.checkin(), venue=venue)
    signed = venue.sign_record(admission.record)
    assert SealedVisit.verify(signed, sup.VENUE_KEY.public_key, now=NOW) == admission.record


def test_kiosk_challenge_checkin() -> None:
    venue = sup.venue()
    nonce = sup.nonce_of(venue.issue_challenge(now=NOW - 10))
    admission = admit(sup.checkin(challenge=nonce), venue=venue)
    assert admission.channel is Channel.QR_KIOSK
    assert VisitReceipt.parse_unverified(admission.receipt)[1].channel is Channel.QR_KIOSK


def test_holder_shown_checkin_is_bound_to_the_scanning_venue() -> None:
    message = sup.checkin(audience=ANY_VENUE, lifetime=30)
    admission = admit(message)
    assert admission.checkin.audience == ANY_VENUE
    assert admission.record.venue == sup.VENUE
    assert admission.channel is Channel.HOLDER_SHOWN
    receipt = VisitReceipt.verify(admission.receipt, sup.VENUE_KEY.public_key, now=NOW)
    assert receipt.venue == sup.VENUE


def test_holder_shown_expires_after_15_seconds_plus_5_of_skew() -> None:
    # The venue allows 30 s of skew (sup.venue()); a holder-shown code gets at most 5.
    message = sup.checkin(audience=ANY_VENUE, lifetime=15)
    admit(message, now=NOW + 15 + 4)
    with pytest.raises(Expired) as info:
        admit(message, now=NOW + 15 + 5)
    assert info.value.code == "expiredMessage"


def test_check_out_sent_to_validate_checkin_is_malformed() -> None:
    with pytest.raises(MalformedMessage):
        admit(sup.checkin(kind=Kind.CHECK_OUT))


def test_unknown_challenge_is_refused() -> None:
    with pytest.raises(UnknownChallenge) as info:
        admit(sup.checkin(challenge=b"\x42" * 16))
    assert info.value.code == "unknownChallenge"


def test_challenge_of_another_venue_book_is_unknown() -> None:
    other = sup.venue()
    nonce = sup.nonce_of(other.issue_challenge(now=NOW))
    with pytest.raises(UnknownChallenge):
        admit(sup.checkin(challenge=nonce), venue=sup.venue())


@pytest.mark.parametrize(
    ("declaration", "error"),
    [
        (HealthDeclaration(True, False), DeclaredFever),
        (HealthDeclaration(False, True), DeclaredSymptoms),
        (HealthDeclaration(True, True), DeclaredFever),
    ],
)
def test_declared_symptoms_refuse_entry(declaration: HealthDeclaration, error: type) -> None:
    with pytest.raises(error):
        admit(sup.checkin(declaration=declaration))


def test_unsafe_ignore_declaration_admits() -> None:
    policy = EntryPolicy(unsafe_ignore_declaration=True)
    admit(sup.checkin(declaration=HealthDeclaration(True, True)), entry_policy=policy)


def admit_with_reading(
    checkin: dict[str, object] | None = None,
    entry_policy: EntryPolicy | None = None,
    **reading: object,
):  # type: ignore[no-untyped-def]
    """Admit a kiosk check-in with a reading taken for its challenge (DESIGN.md "Thermal
    camera / mask detector": a reading names what it was taken for)."""
    venue = sup.venue()
    message, nonce = sup.kiosk_checkin(venue, **(checkin or {}))
    kw: dict[str, object] = {"venue": venue, "reading": sup.reading(challenge=nonce, **reading)}  # type: ignore[arg-type]
    if entry_policy is not None:
        kw["entry_policy"] = entry_policy
    return admit(message, **kw)


@pytest.mark.parametrize(
    ("temperature", "admitted"), [(3749, True), (3750, False), (3900, False), (3600, True)]
)
def test_thermal_threshold_default_37_5(temperature: int, admitted: bool) -> None:
    if admitted:
        assert admit_with_reading(temperature=temperature).reading.temperature == temperature
    else:
        with pytest.raises(HighTemperature) as info:
            admit_with_reading(temperature=temperature)
        assert info.value.code == "highTemperature"


def test_threshold_is_configurable() -> None:
    admit_with_reading(temperature=3720)
    with pytest.raises(HighTemperature):
        admit_with_reading(temperature=3720, entry_policy=EntryPolicy(threshold=3700))


def test_mask_missing_refuses_and_no_detector_does_not() -> None:
    with pytest.raises(MaskMissing) as info:
        admit_with_reading(mask=False)
    assert info.value.code == "maskMissing"
    admit_with_reading(mask=None)
    admit_with_reading(mask=False, entry_policy=EntryPolicy(require_mask=False))


def test_reading_from_unregistered_device_is_refused() -> None:
    with pytest.raises(UnknownDevice) as info:
        admit_with_reading(device="did:key:z6MkRogueCamera", signer=sup.key("rogue-camera"))
    assert info.value.code == "unknownDevice"


def test_reading_signed_by_another_key_is_refused() -> None:
    with pytest.raises(BadSignature) as info:
        admit_with_reading(signer=sup.key("rogue-camera"))
    assert info.value.code == "badSignature"


def test_stale_reading_and_reading_for_another_venue_are_refused() -> None:
    with pytest.raises(StaleReading):
        admit_with_reading(time=NOW - 61)
    with pytest.raises(WrongAudience):
        admit_with_reading(venue_did=sup.OTHER_VENUE)


def test_declaration_is_judged_before_the_reading() -> None:
    with pytest.raises(DeclaredFever):
        admit_with_reading({"declaration": HealthDeclaration(True, False)}, temperature=3900)


def test_unsafe_ignore_declaration_logs_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    # STYLE.md habit 5: an option that weakens a check is named unsafe_* and logs a warning.
    with caplog.at_level("WARNING", logger="verifier"):
        EntryPolicy()
        assert caplog.records == []
        EntryPolicy(unsafe_ignore_declaration=True)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "unsafe" in caplog.records[0].getMessage()


def test_check_out_closes_the_open_visit() -> None:
    venue, (replay, visits) = sup.venue(), sup.state()
    admission = admit(sup.checkin(), venue=venue, replay=replay, visits=visits)
    assert len(visits) == 1
    out = sup.checkin(kind=Kind.CHECK_OUT, issued_at=NOW + 2400)
    departure = validate_checkout(out, venue=venue, now=NOW + 2400, replay=replay, visits=visits)
    assert departure.record.visit_id == admission.record.visit_id
    assert departure.record.time_out == NOW + 2400
    assert departure.record.envelope == admission.record.envelope
    receipt = VisitReceipt.verify(departure.receipt, sup.VENUE_KEY.public_key, now=NOW + 2400)
    assert receipt.time_out == NOW + 2400
    assert receipt.checkin_hash == VisitReceipt.parse_unverified(admission.receipt)[1].checkin_hash
    assert time_out_of(departure.record, venue.category) == NOW + 2400
    assert len(visits) == 0
    with pytest.raises(NoOpenVisit) as info:
        validate_checkout(
            sup.checkin(kind=Kind.CHECK_OUT, issued_at=NOW + 2500),
            venue=venue,
            now=NOW + 2500,
            replay=replay,
            visits=visits,
        )
    assert info.value.code == "noOpenVisit"


def test_check_out_after_midnight_matches_the_previous_day() -> None:
    venue, (replay, visits) = sup.venue(), sup.state()
    late = (sup.FIRST_EPOCH + 1) * sup.DAY - 1800
    admit(sup.checkin(issued_at=late), venue=venue, replay=replay, visits=visits, now=late)
    signer = sup.pseudonym_key(sup.VENUE, late)
    out = sup.checkin(kind=Kind.CHECK_OUT, issued_at=late + 3600, signer=signer)
    departure = validate_checkout(out, venue=venue, now=late + 3600, replay=replay, visits=visits)
    assert departure.record.day == sup.FIRST_EPOCH
    assert departure.record.time_out == late + 3600


def test_check_out_by_another_pseudonym_finds_nothing() -> None:
    venue, (replay, visits) = sup.venue(), sup.state()
    admit(sup.checkin(), venue=venue, replay=replay, visits=visits)
    stranger = sup.checkin(kind=Kind.CHECK_OUT, issued_at=NOW + 60, secret=sup.OTHER_SECRET)
    with pytest.raises(NoOpenVisit):
        validate_checkout(stranger, venue=venue, now=NOW + 60, replay=replay, visits=visits)


def test_without_check_out_the_category_dwell_applies() -> None:
    record = admit(sup.checkin()).record
    assert time_out_of(record, "cafe") == NOW + default_dwell("cafe") == NOW + 3600
    assert time_out_of(record, "unlisted-class") == NOW + 7200
    assert default_dwell("nightclub") > default_dwell("shop")


def test_replay_store_expires_claims_and_is_bounded() -> None:
    store = MemoryReplayStore(max_entries=2)
    assert store.claim(b"a", until=NOW + 10, now=NOW)
    assert not store.claim(b"a", until=NOW + 10, now=NOW + 9)
    assert store.claim(b"b", until=NOW + 20, now=NOW)
    with pytest.raises(ReplayStoreFull):
        store.claim(b"c", until=NOW + 20, now=NOW + 5)
    assert store.claim(b"a", until=NOW + 30, now=NOW + 10)  # the first claim ended
    assert len(store) == 2
    assert store.claim(b"c", until=NOW + 40, now=NOW + 30)
    assert len(store) == 1


def test_challenge_book_forgets_and_is_bounded() -> None:
    from verifier import FORGET_AFTER, ChallengeBook

    book = ChallengeBook(sup.VENUE, sup.VENUE_KEY, max_live=3)
    nonces = [sup.nonce_of(book.issue(now=NOW + i)) for i in range(5)]
    assert len(book) == 3
    with pytest.raises(UnknownChallenge):
        book.check(nonces[0], now=NOW + 5)
    assert book.check(nonces[4], now=NOW + 5) == NOW + 4 + 60
    book.issue(now=NOW + 64 + FORGET_AFTER)
    assert len(book) == 1


def test_visit_book_drops_old_days_and_respects_its_bound() -> None:
    visits = VisitBook(max_entries=2)
    day0 = [admit(sup.checkin(secret=bytes([i]) * 32)).record for i in range(3)]
    for record in day0:
        visits.add(record, b"\x00" * 32)
    assert len(visits) == 2
    assert visits.take(day0[0].pseudonym, day0[0].day) is None
    later = NOW + 2 * sup.DAY
    moved = SealedVisit(
        visit_id=day0[2].visit_id,
        venue=sup.VENUE,
        day=sup.FIRST_EPOCH + 2,
        time_in=later,
        time_out=None,
        pseudonym=day0[2].pseudonym,
        locator=day0[2].locator,
        channel=day0[2].channel,
        declaration=day0[2].declaration,
        envelope=day0[2].envelope,
        receipt_hash=day0[2].receipt_hash,
    )
    visits.add(moved, b"\x00" * 32)
    assert len(visits) == 1
    assert visits.take(day0[1].pseudonym, day0[1].day) is None


def test_venue_context_repr_hides_the_key() -> None:
    text = repr(sup.venue())
    assert sup.VENUE_KEY.seed().hex() not in text
    assert sup.VENUE_KEY.to_multikey() not in text
    assert "key=" not in text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 50), st.integers(0, 50)), max_size=40))
def test_replay_store_matches_a_reference_model(ops: list[tuple[int, int, int]]) -> None:
    # A claim succeeds iff no earlier successful claim of the key lasts beyond ``now``;
    # held() says exactly when it would not.
    store, model, now = MemoryReplayStore(), {}, NOW
    for key_id, advance, lifetime in ops:
        now += advance
        key, until = bytes([key_id]), now + lifetime
        expected = model.get(key, 0) <= now
        assert store.held(key, now=now) is not expected  # a look agrees and changes nothing
        assert store.held(key, now=now) is not expected
        assert store.claim(key, until=until, now=now) is expected
        if expected and until > now:
            model[key] = until
