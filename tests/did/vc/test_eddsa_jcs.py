"""eddsa-jcs-2022, step by step against the W3C vectors.

Vectors: tests/vectors/w3c-vc-di-eddsa (w3c/vc-di-eddsa @ abb673eb, folder
TestVectors/), files keyPair.json, unsigned.json and eddsa-jcs-2022/*.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from did import Ed25519PrivateKey, ed25519_public_key_from_did
from did.errors import InvalidKey
from did.vc import ProofOptions, get_suite
from did.vc import _eddsa_jcs_2022 as jcs  # white-box: the spec's algorithm steps
from did.vc.errors import (
    ContextMismatch,
    CredentialError,
    InvalidProofSignature,
    MalformedProof,
)
from tests.paths import VECTORS as _VECTORS

VECTORS = _VECTORS / "w3c-vc-di-eddsa"
JCS = VECTORS / "eddsa-jcs-2022"


def _text(name: str) -> str:
    return (JCS / name).read_text(encoding="utf-8").strip()


def _json(path: Path) -> dict[str, Any]:
    value = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(value, dict)
    return value


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    pair = _json(VECTORS / "keyPair.json")
    sk = Ed25519PrivateKey.from_multikey(pair["privateKeyMultibase"])
    assert sk.public_key.to_multikey() == pair["publicKeyMultibase"]
    return sk


@pytest.fixture(scope="module")
def unsigned() -> dict[str, Any]:
    return _json(VECTORS / "unsigned.json")


@pytest.fixture(scope="module")
def proof_config() -> dict[str, Any]:
    return _json(JCS / "proofConfigJCS.json")


@pytest.fixture(scope="module")
def signed() -> dict[str, Any]:
    return _json(JCS / "signedJCS.json")


def test_transformation_is_canon_doc(
    unsigned: dict[str, Any], proof_config: dict[str, Any]
) -> None:
    assert jcs.transformation(unsigned, proof_config) == _text("canonDocJCS.txt").encode()


def test_document_hash(unsigned: dict[str, Any], proof_config: dict[str, Any]) -> None:
    canon = jcs.transformation(unsigned, proof_config)
    # docHash is the second half of the hash data (#hashing-eddsa-jcs-2022 step 1).
    assert jcs.hashing(canon, b"")[32:].hex() == _text("docHashJCS.txt")


def test_proof_configuration_without_context_gets_documents(
    unsigned: dict[str, Any], proof_config: dict[str, Any]
) -> None:
    options = {k: v for k, v in proof_config.items() if k != "@context"}
    canon = jcs.proof_configuration(options, unsigned)
    assert canon == _text("proofCanonJCS.txt").encode()
    assert json.loads(canon) == proof_config


def test_proof_hash(unsigned: dict[str, Any], proof_config: dict[str, Any]) -> None:
    canon = jcs.proof_configuration(proof_config, unsigned)
    assert jcs.hashing(b"", canon)[:32].hex() == _text("proofHashJCS.txt")


def test_combined_hash(unsigned: dict[str, Any], proof_config: dict[str, Any]) -> None:
    hash_data = jcs.hashing(
        jcs.transformation(unsigned, proof_config),
        jcs.proof_configuration(proof_config, unsigned),
    )
    assert hash_data.hex() == _text("combinedHashJCS.txt")


def test_signature_hex_and_base58(key: Ed25519PrivateKey) -> None:
    hash_data = bytes.fromhex(_text("combinedHashJCS.txt"))
    signature = jcs.proof_serialization(hash_data, key)
    assert signature.hex() == _text("sigHexJCS.txt")
    assert jcs._encode_proof_value(signature) == _text("sigBTC58JCS.txt")
    jcs.proof_verification(hash_data, signature, key.public_key)


def test_create_proof_reproduces_signed_vector(
    key: Ed25519PrivateKey, unsigned: dict[str, Any], signed: dict[str, Any]
) -> None:
    options = ProofOptions(
        verification_method=signed["proof"]["verificationMethod"],
        created="2023-02-24T23:36:38Z",
    )
    proof = jcs.create_proof(unsigned, key, options)
    assert proof == signed["proof"]
    # Member order too, so the secured document is byte-for-byte the vector's shape.
    assert list(proof) == list(signed["proof"])


def test_signed_vector_verifies_with_did_key(signed: dict[str, Any]) -> None:
    public = ed25519_public_key_from_did(signed["proof"]["verificationMethod"])
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    jcs.verify_proof(unsecured, signed["proof"], public)
    get_suite("DataIntegrityProof", "eddsa-jcs-2022").verify_proof(
        unsecured, signed["proof"], public
    )


def test_verify_proof_without_context_in_proof(
    key: Ed25519PrivateKey, signed: dict[str, Any]
) -> None:
    # The proof's @context is optional (#verify-proof-eddsa-jcs-2022 step 4 only runs if
    # present); the configuration takes the document's anyway, so the signature still holds.
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    proof = {k: v for k, v in signed["proof"].items() if k != "@context"}
    jcs.verify_proof(unsecured, proof, key.public_key)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Alumni Credential!"),
        ("issuer", "https://vc.example/issuers/5679"),
        ("validFrom", "2023-01-01T00:00:01Z"),
        ("type", ["VerifiableCredential"]),
        ("credentialSubject", {"id": "did:example:abcdefgh", "alumniOf": "Elsewhere"}),
    ],
)
def test_tampered_document_fails(
    signed: dict[str, Any], key: Ed25519PrivateKey, field: str, value: object
) -> None:
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    unsecured[field] = value
    with pytest.raises(InvalidProofSignature):
        jcs.verify_proof(unsecured, signed["proof"], key.public_key)


def test_appended_context_is_refused(signed: dict[str, Any]) -> None:
    unsecured = copy.deepcopy({k: v for k, v in signed.items() if k != "proof"})
    unsecured["@context"].append("https://w3id.org/security/data-integrity/v2")
    public = ed25519_public_key_from_did(signed["proof"]["verificationMethod"])
    with pytest.raises(ContextMismatch):
        jcs.verify_proof(unsecured, signed["proof"], public)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("proofValue", "z" + "1" * 10, MalformedProof),
        ("proofValue", "u" + "A" * 86, MalformedProof),
        ("proofValue", 7, MalformedProof),
        ("proofValue", "z0OIl", MalformedProof),
        ("cryptosuite", "eddsa-rdfc-2022", MalformedProof),
        ("type", "Ed25519Signature2020", MalformedProof),
        ("created", "yesterday", MalformedProof),
        ("created", "2023-02-24T23:36:39Z", InvalidProofSignature),
        ("proofPurpose", "authentication", InvalidProofSignature),
        ("verificationMethod", "did:key:z6Mk#other", InvalidProofSignature),
        ("@context", ["https://www.w3.org/ns/credentials/v2"], ContextMismatch),
    ],
)
def test_tampered_proof_fails(
    signed: dict[str, Any], field: str, value: object, error: type[Exception]
) -> None:
    public = ed25519_public_key_from_did(signed["proof"]["verificationMethod"])
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    proof = dict(signed["proof"], **{field: value})
    with pytest.raises(error):
        jcs.verify_proof(unsecured, proof, public)


def test_flipped_signature_bit_fails(signed: dict[str, Any]) -> None:
    public = ed25519_public_key_from_did(signed["proof"]["verificationMethod"])
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    sig = bytearray(bytes.fromhex(_text("sigHexJCS.txt")))
    sig[10] ^= 1
    proof = dict(signed["proof"], proofValue=jcs._encode_proof_value(bytes(sig)))
    with pytest.raises(InvalidProofSignature):
        jcs.verify_proof(unsecured, proof, public)


def test_other_key_fails(signed: dict[str, Any]) -> None:
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    other = Ed25519PrivateKey.from_seed(bytes(32)).public_key
    with pytest.raises(InvalidProofSignature):
        jcs.verify_proof(unsecured, signed["proof"], other)


@pytest.mark.parametrize("bad", [2**60, float("nan"), "\ud800", {1: "x"}, b"bytes"])
def test_no_jcs_form_is_credential_error(key: Ed25519PrivateKey, bad: object) -> None:
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2"], "x": bad}
    with pytest.raises(CredentialError):
        jcs.create_proof(doc, key, ProofOptions(verification_method="did:key:z#z"))


def test_create_refuses_secured_document_and_wrong_key(
    key: Ed25519PrivateKey, signed: dict[str, Any], unsigned: dict[str, Any]
) -> None:
    with pytest.raises(CredentialError):
        jcs.create_proof(signed, key, ProofOptions(verification_method="did:key:z#z"))
    with pytest.raises(InvalidKey):
        jcs.create_proof(unsigned, "not a key", ProofOptions(verification_method="x"))  # type: ignore[arg-type]


def test_created_defaults_to_now(key: Ed25519PrivateKey, unsigned: dict[str, Any]) -> None:
    proof = jcs.create_proof(unsigned, key, ProofOptions(verification_method="did:key:z#z"))
    assert proof["created"].endswith("Z")
    jcs.verify_proof(unsigned, proof, key.public_key)
