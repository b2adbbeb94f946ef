"""``anshim case …``: the investigator's commands, a thin layer over :class:`~investigator.Case`.

Each command names the case folder with ``--case DIR``; the case passphrase (which seals
unsealed identities in the folder) comes from ``--passphrase-file``, ``$ANSHIM_PASSPHRASE``
or a prompt. Commands that ask the registry use ``--registry-token-file`` (or
``$ANSHIM_REGISTRY_TOKEN``) or the investigator's key file and InvestigatorCredential
(``--investigator-key`` and ``--credential``), presented to the registry as DESIGN.md
"Access control" says. ``notify`` publishes, corrects and withdraws exposure notices as
the registry's administrator: ``--admin-key`` (its passphrase from
``--admin-passphrase-file``) or ``--admin-token-file``. Long steps show a tqdm progress
bar on stderr. ``status`` says
where the case stands and prints the next command.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from did import KDF_MODERATE, KDF_TEST, load_private_key
from did.cli import (
    PASSPHRASE_ENV,
    CliError,
    add_passphrase_file,
    print_json,
    read_input_file,
    read_passphrase,
    warn,
)
from investigator._case import Case
from investigator._folder import CaseFolder, CaseRecord
from investigator._layout import LAYOUTS
from investigator._outputs import correct_notice, publish_notice, withdraw_notice, write_outputs
from investigator._registry import HttpRegistryClient
from investigator._status import case_status

__all__ = ["register"]

TOKEN_ENV = "ANSHIM_REGISTRY_TOKEN"  # noqa: S105 (the variable's name, not a secret)


def _progress(items: Iterable[Any], desc: str) -> Iterable[Any]:
    from tqdm import tqdm  # imported here: ``import investigator`` never loads tqdm

    return tqdm(items, desc=desc, file=sys.stderr, disable=None, leave=False)


def _now(args: argparse.Namespace) -> int:
    return int(time.time()) if args.now is None else int(args.now)


def _who(args: argparse.Namespace) -> str:
    return str(args.who or os.environ.get("USER") or "investigator")


def _clock(args: argparse.Namespace) -> Callable[[], float]:
    # A presentation's creation time follows --now, as every other step's time does.
    return time.time if args.now is None else lambda: float(args.now)


def _registry(args: argparse.Namespace, url: str) -> HttpRegistryClient | None:
    if not url:
        return None
    clock = _clock(args)
    token_file = getattr(args, "registry_token_file", None)
    if token_file:
        token = read_input_file(token_file, limit=8192).decode().strip()
        return HttpRegistryClient(url, token=token, clock=clock)
    if os.environ.get(TOKEN_ENV):
        return HttpRegistryClient(url, token=os.environ[TOKEN_ENV], clock=clock)
    key_file = getattr(args, "investigator_key", None)
    if key_file and args.credential:
        key = load_private_key(
            key_file, read_passphrase(args, prompt="Investigator key passphrase: ")
        )
        credential = json.loads(read_input_file(args.credential))
        return HttpRegistryClient(url, key=key, did=None, credential=credential, clock=clock)
    return HttpRegistryClient(url, clock=clock)


def _load(args: argparse.Namespace, *, unlock: bool = True) -> Case:
    passphrase = read_passphrase(args, prompt="Case passphrase: ") if unlock else None
    url = getattr(args, "registry", None) or CaseFolder.load(args.case).record.registry
    return Case.load(
        args.case, passphrase, who=_who(args), registry=_registry(args, url), progress=_progress
    )


def _window(text: str) -> tuple[int, int]:
    start, _, end = text.partition(",")
    if not start.isdigit() or not end.isdigit():
        raise CliError("--window must be START,END (Unix seconds)")
    return int(start), int(end)


# -- handlers ---------------------------------------------------------------------------------
def _open(args: argparse.Namespace) -> int:
    start, end = _window(args.window)
    now = _now(args)
    record = CaseRecord(
        case_id=args.case_id,
        investigator=args.investigator,
        authority=args.authority,
        window_start=start,
        window_end=end,
        onset=args.onset if args.onset is not None else start,
        registry=args.registry or "",
        created=now,
        min_overlap=args.min_overlap,
        extra_margin=args.extra_margin,
        hop_limit=args.hop_limit,
        trusted_issuers=tuple(args.issuer),
    )
    kdf = KDF_MODERATE
    if args.unsafe_fast_kdf:
        warn("--unsafe-fast-kdf: the case key is sealed with the minimum Argon2id limits")
        kdf = KDF_TEST
    case = Case.create(
        args.case,
        record,
        read_passphrase(args, confirm=True, prompt="New case passphrase: "),
        directory=read_input_file(args.directory),
        custodians=args.custodian,
        now=now,
        who=_who(args),
        kdf=kdf,
    )
    print_json(case_status(case).to_json())
    return 0


def _status(args: argparse.Namespace) -> int:
    print_json(case_status(_load(args, unlock=False)).to_json())
    return 0


def _visits(args: argparse.Namespace) -> int:
    case, now = _load(args), _now(args)
    if args.disclosure:
        stays = case.visits_from_disclosure(read_input_file(args.disclosure), now=now)
        print_json({"stays": [s.to_json() for s in stays]})
    elif args.interview:
        raw = json.loads(read_input_file(args.interview))
        if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
            raise CliError("--interview must be a JSON list of {venue, start, end}")
        stays = case.visits_from_interview(
            [(s["venue"], s["start"], s["end"]) for s in raw], now=now
        )
        print_json({"stays": [s.to_json() for s in stays]})
    else:
        warrant = case.lost_phone(args.lost_phone, now=now)
        print_json({"warrant": "r1-seeds", "warrant_id": warrant.warrant_id.hex()})
    return 0


def _contacts(args: argparse.Namespace) -> int:
    case = _load(args)
    found = case.find_contacts(args.round, now=_now(args))
    print_json({"round": args.round, "contacts": len(found)})
    return 0


def _warrant_draft(args: argparse.Namespace) -> int:
    case = _load(args)
    warrant = case.draft_identities(args.round, now=_now(args))
    path = case.folder.file(f"warrants/r{args.round}-identities/draft.warrant")
    print_json({"warrant_id": warrant.warrant_id.hex(), "file": str(path)})
    return 0


def _warrant_approve(args: argparse.Namespace) -> int:
    case = _load(args)
    warrant = case.approve(args.warrant, [read_input_file(f) for f in args.file], now=_now(args))
    print_json({"warrant_id": warrant.warrant_id.hex(), "approvals": len(warrant.approvals)})
    return 0


def _collect(args: argparse.Namespace) -> int:
    case = _load(args)
    for path in args.batch:
        case.collect(args.warrant, read_input_file(path, limit=256 << 20), now=_now(args))
    print_json(case_status(case).to_json())
    return 0


def _unseal(args: argparse.Namespace) -> int:
    case = _load(args)
    opened = case.unseal(args.warrant, now=_now(args), processes=args.processes)
    print_json({"warrant": args.warrant, "opened": opened})
    return 0


def _hop(args: argparse.Namespace) -> int:
    case = _load(args)
    warrant = case.next_hop(people=args.person or None, now=_now(args))
    print_json({"round": case.rounds(), "warrant_id": warrant.warrant_id.hex()})
    return 0


def _report(args: argparse.Namespace) -> int:
    case = _load(args)
    written = write_outputs(
        case, Path(args.out), now=_now(args), by=args.layout, png=not args.no_png
    )
    print_json({k: str(v) for k, v in sorted(written.items())})
    return 0


def _admin(args: argparse.Namespace, url: str) -> HttpRegistryClient:
    # DESIGN.md "Access control": the registry's administrator publishes notices, proved by
    # the administrator's key (or a token it was given for it); never the case's token.
    if not url:
        raise CliError("notices go through the registry: give --registry")
    if args.admin_token_file:
        token = read_input_file(args.admin_token_file, limit=8192).decode().strip()
        return HttpRegistryClient(url, token=token, clock=_clock(args))
    if args.admin_key:
        passphrase = read_passphrase(
            argparse.Namespace(passphrase_file=args.admin_passphrase_file),
            prompt="Administrator key passphrase: ",
        )
        key = load_private_key(args.admin_key, passphrase)
        return HttpRegistryClient(url, key=key, clock=_clock(args))
    raise CliError("notices are the administrator's: give --admin-key or --admin-token-file")


def _message(args: argparse.Namespace) -> dict[str, str]:
    # --message is both languages' text; --message-ko and --message-en replace it for one.
    ko = args.message_ko if args.message_ko is not None else args.message
    en = args.message_en if args.message_en is not None else args.message
    if not ko or not en:
        raise CliError("give --message, or --message-ko and --message-en (1 to 100 chars each)")
    return {"ko": ko, "en": en}


def _notify(args: argparse.Namespace) -> int:
    # Notices hold no personal data: the case stays locked and needs no investigator token.
    case, now = Case.load(args.case, who=_who(args)), _now(args)
    admin = _admin(args, getattr(args, "registry", None) or case.record.registry)
    with admin:
        if args.withdraw:
            notice = withdraw_notice(
                case, args.withdraw, reason=args.reason or "withdrawn", now=now, admin=admin
            )
        else:
            if args.window is None:
                raise CliError("--window START,END is needed to publish or correct a notice")
            start, end = _window(args.window)
            message = _message(args)
            if args.correct:
                notice = correct_notice(
                    case, args.correct, start, end, risk=args.risk, message=message,
                    now=now, admin=admin,
                )  # fmt: skip
            else:
                if not args.venue:
                    raise CliError("--venue is needed to publish a notice")
                notice = publish_notice(
                    case, args.venue, start, end, risk=args.risk, message=message,
                    now=now, admin=admin,
                )  # fmt: skip
    print_json(notice.to_json())
    return 0


# -- parser -----------------------------------------------------------------------------------
def _common(p: argparse.ArgumentParser, *, registry: bool = False) -> None:
    p.add_argument("--case", required=True, help="the case folder")
    p.add_argument("--who", help="the investigator's name for the case log (default: $USER)")
    p.add_argument("--now", type=int, help="Unix time (default: the clock)")
    add_passphrase_file(p)
    if registry:
        p.add_argument("--registry", help="the registry's URL (default: the case record's)")
        p.add_argument("--registry-token-file", help=f"a registry token (else ${TOKEN_ENV})")
        p.add_argument("--investigator-key", help="the investigator's key file")
        p.add_argument("--credential", help="the InvestigatorCredential (JSON)")


def _cmd(
    sub: Any, name: str, handler: Any, help_text: str, *, registry: bool = False
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    parser.set_defaults(handler=handler, help_parser=parser)
    _common(parser, registry=registry)
    return parser


def register(subparsers: Any) -> None:
    """Add ``case`` and its sub-commands to the ``anshim`` parser."""
    parser = subparsers.add_parser(
        "case", help="investigations: cases, contacts, warrants, reports"
    )
    parser.set_defaults(handler=None, help_parser=parser)
    sub = parser.add_subparsers(metavar="COMMAND", parser_class=type(parser))

    p = _cmd(sub, "open", _open, "open a new case folder")
    p.add_argument("--case-id", required=True)
    p.add_argument("--investigator", required=True, help="the investigator's DID")
    p.add_argument("--authority", required=True, help="the DID diary disclosures address")
    p.add_argument("--window", required=True, help="START,END of the infectious window")
    p.add_argument("--onset", type=int)
    p.add_argument("--registry", help="the registry's URL")
    p.add_argument("--directory", required=True, help="the epoch-key directory file")
    p.add_argument("--custodian", action="append", required=True, help="pinned custodian DID")
    p.add_argument("--issuer", action="append", default=[], help="trusted identity issuer DID")
    p.add_argument("--min-overlap", type=int, default=600, help="seconds (default 600)")
    p.add_argument("--extra-margin", type=int, default=0, help="seconds beyond the class margin")
    p.add_argument("--hop-limit", type=int, default=2)
    p.add_argument("--unsafe-fast-kdf", action="store_true", help="tests only; prints a warning")

    _cmd(sub, "status", _status, "where the case stands and the next step")

    p = _cmd(sub, "visits", _visits, "the case's own visits", registry=True)
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--disclosure", help="the wallet's diary disclosure (CBOR)")
    how.add_argument("--interview", help="JSON list of {venue, start, end}")
    how.add_argument("--lost-phone", metavar="CREDENTIAL_ID", help="draft the trace-seed warrant")

    p = _cmd(sub, "contacts", _contacts, "query the registry for a round's contacts", registry=True)
    p.add_argument("--round", type=int, default=1)

    war = sub.add_parser("warrant", help="draft a warrant; import custodians' approvals")
    war.set_defaults(handler=None, help_parser=war)
    wsub = war.add_subparsers(metavar="COMMAND", parser_class=type(parser))
    p = _cmd(wsub, "draft", _warrant_draft, "draft the warrant for a round's contacts")
    p.add_argument("--round", type=int, default=1)
    p = _cmd(wsub, "approve", _warrant_approve, "merge approved copies; check the quorum")
    p.add_argument("--warrant", required=True, help="the stage, e.g. r1-identities")
    p.add_argument("--file", action="append", required=True, help="an approved warrant file")

    p = _cmd(sub, "collect", _collect, "keep custodians' share batches")
    p.add_argument("--warrant", required=True)
    p.add_argument("--batch", action="append", required=True)

    p = _cmd(sub, "unseal", _unseal, "combine the shares and open the records", registry=True)
    p.add_argument("--warrant", required=True)
    p.add_argument("--processes", type=int, help="worker processes (default: every core)")

    p = _cmd(sub, "hop", _hop, "draft the next hop's trace-seed warrant", registry=True)
    p.add_argument("--person", action="append", default=[], help="phone or credential id")

    p = _cmd(sub, "report", _report, "write graph, report, PNG and call list", registry=True)
    p.add_argument("--out", required=True, help="the folder to write the exports to")
    p.add_argument("--layout", choices=LAYOUTS, default="hop")
    p.add_argument("--no-png", action="store_true")

    p = _cmd(
        sub, "notify", _notify, "publish, correct or withdraw an exposure notice", registry=True
    )
    admin = p.add_mutually_exclusive_group()
    admin.add_argument("--admin-key", help="the registry administrator's key file")
    admin.add_argument("--admin-token-file", help="a registry token of the administrator")
    p.add_argument(
        "--admin-passphrase-file",
        help=f"the administrator key's passphrase (else ${PASSPHRASE_ENV}, else a prompt)",
    )
    p.add_argument("--venue")
    p.add_argument("--window", help="START,END of the notice (Unix seconds)")
    p.add_argument("--risk", type=int, default=2, choices=(1, 2, 3))
    p.add_argument(
        "--message", default="", help="the message phones show, in both languages (1 to 100 chars)"
    )
    p.add_argument("--message-ko", help="the Korean message (instead of --message's)")
    p.add_argument("--message-en", help="the English message (instead of --message's)")
    p.add_argument("--withdraw", metavar="NOTICE_ID")
    p.add_argument("--correct", metavar="NOTICE_ID")
    p.add_argument("--reason")
