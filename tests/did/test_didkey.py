"""did:key: the w3c-ccg/did-method-key test vectors and the refusals the spec requires.

Vectors: tests/vectors/did-method-key/ (w3c-ccg/did-method-key @ f5abee84,
folder test-vectors/): ed25519-x25519.json, x25519.json, nist-curves.json.
"""

from __future__ import annotations

import json
from typing import Any

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from did import (
    ED25519_PUB,
    P256_PUB,
    REPRESENTATIONS,
    X25519_PUB,
    Ed25519PrivateKey,
    Ed25519PublicKey,
    RepresentationNotSupported,
    UnsupportedPublicKeyType,
    X25519PrivateKey,
    X25519PublicKey,
    b64url_encode,
    did_from_public_key,
    did_key_document,
    ec_public_key_from_did_key,
    ed25519_public_key_from_did,
    multibase_encode,
    public_key_from_did_key,
    verification_method_id,
)
from did.errors import InvalidDid, InvalidKey, MethodNotSupported
from tests.paths import VECTORS as _VECTORS

VECTORS = _VECTORS / "did-method-key"


def _load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text())


ED_VECTORS = _load("ed25519-x25519.json")
X_VECTORS = _load("x25519.json")["didDocument"]
NIST_VECTORS = _load("nist-curves.json")
ED_DID = next(iter(ED_VECTORS))


@pytest.mark.parametrize("did", list(ED_VECTORS))
def test_ed25519_vector_seed_to_did_keys_and_document(did: str) -> None:
    vector = ED_VECTORS[did]
    sk = Ed25519PrivateKey.from_seed(bytes.fromhex(vector["seed"]))
    xsk = sk.to_x25519()
    assert did_from_public_key(sk.public_key) == did
    vkp, kakp = vector["verificationKeyPair"], vector["keyAgreementKeyPair"]
    if "publicKeyJwk" in vkp:
        representation = "jwk"
        assert sk.public_key.to_jwk() == vkp["publicKeyJwk"]
        assert sk.to_jwk() == vkp["privateKeyJwk"]
        assert xsk.public_key.to_jwk() == kakp["publicKeyJwk"]
        assert b64url_encode(xsk.to_bytes()) == kakp["privateKeyJwk"]["d"]
    else:
        representation = "legacy"
        assert base58.b58encode(sk.public_key.to_bytes()).decode() == vkp["publicKeyBase58"]
        assert base58.b58encode(xsk.public_key.to_bytes()).decode() == kakp["publicKeyBase58"]
        assert base58.b58encode(xsk.to_bytes()).decode() == kakp["privateKeyBase58"]
    assert kakp["id"].endswith("#" + xsk.public_key.to_multikey())
    assert public_key_from_did_key(did) == sk.public_key
    assert did_key_document(did, representation=representation).to_json() == vector["didDocument"]


@pytest.mark.parametrize("did", list(X_VECTORS))
def test_x25519_vectors_resolve_to_key_agreement_only_documents(did: str) -> None:
    expected = X_VECTORS[did]
    representation = "jwk" if "jws-2020" in expected["@context"][1] else "legacy"
    doc = did_key_document(did, representation=representation)
    assert doc.to_json() == expected
    key = public_key_from_did_key(did)
    assert isinstance(key, X25519PublicKey)
    assert doc.methods_for("keyAgreement")[0].public_key() == key
    assert doc.methods_for("assertionMethod") == []


@pytest.mark.parametrize("did", list(NIST_VECTORS))
def test_nist_vectors_resolve_but_are_not_signing_keys_for_anshim(did: str) -> None:
    vector = NIST_VECTORS[did]
    representation = "jwk" if "publicKeyJwk" in vector["verificationMethod"] else "legacy"
    assert did_key_document(did, representation=representation).to_json() == vector["didDocument"]
    with pytest.raises(UnsupportedPublicKeyType) as info:
        public_key_from_did_key(did)
    assert info.value.code == "invalidPublicKeyType"
    point = ec_public_key_from_did_key(did)
    jwk = vector["verificationMethod"].get("publicKeyJwk")
    if jwk is not None:
        size = (point.curve.key_size + 7) // 8
        assert b64url_encode(point.public_numbers().x.to_bytes(size, "big")) == jwk["x"]


# SEC 2 section 2.4.2: the P-256 prime and curve coefficient b (a = -3).
_P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
_P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


def _p256_x_off_curve() -> int:
    # Euler's criterion: x is on no point when x^3 - 3x + b is a quadratic non-residue.
    x = 1
    while pow((x**3 - 3 * x + _P256_B) % _P256_P, (_P256_P - 1) // 2, _P256_P) != _P256_P - 1:
        x += 1
    return x


def test_p256_point_not_on_curve_is_invalid_did() -> None:
    x = _p256_x_off_curve()
    bad = "did:key:" + multibase_encode(P256_PUB + b"\x02" + x.to_bytes(32, "big"))
    with pytest.raises(InvalidDid):
        ec_public_key_from_did_key(bad)
    with pytest.raises(InvalidDid):
        did_key_document(bad)


def test_p256_uncompressed_point_is_invalid_did() -> None:
    point = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = point.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    with pytest.raises(InvalidDid):
        did_key_document("did:key:" + multibase_encode(P256_PUB + raw))
    compressed = point.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    assert ec_public_key_from_did_key("did:key:" + multibase_encode(P256_PUB + compressed)) == point


@pytest.mark.parametrize("representation", REPRESENTATIONS)
def test_every_representation_yields_the_same_keys(representation: str) -> None:
    doc = did_key_document(ED_DID, representation=representation)
    signing = doc.methods_for("assertionMethod")
    agreement = doc.methods_for("keyAgreement")
    assert [vm.public_key() for vm in signing] == [public_key_from_did_key(ED_DID)]
    assert agreement[0].public_key() == public_key_from_did_key(ED_DID).to_x25519()  # type: ignore[union-attr]
    for rel in ("authentication", "capabilityInvocation", "capabilityDelegation"):
        assert doc.methods_for(rel) == signing


def test_multikey_representation_uses_current_contexts_and_types() -> None:
    doc = did_key_document(ED_DID).to_json()
    assert doc["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]
    assert {vm["type"] for vm in doc["verificationMethod"]} == {"Multikey"}
    assert doc["verificationMethod"][0]["publicKeyMultibase"] == ED_DID[len("did:key:") :]


def test_legacy_2020_representation() -> None:
    doc = did_key_document(ED_DID, representation="legacy-2020").to_json()
    assert doc["@context"][1:] == [
        "https://w3id.org/security/suites/ed25519-2020/v1",
        "https://w3id.org/security/suites/x25519-2020/v1",
    ]
    types = [vm["type"] for vm in doc["verificationMethod"]]
    assert types == ["Ed25519VerificationKey2020", "X25519KeyAgreementKey2020"]


def test_unknown_representation_refused() -> None:
    with pytest.raises(RepresentationNotSupported):
        did_key_document(ED_DID, representation="cbor")
    p384 = next(d for d in NIST_VECTORS if d.startswith("did:key:z82"))
    with pytest.raises(RepresentationNotSupported):
        did_key_document(p384, representation="legacy")


def test_did_from_public_key_round_trips_fresh_keys() -> None:
    sk = Ed25519PrivateKey.generate()
    did = did_from_public_key(sk.public_key)
    assert did.startswith("did:key:z6Mk")
    assert public_key_from_did_key(did) == sk.public_key
    xk = X25519PrivateKey.generate().public_key
    assert did_from_public_key(xk).startswith("did:key:z6LS")
    with pytest.raises(InvalidKey):
        did_from_public_key(b"\x00" * 32)  # type: ignore[arg-type]


def test_verification_method_url_accepted_only_with_its_own_fragment() -> None:
    msid = ED_DID[len("did:key:") :]
    key = public_key_from_did_key(ED_DID)
    assert verification_method_id(ED_DID) == f"{ED_DID}#{msid}"
    assert ed25519_public_key_from_did(f"{ED_DID}#{msid}") == key
    assert ed25519_public_key_from_did(ED_DID) == key
    other = next(iter(list(ED_VECTORS)[1:]))[len("did:key:") :]
    for bad in (f"{ED_DID}#{other}", f"{ED_DID}#key-1", f"{ED_DID}/path", f"{ED_DID}?q=1"):
        with pytest.raises(InvalidDid):
            ed25519_public_key_from_did(bad)
    with pytest.raises(InvalidKey):
        ed25519_public_key_from_did(next(iter(X_VECTORS)))


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "did:key:",
        "did:key:z",
        "DID:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
        "did:key:u7QGB8Xv2tGjY2mqPwUzPp5b3pTzQxrGAnVYjq8gX9JQq8Q",  # base64url, not base58btc
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW0",  # '0' not in base58
        "did:key:1:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",  # version segment
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#frag",
        "did:key:" + multibase_encode(ED25519_PUB + bytes(31)),  # invalidPublicKeyLength
        "did:key:" + multibase_encode(X25519_PUB + bytes(33)),
        "did:key:" + multibase_encode(b"\x12\x20" + bytes(32)),  # sha2-256, not a key codec
        "did:key:" + multibase_encode(ED25519_PUB + bytes(32)),  # small-order point
        "did:key:" + "z" * 300,
    ],
)
def test_malformed_did_key_is_invalid_did(bad: str) -> None:
    with pytest.raises(InvalidDid):
        public_key_from_did_key(bad)
    with pytest.raises(InvalidDid):
        did_key_document(bad)


def test_other_methods_are_method_not_supported() -> None:
    for did in ("did:web:example.com", "did:example:123456"):
        with pytest.raises(MethodNotSupported):
            public_key_from_did_key(did)
        with pytest.raises(MethodNotSupported):
            ed25519_public_key_from_did(did)


def test_non_string_input_is_invalid_did() -> None:
    for value in (None, 12, b"did:key:z6Mk", ["did:key"], {"id": 1}):
        with pytest.raises(InvalidDid):
            public_key_from_did_key(value)  # type: ignore[arg-type]
        with pytest.raises(InvalidDid):
            ed25519_public_key_from_did(value)  # type: ignore[arg-type]


def test_repeat_resolution_is_cached() -> None:
    # Not a timing assertion: checks the cache returns the identical object.
    assert did_key_document(ED_DID) is did_key_document(ED_DID)
    assert public_key_from_did_key(ED_DID) is public_key_from_did_key(ED_DID)
    assert isinstance(public_key_from_did_key(ED_DID), Ed25519PublicKey)
