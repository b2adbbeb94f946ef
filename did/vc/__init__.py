"""Verifiable credentials: VC Data Model 2.0 with Data Integrity proofs.

Quick start::

    from did.vc import ProofOptions, get_suite
    suite = get_suite("DataIntegrityProof", "eddsa-jcs-2022")
    proof = suite.create_proof(credential, issuer_key, ProofOptions(verification_method=vm))

Errors live in :mod:`did.vc.errors`; proof formats plug in through :func:`register_suite`.
"""

from __future__ import annotations

from did.vc._suites import Cryptosuite, ProofOptions, get_suite, register_suite

__all__ = [
    "Cryptosuite",
    "ProofOptions",
    "get_suite",
    "register_suite",
]
