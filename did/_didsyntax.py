"""DID and DID URL syntax (DID Core 1.0 sections 3.1 and 3.2), shared by the DID modules.

Only the grammar lives here; method-specific rules live in ``didkey`` and ``didweb``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from did.errors import InvalidDid

__all__ = ["MAX_DID_CHARS", "DidUrl", "is_did", "parse_did_url", "require_did"]

# A bound on any DID or DID URL we parse: far above any real identifier, far below
# anything that makes regular-expression matching or caching expensive.
MAX_DID_CHARS = 2048

# DID Core 3.1: did = "did:" method-name ":" method-specific-id
#   method-name        = 1*method-char ; method-char = %x61-7A / DIGIT
#   method-specific-id = *( *idchar ":" ) 1*idchar
#   idchar             = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded
_IDCHAR = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})"
_DID = rf"did:[a-z0-9]+:(?:{_IDCHAR}*:)*{_IDCHAR}+"
_DID_RE = re.compile(rf"\A{_DID}\Z")

# DID Core 3.2: did-url = did path-abempty [ "?" query ] [ "#" fragment ], with the
# path, query and fragment productions of RFC 3986 section 3.3-3.5.
_PCHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
_DID_URL_RE = re.compile(
    rf"\A(?P<did>{_DID})(?P<path>(?:/{_PCHAR}*)*)"
    rf"(?:\?(?P<query>(?:{_PCHAR}|[/?])*))?"
    rf"(?:#(?P<fragment>(?:{_PCHAR}|[/?])*))?\Z"
)


@dataclass(frozen=True, slots=True)
class DidUrl:
    """A parsed DID URL: the DID, and its path, query and fragment (``None`` if absent)."""

    did: str
    path: str
    query: str | None
    fragment: str | None

    @property
    def method(self) -> str:
        """The DID method name (``key``, ``web`` …)."""
        return self.did.split(":", 2)[1]

    @property
    def method_specific_id(self) -> str:
        """Everything after ``did:<method>:``."""
        return self.did.split(":", 2)[2]


def is_did(value: object) -> bool:
    """Whether ``value`` is a string matching the DID Core 3.1 ``did`` production."""
    return isinstance(value, str) and len(value) <= MAX_DID_CHARS and bool(_DID_RE.match(value))


def require_did(value: object) -> str:
    """Return ``value`` if it is a DID (no path, query or fragment).

    Raises:
        InvalidDid: if it is not a string matching DID Core 3.1.
    """
    if not isinstance(value, str) or not is_did(value):
        raise InvalidDid("not a valid DID (DID Core 3.1)")
    return value


def parse_did_url(value: object) -> DidUrl:
    """Parse a DID URL per DID Core 3.2 (a bare DID is a DID URL too).

    Raises:
        InvalidDid: if ``value`` is not a string matching the ``did-url`` production.
    """
    if not isinstance(value, str) or len(value) > MAX_DID_CHARS:
        raise InvalidDid("not a valid DID URL (DID Core 3.2)")
    m = _DID_URL_RE.match(value)
    if m is None:
        raise InvalidDid("not a valid DID URL (DID Core 3.2)")
    return DidUrl(m["did"], m["path"], m["query"], m["fragment"])
