"""The venue service's local state in one SQLite file (WAL): the durable outbox, the
persistent replay store, the challenge book, open visits, pending device readings and the
counts the operator sees (DESIGN.md "The venue service", Durability).

The order that makes the outbox durable: a check-in's replay claims (its challenge, its
bytes) and its record are written in one transaction, committed before the receipt is
returned. A crash before the commit leaves neither (the wallet retries and is admitted);
after it, both (a replay is refused after a restart, and the record is uploaded). The
transaction begins at the first claim, so workers verify signatures in parallel and hold
SQLite's write lock only for the few inserts. Under group commit (the app turns it on) the
event loop's blocks are staged and a writer thread commits them in batches, on a
connection of its own (:mod:`verifier.service._groupcommit`).

Nothing here stores a phone number or a name: gateway and assisted visits reach the store
already sealed. Counts are by reason code and channel only, never by pseudonym.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from did import RETENTION_DAYS, SECONDS_PER_DAY
from did.errors import InputError
from protocol import SealedVisit
from verifier.errors import OutboxUnavailable
from verifier.service._groupcommit import (
    CLAIM_SQL,
    TALLY_SQL,
    Stage,
    Staging,
    WriterConnection,
)

__all__ = ["OutboxRow", "SqliteReplayStore", "Tally", "VenueStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id BLOB NOT NULL UNIQUE,
    venue TEXT NOT NULL,
    day INTEGER NOT NULL,
    record BLOB NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_by_venue ON outbox (venue, seq);
CREATE TABLE IF NOT EXISTS open_visits (
    venue TEXT NOT NULL,
    pseudonym TEXT NOT NULL,
    day INTEGER NOT NULL,
    record BLOB NOT NULL,
    checkin_hash BLOB NOT NULL,
    UNIQUE (venue, pseudonym, day)
);
CREATE TABLE IF NOT EXISTS replay (
    key BLOB PRIMARY KEY,
    until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS challenges (
    nonce BLOB PRIMARY KEY,
    venue TEXT NOT NULL,
    expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kiosk (
    venue TEXT PRIMARY KEY,
    message BLOB NOT NULL,
    nonce BLOB NOT NULL,
    issued INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    venue TEXT NOT NULL,
    subject BLOB,
    time INTEGER NOT NULL,
    temperature INTEGER NOT NULL,
    mask INTEGER,
    message BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS readings_by_subject ON readings (venue, subject, time);
CREATE TABLE IF NOT EXISTS outcomes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    venue TEXT NOT NULL,
    time INTEGER NOT NULL,
    channel TEXT NOT NULL,
    code TEXT NOT NULL,
    temperature INTEGER
);
CREATE INDEX IF NOT EXISTS outcomes_by_venue ON outcomes (venue, seq);
CREATE TABLE IF NOT EXISTS tallies (
    day INTEGER NOT NULL,
    venue TEXT NOT NULL,
    channel TEXT NOT NULL,
    code TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, venue, channel, code)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""
# open_visits is a rowid table with its key in a unique index (not WITHOUT ROWID, as
# replay and challenges are): its rows carry the record (some 500 bytes), and a B-tree of
# rows that wide keyed by a random pseudonym splits a page every few inserts; appended by
# rowid, only the index's short entries land at random. SQLite's CPU per check-in
# (claim, outbox, open visit and outcome inserts; 200 commits of 64): 33.5 -> 25.9 us.
# A file made before keeps its WITHOUT ROWID table, which the same statements serve.
#: Outcomes (what the kiosk shows) are kept this long; counts stay for the retention period.
_OUTCOME_SECONDS = 3600
_OUTCOME_SQL = (
    "INSERT INTO outcomes (venue, time, channel, code, temperature) VALUES (?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One record waiting for the registry: its outbox sequence number and the record."""

    seq: int
    record: SealedVisit


@dataclass(frozen=True, slots=True)
class Tally:
    """How many outcomes of one ``code`` (``admitted`` or a refusal code) on one channel."""

    day: int
    venue: str
    channel: str
    code: str
    count: int


class VenueStore:
    """The service's SQLite file. One instance per thread of use (each has its own
    connection): the request path and the uploader each open their own.

    Raises (on construction):
        OutboxUnavailable: the file cannot be opened or its schema created.
    """

    def __init__(self, path: str | Path, *, synchronous: str = "full") -> None:
        if synchronous not in ("full", "normal"):
            raise InputError('synchronous must be "full" or "normal"')
        self.path = Path(path)
        self._synchronous = synchronous
        self._lock = threading.RLock()
        self._depth = 0
        #: Group commit (:meth:`group_commits`): the event loop's thread stages its blocks
        #: for the writer instead of writing (:mod:`verifier.service._groupcommit`).
        self.staging: Staging | None = None
        self._group_thread = threading.get_ident()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        except sqlite3.Error as exc:
            raise OutboxUnavailable(f"cannot open the outbox: {exc}") from None
        self._conn = conn

    def __repr__(self) -> str:
        return f"VenueStore({str(self.path)!r})"

    def another(self) -> VenueStore:
        """A second handle on the same file (for another thread)."""
        return VenueStore(self.path, synchronous=self._synchronous)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    # -- transactions ---------------------------------------------------------------------

    def _staging(self) -> Staging | None:
        staging = self.staging
        if staging is not None and threading.get_ident() == self._group_thread:
            return staging
        return None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection | Stage]:
        """Everything written inside is committed together on a normal exit, or rolled
        back if the block raises. The write lock is taken at the first write
        (:meth:`begin`), so reads and verification before it run unlocked. Under group
        commit, on the event loop's thread, the block's writes are staged instead and
        committed with its batch (:mod:`verifier.service._groupcommit`).

        Raises:
            OutboxUnavailable: SQLite failed (nothing of the block was committed).
        """
        staging = self._staging()
        if staging is not None:
            stage = staging.current
            if stage is not None:
                yield stage  # a nested block joins the outer one
                return
            staging.current = stage = Stage()
            ok = False
            try:
                yield stage
                ok = True
            finally:
                staging.current = None
                staging.finish(stage, ok=ok)
            return
        with self._lock:
            conn = self._conn
            if self._depth:
                # A nested block (a replay claim inside a check-in's transaction) joins the
                # outer one: only the outermost block commits or rolls back.
                self._depth += 1
                try:
                    yield conn
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                yield conn
                if conn.in_transaction:
                    conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise OutboxUnavailable(f"the outbox could not commit: {exc}") from None
            except BaseException:
                self._rollback()
                raise
            finally:
                self._depth = 0

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def group_commits(self) -> tuple[Staging, WriterConnection]:
        """Turn on group commit for blocks run by the calling thread (the event loop's):
        they are staged, and the returned writer (a connection of its own) commits them
        in batches (:class:`~verifier.service._groupcommit.GroupCommit`). Other threads'
        blocks commit on their own.

        Raises:
            OutboxUnavailable: the writer's connection cannot be opened.
        """
        writer = WriterConnection(self.path, synchronous=self._synchronous)
        self._group_thread = threading.get_ident()
        self.staging = staging = Staging(lambda: None)
        return staging, writer

    def begin(self) -> sqlite3.Connection | Stage:
        """Take the write lock now if this transaction has not yet (``BEGIN IMMEDIATE``);
        under group commit, the block's stage."""
        staging = self._staging()
        if staging is not None and staging.current is not None:
            return staging.current
        conn = self._conn
        if not conn.in_transaction:
            conn.execute("BEGIN IMMEDIATE")
        return conn

    def begin_now(self) -> sqlite3.Connection:
        """:meth:`begin` for writes whose results are read at once (a claim's row count,
        the uploader's lease, housekeeping): never staged.

        Raises:
            OutboxUnavailable: called on the event loop's thread under group commit (the
                uploader's store is a handle of its own).
        """
        if self._staging() is not None:
            raise OutboxUnavailable("this write cannot be staged for group commit")
        conn = self._conn
        if not conn.in_transaction:
            conn.execute("BEGIN IMMEDIATE")
        return conn

    def _write(self, sql: str, params: tuple[object, ...] = ()) -> None:
        with self.transaction():
            self.begin().execute(sql, params)

    def _read(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        # Inside this thread's open transaction the read sees its writes; under group
        # commit it sees what is committed (the writer has a connection of its own).
        try:
            with self._lock:
                return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise OutboxUnavailable(f"the outbox could not read: {exc}") from None

    # -- the outbox -------------------------------------------------------------------------

    def put_record(self, record: SealedVisit, *, now: int, encoded: bytes | None = None) -> None:
        """Queue ``record`` for upload (inside the caller's transaction). A record with the
        visit id of one still queued replaces it (a check-out closing a check-in not yet
        uploaded). ``encoded`` is its bytes (:meth:`~protocol.SealedVisit.to_cbor`) if the
        caller has them."""
        self.begin().execute(
            "INSERT INTO outbox (visit_id, venue, day, record, created) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (visit_id) DO UPDATE SET record = excluded.record",
            (record.visit_id, record.venue, record.day, encoded or record.to_cbor(), now),
        )

    def pending(self, venue: str, *, limit: int) -> list[OutboxRow]:
        """The oldest ``limit`` queued records of ``venue``."""
        rows = self._read(
            "SELECT seq, record FROM outbox WHERE venue = ? ORDER BY seq LIMIT ?", (venue, limit)
        )
        return [OutboxRow(int(s), SealedVisit.from_cbor(bytes(r))) for s, r in rows]

    def acknowledged(self, rows: list[OutboxRow]) -> None:
        """Delete records the registry acknowledged (a replaced record, whose sequence
        number changed, stays queued)."""
        with self.transaction():
            conn = self.begin_now()
            conn.executemany(
                "DELETE FROM outbox WHERE visit_id = ? AND record = ?",
                [(row.record.visit_id, row.record.to_cbor()) for row in rows],
            )

    def backlog(self) -> dict[str, int]:
        """Queued records per venue."""
        return {
            str(v): int(n)
            for v, n in self._read("SELECT venue, count(*) FROM outbox GROUP BY venue")
        }

    # -- open visits (check-outs) -----------------------------------------------------------

    def open_visit(
        self, record: SealedVisit, checkin_hash: bytes, *, encoded: bytes | None = None
    ) -> None:
        """Remember an open wallet visit for its check-out (inside the transaction;
        ``encoded`` as for :meth:`put_record`)."""
        self.begin().execute(
            "INSERT OR REPLACE INTO open_visits VALUES (?, ?, ?, ?, ?)",
            (
                record.venue,
                record.pseudonym,
                record.day,
                encoded or record.to_cbor(),
                checkin_hash,
            ),
        )

    def find_open(
        self, venue: str, pseudonym: str, days: tuple[int, ...]
    ) -> list[tuple[SealedVisit, bytes]]:
        """The open visits of ``pseudonym`` at ``venue`` on ``days``."""
        marks = ",".join("?" * len(days))
        rows = self._read(
            f"SELECT record, checkin_hash FROM open_visits WHERE venue = ? AND pseudonym = ?"  # noqa: S608
            f" AND day IN ({marks})",
            (venue, pseudonym, *days),
        )
        return [(SealedVisit.from_cbor(bytes(r)), bytes(h)) for r, h in rows]

    def close_visit(self, record: SealedVisit) -> None:
        """Forget the open visit ``record`` closes (inside the transaction)."""
        self.begin().execute(
            "DELETE FROM open_visits WHERE venue = ? AND pseudonym = ? AND day = ?",
            (record.venue, record.pseudonym, record.day),
        )

    # -- challenges and the kiosk's current code --------------------------------------------

    def add_challenge(self, venue: str, nonce: bytes, expires: int) -> None:
        """Remember a kiosk challenge this service issued."""
        self._write("INSERT OR REPLACE INTO challenges VALUES (?, ?, ?)", (nonce, venue, expires))

    def challenge_expiry(self, venue: str, nonce: bytes) -> int | None:
        """When the challenge ``nonce`` of ``venue`` expires (``None``: never issued)."""
        rows = self._read(
            "SELECT expires FROM challenges WHERE nonce = ? AND venue = ?", (nonce, venue)
        )
        return int(rows[0][0]) if rows else None

    def kiosk_code(self, venue: str) -> tuple[bytes, bytes, int] | None:
        """The challenge on ``venue``'s kiosk screen: (message, nonce, issued)."""
        rows = self._read("SELECT message, nonce, issued FROM kiosk WHERE venue = ?", (venue,))
        if not rows:
            return None
        message, nonce, issued = rows[0]
        return bytes(message), bytes(nonce), int(issued)

    def set_kiosk_code(self, venue: str, message: bytes, nonce: bytes, issued: int) -> None:
        """Put a new challenge on ``venue``'s kiosk screen."""
        self._write(
            "INSERT OR REPLACE INTO kiosk VALUES (?, ?, ?, ?)", (venue, message, nonce, issued)
        )

    def retire_kiosk_code(self, venue: str, nonce: bytes) -> None:
        """Take the answered challenge ``nonce`` off the screen (inside the transaction),
        so the next poll shows a fresh one."""
        self.begin().execute("DELETE FROM kiosk WHERE venue = ? AND nonce = ?", (venue, nonce))

    # -- device readings --------------------------------------------------------------------

    def add_reading(
        self,
        venue: str,
        subject: bytes | None,
        time: int,
        temperature: int,
        mask: bool | None,
        message: bytes,
    ) -> None:
        """Keep a verified device reading until a check-in uses it."""
        self._write(
            "INSERT INTO readings (venue, subject, time, temperature, mask, message)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (venue, subject, time, temperature, None if mask is None else int(mask), message),
        )

    def find_reading(
        self, venue: str, subject: bytes, *, since: int
    ) -> tuple[int, bytes, int] | None:
        """The newest unused reading at ``venue`` taken for ``subject`` (a kiosk challenge
        nonce or a holder-shown code's digest), no older than ``since``:
        (row id, message, temperature)."""
        rows = self._read(
            "SELECT id, message, temperature FROM readings WHERE venue = ? AND subject = ?"
            " AND time >= ? ORDER BY time DESC, id DESC LIMIT 1",
            (venue, subject, since),
        )
        if not rows:
            return None
        row_id, message, temperature = rows[0]
        return int(row_id), bytes(message), int(temperature)

    def latest_reading(self, venue: str, *, since: int) -> tuple[int, bool | None] | None:
        """The newest reading at ``venue`` since ``since``: (temperature, mask)."""
        rows = self._read(
            "SELECT temperature, mask FROM readings WHERE venue = ? AND time >= ?"
            " ORDER BY time DESC, id DESC LIMIT 1",
            (venue, since),
        )
        if not rows:
            return None
        temperature, mask = rows[0]
        return int(temperature), None if mask is None else bool(mask)

    def use_reading(self, row_id: int) -> None:
        """A reading admits one visitor: delete it (inside the transaction)."""
        self.begin().execute("DELETE FROM readings WHERE id = ?", (row_id,))

    # -- what happened ----------------------------------------------------------------------

    def note_outcome(
        self, venue: str, channel: str, code: str, *, now: int, temperature: int | None = None
    ) -> None:
        """Count one outcome (inside the transaction if one is open, else on its own) and
        keep it for the kiosk."""
        day = now // SECONDS_PER_DAY
        staging = self._staging()
        stage = None if staging is None else staging.current
        if stage is not None:  # in a request's staged block (the hot path): none of its own
            stage.count((day, venue, channel, code))  # summed per batch by the writer
            stage.execute(_OUTCOME_SQL, (venue, now, channel, code, temperature))
            return
        with self.transaction():
            conn = self.begin()
            if isinstance(conn, Stage):
                conn.count((day, venue, channel, code))
            else:
                conn.execute(TALLY_SQL, (day, venue, channel, code, 1))
            conn.execute(_OUTCOME_SQL, (venue, now, channel, code, temperature))

    def outcomes_after(self, venue: str, after: int) -> list[tuple[int, int, str, str, int | None]]:
        """Outcomes at ``venue`` with a sequence number above ``after``, oldest first:
        (seq, time, channel, code, temperature)."""
        rows = self._read(
            "SELECT seq, time, channel, code, temperature FROM outcomes"
            " WHERE venue = ? AND seq > ? ORDER BY seq DESC LIMIT 20",
            (venue, after),
        )
        return [(int(a), int(b), str(c), str(d), e) for a, b, c, d, e in reversed(rows)]

    def last_outcome_seq(self, venue: str) -> int:
        """The sequence number of the newest outcome at ``venue`` (0 if none)."""
        rows = self._read("SELECT max(seq) FROM outcomes WHERE venue = ?", (venue,))
        return int(rows[0][0] or 0)

    def tallies(self, day: int, venue: str | None = None) -> list[Tally]:
        """The counts of ``day`` (for one venue, or all)."""
        rows = self._read(
            "SELECT day, venue, channel, code, count FROM tallies WHERE day = ?"
            " AND (? IS NULL OR venue = ?) ORDER BY venue, channel, code",
            (day, venue, venue),
        )
        return [Tally(*row) for row in rows]

    def get_meta(self, key: str) -> str | None:
        """A small service fact (last upload time, last upload error)."""
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Record a small service fact."""
        self._write("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def take_lease(self, holder: str, *, now: int, seconds: int) -> bool:
        """The uploader's lease: only one process of the service uploads at a time.

        ``holder`` starts with the process id (``"<pid>-…"``); a lease whose process is
        gone (killed, restarted) is taken over at once. The store is a local file, so its
        processes share this machine. Returns ``True`` if ``holder`` holds the lease until
        ``now + seconds``."""
        with self.transaction():
            conn = self.begin_now()
            rows = conn.execute("SELECT value FROM meta WHERE key = 'lease'").fetchall()
            if rows:
                owner, _, until = str(rows[0][0]).partition(" ")
                if owner != holder and int(until) > now and _alive(owner):
                    return False
            conn.execute(
                "INSERT OR REPLACE INTO meta VALUES ('lease', ?)", (f"{holder} {now + seconds}",)
            )
            return True

    def housekeeping(self, *, now: int) -> int:
        """Forget what can no longer matter: expired replay claims and challenges, old
        readings, outcomes and open visits, counts and unsent records past the retention
        period (:data:`did.RETENTION_DAYS`). Returns how many queued records were dropped
        unsent because they outlived the retention period."""
        oldest_day = now // SECONDS_PER_DAY - RETENTION_DAYS
        with self.transaction():
            conn = self.begin_now()
            conn.execute("DELETE FROM replay WHERE until <= ?", (now,))
            conn.execute("DELETE FROM challenges WHERE expires + 3600 <= ?", (now,))
            conn.execute("DELETE FROM readings WHERE time < ?", (now - 3600,))
            conn.execute("DELETE FROM outcomes WHERE time < ?", (now - _OUTCOME_SECONDS,))
            conn.execute("DELETE FROM open_visits WHERE day < ?", (now // SECONDS_PER_DAY - 2,))
            conn.execute("DELETE FROM tallies WHERE day < ?", (oldest_day,))
            return conn.execute("DELETE FROM outbox WHERE day < ?", (oldest_day,)).rowcount


def _alive(owner: str) -> bool:
    pid = owner.partition("-")[0]
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SqliteReplayStore:
    """A :class:`did.ReplayStore` in the service's SQLite file, shared by every venue and
    worker of the service (a holder-shown code relayed to a second venue is refused there).

    :meth:`claim` writes inside the caller's open transaction (:meth:`VenueStore.transaction`)
    so a check-in's claims commit with its record; outside one it commits at once.
    """

    __slots__ = ("_store",)

    def __init__(self, store: VenueStore) -> None:
        self._store = store

    def held(self, key: bytes, *, now: int) -> bool:
        """See :meth:`did.ReplayStore.held`.

        Raises:
            InputError: ``key`` is not bytes or ``now`` not an int.
            OutboxUnavailable: SQLite failed.
        """
        if type(key) is not bytes or type(now) is not int:
            raise InputError("held takes a bytes key and an int time")
        staging = self._store._staging()
        if staging is not None:
            # Group commit: this process's claims, and the file only when the request
            # runs again after a lost claim (verifier.service._groupcommit).
            if staging.held(key, now):
                return True
            if not staging.verify:
                return False
        return self._committed(key, now)

    def _committed(self, key: bytes, now: int) -> bool:
        rows = self._store._read("SELECT until FROM replay WHERE key = ?", (key,))
        return bool(rows) and int(rows[0][0]) > now

    def claim(self, key: bytes, *, until: int, now: int) -> bool:
        """See :meth:`did.ReplayStore.claim` (one ``INSERT … ON CONFLICT`` statement, so
        the test and the set are one atomic step, across processes too).

        Raises:
            InputError: ``key`` is not bytes, or the times are not ints.
            OutboxUnavailable: SQLite failed.
        """
        if type(key) is not bytes or type(until) is not int or type(now) is not int:
            raise InputError("claim takes a bytes key and int times")
        staging = self._store._staging()
        if staging is not None and staging.current is not None:
            # Group commit, inside a request's staged block (the hot path): as below,
            # into that block's stage without a nested block around it.
            if staging.verify and self._committed(key, now):
                return False
            return staging.claim(staging.current, key, until, now)
        with self._store.transaction() as conn:
            if staging is not None and isinstance(conn, Stage):
                # Group commit: checked against the committed claims and this process's
                # staged ones now, and made final by the writer's INSERT (a claim another
                # process commits in between rolls the stage back and the request runs
                # again, to be refused here; see verifier.service._groupcommit).
                if staging.verify and self._committed(key, now):
                    return False
                return staging.claim(conn, key, until, now)
            cursor = self._store.begin_now().execute(CLAIM_SQL, (key, until, now))
            return cursor.rowcount == 1
