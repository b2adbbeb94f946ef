"""RFC 9457 problem details: one table from error class to HTTP status, one handler.

Every refusal is ``application/problem+json`` with ``type = urn:anshim:error:<code>``
(the error's stable code, STYLE.md habit 13), ``title`` (the class), ``status``,
``detail`` (the error's message, which never holds secrets) and ``code``. The status of an
error is that of the nearest class in its MRO that the table names; the table names the
roots of every package's tree, so every error has one (a test walks them all). A
retryable :class:`~registry.errors.StoreUnavailable` is 503 with ``Retry-After``, never
500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import did.errors as de
import did.vc.errors as vce
import escrow.errors as ee
import protocol.errors as pe
import registry.errors as re_
from registry._metrics import Metrics
from registry.service import errors as se

__all__ = ["PROBLEM_TYPE_PREFIX", "STATUS", "install_handlers", "problem", "status_of"]

PROBLEM_TYPE_PREFIX = "urn:anshim:error:"
_log = logging.getLogger("registry.service")

#: HTTP status per error class; an error takes the status of the first class of its MRO
#: found here.
STATUS: dict[type[BaseException], int] = {
    # did (the core): input is 400/422; failed verification 422; resolution 502.
    de.AnshimError: 500,
    de.InputError: 422,
    de.DecodeError: 400,
    de.VerificationError: 422,
    de.ResolutionError: 502,
    de.NotFound: 404,
    de.DidDeactivated: 410,
    de.ReplayStoreFull: 503,
    de.CliError: 400,
    de.QrRenderingUnavailable: 503,
    # did.vc: a malformed credential is 400; a refused one 422.
    vce.CredentialError: 400,
    # protocol: decoding 400; a bad batch signature 401; a venue that may not upload 403.
    pe.ProtocolError: 422,
    pe.MalformedMessage: 400,
    pe.BadSignature: 401,
    pe.UnknownKey: 403,
    pe.ForeignRecord: 403,
    pe.WrongAudience: 403,
    # escrow: its refusals are input or verification errors (above).
    ee.EpochUnavailable: 404,
    # registry: the store and the authority.
    re_.RegistryError: 500,
    re_.StoreUnavailable: 503,
    re_.SchemaMismatch: 503,
    re_.RecordConflict: 409,
    re_.TraceSeedLabelFull: 409,
    re_.UnknownVenue: 404,
    re_.VenueNotActive: 409,
    re_.VenueDeactivated: 403,
    re_.VenueExists: 409,
    re_.ReplayedRequest: 409,
    re_.ProofOfPossessionFailed: 401,
    re_.UnknownNotice: 404,
    re_.NoticeClosed: 409,
    re_.NotPublished: 404,
    re_.StalePublication: 409,
    re_.InvalidCaseId: 422,
    re_.AccessDenied: 401,
    re_.NotPermitted: 403,
    # the HTTP layer.
    se.ServiceError: 500,
    se.PayloadTooLarge: 413,
    se.BodyTimeout: 408,
    se.UnsupportedMediaType: 415,
    se.RouteNotFound: 404,
    se.MethodNotAllowed: 405,
    se.MalformedBody: 400,
    se.InvalidRequest: 422,
}


def status_of(cls: type[BaseException]) -> int:
    """The HTTP status of an error class (the nearest class of its MRO in :data:`STATUS`)."""
    for klass in cls.__mro__:
        if klass in STATUS:
            return STATUS[klass]
    return 500


def problem(
    exc: de.AnshimError, *, status: int | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The problem-details response of ``exc``."""
    code = status if status is not None else status_of(type(exc))
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + exc.code,
        "title": type(exc).__name__,
        "status": code,
        "detail": exc.message,
        "code": exc.code,
    }
    out = dict(headers or {})
    if isinstance(exc, (re_.StoreUnavailable, de.ReplayStoreFull, re_.SchemaMismatch)):
        out.setdefault("Retry-After", "5")
    if code == 401:
        out.setdefault("WWW-Authenticate", 'Bearer realm="anshim-registry"')
    return JSONResponse(body, status_code=code, headers=out, media_type="application/problem+json")


def install_handlers(app: FastAPI, metrics: Metrics, *, retry_after: int = 5) -> None:
    """Register the handlers that turn every error into a problem detail."""

    def refused(exc: de.AnshimError) -> JSONResponse:
        metrics.add("anshim_registry_refusals_total", label="code", value=exc.code)
        headers = (
            {"Retry-After": str(retry_after)} if isinstance(exc, re_.StoreUnavailable) else None
        )
        return problem(exc, headers=headers)

    async def on_anshim(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, de.AnshimError):  # registered for AnshimError only
            return await on_unexpected(request, exc)
        return refused(exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        if any(e.get("type") == "json_invalid" for e in errors):
            return refused(se.MalformedBody("the body is not valid JSON"))
        where = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"[:200]
            for e in errors[:5]
        )
        return refused(se.InvalidRequest(f"the request does not fit the schema: {where}"))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        if status == 404:
            return refused(se.RouteNotFound("no endpoint has this path"))
        if status == 405:
            return refused(se.MethodNotAllowed("this path does not take that method"))
        if status == 413:
            return refused(se.PayloadTooLarge("the body is too large"))
        if status == 400:
            return refused(se.MalformedBody("the body cannot be parsed"))
        if status == 415:
            return refused(se.UnsupportedMediaType("unsupported content type"))
        err = se.InvalidRequest(str(getattr(exc, "detail", "bad request"))[:200])
        return problem(err, status=status if 400 <= status < 500 else 400)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error in %s %s", request.method, request.url.path)
        return refused(se.UnexpectedError("the registry failed unexpectedly"))

    app.add_exception_handler(de.AnshimError, on_anshim)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
