"""Attacks on the venue's validation, each refused with its own stable code (DESIGN.md
"Validation at the venue"; issue 5 "Tests that must exist": attacks)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tests.verifier.support as sup
from did import X25519PrivateKey, cbor
from did.cose import CoseSign1, sign1
from did.errors import AnshimError, InputError, VerificationError
from escrow import Envelope, TraceSeedLabel, VisitLabel, check_envelope_proof, seal
from protocol import (
    ANY_VENUE,
    ENVELOPE_PAD_TO,
    ENVELOPE_SIZE,
    CheckIn,
    HealthDeclaration,
    VenueCode,
    day_of,
    pseudonym_did,
)
from protocol.errors import ProtocolError
from verifier import MemoryReplayStore, validate_checkin
from verifier._validate import visit_day

NOW = sup.NOW


def refused(message: bytes, code: str, **kw: object) -> ProtocolError:
    """Validate ``message`` and check it is refused with ``code``; return the error."""
    args: dict[str, object] = {
        "venue": sup.venue(),
        "now": NOW,
        "replay": MemoryReplayStore(),
        "epoch_keys": sup.EPOCH_KEYS,
    }
    args.update(kw)
    with pytest.raises(ProtocolError) as info:
        validate_checkin(message, **args)  # type: ignore[arg-type]
    assert info.value.code == code, info.value
    return info.value


# -- replay and freshness ---------------------------------------------------------------


def test_replayed_challenge() -> None:
    venue, replay = sup.venue(), MemoryReplayStore()
    nonce = sup.nonce_of(venue.issue_challenge(now=NOW))
    validate_checkin(
        sup.checkin(challenge=nonce), venue=venue, now=NOW, replay=replay, epoch_keys=sup.EPOCH_KEYS
    )
    # A second visitor answering the photographed screen with their own check-in.
    other = sup.checkin(challenge=nonce, secret=sup.OTHER_SECRET)
    refused(other, "replayedChallenge", venue=venue, replay=replay, now=NOW + 5)


def test_replayed_checkin_without_challenge() -> None:
    replay, message = MemoryReplayStore(), sup.checkin()
    validate_checkin(message, venue=sup.venue(), now=NOW, replay=replay, epoch_keys=sup.EPOCH_KEYS)
    refused(message, "replayedCheckIn", replay=replay, now=NOW + 1)


def test_replayed_holder_shown_checkin() -> None:
    replay, message = MemoryReplayStore(), sup.checkin(audience=ANY_VENUE, lifetime=30)
    validate_checkin(message, venue=sup.venue(), now=NOW, replay=replay, epoch_keys=sup.EPOCH_KEYS)
    refused(message, "replayedCheckIn", replay=replay, now=NOW + 10)


def test_expired_challenge() -> None:
    venue = sup.venue()
    nonce = sup.nonce_of(venue.issue_challenge(now=NOW - 60))
    refused(sup.checkin(challenge=nonce), "expiredChallenge", venue=venue)


def test_challenge_never_issued() -> None:
    refused(sup.checkin(challenge=b"\x07" * 16), "unknownChallenge")


def test_expired_checkin() -> None:
    refused(sup.checkin(issued_at=NOW - 200, lifetime=60), "expiredMessage")


def test_checkin_dated_in_the_future() -> None:
    refused(sup.checkin(issued_at=NOW + 31), "clockSkew")


def test_a_refused_checkin_does_not_use_up_the_challenge() -> None:
    venue, replay = sup.venue(), MemoryReplayStore()
    nonce = sup.nonce_of(venue.issue_challenge(now=NOW))
    refused(
        sup.checkin(challenge=nonce, issued_at=NOW + 31), "clockSkew", venue=venue, replay=replay
    )
    validate_checkin(
        sup.checkin(challenge=nonce), venue=venue, now=NOW, replay=replay, epoch_keys=sup.EPOCH_KEYS
    )


def _admit(message: bytes, venue: object, replay: object, **kw: object) -> None:
    validate_checkin(
        message,
        venue=venue,  # type: ignore[arg-type]
        now=NOW,
        replay=replay,  # type: ignore[arg-type]
        epoch_keys=sup.EPOCH_KEYS,
        **kw,  # type: ignore[arg-type]
    )


def test_an_envelope_failure_does_not_use_up_the_challenge() -> None:
    # Step 4 refuses the first answer (an envelope sealed to tomorrow's epoch); the wallet's
    # corrected check-in answers the same kiosk challenge and is admitted, once.
    venue, replay = sup.venue(), MemoryReplayStore()
    nonce = sup.nonce_of(venue.issue_challenge(now=NOW))
    wrong = sup.envelope(epoch=sup.FIRST_EPOCH + 1, time_in=NOW)
    refused(sup.checkin(challenge=nonce, env=wrong), "wrongEpoch", venue=venue, replay=replay)
    corrected = sup.checkin(challenge=nonce)
    _admit(corrected, venue, replay)
    refused(corrected, "replayedChallenge", venue=venue, replay=replay, now=NOW + 1)


def test_a_fever_refusal_does_not_use_up_the_challenge() -> None:
    # Step 5 refuses entry on a declared fever; the same visitor's next answer to the same
    # challenge without a fever is admitted (the kiosk has not rotated yet).
    venue, replay = sup.venue(), MemoryReplayStore()
    nonce = sup.nonce_of(venue.issue_challenge(now=NOW))
    fever = sup.checkin(challenge=nonce, declaration=HealthDeclaration(True, False))
    refused(fever, "declaredFever", venue=venue, replay=replay)
    _admit(sup.checkin(challenge=nonce, issued_at=NOW + 2), venue, replay)
    # Admission claimed the challenge: a third answer is a replay.
    other = sup.checkin(challenge=nonce, secret=sup.OTHER_SECRET)
    refused(other, "replayedChallenge", venue=venue, replay=replay, now=NOW + 5)


def test_the_same_accepted_message_twice_is_replayed() -> None:
    venue, replay = sup.venue(), MemoryReplayStore()
    nonce = sup.nonce_of(venue.issue_challenge(now=NOW))
    message = sup.checkin(challenge=nonce)
    _admit(message, venue, replay)
    refused(message, "replayedChallenge", venue=venue, replay=replay, now=NOW + 1)
    plain = sup.checkin(issued_at=NOW + 3)
    _admit(plain, venue, replay)
    refused(plain, "replayedCheckIn", venue=venue, replay=replay, now=NOW + 4)


class _StaleLook(MemoryReplayStore):
    """A shared store seen by two validators at once: both look before either claims."""

    def held(self, key: bytes, *, now: int) -> bool:
        return False


def test_race_two_identical_messages_admit_at_most_one() -> None:
    # Both pass step 3's look; the claim on admission is the atomic arbiter.
    venue, replay = sup.venue(), _StaleLook()
    nonce = sup.nonce_of(venue.issue_challenge(now=NOW))
    message = sup.checkin(challenge=nonce)
    _admit(message, venue, replay)
    refused(message, "replayedChallenge", venue=venue, replay=replay)
    plain = sup.checkin(issued_at=NOW + 3)
    _admit(plain, venue, replay)
    refused(plain, "replayedCheckIn", venue=venue, replay=replay)


# -- wrong venue, forged venue codes ----------------------------------------------------------


def test_checkin_for_another_venue() -> None:
    refused(sup.checkin(audience=sup.OTHER_VENUE), "wrongAudience")


@pytest.mark.parametrize("attack", ["forged", "altered"])
def test_forged_or_altered_venue_code(attack: str) -> None:
    registry = sup.key("registry")
    code = VenueCode(
        venue=sup.VENUE, name="Cafe", category="cafe", issued=NOW - 10, expires=NOW + 86400
    )
    if attack == "forged":
        poster = code.sign(sup.key("impostor"))
    else:
        genuine = CoseSign1.from_bytes(code.sign(registry))
        altered = VenueCode(
            venue=sup.OTHER_VENUE,
            name="Cafe",
            category="cafe",
            issued=NOW - 10,
            expires=NOW + 86400,
        )
        poster = cbor.encode(
            cbor.Tag(18, [genuine.protected_bytes, {}, altered.to_cbor(), genuine.signature])
        )
    with pytest.raises(ProtocolError) as info:
        VenueCode.verify(poster, registry.public_key, now=NOW)
    assert info.value.code == "forgedVenueCode"


# -- signatures ---------------------------------------------------------------------------------


def test_altered_declaration_bytes_flipped() -> None:
    message = sup.checkin(declaration=HealthDeclaration(True, False))
    # The declaration [true, false] is encoded f5 f4; flip it to [false, false].
    at = message.index(b"\x06\x82\xf5\xf4")
    altered = message[:at] + b"\x06\x82\xf4\xf4" + message[at + 4 :]
    CheckIn.parse_unverified(altered)  # still well formed: only the signature can tell
    refused(altered, "badSignature")


def test_altered_declaration_resigned_by_another_key() -> None:
    message = sup.checkin(declaration=HealthDeclaration(True, False))
    _, checkin = CheckIn.parse_unverified(message)
    clean = dataclasses.replace(checkin, declaration=HealthDeclaration(False, False))
    forged = clean.sign(sup.key("attacker"))
    refused(forged, "badSignature")


def test_signature_by_another_pseudonym() -> None:
    # The payload names one pseudonym; another (valid, pairwise) pseudonym key signs it.
    other_key = sup.pseudonym_key(secret=sup.OTHER_SECRET)
    message = sup.checkin(signer=other_key, pseudonym=pseudonym_did(sup.pseudonym_key()))
    refused(message, "badSignature")


def test_pseudonym_that_is_not_an_ed25519_did_key() -> None:
    from did import did_from_public_key

    x25519 = did_from_public_key(X25519PrivateKey.generate().public_key)
    message = sup.checkin()
    old = cbor.encode(CheckIn.parse_unverified(message)[1].pseudonym)
    bad = cbor.encode(x25519)
    assert len(bad) == len(old)
    assert message.count(old) == 1
    swapped = message.replace(old, bad)
    refused(swapped, "badPseudonym")


def test_wrong_algorithm() -> None:
    parsed = CoseSign1.from_bytes(sup.checkin())
    es256 = cbor.encode({1: -7})
    message = cbor.encode(cbor.Tag(18, [es256, {}, parsed.payload, parsed.signature]))
    refused(message, "badAlgorithm")


# -- envelopes ----------------------------------------------------------------------------------


def test_envelope_for_the_wrong_epoch() -> None:
    tomorrow = sup.FIRST_EPOCH + 1
    env = sup.envelope(epoch=tomorrow, time_in=NOW)
    refused(sup.checkin(env=env), "wrongEpoch")


def test_epoch_key_not_published() -> None:
    later = NOW + 5 * sup.DAY
    key = sup._epoch_key(day_of(later))
    env = sup.envelope(time_in=later, epoch_key=key)
    refused(sup.checkin(issued_at=later, env=env), "epochKeyInactive", now=later)


def test_invalid_point_in_the_envelope() -> None:
    env = sup.envelope()
    small_order = bytes(32)  # the identity's y = 0 encoding is not a valid prime-order point
    bad = env[:6] + small_order + env[38:]
    refused(sup.checkin(env=bad), "badPoint")


def test_trace_seed_envelope_in_a_checkin() -> None:
    label = TraceSeedLabel("urn:uuid:0f8e1e9c-2b7a-4d3c-9a64-8e1c2f3b4a5d", sup.FIRST_EPOCH)
    env = seal(sup.EPOCH_KEYS[sup.FIRST_EPOCH], label, sup.PLAINTEXT, pad_to=ENVELOPE_PAD_TO)
    refused(sup.checkin(env=env.to_bytes()), "badEnvelope")


def test_envelope_of_the_wrong_size() -> None:
    # A correctly signed presentation whose envelope is one byte short: refused while
    # decoding, before any signature work (the size is part of the format).
    key = sup.pseudonym_key()
    _, checkin = CheckIn.parse_unverified(sup.checkin())
    fields = checkin._to_map()
    fields[7] = fields[7][:-1]
    message = sign1(cbor.encode(fields), key, external_aad=CheckIn._aad())
    refused(message, "badEnvelope")


def test_envelope_under_a_wrong_label_passes_the_venue_but_not_the_custodians() -> None:
    # Sealed for another venue's label: the venue cannot see that (DESIGN.md step 4) and
    # accepts, but the proof of knowledge fails against the label recomputed from the record.
    env = sup.envelope(label_venue=sup.OTHER_VENUE, pseudonym=pseudonym_did(sup.pseudonym_key()))
    admission = validate_checkin(
        sup.checkin(env=env),
        venue=sup.venue(),
        now=NOW,
        replay=MemoryReplayStore(),
        epoch_keys=sup.EPOCH_KEYS,
    )
    record = admission.record
    label = VisitLabel(record.venue, record.day, record.pseudonym, record.time_in)
    with pytest.raises(VerificationError) as info:
        check_envelope_proof(
            Envelope.from_bytes(record.envelope), sup.EPOCH_KEYS[record.day], label
        )
    assert info.value.code == "envelopeProof"


# -- size and decoding ------------------------------------------------------------------------


def test_oversize_message() -> None:
    refused(sup.checkin() + bytes(200), "oversizeMessage")


def test_trailing_bytes_are_malformed() -> None:
    refused(sup.checkin() + b"\x00", "malformedMessage")


def test_non_bytes_input_is_malformed() -> None:
    refused("not bytes", "malformedMessage")  # type: ignore[arg-type]


_VALID = sup.checkin()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=700))
def test_arbitrary_bytes_raise_only_protocol_errors(data: bytes) -> None:
    with pytest.raises(AnshimError):
        validate_checkin(
            data, venue=sup.venue(), now=NOW, replay=MemoryReplayStore(), epoch_keys=sup.EPOCH_KEYS
        )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=4
    ),
    st.integers(0, len(_VALID)),
    st.binary(max_size=8),
)
def test_mutated_checkins_raise_only_anshim_errors(
    flips: list[tuple[int, int]], cut: int, tail: bytes
) -> None:
    data = bytearray(_VALID)
    for at, value in flips:
        data[at] = value
    mutated = bytes(data[:cut]) + tail
    if mutated == _VALID:
        return
    with pytest.raises(AnshimError):
        validate_checkin(
            mutated,
            venue=sup.venue(),
            now=NOW,
            replay=MemoryReplayStore(),
            epoch_keys=sup.EPOCH_KEYS,
        )


def test_envelope_size_constant_is_escrow_overhead_plus_pad() -> None:
    from escrow import ENVELOPE_OVERHEAD
    from protocol import ENVELOPE_PAD_TO

    assert ENVELOPE_SIZE == ENVELOPE_OVERHEAD + ENVELOPE_PAD_TO
    assert ENVELOPE_PAD_TO == ENVELOPE_PAD_TO
    assert len(sup.envelope()) == ENVELOPE_SIZE


@given(st.integers(0, 2**32 - 1), st.integers(-14 * 3600, 14 * 3600))
def test_visit_day_is_the_escrow_epoch(timestamp: int, tz: int) -> None:
    # The escrow epoch of a visit is did.day_of in the epoch-key directory's zone.
    class Directory(dict[int, object]):
        tz_offset = tz

    venue = sup.venue(tz_offset=tz)
    assert visit_day(timestamp, venue, Directory()) == day_of(timestamp, tz_offset=tz)
    with pytest.raises(InputError):
        visit_day(timestamp, sup.venue(tz_offset=(tz + 3600) % (14 * 3600)), Directory())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_checkouts_and_readings_raise_only_anshim_errors(data: bytes) -> None:
    from verifier import VisitBook, validate_checkout

    with pytest.raises(AnshimError):
        validate_checkout(
            data, venue=sup.venue(), now=NOW, replay=MemoryReplayStore(), visits=VisitBook()
        )
    with pytest.raises(AnshimError):
        validate_checkin(
            sup.checkin(),
            venue=sup.venue(),
            now=NOW,
            replay=MemoryReplayStore(),
            epoch_keys=sup.EPOCH_KEYS,
            reading=data,
        )
