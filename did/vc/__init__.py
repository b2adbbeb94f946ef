"""Verifiable credentials: VC Data Model 2.0 with Data Integrity proofs, presentations,
trust policies and Bitstring Status Lists.

Quick start::

    from did.vc import ProofOptions, add_proof, verify_credential
    secured = add_proof(credential, issuer_key, ProofOptions(verification_method=vm))
    result = verify_credential(secured, now=now)          # raises on any failure
    result.credential.issuer

``eddsa-jcs-2022`` is the default suite; ``eddsa-rdfc-2022`` and ``Ed25519Signature2020``
(the ``jsonld`` extra) and VC-JWT (:mod:`did.vc.jwt`) plug in through the same entry points.
Presentations: :func:`create_presentation` / :func:`verify_presentation`; status lists:
:mod:`did.vc.status_list`; trust policies: :mod:`did.vc.policy`; errors:
:mod:`did.vc.errors`.
"""

from __future__ import annotations

from did.vc._suites import Cryptosuite, ProofOptions, get_suite, register_suite
from did.vc.credential import Credential, Presentation
from did.vc.data_integrity import add_proof, verify_proofs
from did.vc.policy import AllOf, AnyOf, TrustedIssuers, TrustPolicy, UnsafeNoOp
from did.vc.presentation import InMemoryReplayStore, ReplayStore, create_presentation
from did.vc.status_list import StatusList, StatusListChecker
from did.vc.verify import (
    VerifiedCredential,
    VerifiedPresentation,
    verify_credential,
    verify_presentation,
)

__all__ = [
    "AllOf",
    "AnyOf",
    "Credential",
    "Cryptosuite",
    "InMemoryReplayStore",
    "Presentation",
    "ProofOptions",
    "ReplayStore",
    "StatusList",
    "StatusListChecker",
    "TrustPolicy",
    "TrustedIssuers",
    "UnsafeNoOp",
    "VerifiedCredential",
    "VerifiedPresentation",
    "add_proof",
    "create_presentation",
    "get_suite",
    "register_suite",
    "verify_credential",
    "verify_presentation",
    "verify_proofs",
]
