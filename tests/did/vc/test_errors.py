"""The VC error subtree is rooted where did/vc/errors.py's docstring says, and the
package exports exactly its public API."""

from __future__ import annotations

import types

import did.vc
from did.errors import AnshimError, InputError, InvalidSignature, VerificationError
from did.vc import errors as e

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
    e.MalformedJwt: e.CredentialError,
    e.StatusListFull: InputError,
    e.JsonLdProcessingError: InputError,
    e.ContextNotBundled: e.JsonLdProcessingError,
    e.JsonLdExtraMissing: e.JsonLdProcessingError,
    e.CanonicalizationError: InputError,
    e.CanonicalizationLimitExceeded: e.CanonicalizationError,
    e.ProofTransformationError: e.MalformedProof,
    e.JwtAlgorithmRefused: e.UnsupportedCryptosuite,
    e.ProofNotYetValid: e.ProofError,
}


def test_tree_matches_docstring() -> None:
    for cls, parent in TREE.items():
        assert cls.__bases__[0] is parent, cls
        assert issubclass(cls, AnshimError)
        assert cls.__name__ in (e.__doc__ or "")
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


def _ruff_order(name: str) -> tuple[int, str]:
    # RUF022's isort-style order: CONSTANTS, then Classes, then functions.
    if name.isupper():
        return (0, name)
    return (1 if name[0].isupper() else 2, name)


def test_package_all_is_sorted_and_is_the_public_api() -> None:
    assert did.vc.__all__ == sorted(did.vc.__all__, key=_ruff_order)
    public = {
        name
        for name, value in vars(did.vc).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert set(did.vc.__all__) == public
