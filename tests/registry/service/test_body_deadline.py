"""The body deadline (registry/service/_limits.py, found by tests/reliability): a request
body trickled a byte at a time, with a declared length or chunked, is answered 408
``bodyTimeout`` with ``Connection: close`` once ``body_timeout`` has passed, and the
connection is closed; the app, still waiting, is told the client went away and its own
answer is dropped. A body that is all in is never timed again (a streaming response
listens for the disconnect as long as it likes)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest

import registry
from did import Ed25519PrivateKey, did_from_public_key
from did.errors import InputError
from registry.service import Settings, create_app
from registry.service._limits import BodyLimit
from registry.service.errors import BodyTimeout
from tests.registry.service.support import PUBLIC_URL
from tests.verifier.service.serving import serve_in_thread

Message = MutableMapping[str, Any]
PREFIX = "urn:anshim:error:"


def _run(
    headers: list[tuple[bytes, bytes]], chunks: list[bytes], *, then_wait: bool
) -> tuple[list[Message], list[Message]]:
    """(what the app received, what was sent back) for a client that sends ``chunks`` and
    then, if ``then_wait``, nothing more, ever."""
    seen: list[Message] = []
    sent: list[Message] = []
    queue = list(chunks)

    async def receive() -> Message:
        if queue:
            return {"type": "http.request", "body": queue.pop(0), "more_body": True}
        if then_wait:
            await asyncio.Event().wait()  # the trickling client's next byte never comes
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            seen.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b"gone"})

    scope = {"type": "http", "path": "/uploads/visits", "headers": headers, "method": "POST"}
    limit = BodyLimit(app, default=1000, caps={}, deadline=0.2)
    asyncio.run(asyncio.wait_for(limit(scope, receive, send), 30))
    return seen, sent


@pytest.mark.parametrize("declared", [True, False], ids=["content_length", "chunked"])
def test_a_body_past_the_deadline_is_answered_408_and_the_app_told_it_is_gone(
    declared: bool,
) -> None:
    headers = [(b"content-length", b"900")] if declared else []
    seen, sent = _run(headers, [b"x", b"y"], then_wait=True)
    assert sent[0]["status"] == 408
    assert (b"connection", b"close") in [(k.lower(), v) for k, v in sent[0]["headers"]]
    problem = json.loads(sent[1]["body"])
    assert problem["type"] == PREFIX + BodyTimeout.code
    assert problem["status"] == 408
    assert len(sent) == 2  # the app's own answer was dropped
    if declared:
        assert seen[-1] == {"type": "http.disconnect"}
    else:
        assert seen == []  # the middleware was still reading: the app never ran


def test_a_body_all_in_is_not_timed_again() -> None:
    seen, sent = _run([(b"content-length", b"2")], [b"x", b"y"], then_wait=False)
    assert [m["body"] for m in seen] == [b"x", b"y", b""]
    assert sent[0]["status"] == 400  # the app's own answer


def test_the_deadline_is_a_setting_with_a_sane_default(tmp_path: Path) -> None:
    base: dict[str, Any] = {
        "public_url": PUBLIC_URL,
        "admin_did": "did:web:admin.test",
        "state_dir": tmp_path,
    }
    assert Settings(**base).body_timeout == 10.0
    env = {"ANSHIM_REGISTRY_" + k.upper(): str(v) for k, v in base.items()}
    loaded = Settings.load(environ={**env, "ANSHIM_REGISTRY_BODY_TIMEOUT": "2.5"})
    assert loaded.body_timeout == 2.5
    for wrong in (0, -1.0, 601):
        with pytest.raises(InputError, match="body_timeout"):
            Settings(**base, body_timeout=wrong)
    with pytest.raises(InputError, match="body_timeout"):
        Settings.load(environ={**env, "ANSHIM_REGISTRY_BODY_TIMEOUT": "soon"})


@pytest.mark.parametrize("chunked", [False, True], ids=["content_length", "chunked"])
def test_a_trickled_upload_over_real_http_meets_the_deadline(tmp_path: Path, chunked: bool) -> None:
    admin = did_from_public_key(Ed25519PrivateKey.generate().public_key)
    settings = Settings(
        public_url=PUBLIC_URL, admin_did=admin, state_dir=tmp_path / "state", body_timeout=0.5
    )
    store = registry.open_store(settings.store, create=True)
    try:
        app = create_app(settings, store=store, key=Ed25519PrivateKey.generate())
        with serve_in_thread(app) as base:
            port = int(base.rsplit(":", 1)[1])
            framing = "Transfer-Encoding: chunked" if chunked else "Content-Length: 1000"
            byte = b"1\r\n\x00\r\n" if chunked else b"\x00"
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(
                    f"POST /uploads/visits HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Content-Type: application/cbor\r\n{framing}\r\n\r\n".encode()
                )
                sock.settimeout(0.05)
                answer = b""
                for _ in range(400):  # a byte every 50 ms
                    try:
                        sock.sendall(byte)
                        answer = sock.recv(4096)
                    except TimeoutError:
                        continue
                    except OSError:
                        break
                    if answer:
                        break
                sock.settimeout(10)
                while chunk := sock.recv(4096):  # closed by the server after its 408
                    answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408"), answer[:300]
            assert b"connection: close" in head.lower()
            assert json.loads(body)["type"] == PREFIX + BodyTimeout.code
            assert httpx.get(base + "/health", timeout=10).status_code == 200
    finally:
        store.close()
