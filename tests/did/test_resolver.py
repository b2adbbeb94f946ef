"""DID resolution: did:key locally, did:web through InMemoryTransport / httpx.MockTransport."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from did import (
    DidDeactivated,
    Ed25519PrivateKey,
    Gone,
    HttpTransport,
    InMemoryTransport,
    MethodNotAuthorized,
    Resolver,
    Transport,
    VerificationMethodNotFound,
    X25519PrivateKey,
    did_from_public_key,
    did_web_document,
)
from did.errors import (
    ControllerMismatch,
    InvalidDid,
    InvalidDidDocument,
    InvalidKey,
    MethodNotSupported,
    NotFound,
    TransportError,
)

SK = Ed25519PrivateKey.from_seed(bytes(32))
XK = X25519PrivateKey.from_bytes(bytes(range(32))).public_key
WEB = "did:web:registry.example:venues:v1"
WEB_URL = "https://registry.example/venues/v1/did.json"
KEY = did_from_public_key(SK.public_key)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _hosted(did: str = WEB, key: Ed25519PrivateKey = SK) -> bytes:
    return did_web_document(did, signing_key=key.public_key, agreement_key=XK).to_json_bytes()


def _resolver(**kw: Any) -> tuple[Resolver, InMemoryTransport, Clock]:
    transport = InMemoryTransport({WEB_URL: _hosted()})
    clock = Clock()
    return Resolver(transport=transport, clock=clock, **kw), transport, clock


def test_did_key_resolves_without_transport() -> None:
    result = Resolver().resolve(KEY)
    out = result.to_json()
    assert result.error is None
    assert out["didResolutionMetadata"] == {"contentType": "application/did+ld+json"}
    assert out["didDocument"]["id"] == KEY
    assert out["didDocumentMetadata"] == {}
    legacy = Resolver().resolve(KEY, representation="legacy").to_json()
    assert legacy["didDocument"]["verificationMethod"][0]["type"] == "Ed25519VerificationKey2018"


def test_did_web_resolves_and_keys_dereference() -> None:
    resolver, _, _ = _resolver()
    doc = resolver.resolve_document(WEB)
    vm_id = f"{WEB}#{SK.public_key.to_multikey()}"
    assert doc.verification_method(vm_id).public_key() == SK.public_key
    assert resolver.verification_key(vm_id) == SK.public_key
    assert resolver.verification_key(vm_id, relationship="authentication") == SK.public_key
    agree = f"{WEB}#{XK.to_multikey()}"
    assert resolver.dereference(agree, relationship="keyAgreement").public_key() == XK
    with pytest.raises(MethodNotAuthorized):
        resolver.dereference(agree, relationship="assertionMethod")
    with pytest.raises(InvalidKey):
        resolver.verification_key(agree, relationship="keyAgreement")
    with pytest.raises(VerificationMethodNotFound):
        resolver.dereference(f"{WEB}#nope")
    with pytest.raises(InvalidDid):
        resolver.dereference(WEB)  # no fragment
    with pytest.raises(InvalidDidDocument):
        resolver.dereference(vm_id, relationship="signing")


def test_did_key_verification_key_fast_path_checks_relationship() -> None:
    resolver = Resolver()
    vm = f"{KEY}#{KEY[len('did:key:') :]}"
    assert resolver.verification_key(vm) == SK.public_key
    assert resolver.verification_key(KEY, relationship="capabilityInvocation") == SK.public_key
    with pytest.raises(MethodNotAuthorized):
        resolver.verification_key(vm, relationship="keyAgreement")
    with pytest.raises(InvalidDid):
        resolver.verification_key(f"{KEY}#other")
    agreement = resolver.dereference(
        f"{KEY}#{SK.public_key.to_x25519().to_multikey()}", relationship="keyAgreement"
    )
    assert agreement.public_key() == SK.public_key.to_x25519()


def test_attack_document_id_mismatch_refused() -> None:
    # A host serving another DID's document must not be believed (did:web 3.2).
    resolver, transport, _ = _resolver()
    transport.put(WEB_URL, _hosted(did="did:web:registry.example:venues:v2"))
    result = resolver.resolve(WEB)
    assert result.error == "invalidDidDocument"
    assert result.did_document is None
    with pytest.raises(InvalidDidDocument):
        resolver.resolve_document(WEB)


def test_attack_oversized_document_refused() -> None:
    resolver, transport, _ = _resolver(max_document_bytes=2048)
    padded = json.loads(_hosted())
    padded["padding"] = "x" * 4096
    transport.put(WEB_URL, json.dumps(padded).encode())
    assert resolver.resolve(WEB).error == "internalError"
    with pytest.raises(TransportError):
        resolver.resolve_document(WEB)


def test_cache_honours_ttl_with_injected_clock() -> None:
    resolver, transport, clock = _resolver(cache_ttl=60)
    first = resolver.resolve(WEB)
    assert resolver.resolve(WEB) is first
    assert transport.requests == [WEB_URL]
    other = Ed25519PrivateKey.generate()
    transport.put(WEB_URL, _hosted(key=other))  # key rotation at the host
    clock.now += 59.9
    assert resolver.verification_key(f"{WEB}#{SK.public_key.to_multikey()}") == SK.public_key
    clock.now += 0.2
    assert resolver.verification_key(f"{WEB}#{other.public_key.to_multikey()}") == other.public_key
    assert len(transport.requests) == 2
    resolver.clear_cache()
    resolver.resolve(WEB)
    assert len(transport.requests) == 3


def test_errors_are_not_cached() -> None:
    resolver, transport, _ = _resolver()
    transport.remove(WEB_URL)
    assert resolver.resolve(WEB).error == "notFound"
    transport.put(WEB_URL, _hosted())
    assert resolver.resolve(WEB).error is None


def test_deactivated_did_web() -> None:
    resolver, transport, _ = _resolver()
    transport.remove(WEB_URL, gone=True)
    result = resolver.resolve(WEB)
    assert result.deactivated
    assert result.error is None
    assert result.to_json()["didDocumentMetadata"] == {"deactivated": True}
    with pytest.raises(DidDeactivated):
        resolver.resolve_document(WEB)
    with pytest.raises(DidDeactivated):
        resolver.verification_key(f"{WEB}#{SK.public_key.to_multikey()}")


@pytest.mark.parametrize(
    ("did", "code"),
    [
        ("not-a-did", "invalidDid"),
        ("did:key:zzz", "invalidDid"),
        (f"{KEY}#frag", "invalidDid"),
        ("did:web:10.0.0.1", "invalidDid"),
        ("did:example:123", "methodNotSupported"),
        ("did:web:registry.example:venues:missing", "notFound"),
        (None, "invalidDid"),
        (42, "invalidDid"),
    ],
)
def test_resolve_never_raises_and_reports_codes(did: Any, code: str) -> None:
    resolver, _, _ = _resolver()
    result = resolver.resolve(did)
    assert result.error == code
    out = result.to_json()
    assert out["didDocument"] is None
    assert out["didResolutionMetadata"]["error"] == code
    assert isinstance(out["didResolutionMetadata"]["errorMessage"], str)


def test_typed_errors_from_resolve_document() -> None:
    resolver, _, _ = _resolver()
    with pytest.raises(InvalidDid):
        resolver.resolve_document("did:web:example.com:")
    with pytest.raises(MethodNotSupported):
        resolver.resolve_document("did:example:1")
    with pytest.raises(NotFound):
        resolver.resolve_document("did:web:registry.example:venues:missing")
    with pytest.raises(MethodNotSupported):
        Resolver().resolve_document(WEB)  # no transport configured


def test_representation_not_supported() -> None:
    resolver, _, _ = _resolver()
    assert resolver.resolve(KEY, representation="yaml").error == "representationNotSupported"
    assert resolver.resolve(WEB, representation="legacy").error == "representationNotSupported"


def test_malformed_web_document_is_invalid_did_document() -> None:
    resolver, transport, _ = _resolver()
    for body in (b"{", b"[]", b'{"id": "did:web:registry.example:venues:v1", "id": "x"}'):
        transport.put(WEB_URL, body)
        assert resolver.resolve(WEB).error == "invalidDidDocument"


def _http(handler: Any, **kw: Any) -> HttpTransport:
    return HttpTransport(httpx_transport=httpx.MockTransport(handler), **kw)


def test_http_transport_fetches_and_maps_statuses() -> None:
    bodies = {"/ok": (200, b"{}"), "/missing": (404, b""), "/gone": (410, b""), "/boom": (500, b"")}

    def handler(request: httpx.Request) -> httpx.Response:
        status, body = bodies.get(request.url.path, (302, b""))
        return httpx.Response(status, content=body)

    t = _http(handler)
    assert isinstance(t, Transport)
    assert t.get("https://h.example/ok", max_bytes=10, timeout=1) == b"{}"
    with pytest.raises(Gone):
        t.get("https://h.example/gone", max_bytes=10, timeout=1)
    with pytest.raises(NotFound):
        t.get("https://h.example/missing", max_bytes=10, timeout=1)
    for path in ("/boom", "/redirect"):
        with pytest.raises(TransportError):
            t.get("https://h.example" + path, max_bytes=10, timeout=1)
    t.close()


def test_http_transport_caps_size_and_refuses_plain_http() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 5000)

    t = _http(handler)
    with pytest.raises(TransportError):
        t.get("https://h.example/big", max_bytes=4096, timeout=1)
    with pytest.raises(TransportError):
        t.get("http://h.example/x", max_bytes=1 << 20, timeout=1)
    assert _http(handler, unsafe_allow_http=True).get(
        "http://h.example/x", max_bytes=1 << 20, timeout=1
    )


def test_http_transport_timeout_is_transport_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(TransportError):
        _http(handler).get("https://h.example/", max_bytes=10, timeout=0.1)


def test_resolver_over_http_transport() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == WEB_URL
        return httpx.Response(200, content=_hosted())

    resolver = Resolver(transport=_http(handler))
    assert resolver.resolve_document(WEB).id == WEB


def test_core_import_does_not_pull_in_httpx() -> None:
    import subprocess
    import sys

    code = (
        "import sys;"
        "from did import InMemoryTransport, Resolver;"
        "Resolver(transport=InMemoryTransport()).resolve('did:web:example.com');"
        "sys.exit(1 if 'httpx' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_method_controlled_by_another_did_is_refused() -> None:
    # Controlled Identifiers 1.0 §3.3: a document listing another party's key (controller:
    # that party's DID) under its relationships must not lend that key its subject's name.
    doc = json.loads(_hosted())
    for vm in doc["verificationMethod"]:
        vm["controller"] = KEY
    resolver = Resolver(transport=InMemoryTransport({WEB_URL: json.dumps(doc).encode()}))
    method = doc["assertionMethod"][0]
    method = method if isinstance(method, str) else method["id"]
    vm_id = method if method.startswith("did:") else WEB + method
    with pytest.raises(ControllerMismatch):
        resolver.dereference(vm_id, relationship="assertionMethod")
    with pytest.raises(ControllerMismatch):
        resolver.verification_key(vm_id)
    # The resolution itself still succeeds: the document is well formed.
    assert resolver.resolve(WEB).error is None
