"""A small town for the investigator's end-to-end test: the real registry service on SQLite,
served by uvicorn on loopback, dozens of venues registered and approved through its API,
a few hundred wallets (each with its own secret, holder key and issued identity
credential, its pseudonyms and locators derived as a wallet derives them, its trace seeds
escrowed) plus SMS, call and assisted-entry visitors over two days, every record sealed
to the real 3-of-5 epoch keys and uploaded in venue-signed batches over HTTP."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

import registry
from did import Ed25519PrivateKey, cbor, did_from_public_key
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
from registry.service import Settings, create_app
from tests.investigator.support import ISSUER, ISSUER_DID
from tests.registry.service.support import (
    PUBLIC_URL,
    Client,
    Clock,
    Operator,
    bearer,
    present,
    token,
)

DAY = 86400
CATEGORIES = ("restaurant", "cafe", "bar", "gym", "church", "wedding_hall", "karaoke", "shop")


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
    """What the test knows about one uploaded record (the brute force's ground truth)."""

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
    url: str
    clock: Clock
    admin: dict[str, str]
    venues: list[Operator]
    holders: list[Holder]
    visits: list[Visit]
    investigator_key: Ed25519PrivateKey
    investigator_credential: dict[str, Any]
    registry_did: str


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
    op: Operator,
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
            venue=op.did,
            pseudonym=pseudonym,
            time_in=time_in,
            time_out=time_out,
            visit_id=visit.visit_id,
            checkin_hash=checkin_hash,
            channel=channel,
        ).sign(op.key)
        holder.receipts.append((receipt, key))
    return visit, visit.sign(op.key)


def build_town(
    tmp: Path,
    directory: EpochKeyDirectory,
    *,
    first_day: int,
    now: int,
    venues: int = 30,
    wallets: int = 300,
    gateway_visitors: int = 60,
    seed: int = 13,
    special: list[dict[str, Any]] | None = None,
    background_visits: bool = True,
) -> tuple[Any, Town]:
    """Build the town's registry app and data. Returns (app, town without url); the
    caller serves the app and fills in ``town.url``. ``special`` lists extra visits the
    test places on purpose: ``{venue, time_in, time_out, channel, phone, name, holder}``;
    without ``background_visits`` the wallets make only those.
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
    client = Client(app, clock)
    admin = bearer(token(client, present(client, admin_key)))
    r = client.put(
        "/epoch-keys", content=directory.to_bytes(), headers={"content-type": "application/cbor"}
    )
    assert r.status_code in (200, 201), r.text
    ops = []
    for n in range(venues):
        op = Operator(
            name_ko=f"가게 {n}", name_en=f"Venue {n}", category=CATEGORIES[n % len(CATEGORIES)]
        )
        resp = client.post("/venues", json=op.registration(clock.now))
        assert resp.status_code == 202, resp.text
        op.venue_id, op.did = resp.json()["id"], resp.json()["did"]
        assert client.post(f"/venues/{op.venue_id}/approval", headers=admin).status_code == 200
        ops.append(op)
    holders = []
    for n in range(wallets):
        key = Ed25519PrivateKey.generate()
        phone = f"+8210{20000000 + n:08d}"
        cred = issue_person_credential(
            ISSUER, ISSUER_DID, did_from_public_key(key.public_key), phone,
            name=f"주민{n}", valid_from=first_day * DAY - 30 * DAY, valid_until=now + 365 * DAY,
        )  # fmt: skip
        holders.append(Holder(os.urandom(32), key, phone, f"주민{n}", cred))
    plan: list[dict[str, Any]] = []
    for n, _ in enumerate(holders if background_visits else []):
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
    plan += special or []
    visits, by_venue = [], {}
    for p in plan:
        op = ops[p["venue"]]
        holder = holders[p["holder"]] if p.get("holder") is not None else None
        phone = holder.phone if holder else p["phone"]
        name = holder.name if holder else p.get("name")
        sv, message = _record(
            directory, op, p["time_in"], p["time_out"], holder=holder,
            channel=p["channel"], phone=phone, name=name,
        )  # fmt: skip
        by_venue.setdefault(p["venue"], []).append(message)
        visits.append(
            Visit(sv.visit_id.hex(), op.did, sv.time_in, sv.time_out, p["channel"], phone, name,
                  p.get("holder"))
        )  # fmt: skip
    town = Town("", clock, admin, ops, holders, visits, Ed25519PrivateKey.generate(), {}, "")
    town._uploads = [(ops[v], msgs) for v, msgs in by_venue.items()]  # type: ignore[attr-defined]
    town._client = client  # type: ignore[attr-defined]
    town._store = store  # type: ignore[attr-defined]
    return app, town


def upload(
    town: Town, directory: EpochKeyDirectory, first_day: int, *, trace_seeds: bool = True
) -> None:
    """Upload every venue's batch and (with ``trace_seeds``) every wallet's trace seeds
    over real HTTP, and issue the investigator's credential."""
    with httpx.Client(base_url=town.url, timeout=60) as http:
        for op, messages in town._uploads:  # type: ignore[attr-defined]
            for i in range(0, len(messages), 500):
                batch = UploadBatch(
                    venue=op.did, batch_id=os.urandom(16), issued=town.clock.now,
                    records=tuple(messages[i : i + 500]),
                ).sign(op.key)  # fmt: skip
                r = http.post("/uploads/visits", content=batch,
                              headers={"content-type": "application/cbor"})  # fmt: skip
                assert r.status_code == 200, r.text
        seeds = []
        for h in town.holders if trace_seeds else []:
            for day in (first_day, first_day + 1):
                label = TraceSeedLabel(h.credential.credential_id, day)
                seed = derive_trace_seed(h.secret, day)
                env = seal(directory.get_key(day), label, seed, pad_to=TRACE_SEED_SIZE + 1)
                seeds.append([label.to_bytes(), env.to_bytes()])
        for i in range(0, len(seeds), 500):
            r = http.post("/uploads/trace-seeds", content=cbor.encode(seeds[i : i + 500]),
                          headers={"content-type": "application/cbor"})  # fmt: skip
            assert r.status_code == 200, r.text
    did = did_from_public_key(town.investigator_key.public_key)
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "InvestigatorCredential"],
        "credentialSubject": {"id": did, "role": "epidemiological investigator"},
    }
    client: Client = town._client  # type: ignore[attr-defined]
    r = client.post("/credentials/issue", json={"credential": credential}, headers=town.admin)
    assert r.status_code == 201, r.text
    town.investigator_credential = r.json()["verifiableCredential"]
    town.registry_did = client.post("/challenges").json()["domain"]
