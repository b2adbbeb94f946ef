"""Building check-ins, holder-shown check-ins and check-outs (DESIGN.md "Check-in
presentation").

The hot path: the pairwise pseudonym key of a (venue, day) and the day's trace seed are
HKDF derivations cached in memory, so a check-in costs one seal (escrow) and one signature.

Holder-shown codes (DESIGN.md "Venue codes" 3) are shown before the wallet knows the venue,
so their pseudonym cannot be the (venue, day) one. Each shown code gets a fresh pseudonym,
derived for the pseudo-venue ``did:anshim:holder-shown:<issued-at>`` and the day: no two
codes share it (different venues cannot link them), and the wallet re-derives it from a
receipt's time in, so it stores nothing per code. Its envelope's label names
``escrow.HOLDER_SHOWN_VENUE`` as the venue, since the real venue is not known yet;
custodians recompute the label of a holder-shown record with that venue.

A check-out is signed by the pseudonym of the visit it closes, derived for that visit's
(venue, day), not today's: a stay that crosses midnight is closed by the key that opened
it, which the venue's previous-day fall-back finds (issue 9 section 4 item 9).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import escrow
from did import Ed25519PrivateKey, day_of
from protocol import (
    ANY_VENUE,
    ENVELOPE_PAD_TO,
    HOLDER_SHOWN_LIFETIME,
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
    "HOLDER_SHOWN_TTL",
    "Derivations",
    "Presentation",
    "build_presentation",
    "holder_shown_venue",
    "sign_presentation",
]

#: Lifetime of a check-in addressed to a venue (within the protocol's 120 s bound).
CHECKIN_TTL = 60
#: Lifetime of a holder-shown check-in: the protocol's bound (DESIGN.md "Venue codes" 3:
#: at most 15 s, as KI-Pass's code was), one definition in :mod:`protocol`.
HOLDER_SHOWN_TTL = HOLDER_SHOWN_LIFETIME
_CACHE_LIMIT = 256


def holder_shown_venue(issued_at: int) -> str:
    """The pseudo-venue a holder-shown pseudonym is derived for (module docstring)."""
    return f"{escrow.HOLDER_SHOWN_VENUE}:{issued_at}"


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


@dataclass(frozen=True, slots=True)
class Presentation:
    """A signed presentation and what the wallet remembers of it: ``message`` (the COSE
    bytes), the ``pseudonym`` that signed it and, for a check-in, the sealed ``envelope``."""

    message: bytes
    pseudonym: str
    envelope: bytes | None


def build_presentation(
    derivations: Derivations,
    *,
    holder: Ed25519PrivateKey,
    directory: escrow.EpochKeyDirectory,
    compact: bytes,
    venue: str | None,
    challenge: bytes | None,
    declaration: HealthDeclaration | None,
    kind: Kind,
    now: int,
) -> bytes:
    """The COSE bytes of :func:`sign_presentation` (same arguments and errors)."""
    return sign_presentation(
        derivations,
        holder=holder,
        directory=directory,
        compact=compact,
        venue=venue,
        challenge=challenge,
        declaration=declaration,
        kind=kind,
        now=now,
    ).message


def sign_presentation(
    derivations: Derivations,
    *,
    holder: Ed25519PrivateKey,
    directory: escrow.EpochKeyDirectory,
    compact: bytes,
    venue: str | None,
    challenge: bytes | None,
    declaration: HealthDeclaration | None,
    kind: Kind,
    now: int,
    closes: tuple[str, int] | None = None,
) -> Presentation:
    """Sign one presentation. ``venue`` is ``None`` for the holder-shown mode; ``closes``
    is, for a check-out, the (derivation venue, day) of the visit it closes (default: the
    venue and the day of ``now``). A check-in's envelope holds the compact credential and
    ``holder``'s signature (the long-term key the credential names) over the label.

    Raises:
        NoEpochKey: the directory has no key for the day of ``now`` (check-ins only).
        MalformedMessage: a malformed field (a bad venue DID, a lifetime out of bounds).
        InvalidKey: ``holder`` is not the key the credential names (check-ins only).
    """
    day = day_of(now, tz_offset=directory.tz_offset)
    derive_venue = holder_shown_venue(now) if venue is None else venue
    if closes is not None:
        derive_venue, day = closes
    key, pseudonym = derivations.pseudonym(derive_venue, day)
    envelope = None
    if kind is Kind.CHECK_IN:
        epoch_key = directory.get(day)
        if epoch_key is None:
            raise NoEpochKey("no escrow key for today: update the epoch-key directory")
        label_venue = escrow.HOLDER_SHOWN_VENUE if venue is None else venue
        label = escrow.VisitLabel(label_venue, day, pseudonym, now)
        plaintext = IdentityPlaintext.new(
            compact, holder_key=holder, label=label.to_bytes()
        ).to_bytes()
        envelope = escrow.seal(epoch_key, label, plaintext, pad_to=ENVELOPE_PAD_TO).to_bytes()
    ttl = HOLDER_SHOWN_TTL if venue is None else CHECKIN_TTL
    message = CheckIn(
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
    return Presentation(message, pseudonym, envelope)
