"""The authority's facility classes: the one table of default dwells and exposure margins
(DESIGN.md "Other channels, one record": without a check-out "the venue category's default
dwell applies"; "Investigation" step 3 and "Credentials": high-risk classes have longer
exposure margins). The venue service ends a visit without a check-out with the dwell, and
the registry's contact queries use the same dwell and the margin, so a visit has one stay
everywhere.

Each class has a default dwell (the stay assumed for a record without a check-out, DESIGN.md
"Other channels, one record") and an exposure margin (how far a case's stay is widened on
both sides before overlaps are measured). Dwells are on the long side, because a too-short
stay hides contacts while a too-long one only widens a warrant; they are the venue's
default dwells, so a visit is given the same stay at the venue and at the registry. The
margin is longest where air is shared for a long time in crowds (nightclubs, karaoke
rooms, saunas, churches, wedding halls, gyms).

An unknown class gets :data:`FALLBACK_CATEGORY`'s values: a venue whose class the
registry does not know still has its contacts found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from did.errors import InputError
from protocol._records import MAX_STAY

_MINUTE = 60


@dataclass(frozen=True, slots=True)
class Category:
    """A facility class: its default dwell and exposure margin, in seconds.

    Raises:
        InputError: a dwell outside (0, MAX_STAY] or a margin outside [0, MAX_STAY].
    """

    name: str
    dwell: int
    margin: int

    def __post_init__(self) -> None:
        if type(self.dwell) is not int or not 0 < self.dwell <= MAX_STAY:
            raise InputError(f"dwell must be an int in (0, {MAX_STAY}]")
        if type(self.margin) is not int or not 0 <= self.margin <= MAX_STAY:
            raise InputError(f"margin must be an int in [0, {MAX_STAY}]")


def _table(*rows: tuple[str, int, int]) -> Mapping[str, Category]:
    return MappingProxyType({n: Category(n, d * _MINUTE, m * _MINUTE) for n, d, m in rows})


#: The classes, with (dwell, margin) in minutes.
CATEGORIES: Mapping[str, Category] = _table(
    ("cafe", 60, 15),
    ("restaurant", 90, 15),
    ("bar", 150, 30),
    ("karaoke", 120, 30),
    ("nightclub", 240, 30),
    ("gym", 90, 30),
    ("sauna", 120, 30),
    ("church", 120, 30),
    ("wedding_hall", 120, 30),
    ("cinema", 150, 15),
    ("shop", 30, 5),
    ("office", 480, 15),
    ("hospital", 120, 30),
    ("school", 420, 15),
    ("bus", 45, 5),
)
#: The class assumed for a venue whose class is unknown.
FALLBACK_CATEGORY = Category("unknown", 120 * _MINUTE, 15 * _MINUTE)


def category(name: str | None) -> Category:
    """The class named ``name`` (``None`` or an unknown name: :data:`FALLBACK_CATEGORY`)."""
    if name is None:
        return FALLBACK_CATEGORY
    return CATEGORIES.get(name, FALLBACK_CATEGORY)
