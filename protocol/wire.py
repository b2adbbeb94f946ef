"""The field checks, key table codec and COSE_Sign1 wrapping every protocol message shares
(DESIGN.md "The check-in protocol"); public so that the role packages check fields the way
the messages do.

Every message is a deterministic CBOR map with small integer keys; key 0 is always the
version. Each message declares its key table once, as a tuple of :class:`Field` (key,
attribute, wire conversion), and :class:`Message` encodes and decodes by it. Decoding
checks, in this order: the size cap, the CBOR rules of :func:`did.cbor.decode` (depth, no
tags, no indefinite lengths, sorted unique keys), that the item is a map, the version, the
exact key set, then every field's type and range (the message's constructor). Signed
messages are tagged COSE_Sign1 (RFC 9052 section 4.2) whose protected header is exactly
``{1: -8}`` (EdDSA) and whose unprotected header is empty, so one message has one byte
form. Each message type signs with its own external AAD (RFC 9052 section 4.3), so a
signature made for one type never verifies as another.

The field checks (``uint``, ``time_value``, ``did_value``, ``pseudonym_value``, ...) take
the value, the message name and the field name, return the value and raise
:class:`~protocol.errors.MalformedMessage` (or the more specific error they document), so a
refusal always names the message and the field and never repeats the value.
"""

from __future__ import annotations

import abc
import enum
import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar

from nacl.bindings import crypto_sign_open as _sign_open
from nacl.exceptions import BadSignatureError, CryptoError

from did import Ed25519PrivateKey, Ed25519PublicKey, cbor, cose, is_did
from did.errors import DecodeError, InputError, InvalidKey, InvalidSignature
from protocol._pseudonym import (
    is_pseudonym,
    pseudonym_key_bytes,
    pseudonym_value,
)
from protocol.errors import (
    BadAlgorithm,
    BadSignature,
    ClockSkew,
    MalformedMessage,
    OversizeMessage,
    UnknownKey,
    UnsupportedVersion,
)

__all__ = [
    "DIGEST_SIZE",
    "MAX_KEY_DID_CHARS",
    "MAX_TIME",
    "MAX_VENUE_DID_CHARS",
    "PROTECTED_EDDSA",
    "PROTOCOL_VERSION",
    "Field",
    "KeySource",
    "Message",
    "Signed",
    "check_now",
    "check_skew",
    "decode_map",
    "did_value",
    "digest",
    "enum_field",
    "enum_value",
    "fail",
    "fixed_bytes",
    "flag",
    "is_pseudonym",
    "known_did",
    "not_in_future",
    "pseudonym_key_bytes",
    "pseudonym_value",
    "resolve_key",
    "sint",
    "text_value",
    "time_value",
    "token_value",
    "uint",
    "version_value",
]

PROTOCOL_VERSION = 1
#: Times are Unix seconds that fit in 32 bits (until 2106), so every time costs 5 bytes.
MAX_TIME = 2**32 - 1
#: A venue DID is at most this long: the 680-byte check-in budget depends on it.
MAX_VENUE_DID_CHARS = 64
#: did:key DIDs of Ed25519 keys are 56 characters; a little room for other forms.
MAX_KEY_DID_CHARS = 64
#: SHA-256 digests name messages (:func:`digest`).
DIGEST_SIZE = 32
#: RFC 9052 section 3.1 / RFC 9053 section 2.2: the protected header {1: -8}, deterministic.
PROTECTED_EDDSA = b"\xa1\x01\x27"
_KEY_VERSION = 0
_MAX_DEPTH = 4
_NO_TAGS: frozenset[int] = frozenset()
_AAD_PREFIX = b"anshim/protocol/v1/"

#: A key, or a look-up from the DID a message names to that DID's current key. The look-up
#: returns ``None`` or raises ``LookupError`` for an unknown DID (both become
#: :class:`~protocol.errors.UnknownKey`); other anshim errors pass through.
KeySource = Ed25519PublicKey | Callable[[str], Ed25519PublicKey | None]

_E = TypeVar("_E", bound=enum.IntEnum)

_TOKEN_RE = re.compile(r"\A[a-z][a-z0-9_-]*\Z")


def fail(what: str, message: str) -> MalformedMessage:
    """A :class:`MalformedMessage` naming the message type and the broken rule."""
    return MalformedMessage(f"{what}: {message}")


def uint(value: object, what: str, name: str, maximum: int) -> int:
    """An int (not bool) in ``[0, maximum]``; raises :class:`MalformedMessage`."""
    if type(value) is not int or not 0 <= value <= maximum:
        raise fail(what, f"{name} must be an integer in [0, {maximum}]")
    return value


def sint(value: object, what: str, name: str, low: int, high: int) -> int:
    """An int (not bool) in ``[low, high]``; raises :class:`MalformedMessage`."""
    if type(value) is not int or not low <= value <= high:
        raise fail(what, f"{name} must be an integer in [{low}, {high}]")
    return value


def time_value(value: object, what: str, name: str) -> int:
    """A Unix time in seconds in ``[0, MAX_TIME]``; raises :class:`MalformedMessage`."""
    if type(value) is not int or not 0 <= value <= MAX_TIME:
        raise fail(what, f"{name} must be an integer in [0, {MAX_TIME}]")
    return value


def flag(value: object, what: str, name: str) -> bool:
    """A bool; raises :class:`MalformedMessage`."""
    if type(value) is not bool:
        raise fail(what, f"{name} must be a boolean")
    return value


def fixed_bytes(value: object, what: str, name: str, size: int) -> bytes:
    """A byte string of exactly ``size`` bytes; raises :class:`MalformedMessage`."""
    if type(value) is not bytes or len(value) != size:
        raise fail(what, f"{name} must be a {size}-byte string")
    return value


@functools.lru_cache(maxsize=1024)
def known_did(value: str) -> bool:
    """Whether ``value`` is a DID (DID Core 3.1 syntax), remembered: a venue checks its own
    DID three times per check-in (the audience, the receipt, the record), so the match is
    kept for the few DIDs a process sees often (bounded; call it only with strings already
    within a field's length cap)."""
    return is_did(value)


def did_value(value: object, what: str, name: str, max_chars: int) -> str:
    """A DID (DID Core 3.1 syntax) of at most ``max_chars``; raises :class:`MalformedMessage`."""
    if type(value) is not str or len(value) > max_chars or not known_did(value):
        raise fail(what, f"{name} must be a DID of at most {max_chars} characters")
    return value


def text_value(value: object, what: str, name: str, max_bytes: int) -> str:
    """Non-empty NFC text without control characters, at most ``max_bytes`` in UTF-8.

    Raises:
        MalformedMessage: otherwise.
    """
    if type(value) is not str or not value:
        raise fail(what, f"{name} must be non-empty text")
    if len(value.encode("utf-8", "surrogatepass")) > max_bytes:
        raise fail(what, f"{name} must be at most {max_bytes} UTF-8 bytes")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in value):
        raise fail(what, f"{name} must not contain control or unassigned characters")
    if unicodedata.normalize("NFC", value) != value:
        raise fail(what, f"{name} must be in Unicode NFC")
    return value


def token_value(value: object, what: str, name: str, max_chars: int) -> str:
    """A lowercase ASCII token ``[a-z][a-z0-9_-]*``; raises :class:`MalformedMessage`."""
    if type(value) is not str or len(value) > max_chars or not _TOKEN_RE.match(value):
        raise fail(what, f"{name} must be a lowercase token of at most {max_chars} characters")
    return value


def enum_value(cls: type[_E], value: object, what: str, name: str) -> _E:
    """An enumeration member, from itself or from its wire integer.

    Raises:
        MalformedMessage: if ``value`` is neither a member nor one of its integers.
    """
    if isinstance(value, cls):
        return value
    if type(value) is not int:
        raise fail(what, f"{name} must be a {cls.__name__} number")
    try:
        return cls(value)
    except ValueError as exc:
        raise fail(what, f"{name} must be a {cls.__name__} number") from exc


def version_value(value: object, what: str) -> int:
    """The version field, which must be :data:`PROTOCOL_VERSION`.

    Raises:
        UnsupportedVersion: for any other value.
    """
    if type(value) is not int or value != PROTOCOL_VERSION:
        raise UnsupportedVersion(f"{what}: version must be {PROTOCOL_VERSION}")
    return value


def check_now(now: object) -> int:
    """``now`` as Unix seconds; raises :class:`InputError` if it is not an int >= 0."""
    if type(now) is not int or now < 0:
        raise InputError("now must be an int (Unix seconds, UTC)")
    return now


def check_skew(skew: object) -> int:
    """A clock-skew bound in seconds; raises :class:`InputError` if not in [0, 3600]."""
    if type(skew) is not int or not 0 <= skew <= 3600:
        raise InputError("max_skew must be an int in [0, 3600] seconds")
    return skew


def not_in_future(time: int, now: int, skew: int, what: str, name: str) -> None:
    """Raise :class:`ClockSkew` if ``time`` is later than ``now + skew``."""
    if time > now + skew:
        raise ClockSkew(f"{what}: {name} is later than now plus the allowed clock skew")


def digest(data: bytes) -> bytes:
    """SHA-256 of a message's bytes: how receipts and records name a check-in or receipt.

    Raises:
        InputError: if ``data`` is not bytes.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise InputError("digest input must be bytes")
    return hashlib.sha256(data).digest()


def resolve_key(source: KeySource, did: str, what: str) -> Ed25519PublicKey:
    """The key ``source`` gives for ``did``.

    Raises:
        UnknownKey: the look-up knows no key for ``did`` (or returns something else).
        InputError: ``source`` is neither a key nor a callable.
    """
    if isinstance(source, Ed25519PublicKey):
        return source
    if not callable(source):
        raise InputError("key must be an Ed25519PublicKey or a look-up callable")
    try:
        key = source(did)
    except LookupError as exc:
        raise UnknownKey(f"{what}: no key known for the signer") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise UnknownKey(f"{what}: no key known for the signer")
    return key


@dataclass(frozen=True, slots=True)
class Field:
    """One row of a message's key table: the CBOR map key, the attribute it holds, and how
    its value crosses the wire (``to_wire(value)`` and ``from_wire(item, what, name)``; both
    default to the value itself, which the message's constructor then checks)."""

    key: int
    name: str
    to_wire: Callable[[Any], Any] | None = None
    from_wire: Callable[[Any, str, str], Any] | None = None


def enum_field(key: int, name: str, cls: type[enum.IntEnum]) -> Field:
    """A :class:`Field` for an enumeration that travels as its wire integer."""

    def from_wire(item: Any, what: str, field: str) -> enum.IntEnum:
        return enum_value(cls, item, what, field)

    return Field(key, name, int, from_wire)


class Message(abc.ABC):
    """Base of every protocol message: the integer-keyed deterministic CBOR codec.

    Subclasses are frozen dataclasses that validate in ``__post_init__`` and define
    ``_WHAT`` (a name for errors), ``_FIELDS`` (the key table without the version, which is
    always key 0 and attribute ``version``) and ``_MAX_CBOR`` (the payload cap); ``_KEYS``
    (the exact key set) follows from ``_FIELDS``.
    """

    __slots__ = ()
    version: int
    _WHAT: ClassVar[str]
    _FIELDS: ClassVar[tuple[Field, ...]]
    _KEYS: ClassVar[frozenset[int]]
    _MAX_CBOR: ClassVar[int]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = cls.__dict__.get("_FIELDS")
        if fields is not None:
            keys = [_KEY_VERSION, *(f.key for f in fields)]
            if len(set(keys)) != len(keys):
                raise TypeError(f"{cls.__name__}: key table repeats a key")
            cls._KEYS = frozenset(keys)

    def _to_map(self) -> dict[int, Any]:
        """The CBOR map of this message, by its key table."""
        m: dict[int, Any] = {_KEY_VERSION: self.version}
        for f in self._FIELDS:
            value = getattr(self, f.name)
            m[f.key] = value if f.to_wire is None else f.to_wire(value)
        return m

    @classmethod
    def _from_map(cls, m: dict[int, Any]) -> Self:
        """Build the message from a decoded map whose key set is already checked."""
        what = cls._WHAT
        values: dict[str, Any] = {
            f.name: m[f.key] if f.from_wire is None else f.from_wire(m[f.key], what, f.name)
            for f in cls._FIELDS
        }
        values["version"] = m[_KEY_VERSION]
        return cls(**values)

    def to_cbor(self) -> bytes:
        """The message as deterministic CBOR (RFC 8949 section 4.2.1).

        Raises:
            OversizeMessage: if the encoding exceeds the format's size cap.
        """
        data = cbor.encode(self._to_map())
        if len(data) > self._MAX_CBOR:
            raise OversizeMessage(f"{self._WHAT}: {len(data)} bytes exceeds {self._MAX_CBOR}")
        return data

    @classmethod
    def from_cbor(cls, data: bytes) -> Self:
        """Decode strictly (size, CBOR rules, version, exact keys, types, ranges).

        Raises:
            OversizeMessage: over the size cap.
            UnsupportedVersion: a version other than 1.
            MalformedMessage: anything else wrong.
            BadPseudonym: a pseudonym field that is not an Ed25519 did:key.
        """
        return cls._from_map(decode_map(data, cls._WHAT, cls._KEYS, cls._MAX_CBOR))


def decode_map(data: object, what: str, keys: frozenset[int], max_size: int) -> dict[int, Any]:
    """Decode a message map and check its size, version and exact key set.

    Raises:
        OversizeMessage, UnsupportedVersion, MalformedMessage: as :meth:`Message.from_cbor`.
    """
    if type(data) is not bytes:
        raise fail(what, "input must be bytes")
    if len(data) > max_size:
        raise OversizeMessage(f"{what}: {len(data)} bytes exceeds {max_size}")
    try:
        m = cbor.decode(data, max_size=max_size, max_depth=_MAX_DEPTH, allowed_tags=_NO_TAGS)
    except DecodeError as exc:
        raise fail(what, exc.message) from exc
    if type(m) is not dict:
        raise fail(what, "must be a CBOR map")
    # The version decides the key table, so it is checked before the key set.
    version_value(m.get(_KEY_VERSION), what)
    if m.keys() != keys:
        missing = sorted(keys - m.keys())
        extra = sorted(map(str, m.keys() - keys))
        raise fail(what, f"wrong key set (missing {missing}, unexpected {extra})")
    return m


# The framing of every message Signed.sign makes (RFC 9052 section 4.2): tag 18, an array
# of 4, the protected header as a 3-byte string, the empty unprotected map; then the
# payload's byte-string head and the payload; then the 64-byte signature (head 0x58 0x40).
# The protocol signs and reads this one form directly; did.cose's general sign1 and
# CoseSign1.from_bytes make and read the same bytes (tests/protocol/test_cose_framing.py).
_COSE_HEAD = b"\xd2\x84\x43" + PROTECTED_EDDSA + b"\xa0"
_SIGNATURE_HEAD = b"\x58\x40"
# RFC 9052 section 4.4: Sig_structure = ["Signature1", protected, external_aad, payload],
# the first two fixed here.
_SIG_STRUCTURE_HEAD = b"\x84\x6aSignature1\x43" + PROTECTED_EDDSA


def _bstr_head(length: int) -> bytes:
    # RFC 8949 section 3.1, major type 2, with the shortest argument (section 4.2.1). An
    # upload batch may pass 64 KiB (MAX_UPLOAD_BATCH_MESSAGE), hence the 4-byte form.
    if length < 24:
        return bytes((0x40 | length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return bytes((0x59,)) + length.to_bytes(2, "big")
    return bytes((0x5A,)) + length.to_bytes(4, "big")


def _framed(data: bytes) -> tuple[bytes, bytes] | None:
    """(payload, signature) if ``data`` is exactly the deterministic framing above, else
    ``None`` (and the generic COSE decoder decides). Such bytes decode, generically, to the
    same payload and signature with protected ``{1: -8}`` and an empty unprotected map."""
    n = len(data)
    if n < 10 or not data.startswith(_COSE_HEAD):
        return None
    ib = data[7]
    if 0x40 <= ib <= 0x57:
        size, start = ib - 0x40, 8
    elif ib == 0x58 and data[8] >= 24:
        size, start = data[8], 9
    elif ib == 0x59 and n > 9 and (size := (data[8] << 8) | data[9]) >= 256:
        start = 10
    else:
        return None  # another head, or one that is not the shortest form (RFC 8949 4.2.1)
    end = start + size
    if n != end + 66 or data[end : end + 2] != _SIGNATURE_HEAD:
        return None
    return data[start:end], data[end + 2 :]


_ALG_ONLY = {cose.HEADER_ALG: cose.ALG_EDDSA}


class Signed(Message):
    """A message carried as a COSE_Sign1 (EdDSA): adds :meth:`sign` and strict opening.

    Subclasses also define ``_MAX_MESSAGE`` (the cap on the whole COSE message) and
    ``_AAD_NAME`` (the type name bound into the signature as external AAD).
    """

    __slots__ = ()
    _MAX_MESSAGE: ClassVar[int]
    _AAD_NAME: ClassVar[bytes]
    # The Sig_structure up to the payload's head: fixed per message type.
    _TBS_HEAD: ClassVar[bytes]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_AAD_NAME" in cls.__dict__:
            aad = _AAD_PREFIX + cls._AAD_NAME
            cls._TBS_HEAD = _SIG_STRUCTURE_HEAD + _bstr_head(len(aad)) + aad

    @classmethod
    def _aad(cls) -> bytes:
        return _AAD_PREFIX + cls._AAD_NAME

    @classmethod
    def _to_be_signed(cls, payload: bytes) -> bytes:
        # RFC 9052 section 4.4 with this type's external AAD (section 4.3).
        return cls._TBS_HEAD + _bstr_head(len(payload)) + payload

    def sign(self, key: Ed25519PrivateKey) -> bytes:
        """This message as a tagged COSE_Sign1 (RFC 9052 section 4.2) signed by ``key``:
        the bytes :func:`did.cose.sign1` makes for the payload and this type's external AAD.

        Raises:
            InvalidKey: if ``key`` is not an :class:`~did.Ed25519PrivateKey`.
            OversizeMessage: if the payload or the whole message exceeds its cap.
        """
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidKey("signing needs an Ed25519PrivateKey")
        return self._sign_payload(self.to_cbor(), key)

    @classmethod
    def _sign_payload(cls, payload: bytes, key: Ed25519PrivateKey) -> bytes:
        # The COSE_Sign1 of an encoded payload (within its cap) by an Ed25519PrivateKey:
        # :meth:`sign` past its checks, for encoders that write a payload directly.
        head = _bstr_head(len(payload))
        signature = key.sign(b"".join((cls._TBS_HEAD, head, payload)))
        message = b"".join((_COSE_HEAD, head, payload, _SIGNATURE_HEAD, signature))
        if len(message) > cls._MAX_MESSAGE:
            raise OversizeMessage(
                f"{cls._WHAT}: signed message of {len(message)} bytes exceeds {cls._MAX_MESSAGE}"
            )
        return message

    @classmethod
    def parse_unverified(cls, data: bytes) -> tuple[cose.CoseSign1, Self]:
        """Parse the COSE_Sign1 and its payload strictly, without checking the signature.

        Use :meth:`check_signature` next; the returned message is not yet authentic. The
        framing :meth:`sign` writes is read directly; anything else goes through
        :meth:`did.cose.CoseSign1.from_bytes`, which decides (a property test holds the two
        paths equal).

        Raises:
            OversizeMessage: the message is over its cap.
            BadAlgorithm: the algorithm is not EdDSA, or the headers are not exactly
                ``{alg: EdDSA}`` and empty.
            MalformedMessage: the COSE structure or the payload is malformed.
            UnsupportedVersion, BadPseudonym: as :meth:`Message.from_cbor`.
        """
        if type(data) is not bytes:
            raise fail(cls._WHAT, "input must be bytes")
        if len(data) > cls._MAX_MESSAGE:
            raise OversizeMessage(f"{cls._WHAT}: {len(data)} bytes exceeds {cls._MAX_MESSAGE}")
        framed = _framed(data)
        if framed is not None:
            parsed = cose.CoseSign1(dict(_ALG_ONLY), PROTECTED_EDDSA, {}, *framed)
            return parsed, cls.from_cbor(parsed.payload)
        try:
            parsed = cose.CoseSign1.from_bytes(data, max_size=cls._MAX_MESSAGE, require_tag=True)
        except cose.UnsupportedAlgorithm as exc:
            raise BadAlgorithm(f"{cls._WHAT}: only EdDSA is accepted") from exc
        except DecodeError as exc:
            raise fail(cls._WHAT, exc.message) from exc
        if parsed.protected_bytes != PROTECTED_EDDSA or parsed.unprotected:
            raise BadAlgorithm(f"{cls._WHAT}: headers must be exactly {{alg: EdDSA}} and empty")
        return parsed, cls.from_cbor(parsed.payload)

    @classmethod
    def _frame(cls, data: bytes) -> tuple[bytes, bytes] | None:
        """(payload, signature) of bytes within the cap in the framing :meth:`sign` writes;
        ``None`` for any other bytes (use :meth:`parse_unverified`, which raises the error,
        if any)."""
        if type(data) is not bytes or len(data) > cls._MAX_MESSAGE:
            return None
        return _framed(data)

    @classmethod
    def _open_framed(cls, data: bytes) -> tuple[Self, bytes, bytes] | None:
        """(message, payload, signature) of bytes in the framing :meth:`sign` writes, decoded
        strictly but not verified; ``None`` for any other bytes (use :meth:`parse_unverified`,
        which raises the error, if any)."""
        framed = cls._frame(data)
        if framed is None:
            return None
        payload, signature = framed
        return cls.from_cbor(payload), payload, signature

    @classmethod
    def _verify_framed(
        cls, payload: bytes, signature: bytes, key: bytes, error: type[BadSignature]
    ) -> None:
        # RFC 9053 section 2.2: EdDSA over the Sig_structure, by libsodium's crypto_sign_open
        # (canonical encodings, no small-order key or R), as did.cose's verify does; the
        # signed message libsodium takes is the signature followed by the Sig_structure.
        signed = b"".join((signature, cls._TBS_HEAD, _bstr_head(len(payload)), payload))
        try:
            _sign_open(signed, key)
        except (BadSignatureError, CryptoError, ValueError) as exc:
            raise error(f"{cls._WHAT}: signature does not verify") from exc

    @classmethod
    def check_signature(
        cls,
        parsed: cose.CoseSign1,
        key: Ed25519PublicKey,
        *,
        error: type[BadSignature] = BadSignature,
    ) -> None:
        """Verify the EdDSA signature of an opened message under ``key`` (libsodium's
        rules: canonical encodings, no small-order key or R).

        Raises:
            BadSignature: (or ``error``) if the signature does not verify.
        """
        try:
            parsed.verify(key, external_aad=cls._aad())
        except InvalidSignature as exc:
            raise error(f"{cls._WHAT}: signature does not verify") from exc
