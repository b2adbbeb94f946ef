"""Choosing the engine from a store URL (DESIGN.md "Storage": SQLite is the embedded
default, PostgreSQL the production engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from registry._store import Store
from registry.errors import InvalidStoreUrl

__all__ = ["open_store"]

#: The bounds of a SQLite day file's page cache, KiB (``cache_kib``).
_CACHE_KIB = (64, 1 << 20)


def open_store(url: str, *, create: bool = False, **options: Any) -> Store:
    """Open (and migrate to the current schema) the store that ``url`` names.

    * ``sqlite:///absolute/path/to/dir``: a folder of SQLite files (``create`` makes the
      folder and its main file; otherwise they must exist). Options: ``timeout``, and
      ``cache_kib`` (each day file's page cache in KiB, 64 to 1 GiB; by default the
      engine's own), also as the URL's query: ``sqlite:///dir?cache_kib=2048``.
    * ``postgresql://…`` (or ``postgres://…``): a libpq connection URL; the tables are
      made if missing. Options: ``min_size``, ``max_size``, ``timeout``, ``citus``. Needs
      the ``postgres`` extra (psycopg 3).

    Raises:
        InvalidStoreUrl: a URL of no known engine, a sqlite:/// URL with a query or an
            option it does not take, or a PostgreSQL URL without psycopg.
        StoreUnavailable: the store cannot be opened or reached.
        SchemaMismatch: the store's schema is newer than this code.
    """
    if not isinstance(url, str):
        raise InvalidStoreUrl("a store URL must be a string")
    if url.startswith("sqlite:///"):
        from registry._sqlite import SqliteStore

        path, _, query = url.removeprefix("sqlite://").partition("?")
        if not Path(path).is_absolute():
            raise InvalidStoreUrl("sqlite:/// URLs name an absolute folder path")
        try:
            fields = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
        except ValueError:
            raise InvalidStoreUrl("a sqlite:/// URL's query is name=value pairs") from None
        for name, value in fields:
            if name != "cache_kib":
                raise InvalidStoreUrl(f"a sqlite:/// URL takes no {name!r} parameter")
            options.setdefault("cache_kib", value)
        if "cache_kib" in options:
            options["cache_kib"] = _cache_kib(options["cache_kib"])
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


def _cache_kib(value: object) -> int:
    try:
        kib = int(str(value))  # an int, or its decimal text (True and 2.5 are neither)
    except ValueError:
        kib = -1
    if not _CACHE_KIB[0] <= kib <= _CACHE_KIB[1]:
        raise InvalidStoreUrl(f"cache_kib must be an integer from {_CACHE_KIB[0]} to 2**20")
    return kib
