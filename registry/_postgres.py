"""The production engine: PostgreSQL through psycopg 3 and psycopg-pool (DESIGN.md
"Storage"), imported only when a ``postgresql://`` store is opened.

Visits and trace seeds are partitioned by list on ``day``; a day's partitions are made on
its first write (under an advisory lock, after checking the day was not purged) and
inherit every index of the parent, so each partition has its own indexes and retention is
``DROP TABLE`` of a day's partitions. Records enter with ``COPY … FROM STDIN (FORMAT
BINARY)`` into their day's partition, one COPY per day of a batch (:mod:`registry._pgcopy`,
sent in pieces of 64 rows as they are made), inside one transaction per batch. A batch is
first copied whole without looking anything up: a batch seen for the first time (nearly
every one) costs one COPY and a commit. When the primary key refuses
it (a retried upload, a check-out, a concurrent writer storing one of the ids), the
transaction rolls back and the batch is classified against the stored rows (new,
check-out, unchanged, conflict) and written again; a concurrent writer storing an id in
between makes that fail on the primary key too, and it is classified again. Commits use
the server's ``synchronous_commit`` (``on`` by default: acknowledged means flushed to the
server's WAL); nothing here turns it off. At island scale give the server memory for a
day's indexes and spaced checkpoints, as the benchmark's server has (``shared_buffers``
1GB, ``max_wal_size`` 8GB, ``checkpoint_timeout`` 30min, ``wal_compression`` lz4); fsync,
``synchronous_commit`` and ``full_page_writes`` stay on.

**Index keys.** From schema version 5 the secondary indexes hold 64-bit hashes of the venue
and the pseudonym (``hashtextextended``, :data:`registry._schema.VENUE_KEY`) instead of
their text; every query names the same expression and also matches the text on the row.
A full-size day of the island (1.36 million records) spends its ingest CPU descending four
B-trees; with the DIDs' text in three of them, comparing text (``bttextcmp``, ``memcmp`` of
the DIDs' common prefix) took a fifth of the backend's time. With 8-byte keys the backend
spends 15 instead of 20 µs per record and ingest went from 42,600 to 53,700 records/s
(``benchmarks/bench_registry_store.py --records 38000000 --days 1``). Rows are copied
straight into the day's partition, not routed through the parent; making the payload in
pieces lets the client make one while the server stores the last (three full-size days:
52,000 instead of 49,800 records/s).

Connection failures, a server shutting down or restarting, and a pool that cannot hand out
a connection in time are :class:`~registry.errors.StoreUnavailable`. The pool checks a
connection before lending it, so after a restart the next call gets a fresh one.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
from collections.abc import Iterable, Iterator, Sequence
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
from registry._pgcopy import visits_chunks
from registry._schema import (
    PARTITIONED_TABLES,
    PSEUDONYM_KEY,
    SCHEMA_VERSION,
    VENUE_KEY,
    citus_migrations,
    postgres_migrations,
    postgres_partition_ddl,
    text_key,
)
from registry._store import (
    COLUMNS,
    MAX_QUERY_ITEMS,
    MIN_OVERLAP,
    ContactWindow,
    check_label_room,
    check_venues,
    classify,
    conflict_error,
    from_row,
    key_of,
    locator_pairs,
    prepare_batch,
    prepare_trace_seeds,
    pseudonym_arg,
    to_row,
    whole_stay,
)
from registry.errors import ExpiredRecord, SchemaMismatch, StoreUnavailable

__all__ = ["PostgresStore"]

_COLS = ", ".join(COLUMNS)
# Advisory lock keys (pg_advisory_xact_lock): schema migration, partition DDL and purge,
# trace-seed writes.
_LOCK_SCHEMA = 0x616E_7368_0001
_LOCK_PARTITIONS = 0x616E_7368_0002
_LOCK_TRACE_SEEDS = 0x616E_7368_0003
_RETRIES = 4  # the first write of a batch, then up to three careful ones


class PostgresStore:
    """A store in one PostgreSQL database. Open with :func:`registry.open_store`
    (``postgresql://user@host:port/db``, any libpq connection URL).

    ``citus`` applies the Citus variant of the schema (needs the citus extension).

    Raises (on opening):
        StoreUnavailable: the server cannot be reached within ``timeout`` seconds.
        SchemaMismatch: the database's schema is newer than this code.
    """

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 4,
        timeout: float = 10.0,
        citus: bool = False,
    ) -> None:
        import psycopg
        import psycopg_pool

        self._psycopg = psycopg
        self._pool_errors: tuple[type[BaseException], ...] = (
            psycopg.OperationalError,
            psycopg.InterfaceError,
            psycopg_pool.PoolTimeout,
            psycopg_pool.TooManyRequests,
        )
        self.url = url
        self._known_days: set[int] = set()
        self._pool = psycopg_pool.ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            open=False,
            check=psycopg_pool.ConnectionPool.check_connection,
            kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout))},
            name="anshim-registry",
        )
        with self._errors():
            self._pool.open(wait=True, timeout=timeout)
        try:
            with self._conn() as conn:
                _migrate(conn, citus_migrations() if citus else postgres_migrations())
        except BaseException:
            self._pool.close()
            raise

    # -- plumbing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except self._pool_errors as exc:
            raise StoreUnavailable(f"PostgreSQL store unavailable: {exc}") from exc

    @contextlib.contextmanager
    def _conn(self) -> Iterator[Any]:
        with self._errors(), self._pool.connection() as conn:
            yield conn

    def close(self) -> None:
        """Close the pool (idempotent)."""
        self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        """The highest migration applied."""
        with self._conn() as conn:
            return int(conn.execute("SELECT max(version) FROM registry_schema").fetchone()[0])

    def _ensure_days(self, conn: Any, days: Iterable[int]) -> None:
        # Make the partitions of days never written before; refuse purged days.
        missing = sorted(set(days) - self._known_days)
        if not missing:
            return
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_PARTITIONS,))
            horizon = _horizon(conn)
            if missing[0] < horizon:
                raise ExpiredRecord(
                    f"day {missing[0]} was already deleted by retention (before {horizon})"
                )
            for day in missing:
                for table in PARTITIONED_TABLES:
                    conn.execute(postgres_partition_ddl(table, day))
        self._known_days.update(missing)

    def _writing(self, days: Iterable[int], write: Any) -> Any:
        # Runs write(conn, careful) in a transaction, after making the days' partitions. A
        # partition gone or a row that finds none (another process purged its day since
        # this one cached it) means: look again. A primary key taken (a retried batch, or a
        # concurrent writer storing one of the ids meanwhile) means: again, carefully.
        errors = self._psycopg.errors
        careful = False
        for attempt in range(_RETRIES):
            with self._conn() as conn:
                self._ensure_days(conn, days)
                try:
                    with conn.transaction():
                        return write(conn, careful)
                except (errors.CheckViolation, errors.UndefinedTable):
                    self._known_days.clear()
                    if attempt == _RETRIES - 1:
                        raise
                except errors.UniqueViolation:
                    careful = True
                    if attempt == _RETRIES - 1:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- visits --------------------------------------------------------------------------

    def put(self, records: Sequence[StoredVisit]) -> PutResult:
        """Store a batch of records (:meth:`registry.Store.put`).

        A batch is first written as if none of its ids were stored (one COPY, no look-up):
        the primary key refuses it whole when one was, and the batch is then classified
        against the stored rows (new, check-out, unchanged, conflict) and written again.
        """
        by_day = prepare_batch(records)
        group = [r for day_group in by_day.values() for r in day_group]
        days = sorted(by_day)

        def copy(conn: Any, rows: Iterable[tuple[Any, ...]]) -> None:
            # Straight into each day's partition: no routing of every row through the
            # parent. Rows come grouped by day (prepare_batch). The rows and the payload
            # are made in pieces as they go out: the server stores one piece while the
            # next is made, instead of waiting for the whole batch.
            for day, of_day in itertools.groupby(rows, key=operator.itemgetter(1)):
                with (
                    conn.cursor() as cur,
                    cur.copy(f"COPY visits_d{day:d} ({_COLS}) FROM STDIN (FORMAT BINARY)") as out,
                ):
                    for piece in visits_chunks(of_day):
                        out.write(piece)

        def write(conn: Any, careful: bool) -> PutResult:
            if not careful:
                copy(conn, map(to_row, group))
                return PutResult(len(group), 0, 0)
            stored: dict[tuple[str, int, bytes], tuple[Any, ...]] = {}
            rows = conn.execute(
                f"SELECT {_COLS} FROM visits WHERE day = ANY(%s) AND visit_id = ANY(%s)",
                (days, [r.visit.visit_id for r in group]),
            ).fetchall()
            for row in rows:
                stored[(row[0], row[1], row[2])] = row
            inserts, updates, conflicts, unchanged = [], [], [], 0
            for record in group:
                row = stored.get(key_of(record))
                if row is None:
                    inserts.append(to_row(record))
                    continue
                new = to_row(record)
                verdict = "unchanged" if tuple(row) == new else classify(record, from_row(row))
                if verdict == "unchanged":
                    unchanged += 1
                elif verdict == "updated":
                    updates.append(new)
                else:
                    conflicts.append(record.visit.visit_id)
            if conflicts:
                raise conflict_error(conflicts)
            if inserts:
                copy(conn, inserts)
            if updates:
                with conn.cursor() as cur:
                    cur.executemany(
                        "UPDATE visits SET time_out = %s, signature = %s WHERE day = %s"
                        " AND visit_id = %s AND venue = %s AND time_out IS NULL",
                        [(r[4], r[12], r[1], r[2], r[0]) for r in updates],
                    )
            return PutResult(len(inserts), len(updates), unchanged)

        result: PutResult = self._writing(days, write)
        return result

    # -- trace seeds ---------------------------------------------------------------------

    def put_trace_seeds(self, seeds: Sequence[TraceSeed]) -> PutResult:
        """Store sealed trace seeds, all or nothing (:meth:`registry.Store.put_trace_seeds`)."""
        by_day = prepare_trace_seeds(seeds)

        def write(conn: Any, careful: bool) -> PutResult:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_TRACE_SEEDS,))
            new: list[TraceSeed] = []
            for day, group in by_day.items():
                stored: dict[bytes, set[bytes]] = {}
                for label, digest in conn.execute(
                    "SELECT label, envelope_hash FROM trace_seeds WHERE day = %s"
                    " AND label = ANY(%s)",
                    (day, sorted({s.label for s in group})),
                ):
                    stored.setdefault(label, set()).add(digest)
                new += check_label_room(group, stored)
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO trace_seeds (label, day, envelope_hash, envelope)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    [(s.label, s.day, s.envelope_hash, s.envelope) for s in new],
                )
            return PutResult(inserted=len(new), unchanged=len(seeds) - len(new))

        result: PutResult = self._writing(sorted(by_day), write)
        return result

    def trace_seeds(self, label: bytes) -> list[bytes]:
        """The envelopes stored under ``label`` (:meth:`registry.Store.trace_seeds`)."""
        day = trace_seed_label(label).epoch
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT envelope FROM trace_seeds WHERE day = %s AND label = %s"
                " ORDER BY envelope_hash",
                (day, label),
            ).fetchall()
        return [r[0] for r in rows]

    # -- venues --------------------------------------------------------------------------

    def put_venues(self, venues: Sequence[Venue]) -> None:
        """Add or replace directory entries (:meth:`registry.Store.put_venues`)."""
        entries = check_venues(venues)
        with self._conn() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO venues VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (did) DO UPDATE"
                " SET category = excluded.category, signing_key = excluded.signing_key,"
                " agreement_key = excluded.agreement_key, valid_from = excluded.valid_from,"
                " valid_until = excluded.valid_until",
                [
                    (v.did, v.category, v.signing_key, v.agreement_key, v.valid_from, v.valid_until)
                    for v in entries
                ],
            )

    def venue(self, did: str) -> Venue | None:
        """The directory entry of ``did`` (:meth:`registry.Store.venue`)."""
        check_venue_did(did)
        with self._conn() as conn:
            row = conn.execute("SELECT * FROM venues WHERE did = %s", (did,)).fetchone()
        return None if row is None else Venue(*row)

    def venues(self) -> list[Venue]:
        """Every directory entry, ordered by DID."""
        with self._conn() as conn:
            rows = conn.execute("SELECT * FROM venues ORDER BY did").fetchall()
        return [Venue(*r) for r in rows]

    def _categories(self, conn: Any, venues: Iterable[str]) -> dict[str, Category]:
        names = sorted(set(venues))
        rows = conn.execute(
            "SELECT did, category FROM venues WHERE did = ANY(%s)", (names,)
        ).fetchall()
        found = dict(rows)
        return {v: category(found.get(v)) for v in names}

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
        check_venue_did(venue)
        with self._conn() as conn:
            cat = self._categories(conn, [venue])[venue]
            w = ContactWindow.of(venue, start, end, min_overlap, cat)
            days = w.days
            if not days:
                return []
            # Rows come in binary: a wedding hall's 1,000 rows took 14 ms to fetch as text
            # (bytea in hex) and 5 ms in binary.
            rows = conn.execute(
                f"SELECT {_COLS} FROM visits WHERE day BETWEEN %s AND %s"
                f" AND {VENUE_KEY} = {text_key('%s')} AND venue = %s"
                " AND time_in BETWEEN %s AND %s AND coalesce(time_out, time_in + %s) >= %s",
                (
                    days.start,
                    days[-1],
                    venue,
                    venue,
                    w.earliest_time_in,
                    w.latest_time_in,
                    w.dwell,
                    w.lo + min_overlap,
                ),
                binary=True,
            ).fetchall()
        out = []
        for row in rows:
            if row[2] in skip:
                continue
            match = w.measure(from_row(row))
            if match is not None:
                out.append(match)
        out.sort(key=lambda m: (m.start, m.record.visit.visit_id))
        return out

    def _matches(self, conn: Any, rows: list[tuple[Any, ...]]) -> list[Match]:
        records = [from_row(r) for r in rows]
        cats = self._categories(conn, [r.visit.venue for r in records])
        return [whole_stay(r, cats[r.visit.venue]) for r in records]

    def by_locators(self, day: int, pairs: Sequence[tuple[str, bytes]]) -> list[Match]:
        """Records of ``day`` by (venue, locator) (:meth:`registry.Store.by_locators`)."""
        check_day(day)
        checked = locator_pairs(pairs, MAX_QUERY_ITEMS)
        if not checked:
            return []
        with self._conn() as conn:
            # One probe of the day's (venue key, locator) index per pair: OFFSET 0 keeps the
            # planner from flattening the lateral subquery into a hash join, which reads
            # the whole day (and spills it to disk) for a few thousand pairs. The arrays
            # travel in binary (%b), a quarter of the time of their text form.
            rows = conn.execute(
                f"SELECT {', '.join('v.' + c for c in COLUMNS)}"
                " FROM unnest(%b::text[], %b::bytea[]) AS q(venue, locator)"
                f" CROSS JOIN LATERAL (SELECT {_COLS} FROM visits WHERE day = %s"
                f" AND {VENUE_KEY} = {text_key('q.venue')} AND locator = q.locator"
                " AND venue = q.venue OFFSET 0) AS v",
                ([p[0] for p in checked], [p[1] for p in checked], day),
                binary=True,
            ).fetchall()
            return self._matches(conn, rows)

    def by_pseudonym(self, pseudonym: str, day: int) -> list[Match]:
        """Records of ``day`` under ``pseudonym`` (:meth:`registry.Store.by_pseudonym`)."""
        pseudonym_arg(pseudonym)
        check_day(day)
        with self._conn() as conn:
            rows = conn.execute(
                f"SELECT {_COLS} FROM visits WHERE day = %s"
                f" AND {PSEUDONYM_KEY} = {text_key('%s')} AND pseudonym = %s",
                (day, pseudonym, pseudonym),
                binary=True,
            ).fetchall()
            return self._matches(conn, rows)

    def by_visit_ids(self, visit_ids: Sequence[bytes], *, days: range) -> list[Match]:
        """Records by visit id over ``days`` (:meth:`registry.Store.by_visit_ids`)."""
        ids = check_visit_ids(visit_ids, MAX_QUERY_ITEMS)
        check_days(days)
        if not ids or not days:
            return []
        with self._conn() as conn:
            rows = conn.execute(
                f"SELECT {_COLS} FROM visits WHERE day BETWEEN %s AND %s AND visit_id = ANY(%s)",
                (days.start, days[-1], ids),
                binary=True,
            ).fetchall()
            return self._matches(conn, rows)

    # -- retention -----------------------------------------------------------------------

    def days(self) -> list[int]:
        """The days that have partitions, oldest first."""
        with self._conn() as conn:
            return _partition_days(conn)

    def stats(self) -> list[DayStats]:
        """Per-day figures (:meth:`registry.Store.stats`)."""
        with self._conn() as conn:
            days = _partition_days(conn)
            visits = {
                r[0]: r[1:]
                for r in conn.execute(
                    "SELECT day, count(*), count(time_out), count(DISTINCT venue)"
                    " FROM visits GROUP BY day"
                )
            }
            seeds = dict(conn.execute("SELECT day, count(*) FROM trace_seeds GROUP BY day"))
        out = []
        for d in days:
            count, checked_out, venues = visits.get(d, (0, 0, 0))
            out.append(DayStats(d, count, checked_out, venues, seeds.get(d, 0)))
        return out

    def purge(self, before: int) -> list[int]:
        """Drop the partitions of every day older than ``before`` (:meth:`registry.Store.purge`)."""
        check_day(before, "before")
        with self._conn() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_PARTITIONS,))
            conn.execute(
                "INSERT INTO registry_meta VALUES ('purged_before', %s) ON CONFLICT (key)"
                " DO UPDATE SET value = greatest(registry_meta.value, excluded.value)",
                (before,),
            )
            gone = [d for d in _partition_days(conn) if d < before]
            for day in gone:
                for table in PARTITIONED_TABLES:
                    conn.execute(f"DROP TABLE IF EXISTS {table}_d{day}")
        self._known_days.difference_update(gone)
        return gone

    # -- compaction ----------------------------------------------------------------------

    def compact(self, day: int) -> bool:
        """Rewrite ``day``'s records in venue and time order (:meth:`registry.Store.compact`):
        ``CLUSTER`` of the day's partition on its (venue, time in) index, then ``ANALYZE``.
        The partition is locked (reads and writes of that day wait) while it is rewritten;
        other days are not."""
        check_day(day)
        with self._conn() as conn:
            with conn.transaction():
                index = _time_index(conn, day)
                if index is None:
                    return False
                conn.execute(f"CLUSTER visits_d{day} USING {index}")
            conn.execute(f"ANALYZE visits_d{day}")
        return True

    def compacted(self, day: int) -> bool:
        """Whether ``day`` was compacted (:meth:`registry.Store.compacted`)."""
        check_day(day)
        with self._conn() as conn:
            index = _time_index(conn, day)
            if index is None:
                return False
            row = conn.execute(
                "SELECT indisclustered FROM pg_index WHERE indexrelid = %s::regclass", (index,)
            ).fetchone()
            return bool(row[0])


def _time_index(conn: Any, day: int) -> str | None:
    # The partition's own index of the parent's visits_venue_time (named by PostgreSQL).
    row = conn.execute(
        "SELECT x.indexrelid::regclass::text FROM pg_index x"
        " JOIN pg_inherits h ON h.inhrelid = x.indexrelid"
        " WHERE h.inhparent = 'visits_venue_time'::regclass AND x.indrelid = to_regclass(%s)",
        (f"visits_d{day}",),
    ).fetchone()
    return None if row is None else str(row[0])


def _horizon(conn: Any) -> int:
    row = conn.execute("SELECT value FROM registry_meta WHERE key = 'purged_before'").fetchone()
    return 0 if row is None else int(row[0])


def _partition_days(conn: Any) -> list[int]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'visits'::regclass"
    ).fetchall()
    return sorted(int(name.removeprefix("visits_d")) for (name,) in rows)


def _migrate(conn: Any, migrations: Sequence[tuple[str, ...]]) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_SCHEMA,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS registry_schema (version integer PRIMARY KEY,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        version = conn.execute("SELECT coalesce(max(version), 0) FROM registry_schema").fetchone()[
            0
        ]
        if version > SCHEMA_VERSION:
            raise SchemaMismatch(
                f"schema version {version} is newer than this code ({SCHEMA_VERSION})"
            )
        for number in range(version + 1, len(migrations) + 1):
            with conn.transaction():
                for statement in migrations[number - 1]:
                    conn.execute(statement)
                conn.execute("INSERT INTO registry_schema (version) VALUES (%s)", (number,))
