"""The binary COPY payload of visit rows, read back by an independent decoder written from
the PostgreSQL 15 documentation (COPY, "Binary Format"); the store suite checks that a real
server accepts it and returns the same records."""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from registry._pgcopy import visits_chunks, visits_payload

# Each column's binary send format: network-order integers, bytea and text as their bytes.
_TYPES = ("text", "i", "b", "q", "q", "text", "b", "h", "h", "b", "b", "h", "b")
_INT = {"h": 2, "i": 4, "q": 8}


def decode(payload: bytes) -> list[tuple[Any, ...]]:
    assert payload[:11] == b"PGCOPY\n\xff\r\n\x00"
    flags, extension = struct.unpack_from("!ii", payload, 11)
    assert (flags, extension) == (0, 0)
    pos, rows = 19, []
    while True:
        (count,) = struct.unpack_from("!h", payload, pos)
        pos += 2
        if count == -1:
            assert pos == len(payload)
            return rows
        assert count == len(_TYPES)
        row: list[Any] = []
        for kind in _TYPES:
            (size,) = struct.unpack_from("!i", payload, pos)
            pos += 4
            if size == -1:
                row.append(None)
                continue
            value = payload[pos : pos + size]
            pos += size
            if kind in _INT:
                assert size == _INT[kind]
                row.append(struct.unpack("!" + kind, value)[0])
            else:
                row.append(value.decode() if kind == "text" else value)
        rows.append(tuple(row))


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


rows = st.tuples(
    st.text(min_size=1, max_size=80),  # venue
    st.integers(0, 2**31 - 1),  # day
    st.binary(min_size=16, max_size=16),  # visit id
    st.integers(0, 2**40),  # time in
    _maybe(st.integers(0, 2**40)),  # time out
    st.text(min_size=1, max_size=64),  # pseudonym
    _maybe(st.binary(min_size=16, max_size=16)),  # locator
    st.integers(0, 10),  # channel
    _maybe(st.integers(0, 3)),  # declaration
    st.binary(max_size=600),  # envelope
    _maybe(st.binary(min_size=32, max_size=32)),  # receipt hash
    st.integers(1, 3),  # version
    st.binary(min_size=64, max_size=64),  # signature
)


@given(st.lists(rows, max_size=30))
def test_payload_reads_back_as_the_rows(batch: list[tuple[Any, ...]]) -> None:
    assert decode(visits_payload(batch)) == batch


def test_empty_payload_is_signature_and_trailer() -> None:
    assert visits_payload([]) == b"PGCOPY\n\xff\r\n\x00" + bytes(8) + b"\xff\xff"


@given(st.lists(rows, max_size=30), st.integers(1, 12))
def test_pieces_make_the_payload_each_with_whole_rows(
    batch: list[tuple[Any, ...]], chunk: int
) -> None:
    pieces = list(visits_chunks(iter(batch), chunk=chunk))
    assert b"".join(pieces) == visits_payload(batch)
    assert len(pieces) == len(batch) // chunk + 1  # the last one holds the trailer
    # Every piece but the last ends on a row's end: the rows before it decode alone.
    for n in range(1, len(pieces)):
        head = b"".join(pieces[:n])
        assert decode(head + b"\xff\xff") == batch[: n * chunk]
