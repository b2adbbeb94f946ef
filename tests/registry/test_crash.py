"""A writer killed with SIGKILL in the middle of ingest loses no acknowledged batch and
leaves no batch half-written (DESIGN.md "Storage": an acknowledged upload is never lost)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import registry
from tests.paths import ROOT
from tests.registry.support import DAY


def _read_log(path: Path) -> tuple[dict[int, list[bytes]], set[int]]:
    intents: dict[int, list[bytes]] = {}
    acks: set[int] = set()
    for line in path.read_text(encoding="ascii").splitlines():
        parts = line.split()
        if parts[0] == "intent" and len(parts) > 2:
            intents[int(parts[1])] = [bytes.fromhex(h) for h in parts[2:]]
        elif parts[0] == "ack" and len(parts) == 2:
            acks.add(int(parts[1]))
    return intents, acks


def test_sigkill_mid_ingest_keeps_every_acknowledged_batch_whole(
    store_url: str, tmp_path: Path
) -> None:
    registry.open_store(store_url, create=True).close()
    rng = random.Random(store_url)
    for round_ in range(3):
        log = tmp_path / f"log{round_}"
        log.touch()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.registry.crash_writer", store_url, str(log)],
            cwd=ROOT,
            env=env,
        )
        try:
            deadline = time.monotonic() + 60
            while len(_read_log(log)[1]) < 3:
                assert writer.poll() is None, "the writer died on its own"
                assert time.monotonic() < deadline, "the writer acknowledged nothing"
                time.sleep(0.05)
            time.sleep(rng.uniform(0, 0.3))  # somewhere inside a later batch
            writer.send_signal(signal.SIGKILL)
        finally:
            writer.kill()
            writer.wait()
        assert writer.returncode == -signal.SIGKILL
        intents, acks = _read_log(log)
        with registry.open_store(store_url) as store:
            for n, ids in intents.items():
                found = store.by_visit_ids(ids, days=range(DAY, DAY + 2))
                if n in acks:
                    assert len(found) == len(ids), f"acknowledged batch {n} lost records"
                else:
                    assert len(found) in (0, len(ids)), f"batch {n} is half-written"
