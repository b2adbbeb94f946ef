"""``anshim vc …``, ``anshim vp …`` and ``anshim status …``.

Handlers only parse arguments, call the library and print JSON. Exit status: 0 valid /
done, 1 a credential, presentation or status that is invalid, 2 unusable input (bad JSON,
a malformed credential, a key file that cannot be read, a network failure). Passphrases come
from ``--passphrase-file`` or ``$ANSHIM_PASSPHRASE``; secrets are never printed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from did import (
    Ed25519PrivateKey,
    InMemoryTransport,
    Resolver,
    Transport,
    atomic_write,
    did_from_public_key,
    load_private_key,
    verification_method_id,
)
from did.cli import PASSPHRASE_ENV, CliError, print_json, read_passphrase
from did.errors import AnshimError, InputError, VerificationError
from did.vc._credential import MAX_CREDENTIAL_BYTES, Credential, load_json
from did.vc._data_integrity import add_proof
from did.vc._policy import TrustedIssuers, TrustPolicy
from did.vc._presentation import create_presentation
from did.vc._status_list import PURPOSES, STATUS_LIST_MIN_ENTRIES, StatusList, StatusListChecker
from did.vc._suites import ProofOptions, format_datetime, parse_datetime
from did.vc._verify import verify_credential, verify_presentation
from did.vc.errors import CredentialError, RevokedCredential, SuspendedCredential

__all__ = ["register"]

_FORMATS = {
    "jcs": "eddsa-jcs-2022",
    "rdfc": "eddsa-rdfc-2022",
    "ed25519-2020": "Ed25519Signature2020",
    "ed25519-2018": "Ed25519Signature2018",
}


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(MAX_CREDENTIAL_BYTES + 1)
    if len(data) > MAX_CREDENTIAL_BYTES:
        raise CredentialError(f"{path} is too large")
    return data


def _key(args: argparse.Namespace) -> Ed25519PrivateKey:
    return load_private_key(args.key, read_passphrase(args))


def _created(args: argparse.Namespace) -> str | None:
    """The proof's ``created`` from ``--now`` (``None``: the clock at signing time)."""
    return format_datetime(_now(args)) if args.now else None


def _now(args: argparse.Namespace) -> _dt.datetime:
    if args.now:
        return parse_datetime(args.now, "--now")
    return _dt.datetime.now(_dt.UTC)


def _status_transport(args: argparse.Namespace) -> Transport:
    transport = InMemoryTransport()
    for item in args.status_list or ():
        url, sep, path = item.partition("=")
        if not sep or not url or not path:
            raise CliError("--status-list takes URL=FILE")
        transport.put(url, _read(path))
    return transport


def _policy(args: argparse.Namespace) -> TrustPolicy | None:
    if not args.trust:
        return None
    rules: dict[str, list[str]] = {}
    for item in args.trust:
        issuer, sep, types = item.partition("=")
        if not sep:
            raise CliError("--trust takes ISSUER=TYPE[,TYPE…]")
        rules.setdefault(issuer, []).extend(t for t in types.split(",") if t)
    return TrustedIssuers(rules)


def _verdict(run: Callable[[], dict[str, Any]]) -> int:
    """Print the JSON verdict; 0 valid, 1 invalid, 2 unusable input."""
    try:
        print_json(run())
        return 0
    except VerificationError as exc:
        print_json({"verified": False, "error": exc.code, "message": exc.message})
        return 1
    except AnshimError as exc:
        print_json({"verified": False, "error": exc.code, "message": exc.message})
        return 2


def _cmd_vc_issue(args: argparse.Namespace) -> int:
    credential = load_json(_read(args.credential))
    key = _key(args)
    did = did_from_public_key(key.public_key)
    method = args.verification_method or verification_method_id(did)
    credential.setdefault("issuer", did)
    if args.format == "jwt":
        jwt = importlib.import_module("did.vc._jwt")
        print(jwt.issue_jwt_vc(credential, key, kid=method))
        return 0
    options = ProofOptions(verification_method=method, created=_created(args))
    secured = add_proof(credential, key, options, suite=_FORMATS[args.format])
    print_json(secured)
    return 0


def _cmd_vc_verify(args: argparse.Namespace) -> int:
    def run() -> dict[str, Any]:
        data = _read(args.file)
        checker = StatusListChecker(_status_transport(args), resolver=Resolver())
        result = verify_credential(
            data,
            resolver=Resolver(),
            now=_now(args),
            policy=_policy(args),
            status=checker,
            unsafe_skip_status=args.unsafe_skip_status,
        )
        return result.to_json()

    return _verdict(run)


def _cmd_vp_create(args: argparse.Namespace) -> int:
    key = _key(args)
    credentials: list[dict[str, Any] | str] = []
    for path in args.credentials:
        raw = _read(path).decode("utf-8", "replace").strip()
        credentials.append(raw if not raw.startswith("{") else load_json(raw))
    vp = create_presentation(
        credentials,
        holder_key=key,
        challenge=args.challenge,
        domain=args.domain,
        created=_created(args),
        suite=_FORMATS[args.format],
    )
    print_json(vp)
    return 0


def _cmd_vp_verify(args: argparse.Namespace) -> int:
    def run() -> dict[str, Any]:
        result = verify_presentation(
            _read(args.file),
            challenge=args.challenge,
            domain=args.domain,
            resolver=Resolver(),
            now=_now(args),
            policy=_policy(args),
            status=StatusListChecker(_status_transport(args), resolver=Resolver()),
            unsafe_skip_status=args.unsafe_skip_status,
        )
        return result.to_json()

    return _verdict(run)


def _write_list(path: str, document: dict[str, Any]) -> None:
    atomic_write(Path(path), json.dumps(document, indent=2).encode("utf-8"), mode=0o644)


def _cmd_status_create(args: argparse.Namespace) -> int:
    key = _key(args)
    did = did_from_public_key(key.public_key)
    status_list = StatusList(args.size, purpose=args.purpose)
    unsigned = status_list.to_credential(issuer=did, list_url=args.url)
    signed = add_proof(unsigned, key, ProofOptions(verification_method=verification_method_id(did)))
    _write_list(args.out, signed)
    print_json(
        {"url": args.url, "purpose": args.purpose, "size": status_list.size, "file": args.out}
    )
    return 0


def _cmd_status_revoke(args: argparse.Namespace) -> int:
    key = _key(args)
    did = did_from_public_key(key.public_key)
    current = Credential.from_json(_read(args.list))
    if current.issuer != did:
        raise InputError("this status list was issued with another key")
    subject = current.subjects[0]
    status_list = StatusList.decode(
        subject.get("encodedList"), purpose=str(subject.get("statusPurpose"))
    )
    status_list.set(args.index, not args.clear)
    unsigned = status_list.to_credential(
        issuer=did, list_url=current.id or subject["id"].split("#")[0]
    )
    signed = add_proof(unsigned, key, ProofOptions(verification_method=verification_method_id(did)))
    _write_list(args.list, signed)
    print_json({"index": args.index, "purpose": status_list.purpose, "set": not args.clear})
    return 0


def _cmd_status_check(args: argparse.Namespace) -> int:
    try:
        credential = Credential.from_json(_read(args.credential))
        StatusListChecker(_status_transport(args), resolver=Resolver()).check(
            credential, now=_now(args)
        )
    except (RevokedCredential, SuspendedCredential) as exc:
        print_json({"status": exc.code})
        return 1
    except VerificationError as exc:
        print_json({"status": "unknown", "error": exc.code, "message": exc.message})
        return 1
    except AnshimError as exc:
        print_json({"status": "unknown", "error": exc.code, "message": exc.message})
        return 2
    print_json({"status": "valid", "entries": len(credential.status)})
    return 0


def _key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key", required=True, help="encrypted key file (anshim key generate)")
    parser.add_argument(
        "--passphrase-file", help=f"file whose first line is the passphrase (or ${PASSPHRASE_ENV})"
    )


def _verify_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--now", help="check validity at this XML dateTime (default: now)")
    parser.add_argument(
        "--trust",
        action="append",
        metavar="ISSUER=TYPE[,TYPE]",
        help="trusted issuer and its credential types (repeatable)",
    )
    parser.add_argument(
        "--status-list",
        action="append",
        metavar="URL=FILE",
        help="a status list credential available offline (repeatable)",
    )
    parser.add_argument(
        "--unsafe-skip-status", action="store_true", help="do not check credentialStatus (unsafe)"
    )


def register(subparsers: Any) -> None:
    """Add the ``vc``, ``vp`` and ``status`` command groups to the ``anshim`` parser."""
    vc = subparsers.add_parser("vc", help="issue and verify verifiable credentials")
    vc.set_defaults(handler=None, help_parser=vc)
    vc_sub = vc.add_subparsers(metavar="COMMAND")
    issue = vc_sub.add_parser("issue", help="sign a credential (JSON) with a key file")
    _key_options(issue)
    issue.add_argument("--format", choices=[*_FORMATS, "jwt"], default="jcs")
    issue.add_argument("--verification-method", help="DID URL of the key (default: its did:key)")
    issue.add_argument("--now", help="sign as of this XML dateTime (default: the clock)")
    issue.add_argument("credential", help="the unsigned credential (JSON file)")
    issue.set_defaults(handler=_cmd_vc_issue, help_parser=issue)
    verify = vc_sub.add_parser("verify", help="verify a credential (JSON or VC-JWT); JSON verdict")
    verify.add_argument("file")
    _verify_options(verify)
    verify.set_defaults(handler=_cmd_vc_verify, help_parser=verify)

    vp = subparsers.add_parser("vp", help="create and verify verifiable presentations")
    vp.set_defaults(handler=None, help_parser=vp)
    vp_sub = vp.add_subparsers(metavar="COMMAND")
    create = vp_sub.add_parser("create", help="present credentials, signed by the holder key")
    _key_options(create)
    create.add_argument("--challenge", required=True, help="the verifier's challenge")
    create.add_argument("--domain", help="the verifier's domain")
    create.add_argument("--format", choices=list(_FORMATS), default="jcs")
    create.add_argument("--now", help="sign as of this XML dateTime (default: the clock)")
    create.add_argument("credentials", nargs="*", help="credential files (JSON or VC-JWT)")
    create.set_defaults(handler=_cmd_vp_create, help_parser=create)
    vpv = vp_sub.add_parser("verify", help="verify a presentation and every credential in it")
    vpv.add_argument("file")
    vpv.add_argument("--challenge", required=True)
    vpv.add_argument("--domain")
    _verify_options(vpv)
    vpv.set_defaults(handler=_cmd_vp_verify, help_parser=vpv)

    status = subparsers.add_parser("status", help="Bitstring Status Lists")
    status.set_defaults(handler=None, help_parser=status)
    st_sub = status.add_subparsers(metavar="COMMAND")
    st_create = st_sub.add_parser("create", help="create and sign an empty status list")
    _key_options(st_create)
    st_create.add_argument("--url", required=True, help="where the list will be published")
    st_create.add_argument("--purpose", choices=PURPOSES, default="revocation")
    st_create.add_argument("--size", type=int, default=STATUS_LIST_MIN_ENTRIES)
    st_create.add_argument("--out", required=True)
    st_create.set_defaults(handler=_cmd_status_create, help_parser=st_create)
    revoke = st_sub.add_parser("revoke", help="set (or --clear) a bit and re-sign the list")
    _key_options(revoke)
    revoke.add_argument("--list", required=True, help="the status list credential file")
    revoke.add_argument("--index", required=True, type=int)
    revoke.add_argument("--clear", action="store_true", help="lift a suspension")
    revoke.set_defaults(handler=_cmd_status_revoke, help_parser=revoke)
    check = st_sub.add_parser("check", help="check a credential's status entries")
    check.add_argument("credential")
    check.add_argument("--now")
    check.add_argument("--status-list", action="append", metavar="URL=FILE", required=True)
    check.set_defaults(handler=_cmd_status_check, help_parser=check)
