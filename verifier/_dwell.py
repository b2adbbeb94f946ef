"""How long a visit lasts when nobody checks out (DESIGN.md "Other channels, one record":
"without one, the venue category's default dwell applies").

This module is the one place that knows the table. Categories are the authority's facility
classes (the ``category`` token of a :class:`~protocol.VenueCode`); the values are
typical stays, chosen on the long side because a too-short stay hides contacts while a
too-long one only widens a warrant's window. An unknown category gets
:data:`FALLBACK_DWELL`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from did.errors import InputError
from protocol import MAX_STAY, SealedVisit

__all__ = ["DEFAULT_DWELL", "FALLBACK_DWELL", "default_dwell", "time_out_of"]

_MINUTE = 60
#: Default stay per facility class, in seconds.
DEFAULT_DWELL: Mapping[str, int] = MappingProxyType(
    {
        "cafe": 60 * _MINUTE,
        "restaurant": 90 * _MINUTE,
        "bar": 150 * _MINUTE,
        "karaoke": 120 * _MINUTE,
        "nightclub": 240 * _MINUTE,
        "gym": 90 * _MINUTE,
        "sauna": 120 * _MINUTE,
        "church": 120 * _MINUTE,
        "cinema": 150 * _MINUTE,
        "shop": 30 * _MINUTE,
        "office": 480 * _MINUTE,
        "hospital": 120 * _MINUTE,
        "school": 420 * _MINUTE,
        "bus": 45 * _MINUTE,
    }
)
#: The stay assumed for a category missing from :data:`DEFAULT_DWELL`.
FALLBACK_DWELL = 120 * _MINUTE


def default_dwell(category: str) -> int:
    """The default stay in seconds of a facility class.

    Raises:
        InputError: if ``category`` is not a string.
    """
    if not isinstance(category, str):
        raise InputError("category must be a string")
    return DEFAULT_DWELL.get(category, FALLBACK_DWELL)


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
