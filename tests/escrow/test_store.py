"""The custodian's store under failure (escrow._store module docstring, DESIGN.md "Shredding"):
a crash at any step of a rewrite leaves the old or the new store at the path, never the
random bytes that shred the old one; and the old inode's bytes really are overwritten."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import escrow._store as store_module
from did import KDF_TEST, RETENTION_DAYS, day_start
from did.errors import InputError, InvalidTime
from escrow import EpochShare, ShareStore, random_scalar
from tests.escrow.support import FIRST_EPOCH, PASS

CEREMONY = b"\x07" * 16


def _store_with_epochs(folder: Path, epochs: range) -> tuple[ShareStore, Path]:
    path = folder / "c.store"
    store = ShareStore.create(path, PASS, kdf=KDF_TEST)
    store.add_shares([EpochShare(e, 1, CEREMONY, random_scalar()) for e in epochs], PASS)
    return store, path


def _fail(*_args: object, **_kwargs: object) -> None:
    raise OSError("simulated crash")


OLD = tuple(range(FIRST_EPOCH, FIRST_EPOCH + 3))
NEW = (FIRST_EPOCH + 2,)


@pytest.mark.parametrize(
    ("step", "patch", "expected"),
    [
        # Step 1: the temporary file's fsync fails: the old store is untouched.
        ("fsync of the new file", ("os", "fsync", _fail), OLD),
        # Step 3: the rename fails: the old store is untouched.
        ("rename", ("os", "replace", _fail), OLD),
        # After the rename, the directory fsync fails: the path holds the new store.
        ("directory fsync", ("module", "_fsync_dir", _fail), NEW),
        # Step 4: overwriting the old inode fails: the path holds the new store.
        ("overwrite", ("module", "_overwrite_fd", _fail), NEW),
    ],
)
def test_shred_interrupted_at_each_step_leaves_a_loadable_store(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    patch: tuple[str, str, Callable[..., None]],
    expected: tuple[int, ...],
) -> None:
    store, path = _store_with_epochs(tmp_path, range(FIRST_EPOCH, FIRST_EPOCH + 3))
    target, name, replacement = patch
    monkeypatch.setattr(os if target == "os" else store_module, name, replacement)
    with pytest.raises(OSError, match="simulated crash"):
        store.shred(FIRST_EPOCH + 2, PASS)
    monkeypatch.undo()
    assert ShareStore.load(path, PASS).epochs() == expected, step
    # The in-memory store agrees with what the path holds.
    assert store.epochs() == expected, step
    # No temporary file is left behind when the failure came before the rename.
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert leftovers == [], step


def test_failed_rewrite_of_a_ceremony_keeps_the_old_shares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, path = _store_with_epochs(tmp_path, range(FIRST_EPOCH, FIRST_EPOCH + 1))
    monkeypatch.setattr(os, "replace", _fail)
    with pytest.raises(OSError, match="simulated crash"):
        store.add_shares([EpochShare(FIRST_EPOCH + 1, 1, CEREMONY, random_scalar())], PASS)
    monkeypatch.undo()
    assert store.epochs() == ShareStore.load(path, PASS).epochs() == (FIRST_EPOCH,)


def test_load_ignores_leftover_temporary_files(tmp_path: Path) -> None:
    store, path = _store_with_epochs(tmp_path, range(FIRST_EPOCH, FIRST_EPOCH + 2))
    # A crash between steps 1 and 3 can leave a temporary file; garbage there changes nothing.
    (path.parent / f".{path.name}.abc.tmp").write_bytes(os.urandom(300))
    (path.parent / f"{path.name}.new").write_bytes(os.urandom(300))
    assert ShareStore.load(path, PASS).epochs() == store.epochs()


def test_shred_overwrites_the_old_inode(tmp_path: Path) -> None:
    store, path = _store_with_epochs(tmp_path, range(FIRST_EPOCH, FIRST_EPOCH + 3))
    old_ciphertext = path.read_bytes()
    # A hard link shares the inode: after shredding, it shows what became of the old bytes.
    link = path.parent / "hard-link"
    os.link(path, link)
    store.shred(FIRST_EPOCH + 1, PASS)
    remains = link.read_bytes()
    assert len(remains) == len(old_ciphertext)
    assert remains != old_ciphertext
    # Random bytes: no 16-byte run of the old file survives (the header is gone too).
    assert not any(old_ciphertext[i : i + 16] in remains for i in range(0, len(remains) - 16, 16))
    # The path holds the new store, on a new inode.
    assert os.stat(path).st_ino != os.stat(link).st_ino
    assert ShareStore.load(path, PASS).epochs() == (FIRST_EPOCH + 1, FIRST_EPOCH + 2)


def test_shred_expired_keeps_exactly_the_retention_period(tmp_path: Path) -> None:
    # DESIGN.md "Shredding": epochs older than the retention period (did.RETENTION_DAYS,
    # the one 28-day constant) are destroyed; today and the 28 days before it stay.
    today = FIRST_EPOCH + RETENTION_DAYS + 2
    store, path = _store_with_epochs(tmp_path, range(FIRST_EPOCH, today + 1))
    now = day_start(today) + 3600
    gone = store.shred_expired(PASS, now=now)
    assert gone == (FIRST_EPOCH, FIRST_EPOCH + 1)
    assert ShareStore.load(path, PASS).epochs() == tuple(range(today - RETENTION_DAYS, today + 1))
    assert store.shred_expired(PASS, now=now) == ()
    # The zone decides "today": at 20:00 UTC it is already tomorrow in Korea (UTC+9).
    evening = day_start(today) + 20 * 3600
    assert store.shred_expired(PASS, now=evening) == ()
    assert store.shred_expired(PASS, now=evening, tz_offset=9 * 3600) == (today - RETENTION_DAYS,)
    assert store.shred_expired(PASS, now=now, retention_days=0) == tuple(
        range(today - RETENTION_DAYS + 1, today)
    )
    assert ShareStore.load(path, PASS).epochs() == (today,)
    with pytest.raises(InputError):
        store.shred_expired(PASS, now=now, retention_days=-1)
    with pytest.raises(InvalidTime):
        store.shred_expired(PASS, now=-5)
