"""Who may do what (DESIGN.md "Access control"): DID authentication over a registry
challenge, exchanged for a short-lived signed token.

1. The caller asks for a challenge (:meth:`Access.challenge`): 16 random bytes in
   base64url, remembered as issued for ``challenge_lifetime`` seconds, and the registry's
   DID as the domain.
2. The caller signs a Verifiable Presentation (``authentication`` purpose) over that
   challenge and domain, from its own DID, and posts it (:meth:`Access.authenticate`).
   The registry checks that it issued the challenge and that it is unexpired, verifies
   the presentation and every credential in it (did.vc), and claims the challenge, so a
   presentation is accepted once.
3. The role follows from who the holder is: the administrator's configured DID is
   ``admin``; an active venue's DID (hosted here) is ``venue``; any other holder must
   present an ``InvestigatorCredential`` that this registry issued to it, whose status
   bit is clear, and is ``investigator``.
4. The answer is an :class:`~registry._tokens.AccessToken` (``token_lifetime`` seconds).

:meth:`Access.require` checks a request's ``Authorization: Bearer`` header for one of the
roles an endpoint allows.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from typing import Any

from did import AnshimError, b64url_encode
from did.vc import Credential, verify_presentation
from did.vc.errors import RevokedCredential, StatusCheckFailed
from registry._authority import Authority
from registry._status import STATUS_LISTS
from registry._tokens import AccessToken
from registry.errors import AuthenticationFailed, MissingToken, NotPermitted

__all__ = ["CHALLENGE_PREFIX", "INVESTIGATOR_CREDENTIAL_TYPE", "Access", "LocalStatus"]

INVESTIGATOR_CREDENTIAL_TYPE = "InvestigatorCredential"
CHALLENGE_PREFIX = b"anshim/registry/challenge-issued\x00"
_MAX_PRESENTATION_CREDENTIALS = 4


class LocalStatus:
    """A :class:`did.vc` status checker over the registry's own status lists: a credential
    whose status entry points at one of this registry's lists is checked against the list
    itself (no fetch, no cache delay); an entry pointing elsewhere fails closed."""

    def __init__(self, authority: Authority) -> None:
        self._authority = authority

    def check(self, credential: Credential, *, now: _dt.datetime) -> None:
        """Raises RevokedCredential (bit set) or StatusCheckFailed (a foreign or malformed
        entry)."""
        base = f"{self._authority.config.public_url}/status/"
        for entry in credential.status:
            url, index = entry.get("statusListCredential"), entry.get("statusListIndex")
            name = url.removeprefix(base) if isinstance(url, str) else ""
            if (
                not isinstance(url, str)
                or not url.startswith(base)
                or name not in STATUS_LISTS
                or entry.get("statusPurpose") != "revocation"
                or not isinstance(index, str)
                or not index.isdigit()
                or len(index) > 7
            ):
                raise StatusCheckFailed("the status entry is not one of this registry's lists")
            try:
                revoked = self._authority.status.is_set(name, int(index))
            except ValueError as exc:
                raise StatusCheckFailed("the status index is out of range") from exc
            if revoked:
                raise RevokedCredential("the credential has been revoked")


class Access:
    """Challenges, authentication and role checks for one :class:`Authority`."""

    def __init__(self, authority: Authority) -> None:
        self.authority = authority
        self.status = LocalStatus(authority)

    def challenge(self) -> dict[str, Any]:
        """A fresh challenge: ``{"challenge", "domain", "expires"}``.

        Raises:
            ReplayStoreFull: too many unexpired challenges are outstanding.
        """
        a = self.authority
        now = a.now()
        value = b64url_encode(os.urandom(16))
        expires = now + a.config.challenge_lifetime
        a.ledger.claim(CHALLENGE_PREFIX + value.encode(), until=expires, now=now)
        return {"challenge": value, "domain": a.did, "expires": expires}

    def issued(self, challenge: object) -> bool:
        """Whether ``challenge`` is one this registry issued and is unexpired."""
        if not isinstance(challenge, str) or not 0 < len(challenge) <= 64:
            return False
        key = CHALLENGE_PREFIX + challenge.encode()
        return self.authority.ledger.held(key, now=self.authority.now())

    def authenticate(self, presentation: object) -> tuple[AccessToken, str]:
        """Exchange a presentation for a token (module docstring).

        Raises:
            AuthenticationFailed: not over a challenge this registry issued (or expired),
                the presentation or a credential in it does not verify (the underlying
                error's code is in the message and the ``__cause__``), the challenge was
                answered before, or the holder has no role here.
        """
        a = self.authority
        if not isinstance(presentation, Mapping):
            raise AuthenticationFailed("the body must be a verifiable presentation")
        proof = presentation.get("proof")
        challenge = proof.get("challenge") if isinstance(proof, Mapping) else None
        if not self.issued(challenge):
            raise AuthenticationFailed("the presentation answers no challenge this registry issued")
        credentials = presentation.get("verifiableCredential", [])
        if isinstance(credentials, list) and len(credentials) > _MAX_PRESENTATION_CREDENTIALS:
            raise AuthenticationFailed("too many credentials in the presentation")
        now = _dt.datetime.fromtimestamp(a.now(), _dt.UTC)
        try:
            verified = verify_presentation(
                dict(presentation),
                challenge=str(challenge),
                domain=a.did,
                resolver=a.resolver,
                now=now,
                replay_store=a.ledger,
                status=self.status,
            )
        except AnshimError as exc:
            raise AuthenticationFailed(f"the presentation is refused [{exc.code}]") from exc
        holder = verified.presentation.holder
        if holder is None:
            raise AuthenticationFailed("the presentation names no holder")
        role = self._role(holder, [v.credential for v in verified.credentials])
        return AccessToken.issue(
            a.key,
            issuer=a.did,
            subject=holder,
            role=role,
            now=a.now(),
            lifetime=a.config.token_lifetime,
        )

    def _role(self, holder: str, credentials: list[Credential]) -> str:
        a = self.authority
        if holder == a.config.admin_did:
            return "admin"
        data = a.ledger.venue_by_did(holder)
        if data is not None and data["status"] == "active":
            return "venue"
        for credential in credentials:
            if (
                INVESTIGATOR_CREDENTIAL_TYPE in credential.types
                and credential.issuer == a.did
                and holder in credential.subject_ids
                and credential.status
            ):
                return "investigator"
        raise AuthenticationFailed("the holder has no role at this registry")

    def require(self, authorization: str | None, *roles: str) -> AccessToken:
        """The verified token of an ``Authorization`` header, if its role is one of
        ``roles``.

        Raises:
            MissingToken: no ``Bearer`` token.
            InvalidToken, ExpiredToken: as :meth:`AccessToken.verify`.
            NotPermitted: the token's role is not one of ``roles``.
        """
        if not authorization or not authorization.startswith("Bearer "):
            raise MissingToken("this needs a bearer token (POST /auth/token)")
        a = self.authority
        token = AccessToken.verify(
            authorization.removeprefix("Bearer ").strip(), a.public_key, issuer=a.did, now=a.now()
        )
        if token.role not in roles:
            raise NotPermitted(f"a {token.role} may not do this")
        return token
