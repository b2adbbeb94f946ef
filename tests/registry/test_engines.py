"""What each engine does underneath: files and pragmas (SQLite), partitions and indexes
(PostgreSQL), migrations, the journal of batches spanning days, unavailability."""

from __future__ import annotations

import itertools
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import registry
from registry._schema import (
    SQLITE_DAY_MIGRATIONS,
    SQLITE_MAIN_MIGRATIONS,
    VENUE_KEY,
    postgres_migrations,
    postgres_partition_ddl,
)
from registry._sqlite_journal import day_rows, register_functions, venue_key
from registry._store import COLUMNS, to_row
from registry.errors import InvalidStoreUrl, RecordConflict, SchemaMismatch, StoreUnavailable
from tests.registry.postgres_server import Server
from tests.registry.support import DAY, T0, VenueKit, make_venue, make_visit

Opener = Callable[..., registry.Store]
psycopg = pytest.importorskip("psycopg", reason="the postgres extra is not installed")


# -- SQLite -------------------------------------------------------------------------------


def test_sqlite_runs_wal_with_full_synchronous_commits(sqlite_url: str, open_url: Opener) -> None:
    store = open_url(sqlite_url)
    store.put([make_visit(make_venue(1), T0 + 60)])
    folder = Path(sqlite_url.removeprefix("sqlite://"))
    for name in ("registry.sqlite3", f"visits-{DAY}.sqlite3"):
        conn = sqlite3.connect(folder / name)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()
    # synchronous is per connection: check the store's own.
    assert store._main.execute("PRAGMA synchronous").fetchone()[0] == 2  # type: ignore[attr-defined]  # FULL


def test_sqlite_purge_removes_the_day_file(sqlite_url: str, open_url: Opener) -> None:
    store = open_url(sqlite_url)
    kit = make_venue(1)
    store.put([make_visit(kit, T0 + 60), make_visit(kit, T0 + 86400 + 60)])
    folder = Path(sqlite_url.removeprefix("sqlite://"))
    day_file = folder / f"visits-{DAY}.sqlite3"
    assert day_file.exists()
    store.purge(DAY + 1)
    assert not day_file.exists()
    assert not Path(f"{day_file}-wal").exists()
    assert not Path(f"{day_file}-shm").exists()
    assert (folder / f"visits-{DAY + 1}.sqlite3").exists()


def test_sqlite_day_file_left_behind_is_closed_its_wal_removed(
    sqlite_url: str, open_url: Opener
) -> None:
    # The writer moving to the next day closes the day it leaves on a thread of its own;
    # a purge and the store's close wait for that close, and the data stays whole.
    store = open_url(sqlite_url)
    kit = make_venue(1)
    folder = Path(sqlite_url.removeprefix("sqlite://"))
    first = [make_visit(kit, T0 + 60 * i) for i in range(1, 50)]
    store.put(first)
    store.put([make_visit(kit, T0 + 86400 + 60)])  # leaves the first day
    store.put([make_visit(kit, T0 + 2 * 86400 + 60)])  # and the second
    found = store.by_visit_ids([r.visit.visit_id for r in first], days=range(DAY, DAY + 1))
    assert len(found) == len(first)
    assert store.purge(DAY + 1) == [DAY]
    assert not (folder / f"visits-{DAY}.sqlite3").exists()
    assert not (folder / f"visits-{DAY}.sqlite3-wal").exists()
    store.close()
    for day in (DAY + 1, DAY + 2):
        assert (folder / f"visits-{day}.sqlite3").exists()
        assert not (folder / f"visits-{day}.sqlite3-wal").exists()
    with registry.open_store(sqlite_url) as again:
        assert [s.visits for s in again.stats()] == [1, 1]


def test_sqlite_completes_a_batch_a_dead_writer_left_in_the_journal(
    sqlite_url: str, open_url: Opener
) -> None:
    # A writer died after journalling a two-day batch and applying its first day only.
    kit = make_venue(1)
    batch = [make_visit(kit, T0 + 60), make_visit(kit, T0 + 86400 + 60)]
    store = open_url(sqlite_url)
    store.put(batch[:1])
    store.close()
    folder = Path(sqlite_url.removeprefix("sqlite://"))
    main = sqlite3.connect(folder / "registry.sqlite3")
    marks = ", ".join("?" * (len(COLUMNS) + 1))
    main.executemany(
        f"INSERT INTO pending_visits VALUES ({marks})", [(7, *to_row(r)) for r in batch]
    )
    main.commit()
    main.close()
    reopened = open_url(sqlite_url)
    found = reopened.by_visit_ids([r.visit.visit_id for r in batch], days=range(DAY, DAY + 2))
    assert {m.record for m in found} == set(batch)
    check = sqlite3.connect(folder / "registry.sqlite3")
    assert check.execute("SELECT count(*) FROM pending_visits").fetchone()[0] == 0
    check.close()


def _day_indexes(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name = 'visits'"
    ).fetchall()
    conn.close()
    return sorted(sql for (sql,) in rows)


def _latest_day_indexes() -> list[str]:
    return sorted(s for s in SQLITE_DAY_MIGRATIONS[3] if s.startswith("CREATE ") and " ON " in s)


def test_sqlite_migrates_a_version_1_store(sqlite_url: str, open_url: Opener) -> None:
    folder = Path(sqlite_url.removeprefix("sqlite://"))
    folder.mkdir()
    kit = make_venue(1)
    record = make_visit(kit, T0 + 60)
    for name, migrations in (
        ("registry.sqlite3", SQLITE_MAIN_MIGRATIONS),
        (f"visits-{DAY}.sqlite3", SQLITE_DAY_MIGRATIONS),
    ):
        conn = sqlite3.connect(folder / name)
        for statement in migrations[0]:
            conn.execute(statement)
        if name.startswith("visits"):
            marks = ", ".join("?" * len(COLUMNS))
            conn.execute(
                f"INSERT INTO visits ({', '.join(COLUMNS)}) VALUES ({marks})", to_row(record)
            )
        conn.execute("PRAGMA user_version = 1")
        conn.commit()
        conn.close()
    store = open_url(sqlite_url)
    assert store.schema_version() == registry.SCHEMA_VERSION == 5
    assert [m.record for m in store.by_pseudonym(record.visit.pseudonym, DAY)] == [record]
    assert store.stats()[0].trace_seeds == 0  # the version-2 table now exists
    # Version 3 keyed the indexes by the venue's key, filled in for the rows already there.
    assert record.visit.locator is not None
    found = store.by_locators(DAY, [(kit.did, record.visit.locator)])
    assert [m.record for m in found] == [record]
    assert [m.record for m in store.contacts(kit.did, T0 + 60, T0 + 1800)] == [record]
    assert _day_indexes(folder / f"visits-{DAY}.sqlite3") == _latest_day_indexes()


def test_sqlite_migrates_a_version_3_day_file_keeping_its_rows_and_their_keys(
    sqlite_url: str, open_url: Opener
) -> None:
    # A day file at version 3 (primary key on (visit id, venue, day), the pseudonym index
    # on the whole pseudonym) with rows in it: version 4 rebuilds the table under the
    # narrow keys, and the rows keep answering every query and refusing duplicates.
    folder = Path(sqlite_url.removeprefix("sqlite://"))
    open_url(sqlite_url).close()
    kit = make_venue(1)
    records = [make_visit(kit, T0 + 60 * i) for i in range(1, 6)]
    path = folder / f"visits-{DAY}.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    register_functions(conn)
    for migration in SQLITE_DAY_MIGRATIONS[:3]:
        for statement in migration:
            conn.execute(statement)
    conn.executemany(f"INSERT INTO visits VALUES ({', '.join('?' * (len(COLUMNS) + 1))})",
                     day_rows(to_row(r) for r in records))  # fmt: skip
    conn.execute("PRAGMA user_version = 3")
    conn.close()
    store = open_url(sqlite_url)
    found = store.by_visit_ids([r.visit.visit_id for r in records], days=range(DAY, DAY + 1))
    assert {m.record for m in found} == set(records)
    assert [m.record for m in store.by_pseudonym(records[0].visit.pseudonym, DAY)] == [records[0]]
    assert len(store.contacts(kit.did, T0, T0 + 600)) == len(records)
    assert store.put(records).unchanged == len(records)  # the unique key holds
    assert store.stats()[0].visits == len(records)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == registry.SCHEMA_VERSION
    conn.close()
    assert _day_indexes(path) == _latest_day_indexes()


def _raw_insert(folder: Path, row: tuple[object, ...]) -> None:
    # A row put straight into a day file (with its venue key as the last column).
    conn = sqlite3.connect(folder / f"visits-{DAY}.sqlite3")
    conn.execute(f"INSERT INTO visits VALUES ({', '.join('?' * len(row))})", row)
    conn.commit()
    conn.close()


def test_sqlite_refuses_a_visit_id_held_under_a_colliding_venue_key(
    sqlite_url: str, open_url: Opener
) -> None:
    # Two venue DIDs sharing an 8-byte key (never seen: made here by hand) cannot hold one
    # visit id in a day file (its unique key is (visit_id, venue_key)): the second venue's
    # record is refused as a conflict, with its whole batch, instead of being dropped.
    store = open_url(sqlite_url)
    a, b = make_venue(1), make_venue(2)
    record = make_visit(b, T0 + 60)
    store.put([make_visit(b, T0 + 30)])  # the day file exists
    (row,) = day_rows([to_row(make_visit(a, T0 + 60, visit_id=record.visit.visit_id))])
    folder = Path(sqlite_url.removeprefix("sqlite://"))
    _raw_insert(folder, (*row[:-1], venue_key(b.did)))  # a's record under b's key
    innocent = make_visit(b, T0 + 90)
    with pytest.raises(RecordConflict) as info:
        store.put([innocent, record])
    assert info.value.visit_ids == (record.visit.visit_id.hex(),)
    assert store.by_visit_ids([innocent.visit.visit_id], days=range(DAY, DAY + 1)) == []
    (held,) = store.by_visit_ids([record.visit.visit_id], days=range(DAY, DAY + 1))
    assert held.record.visit.venue == a.did


def test_sqlite_pseudonym_look_up_matches_the_whole_pseudonym(
    sqlite_url: str, open_url: Opener
) -> None:
    # The index holds ten characters of the pseudonym: a row sharing them but not the rest
    # is not an answer.
    store = open_url(sqlite_url)
    kit = make_venue(1)
    mine = make_visit(kit, T0 + 60)
    store.put([mine])
    (row,) = day_rows([to_row(make_visit(kit, T0 + 120))])
    pseudonym = mine.visit.pseudonym
    twin = pseudonym[:-1] + ("2" if pseudonym[-1] != "2" else "3")
    folder = Path(sqlite_url.removeprefix("sqlite://"))
    _raw_insert(folder, (*row[:5], twin, *row[6:]))
    assert [m.record for m in store.by_pseudonym(pseudonym, DAY)] == [mine]


def test_sqlite_queries_search_an_index(sqlite_url: str, open_url: Opener) -> None:
    # Every query a day file answers searches an index, never scans the day: each
    # statement the store runs is planned again here with its values.
    store = open_url(sqlite_url)
    kit = make_venue(1)
    store.put_venues([kit.venue])
    record = make_visit(kit, T0 + 60)
    store.put([record])
    assert record.visit.locator is not None
    conn = store._day(DAY, create=False)  # type: ignore[attr-defined]
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        assert store.by_pseudonym(record.visit.pseudonym, DAY)
        assert store.by_locators(DAY, [(kit.did, record.visit.locator)])
        assert store.by_visit_ids([record.visit.visit_id], days=range(DAY, DAY + 1))
        assert store.contacts(kit.did, T0 + 60, T0 + 1800)
    finally:
        conn.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().startswith(("SELECT", "WITH"))]
    assert len(selects) == 4
    for sql in selects:
        plan = " / ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "SCAN v" not in plan, (sql, plan)  # visits, or v in the locator join
        assert "USING INDEX" in plan, (sql, plan)


def test_sqlite_refuses_a_newer_schema(sqlite_url: str, open_url: Opener) -> None:
    open_url(sqlite_url).close()
    folder = Path(sqlite_url.removeprefix("sqlite://"))
    conn = sqlite3.connect(folder / "registry.sqlite3")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaMismatch):
        registry.open_store(sqlite_url)


def test_sqlite_store_must_exist_unless_created(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable):
        registry.open_store(f"sqlite:///{tmp_path / 'missing'}")
    with pytest.raises(InvalidStoreUrl):
        registry.open_store("sqlite://relative/dir")
    with pytest.raises(InvalidStoreUrl):
        registry.open_store("mysql://db/registry")


# -- PostgreSQL ---------------------------------------------------------------------------


def _partitions(url: str) -> dict[str, list[str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, i.indexname FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid"
            " LEFT JOIN pg_indexes i ON i.tablename = c.relname WHERE c.relkind = 'r' ORDER BY 1, 2"
        ).fetchall()
    out: dict[str, list[str]] = {}
    for table, index in rows:
        out.setdefault(table, []).append(index)
    return out


def test_postgres_partitions_by_day_with_their_own_indexes(pg_url: str, open_url: Opener) -> None:
    store = open_url(pg_url)
    kit = make_venue(1)
    store.put([make_visit(kit, T0 + 60), make_visit(kit, T0 + 86400 + 60)])
    parts = _partitions(pg_url)
    assert set(parts) == {
        f"visits_d{DAY}",
        f"visits_d{DAY + 1}",
        f"trace_seeds_d{DAY}",
        f"trace_seeds_d{DAY + 1}",
    }
    assert (
        len(parts[f"visits_d{DAY}"]) == 4
    )  # primary key, (venue, time), (venue, locator), pseudonym
    store.purge(DAY + 1)
    assert set(_partitions(pg_url)) == {f"visits_d{DAY + 1}", f"trace_seeds_d{DAY + 1}"}
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass(%s)", (f"visits_d{DAY}",)).fetchone() == (None,)


def test_postgres_migrates_a_version_1_database(pg_url: str, open_url: Opener) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE registry_schema (version integer PRIMARY KEY,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for statement in postgres_migrations()[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO registry_schema (version) VALUES (1)")
    store = open_url(pg_url)
    assert store.schema_version() == registry.SCHEMA_VERSION == 5
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('trace_seeds')").fetchone() != (None,)
        conn.execute("UPDATE registry_schema SET version = 99 WHERE version = 5")
    with pytest.raises(SchemaMismatch):
        registry.open_store(pg_url)


def test_postgres_migrates_a_version_4_database_to_hashed_index_keys(
    pg_url: str, open_url: Opener
) -> None:
    # Rows stored under version 4's text-keyed indexes answer every query after version 5
    # rebuilt the indexes (of the parent and of each existing partition) on hashed keys.
    kit = make_venue(1)
    records = [make_visit(kit, T0 + 60 * i) for i in range(1, 4)]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE registry_schema (version integer PRIMARY KEY,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for number, migration in enumerate(postgres_migrations()[:4], start=1):
            for statement in migration:
                conn.execute(statement)
            conn.execute("INSERT INTO registry_schema (version) VALUES (%s)", (number,))
        conn.execute(postgres_partition_ddl("visits", DAY))
        conn.execute(postgres_partition_ddl("trace_seeds", DAY))
        marks = ", ".join(["%s"] * len(COLUMNS))
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO visits ({', '.join(COLUMNS)}) VALUES ({marks})",
                [to_row(r) for r in records],
            )
    store = open_url(pg_url)
    assert store.schema_version() == 5
    with psycopg.connect(pg_url) as conn:
        definitions = [
            d
            for (d,) in conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname",
                (f"visits_d{DAY}",),
            )
        ]
    assert len(definitions) == 4
    assert sum("(hashtextextended(venue, " in d for d in definitions) == 2  # time, locator
    assert sum("(hashtextextended(pseudonym, " in d for d in definitions) == 1
    assert [m.record for m in store.contacts(kit.did, T0, T0 + 600)] == records
    first = records[0].visit
    assert first.locator is not None
    assert [m.record for m in store.by_locators(DAY, [(kit.did, first.locator)])] == [records[0]]
    assert [m.record for m in store.by_pseudonym(first.pseudonym, DAY)] == [
        r for r in records if r.visit.pseudonym == first.pseudonym
    ]
    assert store.put(records).unchanged == len(records)  # the primary key is the same
    assert store.compact(DAY)
    assert store.compacted(DAY)


def test_postgres_queries_search_an_index(pg_url: str, open_url: Opener) -> None:
    # Every query the store runs on a day's partition searches one of its indexes: the
    # server explains each statement (auto_explain, sent back as a notice) with sequential
    # scans priced out, so a query whose expressions stop matching an index's (VENUE_KEY,
    # PSEUDONYM_KEY and text_key apart) shows a sequential scan of the partition.
    open_url(pg_url).close()
    database = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for name, value in (
            ("session_preload_libraries", "auto_explain"),
            ("auto_explain.log_min_duration", "0"),
            ("auto_explain.log_level", "notice"),
            ("enable_seqscan", "off"),
        ):
            conn.execute(f'ALTER DATABASE "{database}" SET {name} = {value}')
    store = open_url(pg_url, min_size=1, max_size=1)
    kit = make_venue(1)
    store.put_venues([kit.venue])
    record = make_visit(kit, T0 + 60)
    store.put([record])
    assert record.visit.locator is not None
    plans: list[str] = []
    with store._conn() as conn:  # type: ignore[attr-defined]  # the pool's one connection
        conn.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
    assert store.by_pseudonym(record.visit.pseudonym, DAY)
    assert store.by_locators(DAY, [(kit.did, record.visit.locator)])
    assert store.by_visit_ids([record.visit.visit_id], days=range(DAY, DAY + 1))
    assert store.contacts(kit.did, T0 + 60, T0 + 1800)
    partition = f"visits_d{DAY}"
    searched = [p for p in plans if partition in p]
    assert len(searched) == 4, plans
    # What each query's index condition must hold (not a whole index read with a filter).
    wanted = (
        ("hashtextextended(pseudonym, ",),
        ("hashtextextended(venue, ", "locator = q.locator"),
        ("visit_id = ANY",),
        ("hashtextextended(venue, ", "time_in >= ", "time_in <= "),
    )
    for plan, parts in zip(searched, wanted, strict=True):
        assert f"Seq Scan on {partition}" not in plan, plan
        conditions = " ".join(line for line in plan.splitlines() if "Index Cond:" in line)
        for part in parts:
            assert part in conditions, plan


def test_postgres_unreachable_is_store_unavailable(pg_server: Server) -> None:
    closed = f"postgresql://anshim@127.0.0.1:{pg_server.port + 1}/postgres"
    with pytest.raises(StoreUnavailable) as info:
        registry.open_store(closed, timeout=1.0)
    assert info.value.code == "storeUnavailable"
    assert info.value.retryable


def test_postgres_restart_is_store_unavailable_then_recovers(
    pg_server: Server, pg_url: str, open_url: Opener
) -> None:
    store = open_url(pg_url, timeout=2.0)
    kit = make_venue(1)
    acknowledged = make_visit(kit, T0 + 60)
    store.put([acknowledged])
    pg_server.stop("fast")
    try:
        with pytest.raises(StoreUnavailable):
            store.put([make_visit(kit, T0 + 120)])
        with pytest.raises(StoreUnavailable):
            store.contacts(kit.did, T0, T0 + 3600)
    finally:
        pg_server.start()
    later = make_visit(kit, T0 + 180)
    # StoreUnavailable is retryable: the pool reconnects with backoff after the restart.
    deadline = time.monotonic() + 60
    while True:
        try:
            assert store.put([later]).inserted == 1
            break
        except StoreUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    found = store.by_visit_ids(
        [acknowledged.visit.visit_id, later.visit.visit_id], days=range(DAY, DAY + 1)
    )
    assert len(found) == 2


# -- compaction ---------------------------------------------------------------------------


def _ids(matches: list[registry.Match]) -> set[bytes]:
    return {m.record.visit.visit_id for m in matches}


def _interleaved(kits: list[VenueKit], count: int) -> list[registry.StoredVisit]:
    return [make_visit(kits[i % len(kits)], T0 + 3600 + 60 * i) for i in range(count)]


def test_sqlite_compaction_rewrites_the_day_in_venue_order_into_a_new_file(
    sqlite_url: str, open_url: Opener
) -> None:
    kits = [make_venue(n) for n in range(1, 8)]
    store = open_url(sqlite_url)
    store.put(_interleaved(kits, 70))
    folder = Path(sqlite_url.removeprefix("sqlite://"))
    first = folder / f"visits-{DAY}.sqlite3"
    assert store.compact(DAY)
    assert not first.exists()
    assert not Path(f"{first}-wal").exists()
    compacted = folder / f"visits-{DAY}.g1.sqlite3"
    conn = sqlite3.connect(compacted)
    try:
        rows = conn.execute("SELECT venue_key, time_in FROM visits ORDER BY rowid").fetchall()
        assert rows == sorted(rows)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    assert _day_indexes(compacted) == _latest_day_indexes()
    assert store.days() == [DAY]
    assert store.compact(DAY)
    assert not compacted.exists()
    assert (folder / f"visits-{DAY}.g2.sqlite3").exists()
    store.purge(DAY + 1)
    assert not [p for p in folder.iterdir() if p.name.startswith(f"visits-{DAY}.")]


def test_sqlite_another_process_follows_a_compaction(sqlite_url: str, open_url: Opener) -> None:
    # Two stores on one folder stand for two processes (each has its own connections):
    # the one holding the old file open must neither read a stale day nor write into it.
    kits = [make_venue(n) for n in range(1, 4)]
    one, two = open_url(sqlite_url), open_url(sqlite_url)
    records = _interleaved(kits, 30)
    one.put(records)
    assert len(two.contacts(kits[0].did, T0, T0 + 86399)) == 10  # two has the day open
    one.compact(DAY)
    late = make_visit(kits[0], T0 + 20000)
    two.put([late])  # lands in the compacted file, which one then sees
    assert late.visit.visit_id in _ids(one.contacts(kits[0].did, T0, T0 + 86399))
    also = make_visit(kits[1], T0 + 30000)
    one.put([also])
    assert also.visit.visit_id in _ids(two.contacts(kits[1].did, T0, T0 + 86399))
    assert [s.visits for s in one.stats()] == [s.visits for s in two.stats()] == [32]


def test_sqlite_compaction_removes_what_a_crash_left(sqlite_url: str, open_url: Opener) -> None:
    store = open_url(sqlite_url)
    kits = [make_venue(n) for n in range(1, 3)]
    store.put(_interleaved(kits, 10))
    folder = Path(sqlite_url.removeprefix("sqlite://"))
    # A copy a crash interrupted, and an old generation a crash kept after the switch.
    (folder / f"visits-{DAY}.g1.sqlite3.part").write_bytes(b"half a copy")
    (folder / f"visits-{DAY}.g7.sqlite3").write_bytes(b"an old generation")
    assert store.compact(DAY)
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("visits-")) == [
        f"visits-{DAY}.g1.sqlite3"
    ]
    assert store.stats()[0].visits == 10


def test_postgres_compaction_clusters_the_day_partition(pg_url: str, open_url: Opener) -> None:
    kits = [make_venue(n) for n in range(1, 8)]
    store = open_url(pg_url)
    store.put(_interleaved(kits, 70))
    store.put([make_visit(kits[0], T0 + 86400 + 60)])
    assert store.compact(DAY)
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            f"SELECT {VENUE_KEY}, time_in, venue FROM visits_d{DAY} ORDER BY ctid"  # physical
        ).fetchall()
        assert rows == sorted(rows)  # by the venue's key, then time
        venues = [r[2] for r in rows]
        assert len(set(venues)) == 7
        assert sum(a != b for a, b in itertools.pairwise(venues)) == 6  # one run each
        other = conn.execute(f"SELECT count(*) FROM visits_d{DAY + 1}").fetchone()
    assert other == (1,)
    assert store.compacted(DAY)
    assert not store.compacted(DAY + 1)
