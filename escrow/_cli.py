"""``anshim escrow …``: the custodians' and investigators' commands (DESIGN.md "Escrow").

Every file is the deterministic-CBOR format of its module (roster, deal, signature file,
directory, warrant, request, share batch, audit log). Secrets never reach stdout, stderr or
logs. A custodian's passphrase comes from ``--passphrase-file``, ``$ANSHIM_PASSPHRASE`` or a
prompt. Long runs show a tqdm progress bar on stderr (only on a terminal).

Safe by default (STYLE.md habit 5): ``warrant approve`` and ``share`` append to the audit log
given by ``--log`` (DESIGN.md "Audit log": every approval and every share issued is an
entry); skipping it takes ``--unsafe-no-log``, which prints a warning on stderr, as does
``--unsafe-fast-kdf``; both also log a warning (logger ``escrow._cli``). ``warrant
approve`` prints what is being approved on stderr; :meth:`escrow.Warrant.approve` refuses a
warrant outside its validity window. ``shred`` without ``--before`` destroys the epochs
older than the retention period (:meth:`escrow.ShareStore.shred_expired`,
:data:`did.RETENTION_DAYS`) counted back from ``--now``. ``combine`` opens records
optimistically; ``--check-every-proof`` checks every share's DLEQ proof, as an auditor would.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from did import KDF_MODERATE, KDF_TEST, RETENTION_DAYS, KdfParams, atomic_write
from did.cli import PASSPHRASE_ENV, CliError, read_passphrase, warn
from escrow._auditlog import AuditLog
from escrow._ceremony import Roster, deal, finalize, publish
from escrow._custodian import ShareBatch, UnsealRequest, answer_warrant
from escrow._epochkeys import EpochKeyDirectory
from escrow._labels import epoch_from_date, epoch_to_date
from escrow._store import ShareStore
from escrow._unseal import unseal
from escrow._warrant import VenueScope, Warrant, WarrantScope

__all__ = ["register"]

_log = logging.getLogger(__name__)
_MAX_FILE = 256 * 1024 * 1024
_LAST_ISO_TIME = 253402300799  # 9999-12-31T23:59:59Z


def _progress(items: Iterable[Any], desc: str) -> Iterable[Any]:
    from tqdm import tqdm  # imported here: the sealing half never loads tqdm

    return tqdm(items, desc=desc, file=sys.stderr, disable=None, leave=False)


def _unsafe(message: str) -> None:
    # STYLE.md habit 5: every weakening option says so, on stderr and in the log.
    warn(message)
    _log.warning("%s", message)


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(_MAX_FILE + 1)
    if len(data) > _MAX_FILE:
        raise CliError(f"{path} is too large")
    return data


def _write(path: str, data: bytes) -> None:
    atomic_write(path, data, mode=0o644)


def _kdf(args: argparse.Namespace) -> KdfParams:
    if not args.unsafe_fast_kdf:
        return KDF_MODERATE
    _unsafe("--unsafe-fast-kdf: the store is rewritten with the minimum Argon2id limits")
    return KDF_TEST


def _store(args: argparse.Namespace) -> tuple[ShareStore, str]:
    passphrase = _store_passphrase(args)
    return ShareStore.load(args.store, passphrase, kdf=_kdf(args)), passphrase


def _epoch(value: str) -> int:
    return int(value) if value.isdigit() else epoch_from_date(value)


def _now(args: argparse.Namespace) -> int:
    return int(time.time()) if args.now is None else int(args.now)


def _directory(path: str) -> EpochKeyDirectory:
    directory = EpochKeyDirectory.from_bytes(_read(path))
    directory.verify()
    return directory


def _audit_log(args: argparse.Namespace) -> AuditLog | None:
    # Parsing makes exactly one of --log and --unsafe-no-log required.
    if args.log is None:
        _unsafe("--unsafe-no-log: this action is not recorded in any audit log")
        return None
    return AuditLog.from_bytes(_read(args.log)) if Path(args.log).exists() else AuditLog()


def _out(obj: Any) -> int:
    print(json.dumps(obj, indent=2, sort_keys=True))
    return 0


def _store_passphrase(args: argparse.Namespace) -> str:
    return read_passphrase(args, prompt="Store passphrase: ")


# -- handlers ---------------------------------------------------------------------------------
def _keygen(args: argparse.Namespace) -> int:
    store = ShareStore.create(args.store, _store_passphrase(args), kdf=_kdf(args))
    return _out({"did": store.did, "store": str(args.store)})


def _ceremony_init(args: argparse.Namespace) -> int:
    roster = Roster.new(
        args.custodian,
        args.threshold,
        first_epoch=_epoch(args.first_epoch),
        epochs=args.epochs,
        tz_offset=args.tz_offset,
    )
    _write(args.out, roster.to_bytes())
    return _out({"ceremony": roster.ceremony.hex(), "epochs": args.epochs})


def _ceremony_deal(args: argparse.Namespace) -> int:
    roster = Roster.from_bytes(_read(args.roster))
    store, _ = _store(args)
    _write(args.out, deal(roster, store.key, progress=_progress))
    return _out({"dealer": roster.index_of(store.did), "out": args.out})


def _ceremony_finalize(args: argparse.Namespace) -> int:
    roster = Roster.from_bytes(_read(args.roster))
    store, passphrase = _store(args)
    deals = [_read(p) for p in args.deal]
    sig = finalize(roster, deals, store, passphrase, exclude=args.exclude, progress=_progress)
    _write(args.out, sig)
    return _out({"custodian": roster.index_of(store.did), "epochs": roster.epochs})


def _ceremony_publish(args: argparse.Namespace) -> int:
    roster = Roster.from_bytes(_read(args.roster))
    directory = publish(roster, [_read(p) for p in args.sig])
    _write(args.out, directory.to_bytes())
    return _out({"epochs": list(directory), "threshold": directory.threshold})


def _parse_venue(spec: str) -> tuple[str, int, tuple[int, int]]:
    parts = spec.rsplit(",", 3)
    if len(parts) != 4 or not all(p.isdigit() for p in parts[1:]):
        raise CliError("--venue must be DID,MAX_STAY,START,END (Unix seconds)")
    return parts[0], int(parts[1]), (int(parts[2]), int(parts[3]))


def _warrant_create(args: argparse.Namespace) -> int:
    venues: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for spec in args.venue:
        did, stay, window = _parse_venue(spec)
        venues.setdefault((did, stay), []).append(window)
    creds = []
    for spec in args.credential:
        cid, _, rest = spec.rpartition(":")
        first, _, last = rest.partition("-")
        if not cid or not first.isdigit() or not last.isdigit():
            raise CliError("--credential must be ID:FIRST-LAST (epochs)")
        creds.append((cid, int(first), int(last)))
    try:
        records = frozenset(bytes.fromhex(r) for r in args.record)
    except ValueError as exc:
        raise CliError("--record must be a hex envelope id") from exc
    scope = WarrantScope(
        tuple(VenueScope(d, s, tuple(w)) for (d, s), w in venues.items()), records, tuple(creds)
    )
    now = _now(args)
    warrant = Warrant.create(
        case_id=args.case,
        purpose=args.purpose,
        investigator=args.investigator,
        scope=scope,
        issued=now,
        expires=now + args.valid_for,
    )
    _write(args.out, warrant.to_bytes())
    return _out({"warrant_id": warrant.warrant_id.hex()})


def _iso(t: int) -> str:
    # Warrant times are any int up to 2^63 - 1; past year 9999 the number itself is shown.
    if t > _LAST_ISO_TIME:
        return str(t)
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _date(epoch: int) -> str:
    return epoch_to_date(epoch) if epoch <= _LAST_ISO_TIME // 86400 else str(epoch)


def _describe(warrant: Warrant) -> dict[str, Any]:
    scope = warrant.scope
    return {
        "warrant_id": warrant.warrant_id.hex(),
        "case_id": warrant.case_id,
        "purpose": warrant.purpose,
        "investigator": warrant.investigator,
        "issued": _iso(warrant.issued),
        "expires": _iso(warrant.expires),
        "scope": {
            "venues": [
                {
                    "venue": v.venue_did,
                    "max_stay_s": v.max_stay,
                    "windows": [[_iso(a), _iso(b)] for a, b in v.windows],
                }
                for v in scope.venues
            ],
            "records": sorted(r.hex() for r in scope.records),
            "credentials": [
                {"credential": c, "from": _date(a), "to": _date(b)} for c, a, b in scope.credentials
            ],
        },
        "approvals": [did for did, _ in warrant.approvals],
    }


def _warrant_show(args: argparse.Namespace) -> int:
    return _out(_describe(Warrant.from_bytes(_read(args.file))))


def _warrant_approve(args: argparse.Namespace) -> int:
    warrant = Warrant.from_bytes(_read(args.warrant))
    now = _now(args)
    # The custodian sees what they sign before anything is written.
    print("approving:", json.dumps(_describe(warrant), indent=2), file=sys.stderr)
    warrant.check_window(now=now)  # refused before the passphrase is asked for
    log = _audit_log(args)
    store, _ = _store(args)
    warrant = warrant.approve(store.key, store.did, now=now)
    if log is not None:
        log.record_approval(warrant, store.key, store.did, now=now)
        _write(args.log, log.to_bytes())
    _write(args.out or args.warrant, warrant.to_bytes())
    return _out({"warrant_id": warrant.warrant_id.hex(), "approvals": len(warrant.approvals)})


def _warrant_verify(args: argparse.Namespace) -> int:
    warrant = Warrant.from_bytes(_read(args.warrant))
    warrant.verify(_directory(args.directory), now=_now(args))
    return _out({"warrant_id": warrant.warrant_id.hex(), "valid": True})


def _share(args: argparse.Namespace) -> int:
    warrant = Warrant.from_bytes(_read(args.warrant))
    request = UnsealRequest.from_bytes(_read(args.request))
    directory = _directory(args.directory)
    store, _ = _store(args)
    now = _now(args)
    batch = answer_warrant(
        warrant, request, store=store, directory=directory, now=now, progress=_progress
    )
    log = _audit_log(args)
    if log is not None:
        log.record_batch(batch, store.key, store.did, now=now)
        _write(args.log, log.to_bytes())
    _write(args.out, batch.to_bytes())
    return _out({"custodian": batch.index, "shares": len(batch.shares)})


def _combine(args: argparse.Namespace) -> int:
    request = UnsealRequest.from_bytes(_read(args.request))
    directory = _directory(args.directory)
    batches = [ShareBatch.from_bytes(_read(p)) for p in args.batch]
    outcomes = unseal(
        request,
        batches,
        directory,
        processes=args.processes,
        progress=_progress,
        check_every_proof=args.check_every_proof,
    )
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = []
    for o in outcomes:
        bad = o.result.bad if o.result is not None else getattr(o.error, "bad", ())
        item: dict[str, Any] = {
            "envelope_id": o.envelope_id,
            "bad_custodians": sorted({b.custodian for b in bad}),
        }
        if o.result is not None:
            atomic_write(out_dir / f"{o.envelope_id}.bin", o.result.plaintext)
            item["opened"] = True
        else:
            item["opened"] = False
            item["error"] = o.error.code if o.error else "unknown"
        report.append(item)
    _out({"records": report})
    return 0 if all(r["opened"] for r in report) else 1


def _shred(args: argparse.Namespace) -> int:
    store, passphrase = _store(args)
    if args.before is None:
        gone = store.shred_expired(passphrase, now=_now(args), tz_offset=args.tz_offset)
    else:
        gone = store.shred(_epoch(args.before), passphrase)
    return _out({"shredded_epochs": list(gone), "remaining": list(store.epochs())})


def _log_verify(args: argparse.Namespace) -> int:
    log = AuditLog.from_bytes(_read(args.log))
    log.verify(_directory(args.directory).custodians)
    return _out({"entries": len(log.entries), "heads": len(log.heads), "valid": True})


def _log_head(args: argparse.Namespace) -> int:
    log = AuditLog.from_bytes(_read(args.log))
    store, _ = _store(args)
    head = log.sign_head(store.key, store.did, now=_now(args))
    _write(args.log, log.to_bytes())
    return _out({"size": head.size, "root": head.root.hex()})


# -- parser -----------------------------------------------------------------------------------
def _store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", required=True, help="the custodian's encrypted store file")
    p.add_argument(
        "--passphrase-file", help=f"first line is the passphrase (else ${PASSPHRASE_ENV})"
    )
    p.add_argument(
        "--unsafe-fast-kdf",
        action="store_true",
        help="minimum Argon2id limits for rewrites (tests only; weakens the store)",
    )


def _log_args(p: argparse.ArgumentParser, what: str) -> None:
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--log", help=f"audit log file to append {what} to")
    group.add_argument(
        "--unsafe-no-log",
        action="store_true",
        help="do not record this in the audit log (prints a warning)",
    )


def _now_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--now", type=int, help="Unix time to check against (default: the clock)")


def _group(sub: Any, name: str, help_text: str) -> Any:
    parser = sub.add_parser(name, help=help_text)
    parser.set_defaults(handler=None, help_parser=parser)
    return parser.add_subparsers(metavar="COMMAND", parser_class=type(parser))


def _cmd(sub: Any, name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    parser.set_defaults(handler=handler, help_parser=parser)
    return parser


def register(subparsers: Any) -> None:
    """Add ``escrow`` and its sub-commands to the ``anshim`` parser."""
    esc = _group(subparsers, "escrow", "threshold escrow: ceremonies, warrants, shares, logs")

    p = _cmd(esc, "keygen", _keygen, "create a custodian's encrypted store and identity key")
    _store_args(p)

    cer = _group(esc, "ceremony", "the offline key ceremony (init, deal, finalize, publish)")
    p = _cmd(cer, "init", _ceremony_init, "write a roster")
    p.add_argument("--custodian", action="append", required=True, help="custodian did:key")
    p.add_argument("--threshold", type=int, required=True)
    p.add_argument("--first-epoch", required=True, help="YYYY-MM-DD or a day number")
    p.add_argument("--epochs", type=int, default=35)
    p.add_argument("--tz-offset", type=int, default=0, help="seconds east of UTC (default 0)")
    p.add_argument("--out", required=True)
    p = _cmd(cer, "deal", _ceremony_deal, "step 1: this custodian's signed deal file")
    p.add_argument("--roster", required=True)
    p.add_argument("--out", required=True)
    _store_args(p)
    p = _cmd(cer, "finalize", _ceremony_finalize, "step 2: check deals, store shares, sign")
    p.add_argument("--roster", required=True)
    p.add_argument("--deal", action="append", required=True)
    p.add_argument("--exclude", type=int, action="append", default=[], help="dealer index")
    p.add_argument("--out", required=True)
    _store_args(p)
    p = _cmd(cer, "publish", _ceremony_publish, "step 3: the signed epoch-key directory")
    p.add_argument("--roster", required=True)
    p.add_argument("--sig", action="append", required=True)
    p.add_argument("--out", required=True)

    war = _group(esc, "warrant", "create, approve and verify warrants")
    p = _cmd(war, "create", _warrant_create, "write an unapproved warrant")
    p.add_argument("--case", required=True)
    p.add_argument("--purpose", required=True)
    p.add_argument("--investigator", required=True, help="the requesting investigator's DID")
    p.add_argument("--venue", action="append", default=[], help="DID,MAX_STAY,START,END")
    p.add_argument("--record", action="append", default=[], help="hex envelope id")
    p.add_argument("--credential", action="append", default=[], help="ID:FIRST-LAST")
    p.add_argument("--valid-for", type=int, default=7 * 86400, help="seconds (default 7 days)")
    p.add_argument("--out", required=True)
    _now_arg(p)
    p = _cmd(war, "approve", _warrant_approve, "add this custodian's approval")
    p.add_argument("--warrant", required=True)
    p.add_argument("--out", help="default: rewrite --warrant")
    _log_args(p, "the approval")
    _store_args(p)
    _now_arg(p)
    p = _cmd(war, "show", _warrant_show, "print a warrant's case, purpose, scope and expiry")
    p.add_argument("file", metavar="FILE")
    p = _cmd(war, "verify", _warrant_verify, "check approvals and expiry")
    p.add_argument("--warrant", required=True)
    p.add_argument("--directory", required=True)
    _now_arg(p)

    p = _cmd(esc, "share", _share, "answer a warrant's request with this custodian's shares")
    p.add_argument("--warrant", required=True)
    p.add_argument("--request", required=True)
    p.add_argument("--directory", required=True)
    p.add_argument("--out", required=True)
    _log_args(p, "the share batch")
    _store_args(p)
    _now_arg(p)

    p = _cmd(esc, "combine", _combine, "verify shares, combine and decrypt a request's records")
    p.add_argument("--request", required=True)
    p.add_argument("--directory", required=True)
    p.add_argument("--batch", action="append", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--processes", type=int, default=1)
    p.add_argument(
        "--check-every-proof",
        action="store_true",
        help="check every share's DLEQ proof, not only when a record fails to open",
    )

    p = _cmd(esc, "shred", _shred, "destroy this custodian's shares of older epochs")
    p.add_argument(
        "--before",
        help=f"YYYY-MM-DD or a day number (default: today minus {RETENTION_DAYS} days)",
    )
    p.add_argument("--tz-offset", type=int, default=0, help="the directory's zone (s east of UTC)")
    _store_args(p)
    _now_arg(p)

    lg = _group(esc, "log", "the audit log")
    p = _cmd(lg, "verify", _log_verify, "check every entry and tree head")
    p.add_argument("--log", required=True)
    p.add_argument("--directory", required=True)
    p = _cmd(lg, "head", _log_head, "sign a tree head over the log as it stands")
    p.add_argument("--log", required=True)
    _store_args(p)
    _now_arg(p)
