"""Verifiable credentials: VC Data Model 2.0 with Data Integrity proofs, presentations,
VC-JWT, trust policies and Bitstring Status Lists.

Quick start::

    from did.vc import ProofOptions, add_proof, verify_credential
    secured = add_proof(credential, issuer_key, ProofOptions(verification_method=vm))
    result = verify_credential(secured, now=now)          # raises on any failure
    result.credential.issuer

``eddsa-jcs-2022`` (:class:`EddsaJcs2022`) is the default suite. ``eddsa-rdfc-2022``
(:class:`EddsaRdfc2022`) and the legacy ``Ed25519Signature2020`` and
``Ed25519Signature2018`` (the defaults of DIDKit, ACA-Py and Veramo) need the ``jsonld``
extra; VC-JWT (:func:`issue_jwt_vc`, :func:`verify_jwt_vc`) needs nothing more. They all
go through the same entry points: :func:`add_proof`, :func:`verify_proofs`,
:func:`verify_credential`, :func:`create_presentation` and :func:`verify_presentation`
(which claims challenges in the core :class:`did.ReplayStore`). Status lists:
:class:`StatusList`, :class:`StatusListChecker`; trust policies: :class:`TrustedIssuers`,
:class:`AllOf`, :class:`AnyOf`, :class:`UnsafeNoOp`; errors: :mod:`did.vc.errors`.
"""

from __future__ import annotations

from did.vc._credential import (
    MAX_CREDENTIAL_BYTES,
    VC_V1_CONTEXT,
    VC_V2_CONTEXT,
    Credential,
    Presentation,
    load_json,
)
from did.vc._data_integrity import (
    MAX_CLOCK_SKEW,
    SUITE_NAMES,
    KeyResolver,
    add_proof,
    verify_proofs,
)
from did.vc._ed25519_signature_2018 import Ed25519Signature2018
from did.vc._ed25519_signature_2020 import ED25519_2020_CONTEXT, Ed25519Signature2020
from did.vc._eddsa_jcs_2022 import EddsaJcs2022
from did.vc._eddsa_rdfc_2022 import EddsaRdfc2022
from did.vc._jsonld import OfflineDocumentLoader
from did.vc._jwt import MAX_JWT_CHARS, issue_jwt_vc, issue_jwt_vp, verify_jwt_vc, verify_jwt_vp
from did.vc._policy import AllOf, AnyOf, TrustedIssuers, TrustPolicy, UnsafeNoOp
from did.vc._presentation import MAX_CHALLENGE_CHARS, create_presentation
from did.vc._rdfc import RdfcLimits
from did.vc._status_list import STATUS_LIST_MIN_ENTRIES, StatusList, StatusListChecker
from did.vc._suites import (
    Cryptosuite,
    ProofOptions,
    format_datetime,
    get_suite,
    parse_datetime,
    register_suite,
)
from did.vc._verify import (
    DEFAULT_CHALLENGE_TTL,
    StatusChecker,
    VerifiedCredential,
    VerifiedPresentation,
    check_validity,
    verify_credential,
    verify_presentation,
)

__all__ = [
    "DEFAULT_CHALLENGE_TTL",
    "ED25519_2020_CONTEXT",
    "MAX_CHALLENGE_CHARS",
    "MAX_CLOCK_SKEW",
    "MAX_CREDENTIAL_BYTES",
    "MAX_JWT_CHARS",
    "STATUS_LIST_MIN_ENTRIES",
    "SUITE_NAMES",
    "VC_V1_CONTEXT",
    "VC_V2_CONTEXT",
    "AllOf",
    "AnyOf",
    "Credential",
    "Cryptosuite",
    "Ed25519Signature2018",
    "Ed25519Signature2020",
    "EddsaJcs2022",
    "EddsaRdfc2022",
    "KeyResolver",
    "OfflineDocumentLoader",
    "Presentation",
    "ProofOptions",
    "RdfcLimits",
    "StatusChecker",
    "StatusList",
    "StatusListChecker",
    "TrustPolicy",
    "TrustedIssuers",
    "UnsafeNoOp",
    "VerifiedCredential",
    "VerifiedPresentation",
    "add_proof",
    "check_validity",
    "create_presentation",
    "format_datetime",
    "get_suite",
    "issue_jwt_vc",
    "issue_jwt_vp",
    "load_json",
    "parse_datetime",
    "register_suite",
    "verify_credential",
    "verify_jwt_vc",
    "verify_jwt_vp",
    "verify_presentation",
    "verify_proofs",
]
