"""The venue service (DESIGN.md "The venue service"): FastAPI over :mod:`verifier`'s core,
for a tablet or small server at a venue's door, hosting one venue or many.

Quick start::

    from verifier.service import create_app, load_settings
    import uvicorn

    settings = load_settings("venue.toml")          # or ANSHIM_VENUE_* variables
    app = create_app(settings, passphrase=passphrase)
    uvicorn.run(app, host=settings.host, port=settings.port)
    # or: anshim venue serve --config venue.toml

Endpoints (the OpenAPI document is at ``/openapi.json``): ``POST
/venues/<id>/checkins`` and ``/checkouts`` (``application/cbor``, the receipt back),
``/venues/<id>/scans`` (holder-shown QR text from a scanner), ``/gateway/checkins`` (SMS
and call, HMAC-signed), ``/venues/<id>/assisted`` (staff passcode),
``/venues/<id>/readings`` (device-signed); ``GET /kiosk/<id>`` (the kiosk page),
``/operator`` (the operator's page, behind a staff passcode), ``/operator/summary`` (its
counts as JSON) and ``/health``. Errors are RFC 9457 problem details whose ``type`` is
``urn:anshim:error:<code>``. The phones' check-in and check-out are answered as raw ASGI
before FastAPI routes anything (``_fastpath``, the hot path); their routes stay in the
OpenAPI document.

Importing this package loads no web framework: :func:`create_app` imports FastAPI when
it is called (the ``server`` extra), so ``anshim venue`` sub-commands other than ``serve``
run without it. Modules are private: ``_settings`` (venue.toml and the environment),
``_store`` (the SQLite outbox, replay store, challenge book), ``_groupcommit`` (its
writer thread: one commit for concurrent requests), ``_runtime`` (every
endpoint's work), ``_uploader`` (batches to the registry), ``_access`` (gateway HMAC,
staff passcode, rate limit), ``_views`` (kiosk, operator, health), ``_operator`` (the
operator's page), ``_registration`` (``anshim venue init --registry`` and ``status``),
``_fastpath``, ``_app`` and the routers ``_phones``, ``_doors``, ``_screens``; ``deps``
and ``schemas`` are public.
"""

from __future__ import annotations

import typing

from verifier.service._access import (
    PersistentChallengeBook,
    RateLimiter,
    gateway_signature,
    hash_passcode,
)
from verifier.service._runtime import Outcome, VenueService, system_clock
from verifier.service._settings import (
    ENV_PREFIX,
    VenueServiceSettings,
    VenueSettings,
    load_settings,
)
from verifier.service._store import SqliteReplayStore, VenueStore
from verifier.service._uploader import HttpRegistryClient, RegistryClient, UploadAck, Uploader
from verifier.service._views import REFRESH_SECONDS

if typing.TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = [
    "ENV_PREFIX",
    "REFRESH_SECONDS",
    "HttpRegistryClient",
    "Outcome",
    "PersistentChallengeBook",
    "RateLimiter",
    "RegistryClient",
    "SqliteReplayStore",
    "UploadAck",
    "Uploader",
    "VenueService",
    "VenueServiceSettings",
    "VenueSettings",
    "VenueStore",
    "create_app",
    "gateway_signature",
    "hash_passcode",
    "load_settings",
    "system_clock",
]


def create_app(settings: VenueServiceSettings, **options: typing.Any) -> FastAPI:
    """The venue service's FastAPI app (see :func:`verifier.service._app.create_app` for
    the keyword options: ``store``, ``clock``, ``keys``, ``epoch_keys``, ``registry``,
    ``passphrase``, ``upload``).

    Raises:
        VenueConfigError, KeyFileError, OutboxUnavailable: the settings cannot be served.
        ImportError: FastAPI (the ``server`` extra) is not installed.
    """
    from verifier.service._app import create_app as build

    return build(settings, **options)
