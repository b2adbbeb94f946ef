"""The README's commands for each kind of user run as printed (issue 14, "Docs for each kind
of user").

Every fenced block of the README's user sections is marked ``<!-- readme-test: NAME -->``;
this test runs them in the story's order (:data:`STORY`) in one temporary folder with a
throwaway environment: ``ANSHIM_PASSPHRASE`` set, the virtual environment's ``anshim`` on
``PATH``, no proxy, a temporary ``HOME``. A ``sh`` block runs under ``bash -euo pipefail``
(any failing command fails it) and passes its exported variables on to the next block, as
one terminal would; a ``python`` block runs with this interpreter. The two ``-serve``
blocks are started in the background by the test, in their own process group, and always
stopped. The one change to the printed text: the services' loopback ports (8443 and 8700)
become free ones, and the services get those ports from their documented
``ANSHIM_REGISTRY_PORT`` / ``ANSHIM_VENUE_PORT`` variables. After each block the test
checks what that block says it makes."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
_MARKED = re.compile(r"^<!-- readme-test: ([\w-]+) -->\n```(sh|python)\n(.*?)^```", re.M | re.S)
_FENCE = re.compile(r"^```(\w+)\n", re.M)

#: The marked blocks in the order a reader runs them: the sections follow the story, and the
#: custodians' warrant steps wait for the investigator's draft.
STORY = (
    "custodians",
    "registry",
    "registry-serve",
    "registry-admin",
    "venue",
    "registry-approve",
    "venue-serve",
    "venue-status",
    "issuer",
    "wallet",
    "case-open",
    "custodians-approve",
    "case-approve",
    "custodians-share",
    "case-report",
    "wallet-exposures",
    "custodians-shred",
)
#: The user sections, each with at least one tested block.
SECTIONS = (
    "Registry operator and custodians",
    "Venue operator",
    "Mobile developer",
    "Investigator",
)
PASSPHRASE = "readme story passphrase"
_ENV_FILE = ".readme-env"


def _marked() -> dict[str, tuple[str, str]]:
    blocks: dict[str, tuple[str, str]] = {}
    for name, language, code in _MARKED.findall(README):
        assert name not in blocks, f"two README blocks are marked {name}"
        blocks[name] = (language, code)
    return blocks


def _user_part() -> str:
    return README.split("\n## One outbreak, four kinds of user\n", 1)[1].split("\n## ", 1)[0]


def _section(title: str) -> str:
    return _user_part().split(f"\n### {title}\n", 1)[1].split("\n### ", 1)[0]


def test_every_block_of_the_user_sections_is_marked_and_in_the_story() -> None:
    part = _user_part()
    assert len(_FENCE.findall(part)) == len(_MARKED.findall(part)), "an unmarked block"
    assert sorted(_marked()) == sorted(STORY)
    for title in SECTIONS:
        assert _MARKED.search(_section(title)), f"section {title!r} has no tested block"


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Story:
    """The temporary folder, the environment and the background services."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ports = {"8443": str(_free_port()), "8700": str(_free_port())}
        home = folder / ".home"
        home.mkdir()
        self.env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "ANSHIM_PASSPHRASE": PASSPHRASE,
            "NO_PROXY": "127.0.0.1,localhost",
            "ANSHIM_REGISTRY_PORT": self.ports["8443"],
            "ANSHIM_VENUE_PORT": self.ports["8700"],
        }
        self.blocks = _marked()
        self.services: list[tuple[str, subprocess.Popen[bytes]]] = []

    def code(self, name: str) -> tuple[str, str]:
        language, code = self.blocks[name]
        for printed, port in self.ports.items():
            code = code.replace(f"127.0.0.1:{printed}", f"127.0.0.1:{port}")
        return language, code

    def url(self, printed_port: str) -> str:
        return f"http://127.0.0.1:{self.ports[printed_port]}"

    def run(self, name: str, *, timeout: float = 120) -> str:
        """Run one block to its end; its standard output (the block must exit 0)."""
        language, code = self.code(name)
        if language == "python":
            argv = [sys.executable, "-c", code]
        else:
            script = f"[ -f {_ENV_FILE} ] && source {_ENV_FILE}\n{code}\nexport -p > {_ENV_FILE}\n"
            argv = ["bash", "-euo", "pipefail", "-c", script]
        proc = subprocess.run(
            argv, cwd=self.folder, env=self.env, capture_output=True, text=True,
            timeout=timeout, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert proc.returncode == 0, f"README block {name} failed:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    def start(self, name: str, health: str) -> None:
        """Start a long-running block in the background; wait until ``health`` answers."""
        _, code = self.code(name)
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - kept for the process
        proc = subprocess.Popen(
            ["bash", "-c", f"source {_ENV_FILE}\n{code}"], cwd=self.folder, env=self.env,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        self.services.append((name, proc))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"{name} exited:\n{self.tail(name)}"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(health, timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"{name} did not answer {health}:\n{self.tail(name)}")

    def tail(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        for _, proc in reversed(self.services):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(15)

    def exported(self, variable: str) -> str:
        text = (self.folder / _ENV_FILE).read_text()
        found = re.search(rf'^declare -x {variable}="(.*)"$', text, flags=re.M)
        assert found, f"{variable} was not exported"
        return found.group(1)


@pytest.fixture
def story(tmp_path: Path) -> Iterator[Story]:
    s = Story(tmp_path)
    try:
        yield s
    finally:
        s.stop()


def _json_objects(text: str) -> list[dict[str, object]]:
    """The JSON objects printed one after another (the CLI prints indented JSON)."""
    decoder, objects, i = json.JSONDecoder(), [], 0
    while (i := text.find("{", i)) >= 0:
        value, i = decoder.raw_decode(text, i)
        objects.append(value)
    return objects


def _wait_for_backlog_drained(url: str) -> None:
    deadline = time.monotonic() + 30
    while httpx.get(url + "/health", timeout=5).json()["backlog"] != 0:
        assert time.monotonic() < deadline, "the venue's uploads did not drain"
        time.sleep(0.2)


def test_the_readme_story_runs_as_printed(story: Story) -> None:
    folder = story.folder
    # Registry operator and custodians: the ceremony, the registry, the administrator.
    story.run("custodians")
    assert len((folder / "custodians.txt").read_text().split()) == 3
    assert (folder / "epoch-keys.cbor").stat().st_size > 0
    story.run("registry")
    assert (folder / "registry" / "registry-key.json").is_file()
    story.start("registry-serve", story.url("8443") + "/health")
    published = _json_objects(story.run("registry-admin"))
    assert published[-1]["threshold"] == 2

    # Venue operator: keys and registration, approval, the service, its status and kiosk.
    story.run("venue")
    made = json.loads((folder / "hall-1.json").read_text())
    assert made["registration"]["status"] == "pending"
    approved = story.run("registry-approve")
    assert "Happy Wedding Hall: active" in approved
    assert "Halla Cafe: active" in approved
    story.start("venue-serve", story.url("8700") + "/health")
    status_out = story.run("venue-status")
    status = _json_objects(status_out)[0]
    venue = status["venues"][0]  # type: ignore[index]
    assert venue["did"] == made["venue"]
    assert venue["registration"]["status"] == "approved"
    assert "<title>행복 웨딩홀 / Happy Wedding Hall" in status_out

    # Mobile developer: two wallets check in at the kiosk and keep their receipts.
    story.run("issuer")
    diaries = story.run("wallet")
    assert diaries.count(made["venue"]) == 2, diaries
    assert (folder / "case-diary.cbor").stat().st_size > 0
    # The README's reader waits for `anshim venue status` to show backlog 0; so does the test.
    _wait_for_backlog_drained(story.url("8700"))

    # Investigator, with the custodians' warrant steps in between.
    opened = _json_objects(story.run("case-open"))
    assert {"round": 1, "contacts": 1} in opened
    assert opened[-1]["stage"] == "r1-identities: approval"
    story.run("custodians-approve")
    assert (folder / "approval-2.warrant").is_file()
    assert _json_objects(story.run("case-approve"))[-1]["approvals"] == 2
    shares = _json_objects(story.run("custodians-share"))
    assert [s.get("shares") for s in shares[:2]] == [1, 1]
    reported = story.run("case-report")
    assert '"opened": 1' in reported
    calls = (folder / "JJ-7-report" / "calls.csv").read_text(encoding="utf-8-sig")
    assert "+821033334444" in calls  # the guest, found as the case's contact
    assert "+821011112222" not in calls  # the case is not its own contact
    for name in ("graph.json", "graph.graphml", "report.html", "report.png"):
        assert (folder / "JJ-7-report" / name).stat().st_size > 0, name
    assert '"status": "active"' in reported  # the exposure notice

    # The guest's wallet matches the notice on the phone; the custodians shred old epochs.
    exposures = story.run("wallet-exposures")
    assert exposures.count("exposure:") == 1, exposures
    assert made["venue"] in exposures
    story.run("custodians-shred")
    story.stop()
    for name, proc in story.services:
        assert proc.returncode is not None, name
