"""A sustained mixed load for a few minutes (tests/reliability/soak.py): check-ins,
uploads through a faulty network, queries and kiosk refreshes. No errors, nothing lost or
duplicated, and each process's memory flat after the warm-up (growth at most 10 %; the
registry's SQLite page cache is kept small so that its filling up is not counted as
growth, tests/reliability/soak.py).
Latency percentiles are reported, not asserted. ``ANSHIM_SOAK_SECONDS`` sets the length
(default 180)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.soak import run_soak
from tests.reliability.support import Trust

pytestmark = pytest.mark.reliability

MAX_GROWTH_PCT = 10.0


def test_sustained_mixed_load(trust: Trust, tmp_path: Path, report: Any) -> None:
    seconds = float(os.environ.get("ANSHIM_SOAK_SECONDS", "180"))
    figures = run_soak(trust, tmp_path, seconds=seconds)
    report(figures)
    assert sum(figures["faults_injected"].values()) > 0
    assert figures["transport_errors"] == 0, figures["errors_sample"]
    assert figures["http_5xx"] == 0
    assert all(200 <= int(s) < 300 for s in figures["statuses"]), figures["statuses"]
    assert figures["receipted_missing"] == 0
    assert figures["duplicates"] == 0
    assert figures["records_found"] == figures["records_acknowledged"] > 0
    for name, memory in figures["memory"].items():
        assert memory["growth_pct"] <= MAX_GROWTH_PCT, (name, memory)
