"""Uploads (DESIGN.md "The registry service", Uploads): venue batches and wallets'
sealed trace seeds.

A venue batch (:class:`~protocol.UploadBatch`) is accepted only when it is signed by the
*current* key of an *active* venue (an unknown, pending or deactivated venue's batch is
refused as :class:`~protocol.errors.UnknownKey`, one signed by any other key as
:class:`~protocol.errors.BadSignature`), and every record in it is that venue's
(:class:`~protocol.errors.ForeignRecord`). The records are then stored by the store's
durable ``put``, with the batches of other requests that arrive meanwhile
(:mod:`registry._groupcommit`), which returns only after the commit, so an acknowledgement
means committed; the store is idempotent by visit id, so a retried batch is acknowledged
again without duplicating anything.

**Relayed holder-shown codes** (DESIGN.md "Venue codes" 3). A holder-shown check-in's
audience is "any venue", so a code photographed and shown at a second venue within its
lifetime passes that venue's checks too; both venues' records then carry the very same
envelope (``protocol/_records.py``: the registry keeps one record per envelope). Before its
records reach the store, every :attr:`~protocol.Channel.HOLDER_SHOWN` record of a batch
claims its envelope id in the ledger (one transaction per group of concurrent uploads,
:mod:`registry._groupcommit`); a record whose envelope another record (another venue's,
or another visit id) already claimed is left out of the commit and flagged as a relay
naming both records, which both venues then see (``GET /venues/{id}/relays``) and the
batch's acknowledgement lists. The rest of the batch is committed: a venue's queue is
never held back by a relayed code. Claims come first, so two workers racing with the same
envelope cannot both store it; a claim whose commit then failed stays with its record,
and that venue's retry goes through. Only holder-shown records claim: the other channels'
check-ins name the venue as their audience (poster, kiosk) or are sealed by the venue
itself (SMS, call, assisted entry), so no genuine venue can hold another's envelope.

Wallets' trace seeds are anonymous (DESIGN.md "Access control": "nothing links the upload
to the holder"): the body is a CBOR array of ``[label, envelope]`` pairs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from did import cbor
from did.errors import DecodeError
from protocol import Channel, UploadBatch
from registry._authority import Authority
from registry._groupcommit import Claim
from registry._ledger import Relay
from registry._model import PutResult, StoredVisit, TraceSeed
from registry._retention import retention_horizon
from registry._store import MAX_BATCH
from registry.errors import InvalidBatch

__all__ = [
    "MAX_TRACE_SEED_UPLOAD",
    "BatchReceipt",
    "accept_batch",
    "accept_trace_seeds",
    "claim_holder_shown",
]

#: The largest trace-seed upload body (each pair is a label and a sealed envelope).
MAX_TRACE_SEED_UPLOAD = 1024 * 1024
_MAX_SEEDS = 1000


@dataclass(frozen=True, slots=True)
class BatchReceipt:
    """The registry's acknowledgement of a committed batch: ``records`` committed (new,
    updated or already stored, as ``result`` counts them) and the holder-shown records
    refused as ``relays``."""

    venue: str
    batch_id: bytes
    records: int
    result: PutResult | None
    relays: tuple[Relay, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (counts None when the batch shared a commit whose counts
        cannot be split, :mod:`registry._groupcommit`)."""
        r = self.result
        return {
            "venue": self.venue,
            "batch_id": self.batch_id.hex(),
            "records": self.records,
            "inserted": None if r is None else r.inserted,
            "updated": None if r is None else r.updated,
            "unchanged": None if r is None else r.unchanged,
            "relays": [r.view_of(self.venue) for r in self.relays],
        }


def accept_batch(authority: Authority, data: bytes) -> BatchReceipt:
    """Verify a venue's signed batch and store its records (module docstring).

    Raises:
        OversizeMessage, BadAlgorithm, MalformedMessage, UnsupportedVersion, BadPseudonym,
        BadEnvelope: the batch or a record does not decode.
        UnknownKey: the venue is unknown, pending or deactivated.
        BadSignature: the batch is not signed by the venue's current key.
        ClockSkew: the batch is dated in the future.
        ForeignRecord: a record of another venue.
        InvalidBatch, RecordConflict, ExpiredRecord: as :meth:`Store.put`.
        StoreUnavailable: the store or the ledger failed; nothing was acknowledged (retry).
    """
    now = authority.now()
    batch = UploadBatch.verify(data, authority.current_key, now=now)
    records = [StoredVisit(visit, signature) for visit, signature in batch.open_records()]
    if len(records) > MAX_BATCH:  # pragma: no cover - the batch format's cap is lower
        raise InvalidBatch(f"a batch holds at most {MAX_BATCH} records")
    # Module docstring, "Relayed holder-shown codes": the claims are made for the whole
    # group of concurrent uploads in one ledger transaction, before the store's put.
    claims = [
        (hashlib.sha256(v.envelope).digest(), v.day, v.venue, v.visit_id)
        for v in (r.visit for r in records)
        if v.channel is Channel.HOLDER_SHOWN
    ]
    outcome = authority.commits.put(records, claims)
    return BatchReceipt(
        batch.venue, batch.batch_id, outcome.records, outcome.result, outcome.relays
    )


def claim_holder_shown(authority: Authority, claims: Sequence[Claim]) -> Sequence[Relay]:
    """Claim the envelope ids of holder-shown records in the authority's ledger (the
    claim function of its :class:`~registry._groupcommit.GroupCommit`); returns the
    relays. Claims of days before the retention horizon (less a day: a day's records may
    be purged a day late) are dropped first.

    Raises:
        StoreUnavailable: the ledger failed.
    """
    now = authority.now()
    horizon = retention_horizon(now=now) - 1
    return authority.ledger.claim_holder_shown(claims, now=now, horizon=horizon)


def accept_trace_seeds(authority: Authority, data: bytes) -> PutResult:
    """Store wallets' sealed trace seeds from a CBOR array of ``[label, envelope]``.

    Raises:
        InvalidBatch: the body is not such an array of 1 to 1000 pairs.
        InvalidTraceSeed, TraceSeedLabelFull, ExpiredRecord: as :meth:`Store.put_trace_seeds`.
        StoreUnavailable: the store failed.
    """
    if type(data) is not bytes or len(data) > MAX_TRACE_SEED_UPLOAD:
        raise InvalidBatch("a trace-seed upload is CBOR bytes of at most 1 MiB")
    try:
        items = cbor.decode(data, max_size=MAX_TRACE_SEED_UPLOAD, max_depth=3)
    except DecodeError as exc:
        raise InvalidBatch(f"a trace-seed upload is not strict CBOR: {exc.message}") from exc
    if type(items) is not list or not 1 <= len(items) <= _MAX_SEEDS:
        raise InvalidBatch(f"a trace-seed upload is an array of 1 to {_MAX_SEEDS} pairs")
    seeds = []
    for item in items:
        if type(item) is not list or len(item) != 2 or not all(type(x) is bytes for x in item):
            raise InvalidBatch("each trace seed is a [label, envelope] pair of byte strings")
        seeds.append(TraceSeed(item[0], item[1]))
    return authority.store.put_trace_seeds(seeds)
