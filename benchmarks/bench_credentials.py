"""Credential verification speed, beside a bare PyNaCl Ed25519 verify and DIDKit.

Prints one JSON object: the median time (µs) of each verification and its ratio to a bare
PyNaCl Ed25519 verify measured in the same run, so the figures survive a noisy machine.

* ``eddsa-jcs-2022``: the W3C example credential (w3c/vc-di-eddsa TestVectors
  ``eddsa-jcs-2022/signedJCS.json``) through :func:`did.vc.verify_proofs`
  (proof check with did:key resolution); and the same credential with its issuer set to the
  vector key's did:key, signed by us, through :func:`did.vc.verify_credential` (data
  model, proof, issuer binding, validity) — the vector's own issuer is an https URL, which
  issuer binding rightly refuses.
* ``eddsa-rdfc-2022``: the W3C ``eddsa-rdfc-2022/signedDataInt.json`` vector (needs the
  ``jsonld`` extra).
* VC-JWT: the W3C example credential (issuer set to the vector key's did:key) issued by us as
  a VC-JWT with EdDSA, verified by ours.
* DIDKit (when installed): its verify of an Ed25519Signature2018 credential and of a VC-JWT
  that DIDKit itself issued, each awaited inside one running event loop.
* ``Ed25519Signature2018``: a credential DIDKit issued with its default proof (VC 1.1 context
  only, so our bundled contexts cover it), verified by DIDKit (``ldp_plain_2018_verify_us``)
  and by our :func:`did.vc.verify_credential` (needs the ``jsonld`` extra).

Usage: ``python benchmarks/bench_credentials.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nacl.signing

from did import (
    Ed25519PrivateKey,
    Resolver,
    b64url_encode,
    did_from_public_key,
    verification_method_id,
)
from did.errors import AnshimError
from did.vc import (
    ProofOptions,
    add_proof,
    issue_jwt_vc,
    verify_credential,
    verify_jwt_vc,
    verify_proofs,
)

VECTORS = Path(__file__).resolve().parents[1] / "tests" / "vectors" / "w3c-vc-di-eddsa"
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def _median_us(fn: Callable[[], object], rounds: int) -> float:
    for _ in range(min(50, rounds)):  # warm caches (did:key parsing, imports)
        fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000.0


def _vector_key() -> Ed25519PrivateKey:
    pair = json.loads((VECTORS / "keyPair.json").read_text())
    return Ed25519PrivateKey.from_multikey(pair["privateKeyMultibase"])


def _bench_didkit(rounds: int) -> dict[str, Any]:
    try:
        didkit = importlib.import_module("didkit")
    except ImportError:
        return {"installed": False}
    seed = bytes(range(100, 132))
    key = Ed25519PrivateKey.from_seed(seed)
    did = did_from_public_key(key.public_key)
    jwk = json.dumps(
        {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url_encode(key.public_key.to_bytes()),
            "d": b64url_encode(seed),
        }
    )
    credential = {
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://www.w3.org/2018/credentials/examples/v1",
        ],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "issuer": did,
        "issuanceDate": "2023-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
    }
    vm = verification_method_id(did)

    # The same credential without the VC 1.1 examples context (which imports ODRL, not
    # bundled): the document both toolkits verify for the Ed25519Signature2018 figure.
    # Only terms that context defines: DIDKit and PyLD expand an undefined term (the examples'
    # AlumniCredential, alumniOf) differently, so such a document has no one canonical form.
    plain = {
        **credential,
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:abcdefgh"},
    }

    async def run() -> dict[str, Any]:
        plain_ldp = await didkit.issue_credential(
            json.dumps(plain),
            json.dumps(
                {"proofFormat": "ldp", "verificationMethod": vm, "proofPurpose": "assertionMethod"}
            ),
            jwk,
        )
        ldp = await didkit.issue_credential(
            json.dumps(credential),
            json.dumps(
                {"proofFormat": "ldp", "verificationMethod": vm, "proofPurpose": "assertionMethod"}
            ),
            jwk,
        )
        jwt = await didkit.issue_credential(
            json.dumps(credential),
            json.dumps(
                {"proofFormat": "jwt", "verificationMethod": vm, "proofPurpose": "assertionMethod"}
            ),
            jwk,
        )
        proof_type = json.loads(ldp)["proof"]["type"]
        out: dict[str, Any] = {
            "installed": True,
            "version": didkit.get_version(),
            "ldp_proof_type": proof_type,
            "plain_2018": json.loads(plain_ldp),
        }
        for name, doc, fmt in (
            ("ldp_verify_us", ldp, "ldp"),
            ("jwt_verify_us", jwt, "jwt"),
            ("ldp_plain_2018_verify_us", plain_ldp, "ldp"),
        ):
            options = json.dumps({"proofFormat": fmt})
            result = json.loads(await didkit.verify_credential(doc, options))
            if result.get("errors"):
                raise RuntimeError(f"DIDKit did not verify its own {fmt} credential: {result}")
            samples = []
            for _ in range(rounds):
                start = time.perf_counter_ns()
                await didkit.verify_credential(doc, options)
                samples.append(time.perf_counter_ns() - start)
            out[name] = statistics.median(samples) / 1000.0
        return out

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    rounds = args.rounds

    # Baseline: a bare PyNaCl Ed25519 verify of a 64-byte message (what every suite signs).
    sk = nacl.signing.SigningKey(bytes(32))
    signed = sk.sign(bytes(64))
    vk = sk.verify_key
    baseline = _median_us(lambda: vk.verify(signed), rounds)

    resolver = Resolver()
    results: dict[str, Any] = {}
    missing: list[str] = []

    jcs_doc = json.loads((VECTORS / "eddsa-jcs-2022" / "signedJCS.json").read_text())
    results["eddsa_jcs_2022_verify_proofs_us"] = _median_us(
        lambda: verify_proofs(jcs_doc, resolver=resolver, now=NOW), rounds
    )
    # The same example credential with its issuer set to the vector key's did:key, signed
    # by us, so that the full check (issuer binding included) applies.
    key = _vector_key()
    did = did_from_public_key(key.public_key)
    example = json.loads((VECTORS / "unsigned.json").read_text())
    example["issuer"] = did
    options = ProofOptions(
        verification_method=verification_method_id(did), created="2023-02-24T23:36:38Z"
    )
    jcs_own = add_proof(example, key, options)
    results["eddsa_jcs_2022_verify_credential_us"] = _median_us(
        lambda: verify_credential(jcs_own, resolver=resolver, now=NOW), rounds
    )

    try:
        rdfc_doc = json.loads((VECTORS / "eddsa-rdfc-2022" / "signedDataInt.json").read_text())
        results["eddsa_rdfc_2022_verify_proofs_us"] = _median_us(
            lambda: verify_proofs(rdfc_doc, resolver=resolver, now=NOW), max(50, rounds // 10)
        )
    except AnshimError as exc:  # the jsonld extra (PyLD) is missing
        missing.append(f"eddsa-rdfc-2022: {exc.code}")

    token = issue_jwt_vc(example, key, kid=verification_method_id(did))
    results["vc_jwt_verify_jwt_vc_us"] = _median_us(
        lambda: verify_jwt_vc(token, resolver=resolver, now=NOW), rounds
    )
    results["vc_jwt_verify_credential_us"] = _median_us(
        lambda: verify_credential(token, resolver=resolver, now=NOW), rounds
    )

    didkit = _bench_didkit(max(100, rounds // 4))
    plain_2018 = didkit.pop("plain_2018", None)
    if plain_2018 is not None:
        # DIDKit's default Ed25519Signature2018 credential, which DIDKit verified above, now
        # through our whole verify_credential (its proof is dated by DIDKit's clock).
        signed_at = dt.datetime.fromisoformat(plain_2018["proof"]["created"].replace("Z", "+00:00"))
        later = signed_at + dt.timedelta(seconds=1)
        try:
            results["ed25519_signature_2018_verify_credential_us"] = _median_us(
                lambda: verify_credential(plain_2018, resolver=resolver, now=later),
                max(50, rounds // 10),
            )
        except AnshimError as exc:
            missing.append(f"Ed25519Signature2018: {exc.code}")

    ratios = {
        name.replace("_us", "_x_nacl"): round(value / baseline, 2)
        for name, value in results.items()
    }
    report: dict[str, Any] = {
        "python": platform.python_version(),
        "rounds": rounds,
        "pynacl_ed25519_verify_us": round(baseline, 1),
        "ours": {k: round(v, 1) for k, v in results.items()},
        "ratio_to_pynacl_verify": ratios,
        "didkit": {k: (round(v, 1) if isinstance(v, float) else v) for k, v in didkit.items()},
        "missing": missing,
    }
    jcs = results["eddsa_jcs_2022_verify_credential_us"]
    targets: dict[str, Any] = {"eddsa_jcs_2022_verify_le_250us": jcs <= 250.0}
    if didkit.get("installed"):
        targets["jcs_speedup_vs_didkit_ldp"] = round(didkit["ldp_verify_us"] / jcs, 1)
        targets["jcs_at_least_5x_faster_than_didkit_ldp"] = didkit["ldp_verify_us"] >= 5 * jcs
        if "vc_jwt_verify_credential_us" in results:
            ours_jwt = results["vc_jwt_verify_credential_us"]
            targets["jwt_speedup_vs_didkit_jwt"] = round(didkit["jwt_verify_us"] / ours_jwt, 1)
            targets["jwt_faster_than_didkit"] = ours_jwt < didkit["jwt_verify_us"]
        if "ed25519_signature_2018_verify_credential_us" in results:
            ours_2018 = results["ed25519_signature_2018_verify_credential_us"]
            targets["ed25519_2018_speedup_vs_didkit"] = round(
                didkit["ldp_plain_2018_verify_us"] / ours_2018, 2
            )
    report["targets"] = targets
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
