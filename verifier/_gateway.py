"""The channels without a wallet: SMS and call check-in, and assisted entry (DESIGN.md
"Other channels, one record").

A telecom gateway posts (caller number, venue, time) to the venue service; at an assisted
entry, staff type a name and a phone number on the kiosk. Either way the plaintext is sealed
at once, into an envelope of exactly :data:`~did.protocol.ENVELOPE_SIZE` bytes (the same
``pad_to``, :data:`~did.protocol.person.IDENTITY_PAD`, as a wallet's), and only the
:class:`~did.protocol.SealedVisit` is kept. Nothing here logs, and neither errors nor reprs
carry the number or the name.

Sealed plaintext (a sibling of :class:`~did.protocol.person.IdentityPlaintext`, told apart
by its first byte, so whoever unseals knows what it holds; :func:`open_plaintext` decodes
either)::

    kind (1 byte: 0x01 wallet identity, 0x02 SMS, 0x03 call, 0x04 assisted entry)
    ‖ visit nonce (16 random bytes)
    ‖ deterministic CBOR [phone digits (uint), name (text) or null]

The phone number is E.164, stored as its digits (lossless, as in the compact credential).

Pseudonyms: each gateway visit gets a fresh random Ed25519 did:key, used once and thrown
away. A keyed derivation from the number would let an SMS check-out match its check-in, but
whoever holds the key could later test every phone number against the stored records (the
number space is small), which breaks "a venue never learns identity". So gateway visits
have no check-out; the category's default dwell (:func:`verifier.default_dwell`) ends them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from did import cbor
from did.errors import DecodeError, InputError
from did.keys import Ed25519PrivateKey
from did.protocol import VISIT_ID_SIZE, Channel, HealthDeclaration, SealedVisit
from did.protocol._wire import check_now, enum_value, fail, text_value
from did.protocol.derive import pseudonym_did
from did.protocol.errors import EpochKeyInactive
from did.protocol.person import (
    IDENTITY_PAD,
    MAX_IDENTITY_PLAINTEXT,
    VISIT_NONCE_SIZE,
    IdentityPlaintext,
    check_phone,
)
from escrow import EpochKey, VisitLabel, seal
from verifier._policy import EntryPolicy
from verifier._validate import EpochKeys, visit_day
from verifier._venue import VenueContext

__all__ = [
    "MAX_ASSISTED_NAME_BYTES",
    "GatewayPlaintext",
    "open_plaintext",
    "seal_assisted_entry",
    "seal_sms_checkin",
]

_KIND_WALLET = 0x01
_KINDS = {Channel.SMS: 0x02, Channel.CALL: 0x03, Channel.ASSISTED: 0x04}
_CHANNELS = {code: channel for channel, code in _KINDS.items()}
_HEADER = 1 + VISIT_NONCE_SIZE
#: The longest name staff may type: what fits beside a 15-digit number in the plaintext.
MAX_ASSISTED_NAME_BYTES = 128
_DEFAULT_POLICY = EntryPolicy()


@dataclass(frozen=True, slots=True)
class GatewayPlaintext:
    """What a gateway seals: the channel, a visit nonce, the phone number and, for an
    assisted entry, the name. The ``repr`` shows neither.

    Raises (on construction):
        MalformedMessage: a channel that is not SMS, call or assisted; a phone number that
            is not E.164; a name that is not NFC text of at most 128 UTF-8 bytes (or a name
            on a phone channel); a nonce that is not 16 bytes.
    """

    channel: Channel
    phone: str
    name: str | None
    nonce: bytes

    def __post_init__(self) -> None:
        channel = enum_value(Channel, self.channel, "GatewayPlaintext", "channel")
        if channel not in _KINDS:
            raise fail("GatewayPlaintext", "channel must be SMS, call or assisted entry")
        object.__setattr__(self, "channel", channel)
        check_phone(self.phone)
        if self.name is not None:
            if self.channel is not Channel.ASSISTED:
                raise fail("GatewayPlaintext", "only assisted entries carry a name")
            text_value(self.name, "GatewayPlaintext", "name", MAX_ASSISTED_NAME_BYTES)
        if type(self.nonce) is not bytes or len(self.nonce) != VISIT_NONCE_SIZE:
            raise fail("GatewayPlaintext", "nonce must be 16 bytes")

    def __repr__(self) -> str:
        return f"GatewayPlaintext(channel={self.channel.name})"

    def to_bytes(self) -> bytes:
        """The sealed layout (module docstring); at most 191 bytes."""
        body = cbor.encode([int(self.phone[1:]), self.name])
        return bytes((_KINDS[self.channel],)) + self.nonce + body

    @classmethod
    def from_bytes(cls, data: bytes) -> GatewayPlaintext:
        """Decode an unsealed gateway plaintext strictly.

        Raises:
            MalformedMessage: an unknown kind, a wrong length, or a body that is not
                ``[phone digits, name or null]`` with valid values.
        """
        if type(data) is not bytes or not _HEADER < len(data) <= MAX_IDENTITY_PLAINTEXT:
            raise fail("GatewayPlaintext", f"must be bytes of at most {MAX_IDENTITY_PLAINTEXT}")
        channel = _CHANNELS.get(data[0])
        if channel is None:
            raise fail("GatewayPlaintext", "unknown kind")
        try:
            body = cbor.decode(data[_HEADER:], max_size=MAX_IDENTITY_PLAINTEXT, max_depth=2)
        except DecodeError as exc:
            raise fail("GatewayPlaintext", "body is not strict CBOR") from exc
        if type(body) is not list or len(body) != 2 or type(body[0]) is not int:
            raise fail("GatewayPlaintext", "body must be [phone digits, name or null]")
        return cls(channel, f"+{body[0]}", body[1], data[1:_HEADER])


def open_plaintext(data: bytes) -> IdentityPlaintext | GatewayPlaintext:
    """Decode an unsealed check-in plaintext of any channel by its first byte.

    Raises:
        MalformedMessage: the bytes are neither a wallet's nor a gateway's plaintext.
    """
    if type(data) is not bytes or not data:
        raise fail("plaintext", "must be non-empty bytes")
    if data[0] == _KIND_WALLET:
        return IdentityPlaintext.from_bytes(data)
    return GatewayPlaintext.from_bytes(data)


def _epoch_key(epoch_keys: EpochKeys, day: int) -> EpochKey:
    key = epoch_keys.get(day) if isinstance(epoch_keys, Mapping) else epoch_keys(day)
    if not isinstance(key, EpochKey):
        raise EpochKeyInactive("no published epoch key for today")
    return key


def _seal_visit(
    plaintext: GatewayPlaintext,
    venue: VenueContext,
    now: int,
    epoch_keys: EpochKeys,
    declaration: HealthDeclaration | None,
) -> SealedVisit:
    day = visit_day(now, venue, epoch_keys)
    epoch_key = _epoch_key(epoch_keys, day)
    pseudonym = pseudonym_did(Ed25519PrivateKey.generate())
    label = VisitLabel(venue.did, day, pseudonym, now)
    # The plaintext always fits (at most 157 of the 191 bytes), so sealing cannot fail here.
    envelope = seal(epoch_key, label, plaintext.to_bytes(), pad_to=IDENTITY_PAD).to_bytes()
    return SealedVisit(
        visit_id=os.urandom(VISIT_ID_SIZE),
        venue=venue.did,
        day=day,
        time_in=now,
        time_out=None,
        pseudonym=pseudonym,
        locator=None,
        channel=plaintext.channel,
        declaration=declaration,
        envelope=envelope,
        receipt_hash=None,
    )


def seal_sms_checkin(
    caller_number: str,
    venue: VenueContext,
    *,
    now: int,
    epoch_keys: EpochKeys,
    channel: Literal["sms", "call"] = "sms",
) -> SealedVisit:
    """Seal an SMS or call check-in at once and return the record to upload.

    ``caller_number`` is the E.164 number the telecom gateway reports. The time in is
    ``now`` (the gateway's receipt time).

    Raises:
        MalformedMessage: the number is not E.164 (the error does not repeat it).
        EpochKeyInactive: no published epoch key for today.
        InputError: ``now`` is invalid, ``channel`` is neither ``"sms"`` nor ``"call"``, or
            the venue's ``tz_offset`` is not the directory's.
    """
    now = check_now(now)
    if channel not in ("sms", "call"):
        raise InputError('channel must be "sms" or "call"')
    kind = Channel.SMS if channel == "sms" else Channel.CALL
    plaintext = GatewayPlaintext(kind, caller_number, None, os.urandom(VISIT_NONCE_SIZE))
    return _seal_visit(plaintext, venue, now, epoch_keys, None)


def seal_assisted_entry(
    name: str,
    phone: str,
    venue: VenueContext,
    *,
    now: int,
    epoch_keys: EpochKeys,
    declaration: HealthDeclaration | None = None,
    entry_policy: EntryPolicy = _DEFAULT_POLICY,
) -> SealedVisit:
    """Seal what staff typed at an assisted entry and return the record to upload.

    A ``declaration`` the staff took goes through the same entry policy as a wallet's and
    into the record.

    Raises:
        MalformedMessage: the phone is not E.164, or the name is empty, not NFC, has
            control characters or is over 128 UTF-8 bytes (errors never repeat either).
        DeclaredFever, DeclaredSymptoms: the declaration refuses entry.
        EpochKeyInactive: no published epoch key for today.
        InputError: ``now`` is invalid, or the venue's ``tz_offset`` is not the directory's.
    """
    now = check_now(now)
    plaintext = GatewayPlaintext(Channel.ASSISTED, phone, name, os.urandom(VISIT_NONCE_SIZE))
    if declaration is not None:
        if not isinstance(declaration, HealthDeclaration):
            raise InputError("declaration must be a HealthDeclaration")
        entry_policy.decide(declaration, None)
    return _seal_visit(plaintext, venue, now, epoch_keys, declaration)
