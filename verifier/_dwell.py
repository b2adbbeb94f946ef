"""How long a visit lasts when nobody checks out (DESIGN.md "Other channels, one record":
"without one, the venue category's default dwell applies").

The dwells are :data:`protocol.CATEGORIES`' — the one table of the authority's facility
classes that the registry's contact queries use too — so a visit is given the same stay at
the venue and at the registry. An unknown category gets
:data:`protocol.FALLBACK_CATEGORY`'s dwell.
"""

from __future__ import annotations

from did.errors import InputError
from protocol import MAX_STAY, SealedVisit, category

__all__ = ["default_dwell", "time_out_of"]


def default_dwell(category_name: str) -> int:
    """The default stay in seconds of a facility class (:func:`protocol.category`).

    Raises:
        InputError: if ``category_name`` is not a string.
    """
    if not isinstance(category_name, str):
        raise InputError("category must be a string")
    return category(category_name).dwell


def time_out_of(record: SealedVisit, category: str) -> int:
    """The visit's end: its checked-out time, or its time in plus the category's default
    stay (never beyond the format's longest stay).

    Raises:
        InputError: if ``record`` is not a :class:`~protocol.SealedVisit` or
            ``category`` is not a string.
    """
    if not isinstance(record, SealedVisit):
        raise InputError("record must be a SealedVisit")
    if record.time_out is not None:
        return record.time_out
    return record.time_in + min(default_dwell(category), MAX_STAY)
