"""The check-in protocol's messages, shared by wallets (phones) and verifiers (venues).

Every message is a frozen dataclass that validates on construction, encodes as
deterministic CBOR with integer keys (``to_cbor``/``from_cbor``), and, if signed, travels
as a COSE_Sign1 with EdDSA (``sign(key)``; ``verify(data, key, *, now)`` raises, never
returns a bool). Errors and their stable codes: :mod:`did.protocol.errors`.

Quick start::

    import os
    from did.keys import Ed25519PrivateKey
    from did.protocol import (
        ENVELOPE_SIZE, CheckIn, HealthDeclaration, VenueCode, day_of, derive_pseudonym_key,
        derive_trace_seed, digest, locator, pseudonym_did,
    )

    now, wallet_secret = 1_700_000_000, os.urandom(32)
    registry, venue = Ed25519PrivateKey.generate(), "did:web:reg.example:venues:v1"
    poster = VenueCode(venue=venue, name="Cafe", category="cafe",
                       issued=now, expires=now + 86400 * 365).sign(registry)
    code = VenueCode.verify(poster, registry.public_key, now=now)    # on the phone

    day = day_of(now)
    key = derive_pseudonym_key(wallet_secret, code.venue, day)
    sealed = bytes(ENVELOPE_SIZE)       # really: escrow.seal(..., pad_to=ENVELOPE_PAD_TO)
    presentation = CheckIn(
        audience=code.venue, challenge=None, issued_at=now, expires=now + 60,
        pseudonym=pseudonym_did(key), declaration=HealthDeclaration(False, False),
        envelope=sealed, locator=locator(derive_trace_seed(wallet_secret, day), code.venue),
    ).sign(key)

    checkin = CheckIn.verify(presentation, audience=venue, now=now)  # at the venue
    checkin_hash = digest(presentation)                             # for the receipt

Modules: :mod:`~did.protocol.venue` (posters, kiosk challenges),
:mod:`~did.protocol.checkin`, :mod:`~did.protocol.records` (receipts, sealed visits),
:mod:`~did.protocol.notices` (exposure notices, thermal readings),
:mod:`~did.protocol.diary` (diary disclosure), :mod:`~did.protocol.qrtext` (QR text forms),
:mod:`~did.protocol.derive` (pseudonym keys, trace seeds, locators, days),
:mod:`~did.protocol.person` (the identity credential), :mod:`~did.protocol.compact` (its
compact COSE twin), :mod:`~did.protocol.plaintext` (the sealed plaintexts of every channel
and :func:`~did.protocol.plaintext.open_plaintext`).
"""

from did.protocol._wire import MAX_TIME, MAX_VENUE_DID_CHARS, PROTOCOL_VERSION, KeySource, digest
from did.protocol.checkin import (
    CHECKIN_LIFETIME,
    HOLDER_SHOWN_LIFETIME,
    MAX_CHECKIN_MESSAGE,
    CheckIn,
)
from did.protocol.derive import (
    LOCATOR_SIZE,
    TRACE_SEED_SIZE,
    day_of,
    derive_pseudonym_key,
    derive_trace_seed,
    locator,
    pseudonym_did,
)
from did.protocol.diary import DiaryDisclosure, DiaryEntry, VerifiedDiary
from did.protocol.notices import ExposureNotice, ThermalReading
from did.protocol.qrtext import QrKind, parse_qr_text, to_qr_text
from did.protocol.records import VISIT_ID_SIZE, SealedVisit, VisitReceipt
from did.protocol.values import (
    ANY_VENUE,
    ENVELOPE_PAD_TO,
    ENVELOPE_SIZE,
    Channel,
    HealthDeclaration,
    Kind,
    RiskLevel,
)
from did.protocol.venue import (
    CHALLENGE_LIFETIME,
    MAX_VENUE_CODE_PAYLOAD,
    NONCE_SIZE,
    VenueChallenge,
    VenueCode,
)

__all__ = [
    "ANY_VENUE",
    "CHALLENGE_LIFETIME",
    "CHECKIN_LIFETIME",
    "ENVELOPE_PAD_TO",
    "ENVELOPE_SIZE",
    "HOLDER_SHOWN_LIFETIME",
    "LOCATOR_SIZE",
    "MAX_CHECKIN_MESSAGE",
    "MAX_TIME",
    "MAX_VENUE_CODE_PAYLOAD",
    "MAX_VENUE_DID_CHARS",
    "NONCE_SIZE",
    "PROTOCOL_VERSION",
    "TRACE_SEED_SIZE",
    "VISIT_ID_SIZE",
    "Channel",
    "CheckIn",
    "DiaryDisclosure",
    "DiaryEntry",
    "ExposureNotice",
    "HealthDeclaration",
    "KeySource",
    "Kind",
    "QrKind",
    "RiskLevel",
    "SealedVisit",
    "ThermalReading",
    "VenueChallenge",
    "VenueCode",
    "VerifiedDiary",
    "VisitReceipt",
    "day_of",
    "derive_pseudonym_key",
    "derive_trace_seed",
    "digest",
    "locator",
    "parse_qr_text",
    "pseudonym_did",
    "to_qr_text",
]
