"""The sealed plaintexts of check-in envelopes, whoever sealed them (DESIGN.md "The
check-in protocol": the envelope holds the compact identity credential and a visit nonce;
"Other channels, one record": the SMS, call and assisted-entry gateways seal a phone number
and a name at once).

Every plaintext starts with a kind byte, so whoever unseals knows what it holds, and
:func:`open_plaintext` decodes any of them; investigators need nothing from the venue's
package to read what custodians unsealed::

    kind (1 byte: 0x01 wallet identity, 0x02 SMS, 0x03 call, 0x04 assisted entry)
    ‖ visit nonce (16 random bytes)
    ‖ 0x01: the compact credential (:class:`~protocol._compact.CompactPersonCredential`)
      0x02-0x04: deterministic CBOR [phone digits (uint), name (text) or null]

The phone number is E.164, stored as its digits (lossless: E.164 never starts with 0).
Every plaintext is at most :data:`~protocol.MAX_IDENTITY_PLAINTEXT` (191) bytes and is
sealed with ``pad_to=``:data:`~protocol.ENVELOPE_PAD_TO`, so all envelopes have one size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from did import cbor
from did.errors import DecodeError
from protocol._compact import CompactPersonCredential, check_phone
from protocol._values import MAX_IDENTITY_PLAINTEXT, VISIT_NONCE_SIZE, Channel
from protocol.wire import enum_value, fail, text_value

__all__ = [
    "MAX_ASSISTED_NAME_BYTES",
    "MAX_IDENTITY_PLAINTEXT",
    "VISIT_NONCE_SIZE",
    "GatewayPlaintext",
    "IdentityPlaintext",
    "open_plaintext",
]

# The kind byte (module docstring): the wallet's identity, or a gateway channel.
_KIND_WALLET = 0x01
_KINDS = {Channel.SMS: 0x02, Channel.CALL: 0x03, Channel.ASSISTED: 0x04}
_CHANNELS = {code: channel for channel, code in _KINDS.items()}
_HEADER = 1 + VISIT_NONCE_SIZE
#: The longest name staff may type: what fits beside a 15-digit number in the plaintext.
MAX_ASSISTED_NAME_BYTES = 128


@dataclass(frozen=True, slots=True)
class IdentityPlaintext:
    """What a wallet seals into a check-in envelope: ``0x01 ‖ nonce ‖ compact``.

    Raises (on construction):
        MalformedMessage: a nonce that is not 16 bytes or a compact form that does not parse.
    """

    compact: bytes
    nonce: bytes

    def __post_init__(self) -> None:
        if type(self.nonce) is not bytes or len(self.nonce) != VISIT_NONCE_SIZE:
            raise fail("IdentityPlaintext", "nonce must be 16 bytes")
        CompactPersonCredential.from_cbor(self.compact)

    @classmethod
    def new(cls, compact: bytes) -> IdentityPlaintext:
        """A plaintext with a fresh random visit nonce (the operating system's CSPRNG).

        Raises:
            MalformedMessage: ``compact`` does not parse as a compact credential.
        """
        return cls(compact, os.urandom(VISIT_NONCE_SIZE))

    def to_bytes(self) -> bytes:
        """The sealed layout; always at most :data:`MAX_IDENTITY_PLAINTEXT` bytes."""
        return bytes((_KIND_WALLET,)) + self.nonce + self.compact

    @classmethod
    def from_bytes(cls, data: bytes) -> IdentityPlaintext:
        """Decode an unsealed plaintext strictly.

        Raises:
            MalformedMessage: a wrong version byte, a wrong length, or a compact form that
                does not parse.
        """
        if type(data) is not bytes or not _HEADER < len(data) <= MAX_IDENTITY_PLAINTEXT:
            raise fail("IdentityPlaintext", f"must be bytes of at most {MAX_IDENTITY_PLAINTEXT}")
        if data[0] != _KIND_WALLET:
            raise fail("IdentityPlaintext", "unknown version")
        return cls(data[_HEADER:], data[1:_HEADER])

    def credential(self) -> CompactPersonCredential:
        """The compact credential (parsed, not yet verified: call its ``verify``)."""
        return CompactPersonCredential.from_cbor(self.compact)

    def __repr__(self) -> str:
        return f"IdentityPlaintext({len(self.compact)}-byte compact credential)"


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
