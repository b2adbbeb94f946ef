"""A deterministic byte source for known-answer tests ONLY (tests/vectors/escrow/).

Production code never uses this module: the functions that accept it take it through a
keyword-only ``_rng`` parameter whose default is libsodium's CSPRNG. Output is SHAKE-256
over a fixed seed and a 64-bit counter, so a vector generator reproduces every random
choice (polynomials, r, t, nonces) exactly.
"""

from __future__ import annotations

import hashlib
import struct

__all__ = ["KatRng"]


class KatRng:
    """Callable ``rng(n) -> n bytes``, deterministic in ``seed``. Not for production use."""

    __slots__ = ("_counter", "_seed")

    def __init__(self, seed: bytes) -> None:
        self._seed = bytes(seed)
        self._counter = 0

    def __call__(self, n: int) -> bytes:
        self._counter += 1
        h = hashlib.shake_256(b"anshim/escrow/kat/v1\x00" + self._seed)
        h.update(struct.pack(">Q", self._counter))
        return h.digest(n)

    def __repr__(self) -> str:
        return "KatRng(<known-answer tests only>)"
