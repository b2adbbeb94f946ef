"""The embedded engine: the standard library's ``sqlite3`` (DESIGN.md "Storage").

Layout of a store folder::

    registry.sqlite3          venues, settings, the journal of batches spanning days
    visits-<day>.sqlite3      one file per day: its visit records and trace seeds
    write.lock                held (flock) by the one writer at a time

Retention removes a day's file (and its ``-wal``/``-shm`` companions): the data is gone
from the file system, not only marked deleted.

**Durability.** Every file runs in WAL mode with ``synchronous=FULL``: each commit fsyncs
the write-ahead log before it returns, so an acknowledged batch survives a power cut or an
operating-system crash. ``NORMAL`` (the common WAL setting) survives a crashed *process*
but may lose the last commits on power loss, because it syncs only at checkpoints; an
acknowledgement that a venue then deletes its copy on must not be lost, so ``FULL`` it is.
A commit then costs one fsync per batch, which batching (up to 10,000 records) amortises.

**Atomic batches across days.** SQLite commits are atomic per file; in WAL mode a
transaction over several attached files is not atomic across a crash. A batch whose
records fall on one day (the common case) is one transaction in one file. A batch spanning
days is first written whole to the journal in the main file (one durable commit), then
applied to each day file, then removed from the journal; a writer that finds a journal
entry (the previous writer died) applies it again before anything else. Applying is
idempotent, and conflicts were checked before the journal was written, so after a crash
every batch is either wholly absent (not acknowledged) or wholly present.

Writers take an exclusive ``flock`` on ``write.lock`` (released by the kernel when a
process dies), so one writer works at a time across processes; readers never wait for it.

**Write volume.** A visit row is appended (rowids only grow), but each of its four index
entries (unique by visit id; venue and time in; venue and locator; pseudonym) lands at a
random place: once a day's indexes are larger than a batch, a batch of 1,000 records
dirties about one page per index per record, and its commit writes every dirty page whole
to the WAL (and a checkpoint writes it again into the file). That, not the fsync, is this
engine's ingest floor at scale (``benchmarks/bench_registry_store.py`` measures it beside
bare SQLite on the same rows), and what the day files are tuned for, durability untouched:

* narrow index entries: the venue as an 8-byte key of its DID (schema version 3), the
  unique key (visit id, venue key) and ten characters of the pseudonym (version 4):
  at 1 million records 5,600 -> 3,900 bytes written per record;
* a batch seen for the first time is inserted without looking its ids up first, in a
  transaction of its own (:func:`~registry._sqlite_journal.insert_new`; not a savepoint,
  whose statement journal wrote 3,700 more bytes per record);
* a day file keeps 16 MiB of page cache (SQLite's default is 2 MiB) and checkpoints
  every 100,000 pages (~400 MiB of WAL) instead of 1,000, so that a page dirtied by many
  commits is written back once (at 600,000 records a day: 27 -> 21 KB written and
  12,800 -> 19,000 records/s); its WAL shrinks to 64 MiB after a checkpoint, and the
  file is closed (its WAL checkpointed and removed) when the writer moves to another day.

**Compaction.** Rows lie in a day file in arrival order, so one venue's stays are spread
over the whole file and a contacts query reads a page per record it finds: once the store
outgrows memory, a random read each. :meth:`SqliteStore.compact` rewrites a day in
``(venue key, time in)`` order into a new file (``visits-<day>.g<N>.sqlite3``, its
generation N counted in the main file's ``meta``): the query then reads neighbouring
pages. The copy is made and fsynced under the writer lock, then one durable commit of the
main file makes it the day's file, and the old file is removed. Every opener asks the main
file which generation is current (a process holding the old file open reopens the new
one on its next query or write; a reader never creates a day file), so no write can land
in a file that was replaced. A crash before the commit leaves a stray copy (removed by the
next compaction); after it, a stray old file (removed likewise, and by retention).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from protocol import Category, category
from registry._checks import check_day, check_days, check_venue_did, check_visit_ids
from registry._model import (
    DayStats,
    Match,
    PutResult,
    StoredVisit,
    TraceSeed,
    Venue,
    trace_seed_label,
)
from registry._schema import SQLITE_DAY_MIGRATIONS, SQLITE_MAIN_MIGRATIONS, SQLITE_PSEUDONYM_KEY
from registry._sqlite_compact import build_sorted, remove_files
from registry._sqlite_journal import (
    COLS,
    apply,
    chunks,
    insert_new,
    migrate,
    register_functions,
    replay,
    sort_out,
    sqlite_errors,
    transaction,
    venue_key,
    write_journal,
)
from registry._store import (
    COLUMNS,
    MAX_QUERY_ITEMS,
    MIN_OVERLAP,
    ContactWindow,
    check_label_room,
    check_venues,
    from_row,
    locator_pairs,
    prepare_batch,
    prepare_trace_seeds,
    pseudonym_arg,
    to_row,
    whole_stay,
)
from registry.errors import ExpiredRecord, StoreUnavailable

__all__ = ["SqliteStore"]

_MAIN = "registry.sqlite3"
_DAY_FILE = re.compile(r"\Avisits-(\d{1,10})(?:\.g(\d{1,10}))?\.sqlite3\Z")
_COLS = COLS
_MAX_OPEN_DAYS = 64
#: Day files take every visit write (module docstring, "Write volume").
DAY_PRAGMAS = (
    "PRAGMA cache_size = -16384",
    "PRAGMA wal_autocheckpoint = 100000",
    "PRAGMA journal_size_limit = 67108864",
)


class SqliteStore:
    """A store in a folder of SQLite files (module docstring). Open with
    :func:`registry.open_store` (``sqlite:///path/to/dir``). ``cache_kib``, if given,
    bounds each day file's page cache (KiB) in place of the engine's own size.

    Raises (on opening):
        StoreUnavailable: the folder or its files cannot be opened (or are locked).
        SchemaMismatch: a file's schema is newer than this code, or a file is damaged.
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        *,
        create: bool = False,
        timeout: float = 30.0,
        cache_kib: int | None = None,
    ):
        self.folder = Path(folder)
        self.url = f"sqlite:///{self.folder}"
        self._timeout = timeout
        self._cache_kib = cache_kib
        self._lock = threading.RLock()
        self._days: dict[int, sqlite3.Connection] = {}
        self._generations: dict[int, int] = {}  # the generation each open day file is of
        self._closer: ThreadPoolExecutor | None = None  # closes left day files (_moved_to)
        self._closing: list[Future[None]] = []
        self._last_day: int | None = None  # the day file the last batch went to
        with sqlite_errors():
            if create:
                self.folder.mkdir(parents=True, exist_ok=True)
            elif not (self.folder / _MAIN).exists():
                raise StoreUnavailable(f"no registry store at {self.folder} (run 'init')")
            self._lockfile = open(self.folder / "write.lock", "a+b")  # noqa: SIM115
            try:
                self._main = self._connect(self.folder / _MAIN, SQLITE_MAIN_MIGRATIONS)
            except BaseException:
                self._lockfile.close()
                raise
            try:
                with self._writing():
                    pass  # completes a batch a dead writer left in the journal
            except BaseException:
                self.close()
                raise

    # -- connections ---------------------------------------------------------------------

    def _connect(
        self,
        path: Path,
        migrations: Sequence[tuple[str, ...]],
        pragmas: Sequence[str] = (),
        *,
        create: bool = True,
    ) -> sqlite3.Connection:
        conn = sqlite3.connect(
            path.resolve().as_uri() + ("" if create else "?mode=rw"),
            timeout=self._timeout,
            isolation_level=None,
            check_same_thread=False,
            uri=True,
        )
        try:
            register_functions(conn)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            for pragma in pragmas:
                conn.execute(pragma)
            migrate(conn, migrations)
        except BaseException:
            conn.close()
            raise
        return conn

    def _day_path(self, day: int, generation: int = 0) -> Path:
        if generation == 0:
            return self.folder / f"visits-{day}.sqlite3"
        return self.folder / f"visits-{day}.g{generation}.sqlite3"

    def _generation(self, day: int) -> int:
        # The current file of a day (module docstring, "Compaction").
        row = self._main.execute(
            "SELECT value FROM meta WHERE key = ?", (f"generation:{day}",)
        ).fetchone()
        return 0 if row is None else int(row[0])

    def _day(self, day: int, *, create: bool) -> sqlite3.Connection | None:
        generation = self._generation(day)
        conn = self._days.get(day)
        if conn is not None:
            if self._generations.get(day) == generation:
                return conn
            del self._days[day]  # compacted by another process since: its file is gone
            conn.close()
        path = self._day_path(day, generation)
        if not create and not path.exists():
            return None
        if len(self._days) >= _MAX_OPEN_DAYS:
            self._days.pop(next(iter(self._days))).close()
        try:
            conn = self._connect(path, SQLITE_DAY_MIGRATIONS, DAY_PRAGMAS, create=create)
        except sqlite3.OperationalError:
            # A reader lost a race with retention or compaction: the file went between
            # the check and the open (a reader never creates one). Ask again.
            if create or path.exists():
                raise
            return self._day(day, create=False) if self._generation(day) != generation else None
        if self._cache_kib is not None:  # set last, so this size wins
            conn.execute(f"PRAGMA cache_size = -{int(self._cache_kib)}")
        self._days[day] = conn
        self._generations[day] = generation
        return conn

    def close(self) -> None:
        """Close every file (idempotent).

        Raises:
            StoreUnavailable: a day file closed behind the writer failed its checkpoint
                (its data is in its WAL, which the next opener checkpoints).
        """
        with self._lock:
            try:
                with sqlite_errors():
                    self._closed_behind()
            finally:
                if self._closer is not None:
                    self._closer.shutdown()
                    self._closer = None
                for conn in self._days.values():
                    conn.close()
                self._days.clear()
                if not self._lockfile.closed:
                    self._main.close()
                    self._lockfile.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        """The schema version of the main file."""
        with self._lock, sqlite_errors():
            return int(self._main.execute("PRAGMA user_version").fetchone()[0])

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        # One writer at a time in this process (the lock) and across processes (flock);
        # a journal left by a writer that died is applied first.
        with self._lock, sqlite_errors():
            fcntl.flock(self._lockfile.fileno(), fcntl.LOCK_EX)
            try:
                replay(self._main, self._day)
                yield
            finally:
                fcntl.flock(self._lockfile.fileno(), fcntl.LOCK_UN)

    def _horizon(self) -> int:
        row = self._main.execute("SELECT value FROM meta WHERE key = 'purged_before'").fetchone()
        return 0 if row is None else int(row[0])

    def _check_horizon(self, days: Iterable[int]) -> None:
        horizon = self._horizon()
        old = sorted(d for d in days if d < horizon)
        if old:
            raise ExpiredRecord(f"day {old[0]} was already deleted by retention (before {horizon})")

    # -- visits --------------------------------------------------------------------------

    def put(self, records: Sequence[StoredVisit]) -> PutResult:
        """Store a batch of records (:meth:`registry.Store.put`)."""
        by_day = prepare_batch(records)
        with self._writing():
            self._check_horizon(by_day)
            if len(by_day) == 1:
                ((day, group),) = by_day.items()
                conn = self._day(day, create=True)
                assert conn is not None  # created on demand
                self._moved_to(day)
                if insert_new(conn, group):
                    return PutResult(len(group), 0, 0)
                with transaction(conn):
                    inserts, updates, unchanged = sort_out(conn, group)
                    apply(conn, inserts, updates)
                return PutResult(len(inserts), len(updates), unchanged)
            return self._put_days(by_day)

    def _moved_to(self, day: int) -> None:
        # The day file the writer leaves keeps a WAL of up to one checkpoint interval
        # (DAY_PRAGMAS) and a full cache: closing it (the last connection checkpoints and
        # removes its WAL, without waiting for other processes' readers) hands both back;
        # a query reopens it.
        # The close runs on a thread of its own (sqlite3 leaves the GIL while SQLite
        # works): the checkpoint writes what is already durable in the WAL, so no
        # acknowledgement waits for it. At 1 million records a day's close took ~0.1 s,
        # the time of ~4,000 records' ingest.
        last, self._last_day = self._last_day, day
        conn = None if last in (None, day) else self._days.pop(last, None)
        if conn is not None:
            if self._closer is None:
                self._closer = ThreadPoolExecutor(1, thread_name_prefix="anshim-day-close")
            self._closing = [f for f in self._closing if not f.done()]
            self._closing.append(self._closer.submit(conn.close))

    def _closed_behind(self) -> None:
        # Waits for the day files being closed behind the writer; a close that failed
        # (its checkpoint: the WAL stays, and its next opener checkpoints it) is raised.
        closing, self._closing = self._closing, []
        for future in closing:
            future.result()

    def _put_days(self, by_day: dict[int, list[StoredVisit]]) -> PutResult:
        result = PutResult()
        journal: list[tuple[Any, ...]] = []
        for day, group in by_day.items():
            conn = self._day(day, create=True)
            assert conn is not None
            inserts, updates, unchanged = sort_out(conn, group)
            result += PutResult(len(inserts), len(updates), unchanged)
            journal += [to_row(r) for r in inserts + updates]
        if journal:
            write_journal(self._main, journal)
            replay(self._main, self._day)
        return result

    # -- trace seeds ---------------------------------------------------------------------

    def put_trace_seeds(self, seeds: Sequence[TraceSeed]) -> PutResult:
        """Store sealed trace seeds, all or nothing (:meth:`registry.Store.put_trace_seeds`)."""
        by_day = prepare_trace_seeds(seeds)
        with self._writing():
            self._check_horizon(by_day)
            new: list[TraceSeed] = []
            for day, group in by_day.items():
                conn = self._day(day, create=True)
                assert conn is not None
                stored: dict[bytes, set[bytes]] = {}
                for chunk in chunks(sorted({s.label for s in group})):
                    marks = ", ".join("?" * len(chunk))
                    q = f"SELECT label, envelope_hash FROM trace_seeds WHERE label IN ({marks})"
                    for label, digest in conn.execute(q, list(chunk)):
                        stored.setdefault(bytes(label), set()).add(bytes(digest))
                new += check_label_room(group, stored)
            if new:
                write_journal(
                    self._main, (), [(t.label, t.day, t.envelope_hash, t.envelope) for t in new]
                )
                replay(self._main, self._day)
            return PutResult(inserted=len(new), unchanged=len(seeds) - len(new))

    def trace_seeds(self, label: bytes) -> list[bytes]:
        """The envelopes stored under ``label`` (:meth:`registry.Store.trace_seeds`)."""
        day = trace_seed_label(label).epoch
        with self._lock, sqlite_errors():
            conn = self._day(day, create=False)
            if conn is None:
                return []
            rows = conn.execute(
                "SELECT envelope FROM trace_seeds WHERE label = ? ORDER BY envelope_hash", (label,)
            ).fetchall()
            return [bytes(r[0]) for r in rows]

    # -- venues --------------------------------------------------------------------------

    def put_venues(self, venues: Sequence[Venue]) -> None:
        """Add or replace directory entries (:meth:`registry.Store.put_venues`)."""
        entries = check_venues(venues)
        with self._writing(), transaction(self._main):
            self._main.executemany(
                "INSERT OR REPLACE INTO venues VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        v.did,
                        v.category,
                        v.signing_key,
                        v.agreement_key,
                        v.valid_from,
                        v.valid_until,
                    )
                    for v in entries
                ],
            )

    def venue(self, did: str) -> Venue | None:
        """The directory entry of ``did`` (:meth:`registry.Store.venue`)."""
        check_venue_did(did)
        with self._lock, sqlite_errors():
            row = self._main.execute("SELECT * FROM venues WHERE did = ?", (did,)).fetchone()
        return None if row is None else _venue(row)

    def venues(self) -> list[Venue]:
        """Every directory entry, ordered by DID."""
        with self._lock, sqlite_errors():
            rows = self._main.execute("SELECT * FROM venues ORDER BY did").fetchall()
        return [_venue(r) for r in rows]

    def _category(self, venue: str) -> Category:
        row = self._main.execute("SELECT category FROM venues WHERE did = ?", (venue,)).fetchone()
        return category(None if row is None else row[0])

    # -- queries -------------------------------------------------------------------------

    def contacts(
        self,
        venue: str,
        start: int,
        end: int,
        *,
        min_overlap: int = MIN_OVERLAP,
        exclude: Iterable[bytes] = (),
    ) -> list[Match]:
        """The contacts of a stay (:meth:`registry.Store.contacts`)."""
        skip = set(check_visit_ids(exclude, MAX_QUERY_ITEMS))
        with self._lock, sqlite_errors():
            w = ContactWindow.of(venue, start, end, min_overlap, self._category(venue))
            out: list[Match] = []
            for day in w.days:
                conn = self._day(day, create=False)
                if conn is None:
                    continue
                rows = conn.execute(
                    f"SELECT {_COLS} FROM visits WHERE venue_key = ? AND venue = ?"
                    " AND time_in BETWEEN ? AND ? AND coalesce(time_out, time_in + ?) >= ?",
                    (
                        venue_key(venue),
                        venue,
                        w.earliest_time_in,
                        w.latest_time_in,
                        w.dwell,
                        w.lo + min_overlap,
                    ),
                ).fetchall()
                for row in rows:
                    if bytes(row[2]) in skip:
                        continue
                    match = w.measure(from_row(row))
                    if match is not None:
                        out.append(match)
        out.sort(key=lambda m: (m.start, m.record.visit.visit_id))
        return out

    def _rows(self, days: Iterable[int], sql: str, params: Sequence[Any]) -> list[Match]:
        out: list[Match] = []
        cats: dict[str, Category] = {}
        for day in days:
            conn = self._day(day, create=False)
            if conn is None:
                continue
            for row in conn.execute(sql, params).fetchall():
                record = from_row(row)
                venue = record.visit.venue
                if venue not in cats:
                    cats[venue] = self._category(venue)
                out.append(whole_stay(record, cats[venue]))
        return out

    def by_locators(self, day: int, pairs: Sequence[tuple[str, bytes]]) -> list[Match]:
        """Records of ``day`` by (venue, locator) (:meth:`registry.Store.by_locators`)."""
        check_day(day)
        checked = locator_pairs(pairs, MAX_QUERY_ITEMS)
        out: list[Match] = []
        with self._lock, sqlite_errors():
            for chunk in chunks(checked, 300):
                marks = ", ".join(["(?, ?, ?)"] * len(chunk))
                # The pairs drive a nested loop over the (venue key, locator) index; a
                # row-value IN (VALUES …) would make SQLite scan the whole day instead.
                cols = ", ".join(f"v.{c}" for c in COLUMNS)
                sql = (
                    f"WITH q(venue_key, venue, locator) AS (VALUES {marks}) SELECT {cols}"
                    " FROM q CROSS JOIN visits v ON v.venue_key = q.venue_key"
                    " AND v.locator = q.locator AND v.venue = q.venue"
                )
                params = [x for v, loc in chunk for x in (venue_key(v), v, loc)]
                out += self._rows([day], sql, params)
        return out

    def by_pseudonym(self, pseudonym: str, day: int) -> list[Match]:
        """Records of ``day`` under ``pseudonym`` (:meth:`registry.Store.by_pseudonym`)."""
        pseudonym_arg(pseudonym)
        check_day(day)
        # The index holds part of the pseudonym; the row must match it whole. "+" keeps
        # SQLite from putting the value in place of the column in the index's expression
        # (its constant propagation), which would no longer match the index.
        with self._lock, sqlite_errors():
            return self._rows(
                [day],
                f"SELECT {_COLS} FROM visits WHERE {SQLITE_PSEUDONYM_KEY} = substr(?, 13, 10)"
                " AND +pseudonym = ?",
                [pseudonym, pseudonym],
            )

    def by_visit_ids(self, visit_ids: Sequence[bytes], *, days: range) -> list[Match]:
        """Records by visit id over ``days`` (:meth:`registry.Store.by_visit_ids`)."""
        ids = check_visit_ids(visit_ids, MAX_QUERY_ITEMS)
        check_days(days)
        out: list[Match] = []
        with self._lock, sqlite_errors():
            for chunk in chunks(ids):
                sql = (
                    f"SELECT {_COLS} FROM visits WHERE visit_id IN ({', '.join('?' * len(chunk))})"
                )
                out += self._rows(days, sql, list(chunk))
        return out

    # -- retention -----------------------------------------------------------------------

    def days(self) -> list[int]:
        """The days that have a file, oldest first."""
        with sqlite_errors():
            found = (_DAY_FILE.match(p.name) for p in self.folder.iterdir())
            return sorted({int(m.group(1)) for m in found if m})

    def stats(self) -> list[DayStats]:
        """Per-day figures (:meth:`registry.Store.stats`)."""
        out = []
        with self._lock, sqlite_errors():
            for day in self.days():
                conn = self._day(day, create=False)
                if conn is None:
                    continue
                visits, out_count, venues = conn.execute(
                    "SELECT count(*), count(time_out), count(DISTINCT venue) FROM visits"
                ).fetchone()
                (seeds,) = conn.execute("SELECT count(*) FROM trace_seeds").fetchone()
                out.append(DayStats(day, visits, out_count, venues, seeds))
        return out

    def purge(self, before: int) -> list[int]:
        """Delete every day file older than ``before`` (:meth:`registry.Store.purge`)."""
        check_day(before, "before")
        with self._writing():
            self._closed_behind()  # no close of a day file runs while it is removed
            self._main.execute(
                "INSERT INTO meta VALUES ('purged_before', ?) ON CONFLICT (key)"
                " DO UPDATE SET value = max(value, excluded.value)",
                (before,),
            )
            gone = [d for d in self.days() if d < before]
            self._main.executemany(
                "DELETE FROM meta WHERE key = ?", [(f"generation:{d}",) for d in gone]
            )
            for day in gone:
                conn = self._days.pop(day, None)
                if conn is not None:
                    conn.close()
                for path in self._day_files(day):
                    remove_files(path)
            _fsync_dir(self.folder)
            return gone

    def _day_files(self, day: int) -> list[Path]:
        # Every file of a day: its current generation, any a crash left behind, and any
        # unfinished compaction copy.
        out = []
        for path in self.folder.glob(f"visits-{day}.*"):
            match = _DAY_FILE.match(path.name.removesuffix(".part"))
            if match and int(match.group(1)) == day:
                out.append(path)
        return out

    # -- compaction ----------------------------------------------------------------------

    def compact(self, day: int) -> bool:
        """Rewrite ``day``'s records in venue and time order (:meth:`registry.Store.compact`;
        module docstring, "Compaction")."""
        check_day(day)
        with self._writing():
            self._closed_behind()  # no close of this day's file runs behind the writer
            if self._day(day, create=False) is None:
                return False
            generation = self._generation(day)
            source = self._day_path(day, generation)
            target = self._day_path(day, generation + 1)
            part = target.with_name(target.name + ".part")
            for stale in self._day_files(day):
                if stale != source:
                    remove_files(stale)
            # The source's WAL moved into it, so that the copy reads one file.
            self._days[day].execute("PRAGMA wal_checkpoint(TRUNCATE)")
            build_sorted(source, part, SQLITE_DAY_MIGRATIONS)
            os.replace(part, target)
            _fsync_dir(self.folder)
            with transaction(self._main):
                self._main.execute(
                    "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key)"
                    " DO UPDATE SET value = excluded.value",
                    (f"generation:{day}", generation + 1),
                )
            self._days.pop(day).close()
            remove_files(source)
            _fsync_dir(self.folder)
            return True

    def compacted(self, day: int) -> bool:
        """Whether ``day`` was compacted (:meth:`registry.Store.compacted`)."""
        check_day(day)
        with self._lock, sqlite_errors():
            return self._generation(day) > 0


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _venue(row: tuple[Any, ...]) -> Venue:
    did, cat, sk, ak, valid_from, valid_until = row
    return Venue(did, cat, bytes(sk), bytes(ak), valid_from, valid_until)
