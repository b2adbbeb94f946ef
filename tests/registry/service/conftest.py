"""Registry-service fixtures: a registry app over a fresh SQLite store and ledger, with an
administrator's token, and venues registered and approved through the HTTP API."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.registry.service.support import Operator, Registry, make_registry


@pytest.fixture
def reg(tmp_path: Path) -> Registry:
    """A registry (in process, over httpx's ASGI transport) and its admin token."""
    r = make_registry(tmp_path)
    yield r
    r.store.close()


@pytest.fixture
def venue(reg: Registry) -> Operator:
    """A registered and approved venue."""
    return reg.register()
