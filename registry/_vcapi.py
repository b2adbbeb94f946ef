"""The W3C VC-API operations (w3c-ccg/vc-api ``issuer.yml`` and ``verifier.yml``) over
:mod:`did.vc`: issue, verify a credential, verify a presentation, update a status.

* **issue** signs the given credential as the registry (``issuer`` absent or the
  registry's DID), with ``eddsa-jcs-2022`` unless ``options.cryptosuite`` asks for
  ``eddsa-rdfc-2022``. An ``InvestigatorCredential`` gets an entry in the registry's
  ``investigators`` status list, so it can be revoked.
* **verify** answers the VC-API ``VerificationResult`` (``verified``, ``checks``,
  ``warnings``, ``errors`` and RFC 9457 ``problemDetails`` whose ``type`` carries the
  stable error code). Keys are resolved for did:key and for the DIDs this registry hosts;
  status entries of this registry's lists are checked, any other fails closed.
* **status** sets a revocation bit of one of this registry's lists (VC-API
  ``/credentials/status``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from did import AnshimError
from did.vc import Credential, verify_credential, verify_presentation
from registry._access import INVESTIGATOR_CREDENTIAL_TYPE, Access, LocalStatus
from registry._authority import Authority
from registry._status import STATUS_LISTS
from registry.errors import InvalidCredentialRequest

__all__ = [
    "SUITES",
    "VerificationOutcome",
    "issue_credential",
    "update_status",
    "verify_credential_request",
    "verify_presentation_request",
]

#: The cryptosuites the issuer signs with (the first is the default).
SUITES = ("eddsa-jcs-2022", "eddsa-rdfc-2022")
VerificationOutcome = tuple[bool, dict[str, Any]]


def issue_credential(
    authority: Authority, credential: object, options: object = None
) -> dict[str, Any]:
    """The credential signed by the registry (module docstring).

    Raises:
        InvalidCredentialRequest: not a JSON object, already has a proof, names another
            issuer, an unknown cryptosuite or option.
        CredentialError: the document is not a VC Data Model credential.
        UnsupportedCryptosuite: ``eddsa-rdfc-2022`` without the ``jsonld`` extra.
    """
    if not isinstance(credential, Mapping):
        raise InvalidCredentialRequest("credential must be a JSON object")
    opts = dict(options) if isinstance(options, Mapping) else {}
    if options is not None and not isinstance(options, Mapping):
        raise InvalidCredentialRequest("options must be a JSON object")
    suite = opts.pop("cryptosuite", SUITES[0])
    opts.pop("credentialId", None)
    opts.pop("mandatoryPointers", None)
    if opts:
        raise InvalidCredentialRequest(f"unsupported options {sorted(opts)}")
    if suite not in SUITES:
        raise InvalidCredentialRequest(f"cryptosuite must be one of {list(SUITES)}")
    if "proof" in credential:
        raise InvalidCredentialRequest("the credential already has a proof")
    doc = dict(credential)
    issuer = doc.get("issuer", authority.did)
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if issuer_id != authority.did:
        raise InvalidCredentialRequest(f"this issuer signs only as {authority.did}")
    doc["issuer"] = issuer
    parsed = Credential.from_dict(doc)
    if INVESTIGATOR_CREDENTIAL_TYPE in parsed.types and "credentialStatus" not in doc:
        _, doc["credentialStatus"] = authority.status.allocate("investigators")
    return authority.sign_credential(doc, suite=str(suite))


def _problem(exc: AnshimError) -> dict[str, Any]:
    return {
        "type": f"urn:anshim:error:{exc.code}",
        "title": type(exc).__name__,
        "detail": exc.message,
    }


def _now(authority: Authority) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(authority.now(), _dt.UTC)


def verify_credential_request(authority: Authority, credential: object) -> VerificationOutcome:
    """Verify a credential; ``(verified, VerificationResult)``. Never raises for a
    credential that fails: the failure is in the result."""
    try:
        result = verify_credential(
            credential,
            resolver=authority.resolver,
            now=_now(authority),
            status=LocalStatus(authority),
        )
    except AnshimError as exc:
        return False, {
            "verified": False,
            "checks": [],
            "warnings": [],
            "errors": [exc.code],
            "problemDetails": [_problem(exc)],
        }
    checks = ["proof", "validity"] + (["status"] if result.credential.status else [])
    return True, {"verified": True, "checks": checks, "warnings": [], "errors": []}


def verify_presentation_request(
    authority: Authority, presentation: object, options: object
) -> VerificationOutcome:
    """Verify a presentation over ``options.challenge`` (and ``options.domain``) and every
    credential in it; a challenge this registry issued (``/challenges``) is claimed, so it
    answers once. ``(verified, VerificationResult)``; never raises for a presentation
    that fails."""
    opts = options if isinstance(options, Mapping) else {}
    challenge, domain = opts.get("challenge"), opts.get("domain")
    results: dict[str, Any] = {}
    try:
        if not isinstance(challenge, str) or not challenge:
            raise InvalidCredentialRequest("options.challenge is required")
        if domain is not None and not isinstance(domain, str):
            raise InvalidCredentialRequest("options.domain must be a string")
        issued = Access(authority).issued(challenge)
        verify_presentation(
            presentation,
            challenge=challenge,
            domain=domain,
            resolver=authority.resolver,
            now=_now(authority),
            replay_store=authority.ledger if issued else None,
            status=LocalStatus(authority),
        )
    except AnshimError as exc:
        return False, {
            "verified": False,
            "problemDetails": [_problem(exc)],
            "results": results,
        }
    results["challenge"] = {"valid": True, "input": challenge}
    if domain is not None:
        results["domain"] = {"valid": True, "input": domain}
    return True, {"verified": True, "problemDetails": [], "results": results}


def update_status(authority: Authority, request: object) -> None:
    """Set the revocation bit a VC-API ``UpdateCredentialStatusRequest`` names.

    Raises:
        InvalidCredentialRequest: not such a request, a list that is not this registry's,
            or ``status`` false (revocation is final).
    """
    if not isinstance(request, Mapping) or not isinstance(request.get("credentialStatus"), Mapping):
        raise InvalidCredentialRequest("credentialStatus is required")
    entry = request["credentialStatus"]
    url, index = entry.get("statusListCredential"), entry.get("statusListIndex")
    base = f"{authority.config.public_url}/status/"
    name = url.removeprefix(base) if isinstance(url, str) and url.startswith(base) else None
    if name not in STATUS_LISTS or name is None:
        raise InvalidCredentialRequest("statusListCredential is not one of this registry's lists")
    if not isinstance(index, str) or not index.isdigit() or len(index) > 7:
        raise InvalidCredentialRequest("statusListIndex must be a decimal string")
    if request.get("status") is not True:
        raise InvalidCredentialRequest("only revocation (status true) is supported; it is final")
    try:
        authority.status.revoke(name, int(index))
    except ValueError as exc:
        raise InvalidCredentialRequest("statusListIndex is out of range") from exc
