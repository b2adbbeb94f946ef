"""Visit rows as one PostgreSQL binary ``COPY`` payload (PostgreSQL 15 documentation, COPY,
"Binary Format"), built in one pass per batch for :mod:`registry._postgres`.

The payload is the 11-byte signature, a zero flags field and a zero header-extension
length, then per row a 16-bit field count and per field a 32-bit length (-1 for NULL)
followed by the value in the type's binary send format (``int2``/``int4``/``int8``
big-endian, ``bytea`` its bytes, ``text`` its UTF-8 bytes), then a 16-bit -1 trailer. The
column types are the ``visits`` table's (:data:`registry._store.COLUMNS` order); the
server refuses the whole COPY if one does not match.

Each row is packed by one :class:`struct.Struct` made for its shape (the lengths of its
variable fields and which of them are NULL); a batch has a handful of shapes, so the
structs are cached and a row costs one ``pack`` instead of thirteen field writes.
:func:`visits_chunks` makes the payload in pieces, so that the client makes the next
piece while the server stores the last one (the two share a batch's time otherwise).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

__all__ = ["COPY_SIGNATURE", "COPY_TRAILER", "visits_chunks", "visits_payload"]

COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
COPY_TRAILER = b"\xff\xff"
_FIELDS = 13


@lru_cache(maxsize=256)
def _shape(
    venue: int, time_out: bool, pseudonym: int, locator: int, decl: bool, envelope: int, rh: int
) -> struct.Struct:
    # Lengths of variable fields; -1 stands for NULL (only the nullable columns take it).
    fmt = ["!h"]
    fmt.append(f"i{venue}s")  # venue text
    fmt.append("ii")  # day int4
    fmt.append("i16s")  # visit_id bytea (16 bytes, checked by SealedVisit)
    fmt.append("iq")  # time_in int8
    fmt.append("iq" if time_out else "i")  # time_out int8 or NULL
    fmt.append(f"i{pseudonym}s")  # pseudonym text
    fmt.append(f"i{locator}s" if locator >= 0 else "i")  # locator bytea or NULL
    fmt.append("ih")  # channel int2
    fmt.append("ih" if decl else "i")  # declaration int2 or NULL
    fmt.append(f"i{envelope}s")  # envelope bytea
    fmt.append(f"i{rh}s" if rh >= 0 else "i")  # receipt_hash bytea or NULL
    fmt.append("ih")  # version int2
    fmt.append("i64s")  # signature bytea (64 bytes, checked by StoredVisit)
    return struct.Struct("".join(fmt))


def visits_payload(rows: Iterable[tuple[Any, ...]]) -> bytes:
    """The binary COPY payload of visit rows (:func:`registry._store.to_row` layout),
    signature and trailer included."""
    return b"".join(visits_chunks(rows, chunk=1 << 30))


def visits_chunks(rows: Iterable[tuple[Any, ...]], chunk: int = 64) -> Iterator[bytes]:
    """The same payload in pieces of ``chunk`` rows (the signature with the first, the
    trailer after the last), made as they are asked for: the server stores one piece
    while the next is made."""
    parts = [COPY_SIGNATURE]
    append = parts.append
    pending = 0
    for venue, day, vid, tin, tout, pseud, loc, channel, decl, env, rh, version, sig in rows:
        v = venue.encode()
        p = pseud.encode()
        shape = _shape(
            len(v),
            tout is not None,
            len(p),
            -1 if loc is None else len(loc),
            decl is not None,
            len(env),
            -1 if rh is None else len(rh),
        )
        values: list[Any] = [_FIELDS, len(v), v, 4, day, 16, vid, 8, tin]
        values += (8, tout) if tout is not None else (-1,)
        values += (len(p), p)
        values += (len(loc), loc) if loc is not None else (-1,)
        values += (2, channel)
        values += (2, decl) if decl is not None else (-1,)
        values += (len(env), env)
        values += (len(rh), rh) if rh is not None else (-1,)
        values += (2, version, 64, sig)
        append(shape.pack(*values))
        pending += 1
        if pending == chunk:
            yield b"".join(parts)
            parts.clear()
            pending = 0
    append(COPY_TRAILER)
    yield b"".join(parts)
