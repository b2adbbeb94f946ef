"""The authority's own records, beside the sealed-visit store: venues and their
registrations, status-list bits, published documents, exposure notices, issued
challenges, claimed nonces, the query log, and the envelope claims of holder-shown
check-ins with their relay flags (DESIGN.md "The registry service", "Venue codes" 3).

They are small, and the same whichever engine holds the visits, so they live in one SQLite
file (``authority.sqlite3`` in the service's state folder), in WAL mode with
``synchronous=FULL``: an approval, a withdrawal or a query-log entry that was answered is
never lost to a power cut. One connection is shared by the service's threads behind a
lock; every call is one transaction.

The query log is append-only and hash-chained: entry ``n`` stores SHA-256 of entry
``n-1``'s hash and its own canonical JSON, so :meth:`Ledger.verify_query_log` detects an
entry removed, altered or reordered by someone with access to the file.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from did.errors import ReplayStoreFull
from registry.errors import QueryLogBroken, StoreUnavailable

if TYPE_CHECKING:
    import sqlite3

__all__ = ["MAX_REPLAY_ENTRIES", "Ledger", "QueryLogEntry", "Relay"]

#: The most unexpired nonces and challenges kept at once; beyond it claims are refused.
MAX_REPLAY_ENTRIES = 1_000_000
_FILE = "authority.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS venues (
    id TEXT PRIMARY KEY,
    did TEXT NOT NULL UNIQUE,
    signing_key BLOB NOT NULL UNIQUE,
    status TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS replay (key BLOB PRIMARY KEY, until INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS replay_until ON replay (until);
CREATE TABLE IF NOT EXISTS feed (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notices (
    number INTEGER PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS query_log (
    seq INTEGER PRIMARY KEY,
    venue_dids TEXT NOT NULL,
    data TEXT NOT NULL,
    hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS holder_shown (
    envelope_id BLOB PRIMARY KEY,
    day INTEGER NOT NULL,
    venue TEXT NOT NULL,
    visit_id BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS holder_shown_day ON holder_shown (day);
CREATE TABLE IF NOT EXISTS relays (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    day INTEGER NOT NULL,
    envelope_id BLOB NOT NULL,
    first_venue TEXT NOT NULL,
    first_visit BLOB NOT NULL,
    second_venue TEXT NOT NULL,
    second_visit BLOB NOT NULL,
    UNIQUE (envelope_id, second_venue, second_visit)
);
CREATE INDEX IF NOT EXISTS relays_first ON relays (first_venue, seq);
CREATE INDEX IF NOT EXISTS relays_second ON relays (second_venue, seq);
CREATE INDEX IF NOT EXISTS relays_day ON relays (day);
"""


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class QueryLogEntry:
    """One logged investigation query: who asked, under which case, what, when, and which
    records it returned (``records``: venue DID -> visit ids in hex)."""

    seq: int
    time: int
    actor: str
    case_id: str
    kind: str
    params: dict[str, Any]
    count: int
    records: dict[str, list[str]]
    hash: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "seq": self.seq,
            "time": self.time,
            "actor": self.actor,
            "case_id": self.case_id,
            "kind": self.kind,
            "params": self.params,
            "count": self.count,
            "records": self.records,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class Relay:
    """A holder-shown check-in that reached the registry twice (DESIGN.md "Venue codes"
    3): ``first_*`` is the record that claimed its envelope and was kept, ``second_*`` the
    later one, refused. ``envelope_id`` is SHA-256 of the envelope the two share."""

    seq: int
    time: int
    day: int
    envelope_id: bytes
    first_venue: str
    first_visit: bytes
    second_venue: str
    second_visit: bytes

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping of every field (the administrator's view)."""
        return {
            "seq": self.seq,
            "time": self.time,
            "day": self.day,
            "envelope_id": self.envelope_id.hex(),
            "first": {"venue": self.first_venue, "visit_id": self.first_visit.hex()},
            "second": {"venue": self.second_venue, "visit_id": self.second_visit.hex()},
        }

    def view_of(self, venue: str) -> dict[str, Any]:
        """What ``venue`` is shown of the flag: its own record and whether it was the one
        kept (``first``) or refused (``second``), never the other venue (DESIGN.md "Who
        learns what": venues learn nothing that links a holder's visits across venues)."""
        first = venue == self.first_venue
        return {
            "seq": self.seq,
            "time": self.time,
            "day": self.day,
            "envelope_id": self.envelope_id.hex(),
            "visit_id": (self.first_visit if first else self.second_visit).hex(),
            "record": "kept" if first else "refused",
        }


_SELECT_RELAYS = (
    "SELECT seq, time, day, envelope_id, first_venue, first_visit, second_venue, second_visit"
    " FROM relays"
)
_SELECT_OWNERS = "SELECT envelope_id, venue, visit_id FROM holder_shown WHERE envelope_id IN "


def _relay(row: Sequence[Any]) -> Relay:
    seq, time, day, eid, fv, fid, sv, sid = row
    return Relay(int(seq), int(time), int(day), bytes(eid), fv, bytes(fid), sv, bytes(sid))


class Ledger:
    """The authority's SQLite file (module docstring).

    Raises (every method):
        StoreUnavailable: the file cannot be opened, read or written.
    """

    def __init__(self, folder: str | Path) -> None:
        # Imported here, not with the module: ``import registry`` loads no database driver.
        import sqlite3

        self._errors = sqlite3.Error
        self._conflict = sqlite3.IntegrityError
        path = Path(folder)
        try:
            path.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path / _FILE, check_same_thread=False, isolation_level=None, timeout=10
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"the authority's ledger cannot be opened: {exc}") from exc
        self._lock = threading.Lock()
        self.path = path / _FILE

    def close(self) -> None:
        """Close the file (idempotent)."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except self._errors as exc:
                raise StoreUnavailable(f"the authority's ledger failed: {exc}") from exc

    def ping(self) -> None:
        """Check that the file answers. Raises StoreUnavailable."""
        with self._tx() as db:
            db.execute("SELECT 1").fetchone()

    # -- venues ---------------------------------------------------------------------------

    def add_venue(self, venue_id: str, did: str, signing_key: bytes, data: dict[str, Any]) -> bool:
        """Insert a venue; False when its id, DID or signing key is already taken."""
        with self._tx() as db:
            try:
                db.execute(
                    "INSERT INTO venues (id, did, signing_key, status, data) VALUES (?,?,?,?,?)",
                    (venue_id, did, signing_key, data["status"], _canonical(data)),
                )
            except self._conflict:
                return False
        return True

    def update_venue(
        self,
        venue_id: str,
        signing_key: bytes,
        data: dict[str, Any],
        *,
        was: tuple[str, bytes] | None = None,
    ) -> bool:
        """Replace a venue's data; False when the new signing key belongs to another venue,
        or, given ``was`` (the status and signing key the change was decided on), when the
        venue no longer has them: another worker changed it meanwhile (compare and set)."""
        sql = "UPDATE venues SET signing_key = ?, status = ?, data = ? WHERE id = ?"
        params: tuple[Any, ...] = (signing_key, data["status"], _canonical(data), venue_id)
        if was is not None:
            sql += " AND status = ? AND signing_key = ?"
            params += was
        with self._tx() as db:
            try:
                changed = db.execute(sql, params).rowcount
            except self._conflict:
                return False
        return changed == 1

    def venue(self, venue_id: str) -> dict[str, Any] | None:
        """A venue's data by id, or None."""
        with self._tx() as db:
            row = db.execute("SELECT data FROM venues WHERE id = ?", (venue_id,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def venue_by_did(self, did: str) -> dict[str, Any] | None:
        """A venue's data by DID, or None."""
        with self._tx() as db:
            row = db.execute("SELECT data FROM venues WHERE did = ?", (did,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def venue_with_key(self, signing_key: bytes) -> dict[str, Any] | None:
        """The venue whose current signing key is ``signing_key``, or None."""
        with self._tx() as db:
            row = db.execute(
                "SELECT data FROM venues WHERE signing_key = ?", (signing_key,)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def venues(
        self, *, status: str | None = None, limit: int = 1000, after: str = ""
    ) -> list[dict[str, Any]]:
        """Venues ordered by id (optionally of one status), at most ``limit``, those with
        an id after ``after`` (a page's last id: the next page)."""
        with self._tx() as db:
            if status is None:
                rows = db.execute(
                    "SELECT data FROM venues WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
                )
            else:
                rows = db.execute(
                    "SELECT data FROM venues WHERE status = ? AND id > ? ORDER BY id LIMIT ?",
                    (status, after, limit),
                )
            return [dict(json.loads(r[0])) for r in rows.fetchall()]

    def count_venues(self, status: str) -> int:
        """How many venues have ``status``."""
        with self._tx() as db:
            row = db.execute("SELECT count(*) FROM venues WHERE status = ?", (status,)).fetchone()
        return int(row[0])

    # -- documents (published bytes, status-list bits) ------------------------------------

    def put_document(self, name: str, data: bytes) -> None:
        """Store (or replace) a named document."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO documents (name, data) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET data = excluded.data",
                (name, data),
            )

    def update_document(self, name: str, update: Callable[[bytes | None], bytes | None]) -> None:
        """Read-modify-write a named document in one transaction: ``update`` gets the
        stored bytes (None when there are none) and returns the new bytes, or None to leave
        them. Workers in other processes wait (the transaction holds the file's write
        lock), so no two updates interleave. An exception from ``update`` rolls back and
        propagates."""
        with self._tx() as db:
            row = db.execute("SELECT data FROM documents WHERE name = ?", (name,)).fetchone()
            new = update(None if row is None else bytes(row[0]))
            if new is not None:
                db.execute(
                    "INSERT INTO documents (name, data) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET data = excluded.data",
                    (name, new),
                )

    def document(self, name: str) -> bytes | None:
        """A named document, or None."""
        with self._tx() as db:
            row = db.execute("SELECT data FROM documents WHERE name = ?", (name,)).fetchone()
        return None if row is None else bytes(row[0])

    def documents(self, prefix: str) -> list[tuple[str, bytes]]:
        """Every document whose name starts with ``prefix``, by name."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT name, data FROM documents WHERE substr(name, 1, ?) = ? ORDER BY name",
                (len(prefix), prefix),
            ).fetchall()
        return [(str(n), bytes(d)) for n, d in rows]

    # -- the replay store (did.ReplayStore) -----------------------------------------------

    def held(self, key: bytes, *, now: int) -> bool:
        """Whether ``key`` is claimed and unexpired at ``now`` (:class:`did.ReplayStore`)."""
        with self._tx() as db:
            row = db.execute("SELECT until FROM replay WHERE key = ?", (key,)).fetchone()
        return row is not None and int(row[0]) > now

    def claim(self, key: bytes, *, until: int, now: int) -> bool:
        """Claim ``key`` until ``until`` unless it is held (atomic test-and-set).

        Raises:
            ReplayStoreFull: :data:`MAX_REPLAY_ENTRIES` unexpired claims are held.
        """
        with self._tx() as db:
            db.execute("DELETE FROM replay WHERE until <= ?", (now,))
            row = db.execute("SELECT until FROM replay WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return False
            (count,) = db.execute("SELECT count(*) FROM replay").fetchone()
            if count >= MAX_REPLAY_ENTRIES:
                raise ReplayStoreFull("too many unexpired claims")
            db.execute("INSERT INTO replay (key, until) VALUES (?, ?)", (key, until))
        return True

    # -- exposure notices and their feed ---------------------------------------------------

    def put_notice(self, number: int | None, data: dict[str, Any], event: dict[str, Any]) -> int:
        """Store a notice (a new one when ``number`` is None) and append ``event`` to the
        feed in one transaction; returns the notice's number. ``event`` gets the number
        as ``number`` when it has none."""
        with self._tx() as db:
            if number is None:
                (top,) = db.execute("SELECT coalesce(max(number), 0) FROM notices").fetchone()
                number = int(top) + 1
                db.execute(
                    "INSERT INTO notices (number, data) VALUES (?, ?)",
                    (number, _canonical({**data, "number": number})),
                )
            else:
                db.execute(
                    "UPDATE notices SET data = ? WHERE number = ?",
                    (_canonical({**data, "number": number}), number),
                )
            db.execute(
                "INSERT INTO feed (data) VALUES (?)", (_canonical({"number": number, **event}),)
            )
        return number

    def notice(self, number: int) -> dict[str, Any] | None:
        """A notice by number, or None."""
        with self._tx() as db:
            row = db.execute("SELECT data FROM notices WHERE number = ?", (number,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def feed(self, since: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """Feed events after cursor ``since``, oldest first, at most ``limit``."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT cursor, data FROM feed WHERE cursor > ? ORDER BY cursor LIMIT ?",
                (since, limit),
            ).fetchall()
        return [(int(c), dict(json.loads(d))) for c, d in rows]

    def feed_head(self) -> int:
        """The latest feed cursor (0 when empty)."""
        with self._tx() as db:
            (top,) = db.execute("SELECT coalesce(max(cursor), 0) FROM feed").fetchone()
        return int(top)

    # -- holder-shown check-ins and their relays -----------------------------------------

    def claim_holder_shown(
        self, claims: Sequence[tuple[bytes, int, str, bytes]], *, now: int, horizon: int
    ) -> list[Relay]:
        """Claim each envelope id of ``claims`` (envelope id, day, venue DID, visit id)
        for its record, in one transaction, and return the claims that found their
        envelope already claimed by another record: relays, each flagged once (a retried
        upload gets its earlier flag back). Claims and flags of days before ``horizon``
        (the retention horizon) are deleted first."""
        if not claims:
            return []
        with self._tx() as db:
            db.execute("DELETE FROM holder_shown WHERE day < ?", (horizon,))
            db.execute("DELETE FROM relays WHERE day < ?", (horizon,))
            owners: dict[bytes, tuple[str, bytes]] = {}
            ids = sorted({c[0] for c in claims})
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                marks = "(" + ", ".join("?" * len(chunk)) + ")"
                for eid, venue, visit in db.execute(_SELECT_OWNERS + marks, chunk):
                    owners[bytes(eid)] = (venue, bytes(visit))
            new, seconds = [], []
            for eid, day, venue, visit in claims:
                owner = owners.get(eid)
                if owner is None:
                    owners[eid] = (venue, visit)
                    new.append((eid, day, venue, visit))
                elif owner != (venue, visit):
                    seconds.append((now, day, eid, *owner, venue, visit))
            db.executemany("INSERT INTO holder_shown VALUES (?, ?, ?, ?)", new)
            db.executemany(
                "INSERT OR IGNORE INTO relays (time, day, envelope_id, first_venue,"
                " first_visit, second_venue, second_visit) VALUES (?, ?, ?, ?, ?, ?, ?)",
                seconds,
            )
            return [
                _relay(
                    db.execute(
                        _SELECT_RELAYS
                        + " WHERE envelope_id = ? AND second_venue = ? AND second_visit = ?",
                        (r[2], r[5], r[6]),
                    ).fetchone()
                )
                for r in seconds
            ]

    def relays(
        self, *, venue: str | None = None, after: int = -1, limit: int = 1000
    ) -> list[Relay]:
        """Relay flags after ``after``, oldest first (only those naming ``venue``, as the
        first or the second record, when given)."""
        with self._tx() as db:
            if venue is None:
                rows = db.execute(
                    _SELECT_RELAYS + " WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
                )
            else:
                rows = db.execute(
                    _SELECT_RELAYS + " WHERE seq > ? AND (first_venue = ? OR second_venue = ?)"
                    " ORDER BY seq LIMIT ?",
                    (after, venue, venue, limit),
                )
            return [_relay(r) for r in rows.fetchall()]

    # -- the query log -----------------------------------------------------------------

    def log_query(
        self,
        *,
        time: int,
        actor: str,
        case_id: str,
        kind: str,
        params: dict[str, Any],
        records: dict[str, list[str]],
    ) -> QueryLogEntry:
        """Append one query to the hash-chained log (module docstring) and return it."""
        with self._tx() as db:
            row = db.execute("SELECT seq, hash FROM query_log ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (0, b"\x00" * 32) if row is None else (int(row[0]) + 1, bytes(row[1]))
            body = {
                "seq": seq,
                "time": time,
                "actor": actor,
                "case_id": case_id,
                "kind": kind,
                "params": params,
                "count": sum(len(v) for v in records.values()),
                "records": records,
            }
            digest = hashlib.sha256(prev + _canonical(body).encode()).digest()
            db.execute(
                "INSERT INTO query_log (seq, venue_dids, data, hash) VALUES (?, ?, ?, ?)",
                (seq, _canonical(sorted(records)), _canonical(body), digest),
            )
        return QueryLogEntry(**body, hash=digest.hex())  # type: ignore[arg-type]

    def query_log(
        self, *, after: int = -1, limit: int = 1000, venue: str | None = None
    ) -> list[QueryLogEntry]:
        """Log entries after ``after``, oldest first (only those that returned records of
        ``venue`` when given)."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT data, hash, venue_dids FROM query_log WHERE seq > ? ORDER BY seq",
                (after,),
            ).fetchall()
        out = []
        for data, digest, venues in rows:
            if venue is not None and venue not in json.loads(venues):
                continue
            body = json.loads(data)
            out.append(QueryLogEntry(**body, hash=bytes(digest).hex()))
            if len(out) >= limit:
                break
        return out

    def verify_query_log(self) -> int:
        """Recompute the hash chain; returns the number of entries.

        Raises:
            QueryLogBroken: an entry was removed, altered or reordered (the log is not
                what was written, so nothing it says can be relied on).
        """
        prev = b"\x00" * 32
        with self._tx() as db:
            rows: Sequence[Any] = db.execute(
                "SELECT seq, data, hash FROM query_log ORDER BY seq"
            ).fetchall()
        for n, (seq, data, digest) in enumerate(rows):
            body = json.loads(data)
            expected = hashlib.sha256(prev + _canonical(body).encode()).digest()
            if seq != n or body["seq"] != n or bytes(digest) != expected:
                raise QueryLogBroken(f"the query log is broken at entry {n}")
            prev = expected
        return len(rows)
