"""What a venue's registration and key rotation sign (``protocol.venue_request_bytes``, the
one definition): its bytes, its refusals, and the venue service and the registry agreeing
on it (a request the venue signs is the request the registry verifies)."""

from __future__ import annotations

import json
import math

import pytest

import registry
from did import Ed25519PrivateKey, MemoryReplayStore, X25519PrivateKey, b64url_encode
from protocol import (
    VENUE_PROOF_FIELDS,
    VENUE_REGISTRATION_CONTEXT,
    VENUE_ROTATION_CONTEXT,
    venue_request_bytes,
)
from protocol.errors import MalformedMessage
from registry.errors import ProofOfPossessionFailed
from verifier.service._registration import registration_request
from verifier.service._registration import signed_bytes as venue_side_bytes

T0 = 1_700_000_000


def _request(key: Ed25519PrivateKey) -> dict[str, object]:
    return registration_request(
        key,
        X25519PrivateKey.generate().public_key,
        name_ko="한라 카페",
        name_en="Halla Cafe",
        address="제주시 1",
        business_registration_number="616-81-12345",
        category="cafe",
        now=T0,
    )


def test_the_bytes_are_the_context_and_the_sorted_compact_json_without_the_proofs() -> None:
    # RFC 8785 section 3.2: for text and integers, JCS is JSON with the keys sorted by their
    # UTF-16 code units (ASCII here), no whitespace and the characters as they are.
    request = {"type": "VenueRegistration", "name": {"ko": "카페", "en": "Cafe"}, "created": 7,
               "proof": "x", "newKeyProof": "y", "b": [1, "\u00e9"]}  # fmt: skip
    body = {k: v for k, v in request.items() if k not in ("proof", "newKeyProof")}
    jcs = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for context in (VENUE_REGISTRATION_CONTEXT, VENUE_ROTATION_CONTEXT):
        assert venue_request_bytes(context, request) == context + jcs.encode("utf-8")
    assert {"proof", "newKeyProof"} == VENUE_PROOF_FIELDS
    assert VENUE_REGISTRATION_CONTEXT == b"anshim/registry/venue-registration/v1\x00"
    assert VENUE_ROTATION_CONTEXT == b"anshim/registry/venue-rotation/v1\x00"


def test_a_signature_for_one_context_is_not_one_for_the_other() -> None:
    request = {"type": "VenueRegistration", "created": 1}
    assert venue_request_bytes(VENUE_REGISTRATION_CONTEXT, request) != venue_request_bytes(
        VENUE_ROTATION_CONTEXT, request
    )


@pytest.mark.parametrize(
    ("context", "request_"),
    [
        (VENUE_REGISTRATION_CONTEXT, {"created": math.inf}),
        (VENUE_REGISTRATION_CONTEXT, {"created": math.nan}),
        (VENUE_REGISTRATION_CONTEXT, {"key": b"bytes"}),
        (VENUE_REGISTRATION_CONTEXT, {1: "a key that is not text"}),
        (VENUE_REGISTRATION_CONTEXT, ["not", "an", "object"]),
        (b"anshim/registry/other/v1\x00", {"created": 1}),
        (b"", {"created": 1}),
    ],
)
def test_requests_without_one_form_are_refused(context: bytes, request_: object) -> None:
    with pytest.raises(MalformedMessage):
        venue_request_bytes(context, request_)  # type: ignore[arg-type]


def test_the_venue_service_and_the_registry_sign_and_check_the_same_bytes() -> None:
    key = Ed25519PrivateKey.generate()
    request = _request(key)
    expected = venue_request_bytes(VENUE_REGISTRATION_CONTEXT, request)
    assert venue_side_bytes(request) == expected
    assert registry.signed_bytes(registry.REGISTRATION_CONTEXT, request) == expected
    assert registry.REGISTRATION_CONTEXT == VENUE_REGISTRATION_CONTEXT
    assert registry.ROTATION_CONTEXT == VENUE_ROTATION_CONTEXT
    verified = registry.Registration.verify(request, replay=MemoryReplayStore(), now=T0)
    assert verified.signing_key == key.public_key


def test_a_venue_signed_registration_changed_after_signing_is_refused_by_the_registry() -> None:
    request = {**_request(Ed25519PrivateKey.generate()), "address": "서귀포시 2"}
    with pytest.raises(ProofOfPossessionFailed):
        registry.Registration.verify(request, replay=MemoryReplayStore(), now=T0)


def test_a_rotation_signed_by_the_rule_verifies_at_the_registry() -> None:
    current, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    request: dict[str, object] = {
        "type": "VenueKeyRotation",
        "venue": "did:web:registry.example:venues:abcdefghijkl",
        "signingKey": new.public_key.to_multikey(),
        "agreementKey": X25519PrivateKey.generate().public_key.to_multikey(),
        "nonce": b64url_encode(b"\x05" * 16),
        "created": T0,
    }
    message = venue_request_bytes(VENUE_ROTATION_CONTEXT, request)
    request["proof"] = b64url_encode(current.sign(message))
    request["newKeyProof"] = b64url_encode(new.sign(message))
    rotation = registry.Rotation.verify(
        request, current_key=current.public_key, replay=MemoryReplayStore(), now=T0
    )
    assert rotation.signing_key == new.public_key
