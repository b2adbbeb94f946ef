"""The W3C VC-API shapes: issue (201, eddsa-jcs-2022 by default, eddsa-rdfc-2022 on
request), verify credentials and presentations (challenge and domain), challenges."""

from __future__ import annotations

import copy

from did import Ed25519PrivateKey, did_from_public_key
from did.vc import create_presentation
from tests.registry.service.support import REGISTRY_DID, Registry, moment

_CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential"],
    "credentialSubject": {"id": "did:example:subject", "name": "test"},
}


def test_issue_defaults_to_jcs_and_does_rdfc_on_request(reg: Registry) -> None:
    r = reg.client.post("/credentials/issue", json={"credential": _CREDENTIAL}, headers=reg.admin)
    assert r.status_code == 201
    vc = r.json()["verifiableCredential"]
    assert (vc["issuer"], vc["proof"]["cryptosuite"]) == (REGISTRY_DID, "eddsa-jcs-2022")
    rdfc = reg.client.post(
        "/credentials/issue",
        json={"credential": _CREDENTIAL, "options": {"cryptosuite": "eddsa-rdfc-2022"}},
        headers=reg.admin,
    )
    assert rdfc.status_code == 201, rdfc.text
    assert rdfc.json()["verifiableCredential"]["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    for secured in (vc, rdfc.json()["verifiableCredential"]):
        ok = reg.client.post("/credentials/verify", json={"verifiableCredential": secured})
        assert ok.status_code == 200
        assert ok.json()["verified"] is True
        tampered = copy.deepcopy(secured)
        tampered["credentialSubject"]["name"] = "changed"
        bad = reg.client.post("/credentials/verify", json={"verifiableCredential": tampered})
        assert bad.status_code == 400
        assert bad.json()["verified"] is False
        assert bad.json()["problemDetails"][0]["type"].startswith("urn:anshim:error:")


def test_issue_refuses_another_issuer_and_anonymous_callers(reg: Registry) -> None:
    other = {**_CREDENTIAL, "issuer": "did:example:someone-else"}
    r = reg.client.post("/credentials/issue", json={"credential": other}, headers=reg.admin)
    assert (r.status_code, r.json()["code"]) == (422, "invalidCredentialRequest")
    assert (
        reg.client.post("/credentials/issue", json={"credential": _CREDENTIAL}).status_code == 401
    )


def test_presentations_verify_checks_challenge_and_domain(reg: Registry) -> None:
    key = Ed25519PrivateKey.generate()
    challenge = reg.client.post("/challenges").json()["challenge"]
    vp = create_presentation([], holder_key=key, challenge=challenge, domain="verifier.example",
                             created=moment(reg.clock.now))  # fmt: skip
    good = {
        "verifiablePresentation": vp,
        "options": {"challenge": challenge, "domain": "verifier.example"},
    }
    wrong_domain = {**good, "options": {"challenge": challenge, "domain": "elsewhere.example"}}
    r = reg.client.post("/presentations/verify", json=wrong_domain)
    assert r.status_code == 400
    assert r.json()["verified"] is False
    r = reg.client.post("/presentations/verify", json=good)
    assert r.status_code == 200, r.text
    assert r.json()["verified"] is True
    replay = reg.client.post("/presentations/verify", json=good)
    assert replay.json()["verified"] is False  # a registry challenge answers once
    assert did_from_public_key(key.public_key) == vp["holder"]
    missing = reg.client.post("/presentations/verify", json={"verifiablePresentation": vp})
    assert missing.status_code == 400
