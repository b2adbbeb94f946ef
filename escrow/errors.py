"""Errors raised by :mod:`escrow`, rooted in the one tree of :mod:`did.errors`.

Every class carries its stable ``code`` (camelCase, unique across anshim): a caller that
needs to tell two failures apart catches two classes, never compares strings. Messages
never contain secret material (shares, plaintexts, passphrases).

::

    did.errors.AnshimError
    ├── did.errors.InputError (ValueError)
    │   ├── InvalidPoint                       not prime-order     (code invalidPoint)
    │   ├── InvalidScalar                      ≥ ℓ or zero         (code invalidScalar)
    │   ├── InvalidLabel                       malformed fields    (code invalidLabel)
    │   ├── InvalidQuorum                      not k custodians    (code invalidQuorum)
    │   ├── MalformedEnvelope                  bytes refused       (code malformedEnvelope)
    │   │   ├── EnvelopeWrongSize              not the fixed size  (code envelopeSize)
    │   │   ├── EnvelopeVersionUnsupported     not version 2       (code envelopeVersion)
    │   │   ├── EnvelopeKindUnknown            unknown label kind  (code envelopeKind)
    │   │   ├── EnvelopeWrongEpoch             another day's key   (code envelopeEpoch)
    │   │   ├── EnvelopeEpochUnknown           key not published   (code envelopeUnknownEpoch)
    │   │   ├── EnvelopeBadPoint               R refused           (code envelopePoint)
    │   │   └── EnvelopeBadScalar              z ≥ ℓ or zero       (code envelopeScalar)
    │   ├── CeremonyError                      files do not fit    (code ceremonyInvalid)
    │   ├── EpochUnavailable                   no share; shredded  (code epochUnavailable)
    │   └── did.errors.KeyFileError
    │       └── StoreError                     unreadable store    (code shareStoreInvalid)
    └── did.errors.VerificationError
        ├── EnvelopeProofFailed                proof fails         (code envelopeProof)
        ├── DecryptionFailed                   the AEAD refuses    (code decryptionFailed)
        ├── DealerMisbehaved                   names the dealer    (code dealerMisbehaved)
        ├── BadShare                           names the custodian (code badShare)
        ├── NotEnoughShares                    lists the bad ones  (code notEnoughShares)
        ├── WarrantError                       warrant refused     (code warrantInvalid)
        │   ├── WarrantExpired                 now ≥ expires       (code warrantExpired)
        │   ├── WarrantNotYetValid             now < issued        (code warrantNotYetValid)
        │   ├── WarrantQuorumMissing           < k approvals       (code warrantQuorum)
        │   ├── WarrantUnknownSigner           not a custodian     (code warrantUnknownSigner)
        │   ├── WarrantBadApproval             approval fails      (code warrantSignature)
        │   ├── WarrantMismatch                another warrant     (code warrantMismatch)
        │   └── WarrantScopeRefused            over the caps       (code warrantScope)
        ├── ScopeError                         outside the scope   (code outOfScope)
        └── AuditLogError                      log does not verify (code auditLogInvalid)
            ├── AuditLogBadSignature           not a custodian's   (code auditLogSignature)
            ├── AuditLogOrderBroken            entries moved       (code auditLogOrder)
            ├── AuditLogRootMismatch           head ≠ entries      (code auditLogRoot)
            └── AuditLogBadProof               proof fails         (code auditLogProof)

The dotted names are :mod:`did.errors`' classes, drawn where escrow's classes hang from them.
"""

from __future__ import annotations

from did.errors import InputError, KeyFileError, VerificationError

__all__ = [
    "AuditLogBadProof",
    "AuditLogBadSignature",
    "AuditLogError",
    "AuditLogOrderBroken",
    "AuditLogRootMismatch",
    "BadShare",
    "CeremonyError",
    "DealerMisbehaved",
    "DecryptionFailed",
    "EnvelopeBadPoint",
    "EnvelopeBadScalar",
    "EnvelopeEpochUnknown",
    "EnvelopeKindUnknown",
    "EnvelopeProofFailed",
    "EnvelopeVersionUnsupported",
    "EnvelopeWrongEpoch",
    "EnvelopeWrongSize",
    "EpochUnavailable",
    "InvalidLabel",
    "InvalidPoint",
    "InvalidQuorum",
    "InvalidScalar",
    "MalformedEnvelope",
    "NotEnoughShares",
    "ScopeError",
    "StoreError",
    "WarrantBadApproval",
    "WarrantError",
    "WarrantExpired",
    "WarrantMismatch",
    "WarrantNotYetValid",
    "WarrantQuorumMissing",
    "WarrantScopeRefused",
    "WarrantUnknownSigner",
]


class InvalidPoint(InputError):
    """A 32-byte string that is not a canonical point of the prime-order subgroup."""

    code = "invalidPoint"


class InvalidScalar(InputError):
    """A scalar that is not canonical (≥ ℓ), is zero, or has the wrong length."""

    code = "invalidScalar"


class InvalidLabel(InputError):
    """A label whose fields are malformed (not a DID, out of range, wrong type)."""

    code = "invalidLabel"


class InvalidQuorum(InputError):
    """An unsealing request's quorum that is not k distinct custodians of the epoch key."""

    code = "invalidQuorum"


class MalformedEnvelope(InputError):
    """An envelope whose bytes fail a structural check; each subclass names which one."""

    code = "malformedEnvelope"


class EnvelopeWrongSize(MalformedEnvelope):
    """An envelope that is not bytes of the fixed size (or of any size a pad allows)."""

    code = "envelopeSize"


class EnvelopeVersionUnsupported(MalformedEnvelope):
    """An envelope whose version byte is not 2 (version 1 had (c, z) proofs)."""

    code = "envelopeVersion"


class EnvelopeKindUnknown(MalformedEnvelope):
    """An envelope whose label kind is neither a visit (1) nor a trace seed (2)."""

    code = "envelopeKind"


class EnvelopeWrongEpoch(MalformedEnvelope):
    """An envelope sealed to another epoch than the visit's day."""

    code = "envelopeEpoch"


class EnvelopeEpochUnknown(MalformedEnvelope):
    """An envelope sealed to an epoch whose key is not published (or not active)."""

    code = "envelopeUnknownEpoch"


class EnvelopeBadPoint(MalformedEnvelope):
    """An envelope whose R is refused.

    At the venue: a non-canonical or small-order encoding (byte checks). At a custodian or
    in :meth:`escrow.Envelope.from_bytes`: anything but a point of the prime-order subgroup.
    """

    code = "envelopePoint"


class EnvelopeBadScalar(MalformedEnvelope):
    """An envelope whose proof scalar z is zero or not canonical (≥ ℓ)."""

    code = "envelopeScalar"


class CeremonyError(InputError):
    """Ceremony files that are malformed, mis-addressed or do not belong together."""

    code = "ceremonyInvalid"


class EpochUnavailable(InputError):
    """The store holds no share for the epoch: it was never made here, or it was shredded."""

    code = "epochUnavailable"


class StoreError(KeyFileError):
    """A custodian store that cannot be parsed or decrypted (wrong passphrase or tampering)."""

    code = "shareStoreInvalid"


class EnvelopeProofFailed(VerificationError):
    """An envelope's Schnorr proof of knowledge does not verify against (Y, R, label)."""

    code = "envelopeProof"


class DecryptionFailed(VerificationError):
    """The AEAD refused the ciphertext: wrong key, wrong label, or a tampered envelope."""

    code = "decryptionFailed"


class DealerMisbehaved(VerificationError):
    """A share dealt in the key ceremony fails its Feldman check (or its dealer's signature).

    ``dealer`` is the 1-based index of the dealer and ``dealer_did`` its DID.
    """

    code = "dealerMisbehaved"

    def __init__(self, message: str, *, dealer: int, dealer_did: str) -> None:
        super().__init__(message)
        self.dealer = dealer
        self.dealer_did = dealer_did


class BadShare(VerificationError):
    """A decryption share whose DLEQ proof fails; ``custodian`` is its 1-based index."""

    code = "badShare"

    def __init__(self, message: str, *, custodian: int, custodian_did: str) -> None:
        super().__init__(message)
        self.custodian = custodian
        self.custodian_did = custodian_did


class NotEnoughShares(VerificationError):
    """Fewer than ``threshold`` good shares; ``bad`` lists the custodians excluded."""

    code = "notEnoughShares"

    def __init__(self, message: str, *, bad: tuple[BadShare, ...] = ()) -> None:
        super().__init__(message)
        self.bad = bad


class WarrantError(VerificationError):
    """A warrant that is refused; each subclass names why."""

    code = "warrantInvalid"


class WarrantExpired(WarrantError):
    """The warrant's validity has ended: ``now`` is at or after its ``expires``."""

    code = "warrantExpired"


class WarrantNotYetValid(WarrantError):
    """The warrant is not valid yet: ``now`` is before its ``issued``."""

    code = "warrantNotYetValid"


class WarrantQuorumMissing(WarrantError):
    """Fewer than k custodians' approvals verify."""

    code = "warrantQuorum"


class WarrantUnknownSigner(WarrantError):
    """An approval by a DID that is not one of the epoch key's custodians."""

    code = "warrantUnknownSigner"


class WarrantBadApproval(WarrantError):
    """An approval whose signature does not verify, or a custodian that approved twice."""

    code = "warrantSignature"


class WarrantMismatch(WarrantError):
    """An unsealing request (or share batch) that cites another warrant."""

    code = "warrantMismatch"


class WarrantScopeRefused(WarrantError):
    """A scope that names a ``did:anshim:`` placeholder or is wider than the caps."""

    code = "warrantScope"


class ScopeError(VerificationError):
    """A record whose label fields fall outside the warrant's scope."""

    code = "outOfScope"


class AuditLogError(VerificationError):
    """An audit log, tree head or proof that does not verify; each subclass names why."""

    code = "auditLogInvalid"


class AuditLogBadSignature(AuditLogError):
    """An entry or tree head not signed by a custodian, or whose signature fails."""

    code = "auditLogSignature"


class AuditLogOrderBroken(AuditLogError):
    """A sequence number or previous root that does not follow: an entry removed,
    inserted or reordered."""

    code = "auditLogOrder"


class AuditLogRootMismatch(AuditLogError):
    """A tree head whose size, root or unsealed-records tree does not match the entries."""

    code = "auditLogRoot"


class AuditLogBadProof(AuditLogError):
    """An inclusion, non-inclusion or consistency proof that does not verify."""

    code = "auditLogProof"
