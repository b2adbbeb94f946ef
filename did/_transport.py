"""How resolvers fetch documents: a small ``Transport`` protocol and two implementations.

Quick start::

    from did._transport import InMemoryTransport, HttpTransport
    t = InMemoryTransport({"https://example.com/.well-known/did.json": doc_bytes})
    t.get("https://example.com/.well-known/did.json", max_bytes=65536, timeout=5.0)

    HttpTransport()            # https only; needs the ``server`` extra (httpx)

``HttpTransport`` imports httpx only when constructed, so ``import did`` never pulls in
an HTTP client (phone apps ship without one).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from did.errors import Gone, NotFound, TransportError

__all__ = ["Gone", "HttpTransport", "InMemoryTransport", "Transport"]

_log = logging.getLogger(__name__)


@runtime_checkable
class Transport(Protocol):
    """Fetches the bytes at a URL."""

    def get(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        """The body at ``url``, at most ``max_bytes`` long.

        Raises:
            NotFound: if there is nothing at ``url`` (HTTP 404); :class:`Gone` for HTTP 410.
            TransportError: on any other failure, a timeout, or a body over ``max_bytes``.
        """
        ...


class InMemoryTransport:
    """A transport over a dict of URL → bytes, for tests and for embedded registries.

    ``requests`` lists every URL asked for, so tests can count fetches.
    """

    def __init__(self, mapping: Mapping[str, bytes] | None = None) -> None:
        self._data: dict[str, bytes] = dict(mapping or {})
        self._gone: set[str] = set()
        self.requests: list[str] = []

    def put(self, url: str, data: bytes) -> None:
        """Serve ``data`` at ``url`` (replacing what was there)."""
        self._data[url] = bytes(data)
        self._gone.discard(url)

    def remove(self, url: str, *, gone: bool = False) -> None:
        """Stop serving ``url``: 404 afterwards, or 410 (:class:`Gone`) if ``gone``."""
        self._data.pop(url, None)
        if gone:
            self._gone.add(url)

    def get(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        """See :meth:`Transport.get`."""
        self.requests.append(url)
        if url in self._gone:
            raise Gone("resource was removed (410)")
        data = self._data.get(url)
        if data is None:
            raise NotFound("no document at this URL (404)")
        if len(data) > max_bytes:
            raise TransportError(f"response larger than {max_bytes} bytes")
        return data


class HttpTransport:
    """HTTPS GET through httpx, streaming with a hard size cap and a timeout.

    Redirects are not followed (a did:web document lives at exactly one URL). Plain
    ``http`` is refused unless ``unsafe_allow_http=True`` (which logs a warning);
    ``unsafe_loopback_http=True`` (warned too) fetches ``https://localhost…`` and
    ``https://127.0.0.1…`` URLs over plain http, for a test server on this machine;
    ``httpx_transport`` lets tests plug in ``httpx.MockTransport``.

    Raises:
        ImportError: from the constructor if httpx (the ``server`` extra) is not installed.
    """

    def __init__(
        self,
        *,
        unsafe_allow_http: bool = False,
        httpx_transport: Any = None,
        user_agent: str = "anshim-did-resolver/0.1",
        unsafe_loopback_http: bool = False,
    ) -> None:
        import httpx  # lazily: the core must not import an HTTP client

        self._httpx = httpx
        self._unsafe_allow_http = unsafe_allow_http
        # For tests of a service on this machine: did:web names an https URL, and a test
        # server on loopback speaks plain http. Only localhost and 127.0.0.1 are rewritten.
        self._unsafe_loopback_http = unsafe_loopback_http
        if unsafe_loopback_http:
            _log.warning("HttpTransport fetches https URLs of localhost over plain http")
        if unsafe_allow_http:
            _log.warning("HttpTransport allows plain http: documents can be forged in transit")
        self._client = httpx.Client(
            transport=httpx_transport,
            follow_redirects=False,
            headers={
                "Accept": "application/did+json, application/did+ld+json, application/json",
                "User-Agent": user_agent,
            },
        )

    def close(self) -> None:
        """Close the underlying connection pool."""
        self._client.close()

    def get(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        """See :meth:`Transport.get`."""
        parts = urlsplit(url)
        loopback = parts.hostname in ("localhost", "127.0.0.1")
        if self._unsafe_loopback_http and parts.scheme == "https" and loopback:
            url = "http" + url[len("https") :]
            return self._fetch(url, max_bytes=max_bytes, timeout=timeout)
        scheme = parts.scheme
        if scheme != "https" and not (self._unsafe_allow_http and scheme == "http"):
            raise TransportError("only https URLs are fetched")
        return self._fetch(url, max_bytes=max_bytes, timeout=timeout)

    def _fetch(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        httpx = self._httpx
        try:
            with self._client.stream("GET", url, timeout=timeout) as response:
                status = response.status_code
                if status == 404:
                    raise NotFound("no document at this URL (404)")
                if status == 410:
                    raise Gone("resource was removed (410)")
                if status != 200:
                    raise TransportError(f"unexpected HTTP status {status}")
                declared = response.headers.get("Content-Length")
                if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                    raise TransportError(f"response larger than {max_bytes} bytes")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise TransportError(f"response larger than {max_bytes} bytes")
                return bytes(body)
        except httpx.TimeoutException as exc:
            raise TransportError("request timed out") from exc
        except httpx.HTTPError as exc:
            raise TransportError(f"HTTP request failed: {type(exc).__name__}") from exc
