"""The did:web method (W3C CCG did:web): DIDs hosted as ``did.json`` over HTTPS.

Quick start::

    from did._didweb import did_web_to_url, url_to_did_web, did_web_document
    did_web_to_url("did:web:example.com%3A3000:user:alice")
    # 'https://example.com:3000/user/alice/did.json'
    url_to_did_web("https://example.com/.well-known/did.json")   # 'did:web:example.com'
    doc = did_web_document(did, signing_key=sk.public_key, agreement_key=xk)

Host policy (did:web section 3.2 "The method specific identifier MUST NOT include IP
addresses"): a DNS name of LDH labels; IPv4/IPv6 literals, empty labels, and a port other
than 1-65535 are refused. ``localhost`` is accepted for tests. Path segments must be
non-empty, and ``.``/``..`` or an encoded ``/`` are refused so that a DID can never
address a path outside its own directory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from did._didsyntax import parse_did_url
from did._document import DID_CONTEXT_V1, DidDocument
from did._keys import Ed25519PublicKey, X25519PublicKey
from did.errors import InvalidDid, InvalidKey, MethodNotSupported

__all__ = ["did_web_document", "did_web_to_url", "url_to_did_web"]

_MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
_LABEL_RE = re.compile(r"\A[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
_PORT_RE = re.compile(r"\A[1-9][0-9]{0,4}\Z")
_MAX_HOST = 253


def _check_host(host: str) -> str:
    """Validate a host name (RFC 1035 section 2.3.1 LDH labels); return it lowercased."""
    if not host or len(host) > _MAX_HOST:
        raise InvalidDid("did:web host must be a DNS name of at most 253 characters")
    labels = host.split(".")
    if not all(_LABEL_RE.match(label) for label in labels):
        raise InvalidDid("did:web host is not a valid DNS name")
    # A dotted-decimal (or any all-numeric final label) host is an IP literal: refused.
    if labels[-1].isdigit():
        raise InvalidDid("did:web must not use an IP address")
    if len(labels) < 2 and host.lower() != "localhost":
        raise InvalidDid("did:web host must be a fully qualified domain name")
    return host.lower()


def _check_port(port: str) -> str:
    if not _PORT_RE.match(port) or not 1 <= int(port) <= 65535:
        raise InvalidDid("did:web port must be 1-65535")
    return port


def _check_segment(segment: str) -> str:
    if not segment:
        raise InvalidDid("did:web path segments must not be empty")
    decoded = unquote(segment)
    if decoded in (".", "..") or "/" in decoded or "\\" in decoded:
        raise InvalidDid("did:web path segment would leave its directory")
    return segment


def did_web_to_url(did: str) -> str:
    """The HTTPS URL of a did:web document (did:web section 3.2 "Read (Resolve)").

    ``did:web:<host>[%3A<port>]`` → ``https://<host>[:<port>]/.well-known/did.json``;
    ``did:web:<host>:<a>:<b>`` → ``https://<host>/<a>/<b>/did.json``.

    Raises:
        InvalidDid: on a malformed DID, an IP-literal or invalid host, a bad port, an
            empty or escaping path segment, or a DID URL with path, query or fragment.
        MethodNotSupported: for a DID of another method.
    """
    url = parse_did_url(did)
    if url.did != did:
        raise InvalidDid("a did:web DID has no path, query or fragment here")
    if url.method != "web":
        raise MethodNotSupported(f"DID method {url.method!r} is not did:web")
    first, *segments = url.method_specific_id.split(":")
    # did:web 3.2 step 3: a port's colon is percent-encoded in the DID; decode it.
    host, sep, port = first.replace("%3a", "%3A").partition("%3A")
    if "%" in host:
        raise InvalidDid("did:web host must not contain percent-encoding")
    authority = _check_host(host) + (":" + _check_port(port) if sep else "")
    path = "/".join(_check_segment(s) for s in segments)
    return (
        f"https://{authority}/{path}/did.json"
        if path
        else f"https://{authority}/.well-known/did.json"
    )


def url_to_did_web(url: str) -> str:
    """The did:web DID of an HTTPS URL: the inverse of :func:`did_web_to_url`.

    Accepts the document URL (``…/did.json``, ``/.well-known/did.json``), a bare origin,
    or a directory URL (``https://example.com/user/alice``).

    Raises:
        InvalidDid: for a URL that is not https, has user info, a query or fragment, an IP
            literal or bad host, a bad port, or an empty or escaping path segment.
    """
    if not isinstance(url, str) or len(url) > 2048:
        raise InvalidDid("not an https URL")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise InvalidDid("not a valid URL") from exc
    if parts.scheme != "https" or host is None:
        raise InvalidDid("did:web URLs are https")
    if parts.username is not None or parts.password is not None:
        raise InvalidDid("did:web URLs carry no user information")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise InvalidDid("did:web URLs have no query or fragment")
    msid = _check_host(host)
    if port is not None:
        msid += "%3A" + _check_port(str(port))
    path = parts.path
    if path in ("", "/", "/.well-known/did.json"):
        return "did:web:" + msid
    if path.endswith("/did.json"):
        path = path[: -len("/did.json")]
    if not path.startswith("/") or path.startswith("/.well-known"):
        raise InvalidDid("URL path does not map to a did:web DID")
    inner = path.removeprefix("/").removesuffix("/")
    raw_segments = inner.split("/") if inner else []
    segments = []
    for raw in raw_segments:
        # Normalise percent-encoding; "~" is not a DID idchar, so it is encoded too.
        seg = quote(unquote(raw), safe="").replace("~", "%7E")
        segments.append(_check_segment(seg))
    did = ":".join(["did:web", msid, *segments])
    did_web_to_url(did)  # the round trip validates the result against the DID grammar
    return did


def did_web_document(
    did: str,
    *,
    signing_key: Ed25519PublicKey,
    agreement_key: X25519PublicKey | None = None,
    services: Sequence[Mapping[str, Any]] = (),
    also_known_as: Sequence[str] = (),
) -> DidDocument:
    """A did:web document to host: the Ed25519 key for authentication, assertionMethod and
    both capability relationships, an optional X25519 keyAgreement key, and services.

    Method fragments are the keys' Multikey values, so a rotated key gets a new id.

    Raises:
        InvalidDid: if ``did`` is not a valid did:web DID.
        MethodNotSupported: for another method.
        InvalidKey: for keys of the wrong type.
        InvalidDidDocument: for malformed services or ``also_known_as`` entries.
    """
    did_web_to_url(did)
    if not isinstance(signing_key, Ed25519PublicKey):
        raise InvalidKey("signing_key must be an Ed25519PublicKey")
    if agreement_key is not None and not isinstance(agreement_key, X25519PublicKey):
        raise InvalidKey("agreement_key must be an X25519PublicKey")
    sign_id = f"{did}#{signing_key.to_multikey()}"
    methods: list[dict[str, Any]] = [
        {
            "id": sign_id,
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": signing_key.to_multikey(),
        }
    ]
    doc: dict[str, Any] = {"@context": [DID_CONTEXT_V1, _MULTIKEY_CONTEXT], "id": did}
    if also_known_as:
        doc["alsoKnownAs"] = list(also_known_as)
    doc["verificationMethod"] = methods
    for rel in (
        "authentication",
        "assertionMethod",
        "capabilityInvocation",
        "capabilityDelegation",
    ):
        doc[rel] = [sign_id]
    if agreement_key is not None:
        agree_id = f"{did}#{agreement_key.to_multikey()}"
        methods.append(
            {
                "id": agree_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": agreement_key.to_multikey(),
            }
        )
        doc["keyAgreement"] = [agree_id]
    if services:
        doc["service"] = [dict(s) for s in services]
    return DidDocument.from_json(doc)
