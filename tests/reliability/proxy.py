"""A TCP proxy on loopback that breaks the network between the venue service and the
registry on purpose (asyncio, in a thread of its own; no tests here).

Each new connection is handled by the proxy's mode at the time it is accepted:

* ``pass``: bytes flow both ways untouched;
* ``refuse``: the connection is accepted and closed at once (a dropped connection);
* ``stall``: the request is read and swallowed, nothing is forwarded and nothing comes
  back (a black hole: only the client's own timeout ends it, so a mode change leaves it);
* ``cut_request``: the request's head and the first half of its body reach the registry,
  then both sides are closed (cut mid-request);
* ``cut_response``: the whole request reaches the registry, which commits and answers;
  its answer is thrown away and both sides are closed (the acknowledgement is lost).

Changing the mode also closes every other open connection, so a client's pooled keep-alive
connection meets the new mode on its next request. ``faults`` counts what was done.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter

MODES = ("pass", "refuse", "stall", "cut_request", "cut_response")


class FaultProxy:
    """Listens on 127.0.0.1:<free port> and forwards to 127.0.0.1:``upstream``."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.mode = "pass"
        self.faults: Counter[str] = Counter()
        self.connections = 0
        self.stalls_ended = 0
        self._loop = asyncio.new_event_loop()
        self._open: set[asyncio.StreamWriter] = set()
        self._server: asyncio.AbstractServer | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise TimeoutError("the proxy did not start")

    def set(self, mode: str) -> None:
        """Switch mode and close every open connection."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode}")

        def switch() -> None:
            self.mode = mode
            for writer in list(self._open):
                writer.close()

        self._loop.call_soon_threadsafe(switch)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._open):
                writer.close()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def listen() -> None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()

        self._loop.run_until_complete(listen())
        self._loop.run_forever()
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        mode = self.mode
        upstream: asyncio.StreamWriter | None = None
        if mode != "stall":  # a stalled connection outlives mode changes: the client ends it
            self._open.add(writer)
        try:
            if mode == "refuse":
                self.faults[mode] += 1
                return
            if mode == "stall":
                self.faults[mode] += 1
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(120):
                        while await reader.read(65536):
                            pass  # swallowed until the client gives up
                self.stalls_ended += 1
                return
            up_reader, upstream = await asyncio.open_connection("127.0.0.1", self.upstream)
            self._open.add(upstream)
            if mode == "cut_request":
                part = await _half_request(reader)
                if part:
                    upstream.write(part)
                    await upstream.drain()
                    await asyncio.sleep(0.05)  # let the registry start on the half body
                    self.faults[mode] += 1
                return
            to_upstream = asyncio.ensure_future(_pump(reader, upstream))
            if mode == "cut_response":
                # The answer's first bytes mean the registry has committed: drop them.
                if await up_reader.read(1):
                    self.faults[mode] += 1
                to_upstream.cancel()
                return
            await _pump(up_reader, writer)
            to_upstream.cancel()
        except (ConnectionError, OSError):
            return
        finally:
            for w in (writer, upstream):
                if w is not None:
                    self._open.discard(w)
                    w.close()
                    with contextlib.suppress(ConnectionError, OSError):
                        await w.wait_closed()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()


async def _half_request(reader: asyncio.StreamReader) -> bytes:
    # The head (up to the blank line) and half of the Content-Length body after it.
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await reader.read(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    want = max(1, length // 2)
    while len(body) < want:
        chunk = await reader.read(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body[:want]
