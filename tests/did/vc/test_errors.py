"""The VC error subtree is rooted where did/vc/errors.py's docstring says, and the
package exports exactly its public API."""

from __future__ import annotations

import did.vc
from did.errors import AnshimError, InputError, InvalidSignature, VerificationError
from did.vc import errors as e
from did.vc.presentation import ReplayStoreFull

TREE = {
    e.CredentialError: InputError,
    e.PresentationError: e.CredentialError,
    e.PolicyMisuse: InputError,
    e.ProofError: VerificationError,
    e.MalformedProof: e.ProofError,
    e.UnsupportedCryptosuite: e.ProofError,
    e.InvalidProofSignature: e.ProofError,
    e.ProofPurposeMismatch: e.ProofError,
    e.VerificationMethodError: e.ProofError,
    e.ContextMismatch: e.ProofError,
    e.ChallengeMismatch: e.ProofError,
    e.DomainMismatch: e.ProofError,
    e.ProofExpired: e.ProofError,
    e.IssuerMismatch: VerificationError,
    e.ValidityError: VerificationError,
    e.ExpiredCredential: e.ValidityError,
    e.NotYetValid: e.ValidityError,
    e.UntrustedIssuer: VerificationError,
    e.StatusError: VerificationError,
    e.RevokedCredential: e.StatusError,
    e.SuspendedCredential: e.StatusError,
    e.StatusCheckFailed: e.StatusError,
    e.HolderMismatch: VerificationError,
    e.ChallengeReused: VerificationError,
    ReplayStoreFull: e.ChallengeReused,
}


def test_tree_matches_docstring() -> None:
    for cls, parent in TREE.items():
        assert cls.__bases__[0] is parent, cls
        assert issubclass(cls, AnshimError)
        assert cls.__name__ in (e.__doc__ or "") or cls is ReplayStoreFull
    assert issubclass(e.InvalidProofSignature, InvalidSignature)
    assert issubclass(e.CredentialError, ValueError)


def test_codes_are_unique_and_stable() -> None:
    codes = [cls.code for cls in TREE]
    assert len(codes) == len(set(codes))
    assert e.RevokedCredential.code == "revokedCredential"
    assert e.SuspendedCredential.code == "suspendedCredential"


def test_every_error_class_is_exported() -> None:
    exported = {getattr(e, name) for name in e.__all__}
    assert {cls for cls in TREE if cls.__module__ == e.__name__} == exported


def test_package_all_is_sorted_and_resolves() -> None:
    assert did.vc.__all__ == sorted(did.vc.__all__)
    for name in did.vc.__all__:
        assert getattr(did.vc, name) is not None
