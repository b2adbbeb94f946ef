"""Builders shared by the protocol tests (no tests here): realistic messages made with
deterministic keys, so a failure reproduces byte for byte."""

from __future__ import annotations

import hashlib

from did import Ed25519PrivateKey, Ed25519PublicKey, did_from_public_key
from protocol import (
    ANY_VENUE,
    ENVELOPE_SIZE,
    Channel,
    CheckIn,
    DiaryDisclosure,
    ExposureNotice,
    HealthDeclaration,
    Kind,
    RiskLevel,
    SealedVisit,
    ThermalReading,
    VenueChallenge,
    VenueCode,
    VisitReceipt,
    day_of,
    derive_pseudonym_key,
    derive_trace_seed,
    digest,
    locator,
    pseudonym_did,
)

NOW = 1_700_000_000  # 2023-11-14T22:13:20Z
VENUE = "did:web:registry.anshim.kr:venues:jeju-000123"
OTHER_VENUE = "did:web:registry.anshim.kr:venues:jeju-000999"
AUTHORITY = "did:web:kdca.go.kr"
WALLET_SECRET = bytes(range(32))


def key(label: str) -> Ed25519PrivateKey:
    """A deterministic Ed25519 key named by ``label``."""
    return Ed25519PrivateKey.from_seed(hashlib.sha256(label.encode()).digest())


REGISTRY = key("registry")
VENUE_KEY = key("venue")
DEVICE = key("thermal-camera")


def envelope(fill: int = 0xA5) -> bytes:
    """Opaque envelope bytes of the protocol's fixed size."""
    return bytes([fill]) * ENVELOPE_SIZE


def pseudonym_key(venue: str = VENUE, now: int = NOW) -> Ed25519PrivateKey:
    return derive_pseudonym_key(WALLET_SECRET, venue, day_of(now))


def venue_code(**changes: object) -> VenueCode:
    fields: dict[str, object] = {
        "venue": VENUE,
        "name": "제주 흑돼지 식당",
        "category": "restaurant",
        "issued": NOW - 86400,
        "expires": NOW + 365 * 86400,
    }
    fields.update(changes)
    return VenueCode(**fields)  # type: ignore[arg-type]


def challenge(**changes: object) -> VenueChallenge:
    fields: dict[str, object] = {
        "venue": VENUE,
        "nonce": b"\x11" * 16,
        "issued": NOW,
        "expires": NOW + 60,
    }
    fields.update(changes)
    return VenueChallenge(**fields)  # type: ignore[arg-type]


def checkin(**changes: object) -> CheckIn:
    pkey = pseudonym_key()
    fields: dict[str, object] = {
        "audience": VENUE,
        "challenge": b"\x11" * 16,
        "issued_at": NOW,
        "expires": NOW + 60,
        "pseudonym": pseudonym_did(pkey),
        "declaration": HealthDeclaration(fever=False, respiratory=False),
        "envelope": envelope(),
        "locator": locator(derive_trace_seed(WALLET_SECRET, day_of(NOW)), VENUE),
    }
    fields.update(changes)
    return CheckIn(**fields)  # type: ignore[arg-type]


def holder_shown(**changes: object) -> CheckIn:
    fields: dict[str, object] = {"audience": ANY_VENUE, "challenge": None, "expires": NOW + 15}
    fields.update(changes)
    return checkin(**fields)


def checkout(**changes: object) -> CheckIn:
    fields: dict[str, object] = {
        "challenge": None,
        "issued_at": NOW + 3600,
        "expires": NOW + 3660,
        "declaration": None,
        "envelope": None,
        "kind": Kind.CHECK_OUT,
    }
    fields.update(changes)
    return checkin(**fields)


def receipt(**changes: object) -> VisitReceipt:
    fields: dict[str, object] = {
        "venue": VENUE,
        "pseudonym": pseudonym_did(pseudonym_key()),
        "time_in": NOW,
        "time_out": None,
        "visit_id": b"\x22" * 16,
        "checkin_hash": digest(checkin().sign(pseudonym_key())),
        "channel": Channel.QR_KIOSK,
    }
    fields.update(changes)
    return VisitReceipt(**fields)  # type: ignore[arg-type]


def sealed_visit(**changes: object) -> SealedVisit:
    fields: dict[str, object] = {
        "visit_id": b"\x22" * 16,
        "venue": VENUE,
        "day": day_of(NOW),
        "time_in": NOW,
        "time_out": NOW + 5400,
        "pseudonym": pseudonym_did(pseudonym_key()),
        "locator": checkin().locator,
        "channel": Channel.QR_KIOSK,
        "declaration": HealthDeclaration(fever=False, respiratory=False),
        "envelope": envelope(),
        "receipt_hash": b"\x33" * 32,
    }
    fields.update(changes)
    return SealedVisit(**fields)  # type: ignore[arg-type]


def notice(**changes: object) -> ExposureNotice:
    fields: dict[str, object] = {
        "venue": VENUE,
        "window_start": NOW - 7200,
        "window_end": NOW - 3600,
        "risk": RiskLevel.HIGH,
    }
    fields.update(changes)
    return ExposureNotice(**fields)  # type: ignore[arg-type]


def reading(**changes: object) -> ThermalReading:
    fields: dict[str, object] = {
        "device": did_from_public_key(DEVICE.public_key),
        "venue": VENUE,
        "time": NOW,
        "temperature": 3650,
        "mask": True,
        "challenge": b"\x11" * 16,  # the nonce checkin() answers
    }
    fields.update(changes)
    return ThermalReading(**fields)  # type: ignore[arg-type]


def diary(n: int = 3) -> tuple[bytes, list[bytes]]:
    """A disclosure of ``n`` receipts at different venues and days, and those receipts."""
    pairs = []
    for i in range(n):
        venue = f"did:web:registry.anshim.kr:venues:v{i}"
        when = NOW + i * 86400
        pkey = pseudonym_key(venue, when)
        data = receipt(
            venue=venue, pseudonym=pseudonym_did(pkey), time_in=when, visit_id=bytes([i]) * 16
        ).sign(VENUE_KEY)
        pairs.append((data, pkey))
    disclosure = DiaryDisclosure.create(
        pairs,
        audience=AUTHORITY,
        window_start=NOW - 86400,
        window_end=NOW + 14 * 86400,
        issued=NOW + 15 * 86400,
    )
    return disclosure.to_cbor(), [data for data, _ in pairs]


def venue_keys(did: str) -> Ed25519PublicKey | None:
    """The look-up tests use: every venue signs with :data:`VENUE_KEY`."""
    return VENUE_KEY.public_key if did.startswith("did:web:registry.anshim.kr:") else None
