"""Posters: one venue's as SVG, PNG or PDF, or many venues' in one PDF from a CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Response

from registry._authority import Authority
from registry._posters import Poster, poster_pdf, poster_png, poster_svg
from registry.errors import InvalidQuery
from registry.service.deps import AdminDep, AuthorityDep
from registry.service.routers._common import PROBLEMS

__all__ = ["MAX_CSV_VENUES", "router"]

router = APIRouter(tags=["posters"], responses=PROBLEMS)
#: The most venues one CSV request renders.
MAX_CSV_VENUES = 200
_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}
_BINARY = {"schema": {"type": "string", "format": "binary"}}


def _poster(authority: Authority, venue_id: str) -> Poster:
    record, code = authority.venue_code(venue_id)
    return Poster(record.name_ko, record.name_en, record.category, record.did, code)


@router.get(
    "/venues/{venue_id}/poster.{fmt}",
    response_class=Response,
    responses={200: {"content": {t: _BINARY for t in _TYPES.values()}}},
)
def venue_poster(
    venue_id: str, fmt: Literal["svg", "png", "pdf"], authority: AuthorityDep
) -> Response:
    """An active venue's poster: the registry-signed VenueCode as a QR code with the
    venue's Korean and English names (A4)."""
    poster = _poster(authority, venue_id)
    body = {"svg": poster_svg, "png": poster_png}.get(fmt, lambda p: poster_pdf([p]))(poster)
    return Response(body, media_type=_TYPES[fmt], headers={"Cache-Control": "no-store"})


@router.post(
    "/posters",
    response_class=Response,
    responses={200: {"content": {"application/pdf": _BINARY}}},
)
def many_posters(
    data: Annotated[bytes, Body(media_type="text/csv")], authority: AuthorityDep, _: AdminDep
) -> Response:
    """One PDF with a page per venue of a CSV whose header has a ``venue_id`` column
    (administrator)."""
    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InvalidQuery("the body must be UTF-8 CSV with a venue_id column") from exc
    if not rows or "venue_id" not in rows[0] or len(rows) > MAX_CSV_VENUES:
        raise InvalidQuery(f"the CSV needs a venue_id column and 1 to {MAX_CSV_VENUES} rows")
    posters = [_poster(authority, str(row["venue_id"]).strip()) for row in rows]
    return Response(poster_pdf(posters), media_type="application/pdf")
