"""Shared set-up for the wallet tests: keys, a registry, a venue, an identity issuer and the
3-of-5 test ceremony of :mod:`tests.escrow.support` (run once per session)."""

from __future__ import annotations

from pathlib import Path

import escrow
from did import KDF_TEST, Ed25519PrivateKey, Ed25519PublicKey, did_from_public_key
from protocol import (
    Channel,
    CheckIn,
    HealthDeclaration,
    PersonCredential,
    QrKind,
    VenueChallenge,
    VenueCode,
    VisitReceipt,
    digest,
    issue_person_credential,
    to_qr_text,
)
from tests.escrow.support import FIRST_EPOCH, NOW, world
from wallet import Wallet

PASS = "wallet passphrase"
DAY = 86400
REGISTRY = Ed25519PrivateKey.from_seed(b"\x01" * 32)
ISSUER = Ed25519PrivateKey.from_seed(b"\x02" * 32)
ISSUER_DID = did_from_public_key(ISSUER.public_key)
VENUE_KEY = Ed25519PrivateKey.from_seed(b"\x03" * 32)
VENUE = "did:web:registry.example:venues:cafe-1"
OTHER_VENUE = "did:web:registry.example:venues:bar-2"
OTHER_VENUE_KEY = Ed25519PrivateKey.from_seed(b"\x04" * 32)
AUTHORITY = "did:web:health.example"
VENUE_KEYS = {VENUE: VENUE_KEY.public_key, OTHER_VENUE: OTHER_VENUE_KEY.public_key}
CLEAR = HealthDeclaration(False, False)
__all__ = ["FIRST_EPOCH", "NOW", "world"]


def venue_keys(did: str) -> Ed25519PublicKey | None:
    return VENUE_KEYS.get(did)


def person(
    holder_did: str, *, name: str | None = "홍길동", phone: str = "+821012345678"
) -> PersonCredential:
    return issue_person_credential(
        ISSUER,
        ISSUER_DID,
        holder_did,
        phone,
        name=name,
        valid_from=NOW - 30 * DAY,
        valid_until=NOW + 365 * DAY,
    )


def new_wallet(tmp: Path, name: str = "w", *, enrolled: bool = True) -> Wallet:
    directory = world().directory
    w = Wallet.create(
        tmp / f"{name}.wallet",
        PASS,
        registry_key=REGISTRY.public_key,
        custodians=directory.custodians,
        threshold=directory.threshold,
        kdf=KDF_TEST,
    )
    if enrolled:
        w.enroll(person(w.holder_did), trusted_issuers=[ISSUER_DID], now=NOW)
        w.set_epoch_keys(world().directory.to_bytes(), now=NOW)
    return w


def poster(venue: str = VENUE, *, key: Ed25519PrivateKey = REGISTRY, now: int = NOW) -> str:
    code = VenueCode(
        venue=venue, name="Cafe", category="cafe", issued=now - DAY, expires=now + 30 * DAY
    )
    return to_qr_text(QrKind.VENUE_CODE, code.sign(key))


def kiosk(venue: str = VENUE, *, key: Ed25519PrivateKey = VENUE_KEY, now: int = NOW) -> str:
    return to_qr_text(QrKind.CHALLENGE, VenueChallenge.new(venue, now=now, lifetime=60).sign(key))


def receipt_for(
    checkin: bytes,
    pseudonym: str,
    *,
    venue: str = VENUE,
    time_in: int = NOW,
    time_out: int | None = None,
    key: Ed25519PrivateKey = VENUE_KEY,
    channel: Channel = Channel.QR_STATIC,
    visit_id: bytes | None = None,
) -> bytes:
    return VisitReceipt(
        venue=venue,
        pseudonym=pseudonym,
        time_in=time_in,
        time_out=time_out,
        visit_id=visit_id or digest(checkin)[:16],
        checkin_hash=digest(checkin),
        channel=channel,
    ).sign(key)


def unseal(
    envelope: bytes, label: escrow.VisitLabel | escrow.TraceSeedLabel, epoch: int = FIRST_EPOCH
) -> bytes:
    """Open an envelope with three custodians' shares (2, 4 and 5) of the test ceremony."""
    w = world()
    key = w.directory.get_key(epoch)
    env = escrow.Envelope.from_bytes(envelope)
    wid = b"\x07" * 32
    ctx = wid + bytes.fromhex(env.envelope_id)
    shares = [
        escrow.make_share(s.share(epoch).x, i, key, env, ctx)
        for i, s in ((2, w.stores[1]), (4, w.stores[3]), (5, w.stores[4]))
    ]
    return escrow.combine(env, key, label, shares, warrant_id=wid).plaintext


def checked_in(w: Wallet, venue: str = VENUE, *, now: int = NOW) -> tuple[bytes, str]:
    """A poster check-in of ``w`` at ``venue`` (the wallet keeps it pending) and its
    pseudonym."""
    data = w.check_in(w.scan(poster(venue, now=now), now=now), declaration=CLEAR, now=now)
    return data, CheckIn.parse_unverified(data)[1].pseudonym
