"""The identity credential: a VC 2.0 ``VerifiedPersonCredential`` in two signed forms
(DESIGN.md "Credentials").

An identity issuer verifies a person (by mobile carrier, in person, ...) and issues two
signed forms of the same claims at once with :func:`issue_person_credential`:

* the **JSON form**: a VC Data Model 2.0 credential secured with Data Integrity
  ``eddsa-jcs-2022`` (:mod:`did.vc`), for wallets, issuers and any VC tooling;
* the **compact form** (:class:`~protocol.CompactPersonCredential`, its wire
  table in :mod:`protocol._compact`): a tagged COSE_Sign1 that the issuer signs beside
  it and that travels only inside sealed envelopes.

:class:`PersonCredential` holds both and checks that they state the same claims. The
sealed plaintexts (:class:`~protocol.IdentityPlaintext`, with the holder's signature, and
the gateways' :class:`~protocol.GatewayPlaintext`) live in :mod:`protocol._plaintext`.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Self

import rfc8785

from did import Ed25519PrivateKey, cbor, ed25519_public_key_from_did, require_did
from did.errors import DecodeError, InputError, InvalidKey
from did.vc import (
    VC_V2_CONTEXT,
    KeyResolver,
    ProofOptions,
    add_proof,
    format_datetime,
    load_json,
    parse_datetime,
    verify_credential,
)
from did.vc.errors import CredentialError, UntrustedIssuer
from protocol._compact import (
    _MAX_DID_CHARS,
    CompactPersonCredential,
    IdentityVerification,
    _check_holder,
    _check_name,
    _id_bytes,
    check_phone,
    issuer_tag,
)
from protocol.errors import TwinMismatch
from protocol.wire import check_now, fail, time_value

__all__ = ["PERSON_CREDENTIAL_TYPE", "PersonCredential", "issue_person_credential"]

PERSON_CREDENTIAL_TYPE = "VerifiedPersonCredential"
_VOCAB = "https://anshim.example/ns/person/v1#"
#: Terms this credential adds to the VC 2.0 context (which defines ``name``).
_CONTEXT = {
    PERSON_CREDENTIAL_TYPE: _VOCAB + PERSON_CREDENTIAL_TYPE,
    "telephone": "https://schema.org/telephone",
    "identityVerification": _VOCAB + "identityVerification",
}
_SUBJECT_KEYS = frozenset(("id", "telephone", "name", "identityVerification"))


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
