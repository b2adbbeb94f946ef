"""The README keeps its promises (issue 2, "README.md"): the two set-up commands are Makefile
targets, the Python quick start runs as printed, and every command in its CLI table exists
with ``--help``. The user sections' commands are run by ``test_readme_commands.py``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from did.cli import main
from tests.paths import ROOT as _ROOT

ROOT = _ROOT
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str, section: str) -> list[str]:
    """The ``language`` blocks of the README's ``## section`` (up to the next ``## ``)."""
    text = README.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.M | re.S)


def test_exactly_two_setup_commands_and_both_are_make_targets() -> None:
    (block,) = _blocks("sh", "Set up and run")
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", makefile, flags=re.M), target


def test_python_quick_start_runs_as_printed(tmp_path: Path) -> None:
    (snippet,) = _blocks("python", "Quick start (Python)")
    assert len(snippet.strip().splitlines()) <= 12  # "a 10-line Python quick start"
    script = tmp_path / "quickstart_from_readme.py"
    script.write_text(snippet, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "█" in proc.stdout  # the QR code was rendered to the terminal


def _table_commands() -> list[list[str]]:
    """Every `anshim ...` command of the README's CLI table, with `a|b` alternatives expanded."""
    commands: list[list[str]] = []
    for line in README.splitlines():
        if not line.startswith("| `anshim"):
            continue
        first_cell = re.split(r"(?<!\\)\|", line)[1]
        for command in re.findall(r"`(anshim [^`]*)`", first_cell):
            words: list[list[str]] = [[]]
            for token in command.split()[1:]:
                if token.isupper() or token.startswith("-") or token in ("…", "..."):
                    break
                alternatives = token.replace("\\|", "|").split("|")
                words = [[*w, alt] for w in words for alt in alternatives]
            commands.extend(w for w in words if w)
    return commands


def test_the_cli_table_lists_the_main_commands() -> None:
    listed = {" ".join(c) for c in _table_commands()}
    for expected in (
        "key generate",
        "did create key",
        "did create web",
        "did resolve",
        "qr encode",
        "qr decode",
        "vc issue",
        "vc verify",
        "vp create",
        "vp verify",
        "status",
    ):
        assert expected in listed, (expected, sorted(listed))


@pytest.mark.parametrize("argv", _table_commands(), ids=" ".join)
def test_every_readme_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    assert "usage: anshim " + " ".join(argv) in capsys.readouterr().out
