"""The storage interface (:class:`Store`) and the logic both engines share (DESIGN.md
"Storage").

Both engines keep the same rows: one per visit, keyed by (venue, day, visit id). The venue
comes first in every key and index, because it is the distribution column a sharded
deployment splits on (DESIGN.md "Beyond one machine"), and a record's day (its escrow
epoch) is the partition: retention deletes whole days.

Writes (:meth:`Store.put`) are idempotent: a record already stored as given is
``unchanged``; a record with a time out for a stored record without one is its check-out
and ``updated`` (the stay is extended, nothing else changes); a stored record's own
check-in arriving after its check-out is ``unchanged``; any other difference under the
same key is a :class:`~registry.errors.RecordConflict` and the whole batch is refused.
A call returns only after its transaction is durably committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self

from did import SECONDS_PER_DAY
from protocol import MAX_STAY, Category, Channel, HealthDeclaration, SealedVisit
from registry._checks import check_duration, check_locator, check_time, check_venue_did
from registry._model import DayStats, Match, PutResult, StoredVisit, TraceSeed, Venue
from registry.errors import InvalidBatch, InvalidQuery, RecordConflict, TraceSeedLabelFull

__all__ = [
    "COLUMNS",
    "MAX_BATCH",
    "MAX_QUERY_ITEMS",
    "MAX_SEEDS_PER_LABEL",
    "MIN_OVERLAP",
    "ContactWindow",
    "Store",
    "classify",
    "from_row",
    "prepare_batch",
    "prepare_trace_seeds",
    "to_row",
]

#: DESIGN.md "Investigation" step 3: contacts overlap the case's stay by at least 10 minutes.
MIN_OVERLAP = 600
#: The most records (or trace seeds) one write takes: one transaction, all or nothing.
MAX_BATCH = 10_000
#: The most visit ids or (venue, locator) pairs one query takes.
MAX_QUERY_ITEMS = 10_000
#: The most envelopes kept under one trace-seed label. Wallet uploads are anonymous, so
#: anyone may upload under any label; keeping several (instead of the first) means a
#: squatter cannot block a holder's own seed, and the cap bounds the flood.
MAX_SEEDS_PER_LABEL = 8
#: A record's day is its time in's day in some zone within ±14 h (protocol SealedVisit).
_TZ = 14 * 3600

#: The row layout both engines store, in this order.
COLUMNS = (
    "venue",
    "day",
    "visit_id",
    "time_in",
    "time_out",
    "pseudonym",
    "locator",
    "channel",
    "declaration",
    "envelope",
    "receipt_hash",
    "version",
    "signature",
)
Row = tuple[Any, ...]


class Store(Protocol):
    """The registry's sealed-visit store; both engines implement it (SQLite, PostgreSQL).

    Every method raises :class:`~registry.errors.StoreUnavailable` when the database
    cannot be reached or fails during the call, and the input errors its docstring names
    before anything reaches the database.
    """

    url: str

    def close(self) -> None:
        """Release connections (idempotent)."""

    def __enter__(self) -> Self:
        """The store itself; closed when the ``with`` block ends."""

    def __exit__(self, *exc: object) -> None:
        """Close the store."""

    def schema_version(self) -> int:
        """The schema version the store is at (after :func:`open_store` migrated it)."""

    def put(self, records: Sequence[StoredVisit]) -> PutResult:
        """Store a batch of records, all or nothing, after a durable commit.

        Raises:
            InvalidBatch: an empty batch, one over :data:`MAX_BATCH`, or items that are not
                :class:`StoredVisit`.
            RecordConflict: a record whose key is stored (or repeated in the batch) with
                different content; nothing of the batch is written.
            ExpiredRecord: a record of a day already purged.
        """

    def put_trace_seeds(self, seeds: Sequence[TraceSeed]) -> PutResult:
        """Store sealed trace seeds, all or nothing (identical ones are ``unchanged``).

        Raises:
            InvalidBatch: an empty or oversized batch, or items that are not TraceSeed.
            TraceSeedLabelFull: a label would hold more than its cap of envelopes.
            ExpiredRecord: a seed of a day already purged.
        """

    def put_venues(self, venues: Sequence[Venue]) -> None:
        """Add or replace venue directory entries (by DID).

        Raises:
            InvalidBatch: an empty or oversized batch, or items that are not Venue.
        """

    def venue(self, did: str) -> Venue | None:
        """The directory entry of ``did``, or None.

        Raises:
            InvalidQuery: ``did`` is not a venue DID.
        """

    def venues(self) -> list[Venue]:
        """Every directory entry, ordered by DID."""

    def contacts(
        self,
        venue: str,
        start: int,
        end: int,
        *,
        min_overlap: int = MIN_OVERLAP,
        exclude: Iterable[bytes] = (),
    ) -> list[Match]:
        """The records at ``venue`` whose stay overlaps ``[start, end]``, widened by the
        venue class's margin on both sides, by at least ``min_overlap`` seconds; records
        without a check-out last the class's default dwell. Ordered by time in.

        Raises:
            InvalidQuery: a bad venue DID, times, ``end < start``, a stay over MAX_STAY,
                ``min_overlap`` outside [0, MAX_STAY], or bad ``exclude`` ids.
        """

    def by_locators(self, day: int, pairs: Sequence[tuple[str, bytes]]) -> list[Match]:
        """The records of ``day`` whose (venue, locator) is one of ``pairs``.

        Raises:
            InvalidQuery: a bad day, venue DID or locator, or over MAX_QUERY_ITEMS pairs.
        """

    def by_pseudonym(self, pseudonym: str, day: int) -> list[Match]:
        """The records of ``day`` under ``pseudonym``.

        Raises:
            InvalidQuery: a pseudonym that is not text of at most 64 characters, a bad day.
        """

    def by_visit_ids(self, visit_ids: Sequence[bytes], *, days: range) -> list[Match]:
        """The records of ``days`` with one of ``visit_ids``.

        Raises:
            InvalidQuery: ids that are not 16 bytes, over MAX_QUERY_ITEMS ids, or a bad range.
        """

    def trace_seeds(self, label: bytes) -> list[bytes]:
        """The envelopes stored under a trace-seed label (most often one).

        Raises:
            InvalidTraceSeed: ``label`` is not a canonical trace-seed label.
        """

    def days(self) -> list[int]:
        """The stored days, oldest first."""

    def stats(self) -> list[DayStats]:
        """Per stored day: visit records, checked-out records, venues and trace seeds."""

    def compact(self, day: int) -> bool:
        """Rewrite ``day``'s visit records in (venue, time in) order, the same records in
        the same day, so that one venue's stays lie on neighbouring pages: a contacts query
        then reads a few pages instead of one per record found (which, once a store
        outgrows memory, is a random read each). Meant for days that are over: run it
        nightly (``anshim registry compact``). Later writes to the day are kept, in
        arrival order after the rest. Returns whether the day is stored (a day never
        written, or deleted by retention, has nothing to rewrite).

        SQLite writes a new file for the day under the writer lock (writes wait; reads do
        not); PostgreSQL clusters the day's partition (reads and writes of that day wait).

        Raises:
            InvalidQuery: ``day`` is not a day number.
        """

    def compacted(self, day: int) -> bool:
        """Whether ``day`` has been compacted (since it was first written)."""

    def purge(self, before: int) -> list[int]:
        """Delete every day older than ``before`` whole (SQLite: its file; PostgreSQL: its
        partitions), and refuse records of those days from now on. Returns the days deleted.

        Raises:
            InvalidQuery: ``before`` is not a day number.
        """


# -- rows ---------------------------------------------------------------------------------


def to_row(record: StoredVisit) -> Row:
    """The stored row of a record (columns :data:`COLUMNS`)."""
    v = record.visit
    d = v.declaration
    return (
        v.venue,
        v.day,
        v.visit_id,
        v.time_in,
        v.time_out,
        v.pseudonym,
        v.locator,
        int(v.channel),
        None if d is None else int(d.fever) | int(d.respiratory) << 1,
        v.envelope,
        v.receipt_hash,
        v.version,
        record.signature,
    )


#: The four declarations a row's two bits stand for (frozen, so shared by every record).
_DECLARATIONS = tuple(HealthDeclaration(bool(bits & 1), bool(bits & 2)) for bits in range(4))


def from_row(row: Row) -> StoredVisit:
    """The record of a stored row (validated again by the record's constructor).

    Raises:
        InvalidRecord, protocol errors: a row that no longer makes a valid record (the
            database was edited by hand).
    """
    (venue, day, vid, tin, tout, pseud, loc, channel, decl, env, rh, version, sig) = row
    return StoredVisit(
        SealedVisit(
            visit_id=bytes(vid),
            venue=venue,
            day=day,
            time_in=tin,
            time_out=tout,
            pseudonym=pseud,
            locator=None if loc is None else bytes(loc),
            channel=Channel(channel),
            declaration=None if decl is None else _DECLARATIONS[decl & 3],
            envelope=bytes(env),
            receipt_hash=None if rh is None else bytes(rh),
            version=version,
        ),
        bytes(sig),
    )


# -- writes -------------------------------------------------------------------------------

Key = tuple[str, int, bytes]


def key_of(record: StoredVisit) -> Key:
    """A record's key: (venue, day, visit id)."""
    v = record.visit
    return (v.venue, v.day, v.visit_id)


def classify(new: StoredVisit, stored: StoredVisit) -> str:
    """``"unchanged"``, ``"updated"`` (``new`` is the check-out of ``stored``) or
    ``"conflict"`` for a record whose key is already stored."""
    if new.same_content(stored) or stored.checks_out(new):
        return "unchanged"
    if new.checks_out(stored):
        return "updated"
    return "conflict"


def prepare_batch(records: object) -> dict[int, list[StoredVisit]]:
    """Check a batch and group it by day, merging repeats of one key: identical copies
    collapse, a check-in and its check-out become the check-out.

    Raises:
        InvalidBatch: not a non-empty sequence of at most MAX_BATCH StoredVisit.
        RecordConflict: two records of the batch share a key with different content.
    """
    if isinstance(records, (bytes, str)) or not isinstance(records, Sequence):
        raise InvalidBatch("a batch must be a sequence of StoredVisit")
    if not 1 <= len(records) <= MAX_BATCH:
        raise InvalidBatch(f"a batch holds 1 to {MAX_BATCH} records")
    seen: dict[Key, StoredVisit] = {}
    conflicts: list[str] = []
    for record in records:
        if type(record) is not StoredVisit:
            raise InvalidBatch("a batch must hold StoredVisit records only")
        v = record.visit
        key = (v.venue, v.day, v.visit_id)  # key_of, inlined: this loop runs per record
        first = seen.setdefault(key, record)
        if first is record:
            continue
        verdict = classify(record, first)
        if verdict == "updated":
            seen[key] = record
        elif verdict == "conflict":
            conflicts.append(key[2].hex())
    if conflicts:
        raise RecordConflict(
            f"{len(conflicts)} records repeat a visit id with different content",
            visit_ids=conflicts,
        )
    by_day: dict[int, list[StoredVisit]] = {}
    for key, record in seen.items():
        by_day.setdefault(key[1], []).append(record)
    return by_day


def prepare_trace_seeds(seeds: object) -> dict[int, list[TraceSeed]]:
    """Check a batch of trace seeds and group it by day (identical repeats collapse).

    Raises:
        InvalidBatch: not a non-empty sequence of at most MAX_BATCH TraceSeed.
    """
    if isinstance(seeds, (bytes, str)) or not isinstance(seeds, Sequence):
        raise InvalidBatch("a batch must be a sequence of TraceSeed")
    if not 1 <= len(seeds) <= MAX_BATCH:
        raise InvalidBatch(f"a batch holds 1 to {MAX_BATCH} trace seeds")
    by_day: dict[int, dict[tuple[bytes, bytes], TraceSeed]] = {}
    for seed in seeds:
        if type(seed) is not TraceSeed:
            raise InvalidBatch("a batch must hold TraceSeed items only")
        by_day.setdefault(seed.day, {})[(seed.label, seed.envelope_hash)] = seed
    return {day: list(group.values()) for day, group in by_day.items()}


def check_label_room(
    group: Sequence[TraceSeed], stored: dict[bytes, set[bytes]]
) -> list[TraceSeed]:
    """The seeds of ``group`` not yet stored (``stored``: label -> envelope hashes).

    Raises:
        TraceSeedLabelFull: a label would hold more than MAX_SEEDS_PER_LABEL envelopes.
    """
    new = [s for s in group if s.envelope_hash not in stored.get(s.label, set())]
    count: dict[bytes, int] = {}
    for s in new:
        count[s.label] = count.get(s.label, len(stored.get(s.label, ()))) + 1
        if count[s.label] > MAX_SEEDS_PER_LABEL:
            raise TraceSeedLabelFull(
                f"a trace-seed label holds at most {MAX_SEEDS_PER_LABEL} envelopes"
            )
    return new


def locator_pairs(pairs: object, limit: int) -> list[tuple[str, bytes]]:
    """Check (venue DID, locator) pairs for a locator query; raises InvalidQuery."""
    if isinstance(pairs, (bytes, str)) or not isinstance(pairs, Sequence):
        raise InvalidQuery("pairs must be a sequence of (venue, locator)")
    if len(pairs) > limit:
        raise InvalidQuery(f"at most {limit} (venue, locator) pairs per query")
    out = []
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise InvalidQuery("pairs must be (venue, locator) tuples")
        out.append((check_venue_did(pair[0]), check_locator(pair[1])))
    return out


def pseudonym_arg(value: object) -> str:
    """A pseudonym to look up: text of at most 64 characters; raises InvalidQuery."""
    if type(value) is not str or not 0 < len(value) <= 64:
        raise InvalidQuery("pseudonym must be a did:key of at most 64 characters")
    return value


def conflict_error(conflicts: Sequence[bytes]) -> RecordConflict:
    """The error refusing a batch whose records conflict with stored ones."""
    return RecordConflict(
        f"{len(conflicts)} records conflict with stored records of the same visit id; "
        "the batch was not stored",
        visit_ids=[c.hex() for c in conflicts],
    )


def check_venues(venues: object) -> list[Venue]:
    """A non-empty sequence of at most MAX_BATCH venues; raises InvalidBatch."""
    if isinstance(venues, (bytes, str)) or not isinstance(venues, Sequence):
        raise InvalidBatch("venues must be a sequence of Venue")
    if not 1 <= len(venues) <= MAX_BATCH:
        raise InvalidBatch(f"a batch holds 1 to {MAX_BATCH} venues")
    if any(type(v) is not Venue for v in venues):
        raise InvalidBatch("venues must be a sequence of Venue")
    return list(venues)


# -- queries ------------------------------------------------------------------------------


def day_range(earliest_time_in: int, latest_time_in: int) -> range:
    """The days whose records can have a time in within the two bounds."""
    return range(
        max(0, earliest_time_in - _TZ) // SECONDS_PER_DAY,
        (latest_time_in + _TZ) // SECONDS_PER_DAY + 1,
    )


@dataclass(frozen=True, slots=True)
class ContactWindow:
    """A contact query worked out: the widened window ``[lo, hi]`` and the time-in range an
    index scan needs (a stay lasts at most MAX_STAY, so a contact began no earlier than
    ``lo - MAX_STAY + min_overlap`` and no later than ``hi - min_overlap``)."""

    venue: str
    lo: int
    hi: int
    min_overlap: int
    category: Category

    @classmethod
    def of(
        cls, venue: str, start: int, end: int, min_overlap: int, category: Category
    ) -> ContactWindow:
        """Check a contact query's arguments and widen its window.

        Raises:
            InvalidQuery: as :meth:`Store.contacts`.
        """
        check_venue_did(venue)
        check_time(start, "start")
        check_time(end, "end")
        check_duration(min_overlap, "min_overlap")
        if end < start:
            raise InvalidQuery("end must not be before start")
        if end - start > MAX_STAY:
            raise InvalidQuery(f"a stay lasts at most {MAX_STAY} s")
        return cls(
            venue, max(0, start - category.margin), end + category.margin, min_overlap, category
        )

    @property
    def earliest_time_in(self) -> int:
        """The earliest time in of a possible contact."""
        return max(0, self.lo - MAX_STAY + self.min_overlap)

    @property
    def latest_time_in(self) -> int:
        """The latest time in of a possible contact."""
        return self.hi - self.min_overlap

    @property
    def days(self) -> range:
        """The days whose records can be contacts."""
        if self.latest_time_in < self.earliest_time_in:
            return range(0)
        return day_range(self.earliest_time_in, self.latest_time_in)

    @property
    def dwell(self) -> int:
        """The stay of a record without a check-out."""
        return min(self.category.dwell, MAX_STAY)

    def measure(self, record: StoredVisit) -> Match | None:
        """The record as a contact, or None when it overlaps by less than the minimum."""
        v = record.visit
        end = v.time_in + self.dwell if v.time_out is None else v.time_out
        overlap = min(end, self.hi) - max(v.time_in, self.lo)
        if overlap < self.min_overlap:
            return None
        return Match(record, v.time_in, end, v.time_out is None, overlap)


def whole_stay(record: StoredVisit, category: Category) -> Match:
    """A match for a query without a time window: the whole stay."""
    v = record.visit
    end = v.time_in + min(category.dwell, MAX_STAY) if v.time_out is None else v.time_out
    return Match(record, v.time_in, end, v.time_out is None, end - v.time_in)
