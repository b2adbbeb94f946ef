"""Threshold, label-bound sealing: seal, ceremony, warrants, shares, audit log, shredding.

Quick start (the sealing half, what wallets and venues import)::

    import did, escrow
    directory = escrow.EpochKeyDirectory.from_bytes(published_bytes)
    directory.verify(trusted_custodians=pinned_custodian_dids)      # raises InvalidSignature
    epoch = did.day_of(time_in, tz_offset=directory.tz_offset)
    label = escrow.VisitLabel(venue_did, epoch, pseudonym_did, time_in)
    envelope = escrow.seal(directory.get_key(epoch), label, plaintext, pad_to=192)
    data = envelope.to_bytes()                                         # fixed size
    escrow.check_envelope_structure(data, epoch_keys=directory,        # the venue's check
                                    expected_epoch=epoch, expected_size=len(data))

The custodians' side: :func:`deal` / :func:`finalize` / :func:`publish` over a
:class:`Roster` make the directory; :class:`Warrant` is approved by k custodians;
:func:`answer_warrant` gives a custodian's signed shares; :func:`unseal` (or
:func:`combine` for one envelope) opens the records, optimistically; :class:`AuditLog`
records every approval and share batch, and :meth:`AuditLog.prove_record` gives a holder a
:class:`RecordAuditProof` that its record was (or was not) unsealed and under which case
(each log entry an :class:`EntryProof` against a :class:`SignedTreeHead`, the case checked
through its :class:`CaseOpening`); :meth:`ShareStore.shred_expired` destroys the
epochs past the retention period. The group layer (:class:`Point`, :class:`Scalar`, …) is
libsodium's edwards25519. Everything here imports no CLI, tqdm or web code.
"""

from escrow._auditlog import AuditLog, LogEntry, SignedTreeHead, UnsealedProof
from escrow._auditproof import (
    MAX_CASES,
    MAX_RECORD_AUDIT,
    CaseProof,
    EntryProof,
    RecordAuditProof,
    UnsealedCase,
)
from escrow._caseref import CaseOpening
from escrow._ceremony import Roster, deal, finalize, publish
from escrow._combine import OpenResult, combine
from escrow._custodian import ShareBatch, UnsealRequest, answer_warrant
from escrow._envelope import (
    ENVELOPE_OVERHEAD,
    Envelope,
    check_envelope_proof,
    check_envelope_structure,
    seal,
)
from escrow._epochkeys import EpochKey, EpochKeyDirectory
from escrow._group import (
    ORDER,
    Point,
    Scalar,
    commitment_eval,
    feldman_verify,
    hash_to_scalar,
    lagrange_coefficient,
    poly_commit,
    poly_eval,
    random_scalar,
)
from escrow._labels import (
    HOLDER_SHOWN_VENUE,
    TraceSeedLabel,
    VisitLabel,
    epoch_from_date,
    epoch_to_date,
    label_from_bytes,
    label_from_fields,
)
from escrow._shares import DecryptionShare, make_share, share_context, verify_share
from escrow._store import EpochShare, ShareStore
from escrow._unseal import UnsealOutcome, unseal
from escrow._warrant import MAX_STAY_LIMIT, MAX_WINDOW, VenueScope, Warrant, WarrantScope

__all__ = [
    "ENVELOPE_OVERHEAD",
    "HOLDER_SHOWN_VENUE",
    "MAX_CASES",
    "MAX_RECORD_AUDIT",
    "MAX_STAY_LIMIT",
    "MAX_WINDOW",
    "ORDER",
    "AuditLog",
    "CaseOpening",
    "CaseProof",
    "DecryptionShare",
    "EntryProof",
    "Envelope",
    "EpochKey",
    "EpochKeyDirectory",
    "EpochShare",
    "LogEntry",
    "OpenResult",
    "Point",
    "RecordAuditProof",
    "Roster",
    "Scalar",
    "ShareBatch",
    "ShareStore",
    "SignedTreeHead",
    "TraceSeedLabel",
    "UnsealOutcome",
    "UnsealRequest",
    "UnsealedCase",
    "UnsealedProof",
    "VenueScope",
    "VisitLabel",
    "Warrant",
    "WarrantScope",
    "answer_warrant",
    "check_envelope_proof",
    "check_envelope_structure",
    "combine",
    "commitment_eval",
    "deal",
    "epoch_from_date",
    "epoch_to_date",
    "feldman_verify",
    "finalize",
    "hash_to_scalar",
    "label_from_bytes",
    "label_from_fields",
    "lagrange_coefficient",
    "make_share",
    "poly_commit",
    "poly_eval",
    "publish",
    "random_scalar",
    "seal",
    "share_context",
    "unseal",
    "verify_share",
]
