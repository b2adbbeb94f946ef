"""The app factory (STYLE.md habit 14: no globals made at import)."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import FastAPI

from did import Ed25519PrivateKey, load_private_key
from did.cli import PASSPHRASE_ENV
from protocol import MAX_UPLOAD_BATCH_MESSAGE
from registry._access import Access
from registry._authority import Authority
from registry._ledger import Ledger
from registry._metrics import Metrics
from registry._store import Store
from registry._uploads import MAX_TRACE_SEED_UPLOAD
from registry.service._limits import BodyLimit
from registry.service._problems import install_handlers
from registry.service._settings import Settings
from registry.service.routers import all_routers

__all__ = ["create_app", "load_key"]

_DESCRIPTION = """The health authority's registry (anshim): venue registration and did:web
hosting, posters, published epoch keys, status lists, notices and audit log, venue
uploads, authenticated and logged investigation queries, and the W3C VC-API. Every error
is an RFC 9457 problem detail whose `type` is `urn:anshim:error:<code>`."""


def load_key(settings: Settings, environ: dict[str, str] | None = None) -> Ed25519PrivateKey:
    """The registry's key from ``settings.key_file`` (passphrase in ``ANSHIM_PASSPHRASE``).

    Raises:
        KeyFileError: a wrong or missing passphrase, or not a key file.
        OSError: the file cannot be read.
    """
    import os

    env = os.environ if environ is None else environ
    if settings.key_file is None:  # pragma: no cover - Settings.__post_init__ sets it
        raise ValueError("no key file configured")
    return load_private_key(settings.key_file, env.get(PASSPHRASE_ENV))


def create_app(
    settings: Settings,
    *,
    store: Store,
    clock: Callable[[], int] = lambda: int(time.time()),
    key: Ed25519PrivateKey | None = None,
    ledger: Ledger | None = None,
) -> FastAPI:
    """The registry service over ``store`` (DESIGN.md "The registry service").

    ``key`` is the registry's signing key (default: :func:`load_key`); ``ledger`` the
    authority's records (default: in ``settings.state_dir``); ``clock`` the time source
    every check uses.

    Raises:
        KeyFileError, OSError: the key cannot be loaded.
        StoreUnavailable: the ledger cannot be opened.
        InvalidDid, ValueError: settings that make no registry.
    """
    authority = Authority(
        settings.authority_config(),
        key=key if key is not None else load_key(settings),
        ledger=ledger if ledger is not None else Ledger(settings.state_dir),
        store=store,
        clock=clock,
    )
    app = FastAPI(
        title="anshim registry",
        version="0.1.0",
        description=_DESCRIPTION,
        openapi_url="/openapi.json",
    )
    metrics = Metrics()
    app.state.authority = authority
    app.state.access = Access(authority)
    app.state.metrics = metrics
    app.state.settings = settings
    install_handlers(app, metrics, retry_after=settings.retry_after)
    for router in all_routers():
        app.include_router(router)
    caps = {
        "/uploads/visits": MAX_UPLOAD_BATCH_MESSAGE,
        "/uploads/trace-seeds": MAX_TRACE_SEED_UPLOAD,
    }
    app.add_middleware(
        BodyLimit, default=settings.max_body, caps=caps, deadline=settings.body_timeout
    )
    return app
