"""Building check-ins, holder-shown check-ins and check-outs (DESIGN.md "Check-in
presentation").

The hot path: the pairwise pseudonym key of a (venue, day) and the day's trace seed are
HKDF derivations cached in memory, so a check-in costs one seal (escrow) and one signature.

Holder-shown codes (DESIGN.md "Venue codes" 3) are shown before the wallet knows the venue,
so their pseudonym cannot be the (venue, day) one. Each shown code gets a fresh pseudonym,
derived for the pseudo-venue ``did:anshim:holder-shown:<issued-at>`` and the day: no two
codes share it (different venues cannot link them), and the wallet re-derives it from a
receipt's time in, so it stores nothing per code. Its envelope's label names
:data:`HOLDER_SHOWN_LABEL_VENUE` as the venue, since the real venue is not known yet;
custodians recompute the label of a holder-shown record with that venue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import escrow
from did.keys import Ed25519PrivateKey
from protocol import (
    ANY_VENUE,
    ENVELOPE_PAD_TO,
    CheckIn,
    HealthDeclaration,
    IdentityPlaintext,
    Kind,
    derive_pseudonym_key,
    derive_trace_seed,
    locator,
    pseudonym_did,
)
from wallet.errors import NoEpochKey

__all__ = [
    "CHECKIN_TTL",
    "HOLDER_SHOWN_LABEL_VENUE",
    "HOLDER_SHOWN_TTL",
    "Derivations",
    "build_presentation",
    "holder_shown_venue",
]

#: The venue a holder-shown envelope's label names (the real venue is not known yet).
HOLDER_SHOWN_LABEL_VENUE = escrow.HOLDER_SHOWN_VENUE
#: Lifetime of a check-in addressed to a venue (within the protocol's 120 s bound).
CHECKIN_TTL = 60
#: Lifetime of a holder-shown check-in (DESIGN.md: at most 30 s).
HOLDER_SHOWN_TTL = 30
_CACHE_LIMIT = 256


def holder_shown_venue(issued_at: int) -> str:
    """The pseudo-venue a holder-shown pseudonym is derived for (module docstring)."""
    return f"{HOLDER_SHOWN_LABEL_VENUE}:{issued_at}"


@dataclass(slots=True, repr=False)
class Derivations:
    """In-memory caches of the per-(venue, day) pseudonym keys and per-day trace seeds."""

    secret: bytes
    pseudonyms: dict[tuple[str, int], tuple[Ed25519PrivateKey, str]] = field(default_factory=dict)
    seeds: dict[int, bytes] = field(default_factory=dict)

    def __repr__(self) -> str:
        return "Derivations(<secret>)"

    def pseudonym(self, venue: str, day: int) -> tuple[Ed25519PrivateKey, str]:
        """The pseudonym key and its did:key for (venue, day), cached."""
        cached = self.pseudonyms.get((venue, day))
        if cached is None:
            if len(self.pseudonyms) >= _CACHE_LIMIT:
                self.pseudonyms.clear()
            key = derive_pseudonym_key(self.secret, venue, day)
            cached = (key, pseudonym_did(key))
            self.pseudonyms[(venue, day)] = cached
        return cached

    def trace_seed(self, day: int) -> bytes:
        """The trace seed of ``day``, cached."""
        seed = self.seeds.get(day)
        if seed is None:
            if len(self.seeds) >= _CACHE_LIMIT:
                self.seeds.clear()
            seed = derive_trace_seed(self.secret, day)
            self.seeds[day] = seed
        return seed


def build_presentation(
    derivations: Derivations,
    *,
    directory: escrow.EpochKeyDirectory,
    compact: bytes,
    venue: str | None,
    challenge: bytes | None,
    declaration: HealthDeclaration | None,
    kind: Kind,
    now: int,
) -> bytes:
    """Sign one presentation. ``venue`` is ``None`` for the holder-shown mode.

    Raises:
        NoEpochKey: the directory has no key for the day of ``now`` (check-ins only).
        MalformedMessage: a malformed field (a bad venue DID, a lifetime out of bounds).
    """
    day = escrow.epoch_for(now, tz_offset=directory.tz_offset)
    derive_venue = holder_shown_venue(now) if venue is None else venue
    key, pseudonym = derivations.pseudonym(derive_venue, day)
    envelope = None
    if kind is Kind.CHECK_IN:
        epoch_key = directory.get(day)
        if epoch_key is None:
            raise NoEpochKey("no escrow key for today: update the epoch-key directory")
        label_venue = HOLDER_SHOWN_LABEL_VENUE if venue is None else venue
        label = escrow.VisitLabel(label_venue, day, pseudonym, now)
        plaintext = IdentityPlaintext.new(compact).to_bytes()
        envelope = escrow.seal(epoch_key, label, plaintext, pad_to=ENVELOPE_PAD_TO).to_bytes()
    ttl = HOLDER_SHOWN_TTL if venue is None else CHECKIN_TTL
    return CheckIn(
        audience=ANY_VENUE if venue is None else venue,
        challenge=challenge,
        issued_at=now,
        expires=now + ttl,
        pseudonym=pseudonym,
        declaration=declaration,
        envelope=envelope,
        locator=locator(derivations.trace_seed(day), derive_venue),
        kind=kind,
    ).sign(key)
