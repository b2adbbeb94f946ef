"""The diary: the venue-signed receipts of this wallet's visits (DESIGN.md "Credentials":
"the wallet's diary is a list of these"), their retention and their disclosure.

A visit may have two receipts, one for the check-in and one for the check-out (same visit
id, with a time out); :func:`visits` keeps the latest of each visit. Receipts are stored as
the venue signed them, so a disclosure (:class:`protocol.DiaryDisclosure`) can hand them
to an investigator unchanged, each beside the id by which the escrow audit log names the
visit's record (:class:`wallet._pending.StoredReceipt`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from did import SECONDS_PER_DAY, Ed25519PrivateKey
from protocol import Channel, DiaryDisclosure, VisitReceipt
from wallet._pending import StoredReceipt

__all__ = ["Visit", "disclosure", "purge", "visit_of", "visits"]


@dataclass(frozen=True, slots=True)
class Visit:
    """One visit in the diary, from its latest receipt (``receipt`` holds the signed bytes).

    ``record_id`` is the id by which the escrow audit log names the visit's sealed record
    (the SHA-256 of its envelope, ``escrow.Envelope.envelope_id`` as bytes): the id to ask
    the published log about (was this visit unsealed?).
    """

    venue: str
    pseudonym: str
    time_in: int
    time_out: int | None
    visit_id: bytes
    channel: Channel
    receipt: bytes
    record_id: bytes

    def end(self, default_stay: int) -> int:
        """The time out, or the time in plus ``default_stay`` seconds without a check-out."""
        return self.time_out if self.time_out is not None else self.time_in + default_stay


def visit_of(entry: StoredReceipt) -> Visit:
    """The :class:`Visit` one diary entry describes."""
    r = entry.parsed
    return Visit(
        r.venue,
        r.pseudonym,
        r.time_in,
        r.time_out,
        r.visit_id,
        r.channel,
        entry.receipt,
        entry.record_id,
    )


def visits(
    diary: Iterable[StoredReceipt], *, start: int | None = None, end: int | None = None
) -> list[Visit]:
    """The visits whose time in is in ``[start, end]``, oldest first, one per visit id."""
    latest: dict[bytes, Visit] = {}
    for entry in diary:
        visit = visit_of(entry)
        r = entry.parsed
        known = latest.get(r.visit_id)
        if known is None or (known.time_out is None and visit.time_out is not None):
            latest[r.visit_id] = visit
    chosen = (
        v
        for v in latest.values()
        if (start is None or v.time_in >= start) and (end is None or v.time_in <= end)
    )
    return sorted(chosen, key=lambda v: (v.time_in, v.visit_id))


def purge(diary: list[StoredReceipt], *, retention_days: int, now: int) -> list[StoredReceipt]:
    """The receipts whose time in is within the retention period before ``now``."""
    cutoff = now - retention_days * SECONDS_PER_DAY
    return [entry for entry in diary if entry.parsed.time_in >= cutoff]


def disclosure(
    diary: Iterable[StoredReceipt],
    key_for: Callable[[VisitReceipt], Ed25519PrivateKey],
    *,
    audience: str,
    start: int,
    end: int,
    now: int,
) -> bytes:
    """A :class:`~protocol.DiaryDisclosure` of every receipt whose time in is in
    ``[start, end]``, each countersigned by the pseudonym key ``key_for`` re-derives.

    Raises:
        MalformedMessage: a bad window or audience (see :class:`~protocol.DiaryDisclosure`).
        OversizeMessage: more receipts than one disclosure holds.
    """
    pairs = []
    for entry in diary:
        receipt = entry.parsed
        if start <= receipt.time_in <= end:
            pairs.append((entry.receipt, key_for(receipt)))
    disclosed = DiaryDisclosure.create(
        pairs, audience=audience, window_start=start, window_end=end, issued=now
    )
    return disclosed.to_cbor()
