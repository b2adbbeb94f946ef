"""``examples/island.py`` (``make demo``) at a tiny scale, as a subprocess: the story's
figures agree with each other and with what the run left behind (the report, the call
list), and no process it started outlives it (no pid, no listener on its ports)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.paths import EXAMPLES


@pytest.fixture(scope="module")
def island(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any], Path]:
    tmp = tmp_path_factory.mktemp("island")
    figures = tmp / "figures.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "island.py"),
            "--venues",
            "6",
            "--wallets",
            "30",
            "--guests",
            "12",
            "--visits",
            "0.5",
            "--out",
            str(tmp / "out"),
            "--figures",
            str(figures),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    return proc.stdout, json.loads(figures.read_text()), tmp


def test_the_story_prints_the_measured_figures(island: tuple[str, dict[str, Any], Path]) -> None:
    out, fig, _ = island
    admitted, refused = fig["admitted"], fig["refused"]
    # The venue service's own counts are what the phones, gateway and staff were told.
    assert admitted == fig["seen_admitted"]
    assert refused == fig["seen_refused"]
    assert f"admitted {sum(admitted.values())}: " in out
    assert f"refused {sum(refused.values())}: " in out
    # One visitor refused by the thermal camera, one by the mask detector, one declared.
    assert {refused.get(c) for c in ("highTemperature", "maskMissing", "declaredFever")} == {1}
    for channel in ("qrStatic", "qrKiosk", "holderShown", "sms", "call", "assisted"):
        assert admitted.get(channel, 0) > 0, channel
    assert 0 < fig["checked_out"] < sum(admitted.values())
    contacts = fig["contacts"]["1"]
    assert contacts > 0
    assert f"contacts found: {contacts} ({fig['hall_contacts']} at the wedding hall)" in out
    # Every other guest at the hall is a contact of the case; the case is not its own.
    assert fig["hall_contacts"] == fig["guests"] - 1
    assert fig["opened"]["1"] == contacts
    assert not fig["hop_blocked"], fig["hop_blocked"]
    assert fig["hop_stays"] >= 2  # the hall, where it met the case, and the church
    assert fig["opened"]["2"] == fig["contacts"]["2"] > 0
    seconds = float(re.search(r"Report written ([0-9.]+) s after the case opened", out)[1])  # type: ignore[index]
    assert seconds == pytest.approx(fig["case_to_report_s"], abs=0.06)
    assert fig["notices"] == fig["case_stays"] >= 2
    assert fig["matched_wallets"] == fig["matched_there"] == fig["wallets_there"] > 0
    assert fig["contact_visit_unsealed"] is True
    # ...and the wallet learns under which case (examples/island_case.py CASE_ID).
    assert set(fig["contact_visit_cases"]) == {"UDO-2021-0807"}
    assert fig["stranger_visit_unsealed"] is False
    # Three approvals and three share batches per warrant: identities, seeds, identities.
    assert fig["audit_entries"] == 6 * 3


def test_the_report_and_call_list_are_written(island: tuple[str, dict[str, Any], Path]) -> None:
    out, fig, tmp = island
    report = Path(fig["report"])
    assert report.is_relative_to(tmp / "out")
    assert f"Report written {fig['case_to_report_s']:.1f} s after the case opened: {report}" in out
    html = report.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "<svg" in html
    # Self-contained: nothing fetched from anywhere (no external scripts, styles, images).
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)
    assert "@import" not in html
    rows = list(csv.DictReader(io.StringIO(Path(fig["call_list"]).read_text(encoding="utf-8-sig"))))
    # Every unsealed contact visit is on the list (a hop's person may also appear again
    # through its own trace seeds, so visits are counted, not rows).
    assert len({r["visit_id"] for r in rows}) == fig["opened"]["1"] + fig["opened"]["2"]
    assert all(not r["phone"].startswith("+") for r in rows)  # neutralised for spreadsheets


def test_no_process_or_listener_is_left(island: tuple[str, dict[str, Any], Path]) -> None:
    out, fig, _ = island
    assert len(fig["pids"]) == len(fig["ports"]) == 2
    for port in fig["ports"]:
        assert f":{port}" in out
        with socket.socket() as sock:
            sock.settimeout(2)
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still listens"
    for pid in fig["pids"]:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
