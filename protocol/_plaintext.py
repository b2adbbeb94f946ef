"""The sealed plaintexts of check-in envelopes, whoever sealed them (DESIGN.md "Check-in
presentation": the envelope holds the compact identity credential and the holder's
signature over the label; "Other channels, one record": the SMS, call and assisted-entry
gateways seal a phone number and a name at once).

Every plaintext starts with a kind byte, so whoever unseals knows what it holds, and
:func:`open_plaintext` decodes any of them; investigators need nothing from the venue's
package to read what custodians unsealed::

    kind (1 byte: 0x01 wallet identity, 0x02 SMS, 0x03 call, 0x04 assisted entry)
    ‖ visit nonce (16 random bytes)
    ‖ 0x01: the holder signature (64 bytes) ‖ the compact credential
      (:class:`~protocol.CompactPersonCredential`)
      0x02-0x04: deterministic CBOR [phone digits (uint), name (text) or null]

The holder signature is an Ed25519 signature (RFC 8032) by the long-term key the compact
credential names, over ``anshim/protocol/v1/HolderBinding`` 0x00 ‖ the envelope's label
(escrow's ``VisitLabel.to_bytes()``, which binds the venue, day, pseudonym and time in).
After unsealing, :func:`verify_sealed_identity` checks it with the issuer's signature: the
credential's holder made this check-in, not someone who copied a leaked credential into
their own (issue 9, section 4 item 11).

The phone number is E.164, stored as its digits (lossless: E.164 never starts with 0).
Every plaintext is at most :data:`~protocol.MAX_IDENTITY_PLAINTEXT` (255) bytes and is
sealed with ``pad_to=``:data:`~protocol.ENVELOPE_PAD_TO`, so the envelopes of every
channel have one size.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from did import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
    cbor,
    did_from_public_key,
    ed25519_public_key_from_did,
)
from did.errors import DecodeError, InvalidKey, InvalidSignature
from protocol._compact import CompactPersonCredential, check_phone
from protocol._values import MAX_IDENTITY_PLAINTEXT, VISIT_NONCE_SIZE, Channel
from protocol.errors import BadHolderSignature
from protocol.wire import enum_value, fail, text_value

__all__ = [
    "HOLDER_SIGNATURE_SIZE",
    "MAX_ASSISTED_NAME_BYTES",
    "GatewayPlaintext",
    "IdentityPlaintext",
    "open_plaintext",
    "verify_sealed_identity",
]

# The kind byte (module docstring): the wallet's identity, or a gateway channel.
_KIND_WALLET = 0x01
_KINDS = {Channel.SMS: 0x02, Channel.CALL: 0x03, Channel.ASSISTED: 0x04}
_CHANNELS = {code: channel for channel, code in _KINDS.items()}
_HEADER = 1 + VISIT_NONCE_SIZE
#: The holder's Ed25519 signature over the label, after the nonce of a wallet's plaintext.
HOLDER_SIGNATURE_SIZE = 64
_IDENTITY_HEADER = _HEADER + HOLDER_SIGNATURE_SIZE
_HOLDER_CONTEXT = b"anshim/protocol/v1/HolderBinding\x00"
_MAX_LABEL = 1024
#: The longest name staff may type: what fits beside a 15-digit number in the plaintext.
MAX_ASSISTED_NAME_BYTES = 128


def _holder_message(label: object) -> bytes:
    if type(label) is not bytes or not 0 < len(label) <= _MAX_LABEL:
        raise fail("IdentityPlaintext", "label must be the envelope label's bytes")
    return _HOLDER_CONTEXT + label


@dataclass(frozen=True, slots=True)
class IdentityPlaintext:
    """What a wallet seals into a check-in envelope: ``0x01 ‖ nonce ‖ signature ‖ compact``.

    Build with :meth:`new` (wallets) or :meth:`from_bytes` (after unsealing).

    Raises (on construction):
        MalformedMessage: a nonce that is not 16 bytes, a signature that is not 64 bytes,
            or a compact form that does not parse.
    """

    compact: bytes
    nonce: bytes
    signature: bytes

    def __post_init__(self) -> None:
        if type(self.nonce) is not bytes or len(self.nonce) != VISIT_NONCE_SIZE:
            raise fail("IdentityPlaintext", "nonce must be 16 bytes")
        if type(self.signature) is not bytes or len(self.signature) != HOLDER_SIGNATURE_SIZE:
            raise fail("IdentityPlaintext", "holder signature must be 64 bytes")
        CompactPersonCredential.from_cbor(self.compact)

    @classmethod
    def new(
        cls, compact: bytes, *, holder_key: Ed25519PrivateKey, label: bytes
    ) -> IdentityPlaintext:
        """The plaintext of one check-in: a fresh random visit nonce (the operating system's
        CSPRNG) and ``holder_key``'s signature over ``label`` (the bytes of the envelope's
        label, escrow's ``VisitLabel.to_bytes()``).

        Raises:
            MalformedMessage: ``compact`` does not parse as a compact credential, or
                ``label`` is not non-empty bytes of at most 1024.
            InvalidKey: ``holder_key`` is not the key of the credential's holder.
        """
        credential = CompactPersonCredential.from_cbor(compact)
        if not isinstance(holder_key, Ed25519PrivateKey):
            raise InvalidKey("the holder key must be an Ed25519PrivateKey")
        if did_from_public_key(holder_key.public_key) != credential.holder:
            raise InvalidKey("the holder key is not the key the credential names")
        signature = holder_key.sign(_holder_message(label))
        return cls(compact, os.urandom(VISIT_NONCE_SIZE), signature)

    def to_bytes(self) -> bytes:
        """The sealed layout; always at most :data:`MAX_IDENTITY_PLAINTEXT` bytes."""
        return bytes((_KIND_WALLET,)) + self.nonce + self.signature + self.compact

    @classmethod
    def from_bytes(cls, data: bytes) -> IdentityPlaintext:
        """Decode an unsealed plaintext strictly.

        Raises:
            MalformedMessage: a wrong kind byte, a wrong length, or a compact form that does
                not parse.
        """
        if type(data) is not bytes or not _IDENTITY_HEADER < len(data) <= MAX_IDENTITY_PLAINTEXT:
            raise fail("IdentityPlaintext", f"must be bytes of at most {MAX_IDENTITY_PLAINTEXT}")
        if data[0] != _KIND_WALLET:
            raise fail("IdentityPlaintext", "unknown kind")
        return cls(data[_IDENTITY_HEADER:], data[1:_HEADER], data[_HEADER:_IDENTITY_HEADER])

    def credential(self) -> CompactPersonCredential:
        """The compact credential (parsed, not yet verified: see :func:`verify_sealed_identity`)."""
        return CompactPersonCredential.from_cbor(self.compact)

    def verify_holder(self, label: bytes) -> CompactPersonCredential:
        """Check the holder signature over ``label`` under the key the credential names, and
        return the credential (its issuer's signature is not checked here).

        Raises:
            BadHolderSignature: the signature is not the credential holder's over ``label``.
            MalformedMessage: ``label`` is not non-empty bytes of at most 1024.
        """
        credential = self.credential()
        message = _holder_message(label)
        try:
            ed25519_public_key_from_did(credential.holder).verify(self.signature, message)
        except InvalidSignature as exc:
            raise BadHolderSignature(
                "IdentityPlaintext: the credential's holder did not seal it for this visit"
            ) from exc
        return credential

    def __repr__(self) -> str:
        return f"IdentityPlaintext({len(self.compact)}-byte compact credential)"


def verify_sealed_identity(
    plaintext: bytes | IdentityPlaintext,
    *,
    label: bytes,
    issuers: Mapping[str, Ed25519PublicKey],
    now: int,
) -> CompactPersonCredential:
    """What an investigator checks after custodians unseal a wallet's envelope: the compact
    credential is signed by one of the trusted identity ``issuers`` (DID to key), was valid
    at ``now`` (pass the visit's time in), and the holder it names signed ``label`` (the
    record's envelope label, ``VisitLabel.to_bytes()``, recomputed from the record).

    Raises:
        MalformedMessage: the bytes are not a wallet's identity plaintext, or ``label`` is
            not bytes.
        WrongIssuer: issued by none of ``issuers``.
        BadSignature: the issuer's signature does not verify.
        IdentityNotYetValid, Expired: the credential was not valid at ``now``.
        BadHolderSignature: the holder did not sign this label (a leaked credential sealed
            by someone else, or an identity moved from another visit).
        InvalidKey: an issuer key that is not an Ed25519 public key.
        InputError: ``now`` is not an int.
    """
    opened = (
        plaintext
        if isinstance(plaintext, IdentityPlaintext)
        else IdentityPlaintext.from_bytes(plaintext)
    )
    credential = opened.credential()
    issuer = credential.issuer_in(issuers)
    credential.verify(issuers[issuer], issuer_did=issuer, now=now)
    opened.verify_holder(label)
    return credential


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
        """The sealed layout (module docstring); at most 175 of the 255 bytes."""
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
