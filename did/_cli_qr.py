"""``anshim qr …``: turn bytes into scannable ``PREFIX:BASE45`` QR codes and back.

``anshim qr encode --prefix AV --hex A1…`` prints the QR text and can write SVG/PNG files
or draw the code in the terminal; ``anshim qr decode TEXT --prefix AV`` prints the payload
as hex, and also as JSON when it is deterministic CBOR. Bad input exits with status 2 and
one line on stderr (see :mod:`did.cli`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from did import cbor, qr
from did.cli import CliError
from did.errors import DecodeError, EncodingError

__all__ = ["register"]

# A version-40 QR code holds at most 4296 alphanumeric characters, i.e. 2863 bytes of
# base45 after a short prefix; nothing larger can be scanned.
MAX_QR_BYTES = 2863
_MAX_TEXT = 4296


def _read_input_bytes(args: argparse.Namespace) -> bytes:
    if args.hex is not None:
        try:
            data = bytes.fromhex(args.hex)
        except ValueError as exc:
            raise CliError("--hex is not valid hexadecimal") from exc
    else:
        with open(args.file, "rb") as handle:
            data = handle.read(MAX_QR_BYTES + 1)
    if len(data) > MAX_QR_BYTES:
        raise CliError(f"input exceeds {MAX_QR_BYTES} bytes, the most a QR code holds")
    return data


def _cmd_encode(args: argparse.Namespace) -> int:
    text = qr.encode_qr_text(args.prefix, _read_input_bytes(args))
    if args.svg:
        qr.write_svg(text, args.svg)
    if args.png:
        qr.write_png(text, args.png)
    print(text)
    if args.terminal:
        sys.stdout.write(qr.render_terminal(text))
    return 0


def _jsonable(value: Any) -> Any:
    """CBOR values as JSON: bytes as ``{"hex": …}``, tags as ``{"tag": n, "value": …}``."""
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, cbor.Tag):
        return {"tag": value.number, "value": _jsonable(value.value)}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _read_text(source: str) -> str:
    if source != "-":
        return source
    text = sys.stdin.read(_MAX_TEXT + 3)
    # Scanners and shells end the line; the base45 space is kept, line breaks are not.
    return text.removesuffix("\n").removesuffix("\r")


def _cmd_decode(args: argparse.Namespace) -> int:
    text = _read_text(args.text)
    prefix, data = qr.decode_qr_text(text, prefixes=args.prefix, max_bytes=args.max_bytes)
    result: dict[str, Any] = {"prefix": prefix, "bytes": len(data), "hex": data.hex()}
    try:
        value = cbor.decode(data, allowed_tags=frozenset({18}))
    except DecodeError:
        pass  # Not deterministic CBOR: the hex is the whole answer.
    else:
        result["cbor"] = _jsonable(value)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def _prefix(value: str) -> str:
    # Validate early so argparse reports a bad prefix as a usage error (exit 2).
    try:
        return qr.check_prefix(value)
    except EncodingError:
        raise argparse.ArgumentTypeError("prefix must be 2-8 characters A-Z or 0-9") from None


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be an integer") from None
    if not 0 < number <= MAX_QR_BYTES:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_QR_BYTES}")
    return number


def register(subparsers: Any) -> None:
    """Add the ``qr`` command group (``encode``, ``decode``) to the ``anshim`` parser."""
    group = subparsers.add_parser(
        "qr",
        help="encode bytes as PREFIX:BASE45 QR codes and decode them",
        description="QR text codec: an uppercase prefix, a colon and base45 (RFC 9285), "
        "so the QR code uses alphanumeric mode.",
    )
    group.set_defaults(handler=None, help_parser=group)
    sub = group.add_subparsers(title="commands", metavar="COMMAND")

    enc = sub.add_parser(
        "encode",
        help="print the QR text for some bytes; optionally draw or save the QR code",
        description="Encode bytes as PREFIX:BASE45 text, print it, and optionally write "
        "SVG/PNG files or draw the code in the terminal.",
    )
    enc.add_argument("--prefix", required=True, type=_prefix, help="2-8 characters A-Z/0-9")
    source = enc.add_mutually_exclusive_group(required=True)
    source.add_argument("--hex", metavar="HEX", help="the bytes, in hexadecimal")
    source.add_argument("--file", metavar="FILE", help="read the bytes from a file")
    enc.add_argument("--svg", metavar="OUT", help="write the QR code as SVG")
    enc.add_argument("--png", metavar="OUT", help="write the QR code as PNG")
    enc.add_argument("--terminal", action="store_true", help="draw the QR code here")
    enc.set_defaults(handler=_cmd_encode, help_parser=enc)

    dec = sub.add_parser(
        "decode",
        help="decode PREFIX:BASE45 text; print hex, and CBOR as JSON",
        description="Decode scanned QR text strictly. Prints a JSON object with the prefix "
        "and the payload in hex, plus the payload as JSON if it is deterministic CBOR.",
    )
    dec.add_argument("text", metavar="TEXT_OR_-", help="the QR text, or - to read stdin")
    dec.add_argument("--prefix", required=True, nargs="+", type=_prefix, help="accepted prefix(es)")
    dec.add_argument(
        "--max-bytes",
        type=_positive,
        default=MAX_QR_BYTES,
        help=f"refuse payloads above this size (default {MAX_QR_BYTES})",
    )
    dec.set_defaults(handler=_cmd_decode, help_parser=dec)
