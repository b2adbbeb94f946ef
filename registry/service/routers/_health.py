"""Health (store and ledger reachable, pending approvals) and Prometheus counters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from did import AnshimError
from registry.service.deps import AuthorityDep, MetricsDep
from registry.service.routers._common import PROBLEMS
from registry.service.schemas import Health

__all__ = ["router"]

router = APIRouter(tags=["health"], responses=PROBLEMS)


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(authority: AuthorityDep) -> Any:
    """``ok`` when the store and the ledger answer; 503 ``degraded`` otherwise."""
    store = ledger = "reachable"
    pending: int | None = None
    try:
        authority.store.days()
    except AnshimError:
        store = "unreachable"
    try:
        pending = authority.ledger.count_venues("pending")
    except AnshimError:
        ledger = "unreachable"
    ok = store == ledger == "reachable"
    body = {"status": "ok" if ok else "degraded", "store": store, "ledger": ledger,
            "pending_venues": pending}  # fmt: skip
    return body if ok else JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(m: MetricsDep) -> str:
    """Counters in the Prometheus text format."""
    return m.render()
