"""The case folder: the case record, sealed files that only the passphrase opens, and a
hash-chained step log that survives a torn append and refuses an edited history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from investigator import CaseFolder, CaseRecord
from investigator.errors import CaseCorrupted, CaseExists, CaseInputError, CaseLocked, CaseNotFound
from tests.escrow.support import World
from tests.investigator.support import NOW, PASS, new_case


def test_a_case_opens_again_only_with_its_passphrase(escrow_world: World, tmp_path: Path) -> None:
    case = new_case(escrow_world, tmp_path / "c")
    case.folder.write_secret("warrants/r1-identities/result.enc", b"names and numbers")
    raw = (tmp_path / "c" / "warrants/r1-identities/result.enc").read_bytes()
    assert b"names" not in raw
    assert (
        CaseFolder.load(tmp_path / "c", PASS).read_secret("warrants/r1-identities/result.enc")
        == b"names and numbers"
    )
    with pytest.raises(CaseLocked):
        CaseFolder.load(tmp_path / "c", "wrong passphrase")
    with pytest.raises(CaseLocked):
        CaseFolder.load(tmp_path / "c").read_secret("warrants/r1-identities/result.enc")
    with pytest.raises(CaseExists):
        new_case(escrow_world, tmp_path / "c")
    with pytest.raises(CaseNotFound):
        CaseFolder.load(tmp_path / "nothing")


def test_a_sealed_file_moved_to_another_name_is_refused(
    escrow_world: World, tmp_path: Path
) -> None:
    case = new_case(escrow_world, tmp_path / "c")
    case.folder.write_secret("warrants/r1-identities/result.enc", b"round one")
    moved = case.folder.read_bytes("warrants/r1-identities/result.enc")
    case.folder.write_bytes("warrants/r2-identities/result.enc", moved)
    with pytest.raises(CaseCorrupted):
        case.folder.read_secret("warrants/r2-identities/result.enc")


def test_the_log_drops_a_torn_last_line_and_refuses_an_edited_history(
    escrow_world: World, tmp_path: Path
) -> None:
    case = new_case(escrow_world, tmp_path / "c")
    case.log("visits", {"stays": 3}, now=NOW)
    log = tmp_path / "c" / "log.jsonl"
    with open(log, "ab") as fh:
        fh.write(b'{"seq": 2, "at": 1')  # a crash in the middle of an append
    assert [e.step for e in case.folder.entries()] == ["open", "visits"]
    case.log("contacts", {"contacts": 9}, now=NOW)
    assert [e.step for e in case.folder.entries()] == ["open", "visits", "contacts"]
    lines = log.read_bytes().splitlines()
    edited = json.loads(lines[1])
    edited["what"]["stays"] = 2
    lines[1] = json.dumps(edited, sort_keys=True).encode()
    log.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(CaseCorrupted, match="line 3"):
        case.folder.entries()


def test_file_names_cannot_leave_the_folder(escrow_world: World, tmp_path: Path) -> None:
    case = new_case(escrow_world, tmp_path / "c")
    for name in ("../x", "/etc/passwd", ""):
        with pytest.raises(CaseInputError):
            case.folder.file(name)


def test_case_records_refuse_bad_windows_and_case_ids() -> None:
    good = {
        "case_id": "JJ-1",
        "investigator": "did:key:z6MkX",
        "authority": "did:web:a.example",
        "window_start": 10,
        "window_end": 20,
        "onset": 10,
    }
    assert CaseRecord.from_json(CaseRecord(**good).to_json()) == CaseRecord(**good)  # type: ignore[arg-type]
    for bad in ({"window_end": 5}, {"window_end": 10 + 61 * 86400}, {"case_id": "no spaces"}):
        with pytest.raises(CaseInputError):
            CaseRecord(**{**good, **bad})  # type: ignore[arg-type]
    with pytest.raises(CaseInputError):
        CaseRecord.from_json({**good, "surprise": 1})
