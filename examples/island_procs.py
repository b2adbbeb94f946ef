"""The island's processes and its clock: the simulated time every process reads, and the
registry and venue services as child processes on loopback sockets, stopped on exit, on
Ctrl-C, on SIGTERM and on failure."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

HERE = Path(__file__).resolve().parent


class SimClock:
    """The island's simulated clock: a file of 8 bytes (big-endian Unix seconds) that the
    services read on every call (``island_serve.file_clock``) and the demo moves."""

    def __init__(self, path: Path, start: int) -> None:
        self.path = path
        path.write_bytes(b"\0" * 8)
        self._fd = os.open(path, os.O_RDWR)
        self.now = start
        self.set(start)

    def set(self, when: int) -> None:
        """Move the island to Unix time ``when`` (the services see it at once)."""
        self.now = int(when)
        os.pwrite(self._fd, self.now.to_bytes(8, "big"), 0)

    def __call__(self) -> int:
        return self.now

    def close(self) -> None:
        os.close(self._fd)


class Service:
    """A service run by ``island_serve.py`` in its own session, listening on a loopback
    socket bound here (a free port the kernel picks) and handed over by file descriptor."""

    def __init__(
        self,
        role: str,
        *,
        clock: SimClock,
        log: Path,
        env: dict[str, str],
        config: Path | None = None,
    ) -> None:
        self.role = role
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(512)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            sys.executable,
            str(HERE / "island_serve.py"),
            role,
            "--fd",
            str(self._sock.fileno()),
            "--clock",
            str(clock.path),
            "--parent",
            str(os.getpid()),
        ]
        if config is not None:
            args += ["--config", str(config)]
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                args,
                pass_fds=[self._sock.fileno()],
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._sock.close()  # the child holds the listening socket now
        self.pid = self.proc.pid

    def wait_up(self, *, timeout: float = 60.0) -> None:
        """Wait for ``/health`` to answer.

        Raises:
            RuntimeError: the process exited or did not answer within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the {self.role} exited ({self.proc.returncode}): see {self.log}"
                )
            try:
                if httpx.get(self.url + "/health", timeout=2.0).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"the {self.role} did not answer in {timeout:.0f} s: see {self.log}")

    def stop(self) -> None:
        """SIGTERM to the service's process group, SIGKILL after 10 s; reaps it."""
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        except ProcessLookupError:
            self.proc.wait(10)


class Stopped(Exception):
    """The demo was asked to stop (Ctrl-C or SIGTERM)."""


def stop_on_signals() -> None:
    """Turn SIGINT and SIGTERM into :class:`Stopped`, so every ``finally`` runs."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise Stopped(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
