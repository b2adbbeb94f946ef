"""What the registry stores and returns: signed visit records, trace-seed envelopes, venue
directory entries, query matches and per-day figures.

A :class:`StoredVisit` is a :class:`~protocol.SealedVisit` with the venue's signature over
it (``protocol/_records.py``: "storage keeps the signed bytes"). The signed message has one
byte form (the protected header is exactly ``{alg: EdDSA}``, the unprotected one empty, the
payload deterministic CBOR), so the store keeps the record's fields and the 64-byte
signature and rebuilds the exact uploaded bytes with :meth:`StoredVisit.message`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from escrow import Envelope, TraceSeedLabel, label_from_bytes
from protocol import MAX_SEALED_VISIT_MESSAGE, MAX_TIME, SealedVisit
from protocol.errors import ProtocolError
from registry._checks import check_category, check_venue_did
from registry.errors import InvalidRecord, InvalidTraceSeed, InvalidVenueEntry

__all__ = [
    "MAX_TRACE_SEED_ENVELOPE",
    "SIGNATURE_SIZE",
    "DayStats",
    "Match",
    "PutResult",
    "StoredVisit",
    "TraceSeed",
    "Venue",
]

SIGNATURE_SIZE = 64
#: A trace-seed envelope seals a 32-byte seed; anything over this size is refused.
MAX_TRACE_SEED_ENVELOPE = 1024
_MAX_LABEL = 600
_KEY_SIZE = 32
# RFC 9052 section 4.2: tag 18, an array of four, the protected header {1: -8} as a
# 3-byte string, an empty unprotected map.
_COSE_PREFIX = b"\xd2\x84\x43\xa1\x01\x27\xa0"


def _bstr(data: bytes) -> bytes:
    # RFC 8949 section 4.2.1: the shortest head of a byte string (payloads are < 65536).
    n = len(data)
    if n < 24:
        return bytes((0x40 | n,)) + data
    if n < 0x100:
        return bytes((0x58, n)) + data
    return b"\x59" + n.to_bytes(2, "big") + data


@dataclass(frozen=True, slots=True)
class StoredVisit:
    """A sealed visit record and the venue's Ed25519 signature over it.

    Build one from an uploaded message with :meth:`from_message` (strict parse) or
    :meth:`verified` (also checks the venue's signature).

    Raises (on construction):
        InvalidRecord: ``visit`` is not a :class:`~protocol.SealedVisit` or the signature
            is not 64 bytes.
    """

    visit: SealedVisit
    signature: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.visit, SealedVisit):
            raise InvalidRecord("visit must be a SealedVisit")
        if type(self.signature) is not bytes or len(self.signature) != SIGNATURE_SIZE:
            raise InvalidRecord(f"signature must be {SIGNATURE_SIZE} bytes")

    @classmethod
    def from_message(cls, data: bytes) -> StoredVisit:
        """Parse a signed :class:`~protocol.SealedVisit` strictly, without checking the
        signature (for records whose signature was checked where they entered, such as a
        batch the service verified).

        Raises:
            InvalidRecord: oversize, malformed, wrong version, algorithm or key set, a bad
                pseudonym or envelope size (the protocol error is the ``__cause__``).
        """
        if type(data) is not bytes:
            raise InvalidRecord("a record must be bytes")
        if len(data) > MAX_SEALED_VISIT_MESSAGE:
            raise InvalidRecord(f"record of {len(data)} bytes exceeds {MAX_SEALED_VISIT_MESSAGE}")
        try:
            parsed, visit = SealedVisit.parse_unverified(data)
        except ProtocolError as exc:
            raise InvalidRecord(f"record refused: {exc.message} [{exc.code}]") from exc
        return cls(visit, parsed.signature)

    @classmethod
    def verified(cls, data: bytes, key: Any, *, now: int, max_skew: int = 300) -> StoredVisit:
        """Parse a signed record and check the venue's signature (``key``: the venue's
        Ed25519 public key or a look-up from venue DID to key, as
        :meth:`protocol.SealedVisit.verify` takes).

        Raises:
            InvalidRecord: the record does not parse, is not signed by the venue's key, or
                is dated in the future (the protocol error is the ``__cause__``).
        """
        try:
            SealedVisit.verify(data, key, now=now, max_skew=max_skew)
        except ProtocolError as exc:
            raise InvalidRecord(f"record refused: {exc.message} [{exc.code}]") from exc
        return cls.from_message(data)

    def message(self) -> bytes:
        """The signed COSE_Sign1 message exactly as the venue uploaded it."""
        return _COSE_PREFIX + _bstr(self.visit.to_cbor()) + b"\x58\x40" + self.signature

    def same_content(self, other: StoredVisit) -> bool:
        """Whether both describe the same visit (the signature may differ, for example
        after the venue rotated its key)."""
        return self.visit == other.visit

    def checks_out(self, stored: StoredVisit) -> bool:
        """Whether this record is the check-out of ``stored``: ``stored`` has no time out,
        this one has, and every other field is the same."""
        a, b = self.visit, stored.visit
        return (
            b.time_out is None
            and a.time_out is not None
            and a.visit_id == b.visit_id
            and a.venue == b.venue
            and a.day == b.day
            and a.time_in == b.time_in
            and a.pseudonym == b.pseudonym
            and a.locator == b.locator
            and a.channel == b.channel
            and a.declaration == b.declaration
            and a.envelope == b.envelope
            and a.receipt_hash == b.receipt_hash
            and a.version == b.version
        )


@dataclass(frozen=True, slots=True)
class TraceSeed:
    """A wallet's sealed daily trace seed (DESIGN.md "Investigation" step 2b), stored under
    its canonical :class:`~escrow.TraceSeedLabel` bytes, on the label's day.

    Raises (on construction):
        InvalidTraceSeed: the label is not a canonical trace-seed label, the envelope does
            not parse (size, version, kind, point), or its epoch is not the label's.
    """

    label: bytes
    envelope: bytes

    def __post_init__(self) -> None:
        if type(self.label) is not bytes or len(self.label) > _MAX_LABEL:
            raise InvalidTraceSeed(f"label must be bytes of at most {_MAX_LABEL}")
        if type(self.envelope) is not bytes or len(self.envelope) > MAX_TRACE_SEED_ENVELOPE:
            raise InvalidTraceSeed(f"envelope must be bytes of at most {MAX_TRACE_SEED_ENVELOPE}")
        label = _trace_label(self.label)
        try:
            envelope = Envelope.from_bytes(self.envelope)
        except ValueError as exc:
            raise InvalidTraceSeed(f"trace-seed envelope refused: {exc}") from exc
        if envelope.kind != TraceSeedLabel.KIND or envelope.epoch != label.epoch:
            raise InvalidTraceSeed("envelope kind or epoch does not match the label")

    @property
    def day(self) -> int:
        """The label's epoch: the day this seed belongs to (and is deleted with)."""
        return _trace_label(self.label).epoch

    @property
    def envelope_hash(self) -> bytes:
        """SHA-256 of the envelope: identifies it among the envelopes under one label."""
        return hashlib.sha256(self.envelope).digest()


def _trace_label(data: bytes) -> TraceSeedLabel:
    try:
        label = label_from_bytes(data)
    except ValueError as exc:
        raise InvalidTraceSeed(f"label refused: {exc}") from exc
    if not isinstance(label, TraceSeedLabel):
        raise InvalidTraceSeed("label is not a trace-seed label")
    return label


def trace_seed_label(label: bytes) -> TraceSeedLabel:
    """Parse a canonical trace-seed label (for queries by label).

    Raises:
        InvalidTraceSeed: not bytes, or not a canonical trace-seed label.
    """
    if type(label) is not bytes or len(label) > _MAX_LABEL:
        raise InvalidTraceSeed(f"label must be bytes of at most {_MAX_LABEL}")
    return _trace_label(label)


@dataclass(frozen=True, slots=True)
class Venue:
    """A venue directory entry: what the queries need to know about a registered venue.

    ``signing_key`` is the venue's raw Ed25519 public key (it signs records),
    ``agreement_key`` its raw X25519 key; ``valid_from``/``valid_until`` are Unix times
    (``valid_until`` ``None``: no end). Registration itself is the service's.

    Raises (on construction):
        InvalidVenueEntry: a DID that is not a venue DID, a category that is not a
            lowercase token, keys that are not 32 bytes, or a validity out of order.
    """

    did: str
    category: str
    signing_key: bytes
    agreement_key: bytes
    valid_from: int
    valid_until: int | None = None

    def __post_init__(self) -> None:
        check_venue_did(self.did, InvalidVenueEntry)
        check_category(self.category)
        for name in ("signing_key", "agreement_key"):
            value = getattr(self, name)
            if type(value) is not bytes or len(value) != _KEY_SIZE:
                raise InvalidVenueEntry(f"{name} must be {_KEY_SIZE} raw bytes")
        if type(self.valid_from) is not int or not 0 <= self.valid_from <= MAX_TIME:
            raise InvalidVenueEntry("valid_from must be a Unix time")
        until = self.valid_until
        if until is not None and (type(until) is not int or not self.valid_from <= until):
            raise InvalidVenueEntry("valid_until must be None or a Unix time >= valid_from")

    def valid_between(self, start: int, end: int) -> bool:
        """Whether the venue was registered at some time in ``[start, end)``."""
        return self.valid_from < end and (self.valid_until is None or self.valid_until >= start)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (keys in hex)."""
        return {
            "did": self.did,
            "category": self.category,
            "signing_key": self.signing_key.hex(),
            "agreement_key": self.agreement_key.hex(),
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
        }


@dataclass(frozen=True, slots=True)
class Match:
    """A stored record a query found, with its stay and its overlap with the query.

    ``start``/``end`` are the stay (``end`` is the time out, or the time in plus the venue
    class's default dwell when ``end_assumed``). ``overlap_seconds`` is the overlap of the
    stay with the query's widened window for contact queries; queries without a time window
    (locator, pseudonym, visit id) report the whole stay.
    """

    record: StoredVisit
    start: int
    end: int
    end_assumed: bool
    overlap_seconds: int

    @property
    def overlap_minutes(self) -> float:
        """The overlap in minutes, to a tenth."""
        return round(self.overlap_seconds / 60, 1)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (no envelope: fetch it by visit id for a warrant)."""
        v = self.record.visit
        return {
            "visit_id": v.visit_id.hex(),
            "venue": v.venue,
            "day": v.day,
            "time_in": v.time_in,
            "time_out": v.time_out,
            "end": self.end,
            "end_assumed": self.end_assumed,
            "overlap_minutes": self.overlap_minutes,
            "pseudonym": v.pseudonym,
            "channel": v.channel.name.lower(),
            "locator": None if v.locator is None else v.locator.hex(),
        }


@dataclass(frozen=True, slots=True)
class PutResult:
    """What a write did: records newly stored, stays updated by a check-out, and records
    already stored as given (a retry)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: PutResult) -> PutResult:
        return PutResult(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


@dataclass(frozen=True, slots=True)
class DayStats:
    """One stored day: visit records, of which checked out, distinct venues, trace seeds."""

    day: int
    visits: int
    checked_out: int
    venues: int
    trace_seeds: int

    def to_json(self) -> dict[str, int]:
        """A JSON-ready mapping."""
        return {
            "day": self.day,
            "visits": self.visits,
            "checked_out": self.checked_out,
            "venues": self.venues,
            "trace_seeds": self.trace_seeds,
        }
