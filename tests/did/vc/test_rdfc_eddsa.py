"""eddsa-rdfc-2022 (did/vc/eddsa_rdfc_2022.py), step by step against the W3C vectors.

Vectors: tests/vectors/w3c-vc-di-eddsa (w3c/vc-di-eddsa @ abb673eb, TestVectors/), folder
eddsa-rdfc-2022/ and its employ/ subfolder; key from keyPair.json.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import re
from pathlib import Path
from typing import Any

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did import Ed25519PrivateKey, Ed25519PublicKey, multibase_decode
from did.errors import AnshimError
from did.vc import EddsaRdfc2022, ProofOptions, RdfcLimits, get_suite

# White-box: the spec's algorithm steps and the canonicalizer under them.
from did.vc._eddsa_rdfc_2022 import (
    decode_proof_value,
    hashing,
    proof_configuration,
    proof_serialization,
    proof_verification,
    transformation,
)
from did.vc._rdfc import canonicalize
from did.vc.errors import (
    CanonicalizationLimitExceeded,
    ContextMismatch,
    ContextNotBundled,
    InvalidProofSignature,
    MalformedProof,
    ProofError,
    ProofTransformationError,
)
from tests.paths import VECTORS as _VECTORS

V = _VECTORS / "w3c-vc-di-eddsa"
RDFC = V / "eddsa-rdfc-2022"
KEYPAIR = json.loads((V / "keyPair.json").read_text())
PUBLIC = Ed25519PublicKey.from_multikey(KEYPAIR["publicKeyMultibase"])
SECRET = Ed25519PrivateKey.from_seed(multibase_decode(KEYPAIR["privateKeyMultibase"])[2:])
VM = f"did:key:{KEYPAIR['publicKeyMultibase']}#{KEYPAIR['publicKeyMultibase']}"


def _text(path: Path) -> str:
    return path.read_text()


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_vector_key_pair_matches() -> None:
    assert SECRET.public_key == PUBLIC


def test_every_step_of_the_alumni_vector() -> None:
    unsigned = _json(V / "unsigned.json")
    options = _json(RDFC / "proofConfigDataInt.json")
    # 3.3.3 Transformation
    canonical_document = transformation(unsigned, options)
    assert canonical_document == _text(RDFC / "canonDocDataInt.txt")
    assert hashlib.sha256(canonical_document.encode()).hexdigest() == _text(
        RDFC / "docHashDataInt.txt"
    )
    # 3.3.5 Proof Configuration
    canonical_config = proof_configuration(unsigned, options)
    assert canonical_config == _text(RDFC / "proofCanonDataInt.txt")
    assert hashlib.sha256(canonical_config.encode()).hexdigest() == _text(
        RDFC / "proofHashDataInt.txt"
    )
    # 3.3.4 Hashing
    hash_data = hashing(canonical_document, canonical_config)
    assert hash_data.hex() == _text(RDFC / "combinedHashDataInt.txt")
    # 3.3.6 Proof Serialization
    signature = proof_serialization(hash_data, SECRET)
    assert signature.hex() == _text(RDFC / "sigHexDataInt.txt")
    assert "z" + base58.b58encode(signature).decode() == _text(RDFC / "sigBTC58DataInt.txt")
    # 3.3.7 Proof Verification
    proof_verification(hash_data, signature, PUBLIC)


def test_create_proof_reproduces_the_signed_vector() -> None:
    signed = _json(RDFC / "signedDataInt.json")
    suite = get_suite("DataIntegrityProof", "eddsa-rdfc-2022")
    options = ProofOptions(verification_method=VM, created="2023-02-24T23:36:38Z")
    assert suite.create_proof(_json(V / "unsigned.json"), SECRET, options) == signed["proof"]


def test_signed_alumni_vector_verifies() -> None:
    signed = _json(RDFC / "signedDataInt.json")
    get_suite("DataIntegrityProof", "eddsa-rdfc-2022").verify_proof(signed, signed["proof"], PUBLIC)


_NQ = re.compile(r'^(\S+) (\S+) (".*"(?:\^\^<[^>]*>|@[A-Za-z0-9-]+)?|\S+) \.$')


def _parse_canonical_nquads(text: str) -> list[tuple[str, str, str, str]]:
    quads = []
    for line in text.splitlines():
        m = _NQ.match(line)
        assert m, line
        quads.append((m.group(1), m.group(2), m.group(3), ""))
    return quads


def test_employment_vector_steps_that_run_offline() -> None:
    """employ/: the document's context https://w3id.org/citizenship/v4rc1 is not bundled.

    JSON-LD expansion of that document therefore refuses (offline by design). Every other step
    is reproduced: RDFC-1.0 over the vector's dataset with its blank nodes relabelled gives the
    vector's canonical N-Quads; the document hash, proof configuration (its terms all come from
    the credentials v2 context, which is protected and first), combined hash and signature match.
    """
    employ = RDFC / "employ"
    canon_doc = _text(employ / "canonDocDataInt.txt")
    quads = _parse_canonical_nquads(canon_doc)
    rename = {
        f"_:c14n{i}": f"_:input{j}" for i, j in enumerate(random.Random(7).sample(range(3), 3))
    }
    relabelled = [tuple(rename.get(t, t) for t in q) for q in reversed(quads)]
    assert canonicalize(relabelled) == canon_doc  # type: ignore[arg-type]
    assert hashlib.sha256(canon_doc.encode()).hexdigest() == _text(employ / "docHashDataInt.txt")

    options = _json(employ / "proofConfigDataInt.json")
    options_v2_only = {**options, "@context": ["https://www.w3.org/ns/credentials/v2"]}
    canonical_config = proof_configuration(
        {"@context": options_v2_only["@context"]}, options_v2_only
    )
    assert canonical_config == _text(employ / "proofCanonDataInt.txt")
    hash_data = hashing(canon_doc, canonical_config)
    assert hash_data.hex() == _text(employ / "combinedHashDataInt.txt")
    signature = proof_serialization(hash_data, SECRET)
    assert signature.hex() == _text(employ / "sigHexDataInt.txt")
    signed = _json(employ / "signedDataInt.json")
    assert decode_proof_value(signed["proof"]["proofValue"]) == signature
    assert signed["proof"]["proofValue"] == _text(employ / "sigBTC58DataInt.txt")

    with pytest.raises(ContextNotBundled):
        transformation(_json(V / "employmentAuth.json"), options)
    with pytest.raises(ProofTransformationError) as info:
        EddsaRdfc2022().verify_proof(signed, signed["proof"], PUBLIC)
    assert info.value.cause_code == "contextNotBundled"


# --- every field mutated -----------------------------------------------------------------------


def _signed() -> dict[str, Any]:
    return _json(RDFC / "signedDataInt.json")


MUTATIONS = [
    ("type", lambda d: d.__setitem__("type", ["VerifiableCredential"]), InvalidProofSignature),
    (
        "issuer",
        lambda d: d.__setitem__("issuer", "https://vc.example/issuers/0000"),
        InvalidProofSignature,
    ),
    (
        "validFrom",
        lambda d: d.__setitem__("validFrom", "2023-01-02T00:00:00Z"),
        InvalidProofSignature,
    ),
    (
        "subject",
        lambda d: d["credentialSubject"].__setitem__("alumniOf", "Other"),
        InvalidProofSignature,
    ),
    (
        "subject id",
        lambda d: d["credentialSubject"].__setitem__("id", "did:example:x"),
        InvalidProofSignature,
    ),
    ("name", lambda d: d.__setitem__("name", "Alumni Credential!"), InvalidProofSignature),
    (
        "created",
        lambda d: d["proof"].__setitem__("created", "2023-02-24T23:36:39Z"),
        InvalidProofSignature,
    ),
    (
        "purpose",
        lambda d: d["proof"].__setitem__("proofPurpose", "authentication"),
        InvalidProofSignature,
    ),
    (
        "vm",
        lambda d: d["proof"].__setitem__("verificationMethod", "did:key:z6Mkx#z6Mkx"),
        InvalidProofSignature,
    ),
    (
        "cryptosuite",
        lambda d: d["proof"].__setitem__("cryptosuite", "eddsa-jcs-2022"),
        MalformedProof,
    ),
    (
        "proof type",
        lambda d: d["proof"].__setitem__("type", "Ed25519Signature2020"),
        MalformedProof,
    ),
    (
        "proofValue",
        lambda d: d["proof"].__setitem__("proofValue", d["proof"]["proofValue"][:-2] + "11"),
        ProofError,
    ),
    (
        "proofValue prefix",
        lambda d: d["proof"].__setitem__("proofValue", "u" + d["proof"]["proofValue"][1:]),
        MalformedProof,
    ),
    ("created format", lambda d: d["proof"].__setitem__("created", "yesterday"), MalformedProof),
    (
        "context",
        lambda d: d.__setitem__("@context", ["https://www.w3.org/ns/credentials/v2"]),
        ProofError,
    ),
    (
        "context unknown",
        lambda d: d["@context"].append("https://evil.example/ctx"),
        ProofTransformationError,
    ),
]


@pytest.mark.parametrize(("name", "mutate", "error"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_every_mutation_fails_with_the_right_error(
    name: str, mutate: Any, error: type[Exception]
) -> None:
    doc = _signed()
    mutate(doc)
    with pytest.raises(error):
        EddsaRdfc2022().verify_proof(doc, doc["proof"], PUBLIC)


def test_wrong_key_fails() -> None:
    doc = _signed()
    with pytest.raises(InvalidProofSignature):
        EddsaRdfc2022().verify_proof(doc, doc["proof"], Ed25519PrivateKey.generate().public_key)


def test_proof_context_must_prefix_document_context() -> None:
    doc = _signed()
    proof = {**doc["proof"], "@context": ["https://www.w3.org/ns/credentials/examples/v2"]}
    with pytest.raises(ContextMismatch):
        EddsaRdfc2022().verify_proof(doc, proof, PUBLIC)
    ok = {**doc["proof"], "@context": doc["@context"]}
    EddsaRdfc2022().verify_proof(doc, ok, PUBLIC)


def test_challenge_and_domain_are_signed() -> None:
    suite = EddsaRdfc2022()
    doc = _json(V / "unsigned.json")
    proof = suite.create_proof(
        doc,
        SECRET,
        ProofOptions(VM, proof_purpose="authentication", challenge="c1", domain="d.example"),
    )
    suite.verify_proof(doc, proof, PUBLIC)
    for field, value in (("challenge", "c2"), ("domain", "e.example")):
        with pytest.raises(InvalidProofSignature):
            suite.verify_proof(doc, {**proof, field: value}, PUBLIC)


# --- poison graphs through the suite -------------------------------------------------------------


def _poison_credential(n: int) -> dict[str, Any]:
    nodes = [
        {"@id": f"_:n{i}", "knows": [{"@id": f"_:n{j}"} for j in range(n) if j != i]}
        for i in range(n)
    ]
    doc = _json(V / "unsigned.json")
    doc["credentialSubject"]["knows"] = nodes
    return doc


def test_poison_credential_fails_fast_on_create_and_verify() -> None:
    suite = EddsaRdfc2022()
    doc = _poison_credential(10)
    with pytest.raises(CanonicalizationLimitExceeded):
        suite.create_proof(doc, SECRET, ProofOptions(VM))
    # A small version signs; then the limits are tightened on the verifier's side.
    small = _poison_credential(4)
    proof = suite.create_proof(small, SECRET, ProofOptions(VM))
    suite.verify_proof(small, proof, PUBLIC)
    strict = EddsaRdfc2022(limits=RdfcLimits(max_permutations=5))
    with pytest.raises(ProofTransformationError) as info:
        strict.verify_proof(small, proof, PUBLIC)
    assert info.value.cause_code == "canonicalizationLimitExceeded"
    assert isinstance(info.value.__cause__, CanonicalizationLimitExceeded)


@pytest.mark.parametrize(
    "value",
    [
        None,
        5,
        "",
        "z",
        "z0OIl",
        "z" + "1" * 200,
        "z" + base58.b58encode(b"\x00" * 63).decode(),
        "m" + "A" * 86,
    ],
)
def test_proof_value_decoder_is_strict(value: object) -> None:
    with pytest.raises(MalformedProof):
        decode_proof_value(value)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["@context", "id", "type", "issuer", "credentialSubject", "validFrom", "x"]
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=6),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
            max_leaves=8,
        ),
        max_size=6,
    ),
    st.dictionaries(
        st.sampled_from(
            ["type", "cryptosuite", "created", "proofValue", "proofPurpose", "@context"]
        ),
        st.one_of(
            st.text(max_size=8),
            st.integers(),
            st.just("DataIntegrityProof"),
            st.just("eddsa-rdfc-2022"),
        ),
    ),
)
def test_fuzzed_documents_and_proofs_raise_only_proof_errors(
    doc: dict[str, Any], proof: dict[str, Any]
) -> None:
    base = copy.deepcopy(_signed()["proof"])
    base.update(proof)
    try:
        EddsaRdfc2022().verify_proof(doc, base, PUBLIC)
    except ProofError:
        return
    except AnshimError as exc:  # pragma: no cover - would be a contract violation
        pytest.fail(f"non-proof error escaped: {exc!r}")
    pytest.fail("a fuzzed document verified")
