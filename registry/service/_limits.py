"""Request bodies are capped before anything parses them (DESIGN.md "Services": 413).

:class:`BodyLimit` is a pure ASGI middleware: a request whose ``Content-Length`` is over
its path's cap is answered 413 at once, and one within it is passed through untouched
(the HTTP server delivers no more than the declared length: h11 and httptools enforce
RFC 9112 section 6.2's framing, so the body is not copied on its way to the handler); a
body without a length (chunked) is read up to the cap and refused as soon as it goes
over. No handler, JSON parser or CBOR decoder ever sees more than the cap. The cap of a
path is the longest matching prefix in ``caps``, else the default.

The whole body must also arrive within ``deadline`` seconds of the request's start
(uvicorn has no body timeout of its own): a body trickled a byte at a time would otherwise
hold its connection, and a worker's memory, for as long as the bytes keep coming. Past
the deadline the request is answered 408 (:class:`~registry.service.errors.BodyTimeout`)
with ``Connection: close``, and the app, still waiting for its body, is told the client
went away (``http.disconnect``); whatever it answers then is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from registry.service._problems import problem
from registry.service.errors import BodyTimeout, PayloadTooLarge

__all__ = ["DEFAULT_BODY_TIMEOUT", "BodyLimit"]

#: Seconds a request's whole body may take to arrive.
DEFAULT_BODY_TIMEOUT = 10.0

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """Cap request bodies per path prefix (module docstring)."""

    def __init__(
        self,
        app: App,
        *,
        default: int,
        caps: Mapping[str, int],
        deadline: float = DEFAULT_BODY_TIMEOUT,
    ) -> None:
        self.app = app
        self.default = default
        self.caps = sorted(caps.items(), key=lambda kv: -len(kv[0]))
        self.deadline = deadline

    def cap(self, path: str) -> int:
        """The body cap of ``path``."""
        for prefix, limit in self.caps:
            if path.startswith(prefix):
                return limit
        return self.default

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(PayloadTooLarge(f"the body is larger than {limit} bytes"))
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.cap(scope.get("path", ""))
        timed = _Deadline(scope, receive, send, self.deadline)
        receive, send = timed.receive, timed.send
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await self._refuse(scope, receive, send, limit)
                return
            await self.app(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                if not timed.answered:  # gone, not late: the app sees the disconnect
                    await self.app(scope, _replay_disconnect(message), send)
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > limit:
                await self._refuse(scope, receive, send, limit)
                return
        await self.app(scope, _replay(bytes(body), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


def _replay_disconnect(message: Message) -> Receive:
    async def again() -> Message:
        return message

    return again


class _Deadline:
    """``receive`` and ``send`` of one request, its body due within ``seconds`` (module
    docstring). Once the body is all in, ``receive`` is the server's own again (a
    streaming response listens on it for the client's disconnect, with no deadline)."""

    __slots__ = ("_at", "_receive", "_scope", "_send", "answered", "done", "started")

    def __init__(self, scope: Scope, receive: Receive, send: Send, seconds: float) -> None:
        self._scope, self._receive, self._send = scope, receive, send
        self._at = asyncio.get_running_loop().time() + seconds
        self.done = self.started = self.answered = False

    async def receive(self) -> Message:
        if self.answered:
            return {"type": "http.disconnect"}
        if self.done:
            return await self._receive()
        try:
            async with asyncio.timeout_at(self._at):
                message = await self._receive()
        except TimeoutError:
            if not self.started:
                self.answered = True
                refusal = BodyTimeout("the request body did not arrive in time")
                response = problem(refusal, headers={"Connection": "close"})
                await response(self._scope, self._receive, self._send)
            return {"type": "http.disconnect"}
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.done = True
        return message

    async def send(self, message: Message) -> None:
        if self.answered:
            return  # the 408 went instead
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)
