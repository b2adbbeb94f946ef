"""The W3C VC-API (w3c-ccg/vc-api): issue, verify credentials and presentations,
challenges, status updates. Issuing and status updates are the administrator's; verifying
and challenges are open. A verification that fails answers 400 with the VC-API
``VerificationResult`` (``verified: false`` and RFC 9457 ``problemDetails``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from registry._vcapi import (
    issue_credential,
    update_status,
    verify_credential_request,
    verify_presentation_request,
)
from registry.service.deps import AccessDep, AdminDep, AuthorityDep
from registry.service.routers._common import PROBLEMS
from registry.service.schemas import (
    ChallengeResponse,
    IssueRequest,
    IssueResponse,
    StatusUpdateRequest,
    VerificationResult,
    VerifyCredentialRequest,
    VerifyPresentationRequest,
)

__all__ = ["router"]

router = APIRouter(tags=["vc-api"], responses=PROBLEMS)
_FAILED: dict[int | str, dict[str, Any]] = {
    400: {
        "model": VerificationResult,
        "description": "Verification failed (VerificationResult), or malformed input (a problem)",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
}


@router.post("/credentials/issue", status_code=201, response_model=IssueResponse)
def issue(body: IssueRequest, authority: AuthorityDep, _: AdminDep) -> dict[str, Any]:
    """Issue a credential as the registry (eddsa-jcs-2022; options.cryptosuite
    eddsa-rdfc-2022 on request)."""
    return {"verifiableCredential": issue_credential(authority, body.credential, body.options)}


@router.post("/credentials/verify", response_model=VerificationResult, responses=_FAILED)
def verify_credential(body: VerifyCredentialRequest, authority: AuthorityDep) -> Any:
    """Verify a credential's proof, validity period and status."""
    ok, result = verify_credential_request(authority, body.verifiableCredential)
    return result if ok else JSONResponse(result, status_code=400)


@router.post("/presentations/verify", response_model=VerificationResult, responses=_FAILED)
def verify_presentation(body: VerifyPresentationRequest, authority: AuthorityDep) -> Any:
    """Verify a presentation over options.challenge (and options.domain) and every
    credential in it."""
    ok, result = verify_presentation_request(authority, body.verifiablePresentation, body.options)
    return result if ok else JSONResponse(result, status_code=400)


@router.post("/challenges", response_model=ChallengeResponse)
def challenges(access: AccessDep) -> dict[str, Any]:
    """A fresh challenge (and the registry's DID as domain) for a presentation."""
    return access.challenge()


@router.post("/credentials/status")
def credential_status(
    body: StatusUpdateRequest, authority: AuthorityDep, _: AdminDep
) -> dict[str, Any]:
    """Revoke a credential this registry issued (its status bit; final)."""
    update_status(authority, body.model_dump())
    return {"updated": True}
