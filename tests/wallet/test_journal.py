"""The pending journal: a check-in is remembered (sealed, beside the store) before it leaves
the phone, without re-writing the store on the hot path; it survives the app being killed,
a torn tail is ignored, nobody without the store's key can add entries, and the journal is
folded into the store on the next save."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from did import KDF_TEST, derive_key
from protocol import Channel
from tests.wallet.support import (
    NOW,
    PASS,
    VENUE,
    checked_in,
    new_wallet,
    receipt_for,
    venue_keys,
)
from wallet import UnexpectedReceipt, Wallet, _journal, _pending, _store


def test_a_check_in_is_journaled_not_written_into_the_store(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    before = _store.fingerprint(w.path)
    data, pid = checked_in(w)
    assert _store.fingerprint(w.path) == before  # the store itself is not re-written
    key = _store.read_store(w.path, PASS)[1]
    (entry,) = _journal.read(w.path, key)
    assert isinstance(entry, _pending.PendingCheckIn)
    assert (entry.venue, entry.pseudonym, entry.time_in) == (VENUE, pid, NOW)
    # The app is killed (no save): the check-in is still known when the wallet opens again.
    w.close()
    with Wallet.open(w.path, PASS, now=NOW + 5) as again:
        assert not _journal.journal_path(w.path).exists()  # folded into the store
        again.accept_receipt(receipt_for(data, pid), venue_key=venue_keys, now=NOW + 5)


def test_a_torn_tail_is_ignored_and_earlier_entries_kept(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    first, first_pid = checked_in(w, now=NOW)
    checked_in(w, now=NOW + 1)
    w.close()
    journal = _journal.journal_path(w.path)
    journal.write_bytes(journal.read_bytes()[:-7])  # a power cut in the second append
    key = _store.read_store(w.path, PASS)[1]
    assert [e.time_in for e in _journal.read(w.path, key)] == [NOW]  # type: ignore[union-attr]
    with Wallet.open(w.path, PASS, now=NOW + 5) as again:
        again.accept_receipt(receipt_for(first, first_pid), venue_key=venue_keys, now=NOW + 5)


def test_nobody_without_the_key_can_add_a_pending_check_in(tmp_path: Path) -> None:
    # A planted pending entry would let a venue's receipt for a visit that never happened
    # into the diary; the journal's records are sealed under a key derived from the store's.
    w = new_wallet(tmp_path)
    data, pid = checked_in(w)
    w.close()
    forged = _pending.PendingCheckIn(
        bytes(32), VENUE, pid, NOW + 3600, Channel.QR_STATIC, bytes(32)
    )
    _journal.append(w.path, derive_key("another passphrase", kdf=KDF_TEST), forged)
    journal = _journal.journal_path(w.path)
    with journal.open("ab") as fh:  # and bytes that are no record at all
        fh.write(os.urandom(64))
    key = _store.read_store(w.path, PASS)[1]
    assert len(_journal.read(w.path, key)) == 1  # the genuine check-in only
    with Wallet.open(w.path, PASS, now=NOW + 3600) as again:
        planted = receipt_for(b"no such check-in", pid, time_in=NOW + 3600)
        with pytest.raises(UnexpectedReceipt):
            again.accept_receipt(planted, venue_key=venue_keys, now=NOW + 3600)
        again.accept_receipt(receipt_for(data, pid), venue_key=venue_keys, now=NOW + 3600)


def test_the_journal_is_folded_into_the_store_every_few_entries(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    key = _store.read_store(w.path, PASS)[1]
    for i in range(_journal.MAX_RECORDS + 3):
        checked_in(w, now=NOW + i)
        assert len(_journal.read(w.path, key)) <= _journal.MAX_RECORDS
    state = _store.read_store(w.path, PASS)[0]
    assert len(state.checkins) == _pending.MAX_PENDING  # written by the fold
    assert len(_journal.read(w.path, key)) == 2
    w.save(now=NOW + 60)  # any save folds it too
    assert not _journal.journal_path(w.path).exists()
