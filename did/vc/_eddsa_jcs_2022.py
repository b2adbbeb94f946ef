"""The ``eddsa-jcs-2022`` cryptosuite (W3C Data Integrity EdDSA Cryptosuites v1.0 §3.3).

The document and the proof configuration are canonicalized with the JSON Canonicalization
Scheme (RFC 8785), hashed with SHA-256 each, and the 64 bytes
``SHA-256(proof config) ‖ SHA-256(document)`` are signed with Ed25519. No JSON-LD processing
is involved, so this suite needs only the core dependencies and is the default of anshim.

Each function below is one algorithm of the specification, named after it, with its section
anchor (``https://www.w3.org/TR/vc-di-eddsa/#…``). :data:`SUITE` is the registered
:class:`~did.vc.Cryptosuite`; most callers use :func:`did.vc.add_proof` and
:func:`did.vc.verify_proofs` instead.

Quick start::

    from did.vc import EddsaJcs2022, ProofOptions
    suite = EddsaJcs2022()
    proof = suite.create_proof(unsecured, key, ProofOptions(verification_method=vm))
    suite.verify_proof(unsecured, proof, key.public_key)     # raises ProofError
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import base58
import rfc8785

from did import Ed25519PrivateKey, Ed25519PublicKey
from did.errors import InvalidKey, InvalidSignature
from did.vc._suites import ProofOptions, parse_datetime, register_suite
from did.vc.errors import (
    ContextMismatch,
    CredentialError,
    InvalidProofSignature,
    MalformedProof,
    ProofError,
)

__all__ = [
    "CRYPTOSUITE",
    "PROOF_TYPE",
    "SUITE",
    "EddsaJcs2022",
    "create_proof",
    "hashing",
    "proof_configuration",
    "proof_serialization",
    "proof_verification",
    "transformation",
    "verify_proof",
]

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"

_SIGNATURE_LEN = 64
# base58btc of 64 bytes is at most 88 characters, plus the multibase prefix "z".
_MAX_PROOF_VALUE_CHARS = 89


def _jcs(value: Mapping[str, Any], what: str) -> bytes:
    """RFC 8785 canonical form of ``value``; non-JSON values become our errors."""
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, RecursionError, TypeError) as exc:
        # RFC 8785 §3.2.2: integers beyond ±(2^53 − 1), NaN/Infinity and lone surrogates
        # have no canonical form.
        raise CredentialError(f"{what} cannot be canonicalized with JCS: {exc}") from None


def _check_type_and_suite(options: Mapping[str, Any], error: type[ProofError]) -> None:
    if options.get("type") != PROOF_TYPE or options.get("cryptosuite") != CRYPTOSUITE:
        raise error(f"proof is not a {PROOF_TYPE} with cryptosuite {CRYPTOSUITE}")


def transformation(unsecured_document: Mapping[str, Any], options: Mapping[str, Any]) -> bytes:
    """The canonical document (``#transformation-eddsa-jcs-2022``).

    Step 1 refuses options that are not ``DataIntegrityProof``/``eddsa-jcs-2022``
    (``PROOF_TRANSFORMATION_ERROR``); step 2 applies JCS to the unsecured document.

    Raises :class:`~did.vc.errors.MalformedProof` for wrong options and
    :class:`~did.vc.errors.CredentialError` for a document without a JCS form.
    """
    _check_type_and_suite(options, MalformedProof)
    return _jcs(unsecured_document, "document")


def proof_configuration(options: Mapping[str, Any], unsecured_document: Mapping[str, Any]) -> bytes:
    """The canonical proof configuration (``#proof-configuration-eddsa-jcs-2022``).

    Step 1 copies the proof options; step 2 checks type and cryptosuite; step 3 checks that
    ``created`` (when present) is an XML Schema dateTime; step 4 copies the document's
    ``@context`` into the configuration; step 5 applies JCS.

    Raises :class:`~did.vc.errors.MalformedProof` (``PROOF_GENERATION_ERROR``) and
    :class:`~did.vc.errors.CredentialError` when JCS is impossible.
    """
    proof_config = {k: v for k, v in options.items() if k != "proofValue"}
    _check_type_and_suite(proof_config, MalformedProof)
    if "created" in proof_config:
        try:
            parse_datetime(proof_config["created"], "proof created")
        except CredentialError as exc:
            raise MalformedProof(exc.message) from None
    if "@context" in unsecured_document:
        proof_config["@context"] = unsecured_document["@context"]
    return _jcs(proof_config, "proof configuration")


def hashing(transformed_document: bytes, canonical_proof_config: bytes) -> bytes:
    """The 64 bytes to sign (``#hashing-eddsa-jcs-2022``).

    ``SHA-256(canonical proof config) ‖ SHA-256(transformed document)``: the proof
    configuration hash comes first (steps 1–3). Raises nothing.
    """
    transformed_document_hash = hashlib.sha256(transformed_document).digest()
    proof_config_hash = hashlib.sha256(canonical_proof_config).digest()
    return proof_config_hash + transformed_document_hash


def proof_serialization(hash_data: bytes, key: Ed25519PrivateKey) -> bytes:
    """The 64-byte Ed25519 signature over ``hash_data`` (``#proof-serialization-eddsa-jcs-2022``).

    Raises :class:`~did.errors.InvalidKey` when ``key`` is not an Ed25519 private key.
    """
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidKey("eddsa-jcs-2022 signs with an Ed25519PrivateKey")
    return key.sign(hash_data)


def proof_verification(hash_data: bytes, proof_bytes: bytes, public_key: Ed25519PublicKey) -> None:
    """Check the Ed25519 signature (``#proof-verification-eddsa-jcs-2022``).

    Raises :class:`~did.vc.errors.InvalidProofSignature` when it does not verify.
    """
    try:
        public_key.verify(proof_bytes, hash_data)
    except InvalidSignature:
        raise InvalidProofSignature("eddsa-jcs-2022 proof signature does not verify") from None


def _encode_proof_value(proof_bytes: bytes) -> str:
    # Multibase base58btc, header "z" (vc-di-eddsa §2.2.1 "proofValue").
    return "z" + base58.b58encode(proof_bytes).decode("ascii")


def _decode_proof_value(value: object) -> bytes:
    if not isinstance(value, str) or not 2 <= len(value) <= _MAX_PROOF_VALUE_CHARS:
        raise MalformedProof("proofValue must be a multibase base58btc string")
    if value[0] != "z":
        raise MalformedProof("proofValue must be multibase base58btc (prefix 'z')")
    try:
        proof_bytes = bytes(base58.b58decode(value[1:]))
    except ValueError:
        raise MalformedProof("proofValue is not valid base58btc") from None
    # Base58 decoding is injective (each leading "1" is one zero byte, the rest is a
    # positional integer without leading zeros), so no re-encoding check is needed.
    if len(proof_bytes) != _SIGNATURE_LEN:
        raise MalformedProof("proofValue must encode exactly one 64-byte Ed25519 signature")
    return proof_bytes


def _proof_options(options: ProofOptions, unsecured_document: Mapping[str, Any]) -> dict[str, Any]:
    """The proof options as a JSON object, in the member order of the W3C vectors."""
    if not isinstance(options, ProofOptions):
        raise TypeError("options must be ProofOptions")
    out: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": options.created_or_now(),
        "verificationMethod": options.verification_method,
        "proofPurpose": options.proof_purpose,
    }
    for name, value in (
        ("expires", options.expires),
        ("challenge", options.challenge),
        ("domain", options.domain),
    ):
        if value is not None:
            out[name] = value
    # The proof carries the document's @context, as the W3C vectors do, so that a verifier
    # can check it against the document (#verify-proof-eddsa-jcs-2022 step 4).
    if "@context" in unsecured_document:
        out["@context"] = unsecured_document["@context"]
    return out


def create_proof(
    unsecured_document: Mapping[str, Any], key: Ed25519PrivateKey, options: ProofOptions
) -> dict[str, Any]:
    """A new proof object for ``unsecured_document`` (``#create-proof-eddsa-jcs-2022``).

    Raises :class:`~did.vc.errors.CredentialError` when the document has no JCS form,
    :class:`~did.vc.errors.MalformedProof` for an invalid ``created`` and
    :class:`~did.errors.InvalidKey` for a key that is not Ed25519.
    """
    if not isinstance(unsecured_document, Mapping):
        raise CredentialError("the unsecured document must be a JSON object")
    if "proof" in unsecured_document:
        raise CredentialError("the unsecured document already has a proof; use a proof set")
    proof = _proof_options(options, unsecured_document)  # step 1
    canonical_proof_config = proof_configuration(proof, unsecured_document)  # step 2
    transformed_data = transformation(unsecured_document, proof)  # step 3
    hash_data = hashing(transformed_data, canonical_proof_config)  # step 4
    proof_bytes = proof_serialization(hash_data, key)  # step 5
    proof["proofValue"] = _encode_proof_value(proof_bytes)  # step 6
    return proof


def verify_proof(
    unsecured_document: Mapping[str, Any],
    proof: Mapping[str, Any],
    public_key: Ed25519PublicKey,
) -> None:
    """Check ``proof`` over ``unsecured_document`` (``#verify-proof-eddsa-jcs-2022``).

    ``unsecured_document`` is the secured document without its ``proof`` member (step 1).
    The spec lets a verifier accept a document whose ``@context`` merely *starts with* the
    proof's; anshim requires it to be *equal*, so nothing can be appended after signing.

    Raises :class:`~did.vc.errors.MalformedProof`, :class:`~did.vc.errors.ContextMismatch`,
    :class:`~did.vc.errors.InvalidProofSignature` or
    :class:`~did.vc.errors.CredentialError` (a document with no JCS form).
    """
    if not isinstance(proof, Mapping):
        raise MalformedProof("proof must be a JSON object")
    if not isinstance(unsecured_document, Mapping):
        raise CredentialError("the document must be a JSON object")
    if not isinstance(public_key, Ed25519PublicKey):
        raise TypeError("public_key must be an Ed25519PublicKey")
    # Step 2: the proof options are the proof without proofValue (a shallow copy suffices:
    # nothing below mutates nested values).
    proof_options = {k: v for k, v in proof.items() if k != "proofValue"}
    proof_bytes = _decode_proof_value(proof.get("proofValue"))  # step 3
    if "@context" in proof_options and proof_options["@context"] != unsecured_document.get(
        "@context"
    ):
        # Step 4.1, strictly: the proof's @context must be the document's.
        raise ContextMismatch("proof @context differs from the document's @context")
    transformed_data = transformation(unsecured_document, proof_options)  # step 5
    canonical_proof_config = proof_configuration(proof_options, unsecured_document)  # step 6
    hash_data = hashing(transformed_data, canonical_proof_config)  # step 7
    proof_verification(hash_data, proof_bytes, public_key)  # step 8


class EddsaJcs2022:
    """The ``eddsa-jcs-2022`` :class:`~did.vc.Cryptosuite` (stateless)."""

    proof_type: str = PROOF_TYPE
    cryptosuite: str | None = CRYPTOSUITE

    def create_proof(
        self,
        unsecured_document: dict[str, Any],
        key: Ed25519PrivateKey,
        options: ProofOptions,
    ) -> dict[str, Any]:
        """See :func:`create_proof` (same errors)."""
        return create_proof(unsecured_document, key, options)

    def verify_proof(
        self,
        unsecured_document: dict[str, Any],
        proof: dict[str, Any],
        public_key: Ed25519PublicKey,
    ) -> None:
        """See :func:`verify_proof` (same errors)."""
        verify_proof(unsecured_document, proof, public_key)

    def __repr__(self) -> str:
        return "EddsaJcs2022()"


SUITE = EddsaJcs2022()
register_suite(SUITE)
