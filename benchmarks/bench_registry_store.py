"""Registry store figures on a synthetic island shaped like Jeju (DESIGN.md "Where it comes
from"): 50,000 venues with skewed popularity, 600,000 holders, 15.7 check-ins per holder per
week, 4 weeks — about 38 million records at full scale (``--records 38000000``).

Prints one JSON object per engine (``sqlite``, ``postgres``)::

    python benchmarks/bench_registry_store.py                     # 100,000 records
    python benchmarks/bench_registry_store.py --records 1000000
    python benchmarks/bench_registry_store.py --engines sqlite --postgres postgresql://…

Records are real signed ``SealedVisit`` structures (``--unsigned``: 64 random bytes in
place of the signature, which the store never checks, to make them faster); their
envelopes are random bytes of the right size (the queries never decrypt), and pseudonyms
come from a pool of real did:keys (deriving one per record would only slow the generator).
Ingest is timed around ``put`` only (batches of 1,000, durable commits), not around making
the records. Without
``--postgres`` a throwaway server is started from the machine's binaries (as the tests do)
with :data:`SERVER_SETTINGS` and removed afterwards; the SQLite store lives in a temporary
folder, removed too. Each engine's data is removed as soon as its figures are printed (a
full-scale store takes tens of gigabytes), and on SIGTERM or SIGINT as well.

Two baselines are measured in the same run: one fsync in the store's file system (the floor
of a durable commit), and for SQLite the engine's own floor (:class:`SqliteFloor`): the same
rows as plain tuples, built before the clock starts, into day files of the same schema and
indexes (copied from the engine's day file) with the same settings, by a bare
``executemany`` and a durable commit per batch, and no anshim code. Its batches alternate
with the engine's, so both see the same load; ``ingest_vs_floor`` is the engine's rate over
the floor's. ``--profile`` also splits the CPU time of the engine's ``put`` into time inside
``sqlite3``'s calls and Python (cProfile on every tenth batch), and waiting.
``--lesser-floors`` adds two floors with fewer indexes in the day files (the unique
visit-id index alone, and no index at all): how much of the floor the indexes make.
``--postgres-floor`` measures PostgreSQL's floor the same way (:class:`PostgresFloor`:
bare psycopg COPY of the same rows into tables made like the engine's day partitions, its
batches alternating with the engine's; ``floor_postgres``), with ``--lesser-floors`` too.
``--writers N`` puts PostgreSQL's batches from N threads at once, as the registry
service's worker processes do; the records are then made a chunk at a time
(:data:`WRITERS_CHUNK` batches) with the clock stopped.

Before the queries, every day but the last is compacted (:meth:`registry.Store.compact`,
the nightly ``anshim registry compact``: a day's rows rewritten in venue and time order;
``compaction`` gives the time per day) and the store settled (a PostgreSQL checkpoint,
then ``sync()``), so that the queries read a store at rest; ``--no-compact`` queries the
days as they were ingested. The page cache is not dropped unless ``--drop-caches`` (root):
at full scale the store is larger than this machine's memory, so most of it is read from
disk anyway.

On a machine shared with other work, wall-clock rates follow the load, so the figures carry
the load average and the CPU time ingest took per record, in this process and (PostgreSQL)
in the server's processes: ``ingest_records_per_cpu_s`` is the rate an otherwise idle core
per process would reach, I/O waits aside. The bytes the engine handed to ``write()`` per
record show what a durable commit of random index entries costs.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import cProfile
import gc
import hashlib
import itertools
import json
import os
import pstats
import random
import resource
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import registry
from did import Ed25519PrivateKey
from protocol import (
    ENVELOPE_SIZE,
    Channel,
    HealthDeclaration,
    SealedVisit,
    derive_trace_seed,
    locator,
    pseudonym_did,
)

VENUES = 50_000
DAYS = 28
FIRST_DAY = 19_800
BATCH = 1000
WEDDING_GUESTS = 1000
#: How many batches --writers makes before the clock starts again: about one full-size day.
WRITERS_CHUNK = 1400
CATEGORIES = ["restaurant", "cafe", "shop", "bar", "gym", "church", "karaoke", "office"]
#: The throwaway server's settings beyond the test server's: memory for a day's indexes,
#: and checkpoints far enough apart that a page is not logged whole again after each one
#: (full-page writes stay on). Durability is untouched: fsync and synchronous_commit keep
#: their defaults (on), so an acknowledged batch is in the server's flushed WAL.
SERVER_SETTINGS = {
    "shared_buffers": "1GB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "wal_compression": "lz4",
    "maintenance_work_mem": "1GB",  # compaction's CLUSTER sorts a day in memory
}


def _venue_did(i: int) -> str:
    return f"did:web:registry.jeju.example:venues:v{i:05d}"


class Island:
    """The synthetic island: venues, popularity, a wedding hall, a case with a lost phone."""

    def __init__(
        self,
        records: int,
        seed: int = 7,
        days: int = DAYS,
        signed: bool = True,
        only_day: int | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.signed = signed
        self.only_day = only_day  # make this day (0-based) alone
        self.records = records
        self.days = days  # made of the DAYS the island has (each of its full size)
        self.key = Ed25519PrivateKey.generate()  # one venue key signs all (not verified)
        self.pseudonyms = [pseudonym_did(Ed25519PrivateKey.generate()) for _ in range(4096)]
        # Popularity: Zipf-like weights, so a few venues are very busy and most are quiet.
        weights = [1 / (rank + 20) ** 0.9 for rank in range(VENUES)]
        total = sum(weights)
        self.cum = list(_accumulate([w / total for w in weights]))
        # A quiet venue hosts the wedding, so its afternoon holds about the 1,000 guests at
        # every scale (the second-busiest venue, used before, drew 1,400 more at 38M).
        self.wedding = VENUES // 2
        self.wedding_day = FIRST_DAY + DAYS // 2
        self.case_wallet = os.urandom(32)
        self.case_venues = [self.rng.randrange(VENUES) for _ in range(14)]

    def venues(self) -> list[registry.Venue]:
        return [
            registry.Venue(
                _venue_did(i),
                "wedding_hall" if i == self.wedding else CATEGORIES[i % len(CATEGORIES)],
                os.urandom(32),
                os.urandom(32),
                valid_from=0,
            )
            for i in range(VENUES)
        ]

    def _record(
        self, venue: int, time_in: int, time_out: int | None, loc: bytes
    ) -> registry.StoredVisit:
        visit = SealedVisit(
            visit_id=os.urandom(16),
            venue=_venue_did(venue),
            day=time_in // 86400,
            time_in=time_in,
            time_out=time_out,
            pseudonym=self.rng.choice(self.pseudonyms),
            locator=loc,
            channel=Channel.QR_STATIC,
            declaration=HealthDeclaration(False, False),
            envelope=os.urandom(ENVELOPE_SIZE),
            receipt_hash=os.urandom(32),
        )
        if not self.signed:  # the store never checks it: 64 bytes like a signature's
            return registry.StoredVisit(visit, os.urandom(64))
        return registry.StoredVisit(visit, visit.sign(self.key)[-64:])

    def batches(self) -> Iterator[list[registry.StoredVisit]]:
        """Every record, in upload batches of 1,000 (day by day, as venues upload)."""
        rng = self.rng
        per_day = max(1, (self.records - WEDDING_GUESTS - 14) // DAYS)
        for d in range(self.days) if self.only_day is None else [self.only_day]:
            day = FIRST_DAY + d
            start = day * 86400
            batch: list[registry.StoredVisit] = []
            extra: list[registry.StoredVisit] = []
            if day == self.wedding_day:  # about 1,000 guests in one afternoon
                noon = start + 12 * 3600
                for _ in range(WEDDING_GUESTS):
                    t = noon + rng.randrange(-1800, 1800)
                    extra.append(
                        self._record(
                            self.wedding, t, t + rng.randrange(5400, 10800), os.urandom(16)
                        )
                    )
            if d < 14:  # the case's own visit of that day, found later by its locator
                venue = self.case_venues[d]
                seed = derive_trace_seed(self.case_wallet, day)
                t = start + 13 * 3600
                extra.append(self._record(venue, t, t + 3600, locator(seed, _venue_did(venue))))
            for i in range(per_day + len(extra)):
                if i < len(extra):
                    batch.append(extra[i])
                else:
                    venue = _bisect(self.cum, rng.random())
                    t = start + 7 * 3600 + rng.randrange(16 * 3600)
                    out = t + rng.randrange(600, 7200) if rng.random() < 0.6 else None
                    batch.append(self._record(venue, t, out, os.urandom(16)))
                if len(batch) == BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch


#: The SQLite floor's settings: those of the engine's day files (``registry/_sqlite.py``,
#: WAL, ``synchronous=FULL``, its cache and checkpoint sizes), so that the two differ by
#: the engine's code only. Keep them in step with the engine's.
FLOOR_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA cache_size = -16384",
    "PRAGMA wal_autocheckpoint = 100000",
    "PRAGMA journal_size_limit = 67108864",
)


def _io_written(thread: bool = False) -> int:
    """Bytes handed to write() so far by this process, or by the calling thread only."""
    path = f"/proc/self/task/{threading.get_native_id()}/io" if thread else "/proc/self/io"
    with open(path) as fh:
        return int(next(line for line in fh if line.startswith("wchar:")).split()[1])


def _visit_row(record: registry.StoredVisit) -> tuple[Any, ...]:
    # A record's fields as the visits table's columns, for the floors.
    v = record.visit
    d = v.declaration
    return (
        v.venue, v.day, v.visit_id, v.time_in, v.time_out, v.pseudonym, v.locator,
        int(v.channel), None if d is None else d.fever + 2 * d.respiratory, v.envelope,
        v.receipt_hash, v.version, record.signature,
    )  # fmt: skip


def _rows_by_day(
    batch: Sequence[registry.StoredVisit], row: Callable[[registry.StoredVisit], tuple[Any, ...]]
) -> dict[int, list[tuple[Any, ...]]]:
    # A floor's rows of a batch, by day, made before its clock starts.
    by_day: dict[int, list[tuple[Any, ...]]] = {}
    for record in batch:
        by_day.setdefault(record.visit.day, []).append(row(record))
    return by_day


class SqliteFloor:
    """Bare SQLite on the engine's rows: what ingest would cost with no anshim code.

    Each batch becomes the day file's row tuples (the record's fields, the venue's 8-byte
    key) before the clock starts; then one ``BEGIN IMMEDIATE``, one ``executemany`` of a
    plain ``INSERT`` and a ``COMMIT`` (``synchronous=FULL``: fsynced) are timed. A day's
    file is created with the statements of the engine's own day file (its table and
    indexes, read from ``sqlite_master``), and closed when the next day begins (as the
    engine does: a checkpoint, timed) and then removed (not timed), to spare the disk.
    """

    #: What each kind of floor keeps of the engine's day-file schema: all of it, the table
    #: and its unique visit-id index (what idempotent writes need), or the table alone.
    KINDS = ("engine", "unique_index_only", "table_only")

    def __init__(self, folder: Path, engine_folder: Path, kind: str = "engine") -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown floor kind {kind!r}")
        self.kind = kind
        self.folder = folder
        self.engine_folder = engine_folder
        folder.mkdir(parents=True, exist_ok=True)
        self.keys: dict[str, int] = {}
        self.conn: sqlite3.Connection | None = None
        self.day: int | None = None
        self.seconds = 0.0
        self.cpu = 0.0
        self.written = 0
        self.count = 0
        self.insert = ""

    def _row(self, record: registry.StoredVisit) -> tuple[Any, ...]:
        venue = record.visit.venue
        key = self.keys.get(venue)
        if key is None:
            digest = hashlib.sha256(venue.encode()).digest()
            key = self.keys[venue] = int.from_bytes(digest[:8], "big", signed=True)
        return (*_visit_row(record), key)

    def _open(self, day: int) -> sqlite3.Connection:
        engine = sqlite3.connect(self.engine_folder / f"visits-{day}.sqlite3")
        schema = engine.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'visits' AND sql IS NOT NULL"
            " ORDER BY type = 'table' DESC"
        ).fetchall()
        columns = [r[1] for r in engine.execute("PRAGMA table_info(visits)")]
        engine.close()
        self.insert = (
            f"INSERT INTO visits ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        )
        conn = sqlite3.connect(self.folder / f"visits-{day}.sqlite3", isolation_level=None)
        for pragma in FLOOR_PRAGMAS:
            conn.execute(pragma)
        for (sql,) in schema:
            index = not sql.startswith("CREATE TABLE")
            if index and (
                self.kind == "table_only"
                or (self.kind == "unique_index_only" and not sql.startswith("CREATE UNIQUE"))
            ):
                continue
            conn.execute(sql)
        return conn

    def put(self, batch: Sequence[registry.StoredVisit]) -> None:
        for day, rows in _rows_by_day(batch, self._row).items():
            if day != self.day:
                self._close()  # timed, as the engine's own move to a new day
                self.conn, self.day = self._open(day), day
            assert self.conn is not None
            w = _io_written(thread=True)
            c = time.thread_time()
            t = time.perf_counter()
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(self.insert, rows)
            self.conn.execute("COMMIT")
            self.seconds += time.perf_counter() - t
            self.cpu += time.thread_time() - c
            self.written += _io_written(thread=True) - w
            self.count += len(rows)

    def _close(self) -> None:
        if self.conn is None:
            return
        w = _io_written(thread=True)
        c = time.thread_time()
        t = time.perf_counter()
        self.conn.close()
        self.seconds += time.perf_counter() - t
        self.cpu += time.thread_time() - c
        self.written += _io_written(thread=True) - w
        self.conn = None
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.folder / f'visits-{self.day}.sqlite3'}{suffix}").unlink(missing_ok=True)

    def figures(self) -> dict[str, object]:
        self._close()
        return {
            "kind": self.kind,
            "records_per_s": round(self.count / self.seconds),
            "cpu_us_per_record": round(self.cpu / self.count * 1e6, 1),
            "written_bytes_per_record": round(self.written / self.count),
            "pragmas": list(FLOOR_PRAGMAS),
        }


class PostgresFloor:
    """Bare psycopg on the engine's rows: what PostgreSQL ingest would cost with no anshim
    code.

    Each batch becomes the visits table's row tuples before the clock starts; then one
    transaction holding a binary ``COPY … FROM STDIN`` of them (psycopg's own
    ``write_row``, typed by ``set_types``) and its commit (``synchronous_commit`` on:
    flushed to the server's WAL) are timed, on a connection of the floor's own. A day's
    table is made like the engine's partition of that day, ``CREATE TABLE … (LIKE
    visits_dN INCLUDING ALL)`` (its columns, primary key and three hashed-key indexes),
    after the engine made it, and dropped when the next day begins (not timed), to spare
    the disk and the shared buffers. The floor's backend CPU is read from its process.
    """

    #: As :attr:`SqliteFloor.KINDS`: all of the partition's indexes, its primary key alone
    #: (what idempotent writes need), or none.
    KINDS = ("engine", "unique_index_only", "table_only")
    #: The visits table's columns, in the order :func:`_visit_row` makes them.
    COLUMNS = (
        "venue", "day", "visit_id", "time_in", "time_out", "pseudonym", "locator",
        "channel", "declaration", "envelope", "receipt_hash", "version", "signature",
    )  # fmt: skip

    def __init__(self, url: str, kind: str = "engine") -> None:
        import psycopg

        if kind not in self.KINDS:
            raise ValueError(f"unknown floor kind {kind!r}")
        self.kind = kind
        self.conn = psycopg.connect(url, autocommit=True)
        self.backend = int(self.conn.info.backend_pid)
        self.day: int | None = None
        self.types: list[str] = []
        self.seconds = 0.0
        self.cpu = 0.0
        self.server_cpu = 0.0
        self.server_written = 0
        self.count = 0

    def _table(self, day: int | None) -> str:
        return f"floor_{self.kind}_d{day}"

    def _open(self, day: int) -> None:
        like = f"visits_d{day:d}"
        columns = self.conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (like,),
        ).fetchall()
        if tuple(name for name, _ in columns) != self.COLUMNS:
            raise RuntimeError(f"{like} has columns {columns}, not the floor's {self.COLUMNS}")
        self.types = [kind for _, kind in columns]
        table = self._table(day)
        including = "INCLUDING ALL" if self.kind == "engine" else "INCLUDING DEFAULTS"
        self.conn.execute(f"CREATE TABLE {table} (LIKE {like} {including})")
        if self.kind == "unique_index_only":
            key = self.conn.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass AND contype = 'p'",
                (like,),
            ).fetchone()
            assert key is not None
            self.conn.execute(f"ALTER TABLE {table} ADD {key[0]}")

    def put(self, batch: Sequence[registry.StoredVisit]) -> None:
        for day, rows in _rows_by_day(batch, _visit_row).items():
            if day != self.day:
                self._close()
                self._open(day)
                self.day = day
            server = _totals(self.backend)  # the floor's backend: CPU, bytes written
            c = time.thread_time()
            t = time.perf_counter()
            with (
                self.conn.transaction(),
                self.conn.cursor() as cur,
                cur.copy(f"COPY {self._table(day)} FROM STDIN (FORMAT BINARY)") as copy,
            ):
                copy.set_types(self.types)
                for row in rows:
                    copy.write_row(row)
            self.seconds += time.perf_counter() - t
            self.cpu += time.thread_time() - c
            after = _totals(self.backend)
            self.server_cpu += after[0] - server[0]
            self.server_written += after[1] - server[1]
            self.count += len(rows)

    def _close(self) -> None:
        if self.day is not None:
            self.conn.execute(f"DROP TABLE {self._table(self.day)}")
            self.day = None

    def figures(self) -> dict[str, object]:
        self._close()
        self.conn.close()
        return {
            "kind": self.kind,
            "records_per_s": round(self.count / self.seconds),
            "cpu_us_per_record": {
                "client": round(self.cpu / self.count * 1e6, 1),
                "server": round(self.server_cpu / self.count * 1e6, 1),
            },
            "copy": "binary COPY by psycopg's write_row, one transaction per batch",
        }


#: cProfile's names for the calls that run inside sqlite3 (the C library).
_SQLITE_CALLS = ("sqlite3.Connection", "sqlite3.Cursor")


def _cpu_split(profile: cProfile.Profile, count: int, wall: float, cpu: float) -> dict[str, object]:
    """Where the profiled batches' time went, per record: Python (every function but
    sqlite3's calls; it does not wait, so its wall time is CPU time), CPU inside sqlite3
    (the batches' process CPU time less Python's) and waiting (wall less CPU: fsyncs)."""
    stats: Any = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values())
    inside = sum(
        entry[2]
        for (_, _, name), entry in stats.items()
        if any(f"of '{kind}' objects" in name for kind in _SQLITE_CALLS)
    )
    python = total - inside
    return {
        "python_us_per_record": round(python / count * 1e6, 1),
        "sqlite3_cpu_us_per_record": round((cpu - python) / count * 1e6, 1),
        "waiting_us_per_record": round((wall - cpu) / count * 1e6, 1),
        "profiled_records": count,
    }


def _accumulate(values: list[float]) -> Iterator[float]:
    s = 0.0
    for v in values:
        s += v
        yield s


def _bisect(cum: list[float], x: float) -> int:
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _fsync_ms(folder: Path) -> float:
    path = folder / "fsync.probe"
    times = []
    with open(path, "wb") as fh:
        for _ in range(20):
            fh.write(b"x" * 4096)
            t = time.perf_counter()
            fh.flush()
            os.fsync(fh.fileno())
            times.append((time.perf_counter() - t) * 1000)
    path.unlink()
    return round(statistics.median(times), 3)


def _ms(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return {"median": round(statistics.median(samples), 3), "p99": round(p99, 3)}


def _totals(root: int | None) -> tuple[float, int]:
    """CPU seconds (user and system) and bytes handed to write() so far by process
    ``root`` and its children (0 for None), the CPU of children that have exited (such as
    PostgreSQL's autovacuum workers) included."""
    if root is None:
        return 0.0, 0
    tick = os.sysconf("SC_CLK_TCK")
    cpu, written = 0.0, 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(entry) != root and int(fields[1]) != root:
                continue
            with open(f"/proc/{entry}/io") as fh:
                io = dict(line.split(": ") for line in fh.read().splitlines())
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / tick
        if int(entry) == root:  # its exited children's, once it has waited for them
            cpu += (int(fields[13]) + int(fields[14])) / tick
        written += int(io["wchar"])
    return cpu, written


def _pg_writes(url: str) -> dict[str, int]:
    """The server's checkpoints and the 8 KiB buffers written so far, by who wrote them
    (pg_stat_bgwriter): a backend writing buffers out itself does so on its own time."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT checkpoints_timed, checkpoints_req, buffers_checkpoint, buffers_clean,"
            " buffers_backend FROM pg_stat_bgwriter"
        ).fetchone()
    assert row is not None
    names = ("checkpoints_timed", "checkpoints_requested", "by_checkpointer", "by_bgwriter")
    return dict(zip((*names, "by_backends"), (int(v) for v in row), strict=True))


def _put_in_parallel(store: registry.Store, batches: list[Any], writers: int) -> float:
    """Put ``batches`` from ``writers`` threads, each taking the next batch; the seconds
    from the first put to the last commit."""
    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(writers) as pool:
        list(pool.map(store.put, batches))  # every put's error, if any, is raised here
    return time.perf_counter() - t


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def run(
    engine: str,
    url: str,
    records: int,
    folder: Path,
    server_pid: int | None = None,
    *,
    floor: SqliteFloor | PostgresFloor | None = None,
    lesser_floors: Sequence[SqliteFloor | PostgresFloor] = (),
    profile: bool = False,
    compact: bool = True,
    drop_caches: bool = False,
    days: int = DAYS,
    signed: bool = True,
    wedding_only: bool = False,
    writers: int = 1,
) -> dict[str, object]:
    island = Island(records, days=days, signed=signed, only_day=DAYS // 2 if wedding_only else None)
    store = registry.open_store(url, create=True)
    load_start = _load()
    try:
        venues = island.venues()
        for i in range(0, len(venues), 10_000):
            store.put_venues(venues[i : i + 10_000])
        ingest_s, ingest_cpu, count = 0.0, 0.0, 0
        sample: list[registry.StoredVisit] = []  # ordinary stays to ask contacts of
        every = max(1, island.records // BATCH // 200)
        # The server's CPU over the whole ingest (its background writers included; it is
        # idle while the next batch is made).
        server_start = _totals(server_pid)
        writes_start = _pg_writes(url) if engine == "postgres" else None
        written = 0
        profiler = cProfile.Profile() if profile else None
        profiled, profiled_s, profiled_cpu = 0, 0.0, 0.0
        # put's CPU and writes are this thread's inside put plus, over the whole ingest,
        # those of every other thread: the engine's (SQLite closes a day file it leaves on
        # a thread of its own); the floor and the record maker run on this one.
        start = (time.process_time(), time.thread_time(), _io_written(), _io_written(True))
        if writers > 1:
            # The batches are made a chunk at a time (about a full-size day), the clock
            # stopped; then the writers put the chunk, each on a connection of its own, and
            # the ingest is the wall time of the puts, from the first to the last commit.
            made_batches = island.batches()
            n = 0
            while made := list(itertools.islice(made_batches, WRITERS_CHUNK)):
                sample += [b[-1] for i, b in enumerate(made, start=n) if i % every == 0]
                n += len(made)
                ingest_s += _put_in_parallel(store, made, writers)
                count += sum(len(b) for b in made)
        for n, batch in enumerate(island.batches() if writers == 1 else ()):
            watch = profiler is not None and n % 10 == 0
            w = _io_written(thread=True)
            c = time.thread_time()
            t = time.perf_counter()
            if watch:
                assert profiler is not None
                profiler.runcall(store.put, batch)
            else:
                store.put(batch)
            elapsed, cpu = time.perf_counter() - t, time.thread_time() - c
            written += _io_written(thread=True) - w
            ingest_s += elapsed
            ingest_cpu += cpu
            count += len(batch)
            if watch:
                profiled += len(batch)
                profiled_s += elapsed
                profiled_cpu += cpu
            if n % every == 0:
                sample.append(batch[-1])
            if floor is not None:
                floor.put(batch)
            for lesser in lesser_floors:
                lesser.put(batch)
        store_threads = (
            time.process_time() - start[0] - (time.thread_time() - start[1]),
            _io_written() - start[2] - (_io_written(True) - start[3]),
        )
        ingest_cpu += store_threads[0]
        written += store_threads[1]
        server_end = _totals(server_pid)
        writes = None
        if writes_start is not None:
            writes = {k: v - writes_start[k] for k, v in _pg_writes(url).items()}
        server_cpu = server_end[0] - server_start[0]
        server_written = server_end[1] - server_start[1]
        # The server's figures are the engine's: the PostgreSQL floors' backends are taken
        # out (what the checkpointer and background writer did for their tables is not).
        for f in (floor, *lesser_floors):
            if isinstance(f, PostgresFloor):
                server_cpu -= f.server_cpu
                server_written -= f.server_written
        load_ingest = _load()
        ingest = {
            "engine": engine,
            "records": count,
            "venues": VENUES,
            "days": DAYS,
            "envelopes": f"random bytes of the right size ({ENVELOPE_SIZE} B), never decrypted",
            "signatures": "the venue key's" if signed else "64 random bytes (--unsigned)",
            "ingest_records_per_s": round(count / ingest_s),
            "ingest_batch": BATCH,
            "ingest_writers": writers,
            "ingest_cpu_us_per_record": {
                "client": round(ingest_cpu / count * 1e6, 1),
                "server": round(server_cpu / count * 1e6, 1) if server_pid else None,
            },
            **({"server_buffer_writes": writes} if writes is not None else {}),
            # put waits for the server, so the two processes' CPU times add up.
            "ingest_records_per_cpu_s": round(count / (ingest_cpu + server_cpu)),
            **(_floor_figures(floor, count / ingest_s) if floor is not None else {}),
            **(
                {"floors_fewer_indexes": [f.figures() for f in lesser_floors]}
                if lesser_floors
                else {}
            ),
            **(
                {"ingest_time_split": _cpu_split(profiler, profiled, profiled_s, profiled_cpu)}
                if profiler is not None and profiled
                else {}
            ),
            # What the engine wrote per record (WAL, checkpoints, data files): SQLite in
            # this process, PostgreSQL in the server's (the client writes nothing).
            "ingest_written_bytes_per_record": round(
                (server_written if server_pid else written) / count
            ),
        }
        if wedding_only:  # the wedding's day alone: compacted, then the hall's query
            t = time.perf_counter()
            store.compact(island.wedding_day)
            compact_day_s = time.perf_counter() - t
            _settle(url if url.startswith("postgresql") else None)
            dropped_caches = drop_caches and _drop_caches()
            wedding_ms, found, collections = _wedding_queries(store, island)
            return {
                **ingest,
                "days_ingested": "the wedding's day alone (--wedding-day)",
                "compaction": {"days": 1, "median_day_s": round(compact_day_s, 2)},
                "queries_after": "the day compacted, "
                + ("a CHECKPOINT and " if url.startswith("postgresql") else "")
                + "sync(); "
                + ("the OS page cache dropped" if dropped_caches else "the page cache kept"),
                "contacts_query_ms": {"wedding_hall": {**_ms(wedding_ms), "contacts": found}},
                "gc_collections_during_queries": collections,
                "load_average": {"start": load_start, "after_ingest": load_ingest},
                "cpus": os.cpu_count(),
            }
        if days < DAYS:  # the first days only: ingest figures, no queries
            return {
                **ingest,
                "days_ingested": days,
                "records_per_day": round(count / days),
                "load_average": {"start": load_start, "after_ingest": load_ingest},
                "cpus": os.cpu_count(),
            }

        # The nightly compaction of every day but the last ("today"), as a deployment runs
        # it (`anshim registry compact`), then the store settled: the queries below measure
        # reads of a store at rest, not reads queued behind the bulk load's write-back.
        compact_s: list[float] = []
        if compact:
            for day in store.days()[:-1]:
                t = time.perf_counter()
                store.compact(day)
                compact_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        _settle(url if url.startswith("postgresql") else None)
        settle_s = time.perf_counter() - t
        dropped_caches = drop_caches and _drop_caches()

        # Contacts: the wedding hall's afternoon, and ordinary stays at random venues.
        wedding_ms, found, collections = _wedding_queries(store, island)
        ordinary_ms, ordinary_found = [], []
        with _collections() as ordinary_collections:
            for record in sample:
                v = record.visit
                end = v.time_in + 3600 if v.time_out is None else v.time_out
                t = time.perf_counter()
                ordinary_found.append(len(store.contacts(v.venue, v.time_in, end)))
                ordinary_ms.append((time.perf_counter() - t) * 1000)
        for generation, n in ordinary_collections.items():
            collections[generation] += n

        # The lost phone: 14 days x every venue's locator computed and looked up.
        seeds = {
            FIRST_DAY + d: derive_trace_seed(island.case_wallet, FIRST_DAY + d) for d in range(14)
        }
        lost_phone = []
        for _ in range(3):
            t = time.perf_counter()
            case_visits = registry.lost_phone_visits(store, seeds, venues=venues)
            lost_phone.append(time.perf_counter() - t)
        lost_phone_s = statistics.median(lost_phone)

        t = time.perf_counter()
        dropped = store.purge(FIRST_DAY + 1)
        drop_s = time.perf_counter() - t
        return {
            **ingest,
            "compaction": (
                {
                    "days": len(compact_s),
                    "median_day_s": round(statistics.median(compact_s), 2),
                    "total_s": round(sum(compact_s), 1),
                }
                if compact_s
                else None
            ),
            "settle_s": round(settle_s, 2),
            "queries_after": (
                "every day but the last compacted, " if compact_s else "no compaction, "
            )
            + ("a CHECKPOINT and " if url.startswith("postgresql") else "")
            + "sync(); "
            + (
                "the OS page cache dropped (PostgreSQL's shared buffers are not)"
                if dropped_caches
                else "the page cache is not dropped"
            ),
            "contacts_query_ms": {
                "wedding_hall": {**_ms(wedding_ms), "contacts": found},
                "ordinary": {
                    **_ms(ordinary_ms),
                    "contacts_median": statistics.median(ordinary_found),
                },
            },
            "gc_collections_during_queries": collections,
            "lost_phone_lookup_s": round(lost_phone_s, 3),
            "lost_phone_lookup_runs_s": [round(x, 3) for x in lost_phone],
            "lost_phone_locators": 14 * VENUES,
            "lost_phone_found": len(case_visits),
            "retention_drop_day_s": round(drop_s, 3),
            "retention_dropped_days": dropped,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            **(
                {"peak_rss_holds": f"--writers: {WRITERS_CHUNK} batches of records made ahead"}
                if writers > 1
                else {}
            ),
            "baseline_fsync_ms": _fsync_ms(folder),
            "load_average": {"start": load_start, "after_ingest": load_ingest, "end": _load()},
            "cpus": os.cpu_count(),
        }
    finally:
        gc.unfreeze()  # what was frozen for the queries (_wedding_queries) is collectable again
        store.close()


@contextlib.contextmanager
def _collections() -> Iterator[dict[str, int]]:
    # Python's collections per generation while the block runs (a second-generation one
    # walks every object the process holds: tens of milliseconds in a big heap).
    counts = {"gen0": 0, "gen1": 0, "gen2": 0}

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            counts[f"gen{info['generation']}"] += 1

    gc.callbacks.append(count)
    try:
        yield counts
    finally:
        gc.callbacks.remove(count)


def _wedding_queries(
    store: registry.Store, island: Island
) -> tuple[list[float], int, dict[str, int]]:
    # The hall's afternoon, 30 times. The harness's own objects (the island, the venue
    # list, the samples) are frozen out of the collector first (gc.freeze): a
    # second-generation collection walking them would be charged to whichever query it
    # fell in (measured at 100,000 records: 25 ms instead of 8), though a store's server
    # holds none of them; the queries' own objects are collected as usual, and counted.
    gc.collect()
    gc.freeze()
    noon = island.wedding_day * 86400 + 12 * 3600
    wedding_ms, found = [], 0
    with _collections() as counts:
        for _ in range(30):
            t = time.perf_counter()
            found = len(store.contacts(_venue_did(island.wedding), noon, noon + 2 * 3600))
            wedding_ms.append((time.perf_counter() - t) * 1000)
    return wedding_ms, found, counts


def _settle(postgres_url: str | None) -> None:
    # PostgreSQL writes its dirty buffers out (a checkpoint); then the OS its dirty pages.
    if postgres_url is not None:
        import psycopg

        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
    os.sync()


def _drop_caches() -> bool:
    # Clean pages out of the OS page cache (root only): the queries then read from disk.
    try:
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
    except OSError:
        return False
    return True


def _floor_figures(floor: SqliteFloor | PostgresFloor, rate: float) -> dict[str, object]:
    figures = floor.figures()
    return {
        "floor_sqlite" if isinstance(floor, SqliteFloor) else "floor_postgres": figures,
        "ingest_vs_floor": round(rate / float(str(figures["records_per_s"])), 3),
    }


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the clean-up below


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--postgres", help="a PostgreSQL URL (default: a throwaway server)")
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the bare-SQLite floor beside SQLite ingest"
    )
    parser.add_argument(
        "--writers",
        type=int,
        default=1,
        help="PostgreSQL only: put from this many threads at once, each on a connection of"
        " its own, as the registry service's workers do; the records are made about a"
        " full-size day at a time, the clock stopped",
    )
    parser.add_argument(
        "--postgres-floor",
        action="store_true",
        help="beside PostgreSQL ingest, bare psycopg COPY of the same rows into tables made"
        " like the engine's day partitions (PostgresFloor; off by default: it doubles the"
        " server's work)",
    )
    parser.add_argument(
        "--lesser-floors",
        action="store_true",
        help="beside each floor, floors with fewer indexes: the unique visit-id index alone"
        " (what idempotent writes need), and the table alone",
    )
    parser.add_argument(
        "--profile", action="store_true", help="split ingest CPU into sqlite3 and Python"
    )
    parser.add_argument(
        "--no-compact",
        action="store_true",
        help="query the days as ingested, without the nightly compaction",
    )
    parser.add_argument(
        "--days",
        type=int,
        default=DAYS,
        help=f"ingest only the first DAYS of the {DAYS} (each of the size --records gives it),"
        " and report ingest only: a day file's size, not the store's, sets SQLite's ingest"
        " rate, so --records 38000000 --days 1 measures a full-scale day and its floor",
    )
    parser.add_argument(
        "--unsigned",
        action="store_true",
        help="give records 64 random bytes for a signature (the store never checks one):"
        " 18 us less of record making (not timed) per record, 11 minutes at full scale",
    )
    parser.add_argument(
        "--wedding-day",
        action="store_true",
        help="ingest the wedding's day alone (at the size --records gives a day), compact it"
        " and time the hall's query: the query reads that day alone, so"
        " '--records 38000000 --wedding-day --drop-caches' is its full-scale figure, cold,"
        " in minutes",
    )
    parser.add_argument(
        "--drop-caches",
        action="store_true",
        help="drop the OS page cache before the queries (root only), so that they read from disk",
    )
    args = parser.parse_args()
    if not 1 <= args.days <= DAYS:
        parser.error(f"--days must be in [1, {DAYS}]")
    if args.writers < 1:
        parser.error("--writers must be at least 1")
    if args.writers > 1 and (args.engines != "postgres" or args.wedding_day):
        parser.error("--writers needs --engines postgres (and no --wedding-day)")
    if args.writers > 1 and args.postgres_floor:
        parser.error("--postgres-floor alternates with one writer's batches: not with --writers")
    if args.postgres_floor and "postgres" not in args.engines.split(","):
        parser.error("--postgres-floor needs the postgres engine (--engines)")
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    work = Path(tempfile.mkdtemp(prefix="anshim-bench-"))
    server = None
    try:
        for engine in args.engines.split(","):
            server_pid = None
            floor: SqliteFloor | PostgresFloor | None = None
            lesser: list[SqliteFloor | PostgresFloor] = []
            if engine == "sqlite":
                url = f"sqlite://{work / 'sqlite'}"
                if not args.no_floor:
                    floor = SqliteFloor(work / "floor", work / "sqlite")
                if args.lesser_floors:
                    lesser = [
                        SqliteFloor(work / f"floor-{kind}", work / "sqlite", kind)
                        for kind in SqliteFloor.KINDS[1:]
                    ]
            else:
                url = args.postgres
                if url is None:
                    from tests.registry import postgres_server

                    bindir = postgres_server.find_bindir()
                    if bindir is None:
                        print(json.dumps({"engine": "postgres", "skipped": "no server binaries"}))
                        continue
                    server = postgres_server.start_server(
                        bindir, Path(tempfile.mkdtemp(prefix="anshim-bench-pg-")), SERVER_SETTINGS
                    )
                    url = server.create_database("bench")
                    server_pid = int((server.data / "postmaster.pid").read_text().split()[0])
                if args.postgres_floor:
                    registry.open_store(url, create=True).close()  # its tables, for LIKE
                    floor = PostgresFloor(url)
                    if args.lesser_floors:
                        lesser = [PostgresFloor(url, kind) for kind in PostgresFloor.KINDS[1:]]
            figures = run(
                engine,
                url,
                args.records,
                work,
                server_pid,
                floor=floor,
                lesser_floors=lesser,
                profile=args.profile,
                compact=not args.no_compact,
                drop_caches=args.drop_caches,
                days=args.days,
                signed=not args.unsigned,
                wedding_only=args.wedding_day,
                writers=args.writers,
            )
            if server_pid is not None:
                figures["server_settings"] = SERVER_SETTINGS
            print(json.dumps(figures), flush=True)
            # This engine's data goes now: the next engine needs the disk.
            if server is not None:
                server.stop("fast")
                shutil.rmtree(server.folder, ignore_errors=True)
                server = None
            shutil.rmtree(work / "sqlite", ignore_errors=True)
            shutil.rmtree(work / "floor", ignore_errors=True)
            for kind in SqliteFloor.KINDS[1:]:
                shutil.rmtree(work / f"floor-{kind}", ignore_errors=True)
    finally:
        if server is not None:
            server.stop("fast")
            shutil.rmtree(server.folder, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
