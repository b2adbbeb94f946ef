"""Errors raised by :mod:`escrow`, rooted in the one tree of :mod:`did.errors`.

Every class has a stable ``code``; some errors set a more specific code per failure (for
example the venue's structural envelope check, DESIGN.md "Validation at the venue" step 4).
Messages never contain secret material (shares, plaintexts, passphrases).

::

    did.errors.InputError (ValueError)
    ├── InvalidPoint       not a valid prime-order point           (invalidPoint)
    ├── InvalidScalar      a non-canonical or zero scalar          (invalidScalar)
    ├── InvalidLabel       a label with malformed fields           (invalidLabel)
    ├── EnvelopeError      the venue's structural check failed     (envelopeSize, envelopeEpoch…)
    ├── CeremonyError      ceremony files that do not fit together (ceremonyInvalid)
    ├── StoreError         an unreadable share store               (invalidKeyFile; a KeyFileError)
    └── EpochUnavailable   no share for that epoch (or shredded)   (epochUnavailable)
    did.errors.VerificationError
    ├── ProofError         an envelope's proof of knowledge fails  (envelopeProof)
    ├── DecryptionFailed   the AEAD refuses                        (decryptionFailed)
    ├── DealerMisbehaved   a dealt share fails Feldman; names dealer   (dealerMisbehaved)
    ├── BadShare           a share fails its DLEQ; names custodian (badShare)
    ├── NotEnoughShares    fewer than k good shares; lists the bad (notEnoughShares)
    ├── WarrantError       expired, too few approvals, non-custodian (warrant*)
    ├── ScopeError         a record outside the warrant's scope    (outOfScope)
    └── AuditLogError      a removed, reordered or altered entry   (auditLog*)
"""

from __future__ import annotations

from did.errors import InputError, KeyFileError, VerificationError

__all__ = [
    "AuditLogError",
    "BadShare",
    "CeremonyError",
    "DealerMisbehaved",
    "DecryptionFailed",
    "EnvelopeError",
    "EpochUnavailable",
    "InvalidLabel",
    "InvalidPoint",
    "InvalidScalar",
    "NotEnoughShares",
    "ProofError",
    "ScopeError",
    "StoreError",
    "WarrantError",
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


class EnvelopeError(InputError):
    """An envelope that fails the structural check.

    Stable codes: ``envelopeSize``, ``envelopeVersion``, ``envelopeKind``, ``envelopeEpoch``,
    ``envelopeUnknownEpoch``, ``envelopePoint``, ``envelopeScalar``.
    """

    code = "envelopeInvalid"


class CeremonyError(InputError):
    """Ceremony files that are malformed, mis-addressed or do not belong together."""

    code = "ceremonyInvalid"


class StoreError(KeyFileError):
    """A custodian store that cannot be parsed or decrypted (wrong passphrase or tampering)."""


class EpochUnavailable(InputError):
    """The store holds no share for the epoch: it was never made here, or it was shredded."""

    code = "epochUnavailable"


class ProofError(VerificationError):
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
    """A warrant that is refused.

    Stable codes: ``warrantExpired``, ``warrantQuorum``, ``warrantUnknownSigner``,
    ``warrantSignature``, ``warrantMismatch``, ``warrantScope`` (a scope that names a
    ``did:anshim:`` placeholder or is wider than the caps of :mod:`escrow._warrant`).
    """

    code = "warrantInvalid"


class ScopeError(VerificationError):
    """A record whose label fields fall outside the warrant's scope."""

    code = "outOfScope"


class AuditLogError(VerificationError):
    """An audit log, tree head or proof that does not verify.

    Stable codes: ``auditLogEntry``, ``auditLogOrder``, ``auditLogRoot``, ``auditLogSignature``,
    ``auditLogProof``.
    """

    code = "auditLogInvalid"
