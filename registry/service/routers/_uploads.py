"""Uploads: venue batches (``application/cbor``, a COSE_Sign1 by the venue's current key)
and wallets' sealed trace seeds. Acknowledged only after the store committed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from registry._uploads import accept_batch, accept_trace_seeds
from registry.service.deps import AuthorityDep, MetricsDep
from registry.service.routers._common import PROBLEMS
from registry.service.schemas import BatchAck, PutCounts

__all__ = ["router"]

router = APIRouter(tags=["uploads"], responses=PROBLEMS)
CborBody = Annotated[bytes, Body(media_type="application/cbor")]


@router.post("/uploads/visits", response_model=BatchAck)
def upload_visits(data: CborBody, authority: AuthorityDep, metrics: MetricsDep) -> dict[str, Any]:
    """Store a venue's signed batch of SealedVisit records (protocol.UploadBatch): refused
    unless signed by an active venue's current key and holding only its records;
    idempotent by visit id; answered after the commit. Holder-shown records another
    upload already holds are not stored: they are listed under ``relays``. The counts are
    null when the batch shared its commit with batches holding retries or check-outs."""
    receipt = accept_batch(authority, data)
    metrics.add("anshim_registry_uploads_total")
    if receipt.result is None:  # a shared commit whose counts cannot be split
        metrics.add("anshim_registry_records_total", receipt.records, label="outcome",
                    value="committed")  # fmt: skip
    else:
        for outcome in ("inserted", "updated", "unchanged"):
            amount = getattr(receipt.result, outcome)
            if amount:
                metrics.add("anshim_registry_records_total", amount, label="outcome",
                            value=outcome)  # fmt: skip
    if receipt.relays:
        metrics.add("anshim_registry_relays_total", len(receipt.relays))
    return receipt.to_json()


@router.post("/uploads/trace-seeds", response_model=PutCounts)
def upload_trace_seeds(
    data: CborBody, authority: AuthorityDep, metrics: MetricsDep
) -> dict[str, Any]:
    """Store wallets' sealed trace seeds (a CBOR array of [label, envelope]); anonymous."""
    result = accept_trace_seeds(authority, data)
    metrics.add("anshim_registry_trace_seeds_total", result.inserted)
    return {"inserted": result.inserted, "updated": result.updated, "unchanged": result.unchanged}
