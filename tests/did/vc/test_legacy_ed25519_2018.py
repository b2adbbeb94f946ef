"""The legacy Ed25519Signature2018 proof type (detached JWS, RFC 7797 ``b64: false``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did import Ed25519PrivateKey, b64url_encode, did_from_public_key, verification_method_id
from did.vc import Ed25519Signature2018, ProofOptions, get_suite
from did.vc.errors import CredentialError, InvalidProofSignature, MalformedProof, ProofError

pytest.importorskip("pyld")

KEY = Ed25519PrivateKey.from_seed(b"8" * 32)
DID = did_from_public_key(KEY.public_key)
SUITE = Ed25519Signature2018()


def _credential() -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "id": "urn:uuid:9f0e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f",
        "type": ["VerifiableCredential"],
        "issuer": DID,
        "issuanceDate": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": DID},
    }


def _proof() -> dict[str, Any]:
    options = ProofOptions(verification_method_id(DID), created="2025-01-01T00:00:00Z")
    return SUITE.create_proof(_credential(), KEY, options)


def _header(value: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode())


def test_round_trip_and_registry() -> None:
    proof = _proof()
    assert get_suite("Ed25519Signature2018", None).proof_type == "Ed25519Signature2018"
    SUITE.verify_proof(_credential(), proof, KEY.public_key)
    with pytest.raises(InvalidProofSignature):
        SUITE.verify_proof({**_credential(), "id": "urn:uuid:other"}, proof, KEY.public_key)
    other = Ed25519PrivateKey.from_seed(b"9" * 32).public_key
    with pytest.raises(InvalidProofSignature):
        SUITE.verify_proof(_credential(), proof, other)


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "EdDSA", "b64": True, "crit": ["b64"]},  # an encoded payload
        {"alg": "EdDSA", "b64": False},  # RFC 7797 §6: b64 must be critical
        {"alg": "EdDSA"},
        {"alg": "HS256", "b64": False, "crit": ["b64"]},
        {"alg": "none", "b64": False, "crit": ["b64"]},
        {"alg": "EdDSA", "b64": False, "crit": ["b64", "exp"], "exp": 1},
        {"alg": "EdDSA", "b64": False, "crit": ["b64"], "kid": "did:example:evil#k"},
    ],
)
def test_only_the_eddsa_unencoded_payload_header_is_accepted(header: dict[str, Any]) -> None:
    proof = _proof()
    signature = proof["jws"].split("..")[1]
    forged = {**proof, "jws": f"{_header(header)}..{signature}"}
    with pytest.raises(MalformedProof):
        SUITE.verify_proof(_credential(), forged, KEY.public_key)


def test_attached_payload_and_bad_signatures_are_malformed() -> None:
    proof = _proof()
    header, signature = proof["jws"].split("..")
    for jws in (
        f"{header}.eyJ4Ijox.{signature}",  # not detached
        f"{header}..{signature[:-2]}",  # too short
        f"{header}..{signature}AA",  # too long
        f"{header}.{signature}",
        f"{header}..{signature}=",
        "",
    ):
        with pytest.raises(MalformedProof):
            SUITE.verify_proof(_credential(), {**proof, "jws": jws}, KEY.public_key)
    with pytest.raises(MalformedProof):
        SUITE.verify_proof(_credential(), {**proof, "type": "Ed25519Signature2020"}, KEY.public_key)


def test_a_context_that_defines_no_2018_terms_is_refused() -> None:
    vc2 = {**_credential(), "@context": ["https://www.w3.org/ns/credentials/v2"]}
    with pytest.raises(CredentialError):
        SUITE.create_proof(vc2, KEY, ProofOptions(verification_method_id(DID)))
    with pytest.raises(MalformedProof):
        SUITE.verify_proof(vc2, _proof(), KEY.public_key)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789-_.=", max_size=200))
def test_arbitrary_jws_strings_raise_only_proof_errors(jws: str) -> None:
    with pytest.raises(ProofError):
        SUITE.verify_proof(_credential(), {**_proof(), "jws": jws}, KEY.public_key)
