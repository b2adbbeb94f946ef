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
* ``proofFormat: "ldp"`` without a ``type`` issues DIDKit's default, ``Ed25519Signature2018``
  (a detached JWS with ``b64: false``, the suite terms from ``credentials/v1``), for
  credentials and presentations — verified here by ours, on keys DIDKit generates in the
  run; and ours verify in DIDKit.
* DIDKit's ``Ed25519Signature2020`` on a credential whose ``@context`` lacks the suite context
  carries it in ``proof["@context"]`` — verified here by ours.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest

didkit = pytest.importorskip("didkit")

from did import Ed25519PrivateKey, Resolver, b64url_decode, did_from_public_key  # noqa: E402
from did.vc import (  # noqa: E402
    Ed25519Signature2018,
    Ed25519Signature2020,
    ProofOptions,
    issue_jwt_vc,
    verify_credential,
    verify_jwt_vc,
    verify_presentation,
)
from did.vc.errors import ContextMismatch, InvalidProofSignature  # noqa: E402

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
SEED = bytes(range(100, 132))
KEY = Ed25519PrivateKey.from_seed(SEED)
DID = did_from_public_key(KEY.public_key)
VM = f"{DID}#{DID.removeprefix('did:key:')}"
RESOLVER = Resolver()


def _jwk() -> str:
    from did import b64url_encode

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


class _DidkitKey:
    """A random Ed25519 key made by DIDKit in the test run, with its did:key."""

    def __init__(self) -> None:
        self.jwk = didkit.generate_ed25519_key()
        self.did = didkit.key_to_did("key", self.jwk)

        async def run() -> str:
            return await didkit.key_to_verification_method("key", self.jwk)  # type: ignore[no-any-return]

        self.vm = asyncio.run(run())
        self.key = Ed25519PrivateKey.from_seed(b64url_decode(json.loads(self.jwk)["d"]))


def _didkit_issue(key: _DidkitKey, credential: dict[str, Any], **options: Any) -> dict[str, Any]:
    opts = {"proofPurpose": "assertionMethod", "verificationMethod": key.vm, **options}

    async def run() -> str:
        return await didkit.issue_credential(json.dumps(credential), json.dumps(opts), key.jwk)  # type: ignore[no-any-return]

    return json.loads(asyncio.run(run()))  # type: ignore[no-any-return]


def _vc11(issuer: str, *contexts: str) -> dict[str, Any]:
    return {**_credential(*contexts), "issuer": issuer, "credentialSubject": {"id": issuer}}


def _now_after(secured: dict[str, Any]) -> dt.datetime:
    # DIDKit dates its proofs with the machine clock: verify a moment later.
    created = secured["proof"]["created"].replace("Z", "+00:00")
    return dt.datetime.fromisoformat(created) + dt.timedelta(seconds=1)


def test_didkit_default_ed25519signature2018_verifies_in_ours() -> None:
    key = _DidkitKey()
    signed = _didkit_issue(key, _vc11(key.did))  # no "type": DIDKit's default proof
    proof = signed["proof"]
    assert proof["type"] == "Ed25519Signature2018"
    assert proof["jws"].split(".")[1] == ""  # detached
    header = json.loads(b64url_decode(proof["jws"].split(".")[0]))
    assert header == {"alg": "EdDSA", "b64": False, "crit": ["b64"]}
    result = verify_credential(signed, now=_now_after(signed))
    assert result.format == "Ed25519Signature2018"
    assert result.credential.issuer == key.did
    tampered = {**signed, "issuanceDate": "2025-01-02T00:00:00Z"}
    with pytest.raises(InvalidProofSignature):
        verify_credential(tampered, now=_now_after(signed))


def test_didkit_default_ed25519signature2018_presentation_verifies_in_ours() -> None:
    key = _DidkitKey()
    vc = _didkit_issue(key, _vc11(key.did))
    vp = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiablePresentation"],
        "holder": key.did,
        "verifiableCredential": vc,
    }
    opts = {
        "proofPurpose": "authentication",
        "verificationMethod": key.vm,
        "challenge": "c-2018",
        "domain": "did:web:venue.example",
    }

    async def run() -> str:
        return await didkit.issue_presentation(json.dumps(vp), json.dumps(opts), key.jwk)  # type: ignore[no-any-return]

    signed = json.loads(asyncio.run(run()))
    assert signed["proof"]["type"] == "Ed25519Signature2018"
    now = _now_after(signed)
    result = verify_presentation(
        signed, challenge="c-2018", domain="did:web:venue.example", now=now
    )
    assert result.credentials[0].format == "Ed25519Signature2018"
    # The challenge is inside what DIDKit signed: changing it breaks the JWS.
    replayed = {**signed, "proof": {**signed["proof"], "challenge": "c-other"}}
    with pytest.raises(InvalidProofSignature):
        verify_presentation(replayed, challenge="c-other", domain="did:web:venue.example", now=now)


def test_our_ed25519signature2018_verifies_in_didkit() -> None:
    credential = _credential()
    proof = Ed25519Signature2018().create_proof(credential, KEY, ProofOptions(VM))
    assert proof["jws"].split(".")[1] == ""
    result = _didkit_verify(json.dumps({**credential, "proof": proof}), "ldp")
    assert result["errors"] == [], result
    tampered = {**credential, "issuanceDate": "2025-01-02T00:00:00Z", "proof": proof}
    assert _didkit_verify(json.dumps(tampered), "ldp")["errors"] != []


def test_didkit_ed25519signature2020_with_the_context_in_the_proof_verifies_in_ours() -> None:
    key = _DidkitKey()
    signed = _didkit_issue(key, _vc11(key.did), type="Ed25519Signature2020")
    ctx = "https://w3id.org/security/suites/ed25519-2020/v1"
    assert ctx not in signed["@context"]
    assert signed["proof"]["@context"] in (ctx, [ctx])
    result = verify_credential(signed, now=_now_after(signed))
    assert result.format == "Ed25519Signature2020"
    tampered = {**signed, "credentialSubject": {"id": DID}}
    with pytest.raises(InvalidProofSignature):
        verify_credential(tampered, now=_now_after(signed))
    # Only the suite's own context may ride in the proof: another one is refused outright.
    other = {**signed, "proof": {**signed["proof"], "@context": [VC_EXAMPLES_V2]}}
    with pytest.raises(ContextMismatch):
        verify_credential(other, now=_now_after(signed))


VC_EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
