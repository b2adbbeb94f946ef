"""The implementation of :mod:`did.cose`; the package docstring describes it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from nacl.bindings import crypto_sign_open as _sign_open
from nacl.exceptions import BadSignatureError, CryptoError

from did import cbor
from did._keys import Ed25519PrivateKey, Ed25519PublicKey
from did.errors import (
    CoseAlgUnprotected,
    CoseCriticalHeader,
    CoseDetachedPayload,
    CoseError,
    CoseMissingTag,
    DecodeError,
    EncodingError,
    InvalidKey,
    InvalidSignature,
    UnsupportedAlgorithm,
)

#: RFC 9052 section 4.2: the CBOR tag of a tagged COSE_Sign1 message.
COSE_SIGN1_TAG = 18
#: RFC 9053 section 2.2: the EdDSA algorithm identifier.
ALG_EDDSA = -8
#: RFC 9052 section 3.1 header parameter labels.
HEADER_ALG = 1
HEADER_CRIT = 2
HEADER_CONTENT_TYPE = 3
HEADER_KID = 4

_SIG_LEN = 64
_DEFAULT_MAX_SIZE = 65536
_COSE_MAX_DEPTH = 16
_TAG_18 = frozenset({COSE_SIGN1_TAG})
# RFC 9052 section 4.4: Sig_structure = ["Signature1", body_protected, external_aad, payload].
# The array head and the context string never change, so the structure is built by
# concatenation: 0x84 (array of 4) followed by the text string "Signature1".
_SIG_STRUCTURE_PREFIX = b"\x84" + cbor.encode("Signature1")
# Deterministic encodings of the protected headers {1: -8} and {1: -8, 4: <kid>}.
_PROTECTED_ALG_ONLY = cbor.encode({HEADER_ALG: ALG_EDDSA})
_PROTECTED_ALG_KID_PREFIX = b"\xa2" + cbor.encode(HEADER_ALG) + cbor.encode(ALG_EDDSA) + b"\x04"


def _bstr_head(length: int) -> bytes:
    # RFC 8949 section 3.1 (major type 2) with the shortest argument of section 4.2.1.
    if length < 24:
        return _SMALL_BSTR_HEADS[length]
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    if length < 0x100000000:
        return b"\x5a" + length.to_bytes(4, "big")
    return b"\x5b" + length.to_bytes(8, "big")


_SMALL_BSTR_HEADS = tuple(bytes((0x40 | n,)) for n in range(24))


def _bstr(data: bytes) -> bytes:
    return _bstr_head(len(data)) + data


def _sig_structure(protected_bytes: bytes, external_aad: bytes, payload: bytes) -> bytes:
    # RFC 9052 section 4.4 steps 1-2: the ToBeSigned bytes.
    return b"".join(
        (
            _SIG_STRUCTURE_PREFIX,
            _bstr_head(len(protected_bytes)),
            protected_bytes,
            _bstr_head(len(external_aad)),
            external_aad,
            _bstr_head(len(payload)),
            payload,
        )
    )


def _require_bytes(value: object, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray)):
        raise EncodingError(f"{what} must be bytes, not {type(value).__name__}")
    return bytes(value)


def _check_crit(protected: Mapping[Any, Any], understood: Collection[int | str]) -> None:
    # RFC 9052 section 3.1: crit is a non-empty array of labels, each of which must be
    # present in the protected header; a recipient that does not understand one must refuse.
    crit = protected[HEADER_CRIT]
    if not isinstance(crit, list) or not crit:
        raise CoseCriticalHeader("crit must be a non-empty array")
    for label in crit:
        if isinstance(label, bool) or not isinstance(label, (int, str)):
            raise CoseCriticalHeader("crit labels must be integers or text")
        if label not in protected:
            raise CoseCriticalHeader(f"crit names absent header {label!r}")
        if label not in understood:
            raise CoseCriticalHeader(f"critical header {label!r} not understood")


def _check_headers(
    protected: Mapping[Any, Any],
    unprotected: Mapping[Any, Any],
    understood_critical: Collection[int | str],
) -> None:
    """Apply the header rules of the module docstring (shared by signing and parsing)."""
    if HEADER_ALG in unprotected:
        raise CoseAlgUnprotected("alg must be in the protected header")
    both = protected.keys() & unprotected.keys()
    if both:
        # RFC 9052 section 3: a label must not occur in both buckets.
        raise CoseError(f"header label(s) {sorted(map(str, both))} in both headers")
    if HEADER_CRIT in unprotected:
        raise CoseCriticalHeader("crit must be in the protected header")
    if HEADER_ALG not in protected:
        raise UnsupportedAlgorithm("protected header names no algorithm")
    alg = protected[HEADER_ALG]
    if type(alg) is not int or alg != ALG_EDDSA:
        raise UnsupportedAlgorithm(f"algorithm {alg!r} is not supported (only EdDSA, -8)")
    if HEADER_CRIT in protected:
        _check_crit(protected, understood_critical)
    for bucket in (protected, unprotected):
        if HEADER_KID in bucket and not isinstance(bucket[HEADER_KID], bytes):
            raise CoseError("kid must be a byte string")
        ctype = bucket.get(HEADER_CONTENT_TYPE)
        if ctype is not None and (isinstance(ctype, bool) or not isinstance(ctype, (int, str))):
            raise CoseError("content type must be an integer or a text string")


@dataclass(frozen=True, slots=True)
class CoseSign1:
    """A parsed COSE_Sign1 message (RFC 9052 section 4.2). Build with :meth:`from_bytes`.

    ``protected_bytes`` are the protected-header bytes exactly as signed; ``protected`` is
    their decoded map. Parsing does not verify: call :meth:`verify`.
    """

    protected: dict[Any, Any]
    protected_bytes: bytes
    unprotected: dict[Any, Any]
    payload: bytes
    signature: bytes

    @property
    def kid(self) -> bytes | None:
        """The key identifier (label 4), protected header first, or ``None``."""
        kid = self.protected.get(HEADER_KID, self.unprotected.get(HEADER_KID))
        return kid if isinstance(kid, bytes) else None

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        *,
        max_size: int = _DEFAULT_MAX_SIZE,
        require_tag: bool = False,
        detached_payload: bytes | None = None,
        understood_critical: Collection[int | str] = frozenset(),
    ) -> CoseSign1:
        """Parse a COSE_Sign1 message strictly (module docstring) without verifying it.

        Args:
            data: the encoded message, tagged with tag 18 or not.
            max_size: refuse messages longer than this many bytes.
            require_tag: refuse an untagged message.
            detached_payload: the payload, for a message whose payload is ``nil``
                (RFC 9052 section 2); refused if the message carries its own payload.
            understood_critical: labels this caller processes, which ``crit`` may name.

        Raises:
            CoseError: a malformed message or header (also plain CBOR problems, wrapped).
            UnsupportedAlgorithm: no ``alg`` or one other than EdDSA.
        """
        try:
            item = cbor.decode(
                data, max_size=max_size, max_depth=_COSE_MAX_DEPTH, allowed_tags=_TAG_18
            )
        except DecodeError as exc:
            raise CoseError(f"COSE_Sign1: {exc.message}") from exc
        if isinstance(item, cbor.Tag):
            item = item.value
        elif require_tag:
            raise CoseMissingTag("COSE_Sign1 must carry tag 18")
        # RFC 9052 section 4.2: COSE_Sign1 = [protected bstr, unprotected map, payload
        # bstr / nil, signature bstr].
        if type(item) is not list or len(item) != 4:
            raise CoseError("COSE_Sign1 must be an array of four items")
        protected_bytes, unprotected, payload, signature = item
        if type(protected_bytes) is not bytes:
            raise CoseError("protected header must be a byte string")
        if type(unprotected) is not dict:
            raise CoseError("unprotected header must be a map")
        if type(signature) is not bytes or len(signature) != _SIG_LEN:
            raise CoseError("EdDSA signature must be a 64-byte string")
        if payload is None:
            if detached_payload is None:
                raise CoseDetachedPayload("detached payload not supplied")
            payload = _require_bytes(detached_payload, "detached payload")
        elif type(payload) is not bytes:
            raise CoseError("payload must be a byte string or nil")
        elif detached_payload is not None:
            raise CoseError("message has a payload; none may be supplied")
        protected = cls._decode_protected(protected_bytes, max_size)
        _check_headers(protected, unprotected, understood_critical)
        return cls(protected, protected_bytes, unprotected, payload, signature)

    @staticmethod
    def _decode_protected(protected_bytes: bytes, max_size: int) -> dict[Any, Any]:
        # RFC 9052 section 3: an empty protected header is the zero-length byte string.
        if not protected_bytes:
            return {}
        if protected_bytes == _PROTECTED_ALG_ONLY:
            # The header of nearly every message ({1: -8}): its one decoding, without the
            # decoder (a fresh dict each time, since the parsed message exposes it).
            return {HEADER_ALG: ALG_EDDSA}
        try:
            protected = cbor.decode(
                protected_bytes,
                max_size=max_size,
                max_depth=_COSE_MAX_DEPTH,
                deterministic=False,
            )
        except DecodeError as exc:
            raise CoseError(f"protected header: {exc.message}") from exc
        if type(protected) is not dict:
            raise CoseError("protected header must encode a map")
        return protected

    def verify(self, key: Ed25519PublicKey, *, external_aad: bytes = b"") -> bytes:
        """Verify the EdDSA signature (RFC 9052 section 4.4) and return the payload.

        Raises:
            InvalidSignature: the signature does not verify under ``key``.
            InvalidKey: ``key`` is not an :class:`~did.Ed25519PublicKey`.
            EncodingError: ``external_aad`` is not bytes.
        """
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidKey("COSE EdDSA verification needs an Ed25519PublicKey")
        aad = external_aad if type(external_aad) is bytes else _require_bytes(external_aad, "aad")
        to_be_signed = _sig_structure(self.protected_bytes, aad, self.payload)
        # RFC 9053 section 2.2: EdDSA signs the ToBeSigned bytes directly (PureEdDSA).
        # libsodium's crypto_sign_open checks the 64-byte signature prefixed to the message;
        # calling it directly skips PyNaCl's wrapper objects on this hot path.
        try:
            _sign_open(self.signature + to_be_signed, key.to_bytes())
        except (BadSignatureError, CryptoError, ValueError) as exc:
            raise InvalidSignature("COSE_Sign1 signature does not verify") from exc
        return self.payload


def sign1(
    payload: bytes,
    key: Ed25519PrivateKey,
    *,
    kid: bytes | None = None,
    protected: Mapping[int | str, object] | None = None,
    unprotected: Mapping[int | str, object] | None = None,
    external_aad: bytes = b"",
    tagged: bool = True,
) -> bytes:
    """Sign ``payload`` as a deterministic COSE_Sign1 message with EdDSA.

    The protected header is ``{1: -8}`` plus ``{4: kid}`` when ``kid`` is given, plus
    ``protected``; both headers are encoded deterministically (RFC 8949 section 4.2.1).
    The result parses and verifies with :meth:`CoseSign1.from_bytes` (``crit``, if used,
    must then be declared understood by the recipient).

    Raises:
        EncodingError: a non-bytes payload, kid or aad, or a header value CBOR cannot encode.
        CoseError: conflicting headers (a label in both, ``alg`` in ``unprotected``, ``kid``
            given twice, a malformed ``crit``).
        UnsupportedAlgorithm: ``protected`` names an algorithm other than EdDSA.
        InvalidKey: ``key`` is not an :class:`~did.Ed25519PrivateKey`.
    """
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidKey("COSE EdDSA signing needs an Ed25519PrivateKey")
    payload = _require_bytes(payload, "payload")
    aad = _require_bytes(external_aad, "external_aad")
    header: dict[int | str, object] = {HEADER_ALG: ALG_EDDSA}
    kid_bytes = None if kid is None else _require_bytes(kid, "kid")
    if kid_bytes is not None:
        header[HEADER_KID] = kid_bytes
    for label, value in (protected or {}).items():
        if label == HEADER_ALG and (type(value) is not int or value != ALG_EDDSA):
            raise UnsupportedAlgorithm(f"algorithm {value!r} is not supported (only EdDSA, -8)")
        if label in header and header[label] != value:
            raise CoseError(f"protected header {label!r} conflicts with the signing options")
        header[label] = value
    unprot = dict(unprotected or {})
    if protected or unprot:
        # A sender that lists crit labels promises they are understood; the recipient
        # decides what it understands.
        understood = header.keys() if HEADER_CRIT in header else frozenset()
        _check_headers(header, unprot, understood)
        protected_bytes = cbor.encode(header)
        unprotected_bytes = cbor.encode(unprot)
    else:
        # The hot path: {1: -8} or {1: -8, 4: kid}, whose deterministic encoding is fixed
        # (key 0x01 sorts before 0x04, RFC 8949 section 4.2.1); the unprotected map is empty.
        protected_bytes = _PROTECTED_ALG_ONLY
        if kid_bytes is not None:
            protected_bytes = _PROTECTED_ALG_KID_PREFIX + _bstr(kid_bytes)
        unprotected_bytes = b"\xa0"
    signature = key.sign(_sig_structure(protected_bytes, aad, payload))
    body = b"".join(
        (b"\x84", _bstr(protected_bytes), unprotected_bytes, _bstr(payload), _bstr(signature))
    )
    # RFC 9052 section 4.2: tag 18 is d2 (major type 6, value 18).
    return b"\xd2" + body if tagged else body


def verify1(
    message: bytes,
    key: Ed25519PublicKey,
    *,
    external_aad: bytes = b"",
    max_size: int = _DEFAULT_MAX_SIZE,
    require_tag: bool = False,
    understood_critical: Collection[int | str] = frozenset(),
) -> bytes:
    """Parse ``message`` strictly, verify it under ``key`` and return the payload.

    Raises:
        CoseError: a malformed message (see :meth:`CoseSign1.from_bytes`).
        UnsupportedAlgorithm: an algorithm other than EdDSA.
        InvalidSignature: the signature does not verify.
        InvalidKey: ``key`` is not an Ed25519 public key.
    """
    parsed = CoseSign1.from_bytes(
        message,
        max_size=max_size,
        require_tag=require_tag,
        understood_critical=understood_critical,
    )
    return parsed.verify(key, external_aad=external_aad)
