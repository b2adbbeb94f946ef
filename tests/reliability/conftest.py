"""Fixtures of the reliability tests: the session's authority (a real ceremony for the
days around today), deployments of real ``anshim registry serve`` and ``anshim venue
serve`` processes that are always stopped, and the figures each test reports.

The figures (faults injected, records acknowledged and found, duplicates, 5xx answers,
latency percentiles, memory growth) are printed as one JSON document at the end of the
run, and written to ``$ANSHIM_RELIABILITY_REPORT`` when it names a file. Tests never
assert timings: they report them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.support import RegistryProcess, Trust, VenueProcess, make_trust

REPORT_ENV = "ANSHIM_RELIABILITY_REPORT"
_figures: dict[str, Any] = {}


@pytest.fixture(scope="session")
def trust(tmp_path_factory: pytest.TempPathFactory) -> Trust:
    return make_trust(tmp_path_factory.mktemp("trust"))


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[[dict[str, Any]], None]:
    """Record this test's figures for the run's JSON report."""

    def record(figures: dict[str, Any]) -> None:
        _figures[request.node.name] = figures

    return record


Deploy = Callable[..., tuple[RegistryProcess, VenueProcess]]


def _deploy(trust: Trust, folder: Path, stop: Callable[[Any], None]) -> Deploy:
    def deploy(
        *,
        store: str | None = None,
        venues: int = 2,
        upload_url: Callable[[str], str] | None = None,
        extra: str = "",
        name: str = "",
    ) -> tuple[RegistryProcess, VenueProcess]:
        reg = RegistryProcess(trust, folder / f"registry{name}", store=store)
        stop(reg.service.stop)
        reg.start()
        target = None if upload_url is None else upload_url(reg.url)
        venue = VenueProcess(
            trust, folder / f"venue{name}", reg, venues=venues, upload_url=target, extra=extra
        )
        stop(venue.service.stop)
        venue.start()
        return reg, venue

    return deploy


@pytest.fixture
def deploy(trust: Trust, tmp_path: Path, request: pytest.FixtureRequest) -> Deploy:
    """Start a registry and a venue service (both stopped at the end of the test)."""
    return _deploy(trust, tmp_path, request.addfinalizer)


@pytest.fixture(scope="module")
def deployment(
    trust: Trust, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RegistryProcess, VenueProcess]]:
    """One registry and one venue service shared by a module's tests."""
    stops: list[Callable[[], None]] = []
    try:
        yield _deploy(trust, tmp_path_factory.mktemp("deployment"), stops.append)()
    finally:
        for stop in reversed(stops):
            stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _figures:
        return
    text = json.dumps(_figures, indent=2, sort_keys=True)
    terminalreporter.write_sep("=", "reliability figures (JSON)")
    terminalreporter.write_line(text)
    target = os.environ.get(REPORT_ENV)
    if target:
        Path(target).write_text(text + "\n", encoding="utf-8")
