"""The ``anshim`` command, and the helpers every sub-command uses.

Sub-commands come from the ``anshim.cli`` entry-point group: each role package registers a
``register(subparsers)`` function in ``pyproject.toml``, so this module never imports a role
package by name. Every handler is ``handler(args) -> int``.

Exit codes: 0 success, 1 a negative answer (for example "invalid credential"), 2 unusable
input — always one readable line on stderr, never a traceback.

Role packages' CLIs build on :class:`CliError`, :func:`read_passphrase`,
:func:`add_passphrase_file`, :func:`read_input_file`, :func:`print_json` and :func:`warn`,
so a passphrase is read, and an error printed, the same way by every command.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

from did.errors import AnshimError, CliError

__all__ = [
    "MAX_INPUT_FILE",
    "MAX_PASSPHRASE_FILE",
    "PASSPHRASE_ENV",
    "CliError",
    "add_passphrase_file",
    "build_parser",
    "main",
    "print_json",
    "read_input_file",
    "read_passphrase",
    "warn",
]

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse's default prints the whole usage; one line is friendlier and scriptable.
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every installed role package's commands."""
    parser = _Parser(
        prog="anshim",
        description="anshim — privacy-preserving visitor check-in on DIDs and verifiable "
        "credentials.",
    )
    parser.set_defaults(handler=None)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for ep in sorted(entry_points(group="anshim.cli"), key=lambda e: e.name):
        try:
            register = ep.load()
        except ImportError as exc:
            # A package whose optional dependencies are missing must not break the other
            # commands: its command exists and says why it cannot run.
            _register_unavailable(sub, ep.name, exc)
            continue
        register(sub)
    return parser


def _register_unavailable(sub: Any, name: str, exc: ImportError) -> None:
    reason = f"the '{name}' commands are unavailable: {exc} (reinstall anshim with its extras)"
    parser = sub.add_parser(name, help=f"(unavailable: {exc.name or exc})", add_help=False)
    parser.add_argument("rest", nargs=argparse.REMAINDER)

    def unavailable(_args: argparse.Namespace) -> int:
        raise CliError(reason)

    parser.set_defaults(handler=unavailable)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        # A command group without a sub-command: show its help.
        help_parser: argparse.ArgumentParser = getattr(args, "help_parser", parser)
        help_parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except AnshimError as exc:
        print(f"anshim: error: {exc.message} [{exc.code}]", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"anshim: error: {exc.strerror or exc} ({exc.filename or ''})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("anshim: interrupted", file=sys.stderr)
        return 130


# -- helpers every sub-command uses -----------------------------------------------------------

#: The environment variable a passphrase may come from when no ``--passphrase-file`` is given.
PASSPHRASE_ENV = "ANSHIM_PASSPHRASE"  # noqa: S105 (the variable's name, not a secret)
MAX_PASSPHRASE_FILE = 4096
#: Files a command reads (keys, credentials, batches) are capped at this size.
MAX_INPUT_FILE = 16 << 20


def add_passphrase_file(parser: argparse.ArgumentParser) -> None:
    """Add ``--passphrase-file FILE`` (else ``$ANSHIM_PASSPHRASE``, else a prompt)."""
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help=f"read the passphrase from the first line of FILE (else ${PASSPHRASE_ENV}, "
        "else a prompt on a terminal)",
    )


def read_passphrase(
    args: argparse.Namespace, *, confirm: bool = False, prompt: str = "Passphrase: "
) -> str:
    """The passphrase from ``--passphrase-file``, ``$ANSHIM_PASSPHRASE``, or a prompt when
    standard input is a terminal (asked twice when ``confirm``). Never echoed or logged.

    Raises:
        CliError: no passphrase available, an empty one, a file over 4 KiB or not UTF-8,
            or two prompted passphrases that differ.
    """
    path = getattr(args, "passphrase_file", None)
    if path:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_PASSPHRASE_FILE + 1)
        if len(raw) > MAX_PASSPHRASE_FILE:
            raise CliError("passphrase file is too large")
        try:
            lines = raw.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise CliError("passphrase file is not UTF-8") from None
        value = lines[0] if lines else ""
    elif os.environ.get(PASSPHRASE_ENV):
        value = os.environ[PASSPHRASE_ENV]
    elif sys.stdin.isatty():
        value = getpass.getpass(prompt)
        if confirm and getpass.getpass("Repeat passphrase: ") != value:
            raise CliError("passphrases do not match")
    else:
        raise CliError(f"no passphrase: use --passphrase-file or ${PASSPHRASE_ENV}")
    if not value:
        raise CliError("the passphrase must not be empty")
    return value


def read_input_file(path: str | os.PathLike[str], *, limit: int = MAX_INPUT_FILE) -> bytes:
    """The bytes of ``path``, refusing files over ``limit`` bytes before reading them all.

    Raises:
        CliError: the file is larger than ``limit``.
        OSError: it cannot be read (the CLI prints one line).
    """
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise CliError(f"{os.fspath(path)} is too large (over {limit} bytes)")
    return data


def print_json(value: Any, *, sort_keys: bool = False) -> None:
    """Print ``value`` as indented JSON, non-ASCII kept readable (Hangul names)."""
    print(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=sort_keys))


def warn(message: str) -> None:
    """One warning line on standard error (for ``--unsafe-*`` options)."""
    print(f"anshim: warning: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
