"""Headless Chromium for the kiosk tests: Debian's ``chromium`` driven by Playwright's
Python package with ``executable_path`` (a browser download would fail here, so
``playwright install`` is never run). Without the browser the tests skip with one line,
unless ``ANSHIM_REQUIRE_BROWSER=1`` (set by .ci/run), which makes its absence a failure."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str:
    """The browser's path, or skip (fail under ANSHIM_REQUIRE_BROWSER=1)."""
    found = next((p for p in CHROMIUM_PATHS if os.access(p, os.X_OK)), None)
    found = found or shutil.which("chromium")
    missing = None
    if found is None:
        missing = "no chromium: apt-get install chromium (make test does it as root)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "no playwright: pip install -e '.[dev]'"
    if missing is not None:
        if os.environ.get("ANSHIM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ANSHIM_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(f"kiosk browser tests: {missing}, or set ANSHIM_REQUIRE_BROWSER=1")
    assert found is not None
    return found
