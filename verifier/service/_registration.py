"""A venue's registration at the registry (DESIGN.md "The registry service", Venues):
the signed request ``anshim venue init --registry`` posts, and the state ``anshim venue
status`` reads back.

The request is the registry's own shape (``registry.Registration``, ``POST /venues`` of
:mod:`registry.service`): names in Korean and English, address, business registration
number, category, the venue's Ed25519 and X25519 public keys as Multikey, a fresh nonce
and ``created``, and ``proof``, the venue key's signature over the registration context
and the request's JCS form (proof of possession), as :func:`protocol.venue_request_bytes`
defines them for both sides. The registry answers 202 with the
venue's record: the id and did:web it assigned, and ``status`` pending until its
administrator approves it (``active``), then ``deactivated`` (final).

``httpx`` is imported when a request is sent, never at import.
"""

from __future__ import annotations

import os
from typing import Any

from did import Ed25519PrivateKey, X25519PublicKey, b64url_encode
from did.errors import CliError
from protocol import VENUE_REGISTRATION_CONTEXT, venue_request_bytes
from protocol.errors import MalformedMessage

__all__ = [
    "REGISTRATION_CONTEXT",
    "STATES",
    "fetch_registration",
    "post_registration",
    "registration_request",
    "registry_venue_id",
    "signed_bytes",
]

#: The context string a registration's proof signs under
#: (:data:`protocol.VENUE_REGISTRATION_CONTEXT`, the registry's too).
REGISTRATION_CONTEXT = VENUE_REGISTRATION_CONTEXT
#: The registry's venue status → what the operator reads.
STATES = {"pending": "pending", "active": "approved", "deactivated": "deactivated"}
_TIMEOUT = 10.0


def registration_request(
    key: Ed25519PrivateKey,
    agreement: X25519PublicKey,
    *,
    name_ko: str,
    name_en: str,
    address: str,
    business_registration_number: str,
    category: str,
    now: int,
) -> dict[str, Any]:
    """The signed ``VenueRegistration`` for ``POST /venues`` (module docstring).

    Raises:
        CliError: a request with no canonical JSON form.
    """
    request: dict[str, Any] = {
        "type": "VenueRegistration",
        "name": {"ko": name_ko, "en": name_en},
        "address": address,
        "businessRegistrationNumber": business_registration_number,
        "category": category,
        "signingKey": key.public_key.to_multikey(),
        "agreementKey": agreement.to_multikey(),
        "nonce": b64url_encode(os.urandom(16)),
        "created": now,
    }
    request["proof"] = b64url_encode(key.sign(signed_bytes(request)))
    return request


def signed_bytes(request: dict[str, Any]) -> bytes:
    """What a registration's ``proof`` signs: :func:`protocol.venue_request_bytes` under
    the registration context (the registration context and the RFC 8785 (JCS) form of the
    request without ``proof``), the one definition the registry checks by.

    Raises:
        CliError: a request with no canonical JSON form (a float that is not finite).
    """
    try:
        return venue_request_bytes(REGISTRATION_CONTEXT, request)
    except MalformedMessage as exc:
        raise CliError("the registration has no canonical JSON form") from exc


def _registry_error(response: Any) -> str:
    try:
        problem = response.json()
    except ValueError:
        return f"the registry answered {response.status_code}"
    if not isinstance(problem, dict):
        return f"the registry answered {response.status_code}"
    code = problem.get("code") or str(problem.get("type", "")).rpartition(":")[2]
    return f"the registry refused it ({response.status_code} {code}): {problem.get('detail', '')}"


def post_registration(registry: str, request: dict[str, Any]) -> dict[str, Any]:
    """Post ``request`` to ``<registry>/venues``; the registry's record of the venue
    (``id``, ``did``, ``status``, …).

    Raises:
        CliError: the registry cannot be reached, or refused the request (the message
            names its problem code).
    """
    import httpx

    try:
        response = httpx.post(registry.rstrip("/") + "/venues", json=request, timeout=_TIMEOUT)
    except httpx.HTTPError as exc:
        raise CliError(f"the registry cannot be reached: {type(exc).__name__}") from None
    if response.status_code != 202:
        raise CliError(_registry_error(response))
    record: dict[str, Any] = response.json()
    return record


def registry_venue_id(did: str) -> str | None:
    """The registry's id of a venue from its did:web (``…:venues:<id>``), if it has one."""
    head, sep, venue_id = did.rpartition(":venues:")
    return venue_id if sep and head.startswith("did:web:") and venue_id else None


def fetch_registration(registry: str, did: str) -> dict[str, Any]:
    """The venue's registration state at ``registry``: ``{"status": "pending" |
    "approved" | "deactivated", "registryId", "registered", "approved", "deactivated"}``,
    or ``{"status": "unregistered"}`` when the registry does not know the DID, or
    ``{"status": "unknown", "error": …}`` when it cannot be asked (never raises: a status
    report shows what it could not learn)."""
    import httpx

    venue_id = registry_venue_id(did)
    if venue_id is None:
        return {"status": "unregistered", "error": "the DID is not a registry venue's did:web"}
    url = f"{registry.rstrip('/')}/venues/{venue_id}"
    try:
        response = httpx.get(url, timeout=_TIMEOUT)
    except httpx.HTTPError as exc:
        return {"status": "unknown", "error": f"registry unreachable: {type(exc).__name__}"}
    if response.status_code == 404:
        return {"status": "unregistered"}
    if response.status_code != 200:
        return {"status": "unknown", "error": f"the registry answered {response.status_code}"}
    try:
        record = response.json()
        state = STATES[record["status"]]
        if record["did"] != did:
            return {"status": "unknown", "error": "the registry's record names another DID"}
    except (ValueError, KeyError, TypeError):
        return {"status": "unknown", "error": "the registry's answer is not a venue record"}
    return {
        "status": state,
        "registryId": venue_id,
        "registered": record.get("registered"),
        "approved": record.get("approved"),
        "deactivated": record.get("deactivated"),
    }
