"""The check-in protocol's errors, each with a stable camelCase ``code``.

The verifier validates a check-in in the order of DESIGN.md "Validation at the venue"
and reports the first failure by its ``code``; the kiosk, the HTTP problem details
(RFC 9457) and the logs all use these codes, so they never change once published.
Messages never contain secrets, envelopes or payload bytes. Refusals a person reads (the
entry policy's on the kiosk, :class:`PresenceRequired` on the phone) also carry a
``user_message`` in Korean and English, shown as it is.

::

    did.errors.AnshimError
    └── ProtocolError                        protocolError
        ├── MalformedMessage (ValueError)    malformedMessage    strict decoding failed:
        │   │                                                    type, key set, range, syntax
        │   │                                                    (also a did DecodeError)
        │   ├── OversizeMessage              oversizeMessage     over a format size cap
        │   ├── UnsupportedVersion           unsupportedVersion  version field is not 1
        │   └── BadAlgorithm                 badAlgorithm        COSE algorithm is not EdDSA
        ├── BadPseudonym (ValueError)        badPseudonym        not an Ed25519 did:key that
        │                                                        libsodium verifies under
        │                                                        (also a did InputError)
        ├── BadSignature                     badSignature        a signature does not verify
        │   │                                                    (also a did InvalidSignature)
        │   ├── ForgedVenueCode              forgedVenueCode     poster not signed by the
        │   │                                                    registry
        │   ├── WrongIssuer                  wrongIssuer         identity credential of
        │   │                                                    another issuer
        │   └── BadHolderSignature           badHolderSignature  the sealed identity is not
        │                                                        bound to this visit by its
        │                                                        holder
        ├── TwinMismatch                     twinMismatch        the JSON and compact forms
        │                                                        of a credential disagree
        ├── UnknownKey                       unknownKey          the key look-up knows no key
        ├── WrongAudience                    wrongAudience       addressed to another venue
        ├── PresenceRequired                 presenceRequired    the venue admits only answers
        │                                                        to its kiosk challenge
        ├── ChallengeError                   challengeError
        │   ├── UnknownChallenge             unknownChallenge    not issued by this venue
        │   ├── ExpiredChallenge             expiredChallenge    challenge past its expiry
        │   └── ReplayedChallenge            replayedChallenge   challenge already used
        ├── TimeError                        timeError
        │   ├── ClockSkew                    clockSkew           dated too far in the future
        │   ├── Expired                      expiredMessage      past its expiry
        │   │   └── ExpiredVenueCode         expiredVenueCode    poster past its expiry
        │   ├── IdentityNotYetValid          identityNotYetValid identity credential checked
        │   │                                                    before its valid-from
        │   ├── StaleReading                 staleReading        thermal reading too old
        │   └── OutOfWindow                  outOfWindow         outside the disclosed window
        ├── ReadingMismatch                  readingMismatch     a reading taken for another
        │                                                        challenge or code
        ├── BadEnvelope                      badEnvelope         envelope size or form wrong
        │   ├── WrongEpoch                   wrongEpoch          sealed to another day's key
        │   ├── EpochKeyInactive             epochKeyInactive    epoch key unknown or retired
        │   └── BadPoint                     badPoint            ephemeral point R refused
        ├── ForeignRecord                    foreignRecord       an upload batch holds a
        │                                                        record of another venue
        └── EntryRefused                     entryRefused        entry policy said no
            ├── DeclaredFever                declaredFever
            ├── DeclaredSymptoms             declaredSymptoms
            ├── HighTemperature              highTemperature
            └── MaskMissing                  maskMissing

The protocol functions in :mod:`protocol` raise the decoding, signature, audience,
time, reading-subject and envelope-size errors themselves. ``unknownChallenge``,
``replayedChallenge``, ``presenceRequired``, ``wrongEpoch``, ``epochKeyInactive``,
``badPoint`` and the ``EntryRefused`` family need state (a challenge cache, the venue's
settings, the epoch-key directory, thermal readings) and are raised by the verifier with
these classes, so every party shares one vocabulary.
"""

from __future__ import annotations

from typing import ClassVar

from did.errors import AnshimError, DecodeError, InputError, InvalidSignature

__all__ = [
    "BadAlgorithm",
    "BadEnvelope",
    "BadHolderSignature",
    "BadPoint",
    "BadPseudonym",
    "BadSignature",
    "ChallengeError",
    "ClockSkew",
    "DeclaredFever",
    "DeclaredSymptoms",
    "EntryRefused",
    "EpochKeyInactive",
    "Expired",
    "ExpiredChallenge",
    "ExpiredVenueCode",
    "ForeignRecord",
    "ForgedVenueCode",
    "HighTemperature",
    "IdentityNotYetValid",
    "MalformedMessage",
    "MaskMissing",
    "OutOfWindow",
    "OversizeMessage",
    "PresenceRequired",
    "ProtocolError",
    "ReadingMismatch",
    "ReplayedChallenge",
    "StaleReading",
    "TimeError",
    "TwinMismatch",
    "UnknownChallenge",
    "UnknownKey",
    "UnsupportedVersion",
    "WrongAudience",
    "WrongEpoch",
    "WrongIssuer",
]


class ProtocolError(AnshimError):
    """Root of every check-in protocol error; ``code`` is stable."""

    code = "protocolError"


class MalformedMessage(ProtocolError, DecodeError):
    """A message that breaks the strict format: bad CBOR or COSE, wrong key set, wrong
    type, a value out of range, or a malformed DID."""

    code = "malformedMessage"


class OversizeMessage(MalformedMessage):
    """A message (or its payload) larger than the format's size cap."""

    code = "oversizeMessage"


class UnsupportedVersion(MalformedMessage):
    """A message whose version field is not one this code speaks."""

    code = "unsupportedVersion"


class BadAlgorithm(MalformedMessage):
    """A COSE_Sign1 whose protected header is not exactly ``{alg: EdDSA}``."""

    code = "badAlgorithm"


class BadPseudonym(ProtocolError, InputError):
    """A pseudonym that is not an Ed25519 ``did:key`` whose key libsodium verifies under:
    a malformed did:key, or a key that is not canonically encoded or of small order
    (DESIGN.md "Validation at the venue" step 2; a mixed-order key is admitted)."""

    code = "badPseudonym"


class BadSignature(ProtocolError, InvalidSignature):
    """A signature that does not verify under the expected key."""

    code = "badSignature"


class ForgedVenueCode(BadSignature):
    """A venue poster whose signature is not the registry's (altered or forged)."""

    code = "forgedVenueCode"


class WrongIssuer(BadSignature):
    """A compact identity credential whose issuer tag names another issuer than the one
    asked for (or none of the trusted ones)."""

    code = "wrongIssuer"


class BadHolderSignature(BadSignature):
    """An unsealed identity whose holder signature does not verify, under the long-term
    key its credential names, over the envelope's label: the credential was sealed by
    someone else (a leaked credential copied into another's check-in) or for another visit
    (DESIGN.md "Check-in presentation", the sealed envelope)."""

    code = "badHolderSignature"


class TwinMismatch(ProtocolError):
    """The JSON form and the compact form of a person credential disagree."""

    code = "twinMismatch"


class UnknownKey(ProtocolError):
    """The key look-up has no key for the DID a message names."""

    code = "unknownKey"


class WrongAudience(ProtocolError):
    """A check-in (or a device reading) addressed to another venue."""

    code = "wrongAudience"


class PresenceRequired(ProtocolError):
    """The venue requires proof of presence (``require_presence``): it admits only
    check-ins that answer its own kiosk challenge, so a check-in from the static poster
    or a holder-shown code is refused (DESIGN.md "Venue codes"). ``user_message`` is what
    the phone shows."""

    code = "presenceRequired"
    user_message: ClassVar[str] = (
        "입구 화면의 QR 코드를 스캔해 주세요 / Please scan the code on the screen at the entrance"
    )


class ChallengeError(ProtocolError):
    """A kiosk challenge that cannot be accepted."""

    code = "challengeError"


class UnknownChallenge(ChallengeError):
    """A challenge nonce this venue did not issue (raised by the verifier)."""

    code = "unknownChallenge"


class ExpiredChallenge(ChallengeError):
    """A challenge used after its expiry."""

    code = "expiredChallenge"


class ReplayedChallenge(ChallengeError):
    """A challenge nonce that was already answered (raised by the verifier)."""

    code = "replayedChallenge"


class TimeError(ProtocolError):
    """A message whose times do not fit ``now`` or its window."""

    code = "timeError"


class ClockSkew(TimeError):
    """A message dated later than ``now`` plus the allowed clock skew."""

    code = "clockSkew"


class Expired(TimeError):
    """A message (a check-in, a compact identity credential) used after its expiry."""

    code = "expiredMessage"


class ExpiredVenueCode(Expired):
    """A venue poster past its expiry."""

    code = "expiredVenueCode"


class IdentityNotYetValid(TimeError):
    """A compact identity credential checked before its valid-from time."""

    code = "identityNotYetValid"


class StaleReading(TimeError):
    """A thermal reading older than the accepted age."""

    code = "staleReading"


class OutOfWindow(TimeError):
    """A receipt outside the window its diary disclosure claims."""

    code = "outOfWindow"


class ReadingMismatch(ProtocolError):
    """A device reading taken for another kiosk challenge or another scanned code than
    the check-in it is attached to (DESIGN.md "Thermal camera / mask detector": a reading
    names what it was taken for)."""

    code = "readingMismatch"


class BadEnvelope(ProtocolError):
    """A sealed envelope of the wrong size or form (DESIGN.md "Validation at the venue"
    step 4, by byte checks only)."""

    code = "badEnvelope"


class WrongEpoch(BadEnvelope):
    """An envelope sealed to another day's epoch key (raised by the verifier)."""

    code = "wrongEpoch"


class EpochKeyInactive(BadEnvelope):
    """The visit day's epoch key is not published or no longer active (verifier)."""

    code = "epochKeyInactive"


class BadPoint(BadEnvelope):
    """An envelope whose ephemeral point R is not canonically encoded or is one of the
    small-order encodings (verifier; full point validation is the custodians')."""

    code = "badPoint"


class EntryRefused(ProtocolError):
    """The venue's entry policy refuses entry; ``user_message`` is shown on the kiosk."""

    code = "entryRefused"
    user_message: ClassVar[str] = "입장할 수 없습니다 / Entry refused"


class DeclaredFever(EntryRefused):
    """The visitor declared a fever."""

    code = "declaredFever"
    user_message: ClassVar[str] = "발열이 있어 입장할 수 없습니다 / Entry refused: fever declared"


class DeclaredSymptoms(EntryRefused):
    """The visitor declared respiratory symptoms."""

    code = "declaredSymptoms"
    user_message: ClassVar[str] = (
        "호흡기 증상이 있어 입장할 수 없습니다 / Entry refused: respiratory symptoms declared"
    )


class HighTemperature(EntryRefused):
    """A thermal reading at or above the venue's threshold."""

    code = "highTemperature"
    user_message: ClassVar[str] = "체온이 높습니다 / High temperature"


class MaskMissing(EntryRefused):
    """The mask detector saw no mask."""

    code = "maskMissing"
    user_message: ClassVar[str] = "마스크를 착용해 주세요 / Please wear a mask"


class ForeignRecord(ProtocolError):
    """An upload batch that carries a record of another venue than the one that signed it
    (:class:`~protocol.UploadBatch`): a venue uploads only its own records."""

    code = "foreignRecord"
