"""The ``anshim escrow`` commands end to end: ceremony, warrant, share, combine, log, shred."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import pytest

import escrow
from did import KDF_TEST
from escrow import random_scalar
from escrow._cli import register
from escrow.errors import WarrantExpired
from tests.escrow.support import FIRST_EPOCH, NOW, VENUE, visit


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


def _run_err(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="anshim")
    register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code = args.handler(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _warrant_file(tmp_path: Path, *, expires: int) -> str:
    window = ((FIRST_EPOCH * 86400, (FIRST_EPOCH + 1) * 86400),)
    warrant = escrow.Warrant.create(
        case_id="CASE-42",
        purpose="measles exposure",
        investigator="did:key:z6MkInvestigatorX",
        scope=escrow.WarrantScope(venues=(escrow.VenueScope(VENUE, 3600, window),)),
        issued=NOW - 60,
        expires=expires,
    )
    path = tmp_path / "warrant"
    path.write_bytes(warrant.to_bytes())
    return str(path)


def test_approve_and_share_require_an_audit_log_or_an_explicit_unsafe_flag(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("ANSHIM_PASSPHRASE", "cli passphrase")
    store = str(tmp_path / "s")
    caplog.set_level(logging.WARNING, logger="escrow._cli")
    _, _, err = _run_err(["escrow", "keygen", "--store", store, "--unsafe-fast-kdf"], capsys)
    assert "warning" in err
    assert "--unsafe-fast-kdf" in err
    # STYLE.md habit 5: a weakening option also logs a warning.
    assert [r.levelno for r in caplog.records if "--unsafe-fast-kdf" in r.getMessage()] == [
        logging.WARNING
    ]
    warrant = _warrant_file(tmp_path, expires=NOW + 86400)
    base = ["escrow", "warrant", "approve", "--warrant", warrant, "--store", store]
    # Neither --log nor --unsafe-no-log: a usage error; both: also one.
    for extra in ([], ["--log", str(tmp_path / "log"), "--unsafe-no-log"]):
        with pytest.raises(SystemExit) as info:
            _run_err([*base, *extra, "--now", str(NOW)], capsys)
        assert info.value.code == 2
    share = ["escrow", "share", "--warrant", warrant, "--request", "r", "--directory", "d"]
    with pytest.raises(SystemExit):
        _run_err([*share, "--store", store, "--out", "o"], capsys)
    # The explicit opt-out works and says so on stderr; nothing is logged.
    caplog.clear()
    code, _, err = _run_err([*base, "--unsafe-no-log", "--now", str(NOW)], capsys)
    assert code == 0
    assert "warning: --unsafe-no-log" in err
    assert any("--unsafe-no-log" in r.getMessage() for r in caplog.records)
    assert not (tmp_path / "log").exists()
    # What is approved is shown: case, purpose, investigator, scope, expiry.
    for shown in ("CASE-42", "measles exposure", "did:key:z6MkInvestigatorX", VENUE, "expires"):
        assert shown in err
    assert len(escrow.Warrant.from_bytes(Path(warrant).read_bytes()).approvals) == 1


def test_approve_refuses_an_expired_warrant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANSHIM_PASSPHRASE", "cli passphrase")
    store = str(tmp_path / "s")
    _run_err(["escrow", "keygen", "--store", store, "--unsafe-fast-kdf"], capsys)
    warrant = _warrant_file(tmp_path, expires=NOW + 60)
    log = tmp_path / "log"
    argv = ["escrow", "warrant", "approve", "--warrant", warrant, "--store", store]
    with pytest.raises(WarrantExpired):
        _run_err([*argv, "--log", str(log), "--now", str(NOW + 60)], capsys)
    assert escrow.Warrant.from_bytes(Path(warrant).read_bytes()).approvals == ()
    assert not log.exists()
    code, _, _ = _run_err([*argv, "--log", str(log), "--now", str(NOW)], capsys)
    assert code == 0
    assert log.exists()


def test_warrant_show_prints_what_the_warrant_covers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warrant = _warrant_file(tmp_path, expires=NOW + 86400)
    code, out, _ = _run_err(["escrow", "warrant", "show", warrant], capsys)
    assert code == 0
    shown = json.loads(out)
    assert shown["case_id"] == "CASE-42"
    assert shown["purpose"] == "measles exposure"
    assert shown["investigator"] == "did:key:z6MkInvestigatorX"
    assert shown["expires"] == "2024-10-05T12:00:00Z"
    assert shown["scope"]["venues"] == [
        {
            "venue": VENUE,
            "max_stay_s": 3600,
            "windows": [["2024-10-04T00:00:00Z", "2024-10-05T00:00:00Z"]],
        }
    ]
    assert shown["approvals"] == []


def test_shred_defaults_to_the_28_day_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANSHIM_PASSPHRASE", "cli passphrase")
    path = tmp_path / "s"
    store = escrow.ShareStore.create(path, "cli passphrase", kdf=KDF_TEST)
    epochs = range(FIRST_EPOCH, FIRST_EPOCH + 5)
    store.add_shares(
        [escrow.EpochShare(e, 1, b"\x01" * 16, random_scalar()) for e in epochs], "cli passphrase"
    )
    # Now is day FIRST_EPOCH + 30 (midday): epochs before FIRST_EPOCH + 2 are past retention.
    now = (FIRST_EPOCH + 30) * 86400 + 43200
    argv = ["escrow", "shred", "--store", str(path), "--unsafe-fast-kdf", "--now", str(now)]
    code, out, _ = _run_err(argv, capsys)
    assert code == 0
    assert json.loads(out)["shredded_epochs"] == [FIRST_EPOCH, FIRST_EPOCH + 1]
    assert escrow.ShareStore.load(path, "cli passphrase").epochs() == tuple(epochs)[2:]
