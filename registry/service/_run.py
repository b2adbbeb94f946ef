"""Running the service: uvicorn on one listening socket, in one process or in several
pre-forked worker processes (``anshim registry serve --workers N``).

One Python process runs one request's Python code at a time, and an upload's records are
decoded in Python, so a registry on PostgreSQL runs one worker process per core the
database server leaves free; on SQLite, whose store has one writer, one worker does best
(docs/registry.md has the figures). The parent binds the socket, makes the store's and
the ledger's schema once, then forks the workers: each opens its own store connections
and ledger after the fork (nothing that holds a connection or a thread crosses it) and
serves the inherited socket, whose connections the kernel spreads over them. The
registry's key is decrypted once, in the parent, and reaches the workers as process
memory: no passphrase in the environment.

What the workers share is on disk and transactional: the store (SQLite's write lock and
WAL, or PostgreSQL), and the authority's ledger (one SQLite file; every change is one
``BEGIN IMMEDIATE`` transaction, and venue changes and status lists are compare-and-set or
read-modify-write inside one, :mod:`registry._ledger`). Counters (``/metrics``) are per
worker.

The parent restarts a worker that dies, and on SIGTERM or SIGINT stops them all (each
finishes its requests in flight: uvicorn's graceful shutdown) and returns.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import time
import traceback
from types import FrameType

from did import Ed25519PrivateKey
from registry.service._settings import Settings

__all__ = ["MAX_WORKERS", "serve"]

#: The most worker processes ``serve`` starts.
MAX_WORKERS = 64
_log = logging.getLogger("anshim.registry.serve")
# A worker that dies this soon after it started is failing to start, not crashing.
_START_GRACE = 2.0


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.create_server((host, port), backlog=2048)
    sock.set_inheritable(True)
    return sock


def _worker(settings: Settings, key: Ed25519PrivateKey, sock: socket.socket, log: str) -> None:
    # One worker: its own store and ledger, uvicorn on the shared socket. uvicorn catches
    # SIGINT/SIGTERM while it serves and re-raises them once it has shut down; ignoring
    # them here lets the worker close its store afterwards instead of dying mid-close.
    import uvicorn

    import registry
    from registry._ledger import Ledger
    from registry.service._app import create_app

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    store = registry.open_store(settings.store, create=True)
    ledger = Ledger(settings.state_dir)
    try:
        app = create_app(settings, store=store, key=key, ledger=ledger)
        config = uvicorn.Config(app, log_level=log, proxy_headers=False)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        ledger.close()
        store.close()


def serve(
    settings: Settings,
    key: Ed25519PrivateKey,
    *,
    host: str | None = None,
    port: int | None = None,
    workers: int = 1,
    log_level: str = "info",
) -> None:
    """Serve the registry on ``host:port`` (default: the settings') with ``workers``
    processes (module docstring) until SIGTERM or SIGINT.

    Raises:
        ValueError: ``workers`` is not in [1, :data:`MAX_WORKERS`].
        OSError: the address cannot be bound.
        RuntimeError: a worker died as it started (its traceback is on standard error).
        StoreUnavailable, SchemaMismatch: the store or the ledger cannot be opened.
    """
    import registry
    from registry._ledger import Ledger

    if type(workers) is not int or not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be 1 to {MAX_WORKERS}")
    # The schema is made (or migrated) once, here, not by workers racing each other.
    registry.open_store(settings.store, create=True).close()
    Ledger(settings.state_dir).close()
    sock = _listen(host or settings.host, port or settings.port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(
        f"anshim registry: serving {settings.public_url} on http://{shown}:{bound_port} "
        f"with {workers} worker{'s' if workers > 1 else ''} (SIGTERM or Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )
    try:
        if workers == 1:
            _worker(settings, key, sock, log_level)
        else:
            _supervise(settings, key, sock, workers, log_level)
    finally:
        sock.close()


def _supervise(
    settings: Settings, key: Ed25519PrivateKey, sock: socket.socket, workers: int, log: str
) -> None:
    children: dict[int, float] = {}
    stopping = failed = False

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                _worker(settings, key, sock, log)
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children[pid] = time.monotonic()

    def stop(sig: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for _ in range(workers):
            spawn()
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            started = children.pop(pid, None)
            if started is None or stopping:
                continue
            if time.monotonic() - started < _START_GRACE:
                _log.error("a worker failed to start (status %s); stopping", status)
                failed = True
                stop(signal.SIGTERM, None)
                continue
            _log.warning("worker %d ended (status %s); starting another", pid, status)
            spawn()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed:
        raise RuntimeError("a worker failed to start; see its error above")
