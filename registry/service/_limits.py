"""Request bodies are capped before anything parses them (DESIGN.md "Services": 413).

:class:`BodyLimit` is a pure ASGI middleware: a request whose ``Content-Length`` is over
its path's cap is answered 413 at once, and one within it is passed through untouched
(the HTTP server delivers no more than the declared length: h11 and httptools enforce
RFC 9112 section 6.2's framing, so the body is not copied on its way to the handler); a
body without a length (chunked) is read up to the cap and refused as soon as it goes
over. No handler, JSON parser or CBOR decoder ever sees more than the cap. The cap of a
path is the longest matching prefix in ``caps``, else the default.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from registry.service._problems import problem
from registry.service.errors import PayloadTooLarge

__all__ = ["BodyLimit"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """Cap request bodies per path prefix (module docstring)."""

    def __init__(self, app: App, *, default: int, caps: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.caps = sorted(caps.items(), key=lambda kv: -len(kv[0]))

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
