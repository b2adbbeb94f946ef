"""The ``anshim escrow`` commands end to end: ceremony, warrant, share, combine, log, shred."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from escrow_support import FIRST_EPOCH, NOW, VENUE, visit

import escrow
from escrow._cli import register


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    parser = argparse.ArgumentParser(prog="anshim")
    register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code = args.handler(args)
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def test_cli_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANSHIM_PASSPHRASE", "cli passphrase")
    fast = ["--unsafe-fast-kdf"]
    dids = []
    for i in range(3):
        _, out = _run(["escrow", "keygen", "--store", str(tmp_path / f"s{i}"), *fast], capsys)
        dids.append(str(out["did"]))
    roster = str(tmp_path / "roster")
    custodians = [a for d in dids for a in ("--custodian", d)]
    _run(
        [
            "escrow",
            "ceremony",
            "init",
            *custodians,
            "--threshold",
            "2",
            "--first-epoch",
            "2024-10-04",
            "--epochs",
            "2",
            "--out",
            roster,
        ],
        capsys,
    )
    for i in range(3):
        _run(
            [
                "escrow",
                "ceremony",
                "deal",
                "--roster",
                roster,
                "--store",
                str(tmp_path / f"s{i}"),
                "--out",
                str(tmp_path / f"deal{i}"),
                *fast,
            ],
            capsys,
        )
    deals = [a for i in range(3) for a in ("--deal", str(tmp_path / f"deal{i}"))]
    for i in range(3):
        _run(
            [
                "escrow",
                "ceremony",
                "finalize",
                "--roster",
                roster,
                *deals,
                "--store",
                str(tmp_path / f"s{i}"),
                "--out",
                str(tmp_path / f"sig{i}"),
                *fast,
            ],
            capsys,
        )
    directory = str(tmp_path / "directory")
    sigs = [a for i in range(3) for a in ("--sig", str(tmp_path / f"sig{i}"))]
    _, out = _run(
        ["escrow", "ceremony", "publish", "--roster", roster, *sigs, "--out", directory], capsys
    )
    assert out["epochs"] == [FIRST_EPOCH, FIRST_EPOCH + 1]

    warrant = str(tmp_path / "warrant")
    window = f"{VENUE},3600,{FIRST_EPOCH * 86400},{(FIRST_EPOCH + 1) * 86400}"
    _run(
        [
            "escrow",
            "warrant",
            "create",
            "--case",
            "C1",
            "--purpose",
            "tracing",
            "--investigator",
            "did:key:z6MkInv",
            "--venue",
            window,
            "--out",
            warrant,
            "--now",
            str(NOW),
        ],
        capsys,
    )
    log = str(tmp_path / "log")
    for i in range(2):
        _run(
            [
                "escrow",
                "warrant",
                "approve",
                "--warrant",
                warrant,
                "--store",
                str(tmp_path / f"s{i}"),
                "--log",
                log,
                "--now",
                str(NOW),
                *fast,
            ],
            capsys,
        )
    code, out = _run(
        [
            "escrow",
            "warrant",
            "verify",
            "--warrant",
            warrant,
            "--directory",
            directory,
            "--now",
            str(NOW),
        ],
        capsys,
    )
    assert code == 0
    assert out["valid"] is True

    d = escrow.EpochKeyDirectory.from_bytes(Path(directory).read_bytes())
    w = escrow.Warrant.from_bytes(Path(warrant).read_bytes())
    env = escrow.seal(d.get_key(FIRST_EPOCH), visit(1), b"+82-10-1234-5678", pad_to=64)
    request = tmp_path / "request"
    request.write_bytes(escrow.UnsealRequest(w.warrant_id, ((env, visit(1)),)).to_bytes())
    for i in (0, 2):
        _run(
            [
                "escrow",
                "share",
                "--warrant",
                warrant,
                "--request",
                str(request),
                "--directory",
                directory,
                "--store",
                str(tmp_path / f"s{i}"),
                "--out",
                str(tmp_path / f"batch{i}"),
                "--log",
                log,
                "--now",
                str(NOW),
                *fast,
            ],
            capsys,
        )
    code, out = _run(
        [
            "escrow",
            "combine",
            "--request",
            str(request),
            "--directory",
            directory,
            "--batch",
            str(tmp_path / "batch0"),
            "--batch",
            str(tmp_path / "batch2"),
            "--out-dir",
            str(tmp_path / "opened"),
        ],
        capsys,
    )
    assert code == 0
    assert (tmp_path / "opened" / f"{env.envelope_id}.bin").read_bytes() == b"+82-10-1234-5678"

    _run(
        [
            "escrow",
            "log",
            "head",
            "--log",
            log,
            "--store",
            str(tmp_path / "s0"),
            "--now",
            str(NOW),
            *fast,
        ],
        capsys,
    )
    code, out = _run(["escrow", "log", "verify", "--log", log, "--directory", directory], capsys)
    assert out == {"entries": 4, "heads": 1, "valid": True}

    code, out = _run(
        [
            "escrow",
            "shred",
            "--store",
            str(tmp_path / "s0"),
            "--before",
            str(FIRST_EPOCH + 1),
            *fast,
        ],
        capsys,
    )
    assert out["shredded_epochs"] == [FIRST_EPOCH]
    assert out["remaining"] == [FIRST_EPOCH + 1]
