"""The holder's wallet, embedded in a phone app (DESIGN.md "Roles": wallet/).

One encrypted store file (Argon2id + XChaCha20-Poly1305, atomic writes) holding the wallet
secret, the long-term holder key, the identity credential, the pinned registry key, the
verified epoch-key directory and the diary of venue-signed receipts. ``import wallet``
pulls in no web framework, database layer or HTTP client.

Quick start::

    import wallet
    from protocol import HealthDeclaration

    w = wallet.Wallet.create("me.wallet", passphrase, registry_key=pinned_registry_key,
                             custodians=pinned_custodian_dids)
    # The identity issuer issues to w.holder_did (protocol._person.issue_person_credential):
    w.enroll(person_credential, trusted_issuers=[issuer_did], now=now)
    w.set_epoch_keys(directory_bytes, now=now)          # verified against the custodians
    upload(w.trace_seed_envelopes(range(today, today + 35)))

    venue = w.scan(qr_text, now=now, venue_keys=lookup) # raises ScanRefused (e.code)
    checkin = w.check_in(venue, declaration=HealthDeclaration(False, False), now=now)
    w.accept_receipt(receipt, venue_key=lookup, now=now)   # DiaryFull when no room is left
    w.check_out(venue, now=later)
    w.export_disclosure(start, end, audience=health_authority_did, now=now)
    w.match_exposures(notices, now=now)

    w = wallet.Wallet.open("me.wallet", passphrase, now=now)   # purges old receipts

Errors (:mod:`wallet.errors`) carry stable codes; scan refusals carry a ``user_message``.
"""

from wallet._checkin import HOLDER_SHOWN_LABEL_VENUE
from wallet._diary import Visit
from wallet._enrollment import TraceSeedEnvelope
from wallet._exposures import ExposureMatch
from wallet._scanning import ScannedVenue
from wallet._wallet import DEFAULT_RETENTION_DAYS, Wallet
from wallet.errors import (
    AlteredCode,
    CodeNotYetValid,
    DiaryFull,
    EnrollmentRefused,
    ExpiredCode,
    ForgedCode,
    MalformedCode,
    NoEpochKey,
    NotEnrolled,
    ReceiptRefused,
    ScanRefused,
    StoreFull,
    UnknownVenue,
    WalletCorrupted,
    WalletError,
    WrongPassphrase,
    WrongPrefix,
)

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "HOLDER_SHOWN_LABEL_VENUE",
    "AlteredCode",
    "CodeNotYetValid",
    "DiaryFull",
    "EnrollmentRefused",
    "ExpiredCode",
    "ExposureMatch",
    "ForgedCode",
    "MalformedCode",
    "NoEpochKey",
    "NotEnrolled",
    "ReceiptRefused",
    "ScanRefused",
    "ScannedVenue",
    "StoreFull",
    "TraceSeedEnvelope",
    "UnknownVenue",
    "Visit",
    "Wallet",
    "WalletCorrupted",
    "WalletError",
    "WrongPassphrase",
    "WrongPrefix",
]
