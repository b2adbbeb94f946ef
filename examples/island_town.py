"""The island before its two days: the custodians' key ceremony, the registry's
administrator, the venues registered and approved over HTTP with their posters, the venue
service's configuration, and the residents' wallets enrolled with the identity issuer."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from did import (
    KDF_TEST,
    DidDocument,
    Ed25519PrivateKey,
    Ed25519PublicKey,
    X25519PrivateKey,
    b64url_encode,
    cbor,
    did_from_public_key,
    save_private_key,
)
from did.vc import create_presentation, format_datetime
from escrow import EpochKeyDirectory, Roster, ShareStore, deal, finalize, publish
from protocol import issue_person_credential
from registry.service import REGISTRATION_CONTEXT, signed_bytes
from verifier.service import hash_passcode
from wallet import Wallet

DAY = 86400
PASSPHRASE = "island demo passphrase"  # a demo's passphrase, not a secret
STAFF_PASSCODE = "2580"
#: The registry's public origin: its did:web and its venues' DIDs follow from it.
PUBLIC_URL = "https://registry.udo.test"
AUTHORITY = "did:web:kdca.udo.test"
CUSTODIAN_NAMES = (
    "Jeju provincial health authority",
    "Korea Disease Control and Prevention Agency",
    "Personal Information Protection Commission",
    "Jeju District Court officer",
    "Udo citizens' representative",
)
#: The island's four venues the story is about: (key, Korean, English, category).
SPECIAL = (
    ("hall", "우도 웨딩홀", "Udo Wedding Hall", "wedding_hall"),
    ("church", "우도 성당", "Udo Catholic Church", "church"),
    ("cafe", "땅콩 카페", "Peanut Cafe", "cafe"),
    ("office", "우도면사무소", "Udo-myeon District Office", "office"),
)
_OTHER = ("restaurant", "cafe", "restaurant", "bar", "shop", "karaoke", "gym", "sauna", "shop")
_KINDS_KO = {
    "restaurant": "식당",
    "cafe": "카페",
    "bar": "주점",
    "shop": "가게",
    "karaoke": "노래방",
    "gym": "체육관",
    "sauna": "사우나",
}


@dataclass
class Custodians:
    stores: list[ShareStore]
    directory: EpochKeyDirectory
    dids: list[str]


def ceremony(folder: Path, first_day: int, days: int) -> Custodians:
    """Five custodians, threshold 3: a joint-Feldman ceremony for ``days`` epochs, each
    custodian's shares in its own encrypted store."""
    folder.mkdir(parents=True, exist_ok=True)
    stores = [
        ShareStore.create(folder / f"custodian{i + 1}.store", PASSPHRASE, kdf=KDF_TEST)
        for i in range(len(CUSTODIAN_NAMES))
    ]
    roster = Roster.new([s.did for s in stores], 3, first_epoch=first_day, epochs=days)
    deals = [deal(roster, s.key) for s in stores]
    signatures = [finalize(roster, deals, s, PASSPHRASE) for s in stores]
    return Custodians(stores, publish(roster, signatures), [s.did for s in stores])


class Admin:
    """The registry's administrator: DID authentication over a registry challenge, the
    token it is exchanged for, and requests with it."""

    def __init__(self, http: httpx.Client, key: Ed25519PrivateKey, clock: Any) -> None:
        self.http, self.key, self.clock = http, key, clock
        self.did = did_from_public_key(key.public_key)
        self._token, self._until = "", 0

    def headers(self) -> dict[str, str]:
        if self._until <= self.clock() + 30:
            challenge = self.http.post("/challenges").json()
            created = format_datetime(dt.datetime.fromtimestamp(self.clock(), dt.UTC))
            vp = create_presentation(
                [],
                holder_key=self.key,
                challenge=challenge["challenge"],
                domain=challenge["domain"],
                created=created,
            )
            answer = ok(self.http.post("/auth/token", json={"verifiablePresentation": vp}))
            self._token = answer.json()["access_token"]
            self._until = self.clock() + int(answer.json().get("expires_in", 60))
        return {"Authorization": f"Bearer {self._token}"}


def ok(response: httpx.Response) -> httpx.Response:
    """``response`` if it succeeded.

    Raises:
        RuntimeError: with the service's problem detail otherwise.
    """
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:300]}"
        )
    return response


@dataclass
class Venue:
    key: str  # "hall", "church", … or "v17"
    name_ko: str
    name_en: str
    category: str
    signing: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    agreement: X25519PrivateKey = field(default_factory=X25519PrivateKey.generate)
    venue_id: str = ""
    did: str = ""
    number: str = ""
    poster: str = ""
    public_key: Ed25519PublicKey | None = None
    devices: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.name_ko} / {self.name_en}"


def island_venues(count: int, rng: random.Random) -> list[Venue]:
    """The four venues of the story and ``count - 4`` others."""
    venues = [Venue(k, ko, en, cat) for k, ko, en, cat in SPECIAL]
    for n in range(max(0, count - len(venues))):
        cat = _OTHER[n % len(_OTHER)]
        venues.append(
            Venue(f"v{n}", f"우도 {_KINDS_KO[cat]} {n + 1}", f"Udo {cat.title()} {n + 1}", cat)
        )
    rng.shuffle(venues[len(SPECIAL) :])
    for n, v in enumerate(venues):
        v.number = f"+82647{n:05d}"  # the venue's SMS / call check-in number (Jeju, 064)
    return venues


def register(http: httpx.Client, admin: Admin, venue: Venue, now: int) -> None:
    """The operator's signed registration (proof of possession), the administrator's
    approval, and the venue's keys as its did:web document publishes them."""
    request: dict[str, Any] = {
        "type": "VenueRegistration",
        "name": {"ko": venue.name_ko, "en": venue.name_en},
        "address": "제주특별자치도 제주시 우도면 연평리",
        "businessRegistrationNumber": f"616-81-{venue.signing.public_key.to_bytes()[0] * 317:05d}",
        "category": venue.category,
        "signingKey": venue.signing.public_key.to_multikey(),
        "agreementKey": venue.agreement.public_key.to_multikey(),
        "nonce": b64url_encode(os.urandom(16)),
        "created": now,
    }
    request["proof"] = b64url_encode(
        venue.signing.sign(signed_bytes(REGISTRATION_CONTEXT, request))
    )
    answer = ok(http.post("/venues", json=request)).json()
    venue.venue_id, venue.did = answer["id"], answer["did"]
    ok(http.post(f"/venues/{venue.venue_id}/approval", headers=admin.headers()))
    doc = DidDocument.from_json(ok(http.get(f"/venues/{venue.venue_id}/did.json")).json())
    key = doc.methods_for("assertionMethod")[0].public_key()
    if (
        not isinstance(key, Ed25519PublicKey)
        or key.to_bytes() != venue.signing.public_key.to_bytes()
    ):
        raise RuntimeError(f"the registry publishes another key for {venue.name_en}")
    venue.public_key = key


_MOVE = re.compile(r"M([0-9.]+),([0-9.]+)h([0-9.]+)")


def read_poster(svg: bytes) -> str:
    """The QR text of a printed poster (the registry's SVG), read as a phone's camera
    would: the drawn modules rasterised and decoded by zxing-cpp."""
    import zxingcpp
    from PIL import Image

    squares = [(float(x), float(y), float(c)) for x, y, c in _MOVE.findall(svg.decode())]
    cell = squares[0][2]
    x0 = min(x for x, _, _ in squares)
    y0 = min(y for _, y, _ in squares)
    cells = {(round((x - x0) / cell), round((y - y0) / cell)) for x, y, _ in squares}
    size = max(max(c for c, _ in cells), max(r for _, r in cells)) + 1
    scale, quiet = 4, 4
    side = (size + 2 * quiet) * scale
    image = Image.new("L", (side, side), 255)
    for c, r in cells:
        x, y = (c + quiet) * scale, (r + quiet) * scale
        image.paste(0, (x, y, x + scale, y + scale))
    found = [r.text for r in zxingcpp.read_barcodes(image)]
    if not found:
        raise RuntimeError("the poster's QR code does not read")
    return found[0]


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def venue_config(
    folder: Path, venues: list[Venue], *, registry_url: str, directory: bytes, custodians: list[str]
) -> Path:
    """The venue service's ``venue.toml`` (one service hosting every venue of the island),
    its encrypted venue keys, the epoch-key directory and the gateway's secret."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "epoch-keys.cbor").write_bytes(directory)
    (folder / "gateway.secret").write_bytes(os.urandom(24).hex().encode())
    passcode = hash_passcode(STAFF_PASSCODE)
    out = io.StringIO()
    out.write("[service]\n")
    out.write(f'data_dir = "data"\nregistry = {toml_string(registry_url)}\n')
    out.write('epoch_keys = "epoch-keys.cbor"\ngateway_secret_file = "gateway.secret"\n')
    out.write(f"custodians = {json.dumps(custodians)}\n")
    out.write('synchronous = "normal"\nupload_interval = 0.5\nupload_backoff_min = 0.2\n')
    out.write("upload_backoff_max = 2.0\n")
    for v in venues:
        key_file = folder / f"{v.venue_id}.key"
        save_private_key(key_file, v.signing, PASSPHRASE, kdf=KDF_TEST)
        out.write(f"\n[[venue]]\nid = {toml_string(v.venue_id)}\ndid = {toml_string(v.did)}\n")
        # The venue service's category is a token without "_" (VenueSettings): the hall
        # is "wedding-hall" there, "wedding_hall" at the registry (same 120-min dwell).
        out.write(
            f"name = {toml_string(v.name)}\n"
            f"category = {toml_string(v.category.replace('_', '-'))}\n"
        )
        out.write(f'key_file = "{key_file.name}"\nnumbers = [{toml_string(v.number)}]\n')
        out.write(
            f"staff_passcode_hash = {toml_string(passcode)}\nposter = {toml_string(v.poster)}\n"
        )
        if v.devices:
            out.write(f"devices = {json.dumps(list(v.devices))}\n")
    path = folder / "venue.toml"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@dataclass
class Resident:
    """One phone: its wallet, and what the demo knows about its owner."""

    n: int
    wallet: Wallet
    phone: str
    name: str
    credential_id: str


def enrol(
    folder: Path,
    count: int,
    *,
    registry_key: Ed25519PublicKey,
    custodians: list[str],
    directory: bytes,
    issuer: Ed25519PrivateKey,
    now: int,
) -> list[Resident]:
    """``count`` wallets, each enrolled with a verified phone number by the identity
    issuer and given the registry's epoch-key directory (checked against the pinned
    custodians)."""
    folder.mkdir(parents=True, exist_ok=True)
    issuer_did = did_from_public_key(issuer.public_key)
    family = "김이박최정강조윤장임한오서신권황안송류홍"
    given = ("민준", "서연", "도윤", "하은", "시우", "지유", "주원", "서윤", "하준", "지민")
    residents = []
    for n in range(count):
        w = Wallet.create(
            folder / f"phone{n:05d}.wallet",
            PASSPHRASE,
            registry_key=registry_key,
            custodians=custodians,
            threshold=3,
            kdf=KDF_TEST,
        )
        phone = f"+8210{40000000 + n * 7:08d}"
        name = family[n % len(family)] + given[(n // len(family)) % len(given)]
        credential = issue_person_credential(
            issuer,
            issuer_did,
            w.holder_did,
            phone,
            name=name,
            valid_from=now - 30 * DAY,
            valid_until=now + 365 * DAY,
        )
        w.enroll(credential, trusted_issuers=[issuer_did], now=now)
        w.set_epoch_keys(directory, now=now)
        residents.append(Resident(n, w, phone, name, credential.credential_id))
    return residents


def upload_trace_seeds(http: httpx.Client, residents: list[Resident], days: range) -> int:
    """Each wallet escrows its daily trace seeds at the registry (sealed to each day's
    epoch key; nothing in the upload names the holder). Returns how many were stored."""
    seeds = [
        [s.label.to_bytes(), s.envelope]
        for r in residents
        for s in r.wallet.trace_seed_envelopes(days)
    ]
    for i in range(0, len(seeds), 500):
        ok(
            http.post(
                "/uploads/trace-seeds",
                content=cbor.encode(seeds[i : i + 500]),
                headers={"content-type": "application/cbor"},
            )
        )
    return len(seeds)
