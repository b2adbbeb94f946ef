"""Investigation queries (authenticated investigators, each citing its case id, each
logged) and the query log (administrator)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from did import b64url_decode
from did.errors import DecodeError
from registry._investigations import (
    contacts,
    locators,
    pseudonym_records,
    trace_seed_envelopes,
    venue_directory,
    warrant_records,
)
from registry.errors import InvalidQuery, InvalidTraceSeed
from registry.service.deps import AdminDep, AuthorityDep, InvestigatorDep, MetricsDep
from registry.service.routers._common import PROBLEMS
from registry.service.schemas import (
    ContactsQuery,
    LocatorsQuery,
    PseudonymQuery,
    QueryAnswer,
    RecordsQuery,
    TraceSeedAnswer,
    TraceSeedQuery,
    VenueDirectoryAnswer,
    VenueDirectoryQuery,
)

__all__ = ["router"]

router = APIRouter(tags=["investigations"], responses=PROBLEMS)


@router.post("/queries/contacts", response_model=QueryAnswer)
def query_contacts(
    body: ContactsQuery, authority: AuthorityDep, token: InvestigatorDep, metrics: MetricsDep
) -> dict[str, Any]:
    """The records at a venue whose stay overlaps [start, end] by at least min_overlap
    seconds (the venue class's margin and default dwell applied)."""
    answer = contacts(
        authority, token, case_id=body.case_id, venue=body.venue, start=body.start,
        end=body.end, min_overlap=body.min_overlap,
    )  # fmt: skip
    metrics.add("anshim_registry_queries_total", label="kind", value="contacts")
    return answer


@router.post("/queries/locators", response_model=QueryAnswer)
def query_locators(
    body: LocatorsQuery, authority: AuthorityDep, token: InvestigatorDep, metrics: MetricsDep
) -> dict[str, Any]:
    """The records of a day by (venue, locator): the lost-phone path."""
    pairs = [(p.venue, bytes.fromhex(p.locator)) for p in body.pairs]
    answer = locators(authority, token, case_id=body.case_id, day=body.day, pairs=pairs)
    metrics.add("anshim_registry_queries_total", label="kind", value="locators")
    return answer


@router.post("/queries/pseudonym", response_model=QueryAnswer)
def query_pseudonym(
    body: PseudonymQuery, authority: AuthorityDep, token: InvestigatorDep, metrics: MetricsDep
) -> dict[str, Any]:
    """The records of a day under one pseudonym."""
    answer = pseudonym_records(
        authority, token, case_id=body.case_id, pseudonym=body.pseudonym, day=body.day
    )
    metrics.add("anshim_registry_queries_total", label="kind", value="pseudonym")
    return answer


@router.post("/queries/records", response_model=QueryAnswer)
def query_records(
    body: RecordsQuery, authority: AuthorityDep, token: InvestigatorDep, metrics: MetricsDep
) -> dict[str, Any]:
    """Signed records (with envelopes) by visit id, for a warrant's unsealing request."""
    if body.last_day < body.first_day or body.last_day - body.first_day >= 400:
        raise InvalidQuery("first_day..last_day must be an ordered span of at most 400 days")
    answer = warrant_records(
        authority, token, case_id=body.case_id,
        visit_ids=[bytes.fromhex(v) for v in body.visit_ids],
        days=range(body.first_day, body.last_day + 1),
    )  # fmt: skip
    metrics.add("anshim_registry_queries_total", label="kind", value="records")
    return answer


@router.post("/queries/trace-seeds", response_model=TraceSeedAnswer)
def query_trace_seeds(
    body: TraceSeedQuery, authority: AuthorityDep, token: InvestigatorDep, metrics: MetricsDep
) -> dict[str, Any]:
    """The sealed trace-seed envelopes under one label (credential id and day): the
    lost-phone path and next hops open them under a warrant."""
    try:
        label = b64url_decode(body.label)
    except DecodeError as exc:
        raise InvalidTraceSeed("label must be base64url") from exc
    answer = trace_seed_envelopes(authority, token, case_id=body.case_id, label=label)
    metrics.add("anshim_registry_queries_total", label="kind", value="trace-seeds")
    return answer


@router.post("/queries/venues", response_model=VenueDirectoryAnswer)
def query_venues(
    body: VenueDirectoryQuery, authority: AuthorityDep, token: InvestigatorDep, metrics: MetricsDep
) -> dict[str, Any]:
    """A page of the active venues' public facts (id, DID, names, category): the
    lost-phone path recomputes a locator per venue; reports show the names."""
    answer = venue_directory(
        authority, token, case_id=body.case_id, after=body.after, limit=body.limit
    )
    metrics.add("anshim_registry_queries_total", label="kind", value="venues")
    return answer


@router.get("/queries/log")
def query_log(
    authority: AuthorityDep,
    _: AdminDep,
    after: Annotated[int, Query(ge=-1, le=2**62)] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The append-only query log: who asked, under which case, what, when, how many."""
    return [e.to_json() for e in authority.ledger.query_log(after=after, limit=limit)]
