"""Receipts enter the diary only when they answer a check-in the wallet made (issue 9
section 4 item 3), and each diary visit keeps the id by which the escrow audit log names
its record (item 12)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import escrow
from did import Ed25519PrivateKey, did_from_public_key
from escrow import AuditLog, UnsealRequest, answer_warrant
from protocol import Channel, CheckIn, parse_qr_text
from tests.escrow.support import approved_warrant
from tests.wallet.support import (
    CLEAR,
    DAY,
    FIRST_EPOCH,
    NOW,
    OTHER_VENUE,
    OTHER_VENUE_KEY,
    PASS,
    VENUE,
    checked_in,
    kiosk,
    new_wallet,
    receipt_for,
    venue_keys,
    world,
)
from wallet import (
    MAX_AUDIT_ANSWER,
    AuditProofRefused,
    UnexpectedReceipt,
    Wallet,
    _pending,
    read_audit_answer,
)

TEN = FIRST_EPOCH * DAY + 10 * 3600  # 10:00 on the first test day


def test_a_venue_cannot_plant_a_visit_in_the_diary(tmp_path: Path) -> None:
    # The reviewer's attack: after a real 10:00 visit, the venue signs a receipt for
    # 14:00-19:00 under the same pseudonym; it entered disclosures and exposure matching.
    w = new_wallet(tmp_path)
    data, pid = checked_in(w, now=TEN)
    w.accept_receipt(receipt_for(data, pid, time_in=TEN), venue_key=venue_keys, now=TEN)
    later = TEN + 9 * 3600
    planted = [
        # A receipt naming a check-in the wallet never made.
        receipt_for(b"a check-in nobody made", pid, time_in=TEN + 4 * 3600, time_out=later),
        # The real check-in's hash with another time in.
        receipt_for(data, pid, time_in=TEN + 4 * 3600, visit_id=b"\x01" * 16),
        # The real check-in's hash and time in, with a time out nobody checked out at.
        receipt_for(data, pid, time_in=TEN, time_out=later),
    ]
    for receipt in planted:
        with pytest.raises(UnexpectedReceipt) as info:
            w.accept_receipt(receipt, venue_key=venue_keys, now=later)
        assert info.value.code == "unexpectedReceipt"
    assert [(v.time_in, v.time_out) for v in w.visits()] == [(TEN, None)]
    w.close()
    with Wallet.open(w.path, PASS, now=later) as again:
        assert [(v.time_in, v.time_out) for v in again.visits()] == [(TEN, None)]


def test_a_receipt_must_match_its_check_in_field_by_field(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    here, pid = checked_in(w, now=TEN)
    there, other_pid = checked_in(w, OTHER_VENUE, now=TEN + 60)
    now = TEN + 120
    mismatched = [
        # The other venue answers with the check-in made here (its own pseudonym).
        receipt_for(here, other_pid, venue=OTHER_VENUE, key=OTHER_VENUE_KEY, time_in=TEN + 60),
        # Another time in for a real check-in.
        receipt_for(here, pid, time_in=TEN + 1),
        # A poster check-in answered as if it were a kiosk or holder-shown one.
        receipt_for(here, pid, time_in=TEN, channel=Channel.QR_KIOSK),
    ]
    for receipt in mismatched:
        with pytest.raises(UnexpectedReceipt):
            w.accept_receipt(receipt, venue_key=venue_keys, now=now)
    assert w.visits() == []
    # The right answers are still accepted afterwards.
    w.accept_receipt(receipt_for(here, pid, time_in=TEN), venue_key=venue_keys, now=now)
    w.accept_receipt(
        receipt_for(there, other_pid, venue=OTHER_VENUE, key=OTHER_VENUE_KEY, time_in=TEN + 60),
        venue_key=venue_keys,
        now=now,
    )
    assert [v.venue for v in w.visits()] == [VENUE, OTHER_VENUE]


def test_a_check_in_is_answered_by_one_visit_only(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    data, pid = checked_in(w, now=TEN)
    first = receipt_for(data, pid, time_in=TEN, visit_id=b"\x01" * 16)
    w.accept_receipt(first, venue_key=venue_keys, now=TEN)
    with pytest.raises(UnexpectedReceipt):  # the same check-in as a second visit
        w.accept_receipt(
            receipt_for(data, pid, time_in=TEN, visit_id=b"\x02" * 16),
            venue_key=venue_keys,
            now=TEN,
        )
    # The same receipt again is no change.
    assert w.accept_receipt(first, venue_key=venue_keys, now=TEN).visit_id == b"\x01" * 16
    assert len(w.visits()) == 1


def test_a_venue_cannot_stretch_a_visit(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    data, pid = checked_in(w, now=TEN)
    w.accept_receipt(receipt_for(data, pid, time_in=TEN), venue_key=venue_keys, now=TEN)
    w.check_out(VENUE, now=TEN + 3600)
    for stretched in (TEN + 5 * 3600, TEN + 3599):
        with pytest.raises(UnexpectedReceipt):
            w.accept_receipt(
                receipt_for(data, pid, time_in=TEN, time_out=stretched),
                venue_key=venue_keys,
                now=TEN + 5 * 3600,
            )
    out = receipt_for(data, pid, time_in=TEN, time_out=TEN + 3600)
    assert w.accept_receipt(out, venue_key=venue_keys, now=TEN + 3600).time_out == TEN + 3600
    assert [v.time_out for v in w.visits()] == [TEN + 3600]


def test_a_check_out_receipt_answers_a_check_in_whose_receipt_was_lost(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    data, pid = checked_in(w, now=TEN)
    w.check_out(VENUE, now=TEN + 600)
    out = receipt_for(data, pid, time_in=TEN, time_out=TEN + 600)
    assert w.accept_receipt(out, venue_key=venue_keys, now=TEN + 600).time_out == TEN + 600


def test_pending_check_ins_survive_a_restart_then_expire(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    data, pid = checked_in(w, now=TEN)
    stale, stale_pid = checked_in(w, OTHER_VENUE, now=TEN + 60)
    w.close()
    with Wallet.open(w.path, PASS, now=TEN + 300) as again:
        again.accept_receipt(receipt_for(data, pid, time_in=TEN), venue_key=venue_keys, now=TEN)
    late = TEN + 60 + _pending.PENDING_LIFETIME + 1
    with Wallet.open(w.path, PASS, now=late) as again:
        with pytest.raises(UnexpectedReceipt):
            again.accept_receipt(
                receipt_for(
                    stale, stale_pid, venue=OTHER_VENUE, key=OTHER_VENUE_KEY, time_in=TEN + 60
                ),
                venue_key=venue_keys,
                now=late,
            )
        assert [v.venue for v in again.visits()] == [VENUE]


def test_pending_check_ins_are_bounded(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    made = [checked_in(w, now=TEN + i) for i in range(_pending.MAX_PENDING + 1)]
    (oldest, pid), (newest, _) = made[0], made[-1]
    with pytest.raises(UnexpectedReceipt):  # forgotten: the oldest beyond the bound
        w.accept_receipt(receipt_for(oldest, pid, time_in=TEN), venue_key=venue_keys, now=TEN)
    newest_in = TEN + _pending.MAX_PENDING
    w.accept_receipt(
        receipt_for(newest, pid, time_in=newest_in), venue_key=venue_keys, now=newest_in
    )


def test_a_relayed_holder_shown_code_enters_the_diary_once(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    data = parse_qr_text(w.holder_shown_check_in(declaration=CLEAR, now=TEN))[1]
    pid = CheckIn.parse_unverified(data)[1].pseudonym
    shown = Channel.HOLDER_SHOWN
    first = receipt_for(data, pid, time_in=TEN, channel=shown)
    assert w.accept_receipt(first, venue_key=venue_keys, now=TEN).venue == VENUE
    relayed = receipt_for(
        data, pid, venue=OTHER_VENUE, key=OTHER_VENUE_KEY, time_in=TEN, channel=shown
    )
    with pytest.raises(UnexpectedReceipt):
        w.accept_receipt(relayed, venue_key=venue_keys, now=TEN + 10)
    assert [v.venue for v in w.visits()] == [VENUE]


def test_each_visit_keeps_the_record_id_the_audit_log_names(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    data, pid = checked_in(w)
    other_data, other_pid = checked_in(w, now=NOW + 60)  # the same venue and pseudonym
    envelope = CheckIn.parse_unverified(data)[1].envelope
    assert envelope is not None
    expected = bytes.fromhex(escrow.Envelope.from_bytes(envelope).envelope_id)
    assert expected == hashlib.sha256(envelope).digest()
    visit = w.accept_receipt(receipt_for(data, pid), venue_key=venue_keys, now=NOW)
    assert visit.record_id == expected
    w.accept_receipt(receipt_for(other_data, other_pid, time_in=NOW + 60), venue_key=venue_keys,
                     now=NOW + 60)  # fmt: skip
    w.check_out(VENUE, now=NOW + 1800)
    out = receipt_for(other_data, other_pid, time_in=NOW + 60, time_out=NOW + 1800)
    assert w.accept_receipt(out, venue_key=venue_keys, now=NOW + 1800).record_id != expected
    w.close()
    with Wallet.open(w.path, PASS, now=NOW + 1800) as again:
        unsealed, kept = again.visits()
    assert unsealed.record_id == expected
    # The custodians approve a warrant for the first visit's record, answer it and log
    # both: the published log names it by this id, and not the other visit.
    ew = world()
    warrant = approved_warrant(ew)
    label = escrow.VisitLabel(VENUE, FIRST_EPOCH, pid, NOW)
    request = UnsealRequest(warrant.warrant_id, ((escrow.Envelope.from_bytes(envelope), label),))
    log = AuditLog()
    for store in ew.stores[:3]:
        log.record_approval(warrant, store.key, store.did, now=NOW)
    for store in ew.stores[:3]:
        batch = answer_warrant(warrant, request, store=store, directory=ew.directory, now=NOW)
        log.record_batch(batch, store.key, store.did, now=NOW)
    head = log.sign_head(ew.stores[0].key, ew.stores[0].did, now=NOW)
    head.verify(ew.directory.custodians)
    yes, no = log.prove_record(unsealed.record_id, head), log.prove_record(kept.record_id, head)
    yes.unsealed.verify(head)
    no.unsealed.verify(head)
    assert (yes.unsealed.unsealed, no.unsealed.unsealed) == (True, False)
    # The wallet itself answers "was my visit unsealed, under which case?" from the
    # published head and proof, checking the head and every entry against the custodians
    # pinned at creation.
    with Wallet.open(w.path, PASS, now=NOW + 1800) as phone:
        first, second = phone.visits()
        answer = phone.was_unsealed(first, head=head.to_bytes(), proof=yes.to_bytes())
        assert (answer.unsealed, answer.signed_by) == (True, ew.stores[0].did)
        assert answer.case_ids == (warrant.case_id,)
        assert (
            answer.cases[0].approved_by
            == answer.cases[0].shares_from
            == tuple(s.did for s in ew.stores[:3])
        )
        absent = phone.was_unsealed(second, head=head.to_bytes(), proof=no.to_bytes())
        assert (absent.unsealed, absent.cases) == (False, ())
        with pytest.raises(AuditProofRefused):  # a proof about another visit's record
            phone.was_unsealed(second, head=head.to_bytes(), proof=yes.to_bytes())
        forged = escrow.RecordAuditProof(
            first.record_id, escrow.UnsealedProof(first.record_id, False, no.unsealed.neighbours),
            (),
        )  # fmt: skip
        with pytest.raises(AuditProofRefused):  # an absence claim for an unsealed record
            phone.was_unsealed(first, head=head.to_bytes(), proof=forged)
        with pytest.raises(AuditProofRefused):  # a proof cut short
            phone.was_unsealed(first, head=head.to_bytes(), proof=yes.to_bytes()[:-40])


def test_a_tree_head_signed_by_a_rogue_log_is_refused(tmp_path: Path) -> None:
    # A registry (or anyone) running its own "audit log" cannot tell a phone its visit was
    # never unsealed: the head must be signed by one of the pinned custodians.
    w = new_wallet(tmp_path)
    data, pid = checked_in(w)
    visit = w.accept_receipt(receipt_for(data, pid), venue_key=venue_keys, now=NOW)
    rogue = Ed25519PrivateKey.generate()
    log = AuditLog()
    head = log.sign_head(rogue, did_from_public_key(rogue.public_key), now=NOW)
    absent = log.prove_record(visit.record_id, head).to_bytes()
    with pytest.raises(AuditProofRefused):
        w.was_unsealed(visit, head=head.to_bytes(), proof=absent)
    with pytest.raises(AuditProofRefused):
        w.was_unsealed(visit, head=b"not a tree head", proof=absent)


def test_the_registry_answer_is_read_strictly() -> None:
    good = b'{"tree_head": {"head": "AAEC"}, "proof": "AwQF", "unsealed": true}'
    assert read_audit_answer(good) == (b"\x00\x01\x02", b"\x03\x04\x05")
    for bad in (
        b"not json",
        b"[]",
        b'{"tree_head": {"head": "AAEC"}}',
        b'{"tree_head": "AAEC", "proof": "AwQF"}',
        b'{"tree_head": {"head": "AA=="}, "proof": "AwQF"}',
        b'{"tree_head": {"head": 1}, "proof": "AwQF"}',
        b"\xff\xfe",
        b"[" * 100_000,
        b" " * (MAX_AUDIT_ANSWER + 1),
    ):
        with pytest.raises(AuditProofRefused):
            read_audit_answer(bad)


def test_a_kiosk_receipt_matches_its_kiosk_check_in(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    scanned = w.scan(kiosk(now=NOW), now=NOW, venue_keys=venue_keys)
    data = w.check_in(scanned, declaration=CLEAR, now=NOW)
    pid = CheckIn.parse_unverified(data)[1].pseudonym
    with pytest.raises(UnexpectedReceipt):  # answered as a poster check-in
        w.accept_receipt(receipt_for(data, pid), venue_key=venue_keys, now=NOW)
    kept = w.accept_receipt(
        receipt_for(data, pid, channel=Channel.QR_KIOSK), venue_key=venue_keys, now=NOW
    )
    assert kept.channel is Channel.QR_KIOSK
