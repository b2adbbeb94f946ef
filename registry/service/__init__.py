"""The registry's HTTP service (FastAPI): venues and did:web hosting, posters, published
data, uploads, authenticated investigation queries and the W3C VC-API (DESIGN.md "The
registry service"). Importing :mod:`registry` does not import this package.

Quick start::

    import registry
    from did import Ed25519PrivateKey
    from registry.service import Settings, create_app

    settings = Settings(public_url="https://registry.example.kr",
                        admin_did=admin_did, state_dir="/var/lib/anshim/registry")
    store = registry.open_store(settings.store, create=True)
    app = create_app(settings, store=store, key=Ed25519PrivateKey.generate())
    # uvicorn.run(app, host="127.0.0.1", port=8443), or one process per core:
    # serve(settings, key, workers=2) — which is what `anshim registry serve` runs

Errors: :mod:`registry.service.errors` (the HTTP layer's) and :mod:`registry.errors`;
every refusal is an RFC 9457 problem detail (:mod:`~registry.service._problems`). Shapes:
:mod:`registry.service.schemas`; dependencies: :mod:`registry.service.deps`; routers:
:mod:`registry.service.routers`. A venue signs its registration and rotation requests over
:func:`signed_bytes` (with :data:`REGISTRATION_CONTEXT` or :data:`ROTATION_CONTEXT`).
"""

from registry._venues import REGISTRATION_CONTEXT, ROTATION_CONTEXT, signed_bytes
from registry.service._app import create_app, load_key
from registry.service._problems import PROBLEM_TYPE_PREFIX, status_of
from registry.service._run import MAX_WORKERS, serve
from registry.service._settings import ENV_PREFIX, Settings

__all__ = [
    "ENV_PREFIX",
    "MAX_WORKERS",
    "PROBLEM_TYPE_PREFIX",
    "REGISTRATION_CONTEXT",
    "ROTATION_CONTEXT",
    "Settings",
    "create_app",
    "load_key",
    "serve",
    "signed_bytes",
    "status_of",
]
