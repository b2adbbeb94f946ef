"""did:web: the DID ↔ URL mapping (w3c-ccg did:web section 3.2) and hosted documents."""

from __future__ import annotations

import pytest

from did import (
    DidDocument,
    Ed25519PrivateKey,
    X25519PrivateKey,
    did_web_document,
    did_web_to_url,
    url_to_did_web,
)
from did.errors import InvalidDid, InvalidDidDocument, InvalidKey, MethodNotSupported

# The did:web specification's own examples (section 3.2, "Read (Resolve)") and ours.
MAPPING = [
    ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
    ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
    ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
    ("did:web:example.com%3A8443", "https://example.com:8443/.well-known/did.json"),
    (
        "did:web:registry.jeju.example:venues:v-000123",
        "https://registry.jeju.example/venues/v-000123/did.json",
    ),
    ("did:web:localhost%3A8000:venues:a", "https://localhost:8000/venues/a/did.json"),
    ("did:web:xn--9n2bp8q.example:a%20b", "https://xn--9n2bp8q.example/a%20b/did.json"),
]


@pytest.mark.parametrize(("did", "url"), MAPPING)
def test_did_to_url_and_back(did: str, url: str) -> None:
    assert did_web_to_url(did) == url
    assert url_to_did_web(url) == did


def test_lowercase_percent_encoded_port_and_host_case() -> None:
    assert (
        did_web_to_url("did:web:example.com%3a3000")
        == "https://example.com:3000/.well-known/did.json"
    )
    assert did_web_to_url("did:web:Example.COM") == "https://example.com/.well-known/did.json"


def test_url_forms_that_map_to_a_did() -> None:
    assert url_to_did_web("https://example.com") == "did:web:example.com"
    assert url_to_did_web("https://example.com/") == "did:web:example.com"
    assert url_to_did_web("https://EXAMPLE.com/user/alice") == "did:web:example.com:user:alice"
    assert url_to_did_web("https://example.com/user/alice/") == "did:web:example.com:user:alice"
    assert url_to_did_web("https://example.com/~bob/did.json") == "did:web:example.com:%7Ebob"


@pytest.mark.parametrize(
    "did",
    [
        "did:web:192.168.0.1",  # IP addresses are refused (did:web 3.2)
        "did:web:127.0.0.1%3A8080",
        "did:web:example..com",
        "did:web:-example.com",
        "did:web:example-.com",
        "did:web:intranet",  # not fully qualified
        "did:web:example.com%3A0",
        "did:web:example.com%3A65536",
        "did:web:example.com%3A08080",
        "did:web:example.com%3Aabc",
        "did:web:example.com%3A",
        "did:web:exa%41mple.com",
        "did:web:example.com::alice",  # empty segment
        "did:web:example.com:user:",
        "did:web:example.com:..:secret",
        "did:web:example.com:%2E%2E:secret",
        "did:web:example.com:a%2Fb",
        "did:web:example.com#key-1",
        "did:web:example.com/path",
        "did:web:" + "a" * 64 + ".com",
        "did:web:" + ".".join(["abcdefgh"] * 30),
        "did:web:",
        "web:example.com",
        "",
    ],
)
def test_bad_did_web_refused(did: str) -> None:
    with pytest.raises(InvalidDid):
        did_web_to_url(did)


def test_other_method_is_not_supported() -> None:
    with pytest.raises(MethodNotSupported):
        did_web_to_url("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/.well-known/did.json",
        "https://user:pw@example.com/did.json",
        "https://example.com/did.json?x=1",
        "https://example.com/did.json#frag",
        "https://192.168.1.1/.well-known/did.json",
        "https://[::1]/.well-known/did.json",
        "https://example.com/.well-known/other.json",
        "https://example.com/a//b/did.json",
        "https://example.com/../did.json",
        "https://example.com:99999/",
        "ftp://example.com/",
        "not a url",
    ],
)
def test_bad_urls_refused(url: str) -> None:
    with pytest.raises(InvalidDid):
        url_to_did_web(url)


def test_hosted_document_has_keys_in_their_relationships() -> None:
    sk = Ed25519PrivateKey.generate()
    xk = X25519PrivateKey.generate().public_key
    did = "did:web:registry.example:venues:v1"
    doc = did_web_document(
        did,
        signing_key=sk.public_key,
        agreement_key=xk,
        services=[{"id": "#checkin", "type": "CheckIn", "serviceEndpoint": "https://v.example/in"}],
    )
    assert doc.id == did
    for rel in (
        "authentication",
        "assertionMethod",
        "capabilityInvocation",
        "capabilityDelegation",
    ):
        assert [vm.public_key() for vm in doc.methods_for(rel)] == [sk.public_key]
    assert [vm.public_key() for vm in doc.methods_for("keyAgreement")] == [xk]
    assert doc.services[0].id == did + "#checkin"
    assert DidDocument.from_json(doc.to_json_bytes()) == doc
    without = did_web_document(did, signing_key=sk.public_key)
    assert "keyAgreement" not in without.to_json()


def test_hosted_document_refuses_bad_input() -> None:
    sk = Ed25519PrivateKey.generate()
    with pytest.raises(InvalidDid):
        did_web_document("did:web:10.0.0.1", signing_key=sk.public_key)
    with pytest.raises(InvalidKey):
        did_web_document("did:web:example.com", signing_key=sk.public_key.to_x25519())  # type: ignore[arg-type]
    with pytest.raises(InvalidDidDocument):
        did_web_document(
            "did:web:example.com",
            signing_key=sk.public_key,
            services=[{"id": "#s", "type": "X", "serviceEndpoint": "no uri"}],
        )
