"""Threshold, label-bound sealing: seal, ceremony, warrants, shares, audit log, shredding.

Quick start (the sealing half, what wallets and venues import)::

    import escrow
    directory = escrow.EpochKeyDirectory.from_bytes(published_bytes)
    directory.verify(trusted_custodians=pinned_custodian_dids)      # raises InvalidSignature
    epoch = escrow.epoch_for(time_in, tz_offset=directory.tz_offset)
    label = escrow.VisitLabel(venue_did, epoch, pseudonym_did, time_in)
    envelope = escrow.seal(directory.get_key(epoch), label, plaintext, pad_to=192)
    data = envelope.to_bytes()                                         # fixed size
    escrow.check_envelope_structure(data, epoch_keys=directory,        # the venue's check
                                    expected_epoch=epoch, expected_size=len(data))

The custodians' side: :func:`escrow.ceremony.deal` / ``finalize`` / ``publish`` make the
directory; :class:`Warrant` is approved by k custodians; :func:`answer_warrant` gives a
custodian's signed shares; :func:`unseal` (or :func:`combine` for one envelope) opens the
records; :class:`AuditLog` records every approval and share batch; :meth:`ShareStore.shred`
destroys old epochs. Everything here imports no CLI, tqdm or web code.
"""

from escrow._auditlog import AuditLog, LogEntry, SignedTreeHead, UnsealedProof
from escrow._combine import UnsealOutcome, unseal
from escrow._custodian import ShareBatch, UnsealRequest, answer_warrant
from escrow._envelope import (
    ENVELOPE_OVERHEAD,
    Envelope,
    check_envelope_proof,
    check_envelope_structure,
    seal,
)
from escrow._epochkeys import EpochKey, EpochKeyDirectory
from escrow._labels import (
    HOLDER_SHOWN_VENUE,
    TraceSeedLabel,
    VisitLabel,
    epoch_for,
    epoch_from_date,
    epoch_start,
    epoch_to_date,
    label_from_bytes,
    label_from_fields,
)
from escrow._shares import DecryptionShare, OpenResult, combine, make_share, verify_share
from escrow._store import EpochShare, ShareStore
from escrow._warrant import MAX_STAY_LIMIT, MAX_WINDOW, VenueScope, Warrant, WarrantScope

__all__ = [
    "ENVELOPE_OVERHEAD",
    "HOLDER_SHOWN_VENUE",
    "MAX_STAY_LIMIT",
    "MAX_WINDOW",
    "AuditLog",
    "DecryptionShare",
    "Envelope",
    "EpochKey",
    "EpochKeyDirectory",
    "EpochShare",
    "LogEntry",
    "OpenResult",
    "ShareBatch",
    "ShareStore",
    "SignedTreeHead",
    "TraceSeedLabel",
    "UnsealOutcome",
    "UnsealRequest",
    "UnsealedProof",
    "VenueScope",
    "VisitLabel",
    "Warrant",
    "WarrantScope",
    "answer_warrant",
    "check_envelope_proof",
    "check_envelope_structure",
    "combine",
    "epoch_for",
    "epoch_from_date",
    "epoch_start",
    "epoch_to_date",
    "label_from_bytes",
    "label_from_fields",
    "make_share",
    "seal",
    "unseal",
    "verify_share",
]
