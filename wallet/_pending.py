"""What the wallet remembers of the visits it opened and closed, so that it accepts only the
receipts that answer them (DESIGN.md "Credentials", ``VisitReceipt``: "a wallet accepts a
receipt only for a check-in it made (same check-in hash, venue, pseudonym and time in), so
a venue cannot plant visits in a diary"; issue 9 section 4 item 3).

* A :class:`PendingCheckIn` is written to the store when a check-in is signed, before it
  leaves the phone, and removed when its receipt is kept: the check-in hash (SHA-256 of the
  signed bytes), the venue (``None`` for a holder-shown code, which any venue may answer),
  the pseudonym, the time in, the channel and the audit log's name for the record.
* A :class:`PendingCheckOut` is written when a check-out is signed: the venue, the pseudonym
  and the time the check-out was signed. A receipt with a time out is accepted only for a
  visit in the diary (or a pending check-in) and a check-out this wallet signed, with the
  time out the venue computes from it (never before the time in, at most
  :data:`protocol.MAX_STAY` after it): a venue cannot stretch a visit either.
* :class:`StoredReceipt` is a diary entry: the receipt as the venue signed it and the
  record id by which the escrow audit log names the visit's record, the SHA-256 of its
  envelope (``escrow.Envelope.envelope_id``, what share batches and the unsealed-records
  tree list), so a holder can later ask whether that record was unsealed.

Each list holds at most :data:`MAX_PENDING` entries (the oldest is forgotten first) and an
entry expires :data:`PENDING_LIFETIME` seconds after it was made, so pending state stays
small and bounded whatever the venues do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from did import cbor
from did.errors import AnshimError
from protocol import MAX_STAY, Channel, VisitReceipt
from wallet.errors import UnexpectedReceipt, WalletCorrupted

__all__ = [
    "MAX_PENDING",
    "PENDING_LIFETIME",
    "Match",
    "PendingCheckIn",
    "PendingCheckOut",
    "StoredReceipt",
    "add_pending",
    "match_receipt",
    "record_id",
    "unexpired",
]

#: The most pending check-ins (and, separately, check-outs) a wallet remembers.
MAX_PENDING = 32
#: A pending check-in or check-out is forgotten this long after it was signed: a receipt
#: comes back at once over HTTP, and no visit lasts longer (:data:`protocol.MAX_STAY`).
PENDING_LIFETIME = MAX_STAY
_HASH = 32
_P = TypeVar("_P", "PendingCheckIn", "PendingCheckOut")


def record_id(envelope: bytes) -> bytes:
    """The audit log's id of the record carrying ``envelope``: SHA-256 of its bytes."""
    return hashlib.sha256(envelope).digest()


def _fail(what: str) -> WalletCorrupted:
    return WalletCorrupted(f"wallet state: a {what} has the wrong form")


def _is_time(value: object) -> bool:
    return type(value) is int and 0 <= value < 2**32


@dataclass(frozen=True, slots=True)
class PendingCheckIn:
    """A check-in the wallet signed and whose receipt has not come back (module docstring)."""

    checkin_hash: bytes
    venue: str | None
    pseudonym: str
    time_in: int
    channel: Channel
    record_id: bytes
    encoded: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Its CBOR, made once: the store is re-encoded on every check-in.
        object.__setattr__(self, "encoded", cbor.encode(self.to_list()))

    def to_list(self) -> list[object]:
        """The CBOR array kept in the store."""
        return [
            self.checkin_hash,
            self.venue,
            self.pseudonym,
            self.time_in,
            int(self.channel),
            self.record_id,
        ]

    @classmethod
    def from_list(cls, item: object) -> PendingCheckIn:
        """Decode a stored entry. Raises :class:`WalletCorrupted` on any other shape."""
        if type(item) is not list or len(item) != 6:
            raise _fail("pending check-in")
        digest, venue, pseudonym, time_in, channel, rid = item
        if (
            type(digest) is not bytes
            or len(digest) != _HASH
            or (venue is not None and type(venue) is not str)
            or type(pseudonym) is not str
            or not _is_time(time_in)
            or type(rid) is not bytes
            or len(rid) != _HASH
        ):
            raise _fail("pending check-in")
        try:
            kind = Channel(channel)
        except ValueError:
            raise _fail("pending check-in") from None
        return cls(digest, venue, pseudonym, time_in, kind, rid)


@dataclass(frozen=True, slots=True)
class PendingCheckOut:
    """A check-out the wallet signed (module docstring)."""

    venue: str
    pseudonym: str
    issued_at: int
    encoded: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "encoded", cbor.encode(self.to_list()))

    def to_list(self) -> list[object]:
        """The CBOR array kept in the store."""
        return [self.venue, self.pseudonym, self.issued_at]

    @classmethod
    def from_list(cls, item: object) -> PendingCheckOut:
        """Decode a stored entry. Raises :class:`WalletCorrupted` on any other shape."""
        if type(item) is not list or len(item) != 3:
            raise _fail("pending check-out")
        venue, pseudonym, issued_at = item
        if type(venue) is not str or type(pseudonym) is not str or not _is_time(issued_at):
            raise _fail("pending check-out")
        return cls(venue, pseudonym, issued_at)

    def time_out(self, time_in: int) -> int:
        """The time out a venue gives this check-out for a visit begun at ``time_in``."""
        return min(max(self.issued_at, time_in), time_in + MAX_STAY)


@dataclass(frozen=True, slots=True)
class StoredReceipt:
    """A diary entry: the signed ``receipt``, its parsed form and the audit log's
    ``record_id`` of the visit's record (module docstring). Build with :meth:`new`."""

    receipt: bytes
    record_id: bytes
    parsed: VisitReceipt = field(compare=False)
    encoded: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "encoded", cbor.encode(self.to_list()))

    @classmethod
    def new(cls, receipt: bytes, record_id: bytes) -> StoredReceipt:
        """Parse a receipt the wallet verified when it accepted it (the store is
        authenticated encryption, so it is not verified again).

        Raises:
            WalletCorrupted: the bytes are not a receipt, or the record id is not 32 bytes.
        """
        if type(receipt) is not bytes or type(record_id) is not bytes or len(record_id) != _HASH:
            raise _fail("diary entry")
        try:
            parsed = VisitReceipt.parse_unverified(receipt)[1]
        except AnshimError as exc:
            raise WalletCorrupted(f"wallet state: a diary receipt: {exc.message}") from exc
        return cls(receipt, record_id, parsed)

    def to_list(self) -> list[object]:
        """The CBOR array kept in the store."""
        return [self.receipt, self.record_id]

    @classmethod
    def from_list(cls, item: object) -> StoredReceipt:
        """Decode a stored entry. Raises :class:`WalletCorrupted` on any other shape."""
        if type(item) is not list or len(item) != 2:
            raise _fail("diary entry")
        return cls.new(item[0], item[1])


def unexpired(entries: Sequence[_P], *, now: int) -> list[_P]:
    """The entries made within :data:`PENDING_LIFETIME` before ``now``."""
    cutoff = now - PENDING_LIFETIME
    return [e for e in entries if _made(e) >= cutoff]


def _made(entry: PendingCheckIn | PendingCheckOut) -> int:
    return entry.time_in if isinstance(entry, PendingCheckIn) else entry.issued_at


def add_pending(entries: Sequence[_P], entry: _P) -> list[_P]:
    """``entries`` with ``entry`` added (once), the oldest forgotten beyond
    :data:`MAX_PENDING`."""
    kept = list(entries)
    if entry in kept:
        return kept
    kept.append(entry)
    kept.sort(key=_made)
    return kept[-MAX_PENDING:]


@dataclass(frozen=True, slots=True)
class Match:
    """What a receipt answers: the record id of its visit, and the pending check-in and
    check-out it uses up (``None`` when it uses none), or ``known`` when the diary already
    holds these exact bytes."""

    record_id: bytes
    checkin: PendingCheckIn | None
    checkout: PendingCheckOut | None
    known: bool = False


def _same_visit(a: VisitReceipt, b: VisitReceipt) -> bool:
    return (a.venue, a.pseudonym, a.time_in, a.visit_id, a.channel) == (
        b.venue,
        b.pseudonym,
        b.time_in,
        b.visit_id,
        b.channel,
    )


def match_receipt(
    data: bytes,
    receipt: VisitReceipt,
    *,
    diary: Sequence[StoredReceipt],
    checkins: Sequence[PendingCheckIn],
    checkouts: Sequence[PendingCheckOut],
) -> Match:
    """Find the check-in (and, for a time out, the check-out) of this wallet that a
    verified ``receipt`` (signed bytes ``data``) answers.

    Raises:
        UnexpectedReceipt: it answers no check-in this wallet made (another check-in hash,
            venue, pseudonym, time in or channel), reuses a visit id or a check-in already
            answered by another visit, or carries a time out of no check-out it made.
    """
    if any(entry.receipt == data for entry in diary):
        known = next(entry for entry in diary if entry.receipt == data)
        return Match(known.record_id, None, None, known=True)
    rid: bytes | None = None
    used_checkin = None
    for entry in diary:
        kept = entry.parsed
        if kept.checkin_hash == receipt.checkin_hash or kept.visit_id == receipt.visit_id:
            if kept.checkin_hash != receipt.checkin_hash or not _same_visit(kept, receipt):
                raise UnexpectedReceipt("the receipt contradicts a visit already in the diary")
            if receipt.time_out is None:
                raise UnexpectedReceipt("the visit's check-in receipt is already in the diary")
            rid = entry.record_id
    if rid is None:
        for pending in checkins:
            if pending.checkin_hash == receipt.checkin_hash:
                if (
                    (pending.venue is not None and pending.venue != receipt.venue)
                    or pending.pseudonym != receipt.pseudonym
                    or pending.time_in != receipt.time_in
                    or pending.channel is not receipt.channel
                ):
                    raise UnexpectedReceipt("the receipt does not match the check-in it names")
                rid, used_checkin = pending.record_id, pending
                break
    if rid is None:
        raise UnexpectedReceipt("the receipt answers no check-in this wallet made")
    used_checkout = None
    if receipt.time_out is not None:
        used_checkout = next(
            (
                out
                for out in checkouts
                if out.venue == receipt.venue
                and out.pseudonym == receipt.pseudonym
                and out.time_out(receipt.time_in) == receipt.time_out
            ),
            None,
        )
        if used_checkout is None:
            raise UnexpectedReceipt("the receipt's time out answers no check-out of this wallet")
    return Match(rid, used_checkin, used_checkout)
