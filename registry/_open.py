"""Choosing the engine from a store URL (DESIGN.md "Storage": SQLite is the embedded
default, PostgreSQL the production engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from registry._store import Store
from registry.errors import InvalidStoreUrl

__all__ = ["open_store"]


def open_store(url: str, *, create: bool = False, **options: Any) -> Store:
    """Open (and migrate to the current schema) the store that ``url`` names.

    * ``sqlite:///absolute/path/to/dir``: a folder of SQLite files (``create`` makes the
      folder and its main file; otherwise they must exist). Options: ``timeout``.
    * ``postgresql://…`` (or ``postgres://…``): a libpq connection URL; the tables are
      made if missing. Options: ``min_size``, ``max_size``, ``timeout``, ``citus``. Needs
      the ``postgres`` extra (psycopg 3).

    Raises:
        InvalidStoreUrl: a URL of no known engine, or a PostgreSQL URL without psycopg.
        StoreUnavailable: the store cannot be opened or reached.
        SchemaMismatch: the store's schema is newer than this code.
    """
    if not isinstance(url, str):
        raise InvalidStoreUrl("a store URL must be a string")
    if url.startswith("sqlite:///"):
        from registry._sqlite import SqliteStore

        path = url.removeprefix("sqlite://")
        if not Path(path).is_absolute():
            raise InvalidStoreUrl("sqlite:/// URLs name an absolute folder path")
        return SqliteStore(path, create=create, **options)
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from registry._postgres import PostgresStore
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise InvalidStoreUrl(
                "PostgreSQL stores need the 'postgres' extra (pip install 'anshim[postgres]')"
            ) from exc
        return PostgresStore(url, **options)
    raise InvalidStoreUrl("a store URL is sqlite:///<dir> or postgresql://…")
