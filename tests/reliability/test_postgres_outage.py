"""PostgreSQL stopped under the registry during ingest (a clean ``fast`` shutdown, then an
``immediate`` one, as in a crash) and started again: while it is down the registry answers
503 with Retry-After (never 500) to uploads, queries and its health check, the venue's
outbox keeps every check-in, and once it is back nothing is lost or duplicated (DESIGN.md
"Services": 503 with Retry-After on store outages).

The server is a throwaway one of this test's own (tests/registry/postgres_server.py), as
the registry's store tests use; ``ANSHIM_REQUIRE_POSTGRES=1`` makes missing binaries fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.registry import postgres_server
from tests.registry.service.support import Operator
from tests.reliability.conftest import Deploy
from tests.reliability.support import CBOR, Phone, Tally, Trust, accounting, now, wait_for

pytestmark = pytest.mark.reliability

PROBE_ROUNDS = 2


@pytest.fixture
def postgres() -> Iterator[postgres_server.Server]:
    bindir = postgres_server.find_bindir()
    if bindir is None:
        if os.environ.get(postgres_server.REQUIRE_ENV) == "1":
            pytest.fail(f"{postgres_server.REQUIRE_ENV}=1 but no PostgreSQL server binaries")
        pytest.skip(postgres_server.HOW_TO_ENABLE)
    folder = Path(tempfile.mkdtemp(prefix="anshim-pg-outage-"))
    try:
        server = postgres_server.start_server(bindir, folder)
        yield server
        server.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_postgres_down_means_503_with_retry_after_and_nothing_lost(
    deploy: Deploy, trust: Trust, tmp_path: Path, postgres: postgres_server.Server, report: Any
) -> None:
    store = postgres.create_database("registry_outage")
    reg, venue = deploy(store=store, venues=2)
    investigator = reg.investigator()
    hosted = venue.venues[0]
    operator = Operator(key=hosted.key, did=hosted.did)
    tally = Tally()
    phone = Phone(trust, venue, tmp_path, "phone")
    stop = threading.Event()
    probes: list[dict[str, Any]] = []
    probe_ids: list[bytes] = []
    probe_acked = 0

    def visitor() -> None:
        for i in range(3000):
            if stop.is_set():
                return
            phone.check_in(tally, venue.venues[i % 2])
            time.sleep(0.05)

    def probe(what: str) -> dict[str, Any]:
        nonlocal probe_acked
        with httpx.Client(base_url=reg.url, timeout=60) as http:
            if what == "health":
                r = http.get("/health")
            elif what == "upload":
                visit_id = os.urandom(16)
                probe_ids.append(visit_id)
                record = operator.record(now() - 60, visit_id=visit_id)
                r = http.post(
                    "/uploads/visits", content=operator.batch([record], now()), headers=CBOR
                )
                if r.status_code < 300:
                    probe_acked += 1
            else:
                query = {"case_id": "case-1", "venue": hosted.did,
                         "start": now() - 3600, "end": now()}  # fmt: skip
                r = http.post("/queries/contacts", json=query, headers=investigator)
        return {"what": what, "status": r.status_code, "retry_after": r.headers.get("retry-after")}

    walker = threading.Thread(target=visitor)
    walker.start()
    outages: list[dict[str, Any]] = []
    try:
        wait_for(lambda: len(tally.visit_ids) >= 20, timeout=30, what="ingest running")
        for mode in ("fast", "immediate"):
            postgres.stop(mode)
            down = time.monotonic()
            with ThreadPoolExecutor(3) as pool:
                for _ in range(PROBE_ROUNDS):
                    probes.extend(pool.map(probe, ("health", "upload", "contacts")))
            backlog = venue.health()["backlog"]
            postgres.start()
            outages.append(
                {"stop": mode, "seconds": round(time.monotonic() - down, 1), "backlog": backlog}
            )
            venue.drained(timeout=120)  # the registry's pool reconnects; uploads resume
    finally:
        stop.set()
        walker.join(60)
        phone.close()
    venue.drained(timeout=120)

    figures = accounting(tally, reg)
    held_probes, _ = reg.holdings(probe_ids)
    statuses: dict[str, list[int]] = {}
    for p in probes:
        statuses.setdefault(p["what"], []).append(p["status"])
    figures.update(
        faults_injected={"postgres_stop": len(outages)},
        outages=outages,
        probes_during_outage=statuses,
        probe_records_acknowledged=probe_acked,
        probe_records_stored=len(held_probes),
        latency=tally.percentiles(),
    )
    # Records the registry holds beyond what phones were acknowledged: only probe records.
    figures["duplicates"] = max(
        0, figures["records_found"] - figures["records_acknowledged"] - len(held_probes)
    )
    report(figures)
    assert all(p["status"] == 503 for p in probes), probes
    assert all(p["retry_after"] and p["retry_after"].isdigit() for p in probes), probes
    assert probe_acked == 0
    assert not tally.errors, tally.errors[:5]
    assert set(tally.statuses) == {201}
    assert figures["receipted_missing"] == 0
    assert figures["duplicates"] == 0
    assert figures["records_found"] - len(held_probes) == len(tally.visit_ids)
    assert all(o["backlog"] > 0 for o in outages)  # the outages held uploads back
