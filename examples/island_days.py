"""The island's two days: a plan of who goes where and how they check in, played on the
simulated clock against the venue service over HTTP.

Every visit goes through the venue service's public endpoints as the real device would
send it: a phone's signed check-in after scanning the poster or the kiosk's rotating code
(the receipt goes back into the phone's diary), a scanner typing a phone's holder-shown
code, the telecom gateway's HMAC-signed SMS and call webhooks, staff typing an assisted
entry, and the district office's thermal camera posting its signed reading for the code on
screen before the visitor's phone answers it. Outcomes are counted here from the HTTP
answers, and by the venue service itself (``/operator/summary``, read at each day's end).
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from island_town import DAY, STAFF_PASSCODE, Resident, Venue

from did import Ed25519PrivateKey, did_from_public_key
from protocol import HealthDeclaration, ThermalReading
from verifier.service import gateway_signature

HOUR = 3600
MINUTE = 60
WELL = HealthDeclaration(False, False)
CBOR = {"content-type": "application/cbor"}
#: How the wedding's guests come in (the rest of the wallet guests scan the poster).
HALL_MIX = {"kiosk": 0.10, "holder": 0.05, "sms": 0.05, "call": 0.03, "assisted": 0.02}


@dataclass(order=True)
class Event:
    time: int
    seq: int
    kind: str = field(compare=False)  # poster kiosk holder out sms call assisted
    venue: Venue = field(compare=False)
    resident: Resident | None = field(compare=False, default=None)
    phone: str = field(compare=False, default="")
    name: str = field(compare=False, default="")
    temperature: int | None = field(compare=False, default=None)  # centi-degrees
    mask: bool | None = field(compare=False, default=None)
    fever: bool = field(compare=False, default=False)


@dataclass
class Plan:
    events: list[Event]
    case: Resident
    hop: Resident  # the wedding guest whose trace seeds lead to the church
    hall_guests: int
    hall_wallets: set[int]


@dataclass
class Outcomes:
    """What the HTTP answers said: admissions by channel, refusals by code, check-outs."""

    admitted: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    checked_out: int = 0
    missing_checkouts: int = 0
    receipts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, code: str) -> None:
        with self.lock:
            if code == "admitted":
                self.admitted[kind] += 1
            elif code == "checkedOut":
                self.checked_out += 1
            else:
                self.refused[code] += 1


def make_plan(
    rng: random.Random,
    residents: list[Resident],
    venues: list[Venue],
    *,
    first_day: int,
    guests: int,
    visits: float,
) -> Plan:
    """Who goes where, when, and how: ``guests`` at the wedding on the second day,
    ``visits`` ordinary visits per resident per day, the church's evening mass, the
    district office's visitors, and the ones the story needs."""
    by_key = {v.key: v for v in venues}
    hall, church, cafe, office = (by_key[k] for k in ("hall", "church", "cafe", "office"))
    ordinary = [v for v in venues if v.key not in ("hall", "office")]
    d1, d2 = first_day * DAY, (first_day + 1) * DAY
    events: list[Event] = []
    seq = iter(range(10**9))

    def visit(kind: str, venue: Venue, t_in: int, stay: int | None, **who: Any) -> None:
        events.append(Event(t_in, next(seq), kind, venue, **who))
        resident = who.get("resident")
        if stay is not None and resident is not None and kind in ("poster", "kiosk"):
            events.append(Event(t_in + stay, next(seq), "out", venue, resident))

    def stay_or_none(lo: int, hi: int) -> int | None:
        return rng.randint(lo, hi) * MINUTE if rng.random() < 0.7 else None  # 30 % forget

    # The wedding (second day, noon): guests arrive 11:00-11:45 and leave 13:30-14:30.
    gateway_share = sum(HALL_MIX[k] for k in ("sms", "call", "assisted"))
    wallet_guests = residents[: guests - max(3, round(guests * gateway_share))]
    case, hop = wallet_guests[0], wallet_guests[1]
    gateway_guests = guests - len(wallet_guests)
    kinds = [k for k, share in HALL_MIX.items() for _ in range(max(1, round(share * guests)))]
    rng.shuffle(kinds)
    # The case and the hop scan the poster; the kiosk and holder-shown guests come after.
    wallet_kinds = ["poster", "poster"] + [k for k in kinds if k in ("kiosk", "holder")]
    for i, r in enumerate(wallet_guests):
        kind = wallet_kinds[i] if i < len(wallet_kinds) else "poster"
        t_in = d2 + 11 * HOUR + rng.randint(0, 45 * MINUTE)
        out = (d2 + 13 * HOUR + 30 * MINUTE + rng.randint(0, HOUR)) - t_in
        visit(kind, hall, t_in, out if rng.random() < 0.7 or r in (case, hop) else None, resident=r)
    gateway_kinds = [k for k in kinds if k in ("sms", "call", "assisted")]
    gateway_kinds += ["sms"] * max(0, gateway_guests - len(gateway_kinds))
    for i in range(gateway_guests):
        t_in = d2 + 11 * HOUR + rng.randint(0, 45 * MINUTE)
        visit(
            gateway_kinds[i],
            hall,
            t_in,
            None,
            phone=f"+8210{70000000 + i * 13:08d}",
            name=f"하객{i + 1}",
        )
    # The case had coffee at the Peanut Cafe the day before, with others around.
    visit("poster", cafe, d1 + 15 * HOUR, 55 * MINUTE, resident=case)
    for r in rng.sample(
        residents[len(wallet_guests) :] or residents[2:], k=min(20, len(residents) - 2)
    ):
        visit(
            "poster",
            cafe,
            d1 + 15 * HOUR + rng.randint(-40, 40) * MINUTE,
            stay_or_none(20, 60),
            resident=r,
        )
    # The hop: one guest went to the church's evening mass after the wedding.
    visit("kiosk", church, d2 + 18 * HOUR, 70 * MINUTE, resident=hop)
    others = [r for r in residents if r not in (case, hop)]
    for r in rng.sample(others, k=min(60, len(others))):
        visit(
            "poster",
            church,
            d2 + 17 * HOUR + 45 * MINUTE + rng.randint(0, 20) * MINUTE,
            stay_or_none(50, 80),
            resident=r,
        )
    # The district office (first day, 9:00-17:00): every visitor passes the thermal camera
    # with its mask detector, then answers the kiosk; one has a fever, one no mask.
    office_visitors = rng.sample(others, k=min(40, len(others)))
    for i, r in enumerate(office_visitors):
        temperature, mask = 3620 + rng.randint(0, 60), True
        if i == 0:
            temperature = 3820
        elif i == 1:
            mask = False
        visit(
            "kiosk",
            office,
            d1 + 9 * HOUR + i * 12 * MINUTE,
            15 * MINUTE if i > 1 else None,
            resident=r,
            temperature=temperature,
            mask=mask,
        )
    visit(
        "assisted", office, d1 + 10 * HOUR + 5 * MINUTE, None, phone="+821099990001", name="고순자"
    )
    # A visitor who declares a fever at the cafe's door is refused.
    visit("poster", cafe, d1 + 16 * HOUR, None, resident=others[-1], fever=True)
    # Everyone's ordinary day: cafes, restaurants, shops, some by SMS or call.
    for day_start in (d1, d2):
        for r in residents:
            n = int(visits) + (1 if rng.random() < visits - int(visits) else 0)
            for _ in range(n):
                t_in = day_start + rng.randint(8 * HOUR, 21 * HOUR)
                if (
                    day_start == d2
                    and r.n < len(wallet_guests)
                    and 10 * HOUR < t_in - d2 < 15 * HOUR
                ):
                    continue  # at the wedding
                kind = rng.choices(("poster", "kiosk", "holder"), (0.8, 0.15, 0.05))[0]
                visit(kind, rng.choice(ordinary), t_in, stay_or_none(15, 120), resident=r)
        for i in range(max(1, len(residents) // 25)):
            visit(
                rng.choice(("sms", "call")),
                rng.choice(ordinary),
                day_start + rng.randint(8 * HOUR, 21 * HOUR),
                None,
                phone=f"+8210{80000000 + i * 17 + day_start % 7:08d}",
            )
    events.sort()
    return Plan(events, case, hop, guests, {r.n for r in wallet_guests})


class Island:
    """Plays the plan against the venue service at ``url`` on the simulated ``clock``."""

    def __init__(
        self,
        url: str,
        clock: Any,
        venues: list[Venue],
        *,
        gateway_secret: bytes,
        camera: Ed25519PrivateKey,
        threads: int = 4,
    ) -> None:
        self.url, self.clock = url, clock
        self.keys = {v.did: v.public_key for v in venues}
        self.secret = gateway_secret
        self.camera = camera
        self.camera_did = did_from_public_key(camera.public_key)
        self.outcomes = Outcomes()
        self.summaries: list[dict[str, Any]] = []
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._pool = ThreadPoolExecutor(max_workers=threads)

    def _http(self) -> httpx.Client:
        client = getattr(self._local, "http", None)
        if client is None:
            client = httpx.Client(base_url=self.url, timeout=60)
            self._local.http = client
            self._clients.append(client)
        return client

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for c in self._clients:
            c.close()

    def _key(self, did: str) -> Any:
        return self.keys.get(did)

    @staticmethod
    def _code(response: httpx.Response) -> str:
        if response.status_code < 300:
            return "admitted"
        try:
            return str(response.json().get("code") or response.status_code)
        except ValueError:
            return str(response.status_code)

    def _phone_checkin(self, e: Event, now: int) -> None:
        http, v, r = self._http(), e.venue, e.resident
        assert r is not None
        declaration = HealthDeclaration(e.fever, False)
        if e.kind == "holder":
            text = r.wallet.holder_shown_check_in(declaration=declaration, now=now)
            answer = http.post(f"/venues/{v.venue_id}/scans", content=text.encode())
            self.outcomes.add("holderShown", self._code(answer))
            return
        if e.kind == "kiosk":
            state = http.get(f"/kiosk/{v.venue_id}/state", params={"known": "-"}).json()
            text = state["code"]["text"]
            if e.temperature is not None:
                reading = ThermalReading.for_challenge(
                    bytes.fromhex(state["code"]["id"]),
                    device=self.camera_did,
                    venue=v.did,
                    time=now,
                    temperature=e.temperature,
                    mask=e.mask,
                ).sign(self.camera)
                ok = http.post(f"/venues/{v.venue_id}/readings", content=reading, headers=CBOR)
                if ok.status_code != 201:
                    raise RuntimeError(f"reading refused: {ok.text[:200]}")
        else:
            text = v.poster
        scanned = r.wallet.scan(text, now=now, venue_keys=self._key)
        message = r.wallet.check_in(scanned, declaration=declaration, now=now)
        answer = http.post(f"/venues/{v.venue_id}/checkins", content=message, headers=CBOR)
        code = self._code(answer)
        self.outcomes.add("qrKiosk" if e.kind == "kiosk" else "qrStatic", code)
        if code == "admitted":
            r.wallet.accept_receipt(answer.content, venue_key=self._key, now=now)
            with self.outcomes.lock:
                self.outcomes.receipts += 1

    def _checkout(self, e: Event, now: int) -> None:
        r = e.resident
        assert r is not None
        message = r.wallet.check_out(e.venue.did, now=now)
        answer = self._http().post(
            f"/venues/{e.venue.venue_id}/checkouts", content=message, headers=CBOR
        )
        if answer.status_code == 200:
            r.wallet.accept_receipt(answer.content, venue_key=self._key, now=now)
            self.outcomes.add("checkOut", "checkedOut")
        else:
            self.outcomes.add("checkOut", self._code(answer))

    def _gateway(self, e: Event, now: int) -> None:
        body = json.dumps({"channel": e.kind, "caller": e.phone, "venue": e.venue.number}).encode()
        headers = {
            "x-anshim-timestamp": str(now),
            "content-type": "application/json",
            "x-anshim-signature": gateway_signature(self.secret, now, body),
        }
        answer = self._http().post("/gateway/checkins", content=body, headers=headers)
        self.outcomes.add(e.kind, self._code(answer))

    def _assisted(self, e: Event, _now: int) -> None:
        answer = self._http().post(
            f"/venues/{e.venue.venue_id}/assisted",
            json={"name": e.name, "phone": e.phone, "fever": False, "respiratory": False},
            headers={"x-staff-passcode": STAFF_PASSCODE},
        )
        self.outcomes.add("assisted", self._code(answer))

    def _run(self, group: list[Event], now: int) -> None:
        for e in group:
            handler: Callable[[Event, int], None] = {
                "out": self._checkout,
                "sms": self._gateway,
                "call": self._gateway,
                "assisted": self._assisted,
            }.get(e.kind, self._phone_checkin)
            handler(e, now)

    def _day_end(self, day: int) -> None:
        self.clock.set((day + 1) * DAY - 1)
        summary = self._http().get("/operator/summary").json()
        self.summaries.append(summary)

    def play(
        self,
        events: list[Event],
        *,
        tick: int = MINUTE,
        progress: Callable[[int, int], None] = lambda done, total: None,
    ) -> None:
        """Play ``events`` in time order, one simulated minute at a time: the clock is set
        to the minute, then each venue's events of that minute run in order, venues side
        by side. A phone busy at one venue in a minute waits for the next minute."""
        pending = list(events)
        day = pending[0].time // DAY if pending else 0
        done = 0
        while pending:
            start = pending[0].time - pending[0].time % tick
            if start // DAY != day:
                self._day_end(day)
                day = start // DAY
            groups: dict[str, list[Event]] = {}
            busy: dict[int, str] = {}
            later: list[Event] = []
            rest = 0
            for rest, e in enumerate(pending):  # noqa: B007 (rest is the cut below)
                if e.time >= start + tick:
                    break
                who = e.resident.n if e.resident is not None else -1
                if who >= 0 and busy.get(who, e.venue.venue_id) != e.venue.venue_id:
                    e.time = start + tick
                    later.append(e)
                    continue
                if who >= 0:
                    busy[who] = e.venue.venue_id
                groups.setdefault(e.venue.venue_id, []).append(e)
            else:
                rest = len(pending)
            self.clock.set(start)
            for future in [self._pool.submit(self._run, g, start) for g in groups.values()]:
                future.result()
            done += sum(len(g) for g in groups.values())
            progress(done, len(events))
            pending = sorted(later + pending[rest:])
        self._day_end(day)

    def service_counts(self) -> tuple[Counter[str], Counter[str], int]:
        """The venue service's own counts over the days: admitted by channel, refused by
        code, check-outs."""
        admitted: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        out = 0
        for summary in self.summaries:
            for v in summary["venues"]:
                admitted.update(v["admitted"])
                for code, by_channel in v["refused"].items():
                    refused[code] += sum(by_channel.values())
                out += v["checkedOut"]
        return admitted, refused, out
