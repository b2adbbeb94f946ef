"""Registry fixtures: one ``store`` fixture runs every store test on both engines.

PostgreSQL is a real throwaway server started once per session (tests/registry/
postgres_server.py) and stopped at the end; each test gets a fresh database on it. Without
server binaries the PostgreSQL runs are skipped with one line saying how to enable them,
unless ``ANSHIM_REQUIRE_POSTGRES=1`` (set by ``.ci/run``), which makes them fail.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import registry
from tests.registry import postgres_server

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres_server.Server]:
    """The session's PostgreSQL server."""
    bindir = postgres_server.find_bindir()
    if bindir is None:
        if os.environ.get(postgres_server.REQUIRE_ENV) == "1":
            pytest.fail(f"{postgres_server.REQUIRE_ENV}=1 but no PostgreSQL server binaries found")
        pytest.skip(postgres_server.HOW_TO_ENABLE)
    folder = Path(tempfile.mkdtemp(prefix="anshim-pg-"))
    try:
        server = postgres_server.start_server(bindir, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: postgres_server.Server) -> str:
    """A fresh, empty database on the session's server."""
    return pg_server.create_database(f"registry_{os.getpid()}_{next(_databases)}")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path / 'store'}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest) -> str:
    """A URL of a fresh store, once per engine."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def open_url() -> Iterator[Callable[..., registry.Store]]:
    """Opens stores and closes them all at teardown."""
    opened: list[registry.Store] = []

    def open_(url: str, **options: object) -> registry.Store:
        store = registry.open_store(url, create=True, **options)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(store_url: str, open_url: Callable[..., registry.Store]) -> registry.Store:
    """A fresh store, once per engine (SQLite, PostgreSQL)."""
    return open_url(store_url)
