"""Factories for registry tests: venues with real keys, signed sealed visits."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from did import Ed25519PrivateKey, X25519PrivateKey
from protocol import (
    ENVELOPE_SIZE,
    Channel,
    HealthDeclaration,
    SealedVisit,
    day_of,
    derive_pseudonym_key,
    derive_trace_seed,
    locator,
    pseudonym_did,
)
from registry import StoredVisit, Venue

#: 2024-03-10 00:00 UTC: a fixed day for the tests.
DAY = 19792
T0 = DAY * 86400
MINUTE = 60


@dataclass
class VenueKit:
    venue: Venue
    key: Ed25519PrivateKey

    @property
    def did(self) -> str:
        return self.venue.did


def make_venue(n: int, category: str = "restaurant", valid_from: int = 0) -> VenueKit:
    key = Ed25519PrivateKey.generate()
    agreement = X25519PrivateKey.generate()
    entry = Venue(
        did=f"did:web:registry.example:venues:v{n}",
        category=category,
        signing_key=key.public_key.to_bytes(),
        agreement_key=agreement.public_key.to_bytes(),
        valid_from=valid_from,
    )
    return VenueKit(entry, key)


def make_visit(
    kit: VenueKit,
    time_in: int,
    time_out: int | None = None,
    *,
    wallet: bytes | None = None,
    visit_id: bytes | None = None,
    channel: Channel = Channel.QR_STATIC,
    envelope: bytes | None = None,
) -> StoredVisit:
    """A signed record, parsed back from its signed bytes as the registry receives it."""
    wallet = wallet if wallet is not None else os.urandom(32)
    day = day_of(time_in)
    wallet_channel = channel.wallet
    if wallet_channel:
        pseudonym = pseudonym_did(derive_pseudonym_key(wallet, kit.did, day))
    else:
        pseudonym = pseudonym_did(Ed25519PrivateKey.generate())
    visit = SealedVisit(
        visit_id=visit_id if visit_id is not None else os.urandom(16),
        venue=kit.did,
        day=day,
        time_in=time_in,
        time_out=time_out,
        pseudonym=pseudonym,
        locator=locator(derive_trace_seed(wallet, day), kit.did) if wallet_channel else None,
        channel=channel,
        declaration=HealthDeclaration(False, False) if wallet_channel else None,
        envelope=envelope if envelope is not None else os.urandom(ENVELOPE_SIZE),
        receipt_hash=os.urandom(32) if wallet_channel else None,
    )
    return StoredVisit.from_message(visit.sign(kit.key))


def check_out(kit: VenueKit, record: StoredVisit, time_out: int) -> StoredVisit:
    """The venue's re-signed record with a time out (as the verifier makes it)."""
    return StoredVisit.from_message(
        dataclasses.replace(record.visit, time_out=time_out).sign(kit.key)
    )
