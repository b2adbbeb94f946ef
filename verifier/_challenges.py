"""The venue's rotating kiosk challenges (DESIGN.md "Venue codes" 2 and "Validation at the
venue" step 3: "the challenge was issued by this venue, is unexpired and unused").

A :class:`ChallengeBook` signs fresh :class:`~protocol.VenueChallenge` messages for the
kiosk screen and remembers each nonce with its expiry, so the validator can tell a nonce this
venue never issued (``unknown_challenge``) from one that has expired (``expired_challenge``).
Whether a nonce was already answered is the replay store's business (``replayed_challenge``):
a challenge is good for one admitted check-in (a refused answer leaves it for the
corrected retry), so the kiosk shows a new one after each admission as well as every 30
seconds, and a photographed screen is worth at most one check-in.

Memory is bounded: a nonce is forgotten :data:`FORGET_AFTER` seconds after it expires (later
answers get ``unknown_challenge``), and at most ``max_live`` nonces are kept (the oldest go
first; a kiosk issues about two a minute, so the bound is only reached under abuse).
"""

from __future__ import annotations

from collections import OrderedDict

from did import Ed25519PrivateKey
from did.errors import InputError
from protocol import CHALLENGE_LIFETIME, NONCE_SIZE, VenueChallenge
from protocol.errors import ExpiredChallenge, UnknownChallenge
from protocol.wire import check_now

__all__ = ["FORGET_AFTER", "ChallengeBook"]

#: How long after its expiry a nonce is still recognised (to say "expired", not "unknown").
FORGET_AFTER = 3600
_DEFAULT_MAX_LIVE = 4096


class ChallengeBook:
    """The registry of the kiosk challenges one venue has issued.

    Raises (constructor):
        InputError: a lifetime outside ``[1, 60]`` s or a non-positive ``max_live``.
        MalformedMessage: ``venue`` is not a DID of at most 64 characters (on first issue).
    """

    __slots__ = ("_issued", "_key", "_lifetime", "_max_live", "venue")

    def __init__(
        self,
        venue: str,
        key: Ed25519PrivateKey,
        *,
        lifetime: int = CHALLENGE_LIFETIME,
        max_live: int = _DEFAULT_MAX_LIVE,
    ) -> None:
        if type(lifetime) is not int or not 1 <= lifetime <= CHALLENGE_LIFETIME:
            raise InputError(f"lifetime must be an int in [1, {CHALLENGE_LIFETIME}] seconds")
        if type(max_live) is not int or max_live < 1:
            raise InputError("max_live must be a positive int")
        if not isinstance(key, Ed25519PrivateKey):
            raise InputError("the venue key must be an Ed25519PrivateKey")
        self.venue = venue
        self._key = key
        self._lifetime = lifetime
        self._max_live = max_live
        # nonce -> expires, in issue order (so the oldest are dropped first).
        self._issued: OrderedDict[bytes, int] = OrderedDict()

    def __repr__(self) -> str:
        return f"ChallengeBook(venue={self.venue!r}, remembered={len(self._issued)})"

    def __len__(self) -> int:
        return len(self._issued)

    def issue(self, *, now: int) -> bytes:
        """A fresh challenge signed by the venue key (COSE_Sign1 bytes for the kiosk QR).

        Raises:
            InputError: ``now`` is not a valid int.
            MalformedMessage: the venue DID is malformed.
        """
        now = check_now(now)
        challenge = VenueChallenge.new(self.venue, now=now, lifetime=self._lifetime)
        self._forget(now)
        while len(self._issued) >= self._max_live:
            self._issued.popitem(last=False)
        self._issued[challenge.nonce] = challenge.expires
        return challenge.sign(self._key)

    def _forget(self, now: int) -> None:
        issued = self._issued
        while issued:
            nonce, expires = next(iter(issued.items()))
            if expires + FORGET_AFTER > now:
                break
            del issued[nonce]

    def check(self, nonce: bytes, *, now: int) -> int:
        """Check that ``nonce`` was issued here and is unexpired; returns its expiry.

        The kiosk and this book share the venue's clock, so no skew is allowed: a nonce is
        expired from its ``expires`` second on.

        Raises:
            UnknownChallenge: this venue never issued ``nonce`` (or forgot it long ago).
            ExpiredChallenge: ``now`` is at or past the nonce's expiry.
        """
        if type(nonce) is not bytes or len(nonce) != NONCE_SIZE:
            raise UnknownChallenge("the challenge was not issued by this venue")
        expires = self._issued.get(nonce)
        if expires is None:
            raise UnknownChallenge("the challenge was not issued by this venue")
        if now >= expires:
            raise ExpiredChallenge("the challenge has expired")
        return expires
