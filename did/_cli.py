"""The ``anshim`` command.

Sub-commands come from the ``anshim.cli`` entry-point group: each role package registers a
``register(subparsers)`` function in ``pyproject.toml``, so this module never imports a role
package by name. Every handler is ``handler(args) -> int``.

Exit codes: 0 success, 1 a negative answer (for example "invalid credential"), 2 unusable
input — always one readable line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

from did.errors import AnshimError

__all__ = ["CliError", "build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]


class CliError(AnshimError):
    """A usage error detected by a command handler (exit status 2)."""

    code = "usage"


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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
