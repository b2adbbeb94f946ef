"""``anshim registry …`` through did.cli.main (as the console script runs it) and once
through the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from did.cli import main
from protocol import derive_trace_seed
from registry import SCHEMA_VERSION
from registry._batchfile import encode_batch_file
from tests.registry.support import DAY, T0, make_venue, make_visit


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object, str]:
    try:
        code = main(["registry", *argv])
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 and out else out, err


@pytest.fixture
def folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "store"
    code, out, _ = run(capsys, "init", "--store", str(path))
    assert code == 0
    assert out["schema_version"] == SCHEMA_VERSION == 5
    return path


def test_import_stats_query_and_purge(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kit = make_venue(1, "wedding_hall")
    venues = tmp_path / "venues.json"
    venues.write_text(json.dumps([kit.venue.to_json()]))
    wallet = os.urandom(32)
    case = make_visit(kit, T0 + 12 * 3600, T0 + 14 * 3600, wallet=wallet)
    guests = [make_visit(kit, T0 + 12 * 3600 + 60 * i, T0 + 15 * 3600) for i in range(5)]
    old = make_visit(kit, T0 - 40 * 86400)
    batches = tmp_path / "batches.cbor"
    batches.write_bytes(
        encode_batch_file([[case.message(), *(g.message() for g in guests)], [old.message()]])
    )
    store = ["--store", str(folder)]
    code, out, _ = run(
        capsys, "import", *store, "--venues", str(venues), str(batches), "--now", str(T0 + 86400)
    )
    assert code == 0
    assert out == {
        "venues": 1,
        "batches": 2,
        "inserted": 7,
        "updated": 0,
        "unchanged": 0,
    }
    code, out, _ = run(capsys, "import", *store, str(batches), "--now", str(T0 + 86400))
    assert out["unchanged"] == 7  # type: ignore[index]

    code, out, _ = run(capsys, "stats", *store)
    assert [d["visits"] for d in out["days"]] == [1, 6]  # type: ignore[index]

    code, out, _ = run(
        capsys,
        "query",
        "contacts",
        *store,
        "--venue",
        kit.did,
        "--start",
        "2024-03-10T21:00:00+09:00",
        "--end",
        str(T0 + 14 * 3600),
        "--exclude",
        case.visit.visit_id.hex(),
    )
    assert code == 0
    assert {c["visit_id"] for c in out["contacts"]} == {g.visit.visit_id.hex() for g in guests}  # type: ignore[index]
    assert all(c["overlap_minutes"] >= 10 for c in out["contacts"])  # type: ignore[index]

    seeds = tmp_path / "seeds.json"
    seeds.write_text(json.dumps({"2024-03-10": derive_trace_seed(wallet, DAY).hex()}))
    code, out, _ = run(capsys, "query", "locators", *store, "--seeds", str(seeds))
    assert [v["visit_id"] for v in out["visits"]] == [case.visit.visit_id.hex()]  # type: ignore[index]

    code, out, _ = run(capsys, "purge", *store, "--now", str(T0 + 10 * 86400))
    assert out["purged_days"] == [DAY - 40]  # type: ignore[index]
    assert not (folder / f"visits-{DAY - 40}.sqlite3").exists()


def test_bad_input_is_exit_2_with_one_line(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", str(folder)]
    junk = tmp_path / "junk.cbor"
    junk.write_bytes(b"\xff\x00")
    forged = tmp_path / "forged.cbor"
    kit = make_venue(1)
    forged.write_bytes(encode_batch_file([[make_visit(kit, T0).message()]]))  # venue not registered
    cases = [
        ("import", *store, str(junk)),
        ("import", *store, str(forged)),
        ("import", *store, str(tmp_path / "missing.cbor")),
        ("query", "contacts", *store, "--venue", "nope", "--start", "1", "--end", "2"),
        (
            "query",
            "contacts",
            *store,
            "--venue",
            kit.did,
            "--start",
            "2024-03-10T00:00",
            "--end",
            "2",
        ),
        ("stats", "--store", str(tmp_path / "no-store-here")),
        ("stats", "--store", "mysql://x"),
    ]
    for argv in cases:
        code, _out, err = run(capsys, *argv)
        assert code == 2, argv
        assert len(err.strip().splitlines()) <= 2, argv
        assert "Traceback" not in err, argv
    code, _, err = run(
        capsys, "import", *store, str(forged), "--unsafe-no-verify", "--now", str(T0)
    )
    assert code == 0
    assert "warning" in err


def test_print_ddl(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "init", "--print-ddl", "citus")
    assert code == 0
    assert "SELECT create_distributed_table('visits', 'venue')" in out


def test_console_script(folder: Path) -> None:
    script = shutil.which("anshim") or str(Path(os.sys.executable).parent / "anshim")  # type: ignore[attr-defined]
    done = subprocess.run(
        [script, "registry", "stats", "--store", str(folder)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["days"] == []
    bad = subprocess.run(
        [script, "registry", "stats", "--store", str(folder / "nope")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1


def test_compact_rewrites_the_days_before_today_once(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kit = make_venue(1)
    batches = tmp_path / "batches.cbor"
    visits = [make_visit(kit, T0 + 86400 * d + 3600) for d in range(3)]
    batches.write_bytes(encode_batch_file([[v.message() for v in visits]]))
    venues = tmp_path / "venues.json"
    venues.write_text(json.dumps([kit.venue.to_json()]))
    store = ["--store", str(folder)]
    now = ["--now", str(T0 + 2 * 86400 + 7200)]  # the third day is today
    assert run(capsys, "import", *store, "--venues", str(venues), str(batches), *now)[0] == 0
    code, out, _ = run(capsys, "compact", *store, *now)
    assert (code, out) == (0, {"compacted_days": [DAY, DAY + 1], "not_stored": []})
    assert (folder / f"visits-{DAY}.g1.sqlite3").exists()
    code, out, _ = run(capsys, "compact", *store, *now)  # nothing left to do
    assert (code, out) == (0, {"compacted_days": [], "not_stored": []})
    code, out, _ = run(capsys, "compact", *store, "--day", str(DAY + 2), "--day", str(DAY + 9))
    assert (code, out) == (0, {"compacted_days": [DAY + 2], "not_stored": [DAY + 9]})
    code, out, err = run(capsys, "compact", *store, "--day", "yesterday")
    assert code == 2
    assert err.count("\n") == 1
    assert "yesterday" in err
    code, out, _ = run(capsys, "stats", *store)
    assert [d["visits"] for d in out["days"]] == [1, 1, 1]  # type: ignore[index]
