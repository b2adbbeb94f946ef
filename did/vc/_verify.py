"""One entry point to verify a credential or a presentation, whatever its format.

A JSON object with ``proof`` is verified through Data Integrity (any registered suite); a
compact JWT string through :mod:`did.vc._jwt` (VC-JWT, EdDSA). Then the same checks apply
to every format, in this order: issuer binding, validity period (``now``), status list,
trust policy.

Quick start::

    from did.vc import verify_credential, verify_presentation
    result = verify_credential(data, resolver=resolver, now=now, policy=policy, status=checker)
    result.credential.issuer

Verification raises; it never returns a bool. Malformed input raises
:class:`~did.vc.errors.CredentialError` (a ``ValueError``); a failed check raises a
:class:`~did.errors.VerificationError` subclass from :mod:`did.vc.errors`.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from did import ReplayStore, Resolver
from did.errors import InputError
from did.vc._credential import Credential, Presentation, load_json
from did.vc._data_integrity import MAX_CLOCK_SKEW, KeyResolver, verify_proofs
from did.vc._policy import TrustPolicy
from did.vc._presentation import MAX_CHALLENGE_CHARS, check_holder_binding
from did.vc._suites import parse_datetime
from did.vc.errors import (
    ChallengeReused,
    CredentialError,
    ExpiredCredential,
    IssuerMismatch,
    NotYetValid,
    StatusCheckFailed,
    UnsupportedCryptosuite,
)

__all__ = [
    "StatusChecker",
    "VerifiedCredential",
    "VerifiedPresentation",
    "check_validity",
    "verify_credential",
    "verify_presentation",
]

_log = logging.getLogger(__name__)
_JWT_RE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\Z")
_MAX_JWT_CHARS = 512 * 1024
_DEFAULT_RESOLVER = Resolver()
#: How long a presentation's challenge stays claimed when no proof ``expires`` sooner. It
#: must outlive the verifier's own validity window for the challenges it hands out.
DEFAULT_CHALLENGE_TTL = _dt.timedelta(minutes=10)
# Replay-store keys for presentation challenges carry this prefix, so that they never meet the
# kiosk nonces or check-in digests that share one store (did.ReplayStore).
_CHALLENGE_KEY_PREFIX = b"did.vc/presentation-challenge\x00"


class StatusChecker(Protocol):
    """Checks a credential's ``credentialStatus`` (see :mod:`did.vc._status_list`)."""

    def check(self, credential: Credential, *, now: _dt.datetime) -> None:
        """Raise a :class:`~did.vc.errors.StatusError` subclass if the status is not good."""
        ...


@dataclass(frozen=True)
class VerifiedCredential:
    """A credential that passed every check; ``format`` names how it was secured."""

    credential: Credential
    format: str
    proofs: tuple[Mapping[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON summary (for the CLI and HTTP answers); contains no secrets."""
        cred = self.credential
        return {
            "verified": True,
            "format": self.format,
            "id": cred.id,
            "issuer": cred.issuer,
            "type": list(cred.types),
            "validFrom": _fmt(cred.valid_from),
            "validUntil": _fmt(cred.valid_until),
            "subjects": list(cred.subject_ids),
            "verificationMethods": [p.get("verificationMethod") for p in self.proofs],
        }


@dataclass(frozen=True)
class VerifiedPresentation:
    """A presentation whose proof and every embedded credential verified."""

    presentation: Presentation
    credentials: tuple[VerifiedCredential, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON summary (for the CLI and HTTP answers)."""
        return {
            "verified": True,
            "holder": self.presentation.holder,
            "credentials": [c.to_json() for c in self.credentials],
        }


def _fmt(moment: _dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _aware(now: _dt.datetime | None) -> _dt.datetime:
    when = now if now is not None else _dt.datetime.now(_dt.UTC)
    if not isinstance(when, _dt.datetime) or when.tzinfo is None:
        raise InputError("now must be a timezone-aware datetime")
    return when


def check_validity(credential: Credential, *, now: _dt.datetime) -> None:
    """The validity period (VC Data Model 2.0 §4.9; 1.1 §4.6–4.7) contains ``now``.

    Raises :class:`~did.vc.errors.NotYetValid` before ``validFrom`` and
    :class:`~did.vc.errors.ExpiredCredential` at or after ``validUntil``.
    """
    when = _aware(now)
    if credential.valid_from is not None and when < credential.valid_from:
        raise NotYetValid("the credential is not valid yet")
    if credential.valid_until is not None and when >= credential.valid_until:
        raise ExpiredCredential("the credential has expired")


def _classify(data: object) -> dict[str, Any] | str:
    """A JSON object (parsed) or a compact JWT string."""
    if isinstance(data, Credential | Presentation):
        return data.document
    if isinstance(data, dict):
        return data
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise CredentialError("input is not UTF-8") from None
    if not isinstance(data, str):
        raise CredentialError("a credential is a JSON object or a compact JWT")
    text = data.strip()
    if text.startswith("{"):
        return load_json(text)
    if len(text) <= _MAX_JWT_CHARS and _JWT_RE.match(text):
        return text
    raise CredentialError("input is neither a JSON object nor a compact JWT")


def _verify_jwt(token: str, resolver: KeyResolver, now: _dt.datetime) -> Credential:
    try:
        jwt = importlib.import_module("did.vc._jwt")
    except ImportError:
        raise UnsupportedCryptosuite("VC-JWT support (did.vc._jwt) is not installed") from None
    document = jwt.verify_jwt_vc(token, resolver=resolver, now=now)
    return Credential.from_dict(document)


def _check_issuer_binding(credential: Credential, methods: list[str]) -> None:
    # The issuer must control a key that signed the credential: a verification method URL
    # is "<DID>#<fragment>", and its DID must be the issuer's.
    if not any(m.split("#", 1)[0] == credential.issuer for m in methods):
        raise IssuerMismatch("no proof on the credential was made by its issuer")


def _claim_challenge(
    store: ReplayStore,
    challenge: str,
    proofs: list[dict[str, Any]],
    now: _dt.datetime,
    ttl: _dt.timedelta,
) -> None:
    """Claim ``challenge`` in the core replay store for as long as it could be answered."""
    # The presentation is refused once any of its proofs has expired, so the claim need not
    # outlive the earliest ``expires``; without one it lasts ``ttl``.
    until = now + ttl
    for proof in proofs:
        if "expires" in proof:
            until = min(until, parse_datetime(proof["expires"], "proof expires"))
    key = _CHALLENGE_KEY_PREFIX + challenge.encode("utf-8")
    # Round up: a claim must never end before the moment it protects.
    end = math.ceil(until.timestamp())
    if not store.claim(key, until=end, now=int(now.timestamp())):
        raise ChallengeReused("this challenge has already been answered")


def verify_credential(
    data: object,
    *,
    resolver: KeyResolver | None = None,
    now: _dt.datetime | None = None,
    policy: TrustPolicy | None = None,
    status: StatusChecker | None = None,
    unsafe_skip_status: bool = False,
    unsafe_skip_issuer_binding: bool = False,
    max_clock_skew: _dt.timedelta = MAX_CLOCK_SKEW,
) -> VerifiedCredential:
    """Verify a secured credential: a JSON object with ``proof``, or a compact VC-JWT.

    ``data`` may be a dict, JSON text/bytes, a :class:`~did.vc.Credential`, or a JWT
    string. ``resolver`` resolves verification methods (default: did:key only). ``now``
    (default: the current UTC time) is checked against the validity period and proof
    expiry; a proof ``created`` after ``now + max_clock_skew`` is refused. A credential with
    ``credentialStatus`` needs a ``status`` checker unless ``unsafe_skip_status``;
    ``policy`` (optional) decides whether the issuer is trusted.

    Raises :class:`~did.vc.errors.CredentialError` (malformed),
    every error of :func:`did.vc.verify_proofs` or of
    :func:`did.vc.verify_jwt_vc`, :class:`~did.vc.errors.IssuerMismatch`,
    :class:`~did.vc.errors.NotYetValid`, :class:`~did.vc.errors.ExpiredCredential`,
    :class:`~did.vc.errors.RevokedCredential`, :class:`~did.vc.errors.SuspendedCredential`,
    :class:`~did.vc.errors.StatusCheckFailed` and :class:`~did.vc.errors.UntrustedIssuer`.
    """
    when = _aware(now)
    keys = resolver if resolver is not None else _DEFAULT_RESOLVER
    item = _classify(data)
    proofs: tuple[Mapping[str, Any], ...]
    if isinstance(item, str):
        credential = _verify_jwt(item, keys, when)
        fmt = "vc-jwt"
        proofs = ()
        methods: list[str] = []
    else:
        credential = Credential.from_dict(item)
        proofs = tuple(
            verify_proofs(
                item,
                resolver=keys,
                expected_purpose="assertionMethod",
                now=when,
                max_clock_skew=max_clock_skew,
            )
        )
        first = proofs[0]
        fmt = first.get("cryptosuite") or first["type"]
        methods = [p["verificationMethod"] for p in proofs]
    if methods:
        if unsafe_skip_issuer_binding:
            _log.warning("issuer binding not checked (unsafe_skip_issuer_binding)")
        else:
            _check_issuer_binding(credential, methods)
    check_validity(credential, now=when)
    if credential.status:
        if status is not None:
            status.check(credential, now=when)
        elif unsafe_skip_status:
            _log.warning("credential status not checked (unsafe_skip_status)")
        else:
            raise StatusCheckFailed("the credential has a status but no status checker was given")
    if policy is not None:
        policy.check(credential)
    return VerifiedCredential(credential=credential, format=fmt, proofs=proofs)


def verify_presentation(
    data: object,
    *,
    challenge: str,
    domain: str | None = None,
    resolver: KeyResolver | None = None,
    now: _dt.datetime | None = None,
    replay_store: ReplayStore | None = None,
    challenge_ttl: _dt.timedelta = DEFAULT_CHALLENGE_TTL,
    policy: TrustPolicy | None = None,
    status: StatusChecker | None = None,
    unsafe_skip_status: bool = False,
    unsafe_skip_holder_binding: bool = False,
    max_clock_skew: _dt.timedelta = MAX_CLOCK_SKEW,
) -> VerifiedPresentation:
    """Verify a presentation and *every* credential in it.

    The presentation's proofs must have purpose ``authentication`` and answer
    ``challenge`` (and ``domain`` when given). Holder binding: the proofs are by the
    ``holder`` DID and each credential has the holder as a subject. With a
    ``replay_store`` (the core :class:`did.ReplayStore`), the challenge is claimed once
    everything has verified, until the earliest proof ``expires`` or, without one,
    ``now + challenge_ttl``; a challenge answered before is refused. Each embedded
    credential goes through :func:`verify_credential` with the same ``resolver``, ``now``,
    ``policy`` and ``status``.

    Raises :class:`~did.vc.errors.PresentationError` (malformed), the proof errors of
    :func:`did.vc.verify_proofs` (including
    :class:`~did.vc.errors.ChallengeMismatch` and :class:`~did.vc.errors.DomainMismatch`),
    :class:`~did.vc.errors.HolderMismatch`, :class:`~did.vc.errors.ChallengeReused`,
    :class:`did.errors.ReplayStoreFull` from a full store, and every error of
    :func:`verify_credential` for an embedded credential.
    """
    if not isinstance(challenge, str) or not 0 < len(challenge) <= MAX_CHALLENGE_CHARS:
        raise InputError("verifying a presentation needs the challenge the verifier issued")
    if not isinstance(challenge_ttl, _dt.timedelta) or challenge_ttl <= _dt.timedelta(0):
        raise InputError("challenge_ttl must be a positive timedelta")
    when = _aware(now)
    keys = resolver if resolver is not None else _DEFAULT_RESOLVER
    item = _classify(data)
    if isinstance(item, str):
        raise CredentialError("a presentation must be a JSON object with a proof")
    presentation = Presentation.from_dict(item)
    proofs = verify_proofs(
        item,
        resolver=keys,
        expected_purpose="authentication",
        now=when,
        challenge=challenge,
        domain=domain,
        max_clock_skew=max_clock_skew,
    )
    methods = [p["verificationMethod"] for p in proofs]
    if unsafe_skip_holder_binding:
        _log.warning("holder binding not checked (unsafe_skip_holder_binding)")
    else:
        check_holder_binding(presentation.holder, methods, None)
    verified: list[VerifiedCredential] = []
    for embedded in presentation.credentials:
        result = verify_credential(
            embedded,
            resolver=keys,
            now=when,
            policy=policy,
            status=status,
            unsafe_skip_status=unsafe_skip_status,
            max_clock_skew=max_clock_skew,
        )
        if not unsafe_skip_holder_binding:
            check_holder_binding(presentation.holder, methods, result.credential.subject_ids)
        verified.append(result)
    if replay_store is not None:
        # Claimed last, once everything verified (the atomic test-and-set decides between
        # two copies verified at once), so a refused presentation leaves the challenge usable.
        _claim_challenge(replay_store, challenge, proofs, when, challenge_ttl)
    return VerifiedPresentation(presentation=presentation, credentials=tuple(verified))
