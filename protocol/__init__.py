"""The check-in protocol's messages, shared by wallets (phones) and verifiers (venues).

Every message is a frozen dataclass that validates on construction, encodes as
deterministic CBOR with integer keys (``to_cbor``/``from_cbor``), and, if signed, travels
as a COSE_Sign1 with EdDSA (``sign(key)``; ``verify(data, key, *, now)`` raises, never
returns a bool). Errors and their stable codes: :mod:`protocol.errors`.

Quick start::

    import os
    from did import Ed25519PrivateKey
    from protocol import (
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

Modules: :mod:`~protocol._venue` (posters, kiosk challenges),
:mod:`~protocol._checkin`, :mod:`~protocol._records` (receipts, sealed visits),
:mod:`~protocol._notices` (exposure notices, thermal readings),
:mod:`~protocol._diary` (diary disclosure), :mod:`~protocol._qrtext` (QR text forms),
:mod:`~protocol._derive` (pseudonym keys, trace seeds, locators, days),
:mod:`~protocol._person` (the identity credential), :mod:`~protocol._compact` (its
compact COSE twin), :mod:`~protocol._plaintext` (the sealed plaintexts of every channel,
:func:`open_plaintext` and, after unsealing, :func:`verify_sealed_identity`),
:mod:`~protocol._batch` (upload batches), :mod:`~protocol._visitlayout` (the sealed
visit's layout and its one-pass reader), :mod:`~protocol._registration` (what a venue's
registration and key rotation at the registry sign). Public modules: :mod:`protocol.errors` and
:mod:`protocol.wire` (the field checks, key tables and COSE wrapping the messages share,
and the pseudonym's key rule of :mod:`~protocol._pseudonym`).
"""

# did.day_of is the one definition of day numbers; the protocol's messages name days by it.
from did import day_of
from protocol._batch import (
    BATCH_ID_SIZE,
    MAX_BATCH_RECORDS,
    MAX_UPLOAD_BATCH_MESSAGE,
    UploadBatch,
)
from protocol._categories import CATEGORIES, FALLBACK_CATEGORY, Category, category
from protocol._checkin import (
    CHECKIN_LIFETIME,
    HOLDER_SHOWN_LIFETIME,
    HOLDER_SHOWN_MAX_SKEW,
    MAX_CHECKIN_MESSAGE,
    CheckIn,
)
from protocol._compact import (
    COMPACT_OVERHEAD,
    MAX_COMPACT_SIZE,
    MAX_NAME_BYTES,
    CompactPersonCredential,
    IdentityVerification,
    check_phone,
    issuer_tag,
)
from protocol._derive import (
    LOCATOR_SIZE,
    MIN_SECRET_SIZE,
    TRACE_SEED_SIZE,
    LocatorVenues,
    derive_pseudonym_key,
    derive_trace_seed,
    locator,
    locators,
    pseudonym_did,
)
from protocol._diary import (
    MAX_DIARY_ENTRIES,
    MAX_DIARY_WINDOW,
    DiaryDisclosure,
    DiaryEntry,
    VerifiedDiary,
)
from protocol._notices import (
    MAX_EXPOSURE_WINDOW,
    MAX_NOTICE_MESSAGE,
    MAX_READING_MESSAGE,
    MAX_TEMPERATURE,
    MIN_TEMPERATURE,
    ExposureNotice,
    ThermalReading,
)
from protocol._person import (
    PERSON_CREDENTIAL_TYPE,
    PersonCredential,
    issue_person_credential,
)
from protocol._plaintext import (
    HOLDER_SIGNATURE_SIZE,
    MAX_ASSISTED_NAME_BYTES,
    GatewayPlaintext,
    IdentityPlaintext,
    open_plaintext,
    verify_sealed_identity,
)
from protocol._qrtext import (
    QrKind,
    parse_qr_text,
    to_qr_text,
)
from protocol._records import (
    MAX_RECEIPT_MESSAGE,
    MAX_SEALED_VISIT_MESSAGE,
    MAX_STAY,
    VISIT_ID_SIZE,
    SealedVisit,
    VisitReceipt,
)
from protocol._registration import (
    VENUE_PROOF_FIELDS,
    VENUE_REGISTRATION_CONTEXT,
    VENUE_ROTATION_CONTEXT,
    venue_request_bytes,
)
from protocol._values import (
    ANY_VENUE,
    ENVELOPE_PAD_TO,
    ENVELOPE_SIZE,
    MAX_IDENTITY_PLAINTEXT,
    VISIT_NONCE_SIZE,
    Channel,
    HealthDeclaration,
    Kind,
    RiskLevel,
)
from protocol._venue import (
    CHALLENGE_LIFETIME,
    MAX_CHALLENGE_MESSAGE,
    MAX_VENUE_CODE_MESSAGE,
    MAX_VENUE_CODE_PAYLOAD,
    NONCE_SIZE,
    VenueChallenge,
    VenueCode,
)
from protocol.wire import MAX_TIME, MAX_VENUE_DID_CHARS, PROTOCOL_VERSION, KeySource, digest

__all__ = [
    "ANY_VENUE",
    "BATCH_ID_SIZE",
    "CATEGORIES",
    "CHALLENGE_LIFETIME",
    "CHECKIN_LIFETIME",
    "COMPACT_OVERHEAD",
    "ENVELOPE_PAD_TO",
    "ENVELOPE_SIZE",
    "FALLBACK_CATEGORY",
    "HOLDER_SHOWN_LIFETIME",
    "HOLDER_SHOWN_MAX_SKEW",
    "HOLDER_SIGNATURE_SIZE",
    "LOCATOR_SIZE",
    "MAX_ASSISTED_NAME_BYTES",
    "MAX_BATCH_RECORDS",
    "MAX_CHALLENGE_MESSAGE",
    "MAX_CHECKIN_MESSAGE",
    "MAX_COMPACT_SIZE",
    "MAX_DIARY_ENTRIES",
    "MAX_DIARY_WINDOW",
    "MAX_EXPOSURE_WINDOW",
    "MAX_IDENTITY_PLAINTEXT",
    "MAX_NAME_BYTES",
    "MAX_NOTICE_MESSAGE",
    "MAX_READING_MESSAGE",
    "MAX_RECEIPT_MESSAGE",
    "MAX_SEALED_VISIT_MESSAGE",
    "MAX_STAY",
    "MAX_TEMPERATURE",
    "MAX_TIME",
    "MAX_UPLOAD_BATCH_MESSAGE",
    "MAX_VENUE_CODE_MESSAGE",
    "MAX_VENUE_CODE_PAYLOAD",
    "MAX_VENUE_DID_CHARS",
    "MIN_SECRET_SIZE",
    "MIN_TEMPERATURE",
    "NONCE_SIZE",
    "PERSON_CREDENTIAL_TYPE",
    "PROTOCOL_VERSION",
    "TRACE_SEED_SIZE",
    "VENUE_PROOF_FIELDS",
    "VENUE_REGISTRATION_CONTEXT",
    "VENUE_ROTATION_CONTEXT",
    "VISIT_ID_SIZE",
    "VISIT_NONCE_SIZE",
    "Category",
    "Channel",
    "CheckIn",
    "CompactPersonCredential",
    "DiaryDisclosure",
    "DiaryEntry",
    "ExposureNotice",
    "GatewayPlaintext",
    "HealthDeclaration",
    "IdentityPlaintext",
    "IdentityVerification",
    "KeySource",
    "Kind",
    "LocatorVenues",
    "PersonCredential",
    "QrKind",
    "RiskLevel",
    "SealedVisit",
    "ThermalReading",
    "UploadBatch",
    "VenueChallenge",
    "VenueCode",
    "VerifiedDiary",
    "VisitReceipt",
    "category",
    "check_phone",
    "day_of",
    "derive_pseudonym_key",
    "derive_trace_seed",
    "digest",
    "issue_person_credential",
    "issuer_tag",
    "locator",
    "locators",
    "open_plaintext",
    "parse_qr_text",
    "pseudonym_did",
    "to_qr_text",
    "venue_request_bytes",
    "verify_sealed_identity",
]
