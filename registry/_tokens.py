"""Short-lived access tokens (DESIGN.md "Access control": an investigator's presentation
is "exchanged for a short-lived signed token").

A token is a COSE_Sign1 (EdDSA) by the registry's key, carried as base64url in an
``Authorization: Bearer`` header. Its payload is a deterministic CBOR map::

    {1: issuer (the registry's DID), 2: subject (the caller's DID), 3: role,
     4: issued at, 5: expires, 6: token id (16 random bytes)}

signed with the external AAD ``anshim/registry/access-token/v1`` (RFC 9052 section 4.3), so
no other message this registry signs can pass as a token. A token is refused when it does
not decode, is not signed by this registry's key, names another issuer (a token of another
registry), is issued in the future or has expired.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from did import Ed25519PrivateKey, Ed25519PublicKey, b64url_decode, b64url_encode, cbor, cose
from did.errors import InputError, InvalidSignature
from registry.errors import ExpiredToken, InvalidToken

__all__ = ["MAX_TOKEN_CHARS", "ROLES", "TOKEN_AAD", "AccessToken"]

TOKEN_AAD = b"anshim/registry/access-token/v1"
#: Roles a token can carry (DESIGN.md "Access control").
ROLES = ("admin", "investigator", "venue")
#: The longest token text accepted.
MAX_TOKEN_CHARS = 512
_MAX_SKEW = 60


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A verified (or freshly issued) access token."""

    issuer: str
    subject: str
    role: str
    issued: int
    expires: int
    token_id: bytes

    @classmethod
    def issue(
        cls,
        key: Ed25519PrivateKey,
        *,
        issuer: str,
        subject: str,
        role: str,
        now: int,
        lifetime: int,
    ) -> tuple[AccessToken, str]:
        """A new token and its text for ``subject`` in ``role``, valid ``lifetime`` seconds.

        Raises:
            InvalidToken: an unknown role or a lifetime outside (0, 86400].
        """
        if role not in ROLES or type(lifetime) is not int or not 0 < lifetime <= 86_400:
            raise InvalidToken("a token needs a known role and a lifetime of at most a day")
        token = cls(issuer, subject, role, now, now + lifetime, os.urandom(16))
        payload = cbor.encode(
            {1: issuer, 2: subject, 3: role, 4: now, 5: now + lifetime, 6: token.token_id}
        )
        return token, b64url_encode(cose.sign1(payload, key, external_aad=TOKEN_AAD))

    @classmethod
    def verify(cls, text: object, key: Ed25519PublicKey, *, issuer: str, now: int) -> AccessToken:
        """Check a token's signature, issuer and lifetime.

        Raises:
            InvalidToken: it does not decode, is not signed by ``key``, names another
                issuer, or is issued in the future.
            ExpiredToken: it has expired.
        """
        if not isinstance(text, str) or not 0 < len(text) <= MAX_TOKEN_CHARS:
            raise InvalidToken("not an access token")
        try:
            payload = cose.verify1(
                b64url_decode(text), key, external_aad=TOKEN_AAD, max_size=MAX_TOKEN_CHARS
            )
            m = cbor.decode(payload, max_size=MAX_TOKEN_CHARS, max_depth=2)
        except (InputError, InvalidSignature) as exc:
            raise InvalidToken("the token is not one this registry signed") from exc
        if (
            not isinstance(m, dict)
            or set(m) != {1, 2, 3, 4, 5, 6}
            or not all(isinstance(m[k], str) for k in (1, 2, 3))
            or not all(type(m[k]) is int for k in (4, 5))
            or not isinstance(m[6], bytes)
            or m[3] not in ROLES
        ):
            raise InvalidToken("the token's fields are malformed")
        if m[1] != issuer:
            raise InvalidToken("the token was issued by another registry")
        if m[4] > now + _MAX_SKEW:
            raise InvalidToken("the token is issued in the future")
        if m[5] <= now:
            raise ExpiredToken("the token has expired; authenticate again")
        return cls(m[1], m[2], m[3], m[4], m[5], m[6])
