"""Retention (DESIGN.md "Shredding": records are deleted after the retention period).

The registry deletes whole days older than :data:`did.RETENTION_DAYS`, counted exactly as
the custodians' ``escrow shred`` counts them: every day before ``today - RETENTION_DAYS``
goes, so the registry's records and the custodians' shares of a day disappear together.
"""

from __future__ import annotations

from did import MAX_TZ_OFFSET, RETENTION_DAYS, day_of
from registry.errors import InvalidQuery

__all__ = ["retention_horizon"]


def retention_horizon(*, now: int, retention_days: int = RETENTION_DAYS, tz_offset: int = 0) -> int:
    """The first day kept at time ``now``: pass it to :meth:`~registry.Store.purge`.

    Raises:
        InvalidQuery: ``retention_days`` is not an int in [1, 3650].
        InvalidTime: ``now`` is not a Unix time, or ``tz_offset`` is beyond ±14 h.
    """
    if type(retention_days) is not int or not 1 <= retention_days <= 3650:
        raise InvalidQuery("retention_days must be an int in [1, 3650]")
    if type(tz_offset) is not int or abs(tz_offset) > MAX_TZ_OFFSET:
        raise InvalidQuery("tz_offset must be an int within ±14 hours")
    return max(0, day_of(now, tz_offset=tz_offset) - retention_days)
