"""Builders for the venue-service tests (no tests here): settings for two venues, an
injected clock, device readings, gateway signatures and real wallets answering the kiosk.

Keys are the wallet tests' (tests/wallet/support.py) so that a real :class:`wallet.Wallet`
enrolled there checks in here; the epoch keys are the session's 3-of-5 ceremony.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from did import Ed25519PrivateKey, Ed25519PublicKey, did_from_public_key
from protocol import HealthDeclaration, ThermalReading
from tests.escrow.support import NOW, world
from tests.wallet.support import (
    OTHER_VENUE,
    OTHER_VENUE_KEY,
    VENUE,
    VENUE_KEY,
    new_wallet,
    poster,
    venue_keys,
)
from verifier.service import (
    VenueServiceSettings,
    VenueSettings,
    gateway_signature,
    hash_passcode,
)
from wallet import Wallet

__all__ = [
    "DEVICE",
    "DEVICE_KEY",
    "GATEWAY_SECRET",
    "NOW",
    "OTHER_VENUE",
    "STAFF_PASSCODE",
    "VENUE",
    "Clock",
    "gateway_request",
    "new_wallet",
    "reading",
    "settings",
    "wallet_answer",
]

DEVICE_KEY = Ed25519PrivateKey.from_seed(hashlib.sha256(b"thermal camera").digest())
DEVICE = did_from_public_key(DEVICE_KEY.public_key)
STRANGER_KEY = Ed25519PrivateKey.from_seed(hashlib.sha256(b"unregistered camera").digest())
STRANGER = did_from_public_key(STRANGER_KEY.public_key)
GATEWAY_SECRET = b"telecom-gateway-secret-for-tests"
STAFF_PASSCODE = "2580"
CAFE_NUMBER = "+8215880001"
BAR_NUMBER = "+8215880002"
KEYS = {"cafe-1": VENUE_KEY, "bar-2": OTHER_VENUE_KEY}


class Clock:
    """A clock the test moves (Unix seconds)."""

    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += seconds


@functools.cache
def _passcode_hash() -> str:
    return hash_passcode(STAFF_PASSCODE)


def settings(
    tmp: Path,
    *,
    cafe_did: str = VENUE,
    bar_did: str = OTHER_VENUE,
    category: str = "cafe",
    **service: Any,
) -> VenueServiceSettings:
    """Two venues (a cafe with a camera, numbers and staff; a bar) in ``tmp``."""
    cafe = VenueSettings(
        id="cafe-1",
        did=cafe_did,
        name="카페 하나 / Cafe One",
        category=category,
        numbers=(CAFE_NUMBER,),
        staff_passcode_hash=_passcode_hash(),
        devices=(DEVICE,),
        poster=poster(cafe_did),
    )
    bar = VenueSettings(
        id="bar-2", did=bar_did, name="바 둘 / Bar Two", category="bar", numbers=(BAR_NUMBER,)
    )
    tmp.mkdir(parents=True, exist_ok=True)
    secret = tmp / "gateway.secret"
    secret.write_bytes(GATEWAY_SECRET)
    values: dict[str, Any] = {
        "data_dir": tmp / "data",
        "venues": (cafe, bar),
        "gateway_secret_file": secret,
        "synchronous": "normal",
        "upload_interval": 0.2,
        "upload_backoff_min": 0.1,
        "upload_backoff_max": 0.5,
    }
    values.update(service)
    return VenueServiceSettings(**values)


def app_options(clock: Clock, **changes: Any) -> dict[str, Any]:
    """The keyword options of ``create_app`` for the test world."""
    options: dict[str, Any] = {"clock": clock, "keys": KEYS, **changes}
    if "epoch_keys" not in options:
        options["epoch_keys"] = world().directory
    return options


def reading(
    subject: bytes,
    temperature: int = 3650,
    *,
    mask: bool | None = True,
    now: int = NOW,
    venue: str = VENUE,
    key: Ed25519PrivateKey = DEVICE_KEY,
) -> bytes:
    """A device-signed reading taken at ``now`` for the kiosk challenge ``subject`` (a
    16-byte nonce) or the holder-shown code whose digest is ``subject`` (32 bytes)."""
    device = did_from_public_key(key.public_key)
    make = ThermalReading.for_challenge if len(subject) == 16 else ThermalReading.for_code
    return make(
        subject, device=device, venue=venue, time=now, temperature=temperature, mask=mask
    ).sign(key)


def gateway_request(
    caller: str = "+821012345678",
    venue_number: str = CAFE_NUMBER,
    *,
    channel: str = "sms",
    now: int = NOW,
    secret: bytes = GATEWAY_SECRET,
) -> tuple[bytes, dict[str, str]]:
    """A gateway webhook body and its signed headers."""
    body = json.dumps({"channel": channel, "caller": caller, "venue": venue_number}).encode()
    return body, {
        "x-anshim-timestamp": str(now),
        "x-anshim-signature": gateway_signature(secret, now, body),
        "content-type": "application/json",
    }


def wallet_answer(
    w: Wallet,
    qr_text: str,
    *,
    now: int,
    fever: bool = False,
    symptoms: bool = False,
    keys: Callable[[str], Ed25519PublicKey | None] = venue_keys,
) -> bytes:
    """The wallet scans ``qr_text`` (kiosk or poster) and signs its check-in."""
    scanned = w.scan(qr_text, now=now, venue_keys=keys)
    return w.check_in(scanned, declaration=HealthDeclaration(fever, symptoms), now=now)
