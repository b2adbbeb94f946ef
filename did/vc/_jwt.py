"""VC-JWT with EdDSA: VC Data Model 1.1 section 6.3.1 (JWT encoding), as DIDKit and ACA-Py use it.

A credential travels as a compact JWS (RFC 7515) whose header is
``{"alg": "EdDSA", "kid": <DID URL of the key>, "typ": "JWT"}`` and whose claims (RFC 7519) are
``iss`` (issuer), ``sub`` (credentialSubject.id), ``nbf`` (issuanceDate / validFrom), ``exp``
(expirationDate / validUntil), ``jti`` (id) and ``vc`` (the credential). Presentations use the
``vp`` claim, with ``nonce`` and ``aud`` carrying the challenge and domain.

Quick start::

    from did.vc import issue_jwt_vc, verify_jwt_vc
    token = issue_jwt_vc(credential, issuer_key, kid="did:key:z6Mk…#z6Mk…")
    credential = verify_jwt_vc(token, resolver=resolver, now=now)   # raises, never returns False

Verification is strict: at most :data:`MAX_JWT_CHARS` characters, exactly three canonical
base64url segments, ``alg`` exactly ``EdDSA`` (``none``, ``HS256`` and every other value are
refused — no algorithm confusion), no ``crit``; the ``kid`` must resolve through the resolver to
a key in the DID document's ``assertionMethod`` (``authentication`` for presentations), ``iss``
must be the ``kid``'s DID, ``nbf``/``exp`` are checked against ``now``, and the ``vc`` claim must
agree with ``iss``/``sub``/``jti``/``nbf``/``exp``.

Errors (all in :mod:`did.vc.errors`): a malformed token raises
:class:`~did.vc.errors.MalformedJwt`; an ``alg`` other than EdDSA (or ``crit``)
:class:`~did.vc.errors.JwtAlgorithmRefused`; a ``kid`` that is missing, unresolvable or not the
issuer's :class:`~did.vc.errors.VerificationMethodError`; a ``kid`` outside ``assertionMethod`` /
``authentication`` :class:`~did.vc.errors.ProofPurposeMismatch`; a bad signature
:class:`~did.vc.errors.InvalidProofSignature`; ``nonce`` / ``aud`` (presentations)
:class:`~did.vc.errors.ChallengeMismatch` / :class:`~did.vc.errors.DomainMismatch`; ``exp`` /
``nbf`` :class:`~did.vc.errors.ExpiredCredential` / :class:`~did.vc.errors.NotYetValid`; and a
``vc.issuer`` (or ``vp.holder``) other than ``iss`` :class:`~did.vc.errors.IssuerMismatch`.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from did import Ed25519PrivateKey, Ed25519PublicKey, b64url_decode, b64url_encode
from did.errors import AnshimError, InputError, InvalidSignature, MethodNotAuthorized
from did.vc._suites import parse_datetime
from did.vc.errors import (
    ChallengeMismatch,
    CredentialError,
    DomainMismatch,
    ExpiredCredential,
    InvalidProofSignature,
    IssuerMismatch,
    JwtAlgorithmRefused,
    MalformedJwt,
    NotYetValid,
    PresentationError,
    ProofPurposeMismatch,
    VerificationMethodError,
)

__all__ = [
    "MAX_JWT_CHARS",
    "issue_jwt_vc",
    "issue_jwt_vp",
    "verify_jwt_vc",
    "verify_jwt_vp",
]

MAX_JWT_CHARS = 64 * 1024
_MAX_INT = 2**53  # JSON numbers beyond this lose precision in other implementations


def _json_object(segment: bytes, what: str) -> dict[str, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise MalformedJwt(f"duplicate member {key[:40]!r} in JWT {what}")
            out[key] = value
        return out

    def no_constants(name: str) -> None:
        raise MalformedJwt(f"non-JSON number {name} in JWT {what}")

    try:
        value = json.loads(
            segment.decode("utf-8"), object_pairs_hook=no_duplicates, parse_constant=no_constants
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise MalformedJwt(f"JWT {what} is not JSON") from exc
    if not isinstance(value, dict):
        raise MalformedJwt(f"JWT {what} must be a JSON object")
    return value


def _b64_json(value: Mapping[str, Any]) -> str:
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CredentialError("the credential is not JSON-serializable") from exc
    return b64url_encode(text.encode("utf-8"))


def _did_of(did_url: str) -> str:
    return did_url.split("#", 1)[0]


def _timestamp(value: object, what: str) -> int:
    moment = parse_datetime(value, what)
    return int(moment.timestamp())


def _id_of(value: object) -> object:
    return value.get("id") if isinstance(value, Mapping) else value


def _sign(header: dict[str, Any], claims: dict[str, Any], key: Ed25519PrivateKey) -> str:
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError("key must be an Ed25519PrivateKey")
    signing_input = f"{_b64_json(header)}.{_b64_json(claims)}"
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def _check_kid(kid: object) -> str:
    if not isinstance(kid, str) or not kid.startswith("did:") or "#" not in kid:
        raise InputError("kid must be a DID URL with a fragment (did:…#…)")
    return kid


def issue_jwt_vc(credential: dict[str, Any], key: Ed25519PrivateKey, *, kid: str) -> str:
    """Encode and sign ``credential`` as a VC-JWT (VC Data Model 1.1 section 6.3.1).

    The claims mirror the credential: ``iss`` from ``issuer``, ``sub`` from
    ``credentialSubject.id``, ``nbf`` from ``issuanceDate``/``validFrom``, ``exp`` from
    ``expirationDate``/``validUntil``, ``jti`` from ``id``; ``vc`` is the whole credential.

    Raises:
        CredentialError: if the credential has no issuer, an issuer that is not ``kid``'s DID,
            a malformed date, or is not JSON-serializable.
        InputError: if ``kid`` is not a DID URL or ``key`` is not an Ed25519 key.
    """
    kid = _check_kid(kid)
    if not isinstance(credential, dict):
        raise CredentialError("the credential must be a JSON object")
    issuer = _id_of(credential.get("issuer"))
    if not isinstance(issuer, str) or not issuer:
        raise CredentialError("the credential needs an issuer")
    if issuer != _did_of(kid):
        raise CredentialError("the credential's issuer must be the DID of kid")
    claims: dict[str, Any] = {"iss": issuer}
    subject = credential.get("credentialSubject")
    if isinstance(subject, Mapping) and isinstance(subject.get("id"), str):
        claims["sub"] = subject["id"]
    for names, claim in (
        (("issuanceDate", "validFrom"), "nbf"),
        (("expirationDate", "validUntil"), "exp"),
    ):
        for name in names:
            if name in credential:
                claims[claim] = _timestamp(credential[name], name)
    if isinstance(credential.get("id"), str):
        claims["jti"] = credential["id"]
    claims["vc"] = credential
    return _sign({"alg": "EdDSA", "kid": kid, "typ": "JWT"}, claims, key)


def _decode(token: object) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Split and decode a compact JWS strictly: (header, claims, signing input, signature)."""
    if not isinstance(token, str):
        raise MalformedJwt("a JWT must be a string")
    if len(token) > MAX_JWT_CHARS:
        raise MalformedJwt(f"JWT is longer than {MAX_JWT_CHARS} characters")
    if not token.isascii():
        raise MalformedJwt("JWT must be ASCII")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise MalformedJwt("a JWS in compact form has exactly three non-empty segments")
    try:
        raw = [b64url_decode(p) for p in parts]
    except InputError as exc:
        raise MalformedJwt("JWT segment is not canonical base64url") from exc
    header = _json_object(raw[0], "header")
    claims = _json_object(raw[1], "claims")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), raw[2]


def _check_header(header: Mapping[str, Any]) -> str:
    # RFC 7515 section 4.1.1: alg selects the algorithm; we accept exactly one (RFC 8037 EdDSA),
    # so "none", HMAC and every other value are refused before any key is looked at.
    if header.get("alg") != "EdDSA":
        raise JwtAlgorithmRefused("JWT alg must be EdDSA")
    if "crit" in header:  # RFC 7515 section 4.1.11: we understand no extensions
        raise JwtAlgorithmRefused("JWT crit extensions are not supported")
    if "typ" in header and header["typ"] != "JWT":
        raise MalformedJwt("JWT typ must be JWT")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid.startswith("did:") or "#" not in kid or len(kid) > 2048:
        raise VerificationMethodError("JWT kid must be a DID URL with a fragment")
    return kid


def _resolve_key(resolver: Any, kid: str, relationship: str) -> Ed25519PublicKey:
    try:
        key = resolver.verification_key(kid, relationship=relationship)
    except MethodNotAuthorized as exc:  # the key is not listed under the relationship
        raise ProofPurposeMismatch(f"kid is not authorised for {relationship}") from exc
    except AnshimError as exc:
        raise VerificationMethodError(f"kid cannot be resolved: {exc.code}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise VerificationMethodError("kid does not name an Ed25519 key")
    return key


def _verify_signature(key: Ed25519PublicKey, signature: bytes, signing_input: bytes) -> None:
    try:
        key.verify(signature, signing_input)
    except InvalidSignature as exc:
        raise InvalidProofSignature("JWT signature does not verify") from exc


def _numeric_date(claims: Mapping[str, Any], name: str) -> float | None:
    # RFC 7519 section 2: a NumericDate is a JSON number of seconds, possibly non-integer
    # (DIDKit writes nbf as 1735689600.0).
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MalformedJwt(f"JWT {name} must be a NumericDate")
    if not (math.isfinite(value) and 0 <= value < _MAX_INT):
        raise MalformedJwt(f"JWT {name} must be a finite non-negative NumericDate")
    return float(value)


def _check_times(claims: Mapping[str, Any], now: _dt.datetime | None) -> None:
    # RFC 7519 sections 4.1.4 (exp) and 4.1.5 (nbf).
    moment = now if now is not None else _dt.datetime.now(_dt.UTC)
    if moment.tzinfo is None:
        raise InputError("now must be timezone-aware")
    current = moment.timestamp()
    nbf = _numeric_date(claims, "nbf")
    exp = _numeric_date(claims, "exp")
    if nbf is not None and current < nbf:
        raise NotYetValid("the JWT is not valid yet (nbf)")
    if exp is not None and current >= exp:
        raise ExpiredCredential("the JWT has expired (exp)")


def _verify(token: object, resolver: Any, relationship: str) -> tuple[dict[str, Any], str]:
    header, claims, signing_input, signature = _decode(token)
    kid = _check_header(header)
    key = _resolve_key(resolver, kid, relationship)
    _verify_signature(key, signature, signing_input)
    iss = claims.get("iss")
    if not isinstance(iss, str) or iss != _did_of(kid):
        raise VerificationMethodError("JWT iss must be the DID of kid")
    return claims, iss


def verify_jwt_vc(token: str, *, resolver: Any, now: _dt.datetime | None = None) -> dict[str, Any]:
    """Verify a VC-JWT and return the credential (the ``vc`` claim, with the JWT claims applied).

    ``resolver`` is a :class:`did.Resolver` (anything with ``verification_key``).

    Raises:
        MalformedJwt: if the token or its claims are malformed (size, segments, base64url,
            JSON, claim types, a ``vc`` claim that disagrees with ``sub``/``jti``/dates).
        JwtAlgorithmRefused: if ``alg`` is not ``EdDSA`` or ``crit`` is present.
        VerificationMethodError: if ``kid`` is missing, unresolvable, or not ``iss``'s.
        ProofPurposeMismatch: if ``kid`` is not an ``assertionMethod`` of the issuer.
        InvalidProofSignature: if the signature does not verify.
        IssuerMismatch: if ``vc.issuer`` differs from ``iss``.
        NotYetValid, ExpiredCredential: if ``now`` is outside ``nbf``/``exp``.
    """
    claims, iss = _verify(token, resolver, "assertionMethod")
    vc = claims.get("vc")
    if not isinstance(vc, dict):
        raise MalformedJwt("JWT vc claim must be a JSON object")
    credential = dict(vc)
    # VC Data Model 1.1 section 6.3.1: the JWT claims stand for these credential properties;
    # when both are present they must agree.
    if "issuer" in credential and _id_of(credential["issuer"]) != iss:
        raise IssuerMismatch("vc.issuer differs from the JWT iss")
    credential.setdefault("issuer", iss)
    if "jti" in claims and (
        not isinstance(claims["jti"], str)
        or credential.setdefault("id", claims["jti"]) != claims["jti"]
    ):
        raise MalformedJwt("JWT jti differs from vc.id")
    if "sub" in claims:
        subject = credential.get("credentialSubject")
        if not isinstance(claims["sub"], str) or not isinstance(subject, dict):
            raise MalformedJwt("JWT sub needs a vc.credentialSubject object")
        if subject.setdefault("id", claims["sub"]) != claims["sub"]:
            raise MalformedJwt("JWT sub differs from vc.credentialSubject.id")
    for names, claim in (
        (("issuanceDate", "validFrom"), "nbf"),
        (("expirationDate", "validUntil"), "exp"),
    ):
        stamp = _numeric_date(claims, claim)
        for name in names:
            if name in credential:
                try:
                    moment = parse_datetime(credential[name], name).timestamp()
                    # Issuers truncate or keep fractional seconds; agree within one second.
                    matches = stamp is None or abs(moment - stamp) < 1
                except CredentialError as exc:
                    raise MalformedJwt(exc.message) from exc
                if not matches:
                    raise MalformedJwt(f"JWT {claim} differs from vc.{name}")
    _check_times(claims, now)
    return credential


def issue_jwt_vp(
    presentation: dict[str, Any],
    key: Ed25519PrivateKey,
    *,
    kid: str,
    nonce: str,
    aud: str,
) -> str:
    """Encode and sign a presentation as a VP-JWT (VC Data Model 1.1 section 6.3.1).

    ``nonce`` and ``aud`` carry the verifier's challenge and domain. Embedded credentials are
    usually VC-JWT strings in ``verifiableCredential``.

    Raises:
        PresentationError: if ``holder`` is present and is not ``kid``'s DID.
        InputError: on a bad ``kid``, ``nonce``, ``aud`` or key.
    """
    kid = _check_kid(kid)
    if not isinstance(presentation, dict):
        raise PresentationError("the presentation must be a JSON object")
    for name, value in (("nonce", nonce), ("aud", aud)):
        if not isinstance(value, str) or not value:
            raise InputError(f"{name} must be a non-empty string")
    holder = presentation.get("holder", _did_of(kid))
    if _id_of(holder) != _did_of(kid):
        raise PresentationError("the presentation's holder must be the DID of kid")
    claims: dict[str, Any] = {"iss": _did_of(kid), "nonce": nonce, "aud": aud, "vp": presentation}
    if isinstance(presentation.get("id"), str):
        claims["jti"] = presentation["id"]
    return _sign({"alg": "EdDSA", "kid": kid, "typ": "JWT"}, claims, key)


def verify_jwt_vp(
    token: str,
    *,
    resolver: Any,
    nonce: str,
    aud: str,
    now: _dt.datetime | None = None,
    verify_credential: Callable[[dict[str, Any]], Any] | None = None,
) -> dict[str, Any]:
    """Verify a VP-JWT, every embedded credential, and holder binding; return the presentation.

    Embedded VC-JWT strings are verified with :func:`verify_jwt_vc` (same ``now``) and replaced
    by the decoded credentials. Embedded JSON credentials are passed to ``verify_credential``;
    without one they are refused (fail closed). Every credential subject with an ``id`` must be
    the presentation's holder.

    Raises:
        ChallengeMismatch, DomainMismatch: if ``nonce``/``aud`` are not the expected ones.
        IssuerMismatch: if ``vp.holder`` differs from ``iss``.
        HolderMismatch: if a credential's subject is not the holder.
        PresentationError: on a malformed ``vp`` claim or an embedded JSON credential without
            ``verify_credential``.
        Every error of :func:`verify_jwt_vc` (for the presentation and each credential).
    """
    from did.vc.errors import HolderMismatch

    claims, iss = _verify(token, resolver, "authentication")
    if claims.get("nonce") != nonce:
        raise ChallengeMismatch("JWT nonce is not the expected challenge")
    audience = claims.get("aud")
    if not (audience == aud or (isinstance(audience, list) and aud in audience)):
        raise DomainMismatch("JWT aud is not the expected domain")
    _check_times(claims, now)
    vp = claims.get("vp")
    if not isinstance(vp, dict):
        raise MalformedJwt("JWT vp claim must be a JSON object")
    presentation = dict(vp)
    if _id_of(presentation.setdefault("holder", iss)) != iss:
        raise IssuerMismatch("vp.holder differs from the JWT iss")
    embedded = presentation.get("verifiableCredential", [])
    items = embedded if isinstance(embedded, list) else [embedded]
    if len(items) > 64:
        raise PresentationError("too many embedded credentials")
    verified: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            credential = verify_jwt_vc(item, resolver=resolver, now=now)
        elif isinstance(item, dict) and verify_credential is not None:
            verify_credential(item)
            credential = item
        else:
            raise PresentationError("embedded credential cannot be verified")
        subjects = credential.get("credentialSubject")
        for subject in subjects if isinstance(subjects, list) else [subjects]:
            if isinstance(subject, Mapping) and "id" in subject and subject["id"] != iss:
                raise HolderMismatch("a credential subject is not the presentation's holder")
        verified.append(credential)
    presentation["verifiableCredential"] = verified
    return presentation
