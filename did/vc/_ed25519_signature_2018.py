"""The legacy ``Ed25519Signature2018`` proof type (needs the ``jsonld`` extra).

DIDKit 0.3.3, ACA-Py and Veramo issue it by default for Ed25519 keys, so anshim verifies it
(and can issue it, for interop tests and for verifiers that know nothing newer). The
algorithm is the W3C CCG report "Ed25519 Signature 2018" over the Linked Data Signatures
"create verify hash" algorithm, with a detached JWS (RFC 7515 appendix F) whose payload is
not base64url-encoded (RFC 7797):

1. the document without ``proof`` is canonicalized (URDNA2015, here RDFC-1.0);
2. the proof options (the proof without ``jws``) are canonicalized under the document's
   ``@context`` (:func:`~did.vc._ed25519_signature_2020.legacy_signing_documents`);
3. the verify data is ``SHA-256(canonical options) ‖ SHA-256(canonical document)``;
4. the JWS protected header is ``{"alg": "EdDSA", "b64": false, "crit": ["b64"]}``; with
   ``b64: false`` the JWS Signing Input is ``ASCII(BASE64URL(header)) ‖ "." ‖ verify data``
   (RFC 7797 §3), signed with Ed25519 (RFC 8037 §3.1);
5. ``jws`` is ``BASE64URL(header) ‖ ".." ‖ BASE64URL(signature)``: the payload is detached.

The proof terms (``jws``, ``proofPurpose``, ``challenge`` …) come from a context that
defines ``Ed25519Signature2018``: ``https://www.w3.org/2018/credentials/v1`` (as DIDKit's
VC 1.1 credentials carry it) or ``https://w3id.org/security/v2``; both are bundled.

Quick start::

    from did.vc import Ed25519Signature2018, ProofOptions
    suite = Ed25519Signature2018()
    proof = suite.create_proof(vc11_credential, key, ProofOptions(verification_method=vm))
    suite.verify_proof(vc11_credential, proof, key.public_key)   # raises ProofError

Creating raises input errors; verifying raises only :class:`~did.vc.errors.ProofError`
subclasses (a document that cannot be canonicalized is a
:class:`~did.vc.errors.ProofTransformationError`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from did import Ed25519PrivateKey, Ed25519PublicKey, b64url_decode, b64url_encode
from did.errors import DecodeError, InputError, InvalidSignature
from did.vc._ed25519_signature_2020 import legacy_signing_documents
from did.vc._eddsa_rdfc_2022 import hashing, proof_configuration, proof_options_dict
from did.vc._rdfc import DEFAULT_LIMITS, RdfcLimits, canonicalize_document
from did.vc._suites import ProofOptions, register_suite
from did.vc.errors import (
    CredentialError,
    InvalidProofSignature,
    MalformedProof,
    ProofTransformationError,
)

__all__ = [
    "ED25519_2018_CONTEXTS",
    "Ed25519Signature2018",
    "signing_input",
]

PROOF_TYPE = "Ed25519Signature2018"
#: Bundled contexts that define the Ed25519Signature2018 proof terms.
ED25519_2018_CONTEXTS = frozenset(
    {"https://www.w3.org/2018/credentials/v1", "https://w3id.org/security/v2"}
)
# The one protected header we write and accept: RFC 7797 §6 requires "b64" to be listed in
# "crit" whenever it is false, and RFC 8037 names Ed25519 "EdDSA".
_HEADER = {"alg": "EdDSA", "b64": False, "crit": ["b64"]}
_HEADER_B64 = b64url_encode(json.dumps(_HEADER, separators=(",", ":")).encode("ascii"))
_MAX_HEADER_CHARS = 256
_SIGNATURE_CHARS = 86  # base64url of 64 bytes, unpadded
# Members of the proof that are not proof options (the signature and legacy aliases).
_NOT_OPTIONS = ("jws", "proofValue", "signatureValue", "@context")


def _header(encoded: str) -> None:
    """Check the detached JWS's protected header (RFC 7515 §4, RFC 7797 §3 and §6)."""
    if not 0 < len(encoded) <= _MAX_HEADER_CHARS:
        raise MalformedProof("the JWS header is empty or too long")
    try:
        raw = b64url_decode(encoded, max_chars=_MAX_HEADER_CHARS)
    except DecodeError as exc:
        raise MalformedProof("the JWS header is not canonical base64url") from exc

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise MalformedProof("the JWS header repeats a member")
            out[key] = value
        return out

    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise MalformedProof("the JWS header is not JSON") from exc
    # Exactly our header, member order aside: any other alg, an encoded payload (b64 true
    # or absent), an unknown critical extension or an extra member (kid, jwk, x5u: keys the
    # verification method must supply instead) is refused.
    if header != _HEADER:
        raise MalformedProof("the JWS header must be EdDSA with an unencoded payload (b64)")


def _split_jws(value: object) -> tuple[str, bytes]:
    """(encoded header, signature) of a detached compact JWS ``header..signature``."""
    if not isinstance(value, str) or len(value) > _MAX_HEADER_CHARS + 2 + _SIGNATURE_CHARS:
        raise MalformedProof("proof jws must be a detached compact JWS string")
    parts = value.split(".")
    if len(parts) != 3 or parts[1] != "":
        raise MalformedProof("proof jws must be detached: header..signature")
    _header(parts[0])
    if len(parts[2]) != _SIGNATURE_CHARS:
        raise MalformedProof("the JWS signature must be one 64-byte Ed25519 signature")
    try:
        signature = b64url_decode(parts[2])
    except DecodeError as exc:
        raise MalformedProof("the JWS signature is not canonical base64url") from exc
    return parts[0], signature


def signing_input(encoded_header: str, verify_data: bytes) -> bytes:
    """The JWS Signing Input with an unencoded payload (RFC 7797 §3).

    ``ASCII(BASE64URL(UTF8(header))) ‖ "." ‖ verify data``: the 64 raw bytes of the verify
    hash follow the dot as they are. Raises nothing.
    """
    return encoded_header.encode("ascii") + b"." + verify_data


class Ed25519Signature2018:
    """The ``Ed25519Signature2018`` suite object registered with :mod:`did.vc._suites`.

    ``limits`` bounds RDFC-1.0 canonicalization; ``loader`` is an
    :class:`~did.vc.OfflineDocumentLoader` (default: the bundled contexts only).
    """

    proof_type = PROOF_TYPE
    cryptosuite: str | None = None

    def __init__(self, *, limits: RdfcLimits = DEFAULT_LIMITS, loader: Any = None) -> None:
        self._kw: dict[str, Any] = {"limits": limits, "loader": loader}

    def verify_data(self, document: Mapping[str, Any], options: Mapping[str, Any]) -> bytes:
        """``SHA-256(canonical options) ‖ SHA-256(canonical document)`` (steps 1–3).

        ``document`` is the unsecured document whose ``@context`` the options are read
        under; ``options`` the proof without ``jws``.

        Raises:
            MalformedProof: if ``options`` is not an Ed25519Signature2018 proof or its
                ``created`` is not a dateTimeStamp.
            ContextNotBundled, JsonLdProcessingError, CanonicalizationError: if the
                document or the options cannot be canonicalized.
        """
        config = proof_configuration(
            document, options, proof_type=PROOF_TYPE, cryptosuite=None, **self._kw
        )
        canonical = canonicalize_document(
            {k: v for k, v in document.items() if k != "proof"}, **self._kw
        )
        return hashing(canonical, config)

    def create_proof(
        self, unsecured_document: dict[str, Any], key: Ed25519PrivateKey, options: ProofOptions
    ) -> dict[str, Any]:
        """Create an Ed25519Signature2018 proof object (steps 1–5).

        Raises:
            CredentialError: if the document's ``@context`` defines no Ed25519Signature2018
                terms, or a proof option is bad.
            InputError: if ``key`` is not an Ed25519 private key.
            ContextNotBundled, JsonLdProcessingError, CanonicalizationError: if the document
                cannot be canonicalized.
        """
        if not isinstance(unsecured_document, dict):
            raise CredentialError("the document must be a JSON object")
        if not isinstance(key, Ed25519PrivateKey):
            raise InputError("Ed25519Signature2018 signs with an Ed25519PrivateKey")
        context = unsecured_document.get("@context")
        contexts = context if isinstance(context, list) else [context]
        if not ED25519_2018_CONTEXTS & {c for c in contexts if isinstance(c, str)}:
            raise CredentialError(
                "Ed25519Signature2018 needs credentials/v1 or security/v2 in @context"
            )
        proof = proof_options_dict(PROOF_TYPE, None, options)
        document = {k: v for k, v in unsecured_document.items() if k != "proof"}
        signature = key.sign(signing_input(_HEADER_B64, self.verify_data(document, proof)))
        proof["jws"] = f"{_HEADER_B64}..{b64url_encode(signature)}"
        return proof

    def verify_proof(
        self,
        unsecured_document: dict[str, Any],
        proof: dict[str, Any],
        public_key: Ed25519PublicKey,
    ) -> None:
        """Verify an Ed25519Signature2018 proof.

        Raises:
            MalformedProof: on a malformed proof or JWS (any header but EdDSA with an
                unencoded payload), or when no context defines the proof's terms.
            ContextMismatch: if the proof carries a ``@context`` this proof type refuses.
            ProofTransformationError: if the document cannot be canonicalized.
            InvalidProofSignature: if the signature does not verify.
        """
        if not isinstance(unsecured_document, dict) or not isinstance(proof, dict):
            raise MalformedProof("document and proof must be JSON objects")
        if not isinstance(public_key, Ed25519PublicKey):
            raise TypeError("public_key must be an Ed25519PublicKey")
        encoded_header, signature = _split_jws(proof.get("jws"))
        options = {k: v for k, v in proof.items() if k not in _NOT_OPTIONS}
        if options.get("type") != PROOF_TYPE or "cryptosuite" in options:
            raise MalformedProof("not an Ed25519Signature2018 proof")
        document, base = legacy_signing_documents(
            {k: v for k, v in unsecured_document.items() if k != "proof"},
            proof,
            suite_contexts=ED25519_2018_CONTEXTS,
            proof_contexts=frozenset({"https://w3id.org/security/v2"}),
        )
        try:
            config = proof_configuration(
                base, options, proof_type=PROOF_TYPE, cryptosuite=None, **self._kw
            )
            canonical = canonicalize_document(document, **self._kw)
        except InputError as exc:
            raise ProofTransformationError(
                f"cannot transform the document: {exc.message}", cause_code=exc.code
            ) from exc
        try:
            public_key.verify(signature, signing_input(encoded_header, hashing(canonical, config)))
        except InvalidSignature as exc:
            raise InvalidProofSignature("Ed25519Signature2018 signature does not verify") from exc


register_suite(Ed25519Signature2018())
