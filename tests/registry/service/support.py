"""Factories for the registry service's tests: a venue operator with real keys that signs
registrations, rotations and upload batches, presentations for DID authentication, and an
app over a fresh SQLite store and ledger."""

from __future__ import annotations

import asyncio
import datetime as _dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

import registry
from did import Ed25519PrivateKey, X25519PrivateKey, b64url_encode, did_from_public_key
from did.vc import create_presentation
from escrow import HOLDER_SHOWN_VENUE
from protocol import (
    ANY_VENUE,
    ENVELOPE_SIZE,
    HOLDER_SHOWN_LIFETIME,
    Channel,
    CheckIn,
    HealthDeclaration,
    SealedVisit,
    UploadBatch,
    day_of,
    derive_pseudonym_key,
    derive_trace_seed,
    locator,
    pseudonym_did,
)
from registry._venues import REGISTRATION_CONTEXT, ROTATION_CONTEXT, signed_bytes
from registry.service import Settings, create_app

PUBLIC_URL = "https://registry.test"
REGISTRY_DID = "did:web:registry.test"
#: 2024-03-10 10:00 UTC.
T0 = 19792 * 86400 + 10 * 3600
MINUTE = 60


class Clock:
    """A settable clock (whole seconds)."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += seconds


def signed(context: bytes, request: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``request`` with its ``proof`` by ``key``."""
    return {**request, "proof": b64url_encode(key.sign(signed_bytes(context, request)))}


@dataclass
class Operator:
    """A venue's operator: its keys, and once registered its id and DID."""

    name_ko: str = "제주 해녀 식당"
    name_en: str = "Jeju Haenyeo Restaurant"
    category: str = "restaurant"
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    agreement: X25519PrivateKey = field(default_factory=X25519PrivateKey.generate)
    venue_id: str = ""
    did: str = ""

    def registration(self, now: int, **overrides: Any) -> dict[str, Any]:
        request: dict[str, Any] = {
            "type": "VenueRegistration",
            "name": {"ko": self.name_ko, "en": self.name_en},
            "address": "제주특별자치도 제주시 중앙로 1",
            "businessRegistrationNumber": "616-81-12345",
            "category": self.category,
            "signingKey": self.key.public_key.to_multikey(),
            "agreementKey": self.agreement.public_key.to_multikey(),
            "nonce": b64url_encode(os.urandom(16)),
            "created": now,
        }
        request.update(overrides)
        return signed(REGISTRATION_CONTEXT, request, self.key)

    def rotation(
        self, now: int, new_key: Ed25519PrivateKey, new_agreement: X25519PrivateKey,
        *, current: Ed25519PrivateKey | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        request: dict[str, Any] = {
            "type": "VenueKeyRotation",
            "venue": self.did,
            "signingKey": new_key.public_key.to_multikey(),
            "agreementKey": new_agreement.public_key.to_multikey(),
            "nonce": b64url_encode(os.urandom(16)),
            "created": now,
        }
        message = signed_bytes(ROTATION_CONTEXT, request)
        signer = current if current is not None else self.key
        return {
            **request,
            "proof": b64url_encode(signer.sign(message)),
            "newKeyProof": b64url_encode(new_key.sign(message)),
        }

    def record(
        self, time_in: int, *, time_out: int | None = None, venue: str | None = None,
        key: Ed25519PrivateKey | None = None, visit_id: bytes | None = None,
    ) -> bytes:  # fmt: skip
        """A signed SealedVisit record of a wallet check-in at this venue."""
        did = venue or self.did
        wallet, day = os.urandom(32), day_of(time_in)
        visit = SealedVisit(
            visit_id=visit_id or os.urandom(16),
            venue=did,
            day=day,
            time_in=time_in,
            time_out=time_out,
            pseudonym=pseudonym_did(derive_pseudonym_key(wallet, did, day)),
            locator=locator(derive_trace_seed(wallet, day), did),
            channel=Channel.QR_STATIC,
            declaration=HealthDeclaration(False, False),
            envelope=os.urandom(ENVELOPE_SIZE),
            receipt_hash=os.urandom(32),
        )
        return visit.sign(key or self.key)

    def admit(self, checkin: CheckIn, *, visit_id: bytes | None = None) -> bytes:
        """The signed SealedVisit this venue makes of an admitted ``checkin`` (DESIGN.md
        "Validation at the venue" step 6, the venue's own constructor)."""
        visit = SealedVisit.from_checkin(
            checkin, venue=self.did, day=day_of(checkin.issued_at),
            visit_id=visit_id or os.urandom(16), receipt_hash=os.urandom(32),
        )  # fmt: skip
        return visit.sign(self.key)

    def batch(
        self, records: Iterable[bytes], issued: int, *, key: Ed25519PrivateKey | None = None,
        venue: str | None = None,
    ) -> bytes:  # fmt: skip
        """A signed upload batch of ``records``."""
        return UploadBatch(
            venue=venue or self.did, batch_id=os.urandom(16), issued=issued, records=tuple(records)
        ).sign(key or self.key)


class Client:
    """A synchronous client over httpx's ASGI transport (the real app, in process)."""

    def __init__(self, app: FastAPI, clock: Clock, base_url: str = PUBLIC_URL) -> None:
        self.app, self.clock, self.base_url = app, clock, base_url

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as c:
                return await c.request(method, url, **kwargs)

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)


def holder_shown_checkin(time_in: int) -> CheckIn:
    """A wallet's holder-shown check-in (audience "any venue", DESIGN.md "Venue codes" 3)
    at ``time_in``, with a fresh pseudonym and an envelope of random bytes of the right
    size: the code a phone shows, which can be photographed and shown elsewhere."""
    wallet = os.urandom(32)
    # The wallet derives a holder-shown pseudonym for escrow's placeholder venue and the
    # moment it shows the code (wallet/_checkin.py), since the real venue is not known.
    derive_for = f"{HOLDER_SHOWN_VENUE}:{time_in}"
    return CheckIn(
        audience=ANY_VENUE, challenge=None, issued_at=time_in,
        expires=time_in + HOLDER_SHOWN_LIFETIME,
        pseudonym=pseudonym_did(derive_pseudonym_key(wallet, derive_for, day_of(time_in))),
        declaration=HealthDeclaration(False, False), envelope=os.urandom(ENVELOPE_SIZE),
        locator=os.urandom(16),
    )  # fmt: skip


def moment(t: int) -> str:
    return _dt.datetime.fromtimestamp(t, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def present(
    client: Client, key: Ed25519PrivateKey, credentials: Iterable[Mapping[str, Any]] = (),
    *, holder: str | None = None, verification_method: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A presentation over a fresh registry challenge, by ``key``."""
    challenge = client.post("/challenges").json()
    return create_presentation(
        list(credentials), holder_key=key, challenge=challenge["challenge"],
        domain=challenge["domain"], holder=holder, verification_method=verification_method,
        created=moment(client.clock.now),
    )  # fmt: skip


def token(client: Client, presentation: dict[str, Any]) -> str:
    """The access token a presentation is exchanged for (asserting success)."""
    response = client.post("/auth/token", json={"verifiablePresentation": presentation})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(text: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {text}"}


@dataclass
class Registry:
    """A running app (in process) with its clock, keys and an admin token."""

    app: FastAPI
    client: Client
    clock: Clock
    key: Ed25519PrivateKey
    admin_key: Ed25519PrivateKey
    store: registry.Store
    state: Path
    admin: dict[str, str] = field(default_factory=dict)

    def register(self, operator: Operator | None = None, *, approve: bool = True) -> Operator:
        """Register (and approve) a venue; returns its operator with id and DID."""
        op = operator or Operator()
        response = self.client.post("/venues", json=op.registration(self.clock.now))
        assert response.status_code == 202, response.text
        op.venue_id, op.did = response.json()["id"], response.json()["did"]
        if approve:
            r = self.client.post(f"/venues/{op.venue_id}/approval", headers=self.admin)
            assert r.status_code == 200, r.text
        return op

    def investigator(
        self, key: Ed25519PrivateKey | None = None
    ) -> tuple[Ed25519PrivateKey, dict[str, str]]:
        """An investigator with a credential issued over the VC-API, and its token header."""
        key = key or Ed25519PrivateKey.generate()
        did = did_from_public_key(key.public_key)
        credential = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "InvestigatorCredential"],
            "credentialSubject": {"id": did, "role": "epidemiological investigator"},
        }
        r = self.client.post(
            "/credentials/issue", json={"credential": credential}, headers=self.admin
        )
        assert r.status_code == 201, r.text
        vc = r.json()["verifiableCredential"]
        return key, bearer(token(self.client, present(self.client, key, [vc])))


def make_registry(
    tmp: Path, *, store: registry.Store | None = None, custodians: tuple[str, ...] = (),
    threshold: int | None = None, clock: Clock | None = None, public_url: str = PUBLIC_URL,
) -> Registry:  # fmt: skip
    clock = clock or Clock()
    admin_key, key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    settings = Settings(
        public_url=public_url, admin_did=did_from_public_key(admin_key.public_key),
        state_dir=tmp / "state", custodians=custodians, threshold=threshold,
    )  # fmt: skip
    store = store or registry.open_store(settings.store, create=True)
    app = create_app(settings, store=store, clock=clock, key=key)
    client = Client(app, clock, public_url)
    reg = Registry(app, client, clock, key, admin_key, store, tmp / "state")
    reg.admin = bearer(token(client, present(client, admin_key)))
    return reg
