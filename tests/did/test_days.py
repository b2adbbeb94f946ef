"""did.day_of, the one definition of "which day" (did/_days.py): floor((t + offset) / 86400),
the same on its short path for plain ints and on its checked path for everything else."""

from __future__ import annotations

import enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from did import MAX_TZ_OFFSET, SECONDS_PER_DAY, day_of
from did.errors import InvalidTime


class _Seconds(enum.IntEnum):
    NOON = 20000 * SECONDS_PER_DAY + 12 * 3600
    KST = 9 * 3600


@given(
    st.integers(min_value=0, max_value=2**40),
    st.integers(min_value=-MAX_TZ_OFFSET, max_value=MAX_TZ_OFFSET),
)
def test_day_of_is_the_floor_of_the_shifted_time(timestamp: int, tz_offset: int) -> None:
    assert day_of(timestamp, tz_offset=tz_offset) == (timestamp + tz_offset) // SECONDS_PER_DAY


def test_int_subclasses_take_the_checked_path_to_the_same_day() -> None:
    expected = (_Seconds.NOON.value + _Seconds.KST.value) // SECONDS_PER_DAY
    assert day_of(_Seconds.NOON, tz_offset=_Seconds.KST) == expected


@pytest.mark.parametrize(
    ("timestamp", "tz_offset"),
    [
        (-1, 0),
        (True, 0),
        (1.0, 0),
        ("1", 0),
        (0, MAX_TZ_OFFSET + 1),
        (0, -MAX_TZ_OFFSET - 1),
        (0, False),
        (0, 3600.0),
    ],
)
def test_bad_times_and_offsets_are_refused(timestamp: object, tz_offset: object) -> None:
    with pytest.raises(InvalidTime):
        day_of(timestamp, tz_offset=tz_offset)  # type: ignore[arg-type]
