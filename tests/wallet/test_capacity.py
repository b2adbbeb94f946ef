"""The store's caps hold on every save, not only on open (issue 5 review, item 1): a flood
of receipts is refused with ``DiaryFull`` and the wallet still opens with every receipt it
accepted; expired receipts are deleted first, so room comes back as visits age. Pending
check-ins always have room: the rest of the state leaves ``PENDING_RESERVE`` bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from did import KDF_TEST, derive_key
from protocol import Channel
from tests.wallet.support import (
    DAY,
    NOW,
    PASS,
    checked_in,
    new_wallet,
    receipt_for,
    venue_keys,
)
from wallet import DiaryFull, StoreFull, Wallet, _pending, _store


def _visit(w: Wallet, now: int) -> bytes:
    """A check-in of ``w`` at ``now`` and the venue's receipt for it."""
    data, pid = checked_in(w, now=now)
    return receipt_for(data, pid, time_in=now)


def _old_entries(count: int, *, time_in: int) -> list[_pending.StoredReceipt]:
    """``count`` distinct diary entries (visit ids 0 …) with time in ``time_in``."""
    return [
        _pending.StoredReceipt.new(
            receipt_for(
                b"old check-in",
                "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                visit_id=i.to_bytes(16, "big"),
                time_in=time_in,
            ),
            bytes(32),
        )
        for i in range(count)
    ]


def test_regression_a_month_of_receipts_still_opens(tmp_path: Path) -> None:
    # A store over about 12 KiB (some 36 receipts beside the credential and directory) was
    # written but could not be read back: did.keyfile decoded the ciphertext under the
    # bound meant for keys, so Wallet.open said the store was damaged.
    w = new_wallet(tmp_path)
    for i in range(120):
        w.accept_receipt(_visit(w, NOW + i), venue_key=venue_keys, now=NOW + i)
    w.close()
    with Wallet.open(w.path, PASS, now=NOW + 120) as again:
        assert len(again.visits()) == 120


def test_receipts_past_the_count_cap_are_refused_and_the_wallet_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reviewer's case: the count cap used to be checked on open only, so one receipt
    # too many made the next Wallet.open fail with WalletCorrupted.
    monkeypatch.setattr(_store, "MAX_DIARY", 3)
    w = new_wallet(tmp_path)
    first, second, third, fourth = (_visit(w, NOW + i) for i in range(4))
    for receipt in (first, second, third):
        w.accept_receipt(receipt, venue_key=venue_keys, now=NOW + 4)
    with pytest.raises(DiaryFull) as info:
        w.accept_receipt(fourth, venue_key=venue_keys, now=NOW + 4)
    assert info.value.code == "diaryFull"
    assert "diary is full" in info.value.user_message
    # A receipt already kept is accepted again without needing room.
    w.accept_receipt(second, venue_key=venue_keys, now=NOW + 4)
    assert len(w.visits()) == 3
    w.close()
    with Wallet.open(w.path, PASS, now=NOW + 4) as again:
        assert len(again.visits()) == 3


def test_a_flood_of_receipts_stops_at_the_byte_cap_and_the_wallet_still_opens(
    tmp_path: Path,
) -> None:
    w = new_wallet(tmp_path)
    w.close()
    # Fill most of the diary through the store itself (accepting ~800 receipts one by one
    # re-encrypts the whole store each time) with visits that pass the retention period
    # an hour from now, then flood today's.
    state, key, _ = _store.read_store(w.path, PASS)
    state.diary = _old_entries(800, time_in=NOW - 28 * DAY + 3600)
    _store.write_store(w.path, state, key)
    w = Wallet.open(w.path, PASS, now=NOW)
    accepted = 0
    refused: bytes | None = None
    for i in range(200):
        receipt = _visit(w, NOW + i)
        try:
            w.accept_receipt(receipt, venue_key=venue_keys, now=NOW + i)
        except DiaryFull:
            refused = receipt
            break
        accepted += 1
    assert refused is not None
    assert 0 < accepted < 200
    assert len(w.visits()) == 800 + accepted
    # Signing a check-in still works with the diary full: its pending entry has room.
    checked_in(w, now=NOW + 300)
    w.close()
    reopened = Wallet.open(w.path, PASS, now=NOW + 300)
    assert len(reopened.visits()) == 800 + accepted
    # The refused receipt was not kept, in memory or on disk.
    assert refused not in [v.receipt for v in reopened.visits()]
    # Two hours later the 800 old visits are past retention: they are deleted first and
    # the refused receipt (its check-in still pending) fits.
    later = NOW + 2 * 3600
    assert reopened.accept_receipt(refused, venue_key=venue_keys, now=later).time_in == (
        NOW + accepted
    )
    reopened.close()
    with Wallet.open(w.path, PASS, now=later) as again:
        assert len(again.visits()) == accepted + 1


def _state() -> _store.State:
    return _store.State(
        secret=b"\x01" * 32,
        holder_seed=b"\x02" * 32,
        registry_key=b"\x03" * 32,
        custodians=("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",),
        threshold=1,
    )


def test_write_store_refuses_what_read_store_would_refuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = _state()
    key = derive_key(PASS, kdf=KDF_TEST)
    path = tmp_path / "s.wallet"
    _store.write_store(path, state, key)
    before = path.read_bytes()
    state.credential = b"\x00" * _store.MAX_STATE_BYTES
    with pytest.raises(StoreFull):
        _store.write_store(path, state, key)
    # Under the byte cap, but not leaving the pending visits their reserve.
    state.credential = b"\x00" * (_store.MAX_STATE_BYTES - _store.PENDING_RESERVE)
    with pytest.raises(StoreFull):
        _store.write_store(path, state, key)
    state.credential = None
    monkeypatch.setattr(_store, "MAX_DIARY", 10)
    state.diary = _old_entries(11, time_in=NOW)
    with pytest.raises(StoreFull):
        _store.write_store(path, state, key)
    assert path.read_bytes() == before
    # At exactly the count cap the store is written and opens again.
    state.diary = state.diary[:10]
    _store.write_store(path, state, key)
    assert len(_store.read_store(path, PASS)[0].diary) == 10


def test_the_pending_reserve_holds_the_largest_pending_visits(tmp_path: Path) -> None:
    state = _state()
    venue = "did:web:" + "v" * 56
    assert len(venue) == 64  # protocol.MAX_VENUE_DID_CHARS
    pseudonym = "did:key:z6Mk" + "x" * 52
    state.checkins = [
        _pending.PendingCheckIn(
            bytes(32), venue, pseudonym, 2**32 - 1, Channel.HOLDER_SHOWN, bytes(32)
        )
        for _ in range(_pending.MAX_PENDING)
    ]
    state.checkouts = [
        _pending.PendingCheckOut(venue, pseudonym, 2**32 - 1) for _ in range(_pending.MAX_PENDING)
    ]
    encoded = len(state.to_cbor()) - state.size_without_pending()
    assert 0 < encoded <= _store.PENDING_RESERVE
