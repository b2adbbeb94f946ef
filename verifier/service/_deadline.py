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

:class:`BodyDeadlines` keeps every request's deadline on one timer of the event loop
rather than a timer per request (``asyncio.timeout_at`` around each ``receive``: a timer
handle made and cancelled, about 10 us of the loop's CPU per check-in, for a body that is
nearly always in by the first ``receive``). Every request gets the same number of seconds,
so deadlines fall in the order requests arrive: a queue holds them, the timer is set for
the oldest, and when it fires it answers the requests still waiting for their bodies and
sets itself for the next one.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from verifier.errors import BodyTooSlow
from verifier.service._problems import problem_body

__all__ = ["DEFAULT_BODY_TIMEOUT", "BodyDeadline", "BodyDeadlines"]

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


class _Due:
    # A place in BodyDeadlines' queue: when, and the request until its body is in (then
    # None, so the queue keeps no request, its server's objects or its body alive).
    __slots__ = ("at", "request")

    def __init__(self, at: float, request: BodyDeadline) -> None:
        self.at = at
        self.request: BodyDeadline | None = request


class BodyDeadline:
    """``receive`` and ``send`` of one request whose body is due by ``at`` on the event
    loop's clock (module docstring): made by :meth:`BodyDeadlines.start`, which calls
    :meth:`expire` once ``at`` has passed if the body is not ``done`` by then;
    ``answered`` once the 408 went out."""

    __slots__ = (
        "_cancelling",
        "_due",
        "_receive",
        "_send",
        "_waiting",
        "answered",
        "done",
        "expired",
        "started",
    )

    def __init__(self, receive: Receive, send: Send, at: float) -> None:
        self._receive, self._send = receive, send
        self._due = _Due(at, self)
        self.done = self.started = self.answered = self.expired = False
        self._waiting: asyncio.Task[Any] | None = None
        self._cancelling = 0

    @property
    def at(self) -> float:
        """When the body is due, on the event loop's clock."""
        return self._due.at

    async def receive(self) -> Message:
        """The server's next message; ``http.disconnect`` once the deadline has passed."""
        if self.done:
            return await self._receive()
        if self.expired:
            return await self._refused()
        task = asyncio.current_task()
        self._waiting = task
        self._cancelling = 0 if task is None else task.cancelling()
        try:
            message = await self._receive()
        except asyncio.CancelledError:
            # expire() cancelled this wait, unless the task is being cancelled by
            # someone else as well (then that goes on).
            if task is None or not self.expired or task.uncancel() > self._cancelling:
                raise
            return await self._refused()
        finally:
            self._waiting = None
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.finish()
        return message

    async def send(self, message: Message) -> None:
        """Pass ``message`` to the server, unless the 408 went instead."""
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    def finish(self) -> None:
        """The app is done with the request: its deadline no longer matters (a request
        the app answered without reading its body, such as a GET, is never ``done``
        otherwise)."""
        self.done = True
        self._due.request = None

    def expire(self) -> None:
        """The deadline has passed with the body not all in: a ``receive`` waiting now is
        interrupted, and it (or the next one) answers 408 and says the client is gone."""
        self.expired = True
        waiting = self._waiting
        if waiting is not None:
            waiting.cancel()

    async def _refused(self) -> Message:
        if not self.started and not self.answered:
            self.answered = True
            body = _refusal()
            headers = [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ]
            await self._send({"type": "http.response.start", "status": 408, "headers": headers})
            await self._send({"type": "http.response.body", "body": body})
        return dict(_DISCONNECT)


class BodyDeadlines:
    """The body deadlines of one app's requests, ``seconds`` each, on one timer (module
    docstring). Call :meth:`start` from the event loop's thread."""

    __slots__ = ("_queue", "_timer", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        # Deadlines in arrival order; one whose body is in (no request) is dropped when
        # it reaches the front.
        self._queue: deque[_Due] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        """How many requests the queue still holds (done ones not yet dropped among them)."""
        return len(self._queue)

    def start(self, receive: Receive, send: Send) -> BodyDeadline:
        """A request's ``receive`` and ``send`` with its body due ``seconds`` from now."""
        loop = asyncio.get_running_loop()
        timed = BodyDeadline(receive, send, loop.time() + self.seconds)
        queue = self._queue
        while queue and queue[0].request is None:
            queue.popleft()
        queue.append(timed._due)
        if self._timer is None:
            self._timer = loop.call_at(queue[0].at, self._fire)
        return timed

    def _fire(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        queue = self._queue
        while queue and (queue[0].request is None or queue[0].at <= now):
            request = queue.popleft().request
            if request is not None:
                request.expire()
        if queue:
            self._timer = loop.call_at(queue[0].at, self._fire)
