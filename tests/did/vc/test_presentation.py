"""Presentations: challenge/domain, every embedded credential verified, holder binding,
replay store; and the issuer trust policies."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from did import Ed25519PrivateKey, MemoryReplayStore, did_from_public_key, verification_method_id
from did.errors import InputError, ReplayStoreFull
from did.vc import (
    DEFAULT_CHALLENGE_TTL,
    AllOf,
    AnyOf,
    Credential,
    Presentation,
    ProofOptions,
    TrustedIssuers,
    UnsafeNoOp,
    add_proof,
    create_presentation,
    issue_jwt_vc,
    verify_presentation,
)
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

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
# Every proof here is dated, so verification never depends on the machine clock.
SIGNED = "2025-05-31T23:00:00Z"
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
    options = ProofOptions(verification_method=verification_method_id(ISSUER), created=SIGNED)
    return add_proof(doc, ISSUER_KEY, options)


def _vp(creds: list[Any] | None = None, **kw: Any) -> dict[str, Any]:
    kw.setdefault("challenge", "c-123")
    kw.setdefault("domain", "did:web:venue.example")
    kw.setdefault("created", SIGNED)
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
        ProofOptions(
            verification_method=verification_method_id(HOLDER), challenge="c", created=SIGNED
        ),
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
    stolen = create_presentation(
        [_credential()], holder_key=MALLORY_KEY, challenge="c", created=SIGNED
    )
    with pytest.raises(HolderMismatch):
        verify_presentation(stolen, challenge="c", now=NOW)
    # Mallory claims to be the holder but signs with her key.
    claimed = create_presentation(
        [_credential()], holder_key=MALLORY_KEY, holder=HOLDER, challenge="c", created=SIGNED
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
            created=SIGNED,
            proof_purpose="authentication",
            challenge="c",
        ),
    )
    with pytest.raises(HolderMismatch):
        verify_presentation(vp, challenge="c", now=NOW)


def test_replay_store_refuses_a_reused_challenge() -> None:
    store = MemoryReplayStore()
    vp = _vp()
    kw: dict[str, Any] = {"challenge": "c-123", "domain": "did:web:venue.example"}
    # A refused presentation (wrong domain) does not use the challenge up.
    with pytest.raises(DomainMismatch):
        verify_presentation(vp, challenge="c-123", domain="x", now=NOW, replay_store=store)
    verify_presentation(vp, now=NOW, replay_store=store, **kw)
    with pytest.raises(ChallengeReused):
        verify_presentation(vp, now=NOW + dt.timedelta(minutes=9), replay_store=store, **kw)
    # The claim lasts DEFAULT_CHALLENGE_TTL (the verifier's challenge has expired by then).
    later = NOW + DEFAULT_CHALLENGE_TTL + dt.timedelta(seconds=1)
    verify_presentation(vp, now=later, replay_store=store, **kw)


class _RecordingStore:
    """A did.ReplayStore that records each claim's end."""

    def __init__(self) -> None:
        self.claims: list[tuple[bytes, int, int]] = []

    def held(self, key: bytes, *, now: int) -> bool:
        return False

    def claim(self, key: bytes, *, until: int, now: int) -> bool:
        self.claims.append((key, until, now))
        return True


def test_replay_claim_lasts_until_the_presentation_expires() -> None:
    expires = NOW + dt.timedelta(seconds=90)
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER,
    }
    vp = add_proof(
        doc,
        HOLDER_KEY,
        ProofOptions(
            verification_method=verification_method_id(HOLDER),
            created=SIGNED,
            proof_purpose="authentication",
            challenge="c-9",
            expires=expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ),
    )
    store = _RecordingStore()
    verify_presentation(vp, challenge="c-9", now=NOW, replay_store=store)
    [(key, until, now)] = store.claims
    assert key.endswith(b"c-9")
    assert until == int(expires.timestamp())
    assert now == int(NOW.timestamp())
    store.claims.clear()
    verify_presentation(_vp(), challenge="c-123", now=NOW, replay_store=store)
    assert store.claims[0][1] == int((NOW + DEFAULT_CHALLENGE_TTL).timestamp())
    with pytest.raises(InputError):
        verify_presentation(
            vp, challenge="c-9", now=NOW, replay_store=store, challenge_ttl=dt.timedelta(0)
        )


def test_replay_store_full_refuses() -> None:
    store = MemoryReplayStore(max_entries=1)
    assert store.claim(b"someone else", until=int(NOW.timestamp()) + 60, now=int(NOW.timestamp()))
    with pytest.raises(ReplayStoreFull):
        verify_presentation(
            _vp(), challenge="c-123", domain="did:web:venue.example", now=NOW, replay_store=store
        )
    assert len(store) == 1


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
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "VenueCredential"],
        "issuer": ISSUER,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": HOLDER, "phone": "+821012345678"},
    }
    token = issue_jwt_vc(doc, ISSUER_KEY, kid=verification_method_id(ISSUER))
    vp = _vp([token])
    result = verify_presentation(vp, challenge="c-123", now=NOW)
    assert result.credentials[0].format == "vc-jwt"
    # The same JWT presented by Mallory fails holder binding.
    stolen = create_presentation([token], holder_key=MALLORY_KEY, challenge="c", created=SIGNED)
    with pytest.raises(HolderMismatch):
        verify_presentation(stolen, challenge="c", now=NOW)


@pytest.mark.parametrize("junk", ["hello world", "", "a.b", "a.b.c.d", "x.y.z w", 42, None, ["x"]])
def test_create_refuses_to_sign_something_that_is_not_a_credential(junk: Any) -> None:
    # Regression: any string used to be embedded and signed ("anshim vp create" of a text
    # file made a valid-looking presentation of it).
    with pytest.raises(CredentialError):
        create_presentation([_credential(), junk], holder_key=HOLDER_KEY, challenge="c")
