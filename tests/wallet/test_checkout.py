"""Check-outs are signed by the pseudonym of the visit they close (issue 9 section 4 item 9):
a check-out after midnight used the new day's pseudonym, so the venue's previous-day
fall-back never matched and every such check-out failed with ``NoOpenVisit``."""

from __future__ import annotations

from pathlib import Path

import verifier
from did import MemoryReplayStore
from protocol import CheckIn, parse_qr_text
from tests.wallet.support import (
    CLEAR,
    DAY,
    FIRST_EPOCH,
    VENUE,
    VENUE_KEY,
    new_wallet,
    poster,
    venue_keys,
    world,
)
from wallet import Wallet

LATE = FIRST_EPOCH * DAY + 23 * 3600 + 1800  # 23:30 on the first test day
AFTER_MIDNIGHT = LATE + 3600  # 00:30 the next day


class Venue:
    """The venue's side, through the verifier's validation core."""

    def __init__(self) -> None:
        self.context = verifier.VenueContext.create(VENUE, VENUE_KEY, category="restaurant")
        self.replay = MemoryReplayStore()
        self.visits = verifier.VisitBook()

    def admit(self, message: bytes, now: int) -> bytes:
        return verifier.validate_checkin(
            message,
            venue=self.context,
            now=now,
            replay=self.replay,
            epoch_keys=world().directory,
            visits=self.visits,
        ).receipt

    def depart(self, message: bytes, now: int) -> bytes:
        return verifier.validate_checkout(
            message, venue=self.context, now=now, replay=self.replay, visits=self.visits
        ).receipt


def _pseudonym(message: bytes) -> str:
    return CheckIn.parse_unverified(message)[1].pseudonym


def test_a_check_out_after_midnight_closes_the_visit_it_opened(tmp_path: Path) -> None:
    w, venue = new_wallet(tmp_path), Venue()
    scanned = w.scan(poster(now=LATE), now=LATE)
    checkin = w.check_in(scanned, declaration=CLEAR, now=LATE)
    w.accept_receipt(venue.admit(checkin, LATE), venue_key=venue_keys, now=LATE)
    w.close()
    # The phone restarts overnight; the visit is found in the diary.
    w = Wallet.open(w.path, "wallet passphrase", now=AFTER_MIDNIGHT)
    checkout = w.check_out(scanned, now=AFTER_MIDNIGHT)
    assert _pseudonym(checkout) == _pseudonym(checkin)
    assert CheckIn.parse_unverified(checkout)[1].locator == (
        CheckIn.parse_unverified(checkin)[1].locator
    )
    receipt = venue.depart(checkout, AFTER_MIDNIGHT)
    visit = w.accept_receipt(receipt, venue_key=venue_keys, now=AFTER_MIDNIGHT)
    assert (visit.time_in, visit.time_out) == (LATE, AFTER_MIDNIGHT)
    # A new visit that day has the new day's pseudonym.
    again = w.check_in(
        w.scan(poster(now=AFTER_MIDNIGHT), now=AFTER_MIDNIGHT),
        declaration=CLEAR,
        now=AFTER_MIDNIGHT + 60,
    )
    assert _pseudonym(again) != _pseudonym(checkin)


def test_a_check_out_before_the_receipt_came_back_uses_the_check_in(tmp_path: Path) -> None:
    w, venue = new_wallet(tmp_path), Venue()
    checkin = w.check_in(w.scan(poster(now=LATE), now=LATE), declaration=CLEAR, now=LATE)
    venue.admit(checkin, LATE)  # the receipt is lost on the way back
    checkout = w.check_out(VENUE, now=AFTER_MIDNIGHT)
    assert _pseudonym(checkout) == _pseudonym(checkin)
    receipt = venue.depart(checkout, AFTER_MIDNIGHT)
    assert w.accept_receipt(receipt, venue_key=venue_keys, now=AFTER_MIDNIGHT).time_out == (
        AFTER_MIDNIGHT
    )


def test_a_holder_shown_visit_can_be_checked_out(tmp_path: Path) -> None:
    w, venue = new_wallet(tmp_path), Venue()
    shown = parse_qr_text(w.holder_shown_check_in(declaration=CLEAR, now=LATE))[1]
    w.accept_receipt(venue.admit(shown, LATE + 5), venue_key=venue_keys, now=LATE + 5)
    checkout = w.check_out(VENUE, now=AFTER_MIDNIGHT)
    assert _pseudonym(checkout) == _pseudonym(shown)
    receipt = venue.depart(checkout, AFTER_MIDNIGHT)
    assert w.accept_receipt(receipt, venue_key=venue_keys, now=AFTER_MIDNIGHT).time_out == (
        AFTER_MIDNIGHT
    )
