"""``python -m tests.verifier.service.venue_process CONFIG START``: the venue service as
its own process (real uvicorn, the host and port of CONFIG), for tests that kill it.

Its clock starts at Unix time START and runs at the speed of the monotonic clock, so the
test world's epoch keys (a few days in 2024) cover it. The key passphrase comes from
``ANSHIM_PASSPHRASE``, as for ``anshim venue serve``."""

from __future__ import annotations

import os
import sys
import time

import uvicorn

from did.cli import PASSPHRASE_ENV
from verifier.service import create_app, load_settings


def main() -> None:
    settings = load_settings(sys.argv[1])
    start, origin = int(sys.argv[2]), time.monotonic()

    def clock() -> int:
        return start + int(time.monotonic() - origin)

    app = create_app(settings, clock=clock, passphrase=os.environ[PASSPHRASE_ENV])
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
