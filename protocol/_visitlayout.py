"""The layout of a :class:`~protocol.SealedVisit` payload: the sizes its key table fixes, and
the dedicated reader of the form every venue writes (the registry's upload hot path,
DESIGN.md "Services", Uploads: a batch of 500 records is 500 record decodings).

:func:`read_sealed_visit` reads the deterministic CBOR map of ``protocol/_records.py``'s
key table in one pass and checks every rule of :class:`~protocol.SealedVisit`'s
constructor on the way, so its result needs no second validation. It accepts only the
layout a venue writes: keys 0-11 in order, version 1, a 16-byte visit id, a venue DID of
at most 64 ASCII characters, a day of two bytes (every day since 1970-09-13), times of four
bytes (every time since 1970-01-01T18:12:16Z), a pseudonym of the did:key form, a 16-byte
locator or null, a channel, ``[fever, respiratory]`` or null, an envelope of
:data:`~protocol.ENVELOPE_SIZE` bytes and a 32-byte receipt hash or null. For anything else
it returns ``None`` and the caller takes the generic decoder and the constructor, which
raise the error; so results and errors are the generic path's (a property test compares
both on valid, mutated and arbitrary payloads).
"""

from __future__ import annotations

from did import SECONDS_PER_DAY
from protocol._derive import LOCATOR_SIZE
from protocol._values import ENVELOPE_SIZE, Channel, HealthDeclaration
from protocol.wire import DIGEST_SIZE, MAX_VENUE_DID_CHARS, is_pseudonym, known_did

__all__ = ["MAX_STAY", "MAX_ZONE_OFFSET", "VISIT_ID_SIZE", "SealedFields", "read_sealed_visit"]

VISIT_ID_SIZE = 16
#: The longest visit a record can describe (a time out at most one day after the time in).
MAX_STAY = SECONDS_PER_DAY
#: A record's day is its time in's day in some zone within this many seconds of UTC.
MAX_ZONE_OFFSET = 14 * 3600

#: The fields of a record in :class:`~protocol.SealedVisit`'s attribute order (visit id,
#: venue, day, time in, time out, pseudonym, locator, channel, declaration, envelope,
#: receipt hash), all checked.
SealedFields = tuple[
    bytes,
    str,
    int,
    int,
    int | None,
    str,
    bytes | None,
    Channel,
    HealthDeclaration | None,
    bytes,
    bytes | None,
]


def _bytes_head(size: int) -> bytes:
    # RFC 8949 sections 3.1 and 4.2.1: a byte string's shortest head (sizes below 65536).
    if size < 24:
        return bytes((0x40 | size,))
    if size < 0x100:
        return bytes((0x58, size))
    return bytes((0x59,)) + size.to_bytes(2, "big")


# The map of 12 pairs, key 0 and version 1, key 1 and the visit id's head.
_HEAD = b"\xac\x00\x01\x01" + _bytes_head(VISIT_ID_SIZE)
_HEAD_END = len(_HEAD) + VISIT_ID_SIZE
_LOCATOR = b"\x07" + _bytes_head(LOCATOR_SIZE)
_ENVELOPE = b"\x0a" + _bytes_head(ENVELOPE_SIZE)
_RECEIPT_HASH = b"\x0b" + _bytes_head(DIGEST_SIZE)
_PSEUDONYM = b"\x06\x78\x38"  # key 6, a 56-character text (did:key of an Ed25519 key)
_PSEUDONYM_CHARS = 56
_NULL = 0xF6
_UINT16, _UINT32 = 0x19, 0x1A
_CHANNELS = {int(c): c for c in Channel}
_BOOLS = {0xF4: False, 0xF5: True}
# The four declarations a record can carry, shared (HealthDeclaration is frozen).
_DECLARATIONS = {(f, r): HealthDeclaration(f, r) for f in (False, True) for r in (False, True)}


def read_sealed_visit(data: bytes) -> SealedFields | None:
    """The checked fields of a payload in the layout every venue writes (module docstring),
    or ``None`` for anything else (the generic path then decides). ``data`` must be bytes
    within the payload's size cap."""
    try:
        if not data.startswith(_HEAD):
            return None
        visit_id = data[len(_HEAD) : _HEAD_END]
        pos = _HEAD_END
        if data[pos] != 0x02:
            return None
        ib = data[pos + 1]
        if ib == 0x78:  # text with a one-byte length, which must be 24 or more
            size, pos = data[pos + 2], pos + 3
            if size < 24:
                return None
        elif 0x61 <= ib <= 0x77:  # text of 1 to 23 bytes
            size, pos = ib - 0x60, pos + 2
        else:
            return None
        if size > MAX_VENUE_DID_CHARS:
            return None
        venue = data[pos : pos + size].decode("ascii")
        pos += size
        if not known_did(venue):
            return None
        if data[pos] != 0x03 or data[pos + 1] != _UINT16 or data[pos + 4] != 0x04:
            return None
        day = (data[pos + 2] << 8) | data[pos + 3]
        if day < 0x100 or data[pos + 5] != _UINT32 or data[pos + 10] != 0x05:
            return None
        time_in = int.from_bytes(data[pos + 6 : pos + 10], "big")
        if time_in < 0x10000:
            return None
        pos += 11
        time_out: int | None
        if data[pos] == _NULL:
            time_out, pos = None, pos + 1
        elif data[pos] == _UINT32:
            time_out = int.from_bytes(data[pos + 1 : pos + 5], "big")
            pos += 5
            if not time_in <= time_out <= time_in + MAX_STAY:
                return None
        else:
            return None
        # DESIGN.md's day rule, as the constructor's: the time in's day in some zone.
        earliest = max(0, time_in - MAX_ZONE_OFFSET) // SECONDS_PER_DAY
        if not earliest <= day <= (time_in + MAX_ZONE_OFFSET) // SECONDS_PER_DAY:
            return None
        if data[pos : pos + 3] != _PSEUDONYM:
            return None
        pseudonym = data[pos + 3 : pos + 3 + _PSEUDONYM_CHARS].decode("ascii")
        pos += 3 + _PSEUDONYM_CHARS
        locator: bytes | None
        if data[pos : pos + 2] == _LOCATOR:
            locator = data[pos + 2 : pos + 2 + LOCATOR_SIZE]
            pos += 2 + LOCATOR_SIZE
        elif data[pos] == 0x07 and data[pos + 1] == _NULL:
            locator, pos = None, pos + 2
        else:
            return None
        if data[pos] != 0x08 or data[pos + 2] != 0x09:
            return None
        channel = _CHANNELS.get(data[pos + 1])
        if channel is None:
            return None
        pos += 3
        declaration: HealthDeclaration | None
        if data[pos] == 0x82:
            fever, respiratory = _BOOLS.get(data[pos + 1]), _BOOLS.get(data[pos + 2])
            if fever is None or respiratory is None:
                return None
            declaration = _DECLARATIONS[fever, respiratory]
            pos += 3
        elif data[pos] == _NULL:
            declaration, pos = None, pos + 1
        else:
            return None
        if data[pos : pos + 4] != _ENVELOPE:
            return None
        envelope = data[pos + 4 : pos + 4 + ENVELOPE_SIZE]
        pos += 4 + ENVELOPE_SIZE
        receipt_hash: bytes | None
        if data[pos : pos + 3] == _RECEIPT_HASH:
            receipt_hash = data[pos + 3 : pos + 3 + DIGEST_SIZE]
            pos += 3 + DIGEST_SIZE
        elif data[pos] == 0x0B and data[pos + 1] == _NULL:
            receipt_hash, pos = None, pos + 2
        else:
            return None
        if len(data) != pos:
            return None
    except (IndexError, UnicodeDecodeError):
        return None
    # The channel's rules (SealedVisit's constructor): a wallet's record carries a locator,
    # a receipt hash and a declaration; any other carries neither locator nor receipt hash.
    if channel.wallet:
        if locator is None or receipt_hash is None or declaration is None:
            return None
    elif locator is not None or receipt_hash is not None:
        return None
    # DESIGN.md "Validation at the venue" step 2's rule, checked last as the constructor does.
    if not is_pseudonym(pseudonym):
        return None
    return (
        visit_id,
        venue,
        day,
        time_in,
        time_out,
        pseudonym,
        locator,
        channel,
        declaration,
        envelope,
        receipt_hash,
    )
