"""The store's caps hold on every save, not only on open (issue 5 review, item 1): a flood
of receipts is refused with ``DiaryFull`` and the wallet still opens with every receipt it
accepted; expired receipts are deleted first, so room comes back as visits age."""

from __future__ import annotations

from pathlib import Path

import pytest

from did.keyfile import KDF_TEST, derive_key
from protocol import CheckIn, HealthDeclaration
from tests.wallet.support import DAY, NOW, PASS, new_wallet, poster, receipt_for, venue_keys
from wallet import DiaryFull, StoreFull, Wallet, _store

CLEAR = HealthDeclaration(False, False)


def _checked_in(tmp: Path) -> tuple[Wallet, bytes, str]:
    w = new_wallet(tmp)
    data = w.check_in(w.scan(poster(), now=NOW), declaration=CLEAR, now=NOW)
    return w, data, CheckIn.parse_unverified(data)[1].pseudonym


def _receipts(
    data: bytes, pseudonym: str, count: int, *, start: int = 0, time_in: int = NOW
) -> list[bytes]:
    """``count`` distinct receipts (visit ids ``start`` …) for one pseudonym of the wallet."""
    return [
        receipt_for(data, pseudonym, visit_id=i.to_bytes(16, "big"), time_in=time_in)
        for i in range(start, start + count)
    ]


def test_regression_a_month_of_receipts_still_opens(tmp_path: Path) -> None:
    # A store over about 12 KiB (some 36 receipts beside the credential and directory) was
    # written but could not be read back: did.keyfile decoded the ciphertext under the
    # bound meant for keys, so Wallet.open said the store was damaged.
    w, data, pid = _checked_in(tmp_path)
    for receipt in _receipts(data, pid, 120):
        w.accept_receipt(receipt, venue_key=venue_keys, now=NOW)
    assert len(Wallet.open(w.path, PASS, now=NOW).visits()) == 120


def test_receipts_past_the_count_cap_are_refused_and_the_wallet_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reviewer's case: the count cap used to be checked on open only, so one receipt
    # too many made the next Wallet.open fail with WalletCorrupted.
    monkeypatch.setattr(_store, "MAX_DIARY", 3)
    w, data, pid = _checked_in(tmp_path)
    first, second, third, fourth = _receipts(data, pid, 4)
    for receipt in (first, second, third):
        w.accept_receipt(receipt, venue_key=venue_keys, now=NOW)
    with pytest.raises(DiaryFull) as info:
        w.accept_receipt(fourth, venue_key=venue_keys, now=NOW)
    assert info.value.code == "diary_full"
    assert "diary is full" in info.value.user_message
    # A receipt already kept is accepted again without needing room.
    w.accept_receipt(second, venue_key=venue_keys, now=NOW)
    assert len(w.visits()) == 3
    assert len(Wallet.open(w.path, PASS, now=NOW).visits()) == 3


def test_a_flood_of_receipts_stops_at_the_byte_cap_and_the_wallet_still_opens(
    tmp_path: Path,
) -> None:
    w, data, pid = _checked_in(tmp_path)
    # Fill most of the diary through the store itself (accepting ~1,100 receipts one by one
    # re-encrypts the whole store each time) with visits 27 days old, then flood today's.
    state, key = _store.read_store(w.path, PASS)
    state.diary = _receipts(data, pid, 1050, time_in=NOW - 27 * DAY)
    _store.write_store(w.path, state, key)
    w = Wallet.open(w.path, PASS, now=NOW)
    extra = _receipts(data, pid, 150, start=1050)
    accepted = 0
    refusal: DiaryFull | None = None
    for receipt in extra:
        try:
            w.accept_receipt(receipt, venue_key=venue_keys, now=NOW)
        except DiaryFull as exc:
            refusal = exc
            break
        accepted += 1
    assert refusal is not None
    assert 0 < accepted < len(extra)
    assert len(w.visits()) == 1050 + accepted
    reopened = Wallet.open(w.path, PASS, now=NOW)
    assert len(reopened.visits()) == 1050 + accepted
    # The refused receipt was not kept, in memory or on disk.
    refused = extra[accepted]
    assert refused not in [v.receipt for v in reopened.visits()]
    assert refused not in [v.receipt for v in w.visits()]
    # Two days later the 1050 old visits are past retention: they are deleted first and
    # the refused receipt fits.
    later = NOW + 2 * DAY
    assert reopened.accept_receipt(refused, venue_key=venue_keys, now=later).time_in == NOW
    assert len(Wallet.open(w.path, PASS, now=later).visits()) == accepted + 1


def test_write_store_refuses_what_read_store_would_refuse(tmp_path: Path) -> None:
    state = _store.State(
        secret=b"\x01" * 32, holder_seed=b"\x02" * 32, registry_key=b"\x03" * 32, custodians=None
    )
    key = derive_key(PASS, kdf=KDF_TEST)
    path = tmp_path / "s.wallet"
    _store.write_store(path, state, key)
    before = path.read_bytes()
    state.credential = b"\x00" * _store.MAX_STATE_BYTES
    with pytest.raises(StoreFull):
        _store.write_store(path, state, key)
    state.credential = None
    state.diary = [b""] * (_store.MAX_DIARY + 1)
    with pytest.raises(StoreFull):
        _store.write_store(path, state, key)
    assert path.read_bytes() == before
    # At exactly the count cap the store is written and opens again.
    state.diary = [b""] * _store.MAX_DIARY
    _store.write_store(path, state, key)
    assert len(_store.read_store(path, PASS)[0].diary) == _store.MAX_DIARY
