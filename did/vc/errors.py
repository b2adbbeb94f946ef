"""The verifiable-credential error subtree, rooted in :mod:`did.errors`.

Every error class of :mod:`did.vc` is defined here, each with a stable camelCase ``code``
(used in CLI JSON output and HTTP problem details). Malformed input derives from
:class:`~did.errors.InputError` (and so from ``ValueError``); a check that fails on
well-formed input derives from :class:`~did.errors.VerificationError`. Messages never
contain key material.

::

    did.errors.AnshimError
    ├── did.errors.InputError (ValueError)
    │   ├── CredentialError                 malformed credential or presentation
    │   │   ├── PresentationError           malformed presentation
    │   │   └── MalformedJwt                not a well-formed compact JWS / JWT claims set
    │   ├── PolicyMisuse                    an empty or meaningless trust policy
    │   ├── StatusListFull                  every index of a status list is allocated
    │   ├── JsonLdProcessingError           PyLD rejected the document, or it is out of bounds
    │   │   ├── ContextNotBundled           a context URL that is not bundled (never fetched)
    │   │   └── JsonLdExtraMissing          the ``jsonld`` extra (PyLD) is not installed
    │   └── CanonicalizationError           an RDF dataset that cannot be canonicalized
    │       └── CanonicalizationLimitExceeded   a poison dataset: a work limit was hit
    └── did.errors.VerificationError
        ├── ProofError                      a proof does not verify
        │   ├── MalformedProof              a proof object that breaks Data Integrity
        │   │   └── ProofTransformationError    the document cannot be transformed to verify
        │   ├── UnsupportedCryptosuite      a proof type / cryptosuite we do not know
        │   │   └── JwtAlgorithmRefused     a JWS ``alg`` other than EdDSA, or ``crit``
        │   ├── InvalidProofSignature       the signature does not verify; an InvalidSignature
        │   ├── ProofPurposeMismatch        wrong proofPurpose, or key not authorized for it
        │   ├── VerificationMethodError     the verification method cannot be used
        │   ├── ContextMismatch             the proof's @context differs from the document's
        │   ├── ChallengeMismatch           the proof's challenge is not the expected one
        │   ├── DomainMismatch              the proof's domain is not the expected one
        │   ├── ProofExpired                the proof's ``expires`` has passed
        │   └── ProofNotYetValid            the proof's ``created`` is beyond the clock skew
        ├── IssuerMismatch                  the signing key is not controlled by the issuer
        ├── ValidityError                   outside the validity period
        │   ├── ExpiredCredential           now ≥ validUntil (or expirationDate)
        │   └── NotYetValid                 now < validFrom (or issuanceDate)
        ├── UntrustedIssuer                 the trust policy refuses this issuer for this type
        ├── StatusError                     the credential's status check failed
        │   ├── RevokedCredential           revocation bit set
        │   ├── SuspendedCredential         suspension bit set
        │   └── StatusCheckFailed           the status list cannot be fetched or does not verify
        ├── HolderMismatch                  a credential subject is not the presentation's holder
        └── ChallengeReused                 a presentation challenge seen before (replay)

:func:`did.vc.verify_presentation` claims challenges in the core :class:`did.ReplayStore`;
a full store raises the core :class:`did.errors.ReplayStoreFull`. Trust policies refuse
an empty policy with :class:`PolicyMisuse`: building one is a programming mistake, not a
failed check.
"""

from __future__ import annotations

from did.errors import InputError, InvalidSignature, VerificationError

__all__ = [
    "CanonicalizationError",
    "CanonicalizationLimitExceeded",
    "ChallengeMismatch",
    "ChallengeReused",
    "ContextMismatch",
    "ContextNotBundled",
    "CredentialError",
    "DomainMismatch",
    "ExpiredCredential",
    "HolderMismatch",
    "InvalidProofSignature",
    "IssuerMismatch",
    "JsonLdExtraMissing",
    "JsonLdProcessingError",
    "JwtAlgorithmRefused",
    "MalformedJwt",
    "MalformedProof",
    "NotYetValid",
    "PolicyMisuse",
    "PresentationError",
    "ProofError",
    "ProofExpired",
    "ProofNotYetValid",
    "ProofPurposeMismatch",
    "ProofTransformationError",
    "RevokedCredential",
    "StatusCheckFailed",
    "StatusError",
    "StatusListFull",
    "SuspendedCredential",
    "UnsupportedCryptosuite",
    "UntrustedIssuer",
    "ValidityError",
    "VerificationMethodError",
]


class CredentialError(InputError):
    """A credential that does not follow the VC Data Model (missing or ill-typed field)."""

    code = "malformedCredential"


class PresentationError(CredentialError):
    """A presentation that does not follow the VC Data Model."""

    code = "malformedPresentation"


class PolicyMisuse(InputError):
    """A trust policy built so that it could never mean anything (for example empty)."""

    code = "policyMisuse"


class ProofError(VerificationError):
    """A Data Integrity (or legacy) proof that does not verify.

    Data Integrity 1.0 calls this ``PROOF_VERIFICATION_ERROR``.
    """

    code = "invalidProof"


class MalformedProof(ProofError):
    """A proof object with missing or ill-typed properties (Data Integrity §2.1)."""

    code = "malformedProof"


class UnsupportedCryptosuite(ProofError):
    """A proof ``type``/``cryptosuite`` pair that no registered suite implements."""

    code = "unsupportedCryptosuite"


class InvalidProofSignature(ProofError, InvalidSignature):
    """The proof's signature does not verify over the transformed document."""

    code = "invalidProofSignature"


class ProofPurposeMismatch(ProofError):
    """The proof's ``proofPurpose`` is not the expected one, or the key is not authorized."""

    code = "proofPurposeMismatch"


class VerificationMethodError(ProofError):
    """The proof's ``verificationMethod`` cannot be resolved to an Ed25519 key."""

    code = "invalidVerificationMethod"


class ContextMismatch(ProofError):
    """The proof's ``@context`` differs from the secured document's (Data Integrity §4.3)."""

    code = "contextMismatch"


class ChallengeMismatch(ProofError):
    """The proof's ``challenge`` is not the expected one (``INVALID_CHALLENGE_ERROR``)."""

    code = "invalidChallenge"


class DomainMismatch(ProofError):
    """The proof's ``domain`` is not the expected one (``INVALID_DOMAIN_ERROR``)."""

    code = "invalidDomain"


class ProofExpired(ProofError):
    """The proof's ``expires`` time has passed."""

    code = "proofExpired"


class IssuerMismatch(VerificationError):
    """The proof's verification method is not controlled by the credential's issuer."""

    code = "issuerMismatch"


class ValidityError(VerificationError):
    """The credential is outside its validity period."""

    code = "invalidValidityPeriod"


class ExpiredCredential(ValidityError):
    """``now`` is at or after ``validUntil`` (VC 1.1: ``expirationDate``)."""

    code = "expiredCredential"


class NotYetValid(ValidityError):
    """``now`` is before ``validFrom`` (VC 1.1: ``issuanceDate``)."""

    code = "notYetValid"


class UntrustedIssuer(VerificationError):
    """The trust policy does not allow this issuer to issue this credential type."""

    code = "untrustedIssuer"


class StatusError(VerificationError):
    """The credential's status (Bitstring Status List) check failed."""

    code = "statusError"


class RevokedCredential(StatusError):
    """The credential's revocation bit is set."""

    code = "revokedCredential"


class SuspendedCredential(StatusError):
    """The credential's suspension bit is set."""

    code = "suspendedCredential"


class StatusCheckFailed(StatusError):
    """The status list cannot be fetched, parsed or verified (the check fails closed)."""

    code = "statusCheckFailed"


class HolderMismatch(VerificationError):
    """A credential's subject is not the presentation's holder."""

    code = "holderMismatch"


class ChallengeReused(VerificationError):
    """A presentation answers a challenge that the replay store has already seen."""

    code = "challengeReused"


class MalformedJwt(CredentialError):
    """A token that is not a well-formed compact JWS with a JWT claims set."""

    code = "malformedJwt"


class StatusListFull(InputError):
    """Every index of the status list has been allocated; start a new list."""

    code = "statusListFull"


class JsonLdProcessingError(InputError):
    """A document that JSON-LD processing rejects, or that exceeds our size/depth bounds."""

    code = "jsonLdError"


class ContextNotBundled(JsonLdProcessingError):
    """A ``@context`` URL that is not bundled; the offline loader never fetches it."""

    code = "contextNotBundled"


class JsonLdExtraMissing(JsonLdProcessingError):
    """PyLD is not installed: install anshim with the ``jsonld`` extra."""

    code = "jsonLdExtraMissing"


class CanonicalizationError(InputError):
    """A dataset that cannot be canonicalized (malformed terms or quads)."""

    code = "canonicalizationError"


class CanonicalizationLimitExceeded(CanonicalizationError):
    """A dataset that exceeds a work limit: treated as a poison dataset (RDFC-1.0 section 7.1)."""

    code = "canonicalizationLimitExceeded"


class ProofTransformationError(MalformedProof):
    """The document or proof could not be transformed (``PROOF_TRANSFORMATION_ERROR``).

    Raised while verifying when JSON-LD processing or canonicalization refuses the input (an
    unbundled context, a poison graph…); the original error is the ``__cause__`` and its code
    is in ``cause_code``.
    """

    code = "proofTransformationError"

    def __init__(self, message: str, *, code: str | None = None, cause_code: str = "") -> None:
        super().__init__(message, code=code)
        self.cause_code = cause_code


class JwtAlgorithmRefused(UnsupportedCryptosuite):
    """A JWS whose ``alg`` is not ``EdDSA`` or that declares ``crit`` extensions we refuse."""

    code = "unsupportedJwtAlgorithm"


class ProofNotYetValid(ProofError):
    """The proof's ``created`` lies further in the future than the allowed clock skew.

    Data Integrity 1.0 §5 (security considerations) warns that a proof dated in the future
    is suspect; verifiers allow only a small clock skew.
    """

    code = "proofNotYetValid"
