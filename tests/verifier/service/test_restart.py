"""The venue service killed with SIGKILL during a burst of check-ins: after a restart,
every check-in that got a receipt reaches the real registry exactly once, and a replay of
an admitted check-in is refused (the replay store survived)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from did import KDF_TEST, save_private_key
from protocol import VisitReceipt, digest
from tests.escrow.support import NOW, World
from tests.verifier.service.registry_world import live_registry, make_live_registry
from tests.verifier.service.serving import Process, free_port, wait_until_up
from tests.verifier.service.support import new_wallet, wallet_answer
from tests.verifier.service.test_registry_e2e import wait_for
from tests.wallet.support import OTHER_VENUE_KEY, VENUE_KEY, poster

PASSPHRASE = "venue key passphrase"
BURST = 120
CBOR = {"content-type": "application/cbor"}


def write_config(tmp: Path, world: World, *, port: int, registry: str, cafe: str, bar: str) -> Path:
    save_private_key(tmp / "cafe.key", VENUE_KEY, PASSPHRASE, kdf=KDF_TEST)
    save_private_key(tmp / "bar.key", OTHER_VENUE_KEY, PASSPHRASE, kdf=KDF_TEST)
    (tmp / "epoch-keys.cbor").write_bytes(world.directory.to_bytes())
    custodians = ", ".join(f'"{c}"' for c in world.directory.custodians)
    config = tmp / "venue.toml"
    config.write_text(
        f"""[service]
data_dir = "data"
registry = "{registry}"
epoch_keys = "epoch-keys.cbor"
custodians = [{custodians}]
host = "127.0.0.1"
port = {port}
upload_interval = 0.2
upload_backoff_min = 0.1
upload_backoff_max = 0.5

[[venue]]
id = "cafe-1"
did = "{cafe}"
name = "카페 하나 / Cafe One"
category = "restaurant"
key_file = "cafe.key"

[[venue]]
id = "bar-2"
did = "{bar}"
name = "바 둘 / Bar Two"
category = "bar"
key_file = "bar.key"
""",
        encoding="utf-8",
    )
    return config


def test_sigkill_during_a_burst_loses_no_receipted_check_in(
    tmp_path: Path, escrow_world: World, request: pytest.FixtureRequest
) -> None:
    reg, cafe, bar = make_live_registry(tmp_path / "registry", NOW)
    request.addfinalizer(reg.store.close)
    w = new_wallet(tmp_path, "visitor")
    messages = [wallet_answer(w, poster(cafe), now=NOW, keys=lambda d: None) for _ in range(BURST)]
    port = free_port()
    with live_registry(reg, cafe) as registry:
        config = write_config(
            tmp_path, escrow_world, port=port, registry=registry.url, cafe=cafe, bar=bar
        )
        venue = Process(
            ["-m", "tests.verifier.service.venue_process", str(config), str(NOW)],
            env={"ANSHIM_PASSPHRASE": PASSPHRASE},
            log=tmp_path / "venue.log",
        )
        request.addfinalizer(venue.stop)
        base = f"http://127.0.0.1:{port}"
        venue.start()
        wait_until_up(base + "/health")
        receipts: list[bytes] = []
        lock = threading.Lock()
        killed = threading.Event()

        def post(message: bytes) -> None:
            try:
                r = httpx.post(f"{base}/venues/cafe-1/checkins", content=message,
                               headers=CBOR, timeout=10)  # fmt: skip
            except httpx.HTTPError:
                return  # the service died under this request: no receipt, no promise
            if r.status_code == 201:
                with lock:
                    receipts.append(r.content)
                    if len(receipts) >= BURST // 3 and not killed.is_set():
                        killed.set()
                        venue.kill()

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(post, messages))
        assert killed.is_set()
        assert BURST // 3 <= len(receipts) < BURST
        # Restart: the outbox resumes, and the replay store refuses what was admitted.
        venue.start()
        wait_until_up(base + "/health")
        ids = [VisitReceipt.verify(r, registry.keys, now=NOW).visit_id for r in receipts]
        wait_for(lambda: httpx.get(base + "/health").json()["backlog"] == 0, timeout=30)
        held = registry.holds(ids, NOW // 86400)
        assert sorted(held) == sorted(ids)  # each receipted visit, once
        assert len(set(held)) == len(held)
        stored = sum(s.visits for s in reg.store.stats())
        assert len(ids) <= stored <= BURST
        hashes = {VisitReceipt.verify(r, registry.keys, now=NOW).checkin_hash for r in receipts}
        admitted = next(m for m in messages if digest(m) in hashes)
        replay = httpx.post(f"{base}/venues/cafe-1/checkins", content=admitted, headers=CBOR)
        assert replay.status_code == 409, replay.text
        assert replay.json()["code"] == "replayedCheckIn"
        venue.stop()
