"""Real processes on loopback for the reliability tests (no tests here).

* :class:`Service`: a command run in its own process group (``anshim registry serve``,
  ``anshim venue serve``), killed with SIGKILL or stopped with SIGTERM as a group, with
  its resident memory read from ``/proc``.
* :class:`Trust`: the session's authority: a real 3-of-5 ceremony for the days around
  today (the services run on the real clock), the registry's key, the administrator's key
  and an identity issuer.
* :class:`RegistryProcess` and :class:`VenueProcess`: the two services as their operators
  run them, configured through their public settings (environment, ``venue.toml``); the
  registry's venues are registered and approved over its HTTP API.
* :class:`Tally`: what the tests' phones were told (receipts, other admissions, 5xx
  answers, latencies), to compare with what the registry holds afterwards.

Every wait is bounded; every port is a free one on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

import registry
from did import KDF_TEST, Ed25519PrivateKey, Ed25519PublicKey, did_from_public_key, save_private_key
from escrow import EpochKeyDirectory, Roster, ShareStore, deal, finalize, publish
from protocol import (
    HealthDeclaration,
    QrKind,
    VenueCode,
    VisitReceipt,
    issue_person_credential,
    to_qr_text,
)
from tests.registry.service.support import Operator, present
from verifier.service import gateway_signature
from wallet import Wallet

PASSPHRASE = "reliability passphrase"
PUBLIC_URL = "https://registry.test"
DAY = 86400
GATEWAY_SECRET = b"reliability-gateway-secret"
_ANSHIM = "import sys; from did.cli import main; sys.exit(main(sys.argv[1:]))"


def now() -> int:
    return int(time.time())


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``condition`` every 50 ms until it holds; TimeoutError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what}: not within {timeout} s")


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code < 500
    except httpx.HTTPError:
        return False


class Service:
    """``python -c 'anshim main' args…`` (or any argv) in its own process group, output
    appended to ``log``."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @classmethod
    def anshim(cls, name: str, args: list[str], *, env: dict[str, str], log: Path) -> Service:
        return cls(name, [sys.executable, "-c", _ANSHIM, *args], env=env, log=log)

    def start(self) -> None:
        if self.alive:
            raise RuntimeError(f"{self.name} is already running")
        with open(self.log, "ab") as handle:
            self.proc = subprocess.Popen(
                self.argv,
                env={**os.environ, **self.env},
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.starts += 1

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"{self.name} never started")
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean-up of any kind."""
        if self.alive:
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(15)

    def stop(self) -> None:
        """SIGTERM to the group, SIGKILL after 15 s."""
        if self.alive:
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss(self) -> int:
        """Resident memory of the process and its children, bytes (0 once it exited)."""
        total = 0
        for pid in _tree(self.pid):
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        return total

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _tree(root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            todo.extend(int(c) for c in children)
    return found


@dataclass
class Trust:
    """The authority's keys and a real ceremony over yesterday, today and two more days."""

    folder: Path
    directory: EpochKeyDirectory
    registry_key: Ed25519PrivateKey
    admin_key: Ed25519PrivateKey
    issuer_key: Ed25519PrivateKey

    @property
    def issuer(self) -> str:
        return did_from_public_key(self.issuer_key.public_key)

    def poster(self, venue_did: str, name: str = "Venue") -> str:
        """The registry-signed static poster of ``venue_did``."""
        t = now()
        code = VenueCode(
            venue=venue_did, name=name, category="restaurant", issued=t - DAY, expires=t + DAY
        )
        return to_qr_text(QrKind.VENUE_CODE, code.sign(self.registry_key))

    def wallet(self, folder: Path, name: str) -> Wallet:
        """An enrolled wallet holding the epoch keys."""
        w = Wallet.create(
            folder / f"{name}.wallet",
            PASSPHRASE,
            registry_key=self.registry_key.public_key,
            custodians=self.directory.custodians,
            threshold=self.directory.threshold,
            kdf=KDF_TEST,
        )
        t = now()
        credential = issue_person_credential(
            self.issuer_key, self.issuer, w.holder_did, "+821012345678",
            name="홍길동", valid_from=t - 30 * DAY, valid_until=t + 365 * DAY,
        )  # fmt: skip
        w.enroll(credential, trusted_issuers=[self.issuer], now=t)
        w.set_epoch_keys(self.directory.to_bytes(), now=t)
        return w


def make_trust(folder: Path) -> Trust:
    folder.mkdir(parents=True, exist_ok=True)
    stores = [ShareStore.create(folder / f"c{i}.store", PASSPHRASE, kdf=KDF_TEST) for i in range(5)]
    roster = Roster.new([s.did for s in stores], 3, first_epoch=now() // DAY - 1, epochs=4)
    deals = [deal(roster, s.key) for s in stores]
    directory = publish(roster, [finalize(roster, deals, s, PASSPHRASE) for s in stores])
    return Trust(
        folder,
        directory,
        Ed25519PrivateKey.generate(),
        Ed25519PrivateKey.generate(),
        Ed25519PrivateKey.generate(),
    )


class _Clock:
    @property
    def now(self) -> int:
        return now()


class HttpSession:
    """What :func:`tests.registry.service.support.present` needs of a client (``post``
    and ``clock.now``), over real HTTP."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        self.clock = _Clock()

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.http.post(url, **kwargs)

    def token(self, key: Ed25519PrivateKey, credentials: Iterable[Any] = ()) -> dict[str, str]:
        vp = present(self, key, list(credentials))  # type: ignore[arg-type]
        r = self.post("/auth/token", json={"verifiablePresentation": vp})
        if r.status_code != 200:
            raise RuntimeError(f"no token: {r.status_code} {r.text}")
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def close(self) -> None:
        self.http.close()


class RegistryProcess:
    """``anshim registry serve`` on ``store`` (a store URL), with its settings from the
    environment, as docs/registry.md runs it."""

    def __init__(self, trust: Trust, folder: Path, *, store: str | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.trust, self.folder = trust, folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.store = store or f"sqlite://{folder.resolve() / 'visits'}"
        key_file = folder / "registry-key.json"
        save_private_key(key_file, trust.registry_key, PASSPHRASE, kdf=KDF_TEST)
        env = {
            "ANSHIM_PASSPHRASE": PASSPHRASE,
            "ANSHIM_REGISTRY_PUBLIC_URL": PUBLIC_URL,
            "ANSHIM_REGISTRY_ADMIN_DID": did_from_public_key(trust.admin_key.public_key),
            "ANSHIM_REGISTRY_STATE_DIR": str(folder / "state"),
            "ANSHIM_REGISTRY_KEY_FILE": str(key_file),
            "ANSHIM_REGISTRY_STORE": self.store,
            "ANSHIM_REGISTRY_RETRY_AFTER": "2",
        }
        self.service = Service.anshim(
            "registry", ["registry", "serve", "--port", str(self.port)],
            env=env, log=folder / "registry.log",
        )  # fmt: skip
        self._admin: dict[str, str] | None = None
        self.venue_keys: dict[str, Ed25519PublicKey] = {}

    def start(self, *, timeout: float = 60) -> None:
        self.service.start()
        try:
            wait_for(lambda: answers(self.url + "/health"), timeout=timeout, what="registry up")
        except TimeoutError:
            raise TimeoutError(f"registry did not start:\n{self.service.tail()}") from None

    def session(self) -> HttpSession:
        return HttpSession(self.url)

    def admin(self) -> dict[str, str]:
        if self._admin is None:
            s = self.session()
            try:
                self._admin = s.token(self.trust.admin_key)
            finally:
                s.close()
        return self._admin

    def register(self, key: Ed25519PrivateKey, *, name: str = "Venue") -> str:
        """Register and approve a venue signing with ``key``; returns its DID."""
        op = Operator(key=key, name_en=name)
        with httpx.Client(base_url=self.url, timeout=30) as http:
            r = http.post("/venues", json=op.registration(now()))
            if r.status_code != 202:
                raise RuntimeError(f"registration refused: {r.status_code} {r.text}")
            venue_id, did = r.json()["id"], r.json()["did"]
            r = http.post(f"/venues/{venue_id}/approval", headers=self.admin())
            if r.status_code != 200:
                raise RuntimeError(f"approval refused: {r.status_code} {r.text}")
        self.venue_keys[did] = key.public_key
        return str(did)

    def investigator(self) -> dict[str, str]:
        """A fresh investigator's token header (credential issued over the VC-API)."""
        key = Ed25519PrivateKey.generate()
        credential = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "InvestigatorCredential"],
            "credentialSubject": {
                "id": did_from_public_key(key.public_key),
                "role": "epidemiological investigator",
            },
        }
        s = self.session()
        try:
            r = s.post("/credentials/issue", json={"credential": credential}, headers=self.admin())
            if r.status_code != 201:
                raise RuntimeError(f"no credential: {r.status_code} {r.text}")
            return s.token(key, [r.json()["verifiableCredential"]])
        finally:
            s.close()

    def open_store(self) -> registry.Store:
        return registry.open_store(self.store)

    def holdings(self, visit_ids: Iterable[bytes]) -> tuple[list[bytes], int]:
        """(the visit ids of ``visit_ids`` the store holds, one per record found; every
        record the store holds)."""
        ids = list(visit_ids)
        day = now() // DAY
        store = self.open_store()
        try:
            held: list[bytes] = []
            for i in range(0, len(ids), 5000):
                matches = store.by_visit_ids(ids[i : i + 5000], days=range(day - 2, day + 2))
                held += [m.record.visit.visit_id for m in matches]
            total = sum(s.visits for s in store.stats())
        finally:
            store.close()
        return held, total


@dataclass
class HostedVenue:
    id: str
    did: str
    key: Ed25519PrivateKey
    number: str


class VenueProcess:
    """``anshim venue serve --config venue.toml`` hosting ``venues`` registered at
    ``registry``, its batches going to ``upload_url`` (the registry, or a proxy)."""

    def __init__(
        self, trust: Trust, folder: Path, reg: RegistryProcess, *, venues: int = 2,
        upload_url: str | None = None, extra: str = "",
    ) -> None:  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.venues: list[HostedVenue] = []
        tables = []
        for i in range(venues):
            key = Ed25519PrivateKey.generate()
            did = reg.register(key, name=f"Venue {i}")
            number = f"+82158800{i:02d}"
            save_private_key(folder / f"v{i}.key", key, PASSPHRASE, kdf=KDF_TEST)
            self.venues.append(HostedVenue(f"venue-{i}", did, key, number))
            tables.append(
                f'[[venue]]\nid = "venue-{i}"\ndid = "{did}"\nname = "장소 {i} / Venue {i}"\n'
                f'category = "restaurant"\nkey_file = "v{i}.key"\nnumbers = ["{number}"]\n'
            )
        (folder / "epoch-keys.cbor").write_bytes(trust.directory.to_bytes())
        (folder / "gateway.secret").write_bytes(GATEWAY_SECRET)
        custodians = ", ".join(f'"{c}"' for c in trust.directory.custodians)
        self.config = folder / "venue.toml"
        self.config.write_text(
            f"""[service]
data_dir = "data"
registry = "{upload_url or reg.url}"
epoch_keys = "epoch-keys.cbor"
custodians = [{custodians}]
host = "127.0.0.1"
port = {self.port}
gateway_secret_file = "gateway.secret"
upload_interval = 0.2
upload_backoff_min = 0.1
upload_backoff_max = 1.0
{extra}
"""
            + "\n".join(tables),
            encoding="utf-8",
        )
        self.keys = {v.did: v.key.public_key for v in self.venues}
        self.service = Service.anshim(
            "venue",
            ["venue", "serve", "--config", str(self.config), "--log-level", "warning"],
            env={"ANSHIM_PASSPHRASE": PASSPHRASE},
            log=folder / "venue.log",
        )

    def start(self, *, timeout: float = 60) -> None:
        self.service.start()
        try:
            wait_for(lambda: answers(self.url + "/health"), timeout=timeout, what="venue up")
        except TimeoutError:
            raise TimeoutError(f"venue service did not start:\n{self.service.tail()}") from None

    def health(self) -> dict[str, Any]:
        r = httpx.get(self.url + "/health", timeout=10)
        body: dict[str, Any] = r.json()
        return body

    def drained(self, *, timeout: float) -> None:
        """Wait until the outbox is empty."""
        wait_for(lambda: self.health()["backlog"] == 0, timeout=timeout, what="backlog drained")

    def key_of(self, did: str) -> Ed25519PublicKey | None:
        return self.keys.get(did)


def gateway_request(venue_number: str, caller: str, channel: str = "sms") -> tuple[bytes, dict]:
    """A telecom gateway's signed webhook call."""
    import json

    t = now()
    body = json.dumps({"channel": channel, "caller": caller, "venue": venue_number}).encode()
    return body, {
        "x-anshim-timestamp": str(t),
        "x-anshim-signature": gateway_signature(GATEWAY_SECRET, t, body),
        "content-type": "application/json",
    }


@dataclass
class Tally:
    """What the clients were answered: receipted visit ids, other admissions, refusals by
    status, transport errors, and latency samples by kind (seconds)."""

    visit_ids: list[bytes] = field(default_factory=list)
    other_admitted: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    #: Kiosk codes two phones answered at once: the second is refused with 409
    #: ``replayedChallenge`` (a challenge is good for one check-in, DESIGN "Venue codes"),
    #: which is the service working, not an error; counted apart from ``statuses``.
    kiosk_races: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, kind: str, response: httpx.Response, seconds: float) -> None:
        race = (
            kind == "checkin"
            and response.status_code == 409
            and response.headers.get("content-type", "").startswith("application/problem+json")
            and response.json().get("type") == "urn:anshim:error:replayedChallenge"
        )
        with self.lock:
            if race:
                self.kiosk_races += 1
            else:
                self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
            self.latencies.setdefault(kind, []).append(seconds)

    def failed(self, kind: str, exc: BaseException) -> None:
        with self.lock:
            self.errors.append(f"{kind}: {type(exc).__name__}: {exc}")

    def receipt(self, body: bytes, keys: Callable[[str], Ed25519PublicKey | None]) -> None:
        visit = VisitReceipt.verify(body, keys, now=now()).visit_id
        with self.lock:
            self.visit_ids.append(visit)

    def admitted_other(self) -> None:
        with self.lock:
            self.other_admitted += 1

    @property
    def acknowledged(self) -> int:
        return len(self.visit_ids) + self.other_admitted

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def percentiles(self) -> dict[str, dict[str, float]]:
        out = {}
        for kind, samples in sorted(self.latencies.items()):
            out[kind] = latency_summary(samples)
        return out


def latency_summary(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"n": 0}
    ordered = sorted(samples)
    if len(ordered) >= 2:
        cuts = statistics.quantiles(ordered, n=100, method="inclusive")
        p50, p99 = cuts[49], cuts[98]
    else:
        p50 = p99 = ordered[0]
    return {
        "n": len(ordered),
        "p50_ms": round(p50 * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def timed(tally: Tally, kind: str, send: Callable[[], httpx.Response]) -> httpx.Response | None:
    """Send a request, recording its answer and latency (or its transport failure)."""
    start = time.perf_counter()
    try:
        response = send()
    except httpx.HTTPError as exc:
        tally.failed(kind, exc)
        return None
    tally.answered(kind, response, time.perf_counter() - start)
    return response


def accounting(tally: Tally, reg: RegistryProcess) -> dict[str, Any]:
    """The registry's holdings against what the clients were acknowledged."""
    held, total = reg.holdings(tally.visit_ids)
    missing = len(set(tally.visit_ids) - set(held))
    return {
        "records_acknowledged": tally.acknowledged,
        "records_found": total,
        "receipted_missing": missing,
        "duplicates": (len(held) - len(set(held))) + max(0, total - tally.acknowledged),
        "http_5xx": tally.server_errors,
    }


CLEAR = HealthDeclaration(False, False)
CBOR = {"content-type": "application/cbor"}


class Phone:
    """A visitor's phone: a real wallet that scans a venue's poster or kiosk code and
    posts its signed check-in, the way the wallet app does (one wallet per thread)."""

    def __init__(self, trust: Trust, venue: VenueProcess, folder: Path, name: str) -> None:
        self.trust, self.venue = trust, venue
        self.wallet = trust.wallet(folder, name)
        self.http = httpx.Client(base_url=venue.url, timeout=30)
        self._posters = {v.did: trust.poster(v.did) for v in venue.venues}

    def check_in(
        self, tally: Tally, hosted: HostedVenue, *, kiosk: bool = False, skew: int = 0
    ) -> httpx.Response | None:
        """One check-in at ``hosted`` (its poster, or its kiosk's current code) with the
        phone's clock ``skew`` seconds off; a 201's receipt goes into ``tally``."""
        if kiosk:
            state = timed(tally, "kiosk", lambda: self.http.get(f"/kiosk/{hosted.id}/state"))
            if state is None or state.status_code != 200:
                return state
            text = state.json()["code"]["text"]
        else:
            text = self._posters[hosted.did]
        t = now() + skew
        scanned = self.wallet.scan(text, now=t, venue_keys=self.venue.key_of)
        message = self.wallet.check_in(scanned, declaration=CLEAR, now=t)
        r = timed(
            tally,
            "checkin",
            lambda: self.http.post(f"/venues/{hosted.id}/checkins", content=message, headers=CBOR),
        )
        if r is not None and r.status_code == 201:
            tally.receipt(r.content, self.venue.key_of)
        return r

    def close(self) -> None:
        self.http.close()
