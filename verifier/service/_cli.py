"""``anshim venue …``: make a venue's keys, serve, and look at the outbox.

* ``init`` makes a venue's Ed25519 signing key and X25519 key-agreement key, encrypted at
  rest (:func:`did.save_private_key`, Argon2id), posts the signed registration to the
  registry at ``--registry URL`` (``POST /venues``, :mod:`verifier.service._registration`)
  and prints the ``[[venue]]`` table with the did:web the registry assigned (a venue has
  no DID before the registry assigns one, so there is no offline mode that would print
  a made-up one);
* ``serve`` runs the service with uvicorn (FastAPI is imported here only);
* ``status`` shows, per venue, the key file, the registration (pending, approved or
  deactivated, asked of the registry unless ``--offline``), the backlog, today's counts
  and the last upload, without starting anything;
* ``passcode`` prints the Argon2id hash of a staff passcode for ``venue.toml``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from did import (
    Ed25519PrivateKey,
    X25519PrivateKey,
    day_of,
    did_from_public_key,
    encrypt_secret,
    save_private_key,
)
from did.cli import PASSPHRASE_ENV, CliError, add_passphrase_file, print_json, read_passphrase
from verifier.service._access import hash_passcode
from verifier.service._registration import STATES, fetch_registration
from verifier.service._runtime import system_clock
from verifier.service._settings import ENV_PREFIX, load_settings
from verifier.service._store import VenueStore

__all__ = ["app_from_environment", "register", "venue_table"]


def _group(sub: Any, name: str, help_text: str) -> Any:
    parser = sub.add_parser(name, help=help_text)
    parser.set_defaults(handler=None, help_parser=parser)
    return parser.add_subparsers(metavar="COMMAND", parser_class=type(parser))


def _cmd(sub: Any, name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    parser.set_defaults(handler=handler, help_parser=parser)
    return parser


def _names(args: argparse.Namespace) -> tuple[str, str]:
    # "카페 하나 / Cafe One" gives both names unless they are given apart.
    ko, _, en = args.name.partition(" / ")
    return (args.name_ko or ko.strip()), (args.name_en or en.strip() or ko.strip())


def _init(args: argparse.Namespace) -> int:
    from verifier.service._settings import VenueSettings

    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / f"{args.id}.key"
    agreement_file = folder / f"{args.id}.x25519"
    for path in (key_file, agreement_file):
        if path.exists():
            raise CliError(f"{path} exists: refusing to replace a venue key")
    # The settings' own checks, before any key is made (id, name, category), with a DID
    # of the shape the registry assigns (the real one comes back from the registration).
    shape = f"did:web:registry.invalid:venues:{args.id}"
    VenueSettings(id=args.id, did=shape, name=args.name, category=args.category)
    passphrase = read_passphrase(args, confirm=True)
    signing = Ed25519PrivateKey.generate()
    agreement = X25519PrivateKey.generate()
    # Registered before anything is written: a refusal leaves no orphan key files.
    from verifier.service._registration import post_registration, registration_request

    name_ko, name_en = _names(args)
    request = registration_request(
        signing,
        agreement.public_key,
        name_ko=name_ko,
        name_en=name_en,
        address=args.address,
        business_registration_number=args.brn,
        category=args.category,
        now=system_clock() if args.now is None else args.now,
    )
    registration = post_registration(args.registry, request)
    did = str(registration["did"])
    save_private_key(key_file, signing, passphrase)
    public = agreement.public_key.to_multikey()
    agreement_file.write_bytes(
        encrypt_secret(
            agreement.to_bytes(),
            passphrase,
            kind="x25519-private-key",
            public={"publicKeyMultibase": public},
        )
    )
    os.chmod(agreement_file, 0o600)
    out: dict[str, Any] = {
        "venue": did,
        "signingKey": did_from_public_key(signing.public_key),
        "keyAgreementKey": public,
        "files": [str(key_file), str(agreement_file)],
        "config": venue_table(args.id, did, args.name, args.category, key_file.name),
        "registry": args.registry,
        "registration": {
            "status": STATES.get(str(registration.get("status")), "unknown"),
            "registryId": registration.get("id"),
            "registered": registration.get("registered"),
        },
    }
    print_json(out)
    return 0


def venue_table(venue_id: str, did: str, name: str, category: str, key_file: str) -> str:
    """The ``[[venue]]`` table for venue.toml, in UTF-8 (a Hangul name stays readable: a
    JSON string without ASCII escapes is a TOML basic string, its other escapes TOML's)."""

    def text(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    return (
        f"[[venue]]\nid = {text(venue_id)}\ndid = {text(did)}\nname = {text(name)}\n"
        f"category = {text(category)}\nkey_file = {text(key_file)}\n"
    )


def _status(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    now = system_clock() if args.now is None else args.now
    store = VenueStore(settings.database, synchronous=settings.synchronous)
    try:
        backlog = store.backlog()
        tallies = store.tallies(day_of(now))
        last_upload = store.get_meta("last_upload")
        last_error = store.get_meta("last_error")
    finally:
        store.close()
    venues = []
    registry = None if args.offline else settings.registry
    for venue in settings.venues:
        counts: dict[str, dict[str, int]] = {}
        for tally in tallies:
            if tally.venue == venue.did:
                counts.setdefault(tally.code, {})[tally.channel] = tally.count
        venues.append(
            {
                "id": venue.id,
                "did": venue.did,
                "keyFile": None if venue.key_file is None else str(venue.key_file),
                "keyFilePresent": venue.key_file is not None and venue.key_file.exists(),
                "registration": (
                    {"status": "unknown", "error": "no registry configured"}
                    if registry is None
                    else fetch_registration(registry, venue.did)
                ),
                "backlog": backlog.get(venue.did, 0),
                "today": counts,
            }
        )
    print_json(
        {
            "registry": settings.registry,
            "venues": venues,
            "backlog": sum(backlog.values()),
            "lastUpload": None if last_upload is None else int(last_upload),
            "lastError": last_error,
        }
    )
    return 0


def _passcode(args: argparse.Namespace) -> int:
    passcode = read_passphrase(args, confirm=True, prompt="Staff passcode: ")
    print(hash_passcode(passcode))
    return 0


def app_from_environment() -> Any:
    """The app for one uvicorn worker process (``serve --workers N``): the config file
    and the key passphrase come from ``ANSHIM_VENUE_CONFIG`` and ``ANSHIM_PASSPHRASE``.

    Raises:
        VenueConfigError, KeyFileError, OutboxUnavailable: as ``create_app``.
    """
    from verifier.service._app import create_app

    settings = load_settings()
    return create_app(settings, passphrase=os.environ.get(PASSPHRASE_ENV))


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    os.environ[ENV_PREFIX + "CONFIG"] = str(Path(args.config).resolve())
    settings = load_settings(args.config)
    needs_keys = any(v.key_file is not None for v in settings.venues)
    if needs_keys and not os.environ.get(PASSPHRASE_ENV):
        os.environ[PASSPHRASE_ENV] = read_passphrase(args)
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    workers = args.workers or settings.workers
    print(f"anshim venue service on http://{host}:{port} ({workers} worker(s))", file=sys.stderr)
    uvicorn.run(
        "verifier.service._cli:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=args.log_level,
        access_log=False,  # the access log would carry sources and paths, never needed
    )
    return 0


def register(subparsers: Any) -> None:
    """Add ``venue`` and its sub-commands to the ``anshim`` parser."""
    venue = _group(subparsers, "venue", "the venue service: keys, serve, status")

    p = _cmd(venue, "init", _init, "make a venue's keys (encrypted), register it, print its config")
    p.add_argument("--id", required=True, help="the venue id here (a-z, 0-9, -)")
    p.add_argument("--name", required=True, help="the venue's name (Korean / English)")
    p.add_argument("--category", required=True, help="the facility class (cafe, wedding_hall, …)")
    p.add_argument(
        "--registry", required=True, help="the registry's URL: post the signed registration there"
    )
    p.add_argument("--name-ko", help="the Korean name (default: --name before ' / ')")
    p.add_argument("--name-en", help="the English name (default: --name after ' / ')")
    p.add_argument("--address", required=True, help="the venue's address")
    p.add_argument("--brn", required=True, help="business registration number 123-45-67890")
    p.add_argument("--now", type=int, help="Unix time the request is signed at (default: clock)")
    p.add_argument("--dir", default=".", help="where the key files go (default .)")
    add_passphrase_file(p)

    p = _cmd(venue, "serve", _serve, "run the venue service (uvicorn)")
    p.add_argument("--config", required=True, help="venue.toml")
    p.add_argument("--host", help="override [service] host")
    p.add_argument("--port", type=int, help="override [service] port")
    p.add_argument("--workers", type=int, help="uvicorn worker processes")
    p.add_argument("--log-level", default="info", choices=["warning", "info", "debug"])
    add_passphrase_file(p)

    p = _cmd(venue, "status", _status, "backlog, today's counts and the last upload")
    p.add_argument("--config", required=True, help="venue.toml")
    p.add_argument("--now", type=int, help="Unix time for 'today' (default: the clock)")
    p.add_argument("--offline", action="store_true", help="do not ask the registry")

    p = _cmd(venue, "passcode", _passcode, "hash a staff passcode for venue.toml")
    add_passphrase_file(p)
