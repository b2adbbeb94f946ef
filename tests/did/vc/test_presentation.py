"""Presentations: challenge/domain, every embedded credential verified, holder binding,
replay store; and the issuer trust policies."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from did.didkey import did_from_public_key, verification_method_id
from did.errors import InputError
from did.keys import Ed25519PrivateKey
from did.vc import ProofOptions
from did.vc.credential import Credential, Presentation
from did.vc.data_integrity import add_proof
from did.vc.errors import (
    ChallengeMismatch,
    ChallengeReused,
    CredentialError,
    DomainMismatch,
    HolderMismatch,
    InvalidProofSignature,
    PolicyMisuse,
    PresentationError,
    ProofPurposeMismatch,
    UntrustedIssuer,
)
from did.vc.policy import AllOf, AnyOf, TrustedIssuers, UnsafeNoOp
from did.vc.presentation import InMemoryReplayStore, ReplayStoreFull, create_presentation
from did.vc.verify import verify_presentation

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
ISSUER_KEY = Ed25519PrivateKey.from_seed(b"i" * 32)
ISSUER = did_from_public_key(ISSUER_KEY.public_key)
HOLDER_KEY = Ed25519PrivateKey.from_seed(b"h" * 32)
HOLDER = did_from_public_key(HOLDER_KEY.public_key)
MALLORY_KEY = Ed25519PrivateKey.from_seed(b"m" * 32)
MALLORY = did_from_public_key(MALLORY_KEY.public_key)


def _credential(
    subject: str = HOLDER, types: tuple[str, ...] = ("VenueCredential",)
) -> dict[str, Any]:
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", *types],
        "issuer": ISSUER,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": subject, "phone": "+821012345678"},
    }
    options = ProofOptions(verification_method=verification_method_id(ISSUER))
    return add_proof(doc, ISSUER_KEY, options)


def _vp(creds: list[Any] | None = None, **kw: Any) -> dict[str, Any]:
    kw.setdefault("challenge", "c-123")
    kw.setdefault("domain", "did:web:venue.example")
    return create_presentation(
        creds if creds is not None else [_credential()], holder_key=HOLDER_KEY, **kw
    )


def test_presentation_verifies() -> None:
    vp = _vp()
    result = verify_presentation(vp, challenge="c-123", domain="did:web:venue.example", now=NOW)
    assert result.presentation.holder == HOLDER
    assert [c.credential.issuer for c in result.credentials] == [ISSUER]
    assert result.to_json()["credentials"][0]["format"] == "eddsa-jcs-2022"


def test_wrong_challenge_and_domain() -> None:
    vp = _vp()
    with pytest.raises(ChallengeMismatch):
        verify_presentation(vp, challenge="c-999", domain="did:web:venue.example", now=NOW)
    with pytest.raises(DomainMismatch):
        verify_presentation(vp, challenge="c-123", domain="did:web:other.example", now=NOW)
    with pytest.raises(InputError):
        verify_presentation(vp, challenge="", now=NOW)


def test_challenge_changed_in_proof_breaks_signature() -> None:
    vp = _vp()
    vp["proof"]["challenge"] = "c-999"
    with pytest.raises(InvalidProofSignature):
        verify_presentation(vp, challenge="c-999", domain="did:web:venue.example", now=NOW)


def test_assertion_proof_is_not_an_authentication() -> None:
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER,
    }
    vp = add_proof(
        doc,
        HOLDER_KEY,
        ProofOptions(verification_method=verification_method_id(HOLDER), challenge="c"),
    )
    with pytest.raises(ProofPurposeMismatch):
        verify_presentation(vp, challenge="c", now=NOW)


def test_every_embedded_credential_is_verified() -> None:
    # A tampered credential inside a validly signed presentation must fail: the
    # presentation's signature covers the bytes, not the credential's own proof.
    bad = _credential()
    bad["credentialSubject"]["phone"] = "+821099999999"
    vp = _vp([_credential(), bad])
    with pytest.raises(InvalidProofSignature):
        verify_presentation(vp, challenge="c-123", domain="did:web:venue.example", now=NOW)


def test_holder_binding() -> None:
    # Mallory presents the holder's credential under her own key and DID.
    stolen = create_presentation([_credential()], holder_key=MALLORY_KEY, challenge="c")
    with pytest.raises(HolderMismatch):
        verify_presentation(stolen, challenge="c", now=NOW)
    # Mallory claims to be the holder but signs with her key.
    claimed = create_presentation(
        [_credential()], holder_key=MALLORY_KEY, holder=HOLDER, challenge="c"
    )
    with pytest.raises(HolderMismatch):
        verify_presentation(claimed, challenge="c", now=NOW)
    # No holder at all.
    anonymous = copy.deepcopy(_vp())
    del anonymous["holder"]
    with pytest.raises(InvalidProofSignature):
        verify_presentation(anonymous, challenge="c-123", now=NOW)


def test_unsigned_holder_field_in_document_without_holder() -> None:
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"]}
    vp = add_proof(
        doc,
        HOLDER_KEY,
        ProofOptions(
            verification_method=verification_method_id(HOLDER),
            proof_purpose="authentication",
            challenge="c",
        ),
    )
    with pytest.raises(HolderMismatch):
        verify_presentation(vp, challenge="c", now=NOW)


def test_replay_store_refuses_a_reused_challenge() -> None:
    store = InMemoryReplayStore(ttl=dt.timedelta(minutes=5))
    vp = _vp()
    verify_presentation(
        vp, challenge="c-123", domain="did:web:venue.example", now=NOW, replay_store=store
    )
    with pytest.raises(ChallengeReused):
        verify_presentation(
            vp, challenge="c-123", domain="did:web:venue.example", now=NOW, replay_store=store
        )
    # After the ttl the entry is forgotten (the challenge itself must have expired by then).
    later = NOW + dt.timedelta(minutes=6)
    store.use("c-123", now=later)


def test_replay_store_full_refuses() -> None:
    store = InMemoryReplayStore(max_entries=2)
    store.use("a", now=NOW)
    store.use("b", now=NOW)
    with pytest.raises(ReplayStoreFull):
        store.use("c", now=NOW)
    assert len(store) == 2
    with pytest.raises(InputError):
        store.use("", now=NOW)


def test_presentation_parsing() -> None:
    with pytest.raises(PresentationError):
        Presentation.from_dict(
            {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["X"]}
        )
    with pytest.raises(PresentationError):
        Presentation.from_dict(
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiablePresentation"],
                "verifiableCredential": [5],
            }
        )


# ---- trust policy ----


def test_trusted_issuers() -> None:
    cred = Credential.from_dict(_credential())
    TrustedIssuers({ISSUER: ["VenueCredential"]}).check(cred)
    with pytest.raises(UntrustedIssuer):
        TrustedIssuers({MALLORY: ["VenueCredential"]}).check(cred)
    with pytest.raises(UntrustedIssuer):
        TrustedIssuers({ISSUER: ["VerifiedPersonCredential"]}).check(cred)
    mixed = Credential.from_dict(_credential(types=("VenueCredential", "AdminCredential")))
    with pytest.raises(UntrustedIssuer):
        TrustedIssuers({ISSUER: ["VenueCredential"]}).check(mixed)


@pytest.mark.parametrize(
    "rules",
    [
        {},
        {"did:key:x": []},
        {"did:key:x": "VenueCredential"},
        {"": ["A"]},
        {"did:key:x": ["VerifiableCredential"]},
    ],
)
def test_empty_or_meaningless_trust_list_is_misuse(rules: Any) -> None:
    with pytest.raises(PolicyMisuse):
        TrustedIssuers(rules)


def test_all_of_any_of() -> None:
    cred = Credential.from_dict(_credential())
    good = TrustedIssuers({ISSUER: ["VenueCredential"]})
    bad = TrustedIssuers({MALLORY: ["VenueCredential"]})
    AllOf(good, good).check(cred)
    AnyOf(bad, good).check(cred)
    with pytest.raises(UntrustedIssuer):
        AllOf(good, bad).check(cred)
    with pytest.raises(UntrustedIssuer):
        AnyOf(bad, bad).check(cred)
    with pytest.raises(PolicyMisuse):
        AllOf()
    with pytest.raises(PolicyMisuse):
        AnyOf()
    with pytest.raises(PolicyMisuse):
        AllOf("not a policy")  # type: ignore[arg-type]


def test_policy_applies_inside_presentations() -> None:
    vp = _vp()
    with pytest.raises(UntrustedIssuer):
        verify_presentation(
            vp,
            challenge="c-123",
            now=NOW,
            policy=TrustedIssuers({MALLORY: ["VenueCredential"]}),
        )


def test_unsafe_noop_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        policy = UnsafeNoOp()
    assert "UnsafeNoOp" in caplog.text
    policy.check(Credential.from_dict(_credential()))


def test_presentation_with_a_vc_jwt_inside() -> None:
    jwt = pytest.importorskip("did.vc.jwt")
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "VenueCredential"],
        "issuer": ISSUER,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": HOLDER, "phone": "+821012345678"},
    }
    token = jwt.issue_jwt_vc(doc, ISSUER_KEY, kid=verification_method_id(ISSUER))
    vp = _vp([token])
    result = verify_presentation(vp, challenge="c-123", now=NOW)
    assert result.credentials[0].format == "vc-jwt"
    # The same JWT presented by Mallory fails holder binding.
    stolen = create_presentation([token], holder_key=MALLORY_KEY, challenge="c")
    with pytest.raises(HolderMismatch):
        verify_presentation(stolen, challenge="c", now=NOW)


@pytest.mark.parametrize("junk", ["hello world", "", "a.b", "a.b.c.d", "x.y.z w", 42, None, ["x"]])
def test_create_refuses_to_sign_something_that_is_not_a_credential(junk: Any) -> None:
    # Regression: any string used to be embedded and signed ("anshim vp create" of a text
    # file made a valid-looking presentation of it).
    with pytest.raises(CredentialError):
        create_presentation([_credential(), junk], holder_key=HOLDER_KEY, challenge="c")
