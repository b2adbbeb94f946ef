"""Uploads (DESIGN.md "The registry service", Uploads): venue batches and wallets'
sealed trace seeds.

A venue batch (:class:`~protocol.UploadBatch`) is accepted only when it is signed by the
*current* key of an *active* venue (an unknown, pending or deactivated venue's batch is
refused as :class:`~protocol.errors.UnknownKey`, one signed by any other key as
:class:`~protocol.errors.BadSignature`), and every record in it is that venue's
(:class:`~protocol.errors.ForeignRecord`). The records are then stored in one call to the
store, which returns only after a durable commit, so an acknowledgement means committed;
the store is idempotent by visit id, so a retried batch is acknowledged again without
duplicating anything.

Wallets' trace seeds are anonymous (DESIGN.md "Access control": "nothing links the upload
to the holder"): the body is a CBOR array of ``[label, envelope]`` pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from did import cbor
from did.errors import DecodeError
from protocol import UploadBatch
from registry._authority import Authority
from registry._model import PutResult, StoredVisit, TraceSeed
from registry._store import MAX_BATCH
from registry.errors import InvalidBatch

__all__ = ["MAX_TRACE_SEED_UPLOAD", "BatchReceipt", "accept_batch", "accept_trace_seeds"]

#: The largest trace-seed upload body (each pair is a label and a sealed envelope).
MAX_TRACE_SEED_UPLOAD = 1024 * 1024
_MAX_SEEDS = 1000


@dataclass(frozen=True, slots=True)
class BatchReceipt:
    """The registry's acknowledgement of a committed batch."""

    venue: str
    batch_id: bytes
    records: int
    result: PutResult

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "venue": self.venue,
            "batch_id": self.batch_id.hex(),
            "records": self.records,
            "inserted": self.result.inserted,
            "updated": self.result.updated,
            "unchanged": self.result.unchanged,
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
        StoreUnavailable: the store failed; nothing was acknowledged (retry).
    """
    batch = UploadBatch.verify(data, authority.current_key, now=authority.now())
    records = [StoredVisit(visit, parsed.signature) for parsed, visit in batch.open_records()]
    if len(records) > MAX_BATCH:  # pragma: no cover - the batch format's cap is lower
        raise InvalidBatch(f"a batch holds at most {MAX_BATCH} records")
    result = authority.store.put(records)
    return BatchReceipt(batch.venue, batch.batch_id, len(records), result)


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
