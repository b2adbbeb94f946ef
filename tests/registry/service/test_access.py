"""DID authentication and the investigation queries: the wrong party gets 401/403 and a
problem detail, never data; every answered query is in the log."""

from __future__ import annotations

import os

import pytest

from did import Ed25519PrivateKey, did_from_public_key
from registry._tokens import AccessToken
from tests.registry.service.support import (
    MINUTE,
    REGISTRY_DID,
    T0,
    Operator,
    Registry,
    bearer,
    present,
)

CBOR = {"Content-Type": "application/cbor"}


def _contacts(venue: Operator, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {"case_id": "JEJU-2024-0042", "venue": venue.did,
                               "start": T0 - 2 * 3600, "end": T0 - 3600}  # fmt: skip
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def visited(reg: Registry, venue: Operator) -> Operator:
    records = [venue.record(T0 - 2 * 3600 + i * MINUTE) for i in range(5)]
    assert (
        reg.client.post(
            "/uploads/visits", content=venue.batch(records, T0), headers=CBOR
        ).status_code
        == 200
    )
    return venue


def test_an_investigator_queries_and_every_query_is_logged(
    reg: Registry, visited: Operator
) -> None:
    key, headers = reg.investigator()
    r = reg.client.post("/queries/contacts", json=_contacts(visited), headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["count"] == 5
    log = reg.client.get("/queries/log", headers=reg.admin).json()
    assert [(e["case_id"], e["kind"], e["count"]) for e in log] == [
        ("JEJU-2024-0042", "contacts", 5)
    ]
    assert log[0]["actor"] == did_from_public_key(key.public_key)
    assert reg.app.state.authority.ledger.verify_query_log() == 1


def test_query_without_case_id_is_refused_and_not_logged(reg: Registry, visited: Operator) -> None:
    _, headers = reg.investigator()
    for case in (None, "", "no spaces allowed", "x" * 65):
        r = reg.client.post(
            "/queries/contacts", json=_contacts(visited, case_id=case), headers=headers
        )
        assert r.status_code == 422, case
        assert r.json()["type"] == "urn:anshim:error:invalidRequest"
        assert "matches" not in r.json()
    assert reg.client.get("/queries/log", headers=reg.admin).json() == []


def test_expired_token_is_refused(reg: Registry, visited: Operator) -> None:
    _, headers = reg.investigator()
    reg.clock.advance(901)
    r = reg.client.post("/queries/contacts", json=_contacts(visited), headers=headers)
    assert (r.status_code, r.json()["code"]) == (401, "expiredToken")
    assert "WWW-Authenticate" in r.headers


def test_token_from_another_registry_is_refused(reg: Registry, visited: Operator) -> None:
    other_key = Ed25519PrivateKey.generate()
    investigator = did_from_public_key(Ed25519PrivateKey.generate().public_key)
    for issuer, key in (("did:web:evil.example", other_key), (REGISTRY_DID, other_key),
                        ("did:web:evil.example", reg.key)):  # fmt: skip
        _, text = AccessToken.issue(key, issuer=issuer, subject=investigator,
                                    role="investigator", now=T0, lifetime=600)  # fmt: skip
        r = reg.client.post("/queries/contacts", json=_contacts(visited), headers=bearer(text))
        assert (r.status_code, r.json()["code"]) == (401, "invalidToken"), issuer


def test_a_holder_without_an_investigator_credential_gets_no_token(reg: Registry) -> None:
    key = Ed25519PrivateKey.generate()
    r = reg.client.post("/auth/token", json={"verifiablePresentation": present(reg.client, key)})
    assert (r.status_code, r.json()["code"]) == (401, "authenticationFailed")


def test_a_self_issued_investigator_credential_gets_no_token(reg: Registry) -> None:
    from did.vc import ProofOptions, add_proof

    key = Ed25519PrivateKey.generate()
    did = did_from_public_key(key.public_key)
    fake = add_proof(
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "issuer": did,
         "type": ["VerifiableCredential", "InvestigatorCredential"],
         "credentialSubject": {"id": did}},
        key, ProofOptions(verification_method=f"{did}#{did.removeprefix('did:key:')}",
                          created="2024-03-10T09:00:00Z"),
    )  # fmt: skip
    r = reg.client.post(
        "/auth/token", json={"verifiablePresentation": present(reg.client, key, [fake])}
    )
    assert r.status_code == 401


def test_a_revoked_investigator_credential_gets_no_token(reg: Registry) -> None:
    key = Ed25519PrivateKey.generate()
    did = did_from_public_key(key.public_key)
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"],
                  "type": ["VerifiableCredential", "InvestigatorCredential"],
                  "credentialSubject": {"id": did}}  # fmt: skip
    vc = reg.client.post(
        "/credentials/issue", json={"credential": credential}, headers=reg.admin
    ).json()["verifiableCredential"]
    revoke = {"credentialStatus": vc["credentialStatus"], "status": True}
    assert reg.client.post("/credentials/status", json=revoke, headers=reg.admin).status_code == 200
    r = reg.client.post(
        "/auth/token", json={"verifiablePresentation": present(reg.client, key, [vc])}
    )
    assert r.status_code == 401
    assert "revokedCredential" in r.json()["detail"]


def test_a_presentation_is_accepted_once(reg: Registry) -> None:
    presentation = present(reg.client, reg.admin_key)
    assert (
        reg.client.post("/auth/token", json={"verifiablePresentation": presentation}).status_code
        == 200
    )
    again = reg.client.post("/auth/token", json={"verifiablePresentation": presentation})
    assert again.status_code == 401
    assert "challengeReused" in again.json()["detail"]


def test_a_challenge_the_registry_did_not_issue_is_refused(reg: Registry) -> None:
    from did.vc import create_presentation

    vp = create_presentation([], holder_key=reg.admin_key, challenge="made-up", domain=REGISTRY_DID,
                             created="2024-03-10T09:59:00Z")  # fmt: skip
    r = reg.client.post("/auth/token", json={"verifiablePresentation": vp})
    assert r.status_code == 401


def test_queries_need_an_investigator(reg: Registry, visited: Operator) -> None:
    assert reg.client.post("/queries/contacts", json=_contacts(visited)).status_code == 401
    r = reg.client.post("/queries/contacts", json=_contacts(visited), headers=reg.admin)
    assert (r.status_code, r.json()["code"]) == (403, "notPermitted")


def test_a_venue_sees_which_of_its_records_were_requested(reg: Registry, visited: Operator) -> None:
    _, headers = reg.investigator()
    reg.client.post("/queries/contacts", json=_contacts(visited), headers=headers)
    vm = f"{visited.did}#{visited.key.public_key.to_multikey()}"
    venue_token = reg.client.post("/auth/token", json={"verifiablePresentation": present(
        reg.client, visited.key, holder=visited.did, verification_method=vm)})  # fmt: skip
    assert venue_token.json()["role"] == "venue", venue_token.text
    seen = reg.client.get(
        f"/venues/{visited.venue_id}/requests", headers=bearer(venue_token.json()["access_token"])
    )
    assert seen.status_code == 200
    assert [(e["case_id"], len(e["visit_ids"])) for e in seen.json()] == [("JEJU-2024-0042", 5)]
    assert "actor" not in seen.json()[0]
    other = reg.register(Operator(name_ko="다른 곳", name_en="Elsewhere"))
    r = reg.client.get(
        f"/venues/{other.venue_id}/requests", headers=bearer(venue_token.json()["access_token"])
    )
    assert r.status_code == 403


def test_records_for_a_warrant_carry_the_signed_record(reg: Registry, visited: Operator) -> None:
    from did import b64url_decode
    from registry import StoredVisit

    _, headers = reg.investigator()
    found = reg.client.post("/queries/contacts", json=_contacts(visited), headers=headers).json()
    ids = [m["visit_id"] for m in found["matches"]][:2]
    day = found["matches"][0]["day"]
    query = {"case_id": "JEJU-2024-0042", "visit_ids": ids, "first_day": day, "last_day": day}
    r = reg.client.post("/queries/records", json=query, headers=headers)
    assert r.status_code == 200
    assert r.json()["count"] == 2
    record = StoredVisit.verified(
        b64url_decode(r.json()["matches"][0]["record"]), visited.key.public_key, now=T0
    )
    assert record.visit.visit_id.hex() in ids
    query = {**query, "case_id": "C", "visit_ids": [os.urandom(16).hex()]}
    missing = reg.client.post("/queries/records", json=query, headers=headers)
    assert missing.json()["count"] == 0
