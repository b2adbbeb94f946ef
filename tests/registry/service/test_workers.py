"""``anshim registry serve --workers 2`` as a real process tree on loopback: two pre-forked
workers answer on one port and share the ledger and the store (what one worker writes,
the other reads at once; a venue approved through one is active through the other); a
worker killed is replaced; SIGTERM stops them all and the command exits 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

from did import KDF_TEST, Ed25519PrivateKey, did_from_public_key, save_private_key  # noqa: E402
from registry.service._run import _START_GRACE  # noqa: E402
from tests.registry.service.support import Operator, bearer  # noqa: E402

PASS = "a long test passphrase"
_MAIN = "import sys; from did.cli import main; sys.exit(main(sys.argv[1:]))"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(c) for c in text.split()]


def _until(check: object, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


class Served:
    def __init__(
        self, process: subprocess.Popen[bytes], base: str, admin: Ed25519PrivateKey, log: Path
    ) -> None:
        self.process, self.base, self.admin_key, self.log = process, base, admin, log

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        # A fresh connection each time, so requests spread over the workers.
        with httpx.Client(base_url=self.base, timeout=30) as c:
            return c.get(path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        with httpx.Client(base_url=self.base, timeout=30) as c:
            return c.post(path, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def served(tmp_path: Path, store_url: str) -> Iterator[Served]:
    port = _free_port()
    admin = Ed25519PrivateKey.generate()
    state = tmp_path / "state"
    state.mkdir()
    save_private_key(state / "registry-key.json", Ed25519PrivateKey.generate(), PASS, kdf=KDF_TEST)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ANSHIM_PASSPHRASE": PASS,
        "ANSHIM_REGISTRY_PUBLIC_URL": f"https://localhost:{port}",
        "ANSHIM_REGISTRY_ADMIN_DID": did_from_public_key(admin.public_key),
        "ANSHIM_REGISTRY_STATE_DIR": str(state),
        "ANSHIM_REGISTRY_STORE": store_url,
    }
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-c", _MAIN, "registry", "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    s = Served(process, f"http://127.0.0.1:{port}", admin, tmp_path / "serve.log")

    def healthy() -> bool:
        try:
            return s.get("/health").status_code == 200
        except httpx.HTTPError:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            return False

    try:
        _until(healthy, "the registry to answer")
        _until(lambda: len(_children(process.pid)) == 2, "two workers")
        yield s
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                for pid in [*_children(process.pid), process.pid]:
                    os.kill(pid, signal.SIGKILL)
                process.wait(10)
        log.close()


def _admin_token(s: Served) -> dict[str, str]:
    import datetime as _dt

    from did.vc import create_presentation

    challenge = s.post("/challenges").json()
    created = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    vp = create_presentation([], holder_key=s.admin_key, challenge=challenge["challenge"],
                             domain=challenge["domain"], created=created)  # fmt: skip
    r = s.post("/auth/token", json={"verifiablePresentation": vp})
    assert r.status_code == 200, r.text
    return bearer(r.json()["access_token"])


def test_two_workers_share_one_registry_and_stop_on_sigterm(served: Served) -> None:
    s = served
    # The operator is told where the service listens.
    first = s.log.read_text().splitlines()[0]
    assert first.startswith("anshim registry: serving https://localhost:"), first
    assert f"on {s.base} with 2 workers" in first, first
    # Challenges are issued by one worker and answered at another: the ledger is shared.
    headers = _admin_token(s)
    op = Operator()
    r = s.post("/venues", json=op.registration(int(time.time())))
    assert r.status_code == 202, r.text
    venue_id = r.json()["id"]
    assert s.post(f"/venues/{venue_id}/approval", headers=headers).status_code == 200
    for _ in range(10):  # whichever worker answers, the venue is active and hosted
        assert s.get(f"/venues/{venue_id}").json()["status"] == "active"
        assert s.get(f"/venues/{venue_id}/did.json").status_code == 200
    # Approving again on any worker changes nothing: one status-list index, one credential.
    again = {s.post(f"/venues/{venue_id}/approval", headers=headers).json()["credential"]["id"]
             for _ in range(4)}  # fmt: skip
    assert len(again) == 1
    s.process.send_signal(signal.SIGTERM)
    assert s.process.wait(30) == 0
    assert _children(s.process.pid) == []


def test_a_killed_worker_is_replaced(served: Served) -> None:
    s = served
    # A worker that dies as it starts stops the registry instead (a crash loop helps
    # nobody): this one has been serving for longer than that.
    time.sleep(_START_GRACE + 0.5)
    first = _children(s.process.pid)
    os.kill(first[0], signal.SIGKILL)
    _until(lambda: len(set(_children(s.process.pid)) - {first[0]}) == 2, "a new worker")
    for _ in range(6):
        assert s.get("/health").status_code == 200
