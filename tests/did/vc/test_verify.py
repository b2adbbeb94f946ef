"""verify_credential: every field of a valid credential mutated fails with the right error;
hypothesis JSON never raises anything but our errors; proof sets; the signed W3C vector."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import base58
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from did import (
    Ed25519PrivateKey,
    InMemoryTransport,
    Resolver,
    did_from_public_key,
    did_web_to_url,
    verification_method_id,
)
from did.errors import AnshimError, InputError
from did.vc import (
    Credential,
    ProofOptions,
    add_proof,
    check_validity,
    issue_jwt_vc,
    verify_credential,
    verify_proofs,
)
from did.vc.errors import (
    ContextMismatch,
    CredentialError,
    ExpiredCredential,
    InvalidProofSignature,
    IssuerMismatch,
    MalformedProof,
    NotYetValid,
    ProofExpired,
    ProofNotYetValid,
    ProofPurposeMismatch,
    StatusCheckFailed,
    UnsupportedCryptosuite,
    VerificationMethodError,
)
from tests.paths import VECTORS

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
SIGNED = "2025-05-01T00:00:00Z"
ISSUER_KEY = Ed25519PrivateKey.from_seed(bytes(range(32)))
ISSUER = did_from_public_key(ISSUER_KEY.public_key)
OTHER_KEY = Ed25519PrivateKey.from_seed(bytes(range(1, 33)))
OTHER = did_from_public_key(OTHER_KEY.public_key)
SUBJECT = did_from_public_key(Ed25519PrivateKey.from_seed(b"s" * 32).public_key)
SIGNED_JCS = VECTORS / "w3c-vc-di-eddsa" / "eddsa-jcs-2022" / "signedJCS.json"


def _unsigned(issuer: str = ISSUER) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "id": "urn:uuid:0b0c36f8-5b0e-4c4a-8f1e-4d3c1c0e4a11",
        "type": ["VerifiableCredential", "VenueCredential"],
        "issuer": issuer,
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": SUBJECT, "name": "Cafe Hallasan", "category": "cafe"},
    }


def _sign(doc: dict[str, Any], key: Ed25519PrivateKey = ISSUER_KEY, **kw: Any) -> dict[str, Any]:
    did = did_from_public_key(key.public_key)
    options = ProofOptions(
        verification_method=verification_method_id(did), created="2025-01-01T00:00:00Z", **kw
    )
    return add_proof(doc, key, options)


VALID = _sign(_unsigned())


def test_valid_credential_verifies() -> None:
    result = verify_credential(VALID, now=NOW)
    assert result.format == "eddsa-jcs-2022"
    assert result.credential.issuer == ISSUER
    assert result.to_json()["subjects"] == [SUBJECT]
    # The same through JSON text and bytes.
    verify_credential(json.dumps(VALID), now=NOW)
    verify_credential(json.dumps(VALID).encode(), now=NOW)


def test_w3c_signed_vector_verifies() -> None:
    # w3c/vc-di-eddsa TestVectors/eddsa-jcs-2022/signedJCS.json. Its issuer is an https URL,
    # not the did:key that signed, so issuer binding has to be waived to accept it.
    signed = json.loads(SIGNED_JCS.read_text())
    verify_proofs(signed, now=NOW)
    with pytest.raises(IssuerMismatch):
        verify_credential(signed, now=NOW)
    verify_credential(signed, now=NOW, unsafe_skip_issuer_binding=True)


def _set(doc: dict[str, Any], path: tuple[str, ...], value: object) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


_DELETE = object()
_OTHER_VM = verification_method_id(OTHER)
_OTHER_SIG = "z" + base58.b58encode(ISSUER_KEY.sign(b"other")).decode()

MUTATIONS: list[tuple[str, tuple[str, ...], object, type[Exception]]] = [
    ("type-extra", ("type",), ["VerifiableCredential", "AdminCredential"], InvalidProofSignature),
    ("type-no-base", ("type",), ["VenueCredential"], CredentialError),
    ("type-number", ("type",), 7, CredentialError),
    ("type-missing", ("type",), _DELETE, CredentialError),
    ("issuer-other-did", ("issuer",), OTHER, InvalidProofSignature),
    ("issuer-not-url", ("issuer",), "registry", CredentialError),
    ("issuer-object-no-id", ("issuer",), {"name": "x"}, CredentialError),
    ("issuer-missing", ("issuer",), _DELETE, CredentialError),
    ("validFrom-later", ("validFrom",), "2025-01-02T00:00:00Z", InvalidProofSignature),
    ("validFrom-garbage", ("validFrom",), "next tuesday", CredentialError),
    ("validFrom-naive", ("validFrom",), "2025-01-01T00:00:00", CredentialError),
    ("validUntil-later", ("validUntil",), "2099-01-01T00:00:00Z", InvalidProofSignature),
    ("validUntil-before-from", ("validUntil",), "2024-01-01T00:00:00Z", CredentialError),
    ("validUntil-removed", ("validUntil",), _DELETE, InvalidProofSignature),
    ("issuanceDate-in-v2", ("issuanceDate",), "2025-01-01T00:00:00Z", CredentialError),
    ("subject-claim", ("credentialSubject", "name"), "Evil Cafe", InvalidProofSignature),
    ("subject-id", ("credentialSubject", "id"), OTHER, InvalidProofSignature),
    ("subject-id-not-url", ("credentialSubject", "id"), "nobody", CredentialError),
    ("subject-empty-list", ("credentialSubject",), [], CredentialError),
    ("subject-missing", ("credentialSubject",), _DELETE, CredentialError),
    ("id-changed", ("id",), "urn:uuid:00000000-0000-0000-0000-000000000000", InvalidProofSignature),
    (
        "context-appended",
        ("@context",),
        [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
            "https://evil.example/context",
        ],
        ContextMismatch,
    ),
    (
        "context-v1-first",
        ("@context",),
        ["https://www.w3.org/2018/credentials/v1"],
        CredentialError,
    ),
    ("context-string", ("@context",), "https://www.w3.org/ns/credentials/v2", CredentialError),
    ("proofValue-other-sig", ("proof", "proofValue"), _OTHER_SIG, InvalidProofSignature),
    ("proofValue-garbage", ("proof", "proofValue"), "not multibase", MalformedProof),
    ("proofValue-missing", ("proof", "proofValue"), _DELETE, MalformedProof),
    ("proofPurpose-auth", ("proof", "proofPurpose"), "authentication", ProofPurposeMismatch),
    ("proofPurpose-missing", ("proof", "proofPurpose"), _DELETE, MalformedProof),
    ("vm-other-did-key", ("proof", "verificationMethod"), _OTHER_VM, InvalidProofSignature),
    (
        "vm-not-a-did",
        ("proof", "verificationMethod"),
        "https://evil.example/key",
        VerificationMethodError,
    ),
    (
        "vm-did-web-offline",
        ("proof", "verificationMethod"),
        "did:web:evil.example#k",
        VerificationMethodError,
    ),
    (
        "vm-wrong-fragment",
        ("proof", "verificationMethod"),
        ISSUER + "#other",
        VerificationMethodError,
    ),
    ("cryptosuite-unknown", ("proof", "cryptosuite"), "eddsa-2099", UnsupportedCryptosuite),
    ("cryptosuite-number", ("proof", "cryptosuite"), 1, UnsupportedCryptosuite),
    ("proof-type-unknown", ("proof", "type"), "RsaSignature2018", UnsupportedCryptosuite),
    ("created-garbage", ("proof", "created"), "yesterday", MalformedProof),
    ("created-changed", ("proof", "created"), "2025-01-01T00:00:01Z", InvalidProofSignature),
    (
        "proof-context-changed",
        ("proof", "@context"),
        ["https://www.w3.org/ns/credentials/v2"],
        ContextMismatch,
    ),
    ("proof-missing", ("proof",), _DELETE, MalformedProof),
    ("proof-empty-list", ("proof",), [], CredentialError),
    ("proof-string", ("proof",), "abc", CredentialError),
]


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [m[1:] for m in MUTATIONS],
    ids=[m[0] for m in MUTATIONS],
)
def test_mutated_field_fails_with_the_right_error(
    path: tuple[str, ...], value: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        verify_credential(_set(VALID, path, value), now=NOW)


def test_attacker_signed_credential_naming_another_issuer() -> None:
    forged = _sign(_unsigned(issuer=ISSUER), key=OTHER_KEY)
    with pytest.raises(IssuerMismatch):
        verify_credential(forged, now=NOW)


def test_validity_window() -> None:
    with pytest.raises(NotYetValid):
        verify_credential(VALID, now=dt.datetime(2024, 12, 31, 23, 59, 59, tzinfo=dt.UTC))
    with pytest.raises(ExpiredCredential):
        verify_credential(VALID, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    verify_credential(VALID, now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))  # validFrom inclusive
    with pytest.raises(InputError):
        check_validity(Credential.from_dict(VALID), now=dt.datetime(2025, 6, 1))  # naive


def test_proof_expires() -> None:
    doc = _sign(_unsigned(), expires="2025-03-01T00:00:00Z")
    verify_credential(doc, now=dt.datetime(2025, 2, 1, tzinfo=dt.UTC))
    with pytest.raises(ProofExpired):
        verify_credential(doc, now=NOW)


def test_status_without_checker_fails_closed() -> None:
    doc = _unsigned()
    doc["credentialStatus"] = {
        "id": "https://r.example/status/1#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": "https://r.example/status/1",
    }
    signed = _sign(doc)
    with pytest.raises(StatusCheckFailed):
        verify_credential(signed, now=NOW)
    verify_credential(signed, now=NOW, unsafe_skip_status=True)


def test_proof_set_every_proof_must_verify() -> None:
    both = add_proof(
        VALID,
        OTHER_KEY,
        ProofOptions(verification_method=_OTHER_VM, created="2025-01-01T00:00:00Z"),
    )
    assert isinstance(both["proof"], list)
    assert len(both["proof"]) == 2
    assert len(verify_credential(both, now=NOW).proofs) == 2
    # Replace the second proof's signature with the first's: the set must fail.
    broken = copy.deepcopy(both)
    broken["proof"][1]["proofValue"] = broken["proof"][0]["proofValue"]
    with pytest.raises(InvalidProofSignature):
        verify_credential(broken, now=NOW)
    # Drop the issuer's proof: the remaining proof is not the issuer's.
    only_other = dict(both, proof=[both["proof"][1]])
    with pytest.raises(IssuerMismatch):
        verify_credential(only_other, now=NOW)


def _jcs_proof_over(document: dict[str, Any]) -> dict[str, Any]:
    from did.vc import _eddsa_jcs_2022 as jcs  # white-box: sign a crafted proof

    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2025-01-01T00:00:00Z",
        "verificationMethod": _OTHER_VM,
        "proofPurpose": "assertionMethod",
        "previousProof": "urn:proof:1",
    }
    canon_config = jcs.proof_configuration(proof, document)
    data = jcs.hashing(jcs.transformation(document, proof), canon_config)
    proof["proofValue"] = "z" + base58.b58encode(OTHER_KEY.sign(data)).decode()
    return proof


def test_proof_chain_verifies_and_missing_link_fails() -> None:
    from did.vc import _eddsa_jcs_2022 as jcs  # white-box: sign a crafted proof

    base = _unsigned()
    proof1 = jcs.create_proof(
        base,
        ISSUER_KEY,
        ProofOptions(
            verification_method=verification_method_id(ISSUER), created="2025-01-01T00:00:00Z"
        ),
    )
    proof1 = {"id": "urn:proof:1", **proof1}
    # proof1 now has an id that it did not sign; re-sign so the id is covered.
    unsigned1 = {k: v for k, v in proof1.items() if k != "proofValue"}
    canon = jcs.proof_configuration(unsigned1, base)
    sig = ISSUER_KEY.sign(jcs.hashing(jcs.transformation(base, unsigned1), canon))
    proof1 = dict(unsigned1, proofValue=jcs._encode_proof_value(sig))
    proof2 = _jcs_proof_over(dict(base, proof=proof1))
    chained = dict(base, proof=[proof1, proof2])
    assert len(verify_credential(chained, now=NOW).proofs) == 2
    broken = copy.deepcopy(chained)
    broken["proof"][1]["previousProof"] = "urn:proof:404"
    with pytest.raises(MalformedProof):
        verify_credential(broken, now=NOW)


# A JSON value strategy (bounded) for fuzzing.
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
_FIELDS = [
    "@context",
    "type",
    "issuer",
    "validFrom",
    "validUntil",
    "credentialSubject",
    "id",
    "proof",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_json)
def test_fuzz_arbitrary_json_raises_only_our_errors(value: object) -> None:
    with pytest.raises(AnshimError):
        verify_credential(value, now=NOW)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_FIELDS), _json, st.booleans())
def test_fuzz_one_field_replaced_raises_only_our_errors(
    field: str, value: object, in_proof: bool
) -> None:
    proof_fields = [
        "type",
        "cryptosuite",
        "created",
        "verificationMethod",
        "proofPurpose",
        "proofValue",
        "@context",
    ]
    if in_proof:
        path: tuple[str, ...] = ("proof", proof_fields[hash(field) % len(proof_fields)])
    else:
        path = (field,)
    mutated = _set(VALID, path, value)
    if mutated == VALID:
        return
    with pytest.raises(AnshimError):
        verify_credential(mutated, now=NOW)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_fuzz_raw_input_raises_only_our_errors(data: bytes | str) -> None:
    with pytest.raises(AnshimError):
        verify_credential(data, now=NOW)


def test_rdfc_suite_through_the_registry() -> None:
    pytest.importorskip("pyld")
    secured = add_proof(
        _unsigned(),
        ISSUER_KEY,
        ProofOptions(verification_method=verification_method_id(ISSUER), created=SIGNED),
        suite="eddsa-rdfc-2022",
    )
    assert secured["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert verify_credential(secured, now=NOW).format == "eddsa-rdfc-2022"
    tampered = _set(secured, ("credentialSubject", "name"), "Evil Cafe")
    with pytest.raises(InvalidProofSignature):
        verify_credential(tampered, now=NOW)


def test_vc_jwt_through_the_same_entry() -> None:
    token = issue_jwt_vc(_unsigned(), ISSUER_KEY, kid=verification_method_id(ISSUER))
    result = verify_credential(token, now=NOW)
    assert result.format == "vc-jwt"
    assert result.credential.issuer == ISSUER
    with pytest.raises(ExpiredCredential):
        verify_credential(token, now=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    # A JWT whose payload was swapped fails the signature check.
    other = issue_jwt_vc(
        _set(_unsigned(), ("credentialSubject", "name"), "Evil"),
        ISSUER_KEY,
        kid=verification_method_id(ISSUER),
    )
    h, _, s = token.split(".")
    with pytest.raises(InvalidProofSignature):
        verify_credential(f"{h}.{other.split('.')[1]}.{s}", now=NOW)


def _web_issuer(controller: str) -> Resolver:
    """A did:web issuer whose one assertionMethod key is OTHER_KEY, controlled by ``controller``."""
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": WEB_ISSUER,
        "verificationMethod": [
            {
                "id": f"{WEB_ISSUER}#k",
                "type": "Multikey",
                "controller": controller,
                "publicKeyMultibase": OTHER.removeprefix("did:key:"),
            }
        ],
        "assertionMethod": [f"{WEB_ISSUER}#k"],
    }
    transport = InMemoryTransport()
    transport.put(did_web_to_url(WEB_ISSUER), json.dumps(document).encode())
    return Resolver(transport=transport)


WEB_ISSUER = "did:web:issuer.example"


def test_verification_method_controlled_by_another_did_is_not_the_issuers_key() -> None:
    # Issue 9 §4 item 5 (Controlled Identifiers 1.0 §3.3): the issuer's did:web document lists,
    # under assertionMethod, a key whose controller is OTHER. OTHER must not sign as the issuer.
    options = ProofOptions(verification_method=f"{WEB_ISSUER}#k", created=SIGNED)
    forged = add_proof(_unsigned(WEB_ISSUER), OTHER_KEY, options)
    with pytest.raises(VerificationMethodError, match="controlled by another DID"):
        verify_credential(forged, resolver=_web_issuer(OTHER), now=NOW)
    # The same key, controlled by the issuer's own DID, is the issuer's.
    assert verify_credential(forged, resolver=_web_issuer(WEB_ISSUER), now=NOW).credential
    # And VC-JWT resolves its kid the same way.
    token = issue_jwt_vc(_unsigned(WEB_ISSUER), OTHER_KEY, kid=f"{WEB_ISSUER}#k")
    with pytest.raises(VerificationMethodError):
        verify_credential(token, resolver=_web_issuer(OTHER), now=NOW)


@pytest.mark.parametrize(
    ("created", "refused"),
    [
        ("2025-06-01T00:04:59Z", False),  # within the 5-minute clock skew
        ("2025-06-01T00:05:00Z", False),  # exactly at the bound
        ("2025-06-01T00:05:01Z", True),
        ("2030-01-01T00:00:00Z", True),
    ],
)
def test_proof_dated_in_the_future_is_refused(created: str, refused: bool) -> None:
    # Issue 9 §4 item 6 (Data Integrity 1.0 security considerations).
    options = ProofOptions(verification_method=verification_method_id(ISSUER), created=created)
    secured = add_proof(_unsigned(), ISSUER_KEY, options)
    if refused:
        with pytest.raises(ProofNotYetValid):
            verify_credential(secured, now=NOW)
        # A verifier whose clock it trusts less may widen the bound, explicitly.
        verify_credential(secured, now=NOW, max_clock_skew=dt.timedelta(days=3650))
    else:
        assert verify_credential(secured, now=NOW).proofs[0]["created"] == created
    with pytest.raises(InputError):
        verify_proofs(secured, now=NOW, max_clock_skew=dt.timedelta(seconds=-1))
