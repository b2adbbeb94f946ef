"""The attacks of issue 9's adversarial review (section 4) that the venue's validation now
refuses, each test named after its attack: a holder-shown code relayed to another venue
(item 2), one healthy reading admitting two visitors (item 4) and a photographed poster
where presence is required (item 10) and a leaked identity credential sealed into another's
check-in (item 11). DESIGN.md "Venue codes" and "Thermal camera / mask
detector" describe the fixes."""

from __future__ import annotations

import pytest

import tests.verifier.support as sup
from did import Ed25519PrivateKey, day_of, did_from_public_key
from escrow import VisitLabel, seal
from protocol import (
    ANY_VENUE,
    ENVELOPE_PAD_TO,
    ENVELOPE_SIZE,
    Channel,
    IdentityPlaintext,
    Kind,
    digest,
    issue_person_credential,
    pseudonym_did,
    verify_sealed_identity,
)
from protocol.errors import (
    BadHolderSignature,
    Expired,
    PresenceRequired,
    ReadingMismatch,
    ReplayedChallenge,
)
from verifier import MemoryReplayStore, VenueContext, VisitBook, validate_checkin
from verifier import validate_checkout as checkout
from verifier.errors import ReplayedCheckIn, ReplayedReading

NOW = sup.NOW


def admit(message: bytes, venue: VenueContext, replay: MemoryReplayStore, **kw: object):  # type: ignore[no-untyped-def]
    return validate_checkin(
        message, venue=venue, now=kw.pop("now", NOW), replay=replay, epoch_keys=sup.EPOCH_KEYS, **kw
    )


def _other_venue() -> VenueContext:
    return VenueContext.create(sup.OTHER_VENUE, sup.key("other venue"), category="bar")


# -- item 2: a holder-shown code admitted at a second venue ------------------------------


def test_holder_shown_code_relayed_to_a_second_venue_of_the_service_is_refused() -> None:
    # One venue service hosts venue A and venue B and shares one replay store across them
    # (DESIGN.md "Venue codes" 3): the code venue A's scanner admitted (or a photograph of
    # the victim's screen) is refused at venue B.
    replay = MemoryReplayStore()
    code = sup.checkin(audience=ANY_VENUE)
    admitted = admit(code, sup.venue(), replay)
    assert admitted.channel is Channel.HOLDER_SHOWN
    with pytest.raises(ReplayedCheckIn) as info:
        admit(code, _other_venue(), replay, now=NOW + 3)
    assert info.value.code == "replayedCheckIn"


def test_holder_shown_code_relayed_within_the_old_59_seconds_is_expired() -> None:
    # The review's window was 30 s of lifetime plus 30 s of skew; now a venue that allows
    # 30 s of skew still gives a holder-shown code at most 15 + 5 s.
    code = sup.checkin(audience=ANY_VENUE, lifetime=15)
    assert admit(code, _other_venue(), MemoryReplayStore(), now=NOW + 19)
    for late in (NOW + 20, NOW + 59):
        with pytest.raises(Expired):
            admit(code, _other_venue(), MemoryReplayStore(), now=late)


def test_holder_shown_code_relayed_to_another_service_carries_the_same_envelope_id() -> None:
    # Two services that share no store both admit the relayed code; their records name the
    # same envelope, and that is the key on which the registry keeps one record and flags
    # the relay (protocol/_records.py). Genuine visits never share an envelope id.
    code = sup.checkin(audience=ANY_VENUE)
    at_a = admit(code, sup.venue(), MemoryReplayStore()).record
    at_b = admit(code, _other_venue(), MemoryReplayStore(), now=NOW + 2).record
    assert (at_a.venue, at_b.venue) == (sup.VENUE, sup.OTHER_VENUE)
    assert at_a.envelope_id == at_b.envelope_id
    assert at_a.visit_id != at_b.visit_id
    honest = admit(sup.checkin(audience=ANY_VENUE), sup.venue(), MemoryReplayStore()).record
    assert honest.envelope_id != at_a.envelope_id


# -- item 4: one healthy reading admits two visitors ---------------------------------------


class _RecordingStore(MemoryReplayStore):
    """A replay store that remembers every key claimed through it."""

    def __init__(self) -> None:
        super().__init__()
        self.claimed: list[tuple[bytes, int]] = []

    def claim(self, key: bytes, *, until: int, now: int) -> bool:
        self.claimed.append((key, until))
        return super().claim(key, until=until, now=now)


def test_one_healthy_reading_cannot_admit_two_visitors() -> None:
    venue, replay = sup.venue(), MemoryReplayStore()
    first, nonce = sup.kiosk_checkin(venue)
    healthy = sup.reading(challenge=nonce)
    assert admit(first, venue, replay, reading=healthy).reading is not None
    # The second visitor (a feverish one, say) answers the next challenge on the screen and
    # attaches the first visitor's reading: it names another challenge.
    second, _ = sup.kiosk_checkin(venue, secret=sup.OTHER_SECRET)
    with pytest.raises(ReadingMismatch) as info:
        admit(second, venue, replay, reading=healthy)
    assert info.value.code == "readingMismatch"
    # Answering the same challenge instead is a replayed challenge.
    again = sup.checkin(challenge=nonce, secret=sup.OTHER_SECRET)
    with pytest.raises(ReplayedChallenge):
        admit(again, venue, replay, reading=healthy)


def test_a_reading_is_claimed_once_and_a_claimed_one_is_refused() -> None:
    # The reading is used once (DESIGN.md): claimed in the replay store with the challenge
    # and the message, until it would be stale anyway; a store that already holds it (a
    # second validator of the same venue got there first) refuses it.
    venue, replay = sup.venue(), _RecordingStore()
    message, nonce = sup.kiosk_checkin(venue)
    healthy = sup.reading(challenge=nonce, time=NOW - 5)
    admit(message, venue, replay, reading=healthy)
    claims = dict(replay.claimed)
    reading_key = next(k for k in claims if k.endswith(digest(healthy)))
    assert claims[reading_key] > NOW - 5 + 60  # past the reading's 60 s age
    # Another validator sharing the store: fresh challenge, and a reading that, to it,
    # names the right challenge but whose bytes the store already holds.
    shared = _RecordingStore()
    message2, nonce2 = sup.kiosk_checkin(venue, secret=sup.OTHER_SECRET)
    reading2 = sup.reading(challenge=nonce2)
    assert shared.claim(reading_key[:1] + digest(reading2), until=NOW + 60, now=NOW)
    with pytest.raises(ReplayedReading) as info:
        admit(message2, venue, shared, reading=reading2)
    assert info.value.code == "replayedReading"
    # Refused: nothing else was claimed, so the visitor can retry with a new reading.
    assert len(shared.claimed) == 1


def test_a_reading_for_a_holder_shown_code_names_that_code() -> None:
    code = sup.checkin(audience=ANY_VENUE)
    reading = sup.reading(scanned=digest(code), temperature=3600)
    assert admit(code, sup.venue(), MemoryReplayStore(), reading=reading).reading is not None
    other = sup.checkin(audience=ANY_VENUE, secret=sup.OTHER_SECRET)
    with pytest.raises(ReadingMismatch):
        admit(other, sup.venue(), MemoryReplayStore(), reading=reading)


def test_a_reading_cannot_be_attached_to_a_poster_checkin() -> None:
    # A check-in from the static poster answers no challenge and is no scanned code, so no
    # reading names it: the camera at the door cannot vouch for it.
    venue = sup.venue()
    nonce = sup.nonce_of(venue.issue_challenge(now=NOW))
    with pytest.raises(ReadingMismatch):
        admit(sup.checkin(), venue, MemoryReplayStore(), reading=sup.reading(challenge=nonce))


# -- item 10: a photographed poster where presence is required ---------------------------


def test_photographed_poster_checkin_is_refused_where_presence_is_required() -> None:
    venue, replay = sup.venue(require_presence=True), MemoryReplayStore()
    with pytest.raises(PresenceRequired) as info:
        admit(sup.checkin(), venue, replay)  # from the poster, wherever it was photographed
    assert info.value.code == "presenceRequired"
    assert info.value.user_message == PresenceRequired.user_message  # what the phone shows
    assert "QR" in PresenceRequired.user_message
    # A holder-shown code proves no presence at this venue either (it can be relayed).
    with pytest.raises(PresenceRequired):
        admit(sup.checkin(audience=ANY_VENUE), venue, replay)
    # The kiosk's own challenge is admitted, and the refusals used nothing up.
    message, _ = sup.kiosk_checkin(venue)
    assert admit(message, venue, replay).channel is Channel.QR_KIOSK


def test_presence_requirement_does_not_block_leaving() -> None:
    venue, replay, visits = sup.venue(require_presence=True), MemoryReplayStore(), VisitBook()
    message, _ = sup.kiosk_checkin(venue)
    admit(message, venue, replay, visits=visits)
    out = sup.checkin(kind=Kind.CHECK_OUT, issued_at=NOW + 600)
    departure = checkout(out, venue=venue, now=NOW + 600, replay=replay, visits=visits)
    assert departure.record.time_out == NOW + 600


def test_venues_without_the_requirement_still_admit_posters() -> None:
    admitted = admit(sup.checkin(), sup.venue(), MemoryReplayStore())
    assert admitted.channel is Channel.QR_STATIC


def test_presence_refusal_comes_before_any_state_is_used() -> None:
    # Step 3 refuses before the envelope or the policy is looked at, and claims nothing.
    venue, replay = sup.venue(require_presence=True), _RecordingStore()
    with pytest.raises(PresenceRequired):
        admit(sup.checkin(env=b"\x00" * ENVELOPE_SIZE), venue, replay)  # a bad envelope
    assert replay.claimed == []


# -- item 11: a leaked identity credential sealed into anyone's check-ins -----------------


def _identity_checkin(holder: Ed25519PrivateKey, credential: bytes, secret: bytes) -> bytes:
    # A check-in whose envelope holds ``credential`` and ``holder``'s signature over the
    # label, sealed as a wallet seals it (wallet/_checkin.py).
    pseudonym = pseudonym_did(sup.pseudonym_key(secret=secret))
    label = VisitLabel(sup.VENUE, day_of(NOW), pseudonym, NOW)
    plaintext = IdentityPlaintext(
        credential,
        bytes(16),
        holder.sign(b"anshim/protocol/v1/HolderBinding\x00" + label.to_bytes()),
    )
    envelope = seal(
        sup.EPOCH_KEYS[label.epoch], label, plaintext.to_bytes(), pad_to=ENVELOPE_PAD_TO
    )
    return sup.checkin(env=envelope.to_bytes(), secret=secret)


def test_leaked_identity_credential_sealed_into_another_checkin_is_caught_after_unsealing() -> None:
    issuer, victim, attacker = sup.key("issuer"), sup.key("victim"), sup.key("attacker")
    issuer_did = did_from_public_key(issuer.public_key)
    leaked = issue_person_credential(
        issuer,
        issuer_did,
        did_from_public_key(victim.public_key),
        "+821012345678",
        valid_from=NOW - 86400,
        valid_until=NOW + 86400,
    ).compact.cbor
    issuers = {issuer_did: issuer.public_key}
    for holder, secret, genuine in (
        (victim, sup.WALLET_SECRET, True),
        (attacker, sup.OTHER_SECRET, False),
    ):
        # The venue cannot tell (it never sees the plaintext) and admits both...
        record = admit(
            _identity_checkin(holder, leaked, secret), sup.venue(), MemoryReplayStore()
        ).record
        label = VisitLabel(record.venue, record.day, record.pseudonym, record.time_in)
        opened = sup.open_envelope(record.envelope, label)
        # ...and the investigator's check after unsealing separates them.
        if genuine:
            credential = verify_sealed_identity(
                opened, label=label.to_bytes(), issuers=issuers, now=NOW
            )
            assert credential.phone == "+821012345678"
        else:
            with pytest.raises(BadHolderSignature):
                verify_sealed_identity(opened, label=label.to_bytes(), issuers=issuers, now=NOW)
