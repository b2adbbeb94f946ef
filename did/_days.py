"""Day numbers: the one definition of "which day" that escrow epochs, pseudonyms, trace
seeds, receipts, registry partitions and retention all share (DESIGN.md "Escrow": one
epoch key per day; "Storage": records partitioned by day).

A day is ``floor((unix time + tz_offset) / 86400)``, with ``tz_offset`` in seconds east of
UTC (0, the default, is UTC; 32400 is Korea Standard Time).
"""

from __future__ import annotations

from did.errors import InvalidTime

__all__ = ["MAX_TZ_OFFSET", "RETENTION_DAYS", "SECONDS_PER_DAY", "day_of", "day_start"]

SECONDS_PER_DAY = 86400
#: Visits, trace seeds and escrow shares are kept this many days, then destroyed
#: (DESIGN.md "Shredding": KI-Pass and Jeju kept visits 4 weeks).
RETENTION_DAYS = 28
#: Time zones reach from UTC−12 to UTC+14.
MAX_TZ_OFFSET = 14 * 3600
_MAX_DAY = 2**32 - 1


def _tz(tz_offset: int) -> int:
    if isinstance(tz_offset, bool) or not isinstance(tz_offset, int):
        raise InvalidTime("tz_offset must be an int number of seconds")
    if abs(tz_offset) > MAX_TZ_OFFSET:
        raise InvalidTime("tz_offset must be within ±14 hours")
    return tz_offset


def day_of(timestamp: int, *, tz_offset: int = 0) -> int:
    """The day number of a Unix ``timestamp`` in the zone ``tz_offset`` seconds east of UTC.

    Raises:
        InvalidTime: ``timestamp`` is not a non-negative int, or the offset is not an int
            within ±14 hours.
    """
    # Plain ints in range take the short way (a venue asks once per check-in); anything
    # else, int subclasses included, is judged by the checks below.
    if (
        type(timestamp) is int
        and type(tz_offset) is int
        and timestamp >= 0
        and -MAX_TZ_OFFSET <= tz_offset <= MAX_TZ_OFFSET
    ):
        return (timestamp + tz_offset) // SECONDS_PER_DAY
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise InvalidTime("timestamp must be a non-negative int (Unix seconds)")
    return (timestamp + _tz(tz_offset)) // SECONDS_PER_DAY


def day_start(day: int, *, tz_offset: int = 0) -> int:
    """The Unix time at which day number ``day`` begins in the zone ``tz_offset``.

    Raises:
        InvalidTime: ``day`` is not an int in [0, 2**32), or the offset is out of range.
    """
    if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= _MAX_DAY:
        raise InvalidTime("day must be an int in [0, 2**32)")
    return day * SECONDS_PER_DAY - _tz(tz_offset)
