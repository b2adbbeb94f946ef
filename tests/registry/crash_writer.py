"""A writer process for the kill test: ``python -m tests.registry.crash_writer URL LOG``.

It stores batches forever, each spanning two days (so SQLite takes its journal path), and
appends to LOG, with an fsync, ``intent <n> <ids>`` before each ``put`` and ``ack <n>``
after it returns. The test kills it with SIGKILL at a random moment.
"""

from __future__ import annotations

import os
import sys

import registry
from protocol import Channel
from tests.registry.support import T0, make_venue, make_visit

BATCH = 100


def main(url: str, log_path: str) -> None:
    kit = make_venue(1)
    store = registry.open_store(url, create=True)
    with open(log_path, "a", encoding="ascii") as log:
        n = 0
        while True:
            batch = [
                make_visit(kit, T0 + (i % 2) * 86400 + n * 60 + i, channel=Channel.SMS)
                for i in range(BATCH)
            ]
            ids = " ".join(r.visit.visit_id.hex() for r in batch)
            log.write(f"intent {n} {ids}\n")
            log.flush()
            os.fsync(log.fileno())
            store.put(batch)
            log.write(f"ack {n}\n")
            log.flush()
            os.fsync(log.fileno())
            n += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
