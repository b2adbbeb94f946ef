"""``anshim key …`` and ``anshim did …``: key files, DID creation and resolution.

Secrets never reach stdout, stderr or logs: commands print public DIDs, Multikeys and
documents only. Passphrases come from ``--passphrase-file``, the ``ANSHIM_PASSPHRASE``
environment variable, or an interactive prompt, in that order.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from did._didkey import REPRESENTATIONS, did_from_public_key, did_key_document
from did._didweb import did_web_document, did_web_to_url
from did._keyfile import (
    KDF_INTERACTIVE,
    KDF_MODERATE,
    KDF_SENSITIVE,
    KDF_TEST,
    KdfParams,
    atomic_write,
    load_private_key,
    read_public,
    save_plaintext_key_unsafe,
    save_private_key,
)
from did._keys import Ed25519PrivateKey, Ed25519PublicKey
from did._resolver import Resolver
from did._transport import Transport
from did.cli import CliError, add_passphrase_file, print_json, read_passphrase
from did.errors import KeyFileError

_DEFAULT_KEY_FILE = "anshim-key.json"

__all__ = ["register"]

_KDF_CHOICES: dict[str, KdfParams] = {
    "interactive": KDF_INTERACTIVE,
    "moderate": KDF_MODERATE,
    "sensitive": KDF_SENSITIVE,
    "unsafe-test": KDF_TEST,
}


def _load_key(args: argparse.Namespace) -> Ed25519PrivateKey:
    unsafe = bool(getattr(args, "unsafe_plaintext", False))
    with open(args.key, "rb") as fh:
        head = fh.read(1 << 20)
    try:
        plaintext = json.loads(head).get("unsafe-plaintext") is True
    except (ValueError, AttributeError):
        plaintext = False
    passphrase = None if plaintext else read_passphrase(args, confirm=False)
    return load_private_key(args.key, passphrase, unsafe_allow_plaintext=unsafe)


def _public_info(key: Ed25519PublicKey) -> dict[str, str]:
    return {
        "did": did_from_public_key(key),
        "publicKeyMultibase": key.to_multikey(),
        "keyAgreementMultibase": key.to_x25519().to_multikey(),
    }


def _cmd_key_generate(args: argparse.Namespace) -> int:
    if args.out is None:
        args.out = Path(_DEFAULT_KEY_FILE)
    if Path(args.out).exists():
        # Overwriting a key file destroys a private key; make the operator choose.
        raise CliError(f"{args.out} already exists; choose another --out or remove it first")
    key = Ed25519PrivateKey.generate()
    if args.unsafe_plaintext:
        save_plaintext_key_unsafe(args.out, key)
        print("warning: the key file is NOT encrypted (tests only)", file=sys.stderr)
    else:
        passphrase = read_passphrase(args, confirm=True)
        save_private_key(args.out, key, passphrase, kdf=_KDF_CHOICES[args.kdf])
    print_json({**_public_info(key.public_key), "file": str(args.out)})
    return 0


def _cmd_key_show(args: argparse.Namespace) -> int:
    with open(args.file, "rb") as fh:
        blob = fh.read(1 << 20)
    try:
        obj = json.loads(blob)
    except ValueError as exc:
        raise KeyFileError("not an anshim key file") from exc
    if isinstance(obj, dict) and obj.get("unsafe-plaintext") is True:
        public = obj.get("public")
        if not isinstance(public, dict):
            raise KeyFileError("plaintext key file has no public metadata")
        print_json({**public, "kind": obj.get("kind"), "encrypted": False})
        return 0
    public = read_public(blob)
    kdf = obj.get("kdf", {}) if isinstance(obj, dict) else {}
    print_json(
        {
            **public,
            "kind": obj.get("kind"),
            "encrypted": True,
            "kdf": {k: kdf.get(k) for k in ("alg", "opslimit", "memlimit")},
        }
    )
    return 0


def _cmd_did_create_key(args: argparse.Namespace) -> int:
    if args.key:
        public = _load_key(args).public_key
    elif args.public_key:
        public = Ed25519PublicKey.from_multikey(args.public_key)
    else:
        raise CliError("give --key FILE or --public-key MULTIKEY")
    did = did_from_public_key(public)
    doc = did_key_document(did, representation=args.representation)
    print_json({"did": did, "didDocument": doc.to_json()})
    return 0


def _cmd_did_create_web(args: argparse.Namespace) -> int:
    url = did_web_to_url(args.did)
    key = _load_key(args)
    agreement = None if args.no_key_agreement else key.to_x25519().public_key
    doc = did_web_document(args.did, signing_key=key.public_key, agreement_key=agreement)
    body = json.dumps(doc.to_json(), indent=2, ensure_ascii=False).encode() + b"\n"
    if args.out:
        atomic_write(args.out, body, mode=0o644)
        print(f"wrote {args.out}; publish it at {url}", file=sys.stderr)
    else:
        sys.stdout.write(body.decode())
        print(f"publish this document at {url}", file=sys.stderr)
    return 0


def _default_transport() -> Transport | None:
    try:
        from did._transport import HttpTransport

        return HttpTransport()
    except ImportError:  # httpx (the server extra) is not installed
        return None


def _cmd_did_resolve(args: argparse.Namespace) -> int:
    transport = _default_transport() if args.did.startswith("did:web:") else None
    resolver = Resolver(transport=transport)
    result = resolver.resolve(args.did, representation=args.representation)
    if result.error is not None:
        message = result.resolution_metadata.get("errorMessage", "")
        print(f"anshim: error: {message} [{result.error}]", file=sys.stderr)
        return 2
    print_json(result.to_json())
    return 1 if result.deactivated else 0


def _add_key_file(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--key", metavar="FILE", required=required, help="a private key file")
    parser.add_argument(
        "--unsafe-plaintext",
        action="store_true",
        help="accept an unencrypted key file (tests only)",
    )
    add_passphrase_file(parser)


def _group(sub: Any, name: str, help_text: str) -> tuple[argparse.ArgumentParser, Any]:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(handler=None, help_parser=parser)
    return parser, parser.add_subparsers(title="commands", metavar="COMMAND")


def register(subparsers: Any) -> None:
    """Add the ``key`` and ``did`` command groups to the ``anshim`` parser."""
    _, key_sub = _group(subparsers, "key", "Ed25519 key files (encrypted at rest)")

    gen = key_sub.add_parser(
        "generate",
        help="make a new Ed25519 key file and print its public DID",
        description="Generate an Ed25519 key, save it encrypted with a passphrase "
        "(Argon2id + XChaCha20-Poly1305), and print the public did:key and Multikey.",
    )
    gen.add_argument(
        "--out",
        metavar="FILE",
        type=Path,
        help=f"where to write the key file (default: ./{_DEFAULT_KEY_FILE}; never overwritten)",
    )
    gen.add_argument(
        "--unsafe-plaintext",
        action="store_true",
        help="write the key UNENCRYPTED (tests and demos only)",
    )
    gen.add_argument(
        "--kdf",
        choices=sorted(_KDF_CHOICES),
        default="moderate",
        help="Argon2id cost profile (default: moderate; unsafe-test is for tests only)",
    )
    add_passphrase_file(gen)
    gen.set_defaults(handler=_cmd_key_generate, help_parser=gen)

    show = key_sub.add_parser(
        "show",
        help="print the public information of a key file",
        description="Print a key file's public DID, Multikey and KDF parameters; no "
        "passphrase needed and no secret printed.",
    )
    show.add_argument("file", metavar="FILE", help="the key file")
    show.set_defaults(handler=_cmd_key_show, help_parser=show)

    _, did_sub = _group(subparsers, "did", "create and resolve DIDs (did:key, did:web)")
    _, create_sub = _group(did_sub, "create", "create a did:key or a did:web document")

    ck = create_sub.add_parser(
        "key",
        help="print the did:key and DID document of a key",
        description="Print the did:key of a key file (or of a public Multikey) and its "
        "DID document.",
    )
    _add_key_file(ck, required=False)
    ck.add_argument("--public-key", metavar="MULTIKEY", help="an Ed25519 Multikey (z6Mk…)")
    ck.add_argument(
        "--representation",
        choices=REPRESENTATIONS,
        default="multikey",
        help="DID document form (default: multikey)",
    )
    ck.set_defaults(handler=_cmd_did_create_key, help_parser=ck)

    cw = create_sub.add_parser(
        "web",
        help="write the did.json to host for a did:web",
        description="Build the did:web document for DID_WEB with the key file's Ed25519 "
        "key (and its X25519 counterpart for keyAgreement), and print where to host it.",
    )
    cw.add_argument("did", metavar="DID_WEB", help="the did:web DID, e.g. did:web:example.com")
    _add_key_file(cw, required=True)
    cw.add_argument("--out", metavar="FILE", help="write the document here (else stdout)")
    cw.add_argument(
        "--no-key-agreement", action="store_true", help="omit the X25519 keyAgreement method"
    )
    cw.set_defaults(handler=_cmd_did_create_web, help_parser=cw)

    res = did_sub.add_parser(
        "resolve",
        help="resolve a DID and print the DID Resolution result",
        description="Resolve a did:key (offline) or did:web (HTTPS) and print the W3C DID "
        "Resolution result. Exit 0 if found, 1 if deactivated, 2 on an error.",
    )
    res.add_argument("did", metavar="DID", help="the DID to resolve")
    res.add_argument(
        "--representation",
        choices=REPRESENTATIONS,
        default=None,
        help="did:key document form (default: multikey)",
    )
    res.set_defaults(handler=_cmd_did_resolve, help_parser=res)
