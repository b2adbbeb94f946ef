"""One writer per store (issue 9 section 4 item 8): two ``Wallet`` objects on one file lost
receipts, the second save silently dropping the first's. A wallet now holds the store's
lock until it is closed, and refuses to save over a file that changed behind its back."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from tests.wallet.support import NOW, PASS, checked_in, new_wallet, receipt_for, venue_keys
from wallet import StoreChanged, Wallet, WalletClosed, WalletLocked

_OTHER_PROCESS = """
import sys
from wallet import Wallet, WalletLocked
try:
    Wallet.open(sys.argv[1], sys.argv[2], now=int(sys.argv[3]))
except WalletLocked as exc:
    print(exc.code)
else:
    print("opened")
"""


def _visit(w: Wallet, now: int) -> bytes:
    data, pid = checked_in(w, now=now)
    return receipt_for(data, pid, time_in=now)


def _in_another_process(path: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, str(path), PASS, str(NOW)],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_two_wallet_objects_on_one_file_cannot_drop_receipts(tmp_path: Path) -> None:
    first = new_wallet(tmp_path)
    with pytest.raises(WalletLocked) as info:
        Wallet.open(first.path, PASS, now=NOW)
    assert info.value.code == "walletLocked"
    assert info.value.user_message
    assert _in_another_process(first.path) == "walletLocked"
    first.accept_receipt(_visit(first, NOW), venue_key=venue_keys, now=NOW)
    first.close()
    with Wallet.open(first.path, PASS, now=NOW) as second:
        assert _in_another_process(first.path) == "walletLocked"
        second.accept_receipt(_visit(second, NOW + 60), venue_key=venue_keys, now=NOW + 60)
    assert _in_another_process(first.path) == "opened"
    with Wallet.open(first.path, PASS, now=NOW + 60) as third:
        assert [v.time_in for v in third.visits()] == [NOW, NOW + 60]


def test_a_store_changed_behind_the_wallets_back_is_not_overwritten(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    first = _visit(w, NOW)
    later, later_pid = checked_in(w, now=NOW + 30)
    backup = w.path.read_bytes()
    w.accept_receipt(first, venue_key=venue_keys, now=NOW + 30)
    # A program that ignores the lock (here: a backup restored over the store) changes it.
    w.path.write_bytes(backup)
    with pytest.raises(StoreChanged) as info:
        checked_in(w, now=NOW + 60)  # not saved, so never returned: nothing is sent
    assert info.value.code == "storeChanged"
    assert w.path.read_bytes() == backup  # not overwritten: what it holds now is kept
    assert [v.time_in for v in w.visits()] == [NOW]  # and the wallet in memory is unchanged
    w.path.unlink()
    with pytest.raises(StoreChanged):
        w.accept_receipt(
            receipt_for(later, later_pid, time_in=NOW + 30), venue_key=venue_keys, now=NOW + 60
        )
    assert not w.path.exists()


def test_a_closed_wallet_saves_nothing_and_frees_the_store(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    w.close()
    with Wallet.open(w.path, PASS, now=NOW) as again:
        assert not again.closed
    assert again.closed
    with pytest.raises(WalletClosed) as info:
        again.save(now=NOW)
    assert info.value.code == "walletClosed"
    with pytest.raises(WalletClosed):
        checked_in(again)
    w.close()  # closing twice is harmless
    Wallet.open(w.path, PASS, now=NOW).close()


def test_a_forgotten_wallet_frees_its_lock(tmp_path: Path) -> None:
    path = new_wallet(tmp_path).path  # never closed: dropped at once
    gc.collect()
    with Wallet.open(path, PASS, now=NOW) as again:
        assert not again.closed
