"""The body cap (registry/service/_limits.py) as an ASGI middleware, driven directly: a
declared length over the cap is refused before any byte is read, one within it reaches
the app as the very messages the server sent (no copy), and a chunked body without a
length is cut off with a 413 as soon as it passes the cap, the app never called."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from registry.service._limits import BodyLimit

Message = MutableMapping[str, Any]


def _run(
    headers: list[tuple[bytes, bytes]], chunks: list[bytes], *, cap: int = 100
) -> tuple[list[Message], list[Message], int]:
    """(what the app received, what was sent back, how many chunks were read)."""
    seen: list[Message] = []
    sent: list[Message] = []
    read = 0

    async def receive() -> Message:
        nonlocal read
        read += 1
        i = read - 1
        return {"type": "http.request", "body": chunks[i], "more_body": i < len(chunks) - 1}

    async def send(message: Message) -> None:
        sent.append(message)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            seen.append(message)
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    scope = {"type": "http", "path": "/uploads/visits", "headers": headers, "method": "POST"}
    asyncio.run(BodyLimit(app, default=cap, caps={})(scope, receive, send))
    return seen, sent, read


def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    seen, sent, read = _run([(b"content-length", b"101")], [b"x" * 101])
    assert (seen, read) == ([], 0)
    assert sent[0]["status"] == 413
    assert b"payloadTooLarge" in sent[1]["body"]
    _, sent, _ = _run([(b"content-length", b"-1")], [b""])
    assert sent[0]["status"] == 413


def test_a_declared_length_within_the_cap_passes_the_server_messages_through() -> None:
    chunks = [b"y" * 40, b"w" * 60]
    seen, sent, _ = _run([(b"content-length", b"100")], chunks)
    # The server's own chunk objects, not a joined copy.
    assert all(m["body"] is c for m, c in zip(seen, chunks, strict=True))
    assert sent[0]["status"] == 200


def test_a_chunked_body_is_cut_off_at_the_cap() -> None:
    seen, sent, read = _run([], [b"z" * 60, b"z" * 60, b"z" * 60])
    assert seen == []
    assert read == 2  # refused as soon as the second chunk passed the cap
    assert sent[0]["status"] == 413
    seen, sent, _ = _run([], [b"z" * 50, b"z" * 50])
    assert b"".join(m["body"] for m in seen) == b"z" * 100
    assert sent[0]["status"] == 200
