"""Builders shared by the verifier tests (no tests here): a venue, epoch keys, and check-ins
made directly from protocol messages and escrow.seal, so attack tests can hand-craft
malicious ones. Keys are deterministic, so a failure reproduces."""

from __future__ import annotations

import hashlib

from did import Ed25519PrivateKey
from escrow import (
    Envelope,
    EpochKey,
    Point,
    Scalar,
    VisitLabel,
    check_envelope_proof,
    random_scalar,
    seal,
)
from escrow._envelope import open_with_point
from protocol import (
    ANY_VENUE,
    ENVELOPE_PAD_TO,
    CheckIn,
    HealthDeclaration,
    Kind,
    ThermalReading,
    VenueChallenge,
    day_of,
    derive_pseudonym_key,
    derive_trace_seed,
    locator,
    pseudonym_did,
)
from verifier import MemoryReplayStore, VenueContext, VisitBook

DAY = 86400
FIRST_EPOCH = 20000
NOW = FIRST_EPOCH * DAY + 12 * 3600  # 2024-10-04T12:00:00Z
VENUE = "did:web:registry.example:venues:cafe-1"
OTHER_VENUE = "did:web:registry.example:venues:bar-2"
WALLET_SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(100, 132))
PLAINTEXT = b"\x01" + bytes(16) + b"identity credential stand-in"


def key(label: str) -> Ed25519PrivateKey:
    """A deterministic Ed25519 key named by ``label``."""
    return Ed25519PrivateKey.from_seed(hashlib.sha256(label.encode()).digest())


VENUE_KEY = key("venue")
DEVICE_KEY = key("thermal-camera")
DEVICE = "did:key:z6MkThermalCameraAtTheDoor"


def _epoch_key(epoch: int, secret: Scalar | None = None) -> EpochKey:
    y = Point.base_mul(secret or random_scalar())
    return EpochKey(epoch, y, (y,), 1, ("did:key:z6MkCustodianOne",))


#: One-custodian epoch keys for three days (the validator only reads Y and the epoch); the
#: tests keep each secret x so they can open envelopes directly (x·R), without a ceremony.
EPOCH_SECRETS = {e: random_scalar() for e in range(FIRST_EPOCH - 1, FIRST_EPOCH + 2)}
EPOCH_KEYS = {e: _epoch_key(e, x) for e, x in EPOCH_SECRETS.items()}


def open_envelope(envelope_bytes: bytes, label: VisitLabel) -> bytes:
    """Decrypt with the one-custodian secret (what k custodians' shares combine to)."""
    env = Envelope.from_bytes(envelope_bytes)
    key = EPOCH_KEYS[env.epoch]
    check_envelope_proof(env, key, label)
    return open_with_point(env, key, label, env.R.mul(EPOCH_SECRETS[env.epoch]))


def venue(**changes: object) -> VenueContext:
    fields: dict[str, object] = {"category": "cafe", "devices": {DEVICE: DEVICE_KEY.public_key}}
    fields.update(changes)
    return VenueContext.create(VENUE, VENUE_KEY, **fields)  # type: ignore[arg-type]


def state() -> tuple[MemoryReplayStore, VisitBook]:
    return MemoryReplayStore(), VisitBook()


def pseudonym_key(
    venue_did: str = VENUE, now: int = NOW, secret: bytes = WALLET_SECRET
) -> Ed25519PrivateKey:
    return derive_pseudonym_key(secret, venue_did, day_of(now))


def pseudonym_did_of(venue_did: str = VENUE, now: int = NOW) -> str:
    return pseudonym_did(pseudonym_key(venue_did, now))


def envelope(
    *,
    label_venue: str = VENUE,
    epoch: int | None = None,
    pseudonym: str | None = None,
    time_in: int = NOW,
    epoch_key: EpochKey | None = None,
) -> bytes:
    """A real sealed envelope of the fixed size under the visit's label."""
    epoch = day_of(time_in) if epoch is None else epoch
    pseudonym = pseudonym or pseudonym_did(pseudonym_key(label_venue, time_in))
    label = VisitLabel(label_venue, epoch, pseudonym, time_in)
    sealed = seal(epoch_key or EPOCH_KEYS[epoch], label, PLAINTEXT, pad_to=ENVELOPE_PAD_TO)
    return sealed.to_bytes()


def checkin(
    *,
    signer: Ed25519PrivateKey | None = None,
    audience: str = VENUE,
    challenge: bytes | None = None,
    issued_at: int = NOW,
    lifetime: int = 60,
    declaration: HealthDeclaration | None = None,
    env: bytes | None = None,
    kind: Kind = Kind.CHECK_IN,
    pseudonym: str | None = None,
    secret: bytes = WALLET_SECRET,
) -> bytes:
    """A signed check-in (or check-out) presentation, as a wallet would make it."""
    venue_did = VENUE if audience == ANY_VENUE else audience
    signer = signer or pseudonym_key(venue_did, issued_at, secret)
    pseudonym = pseudonym or pseudonym_did(signer)
    is_in = kind is Kind.CHECK_IN
    if is_in and env is None:
        env = envelope(label_venue=venue_did, pseudonym=pseudonym, time_in=issued_at)
    return CheckIn(
        audience=audience,
        challenge=challenge,
        issued_at=issued_at,
        expires=issued_at + (min(lifetime, 15) if audience == ANY_VENUE else lifetime),
        pseudonym=pseudonym,
        declaration=(declaration or HealthDeclaration(False, False)) if is_in else None,
        envelope=env if is_in else None,
        locator=locator(derive_trace_seed(secret, day_of(issued_at)), venue_did),
        kind=kind,
    ).sign(signer)


def nonce_of(challenge_bytes: bytes) -> bytes:
    return VenueChallenge.parse_unverified(challenge_bytes)[1].nonce


def reading(
    *,
    temperature: int = 3650,
    mask: bool | None = True,
    time: int = NOW - 5,
    venue_did: str = VENUE,
    device: str = DEVICE,
    signer: Ed25519PrivateKey = DEVICE_KEY,
    challenge: bytes | None = None,
    scanned: bytes | None = None,
) -> bytes:
    """A device-signed reading, taken for the kiosk challenge ``challenge`` (a nonce) or
    for the scanned holder-shown code whose digest is ``scanned``."""
    return ThermalReading(
        device=device,
        venue=venue_did,
        time=time,
        temperature=temperature,
        mask=mask,
        challenge=challenge,
        scanned=scanned,
    ).sign(signer)


def kiosk_checkin(venue_ctx: VenueContext, **changes: object) -> tuple[bytes, bytes]:
    """A check-in answering a fresh challenge of ``venue_ctx``, and that challenge's nonce."""
    nonce = nonce_of(venue_ctx.issue_challenge(now=NOW))
    return checkin(challenge=nonce, **changes), nonce  # type: ignore[arg-type]
