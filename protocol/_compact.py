"""The compact COSE twin of the identity credential (DESIGN.md "Credentials": "a compact
CBOR form that keeps the issuer's signature verifiable after unsealing"). The JSON form and
issuance live in :mod:`protocol._person`; the sealed plaintexts that carry a compact
form in :mod:`protocol._plaintext`.

:class:`CompactPersonCredential` is a tagged COSE_Sign1 (RFC 9052 section 4.2, EdDSA) that
the issuer signs beside the JSON form. It travels only inside sealed envelopes, and after
custodians unseal one, an investigator checks the issuer's signature on it with
:meth:`CompactPersonCredential.verify`.

The compact form must fit, with the plaintext's kind byte, its 16-byte visit nonce and the
holder's 64-byte signature, in the envelope's padded plaintext
(:data:`~protocol.ENVELOPE_PAD_TO` bytes, one of which the padding needs): 174 bytes.
Its payload is therefore a positional CBOR array, not a keyed map:
===  =================  =============================================================
pos  claim              wire value
===  =================  =============================================================
0    version            1
1    credential id      16 bytes: the UUID of the JSON form's ``urn:uuid:`` id
2    issuer tag         8 bytes: SHA-256(``anshim/person/v1/issuer`` 0x00 ‖ issuer DID)[:8]
3    holder             32 bytes: the Ed25519 key of the holder's long-term ``did:key``
4    phone              uint: the E.164 number's digits (lossless: E.164 never starts with 0)
5    name               text of at most 16 UTF-8 bytes (NFC, no controls), or null
6    verified by        uint (:class:`IdentityVerification`)
7    valid from         uint, Unix seconds
8    valid until        uint, Unix seconds, later than valid from
===  =================  =============================================================

The issuer is named by a tag rather than by its DID because a did:key alone is 56 bytes and
the budget has no room for it: an investigator holds the short list of trusted identity
issuers and :meth:`CompactPersonCredential.issuer_in` finds the one the tag names. The
signature is made with external AAD ``anshim/protocol/v1/CompactPersonCredential`` (RFC 9052
section 4.3), so it never verifies as any other anshim message. Sizes: a compact form is
at most 174 bytes (158 plus the name), an identity plaintext at most 255.
"""

from __future__ import annotations

import enum
import hashlib
import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from did import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
    cbor,
    cose,
    did_from_public_key,
    ed25519_public_key_from_did,
    require_did,
)
from did.errors import AnshimError, DecodeError, InvalidKey, InvalidSignature
from protocol._values import MAX_IDENTITY_PLAINTEXT, VISIT_NONCE_SIZE
from protocol.errors import BadSignature, Expired, IdentityNotYetValid, WrongIssuer
from protocol.wire import PROTECTED_EDDSA, check_now, fail, text_value, time_value

__all__ = [
    "COMPACT_OVERHEAD",
    "MAX_COMPACT_SIZE",
    "MAX_NAME_BYTES",
    "CompactPersonCredential",
    "IdentityVerification",
    "check_phone",
    "issuer_tag",
]

#: The longest compact form that fits beside the plaintext's kind byte, visit nonce and
#: holder signature (64 bytes).
MAX_COMPACT_SIZE = MAX_IDENTITY_PLAINTEXT - 1 - VISIT_NONCE_SIZE - 64
#: COSE framing of a compact form: tag, array head, protected ``{1: -8}``, empty unprotected
#: map, the payload's 2-byte head and the 64-byte signature with its 2-byte head.
COMPACT_OVERHEAD = 1 + 1 + 4 + 1 + 2 + 66
#: The longest name the compact form can carry (see the module docstring's budget).
MAX_NAME_BYTES = 16

_VERSION = 1
_ID_SIZE = 16
_TAG_SIZE = 8
_KEY_SIZE = 32
_TAG_DOMAIN = b"anshim/person/v1/issuer\x00"
_AAD = b"anshim/protocol/v1/CompactPersonCredential"
_WHAT = "CompactPersonCredential"
_E164 = re.compile(r"\A\+[1-9][0-9]{6,14}\Z")
_MAX_PHONE = 10**15 - 1
_MIN_PHONE = 10**6
_MAX_DID_CHARS = 256


class IdentityVerification(enum.IntEnum):
    """How the issuer verified the person (wire integers are part of the format).

    The JSON form carries :attr:`term`: ``mobile-carrier`` (the carrier's real-name check of
    the phone's owner), ``in-person`` (an identity document checked at a counter),
    ``digital-id`` (a government digital identity) or ``bank`` (a bank's customer check).
    """

    MOBILE_CARRIER = 1
    IN_PERSON = 2
    DIGITAL_ID = 3
    BANK = 4

    @property
    def term(self) -> str:
        """The JSON term, e.g. ``mobile-carrier``."""
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_term(cls, value: object) -> IdentityVerification:
        """The member a JSON term names.

        Raises:
            MalformedMessage: an unknown term.
        """
        for member in cls:
            if member.term == value:
                return member
        raise fail("VerifiedPersonCredential", "unknown identityVerification")


def check_phone(value: object) -> str:
    """A phone number in strict E.164 form: ``+``, a non-zero digit, 7 to 15 digits in all.

    Raises:
        MalformedMessage: anything else (spaces, dashes, a national form, non-ASCII digits).
    """
    if type(value) is not str or _E164.match(value) is None:
        raise fail("VerifiedPersonCredential", "phone must be E.164: + and 7 to 15 digits")
    return value


def issuer_tag(issuer_did: str) -> bytes:
    """The 8-byte tag that names ``issuer_did`` in a compact credential.

    Raises:
        InvalidDid: ``issuer_did`` is not a DID.
    """
    require_did(issuer_did)
    return hashlib.sha256(_TAG_DOMAIN + issuer_did.encode("ascii")).digest()[:_TAG_SIZE]


def _check_name(value: object, what: str) -> str | None:
    if value is None:
        return None
    return text_value(value, what, "name", MAX_NAME_BYTES)


def _check_holder(value: object, what: str) -> str:
    if type(value) is not str or len(value) > _MAX_DID_CHARS:
        raise fail(what, "holder must be an Ed25519 did:key")
    try:
        ed25519_public_key_from_did(value)
    except AnshimError as exc:
        raise fail(what, "holder must be an Ed25519 did:key") from exc
    if "#" in value:
        raise fail(what, "holder must be a DID, not a DID URL")
    return value


def _urn(credential_id: bytes) -> str:
    return f"urn:uuid:{uuid.UUID(bytes=credential_id)}"


def _id_bytes(value: object, what: str) -> bytes:
    if type(value) is not str or not value.startswith("urn:uuid:"):
        raise fail(what, "credential id must be a urn:uuid: URN")
    try:
        parsed = uuid.UUID(value[len("urn:uuid:") :])
    except ValueError as exc:
        raise fail(what, "credential id must be a urn:uuid: URN") from exc
    if _urn(parsed.bytes) != value:
        raise fail(what, "credential id must be a canonical lowercase urn:uuid:")
    return parsed.bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class CompactPersonCredential:
    """The compact COSE twin (payload table in the module docstring).

    Build with :meth:`sign` (issuers) or :meth:`from_cbor` (everyone else); ``cbor`` holds
    the exact signed bytes. Equality compares those bytes.

    Raises (on construction):
        MalformedMessage: a claim of the wrong type or range, or a form over the size budget.
    """

    credential_id: bytes
    issuer_tag: bytes
    holder: str
    phone: str
    name: str | None
    verified_by: IdentityVerification
    valid_from: int
    valid_until: int
    cbor: bytes = b""
    version: int = _VERSION

    def __post_init__(self) -> None:
        if type(self.version) is not int or self.version != _VERSION:
            raise fail(_WHAT, "version must be 1")
        if type(self.credential_id) is not bytes or len(self.credential_id) != _ID_SIZE:
            raise fail(_WHAT, "credential id must be 16 bytes")
        if type(self.issuer_tag) is not bytes or len(self.issuer_tag) != _TAG_SIZE:
            raise fail(_WHAT, "issuer tag must be 8 bytes")
        _check_holder(self.holder, _WHAT)
        check_phone(self.phone)
        _check_name(self.name, _WHAT)
        try:
            object.__setattr__(self, "verified_by", IdentityVerification(self.verified_by))
        except ValueError as exc:
            raise fail(_WHAT, "unknown identity verification method") from exc
        time_value(self.valid_from, _WHAT, "valid_from")
        time_value(self.valid_until, _WHAT, "valid_until")
        if self.valid_until <= self.valid_from:
            raise fail(_WHAT, "valid_until must be later than valid_from")

    @property
    def credential_urn(self) -> str:
        """The credential id as the JSON form writes it (``urn:uuid:…``)."""
        return _urn(self.credential_id)

    def payload(self) -> bytes:
        """The deterministic CBOR payload (RFC 8949 section 4.2.1) the issuer signs."""
        return cbor.encode(
            [
                self.version,
                self.credential_id,
                self.issuer_tag,
                ed25519_public_key_from_did(self.holder).to_bytes(),
                int(self.phone[1:]),
                self.name,
                int(self.verified_by),
                self.valid_from,
                self.valid_until,
            ]
        )

    def sign(self, issuer_key: Ed25519PrivateKey) -> CompactPersonCredential:
        """This credential signed by the issuer: a copy whose ``cbor`` is the COSE_Sign1.

        Raises:
            InvalidKey: ``issuer_key`` is not an Ed25519 private key.
            MalformedMessage: the signed form exceeds :data:`MAX_COMPACT_SIZE`.
        """
        if not isinstance(issuer_key, Ed25519PrivateKey):
            raise InvalidKey("the issuer key must be an Ed25519PrivateKey")
        data = cose.sign1(self.payload(), issuer_key, external_aad=_AAD)
        if len(data) > MAX_COMPACT_SIZE:
            raise fail(_WHAT, f"{len(data)} bytes exceeds the {MAX_COMPACT_SIZE}-byte budget")
        return self.from_cbor(data)

    @classmethod
    def from_cbor(cls, data: bytes) -> CompactPersonCredential:
        """Decode a compact credential strictly, without checking its signature.

        Raises:
            MalformedMessage: over :data:`MAX_COMPACT_SIZE`, not a tagged COSE_Sign1 with
                exactly ``{alg: EdDSA}`` and no unprotected header, a payload that is not
                the 9-item array of the module docstring, or a claim out of range.
        """
        if type(data) is not bytes:
            raise fail(_WHAT, "input must be bytes")
        if len(data) > MAX_COMPACT_SIZE:
            raise fail(_WHAT, f"{len(data)} bytes exceeds {MAX_COMPACT_SIZE}")
        try:
            parsed = cose.CoseSign1.from_bytes(data, max_size=MAX_COMPACT_SIZE, require_tag=True)
            if parsed.protected_bytes != PROTECTED_EDDSA or parsed.unprotected:
                raise fail(_WHAT, "headers must be exactly {alg: EdDSA} and empty")
            item = cbor.decode(parsed.payload, max_size=MAX_COMPACT_SIZE, max_depth=2)
        except cose.UnsupportedAlgorithm as exc:
            raise fail(_WHAT, "only EdDSA is accepted") from exc
        except DecodeError as exc:
            raise fail(_WHAT, exc.message) from exc
        if type(item) is not list or len(item) != 9:
            raise fail(_WHAT, "payload must be an array of 9 claims")
        version, cid, tag, holder, phone, name, method, start, end = item
        if type(holder) is not bytes or len(holder) != _KEY_SIZE:
            raise fail(_WHAT, "holder must be a 32-byte Ed25519 key")
        if type(phone) is not int or not _MIN_PHONE <= phone <= _MAX_PHONE:
            raise fail(_WHAT, "phone must be the digits of an E.164 number")
        if type(method) is not int or method not in set(IdentityVerification):
            raise fail(_WHAT, "verified_by must be a known method number")
        try:
            holder_did = did_from_public_key(Ed25519PublicKey.from_bytes(holder))
        except InvalidKey as exc:
            raise fail(_WHAT, "holder must be a 32-byte Ed25519 key") from exc
        compact = cls(
            version=version,
            credential_id=cid,
            issuer_tag=tag,
            holder=holder_did,
            phone=f"+{phone}",
            name=name,
            verified_by=IdentityVerification(method),
            valid_from=start,
            valid_until=end,
            cbor=data,
        )
        if compact.payload() != parsed.payload:
            raise fail(_WHAT, "payload is not in its canonical form")
        return compact

    def issuer_in(self, issuers: Collection[str]) -> str:
        """The DID among ``issuers`` that this credential's issuer tag names.

        Raises:
            WrongIssuer: none of them.
            InvalidDid: an entry that is not a DID.
        """
        for did in issuers:
            if issuer_tag(did) == self.issuer_tag:
                return did
        raise WrongIssuer(f"{_WHAT}: issued by none of the given issuers")

    def verify(
        self,
        issuer_public_key: Ed25519PublicKey,
        *,
        issuer_did: str | None = None,
        now: int | None = None,
    ) -> None:
        """Check the issuer's signature (and, if given, the issuer DID and the validity).

        Raises:
            BadSignature: the signature does not verify under ``issuer_public_key``, or the
                credential was built without its signed bytes.
            WrongIssuer: ``issuer_did`` is given and the issuer tag names another DID.
            IdentityNotYetValid, Expired: ``now`` is given and outside
                ``[valid_from, valid_until)``.
            InvalidKey: ``issuer_public_key`` is not an Ed25519 public key.
            InputError: ``now`` is not an int.
        """
        if not isinstance(issuer_public_key, Ed25519PublicKey):
            raise InvalidKey("the issuer key must be an Ed25519PublicKey")
        if issuer_did is not None and issuer_tag(issuer_did) != self.issuer_tag:
            raise WrongIssuer(f"{_WHAT}: issued by another issuer")
        if not self.cbor:
            raise BadSignature(f"{_WHAT}: not signed")
        try:
            parsed = cose.CoseSign1.from_bytes(self.cbor, max_size=MAX_COMPACT_SIZE)
            parsed.verify(issuer_public_key, external_aad=_AAD)
        except (InvalidSignature, DecodeError) as exc:
            raise BadSignature(f"{_WHAT}: the issuer's signature does not verify") from exc
        if parsed.payload != self.payload():
            raise BadSignature(f"{_WHAT}: the claims are not the signed claims")
        if now is not None:
            when = check_now(now)
            if when < self.valid_from:
                raise IdentityNotYetValid(f"{_WHAT}: not valid yet")
            if when >= self.valid_until:
                raise Expired(f"{_WHAT}: the credential has expired")

    def __repr__(self) -> str:
        # The phone number and name are personal data: never in logs.
        return f"CompactPersonCredential(id={self.credential_urn}, {len(self.cbor)} bytes)"
