"""The file ``anshim registry import`` reads: upload batches as a venue service sends them.

One deterministic CBOR map (RFC 8949 section 4.2.1)::

    {0: 1,                      ; format version
     1: [[record, …], …]}      ; batches, each an array of signed SealedVisit messages
                               ; (COSE_Sign1 byte strings, protocol/_records.py)

Each batch is stored all or nothing, in file order. The decoder is strict (size cap,
depth cap, exact key set and types) and refuses any other shape before anything is stored.
"""

from __future__ import annotations

from collections.abc import Sequence

from did import cbor
from did.errors import DecodeError
from protocol import MAX_SEALED_VISIT_MESSAGE
from registry._store import MAX_BATCH
from registry.errors import InvalidBatch

__all__ = ["BATCH_FILE_VERSION", "MAX_BATCH_FILE", "decode_batch_file", "encode_batch_file"]

BATCH_FILE_VERSION = 1
#: The largest import file (read whole into memory): 256 MiB, some 400,000 records.
MAX_BATCH_FILE = 256 << 20


def encode_batch_file(batches: Sequence[Sequence[bytes]]) -> bytes:
    """The file form of ``batches``.

    Raises:
        InvalidBatch: an empty batch, one over MAX_BATCH records, or a record that is not
            bytes of at most MAX_SEALED_VISIT_MESSAGE.
    """
    out = [_batch(list(b)) for b in batches]
    return cbor.encode({0: BATCH_FILE_VERSION, 1: out})


def _batch(batch: object) -> list[bytes]:
    if type(batch) is not list or not 1 <= len(batch) <= MAX_BATCH:
        raise InvalidBatch(f"a batch is an array of 1 to {MAX_BATCH} records")
    for record in batch:
        if type(record) is not bytes or len(record) > MAX_SEALED_VISIT_MESSAGE:
            raise InvalidBatch(f"a record is a byte string of at most {MAX_SEALED_VISIT_MESSAGE}")
    return batch


def decode_batch_file(data: bytes) -> list[list[bytes]]:
    """The batches of a file (records not yet parsed: see :class:`~registry.StoredVisit`).

    Raises:
        InvalidBatch: a file over MAX_BATCH_FILE bytes, not CBOR, or not of the layout in
            the module docstring.
    """
    if type(data) is not bytes or len(data) > MAX_BATCH_FILE:
        raise InvalidBatch(f"a batch file is bytes of at most {MAX_BATCH_FILE}")
    try:
        m = cbor.decode(data, max_size=MAX_BATCH_FILE, max_depth=4)
    except DecodeError as exc:
        raise InvalidBatch(f"not a batch file: {exc.message}") from exc
    if type(m) is not dict or m.keys() != {0, 1} or m[0] != BATCH_FILE_VERSION:
        raise InvalidBatch(f"not a version-{BATCH_FILE_VERSION} batch file")
    if type(m[1]) is not list:
        raise InvalidBatch("a batch file holds an array of batches")
    return [_batch(b) for b in m[1]]
