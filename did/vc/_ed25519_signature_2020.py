"""The legacy ``Ed25519Signature2020`` proof type (needs the ``jsonld`` extra).

Kept for interoperability with toolkits that issue VC 1.1 credentials (DIDKit, ACA-Py). The
algorithm is the one of Data Integrity EdDSA Cryptosuites v1.0, appendix "Ed25519Signature2020"
(and the CCG Ed25519Signature2020 report, section 5): RDF canonicalization (URDNA2015, which is
RDFC-1.0 apart from the control-character escaping fixed in RDFC-1.0) of the document and of
the proof options carrying the document's ``@context``; ``SHA-256(proof options) ‖
SHA-256(document)`` signed with Ed25519; ``proofValue`` is base58btc multibase. There is no
``cryptosuite`` property.

The proof terms are defined by ``https://w3id.org/security/suites/ed25519-2020/v1``. We
issue with it in the document's ``@context`` (for VC 1.1: ``credentials/v1`` followed by
it). DIDKit puts it in the proof instead (``proof["@context"]``): the CCG report lets a
proof carry its own context, and the proof options are then canonicalized under the
document's context followed by the proof's (:func:`legacy_signing_documents`). The
``@context`` prefix rule of Data Integrity belongs to ``DataIntegrityProof``; it applies
here only when the proof's context is a prefix of the document's.

Quick start::

    from did.vc import ProofOptions, get_suite
    suite = get_suite("Ed25519Signature2020", None)
    proof = suite.create_proof(vc11_credential, key, ProofOptions(verification_method=vm))
    suite.verify_proof(vc11_credential, proof, key.public_key)   # raises ProofError

Errors are those of :mod:`did.vc._eddsa_rdfc_2022`: creating raises input errors, verifying
raises only :class:`~did.vc.errors.ProofError` subclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from did import Ed25519PrivateKey, Ed25519PublicKey, multibase_encode
from did.errors import InvalidSignature
from did.vc._eddsa_rdfc_2022 import (
    check_context_prefix,
    decode_proof_value,
    hashing,
    proof_configuration,
    proof_options_dict,
)
from did.vc._rdfc import DEFAULT_LIMITS, RdfcLimits, canonicalize_document
from did.vc._suites import ProofOptions, register_suite
from did.vc.errors import (
    ContextMismatch,
    CredentialError,
    InvalidProofSignature,
    MalformedProof,
    ProofTransformationError,
)

__all__ = [
    "ED25519_2020_CONTEXT",
    "PROOF_TYPE",
    "Ed25519Signature2020",
    "canonical_document",
    "canonical_proof_options",
    "legacy_signing_documents",
    "sign_hash",
    "verify_hash",
]

PROOF_TYPE = "Ed25519Signature2020"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
_SUITE_CONTEXTS = frozenset({ED25519_2020_CONTEXT})


def _context_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _require_suite_context(document: Mapping[str, Any]) -> bool:
    return ED25519_2020_CONTEXT in _context_list(document.get("@context"))


def legacy_signing_documents(
    unsecured_document: Mapping[str, Any],
    proof: Mapping[str, Any],
    *,
    suite_contexts: frozenset[str],
    proof_contexts: frozenset[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The documents a legacy (2018/2020) proof is checked against: (document, options base).

    The first is canonicalized as the signed document; the second lends its ``@context`` to
    the proof options. Without ``proof["@context"]`` both are the document. A proof context
    that is a prefix of the document's is Data Integrity's form (both take it). Otherwise the
    proof context may hold only URLs from ``proof_contexts`` (the suite's own contexts, as
    DIDKit writes them); the options are then read under the document's context followed by
    the proof's, and the document under its own. Either way one of ``suite_contexts`` must be
    in force for the options, or their terms (``challenge``, ``domain`` …) would silently
    vanish from what is signed.

    Raises:
        ContextMismatch: if the proof's ``@context`` is neither a prefix of the document's
            nor made only of the suite's own context URLs.
        MalformedProof: if no context defining the suite's terms is in force.
    """
    document = dict(unsecured_document)
    if "@context" not in proof:
        base = document
    else:
        proof_ctx = _context_list(proof["@context"])
        doc_ctx = _context_list(document.get("@context"))
        if proof_ctx and doc_ctx[: len(proof_ctx)] == proof_ctx:
            document = check_context_prefix(document, proof)
            base = document
        elif proof_ctx and all(isinstance(c, str) and c in proof_contexts for c in proof_ctx):
            base = dict(document)
            base["@context"] = [*doc_ctx, *proof_ctx]
        else:
            raise ContextMismatch("the proof's @context is not one this proof type allows")
    if not suite_contexts & {c for c in _context_list(base.get("@context")) if isinstance(c, str)}:
        raise MalformedProof(f"{proof.get('type')!s:.40} needs a context defining its terms")
    return document, base


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
            MalformedProof: on a malformed proof, or when neither the document nor the proof
                carries the suite context.
            ContextMismatch: if the proof's ``@context`` is neither a prefix of the
                document's nor the suite context.
            ProofTransformationError: if the document cannot be canonicalized.
            InvalidProofSignature: if the signature does not verify.
        """
        if not isinstance(unsecured_document, dict) or not isinstance(proof, dict):
            raise MalformedProof("document and proof must be JSON objects")
        signature = decode_proof_value(proof.get("proofValue"))
        options = {k: v for k, v in proof.items() if k not in ("proofValue", "@context")}
        if options.get("type") != PROOF_TYPE or "cryptosuite" in options:
            raise MalformedProof("not an Ed25519Signature2020 proof")
        document, base = legacy_signing_documents(
            unsecured_document,
            proof,
            suite_contexts=_SUITE_CONTEXTS,
            proof_contexts=_SUITE_CONTEXTS,
        )
        try:
            config = canonical_proof_options(base, options, **self._kw)
            canonical = canonical_document(document, **self._kw)
        except (CredentialError, ValueError) as exc:
            code = getattr(exc, "code", "")
            raise ProofTransformationError(
                f"cannot transform the document: {exc}", cause_code=code
            ) from exc
        verify_hash(hashing(canonical, config), signature, public_key)


register_suite(Ed25519Signature2020())
