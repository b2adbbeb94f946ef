"""What a validated visit produces (DESIGN.md "Validation at the venue" step 6).

* :class:`VisitReceipt`: the venue's signed acknowledgement, kept in the wallet's diary.
* :class:`SealedVisit`: the record the venue uploads to the registry, the same for every
  channel (DESIGN.md "Other channels, one record"). It is signed by the venue key too, so
  the registry can refuse records a venue did not make and an investigator can later show
  which venue vouched for a record; storage keeps the signed bytes. A check-out re-signs
  the record with the same ``visit_id`` and a ``time_out``; the registry replaces the record
  idempotently by visit id.

Key tables (deterministic CBOR maps):

===  =====================================  ================================================
key  VisitReceipt                           SealedVisit
===  =====================================  ================================================
0    version (1)                            version (1)
1    venue DID                              visit id (16 bytes)
2    pseudonym (Ed25519 did:key)            venue DID
3    time in (Unix seconds)                 day (escrow epoch, :func:`did.day_of`)
4    time out, or null                      time in
5    visit id (16 bytes)                    time out, or null
6    check-in hash (SHA-256, 32 bytes)      pseudonym (Ed25519 did:key)
7    channel (:class:`Channel`, wallet)     locator (16 bytes), null unless a wallet channel
8                                           channel (:class:`Channel`)
9                                           declaration ``[fever, respiratory]`` or null
10                                          envelope (:data:`ENVELOPE_SIZE` bytes)
11                                          receipt hash (32 bytes), null unless a wallet
                                            channel
===  =====================================  ================================================

The check-in hash is :func:`~protocol.digest` of the check-in presentation that opened
the visit (a check-out receipt keeps it).

A record names its envelope by :attr:`SealedVisit.envelope_id` (hex SHA-256 of the envelope
bytes, escrow's ``Envelope.envelope_id``): warrants and the audit log cite records by it,
and since every sealing draws a fresh ephemeral key and nonce, no two genuine visits share
it. A holder-shown code relayed to a second venue (photographed and shown there within its
lifetime, DESIGN.md "Venue codes" 3) carries the very same envelope, so the registry keeps
one record per envelope id: it accepts the first upload, refuses any later one from another
venue, and flags both venues' records as a relay. The time in is the check-in's ``issued_at``: it is
bound into the envelope's label (escrow ``VisitLabel(venue, day, pseudonym, time_in)``), so
custodians can recompute the label from this record. Channels without a wallet (SMS, call,
assisted entry) still carry an Ed25519 ``did:key`` pseudonym, which the venue generates for
that visit, so every record has the same shape and label.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import ClassVar, Self

from did import SECONDS_PER_DAY, Ed25519PrivateKey
from did.errors import InvalidKey
from protocol._checkin import CheckIn
from protocol._derive import LOCATOR_SIZE
from protocol._values import (
    ANY_VENUE,
    ENVELOPE_SIZE,
    Channel,
    HealthDeclaration,
    Kind,
    declaration_field,
)
from protocol._visitlayout import MAX_STAY, MAX_ZONE_OFFSET, VISIT_ID_SIZE, read_sealed_visit
from protocol.errors import BadEnvelope, OversizeMessage
from protocol.wire import (
    DIGEST_SIZE,
    MAX_VENUE_DID_CHARS,
    PROTOCOL_VERSION,
    Field,
    KeySource,
    Signed,
    check_now,
    check_skew,
    decode_map,
    did_value,
    enum_field,
    enum_value,
    fail,
    fixed_bytes,
    not_in_future,
    pseudonym_value,
    resolve_key,
    time_value,
    uint,
    version_value,
)

__all__ = [
    "MAX_RECEIPT_MESSAGE",
    "MAX_SEALED_VISIT_MESSAGE",
    "MAX_STAY",
    "VISIT_ID_SIZE",
    "SealedVisit",
    "VisitReceipt",
]

MAX_RECEIPT_MESSAGE = 300
MAX_SEALED_VISIT_MESSAGE = 800


def _head(major: int, arg: int) -> bytes:
    # RFC 8949 section 4.2.1: the shortest argument (the format's values are below 2^32).
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


# The receipt's map head (8 pairs) and its keys 0-7, which are single bytes 0x00-0x07.
_RECEIPT_HEAD = b"\xa8\x00"
_NULL = b"\xf6"
# Key 7 and each channel's number (all below 24, so one byte each).
_CHANNEL_PAIRS = {channel: bytes((0x07, channel)) for channel in Channel}
# A SealedVisit's channel (key 8) and its declaration's [fever, respiratory] array.
_VISIT_CHANNEL_PAIRS = {channel: bytes((0x08, channel)) for channel in Channel}
_DECLARATIONS = {
    HealthDeclaration(fever, respiratory): bytes(
        (0x82, 0xF5 if fever else 0xF4, 0xF5 if respiratory else 0xF4)
    )
    for fever in (False, True)
    for respiratory in (False, True)
}


@functools.lru_cache(maxsize=64)
def _receipt_prefix(venue: str) -> bytes:
    # Every receipt a venue signs starts alike: the map head, version 1, key 1 and the
    # venue's DID, key 2 (a venue service hosts a few venues; bounded).
    return _RECEIPT_HEAD + _head(0, PROTOCOL_VERSION) + b"\x01" + _text(venue) + b"\x02"


def _check_day(day: object, time_in: int, what: str) -> int:
    # The time in's day in some zone within ±14 h of UTC (did.day_of with that offset).
    checked = uint(day, what, "day", 2**32 - 1)
    earliest = max(0, time_in - MAX_ZONE_OFFSET) // SECONDS_PER_DAY
    if not earliest <= checked <= (time_in + MAX_ZONE_OFFSET) // SECONDS_PER_DAY:
        raise fail(what, "day is not the day of time_in in any zone within ±14 h")
    return checked


def _check_checkin(checkin: object, what: str) -> None:
    # The record constructors' one input that is not checked field by field: a decoded or
    # built CheckIn (its constructor checked every field) that starts a visit.
    if type(checkin) is not CheckIn or checkin.kind is not Kind.CHECK_IN:
        raise fail(what, "needs a check-in (a CheckIn of kind CHECK_IN)")


def _check_receipt_inputs(
    checkin: object, venue: object, visit_id: object, checkin_hash: object, what: str
) -> None:
    # What the signed receipt of a check-in is made from (VisitReceipt.sign_for_checkin and
    # SealedVisit.admit), checked before anything is signed.
    _check_checkin(checkin, what)
    did_value(venue, what, "venue", MAX_VENUE_DID_CHARS)
    fixed_bytes(visit_id, what, "visit_id", VISIT_ID_SIZE)
    fixed_bytes(checkin_hash, what, "checkin_hash", DIGEST_SIZE)


def _time_out(time_in: int, time_out: object, what: str) -> None:
    if time_out is not None:
        out = time_value(time_out, what, "time_out")
        if not time_in <= out <= time_in + MAX_STAY:
            raise fail(what, f"time_out must be within {MAX_STAY} s after time_in")


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitReceipt(Signed):
    """The venue's signed acknowledgement of a visit (key table in the module docstring).

    Raises (on construction and decoding):
        MalformedMessage: a field of the wrong type or range, or a channel without a wallet.
        UnsupportedVersion: ``version`` is not 1.
        BadPseudonym: ``pseudonym`` is not an Ed25519 did:key.
    """

    venue: str
    pseudonym: str
    time_in: int
    time_out: int | None
    visit_id: bytes
    checkin_hash: bytes
    channel: Channel
    version: int = PROTOCOL_VERSION

    _WHAT: ClassVar[str] = "VisitReceipt"
    _FIELDS: ClassVar[tuple[Field, ...]] = (
        Field(1, "venue"),
        Field(2, "pseudonym"),
        Field(3, "time_in"),
        Field(4, "time_out"),
        Field(5, "visit_id"),
        Field(6, "checkin_hash"),
        enum_field(7, "channel", Channel),
    )
    _MAX_CBOR: ClassVar[int] = MAX_RECEIPT_MESSAGE - 76
    _MAX_MESSAGE: ClassVar[int] = MAX_RECEIPT_MESSAGE
    _AAD_NAME: ClassVar[bytes] = b"VisitReceipt"

    def __post_init__(self) -> None:
        w = self._WHAT
        version_value(self.version, w)
        did_value(self.venue, w, "venue", MAX_VENUE_DID_CHARS)
        time_value(self.time_in, w, "time_in")
        _time_out(self.time_in, self.time_out, w)
        fixed_bytes(self.visit_id, w, "visit_id", VISIT_ID_SIZE)
        fixed_bytes(self.checkin_hash, w, "checkin_hash", DIGEST_SIZE)
        channel = enum_value(Channel, self.channel, w, "channel")
        if not channel.wallet:
            raise fail(w, "receipts are issued only on wallet channels")
        object.__setattr__(self, "channel", channel)
        pseudonym_value(self.pseudonym, w)

    @classmethod
    def for_checkin(
        cls, checkin: CheckIn, *, venue: str, visit_id: bytes, checkin_hash: bytes
    ) -> Self:
        """The receipt of an admitted check-in (DESIGN.md "Validation at the venue" step 6):
        for ``venue``, with the check-in's pseudonym, time in (its ``issued_at``) and
        channel, no time out, the visit's id and ``checkin_hash`` (:func:`~protocol.digest`
        of the presentation).

        The fields that come from ``checkin`` were checked by its constructor, so only the
        others are checked here: this is the venue's hot path, and the result is the one the
        public constructor builds (a property test holds them equal).

        Raises:
            MalformedMessage: ``checkin`` is not a :class:`~protocol.CheckIn` check-in, or
                ``venue``, ``visit_id`` or ``checkin_hash`` is malformed.
        """
        w = cls._WHAT
        _check_checkin(checkin, w)
        receipt = object.__new__(cls)
        put = object.__setattr__
        put(receipt, "venue", did_value(venue, w, "venue", MAX_VENUE_DID_CHARS))
        put(receipt, "pseudonym", checkin.pseudonym)
        put(receipt, "time_in", checkin.issued_at)
        put(receipt, "time_out", None)
        put(receipt, "visit_id", fixed_bytes(visit_id, w, "visit_id", VISIT_ID_SIZE))
        put(receipt, "checkin_hash", fixed_bytes(checkin_hash, w, "checkin_hash", DIGEST_SIZE))
        put(receipt, "channel", checkin.channel)
        put(receipt, "version", PROTOCOL_VERSION)
        return receipt

    @classmethod
    def sign_for_checkin(
        cls,
        checkin: CheckIn,
        *,
        venue: str,
        visit_id: bytes,
        checkin_hash: bytes,
        key: Ed25519PrivateKey,
    ) -> bytes:
        """The signed receipt of an admitted check-in: the bytes ``for_checkin(checkin,
        venue=venue, visit_id=visit_id, checkin_hash=checkin_hash).sign(key)`` makes,
        written straight from the check-in without building the receipt (the venue signs
        one per check-in; a property test holds the two equal).

        Raises:
            MalformedMessage: as :meth:`for_checkin`.
            InvalidKey: if ``key`` is not an :class:`~did.Ed25519PrivateKey`.
        """
        w = cls._WHAT
        _check_receipt_inputs(checkin, venue, visit_id, checkin_hash, w)
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidKey("signing needs an Ed25519PrivateKey")
        # to_cbor's layout with no time out (key 4 null).
        payload = b"".join(
            (
                _receipt_prefix(venue),
                _text(checkin.pseudonym),
                b"\x03",
                _head(0, checkin.issued_at),
                b"\x04\xf6\x05\x50",
                visit_id,
                b"\x06\x58\x20",
                checkin_hash,
                _CHANNEL_PAIRS[checkin.channel],
            )
        )
        return cls._sign_payload(payload, key)

    def to_cbor(self) -> bytes:
        """The receipt as deterministic CBOR (RFC 8949 section 4.2.1).

        The venue signs one receipt per check-in, so the fixed layout of the key table
        (integer keys 0-7 in order, each one byte; every value's type fixed by the
        constructor) is written directly; the bytes are those of :func:`did.cbor.encode`
        of the map (a property test holds them equal).

        Raises:
            OversizeMessage: never for a valid receipt (the format's cap holds).
        """
        time_out = self.time_out
        data = b"".join(
            (
                _receipt_prefix(self.venue),
                _text(self.pseudonym),
                b"\x03",
                _head(0, self.time_in),
                b"\x04",
                _NULL if time_out is None else _head(0, time_out),
                b"\x05\x50",  # a 16-byte string (VISIT_ID_SIZE)
                self.visit_id,
                b"\x06\x58\x20",  # a 32-byte string (DIGEST_SIZE)
                self.checkin_hash,
                _CHANNEL_PAIRS[self.channel],
            )
        )
        if len(data) > self._MAX_CBOR:
            raise OversizeMessage(f"{self._WHAT}: {len(data)} bytes exceeds {self._MAX_CBOR}")
        return data

    @classmethod
    def verify(cls, data: bytes, key: KeySource, *, now: int, max_skew: int = 300) -> Self:
        """Check a receipt's venue signature; refuse one dated in the future.

        ``key`` is the venue's key, or a look-up from the venue DID to its key.

        Raises:
            OversizeMessage, BadAlgorithm, MalformedMessage, UnsupportedVersion,
            BadPseudonym: decoding.
            UnknownKey: the look-up knows no key for the venue.
            BadSignature: not signed by the venue key.
            ClockSkew: a time in or time out later than ``now + max_skew``.
            InputError: ``now`` or ``max_skew`` is not a valid int.
        """
        now, max_skew = check_now(now), check_skew(max_skew)
        parsed, receipt = cls.parse_unverified(data)
        cls.check_signature(parsed, resolve_key(key, receipt.venue, cls._WHAT))
        latest = receipt.time_in if receipt.time_out is None else receipt.time_out
        not_in_future(latest, now, max_skew, cls._WHAT, "time")
        return receipt


@dataclass(frozen=True, slots=True, kw_only=True)
class SealedVisit(Signed):
    """The record a venue sends to the registry (key table in the module docstring).

    ``day`` must be the time in's day in some zone within ±14 h of UTC (the epoch-key
    directory fixes the zone; see :func:`did.day_of`). Wallet channels carry a
    locator, a receipt hash and a declaration; other channels carry no locator and no
    receipt hash, and may carry a declaration taken by staff.

    Raises (on construction and decoding):
        MalformedMessage: a field of the wrong type or range, or fields that do not fit
            the channel.
        UnsupportedVersion: ``version`` is not 1.
        BadPseudonym: ``pseudonym`` is not an Ed25519 did:key.
        BadEnvelope: an envelope that is not exactly :data:`ENVELOPE_SIZE` bytes.
    """

    visit_id: bytes
    venue: str
    day: int
    time_in: int
    time_out: int | None
    pseudonym: str
    locator: bytes | None
    channel: Channel
    declaration: HealthDeclaration | None
    envelope: bytes
    receipt_hash: bytes | None
    version: int = PROTOCOL_VERSION

    _WHAT: ClassVar[str] = "SealedVisit"
    _FIELDS: ClassVar[tuple[Field, ...]] = (
        Field(1, "visit_id"),
        Field(2, "venue"),
        Field(3, "day"),
        Field(4, "time_in"),
        Field(5, "time_out"),
        Field(6, "pseudonym"),
        Field(7, "locator"),
        enum_field(8, "channel", Channel),
        declaration_field(9),
        Field(10, "envelope"),
        Field(11, "receipt_hash"),
    )
    _MAX_CBOR: ClassVar[int] = MAX_SEALED_VISIT_MESSAGE - 76
    _MAX_MESSAGE: ClassVar[int] = MAX_SEALED_VISIT_MESSAGE
    _AAD_NAME: ClassVar[bytes] = b"SealedVisit"

    def __post_init__(self) -> None:
        w = self._WHAT
        version_value(self.version, w)
        fixed_bytes(self.visit_id, w, "visit_id", VISIT_ID_SIZE)
        did_value(self.venue, w, "venue", MAX_VENUE_DID_CHARS)
        time_value(self.time_in, w, "time_in")
        _check_day(self.day, self.time_in, w)
        _time_out(self.time_in, self.time_out, w)
        channel = enum_value(Channel, self.channel, w, "channel")
        object.__setattr__(self, "channel", channel)
        if self.declaration is not None and not isinstance(self.declaration, HealthDeclaration):
            raise fail(w, "declaration must be a HealthDeclaration or None")
        if channel.wallet:
            fixed_bytes(self.locator, w, "locator", LOCATOR_SIZE)
            fixed_bytes(self.receipt_hash, w, "receipt_hash", DIGEST_SIZE)
            if self.declaration is None:
                raise fail(w, "a wallet check-in always carries a declaration")
        elif self.locator is not None or self.receipt_hash is not None:
            raise fail(w, "only wallet channels carry a locator and a receipt hash")
        if type(self.envelope) is not bytes:
            raise fail(w, "envelope must be bytes")
        if len(self.envelope) != ENVELOPE_SIZE:
            raise BadEnvelope(f"{w}: envelope must be exactly {ENVELOPE_SIZE} bytes")
        pseudonym_value(self.pseudonym, w)

    @classmethod
    def from_checkin(
        cls,
        checkin: CheckIn,
        *,
        venue: str,
        day: int,
        visit_id: bytes,
        receipt_hash: bytes,
    ) -> Self:
        """The open record of an admitted check-in (DESIGN.md "Validation at the venue" step
        6): at ``venue`` on ``day`` (the escrow epoch of the time in), with the check-in's
        pseudonym, time in, locator, channel, declaration and envelope, no time out, the
        visit's id and ``receipt_hash`` (:func:`~protocol.digest` of the signed receipt).

        As :meth:`VisitReceipt.for_checkin`: the fields from ``checkin`` were checked by its
        constructor, the others are checked here, and the result is the public
        constructor's (a property test holds them equal).

        Raises:
            MalformedMessage: ``checkin`` is not a :class:`~protocol.CheckIn` check-in, or
                ``venue``, ``day``, ``visit_id`` or ``receipt_hash`` is malformed.
        """
        w = cls._WHAT
        _check_checkin(checkin, w)
        record = object.__new__(cls)
        put = object.__setattr__
        put(record, "visit_id", fixed_bytes(visit_id, w, "visit_id", VISIT_ID_SIZE))
        put(record, "venue", did_value(venue, w, "venue", MAX_VENUE_DID_CHARS))
        put(record, "day", _check_day(day, checkin.issued_at, w))
        put(record, "time_in", checkin.issued_at)
        put(record, "time_out", None)
        put(record, "pseudonym", checkin.pseudonym)
        put(record, "locator", checkin.locator)
        put(record, "channel", checkin.channel)
        put(record, "declaration", checkin.declaration)
        put(record, "envelope", checkin.envelope)
        put(record, "receipt_hash", fixed_bytes(receipt_hash, w, "receipt_hash", DIGEST_SIZE))
        put(record, "version", PROTOCOL_VERSION)
        return record

    @classmethod
    def admit(
        cls,
        checkin: CheckIn,
        *,
        venue: str,
        day: int,
        visit_id: bytes,
        checkin_hash: bytes,
        key: Ed25519PrivateKey,
    ) -> tuple[bytes, Self]:
        """The signed receipt and the open record of an admitted check-in (DESIGN.md
        "Validation at the venue" step 6), in one step for the venue's hot path: the bytes
        ``VisitReceipt.sign_for_checkin(checkin, venue=venue, visit_id=visit_id,
        checkin_hash=checkin_hash, key=key)`` makes and the record ``from_checkin(checkin,
        venue=venue, day=day, visit_id=visit_id, receipt_hash=digest(receipt))`` builds (a
        property test holds them equal). Each input is checked once, all before signing.

        Raises:
            MalformedMessage: as :meth:`VisitReceipt.sign_for_checkin` and
                :meth:`from_checkin`.
            InvalidKey: if ``key`` is not an :class:`~did.Ed25519PrivateKey`.
        """
        w = cls._WHAT
        _check_receipt_inputs(checkin, venue, visit_id, checkin_hash, w)
        time_in = checkin.issued_at
        day = _check_day(day, time_in, w)
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidKey("signing needs an Ed25519PrivateKey")
        pseudonym = checkin.pseudonym
        if checkin.audience == ANY_VENUE:
            channel = Channel.HOLDER_SHOWN
        else:
            channel = Channel.QR_STATIC if checkin.challenge is None else Channel.QR_KIOSK
        # VisitReceipt.sign_for_checkin's payload.
        payload = b"".join(
            (
                _receipt_prefix(venue),
                _text(pseudonym),
                b"\x03",
                _head(0, time_in),
                b"\x04\xf6\x05\x50",
                visit_id,
                b"\x06\x58\x20",
                checkin_hash,
                _CHANNEL_PAIRS[channel],
            )
        )
        receipt = VisitReceipt._sign_payload(payload, key)
        record = object.__new__(cls)
        # Past the frozen __setattr__, by the slots' setters (as from_cbor).
        s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10 = _SEALED_SLOTS
        s0(record, visit_id)
        s1(record, venue)
        s2(record, day)
        s3(record, time_in)
        s4(record, None)
        s5(record, pseudonym)
        s6(record, checkin.locator)
        s7(record, channel)
        s8(record, checkin.declaration)
        s9(record, checkin.envelope)
        s10(record, hashlib.sha256(receipt).digest())
        _VERSION_SLOT(record, PROTOCOL_VERSION)
        return receipt, record

    @classmethod
    def from_cbor(cls, data: bytes) -> Self:
        """Decode strictly (size, CBOR rules, version, exact keys, types, ranges).

        The registry decodes every record of every upload batch, so the layout venues write
        is read and checked in one pass (:func:`~protocol._visitlayout.read_sealed_visit`)
        and the record built from its checked fields; anything else goes through the generic
        decoder and the constructor, which raise the error. Results and errors are the
        generic path's (a property test compares both).

        Raises:
            OversizeMessage: over the size cap.
            UnsupportedVersion: a version other than 1.
            MalformedMessage: anything else wrong.
            BadPseudonym: a pseudonym that is not an Ed25519 did:key.
            BadEnvelope: an envelope that is not :data:`ENVELOPE_SIZE` bytes.
        """
        if type(data) is bytes and len(data) <= cls._MAX_CBOR:
            fields = read_sealed_visit(data)
            if fields is not None:
                record = object.__new__(cls)
                for put, value in zip(_SEALED_SLOTS, fields, strict=True):
                    put(record, value)
                _VERSION_SLOT(record, PROTOCOL_VERSION)
                return record
        return cls._from_map(decode_map(data, cls._WHAT, cls._KEYS, cls._MAX_CBOR))

    def to_cbor(self) -> bytes:
        """The record as deterministic CBOR (RFC 8949 section 4.2.1).

        A venue stores (and later uploads) one record per admitted check-in, so the fixed
        layout of version 1 — integer keys 0-11 in order, one byte each, every value's
        type fixed by the constructor — is written directly, with the shortest heads; the
        bytes are the generic encoder's (:func:`did.cbor.encode` of the key table; a
        property test holds them equal over every channel and optional field). Another
        version goes through the generic encoder.

        Raises:
            OversizeMessage: over the format's cap (never for a record the constructor
                accepted).
        """
        if self.version != PROTOCOL_VERSION or len(self.visit_id) != VISIT_ID_SIZE:
            return super().to_cbor()
        declaration, time_out, locator, receipt_hash = (
            self.declaration,
            self.time_out,
            self.locator,
            self.receipt_hash,
        )
        data = b"".join(
            (
                b"\xac\x00\x01\x01\x50",  # a map of 12; key 0: version 1; key 1: 16 bytes
                self.visit_id,
                b"\x02",
                _text(self.venue),
                b"\x03",
                _head(0, self.day),
                b"\x04",
                _head(0, self.time_in),
                b"\x05",
                _NULL if time_out is None else _head(0, time_out),
                b"\x06",
                _text(self.pseudonym),
                b"\x07",
                _NULL if locator is None else _head(2, len(locator)) + locator,
                _VISIT_CHANNEL_PAIRS[self.channel],
                b"\x09",
                _NULL if declaration is None else _DECLARATIONS[declaration],
                b"\x0a",
                _head(2, len(self.envelope)),
                self.envelope,
                b"\x0b",
                _NULL if receipt_hash is None else _head(2, len(receipt_hash)) + receipt_hash,
            )
        )
        if len(data) > self._MAX_CBOR:
            return super().to_cbor()  # the generic encoder raises the error
        return data

    @property
    def envelope_id(self) -> str:
        """Hex SHA-256 of the envelope: the record's id in warrants and the audit log
        (escrow's ``Envelope.envelope_id``), and the key on which the registry keeps one
        record per envelope, so that a relayed holder-shown code is refused and flagged
        (module docstring)."""
        return hashlib.sha256(self.envelope).hexdigest()

    @classmethod
    def verify(cls, data: bytes, key: KeySource, *, now: int, max_skew: int = 300) -> Self:
        """Check a record's venue signature; refuse one dated in the future.

        ``key`` is the venue's key, or a look-up from the venue DID to its key.

        Raises:
            OversizeMessage, BadAlgorithm, MalformedMessage, UnsupportedVersion,
            BadPseudonym, BadEnvelope: decoding.
            UnknownKey: the look-up knows no key for the venue.
            BadSignature: not signed by the venue key.
            ClockSkew: a time in or time out later than ``now + max_skew``.
            InputError: ``now`` or ``max_skew`` is not a valid int.
        """
        now, max_skew = check_now(now), check_skew(max_skew)
        parsed, record = cls.parse_unverified(data)
        cls.check_signature(parsed, resolve_key(key, record.venue, cls._WHAT))
        latest = record.time_in if record.time_out is None else record.time_out
        not_in_future(latest, now, max_skew, cls._WHAT, "time")
        return record


# The setters of SealedVisit's slots (what object.__setattr__ calls on a frozen dataclass),
# in the order read_sealed_visit gives the fields, and the version's (read by getattr:
# typed, the class attribute is the field's int).
_SEALED_SLOTS = tuple(getattr(SealedVisit, f.name).__set__ for f in SealedVisit._FIELDS)
_VERSION_SLOT = getattr(SealedVisit, "version").__set__  # noqa: B009
