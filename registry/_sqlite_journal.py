"""SQLite plumbing for :mod:`registry._sqlite`: error mapping, transactions, migrations,
sorting a day's records against what is stored, and the journal of batches that span day
files (written whole in the main file first, then replayed into each day file; see
:mod:`registry._sqlite` for why)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from registry._model import StoredVisit
from registry._schema import SCHEMA_VERSION
from registry._store import COLUMNS, classify, conflict_error, from_row, key_of, to_row
from registry.errors import SchemaMismatch, StoreUnavailable

__all__ = [
    "COLS",
    "MARKS",
    "DayOpener",
    "apply",
    "apply_rows",
    "chunks",
    "day_rows",
    "day_rows_of",
    "insert_new",
    "migrate",
    "register_functions",
    "replay",
    "sort_out",
    "sqlite_errors",
    "transaction",
    "venue_key",
    "write_journal",
]

COLS = ", ".join(COLUMNS)
MARKS = ", ".join("?" * len(COLUMNS))
# A day file's row: the COLUMNS, then the venue's key (schema version 3).
_INSERT = f"INSERT INTO visits ({COLS}, venue_key) VALUES ({MARKS}, ?) ON CONFLICT DO NOTHING"
_CHECK_OUT = (
    "UPDATE visits SET time_out = ?, signature = ?"
    " WHERE visit_id = ? AND venue = ? AND day = ? AND time_out IS NULL"
)
_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit


class DayOpener(Protocol):
    """Opens (or makes) the connection to a day's file."""

    def __call__(self, day: int, *, create: bool) -> sqlite3.Connection | None: ...


@contextlib.contextmanager
def sqlite_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        raise StoreUnavailable(f"SQLite store unavailable: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise SchemaMismatch(f"SQLite store damaged: {exc}") from exc


@functools.lru_cache(maxsize=1 << 17)
def venue_key(venue: str) -> int:
    """The 8-byte key a day file's indexes hold for a venue: the first 8 bytes of SHA-256
    of its DID, as a signed integer (SQLite's INTEGER). Two venues may share one (never
    seen): every query also matches the DID on the row, and the writer refuses a visit id
    that a venue of the same key holds (:func:`sort_out`)."""
    return int.from_bytes(hashlib.sha256(venue.encode()).digest()[:8], "big", signed=True)


def day_rows(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows of :data:`COLUMNS` as a day file stores them (with the venue's key)."""
    return [(*row, venue_key(row[0])) for row in rows]


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the day files' migrations call."""
    conn.create_function("anshim_venue_key", 1, venue_key, deterministic=True)


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception; a body that ends the
    transaction itself (a ROLLBACK) is left so."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if conn.in_transaction:
        conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection, migrations: Sequence[tuple[str, ...]]) -> None:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise SchemaMismatch(f"schema version {version} is newer than this code ({SCHEMA_VERSION})")
    for number in range(version + 1, len(migrations) + 1):
        with transaction(conn):
            (now,) = conn.execute("PRAGMA user_version").fetchone()
            if now < number:  # another process may have migrated meanwhile
                for statement in migrations[number - 1]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")


def sort_out(
    conn: sqlite3.Connection, group: list[StoredVisit]
) -> tuple[list[StoredVisit], list[StoredVisit], int]:
    """Classify a day's records against what is stored: new, check-outs, unchanged; any
    conflict refuses the whole batch (nothing has been written yet).

    A day file's unique key is (visit id, venue key) (schema version 4): a new record
    whose visit id and venue key are taken by a record of another venue (two DIDs whose
    keys collide), stored or earlier in the batch, is a conflict too, refused instead of
    being dropped by the insert."""
    stored: dict[tuple[str, int, bytes], tuple[Any, ...]] = {}
    taken: set[tuple[bytes, int]] = set()
    ids = [r.visit.visit_id for r in group]
    for chunk in chunks(ids):
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT {COLS}, venue_key FROM visits WHERE visit_id IN ({marks})"
        for row in conn.execute(sql, list(chunk)):
            stored[(row[0], row[1], bytes(row[2]))] = row[:-1]
            taken.add((bytes(row[2]), row[-1]))
    inserts: list[StoredVisit] = []
    updates: list[StoredVisit] = []
    conflicts: list[bytes] = []
    unchanged = 0
    for record in group:
        row = stored.get(key_of(record))
        if row is None:
            slot = (record.visit.visit_id, venue_key(record.visit.venue))
            if slot in taken:
                conflicts.append(record.visit.visit_id)
            else:
                taken.add(slot)
                inserts.append(record)
            continue
        verdict = "unchanged" if tuple(row) == to_row(record) else classify(record, from_row(row))
        if verdict == "unchanged":
            unchanged += 1
        elif verdict == "updated":
            updates.append(record)
        else:
            conflicts.append(record.visit.visit_id)
    if conflicts:
        raise conflict_error(conflicts)
    return inserts, updates, unchanged


def day_rows_of(records: Iterable[StoredVisit]) -> list[tuple[Any, ...]]:
    """The day-file rows of records (:func:`~registry._store.to_row` and the venue's key),
    built in one pass: ingest runs this for every record."""
    key = venue_key
    return [
        (
            v.venue,
            v.day,
            v.visit_id,
            v.time_in,
            v.time_out,
            v.pseudonym,
            v.locator,
            int(v.channel),
            None if (d := v.declaration) is None else d.fever + 2 * d.respiratory,
            v.envelope,
            v.receipt_hash,
            v.version,
            r.signature,
            key(v.venue),
        )
        for r in records
        for v in (r.visit,)
    ]


def insert_new(conn: sqlite3.Connection, records: list[StoredVisit]) -> bool:
    """Insert a day's records in one durable transaction if none of their keys is stored
    yet (the common case: a batch seen for the first time) and return True; otherwise roll
    it back, write nothing and return False, for the caller to sort the batch out against
    what is stored (:func:`sort_out`) in a transaction of its own.

    This spares the look-up of every id before the insert: the insert probes the key
    index anyway, and a count of the rows it added short of the batch tells that some key
    was there. Rolling the whole transaction back (rather than to a savepoint inside it)
    matters: inside a savepoint SQLite copies every page it changes for the first time to
    a statement journal, which at 1 million records was 3,700 more bytes written and 10 %
    more CPU per record."""
    rows = day_rows_of(records)
    with transaction(conn):
        added = conn.executemany(_INSERT, rows).rowcount
        if added != len(rows):
            conn.execute("ROLLBACK")
            return False
    return True


def apply(conn: sqlite3.Connection, inserts: list[StoredVisit], updates: list[StoredVisit]) -> None:
    # Sorted out against the stored rows in this transaction: new rows only need inserting,
    # check-outs only need their stay extended.
    conn.executemany(_INSERT, day_rows_of(inserts))
    conn.executemany(
        _CHECK_OUT,
        [
            (r.visit.time_out, r.signature, r.visit.visit_id, r.visit.venue, r.visit.day)
            for r in updates
        ],
    )


def apply_rows(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    # Idempotent: a new row is inserted; a check-out extends a stored stay that has none.
    conn.executemany(_INSERT, day_rows(rows))
    conn.executemany(
        _CHECK_OUT,
        [(r[4], r[12], r[2], r[0], r[1]) for r in rows if r[4] is not None],
    )


def write_journal(
    main: sqlite3.Connection,
    rows: Sequence[tuple[Any, ...]],
    seeds: Sequence[tuple[bytes, int, bytes, bytes]] = (),
) -> None:
    """Journal a batch's visit rows or trace seeds in one durable commit of the main file."""
    with transaction(main):
        (batch,) = main.execute(
            "SELECT max(b) + 1 FROM (SELECT coalesce(max(batch), 0) AS b FROM pending_visits"
            " UNION ALL SELECT coalesce(max(batch), 0) FROM pending_trace_seeds)"
        ).fetchone()
        main.executemany(
            f"INSERT INTO pending_visits (batch, {COLS}) VALUES (?, {MARKS})",
            [(batch, *row) for row in rows],
        )
        main.executemany(
            "INSERT INTO pending_trace_seeds VALUES (?, ?, ?, ?, ?)",
            [(batch, *seed) for seed in seeds],
        )


def replay(main: sqlite3.Connection, open_day: DayOpener) -> None:
    """Apply every journalled batch to its day files, then drop it from the journal.
    Idempotent: a replay interrupted by a crash is simply replayed again."""
    for (batch,) in main.execute(
        "SELECT batch FROM pending_visits UNION SELECT batch FROM pending_trace_seeds ORDER BY 1"
    ).fetchall():
        rows = main.execute(
            f"SELECT {COLS} FROM pending_visits WHERE batch = ?", (batch,)
        ).fetchall()
        seeds = main.execute(
            "SELECT label, day, envelope_hash, envelope FROM pending_trace_seeds WHERE batch = ?",
            (batch,),
        ).fetchall()
        for day in sorted({r[1] for r in rows} | {s[1] for s in seeds}):
            conn = open_day(day, create=True)
            assert conn is not None  # create=True always opens
            with transaction(conn):
                apply_rows(conn, [r for r in rows if r[1] == day])
                conn.executemany(
                    "INSERT INTO trace_seeds (label, day, envelope_hash, envelope)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [s for s in seeds if s[1] == day],
                )
        with transaction(main):
            main.execute("DELETE FROM pending_visits WHERE batch = ?", (batch,))
            main.execute("DELETE FROM pending_trace_seeds WHERE batch = ?", (batch,))
