"""Investigation queries and their log (DESIGN.md "Services", investigation queries; "Who
learns what": an authenticated investigator learns sealed records matching its case's
queries, "every query logged"; a venue's operator learns "which of its records were
requested, under which case, when").

Besides the records queries, an investigator may read the sealed trace-seed envelopes
under one label (the lost-phone path and next hops, "Investigation" steps 2b and 4) and the
directory of active venues with their public facts (the lost-phone path recomputes a
locator for every registered venue; reports show venue names). Both are logged the same
way; they return no visit records, so a venue's view of requests never lists them.

Every query names the case it serves (:func:`check_case_id`); it is run on the store and
then appended to the authority's hash-chained query log with who asked (the token's
subject), the case, the query and its parameters, the time and the records returned,
before the answer leaves. A query the store refuses (bad arguments) returns nothing and
is not logged; one that finds nothing is logged with a count of zero.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from did import b64url_encode
from registry._authority import Authority
from registry._ledger import QueryLogEntry
from registry._model import Match
from registry._store import MIN_OVERLAP
from registry._tokens import AccessToken
from registry._venues import VenueRecord, is_venue_id
from registry.errors import InvalidCaseId, InvalidQuery

__all__ = [
    "CASE_ID_PATTERN",
    "MAX_DIRECTORY_PAGE",
    "check_case_id",
    "contacts",
    "locators",
    "pseudonym_records",
    "trace_seed_envelopes",
    "venue_directory",
    "venue_requests",
    "warrant_records",
]

#: A case id: 1 to 64 letters, digits and ``._:-`` (an authority's case numbering).
CASE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
_CASE_RE = re.compile(CASE_ID_PATTERN.replace("^", r"\A").replace("$", r"\Z"))


def check_case_id(value: object) -> str:
    """The case id a query cites.

    Raises:
        InvalidCaseId: missing, or not 1 to 64 of ``[A-Za-z0-9._:-]``.
    """
    if not isinstance(value, str) or not _CASE_RE.match(value):
        raise InvalidCaseId("every query must cite its case id (1 to 64 of A-Z a-z 0-9 . _ : -)")
    return value


def _by_venue(matches: Sequence[Match]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in matches:
        out.setdefault(m.record.visit.venue, []).append(m.record.visit.visit_id.hex())
    return out


def _answer(
    authority: Authority,
    token: AccessToken,
    case_id: str,
    kind: str,
    params: dict[str, Any],
    matches: Sequence[Match],
    *,
    with_records: bool = False,
) -> dict[str, Any]:
    entry = authority.ledger.log_query(
        time=authority.now(),
        actor=token.subject,
        case_id=case_id,
        kind=kind,
        params=params,
        records=_by_venue(matches),
    )
    items = []
    for m in matches:
        item = m.to_json()
        if with_records:
            item["record"] = b64url_encode(m.record.message())
        items.append(item)
    return {"case_id": case_id, "query": entry.seq, "count": len(items), "matches": items}


def contacts(
    authority: Authority,
    token: AccessToken,
    *,
    case_id: object,
    venue: str,
    start: int,
    end: int,
    min_overlap: int = MIN_OVERLAP,
) -> dict[str, Any]:
    """The records at ``venue`` whose stay overlaps ``[start, end]`` (as
    :meth:`Store.contacts`), logged under the case.

    Raises:
        InvalidCaseId: as :func:`check_case_id`.
        InvalidQuery: as :meth:`Store.contacts`.
    """
    case = check_case_id(case_id)
    matches = authority.store.contacts(venue, start, end, min_overlap=min_overlap)
    params = {"venue": venue, "start": start, "end": end, "min_overlap": min_overlap}
    return _answer(authority, token, case, "contacts", params, matches)


def locators(
    authority: Authority,
    token: AccessToken,
    *,
    case_id: object,
    day: int,
    pairs: Sequence[tuple[str, bytes]],
) -> dict[str, Any]:
    """The records of ``day`` with one of the (venue, locator) ``pairs``, logged.

    Raises:
        InvalidCaseId: as :func:`check_case_id`.
        InvalidQuery: as :meth:`Store.by_locators`.
    """
    case = check_case_id(case_id)
    matches = authority.store.by_locators(day, list(pairs))
    params = {"day": day, "pairs": len(pairs)}
    return _answer(authority, token, case, "locators", params, matches)


def pseudonym_records(
    authority: Authority, token: AccessToken, *, case_id: object, pseudonym: str, day: int
) -> dict[str, Any]:
    """The records of ``day`` under ``pseudonym``, logged.

    Raises:
        InvalidCaseId: as :func:`check_case_id`.
        InvalidQuery: as :meth:`Store.by_pseudonym`.
    """
    case = check_case_id(case_id)
    matches = authority.store.by_pseudonym(pseudonym, day)
    params = {"pseudonym": pseudonym, "day": day}
    return _answer(authority, token, case, "pseudonym", params, matches)


def warrant_records(
    authority: Authority,
    token: AccessToken,
    *,
    case_id: object,
    visit_ids: Sequence[bytes],
    days: range,
) -> dict[str, Any]:
    """The signed records (with their envelopes) of ``visit_ids`` in ``days``, to build
    a warrant's unsealing request, logged.

    Raises:
        InvalidCaseId: as :func:`check_case_id`.
        InvalidQuery: as :meth:`Store.by_visit_ids`.
    """
    case = check_case_id(case_id)
    matches = authority.store.by_visit_ids(list(visit_ids), days=days)
    params = {"visit_ids": len(visit_ids), "first_day": days.start, "last_day": days.stop - 1}
    return _answer(authority, token, case, "records", params, matches, with_records=True)


def trace_seed_envelopes(
    authority: Authority, token: AccessToken, *, case_id: object, label: bytes
) -> dict[str, Any]:
    """The sealed trace-seed envelopes stored under ``label`` (as
    :meth:`Store.trace_seeds`; base64url in ``envelopes``), logged under the case with the
    label and how many envelopes it returned.

    Raises:
        InvalidCaseId: as :func:`check_case_id`.
        InvalidTraceSeed: ``label`` is not a canonical trace-seed label.
    """
    case = check_case_id(case_id)
    envelopes = authority.store.trace_seeds(label)
    params = {"label": b64url_encode(label), "envelopes": len(envelopes)}
    entry = authority.ledger.log_query(
        time=authority.now(), actor=token.subject, case_id=case, kind="trace-seeds",
        params=params, records={},
    )  # fmt: skip
    return {
        "case_id": case,
        "query": entry.seq,
        "count": len(envelopes),
        "envelopes": [b64url_encode(e) for e in envelopes],
    }


#: The most venues one directory page holds.
MAX_DIRECTORY_PAGE = 1000


def venue_directory(
    authority: Authority,
    token: AccessToken,
    *,
    case_id: object,
    after: str = "",
    limit: int = MAX_DIRECTORY_PAGE,
) -> dict[str, Any]:
    """A page of the active venues' public facts (id, DID, Korean and English names,
    category), ordered by id after ``after``; ``next`` is the id to ask after for the
    following page (None on the last). Logged under the case.

    Raises:
        InvalidCaseId: as :func:`check_case_id`.
        InvalidQuery: ``after`` is neither empty nor a venue id, or ``limit`` is not in
            [1, MAX_DIRECTORY_PAGE].
    """
    case = check_case_id(case_id)
    if after != "" and not is_venue_id(after):
        raise InvalidQuery("after must be empty or a venue id")
    if type(limit) is not int or not 1 <= limit <= MAX_DIRECTORY_PAGE:
        raise InvalidQuery(f"limit must be 1 to {MAX_DIRECTORY_PAGE}")
    rows = authority.ledger.venues(status="active", limit=limit, after=after)
    venues = [
        {"id": r["id"], "did": r["did"], "name": r["name"], "category": r["category"]}
        for r in (VenueRecord.from_json(row).public_json() for row in rows)
    ]
    params = {"after": after, "limit": limit, "venues": len(venues)}
    entry = authority.ledger.log_query(
        time=authority.now(), actor=token.subject, case_id=case, kind="venues",
        params=params, records={},
    )  # fmt: skip
    return {
        "case_id": case,
        "query": entry.seq,
        "count": len(venues),
        "venues": venues,
        "next": venues[-1]["id"] if len(venues) == limit else None,
    }


def venue_requests(
    authority: Authority, venue_did: str, *, after: int = -1
) -> list[dict[str, Any]]:
    """Which records of ``venue_did`` were requested, under which case and when (never
    who asked or what else was found)."""
    entries: list[QueryLogEntry] = authority.ledger.query_log(after=after, venue=venue_did)
    return [
        {
            "seq": e.seq,
            "time": e.time,
            "case_id": e.case_id,
            "kind": e.kind,
            "visit_ids": e.records.get(venue_did, []),
        }
        for e in entries
    ]
