"""Hostile HTTP input against both real services (schemathesis already fuzzes each
OpenAPI): oversize bodies (declared and streamed), malformed CBOR, malformed UTF-8, deep
JSON, and slow clients. Every answer is a 4xx problem detail, never a 5xx, and the
services keep serving everyone else meanwhile."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import cbor2
import httpx
import pytest

from tests.reliability.support import (
    CBOR,
    GATEWAY_SECRET,
    Phone,
    RegistryProcess,
    Tally,
    Trust,
    VenueProcess,
    now,
)
from verifier.service import gateway_signature

Deployment = tuple[RegistryProcess, VenueProcess]

_VALID = cbor2.dumps([1, 2, 3])
MALFORMED_CBOR = {
    "empty": b"",
    "garbage": bytes(range(256)),
    "truncated": bytes.fromhex("d28443a10127a0") + b"\x59\xff",
    "indefinite": b"\x9f" + _VALID + b"\xff",
    "deep": b"\x81" * 5000 + b"\x00",
    "huge_length": b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff",
    "unknown_tag": b"\xd9\xff\xff" + _VALID,
    "bad_utf8_text": b"\x63\xff\xfe\xfd",
    "duplicate_keys": b"\xa2\x01\x01\x01\x02",
}
BAD_UTF8 = b'{"name": "\xff\xfe\xc3", "phone": "+821012345678"}'
DEEP_ARRAYS = b"[" * 7000 + b"]" * 7000  # fits the venue's 16 KiB cap
DEEP_OBJECTS = b'{"a":' * 2500 + b"1" + b"}" * 2500


def _venue_cbor_paths(venue: VenueProcess) -> list[str]:
    v = venue.venues[0].id
    return [f"/venues/{v}/checkins", f"/venues/{v}/checkouts", f"/venues/{v}/readings"]


def _registry_cbor_paths() -> list[str]:
    return ["/uploads/visits", "/uploads/trace-seeds"]


def _registry_json_paths() -> list[str]:
    return ["/venues", "/credentials/verify", "/presentations/verify", "/auth/token",
            "/queries/contacts", "/credentials/issue"]  # fmt: skip


def _refused(r: httpx.Response, *statuses: int) -> None:
    assert 400 <= r.status_code < 500, (r.request.url, r.status_code, r.text[:300])
    if statuses:
        assert r.status_code in statuses, (r.request.url, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json"), r.text[:300]


def _gateway(body: bytes) -> dict[str, str]:
    t = now()
    return {
        "x-anshim-timestamp": str(t),
        "x-anshim-signature": gateway_signature(GATEWAY_SECRET, t, body),
        "content-type": "application/json",
    }


def test_oversize_bodies_are_refused_before_they_are_read(deployment: Deployment) -> None:
    reg, venue = deployment
    big = b"\x00" * (2 << 20)

    def streamed() -> Iterator[bytes]:
        for _ in range(64):  # chunked, no Content-Length: counted as it arrives
            yield b"\x00" * 65536

    for base, paths in ((venue.url, [*_venue_cbor_paths(venue), "/gateway/checkins"]),
                        (reg.url, _registry_cbor_paths() + _registry_json_paths())):  # fmt: skip
        with httpx.Client(base_url=base, timeout=30) as http:
            for path in paths:
                _refused(http.post(path, content=big, headers=CBOR), 413)
                r = http.post(path, content=streamed(), headers=CBOR)
                _refused(r, 413)


@pytest.mark.parametrize("case", sorted(MALFORMED_CBOR))
def test_malformed_cbor_is_a_problem_not_a_5xx(deployment: Deployment, case: str) -> None:
    reg, venue = deployment
    body = MALFORMED_CBOR[case]
    for base, paths in ((venue.url, _venue_cbor_paths(venue)), (reg.url, _registry_cbor_paths())):
        with httpx.Client(base_url=base, timeout=30) as http:
            for path in paths:
                _refused(http.post(path, content=body, headers=CBOR))


@pytest.mark.parametrize("body", [BAD_UTF8, DEEP_ARRAYS, DEEP_OBJECTS, b"\x00" * 100],
                         ids=["bad_utf8", "deep_arrays", "deep_objects", "nul_bytes"])  # fmt: skip
def test_malformed_utf8_and_deep_json_are_problems_not_5xx(
    deployment: Deployment, body: bytes
) -> None:
    reg, venue = deployment
    v = venue.venues[0].id
    json_header = {"content-type": "application/json"}
    with httpx.Client(base_url=venue.url, timeout=30) as http:
        _refused(http.post(f"/venues/{v}/assisted", content=body,
                           headers={**json_header, "x-staff-passcode": "2580"}))  # fmt: skip
        _refused(http.post("/gateway/checkins", content=body, headers=_gateway(body)))
        _refused(http.post(f"/venues/{v}/scans", content=body, headers=json_header))
    with httpx.Client(base_url=reg.url, timeout=30) as http:
        for path in _registry_json_paths():
            _refused(http.post(path, content=body, headers=json_header))


@contextlib.contextmanager
def _slow_clients(port: int, path: str, *, count: int, body: bytes, interval: float) -> Iterator[
    list[bytes]
]:  # fmt: skip
    """``count`` connections that each send ``body`` one byte every ``interval`` s; yields
    while they trickle, then collects each one's answer (first bytes)."""
    answers: list[bytes] = []
    lock = threading.Lock()

    def one() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
            s.sendall(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/cbor\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
            )
            for byte in body:
                s.sendall(bytes((byte,)))
                time.sleep(interval)
            answer = s.recv(200)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads:
        t.start()
    try:
        yield answers
    finally:
        for t in threads:
            t.join(120)


def test_slow_clients_do_not_hold_the_services(
    deployment: Deployment, trust: Trust, tmp_path_factory: pytest.TempPathFactory, report: Any
) -> None:
    reg, venue = deployment
    body = MALFORMED_CBOR["garbage"][:30]  # 30 bytes at 10 per second: 3 s per client
    phone = Phone(trust, venue, tmp_path_factory.mktemp("slow"), "patient")
    tally = Tally()
    venue_port, reg_port = venue.port, reg.port
    path = f"/venues/{venue.venues[0].id}/checkins"
    with (
        _slow_clients(venue_port, path, count=20, body=body, interval=0.1) as venue_answers,
        _slow_clients(reg_port, "/uploads/visits", count=20, body=body, interval=0.1) as answers,
    ):
        # While forty bodies trickle in, everyone else is served.
        time.sleep(0.5)
        for i in range(10):
            r = phone.check_in(tally, venue.venues[i % 2])
            assert r is not None
            assert r.status_code == 201, r.text
        assert httpx.get(reg.url + "/health", timeout=10).status_code == 200
        assert httpx.get(f"{venue.url}/kiosk/{venue.venues[0].id}/state", timeout=10).is_success
    phone.close()
    report({"served_while_slow": tally.percentiles(), "slow_clients": 40})
    for answer in venue_answers + answers:
        assert answer.startswith(b"HTTP/1.1 4"), answer  # a problem answer once it is all in


@pytest.mark.reliability
def test_a_trickled_body_meets_a_read_deadline(deployment: Deployment, report: Any) -> None:
    reg, venue = deployment
    deadline = 30.0
    outcomes: dict[str, str] = {}
    answers: dict[str, bytes] = {}

    def trickle(name: str, port: int, path: str) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/cbor\r\n"
                "Content-Length: 10000\r\n\r\n".encode()
            )
            start = time.monotonic()
            s.settimeout(1.0)
            while time.monotonic() - start < deadline:
                try:
                    s.sendall(b"\x00")
                    answer = s.recv(200)  # an answer (or EOF) before the body is all in
                    outcomes[name] = f"ended by the server after {time.monotonic() - start:.1f}s"
                    answers[name] = answer
                    return
                except TimeoutError:
                    continue
                except OSError:
                    outcomes[name] = f"cut by the server after {time.monotonic() - start:.1f} s"
                    return
            outcomes[name] = f"still open after {deadline} s"

    threads = [
        threading.Thread(target=trickle, args=("venue", venue.port, _venue_cbor_paths(venue)[0])),
        threading.Thread(target=trickle, args=("registry", reg.port, "/uploads/visits")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(deadline + 30)
    report({"trickled_body": outcomes})
    assert all(o.startswith(("ended", "cut")) for o in outcomes.values()), outcomes
    # Each service's deadline answered before it closed: 408 (bodyTooSlow at the venue,
    # bodyTimeout at the registry; tests/*/service test the problem bodies).
    assert set(answers) == {"venue", "registry"}, outcomes
    for name, answer in answers.items():
        assert answer.startswith(b"HTTP/1.1 408"), (name, answer)
