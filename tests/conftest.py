"""Fixtures every test folder shares.

- An autouse guard refuses any socket connection that is not to loopback (or a Unix
  socket): the tests never reach the network (STYLE.md habit 9).
- The escrow world (a real 3-of-5 ceremony) is made once per session in a folder from
  ``tmp_path_factory``, so pytest removes it with its other temporary folders.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

import tests.escrow.support as escrow_support


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths and abstract names stay on this machine
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost would need a DNS look-up


class NetworkRefused(OSError):
    """A test tried to reach an address that is not on this machine."""


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if not _is_loopback(address):
            raise NetworkRefused(f"tests may only connect to loopback, not {address!r}")
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_loopback(address):
            raise NetworkRefused(f"tests may only connect to loopback, not {address!r}")
        return connect_ex(self, address)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = connect, connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True, scope="session")
def _escrow_world_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    escrow_support.use_folder(tmp_path_factory.mktemp("escrow-world"))


@pytest.fixture(scope="session")
def escrow_world(_escrow_world_folder: None) -> escrow_support.World:
    """The session's 3-of-5 ceremony over three epochs (see tests/escrow/support.py)."""
    return escrow_support.world()
