"""The venue's upload batch (DESIGN.md "Services", the registry's uploads).

A venue service sends its :class:`~protocol.SealedVisit` records to the registry in
batches. An :class:`UploadBatch` is one COSE_Sign1 by the venue's *current* key over the
records, so the registry checks one signature per batch, not one per record. Each record
inside is the venue-signed SealedVisit message itself (the registry keeps those signed
bytes, ``protocol/_records.py``); the batch signature, by the same venue, covers them.

Key table (deterministic CBOR map):

===  ==========================================================================
key  UploadBatch
===  ==========================================================================
0    version (1)
1    venue DID (every record of the batch must be this venue's)
2    batch id (16 random bytes; the venue's retry sends the same id)
3    issued (Unix seconds)
4    records: an array of 1 to :data:`MAX_BATCH_RECORDS` byte strings, each a
     signed SealedVisit message of at most :data:`~protocol.MAX_SEALED_VISIT_MESSAGE`
===  ==========================================================================

Decoding is the strict decoder every message uses (size cap first, depth, no tags, exact
key set); :meth:`UploadBatch.open_records` then parses every record strictly and refuses a
record of another venue with :class:`~protocol.errors.ForeignRecord`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from protocol._records import MAX_SEALED_VISIT_MESSAGE, SealedVisit
from protocol.errors import ForeignRecord
from protocol.wire import (
    MAX_VENUE_DID_CHARS,
    PROTOCOL_VERSION,
    KeySource,
    Signed,
    check_now,
    check_skew,
    did_value,
    fail,
    fixed_bytes,
    not_in_future,
    resolve_key,
    time_value,
    version_value,
)

__all__ = ["BATCH_ID_SIZE", "MAX_BATCH_RECORDS", "MAX_UPLOAD_BATCH_MESSAGE", "UploadBatch"]

BATCH_ID_SIZE = 16
#: The most records one batch carries.
MAX_BATCH_RECORDS = 1000
# Each record costs at most its message and a 3-byte string head; 256 bytes cover the
# map, the venue DID, the id, the time and the COSE wrapping.
MAX_UPLOAD_BATCH_MESSAGE = MAX_BATCH_RECORDS * (MAX_SEALED_VISIT_MESSAGE + 3) + 256


def _records_from_wire(item: Any, what: str, name: str) -> tuple[bytes, ...]:
    if type(item) is not list:
        raise fail(what, f"{name} must be an array")
    return tuple(item)


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadBatch(Signed):
    """A batch of signed SealedVisit records from one venue (key table in the module
    docstring).

    Raises (on construction and decoding):
        MalformedMessage: a field of the wrong type or range, no records, more than
            :data:`MAX_BATCH_RECORDS`, or a record that is not bytes of at most
            :data:`~protocol.MAX_SEALED_VISIT_MESSAGE`.
        UnsupportedVersion: ``version`` is not 1.
        OversizeMessage: a batch over :data:`MAX_UPLOAD_BATCH_MESSAGE` (signing, decoding).
    """

    venue: str
    batch_id: bytes
    issued: int
    records: tuple[bytes, ...]
    version: int = PROTOCOL_VERSION

    _WHAT: ClassVar[str] = "UploadBatch"
    _KEYS: ClassVar[frozenset[int]] = frozenset(range(5))
    _MAX_CBOR: ClassVar[int] = MAX_UPLOAD_BATCH_MESSAGE - 76
    _MAX_MESSAGE: ClassVar[int] = MAX_UPLOAD_BATCH_MESSAGE
    _AAD_NAME: ClassVar[bytes] = b"UploadBatch"

    def _to_map(self) -> dict[int, Any]:
        return {
            0: self.version,
            1: self.venue,
            2: self.batch_id,
            3: self.issued,
            4: list(self.records),
        }

    @classmethod
    def _from_map(cls, m: dict[int, Any]) -> Self:
        return cls(
            venue=m[1],
            batch_id=m[2],
            issued=m[3],
            records=_records_from_wire(m[4], cls._WHAT, "records"),
            version=m[0],
        )

    def __post_init__(self) -> None:
        w = self._WHAT
        version_value(self.version, w)
        did_value(self.venue, w, "venue", MAX_VENUE_DID_CHARS)
        fixed_bytes(self.batch_id, w, "batch_id", BATCH_ID_SIZE)
        time_value(self.issued, w, "issued")
        records = self.records
        if type(records) is not tuple:
            if not isinstance(records, list):
                raise fail(w, "records must be a sequence of signed records")
            records = tuple(records)
            object.__setattr__(self, "records", records)
        if not 1 <= len(records) <= MAX_BATCH_RECORDS:
            raise fail(w, f"a batch holds 1 to {MAX_BATCH_RECORDS} records")
        for record in records:
            if type(record) is not bytes or len(record) > MAX_SEALED_VISIT_MESSAGE:
                raise fail(w, f"records must be bytes of at most {MAX_SEALED_VISIT_MESSAGE}")

    @classmethod
    def verify(cls, data: bytes, key: KeySource, *, now: int, max_skew: int = 300) -> Self:
        """Check a batch's signature by the venue's key; refuse one issued in the future.

        ``key`` is the venue's current key, or a look-up from the venue DID to it (the
        registry's: an unknown or deactivated venue raises ``LookupError`` there, which
        becomes :class:`~protocol.errors.UnknownKey`). The records are not opened: call
        :meth:`open_records` next.

        Raises:
            OversizeMessage, BadAlgorithm, MalformedMessage, UnsupportedVersion: decoding.
            UnknownKey: the look-up knows no key for the venue.
            BadSignature: not signed by the venue's key.
            ClockSkew: ``issued`` later than ``now + max_skew``.
            InputError: ``now`` or ``max_skew`` is not a valid int.
        """
        now, max_skew = check_now(now), check_skew(max_skew)
        parsed, batch = cls.parse_unverified(data)
        cls.check_signature(parsed, resolve_key(key, batch.venue, cls._WHAT))
        not_in_future(batch.issued, now, max_skew, cls._WHAT, "issued")
        return batch

    def open_records(self) -> list[tuple[SealedVisit, bytes]]:
        """Parse every record strictly (without checking its own signature: the batch
        signature vouches for it) and check that it is this batch's venue's; each record
        comes with its 64-byte venue signature (``protocol/_records.py``: storage keeps the
        signed bytes).

        The framing :meth:`~protocol.wire.Signed.sign` writes is opened directly and its
        payload read by :meth:`SealedVisit.from_cbor`'s one-pass reader; anything else goes
        through :meth:`SealedVisit.parse_unverified`, which raises the error (the results
        and errors are the same either way; a property test compares them).

        Raises:
            OversizeMessage, BadAlgorithm, MalformedMessage, UnsupportedVersion,
            BadPseudonym, BadEnvelope: a record that does not decode.
            ForeignRecord: a record of another venue.
        """
        out = []
        venue = self.venue
        for record in self.records:
            opened = SealedVisit._open_framed(record)
            if opened is None:
                parsed, visit = SealedVisit.parse_unverified(record)
                signature = parsed.signature
            else:
                visit, _, signature = opened
            if visit.venue != venue:
                raise ForeignRecord(f"{self._WHAT}: a record of another venue is in the batch")
            out.append((visit, signature))
        return out
