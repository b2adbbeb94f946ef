"""The service's commands in the ``anshim registry`` group (DESIGN.md "The registry
service": ``anshim registry serve``): ``keygen`` makes the registry's encrypted key,
``serve`` runs the HTTP service with uvicorn (``--workers N`` pre-forked processes,
:mod:`registry.service._run`), ``venue-request`` writes a venue's signed registration.
Nothing here imports the web framework until ``serve`` runs.

Settings come from ``--config`` (TOML, ``[registry]``) and ``ANSHIM_REGISTRY_*``
variables (:mod:`registry.service._settings`); ``--store`` overrides the store URL.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from did import (
    Ed25519PrivateKey,
    X25519PrivateKey,
    b64url_encode,
    load_private_key,
    save_private_key,
    url_to_did_web,
)
from did.cli import CliError, add_passphrase_file, print_json, read_passphrase
from registry._venues import REGISTRATION_CONTEXT, signed_bytes

__all__ = ["add_commands"]


def _keygen(args: argparse.Namespace) -> int:
    path = Path(args.out)
    if path.exists():
        raise CliError(f"{path} exists; refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    save_private_key(path, key, read_passphrase(args, confirm=True))
    out: dict[str, Any] = {"key_file": str(path), "public_key": key.public_key.to_multikey()}
    if args.public_url:
        out["did"] = url_to_did_web(args.public_url)
    print_json(out)
    return 0


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: F401 - checked here so a missing extra is a clear error

        from registry.service import Settings, serve
    except ImportError as exc:
        raise CliError("serving needs the 'server' extra (pip install 'anshim[server]')") from exc
    overrides = {"ANSHIM_REGISTRY_STORE": args.store} if args.store else {}
    settings = Settings.load(config_file=args.config, environ={**os.environ, **overrides})
    if settings.key_file is None:  # pragma: no cover - Settings fills it in
        raise CliError("no key file configured")
    key = load_private_key(settings.key_file, read_passphrase(args))
    try:
        serve(settings, key, host=args.host, port=args.port,
              workers=args.workers or settings.workers)  # fmt: skip
    except (ValueError, RuntimeError) as exc:
        raise CliError(str(exc)) from exc
    return 0


def _venue_request(args: argparse.Namespace) -> int:
    key = load_private_key(args.key, read_passphrase(args))
    agreement = X25519PrivateKey.generate() if args.agreement_key is None else None
    agreement_multikey = (
        args.agreement_key if agreement is None else agreement.public_key.to_multikey()
    )
    request: dict[str, Any] = {
        "type": "VenueRegistration",
        "name": {"ko": args.name_ko, "en": args.name_en},
        "address": args.address,
        "businessRegistrationNumber": args.brn,
        "category": args.category,
        "signingKey": key.public_key.to_multikey(),
        "agreementKey": agreement_multikey,
        "nonce": b64url_encode(os.urandom(16)),
        "created": int(time.time()),
    }
    request["proof"] = b64url_encode(key.sign(signed_bytes(REGISTRATION_CONTEXT, request)))
    print_json(request)
    return 0


def add_commands(sub: Any) -> None:
    """Add ``keygen``, ``serve`` and ``venue-request`` to the ``registry`` group."""
    p = sub.add_parser("keygen", help="make the registry's encrypted signing key")
    p.set_defaults(handler=_keygen)
    p.add_argument("--out", required=True, help="the key file to write")
    p.add_argument("--public-url", help="the registry's https origin (prints its did:web)")
    add_passphrase_file(p)

    p = sub.add_parser("serve", help="run the registry's HTTP service (uvicorn)")
    p.set_defaults(handler=_serve)
    p.add_argument("--config", help="TOML file with a [registry] table")
    p.add_argument("--store", help="store URL (default: the settings' store)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument(
        "--workers", type=int, help="worker processes, one per core (default: the settings')"
    )
    add_passphrase_file(p)

    p = sub.add_parser("venue-request", help="a venue's signed registration (JSON) to POST")
    p.set_defaults(handler=_venue_request)
    p.add_argument("--key", required=True, help="the venue's Ed25519 key file")
    p.add_argument("--agreement-key", help="the venue's X25519 Multikey (default: a new one)")
    p.add_argument("--name-ko", required=True)
    p.add_argument("--name-en", required=True)
    p.add_argument("--address", required=True)
    p.add_argument("--brn", required=True, help="business registration number 123-45-67890")
    p.add_argument("--category", required=True)
    add_passphrase_file(p)
