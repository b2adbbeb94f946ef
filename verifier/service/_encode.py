"""The outbox's encoder of the record it stores: a :class:`~protocol.SealedVisit` as the
deterministic CBOR of its key table (``protocol/_records.py``), written directly.

Every admitted check-in stores its record once (the outbox and the open visit share the
bytes), on the event loop's thread, so the generic encoder's walk over a map of twelve
entries (``did.cbor.encode``: a type dispatch and a head per item, the keys sorted) is a
visible share of a check-in's time there. The record's layout is fixed: keys 0-11 in
order, one byte each, and every value's type checked by the record's constructor; so the
map is written as its items' heads and bytes (RFC 8949 section 4.2.1: shortest heads,
keys in order of their encodings). The bytes are ``record.to_cbor()``'s: a property test
compares both over every channel and every optional field, and :func:`record_bytes`
leaves a record it was not written for (another version) to the generic encoder.
"""

from __future__ import annotations

from protocol import MAX_SEALED_VISIT_MESSAGE, Channel, SealedVisit

__all__ = ["record_bytes"]

_MAP_HEAD = b"\xac"  # a map of 12 pairs
_NULL = b"\xf6"
_BOOLS = {
    (f, r): bytes((0x82, 0xF5 if f else 0xF4, 0xF5 if r else 0xF4))
    for f in (False, True)
    for r in (False, True)
}
_CHANNELS = {channel: bytes((0x08, int(channel))) for channel in Channel}
# The COSE framing around a record's payload when the uploader signs it (76 bytes at
# most), which the format's cap on the signed message leaves out of the payload's cap.
_MAX_PAYLOAD = MAX_SEALED_VISIT_MESSAGE - 76


def _head(major: int, arg: int) -> bytes:
    # The shortest head; the record's constructor bounds every value below 2^32.
    mt = major << 5
    if arg < 24:
        return bytes((mt | arg,))
    if arg < 0x100:
        return bytes((mt | 24, arg))
    if arg < 0x10000:
        return bytes((mt | 25,)) + arg.to_bytes(2, "big")
    return bytes((mt | 26,)) + arg.to_bytes(4, "big")


def _text(value: str) -> bytes:
    data = value.encode("utf-8")
    return _head(3, len(data)) + data


def _optional_bytes(value: bytes | None) -> bytes:
    return _NULL if value is None else _head(2, len(value)) + value


def record_bytes(record: SealedVisit) -> bytes:
    """``record.to_cbor()``, written directly for the layout of version 1.

    Raises:
        OversizeMessage: as ``record.to_cbor()`` (never for a record the constructor
            accepted: the format's cap holds).
    """
    if record.version != 1:
        return record.to_cbor()
    declaration = record.declaration
    time_out = record.time_out
    data = b"".join(
        (
            _MAP_HEAD,
            b"\x00\x01\x01\x50",  # key 0: version 1; key 1: 16 bytes follow
            record.visit_id,
            b"\x02",
            _text(record.venue),
            b"\x03",
            _head(0, record.day),
            b"\x04",
            _head(0, record.time_in),
            b"\x05",
            _NULL if time_out is None else _head(0, time_out),
            b"\x06",
            _text(record.pseudonym),
            b"\x07",
            _optional_bytes(record.locator),
            _CHANNELS[record.channel],
            b"\x09",
            _NULL if declaration is None else _BOOLS[declaration.fever, declaration.respiratory],
            b"\x0a",
            _head(2, len(record.envelope)),
            record.envelope,
            b"\x0b",
            _optional_bytes(record.receipt_hash),
        )
    )
    if len(record.visit_id) != 16 or len(data) > _MAX_PAYLOAD:
        return record.to_cbor()  # the generic encoder decides (and raises)
    return data
