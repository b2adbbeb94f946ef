"""The validation core: DESIGN.md "Validation at the venue", steps 1 to 6, in that order.

:func:`validate_checkin` takes the signed presentation bytes exactly as scanned or posted and
either raises the first failure (a :class:`~protocol.errors.ProtocolError` whose ``code``
is stable) or returns an :class:`Admission`: the signed :class:`~protocol.VisitReceipt`
for the wallet and the :class:`~protocol.SealedVisit` record for the registry.
:func:`validate_checkout` ends an open visit of the same pseudonym on the same day.

Everything stateful is a parameter: the clock (``now``), the replay store, the epoch keys,
the open-visit book. Step 3 checks that the challenge and the message are unused; they are
claimed only when the check-in is admitted (after step 5), with the store's atomic
test-and-set, so a refused check-in never uses up a kiosk challenge and two identical
messages racing each other admit at most one. The replay keys name the challenge nonce,
the presentation's digest and the device reading's digest, never the venue: a service that
hosts many venues shares one store, and a holder-shown code admitted at one of them is
refused at every other (a relay, DESIGN.md "Venue codes" 3).

The message is decoded and hashed once, and every check the venue makes is one that
defends a threat at the venue (docs/architecture.md, "Who checks what"). The pseudonym's
did:key is decoded by byte checks (canonical, not small order) and its point left to
libsodium's verification, which makes the same checks; the envelope is checked by bytes
only. The hot path costs one Ed25519 verify and one Ed25519 signature (the receipt); the
record is signed at upload time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from hashlib import sha256 as _sha256

from did import ReplayStore, day_of
from did.errors import InputError
from escrow import EpochKey, VisitLabel, check_envelope_structure
from escrow.errors import (
    EnvelopeBadPoint,
    EnvelopeEpochUnknown,
    EnvelopeWrongEpoch,
    MalformedEnvelope,
)
from protocol import (
    ANY_VENUE,
    ENVELOPE_SIZE,
    VISIT_ID_SIZE,
    Channel,
    CheckIn,
    Kind,
    SealedVisit,
    ThermalReading,
    VisitReceipt,
    digest,
)
from protocol.errors import (
    BadEnvelope,
    BadPoint,
    EpochKeyInactive,
    PresenceRequired,
    ReplayedChallenge,
    WrongAudience,
    WrongEpoch,
)
from protocol.wire import check_now, fail
from verifier._policy import EntryPolicy, read_device
from verifier._venue import VenueContext, VisitBook
from verifier.errors import NoOpenVisit, ReplayedCheckIn, ReplayedReading

__all__ = ["Admission", "Departure", "EpochKeys", "validate_checkin", "validate_checkout"]

#: The published epoch keys: the verified :class:`escrow.EpochKeyDirectory` (a mapping) or a
#: look-up from an epoch to its key (``None`` if unpublished or retired).
EpochKeys = Mapping[int, EpochKey] | Callable[[int], EpochKey | None]

_DEFAULT_POLICY = EntryPolicy()
# Replay-store namespaces: a challenge nonce, a presentation digest and a reading digest
# never collide.
_NS_CHALLENGE = b"c"
_NS_MESSAGE = b"m"
_NS_READING = b"r"
# escrow's structural refusals (escrow.check_envelope_structure), by class, as the
# protocol's classes; any other structural refusal is a BadEnvelope.
_ENVELOPE_ERRORS: dict[type[MalformedEnvelope], type[BadEnvelope]] = {
    EnvelopeWrongEpoch: WrongEpoch,
    EnvelopeEpochUnknown: EpochKeyInactive,
    EnvelopeBadPoint: BadPoint,
}


@dataclass(frozen=True, slots=True)
class Admission:
    """An accepted check-in (DESIGN.md step 6).

    ``receipt`` is the venue-signed :class:`~protocol.VisitReceipt` (COSE bytes) to
    return to the wallet; ``record`` is the :class:`~protocol.SealedVisit` to upload
    (sign it with :meth:`VenueContext.sign_record`); ``reading`` is the verified device
    reading the policy used, if any.
    """

    checkin: CheckIn
    receipt: bytes
    record: SealedVisit
    reading: ThermalReading | None

    @property
    def channel(self) -> Channel:
        """The channel of the visit (static poster, kiosk or holder-shown)."""
        return self.record.channel


@dataclass(frozen=True, slots=True)
class Departure:
    """An accepted check-out: the closed record (same visit id, with a time out) and a new
    receipt with the time out for the wallet's diary."""

    receipt: bytes
    record: SealedVisit


def _open_presentation(message: bytes, kind: Kind) -> CheckIn:
    # Steps 1 and 2: size, strict decoding, COSE structure, EdDSA only; the pseudonym is an
    # Ed25519 did:key whose key libsodium verifies under (checked while decoding) and its
    # signature verifies under libsodium's rules.
    checkin = CheckIn.authenticate(message)
    if checkin.kind is not kind:
        wanted = "check-in" if kind is Kind.CHECK_IN else "check-out"
        raise fail("CheckIn", f"expected a {wanted}")
    return checkin


@dataclass(slots=True)
class _Claims:
    """The replay-store keys (and how long to hold each) found unused, claimed only on
    admission: the challenge, the message, and the device reading if one is attached."""

    challenge: bytes | None
    challenge_until: int
    message: bytes
    message_until: int
    reading: bytes | None = None
    reading_until: int = 0


def _check_presence(
    checkin: CheckIn,
    message_hash: bytes,
    venue: VenueContext,
    replay: ReplayStore,
    now: int,
    *,
    admitting: bool,
) -> _Claims:
    # Step 3: the audience is this venue (or any venue, for the holder-shown mode, which
    # this venue now binds to itself); a venue that requires presence admits only answers
    # to its own challenge; the challenge was issued here, is unexpired and unused;
    # issued-at within the clock-skew bound (at most 5 s for a holder-shown code); these
    # exact bytes not yet admitted. "Unused" is a look here: the claims are made by _claim,
    # once the check-in is admitted, so a check-in refused at step 4 or 5 leaves its
    # challenge for the retry.
    if checkin.audience != venue.did and checkin.audience != ANY_VENUE:
        raise WrongAudience("CheckIn: addressed to another venue")
    nonce = checkin.challenge
    if nonce is None:
        if admitting and venue.require_presence:
            raise PresenceRequired("CheckIn: this venue admits only its kiosk's code")
        challenge_key, challenge_expires = None, 0
    else:
        challenge_expires = venue.challenges.check(nonce, now=now)
        challenge_key = _NS_CHALLENGE + nonce
    checkin.check_times(now=now, max_skew=venue.max_skew)
    message_key = _NS_MESSAGE + message_hash
    if challenge_key is not None and replay.held(challenge_key, now=now):
        raise ReplayedChallenge("CheckIn: the challenge was already answered")
    if replay.held(message_key, now=now):
        raise ReplayedCheckIn("CheckIn: this presentation was already admitted")
    until = checkin.replay_until(venue.max_skew)
    return _Claims(challenge_key, challenge_expires, message_key, until)


def _claim(claims: _Claims, replay: ReplayStore, now: int) -> None:
    # Step 3's "unused", made final when the check-in is admitted: each claim is the
    # store's atomic test-and-set, so of two identical messages validated at once (both
    # past the look in _check_presence) only one is admitted. The challenge goes first:
    # a second answer to one challenge is a replayed challenge whatever its bytes.
    if claims.challenge is not None and not replay.claim(
        claims.challenge, until=claims.challenge_until, now=now
    ):
        raise ReplayedChallenge("CheckIn: the challenge was already answered")
    if not replay.claim(claims.message, until=claims.message_until, now=now):
        raise ReplayedCheckIn("CheckIn: this presentation was already admitted")
    if claims.reading is not None and not replay.claim(
        claims.reading, until=claims.reading_until, now=now
    ):
        raise ReplayedReading("ThermalReading: the reading already admitted a visitor")


def visit_day(time_in: int, venue: VenueContext, epoch_keys: EpochKeys) -> int:
    """The escrow epoch of a visit: its day in the epoch-key directory's zone.

    Raises:
        InputError: the directory's ``tz_offset`` is not the venue's (a misconfiguration
            that would seal every visit near midnight to the wrong day).
    """
    zone = getattr(epoch_keys, "tz_offset", venue.tz_offset)
    if zone != venue.tz_offset:
        raise InputError("the venue's tz_offset differs from the epoch-key directory's")
    return day_of(time_in, tz_offset=venue.tz_offset)


def _check_envelope(envelope: bytes, day: int, epoch_keys: EpochKeys) -> None:
    # Step 4, by byte checks only (escrow's structural check): the fixed size, version,
    # epoch = the visit's day, that epoch's key published, R canonical and not a
    # small-order encoding; and a visit envelope, not a trace seed.
    try:
        check_envelope_structure(
            envelope, epoch_keys=epoch_keys, expected_epoch=day, expected_size=ENVELOPE_SIZE
        )
    except MalformedEnvelope as exc:  # one escrow class per structural refusal
        error = _ENVELOPE_ERRORS.get(type(exc), BadEnvelope)
        raise error(f"CheckIn: {exc.message}") from exc
    if envelope[1] != VisitLabel.KIND:
        raise BadEnvelope("CheckIn: the envelope is not a visit envelope")


def _check_reading(
    reading: bytes,
    checkin: CheckIn,
    checkin_hash: bytes,
    venue: VenueContext,
    policy: EntryPolicy,
    replay: ReplayStore,
    now: int,
    claims: _Claims,
) -> ThermalReading:
    # Step 5's input: a device reading counts only if a registered device signed it at
    # this venue, recently, for this check-in's challenge or code, and it has not admitted
    # anyone yet (claimed with the others on admission).
    verified = read_device(
        reading,
        venue.devices,
        venue=venue.did,
        now=now,
        max_age=policy.max_reading_age,
        max_skew=venue.max_skew,
    )
    verified.check_taken_for(checkin, checkin_hash)
    key = _NS_READING + digest(reading)
    if replay.held(key, now=now):
        raise ReplayedReading("ThermalReading: the reading already admitted a visitor")
    claims.reading = key
    claims.reading_until = verified.time + policy.max_reading_age + venue.max_skew + 1
    return verified


def validate_checkin(
    message: bytes,
    *,
    venue: VenueContext,
    now: int,
    replay: ReplayStore,
    epoch_keys: EpochKeys,
    entry_policy: EntryPolicy = _DEFAULT_POLICY,
    reading: bytes | None = None,
    visits: VisitBook | None = None,
) -> Admission:
    """Validate a check-in presentation at ``venue`` (DESIGN.md "Validation at the venue").

    ``reading`` is a device-signed :class:`~protocol.ThermalReading` (COSE bytes) taken
    at the door, if the venue has a thermal camera or mask detector; it must name this
    check-in's kiosk challenge, or the scanned holder-shown code, and is used once. With
    ``visits``, the admitted visit is remembered so that :func:`validate_checkout` can
    close it. ``replay`` may be shared by every venue a service hosts.

    The time in is the presentation's ``issued_at`` (it is bound into the envelope's label)
    and the visit's day is its escrow epoch in the directory's zone (``venue.tz_offset``).

    Raises (the first failure, in step order):
        OversizeMessage, MalformedMessage, BadAlgorithm, UnsupportedVersion: step 1 (also a
            check-out sent here).
        BadEnvelope: step 1, the envelope is not :data:`~protocol.ENVELOPE_SIZE` bytes.
        BadPseudonym, BadSignature: step 2.
        WrongAudience: step 3, addressed to another venue.
        PresenceRequired: step 3, the venue requires presence and the check-in answers
            no kiosk challenge (static poster or holder-shown code).
        UnknownChallenge, ExpiredChallenge, ReplayedChallenge: step 3, the kiosk challenge.
        ClockSkew, Expired: step 3, issued-at too far ahead, or the presentation expired.
        ReplayedCheckIn: step 3, these exact bytes were already admitted (here, or at a
            venue sharing ``replay``).
        WrongEpoch, EpochKeyInactive, BadPoint, BadEnvelope: step 4.
        UnknownDevice, BadSignature, WrongAudience, StaleReading, ClockSkew: step 5, the
            reading cannot be trusted.
        ReadingMismatch: step 5, the reading names another challenge or code.
        ReplayedReading: step 5, the reading already admitted a visitor.
        DeclaredFever, DeclaredSymptoms, HighTemperature, MaskMissing: step 5 (refusals).
        ReplayedChallenge, ReplayedCheckIn, ReplayedReading: on admission, another
            validation claimed the challenge, these bytes or the reading after this one's
            checks (a race; at most one wins).
        ReplayStoreFull: the in-memory replay store is at capacity.
        InputError: ``now`` is not a valid int, or ``venue.tz_offset`` is not the
            directory's.

    Only an admitted check-in claims its challenge, its bytes and its reading in
    ``replay``: a check-in refused at any step leaves them unused, so the visitor can
    correct it and answer the same kiosk challenge again.
    """
    now = check_now(now)
    checkin = _open_presentation(message, Kind.CHECK_IN)
    # A zone mismatch is the venue's misconfiguration: refuse before any state changes.
    day = visit_day(checkin.issued_at, venue, epoch_keys)
    # The message's hash names it three times: in the replay claim, the reading's subject
    # (a holder-shown code) and the receipt (the message is bytes: it was decoded).
    checkin_hash = _sha256(message).digest()
    claims = _check_presence(checkin, checkin_hash, venue, replay, now, admitting=True)
    envelope, declaration = checkin.envelope, checkin.declaration
    if envelope is None or declaration is None:  # excluded by CheckIn's constructor
        raise fail("CheckIn", "a check-in carries a declaration and an envelope")
    _check_envelope(envelope, day, epoch_keys)
    # Step 5: the entry policy, with the device reading verified first.
    verified = None
    if reading is not None:
        verified = _check_reading(
            reading, checkin, checkin_hash, venue, entry_policy, replay, now, claims
        )
    entry_policy.decide(declaration, verified)
    # Admitted: the replay keys are claimed now, before anything is signed.
    _claim(claims, replay, now)
    # Step 6: the receipt for the wallet and the record for the registry, built from the
    # decoded check-in (every field of which its constructor checked).
    receipt, record = SealedVisit.admit(
        checkin,
        venue=venue.did,
        day=day,
        visit_id=os.urandom(VISIT_ID_SIZE),
        checkin_hash=checkin_hash,
        key=venue.key,
    )
    if visits is not None:
        visits.add(record, checkin_hash)
    return Admission(checkin, receipt, record, verified)


def validate_checkout(
    message: bytes,
    *,
    venue: VenueContext,
    now: int,
    replay: ReplayStore,
    visits: VisitBook,
) -> Departure:
    """Validate a check-out and close the open visit of its pseudonym on its day.

    A check-out is signed by the same pairwise key as its check-in, so the pseudonym and day
    find the visit (DESIGN.md "Other channels, one record": time out comes from a
    check-out). The time out is the check-out's ``issued_at``, but never before the time in.
    The new receipt keeps the check-in's hash (:mod:`protocol._records`). A venue that
    requires presence still accepts check-outs from the poster: leaving needs no proof.

    Raises:
        OversizeMessage, MalformedMessage, BadAlgorithm, UnsupportedVersion: decoding (also
            a check-in sent here).
        BadPseudonym, BadSignature: the pseudonym or its signature.
        WrongAudience, UnknownChallenge, ExpiredChallenge, ReplayedChallenge, ClockSkew,
            Expired, ReplayedCheckIn: as for :func:`validate_checkin` step 3.
        NoOpenVisit: no open visit of that pseudonym at this venue on that day.
        ReplayStoreFull: the in-memory replay store is at capacity.
        InputError: ``now`` is not a valid int.

    As for check-ins, only an accepted check-out claims its bytes (and challenge).
    """
    now = check_now(now)
    checkout = _open_presentation(message, Kind.CHECK_OUT)
    claims = _check_presence(checkout, digest(message), venue, replay, now, admitting=False)
    day = day_of(checkout.issued_at, tz_offset=venue.tz_offset)
    found = visits.peek(checkout.pseudonym, day)
    if found is None and day > 0:
        # A stay that crossed midnight: the check-in's day (and pseudonym) is the day before.
        day -= 1
        found = visits.peek(checkout.pseudonym, day)
    if found is None:
        raise NoOpenVisit("CheckIn: no open visit of this pseudonym here today")
    _claim(claims, replay, now)
    visits.take(checkout.pseudonym, day)
    record, checkin_hash = found
    time_out = min(max(checkout.issued_at, record.time_in), record.time_in + 86400)
    closed = SealedVisit(
        visit_id=record.visit_id,
        venue=record.venue,
        day=record.day,
        time_in=record.time_in,
        time_out=time_out,
        pseudonym=record.pseudonym,
        locator=record.locator,
        channel=record.channel,
        declaration=record.declaration,
        envelope=record.envelope,
        receipt_hash=record.receipt_hash,
    )
    receipt = VisitReceipt(
        venue=venue.did,
        pseudonym=record.pseudonym,
        time_in=record.time_in,
        time_out=time_out,
        visit_id=record.visit_id,
        checkin_hash=checkin_hash,
        channel=record.channel,
    ).sign(venue.key)
    return Departure(receipt, closed)
