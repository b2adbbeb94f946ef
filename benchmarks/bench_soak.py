"""The reliability suite's sustained mixed load, printed as JSON (tests/reliability/
soak.py): real ``anshim registry serve`` and ``anshim venue serve`` processes on loopback
with a fault-injecting TCP proxy between them; phones (real wallets) checking in at
posters and kiosks, SMS check-ins, kiosk refreshes and an investigator's queries.

Figures: faults injected, records acknowledged and found afterwards, duplicates, 5xx
answers, latency percentiles per kind, and each process's memory growth after the
warm-up. The baseline in the same run is the bare loopback round trip (GET /health on the
venue service before the load), so latencies can be read as a ratio on a noisy machine.

    python benchmarks/bench_soak.py --seconds 180
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from tests.reliability import soak
from tests.reliability.support import (
    RegistryProcess,
    Trust,
    VenueProcess,
    latency_summary,
    make_trust,
)


def baseline(trust: Trust, folder: Path, rounds: int = 200) -> dict[str, float]:
    """GET /health round trips on an idle venue service: the floor of every latency."""
    reg = RegistryProcess(trust, folder / "registry")
    venue = None
    try:
        reg.start()
        venue = VenueProcess(trust, folder / "venue", reg, venues=1)
        venue.start()
        samples = []
        with httpx.Client(base_url=venue.url, timeout=10) as http:
            for _ in range(rounds):
                start = time.perf_counter()
                http.get("/health")
                samples.append(time.perf_counter() - start)
        return latency_summary(samples)
    finally:
        if venue is not None:
            venue.service.stop()
        reg.service.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="length of the load")
    parser.add_argument("--phones", type=int, default=3, help="concurrent phones")
    parser.add_argument("--fault-every", type=float, default=20.0, help="seconds between faults")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="anshim-soak-") as tmp:
        folder = Path(tmp)
        trust = make_trust(folder / "trust")
        floor = baseline(trust, folder / "baseline")
        figures = soak.run_soak(
            trust, folder / "soak", seconds=args.seconds, phones=args.phones,
            fault_every=args.fault_every,
        )  # fmt: skip
    figures["baseline_health_round_trip"] = floor
    print(json.dumps(figures, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
