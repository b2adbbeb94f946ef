"""The `anshim` command loader: every installed group appears, help works, a package that
cannot be imported yields one readable line and exit status 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from did import cli as _cli

EXPECTED_GROUPS = {"key", "did", "qr", "vc", "vp", "status", "escrow"}


def test_top_level_help_lists_every_command_group(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for group in EXPECTED_GROUPS:
        assert f"\n    {group} " in out, f"command group {group!r} missing from anshim --help"
    assert "unavailable" not in out


@pytest.mark.parametrize("group", sorted(EXPECTED_GROUPS))
def test_every_group_has_help(group: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _cli.main([group, "--help"])
    assert exc.value.code == 0
    assert "usage: anshim" in capsys.readouterr().out


def test_group_without_subcommand_prints_help_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _cli.main(["did"]) == 2
    assert "usage:" in capsys.readouterr().err


def test_unknown_command_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _cli.main(["no-such-command"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "error" in err


def test_missing_plugin_module_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = EntryPoint(name="broken", value="anshim_no_such_module:register", group="anshim.cli")

    def fake_entry_points(*, group: str) -> list[Any]:
        assert group == "anshim.cli"
        return [broken]

    monkeypatch.setattr(_cli, "entry_points", fake_entry_points)
    assert _cli.main(["broken", "anything"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "'broken' commands are unavailable" in err[0]
    assert "anshim_no_such_module" in err[0]


def test_console_script_runs_without_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from did.cli import main; raise SystemExit(main())", "did"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
