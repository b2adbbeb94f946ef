"""The runnable examples (`make demo`) keep working: each runs to completion and prints
what the README promises."""

from __future__ import annotations

import subprocess
import sys

from tests.paths import EXAMPLES as _EXAMPLES

EXAMPLES = _EXAMPLES


def _run(name: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def test_quickstart_signs_verifies_and_renders_a_qr_code() -> None:
    out = _run("quickstart.py")
    assert "tampered code: refused (invalidSignature)" in out
    assert "SVG written" in out
    svg = EXAMPLES.parent / "out" / "venue-qr.svg"
    assert svg.read_bytes().startswith(b"<?xml")


def test_checkin_flow_unseals_exactly_the_three_visitors() -> None:
    out = _run("checkin_flow.py")
    assert out.count("admitted did:key:") == 2
    assert "unsealed wallet visitor: +821011112222 (issuer signature verified)" in out
    assert "unsealed wallet visitor: +821033334444 (issuer signature verified)" in out
    assert "unsealed SMS visitor: +821055556666" in out
    assert "3 records refused: ['notEnoughShares']" in out
