"""Bodies that never arrive whole, or do not parse (found by tests/reliability): a body
trickled a byte at a time meets the service's deadline (408 ``bodyTooSlow``, the
connection closed), on the phones' fast path and on a FastAPI route alike; a client that
goes away mid-body is no 500 and no error log, and nothing of it is committed; bad UTF-8
and invalid JSON are ``malformedMessage`` problems, never FastAPI's ``about:blank``."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.verifier.service.serving import serve_in_thread
from tests.verifier.service.support import STAFF_PASSCODE
from verifier.errors import BodyTooSlow
from verifier.service import VenueService

Message = MutableMapping[str, Any]
PREFIX = "urn:anshim:error:"
PATHS = [
    "/venues/cafe-1/checkins",  # the phones' fast path
    "/venues/cafe-1/readings",  # a FastAPI route that reads the raw body
    "/venues/cafe-1/assisted",  # a FastAPI route whose body FastAPI parses
    "/gateway/checkins",
]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    """Every record of the service's and uvicorn's loggers, warnings and up."""
    handler = _Records()
    handler.setLevel(logging.WARNING)
    names = ("anshim.venue", "uvicorn.error", "uvicorn")
    for name in names:
        logging.getLogger(name).addHandler(handler)
    try:
        yield handler.records
    finally:
        for name in names:
            logging.getLogger(name).removeHandler(handler)


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    answer = b""
    while chunk := sock.recv(4096):
        answer += chunk
    return answer


@pytest.mark.parametrize("path", PATHS)
def test_a_trickled_body_is_answered_408_and_the_connection_closed(
    make_app: Callable[..., FastAPI], logged: list[logging.LogRecord], path: str
) -> None:
    app = make_app(upload=False, service={"body_timeout": 0.5})
    with serve_in_thread(app) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/cbor\r\n"
                "Content-Length: 1000\r\n\r\n".encode()
            )
            sock.settimeout(0.05)
            answer = b""
            for _ in range(400):  # a byte every 50 ms, far slower than the deadline allows
                try:
                    sock.sendall(b"\x00")
                    answer = sock.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if answer:
                    break
            sock.settimeout(10)
            answer += _answer(sock)  # the server closes the connection after its 408
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer[:300]
        assert b"connection: close" in head.lower()
        assert f'"type":"{PREFIX}{BodyTooSlow.code}"'.encode() in body
        assert httpx.get(base + "/health", timeout=10).status_code == 200
    service: VenueService = app.state.service
    assert service.store.backlog() == {}
    assert [r.getMessage() for r in logged] == []


def _drive(app: FastAPI, path: str, chunks: list[Message]) -> list[Message]:
    """Run one request through ``app`` whose client sends ``chunks`` and then goes away;
    returns what the app sent back."""
    sent: list[Message] = []
    queue = list(chunks)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", b"1000"),
            (b"x-staff-passcode", STAFF_PASSCODE.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8700),
    }
    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize("path", PATHS)
def test_a_client_gone_mid_body_is_no_500_no_error_and_commits_nothing(
    make_app: Callable[..., FastAPI], logged: list[logging.LogRecord], path: str
) -> None:
    app = make_app(upload=False)
    part: Message = {"type": "http.request", "body": b'{"name": "', "more_body": True}
    sent = _drive(app, path, [part])  # then http.disconnect
    statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
    assert all(s < 500 for s in statuses), sent
    assert [r.getMessage() for r in logged] == []
    service: VenueService = app.state.service
    assert service.store.backlog() == {}


@pytest.mark.parametrize(
    "body",
    [b'{"name": "\xff\xfe\xc3", "phone": "+821012345678"}', b'{"name": ', b"\x00" * 10],
    ids=["bad_utf8", "truncated_json", "nul_bytes"],
)
def test_a_body_that_does_not_parse_is_a_malformed_message_problem(
    client: httpx.Client, body: bytes
) -> None:
    headers = {"content-type": "application/json", "x-staff-passcode": STAFF_PASSCODE}
    r = client.post("/venues/cafe-1/assisted", content=body, headers=headers)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == PREFIX + "malformedMessage"
    assert r.json()["code"] == "malformedMessage"


def test_a_body_of_the_wrong_shape_is_an_invalid_input_problem(client: httpx.Client) -> None:
    headers = {"x-staff-passcode": STAFF_PASSCODE}
    r = client.post("/venues/cafe-1/assisted", json={"name": 5}, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["type"] == PREFIX + "invalidInput"
    # Where and what kind only: pydantic's messages quote the input.
    assert "5" not in str(r.json().get("errors", ""))


def test_the_deadline_is_a_setting_with_a_sane_default(tmp_path: Any) -> None:
    from tests.verifier.service.support import settings
    from verifier.errors import VenueConfigError

    assert settings(tmp_path).body_timeout == 10.0
    for wrong in (0, -1, 601, True):
        with pytest.raises(VenueConfigError, match="body_timeout"):
            settings(tmp_path, body_timeout=wrong)
