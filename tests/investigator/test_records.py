"""A record without a check-out lasts its venue class's default dwell (protocol.CATEGORIES),
as the venue and the registry end it, not a dwell of the investigator's own."""

from __future__ import annotations

import pytest

from did import Ed25519PrivateKey
from investigator import Record
from protocol import CATEGORIES, FALLBACK_CATEGORY
from tests.escrow.support import World
from tests.investigator.support import DAY, DAY0, make_record

VENUE = "did:web:registry.example:venues:v1"
T = DAY0 * DAY + 9 * 3600


@pytest.mark.parametrize("category", ["cafe", "shop", "office", "wedding_hall", None, "moon"])
def test_a_stay_without_a_check_out_ends_after_the_class_dwell(
    escrow_world: World, category: str | None
) -> None:
    made = make_record(
        escrow_world.directory, Ed25519PrivateKey.generate(), VENUE, T, None, phone="+821012345678"
    )
    record = Record.from_message(made.record.message, category=category)
    dwell = CATEGORIES[category].dwell if category in CATEGORIES else FALLBACK_CATEGORY.dwell
    assert (record.start, record.end, record.end_assumed) == (T, T + dwell, True)
    assert record.overlap_seconds == dwell


def test_a_stay_with_a_check_out_ends_there_whatever_the_class(escrow_world: World) -> None:
    made = make_record(
        escrow_world.directory, Ed25519PrivateKey.generate(), VENUE, T, T + 600,
        phone="+821012345678",
    )  # fmt: skip
    for category in ("office", None):
        record = Record.from_message(made.record.message, category=category)
        assert (record.end, record.end_assumed) == (T + 600, False)
