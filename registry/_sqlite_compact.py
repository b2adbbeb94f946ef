"""Compaction of a SQLite day file: the same records, rewritten in venue and time order.

A day file's rows lie in the order they arrived, so one venue's stays are spread over the
whole file, and a contacts query reads one page per record found (a wedding hall's 1,000
guests: 1,000 pages, each a random read once the store outgrows memory). A compacted day
holds its rows in ``(venue_key, time_in)`` order: the same query reads a few neighbouring
pages. :func:`build_sorted` writes the compacted copy into a new file; the store makes it
the day's file (``registry/_sqlite.py``, "Compaction").

The copy is built without a journal and without syncing (nobody reads it before it is
complete, and a crash leaves only a ``.part`` file that the next compaction removes), its
indexes made once its rows are in, then switched to WAL and fsynced before it is used.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from registry._sqlite_journal import migrate, register_functions

__all__ = ["build_sorted", "remove_files"]

#: Page cache of the building connection, which bounds its sorter's memory before it
#: spills to temporary files (KiB).
_BUILD_CACHE_KIB = 262_144


def build_sorted(source: Path, target: Path, migrations: Sequence[tuple[str, ...]]) -> int:
    """Write ``source``'s visits (in venue-key and time order) and trace seeds into a new
    day file at ``target`` (which must not exist), durably. Returns the visits copied.

    ``source`` must be at the current schema version (the store migrates a day file when
    it opens it) and must not change meanwhile (the store holds its writer lock).
    """
    # A URI (the source is attached read-only by one) for both files.
    conn = sqlite3.connect(target.resolve().as_uri(), isolation_level=None, uri=True)
    try:
        register_functions(conn)
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(f"PRAGMA cache_size = -{_BUILD_CACHE_KIB}")
        migrate(conn, migrations)
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'visits'"
            " AND sql IS NOT NULL ORDER BY name"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        columns = ", ".join(r[1] for r in conn.execute("PRAGMA table_info(visits)"))
        conn.execute("ATTACH DATABASE ? AS source", (f"{source.resolve().as_uri()}?mode=ro",))
        conn.execute("BEGIN")
        # NOT INDEXED: one pass over the file and a sort, instead of a random read per
        # row through the (venue key, time) index of a day no longer in memory.
        # The column names are the schema's own (PRAGMA table_info above).
        sql = f"INSERT INTO main.visits ({columns}) SELECT {columns} FROM source.visits"  # noqa: S608
        copied = conn.execute(f"{sql} NOT INDEXED ORDER BY venue_key, time_in, visit_id").rowcount
        conn.execute("INSERT INTO main.trace_seeds SELECT * FROM source.trace_seeds")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE source")
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return int(copied)


def remove_files(path: Path) -> None:
    """Remove a day file and its companions (WAL, shared memory), if present."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")
