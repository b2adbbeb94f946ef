"""A throwaway PostgreSQL server for the test session (no mocks of the database).

The server binaries are found with ``pg_config --bindir``, then
``/usr/lib/postgresql/*/bin``, then ``PATH``. ``initdb`` makes a cluster in a temporary
folder and ``pg_ctl`` starts it on a free loopback port with its Unix socket in that folder.
PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
``postgres`` system user if there is one, else as ``nobody``, and the folder is handed to
that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: Set to 1 (``.ci/run`` does) to turn missing server binaries into a failure.
REQUIRE_ENV = "ANSHIM_REQUIRE_POSTGRES"
HOW_TO_ENABLE = (
    "PostgreSQL tests skipped: no server binaries (initdb, pg_ctl) found; install the "
    "PostgreSQL server (apt-get install postgresql) or run `make test` as root, which does"
)


def find_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None."""
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            candidates.append(out.stdout.strip())
        except (subprocess.SubprocessError, OSError):
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).resolve().parent))
    for folder in candidates:
        path = Path(folder)
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running throwaway server; ``url`` reaches its ``postgres`` database."""

    bindir: Path
    folder: Path
    port: int
    user: str | None  # the system user the server runs as (None: the current user)
    settings: tuple[tuple[str, str], ...] = ()  # more ``-c name=value`` server settings

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://anshim@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        kwargs: dict[str, object] = {}
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        done: subprocess.CompletedProcess[str] = subprocess.run(  # type: ignore[call-overload]
            cmd, capture_output=True, text=True, check=False, timeout=120, cwd=self.folder, **kwargs
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}")
        return done

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
            " -c max_connections=60 -c shared_buffers=64MB"
            + "".join(f" -c {name}={value}" for name, value in self.settings),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "anshim", name)
        return self.url(name)


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError(
        "running as root and no unprivileged user (postgres, nobody) to run PostgreSQL"
    )


def start_server(bindir: Path, folder: Path, settings: Mapping[str, str] | None = None) -> Server:
    """initdb and start a server in ``folder`` (empty or missing; its parents must be
    reachable by the server's user, as a ``tempfile.mkdtemp()`` folder is), with
    ``settings`` added to (or overriding) the defaults above."""
    folder.mkdir(parents=True, exist_ok=True)
    user = _server_user()
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        folder.chmod(0o700)
    server = Server(bindir, folder, _free_port(), user, tuple((settings or {}).items()))
    server._run(
        "initdb",
        "-D",
        str(server.data),
        "-U",
        "anshim",
        "--auth=trust",
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C",
    )
    server.start()
    return server
