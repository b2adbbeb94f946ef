"""The wallet's one encrypted store: round trip, wrong passphrase, corruption, a crash in
the middle of a save, and no Argon2id on ordinary saves."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import did._keyfile
from did import KDF_TEST, cbor, read_public
from protocol import Channel
from tests.wallet.support import NOW, PASS, REGISTRY, VENUE, new_wallet, receipt_for, world
from wallet import Wallet, WalletCorrupted, WrongPassphrase, _store
from wallet._pending import PendingCheckIn, PendingCheckOut, StoredReceipt

PSEUDONYM = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def _reopen(w: Wallet, passphrase: str = PASS, *, now: int = NOW) -> Wallet:
    """Close ``w`` (one wallet per store) and open its store again."""
    w.close()
    return Wallet.open(w.path, passphrase, now=now)


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    again = _reopen(w)
    assert again.holder_did == w.holder_did
    assert again.registry_key == REGISTRY.public_key
    assert again.credential is not None
    assert w.credential is not None
    assert again.credential.compact.cbor == w.credential.compact.cbor
    assert again.custodians == (world().directory.custodians, 3)
    assert read_public(w.path.read_bytes())["wallet"] == 2
    assert "secret" not in repr(again)
    assert PASS not in w.path.read_text()


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    w = new_wallet(tmp_path, enrolled=False)
    custodians = world().directory.custodians
    for still_open in (True, False):
        if not still_open:
            w.close()
        with pytest.raises(FileExistsError):
            Wallet.create(
                w.path,
                PASS,
                registry_key=REGISTRY.public_key,
                custodians=custodians,
                threshold=3,
                kdf=KDF_TEST,
            )


def test_wrong_passphrase(tmp_path: Path) -> None:
    w = new_wallet(tmp_path, enrolled=False)
    w.close()
    with pytest.raises(WrongPassphrase) as info:
        Wallet.open(w.path, "not the passphrase", now=NOW)
    assert info.value.code == "wrongPassphrase"


def test_change_passphrase(tmp_path: Path) -> None:
    w = new_wallet(tmp_path, enrolled=False)
    w.change_passphrase("new passphrase", now=NOW)
    w.close()
    with pytest.raises(WrongPassphrase):
        Wallet.open(w.path, PASS, now=NOW)
    assert Wallet.open(w.path, "new passphrase", now=NOW).holder_did == w.holder_did


@pytest.mark.parametrize("where", ["ciphertext", "truncated", "json", "empty"])
def test_corruption_is_reported_as_corruption(tmp_path: Path, where: str) -> None:
    w = new_wallet(tmp_path, enrolled=False)
    w.close()
    data = bytearray(w.path.read_bytes())
    if where == "ciphertext":
        i = data.index(b'"ciphertext":"') + 40
        data[i] = ord("A") if data[i] != ord("A") else ord("B")
    elif where == "truncated":
        data = data[: len(data) // 2]
    elif where == "json":
        data[0] = ord("[")
    else:
        data = bytearray()
    w.path.write_bytes(bytes(data))
    with pytest.raises(WalletCorrupted) as info:
        Wallet.open(w.path, PASS, now=NOW)
    assert info.value.code == "walletCorrupted"


def test_saves_do_not_rerun_argon2id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = new_wallet(tmp_path, enrolled=False)
    calls = []
    real = did._keyfile._derive
    monkeypatch.setattr(did._keyfile, "_derive", lambda *a: calls.append(1) or real(*a))
    before = w.path.read_bytes()
    w.save(now=NOW)
    w.save(now=NOW)
    assert calls == []
    after = w.path.read_bytes()
    assert before != after  # a fresh nonce every time
    assert _reopen(w).holder_did == w.holder_did
    assert calls == [1]


class Killed(BaseException):
    """Stands for a signal delivered in the middle of a save (not an Exception)."""


def test_crash_before_replace_leaves_the_old_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = new_wallet(tmp_path, enrolled=False)
    old = w.path.read_bytes()

    def killed(*_: object) -> None:
        raise Killed

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(Killed):
        w.change_passphrase("a new passphrase", now=NOW)
    monkeypatch.undo()
    assert w.path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert _reopen(w).holder_did == w.holder_did


_SAVER = """
import sys
from wallet import Wallet
w = Wallet.open(sys.argv[1], sys.argv[2], now=int(sys.argv[3]))
print("ready", flush=True)
while True:
    w.save(now=int(sys.argv[3]))
"""


def test_killed_mid_save_leaves_a_whole_store(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    w.close()  # the saver process takes the store's lock; the kernel frees it on SIGKILL
    for _ in range(3):
        with subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(w.path), PASS, str(NOW)],
            stdout=subprocess.PIPE,
        ) as proc:
            assert proc.stdout is not None
            assert proc.stdout.readline() == b"ready\n"
            time.sleep(0.15)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        with Wallet.open(w.path, PASS, now=NOW) as again:
            assert again.holder_did == w.holder_did


def test_state_decoder_is_strict() -> None:
    state = _store.State(
        secret=b"\x01" * 32,
        holder_seed=b"\x02" * 32,
        registry_key=b"\x03" * 32,
        custodians=("did:key:z6MkCustodian",),
        threshold=1,
    )
    assert _store.State.from_cbor(state.to_cbor()).to_cbor() == state.to_cbor()
    for bad in (b"", b"\xa0", state.to_cbor()[:-1], state.to_cbor() + b"\x00"):
        with pytest.raises(WalletCorrupted):
            _store.State.from_cbor(bad)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 40), st.integers(0, 32), st.integers(0, 32))
def test_the_state_encoding_is_the_deterministic_cbor_of_its_map(
    receipts: int, checkins: int, checkouts: int
) -> None:
    # State.to_cbor joins each entry's CBOR made once; it must be did.cbor.encode's bytes.
    state = _store.State(
        secret=b"\x01" * 32,
        holder_seed=b"\x02" * 32,
        registry_key=b"\x03" * 32,
        custodians=tuple(world().directory.custodians),
        threshold=3,
        directory=b"d" * 300,
        diary=[
            StoredReceipt.new(
                receipt_for(b"c", PSEUDONYM, visit_id=i.to_bytes(16, "big")), bytes([i]) * 32
            )
            for i in range(receipts)
        ],
        checkins=[
            PendingCheckIn(
                bytes(32), None if i % 2 else VENUE, PSEUDONYM, i, Channel(i % 3), bytes(32)
            )
            for i in range(checkins)
        ],
        checkouts=[PendingCheckOut(VENUE, PSEUDONYM, 2**31 + i) for i in range(checkouts)],
    )
    encoded = state.to_cbor()
    assert encoded == cbor.encode(state._map())
    assert _store.State.from_cbor(encoded).to_cbor() == encoded
    empty = dataclasses.replace(state, checkins=[], checkouts=[])
    assert state.size_without_pending() == len(empty.to_cbor())
