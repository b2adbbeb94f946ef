"""Errors of the registry's HTTP layer itself (the library's are in :mod:`registry.errors`);
each has a stable camelCase ``code`` that problem details carry in ``type``.

::

    did.errors.AnshimError
    ├── ServiceError               serviceError          the HTTP layer refused the request
    │   ├── PayloadTooLarge        payloadTooLarge       a body over the endpoint's cap (413)
    │   ├── BodyTimeout            bodyTimeout           a body not all in by the deadline (408)
    │   ├── UnsupportedMediaType   unsupportedMediaType  a body of the wrong content type (415)
    │   ├── RouteNotFound          routeNotFound         no such path (404)
    │   ├── MethodNotAllowed       methodNotAllowed      the path exists, not the method (405)
    │   └── UnexpectedError        unexpectedError       a fault in the service (500; a bug)
    └── did.errors.InputError (ValueError)
        ├── MalformedBody          malformedBody         a body that is not strict JSON (400)
        └── InvalidRequest         invalidRequest        fields of the wrong shape (422)
"""

from __future__ import annotations

from did.errors import AnshimError, InputError

__all__ = [
    "BodyTimeout",
    "InvalidRequest",
    "MalformedBody",
    "MethodNotAllowed",
    "PayloadTooLarge",
    "RouteNotFound",
    "ServiceError",
    "UnexpectedError",
    "UnsupportedMediaType",
]


class ServiceError(AnshimError):
    """Root of the HTTP layer's own refusals."""

    code = "serviceError"


class PayloadTooLarge(ServiceError):
    """The request body is larger than the endpoint accepts; it was not parsed."""

    code = "payloadTooLarge"


class BodyTimeout(ServiceError):
    """The request body did not arrive whole within the service's deadline (a client
    trickling it, or a network too slow to use); it was not parsed."""

    code = "bodyTimeout"


class UnsupportedMediaType(ServiceError):
    """The request body's content type is not the one the endpoint reads."""

    code = "unsupportedMediaType"


class RouteNotFound(ServiceError):
    """No endpoint has that path."""

    code = "routeNotFound"


class MethodNotAllowed(ServiceError):
    """The path exists but not with that method."""

    code = "methodNotAllowed"


class UnexpectedError(ServiceError):
    """A fault inside the service (a bug): answered as 500 without details."""

    code = "unexpectedError"


class MalformedBody(InputError):
    """A body that is not strict JSON (or not a JSON object where one is needed)."""

    code = "malformedBody"


class InvalidRequest(InputError):
    """Request fields of the wrong type, missing or out of range (the schema's checks)."""

    code = "invalidRequest"
