"""Venue registration, approval, rotation and deactivation over HTTP; the VenueCredential
and the did:web documents."""

from __future__ import annotations

from did import Ed25519PrivateKey, X25519PrivateKey, b64url_encode
from protocol import VenueCode
from tests.registry.service.support import REGISTRY_DID, T0, Operator, Registry


def test_registration_is_pending_until_the_administrator_approves(reg: Registry) -> None:
    op = reg.register(approve=False)
    view = reg.client.get(f"/venues/{op.venue_id}").json()
    assert view["status"] == "pending"
    assert view["credential"] is None
    assert op.did == f"{REGISTRY_DID}:venues:{op.venue_id}"
    assert reg.client.get(f"/venues/{op.venue_id}/did.json").status_code == 404
    approved = reg.client.post(f"/venues/{op.venue_id}/approval", headers=reg.admin).json()
    assert approved["status"] == "active"
    credential = approved["credential"]
    assert credential["type"] == ["VerifiableCredential", "VenueCredential"]
    assert credential["issuer"] == REGISTRY_DID
    assert credential["credentialSubject"]["id"] == op.did
    assert credential["credentialSubject"]["businessRegistrationNumber"] == "616-81-12345"
    assert credential["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert credential["credentialStatus"]["statusListCredential"].endswith("/status/venues")
    verified = reg.client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True


def test_replayed_registration_is_refused(reg: Registry) -> None:
    op = Operator()
    request = op.registration(T0)
    assert reg.client.post("/venues", json=request).status_code == 202
    again = reg.client.post("/venues", json=request)
    assert again.status_code == 409
    assert again.json()["type"] == "urn:anshim:error:replayedRequest"


def test_stale_registration_and_another_keys_proof_are_refused(reg: Registry) -> None:
    op = Operator()
    stale = reg.client.post("/venues", json=op.registration(T0 - 3600))
    assert stale.json()["type"] == "urn:anshim:error:replayedRequest"
    forged = op.registration(T0)
    forged["proof"] = b64url_encode(Ed25519PrivateKey.generate().sign(b"whatever"))
    r = reg.client.post("/venues", json=forged)
    assert (r.status_code, r.json()["code"]) == (401, "proofOfPossessionFailed")


def test_a_signing_key_registers_once(reg: Registry) -> None:
    op = Operator()
    assert reg.client.post("/venues", json=op.registration(T0)).status_code == 202
    r = reg.client.post("/venues", json=op.registration(T0))
    assert (r.status_code, r.json()["code"]) == (409, "venueExists")


def test_malformed_registrations_are_422(reg: Registry) -> None:
    op = Operator()
    for changes in (
        {"category": "casino"},
        {"businessRegistrationNumber": "12345"},
        {"signingKey": "z6Mkbad"},
    ):
        r = reg.client.post("/venues", json=op.registration(T0, **changes))
        assert r.status_code == 422, (changes, r.text)
        assert r.json()["type"].startswith("urn:anshim:error:")


def test_only_the_administrator_approves_and_deactivates(reg: Registry) -> None:
    op = reg.register(approve=False)
    r = reg.client.post(f"/venues/{op.venue_id}/approval")
    assert (r.status_code, r.json()["code"]) == (401, "missingToken")
    _, investigator = reg.investigator()
    r = reg.client.post(f"/venues/{op.venue_id}/approval", headers=investigator)
    assert (r.status_code, r.json()["code"]) == (403, "notPermitted")
    r = reg.client.post(f"/venues/{op.venue_id}/deactivation", headers=investigator)
    assert r.status_code == 403
    assert reg.client.get(f"/venues/{op.venue_id}").json()["status"] == "pending"


def test_deactivation_revokes_the_credential_and_removes_the_document(
    reg: Registry, venue: Operator
) -> None:
    credential = reg.client.get(f"/venues/{venue.venue_id}/credential").json()
    assert (
        reg.client.post(f"/venues/{venue.venue_id}/deactivation", headers=reg.admin).status_code
        == 200
    )
    doc = reg.client.get(f"/venues/{venue.venue_id}/did.json")
    assert doc.status_code == 410
    verified = reg.client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert verified.status_code == 400
    assert verified.json()["errors"] == ["revokedCredential"]
    poster = reg.client.get(f"/venues/{venue.venue_id}/poster.svg")
    assert (poster.status_code, poster.json()["code"]) == (403, "venueDeactivated")
    again = reg.client.post(f"/venues/{venue.venue_id}/approval", headers=reg.admin)
    assert again.status_code == 403


def test_rotation_needs_the_current_key(reg: Registry, venue: Operator) -> None:
    new_key, new_agreement = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
    stranger = Ed25519PrivateKey.generate()
    r = reg.client.post(
        f"/venues/{venue.venue_id}/rotation",
        json=venue.rotation(T0, new_key, new_agreement, current=stranger),
    )
    assert (r.status_code, r.json()["code"]) == (401, "proofOfPossessionFailed")
    request = venue.rotation(T0, new_key, new_agreement)
    assert reg.client.post(f"/venues/{venue.venue_id}/rotation", json=request).status_code == 200
    replay = reg.client.post(f"/venues/{venue.venue_id}/rotation", json=request)
    assert replay.status_code == 422
    assert replay.json()["code"] == "invalidRegistration"
    doc = reg.client.get(f"/venues/{venue.venue_id}/did.json").json()
    assert doc["verificationMethod"][0]["publicKeyMultibase"] == new_key.public_key.to_multikey()


def test_the_registry_document_and_venue_code_are_the_registry_key(
    reg: Registry, venue: Operator
) -> None:
    doc = reg.client.get("/.well-known/did.json").json()
    assert doc["id"] == REGISTRY_DID
    assert doc["verificationMethod"][0]["publicKeyMultibase"] == reg.key.public_key.to_multikey()
    _, code = reg.app.state.authority.venue_code(venue.venue_id)
    parsed = VenueCode.verify(code, reg.key.public_key, now=T0)
    assert parsed.venue == venue.did
    assert parsed.name == venue.name_ko


def test_document_responses_carry_etags(reg: Registry, venue: Operator) -> None:
    first = reg.client.get(f"/venues/{venue.venue_id}/did.json")
    assert first.headers["content-type"] == "application/did+json"
    again = reg.client.get(
        f"/venues/{venue.venue_id}/did.json", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
