"""The identity credential: a VC 2.0 ``VerifiedPersonCredential`` and its compact COSE twin
(DESIGN.md "Credentials"), and the plaintext a wallet seals into every check-in envelope.

An identity issuer verifies a person (by mobile carrier, in person, ...) and issues two
signed forms of the same claims at once with :func:`issue_person_credential`:

* the **JSON form**: a VC Data Model 2.0 credential secured with Data Integrity
  ``eddsa-jcs-2022`` (:mod:`did.vc`), for wallets, issuers and any VC tooling;
* the **compact form** (:class:`CompactPersonCredential`): a tagged COSE_Sign1 (RFC 9052
  section 4.2, EdDSA) that the issuer signs beside it. It travels only inside sealed
  envelopes, and after custodians unseal one, an investigator checks the issuer's signature
  on it with :meth:`CompactPersonCredential.verify`.

The compact form must fit, with a 16-byte visit nonce, in the envelope's padded plaintext
(``ENVELOPE_SIZE`` minus escrow's 142-byte overhead, one byte of which the padding needs):
191 bytes. Its payload is therefore a positional CBOR array, not a keyed map:

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
at most 174 bytes (158 plus the name), an :class:`IdentityPlaintext` at most 191.

The sealed plaintext (:class:`IdentityPlaintext`) is ``0x01 ‖ visit nonce (16) ‖ compact
form``: a fixed layout, decoded strictly.
"""

from __future__ import annotations

import datetime as _dt
import enum
import hashlib
import os
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Self

import rfc8785

from did import cbor, cose
from did._didsyntax import require_did
from did.didkey import did_from_public_key, ed25519_public_key_from_did
from did.errors import AnshimError, DecodeError, InputError, InvalidKey, InvalidSignature
from did.keys import Ed25519PrivateKey, Ed25519PublicKey
from did.protocol._wire import PROTECTED_EDDSA, check_now, fail, text_value, time_value
from did.protocol.errors import BadSignature, Expired, ProtocolError, TimeError
from did.protocol.values import ENVELOPE_SIZE
from did.vc import ProofOptions, add_proof, verify_credential
from did.vc._suites import format_datetime, parse_datetime
from did.vc.credential import VC_V2_CONTEXT, load_json
from did.vc.data_integrity import KeyResolver
from did.vc.errors import CredentialError, UntrustedIssuer

__all__ = [
    "COMPACT_OVERHEAD",
    "IDENTITY_PAD",
    "MAX_COMPACT_SIZE",
    "MAX_IDENTITY_PLAINTEXT",
    "MAX_NAME_BYTES",
    "PERSON_CREDENTIAL_TYPE",
    "VISIT_NONCE_SIZE",
    "CompactPersonCredential",
    "IdentityPlaintext",
    "IdentityVerification",
    "NotYetValid",
    "PersonCredential",
    "TwinMismatch",
    "WrongIssuer",
    "check_phone",
    "issue_person_credential",
    "issuer_tag",
]

#: escrow's envelope overhead (``escrow.ENVELOPE_OVERHEAD``): header, R, the proof's c and z,
#: the nonce and the tag. did/ cannot import escrow; ``tests/test_person_*`` pins the two.
_ESCROW_OVERHEAD = 142
#: The ``pad_to`` every identity envelope is sealed with, so that the envelope is exactly
#: :data:`~did.protocol.ENVELOPE_SIZE` bytes. This is the one place that defines it.
IDENTITY_PAD = ENVELOPE_SIZE - _ESCROW_OVERHEAD
#: The longest sealed plaintext: escrow's padding needs one byte (ISO/IEC 7816-4).
MAX_IDENTITY_PLAINTEXT = IDENTITY_PAD - 1
VISIT_NONCE_SIZE = 16
_PLAINTEXT_VERSION = 1
_PLAINTEXT_HEADER = 1 + VISIT_NONCE_SIZE
#: The longest compact form that fits beside the nonce.
MAX_COMPACT_SIZE = MAX_IDENTITY_PLAINTEXT - _PLAINTEXT_HEADER
#: COSE framing of a compact form: tag, array head, protected ``{1: -8}``, empty unprotected
#: map, the payload's 2-byte head and the 64-byte signature with its 2-byte head.
COMPACT_OVERHEAD = 1 + 1 + 4 + 1 + 2 + 66
#: The longest name the compact form can carry (see the module docstring's budget).
MAX_NAME_BYTES = 16
PERSON_CREDENTIAL_TYPE = "VerifiedPersonCredential"

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
_VOCAB = "https://anshim.example/ns/person/v1#"
#: Terms this credential adds to the VC 2.0 context (which defines ``name``).
_CONTEXT = {
    PERSON_CREDENTIAL_TYPE: _VOCAB + PERSON_CREDENTIAL_TYPE,
    "telephone": "https://schema.org/telephone",
    "identityVerification": _VOCAB + "identityVerification",
}
_SUBJECT_KEYS = frozenset(("id", "telephone", "name", "identityVerification"))


class TwinMismatch(ProtocolError):
    """The JSON form and the compact form of a person credential disagree."""

    code = "twin_mismatch"


class WrongIssuer(BadSignature):
    """A compact credential whose issuer tag names another issuer than the one asked for."""

    code = "wrong_issuer"


class NotYetValid(TimeError):
    """A credential checked before its ``validFrom``."""

    code = "not_yet_valid"


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
            NotYetValid, Expired: ``now`` is given and outside ``[valid_from, valid_until)``.
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
                raise NotYetValid(f"{_WHAT}: not valid yet")
            if when >= self.valid_until:
                raise Expired(f"{_WHAT}: the credential has expired")

    def __repr__(self) -> str:
        # The phone number and name are personal data: never in logs.
        return f"CompactPersonCredential(id={self.credential_urn}, {len(self.cbor)} bytes)"


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
        return bytes((_PLAINTEXT_VERSION,)) + self.nonce + self.compact

    @classmethod
    def from_bytes(cls, data: bytes) -> IdentityPlaintext:
        """Decode an unsealed plaintext strictly.

        Raises:
            MalformedMessage: a wrong version byte, a wrong length, or a compact form that
                does not parse.
        """
        if type(data) is not bytes or not _PLAINTEXT_HEADER < len(data) <= MAX_IDENTITY_PLAINTEXT:
            raise fail("IdentityPlaintext", f"must be bytes of at most {MAX_IDENTITY_PLAINTEXT}")
        if data[0] != _PLAINTEXT_VERSION:
            raise fail("IdentityPlaintext", "unknown version")
        return cls(data[_PLAINTEXT_HEADER:], data[1:_PLAINTEXT_HEADER])

    def credential(self) -> CompactPersonCredential:
        """The compact credential (parsed, not yet verified: call its ``verify``)."""
        return CompactPersonCredential.from_cbor(self.compact)

    def __repr__(self) -> str:
        return f"IdentityPlaintext({len(self.compact)}-byte compact credential)"


def _iso(seconds: int) -> str:
    return format_datetime(_dt.datetime.fromtimestamp(seconds, _dt.UTC))


def _seconds(value: object, what: str) -> int:
    try:
        moment = parse_datetime(value, what)
    except CredentialError as exc:
        raise fail("VerifiedPersonCredential", exc.message) from exc
    seconds = moment.timestamp()
    if seconds != int(seconds):
        raise fail("VerifiedPersonCredential", f"{what} must be whole seconds")
    return time_value(int(seconds), "VerifiedPersonCredential", what)


@dataclass(frozen=True, slots=True, repr=False)
class PersonCredential:
    """Both forms of one ``VerifiedPersonCredential``: the JSON VC (``document``, proof
    included) and its compact twin. Build with :func:`issue_person_credential`,
    :meth:`from_parts` or :meth:`from_bytes`; check with :meth:`verify`.
    """

    document: Mapping[str, Any]
    compact: CompactPersonCredential

    @classmethod
    def from_parts(cls, document: Mapping[str, Any] | str | bytes, compact: bytes) -> Self:
        """Parse the two forms and check that they state the same claims.

        Raises:
            CredentialError: the JSON form is not a credential.
            MalformedMessage: a claim is malformed in either form.
            TwinMismatch: the forms disagree.
        """
        doc = load_json(document) if isinstance(document, (str, bytes)) else dict(document)
        twin = CompactPersonCredential.from_cbor(compact)
        credential = cls(doc, twin)
        credential._check_twin()
        return credential

    def _claims(self) -> dict[str, Any]:
        doc, w = self.document, "VerifiedPersonCredential"
        types = doc.get("type")
        if not isinstance(types, list) or PERSON_CREDENTIAL_TYPE not in types:
            raise fail(w, f"type must include {PERSON_CREDENTIAL_TYPE}")
        subject = doc.get("credentialSubject")
        if not isinstance(subject, dict) or not set(subject) <= _SUBJECT_KEYS:
            raise fail(w, "credentialSubject must be one object with the person's claims")
        issuer = doc.get("issuer")
        if not isinstance(issuer, str) or len(issuer) > _MAX_DID_CHARS:
            raise fail(w, "issuer must be a DID")
        require_did(issuer)
        return {
            "credential_id": _id_bytes(doc.get("id"), w),
            "issuer_tag": issuer_tag(issuer),
            "holder": _check_holder(subject.get("id"), w),
            "phone": check_phone(subject.get("telephone")),
            "name": _check_name(subject.get("name"), w),
            "verified_by": IdentityVerification.from_term(subject.get("identityVerification")),
            "valid_from": _seconds(doc.get("validFrom"), "validFrom"),
            "valid_until": _seconds(doc.get("validUntil"), "validUntil"),
        }

    def _check_twin(self) -> None:
        claims = self._claims()
        twin = self.compact
        if any(getattr(twin, name) != value for name, value in claims.items()):
            raise TwinMismatch("VerifiedPersonCredential: the JSON and compact forms disagree")

    @property
    def issuer(self) -> str:
        """The issuer's DID."""
        return str(self.document["issuer"])

    @property
    def holder(self) -> str:
        """The holder's long-term ``did:key`` (the credential subject)."""
        return self.compact.holder

    @property
    def credential_id(self) -> str:
        """The credential's ``urn:uuid:`` id (also the trace-seed label's credential id)."""
        return self.compact.credential_urn

    def to_bytes(self) -> bytes:
        """Deterministic CBOR ``[1, JSON form (RFC 8785 bytes), compact form]`` for storage."""
        return cbor.encode([1, bytes(rfc8785.dumps(dict(self.document))), self.compact.cbor])

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Decode :meth:`to_bytes` output strictly.

        Raises:
            MalformedMessage, CredentialError, TwinMismatch: as :meth:`from_parts`.
        """
        try:
            item = cbor.decode(data, max_size=64 * 1024, max_depth=2)
        except DecodeError as exc:
            raise fail("PersonCredential", exc.message) from exc
        if (
            type(item) is not list
            or len(item) != 3
            or item[0] != 1
            or type(item[1]) is not bytes
            or type(item[2]) is not bytes
        ):
            raise fail("PersonCredential", "must be [1, JSON bytes, compact bytes]")
        return cls.from_parts(item[1], item[2])

    def verify(
        self,
        *,
        now: int,
        resolver: KeyResolver | None = None,
        trusted_issuers: Collection[str] | None = None,
    ) -> None:
        """Verify both forms: the JSON form's eddsa-jcs-2022 proof by its issuer (keys from
        ``resolver``; default: did:key only), its validity at ``now``, the twin's claims and
        the issuer's COSE signature on it under the same key, and (if given) that the issuer
        is one of ``trusted_issuers``.

        Raises:
            UntrustedIssuer: the issuer is not in ``trusted_issuers``.
            ProofError, IssuerMismatch, ExpiredCredential, NotYetValid (did.vc),
                CredentialError: from :func:`did.vc.verify_credential`.
            MalformedMessage, TwinMismatch: the forms are malformed or disagree.
            BadSignature: the compact form's signature does not verify.
            InputError: ``now`` is not an int.
        """
        when = check_now(now)
        if trusted_issuers is not None and self.issuer not in trusted_issuers:
            raise UntrustedIssuer("the identity issuer is not trusted")
        moment = _dt.datetime.fromtimestamp(when, _dt.UTC)
        result = verify_credential(dict(self.document), resolver=resolver, now=moment)
        self._check_twin()
        method = str(result.proofs[0]["verificationMethod"])
        if resolver is not None:
            key = resolver.verification_key(method, relationship="assertionMethod")
        else:
            key = ed25519_public_key_from_did(method)
        self.compact.verify(key, issuer_did=self.issuer, now=when)

    def __repr__(self) -> str:
        return f"PersonCredential(id={self.credential_id}, issuer={self.issuer})"


def issue_person_credential(
    issuer_key: Ed25519PrivateKey,
    issuer_did: str,
    holder_did: str,
    phone: str,
    *,
    name: str | None = None,
    verified_by: IdentityVerification = IdentityVerification.MOBILE_CARRIER,
    valid_from: int,
    valid_until: int,
    credential_id: str | None = None,
    verification_method: str | None = None,
) -> PersonCredential:
    """Issue a ``VerifiedPersonCredential`` in both forms (module docstring).

    ``verification_method`` is the issuer's key's DID URL (default: the did:key's own
    ``did:key:z…#z…``; give it for a did:web issuer). ``credential_id`` is a ``urn:uuid:``
    URN (default: a random UUID).

    Raises:
        MalformedMessage: a phone that is not strict E.164, a name over
            :data:`MAX_NAME_BYTES` UTF-8 bytes or not NFC text, bad times, a holder that is
            not an Ed25519 did:key, or a bad credential id.
        InvalidDid: ``issuer_did`` is not a DID.
        InvalidKey: ``issuer_key`` is not an Ed25519 private key.
    """
    if not isinstance(issuer_key, Ed25519PrivateKey):
        raise InvalidKey("the issuer key must be an Ed25519PrivateKey")
    require_did(issuer_did)
    if not isinstance(verified_by, IdentityVerification):
        raise InputError("verified_by must be an IdentityVerification")
    cid = uuid.uuid4().bytes if credential_id is None else _id_bytes(credential_id, "issue")
    compact = CompactPersonCredential(
        credential_id=cid,
        issuer_tag=issuer_tag(issuer_did),
        holder=_check_holder(holder_did, "issue"),
        phone=check_phone(phone),
        name=_check_name(name, "issue"),
        verified_by=verified_by,
        valid_from=valid_from,
        valid_until=valid_until,
    ).sign(issuer_key)
    subject: dict[str, Any] = {"id": holder_did, "telephone": phone}
    if name is not None:
        subject["name"] = name
    subject["identityVerification"] = verified_by.term
    document = {
        "@context": [VC_V2_CONTEXT, _CONTEXT],
        "id": compact.credential_urn,
        "type": ["VerifiableCredential", PERSON_CREDENTIAL_TYPE],
        "issuer": issuer_did,
        "validFrom": _iso(valid_from),
        "validUntil": _iso(valid_until),
        "credentialSubject": subject,
    }
    if verification_method is None:
        if not issuer_did.startswith("did:key:"):
            raise InputError("a verification_method is needed for an issuer that is not did:key")
        verification_method = f"{issuer_did}#{issuer_did[len('did:key:') :]}"
    options = ProofOptions(verification_method=verification_method, created=_iso(valid_from))
    secured = add_proof(document, issuer_key, options)
    return PersonCredential(secured, compact)
