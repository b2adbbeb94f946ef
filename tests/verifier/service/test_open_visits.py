"""The open visits a check-out closes (verifier.service._store): kept in a rowid table
whose key is a unique index, so a second check-in of one pseudonym on one day replaces the
first and a check-out closes it; a store file made with the earlier WITHOUT ROWID table
is served by the same statements."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.escrow.support import NOW, World
from tests.verifier.service.support import Clock, app_options, new_wallet, settings, wallet_answer
from tests.wallet.support import VENUE, poster
from verifier.errors import NoOpenVisit
from verifier.service import VenueService

_OLD_LAYOUT = """CREATE TABLE open_visits (
    venue TEXT NOT NULL,
    pseudonym TEXT NOT NULL,
    day INTEGER NOT NULL,
    record BLOB NOT NULL,
    checkin_hash BLOB NOT NULL,
    PRIMARY KEY (venue, pseudonym, day)
) WITHOUT ROWID"""


def open_service(tmp_path: Path, clock: Clock) -> VenueService:
    options = app_options(clock)
    return VenueService.open(
        settings(tmp_path),
        clock=options["clock"],
        keys=options["keys"],
        epoch_keys=options["epoch_keys"],
    )


def layout(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        sql: str = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'open_visits'"
        ).fetchone()[0]
    return sql


def open_rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        count: int = conn.execute("SELECT count(*) FROM open_visits").fetchone()[0]
    return count


@pytest.mark.parametrize("made_before", [False, True], ids=["new file", "earlier layout"])
def test_a_second_check_in_replaces_the_open_visit_and_a_check_out_closes_it(
    tmp_path: Path, escrow_world: World, made_before: bool
) -> None:
    database = settings(tmp_path).database
    if made_before:
        database.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(database) as conn:
            conn.execute(_OLD_LAYOUT)
    clock = Clock()
    service = open_service(tmp_path, clock)
    assert ("WITHOUT ROWID" in layout(database)) is made_before
    wallet = new_wallet(tmp_path, "visitor")
    for i in range(2):  # one pseudonym a day at a venue: the second visit replaces the first
        service.check_in("cafe-1", wallet_answer(wallet, poster(VENUE), now=NOW + i))
    assert open_rows(database) == 1
    clock.advance(60)
    service.check_out("cafe-1", wallet.check_out(VENUE, now=clock.now))
    assert open_rows(database) == 0
    clock.advance(30)
    with pytest.raises(NoOpenVisit):
        service.check_out("cafe-1", wallet.check_out(VENUE, now=clock.now))
