"""DID resolution (W3C DID Resolution) for did:key and did:web, with a TTL cache.

Quick start::

    from did._resolver import Resolver
    from did._transport import InMemoryTransport
    resolver = Resolver(transport=InMemoryTransport({...}))
    result = resolver.resolve("did:web:example.com")      # never raises
    result.to_json()["didResolutionMetadata"]             # {"contentType": ...} or {"error": ...}
    resolver.verification_key("did:key:z6Mk…#z6Mk…")      # Ed25519PublicKey, or raises

did:key needs no transport. did:web goes through the transport; the fetched document is
parsed strictly, size-limited, and its ``id`` must equal the DID. Successful answers are
cached per DID for ``cache_ttl`` seconds of the injected ``clock``. An HTTP 410 (``Gone``)
answer means the DID was deactivated: the result carries ``deactivated: true`` in its
document metadata, and the raising methods refuse it with :class:`DidDeactivated`.
"""

from __future__ import annotations

import time
import types
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from did._didkey import (
    REPRESENTATIONS,
    RepresentationNotSupported,
    did_key_document,
    ed25519_public_key_from_did,
)
from did._didsyntax import parse_did_url
from did._didweb import did_web_to_url
from did._document import RELATIONSHIPS, DidDocument, VerificationMethod
from did._keys import Ed25519PublicKey
from did._transport import Gone, Transport
from did.errors import (
    AnshimError,
    ControllerMismatch,
    DidDeactivated,
    InvalidDid,
    InvalidDidDocument,
    InvalidKey,
    MethodNotAuthorized,
    MethodNotSupported,
    NotFound,
    TransportError,
)

__all__ = [
    "DID_RESOLUTION_CONTEXT",
    "DidDeactivated",
    "MethodNotAuthorized",
    "ResolutionResult",
    "Resolver",
]

DID_RESOLUTION_CONTEXT = "https://w3id.org/did-resolution/v1"
_DID_JSON = "application/did+json"
_DID_LD_JSON = "application/did+ld+json"
_MAX_CACHE_ENTRIES = 10_000
_FETCH_TIMEOUT = 10.0


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class ResolutionResult:
    """The outcome of resolving one DID (DID Resolution section 4, "resolve" function)."""

    did_document: DidDocument | None
    resolution_metadata: Mapping[str, Any]
    document_metadata: Mapping[str, Any]

    @property
    def error(self) -> str | None:
        """The error code (``invalidDid``, ``notFound`` …), or ``None`` on success."""
        err = self.resolution_metadata.get("error")
        return err if isinstance(err, str) else None

    @property
    def deactivated(self) -> bool:
        """Whether the document metadata says the DID is deactivated."""
        return self.document_metadata.get("deactivated") is True

    def to_json(self) -> dict[str, Any]:
        """The DID Resolution result JSON (``didDocument``, ``didResolutionMetadata``,
        ``didDocumentMetadata``)."""
        return {
            "@context": DID_RESOLUTION_CONTEXT,
            "didDocument": None if self.did_document is None else self.did_document.to_json(),
            "didResolutionMetadata": dict(self.resolution_metadata),
            "didDocumentMetadata": dict(self.document_metadata),
        }

    @classmethod
    def failure(cls, code: str, message: str) -> ResolutionResult:
        """An error result with ``error`` and ``errorMessage`` metadata."""
        return cls(None, _frozen({"error": code, "errorMessage": message}), _frozen({}))


def _success(doc: DidDocument, metadata: Mapping[str, Any] | None = None) -> ResolutionResult:
    content_type = _DID_LD_JSON if doc.context else _DID_JSON
    return ResolutionResult(doc, _frozen({"contentType": content_type}), _frozen(metadata or {}))


def _error_code(exc: BaseException) -> str:
    # DID Resolution section 7.1 error codes; anything unexpected is internalError.
    if isinstance(exc, InvalidDid):
        return "invalidDid"
    if isinstance(exc, RepresentationNotSupported):
        return "representationNotSupported"
    if isinstance(exc, MethodNotSupported):
        return "methodNotSupported"
    if isinstance(exc, NotFound):
        return "notFound"
    if isinstance(exc, InvalidDidDocument):
        return "invalidDidDocument"
    return "internalError"


class Resolver:
    """Resolves did:key locally and did:web through a :class:`~did.Transport`.

    ``did_key_representation`` picks the did:key document form (see
    :data:`did.REPRESENTATIONS`). Without a transport, did:web answers
    ``methodNotSupported``.

    Raises:
        RepresentationNotSupported: from the constructor for an unknown representation.
    """

    def __init__(
        self,
        *,
        transport: Transport | None = None,
        cache_ttl: float = 300.0,
        max_document_bytes: int = 64 * 1024,
        clock: Callable[[], float] = time.time,
        did_key_representation: str = "multikey",
    ) -> None:
        if did_key_representation not in REPRESENTATIONS:
            raise RepresentationNotSupported("unknown did:key representation")
        self._transport = transport
        self._ttl = float(cache_ttl)
        self._max_bytes = int(max_document_bytes)
        self._clock = clock
        self._representation = did_key_representation
        self._cache: OrderedDict[str, tuple[float, ResolutionResult]] = OrderedDict()

    def resolve(self, did: str, *, representation: str | None = None) -> ResolutionResult:
        """Resolve ``did``; every failure becomes an error result, never an exception.

        ``representation`` overrides the did:key document form for this call.
        """
        try:
            return self._resolve(did, representation)
        except AnshimError as exc:
            return ResolutionResult.failure(_error_code(exc), exc.message)
        except Exception as exc:  # the contract: resolve() never raises for bad input
            return ResolutionResult.failure("internalError", type(exc).__name__)

    def resolve_document(self, did: str) -> DidDocument:
        """The DID document of ``did``.

        Raises:
            InvalidDid: for a malformed DID (or a DID URL with path, query or fragment).
            MethodNotSupported: for a method other than key and web (or web without a
                transport).
            NotFound: if the did:web document does not exist.
            DidDeactivated: if the DID was deactivated.
            InvalidDidDocument: if the fetched document is malformed, too large, or its
                ``id`` is not the DID.
            TransportError: if fetching failed.
        """
        result = self._resolve(did, None)
        if result.did_document is None or result.deactivated:
            raise DidDeactivated("the DID has been deactivated")
        return result.did_document

    def dereference(self, did_url: str, *, relationship: str | None = None) -> VerificationMethod:
        """The verification method a DID URL (``did#fragment``) names.

        Raises:
            InvalidDid: if ``did_url`` is malformed, has a path or query, or no fragment.
            ControllerMismatch: if the method's ``controller`` is not the document's DID.
            MethodNotAuthorized: if ``relationship`` is given and the method is not in it.
            InvalidDidDocument: for an unknown relationship name.
            NotFound: if the document has no such method (or the DID does not exist).
            Every error of :meth:`resolve_document`.
        """
        url = parse_did_url(did_url)
        if url.path or url.query is not None or not url.fragment:
            raise InvalidDid("a verification method URL is did#fragment")
        if relationship is not None and relationship not in RELATIONSHIPS:
            raise InvalidDidDocument(f"unknown verification relationship {relationship!r}")
        doc = self.resolve_document(url.did)
        vm = doc.verification_method(did_url)
        if vm.controller != doc.id:
            # Controlled Identifiers 1.0 §3.3 step 7: the method's controller must be the
            # document it was retrieved from, or the document could lend its subject's
            # authority to a key another party controls.
            raise ControllerMismatch("the verification method is controlled by another DID")
        if relationship is not None and not doc.has_relationship(vm.id, relationship):
            raise MethodNotAuthorized(f"verification method is not authorised for {relationship}")
        return vm

    def verification_key(
        self, did_url: str, *, relationship: str = "assertionMethod"
    ) -> Ed25519PublicKey:
        """The Ed25519 key of the method ``did_url`` names, checked against ``relationship``.

        A bare did:key (no fragment) names its own key.

        Raises:
            InvalidKey: if the method's key is not Ed25519.
            Every error of :meth:`dereference`.
        """
        if isinstance(did_url, str) and did_url.startswith("did:key:"):
            # did:key fast path (cached): the Ed25519 key is in every relationship except
            # keyAgreement (did:key 3.1.1 "Document Creation Algorithm").
            key = ed25519_public_key_from_did(did_url)
            if relationship == "keyAgreement":
                raise MethodNotAuthorized("an Ed25519 did:key key is not a keyAgreement key")
            if relationship not in RELATIONSHIPS:
                raise InvalidDidDocument(f"unknown verification relationship {relationship!r}")
            return key
        vm = self.dereference(did_url, relationship=relationship)
        key_ = vm.public_key()
        if not isinstance(key_, Ed25519PublicKey):
            raise InvalidKey("verification method does not hold an Ed25519 key")
        return key_

    def clear_cache(self) -> None:
        """Forget every cached did:web result."""
        self._cache.clear()

    def _resolve(self, did: str, representation: str | None) -> ResolutionResult:
        url = parse_did_url(did)
        if url.did != did:
            raise InvalidDid("resolve() takes a DID, not a DID URL")
        if url.method == "key":
            doc = did_key_document(did, representation=representation or self._representation)
            return _success(doc)
        if url.method == "web":
            if representation not in (None, "multikey"):
                raise RepresentationNotSupported("did:web documents are served as published")
            return self._resolve_web(did)
        raise MethodNotSupported(f"DID method {url.method!r} is not supported")

    def _resolve_web(self, did: str) -> ResolutionResult:
        now = self._clock()
        cached = self._cache.get(did)
        if cached is not None and cached[0] > now:
            return cached[1]
        url = did_web_to_url(did)  # validates before any I/O
        if self._transport is None:
            raise MethodNotSupported("did:web needs a transport")
        try:
            body = self._transport.get(url, max_bytes=self._max_bytes, timeout=_FETCH_TIMEOUT)
        except Gone:
            result = ResolutionResult(None, _frozen({}), _frozen({"deactivated": True}))
            self._store(did, now, result)
            return result
        except (NotFound, TransportError):
            raise
        except AnshimError as exc:
            raise TransportError(f"transport failed: {exc.message}") from exc
        doc = DidDocument.from_json(body, max_bytes=self._max_bytes)
        # did:web 3.2 (Read): the document's id must be the DID that was resolved, or any
        # host could publish a document for another DID.
        if doc.id != did:
            raise InvalidDidDocument("document id does not match the resolved DID")
        result = _success(doc)
        self._store(did, now, result)
        return result

    def _store(self, did: str, now: float, result: ResolutionResult) -> None:
        if self._ttl <= 0:
            return
        self._cache[did] = (now + self._ttl, result)
        self._cache.move_to_end(did)
        while len(self._cache) > _MAX_CACHE_ENTRIES:
            self._cache.popitem(last=False)
