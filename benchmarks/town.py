"""A small town over the real registry service, for the investigator's end-to-end tests and
``bench_investigation.py`` (a support module, not a test: importable from the repository
root as ``benchmarks.town``).

:func:`running_town` starts registry.service on SQLite under uvicorn on loopback and builds
everything through its HTTP API: the administrator authenticates with its key (DID
authentication over a registry challenge), publishes the custodians' epoch-key directory,
registers and approves dozens of venues (each registration signed by the venue's key);
a few hundred wallets (each with its own secret, holder key and issued identity
credential, its pseudonyms and locators derived as a wallet derives them, its trace seeds
escrowed) plus SMS, call and assisted-entry visitors check in over two days, every record
sealed to the real epoch keys and uploaded in venue-signed batches; the administrator
issues an investigator's credential. The town keeps the ground truth (:class:`Visit`) a
brute force can decide contacts from.
"""

from __future__ import annotations

import datetime as _dt
import os
import random
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

import registry
from did import (
    Ed25519PrivateKey,
    X25519PrivateKey,
    b64url_encode,
    cbor,
    did_from_public_key,
)
from did.vc import create_presentation
from escrow import EpochKeyDirectory, TraceSeedLabel, VisitLabel, seal
from protocol import (
    ENVELOPE_PAD_TO,
    TRACE_SEED_SIZE,
    Channel,
    GatewayPlaintext,
    HealthDeclaration,
    IdentityPlaintext,
    SealedVisit,
    UploadBatch,
    VisitReceipt,
    derive_pseudonym_key,
    derive_trace_seed,
    issue_person_credential,
    locator,
    pseudonym_did,
)
from registry.service import REGISTRATION_CONTEXT, Settings, create_app, signed_bytes

__all__ = ["CATEGORIES", "Clock", "Holder", "Town", "Venue", "Visit", "running_town", "serve"]

DAY = 86400
PUBLIC_URL = "https://registry.town.test"
CATEGORIES = ("restaurant", "cafe", "bar", "gym", "church", "wedding_hall", "karaoke", "shop")
#: Records per venue batch (each batch stays under 64 KiB) and trace seeds per upload.
_BATCH, _SEEDS = 50, 500


class TownError(RuntimeError):
    """The registry refused a step of building the town."""


def _ok(response: httpx.Response, *statuses: int) -> httpx.Response:
    if response.status_code not in (statuses or (200,)):
        raise TownError(f"{response.request.method} {response.request.url.path}: {response.text}")
    return response


class Clock:
    """The registry's settable clock (whole seconds)."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@dataclass
class Venue:
    """A venue's operator: names, class, keys, and once registered its id and DID."""

    name_ko: str
    name_en: str
    category: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    agreement: X25519PrivateKey = field(default_factory=X25519PrivateKey.generate)
    venue_id: str = ""
    did: str = ""

    def registration(self, now: int) -> dict[str, Any]:
        """The signed registration request (proof of possession of the signing key)."""
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
        proof = self.key.sign(signed_bytes(REGISTRATION_CONTEXT, request))
        return {**request, "proof": b64url_encode(proof)}

    @property
    def verification_method(self) -> str:
        """The key id of the venue's did:web document, for DID authentication."""
        return f"{self.did}#{self.key.public_key.to_multikey()}"


@dataclass
class Holder:
    """A wallet's secrets as the wallet derives them."""

    secret: bytes
    key: Ed25519PrivateKey
    phone: str
    name: str | None
    credential: Any
    receipts: list[tuple[bytes, Ed25519PrivateKey]] = field(default_factory=list)


@dataclass
class Visit:
    """What the town knows about one uploaded record (the brute force's ground truth)."""

    visit_id: str
    venue: str
    time_in: int
    time_out: int | None
    channel: Channel
    phone: str
    name: str | None
    holder: int | None  # index of the wallet, None for a gateway visitor


@dataclass
class Town:
    """The running town: the registry's URL, clock and keys, and who went where."""

    url: str
    clock: Clock
    admin_key: Ed25519PrivateKey
    registry_key: Ed25519PrivateKey
    venues: list[Venue]
    holders: list[Holder]
    visits: list[Visit]
    investigator_key: Ed25519PrivateKey
    investigator_credential: dict[str, Any]
    registry_did: str
    store: registry.Store

    def presentation(
        self,
        http: httpx.Client,
        key: Ed25519PrivateKey,
        credentials: list[Mapping[str, Any]] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """A DID-authentication presentation by ``key`` over a fresh registry challenge."""
        challenge = _ok(http.post("/challenges")).json()
        created = _dt.datetime.fromtimestamp(self.clock.now, _dt.UTC)
        return create_presentation(
            list(credentials or []), holder_key=key, challenge=challenge["challenge"],
            domain=challenge["domain"], created=created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            **options,
        )  # fmt: skip

    def token(self, http: httpx.Client, key: Ed25519PrivateKey, **options: Any) -> str:
        """An access token for ``key`` (the registry decides the role)."""
        vp = self.presentation(http, key, **options)
        answer = _ok(http.post("/auth/token", json={"verifiablePresentation": vp})).json()
        return str(answer["access_token"])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port; yields its base URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _record(
    directory: EpochKeyDirectory,
    op: Venue,
    time_in: int,
    time_out: int | None,
    *,
    holder: Holder | None,
    channel: Channel,
    phone: str,
    name: str | None,
) -> tuple[SealedVisit, bytes]:
    day = time_in // DAY
    if holder is not None:
        key = derive_pseudonym_key(holder.secret, op.did, day)
        pseudonym = pseudonym_did(key)
        label = VisitLabel(op.did, day, pseudonym, time_in)
        plaintext = IdentityPlaintext.new(
            holder.credential.compact.cbor, holder_key=holder.key, label=label.to_bytes()
        ).to_bytes()
        loc: bytes | None = locator(derive_trace_seed(holder.secret, day), op.did)
    else:
        pseudonym = did_from_public_key(Ed25519PrivateKey.generate().public_key)
        label = VisitLabel(op.did, day, pseudonym, time_in)
        plaintext = GatewayPlaintext(channel, phone, name, os.urandom(16)).to_bytes()
        loc = None
    envelope = seal(directory.get_key(day), label, plaintext, pad_to=ENVELOPE_PAD_TO).to_bytes()
    checkin_hash = os.urandom(32)
    visit = SealedVisit(
        visit_id=os.urandom(16),
        venue=op.did,
        day=day,
        time_in=time_in,
        time_out=time_out,
        pseudonym=pseudonym,
        locator=loc,
        channel=channel,
        declaration=HealthDeclaration(False, False) if holder is not None else None,
        envelope=envelope,
        receipt_hash=checkin_hash if holder is not None else None,
    )
    if holder is not None:
        receipt = VisitReceipt(
            venue=op.did, pseudonym=pseudonym, time_in=time_in, time_out=time_out,
            visit_id=visit.visit_id, checkin_hash=checkin_hash, channel=channel,
        ).sign(op.key)  # fmt: skip
        holder.receipts.append((receipt, key))
    return visit, visit.sign(op.key)


def _plan(
    rng: random.Random, first_day: int, venues: int, wallets: int, gateway_visitors: int,
    background_visits: bool,
) -> list[dict[str, Any]]:  # fmt: skip
    plan: list[dict[str, Any]] = []
    for n in range(wallets if background_visits else 0):
        for _ in range(rng.randint(2, 4)):
            t_in = first_day * DAY + rng.randint(0, 2 * DAY - 4 * 3600)
            stay = rng.randint(10, 180) * 60
            out = t_in + stay if rng.random() < 0.7 else None
            plan.append({"venue": rng.randrange(venues), "time_in": t_in, "time_out": out,
                         "channel": Channel.QR_STATIC, "holder": n})  # fmt: skip
    for n in range(gateway_visitors):
        t_in = first_day * DAY + rng.randint(0, 2 * DAY - 4 * 3600)
        channel = (Channel.SMS, Channel.CALL, Channel.ASSISTED)[n % 3]
        plan.append({"venue": rng.randrange(venues), "time_in": t_in, "time_out": None,
                     "channel": channel, "phone": f"+8210{30000000 + n:08d}",
                     "name": f"손님{n}" if channel is Channel.ASSISTED else None})  # fmt: skip
    return plan


@contextmanager
def running_town(
    tmp: Path,
    directory: EpochKeyDirectory,
    *,
    issuer: Ed25519PrivateKey,
    first_day: int,
    now: int,
    venues: int = 30,
    wallets: int = 300,
    gateway_visitors: int = 60,
    seed: int = 13,
    special: list[dict[str, Any]] | None = None,
    background_visits: bool = True,
    trace_seeds: bool = True,
) -> Iterator[Town]:
    """The town, served (module docstring); the registry stops when the block ends.

    ``issuer`` issues the wallets' identity credentials. ``special`` lists extra visits
    placed on purpose: ``{venue, time_in, time_out, channel, holder}`` for a wallet (an
    index) or ``{venue, time_in, time_out, channel, phone, name}`` for a gateway visitor;
    without ``background_visits`` the wallets make only those. ``trace_seeds``: every
    wallet escrows its trace seeds of the two days.

    Raises:
        TownError: the registry refused a step.
    """
    rng = random.Random(seed)
    clock = Clock(now)
    admin_key, reg_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    settings = Settings(
        public_url=PUBLIC_URL,
        admin_did=did_from_public_key(admin_key.public_key),
        state_dir=tmp / "state",
        custodians=tuple(directory.custodians),
        threshold=directory.threshold,
    )
    store = registry.open_store(settings.store, create=True)
    app = create_app(settings, store=store, clock=clock, key=reg_key)
    try:
        with serve(app) as url, httpx.Client(base_url=url, timeout=60) as http:
            town = Town(url, clock, admin_key, reg_key, [], [], [], Ed25519PrivateKey.generate(),
                        {}, "", store)  # fmt: skip
            _build(town, http, directory, issuer, rng, first_day, venues, wallets,
                   gateway_visitors, special or [], background_visits, trace_seeds)  # fmt: skip
            yield town
    finally:
        store.close()


def _build(
    town: Town, http: httpx.Client, directory: EpochKeyDirectory, issuer: Ed25519PrivateKey,
    rng: random.Random, first_day: int, venues: int, wallets: int, gateway_visitors: int,
    special: list[dict[str, Any]], background_visits: bool, trace_seeds: bool,
) -> None:  # fmt: skip
    now = town.clock.now
    admin = {"Authorization": f"Bearer {town.token(http, town.admin_key)}"}
    cbor_type = {"content-type": "application/cbor"}
    _ok(http.put("/epoch-keys", content=directory.to_bytes(), headers=cbor_type), 200, 201)
    for n in range(venues):
        op = Venue(f"가게 {n}", f"Venue {n}", CATEGORIES[n % len(CATEGORIES)])
        answer = _ok(http.post("/venues", json=op.registration(now)), 202).json()
        op.venue_id, op.did = answer["id"], answer["did"]
        _ok(http.post(f"/venues/{op.venue_id}/approval", headers=admin))
        town.venues.append(op)
    issuer_did = did_from_public_key(issuer.public_key)
    for n in range(wallets):
        key = Ed25519PrivateKey.generate()
        phone = f"+8210{20000000 + n:08d}"
        cred = issue_person_credential(
            issuer, issuer_did, did_from_public_key(key.public_key), phone, name=f"주민{n}",
            valid_from=first_day * DAY - 30 * DAY, valid_until=now + 365 * DAY,
        )  # fmt: skip
        town.holders.append(Holder(os.urandom(32), key, phone, f"주민{n}", cred))
    plan = _plan(rng, first_day, venues, wallets, gateway_visitors, background_visits) + special
    by_venue: dict[int, list[bytes]] = {}
    for p in plan:
        op = town.venues[p["venue"]]
        holder = town.holders[p["holder"]] if p.get("holder") is not None else None
        phone = holder.phone if holder else p["phone"]
        name = holder.name if holder else p.get("name")
        sv, message = _record(
            directory, op, p["time_in"], p["time_out"], holder=holder,
            channel=p["channel"], phone=phone, name=name,
        )  # fmt: skip
        by_venue.setdefault(p["venue"], []).append(message)
        town.visits.append(
            Visit(sv.visit_id.hex(), op.did, sv.time_in, sv.time_out, p["channel"], phone, name,
                  p.get("holder"))
        )  # fmt: skip
    for v, messages in by_venue.items():
        op = town.venues[v]
        for i in range(0, len(messages), _BATCH):
            batch = UploadBatch(
                venue=op.did, batch_id=os.urandom(16), issued=now,
                records=tuple(messages[i : i + _BATCH]),
            ).sign(op.key)  # fmt: skip
            _ok(http.post("/uploads/visits", content=batch, headers=cbor_type))
    seeds = []
    for h in town.holders if trace_seeds else []:
        for day in (first_day, first_day + 1):
            label = TraceSeedLabel(h.credential.credential_id, day)
            env = seal(directory.get_key(day), label, derive_trace_seed(h.secret, day),
                       pad_to=TRACE_SEED_SIZE + 1)  # fmt: skip
            seeds.append([label.to_bytes(), env.to_bytes()])
    for i in range(0, len(seeds), _SEEDS):
        body = cbor.encode(seeds[i : i + _SEEDS])
        _ok(http.post("/uploads/trace-seeds", content=body, headers=cbor_type))
    did = did_from_public_key(town.investigator_key.public_key)
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "InvestigatorCredential"],
        "credentialSubject": {"id": did, "role": "epidemiological investigator"},
    }
    answer = _ok(
        http.post("/credentials/issue", json={"credential": credential}, headers=admin), 201
    ).json()
    town.investigator_credential = answer["verifiableCredential"]
    town.registry_did = _ok(http.post("/challenges")).json()["domain"]
