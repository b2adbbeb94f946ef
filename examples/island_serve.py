"""One of the island's services as its own process: the real app of ``registry.service`` or
``verifier.service``, built by its ``create_app`` and run by uvicorn on a loopback socket
the demo opened and handed over (so the port is never raced for).

    python examples/island_serve.py registry --fd N --clock FILE
    python examples/island_serve.py venue --fd N --clock FILE --config venue.toml

Settings come as they do for ``anshim registry serve`` (``ANSHIM_REGISTRY_*``) and
``anshim venue serve`` (``venue.toml``); key passphrases from ``ANSHIM_PASSPHRASE``. The one
difference from those commands is the clock: both factories take ``clock=``, and here it
reads the island's simulated time from FILE (8 bytes, big-endian Unix seconds) that the
demo moves forward, so two days pass in a couple of minutes. The process asks the kernel
to stop it when the demo that started it dies (``PR_SET_PDEATHSIG``), so it never outlives
the demo, even one killed with SIGKILL.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import socket
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the demo's own clean-up still runs
        return
    if os.getppid() != parent:  # the parent died before the request was made
        sys.exit(1)


def file_clock(path: str) -> Callable[[], int]:
    """A clock reading Unix seconds from ``path`` (8 bytes, big-endian) on every call."""
    fd = os.open(path, os.O_RDONLY)

    def now() -> int:
        return int.from_bytes(os.pread(fd, 8, 0), "big")

    return now


def _registry_app(clock: Callable[[], int]) -> object:
    import registry
    from registry.service import Settings, create_app, load_key

    settings = Settings.load()
    store = registry.open_store(settings.store, create=True)
    return create_app(settings, store=store, clock=clock, key=load_key(settings))


def _venue_app(clock: Callable[[], int], config: str) -> object:
    from did.cli import PASSPHRASE_ENV
    from verifier.service import create_app, load_settings

    settings = load_settings(config)
    return create_app(settings, clock=clock, passphrase=os.environ.get(PASSPHRASE_ENV))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("role", choices=("registry", "venue"))
    parser.add_argument("--fd", type=int, required=True, help="the listening socket's fd")
    parser.add_argument("--clock", required=True, help="the simulated clock's file")
    parser.add_argument("--config", help="venue.toml (the venue service)")
    parser.add_argument("--parent", type=int, default=os.getppid())
    args = parser.parse_args()
    _die_with_parent(args.parent)
    import uvicorn

    clock = file_clock(args.clock)
    app = _registry_app(clock) if args.role == "registry" else _venue_app(clock, args.config)
    sock = socket.socket(fileno=args.fd)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
