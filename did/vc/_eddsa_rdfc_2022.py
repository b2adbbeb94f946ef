"""The ``eddsa-rdfc-2022`` Data Integrity cryptosuite (needs the ``jsonld`` extra).

Data Integrity EdDSA Cryptosuites v1.0 section 3.3: the document and the proof configuration are
each turned into RDF with the bundled JSON-LD contexts (never the network), canonicalized with
RDFC-1.0 (our bounded implementation in :mod:`did.vc._rdfc`), hashed with SHA-256, and the
concatenation ``SHA-256(canonical proof config) ‖ SHA-256(canonical document)`` is signed with
Ed25519. Each algorithm step is its own function, named after the spec section.

Quick start::

    from did.vc import ProofOptions, get_suite
    suite = get_suite("DataIntegrityProof", "eddsa-rdfc-2022")   # imports and registers this module
    proof = suite.create_proof(credential, key, ProofOptions(verification_method=vm))
    suite.verify_proof(credential, proof, key.public_key)        # raises ProofError

Errors: creating a proof raises the input errors of :mod:`did.vc._jsonld` and
:mod:`did.vc._rdfc` (``ContextNotBundled``, ``JsonLdProcessingError``,
``CanonicalizationLimitExceeded``…) or :class:`~did.vc.errors.CredentialError`; verifying raises
only :class:`~did.vc.errors.ProofError` subclasses — a document that cannot be transformed
raises :class:`ProofTransformationError` with the underlying error as ``__cause__``.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import base58

from did import Ed25519PrivateKey, Ed25519PublicKey, multibase_encode
from did.errors import InputError, InvalidSignature
from did.vc._rdfc import DEFAULT_LIMITS, RdfcLimits, canonicalize_document
from did.vc._suites import ProofOptions, parse_datetime, register_suite
from did.vc.errors import (
    CredentialError,
    InvalidProofSignature,
    MalformedProof,
    ProofTransformationError,
)

__all__ = [
    "CRYPTOSUITE",
    "PROOF_TYPE",
    "EddsaRdfc2022",
    "decode_proof_value",
    "hashing",
    "proof_configuration",
    "proof_options_dict",
    "proof_serialization",
    "proof_verification",
    "transformation",
]

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
_SIG_LEN = 64
_MAX_PROOF_VALUE_CHARS = 128  # base58btc of 64 bytes is at most 88 characters plus "z"


def proof_options_dict(
    proof_type: str, cryptosuite: str | None, options: ProofOptions
) -> dict[str, Any]:
    """The proof options as a JSON object (Data Integrity 1.0 section 2.1), without ``proofValue``.

    Raises:
        CredentialError: if ``created`` or ``expires`` is not an XML dateTimeStamp, or a string
            option is not a non-empty string.
    """
    out: dict[str, Any] = {"type": proof_type}
    if cryptosuite is not None:
        out["cryptosuite"] = cryptosuite
    created = options.created_or_now()
    parse_datetime(created, "proof created")
    out["created"] = created
    for name, value in (
        ("verificationMethod", options.verification_method),
        ("proofPurpose", options.proof_purpose),
    ):
        if not isinstance(value, str) or not value:
            raise CredentialError(f"proof option {name} must be a non-empty string")
        out[name] = value
    if options.expires is not None:
        parse_datetime(options.expires, "proof expires")
        out["expires"] = options.expires
    for name, opt in (("challenge", options.challenge), ("domain", options.domain)):
        if opt is not None:
            if not isinstance(opt, str) or not opt:
                raise CredentialError(f"proof option {name} must be a non-empty string")
            out[name] = opt
    return out


def decode_proof_value(value: object) -> bytes:
    """Decode a base58btc multibase ``proofValue`` into a 64-byte Ed25519 signature.

    Raises:
        MalformedProof: if the value is not a canonical ``z``-prefixed base58btc string of
            exactly 64 bytes.
    """
    if not isinstance(value, str) or not value.startswith("z"):
        raise MalformedProof("proofValue must be a base58btc multibase string")
    if len(value) > _MAX_PROOF_VALUE_CHARS:
        raise MalformedProof("proofValue is too long")
    try:
        raw = base58.b58decode(value[1:])
    except ValueError as exc:
        raise MalformedProof("proofValue is not valid base58btc") from exc
    if len(raw) != _SIG_LEN or "z" + base58.b58encode(raw).decode("ascii") != value:
        raise MalformedProof("proofValue must encode exactly 64 bytes, canonically")
    return raw


@dataclass(frozen=True)
class _Config:
    limits: RdfcLimits = DEFAULT_LIMITS
    loader: Any = field(default=None, compare=False)


def _check_type(options: Mapping[str, Any], proof_type: str, cryptosuite: str | None) -> None:
    if options.get("type") != proof_type or options.get("cryptosuite") != cryptosuite:
        raise MalformedProof(f"proof type/cryptosuite must be {proof_type}/{cryptosuite}")


def transformation(
    unsecured_document: Mapping[str, Any],
    options: Mapping[str, Any],
    *,
    limits: RdfcLimits = DEFAULT_LIMITS,
    loader: Any = None,
) -> str:
    """Section 3.3.3 (Transformation: eddsa-rdfc-2022): the document's canonical N-Quads.

    Raises:
        MalformedProof: if ``options`` is not a DataIntegrityProof with this cryptosuite.
        ContextNotBundled, JsonLdProcessingError, CanonicalizationError: see :mod:`did.vc._rdfc`.
    """
    _check_type(options, PROOF_TYPE, CRYPTOSUITE)
    return canonicalize_document(unsecured_document, loader=loader, limits=limits)


def proof_configuration(
    unsecured_document: Mapping[str, Any],
    options: Mapping[str, Any],
    *,
    proof_type: str = PROOF_TYPE,
    cryptosuite: str | None = CRYPTOSUITE,
    limits: RdfcLimits = DEFAULT_LIMITS,
    loader: Any = None,
) -> str:
    """Section 3.3.5 (Proof Configuration: eddsa-rdfc-2022): the canonical proof configuration.

    The configuration is the proof options without ``proofValue``, with the document's
    ``@context``. ``proof_type``/``cryptosuite`` let the legacy Ed25519Signature2020 suite reuse
    this step.

    Raises:
        MalformedProof: on a wrong type/cryptosuite or a ``created`` that is not a dateTimeStamp.
        ContextNotBundled, JsonLdProcessingError, CanonicalizationError: see :mod:`did.vc._rdfc`.
    """
    _check_type(options, proof_type, cryptosuite)
    config = {k: copy.deepcopy(v) for k, v in options.items() if k != "proofValue"}
    if "created" in config:
        try:
            parse_datetime(config["created"], "proof created")
        except CredentialError as exc:
            raise MalformedProof(exc.message) from exc
    if "@context" in unsecured_document:
        config["@context"] = copy.deepcopy(unsecured_document["@context"])
    return canonicalize_document(config, loader=loader, limits=limits)


def hashing(transformed_document: str, canonical_proof_config: str) -> bytes:
    """Section 3.3.4 (Hashing: eddsa-rdfc-2022): SHA-256(proof config) ‖ SHA-256(document)."""
    proof_config_hash = hashlib.sha256(canonical_proof_config.encode("utf-8")).digest()
    document_hash = hashlib.sha256(transformed_document.encode("utf-8")).digest()
    return proof_config_hash + document_hash


def proof_serialization(hash_data: bytes, key: Ed25519PrivateKey) -> bytes:
    """Section 3.3.6 (Proof Serialization: eddsa-rdfc-2022): the Ed25519 signature."""
    return key.sign(hash_data)


def proof_verification(hash_data: bytes, proof_bytes: bytes, public_key: Ed25519PublicKey) -> None:
    """Section 3.3.7 (Proof Verification: eddsa-rdfc-2022).

    Raises:
        InvalidProofSignature: if the signature does not verify.
    """
    try:
        public_key.verify(proof_bytes, hash_data)
    except InvalidSignature as exc:
        raise InvalidProofSignature("eddsa-rdfc-2022 proof signature does not verify") from exc


def check_context_prefix(document: Mapping[str, Any], proof: Mapping[str, Any]) -> dict[str, Any]:
    """Section 3.3.2 step 4: a proof ``@context`` must be a prefix of the document's.

    Returns the unsecured document to transform (its ``@context`` replaced by the proof's
    when the proof has one).

    Raises:
        ContextMismatch: if the proof's ``@context`` is not a prefix of the document's.
    """
    from did.vc.errors import ContextMismatch

    unsecured = dict(document)
    if "@context" not in proof:
        return unsecured

    def as_list(value: object) -> list[Any]:
        return value if isinstance(value, list) else [value]

    proof_ctx = as_list(proof["@context"])
    doc_ctx = as_list(document.get("@context"))
    if doc_ctx[: len(proof_ctx)] != proof_ctx:
        raise ContextMismatch("the proof's @context is not a prefix of the document's")
    unsecured["@context"] = copy.deepcopy(proof["@context"])
    return unsecured


def _transform_for_verify(action: Any) -> Any:
    try:
        return action()
    except InputError as exc:
        raise ProofTransformationError(
            f"cannot transform the document: {exc.message}", cause_code=exc.code
        ) from exc


class EddsaRdfc2022:
    """The ``eddsa-rdfc-2022`` cryptosuite object registered with :mod:`did.vc._suites`.

    ``limits`` bounds RDFC-1.0 canonicalization; ``loader`` is an
    :class:`~did.vc.OfflineDocumentLoader` (default: the bundled contexts only).
    """

    proof_type = PROOF_TYPE
    cryptosuite: str | None = CRYPTOSUITE

    def __init__(self, *, limits: RdfcLimits = DEFAULT_LIMITS, loader: Any = None) -> None:
        self._limits = limits
        self._loader = loader

    def create_proof(
        self, unsecured_document: dict[str, Any], key: Ed25519PrivateKey, options: ProofOptions
    ) -> dict[str, Any]:
        """Section 3.3.1 (Create Proof: eddsa-rdfc-2022); returns the proof object.

        Raises:
            CredentialError: on bad proof options.
            ContextNotBundled, JsonLdProcessingError, CanonicalizationError: if the document
                cannot be canonicalized.
        """
        if not isinstance(unsecured_document, dict):
            raise CredentialError("the document must be a JSON object")
        proof = proof_options_dict(self.proof_type, self.cryptosuite, options)
        document = {k: v for k, v in unsecured_document.items() if k != "proof"}
        kw = {"limits": self._limits, "loader": self._loader}
        canonical_config = proof_configuration(document, proof, **kw)
        transformed = transformation(document, proof, **kw)
        proof_bytes = proof_serialization(hashing(transformed, canonical_config), key)
        proof["proofValue"] = multibase_encode(proof_bytes)
        return proof

    def verify_proof(
        self,
        unsecured_document: dict[str, Any],
        proof: dict[str, Any],
        public_key: Ed25519PublicKey,
    ) -> None:
        """Section 3.3.2 (Verify Proof: eddsa-rdfc-2022).

        Raises:
            MalformedProof: on a malformed proof (type, cryptosuite, proofValue, created).
            ContextMismatch: if the proof's ``@context`` is not a prefix of the document's.
            ProofTransformationError: if the document cannot be canonicalized.
            InvalidProofSignature: if the signature does not verify.
        """
        if not isinstance(unsecured_document, dict) or not isinstance(proof, dict):
            raise MalformedProof("document and proof must be JSON objects")
        proof_bytes = decode_proof_value(proof.get("proofValue"))
        options = {k: v for k, v in proof.items() if k != "proofValue"}
        _check_type(options, self.proof_type, self.cryptosuite)
        document = check_context_prefix(
            {k: v for k, v in unsecured_document.items() if k != "proof"}, proof
        )
        options.pop("@context", None)
        kw = {"limits": self._limits, "loader": self._loader}
        transformed = _transform_for_verify(lambda: transformation(document, options, **kw))
        canonical_config = _transform_for_verify(
            lambda: proof_configuration(document, options, **kw)
        )
        proof_verification(hashing(transformed, canonical_config), proof_bytes, public_key)


register_suite(EddsaRdfc2022())
