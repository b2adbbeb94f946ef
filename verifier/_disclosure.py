"""Checking a wallet's diary disclosure for an investigator (DESIGN.md "Investigation" step
2a: the consent path, no unsealing).

:func:`verify_disclosure` wraps :meth:`protocol.DiaryDisclosure.verify` with the venue key
look-up: venues are did:web DIDs hosted by the registry (DESIGN.md "Identifiers"), so their
keys come from a :class:`did.Resolver` (with the registry's transport), or from a
mapping the investigator already holds (for example a registry export).

A venue's key is the first Ed25519 key its DID document lists under ``assertionMethod``.
A venue whose DID cannot be resolved (unknown, deactivated, unreachable) is ``unknown_key``:
the investigator cannot vouch for receipts whose signer cannot be established.
"""

from __future__ import annotations

from collections.abc import Mapping

from did import Ed25519PublicKey, Resolver
from did.errors import AnshimError, InputError
from protocol import DiaryDisclosure, VerifiedDiary
from protocol.errors import UnknownKey

__all__ = ["VenueKeys", "verify_disclosure"]

#: Where venue keys come from: a resolver for the venues' did:web DIDs, or a mapping.
VenueKeys = Resolver | Mapping[str, Ed25519PublicKey]


def _lookup(venues: VenueKeys) -> Mapping[str, Ed25519PublicKey] | _ResolvedKeys:
    if isinstance(venues, Resolver):
        return _ResolvedKeys(venues)
    if isinstance(venues, Mapping):
        return venues
    raise InputError("venues must be a Resolver or a mapping of venue DIDs to keys")


class _ResolvedKeys:
    """Venue DID -> its assertion key, resolved once per disclosure."""

    __slots__ = ("_cache", "_resolver")

    def __init__(self, resolver: Resolver) -> None:
        self._resolver = resolver
        self._cache: dict[str, Ed25519PublicKey] = {}

    def get(self, venue: str) -> Ed25519PublicKey | None:
        key = self._cache.get(venue)
        if key is not None:
            return key
        try:
            document = self._resolver.resolve_document(venue)
            methods = document.methods_for("assertionMethod")
        except AnshimError as exc:
            raise UnknownKey("DiaryDisclosure: the venue's DID does not resolve") from exc
        for method in methods:
            try:
                candidate = method.public_key()
            except AnshimError:
                continue
            if isinstance(candidate, Ed25519PublicKey):
                self._cache[venue] = candidate
                return candidate
        return None


def verify_disclosure(
    data: bytes,
    *,
    venues: VenueKeys,
    audience: str,
    now: int,
    max_skew: int = 300,
) -> VerifiedDiary:
    """Verify a wallet's diary disclosure addressed to the health authority ``audience``.

    Every receipt must carry a valid signature of its venue (keys from ``venues``), every
    countersignature must verify under the receipt's pseudonym, and every time in must fall
    in the disclosed window.

    Raises:
        OversizeMessage, MalformedMessage, UnsupportedVersion, BadAlgorithm, BadPseudonym:
            the disclosure or a receipt is malformed (also a receipt disclosed twice).
        WrongAudience: disclosed to another authority.
        ClockSkew: the disclosure or a receipt is dated in the future.
        UnknownKey: a receipt's venue has no resolvable Ed25519 assertion key.
        BadSignature: a venue signature or a countersignature does not verify.
        OutOfWindow: a receipt outside the window.
        InputError: ``now``, ``max_skew`` or ``venues`` is invalid.
        InvalidDid: ``audience`` is not a DID.
    """
    keys = _lookup(venues)
    return DiaryDisclosure.verify(data, keys.get, audience=audience, now=now, max_skew=max_skew)
