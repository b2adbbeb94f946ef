"""What every router shares: the problem-detail responses each endpoint documents, and
cacheable answers for published data (strong ETags, ``If-None-Match`` → 304)."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request, Response

from registry.service.schemas import Problem

__all__ = ["PROBLEMS", "cacheable"]

_CODES = {
    400: "Malformed input (JSON, CBOR, a credential)",
    401: "Not authenticated, or a signature that does not verify",
    403: "Authenticated, but not allowed",
    404: "Not found",
    409: "Conflicts with the registry's state (a replay, a duplicate, a stale publication)",
    410: "Gone",
    413: "Body too large (refused before parsing)",
    415: "Unsupported content type",
    422: "Input of the wrong shape or out of range",
    503: "The store is unavailable; retry after Retry-After",
}
#: Problem-detail responses (``application/problem+json``) for the OpenAPI document.
PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {
        "model": Problem,
        "description": text,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    for code, text in _CODES.items()
}


def cacheable(request: Request, body: bytes, media_type: str, *, max_age: int = 60) -> Response:
    """``body`` as a public, cacheable response with a strong ETag; 304 when the client's
    ``If-None-Match`` already names it."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    match = request.headers.get("if-none-match", "")
    if etag in [m.strip() for m in match.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
