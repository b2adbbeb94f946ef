"""Pure derivations the wallet makes and investigators recompute.

* :func:`derive_pseudonym_key`: the pairwise pseudonym key for one (venue, day), HKDF-SHA256
  (RFC 5869) from the wallet secret (DESIGN.md "Identifiers"). The same venue on the same
  day gives the same key, so a check-out matches its check-in; any other venue or day gives
  an unrelated key, so venues cannot link visits.
* :func:`derive_trace_seed`: the 32-byte daily trace seed (escrowed by the wallet, opened by
  a warrant when a case's phone is lost; DESIGN.md "Investigation" step 2b).
* :func:`locator`: HMAC-SHA256(trace seed, venue DID) truncated to 16 bytes, the value a
  check-in carries so the case's own visits can be found from its trace seeds;
  :func:`locators` computes it for a whole venue directory at once (the lost-phone path),
  over :class:`LocatorVenues` checked and encoded once.
* days: :func:`did.day_of` is the one definition of the day number that names the escrow
  epoch (``protocol.day_of`` is that function).

Every derivation uses its own domain-separation label, and its inputs are laid out so that
the encoding is injective (fixed-length fields first, the variable-length DID last).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Iterable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from did import Ed25519PrivateKey, did_from_public_key, is_did
from did.errors import InputError, InvalidDid, InvalidKey

__all__ = [
    "LOCATOR_SIZE",
    "MIN_SECRET_SIZE",
    "TRACE_SEED_SIZE",
    "LocatorVenues",
    "derive_pseudonym_key",
    "derive_trace_seed",
    "locator",
    "locators",
    "pseudonym_did",
]

MIN_SECRET_SIZE = 32
_MAX_SECRET_SIZE = 64
TRACE_SEED_SIZE = 32
LOCATOR_SIZE = 16
# Days are bounded so that the 8-byte encoding below is always defined, far beyond any
# real date (the wire format stores times as 32-bit seconds anyway).
_MAX_DAY = 2**32

_SALT = b"anshim/protocol/v1"
_INFO_PSEUDONYM = b"anshim/protocol/v1/pseudonym-key\x00"
_INFO_TRACE_SEED = b"anshim/protocol/v1/trace-seed\x00"
_LOCATOR_LABEL = b"anshim/protocol/v1/locator\x00"


def _secret(value: object, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray)):
        raise InvalidKey(f"{what} must be bytes")
    if not MIN_SECRET_SIZE <= len(value) <= _MAX_SECRET_SIZE:
        raise InvalidKey(f"{what} must be {MIN_SECRET_SIZE} to {_MAX_SECRET_SIZE} bytes")
    return bytes(value)


def _venue(value: object) -> bytes:
    if not isinstance(value, str) or not is_did(value):
        raise InvalidDid("venue must be a DID (DID Core 3.1)")
    return value.encode("ascii")


def _day(value: object) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _MAX_DAY:
        raise InputError(f"day must be an int in [0, {_MAX_DAY})")
    return struct.pack(">Q", value)


def _hkdf(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(secret)


def derive_pseudonym_key(wallet_secret: bytes, venue_did: str, day: int) -> Ed25519PrivateKey:
    """The pairwise pseudonym signing key for ``venue_did`` on ``day``.

    seed = HKDF-SHA256(ikm = wallet secret, salt = ``anshim/protocol/v1``,
    info = ``anshim/protocol/v1/pseudonym-key`` 0x00 ‖ day (8 bytes, big-endian) ‖ venue DID),
    used as an RFC 8032 Ed25519 seed.

    Raises:
        InvalidKey: if the wallet secret is not 32 to 64 bytes.
        InvalidDid: if ``venue_did`` is not a DID.
        InputError: if ``day`` is not a non-negative int below 2**32.
    """
    secret = _secret(wallet_secret, "wallet secret")
    info = _INFO_PSEUDONYM + _day(day) + _venue(venue_did)
    return Ed25519PrivateKey.from_seed(_hkdf(secret, info))


def pseudonym_did(key: Ed25519PrivateKey) -> str:
    """The ``did:key`` of a pseudonym key (the value check-ins carry).

    Raises:
        InvalidKey: if ``key`` is not an :class:`~did.Ed25519PrivateKey`.
    """
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidKey("pseudonym key must be an Ed25519PrivateKey")
    return did_from_public_key(key.public_key)


def derive_trace_seed(wallet_secret: bytes, day: int) -> bytes:
    """The 32-byte trace seed of ``day``.

    HKDF-SHA256(ikm = wallet secret, salt = ``anshim/protocol/v1``,
    info = ``anshim/protocol/v1/trace-seed`` 0x00 ‖ day (8 bytes, big-endian)).

    Raises:
        InvalidKey: if the wallet secret is not 32 to 64 bytes.
        InputError: if ``day`` is not a non-negative int below 2**32.
    """
    secret = _secret(wallet_secret, "wallet secret")
    return _hkdf(secret, _INFO_TRACE_SEED + _day(day))


def locator(trace_seed: bytes, venue_did: str) -> bytes:
    """The 16-byte locator of a visit to ``venue_did`` on the trace seed's day.

    HMAC-SHA256(key = trace seed, ``anshim/protocol/v1/locator`` 0x00 ‖ venue DID)[:16].

    Raises:
        InvalidKey: if ``trace_seed`` is not 32 bytes.
        InvalidDid: if ``venue_did`` is not a DID.
    """
    if not isinstance(trace_seed, (bytes, bytearray)) or len(trace_seed) != TRACE_SEED_SIZE:
        raise InvalidKey(f"trace seed must be {TRACE_SEED_SIZE} bytes")
    mac = hmac.new(bytes(trace_seed), _LOCATOR_LABEL + _venue(venue_did), hashlib.sha256)
    return mac.digest()[:LOCATOR_SIZE]


class LocatorVenues:
    """Venue DIDs checked and encoded once, for :func:`locators` over many trace seeds (a
    case's 14 days times every registered venue).

    Raises (on construction):
        InvalidDid: if an item is not a DID.
    """

    __slots__ = ("_encoded", "dids")

    def __init__(self, venue_dids: Iterable[str]) -> None:
        if isinstance(venue_dids, (str, bytes)):
            raise InvalidDid("venue_dids must be a collection of DIDs, not one")
        self.dids: tuple[str, ...] = tuple(venue_dids)
        self._encoded = tuple(_venue(d) for d in self.dids)

    def __len__(self) -> int:
        return len(self.dids)


# RFC 2104 section 2: HMAC(K, m) = H((K ^ opad) ‖ H((K ^ ipad) ‖ m)), K zero-padded to the
# block size (a 32-byte trace seed is shorter than SHA-256's 64-byte block).
_BLOCK = 64
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def locators(trace_seed: bytes, venues: LocatorVenues | Iterable[str]) -> list[bytes]:
    """:func:`locator` of ``trace_seed`` for every venue, in order: the same bytes, computed
    from the HMAC's inner and outer SHA-256 states (the inner one already past the label)
    made once per seed and copied per venue.

    Raises:
        InvalidKey: if ``trace_seed`` is not 32 bytes.
        InvalidDid: if a venue is not a DID (``venues`` not yet a :class:`LocatorVenues`).
    """
    if not isinstance(trace_seed, (bytes, bytearray)) or len(trace_seed) != TRACE_SEED_SIZE:
        raise InvalidKey(f"trace seed must be {TRACE_SEED_SIZE} bytes")
    if not isinstance(venues, LocatorVenues):
        venues = LocatorVenues(venues)
    key = bytes(trace_seed).ljust(_BLOCK, b"\x00")
    inner = hashlib.sha256(key.translate(_IPAD))
    inner.update(_LOCATOR_LABEL)
    outer = hashlib.sha256(key.translate(_OPAD))
    out = []
    for encoded in venues._encoded:
        i = inner.copy()
        i.update(encoded)
        o = outer.copy()
        o.update(i.digest())
        out.append(o.digest()[:LOCATOR_SIZE])
    return out
