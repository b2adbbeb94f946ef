"""RFC 9457 problem details for every error the venue service answers with.

One table maps each error class to its HTTP status; a class not in the table takes the
status of its nearest listed ancestor (``__mro__``), and a test checks that every error code
the service can meet resolves to a status through a listed class, not through the root.
The body is ``application/problem+json``: ``type`` is ``urn:anshim:error:<code>``,
``title``, ``status``, ``detail`` (the error's message, which never carries a secret, a
phone number or a name) and ``code``; refusals that a person reads add ``userMessage``
(Korean and English).
"""

from __future__ import annotations

from typing import Any

from did.errors import (
    AnshimError,
    CliError,
    DecodeError,
    DidDeactivated,
    Gone,
    InputError,
    InvalidSignature,
    KeyFileError,
    NotFound,
    QrRenderingUnavailable,
    ReplayStoreFull,
    ResolutionError,
    TransportError,
    VerificationError,
)
from protocol.errors import (
    BadEnvelope,
    BadPseudonym,
    BadSignature,
    ChallengeError,
    EntryRefused,
    ForeignRecord,
    MalformedMessage,
    OversizeMessage,
    PresenceRequired,
    ProtocolError,
    ReadingMismatch,
    ReplayedChallenge,
    TimeError,
    TwinMismatch,
    UnknownKey,
    WrongAudience,
)
from verifier.errors import (
    BadGatewaySignature,
    BodyTooSlow,
    CheckInRateLimited,
    EndpointMethodRefused,
    GatewayRefused,
    NoOpenVisit,
    NoSuchEndpoint,
    OutboxUnavailable,
    StaffPasscodeRefused,
    StaleGatewayRequest,
    UnknownDevice,
    UnknownVenueNumber,
    UploadFailed,
    VenueConfigError,
    VenueNotHosted,
    VenueServiceError,
)
from verifier.service._messages import kiosk_message

__all__ = [
    "PROBLEM_TYPE_PREFIX",
    "STATUS",
    "binary_body",
    "binary_response",
    "problem_body",
    "responses",
    "status_of",
]

#: Every problem's ``type`` is this prefix and the error's code.
PROBLEM_TYPE_PREFIX = "urn:anshim:error:"

#: HTTP status per error class; subclasses inherit their nearest listed ancestor's.
STATUS: dict[type[AnshimError], int] = {
    # Bytes that do not parse: 400; too large: 413.
    DecodeError: 400,
    MalformedMessage: 400,
    OversizeMessage: 413,
    # A body that did not arrive in time: 408.
    BodyTooSlow: 408,
    # Well-formed input that is refused: 422 (the code says why).
    InputError: 422,
    BadPseudonym: 422,
    BadSignature: 422,
    InvalidSignature: 422,
    VerificationError: 422,
    TwinMismatch: 422,
    UnknownKey: 422,
    WrongAudience: 422,
    ChallengeError: 422,
    TimeError: 422,
    ReadingMismatch: 422,
    BadEnvelope: 422,
    ForeignRecord: 422,
    PresenceRequired: 422,
    ProtocolError: 422,
    # Already used: 409. Entry refused by policy: 403.
    ReplayedChallenge: 409,
    NoOpenVisit: 409,
    EntryRefused: 403,
    # Who may post: a device not registered here, a gateway or staff that cannot prove it.
    UnknownDevice: 403,
    GatewayRefused: 401,
    BadGatewaySignature: 401,
    StaleGatewayRequest: 401,
    UnknownVenueNumber: 404,
    StaffPasscodeRefused: 401,
    VenueNotHosted: 404,
    # A path no endpoint has, or a method its endpoint does not take.
    NoSuchEndpoint: 404,
    EndpointMethodRefused: 405,
    CheckInRateLimited: 429,
    # The service itself cannot take the request now: 503, retry later.
    OutboxUnavailable: 503,
    ReplayStoreFull: 503,
    UploadFailed: 503,
    VenueServiceError: 503,
    VenueConfigError: 503,
    KeyFileError: 503,
    QrRenderingUnavailable: 503,
    # DID resolution (a venue service resolves nothing on the request path, but a code is
    # a contract: each still has its status).
    ResolutionError: 502,
    TransportError: 502,
    NotFound: 404,
    Gone: 410,
    DidDeactivated: 410,
    # A command-line usage error never reaches HTTP; were it to, it is the caller's.
    CliError: 400,
}


def status_of(error: type[AnshimError]) -> int:
    """The HTTP status of an error class (its nearest listed ancestor's; 500 if none)."""
    for cls in error.__mro__:
        status = STATUS.get(cls)
        if status is not None:
            return status
    return 500


def problem_body(error: AnshimError) -> dict[str, Any]:
    """The RFC 9457 body for ``error``."""
    cls = type(error)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + error.code,
        "title": cls.__name__,
        "status": status_of(cls),
        "detail": error.message,
        "code": error.code,
    }
    if isinstance(error, EntryRefused | PresenceRequired | ProtocolError):
        body["userMessage"] = kiosk_message(error.code)
    return body


def responses(*statuses: int) -> dict[int | str, Any]:
    """OpenAPI ``responses`` entries for the problem statuses a route can answer."""
    from verifier.service.schemas import Problem

    return {
        status: {
            "description": "a problem detail (RFC 9457)",
            "model": Problem,
            "content": {"application/problem+json": {}},
        }
        for status in statuses
    }


def binary_body(media_type: str, description: str) -> dict[str, Any]:
    """OpenAPI ``openapi_extra`` for a route whose body is raw bytes of ``media_type``."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


def binary_response(status: int, media_type: str, description: str) -> dict[int | str, Any]:
    """An OpenAPI ``responses`` entry for a success answered with raw bytes."""
    return {
        status: {
            "description": description,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
