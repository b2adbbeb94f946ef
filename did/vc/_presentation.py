"""Verifiable presentations: creation and holder binding.

Verification is in :func:`did.vc.verify_presentation`, which verifies the presentation
proof (purpose ``authentication``, the verifier's challenge and domain), every embedded
credential, holder binding, and — given the core :class:`did.ReplayStore` — refuses a
challenge answered before.

Quick start::

    from did.vc import create_presentation
    vp = create_presentation([secured_vc], holder_key=sk, holder=did,
                             challenge=nonce, domain="did:web:venue.example")
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from did import Ed25519PrivateKey, did_from_public_key, verification_method_id
from did.errors import InputError
from did.vc._credential import VC_V2_CONTEXT
from did.vc._data_integrity import add_proof
from did.vc._suites import Cryptosuite, ProofOptions
from did.vc.errors import CredentialError, HolderMismatch

__all__ = [
    "MAX_CHALLENGE_CHARS",
    "check_holder_binding",
    "create_presentation",
]

#: The longest challenge a presentation may answer (characters).
MAX_CHALLENGE_CHARS = 512
# A string in verifiableCredential must be an enveloped credential, here a compact JWS (RFC
# 7515 section 7.1: three base64url segments); anything else is not a credential at all.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\Z")


def check_holder_binding(
    holder: str | None, proof_methods: Iterable[str], subjects: Iterable[str] | None
) -> None:
    """The holder signed the presentation and is the subject of each credential.

    ``proof_methods`` are the verification methods of the presentation's proofs;
    ``subjects`` the subject ids of one embedded credential (``None``: only check who
    signed).

    Raises :class:`~did.vc.errors.HolderMismatch` when the presentation has no holder, a
    proof is not made by the holder's DID, or the credential has no subject that is the
    holder.
    """
    if holder is None:
        raise HolderMismatch("the presentation names no holder")
    for method in proof_methods:
        if method.split("#", 1)[0] != holder:
            raise HolderMismatch("the presentation is not signed by its holder")
    if subjects is not None and holder not in set(subjects):
        raise HolderMismatch("a credential's subject is not the presentation's holder")


def create_presentation(
    credentials: Iterable[Mapping[str, Any] | str],
    *,
    holder_key: Ed25519PrivateKey,
    challenge: str,
    holder: str | None = None,
    verification_method: str | None = None,
    domain: str | None = None,
    presentation_id: str | None = None,
    created: str | None = None,
    suite: Cryptosuite | str = "eddsa-jcs-2022",
) -> dict[str, Any]:
    """A VC 2.0 presentation of ``credentials`` signed for ``authentication``.

    ``holder`` defaults to the did:key of ``holder_key`` and ``verification_method`` to
    its key id. Credentials are embedded as given (objects, or compact VC-JWT strings).

    Raises :class:`~did.errors.InputError` for an empty challenge,
    :class:`~did.vc.errors.CredentialError` for an entry that is neither an object nor a
    compact VC-JWT (so nothing else is ever signed into a presentation), and every error of
    :func:`did.vc.add_proof`.
    """
    if not isinstance(challenge, str) or not 0 < len(challenge) <= MAX_CHALLENGE_CHARS:
        raise InputError("a presentation needs a non-empty challenge from the verifier")
    own_did = did_from_public_key(holder_key.public_key)
    holder_did = holder if holder is not None else own_did
    method = verification_method or verification_method_id(own_did)
    document: dict[str, Any] = {"@context": [VC_V2_CONTEXT], "type": ["VerifiablePresentation"]}
    if presentation_id is not None:
        document["id"] = presentation_id
    document["holder"] = holder_did
    embedded: list[dict[str, Any] | str] = []
    for credential in credentials:
        if isinstance(credential, Mapping):
            embedded.append(dict(credential))
        elif isinstance(credential, str) and _COMPACT_JWS.match(credential):
            embedded.append(credential)
        else:
            raise CredentialError("a presented credential must be an object or a compact VC-JWT")
    if embedded:
        document["verifiableCredential"] = embedded
    options = ProofOptions(
        verification_method=method,
        proof_purpose="authentication",
        created=created,
        challenge=challenge,
        domain=domain,
    )
    return add_proof(document, holder_key, options, suite=suite)
