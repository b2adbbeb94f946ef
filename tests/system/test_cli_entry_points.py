"""The installed `anshim` command, with every group loaded from the real `anshim.cli` entry
points (the per-group CLI tests patch the loader down to one group): one command of each
issue-2 group runs end to end, and bad input is exit 2 with one readable line — also through
the console script in a separate process, so no traceback can slip past `main`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from did.cli import main

ANSHIM = Path(sys.executable).with_name("anshim")


def test_each_group_runs_through_the_real_entry_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANSHIM_PASSPHRASE", "entry points")
    key = tmp_path / "k.key"
    assert main(["key", "generate", "--out", str(key), "--kdf", "unsafe-test"]) == 0
    out, _ = capsys.readouterr()
    did = json.loads(out)["did"]
    assert did.startswith("did:key:z6Mk")

    assert main(["did", "resolve", did]) == 0
    assert json.loads(capsys.readouterr().out)["didDocument"]["id"] == did

    assert main(["qr", "encode", "--prefix", "AV", "--hex", "4142"]) == 0
    text = capsys.readouterr().out.strip()
    assert text == "AV:BB8"  # RFC 9285 section 4.3: "AB" encodes as "BB8"
    assert main(["qr", "decode", text, "--prefix", "AV"]) == 0
    assert "4142" in capsys.readouterr().out.lower()


@pytest.mark.parametrize(
    "argv",
    [
        ["did", "resolve", "did:key:z6MkNOTAKEY"],
        ["did", "resolve", "did:web:"],
        ["qr", "decode", "AV:GGW", "--prefix", "AV"],
        ["qr", "encode", "--prefix", "lower", "--hex", "00"],
        ["qr", "encode", "--prefix", "AV", "--hex", "zz"],
        ["did", "create", "key", "--key", "/nonexistent/key.json"],
        ["vc", "verify", "/nonexistent/credential.json"],
    ],
    ids=" ".join,
)
def test_console_script_bad_input_is_one_line_exit_2(argv: list[str]) -> None:
    # The install (`make test`) puts the console script beside the interpreter; its absence
    # is a broken install, which this test must report rather than skip.
    assert ANSHIM.exists(), f"console script missing: {ANSHIM}"
    proc = subprocess.run(
        [str(ANSHIM), *argv], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("anshim")
