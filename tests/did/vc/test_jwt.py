"""VC-JWT and VP-JWT with EdDSA (did/vc/jwt.py): VC Data Model 1.1 section 6.3.1, RFC 7519."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did import Ed25519PrivateKey, Resolver, b64url_decode, b64url_encode, did_from_public_key
from did.errors import AnshimError, InputError
from did.vc import (
    MAX_JWT_CHARS,
    issue_jwt_vc,
    issue_jwt_vp,
    verify_jwt_vc,
    verify_jwt_vp,
)
from did.vc.errors import (
    ChallengeMismatch,
    DomainMismatch,
    ExpiredCredential,
    HolderMismatch,
    InvalidProofSignature,
    IssuerMismatch,
    JwtAlgorithmRefused,
    MalformedJwt,
    NotYetValid,
    PresentationError,
    ProofError,
    ProofPurposeMismatch,
    VerificationMethodError,
)

ISSUER_KEY = Ed25519PrivateKey.from_seed(bytes(range(32)))
HOLDER_KEY = Ed25519PrivateKey.from_seed(bytes(range(1, 33)))
ISSUER = did_from_public_key(ISSUER_KEY.public_key)
HOLDER = did_from_public_key(HOLDER_KEY.public_key)
KID = f"{ISSUER}#{ISSUER.removeprefix('did:key:')}"
HOLDER_KID = f"{HOLDER}#{HOLDER.removeprefix('did:key:')}"
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
RESOLVER = Resolver()


def _credential(**changes: Any) -> dict[str, Any]:
    vc: dict[str, Any] = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "id": "urn:uuid:0b6c3e3c-6f8e-4b8e-9d7e-2f3b0b1c2d3e",
        "type": ["VerifiableCredential"],
        "issuer": ISSUER,
        "issuanceDate": "2025-01-01T00:00:00Z",
        "expirationDate": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": HOLDER, "name": "Alice"},
    }
    vc.update(changes)
    return vc


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    h, c, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(c)), s


def _resign(
    header: dict[str, Any], claims: dict[str, Any], key: Ed25519PrivateKey = ISSUER_KEY
) -> str:
    def enc(v: Any) -> str:
        return b64url_encode(json.dumps(v).encode())

    signing_input = f"{enc(header)}.{enc(claims)}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"


def test_round_trip_and_claims_layout() -> None:
    token = issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID)
    header, claims, _ = _parts(token)
    assert header == {"alg": "EdDSA", "kid": KID, "typ": "JWT"}
    assert claims["iss"] == ISSUER
    assert claims["sub"] == HOLDER
    assert claims["nbf"] == int(dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp())
    assert claims["exp"] == int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp())
    assert claims["jti"] == _credential()["id"]
    assert verify_jwt_vc(token, resolver=RESOLVER, now=NOW) == _credential()


def test_claims_restore_properties_missing_from_vc() -> None:
    # The DIDKit/ssi layout moves iss/sub/jti/nbf into claims and drops them from vc.
    vc = _credential()
    claims = {
        "iss": ISSUER,
        "sub": HOLDER,
        "jti": vc["id"],
        "nbf": 1735689600,
        "vc": {
            "@context": vc["@context"],
            "type": vc["type"],
            "credentialSubject": {"name": "Alice"},
            "issuanceDate": "2025-01-01T00:00:00Z",
        },
    }
    out = verify_jwt_vc(_resign({"alg": "EdDSA", "kid": KID}, claims), resolver=RESOLVER, now=NOW)
    assert out["issuer"] == ISSUER
    assert out["id"] == vc["id"]
    assert out["credentialSubject"] == {"name": "Alice", "id": HOLDER}


def test_validity_window_uses_now() -> None:
    token = issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID)
    with pytest.raises(NotYetValid):
        verify_jwt_vc(token, resolver=RESOLVER, now=dt.datetime(2024, 12, 31, tzinfo=dt.UTC))
    with pytest.raises(ExpiredCredential):
        verify_jwt_vc(token, resolver=RESOLVER, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(InputError):
        verify_jwt_vc(token, resolver=RESOLVER, now=dt.datetime(2025, 6, 1))  # naive


# --- algorithm confusion -------------------------------------------------------------------------


def test_alg_none_is_refused() -> None:
    _, claims, _ = _parts(issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID))
    h = b64url_encode(json.dumps({"alg": "none", "kid": KID}).encode())
    c = b64url_encode(json.dumps(claims).encode())
    with pytest.raises(JwtAlgorithmRefused):
        verify_jwt_vc(f"{h}.{c}.AA", resolver=RESOLVER, now=NOW)
    with pytest.raises(MalformedJwt):  # an unsecured JWT has an empty third segment
        verify_jwt_vc(f"{h}.{c}.", resolver=RESOLVER, now=NOW)


def test_hs256_with_the_public_key_as_secret_is_refused() -> None:
    # The classic confusion: HMAC keyed with the (public) verification key bytes.
    _, claims, _ = _parts(issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID))
    h = b64url_encode(json.dumps({"alg": "HS256", "kid": KID}).encode())
    c = b64url_encode(json.dumps(claims).encode())
    mac = hmac.new(ISSUER_KEY.public_key.to_bytes(), f"{h}.{c}".encode(), hashlib.sha256).digest()
    with pytest.raises(JwtAlgorithmRefused):
        verify_jwt_vc(f"{h}.{c}.{b64url_encode(mac)}", resolver=RESOLVER, now=NOW)


@pytest.mark.parametrize("alg", ["ES256", "RS256", "eddsa", "Ed25519", None, ["EdDSA"]])
def test_any_other_alg_is_refused(alg: object) -> None:
    _, claims, _ = _parts(issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID))
    with pytest.raises(JwtAlgorithmRefused):
        verify_jwt_vc(_resign({"alg": alg, "kid": KID}, claims), resolver=RESOLVER, now=NOW)


def test_crit_is_refused() -> None:
    _, claims, _ = _parts(issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID))
    with pytest.raises(JwtAlgorithmRefused):
        verify_jwt_vc(
            _resign({"alg": "EdDSA", "kid": KID, "crit": ["b64"], "b64": False}, claims),
            resolver=RESOLVER,
            now=NOW,
        )


# --- key and issuer binding ----------------------------------------------------------------------


def test_signature_by_another_key_with_the_issuers_kid_fails() -> None:
    _, claims, _ = _parts(issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID))
    with pytest.raises(InvalidProofSignature):
        verify_jwt_vc(
            _resign({"alg": "EdDSA", "kid": KID}, claims, HOLDER_KEY), resolver=RESOLVER, now=NOW
        )


def test_iss_must_be_the_kid_did() -> None:
    _, claims, _ = _parts(issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID))
    # Signed by the holder under the holder's kid, but claiming the issuer as iss.
    with pytest.raises(VerificationMethodError):
        verify_jwt_vc(
            _resign({"alg": "EdDSA", "kid": HOLDER_KID}, claims, HOLDER_KEY),
            resolver=RESOLVER,
            now=NOW,
        )


def test_vc_issuer_must_match_iss() -> None:
    _, claims, _ = _parts(issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID))
    claims["vc"]["issuer"] = {"id": HOLDER}
    with pytest.raises(IssuerMismatch):
        verify_jwt_vc(_resign({"alg": "EdDSA", "kid": KID}, claims), resolver=RESOLVER, now=NOW)


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("sub", "did:example:other"),
        ("jti", "urn:other"),
        ("nbf", 1735689605),
        ("exp", 1767225590),
        ("nbf", "1"),
        ("exp", True),
        ("exp", -1),
        ("nbf", 1735689600.5e300),
    ],
)
def test_claims_must_agree_with_vc(claim: str, value: object) -> None:
    _, claims, _ = _parts(issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID))
    claims[claim] = value
    with pytest.raises(MalformedJwt):
        verify_jwt_vc(_resign({"alg": "EdDSA", "kid": KID}, claims), resolver=RESOLVER, now=NOW)


@pytest.mark.parametrize(
    "kid", [None, 5, "", "did:key:zabc", "https://example.com#k", "did:key:z6Mkbad#x"]
)
def test_bad_kid(kid: object) -> None:
    _, claims, _ = _parts(issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID))
    with pytest.raises(VerificationMethodError):
        verify_jwt_vc(_resign({"alg": "EdDSA", "kid": kid}, claims), resolver=RESOLVER, now=NOW)


def test_issue_refuses_issuer_that_is_not_the_kid_did() -> None:
    with pytest.raises(InputError):
        issue_jwt_vc(_credential(issuer=HOLDER), ISSUER_KEY, kid=KID)
    with pytest.raises(InputError):
        issue_jwt_vc(_credential(), ISSUER_KEY, kid="not-a-did")


# --- strict decoding -----------------------------------------------------------------------------


def test_structural_limits() -> None:
    token = issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID)
    h, c, s = token.split(".")
    dup_header = b64url_encode(b'{"alg":"EdDSA","alg":"none"}')
    nan_claims = b64url_encode(b'{"a": NaN}')
    deep_claims = b64url_encode(b"[" * 5000)
    bad = [
        "",
        token + ".x",
        f"{h}.{c}",
        f"{h}..{s}",
        f"{h}=.{c}.{s}",
        f"{h}.{c}.{s}=",
        token.replace("-", "+").replace("_", "/") + "+",
        "\u00e9" + token,
        "a" * (MAX_JWT_CHARS + 1),
        f"{b64url_encode(b'[1]')}.{c}.{s}",
        f"{dup_header}.{c}.{s}",
        f"{h}.{nan_claims}.{s}",
        f"{h}.{deep_claims}.{s}",
    ]
    for item in bad:
        with pytest.raises((MalformedJwt, JwtAlgorithmRefused)):
            verify_jwt_vc(item, resolver=RESOLVER, now=NOW)


def test_non_canonical_base64url_signature_is_refused() -> None:
    token = issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID)
    h, c, s = token.split(".")
    raw = base64.urlsafe_b64decode(s + "==")
    # 64 bytes -> 86 chars, last char carries 2 spare bits; set them.
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(s[-1])
    tweaked = s[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last | 1]
    assert base64.urlsafe_b64decode(tweaked + "==") == raw
    with pytest.raises(MalformedJwt):
        verify_jwt_vc(f"{h}.{c}.{tweaked}", resolver=RESOLVER, now=NOW)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.from_regex(
            r"[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,90}", fullmatch=True
        ),
        st.binary(max_size=20),
        st.integers(),
    )
)
def test_fuzzed_tokens_raise_only_our_errors(token: Any) -> None:
    with pytest.raises(AnshimError):
        verify_jwt_vc(token, resolver=RESOLVER, now=NOW)


json_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
json_any = st.recursive(
    json_leaf,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["iss", "sub", "jti", "nbf", "exp", "vc", "x"]), json_any, max_size=6
    ),
    st.booleans(),
)
def test_fuzzed_signed_claims_raise_only_our_errors(
    claims: dict[str, Any], valid_iss: bool
) -> None:
    if valid_iss:
        claims["iss"] = ISSUER
    token = _resign({"alg": "EdDSA", "kid": KID}, claims)
    try:
        verify_jwt_vc(token, resolver=RESOLVER, now=NOW)
    except AnshimError:
        return


# --- presentations -------------------------------------------------------------------------------


def _vp(*credentials: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": list(credentials),
    }


def test_presentation_round_trip_verifies_embedded_credentials() -> None:
    vc_token = issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID)
    vp_token = issue_jwt_vp(
        _vp(vc_token), HOLDER_KEY, kid=HOLDER_KID, nonce="n-1", aud="venue.example"
    )
    out = verify_jwt_vp(vp_token, resolver=RESOLVER, nonce="n-1", aud="venue.example", now=NOW)
    assert out["holder"] == HOLDER
    assert out["verifiableCredential"] == [_credential()]


def test_presentation_challenge_and_domain() -> None:
    vp_token = issue_jwt_vp(_vp(), HOLDER_KEY, kid=HOLDER_KID, nonce="n-1", aud="venue.example")
    with pytest.raises(ChallengeMismatch):
        verify_jwt_vp(vp_token, resolver=RESOLVER, nonce="n-2", aud="venue.example", now=NOW)
    with pytest.raises(DomainMismatch):
        verify_jwt_vp(vp_token, resolver=RESOLVER, nonce="n-1", aud="other.example", now=NOW)


def test_presentation_fails_when_an_embedded_credential_fails() -> None:
    vc_token = issue_jwt_vc(_credential(), ISSUER_KEY, kid=KID)
    h, c, s = vc_token.split(".")
    tampered = f"{h}.{c}.{s[:-4]}AAAA"
    vp_token = issue_jwt_vp(_vp(tampered), HOLDER_KEY, kid=HOLDER_KID, nonce="n", aud="a")
    with pytest.raises(ProofError):
        verify_jwt_vp(vp_token, resolver=RESOLVER, nonce="n", aud="a", now=NOW)
    expired = issue_jwt_vp(_vp(vc_token), HOLDER_KEY, kid=HOLDER_KID, nonce="n", aud="a")
    with pytest.raises(ExpiredCredential):
        verify_jwt_vp(
            expired,
            resolver=RESOLVER,
            nonce="n",
            aud="a",
            now=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
        )


def test_presentation_holder_binding() -> None:
    other = issue_jwt_vc(
        _credential(credentialSubject={"id": "did:example:someone-else"}), ISSUER_KEY, kid=KID
    )
    vp_token = issue_jwt_vp(_vp(other), HOLDER_KEY, kid=HOLDER_KID, nonce="n", aud="a")
    with pytest.raises(HolderMismatch):
        verify_jwt_vp(vp_token, resolver=RESOLVER, nonce="n", aud="a", now=NOW)


def test_embedded_json_credential_needs_a_verifier() -> None:
    vp_token = issue_jwt_vp(_vp(_credential()), HOLDER_KEY, kid=HOLDER_KID, nonce="n", aud="a")
    with pytest.raises(PresentationError):
        verify_jwt_vp(vp_token, resolver=RESOLVER, nonce="n", aud="a", now=NOW)
    seen: list[dict[str, Any]] = []
    verify_jwt_vp(
        vp_token, resolver=RESOLVER, nonce="n", aud="a", now=NOW, verify_credential=seen.append
    )
    assert seen == [_credential()]


def test_presentation_signed_under_assertion_only_key_is_refused() -> None:
    class AssertionOnly:
        def verification_key(self, kid: str, *, relationship: str) -> Any:
            if relationship != "assertionMethod":
                from did import MethodNotAuthorized

                raise MethodNotAuthorized("not authorised")
            return RESOLVER.verification_key(kid, relationship=relationship)

    vp_token = issue_jwt_vp(_vp(), HOLDER_KEY, kid=HOLDER_KID, nonce="n", aud="a")
    with pytest.raises(ProofPurposeMismatch):
        verify_jwt_vp(vp_token, resolver=AssertionOnly(), nonce="n", aud="a", now=NOW)
