"""The app factory: ``create_app(settings, *, store, clock, …)`` builds the FastAPI app
(no globals made at import; STYLE.md habit 14).

Around the routers: a deadline for every request body (408,
:mod:`verifier.service._deadline`), a pure ASGI guard that caps every request body before
it is read (413), one exception handler per error family that answers RFC 9457 problem
details (a body that does not parse is ``malformedMessage``, one that does not fit its
schema ``invalidInput``, a client gone mid-body is no error), and the uploader, started
and stopped with the app's lifespan.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from did import Ed25519PrivateKey
from did.errors import AnshimError
from protocol.errors import MalformedMessage, OversizeMessage
from verifier import EpochKeys
from verifier.errors import EndpointMethodRefused, NoSuchEndpoint, VenueServiceError
from verifier.service import _doors, _phones, _screens
from verifier.service._access import RateLimiter
from verifier.service._deadline import DEFAULT_BODY_TIMEOUT, BodyDeadlines
from verifier.service._fastpath import PhoneEndpoints
from verifier.service._problems import PROBLEM_TYPE_PREFIX, problem_body, responses
from verifier.service._runtime import Clock, VenueService, system_clock
from verifier.service._settings import VenueServiceSettings
from verifier.service._store import VenueStore
from verifier.service._uploader import HttpRegistryClient, RegistryClient, Uploader

__all__ = ["BodyLimit", "VenueApp", "create_app"]

_log = logging.getLogger("anshim.venue")
_PROBLEM = "application/problem+json"


def _problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    headers = {"retry-after": "5"} if status in (429, 503) else None
    return JSONResponse(body, status_code=status, media_type=_PROBLEM, headers=headers)


def _malformed(detail: str) -> JSONResponse:
    return _problem(400, MalformedMessage.code, "MalformedMessage", detail)


class BodyLimit:
    """Refuses a request whose body is over ``limit`` bytes with 413, before the app
    reads it: by its ``content-length``, and by counting as it streams in."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                await self._refuse(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise OversizeMessage("the request body is over the service's cap")
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _problem(
            413,
            OversizeMessage.code,
            "OversizeMessage",
            f"request bodies are capped at {self.limit} bytes",
        )
        await response(scope, receive, send)


class VenueApp(FastAPI):
    """The FastAPI app, with the phones' check-in and check-out answered by
    :class:`~verifier.service._fastpath.PhoneEndpoints` before routing (the hot path);
    every other request, and the OpenAPI document, are FastAPI's. Every request's body,
    either way, is due within ``deadlines.seconds`` (:class:`BodyDeadlines`)."""

    phones: PhoneEndpoints | None = None

    def __init__(
        self, *args: Any, body_timeout: float = DEFAULT_BODY_TIMEOUT, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.deadlines = BodyDeadlines(body_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        timed = self.deadlines.start(receive, send)
        try:
            phones = self.phones
            found = None if phones is None else phones.match(scope)
            if phones is not None and found is not None:
                # The fast path reads the whole body before it answers, and gives up
                # without answering if the client is gone (the 408 went): it needs no
                # watch on its sends.
                await phones(scope, timed.receive, send, *found)
            else:
                await super().__call__(scope, timed.receive, timed.send)
        finally:
            timed.finish()


def create_app(
    settings: VenueServiceSettings,
    *,
    store: VenueStore | None = None,
    clock: Clock = system_clock,
    keys: Mapping[str, Ed25519PrivateKey] | None = None,
    epoch_keys: EpochKeys | None = None,
    registry: RegistryClient | None = None,
    passphrase: str | None = None,
    upload: bool = True,
) -> FastAPI:
    """The venue service's ASGI app.

    ``store`` defaults to ``settings.database``; ``keys`` (venue id → signing key) and
    ``epoch_keys`` default to the files the settings name. Batches go to ``registry``, or
    to an :class:`HttpRegistryClient` for ``settings.registry``; with neither (or
    ``upload=False``) records stay in the outbox.

    Raises:
        VenueConfigError, KeyFileError, OutboxUnavailable: see
            :meth:`VenueService.open`.
    """
    service = VenueService.open(
        settings,
        store=store,
        clock=clock,
        keys=keys,
        epoch_keys=epoch_keys,
        passphrase=passphrase,
    )
    if registry is None and settings.registry is not None and upload:
        registry = HttpRegistryClient(settings.registry)
    uploader = None
    if registry is not None and upload:
        uploader = Uploader(
            service.store.another(),
            registry,
            {v.settings.id: (v.context.did, v.context.key) for v in service.venues.values()},
            clock=clock,
            batch=settings.upload_batch,
            interval=settings.upload_interval,
            backoff_min=settings.upload_backoff_min,
            backoff_max=settings.upload_backoff_max,
        )
        service.on_commit = uploader.wake

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service.enable_group_commit()
        if uploader is not None:
            uploader.start()
        try:
            yield
        finally:
            service.flush_now()
            if uploader is not None:
                uploader.stop()

    app = VenueApp(
        title="anshim venue service",
        version="0.1.0",
        summary="Check-ins at the door: phones, scanners, gateways, staff, devices, kiosk",
        lifespan=lifespan,
        # Any route may answer these: a body that does not parse, arrives too slowly or
        # is over the cap, input that fails its schema, a store that cannot commit.
        responses=responses(400, 408, 413, 422, 503),
        body_timeout=settings.body_timeout,
    )
    app.state.service = service
    app.state.uploader = uploader
    app.state.limiter = limiter = RateLimiter(settings.rate_per_source)
    app.phones = PhoneEndpoints(service, limit=settings.max_body_bytes, limiter=limiter)
    for module in (_phones, _doors, _screens):
        app.include_router(module.router)
    _handlers(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(AnshimError)
    async def anshim_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AnshimError)
        body = problem_body(exc)
        status = body["status"]
        if status >= 500:
            _log.warning("answering %d %s", status, exc.code)
        headers = {"retry-after": "5"} if status in (429, 503) else None
        return JSONResponse(body, status_code=status, media_type=_PROBLEM, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
        # Only where and what kind: pydantic's errors quote the input, which may be a
        # phone number or a name typed at an assisted entry.
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        if any(e.get("type") == "json_invalid" for e in errors):
            return _malformed("the body is not valid JSON")
        where = [{"loc": list(e.get("loc", ())), "type": e.get("type", "")} for e in errors]
        return _problem(
            422, "invalidInput", "InputError", "the request does not match its schema", errors=where
        )

    @app.exception_handler(ClientDisconnect)
    async def client_gone(_request: Request, _exc: Exception) -> JSONResponse:
        # The client went away before its body was all in (or its body was too slow, and
        # the 408 went already): nothing was read, so nothing was admitted or committed,
        # and the answer reaches nobody. Not an error of the service: nothing is logged.
        return _malformed("the client went away before its body was complete")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        if status == 400:  # FastAPI could not read the body (bad UTF-8, a client gone)
            return _malformed("the body cannot be parsed")
        error: AnshimError
        if status == 404:
            error = NoSuchEndpoint("no endpoint has this path")
        elif status == 405:
            error = EndpointMethodRefused("this path does not take that method")
        elif status == 413:
            error = OversizeMessage("the request body is over the service's cap")
        else:  # no route of this app raises another HTTPException; a code all the same
            error = VenueServiceError(f"the request was refused ({status})")
        body = problem_body(error)
        given = getattr(exc, "headers", None) or {}
        allow = [v for k, v in given.items() if k.lower() == "allow"] if status == 405 else []
        headers = {"allow": allow[0]} if allow else None
        return JSONResponse(body, status_code=body["status"], media_type=_PROBLEM, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        _log.error("unexpected %s", type(exc).__name__)
        return _problem(500, "venueServiceError", "VenueServiceError", "unexpected failure")
