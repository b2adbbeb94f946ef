"""DID authentication: a presentation over a registry challenge, exchanged for a
short-lived token (DESIGN.md "Access control"). Challenges come from ``POST /challenges``
(the VC-API router)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from registry.service.deps import AccessDep
from registry.service.routers._common import PROBLEMS
from registry.service.schemas import TokenRequest, TokenResponse

__all__ = ["router"]

router = APIRouter(tags=["authentication"], responses=PROBLEMS)


@router.post("/auth/token", response_model=TokenResponse)
def token(body: TokenRequest, access: AccessDep) -> dict[str, Any]:
    """Exchange a verifiable presentation (authentication proof over a challenge from
    POST /challenges, domain = the registry's DID) for a bearer token: the administrator's
    DID, an active venue's DID, or a holder of an InvestigatorCredential this registry
    issued."""
    issued, text = access.authenticate(body.verifiablePresentation)
    return {
        "access_token": text,
        "token_type": "Bearer",
        "expires_in": issued.expires - issued.issued,
        "role": issued.role,
        "subject": issued.subject,
    }
