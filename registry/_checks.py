"""Argument checks shared by the engines: every query and write argument is checked here,
before anything reaches a database (STYLE.md habit 4: never ``assert`` for input)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from did import InputError
from protocol import LOCATOR_SIZE, MAX_STAY, MAX_TIME, MAX_VENUE_DID_CHARS, VISIT_ID_SIZE
from registry.errors import InvalidQuery, InvalidVenueEntry

__all__ = [
    "MAX_DAY",
    "check_bytes",
    "check_category",
    "check_day",
    "check_days",
    "check_time",
    "check_venue_did",
    "check_visit_ids",
]

MAX_DAY = 2**32 - 1
# DID Core 1.0 section 3.1: did:method-name:method-specific-id (pct-encoded or idchars,
# colon-separated, not ending in a colon).
_DID_RE = re.compile(
    r"\Adid:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})\Z"
)
# The common case, checked first: no percent-encoding, only character classes (a subset of
# the language above, matched without backtracking; the lost-phone path checks 700,000).
_PLAIN_DID_RE = re.compile(r"did:[a-z0-9]+:[A-Za-z0-9._:-]*[A-Za-z0-9._-]")
_CATEGORY_RE = re.compile(r"\A[a-z][a-z0-9_-]{0,23}\Z")


def check_venue_did(value: object, error: type[InputError] = InvalidQuery) -> str:
    """A DID of at most :data:`~protocol.MAX_VENUE_DID_CHARS` characters; raises ``error``."""
    if (
        type(value) is not str
        or len(value) > MAX_VENUE_DID_CHARS
        or not (_PLAIN_DID_RE.fullmatch(value) or _DID_RE.match(value))
    ):
        raise error(f"venue must be a DID of at most {MAX_VENUE_DID_CHARS} characters")
    return value


def check_category(value: object) -> str:
    """A facility class token (lowercase, at most 24 characters); raises InvalidVenueEntry."""
    if type(value) is not str or not _CATEGORY_RE.match(value):
        raise InvalidVenueEntry("category must be a lowercase token of at most 24 characters")
    return value


def check_time(value: object, name: str) -> int:
    """A Unix time that fits the wire format; raises InvalidQuery."""
    if type(value) is not int or not 0 <= value <= MAX_TIME:
        raise InvalidQuery(f"{name} must be an int Unix time in [0, {MAX_TIME}]")
    return value


def check_day(value: object, name: str = "day") -> int:
    """A day number in [0, 2**32); raises InvalidQuery."""
    if type(value) is not int or not 0 <= value <= MAX_DAY:
        raise InvalidQuery(f"{name} must be an int day number in [0, {MAX_DAY}]")
    return value


def check_days(days: object) -> range:
    """A ``range`` of day numbers with step 1, at most :data:`MAX_STAY`-independent 400 days
    long; raises InvalidQuery."""
    if not isinstance(days, range) or days.step != 1:
        raise InvalidQuery("days must be a range with step 1")
    if len(days) > 400:
        raise InvalidQuery("days must span at most 400 days")
    if len(days):
        check_day(days.start, "first day")
        check_day(days[-1], "last day")
    return days


def check_duration(value: object, name: str) -> int:
    """A number of seconds in [0, MAX_STAY]; raises InvalidQuery."""
    if type(value) is not int or not 0 <= value <= MAX_STAY:
        raise InvalidQuery(f"{name} must be an int number of seconds in [0, {MAX_STAY}]")
    return value


def check_bytes(value: object, size: int, name: str) -> bytes:
    """Bytes of exactly ``size``; raises InvalidQuery."""
    if type(value) is not bytes or len(value) != size:
        raise InvalidQuery(f"{name} must be {size} bytes")
    return value


def check_visit_ids(values: Iterable[object], limit: int) -> list[bytes]:
    """At most ``limit`` visit ids of :data:`~protocol.VISIT_ID_SIZE` bytes."""
    if isinstance(values, (bytes, str)):
        raise InvalidQuery("visit ids must be a collection of ids, not one id")
    out = [check_bytes(v, VISIT_ID_SIZE, "visit id") for v in values]
    if len(out) > limit:
        raise InvalidQuery(f"at most {limit} visit ids per query")
    return out


def check_locator(value: object) -> bytes:
    """A locator of :data:`~protocol.LOCATOR_SIZE` bytes; raises InvalidQuery."""
    return check_bytes(value, LOCATOR_SIZE, "locator")
