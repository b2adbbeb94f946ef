"""The holder's wallet, embedded in a phone app (DESIGN.md "Roles": wallet/).

One encrypted store file (Argon2id + XChaCha20-Poly1305, atomic writes) holding the wallet
secret, the long-term holder key, the identity credential, the pinned registry key, the
verified epoch-key directory and the diary of venue-signed receipts. ``import wallet``
pulls in no web framework, database layer or HTTP client.

Quick start::

    import wallet
    from protocol import HealthDeclaration

    w = wallet.Wallet.create("me.wallet", passphrase, registry_key=pinned_registry_key,
                             custodians=pinned_custodian_dids, threshold=3)
    # The identity issuer issues to w.holder_did (protocol.issue_person_credential):
    w.enroll(person_credential, trusted_issuers=[issuer_did], now=now)
    w.set_epoch_keys(directory_bytes, now=now)   # only the pinned custodians' directory
    upload(w.trace_seed_envelopes(range(today, today + 35)))

    venue = w.scan(qr_text, now=now, venue_keys=lookup) # raises ScanRefused (e.code)
    checkin = w.check_in(venue, declaration=HealthDeclaration(False, False), now=now)
    w.accept_receipt(receipt, venue_key=lookup, now=now)  # only for a check-in it made
    w.check_out(venue, now=later)                         # by the open visit's pseudonym
    w.export_disclosure(start, end, audience=health_authority_did, now=now)
    w.match_exposures(notices, now=now)

    [v.record_id for v in w.visits()]   # the audit log's names of the visits' records
    head, proof = wallet.read_audit_answer(registry_answer_bytes)  # GET /audit-log/proofs/<id>
    w.was_unsealed(visit, head=head, proof=proof).case_ids  # () or the cases, verified
    w.close()                            # or: with wallet.Wallet.open(...) as w:

    w = wallet.Wallet.open("me.wallet", passphrase, now=now)   # purges old receipts

A wallet holds its store's lock until :meth:`~Wallet.close`: a second ``Wallet.open`` of
the same file raises :class:`WalletLocked`. Errors (:mod:`wallet.errors`) carry stable
camelCase codes; scan refusals and full stores carry a ``user_message``.
"""

from wallet._diary import Visit
from wallet._enrollment import TraceSeedEnvelope
from wallet._exposures import ExposureMatch
from wallet._scanning import ScannedVenue
from wallet._transparency import MAX_AUDIT_ANSWER, AuditAnswer, read_audit_answer
from wallet._wallet import Wallet
from wallet.errors import (
    AlteredCode,
    AuditProofRefused,
    CodeNotYetValid,
    DiaryFull,
    DirectoryRefused,
    EnrollmentRefused,
    ExpiredCode,
    ForgedCode,
    MalformedCode,
    NoEpochKey,
    NotEnrolled,
    ReceiptRefused,
    ScanRefused,
    StoreChanged,
    StoreFull,
    UnexpectedReceipt,
    UnknownVenueKey,
    WalletClosed,
    WalletCorrupted,
    WalletError,
    WalletLocked,
    WrongPassphrase,
    WrongPrefix,
)

__all__ = [
    "MAX_AUDIT_ANSWER",
    "AlteredCode",
    "AuditAnswer",
    "AuditProofRefused",
    "CodeNotYetValid",
    "DiaryFull",
    "DirectoryRefused",
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
    "StoreChanged",
    "StoreFull",
    "TraceSeedEnvelope",
    "UnexpectedReceipt",
    "UnknownVenueKey",
    "Visit",
    "Wallet",
    "WalletClosed",
    "WalletCorrupted",
    "WalletError",
    "WalletLocked",
    "WrongPassphrase",
    "WrongPrefix",
    "read_audit_answer",
]
