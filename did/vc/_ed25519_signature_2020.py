"""The legacy ``Ed25519Signature2020`` proof type (needs the ``jsonld`` extra).

Kept for interoperability with toolkits that issue VC 1.1 credentials (DIDKit, ACA-Py). The
algorithm is the one of Data Integrity EdDSA Cryptosuites v1.0, appendix "Ed25519Signature2020"
(and the CCG Ed25519Signature2020 report, section 5): RDF canonicalization (URDNA2015, which is
RDFC-1.0 apart from the control-character escaping fixed in RDFC-1.0) of the document and of
the proof options carrying the document's ``@context``; ``SHA-256(proof options) ‖
SHA-256(document)`` signed with Ed25519; ``proofValue`` is base58btc multibase. There is no
``cryptosuite`` property.

The document's ``@context`` must include ``https://w3id.org/security/suites/ed25519-2020/v1``,
which defines the proof terms (for VC 1.1: ``credentials/v1`` followed by it).

Quick start::

    from did.vc import ProofOptions, get_suite
    suite = get_suite("Ed25519Signature2020", None)
    proof = suite.create_proof(vc11_credential, key, ProofOptions(verification_method=vm))
    suite.verify_proof(vc11_credential, proof, key.public_key)   # raises ProofError

Errors are those of :mod:`did.vc.eddsa_rdfc_2022`: creating raises input errors, verifying
raises only :class:`~did.vc.errors.ProofError` subclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from did._multibase import multibase_encode
from did.errors import InvalidSignature
from did.keys import Ed25519PrivateKey, Ed25519PublicKey
from did.vc._rdfc import DEFAULT_LIMITS, RdfcLimits, canonicalize_document
from did.vc._suites import ProofOptions, register_suite
from did.vc.eddsa_rdfc_2022 import (
    ProofTransformationError,
    check_context_prefix,
    decode_proof_value,
    hashing,
    proof_configuration,
    proof_options_dict,
)
from did.vc.errors import CredentialError, InvalidProofSignature, MalformedProof

__all__ = [
    "ED25519_2020_CONTEXT",
    "PROOF_TYPE",
    "Ed25519Signature2020",
    "canonical_document",
    "canonical_proof_options",
    "sign_hash",
    "verify_hash",
]

PROOF_TYPE = "Ed25519Signature2020"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"


def _require_suite_context(document: Mapping[str, Any]) -> bool:
    ctx = document.get("@context")
    return ED25519_2020_CONTEXT in (ctx if isinstance(ctx, list) else [ctx])


def canonical_document(
    document: Mapping[str, Any], *, limits: RdfcLimits = DEFAULT_LIMITS, loader: Any = None
) -> str:
    """Canonicalize the document without its proof (Ed25519Signature2020 section 5.1 step 1).

    Raises:
        ContextNotBundled, JsonLdProcessingError, CanonicalizationError: see :mod:`did.vc._rdfc`.
    """
    return canonicalize_document(
        {k: v for k, v in document.items() if k != "proof"}, loader=loader, limits=limits
    )


def canonical_proof_options(
    document: Mapping[str, Any],
    options: Mapping[str, Any],
    *,
    limits: RdfcLimits = DEFAULT_LIMITS,
    loader: Any = None,
) -> str:
    """Canonicalize the proof options with the document's ``@context`` (section 5.1 step 2).

    Raises:
        MalformedProof: if ``options`` is not an Ed25519Signature2020 proof (or has a
            ``cryptosuite``) or its ``created`` is not a dateTimeStamp.
        ContextNotBundled, JsonLdProcessingError, CanonicalizationError: see :mod:`did.vc._rdfc`.
    """
    return proof_configuration(
        document, options, proof_type=PROOF_TYPE, cryptosuite=None, limits=limits, loader=loader
    )


def sign_hash(hash_data: bytes, key: Ed25519PrivateKey) -> bytes:
    """Sign ``SHA-256(proof options) ‖ SHA-256(document)`` with Ed25519 (section 5.1 step 4)."""
    return key.sign(hash_data)


def verify_hash(hash_data: bytes, signature: bytes, public_key: Ed25519PublicKey) -> None:
    """Verify the Ed25519 signature over the combined hash (section 5.2).

    Raises:
        InvalidProofSignature: if the signature does not verify.
    """
    try:
        public_key.verify(signature, hash_data)
    except InvalidSignature as exc:
        raise InvalidProofSignature("Ed25519Signature2020 signature does not verify") from exc


class Ed25519Signature2020:
    """The ``Ed25519Signature2020`` suite object registered with :mod:`did.vc._suites`."""

    proof_type = PROOF_TYPE
    cryptosuite: str | None = None

    def __init__(self, *, limits: RdfcLimits = DEFAULT_LIMITS, loader: Any = None) -> None:
        self._kw: dict[str, Any] = {"limits": limits, "loader": loader}

    def create_proof(
        self, unsecured_document: dict[str, Any], key: Ed25519PrivateKey, options: ProofOptions
    ) -> dict[str, Any]:
        """Create an Ed25519Signature2020 proof object.

        Raises:
            CredentialError: if the document lacks the ed25519-2020 context or an option is bad.
            ContextNotBundled, JsonLdProcessingError, CanonicalizationError: if the document
                cannot be canonicalized.
        """
        if not isinstance(unsecured_document, dict):
            raise CredentialError("the document must be a JSON object")
        if not _require_suite_context(unsecured_document):
            raise CredentialError(f"Ed25519Signature2020 needs {ED25519_2020_CONTEXT} in @context")
        proof = proof_options_dict(PROOF_TYPE, None, options)
        config = canonical_proof_options(unsecured_document, proof, **self._kw)
        document = canonical_document(unsecured_document, **self._kw)
        proof["proofValue"] = multibase_encode(sign_hash(hashing(document, config), key))
        return proof

    def verify_proof(
        self,
        unsecured_document: dict[str, Any],
        proof: dict[str, Any],
        public_key: Ed25519PublicKey,
    ) -> None:
        """Verify an Ed25519Signature2020 proof.

        Raises:
            MalformedProof: on a malformed proof or a document without the suite context.
            ContextMismatch: if the proof's ``@context`` is not a prefix of the document's.
            ProofTransformationError: if the document cannot be canonicalized.
            InvalidProofSignature: if the signature does not verify.
        """
        if not isinstance(unsecured_document, dict) or not isinstance(proof, dict):
            raise MalformedProof("document and proof must be JSON objects")
        signature = decode_proof_value(proof.get("proofValue"))
        options = {k: v for k, v in proof.items() if k not in ("proofValue", "@context")}
        if options.get("type") != PROOF_TYPE or "cryptosuite" in options:
            raise MalformedProof("not an Ed25519Signature2020 proof")
        document = check_context_prefix(unsecured_document, proof)
        if not _require_suite_context(document):
            raise MalformedProof(f"Ed25519Signature2020 needs {ED25519_2020_CONTEXT} in @context")
        try:
            config = canonical_proof_options(document, options, **self._kw)
            canonical = canonical_document(document, **self._kw)
        except (CredentialError, ValueError) as exc:
            code = getattr(exc, "code", "")
            raise ProofTransformationError(
                f"cannot transform the document: {exc}", cause_code=code
            ) from exc
        verify_hash(hashing(canonical, config), signature, public_key)


register_suite(Ed25519Signature2020())
