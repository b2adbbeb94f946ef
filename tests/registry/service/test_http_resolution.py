"""End to end over a real socket: the registry served by uvicorn on loopback, and did's
Resolver fetching a hosted venue's did:web document over HTTP (the https rule relaxed
for loopback only, by the explicitly named ``unsafe_loopback_http``)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

uvicorn = pytest.importorskip("uvicorn")

from did import HttpTransport, Resolver  # noqa: E402
from did.errors import DidDeactivated  # noqa: E402
from tests.registry.service.support import Registry, make_registry  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Registry]:
    port = _free_port()
    reg = make_registry(tmp_path, public_url=f"https://localhost:{port}")
    config = uvicorn.Config(reg.app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield reg
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        reg.store.close()


def test_a_hosted_venue_resolves_over_http_and_then_reports_deactivated(served: Registry) -> None:
    op = served.register()
    transport = HttpTransport(unsafe_loopback_http=True)
    try:
        resolver = Resolver(transport=transport, cache_ttl=0)
        doc = resolver.resolve_document(op.did)
        assert doc.id == op.did
        key = resolver.verification_key(f"{op.did}#{op.key.public_key.to_multikey()}")
        assert key == op.key.public_key
        registry_doc = resolver.resolve_document(served.app.state.authority.did)
        assert registry_doc.id.startswith("did:web:localhost%3A")
        served.client.post(f"/venues/{op.venue_id}/deactivation", headers=served.admin)
        assert resolver.resolve(op.did).deactivated
        with pytest.raises(DidDeactivated):
            resolver.resolve_document(op.did)
    finally:
        transport.close()


def test_without_the_unsafe_option_loopback_http_is_not_fetched(served: Registry) -> None:
    op = served.register()
    transport = HttpTransport()
    try:
        result = Resolver(transport=transport, cache_ttl=0).resolve(op.did)
        assert result.error is not None
    finally:
        transport.close()
