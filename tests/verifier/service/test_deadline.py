"""The body deadline's one timer (verifier.service._deadline.BodyDeadlines): a body not all
in by its deadline is answered 408 and the app told the client is gone, whether the app is
waiting for it then or asks after; a body that is in (or a request the app finished
without reading one) is never answered 408; requests past their deadline are answered in
arrival order by the one timer, which keeps no finished request; a cancellation from
elsewhere still cancels."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from verifier.service._deadline import BodyDeadlines

Message = dict[str, Any]


class Server:
    """One request's server side: ``receive`` waits for what the test puts in
    ``incoming``; ``sent`` collects what the app sends."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[Message] = asyncio.Queue()
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        return await self.incoming.get()

    async def send(self, message: Message) -> None:
        self.sent.append(message)


def chunk(body: bytes, *, more: bool) -> Message:
    return {"type": "http.request", "body": body, "more_body": more}


def statuses(server: Server) -> list[int]:
    return [m["status"] for m in server.sent if m["type"] == "http.response.start"]


def test_a_body_waited_for_past_its_deadline_is_answered_408_and_the_app_told() -> None:
    async def run() -> tuple[list[Message], Server]:
        deadlines = BodyDeadlines(0.05)
        server = Server()
        timed = deadlines.start(server.receive, server.send)
        await server.incoming.put(chunk(b"a", more=True))
        seen = [await timed.receive(), await timed.receive()]  # the second never comes
        await timed.send({"type": "http.response.start", "status": 201, "headers": []})
        return seen, server

    seen, server = asyncio.run(run())
    assert [m["type"] for m in seen] == ["http.request", "http.disconnect"]
    assert statuses(server) == [408]  # the app's own answer afterwards was dropped
    head = dict(server.sent[0]["headers"])
    assert head[b"connection"] == b"close"
    assert json.loads(server.sent[1]["body"])["code"] == "bodyTooSlow"


def test_a_request_past_its_deadline_between_reads_is_refused_at_its_next_read() -> None:
    async def run() -> tuple[Message, Server]:
        deadlines = BodyDeadlines(0.02)
        server = Server()
        timed = deadlines.start(server.receive, server.send)
        await server.incoming.put(chunk(b"a", more=True))
        await timed.receive()
        await asyncio.sleep(0.1)  # the app is busy elsewhere as the deadline passes
        await server.incoming.put(chunk(b"b", more=False))
        return await timed.receive(), server

    message, server = asyncio.run(run())
    assert message["type"] == "http.disconnect"
    assert statuses(server) == [408]


def test_a_body_that_is_in_or_a_finished_request_is_never_answered_408() -> None:
    async def run() -> tuple[list[Server], BodyDeadlines]:
        deadlines = BodyDeadlines(0.05)
        servers = [Server() for _ in range(3)]
        read, unread, streaming = (deadlines.start(s.receive, s.send) for s in servers)
        await servers[0].incoming.put(chunk(b"whole", more=False))
        assert (await read.receive())["body"] == b"whole"
        unread.finish()  # answered without reading a body (a GET)
        await servers[2].incoming.put(chunk(b"", more=False))
        await streaming.receive()
        await asyncio.sleep(0.15)  # every deadline has passed
        # After its body, receive is the server's own: no deadline on the wait for a
        # disconnect while a response streams.
        await servers[2].incoming.put({"type": "http.disconnect"})
        assert (await streaming.receive())["type"] == "http.disconnect"
        return servers, deadlines

    servers, deadlines = asyncio.run(run())
    assert [statuses(s) for s in servers] == [[], [], []]
    assert len(deadlines) == 0


def test_one_timer_answers_late_bodies_in_order_and_keeps_no_finished_request() -> None:
    async def run() -> tuple[list[int], BodyDeadlines]:
        deadlines = BodyDeadlines(0.05)
        refused: list[int] = []

        async def request(i: int, complete: bool) -> None:
            server = Server()
            timed = deadlines.start(server.receive, server.send)
            if complete:
                await server.incoming.put(chunk(b"x", more=False))
            message = await timed.receive()
            if message["type"] == "http.disconnect":
                assert statuses(server) == [408]
                refused.append(i)
            timed.finish()

        tasks = []
        for i in range(40):
            tasks.append(asyncio.ensure_future(request(i, complete=i % 10 != 3)))
            await asyncio.sleep(0.002)
        await asyncio.gather(*tasks)
        return refused, deadlines

    refused, deadlines = asyncio.run(run())
    assert refused == [3, 13, 23, 33]
    assert len(deadlines) == 0


def test_a_cancellation_from_elsewhere_still_cancels_the_wait() -> None:
    async def run() -> Server:
        deadlines = BodyDeadlines(10)
        server = Server()
        timed = deadlines.start(server.receive, server.send)
        waiting = asyncio.ensure_future(timed.receive())
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        return server

    assert statuses(asyncio.run(run())) == []
