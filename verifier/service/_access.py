"""Who may post what (DESIGN.md "Access control"): the telecom gateway's HMAC, the staff
passcode, the kiosk challenge book that survives restarts, and the per-source rate limit.

* Gateway: ``X-Anshim-Timestamp`` (Unix seconds) and ``X-Anshim-Signature`` (hex
  HMAC-SHA256 with the gateway's secret over ``timestamp + "." + body``); a timestamp more
  than ``max_age`` seconds from the service's clock is stale. The check runs over the raw
  body before anything in it is parsed.
* Staff: an Argon2id hash of the passcode in the venue's settings
  (:func:`hash_passcode`); the passcode itself is never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections import OrderedDict

import nacl.exceptions
import nacl.pwhash

from did import Ed25519PrivateKey
from protocol import VenueChallenge
from protocol.errors import ExpiredChallenge, UnknownChallenge
from verifier import ChallengeBook
from verifier.errors import (
    BadGatewaySignature,
    CheckInRateLimited,
    StaffPasscodeRefused,
    StaleGatewayRequest,
)
from verifier.service._store import VenueStore

__all__ = [
    "PersistentChallengeBook",
    "RateLimiter",
    "check_gateway_signature",
    "check_passcode",
    "gateway_signature",
    "hash_passcode",
]

_TIMESTAMP = re.compile(r"\A[0-9]{1,12}\Z")
_SIGNATURE = re.compile(r"\A[0-9a-fA-F]{64}\Z")
_MAX_PASSCODE = 128


def gateway_signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 a gateway sends for ``body`` at ``timestamp``."""
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def check_gateway_signature(
    secret: bytes | None,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    now: int,
    max_age: int,
) -> int:
    """Check a gateway request; returns its timestamp.

    Raises:
        BadGatewaySignature: no gateway secret is configured, or the signature is missing,
            malformed or wrong.
        StaleGatewayRequest: the timestamp is missing, malformed or more than ``max_age``
            seconds from ``now``.
    """
    if secret is None:
        raise BadGatewaySignature("this service accepts no gateway (no secret configured)")
    if timestamp is None or not _TIMESTAMP.match(timestamp):
        raise StaleGatewayRequest("the gateway request carries no valid timestamp")
    stamp = int(timestamp)
    if abs(now - stamp) > max_age:
        raise StaleGatewayRequest("the gateway request's timestamp is stale")
    if signature is None or not _SIGNATURE.match(signature):
        raise BadGatewaySignature("the gateway request carries no valid signature")
    if not hmac.compare_digest(gateway_signature(secret, stamp, body), signature.lower()):
        raise BadGatewaySignature("the gateway signature does not match")
    return stamp


def hash_passcode(passcode: str) -> str:
    """An Argon2id hash of a staff passcode, for ``staff_passcode_hash`` in venue.toml.

    Raises:
        StaffPasscodeRefused: an empty passcode or one over 128 characters.
    """
    if not passcode or len(passcode) > _MAX_PASSCODE:
        raise StaffPasscodeRefused("a staff passcode has 1 to 128 characters")
    return nacl.pwhash.argon2id.str(
        passcode.encode(),
        opslimit=nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE,
        memlimit=nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE,
    ).decode()


def check_passcode(stored: str | None, given: str | None) -> None:
    """Check a staff passcode against the venue's stored hash.

    Raises:
        StaffPasscodeRefused: the venue has no passcode, none was given, or it is wrong.
    """
    if stored is None:
        raise StaffPasscodeRefused("this venue has no staff passcode: assisted entry is off")
    if not given or len(given) > _MAX_PASSCODE:
        raise StaffPasscodeRefused("the staff passcode is required")
    try:
        nacl.pwhash.argon2id.verify(stored.encode(), given.encode())
    except nacl.exceptions.InvalidkeyError:
        raise StaffPasscodeRefused("the staff passcode is wrong") from None


class PersistentChallengeBook(ChallengeBook):
    """A :class:`verifier.ChallengeBook` whose issued challenges are kept in the
    service's store, so a challenge shown before a restart (or by another worker process)
    is still recognised, and its expiry still enforced, after it."""

    def __init__(self, venue: str, key: Ed25519PrivateKey, store: VenueStore) -> None:
        super().__init__(venue, key)
        self._store = store

    def issue(self, *, now: int) -> bytes:
        """A fresh signed challenge, remembered in the store (see
        :meth:`verifier.ChallengeBook.issue`).

        Raises:
            InputError: ``now`` is not a valid int.
            OutboxUnavailable: the store cannot record it.
        """
        message = super().issue(now=now)
        challenge = VenueChallenge.parse_unverified(message)[1]
        self._store.add_challenge(self.venue, challenge.nonce, challenge.expires)
        return message

    def check(self, nonce: bytes, *, now: int) -> int:
        """See :meth:`verifier.ChallengeBook.check`, answered from the store.

        Raises:
            UnknownChallenge: this service never issued ``nonce`` for this venue.
            ExpiredChallenge: ``now`` is at or past its expiry.
        """
        if type(nonce) is not bytes:
            raise UnknownChallenge("the challenge was not issued by this venue")
        expires = self._store.challenge_expiry(self.venue, nonce)
        if expires is None:
            raise UnknownChallenge("the challenge was not issued by this venue")
        if now >= expires:
            raise ExpiredChallenge("the challenge has expired")
        return expires


class RateLimiter:
    """A token bucket per source address: ``rate`` requests a second, bursts of ten
    times that; at most ``max_sources`` buckets are kept (the least recent go first).
    Time here is the monotonic clock: a limiter only needs intervals."""

    def __init__(self, rate: float, *, max_sources: int = 10_000) -> None:
        self._rate = rate
        self._burst = max(1.0, rate * 10)
        self._max = max_sources
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def check(self, source: str) -> None:
        """Take one token for ``source``.

        Raises:
            CheckInRateLimited: the source has no token left.
        """
        if self._rate <= 0:
            return
        now = time.monotonic()
        tokens, seen = self._buckets.pop(source, (self._burst, now))
        tokens = min(self._burst, tokens + (now - seen) * self._rate)
        if tokens < 1:
            self._buckets[source] = (tokens, now)
            raise CheckInRateLimited("too many requests from this source; try again shortly")
        self._buckets[source] = (tokens - 1, now)
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
