"""``anshim registry …``: the registry operator's commands (DESIGN.md "Storage").

Every command prints JSON on stdout; bad input is one line on stderr and exit status 2
(:func:`did.cli.main`). The store comes from ``--store`` or ``$ANSHIM_REGISTRY_STORE``: a
URL (``sqlite:///dir``, ``postgresql://…``) or a folder path (SQLite). Long work (imports,
the lost-phone look-up) shows a tqdm progress bar on stderr when stderr is a terminal.

* ``init``: make (or migrate) the store; ``--print-ddl sqlite|postgres|citus`` prints the
  schema's statements instead.
* ``import FILE…``: venue directory entries (``--venues venues.json``) and batch files
  (:mod:`registry._batchfile`); each record's venue signature is checked against the
  directory unless ``--unsafe-no-verify`` (warned).
* ``stats``; ``purge [--older-than DAYS]`` (default: the retention period).
* ``compact [--day DAY…]``: rewrite days in venue order (:meth:`registry.Store.compact`);
  by default every stored day before today not compacted yet (a nightly job).
* ``query contacts --venue DID --start T --end T``; ``query locators --seeds seeds.json``
  (``{"<day or YYYY-MM-DD>": "<hex trace seed>"}``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from did import RETENTION_DAYS, Ed25519PublicKey, day_of
from did.cli import CliError, print_json, read_input_file, warn
from registry._batchfile import MAX_BATCH_FILE, decode_batch_file
from registry._lostphone import lost_phone_visits
from registry._model import PutResult, StoredVisit, Venue
from registry._open import open_store
from registry._retention import retention_horizon
from registry._schema import (
    SQLITE_DAY_MIGRATIONS,
    SQLITE_MAIN_MIGRATIONS,
    citus_migrations,
    postgres_migrations,
)
from registry._store import MIN_OVERLAP, Store

__all__ = ["STORE_ENV", "register"]

#: The environment variable naming the store when ``--store`` is not given.
STORE_ENV = "ANSHIM_REGISTRY_STORE"
_MAX_JSON = 64 << 20


def _progress(items: Iterable[Any], desc: str) -> Iterable[Any]:
    try:
        from tqdm import tqdm  # imported here: `import registry` never loads tqdm
    except ImportError:  # the 'cli' extra is not installed: no bar
        return items
    return tqdm(items, desc=desc, file=sys.stderr, disable=None, leave=False)


def _store_url(args: argparse.Namespace) -> str:
    value = args.store or os.environ.get(STORE_ENV)
    if not value:
        raise CliError(f"no store: give --store or set ${STORE_ENV}")
    if "://" in value:
        return str(value)
    return f"sqlite://{Path(value).resolve()}"


def _open(args: argparse.Namespace, *, create: bool = False) -> Store:
    return open_store(_store_url(args), create=create)


def _time(value: str) -> int:
    # A Unix time, or an ISO 8601 date-time with an explicit zone (never the machine's).
    if value.isdigit():
        return int(value)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a Unix time or ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} needs a zone (for example +09:00)")
    return int(parsed.timestamp())


def _day(value: str) -> int:
    if value.isdigit():
        return int(value)
    try:
        return (dt.date.fromisoformat(value) - dt.date(1970, 1, 1)).days
    except ValueError:
        raise CliError(f"not a day number or YYYY-MM-DD: {value!r}") from None


def _json_file(path: str) -> Any:
    try:
        return json.loads(read_input_file(path, limit=_MAX_JSON))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CliError(f"{path} is not JSON: {exc}") from None


def _hex(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise CliError(f"{what} must be a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise CliError(f"{what} must be hex") from None


def _venues_from(path: str) -> list[Venue]:
    data = _json_file(path)
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise CliError(f"{path} must hold a JSON array of venue objects")
    out = []
    for entry in data:
        try:
            out.append(
                Venue(
                    did=entry["did"],
                    category=entry["category"],
                    signing_key=_hex(entry["signing_key"], "signing_key"),
                    agreement_key=_hex(entry["agreement_key"], "agreement_key"),
                    valid_from=entry["valid_from"],
                    valid_until=entry.get("valid_until"),
                )
            )
        except KeyError as exc:
            raise CliError(f"{path}: a venue lacks {exc}") from None
    return out


# -- handlers -----------------------------------------------------------------------------


def _init(args: argparse.Namespace) -> int:
    if args.print_ddl:
        migrations = {
            "sqlite": SQLITE_MAIN_MIGRATIONS + SQLITE_DAY_MIGRATIONS,
            "postgres": postgres_migrations(),
            "citus": citus_migrations(),
        }[args.print_ddl]
        print_json([s for m in migrations for s in m])
        return 0
    with _open(args, create=True) as store:
        print_json({"store": store.url, "schema_version": store.schema_version()})
    return 0


def _import(args: argparse.Namespace) -> int:
    if not args.files and not args.venues:
        raise CliError("nothing to import: give batch files and/or --venues")
    # Every file is read and parsed before anything is stored.
    venues = _venues_from(args.venues) if args.venues else []
    batches = [
        (path, batch)
        for path in args.files
        for batch in decode_batch_file(read_input_file(path, limit=MAX_BATCH_FILE))
    ]
    if args.unsafe_no_verify:
        warn("--unsafe-no-verify: records are stored without checking the venues' signatures")
    now = args.now if args.now is not None else int(time.time())
    total = PutResult()
    with _open(args) as store:
        if venues:
            store.put_venues(venues)
        keys: dict[str, Ed25519PublicKey | None] = {}

        def key_of(did: str) -> Ed25519PublicKey | None:
            if did not in keys:
                venue = store.venue(did)
                keys[did] = (
                    None if venue is None else Ed25519PublicKey.from_bytes(venue.signing_key)
                )
            return keys[did]

        for path, batch in _progress(batches, "batches"):
            if args.unsafe_no_verify:
                records = [StoredVisit.from_message(m) for m in batch]
            else:
                records = [StoredVisit.verified(m, key_of, now=now) for m in batch]
            try:
                total += store.put(records)
            except Exception:
                print(
                    f"anshim: {path}: a batch was refused ({total.inserted} records of "
                    "earlier batches are stored)",
                    file=sys.stderr,
                )
                raise
        print_json(
            {
                "venues": len(venues),
                "batches": len(batches),
                "inserted": total.inserted,
                "updated": total.updated,
                "unchanged": total.unchanged,
            }
        )
    return 0


def _stats(args: argparse.Namespace) -> int:
    with _open(args) as store:
        days = store.stats()
        print_json(
            {
                "store": store.url,
                "days": [d.to_json() for d in days],
                "visits": sum(d.visits for d in days),
                "venues_registered": len(store.venues()),
            }
        )
    return 0


def _purge(args: argparse.Namespace) -> int:
    now = args.now if args.now is not None else int(time.time())
    before = retention_horizon(now=now, retention_days=args.older_than, tz_offset=args.tz_offset)
    with _open(args) as store:
        gone = store.purge(before)
        print_json({"before": before, "purged_days": gone, "remaining_days": store.days()})
    return 0


def _compact(args: argparse.Namespace) -> int:
    now = args.now if args.now is not None else int(time.time())
    today = day_of(now, tz_offset=args.tz_offset)
    with _open(args) as store:
        if args.day:
            days = sorted({_day(d) for d in args.day})
        else:
            days = [d for d in store.days() if d < today and not store.compacted(d)]
        done = [d for d in _progress(days, "days") if store.compact(d)]
        print_json({"compacted_days": done, "not_stored": sorted(set(days) - set(done))})
    return 0


def _contacts(args: argparse.Namespace) -> int:
    exclude = [_hex(v, "--exclude") for v in args.exclude]
    with _open(args) as store:
        found = store.contacts(
            args.venue, args.start, args.end, min_overlap=args.min_overlap * 60, exclude=exclude
        )
        print_json({"venue": args.venue, "contacts": [m.to_json() for m in found]})
    return 0


def _locators(args: argparse.Namespace) -> int:
    data = _json_file(args.seeds)
    if not isinstance(data, dict):
        raise CliError(f"{args.seeds} must hold a JSON object of day -> hex trace seed")
    seeds = {_day(day): _hex(seed, "a trace seed") for day, seed in data.items()}
    with _open(args) as store:
        found = lost_phone_visits(store, seeds, progress=_progress)
        print_json({"days": sorted(seeds), "visits": [m.to_json() for m in found]})
    return 0


# -- parser -------------------------------------------------------------------------------


def _cmd(sub: Any, name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(handler=handler)
    p.add_argument("--store", help=f"store URL or SQLite folder (default ${STORE_ENV})")
    return p


def register(subparsers: Any) -> None:
    """Add the ``registry`` command group to the ``anshim`` command."""
    reg = subparsers.add_parser("registry", help="the sealed-visit store and its queries")
    reg.set_defaults(handler=None, help_parser=reg)
    sub = reg.add_subparsers(title="commands", metavar="COMMAND")

    p = _cmd(sub, "init", _init, "make or migrate a store")
    p.add_argument("--print-ddl", choices=("sqlite", "postgres", "citus"))

    p = _cmd(sub, "import", _import, "import venue entries and files of upload batches")
    p.add_argument("files", nargs="*", metavar="FILE")
    p.add_argument("--venues", metavar="JSON", help="venue directory entries to add first")
    p.add_argument("--now", type=int, help="Unix time for the records' date checks")
    p.add_argument("--unsafe-no-verify", action="store_true")

    _cmd(sub, "stats", _stats, "per-day figures")

    p = _cmd(sub, "purge", _purge, "delete whole days older than the retention period")
    p.add_argument("--older-than", type=int, default=RETENTION_DAYS, metavar="DAYS")
    p.add_argument("--now", type=int, help="Unix time to count from (default: now)")
    p.add_argument("--tz-offset", type=int, default=0, help="the epoch zone (s east of UTC)")

    p = _cmd(
        sub,
        "compact",
        _compact,
        "rewrite days in venue order, so that a venue's stays are read from neighbouring pages"
        " (default: every day before today not compacted yet)",
    )
    p.add_argument(
        "--day", action="append", default=[], help="a day (number or YYYY-MM-DD); repeatable"
    )
    p.add_argument("--now", type=int, help="Unix time of today (default: now)")
    p.add_argument("--tz-offset", type=int, default=0, help="the epoch zone (s east of UTC)")

    # The HTTP service's commands (keygen, serve, venue-request) live in registry._serve.
    from registry._serve import add_commands

    add_commands(sub)

    # The administrator's commands over HTTP live in registry._admin.
    from registry._admin import add_admin_commands

    add_admin_commands(sub)

    query = sub.add_parser("query", help="investigation queries")
    query.set_defaults(handler=None, help_parser=query)
    qsub = query.add_subparsers(title="queries", metavar="QUERY")
    p = _cmd(qsub, "contacts", _contacts, "records overlapping a stay at a venue")
    p.add_argument("--venue", required=True)
    p.add_argument("--start", type=_time, required=True, help="Unix time or ISO 8601 with zone")
    p.add_argument("--end", type=_time, required=True)
    p.add_argument("--min-overlap", type=int, default=MIN_OVERLAP // 60, metavar="MINUTES")
    p.add_argument("--exclude", action="append", default=[], metavar="VISIT_ID_HEX")
    p = _cmd(qsub, "locators", _locators, "a case's visits from its trace seeds (lost phone)")
    p.add_argument("--seeds", required=True, metavar="JSON")
