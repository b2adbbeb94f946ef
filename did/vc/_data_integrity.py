"""Data Integrity 1.0: add a proof, verify every proof, proof sets and chains.

This module is generic: the cryptography is in the registered suites
(:mod:`did.vc._suites`), so ``eddsa-jcs-2022`` (default), ``eddsa-rdfc-2022`` and
``Ed25519Signature2020`` all work here once their modules are importable.

Quick start::

    from did.vc import ProofOptions, add_proof, verify_proofs
    secured = add_proof(credential, key, ProofOptions(verification_method=vm))
    verify_proofs(secured, resolver=Resolver(), expected_purpose="assertionMethod", now=now)

:func:`verify_proofs` raises a :class:`~did.vc.errors.ProofError` subclass on the first
proof that fails; a document with several proofs (a proof set, Data Integrity 1.0
``#proof-sets``) is accepted only when every proof verifies.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from did import Ed25519PrivateKey, Ed25519PublicKey, MethodNotAuthorized, Resolver
from did.errors import AnshimError, InputError, TransportError
from did.vc._suites import Cryptosuite, ProofOptions, get_suite, parse_datetime
from did.vc.errors import (
    ChallengeMismatch,
    CredentialError,
    DomainMismatch,
    MalformedProof,
    ProofExpired,
    ProofNotYetValid,
    ProofPurposeMismatch,
    VerificationMethodError,
)

__all__ = [
    "MAX_CLOCK_SKEW",
    "SUITE_NAMES",
    "KeyResolver",
    "add_proof",
    "resolve_suite",
    "verify_proofs",
]

# Short names for the command line and configuration files.
SUITE_NAMES: Mapping[str, tuple[str, str | None]] = {
    "eddsa-jcs-2022": ("DataIntegrityProof", "eddsa-jcs-2022"),
    "eddsa-rdfc-2022": ("DataIntegrityProof", "eddsa-rdfc-2022"),
    "Ed25519Signature2020": ("Ed25519Signature2020", None),
    "Ed25519Signature2018": ("Ed25519Signature2018", None),
}
#: How far in the future a proof's ``created`` may lie (the verifier's and the issuer's
#: clocks disagree a little); beyond it the proof is refused.
MAX_CLOCK_SKEW = _dt.timedelta(minutes=5)
_MAX_PROOFS = 16
_MAX_STRING = 2048


class KeyResolver(Protocol):
    """What verification needs from a resolver (:class:`did.Resolver` fits)."""

    def verification_key(
        self, did_url: str, *, relationship: str = "assertionMethod"
    ) -> Ed25519PublicKey:
        """The Ed25519 key ``did_url`` names, authorized for ``relationship``; raises if not."""
        ...


_DEFAULT_RESOLVER = Resolver()


def resolve_suite(suite: Cryptosuite | str) -> Cryptosuite:
    """A suite object from itself or from a name in :data:`SUITE_NAMES`.

    Raises :class:`~did.vc.errors.UnsupportedCryptosuite` for an unknown name or a suite
    whose optional dependencies are missing.
    """
    if isinstance(suite, str):
        proof_type, cryptosuite = SUITE_NAMES.get(suite, (suite, None))
        return get_suite(proof_type, cryptosuite)
    return suite


def add_proof(
    document: Mapping[str, Any],
    key: Ed25519PrivateKey,
    options: ProofOptions,
    *,
    suite: Cryptosuite | str = "eddsa-jcs-2022",
) -> dict[str, Any]:
    """A secured copy of ``document`` with one more proof (Data Integrity 1.0 ``#add-proof``).

    A document that already has proofs gets a proof set (``#add-proof-set-chain``): the new
    proof signs the document without any existing proof, and ``proof`` becomes a list.
    ``document`` itself is not modified.

    Raises :class:`~did.vc.errors.CredentialError` for a document that is not a JSON
    object or has no canonical form, :class:`~did.vc.errors.UnsupportedCryptosuite`, and
    :class:`~did.errors.InvalidKey` for a key that is not Ed25519.
    """
    if not isinstance(document, Mapping):
        raise CredentialError("the document must be a JSON object")
    impl = resolve_suite(suite)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof = impl.create_proof(unsecured, key, options)
    secured = dict(document)
    if "proof" in document:
        existing = document["proof"]
        existing_list = list(existing) if isinstance(existing, list) else [existing]
        secured["proof"] = [*existing_list, proof]
    else:
        secured["proof"] = proof
    return secured


def _proof_list(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    if "proof" not in document:
        raise MalformedProof("the document has no proof")
    raw = document["proof"]
    proofs = raw if isinstance(raw, list) else [raw]
    if not proofs:
        raise MalformedProof("the document's proof set is empty")
    if len(proofs) > _MAX_PROOFS:
        raise MalformedProof("the document has too many proofs")
    for proof in proofs:
        if not isinstance(proof, dict):
            raise MalformedProof("each proof must be a JSON object")
    return proofs


def _string(proof: Mapping[str, Any], name: str) -> str:
    value = proof.get(name)
    if not isinstance(value, str) or not value or len(value) > _MAX_STRING:
        raise MalformedProof(f"proof {name} must be a non-empty string")
    return value


def _check_proof_options(
    proof: Mapping[str, Any],
    *,
    expected_purpose: str,
    challenge: str | None,
    domain: str | None,
    now: _dt.datetime,
    max_clock_skew: _dt.timedelta,
) -> None:
    """The suite-independent checks of Data Integrity 1.0 ``#verify-proof``."""
    _string(proof, "type")
    _string(proof, "verificationMethod")
    purpose = _string(proof, "proofPurpose")
    try:
        created = parse_datetime(proof["created"], "proof created") if "created" in proof else None
        expires = parse_datetime(proof["expires"], "proof expires") if "expires" in proof else None
    except CredentialError as exc:
        raise MalformedProof(exc.message) from None
    if created is not None and created > now + max_clock_skew:
        # Data Integrity 1.0 §5 (security considerations): a proof dated in the future is
        # refused beyond the allowed clock skew, or a key stolen today could sign proofs that
        # look made later (after a rotation or revocation that should have stopped it).
        raise ProofNotYetValid("the proof is dated in the future (created)")
    if purpose != expected_purpose:
        # #verify-proof step 4: the proof purpose must be the one the verifier expects.
        raise ProofPurposeMismatch(f"proofPurpose is {purpose!r:.64}, expected {expected_purpose}")
    if expires is not None and now >= expires:
        raise ProofExpired("the proof has expired")
    if challenge is not None and proof.get("challenge") != challenge:
        # #verify-proof step 7: INVALID_CHALLENGE_ERROR.
        raise ChallengeMismatch("the proof does not answer the expected challenge")
    if domain is not None:
        # #verify-proof step 6: the expected domain equals, or is one of, proof.domain.
        got = proof.get("domain")
        if not (got == domain or (isinstance(got, list) and domain in got)):
            raise DomainMismatch("the proof is not for the expected domain")


def _resolve_key(resolver: KeyResolver, proof: Mapping[str, Any]) -> Ed25519PublicKey:
    vm = proof["verificationMethod"]
    try:
        key = resolver.verification_key(vm, relationship=proof["proofPurpose"])
    except MethodNotAuthorized as exc:
        raise ProofPurposeMismatch(
            f"the verification method is not authorized for {proof['proofPurpose']!r:.64}"
        ) from exc
    except TransportError:
        raise  # the network failed: not a verdict on the credential
    except AnshimError as exc:
        raise VerificationMethodError(f"cannot use the verification method: {exc.message}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise VerificationMethodError("the verification method is not an Ed25519 key")
    return key


def _previous_proofs(proof: Mapping[str, Any], proofs: Sequence[Mapping[str, Any]]) -> Any:
    # Data Integrity 1.0 #verify-proof-sets-and-chains: a proof with previousProof signs the
    # document together with the proofs it names, which must be in the set.
    previous = proof["previousProof"]
    wanted = previous if isinstance(previous, list) else [previous]
    if not wanted or not all(isinstance(w, str) for w in wanted):
        raise MalformedProof("previousProof must be a proof id or a list of them")
    by_id = {p.get("id"): p for p in proofs if isinstance(p.get("id"), str)}
    missing = [w for w in wanted if w not in by_id]
    if missing:
        raise MalformedProof("previousProof names a proof that is not in the set")
    matching = [by_id[w] for w in wanted]
    return matching[0] if len(matching) == 1 and not isinstance(previous, list) else matching


def verify_proofs(
    document: Mapping[str, Any],
    *,
    resolver: KeyResolver | None = None,
    expected_purpose: str = "assertionMethod",
    now: _dt.datetime | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    max_clock_skew: _dt.timedelta = MAX_CLOCK_SKEW,
) -> list[dict[str, Any]]:
    """Verify every proof on ``document`` (Data Integrity 1.0 ``#verify-proof``).

    Each proof's ``verificationMethod`` is resolved with ``resolver`` (default: a
    :class:`did.Resolver` without transport, so did:key only) under the proof's
    purpose, which must equal ``expected_purpose``. ``challenge`` and ``domain``, when given,
    must match. ``now`` (default: the current UTC time) is compared with ``expires``, and
    a proof ``created`` later than ``now + max_clock_skew`` is refused.
    Returns the verified proofs, in document order.

    Raises :class:`~did.vc.errors.MalformedProof`,
    :class:`~did.vc.errors.UnsupportedCryptosuite`,
    :class:`~did.vc.errors.ProofPurposeMismatch`, :class:`~did.vc.errors.ProofExpired`,
    :class:`~did.vc.errors.ProofNotYetValid`,
    :class:`~did.vc.errors.ChallengeMismatch`, :class:`~did.vc.errors.DomainMismatch`,
    :class:`~did.vc.errors.VerificationMethodError`,
    :class:`~did.vc.errors.InvalidProofSignature` or
    :class:`~did.vc.errors.ContextMismatch` from the suite,
    :class:`~did.vc.errors.CredentialError` for a document that is not a JSON object or has
    no canonical form, and :class:`~did.errors.TransportError` when a did:web could not be
    fetched.
    """
    if not isinstance(document, Mapping):
        raise CredentialError("the document must be a JSON object")
    when = now if now is not None else _dt.datetime.now(_dt.UTC)
    if when.tzinfo is None:
        raise InputError("now must be a timezone-aware datetime")
    if not isinstance(max_clock_skew, _dt.timedelta) or max_clock_skew < _dt.timedelta(0):
        raise InputError("max_clock_skew must be a non-negative timedelta")
    keys = resolver if resolver is not None else _DEFAULT_RESOLVER
    proofs = _proof_list(document)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    for proof in proofs:
        _check_proof_options(
            proof,
            expected_purpose=expected_purpose,
            challenge=challenge,
            domain=domain,
            now=when,
            max_clock_skew=max_clock_skew,
        )
        suite = get_suite(proof["type"], proof.get("cryptosuite"))
        public_key = _resolve_key(keys, proof)
        if "previousProof" in proof:
            signed_over = dict(unsecured, proof=_previous_proofs(proof, proofs))
        else:
            signed_over = unsecured
        suite.verify_proof(signed_over, proof, public_key)
    return proofs
