"""DID documents and verification methods (DID Core 1.0, section 5), parsed strictly.

Quick start::

    from did._document import DidDocument
    doc = DidDocument.from_json(text)              # raises InvalidDidDocument
    for vm in doc.methods_for("assertionMethod"):
        key = vm.public_key()                      # Ed25519PublicKey | X25519PublicKey
    doc.to_json()                                  # a JSON-ready dict

Parsing refuses what DID Core forbids (an ``id`` that is not a DID, a verification method
without exactly one key-material property, duplicate method or service ids, a dangling
reference into the document, private key material in ``publicKeyJwk``) and bounds size and
depth. Properties we do not know are kept and written back by :meth:`DidDocument.to_json`.
Relative DID URLs (``#key-1``, DID Core 3.2.2) are made absolute against the document ``id``.
"""

from __future__ import annotations

import json
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import base58

from did._didsyntax import is_did, parse_did_url
from did._docjson import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    check_bounds,
    freeze,
    is_uri,
    load_json_object,
    thaw,
)
from did._keys import (
    Ed25519PublicKey,
    X25519PublicKey,
    public_key_from_jwk,
    public_key_from_multikey,
)
from did._multibase import MAX_MULTIBASE_CHARS
from did.errors import (
    DecodeError,
    InvalidDid,
    InvalidDidDocument,
    InvalidKey,
    VerificationMethodNotFound,
)

__all__ = [
    "DID_CONTEXT_V1",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "RELATIONSHIPS",
    "DidDocument",
    "Service",
    "VerificationMethod",
    "VerificationMethodNotFound",
]

DID_CONTEXT_V1 = "https://www.w3.org/ns/did/v1"

# DID Core 5.3: the verification relationships.
RELATIONSHIPS = (
    "authentication",
    "assertionMethod",
    "keyAgreement",
    "capabilityInvocation",
    "capabilityDelegation",
)

# DID Core 5.2.1 defines publicKeyJwk and publicKeyMultibase; the DID Specification
# Registries add publicKeyBase58 (the legacy 2018/2019 suites) and a few deprecated forms.
# A method carries exactly one of them.
_SUPPORTED_MATERIAL = ("publicKeyMultibase", "publicKeyBase58", "publicKeyJwk")
_KEY_MATERIAL = frozenset(
    (*_SUPPORTED_MATERIAL, "publicKeyHex", "publicKeyPem", "publicKeyBase64", "blockchainAccountId")
)
# RFC 7517/7518: JWK members that carry private or symmetric key material.
_PRIVATE_JWK_MEMBERS = frozenset(("d", "p", "q", "dp", "dq", "qi", "oth", "k"))
_B58_ALPHABET = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")


def _absolute(ref: object, base: str, what: str) -> str:
    """A DID URL from ``ref``, resolving a fragment-only relative reference (DID Core 3.2.2)."""
    if not isinstance(ref, str):
        raise InvalidDidDocument(f"{what} must be a string")
    if ref.startswith("#"):
        ref = base + ref
    try:
        parse_did_url(ref)
    except InvalidDid as exc:
        raise InvalidDidDocument(f"{what} is not a valid DID URL") from exc
    return ref


@dataclass(frozen=True, slots=True)
class VerificationMethod:
    """One verification method (DID Core 5.2) with exactly one key-material property.

    ``key_property`` names it (``publicKeyMultibase``, ``publicKeyBase58``, ``publicKeyJwk``
    …) and ``key_value`` holds its value. ``extra`` keeps unknown properties.
    """

    id: str
    type: str
    controller: str
    key_property: str
    key_value: Any
    extra: Mapping[str, Any] = field(default_factory=dict)
    _key: Ed25519PublicKey | X25519PublicKey | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        try:
            parse_did_url(self.id)
        except InvalidDid as exc:
            raise InvalidDidDocument("verification method id is not a DID URL") from exc
        if not isinstance(self.type, str) or not self.type:
            raise InvalidDidDocument("verification method type must be a non-empty string")
        if not is_did(self.controller):
            raise InvalidDidDocument("verification method controller must be a DID")
        if self.key_property not in _KEY_MATERIAL:
            raise InvalidDidDocument("unknown key-material property")
        if self.key_property == "publicKeyJwk":
            if not isinstance(self.key_value, Mapping):
                raise InvalidDidDocument("publicKeyJwk must be a JSON object")
            # DID Core 5.2.1: publicKeyJwk MUST NOT contain private key members.
            if _PRIVATE_JWK_MEMBERS & set(self.key_value):
                raise InvalidDidDocument("publicKeyJwk contains private key material")
        elif not isinstance(self.key_value, str) or not self.key_value:
            raise InvalidDidDocument(f"{self.key_property} must be a non-empty string")
        object.__setattr__(self, "key_value", freeze(self.key_value))
        object.__setattr__(self, "extra", freeze(dict(self.extra)))

    @classmethod
    def from_json(cls, obj: object, *, base_did: str) -> VerificationMethod:
        """Parse one verification-method map; relative ids resolve against ``base_did``.

        Raises:
            InvalidDidDocument: on a missing or malformed property or not exactly one
                key-material property.
        """
        if not isinstance(obj, Mapping):
            raise InvalidDidDocument("verification method must be a JSON object")
        material = [k for k in obj if k in _KEY_MATERIAL]
        if len(material) != 1:
            raise InvalidDidDocument("verification method needs exactly one key-material property")
        for required in ("id", "type", "controller"):
            if required not in obj:
                raise InvalidDidDocument(f"verification method has no {required!r}")
        known = {"id", "type", "controller", material[0]}
        return cls(
            id=_absolute(obj["id"], base_did, "verification method id"),
            type=obj["type"],
            controller=obj["controller"],
            key_property=material[0],
            key_value=obj[material[0]],
            extra={k: v for k, v in obj.items() if k not in known},
        )

    @property
    def did(self) -> str:
        """The DID part of :attr:`id` (without path, query or fragment)."""
        return parse_did_url(self.id).did

    @property
    def fragment(self) -> str | None:
        """The fragment of :attr:`id`, or ``None``."""
        return parse_did_url(self.id).fragment

    def public_key(self) -> Ed25519PublicKey | X25519PublicKey:
        """The Ed25519 or X25519 key this method carries, checked against its ``type``.

        Raises:
            InvalidKey: on malformed key material, a key type other than Ed25519/X25519, or
                a ``type`` that does not match the key (an Ed25519VerificationKey2018 holding
                an X25519 key, for instance).
        """
        if self._key is not None:
            return self._key
        key = self._decode_key()
        object.__setattr__(self, "_key", key)
        return key

    def _decode_key(self) -> Ed25519PublicKey | X25519PublicKey:
        prop, value, kind = self.key_property, self.key_value, self.type
        key: Ed25519PublicKey | X25519PublicKey
        if prop == "publicKeyMultibase":
            # Multikey (CID 1.0 2.2.2) and the 2020 suites carry a multicodec header.
            key = public_key_from_multikey(value)
            if kind == "Multikey":
                return key
            if kind == "Ed25519VerificationKey2020" and isinstance(key, Ed25519PublicKey):
                return key
            if kind == "X25519KeyAgreementKey2020" and isinstance(key, X25519PublicKey):
                return key
            raise InvalidKey(f"publicKeyMultibase does not match method type {kind!r}")
        if prop == "publicKeyBase58":
            # The 2018/2019 suites carry the raw key bytes in base58btc.
            raw = _b58_raw(value)
            if kind == "Ed25519VerificationKey2018":
                return Ed25519PublicKey(raw)
            if kind == "X25519KeyAgreementKey2019":
                return X25519PublicKey(raw)
            raise InvalidKey(f"publicKeyBase58 is not supported for method type {kind!r}")
        if prop == "publicKeyJwk":
            if kind not in ("JsonWebKey2020", "JsonWebKey"):
                raise InvalidKey(f"publicKeyJwk is not supported for method type {kind!r}")
            return public_key_from_jwk(thaw(value))
        raise InvalidKey(f"{prop} is not a supported key encoding")

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready map (ids absolute)."""
        out: dict[str, Any] = {"id": self.id, "type": self.type, "controller": self.controller}
        out[self.key_property] = thaw(self.key_value)
        out.update(thaw(self.extra))
        return out


def _b58_raw(value: str) -> bytes:
    if len(value) > MAX_MULTIBASE_CHARS or not set(value) <= _B58_ALPHABET:
        raise InvalidKey("publicKeyBase58 is not base58btc")
    return bytes(base58.b58decode(value))


@dataclass(frozen=True, slots=True)
class Service:
    """A service entry (DID Core 5.4): ``id`` (URI), ``type`` and ``serviceEndpoint``."""

    id: str
    type: str | tuple[str, ...]
    service_endpoint: Any
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not is_uri(self.id):
            raise InvalidDidDocument("service id must be a URI")
        types_ = (self.type,) if isinstance(self.type, str) else self.type
        if (
            not isinstance(types_, tuple)
            or not types_
            or not all(isinstance(t, str) and t for t in types_)
        ):
            raise InvalidDidDocument("service type must be a string or a list of strings")
        # DID Core 5.4: serviceEndpoint is a URI string, a map, or a set of those.
        endpoint = self.service_endpoint
        items = list(endpoint) if isinstance(endpoint, list | tuple) else [endpoint]
        if not items:
            raise InvalidDidDocument("serviceEndpoint list must not be empty")
        for item in items:
            if not (isinstance(item, Mapping) or is_uri(item)):
                raise InvalidDidDocument("serviceEndpoint must be a URI, a map, or a list of them")
        object.__setattr__(self, "service_endpoint", freeze(self.service_endpoint))
        object.__setattr__(self, "extra", freeze(dict(self.extra)))

    @classmethod
    def from_json(cls, obj: object, *, base_did: str) -> Service:
        """Parse one service map; a ``#fragment`` id resolves against ``base_did``.

        Raises:
            InvalidDidDocument: on a missing or malformed property.
        """
        if not isinstance(obj, Mapping):
            raise InvalidDidDocument("service must be a JSON object")
        for required in ("id", "type", "serviceEndpoint"):
            if required not in obj:
                raise InvalidDidDocument(f"service has no {required!r}")
        sid = obj["id"]
        if isinstance(sid, str) and sid.startswith("#"):
            sid = base_did + sid
        stype = obj["type"]
        return cls(
            id=sid,
            type=tuple(stype) if isinstance(stype, list) else stype,
            service_endpoint=obj["serviceEndpoint"],
            extra={k: v for k, v in obj.items() if k not in ("id", "type", "serviceEndpoint")},
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready map."""
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type if isinstance(self.type, str) else list(self.type),
            "serviceEndpoint": thaw(self.service_endpoint),
        }
        out.update(thaw(self.extra))
        return out


Reference = str | VerificationMethod


@dataclass(frozen=True, slots=True)
class DidDocument:
    """A DID document (DID Core 5). Build with :meth:`from_json` or the constructor.

    ``relationships`` maps a relationship name to its entries: absolute DID URL strings
    (references) or embedded :class:`VerificationMethod` objects. An empty ``context``
    means the plain JSON representation (``application/did+json``).

    Raises:
        InvalidDidDocument: from the constructor, on any DID Core violation.
    """

    id: str
    context: tuple[Any, ...] = ()
    controller: tuple[str, ...] = ()
    also_known_as: tuple[str, ...] = ()
    verification_methods: tuple[VerificationMethod, ...] = ()
    relationships: Mapping[str, tuple[Reference, ...]] = field(default_factory=dict)
    services: tuple[Service, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    _index: Mapping[str, VerificationMethod] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not is_did(self.id):
            raise InvalidDidDocument("document id must be a DID (DID Core 5.1.1)")
        if self.context and self.context[0] != DID_CONTEXT_V1:
            raise InvalidDidDocument(f"the first @context must be {DID_CONTEXT_V1}")
        for ctx in self.context:
            if not (isinstance(ctx, Mapping) or is_uri(ctx)):
                raise InvalidDidDocument("@context entries must be URIs or maps")
        if not all(is_did(c) for c in self.controller):
            raise InvalidDidDocument("controller must be a DID or a set of DIDs (DID Core 5.1.2)")
        if not all(is_uri(a) for a in self.also_known_as):
            raise InvalidDidDocument("alsoKnownAs entries must be URIs (DID Core 5.1.3)")
        if set(self.relationships) - set(RELATIONSHIPS):
            raise InvalidDidDocument("unknown verification relationship")
        index: dict[str, VerificationMethod] = {}
        embedded = [e for es in self.relationships.values() for e in es if not isinstance(e, str)]
        for vm in (*self.verification_methods, *embedded):
            if not isinstance(vm, VerificationMethod):
                raise InvalidDidDocument("verification methods must be VerificationMethod")
            # DID Core 5.2: verification method ids are unique within the document.
            if vm.id in index:
                raise InvalidDidDocument(f"duplicate verification method id {vm.id!r}")
            index[vm.id] = vm
        for entries in self.relationships.values():
            for entry in entries:
                local = isinstance(entry, str) and parse_did_url(entry).did == self.id
                if local and entry not in index:
                    raise InvalidDidDocument(f"reference {entry!r} names no method here")
        service_ids = [s.id for s in self.services]
        if len(set(service_ids)) != len(service_ids):
            raise InvalidDidDocument("duplicate service id (DID Core 5.4)")
        object.__setattr__(self, "relationships", types.MappingProxyType(dict(self.relationships)))
        object.__setattr__(self, "context", tuple(freeze(c) for c in self.context))
        object.__setattr__(self, "extra", freeze(dict(self.extra)))
        object.__setattr__(self, "_index", types.MappingProxyType(index))

    @classmethod
    def from_json(
        cls, obj: Mapping[str, Any] | str | bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES
    ) -> DidDocument:
        """Parse a DID document from JSON text, UTF-8 bytes, or an already-decoded map.

        Text is parsed strictly: UTF-8 only, no duplicate keys, no NaN/Infinity, at most
        ``max_bytes`` bytes, nesting at most ``MAX_DEPTH``.

        Raises:
            InvalidDidDocument: on malformed JSON, oversize or overdeep input, or any DID
                Core violation.
        """
        if isinstance(obj, str | bytes | bytearray):
            try:
                obj = load_json_object(obj, max_bytes=max_bytes)
            except DecodeError as exc:
                raise InvalidDidDocument(f"DID document is not valid JSON: {exc.message}") from exc
        if not isinstance(obj, Mapping):
            raise InvalidDidDocument("DID document must be a JSON object")
        try:
            check_bounds(obj, max_depth=MAX_DEPTH, max_bytes=max_bytes)
        except DecodeError as exc:
            raise InvalidDidDocument(exc.message) from exc
        return cls._from_map(obj)

    @classmethod
    def _from_map(cls, obj: Mapping[str, Any]) -> DidDocument:
        did = obj.get("id")
        if not isinstance(did, str) or not is_did(did):
            raise InvalidDidDocument("document id must be a DID (DID Core 5.1.1)")
        context = _string_or_list(obj.get("@context", []), "@context", allow_maps=True)
        controller = _string_or_list(obj.get("controller", []), "controller")
        aka = obj.get("alsoKnownAs", [])
        if not isinstance(aka, list):
            raise InvalidDidDocument("alsoKnownAs must be a list")
        vms = obj.get("verificationMethod", [])
        if not isinstance(vms, list):
            raise InvalidDidDocument("verificationMethod must be a list")
        relationships: dict[str, tuple[Reference, ...]] = {}
        for rel in RELATIONSHIPS:
            if rel not in obj:
                continue
            entries = obj[rel]
            if not isinstance(entries, list):
                raise InvalidDidDocument(f"{rel} must be a list")
            relationships[rel] = tuple(
                VerificationMethod.from_json(e, base_did=did)
                if isinstance(e, Mapping)
                else _absolute(e, did, f"{rel} reference")
                for e in entries
            )
        services = obj.get("service", [])
        if not isinstance(services, list):
            raise InvalidDidDocument("service must be a list")
        known = {"@context", "id", "controller", "alsoKnownAs", "verificationMethod", "service"}
        known.update(RELATIONSHIPS)
        return cls(
            id=did,
            context=tuple(context),
            controller=tuple(controller),
            also_known_as=tuple(aka),
            verification_methods=tuple(VerificationMethod.from_json(v, base_did=did) for v in vms),
            relationships=relationships,
            services=tuple(Service.from_json(s, base_did=did) for s in services),
            extra={k: v for k, v in obj.items() if k not in known},
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready map (a fresh, mutable copy)."""
        out: dict[str, Any] = {}
        if self.context:
            out["@context"] = [thaw(c) for c in self.context]
        out["id"] = self.id
        if self.controller:
            out["controller"] = (
                self.controller[0] if len(self.controller) == 1 else list(self.controller)
            )
        if self.also_known_as:
            out["alsoKnownAs"] = list(self.also_known_as)
        if self.verification_methods:
            out["verificationMethod"] = [vm.to_json() for vm in self.verification_methods]
        for rel, entries in self.relationships.items():
            out[rel] = [e if isinstance(e, str) else e.to_json() for e in entries]
        if self.services:
            out["service"] = [s.to_json() for s in self.services]
        out.update(thaw(self.extra))
        return out

    def to_json_bytes(self) -> bytes:
        """Compact UTF-8 JSON, as served at a did:web URL."""
        return json.dumps(self.to_json(), separators=(",", ":"), ensure_ascii=False).encode()

    def verification_method(self, id_or_fragment: str) -> VerificationMethod:
        """The method with this absolute id, ``#fragment`` or bare fragment.

        Raises:
            VerificationMethodNotFound: if the document has no such method (this includes
                references to methods in other DIDs' documents).
        """
        if not isinstance(id_or_fragment, str):
            raise VerificationMethodNotFound("verification method id must be a string")
        if id_or_fragment.startswith("#"):
            key = self.id + id_or_fragment
        elif id_or_fragment.startswith("did:"):
            key = id_or_fragment
        else:
            key = f"{self.id}#{id_or_fragment}"
        vm = self._index.get(key)
        if vm is None:
            raise VerificationMethodNotFound("no such verification method in the DID document")
        return vm

    def references_for(self, relationship: str) -> tuple[str, ...]:
        """The absolute ids of every method in ``relationship`` (embedded ones included).

        Raises:
            InvalidDidDocument: for an unknown relationship name.
        """
        if relationship not in RELATIONSHIPS:
            raise InvalidDidDocument(f"unknown verification relationship {relationship!r}")
        entries = self.relationships.get(relationship, ())
        return tuple(e if isinstance(e, str) else e.id for e in entries)

    def methods_for(self, relationship: str) -> list[VerificationMethod]:
        """The methods of this document authorised for ``relationship`` (DID Core 5.3).

        References to methods of other DIDs are skipped (see :meth:`references_for`).

        Raises:
            InvalidDidDocument: for an unknown relationship name.
        """
        return [self._index[r] for r in self.references_for(relationship) if r in self._index]

    def has_relationship(self, method_id: str, relationship: str) -> bool:
        """Whether the absolute ``method_id`` is listed under ``relationship``.

        Raises:
            InvalidDidDocument: for an unknown relationship name.
        """
        return method_id in self.references_for(relationship)


def _string_or_list(value: object, what: str, *, allow_maps: bool = False) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        for item in value:
            if not (isinstance(item, str) or (allow_maps and isinstance(item, Mapping))):
                raise InvalidDidDocument(f"{what} entries must be strings")
        return list(value)
    raise InvalidDidDocument(f"{what} must be a string or a list")
