"""How a visit starts: the venue's static poster and its rotating kiosk challenge.

DESIGN.md "Venue codes": a :class:`VenueCode` is signed by the registry (the wallet checks it
offline against the pinned registry key, so an altered or forged poster is refused on the
phone); a :class:`VenueChallenge` is signed by the venue key and lives at most 60 seconds,
so a check-in that answers one proves the phone saw the kiosk screen (after Cléa).

Key tables (deterministic CBOR maps, RFC 8949 section 4.2.1):

=====  ==================  ======================================================
key    VenueCode           VenueChallenge
=====  ==================  ======================================================
0      version (1)         version (1)
1      venue DID (tstr)    venue DID (tstr)
2      display name        nonce (bstr, 16 bytes)
3      category (token)    issued (uint, Unix seconds)
4      issued (uint)       expires (uint, issued < expires <= issued + 60)
5      expires (uint)
=====  ==================  ======================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import ClassVar, Self

from did import Ed25519PublicKey
from protocol.errors import ExpiredChallenge, ExpiredVenueCode, ForgedVenueCode
from protocol.wire import (
    MAX_VENUE_DID_CHARS,
    PROTOCOL_VERSION,
    Field,
    KeySource,
    Signed,
    check_now,
    check_skew,
    did_value,
    fail,
    fixed_bytes,
    not_in_future,
    resolve_key,
    text_value,
    time_value,
    token_value,
    version_value,
)

__all__ = [
    "CHALLENGE_LIFETIME",
    "MAX_CHALLENGE_MESSAGE",
    "MAX_VENUE_CODE_MESSAGE",
    "MAX_VENUE_CODE_PAYLOAD",
    "NONCE_SIZE",
    "VenueChallenge",
    "VenueCode",
]

#: DESIGN.md "Venue codes" 1: the signed poster's payload is at most 200 bytes.
MAX_VENUE_CODE_PAYLOAD = 200
#: The whole COSE_Sign1 of a poster: the payload plus at most 76 bytes of COSE framing.
MAX_VENUE_CODE_MESSAGE = 280
#: DESIGN.md "Venue codes" 2: a challenge expires at most 60 seconds after it is issued.
CHALLENGE_LIFETIME = 60
NONCE_SIZE = 16
_MAX_CHALLENGE_PAYLOAD = 120
#: The whole COSE_Sign1 of a kiosk challenge.
MAX_CHALLENGE_MESSAGE = 200
_MAX_NAME_BYTES = 80
_MAX_CATEGORY_CHARS = 24


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueCode(Signed):
    """The static venue poster, signed by the registry.

    Fields: ``venue`` (the venue's DID), ``name`` (display name, NFC text, at most 80 UTF-8
    bytes), ``category`` (the authority's facility class, a lowercase token of at most 24
    characters), ``issued`` and ``expires`` (Unix seconds, ``issued < expires``).

    Raises (on construction and decoding):
        MalformedMessage: a field of the wrong type, out of range or malformed.
        UnsupportedVersion: ``version`` is not 1.
    """

    venue: str
    name: str
    category: str
    issued: int
    expires: int
    version: int = PROTOCOL_VERSION

    _WHAT: ClassVar[str] = "VenueCode"
    _FIELDS: ClassVar[tuple[Field, ...]] = (
        Field(1, "venue"),
        Field(2, "name"),
        Field(3, "category"),
        Field(4, "issued"),
        Field(5, "expires"),
    )
    _MAX_CBOR: ClassVar[int] = MAX_VENUE_CODE_PAYLOAD
    _MAX_MESSAGE: ClassVar[int] = MAX_VENUE_CODE_MESSAGE
    _AAD_NAME: ClassVar[bytes] = b"VenueCode"

    def __post_init__(self) -> None:
        w = self._WHAT
        version_value(self.version, w)
        did_value(self.venue, w, "venue", MAX_VENUE_DID_CHARS)
        text_value(self.name, w, "name", _MAX_NAME_BYTES)
        token_value(self.category, w, "category", _MAX_CATEGORY_CHARS)
        time_value(self.issued, w, "issued")
        time_value(self.expires, w, "expires")
        if self.expires <= self.issued:
            raise fail(w, "expires must be later than issued")

    @classmethod
    def verify(
        cls,
        data: bytes,
        registry_key: Ed25519PublicKey,
        *,
        now: int,
        max_skew: int = 300,
    ) -> Self:
        """Check a scanned poster offline against the pinned registry key.

        Raises:
            OversizeMessage, BadAlgorithm, MalformedMessage, UnsupportedVersion: decoding.
            ForgedVenueCode: not signed by ``registry_key`` (altered or forged poster).
            ClockSkew: ``issued`` is later than ``now + max_skew``.
            ExpiredVenueCode: ``now >= expires + max_skew``.
            InputError: ``now`` or ``max_skew`` is not a valid int.
        """
        now, max_skew = check_now(now), check_skew(max_skew)
        parsed, code = cls.parse_unverified(data)
        cls.check_signature(parsed, registry_key, error=ForgedVenueCode)
        not_in_future(code.issued, now, max_skew, cls._WHAT, "issued")
        if now >= code.expires + max_skew:
            raise ExpiredVenueCode("VenueCode: the poster has expired")
        return code


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueChallenge(Signed):
    """A rotating kiosk challenge, signed by the venue key.

    Fields: ``venue`` (DID), ``nonce`` (16 random bytes), ``issued`` and ``expires`` (Unix
    seconds, ``issued < expires <= issued + 60``).

    Raises (on construction and decoding):
        MalformedMessage: a field of the wrong type, out of range or malformed.
        UnsupportedVersion: ``version`` is not 1.
    """

    venue: str
    nonce: bytes
    issued: int
    expires: int
    version: int = PROTOCOL_VERSION

    _WHAT: ClassVar[str] = "VenueChallenge"
    _FIELDS: ClassVar[tuple[Field, ...]] = (
        Field(1, "venue"),
        Field(2, "nonce"),
        Field(3, "issued"),
        Field(4, "expires"),
    )
    _MAX_CBOR: ClassVar[int] = _MAX_CHALLENGE_PAYLOAD
    _MAX_MESSAGE: ClassVar[int] = MAX_CHALLENGE_MESSAGE
    _AAD_NAME: ClassVar[bytes] = b"VenueChallenge"

    def __post_init__(self) -> None:
        w = self._WHAT
        version_value(self.version, w)
        did_value(self.venue, w, "venue", MAX_VENUE_DID_CHARS)
        fixed_bytes(self.nonce, w, "nonce", NONCE_SIZE)
        time_value(self.issued, w, "issued")
        time_value(self.expires, w, "expires")
        if not self.issued < self.expires <= self.issued + CHALLENGE_LIFETIME:
            raise fail(w, f"expires must be within {CHALLENGE_LIFETIME} s after issued")

    @classmethod
    def new(cls, venue: str, *, now: int, lifetime: int = CHALLENGE_LIFETIME) -> Self:
        """A fresh challenge with a random nonce (the operating system's CSPRNG).

        Raises:
            MalformedMessage: a bad venue DID or a lifetime outside ``[1, 60]``.
            InputError: ``now`` is not a valid int.
        """
        now = check_now(now)
        if type(lifetime) is not int or not 1 <= lifetime <= CHALLENGE_LIFETIME:
            raise fail(cls._WHAT, f"lifetime must be an int in [1, {CHALLENGE_LIFETIME}] s")
        return cls(venue=venue, nonce=os.urandom(NONCE_SIZE), issued=now, expires=now + lifetime)

    @classmethod
    def verify(
        cls,
        data: bytes,
        key: KeySource,
        *,
        now: int,
        max_skew: int = 30,
    ) -> Self:
        """Check a challenge's venue signature and freshness.

        ``key`` is the venue's key, or a look-up from the venue DID to its key.

        Raises:
            OversizeMessage, BadAlgorithm, MalformedMessage, UnsupportedVersion: decoding.
            UnknownKey: the look-up knows no key for the venue.
            BadSignature: not signed by the venue key.
            ClockSkew: ``issued`` is later than ``now + max_skew``.
            ExpiredChallenge: ``now >= expires + max_skew``.
            InputError: ``now`` or ``max_skew`` is not a valid int.
        """
        now, max_skew = check_now(now), check_skew(max_skew)
        parsed, challenge = cls.parse_unverified(data)
        cls.check_signature(parsed, resolve_key(key, challenge.venue, cls._WHAT))
        not_in_future(challenge.issued, now, max_skew, cls._WHAT, "issued")
        if now >= challenge.expires + max_skew:
            raise ExpiredChallenge("VenueChallenge: the challenge has expired")
        return challenge
