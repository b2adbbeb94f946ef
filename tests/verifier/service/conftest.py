"""Fixtures of the venue-service tests: an injected clock, an app over a fresh store, a
``client`` served by real uvicorn on loopback, and an enrolled wallet."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.escrow.support import World
from tests.verifier.service.serving import serve_in_thread
from tests.verifier.service.support import Clock, app_options, new_wallet, settings
from verifier.service import create_app
from wallet import Wallet


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_app(tmp_path: Path, clock: Clock, escrow_world: World) -> Callable[..., FastAPI]:
    def make(*, service: dict[str, Any] | None = None, **options: Any) -> FastAPI:
        return create_app(settings(tmp_path, **(service or {})), **app_options(clock, **options))

    return make


@pytest.fixture
def client(make_app: Callable[..., FastAPI]) -> Iterator[httpx.Client]:
    """An HTTP client of the app served by real uvicorn on loopback (``client.app`` is the
    app, for looking at its store)."""
    app = make_app(upload=False)
    with serve_in_thread(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


@pytest.fixture
def wallet(tmp_path: Path, escrow_world: World) -> Wallet:
    return new_wallet(tmp_path, "visitor")
