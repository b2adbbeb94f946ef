"""Interop with DIDKit 0.3.3 (PyPI ``didkit``, test-only dependency), both directions.

DIDKit's Python functions ``issue_credential``, ``verify_credential`` and
``key_to_verification_method`` are async (they need a running event loop: we use
``asyncio.run``); ``generate_ed25519_key`` and ``key_to_did`` are synchronous. Keys are OKP JWKs
(with ``d``); ``key_to_did("key", jwk)`` gives the same did:key as ours for the same public key.

What DIDKit 0.3.3 can do with Ed25519 did:key keys, as found by running it:
* ``proofFormat: "jwt"`` issues a VC-JWT (header ``{"alg": "EdDSA", "kid": …}`` without ``typ``;
  ``nbf`` written as a float such as ``1735689600.0``) — verified here by ours; and ours verify
  in DIDKit.
* ``proofFormat: "ldp"`` with ``type: "Ed25519Signature2020"`` issues an Ed25519Signature2020
  proof on a VC 1.1 credential (``created`` with milliseconds) — verified here by ours; and our
  Ed25519Signature2020 proofs verify in DIDKit.
* DIDKit 0.3.3 does not implement ``DataIntegrityProof``/``eddsa-rdfc-2022`` or
  ``eddsa-jcs-2022``, so those directions cannot be exercised against it.
* Ed25519Signature2018 (DIDKit's default) is not a format we support; not tested.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest

didkit = pytest.importorskip("didkit")

from did._multibase import b64url_decode  # noqa: E402
from did.didkey import did_from_public_key  # noqa: E402
from did.keys import Ed25519PrivateKey  # noqa: E402
from did.resolver import Resolver  # noqa: E402
from did.vc._suites import ProofOptions  # noqa: E402
from did.vc.ed25519_signature_2020 import Ed25519Signature2020  # noqa: E402
from did.vc.errors import InvalidProofSignature  # noqa: E402
from did.vc.jwt import issue_jwt_vc, verify_jwt_vc  # noqa: E402

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
SEED = bytes(range(100, 132))
KEY = Ed25519PrivateKey.from_seed(SEED)
DID = did_from_public_key(KEY.public_key)
VM = f"{DID}#{DID.removeprefix('did:key:')}"
RESOLVER = Resolver()


def _jwk() -> str:
    from did._multibase import b64url_encode

    return json.dumps(
        {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url_encode(KEY.public_key.to_bytes()),
            "d": b64url_encode(SEED),
        }
    )


def _credential(*contexts: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/2018/credentials/v1", *contexts],
        "id": "urn:uuid:5a4c1f0e-1d2b-4c3a-9e8f-7a6b5c4d3e2f",
        "type": ["VerifiableCredential"],
        "issuer": DID,
        "issuanceDate": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:holder"},
    }


def _issue(credential: dict[str, Any], options: dict[str, Any]) -> str:
    async def run() -> str:
        return await didkit.issue_credential(json.dumps(credential), json.dumps(options), _jwk())  # type: ignore[no-any-return]

    return asyncio.run(run())


def _didkit_verify(credential: str, proof_format: str) -> dict[str, Any]:
    async def run() -> str:
        return await didkit.verify_credential(credential, json.dumps({"proofFormat": proof_format}))  # type: ignore[no-any-return]

    return json.loads(asyncio.run(run()))  # type: ignore[no-any-return]


def test_didkit_derives_the_same_did_key() -> None:
    assert didkit.key_to_did("key", _jwk()) == DID

    async def run() -> str:
        return await didkit.key_to_verification_method("key", _jwk())  # type: ignore[no-any-return]

    assert asyncio.run(run()) == VM


def test_didkit_vc_jwt_verifies_in_ours() -> None:
    token = _issue(
        _credential(),
        {"proofFormat": "jwt", "verificationMethod": VM, "proofPurpose": "assertionMethod"},
    )
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header["alg"] == "EdDSA"
    assert header["kid"] == VM
    out = verify_jwt_vc(token, resolver=RESOLVER, now=NOW)
    assert out["issuer"] == DID
    assert out["id"] == _credential()["id"]
    assert out["credentialSubject"]["id"] == "did:example:holder"
    # A bit flipped in DIDKit's signature is caught by ours.
    h, c, s = token.split(".")
    flipped = s[:10] + ("A" if s[10] != "A" else "B") + s[11:]
    with pytest.raises(InvalidProofSignature):
        verify_jwt_vc(f"{h}.{c}.{flipped}", resolver=RESOLVER, now=NOW)


def test_our_vc_jwt_verifies_in_didkit() -> None:
    token = issue_jwt_vc(_credential(), KEY, kid=VM)
    result = _didkit_verify(token, "jwt")
    assert result["errors"] == [], result
    # DIDKit rejects a token whose claims we change after signing: the check can fail.
    h, _c, s = token.split(".")
    other = issue_jwt_vc({**_credential(), "id": "urn:uuid:other"}, KEY, kid=VM).split(".")[1]
    assert _didkit_verify(f"{h}.{other}.{s}", "jwt")["errors"] != []


def test_didkit_ed25519signature2020_verifies_in_ours() -> None:
    ctx = "https://w3id.org/security/suites/ed25519-2020/v1"
    signed = json.loads(
        _issue(
            _credential(ctx),
            {
                "proofFormat": "ldp",
                "type": "Ed25519Signature2020",
                "verificationMethod": VM,
                "proofPurpose": "assertionMethod",
            },
        )
    )
    proof = signed["proof"]
    assert proof["type"] == "Ed25519Signature2020"
    Ed25519Signature2020().verify_proof(
        signed, proof, RESOLVER.verification_key(proof["verificationMethod"])
    )
    tampered = {**signed, "issuanceDate": "2025-01-02T00:00:00Z"}
    with pytest.raises(InvalidProofSignature):
        Ed25519Signature2020().verify_proof(tampered, proof, KEY.public_key)


def test_our_ed25519signature2020_verifies_in_didkit() -> None:
    ctx = "https://w3id.org/security/suites/ed25519-2020/v1"
    credential = _credential(ctx)
    proof = Ed25519Signature2020().create_proof(credential, KEY, ProofOptions(VM))
    result = _didkit_verify(json.dumps({**credential, "proof": proof}), "ldp")
    assert result["errors"] == [], result
    tampered = {**credential, "issuanceDate": "2025-01-02T00:00:00Z", "proof": proof}
    assert _didkit_verify(json.dumps(tampered), "ldp")["errors"] != []
