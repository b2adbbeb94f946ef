"""``anshim case``: open a case and read its status from the command line; a directory that
does not match the pinned custodians is refused with exit status 2 and its code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from did.cli import main
from tests.escrow.support import World
from tests.investigator.support import AUTHORITY, INVESTIGATOR, ISSUER_DID, NOW


def test_open_then_status_names_the_next_step(
    escrow_world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pass").write_text("case passphrase\n")
    directory = tmp_path / "directory.cbor"
    directory.write_bytes(escrow_world.directory.to_bytes())
    custodians = [a for d in escrow_world.directory.custodians for a in ("--custodian", d)]
    common = ["--case", str(tmp_path / "case"), "--passphrase-file", str(tmp_path / "pass")]
    code = main(
        ["case", "open", *common, "--case-id", "JJ-7", "--investigator", INVESTIGATOR,
         "--authority", AUTHORITY, "--window", f"{NOW - 86400},{NOW}", "--directory",
         str(directory), "--issuer", ISSUER_DID, "--now", str(NOW), "--unsafe-fast-kdf",
         *custodians]
    )  # fmt: skip
    assert code == 0
    assert "--unsafe-fast-kdf" in capsys.readouterr().err
    assert main(["case", "status", *common]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["stage"] == "visits"
    assert status["next"].startswith("anshim case visits")
    # Custodians not pinned at open time: the directory is refused.
    code = main(
        ["case", "open", "--case", str(tmp_path / "other"), "--passphrase-file",
         str(tmp_path / "pass"), "--case-id", "JJ-8", "--investigator", INVESTIGATOR,
         "--authority", AUTHORITY, "--window", f"{NOW - 86400},{NOW}", "--directory",
         str(directory), "--custodian", INVESTIGATOR, "--unsafe-fast-kdf"]
    )  # fmt: skip
    assert code == 2
    assert "[caseInput]" in capsys.readouterr().err
