"""Registry-service fixtures: a registry app over a fresh store — once per engine, SQLite
and the session's real PostgreSQL server (``store_url`` in tests/registry/conftest.py,
which honours ``ANSHIM_REQUIRE_POSTGRES``) — and a fresh ledger, with an administrator's
token, and venues registered and approved through the HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import registry
from tests.registry.service.support import Operator, Registry, make_registry


@pytest.fixture
def reg(tmp_path: Path, store_url: str, open_url: Callable[..., registry.Store]) -> Registry:
    """A registry (in process, over httpx's ASGI transport) and its admin token, once per
    engine; the store is closed at teardown."""
    return make_registry(tmp_path, store=open_url(store_url))


@pytest.fixture
def venue(reg: Registry) -> Operator:
    """A registered and approved venue."""
    return reg.register()
