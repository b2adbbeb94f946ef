"""The VC Data Model: credentials and presentations, parsed strictly.

VC Data Model 2.0 is what anshim issues. VC Data Model 1.1 (``issuanceDate`` /
``expirationDate``) is read, and produced only for legacy interop formats
(``Ed25519Signature2020``, VC-JWT), because other toolkits still expect it.

Quick start::

    from did.vc import Credential, Presentation
    cred = Credential.from_json(data)       # bytes/str; strict and bounded
    cred.issuer, cred.types, cred.valid_until, cred.subject_ids
    cred.document                            # the JSON object, proof included

Parsing checks structure only (VC Data Model 2.0 §4); proofs, validity and status are
checked by :mod:`did.vc._verify`. Every failure raises :class:`~did.vc.errors.CredentialError`
(a ``ValueError``) or, for presentations, :class:`~did.vc.errors.PresentationError`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from did import check_bounds, is_uri, load_json_object
from did.errors import DecodeError
from did.vc._suites import parse_datetime
from did.vc.errors import CredentialError, PresentationError

__all__ = [
    "MAX_CREDENTIAL_BYTES",
    "MAX_JSON_DEPTH",
    "VC_V1_CONTEXT",
    "VC_V2_CONTEXT",
    "Credential",
    "Presentation",
    "load_json",
]

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"

# A status list credential of 131,072 random bits is about 22 KB of base64url; presentations
# embed a few credentials. 512 KiB leaves room and still bounds the work per request.
MAX_CREDENTIAL_BYTES = 512 * 1024
# presentation → verifiableCredential → credentialSubject → claims → … stays well below.
MAX_JSON_DEPTH = 32
_MAX_LIST_ITEMS = 64


def load_json(
    data: str | bytes | bytearray, *, max_bytes: int = MAX_CREDENTIAL_BYTES
) -> dict[str, Any]:
    """Parse a JSON object strictly (UTF-8, no duplicate keys, no NaN, bounded size/depth).

    Raises :class:`~did.vc.errors.CredentialError` on anything else.
    """
    try:
        value = load_json_object(data, max_bytes=max_bytes)
        check_bounds(value, max_depth=MAX_JSON_DEPTH, max_bytes=max_bytes)
    except DecodeError as exc:
        raise CredentialError(f"not a usable JSON object: {exc.message}") from None
    return value


def _check_value(value: object, error: type[CredentialError]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise error("a credential or presentation must be a JSON object")
    try:
        check_bounds(value, max_depth=MAX_JSON_DEPTH, max_bytes=MAX_CREDENTIAL_BYTES)
    except DecodeError as exc:
        raise error(f"not a usable JSON object: {exc.message}") from None
    return value


def _one_or_many(value: object, what: str, error: type[CredentialError]) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise error(f"{what} must not be empty")
    if len(items) > _MAX_LIST_ITEMS:
        raise error(f"{what} has too many entries")
    return items


def _parse_context(doc: Mapping[str, Any], error: type[CredentialError]) -> str:
    # VC Data Model 2.0 §4.3: an ordered set whose first item is the v2 context URL.
    # VC 1.1 §4.1: the first item is the v1 context URL.
    context = doc.get("@context")
    if not isinstance(context, list) or not context:
        raise error("@context must be a non-empty list")
    if len(context) > _MAX_LIST_ITEMS:
        raise error("@context has too many entries")
    for item in context:
        if not (is_uri(item) or isinstance(item, dict)):
            raise error("each @context entry must be a URL or an object")
    if context[0] == VC_V2_CONTEXT:
        return "2.0"
    if context[0] == VC_V1_CONTEXT:
        return "1.1"
    raise error(f"the first @context entry must be {VC_V2_CONTEXT} (or VC 1.1's)")


def _parse_types(
    doc: Mapping[str, Any], required: str, error: type[CredentialError]
) -> tuple[str, ...]:
    # VC Data Model 2.0 §4.5: one or more terms, one of which is the base type.
    if "type" not in doc:
        raise error("type is required")
    types = _one_or_many(doc["type"], "type", error)
    if not all(isinstance(t, str) and t and len(t) <= 256 for t in types):
        raise error("each type must be a non-empty string")
    if len(set(types)) != len(types):
        raise error("type has duplicate entries")
    if required not in types:
        raise error(f"type must include {required}")
    return tuple(types)


def _parse_id(value: object, what: str, error: type[CredentialError]) -> str:
    # VC Data Model 2.0 §4.4: identifiers are URLs.
    if not isinstance(value, str) or not is_uri(value):
        raise error(f"{what} must be a URL")
    return value


def _optional_id(doc: Mapping[str, Any], error: type[CredentialError]) -> str | None:
    return _parse_id(doc["id"], "id", error) if "id" in doc else None


def _parse_party(value: object, what: str, error: type[CredentialError]) -> str:
    # VC Data Model 2.0 §4.7 (issuer) and §4.2 (holder): a URL, or an object with an id URL.
    if isinstance(value, dict):
        if "id" not in value:
            raise error(f"{what} object must have an id")
        return _parse_id(value["id"], f"{what} id", error)
    return _parse_id(value, what, error)


def _parse_dates(
    doc: Mapping[str, Any], version: str
) -> tuple[_dt.datetime | None, _dt.datetime | None]:
    if version == "2.0":
        # VC Data Model 2.0 §4.9: validFrom / validUntil, both optional.
        for legacy in ("issuanceDate", "expirationDate"):
            if legacy in doc:
                raise CredentialError(f"{legacy} is VC 1.1; VC 2.0 uses validFrom/validUntil")
        start = parse_datetime(doc["validFrom"], "validFrom") if "validFrom" in doc else None
        end = parse_datetime(doc["validUntil"], "validUntil") if "validUntil" in doc else None
    else:
        # VC 1.1 §4.6 and §4.7: issuanceDate is required, expirationDate optional.
        if "issuanceDate" not in doc:
            raise CredentialError("a VC 1.1 credential needs issuanceDate")
        start = parse_datetime(doc["issuanceDate"], "issuanceDate")
        end = (
            parse_datetime(doc["expirationDate"], "expirationDate")
            if "expirationDate" in doc
            else None
        )
    if start is not None and end is not None and end < start:
        raise CredentialError("the validity period ends before it starts")
    return start, end


def _parse_subjects(doc: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    # VC Data Model 2.0 §4.8: one or more subject objects, each with at least one claim.
    if "credentialSubject" not in doc:
        raise CredentialError("credentialSubject is required")
    subjects = _one_or_many(doc["credentialSubject"], "credentialSubject", CredentialError)
    for subject in subjects:
        if not isinstance(subject, dict) or not subject:
            raise CredentialError("each credentialSubject must be a non-empty object")
        if "id" in subject:
            _parse_id(subject["id"], "credentialSubject id", CredentialError)
    return tuple(subjects)


def _parse_status(doc: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    # VC Data Model 2.0 §4.10: credentialStatus is one or more objects, each with a type.
    if "credentialStatus" not in doc:
        return ()
    entries = _one_or_many(doc["credentialStatus"], "credentialStatus", CredentialError)
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            raise CredentialError("each credentialStatus must be an object with a type")
        if "id" in entry:
            _parse_id(entry["id"], "credentialStatus id", CredentialError)
    return tuple(entries)


def _parse_proofs(
    doc: Mapping[str, Any], error: type[CredentialError]
) -> tuple[dict[str, Any], ...]:
    if "proof" not in doc:
        return ()
    proofs = _one_or_many(doc["proof"], "proof", error)
    if not all(isinstance(p, dict) for p in proofs):
        raise error("each proof must be an object")
    return tuple(proofs)


@dataclass(frozen=True)
class Credential:
    """A verifiable credential whose structure follows the VC Data Model.

    Build one with :meth:`from_json` or :meth:`from_dict`; the constructor does not check.
    ``document`` is the JSON object itself (not copied; do not mutate it).
    """

    document: dict[str, Any]
    version: str
    id: str | None
    types: tuple[str, ...]
    issuer: str
    valid_from: _dt.datetime | None
    valid_until: _dt.datetime | None
    subjects: tuple[dict[str, Any], ...]
    status: tuple[dict[str, Any], ...]
    proofs: tuple[dict[str, Any], ...]

    @classmethod
    def from_json(cls, data: str | bytes | bytearray) -> Credential:
        """Parse a credential from JSON text.

        Raises :class:`~did.vc.errors.CredentialError` on malformed JSON or structure.
        """
        return cls.from_dict(load_json(data))

    @classmethod
    def from_dict(cls, document: object) -> Credential:
        """Check a decoded JSON object against the data model and wrap it.

        Raises :class:`~did.vc.errors.CredentialError` naming the first offending field.
        """
        doc = _check_value(document, CredentialError)
        version = _parse_context(doc, CredentialError)
        if "issuer" not in doc:
            raise CredentialError("issuer is required")
        start, end = _parse_dates(doc, version)
        return cls(
            document=doc,
            version=version,
            id=_optional_id(doc, CredentialError),
            types=_parse_types(doc, "VerifiableCredential", CredentialError),
            issuer=_parse_party(doc["issuer"], "issuer", CredentialError),
            valid_from=start,
            valid_until=end,
            subjects=_parse_subjects(doc),
            status=_parse_status(doc),
            proofs=_parse_proofs(doc, CredentialError),
        )

    @property
    def subject_ids(self) -> tuple[str, ...]:
        """The ``id`` of every subject that has one."""
        return tuple(s["id"] for s in self.subjects if "id" in s)

    @property
    def unsecured(self) -> dict[str, Any]:
        """The document without its ``proof`` member (a shallow copy)."""
        return {k: v for k, v in self.document.items() if k != "proof"}

    def __repr__(self) -> str:
        return f"Credential(id={self.id!r}, types={self.types!r}, issuer={self.issuer!r})"


@dataclass(frozen=True)
class Presentation:
    """A verifiable presentation whose structure follows VC Data Model 2.0 §4.13.

    ``credentials`` holds each entry of ``verifiableCredential`` as given: a JSON object
    (an embedded secured credential) or a string (a compact VC-JWT).
    """

    document: dict[str, Any]
    version: str
    id: str | None
    types: tuple[str, ...]
    holder: str | None
    credentials: tuple[dict[str, Any] | str, ...]
    proofs: tuple[dict[str, Any], ...]

    @classmethod
    def from_json(cls, data: str | bytes | bytearray) -> Presentation:
        """Parse a presentation from JSON text.

        Raises :class:`~did.vc.errors.PresentationError` (or ``CredentialError`` for JSON
        that does not parse).
        """
        return cls.from_dict(load_json(data))

    @classmethod
    def from_dict(cls, document: object) -> Presentation:
        """Check a decoded JSON object against the data model and wrap it.

        Raises :class:`~did.vc.errors.PresentationError` naming the first offending field.
        """
        doc = _check_value(document, PresentationError)
        version = _parse_context(doc, PresentationError)
        holder = (
            _parse_party(doc["holder"], "holder", PresentationError) if "holder" in doc else None
        )
        credentials: list[dict[str, Any] | str] = []
        if "verifiableCredential" in doc:
            for item in _one_or_many(
                doc["verifiableCredential"], "verifiableCredential", PresentationError
            ):
                if not isinstance(item, dict | str):
                    raise PresentationError("verifiableCredential entries are objects or JWTs")
                credentials.append(item)
        return cls(
            document=doc,
            version=version,
            id=_optional_id(doc, PresentationError),
            types=_parse_types(doc, "VerifiablePresentation", PresentationError),
            holder=holder,
            credentials=tuple(credentials),
            proofs=_parse_proofs(doc, PresentationError),
        )

    @property
    def unsecured(self) -> dict[str, Any]:
        """The document without its ``proof`` member (a shallow copy)."""
        return {k: v for k, v in self.document.items() if k != "proof"}

    def __repr__(self) -> str:
        return f"Presentation(id={self.id!r}, holder={self.holder!r})"
