"""The registry killed with SIGKILL while the venue service uploads, and restarted on the
same port: the venue's outbox retries, and every check-in a phone got a receipt for is in
the registry exactly once (DESIGN.md "The venue service", Durability; "A batch is
acknowledged only after it is committed")."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from tests.reliability.conftest import Deploy
from tests.reliability.support import Phone, Tally, Trust, accounting

PHONES = 3
MAX_PER_PHONE = 300  # the phones check in until the last restart, at most this many each
KILLS = 3


def test_registry_sigkill_during_uploads_loses_and_duplicates_nothing(
    deploy: Deploy, trust: Trust, tmp_path: Path, report: Any
) -> None:
    reg, venue = deploy(venues=2)
    tally = Tally()
    phones = [Phone(trust, venue, tmp_path, f"phone{i}") for i in range(PHONES)]
    done = threading.Event()
    backlog_at_kill: list[int] = []

    def visitor(phone: Phone, n: int) -> None:
        for i in range(MAX_PER_PHONE):
            if done.is_set():
                return
            phone.check_in(tally, venue.venues[(i + n) % len(venue.venues)])
            time.sleep(0.05)

    def killer() -> None:
        # Kill while check-ins (and so uploads, which every commit wakes) are flowing.
        try:
            for _ in range(KILLS):
                time.sleep(0.5)
                # Aim at an upload in flight: kill once records wait in the outbox.
                deadline = time.monotonic() + 2.0
                backlog = venue.health()["backlog"]
                while backlog == 0 and time.monotonic() < deadline:
                    backlog = venue.health()["backlog"]
                reg.service.kill()
                backlog_at_kill.append(backlog)
                time.sleep(1.0)  # the venue's uploads fail meanwhile, and back off
                reg.start()
            time.sleep(0.5)
        finally:
            done.set()

    threads = [threading.Thread(target=visitor, args=(p, n)) for n, p in enumerate(phones)]
    chaos = threading.Thread(target=killer)
    for t in (*threads, chaos):
        t.start()
    chaos.join(300)
    for t in threads:
        t.join(120)
    for p in phones:
        p.close()

    assert reg.service.alive
    venue.drained(timeout=120)
    figures = {
        "faults_injected": {"registry_sigkill": reg.service.starts - 1},
        "backlog_at_each_kill": backlog_at_kill,
        **accounting(tally, reg),
        "latency": tally.percentiles(),
        "venue_last_error": venue.health()["lastError"],
    }
    report(figures)
    assert reg.service.starts - 1 == KILLS
    assert not tally.errors, tally.errors[:5]
    assert set(tally.statuses) == {201}  # the phones never see the registry's outage
    assert figures["receipted_missing"] == 0
    assert figures["duplicates"] == 0
    assert figures["records_found"] == figures["records_acknowledged"] == len(tally.visit_ids)
