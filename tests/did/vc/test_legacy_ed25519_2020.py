"""Ed25519Signature2020 (did/vc/ed25519_signature_2020.py), step by step against the W3C vectors.

Vectors: tests/vectors/w3c-vc-di-eddsa/Ed25519Signature2020 (w3c/vc-di-eddsa @ abb673eb,
TestVectors/); key from keyPair.json.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import base58
import pytest

from did import Ed25519PrivateKey, Ed25519PublicKey, multibase_decode
from did.vc import Ed25519Signature2020, ProofOptions, get_suite

# White-box: the spec's algorithm steps.
from did.vc._ed25519_signature_2020 import (
    canonical_document,
    canonical_proof_options,
    sign_hash,
    verify_hash,
)
from did.vc._eddsa_rdfc_2022 import hashing
from did.vc.errors import CredentialError, InvalidProofSignature, MalformedProof, ProofError
from tests.paths import VECTORS as _VECTORS

V = _VECTORS / "w3c-vc-di-eddsa"
ED = V / "Ed25519Signature2020"
KEYPAIR = json.loads((V / "keyPair.json").read_text())
PUBLIC = Ed25519PublicKey.from_multikey(KEYPAIR["publicKeyMultibase"])
SECRET = Ed25519PrivateKey.from_seed(multibase_decode(KEYPAIR["privateKeyMultibase"])[2:])
VM = f"did:key:{KEYPAIR['publicKeyMultibase']}#{KEYPAIR['publicKeyMultibase']}"


def _signed() -> dict[str, Any]:
    return json.loads((ED / "signedEdSig.json").read_text())  # type: ignore[no-any-return]


def _text(name: str) -> str:
    return (ED / name).read_text()


def test_every_step_of_the_vector() -> None:
    signed = _signed()
    document = {k: v for k, v in signed.items() if k != "proof"}
    options = json.loads(_text("proofConfigEdSig.json"))
    canon_doc = canonical_document(document)
    assert canon_doc == _text("canonDocEdSig.txt")
    assert hashlib.sha256(canon_doc.encode()).hexdigest() == _text("docHashEdSig.txt")
    canon_proof = canonical_proof_options(document, options)
    assert canon_proof == _text("proofCanonEdSig.txt")
    assert hashlib.sha256(canon_proof.encode()).hexdigest() == _text("proofHashEdSig.txt")
    hash_data = hashing(canon_doc, canon_proof)
    assert hash_data.hex() == _text("combinedHashEdSig.txt")
    signature = sign_hash(hash_data, SECRET)
    assert signature.hex() == _text("sigHexEdSig.txt")
    assert "z" + base58.b58encode(signature).decode() == _text("sigBTC58EdSig.txt")
    verify_hash(hash_data, signature, PUBLIC)


def test_signed_vector_verifies_and_is_reproduced() -> None:
    signed = _signed()
    suite = get_suite("Ed25519Signature2020", None)
    suite.verify_proof(signed, signed["proof"], PUBLIC)
    document = {k: v for k, v in signed.items() if k != "proof"}
    proof = suite.create_proof(document, SECRET, ProofOptions(VM, created="2023-02-24T23:36:38Z"))
    assert proof == signed["proof"]


VC11 = {
    "@context": [
        "https://www.w3.org/2018/credentials/v1",
        "https://w3id.org/security/suites/ed25519-2020/v1",
    ],
    "id": "urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5",
    "type": ["VerifiableCredential"],
    "issuer": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
    "issuanceDate": "2024-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:holder"},
}


def test_vc11_credential_round_trip() -> None:
    suite = Ed25519Signature2020()
    proof = suite.create_proof(dict(VC11), SECRET, ProofOptions(VM))
    assert set(proof) == {"type", "created", "verificationMethod", "proofPurpose", "proofValue"}
    suite.verify_proof({**VC11, "proof": proof}, proof, PUBLIC)
    changed = {**VC11, "issuanceDate": "2024-01-02T00:00:00Z"}
    with pytest.raises(InvalidProofSignature):
        suite.verify_proof(changed, proof, PUBLIC)


def test_suite_context_is_required() -> None:
    doc = {**VC11, "@context": ["https://www.w3.org/2018/credentials/v1"]}
    with pytest.raises(CredentialError):
        Ed25519Signature2020().create_proof(doc, SECRET, ProofOptions(VM))
    proof = Ed25519Signature2020().create_proof(dict(VC11), SECRET, ProofOptions(VM))
    with pytest.raises(MalformedProof):
        Ed25519Signature2020().verify_proof(doc, proof, PUBLIC)


MUTATIONS = [
    (
        "issuer",
        lambda d: d.__setitem__("issuer", "https://vc.example/issuers/1"),
        InvalidProofSignature,
    ),
    (
        "subject",
        lambda d: d["credentialSubject"].__setitem__("alumniOf", "X"),
        InvalidProofSignature,
    ),
    (
        "created",
        lambda d: d["proof"].__setitem__("created", "2023-02-24T23:36:37Z"),
        InvalidProofSignature,
    ),
    (
        "purpose",
        lambda d: d["proof"].__setitem__("proofPurpose", "authentication"),
        InvalidProofSignature,
    ),
    (
        "vm",
        lambda d: d["proof"].__setitem__("verificationMethod", "did:key:z6Mkq#z6Mkq"),
        InvalidProofSignature,
    ),
    ("type", lambda d: d["proof"].__setitem__("type", "Ed25519Signature2018"), MalformedProof),
    (
        "cryptosuite added",
        lambda d: d["proof"].__setitem__("cryptosuite", "eddsa-rdfc-2022"),
        MalformedProof,
    ),
    ("proofValue", lambda d: d["proof"].__setitem__("proofValue", "z" + "1" * 10), MalformedProof),
    ("context", lambda d: d["@context"].pop(1), ProofError),
]


@pytest.mark.parametrize(("name", "mutate", "error"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_every_mutation_fails(name: str, mutate: Any, error: type[Exception]) -> None:
    doc = _signed()
    mutate(doc)
    with pytest.raises(error):
        Ed25519Signature2020().verify_proof(doc, doc["proof"], PUBLIC)
