"""The verifiable-credential error subtree, rooted in :mod:`did.errors`.

Every class has a stable ``code`` (used in CLI JSON output and HTTP problem details).
Malformed input derives from :class:`~did.errors.InputError` (and so from ``ValueError``);
a check that fails on well-formed input derives from
:class:`~did.errors.VerificationError`. Messages never contain key material.

::

    AnshimError
    ├── InputError (ValueError)
    │   ├── CredentialError                 malformed credential or presentation
    │   │   └── PresentationError           malformed presentation
    │   └── PolicyMisuse                    an empty or meaningless trust policy
    └── VerificationError
        ├── ProofError                      a proof does not verify
        │   ├── MalformedProof              a proof object that breaks Data Integrity
        │   ├── UnsupportedCryptosuite      a proof type / cryptosuite we do not know
        │   ├── InvalidProofSignature       the signature does not verify (also InvalidSignature)
        │   ├── ProofPurposeMismatch        wrong proofPurpose, or key not authorized for it
        │   ├── VerificationMethodError     the verification method cannot be resolved
        │   ├── ContextMismatch             the proof's @context differs from the document's
        │   ├── ChallengeMismatch           the proof's challenge is not the expected one
        │   ├── DomainMismatch              the proof's domain is not the expected one
        │   └── ProofExpired                the proof's ``expires`` has passed
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

:mod:`did.vc.policy` refuses an empty policy with :class:`PolicyMisuse`: building one is a
programming mistake, not a failed check. The ``code`` of each class is its stable identifier.
"""

from __future__ import annotations

from did.errors import InputError, InvalidSignature, VerificationError

__all__ = [
    "ChallengeMismatch",
    "ChallengeReused",
    "ContextMismatch",
    "CredentialError",
    "DomainMismatch",
    "ExpiredCredential",
    "HolderMismatch",
    "InvalidProofSignature",
    "IssuerMismatch",
    "MalformedProof",
    "NotYetValid",
    "PolicyMisuse",
    "PresentationError",
    "ProofError",
    "ProofExpired",
    "ProofPurposeMismatch",
    "RevokedCredential",
    "StatusCheckFailed",
    "StatusError",
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
