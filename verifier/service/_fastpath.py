"""The hot path as raw ASGI: ``POST /venues/<id>/checkins`` and ``/checkouts`` from
phones, answered without FastAPI's per-request machinery (routing through every route,
dependency solving, sync dependencies sent to a thread pool, response models).

The FastAPI routes in :mod:`verifier.service._phones` stay: they document these endpoints
in the OpenAPI document and answer a request the fast path does not take (another method,
a path with a trailing slash). Both do the same work in the same order, so either answers
the same bytes: the body capped before it is read (413), the source's rate counted (429),
one :class:`~verifier.service.VenueService` call, run through :meth:`VenueService.durably`,
which returns only once its record is committed, before the receipt leaves (DESIGN.md "The
venue service", Durability). Errors are the same RFC 9457 problem details as the app's
exception handlers write.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from did.errors import AnshimError
from protocol.errors import OversizeMessage
from verifier.service._access import RateLimiter
from verifier.service._problems import PROBLEM_TYPE_PREFIX, problem_body
from verifier.service._runtime import VenueService

__all__ = ["PhoneEndpoints"]

_log = logging.getLogger("anshim.venue")
# ASGI's shapes, as starlette.types spells them (this module imports no framework).
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_CBOR_HEADERS = [(b"content-type", b"application/cbor")]
_PROBLEM = b"application/problem+json"
_PREFIX = "/venues/"
_ACTIONS = {"checkins": 201, "checkouts": 200}


class _Gone(Exception):
    pass


@functools.cache
def _receipt_headers(length: int) -> list[tuple[bytes, bytes]]:
    # A receipt's headers, made once per length (a signed receipt is at most
    # MAX_RECEIPT_MESSAGE bytes, so a few hundred lists at most); the server only reads them.
    return [*_CBOR_HEADERS, (b"content-length", str(length).encode())]


def _problem_bytes(body: dict[str, Any]) -> bytes:
    # As starlette's JSONResponse renders it.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class PhoneEndpoints:
    """The check-in and check-out endpoints as one ASGI callable over ``service``.

    :meth:`match` says whether a scope is theirs (the app asks before routing);
    ``limit`` caps request bodies and ``limiter`` counts each source's rate, as the
    app's middleware and dependency do for every other route.
    """

    __slots__ = ("limit", "limiter", "service")

    def __init__(self, service: VenueService, *, limit: int, limiter: RateLimiter) -> None:
        self.service = service
        self.limit = limit
        self.limiter = limiter

    @staticmethod
    def match(scope: Scope) -> tuple[str, str] | None:
        """``(venue id, action)`` if ``scope`` is a POST to a phone endpoint, else None."""
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        path: str = scope["path"]
        if not path.startswith(_PREFIX):
            return None
        venue_id, slash, action = path[len(_PREFIX) :].partition("/")
        if not slash or not venue_id or action not in _ACTIONS:
            return None
        return venue_id, action

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send, venue_id: str, action: str
    ) -> None:
        """Answer one request (``venue_id`` and ``action`` from :meth:`match`)."""
        try:
            try:
                body = await self._body(scope, receive)
            except _Gone:
                return  # the client went away before its body arrived: nobody to answer
            client = scope.get("client")
            self.limiter.check(client[0] if client else "")
            service = self.service
            work = service.check_in if action == "checkins" else service.check_out
            # Committed before the receipt leaves.
            receipt = await service.durably(lambda: work(venue_id, body))
        except AnshimError as exc:
            problem = problem_body(exc)
            if problem["status"] >= 500:
                _log.warning("answering %d %s", problem["status"], exc.code)
            await self._answer(send, problem["status"], _problem_bytes(problem), _PROBLEM)
            return
        except Exception as exc:  # the app's last-resort handler answers the same
            _log.error("unexpected %s", type(exc).__name__)
            problem = {
                "type": PROBLEM_TYPE_PREFIX + "venueServiceError",
                "title": "VenueServiceError",
                "status": 500,
                "detail": "unexpected failure",
                "code": "venueServiceError",
            }
            await self._answer(send, 500, _problem_bytes(problem), _PROBLEM)
            return
        await send(
            {
                "type": "http.response.start",
                "status": _ACTIONS[action],
                "headers": _receipt_headers(len(receipt)),
            }
        )
        await send({"type": "http.response.body", "body": receipt})

    async def _body(self, scope: Scope, receive: Receive) -> bytes:
        # Refused by its content-length before anything is read, then counted as it
        # streams in (a chunked body has no length).
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                raise OversizeMessage(f"request bodies are capped at {self.limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise _Gone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                raise OversizeMessage(f"request bodies are capped at {self.limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    @staticmethod
    async def _answer(send: Send, status: int, body: bytes, media: bytes) -> None:
        headers = [(b"content-type", media), (b"content-length", str(len(body)).encode())]
        if status in (429, 503):
            headers.append((b"retry-after", b"5"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
