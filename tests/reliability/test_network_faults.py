"""A TCP proxy between the venue service and the registry drops connections, cuts them
mid-request and mid-response, and stalls them: nothing is lost, nothing is duplicated, and
the backlog drains once the network heals (DESIGN.md "The venue service", Durability)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import Deploy
from tests.reliability.proxy import FaultProxy
from tests.reliability.support import Phone, Tally, Trust, accounting, wait_for

pytestmark = pytest.mark.reliability

FAULTS_PER_MODE = 2
MAX_CHECKINS = 2000


def test_dropped_cut_and_stalled_uploads_lose_and_duplicate_nothing(
    deploy: Deploy, trust: Trust, tmp_path: Path, report: Any, request: pytest.FixtureRequest
) -> None:
    proxies: list[FaultProxy] = []

    def through_proxy(registry_url: str) -> str:
        proxy = FaultProxy(int(registry_url.rsplit(":", 1)[1]))
        proxy.start()
        request.addfinalizer(proxy.stop)
        proxies.append(proxy)
        return proxy.url

    reg, venue = deploy(venues=2, upload_url=through_proxy)
    proxy = proxies[0]
    tally = Tally()
    phone = Phone(trust, venue, tmp_path, "phone")
    healed = threading.Event()
    backlog: dict[str, int] = {}

    def visitor() -> None:
        for i in range(MAX_CHECKINS):
            if healed.is_set():
                return
            phone.check_in(tally, venue.venues[i % len(venue.venues)])
            time.sleep(0.05)

    walker = threading.Thread(target=visitor)
    walker.start()
    try:
        for mode in ("refuse", "cut_request", "cut_response", "stall"):
            proxy.set(mode)
            wait_for(
                lambda m=mode: proxy.faults[m] >= FAULTS_PER_MODE,  # type: ignore[misc]
                timeout=60, what=f"{mode} faults",
            )  # fmt: skip
            backlog[mode] = venue.health()["backlog"]
        # A stalled upload ends only by the uploader's own timeout.
        proxy.set("pass")
        wait_for(lambda: proxy.stalls_ended >= 1, timeout=60, what="a stall timed out")
        backlog["stall_timed_out"] = venue.health()["backlog"]
    finally:
        healed.set()
        walker.join(60)
        phone.close()
    venue.drained(timeout=120)
    figures = {
        "faults_injected": dict(proxy.faults),
        "proxy_connections": proxy.connections,
        "backlog_during": backlog,
        **accounting(tally, reg),
        "latency": tally.percentiles(),
    }
    report(figures)
    assert all(proxy.faults[m] >= FAULTS_PER_MODE for m in ("refuse", "cut_request",
                                                            "cut_response", "stall"))  # fmt: skip
    assert not tally.errors, tally.errors[:5]
    assert set(tally.statuses) == {201}
    assert figures["receipted_missing"] == 0
    assert figures["duplicates"] == 0
    assert figures["records_found"] == figures["records_acknowledged"] == len(tally.visit_ids)
