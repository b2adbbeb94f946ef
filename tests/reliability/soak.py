"""The sustained mixed load (no tests here; ``test_soak.py`` asserts on it and
``benchmarks/bench_soak.py`` prints it): real ``anshim registry serve`` and ``anshim venue
serve`` processes with the fault proxy between them, and for ``seconds``:

* phones checking in at the venues' posters and kiosks (real wallets), and SMS check-ins
  through the signed gateway;
* the kiosks polling their state every second;
* an investigator's case-cited queries (contacts at a quiet venue, records by visit id);
* the venue's uploader sending batches, through a network that every ``fault_every``
  seconds drops, cuts or stalls the connection for a moment.

Afterwards the network heals, the backlog drains, and :func:`run_soak` returns the
figures: faults injected, records acknowledged and found, duplicates, 5xx answers,
transport errors, latency percentiles per kind, and each process's resident memory
(median of a window right after the warm-up against the last window: growth in %).

The registry's SQLite store runs with a small page cache per day file
(:data:`CACHE_KIB`, ``sqlite:///…?cache_kib=``): its default cache is tens of MiB, which
a few minutes of check-ins never fill, so its growth towards that bound would be most of
what the memory figure measured (at 64 MiB a 150 s soak grew the registry 5.95 %, at
2 MiB 1.92 %). With the cache full before the warm-up ends, growth after it is what a
leak would be.
"""

from __future__ import annotations

import itertools
import os
import random
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.reliability.proxy import FaultProxy
from tests.reliability.support import (
    Phone,
    RegistryProcess,
    Service,
    Tally,
    Trust,
    VenueProcess,
    accounting,
    gateway_request,
    now,
    timed,
)

FAULTS = ("refuse", "cut_request", "cut_response", "stall")
VENUES = 4  # the last one is quiet: the investigator's contacts queries look there
#: KiB of page cache per SQLite day file in the soak's registry (SQLite's own default).
CACHE_KIB = 2048


class _Memory:
    def __init__(self, services: dict[str, Service]) -> None:
        self.services = services
        self.samples: dict[str, list[tuple[float, int]]] = {name: [] for name in services}

    def sample(self, elapsed: float) -> None:
        for name, service in self.services.items():
            self.samples[name].append((elapsed, service.rss()))

    def figures(self, warmup: float, window: float, end: float) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, samples in self.samples.items():
            early = [r for t, r in samples if warmup <= t < warmup + window]
            late = [r for t, r in samples if t >= end - window]
            if not early or not late:
                out[name] = {"samples": len(samples)}
                continue
            start, finish = statistics.median(early), statistics.median(late)
            out[name] = {
                "rss_after_warmup_mb": round(start / 2**20, 1),
                "rss_end_mb": round(finish / 2**20, 1),
                "rss_peak_mb": round(max(r for _, r in samples) / 2**20, 1),
                "growth_pct": round(100 * (finish - start) / start, 2),
                "samples": len(samples),
            }
        return out


def run_soak(
    trust: Trust,
    folder: Path,
    *,
    seconds: float = 180.0,
    phones: int = 3,
    fault_every: float = 20.0,
    fault_length: float = 2.0,
) -> dict[str, Any]:
    """Run the load for ``seconds`` (module docstring) and return its figures. Every
    process started here is stopped before returning."""
    folder.mkdir(parents=True, exist_ok=True)
    store = f"sqlite://{(folder / 'registry').resolve() / 'visits'}?cache_kib={CACHE_KIB}"
    reg = RegistryProcess(trust, folder / "registry", store=store)
    proxy: FaultProxy | None = None
    venue: VenueProcess | None = None
    try:
        reg.start()
        proxy = FaultProxy(reg.port)
        proxy.start()
        venue = VenueProcess(trust, folder / "venue", reg, venues=VENUES, upload_url=proxy.url)
        venue.start()
        return _load(trust, folder, reg, venue, proxy, seconds, phones, fault_every,
                     fault_length)  # fmt: skip
    finally:
        if venue is not None:
            venue.service.stop()
        if proxy is not None:
            proxy.stop()
        reg.service.stop()


def _load(
    trust: Trust, folder: Path, reg: RegistryProcess, venue: VenueProcess, proxy: FaultProxy,
    seconds: float, phones: int, fault_every: float, fault_length: float,
) -> dict[str, Any]:  # fmt: skip
    tally = Tally()
    busy, quiet = venue.venues[:-1], venue.venues[-1]
    investigator = reg.investigator()
    stop = threading.Event()
    memory = _Memory({"registry": reg.service, "venue": venue.service})
    warmup, window = min(45.0, seconds / 4), min(20.0, seconds / 6)
    began = time.monotonic()
    rng = random.Random(14)

    def visitor(n: int) -> None:
        phone = Phone(trust, venue, folder, f"phone{n}")
        try:
            for i in itertools.count():
                if stop.is_set():
                    return
                phone.check_in(tally, busy[(i + n) % len(busy)], kiosk=(i % 5 == 4))
                time.sleep(0.05)
        finally:
            phone.close()

    def quiet_visitor() -> None:
        phone = Phone(trust, venue, folder, "quiet")
        try:
            for _ in range(20):  # a fixed set, so the contacts answer keeps one size
                phone.check_in(tally, quiet)
        finally:
            phone.close()

    def gateway() -> None:
        with httpx.Client(base_url=venue.url, timeout=30) as http:
            for i in itertools.count():
                if stop.wait(0.5):
                    return
                body, headers = gateway_request(busy[i % len(busy)].number, f"+8210{i:08d}")
                r = timed(tally, "sms", lambda b=body, h=headers: http.post(  # type: ignore[misc]
                    "/gateway/checkins", content=b, headers=h))  # fmt: skip
                if r is not None and r.status_code == 201:
                    tally.admitted_other()

    def kiosks() -> None:
        with httpx.Client(base_url=venue.url, timeout=30) as http:
            while not stop.wait(1.0):
                for hosted in venue.venues:
                    timed(tally, "kiosk_refresh",
                          lambda h=hosted: http.get(f"/kiosk/{h.id}/state"))  # type: ignore[misc]  # fmt: skip

    def investigations() -> None:
        with httpx.Client(base_url=reg.url, timeout=30, headers=investigator) as http:
            while not stop.wait(0.5):
                t = now()
                query = {"case_id": "soak-case", "venue": quiet.did, "start": t - 3600, "end": t}
                timed(tally, "query_contacts", lambda q=query: http.post("/queries/contacts",
                                                                         json=q))  # type: ignore[misc]  # fmt: skip
                with tally.lock:
                    recent = tally.visit_ids[-200:]
                ids = [v.hex() for v in rng.sample(recent, min(5, len(recent)))]
                if ids:
                    day = t // 86400
                    q = {"case_id": "soak-case", "visit_ids": ids, "first_day": day - 1,
                         "last_day": day + 1}  # fmt: skip
                    timed(tally, "query_records",
                          lambda q=q: http.post("/queries/records", json=q))  # type: ignore[misc]  # fmt: skip

    def chaos() -> None:
        for mode in itertools.cycle(FAULTS):
            if stop.wait(fault_every):
                return
            proxy.set(mode)
            if stop.wait(fault_length):
                proxy.set("pass")
                return
            proxy.set("pass")

    def sampler() -> None:
        while not stop.wait(2.0):
            memory.sample(time.monotonic() - began)

    workers = [threading.Thread(target=visitor, args=(n,)) for n in range(phones)]
    workers += [threading.Thread(target=f) for f in (quiet_visitor, gateway, kiosks,
                                                      investigations, chaos, sampler)]  # fmt: skip
    for w in workers:
        w.start()
    time.sleep(seconds)
    memory.sample(time.monotonic() - began)
    elapsed = time.monotonic() - began
    stop.set()
    for w in workers:
        w.join(120)
    proxy.set("pass")
    drain_start = time.monotonic()
    venue.drained(timeout=180)
    drain_seconds = time.monotonic() - drain_start
    figures: dict[str, Any] = {
        "seconds": round(elapsed, 1),
        "faults_injected": dict(proxy.faults),
        **accounting(tally, reg),
        "transport_errors": len(tally.errors),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "kiosk_races": tally.kiosk_races,
        "latency": tally.percentiles(),
        "memory": memory.figures(warmup, window, elapsed),
        "registry_sqlite_cache_kib": CACHE_KIB,
        "drain_seconds_after_load": round(drain_seconds, 1),
        "cpus": os.cpu_count(),
    }
    figures["errors_sample"] = tally.errors[:5]
    return figures
