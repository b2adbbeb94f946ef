"""What a venue's requests to the registry sign (DESIGN.md "The registry service", Venues;
"Access control": a venue proves itself by its DID key), defined here once for the venue
service that signs them (``anshim venue init --registry``) and the registry that checks
them.

A request is a JSON object; its proofs are Ed25519 signatures, in base64url, over a
context string naming the kind of request and the RFC 8785 (JCS) form of the request
without its proofs::

    context + JCS(request - {"proof", "newKeyProof"})

* :data:`VENUE_REGISTRATION_CONTEXT`: a ``VenueRegistration`` (``POST /venues``), whose
  ``proof`` by the venue's new key is its proof of possession.
* :data:`VENUE_ROTATION_CONTEXT`: a ``VenueKeyRotation``, with ``proof`` by the venue's current
  key (it authorises the change) and ``newKeyProof`` by the new key (it possesses it).

Each context ends in a NUL byte, which no JCS text holds, so the context and the JSON
cannot be re-cut into another context's request. Which fields each request holds, its
freshness and replay rules are the registry's (``registry._venues``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rfc8785

from protocol.wire import fail

__all__ = [
    "VENUE_PROOF_FIELDS",
    "VENUE_REGISTRATION_CONTEXT",
    "VENUE_ROTATION_CONTEXT",
    "venue_request_bytes",
]

#: The context a venue registration's ``proof`` signs under.
VENUE_REGISTRATION_CONTEXT = b"anshim/registry/venue-registration/v1\x00"
#: The context a venue key rotation's ``proof`` and ``newKeyProof`` sign under.
VENUE_ROTATION_CONTEXT = b"anshim/registry/venue-rotation/v1\x00"
#: The fields that carry a request's signatures, left out of what they sign.
VENUE_PROOF_FIELDS = frozenset({"proof", "newKeyProof"})


def venue_request_bytes(context: bytes, request: Mapping[str, Any]) -> bytes:
    """The bytes a venue request's proofs sign: ``context`` and the RFC 8785 (JCS) form of
    ``request`` without its :data:`VENUE_PROOF_FIELDS` (module docstring).

    Raises:
        MalformedMessage: ``context`` is not one of the two contexts, ``request`` is not a
            mapping, or it has no JCS form (a key that is not text, a float that is not
            finite, a value JSON has not).
    """
    if context not in (VENUE_REGISTRATION_CONTEXT, VENUE_ROTATION_CONTEXT):
        raise fail(
            "VenueRequest",
            "the context must be VENUE_REGISTRATION_CONTEXT or VENUE_ROTATION_CONTEXT",
        )
    if not isinstance(request, Mapping):
        raise fail("VenueRequest", "the request must be a JSON object")
    body = {k: v for k, v in request.items() if k not in VENUE_PROOF_FIELDS}
    try:
        return context + bytes(rfc8785.dumps(body))
    except (rfc8785.CanonicalizationError, RecursionError, TypeError, ValueError) as exc:
        raise fail("VenueRequest", "the request has no canonical JSON form") from exc
