"""A registry outage long enough that the venue's backlog makes batches over 64 KiB: once
the registry is back the backlog drains, each record once.

Regression: the COSE framing wrote a byte string's length in at most two bytes
(protocol/wire.py ``_bstr_head``), so signing an upload batch of more than about 130
records raised OverflowError in the uploader's every round, and the backlog never drained
(found by test_postgres_outage.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.reliability.conftest import Deploy
from tests.reliability.support import Phone, Tally, Trust, accounting

BACKLOG = 300


def test_a_backlog_of_batches_over_64_kib_drains(
    deploy: Deploy, trust: Trust, tmp_path: Path, report: Any
) -> None:
    reg, venue = deploy(venues=1)
    reg.service.kill()
    tally = Tally()
    phone = Phone(trust, venue, tmp_path, "phone")
    for _ in range(BACKLOG):
        phone.check_in(tally, venue.venues[0])
    phone.close()
    backlog = venue.health()["backlog"]
    reg.start()
    venue.drained(timeout=120)
    figures = {"backlog": backlog, **accounting(tally, reg)}
    report(figures)
    assert backlog == BACKLOG
    assert set(tally.statuses) == {201}
    assert figures["receipted_missing"] == 0
    assert figures["duplicates"] == 0
    assert figures["records_found"] == BACKLOG
