"""A deadline for the whole request body (uvicorn has none of its own): a body trickled a
byte at a time would otherwise hold its connection open for as long as the bytes keep
coming.

:class:`BodyDeadline` wraps one request's ``receive`` and ``send``. If the body is not all
in ``seconds`` after the request reached the app, the client is answered 408
(:class:`~verifier.errors.BodyTooSlow`, an RFC 9457 problem) with ``Connection: close``,
and whatever is still waiting for the body (the phones' fast path, a FastAPI route) is
told the client went away (``http.disconnect``); what it answers then is dropped. Once the
body is all in, ``receive`` is the server's own again: a streaming response listens on it
for the client's disconnect, with no deadline.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from verifier.errors import BodyTooSlow
from verifier.service._problems import problem_body

__all__ = ["DEFAULT_BODY_TIMEOUT", "BodyDeadline"]

#: Seconds a request's whole body may take to arrive.
DEFAULT_BODY_TIMEOUT = 10.0

# ASGI's shapes, as starlette.types spells them (this module imports no framework).
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_DISCONNECT: dict[str, Any] = {"type": "http.disconnect"}


def _refusal() -> bytes:
    body = problem_body(BodyTooSlow("the request body did not arrive in time"))
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class BodyDeadline:
    """``receive`` and ``send`` of one request whose body is due within ``seconds``
    (module docstring); ``answered`` once the 408 went out."""

    __slots__ = ("_at", "_receive", "_send", "answered", "done", "started")

    def __init__(self, receive: Receive, send: Send, seconds: float) -> None:
        self._receive, self._send = receive, send
        self._at = asyncio.get_running_loop().time() + seconds
        self.done = self.started = self.answered = False

    async def receive(self) -> Message:
        """The server's next message; ``http.disconnect`` once the deadline has passed."""
        if self.answered:
            return dict(_DISCONNECT)
        if self.done:
            return await self._receive()
        try:
            async with asyncio.timeout_at(self._at):
                message = await self._receive()
        except TimeoutError:
            if not self.started:
                await self._refuse()
            return dict(_DISCONNECT)
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.done = True
        return message

    async def send(self, message: Message) -> None:
        """Pass ``message`` to the server, unless the 408 went instead."""
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def _refuse(self) -> None:
        self.answered = True
        body = _refusal()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await self._send({"type": "http.response.start", "status": 408, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})
