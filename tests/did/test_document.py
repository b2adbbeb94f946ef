"""DID documents: DID Core 1.0 section 5 parsing, refusals, round trips and key material."""

from __future__ import annotations

import copy
import json
from typing import Any

import base58
import pytest

from did import (
    DidDocument,
    Ed25519PrivateKey,
    VerificationMethod,
    VerificationMethodNotFound,
    X25519PrivateKey,
    did_key_document,
)
from did.errors import InvalidDidDocument, InvalidKey, NotFound

SK = Ed25519PrivateKey.from_seed(bytes(range(32)))
XK = X25519PrivateKey.from_bytes(bytes(range(1, 33))).public_key
DID = "did:web:example.com:venues:v1"


def _doc() -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID,
        "controller": "did:web:example.com",
        "alsoKnownAs": ["https://example.com/venues/v1"],
        "verificationMethod": [
            {
                "id": "#sign-1",
                "type": "Multikey",
                "controller": DID,
                "publicKeyMultibase": SK.public_key.to_multikey(),
            },
            {
                "id": f"{DID}#jwk-1",
                "type": "JsonWebKey2020",
                "controller": DID,
                "publicKeyJwk": SK.public_key.to_jwk(),
                "revoked": "2024-01-01T00:00:00Z",
            },
        ],
        "assertionMethod": ["#sign-1", f"{DID}#jwk-1"],
        "authentication": ["#sign-1", "did:web:other.example#k"],
        "keyAgreement": [
            {
                "id": "#agree-1",
                "type": "X25519KeyAgreementKey2019",
                "controller": DID,
                "publicKeyBase58": base58.b58encode(XK.to_bytes()).decode(),
            }
        ],
        "service": [
            {"id": "#checkin", "type": "CheckIn", "serviceEndpoint": "https://example.com/in"},
            {
                "id": "https://example.com/svc",
                "type": ["A", "B"],
                "serviceEndpoint": [{"origins": ["https://a.example"]}, "https://b.example"],
            },
        ],
        "x-venue-category": {"class": 3, "nested": [1, 2.5, None, True]},
    }


def test_full_document_parses_and_round_trips() -> None:
    doc = DidDocument.from_json(json.dumps(_doc()))
    out = doc.to_json()
    # Relative ids come back absolute (DID Core 3.2.2); everything else unchanged.
    assert out["verificationMethod"][0]["id"] == f"{DID}#sign-1"
    assert out["verificationMethod"][1]["revoked"] == "2024-01-01T00:00:00Z"
    assert out["x-venue-category"] == {"class": 3, "nested": [1, 2.5, None, True]}
    assert out["controller"] == "did:web:example.com"
    assert out["service"][0]["id"] == f"{DID}#checkin"
    assert out["service"][1]["type"] == ["A", "B"]
    assert DidDocument.from_json(out) == doc
    assert DidDocument.from_json(doc.to_json_bytes()) == doc


def test_relationships_resolve_references_and_embedded_methods() -> None:
    doc = DidDocument.from_json(_doc())
    assert [vm.public_key() for vm in doc.methods_for("assertionMethod")] == [SK.public_key] * 2
    # A reference to another DID's method is kept but not returned as a local method.
    assert doc.references_for("authentication") == (f"{DID}#sign-1", "did:web:other.example#k")
    assert [vm.id for vm in doc.methods_for("authentication")] == [f"{DID}#sign-1"]
    assert doc.methods_for("keyAgreement")[0].public_key() == XK
    assert doc.methods_for("capabilityDelegation") == []
    assert doc.has_relationship(f"{DID}#jwk-1", "assertionMethod")
    assert not doc.has_relationship(f"{DID}#jwk-1", "authentication")
    with pytest.raises(InvalidDidDocument):
        doc.methods_for("signing")


def test_verification_method_lookup_forms() -> None:
    doc = DidDocument.from_json(_doc())
    vm = doc.verification_method(f"{DID}#sign-1")
    assert doc.verification_method("#sign-1") is vm
    assert doc.verification_method("sign-1") is vm
    assert vm.fragment == "sign-1"
    assert vm.did == DID
    assert doc.verification_method("agree-1").type == "X25519KeyAgreementKey2019"
    with pytest.raises(VerificationMethodNotFound):
        doc.verification_method("#nope")
    with pytest.raises(NotFound):
        doc.verification_method("did:web:other.example#k")


def test_document_is_immutable() -> None:
    doc = DidDocument.from_json(_doc())
    with pytest.raises(AttributeError):
        doc.id = "did:web:evil.example"  # type: ignore[misc]
    with pytest.raises(TypeError):
        doc.extra["x-venue-category"] = 1  # type: ignore[index]
    out = doc.to_json()
    out["x-venue-category"]["class"] = 9
    assert doc.to_json()["x-venue-category"]["class"] == 3


def _mutated(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_doc())
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["id"], "https://example.com"),
        (["id"], "did:Web:example.com"),
        (["id"], f"{DID}#frag"),
        (["id"], _DELETE),
        (["@context"], ["https://www.w3.org/2018/credentials/v1"]),
        (["@context"], 5),
        (["controller"], "not a did"),
        (["controller"], ["did:web:a.example", 7]),
        (["alsoKnownAs"], ["not a uri"]),
        (["alsoKnownAs"], "https://example.com"),
        (["verificationMethod"], {"id": "#x"}),
        (["verificationMethod", 0, "type"], ""),
        (["verificationMethod", 0, "controller"], "https://example.com"),
        (["verificationMethod", 0, "id"], "sign-1"),
        (["verificationMethod", 0, "controller"], _DELETE),
        (["verificationMethod", 0, "publicKeyMultibase"], _DELETE),
        (["verificationMethod", 0, "publicKeyJwk"], {"kty": "OKP"}),  # two materials
        (["verificationMethod", 1, "publicKeyJwk"], {**SK.to_jwk()}),  # private "d"
        (["verificationMethod", 1, "id"], f"{DID}#sign-1"),  # duplicate id
        (["keyAgreement", 0, "id"], "#sign-1"),  # embedded duplicate of a listed id
        (["assertionMethod"], ["#missing"]),  # dangling local reference
        (["assertionMethod"], "#sign-1"),
        (["authentication"], [17]),
        (["service", 0, "serviceEndpoint"], "not a uri"),
        (["service", 0, "serviceEndpoint"], []),
        (["service", 0, "type"], []),
        (["service", 0, "id"], _DELETE),
        (["service", 1, "id"], f"{DID}#checkin"),  # duplicate service id
        (["service"], {"id": "#s"}),
    ],
)
def test_did_core_violations_are_refused(path: list[Any], value: Any) -> None:
    with pytest.raises(InvalidDidDocument):
        DidDocument.from_json(_mutated(path, value))


@pytest.mark.parametrize(
    "text",
    [
        b"\xff\xfe{}",
        '{"id": "did:example:1", "id": "did:example:2"}',
        '{"id": "did:example:1", "n": NaN}',
        "[]",
        '{"id": "did:example:1"',
        '{"id": "did:example:1", "n": ' + "1" * 5000 + "}",
        '{"id": "did:example:1", "deep": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"id": "did:example:1", "deep": ' + "[" * 17 + "]" * 17 + "}",
    ],
)
def test_malformed_json_refused(text: str | bytes) -> None:
    with pytest.raises(InvalidDidDocument):
        DidDocument.from_json(text)


def test_size_bound_applies_to_text_and_maps() -> None:
    big = {"id": "did:example:1", "blob": "x" * 70_000}
    with pytest.raises(InvalidDidDocument):
        DidDocument.from_json(json.dumps(big))
    with pytest.raises(InvalidDidDocument):
        DidDocument.from_json(big)
    assert DidDocument.from_json(json.dumps(big), max_bytes=100_000).extra["blob"] == "x" * 70_000


def test_plain_json_representation_without_context() -> None:
    doc = DidDocument.from_json({"id": "did:example:123"})
    assert doc.context == ()
    assert doc.to_json() == {"id": "did:example:123"}


def test_non_json_types_in_maps_refused() -> None:
    with pytest.raises(InvalidDidDocument):
        DidDocument.from_json({"id": "did:example:1", "x": b"bytes"})
    with pytest.raises(InvalidDidDocument):
        DidDocument.from_json({"id": "did:example:1", "x": float("inf")})
    with pytest.raises(InvalidDidDocument):
        DidDocument.from_json({"id": "did:example:1", 3: "x"})  # type: ignore[dict-item]


def _vm(**fields: Any) -> VerificationMethod:
    base = {"id": f"{DID}#k", "controller": DID}
    return VerificationMethod.from_json({**base, **fields}, base_did=DID)


def test_public_key_checks_type_against_material() -> None:
    ed_mb, x_mb = SK.public_key.to_multikey(), XK.to_multikey()
    assert _vm(type="Ed25519VerificationKey2020", publicKeyMultibase=ed_mb).public_key()
    assert _vm(type="X25519KeyAgreementKey2020", publicKeyMultibase=x_mb).public_key() == XK
    assert _vm(type="JsonWebKey", publicKeyJwk=XK.to_jwk()).public_key() == XK
    refused = [
        _vm(type="Ed25519VerificationKey2020", publicKeyMultibase=x_mb),
        _vm(type="X25519KeyAgreementKey2020", publicKeyMultibase=ed_mb),
        _vm(type="EcdsaSecp256k1VerificationKey2019", publicKeyMultibase=ed_mb),
        _vm(type="Ed25519VerificationKey2018", publicKeyBase58="0OIl"),
        _vm(type="Ed25519VerificationKey2018", publicKeyBase58="3mJr7AoUXx2Wqd"),  # short
        _vm(type="Multikey", publicKeyJwk=SK.public_key.to_jwk()),
        _vm(type="JsonWebKey2020", publicKeyJwk={"kty": "EC", "crv": "P-256", "x": "AA"}),
        _vm(type="Multikey", publicKeyMultibase="zzzz"),
        _vm(type="Multikey", publicKeyHex="00" * 32),
    ]
    for vm in refused:
        with pytest.raises(InvalidKey):
            vm.public_key()


def test_did_key_documents_parse_through_the_same_rules() -> None:
    did = "did:key:" + SK.public_key.to_multikey()
    for rep in ("multikey", "legacy", "legacy-2020", "jwk"):
        doc = did_key_document(did, representation=rep)
        assert DidDocument.from_json(json.dumps(doc.to_json())) == doc
