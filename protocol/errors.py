"""The check-in protocol's errors, each with a stable ``code``.

The verifier validates a check-in in the order of DESIGN.md "Validation at the venue"
and reports the first failure by its ``code``; the kiosk, the HTTP problem details
(RFC 9457) and the logs all use these codes, so they never change once published.
Messages never contain secrets, envelopes or payload bytes.

::

    AnshimError
    └── ProtocolError                      (code protocol_error)
        ├── MalformedMessage (DecodeError) malformed           strict decoding failed: type,
        │   │                                                  key set, range, syntax
        │   ├── OversizeMessage            oversize            over a format size cap
        │   ├── UnsupportedVersion         bad_version         version field is not 1
        │   └── BadAlgorithm               bad_algorithm       COSE algorithm is not EdDSA
        ├── BadPseudonym (InputError)      bad_pseudonym       not a valid Ed25519 did:key
        ├── BadSignature (InvalidSignature) bad_signature      a signature does not verify
        │   └── ForgedVenueCode            forged_venue_code   poster not signed by the registry
        ├── UnknownKey                     unknown_key         the key look-up knows no key
        ├── WrongAudience                  wrong_audience      addressed to another venue
        ├── ChallengeError                 challenge_error
        │   ├── UnknownChallenge           unknown_challenge   not issued by this venue
        │   ├── ExpiredChallenge           expired_challenge   challenge past its expiry
        │   └── ReplayedChallenge          replayed_challenge  challenge already used
        ├── TimeError                      time_error
        │   ├── ClockSkew                  clock_skew          dated too far in the future
        │   ├── Expired                    expired             past its expiry
        │   │   └── ExpiredVenueCode       expired_venue_code  poster past its expiry
        │   ├── StaleReading               stale_reading       thermal reading too old
        │   └── OutOfWindow                out_of_window       outside the disclosed window
        ├── EnvelopeError                  bad_envelope        envelope size or form wrong
        │   ├── WrongEpoch                 wrong_epoch         sealed to another day's key
        │   ├── EpochKeyInactive           epoch_key_inactive  epoch key unknown or retired
        │   └── BadPoint                   bad_point           ephemeral point invalid
        ├── ForeignRecord                  foreignRecord       an upload batch holds a record
        │                                                  of another venue
        └── EntryRefused                   entry_refused       entry policy said no
            ├── DeclaredFever              declared_fever
            ├── DeclaredSymptoms           declared_symptoms
            ├── HighTemperature            high_temperature
            └── MaskMissing                mask_missing

The protocol functions in :mod:`protocol` raise the decoding, signature, audience,
time and envelope-size errors themselves. ``unknown_challenge``, ``replayed_challenge``,
``wrong_epoch``, ``epoch_key_inactive``, ``bad_point`` and the ``EntryRefused`` family
need state (a challenge cache, the epoch-key directory, thermal readings) and are raised
by the verifier with these classes, so every party shares one vocabulary.
"""

from __future__ import annotations

from did.errors import AnshimError, DecodeError, InputError, InvalidSignature

__all__ = [
    "BadAlgorithm",
    "BadPoint",
    "BadPseudonym",
    "BadSignature",
    "ChallengeError",
    "ClockSkew",
    "DeclaredFever",
    "DeclaredSymptoms",
    "EntryRefused",
    "EnvelopeError",
    "EpochKeyInactive",
    "Expired",
    "ExpiredChallenge",
    "ExpiredVenueCode",
    "ForeignRecord",
    "ForgedVenueCode",
    "HighTemperature",
    "MalformedMessage",
    "MaskMissing",
    "OutOfWindow",
    "OversizeMessage",
    "ProtocolError",
    "ReplayedChallenge",
    "StaleReading",
    "TimeError",
    "UnknownChallenge",
    "UnknownKey",
    "UnsupportedVersion",
    "WrongAudience",
    "WrongEpoch",
]


class ProtocolError(AnshimError):
    """Root of every check-in protocol error; ``code`` is stable."""

    code = "protocol_error"


class MalformedMessage(ProtocolError, DecodeError):
    """A message that breaks the strict format: bad CBOR or COSE, wrong key set, wrong
    type, a value out of range, or a malformed DID."""

    code = "malformed"


class OversizeMessage(MalformedMessage):
    """A message (or its payload) larger than the format's size cap."""

    code = "oversize"


class UnsupportedVersion(MalformedMessage):
    """A message whose version field is not one this code speaks."""

    code = "bad_version"


class BadAlgorithm(MalformedMessage):
    """A COSE_Sign1 whose protected header is not exactly ``{alg: EdDSA}``."""

    code = "bad_algorithm"


class BadPseudonym(ProtocolError, InputError):
    """A pseudonym that is not a valid Ed25519 ``did:key``."""

    code = "bad_pseudonym"


class BadSignature(ProtocolError, InvalidSignature):
    """A signature that does not verify under the expected key."""

    code = "bad_signature"


class ForgedVenueCode(BadSignature):
    """A venue poster whose signature is not the registry's (altered or forged)."""

    code = "forged_venue_code"


class UnknownKey(ProtocolError):
    """The key look-up has no key for the DID a message names."""

    code = "unknown_key"


class WrongAudience(ProtocolError):
    """A check-in addressed to another venue."""

    code = "wrong_audience"


class ChallengeError(ProtocolError):
    """A kiosk challenge that cannot be accepted."""

    code = "challenge_error"


class UnknownChallenge(ChallengeError):
    """A challenge nonce this venue did not issue (raised by the verifier)."""

    code = "unknown_challenge"


class ExpiredChallenge(ChallengeError):
    """A challenge used after its expiry."""

    code = "expired_challenge"


class ReplayedChallenge(ChallengeError):
    """A challenge nonce that was already answered (raised by the verifier)."""

    code = "replayed_challenge"


class TimeError(ProtocolError):
    """A message whose times do not fit ``now`` or its window."""

    code = "time_error"


class ClockSkew(TimeError):
    """A message dated later than ``now`` plus the allowed clock skew."""

    code = "clock_skew"


class Expired(TimeError):
    """A message used after its expiry."""

    code = "expired"


class ExpiredVenueCode(Expired):
    """A venue poster past its expiry."""

    code = "expired_venue_code"


class StaleReading(TimeError):
    """A thermal reading older than the accepted age."""

    code = "stale_reading"


class OutOfWindow(TimeError):
    """A receipt outside the window its diary disclosure claims."""

    code = "out_of_window"


class EnvelopeError(ProtocolError):
    """A sealed envelope of the wrong size or form."""

    code = "bad_envelope"


class WrongEpoch(EnvelopeError):
    """An envelope sealed to another day's epoch key (raised by the verifier)."""

    code = "wrong_epoch"


class EpochKeyInactive(EnvelopeError):
    """The visit day's epoch key is not published or no longer active (verifier)."""

    code = "epoch_key_inactive"


class BadPoint(EnvelopeError):
    """An envelope whose ephemeral point is not a valid prime-order point (verifier)."""

    code = "bad_point"


class EntryRefused(ProtocolError):
    """The venue's entry policy refuses entry; the message is shown on the kiosk."""

    code = "entry_refused"


class DeclaredFever(EntryRefused):
    """The visitor declared a fever."""

    code = "declared_fever"


class DeclaredSymptoms(EntryRefused):
    """The visitor declared respiratory symptoms."""

    code = "declared_symptoms"


class HighTemperature(EntryRefused):
    """A thermal reading at or above the venue's threshold."""

    code = "high_temperature"


class MaskMissing(EntryRefused):
    """The mask detector saw no mask."""

    code = "mask_missing"


class ForeignRecord(ProtocolError):
    """An upload batch that carries a record of another venue than the one that signed it
    (:class:`~protocol.UploadBatch`): a venue uploads only its own records."""

    code = "foreignRecord"
