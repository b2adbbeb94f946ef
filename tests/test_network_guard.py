"""The autouse guard in conftest.py: loopback connects work, anything else is refused."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import NetworkRefused


def test_connecting_outside_loopback_is_refused() -> None:
    with socket.socket() as s, pytest.raises(NetworkRefused, match="only connect to loopback"):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed, and never tried here


def test_loopback_connects() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
