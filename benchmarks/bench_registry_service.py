"""Registry service over HTTP: venue uploads (batches of 500, venue-signed) and
authenticated contacts queries, with the server (``anshim registry serve --workers N``,
uvicorn) in another process on loopback and this process as the load generator.

1. The store is filled to ``--records`` (default 1,000,000) through the store's own bulk
   ``put`` (batches of 1,000, not timed), before any server runs: real signed
   ``SealedVisit`` structures whose envelopes are random bytes of the right size (the
   queries never decrypt), over ``--days`` days up to today at 2,000 venues of skewed
   popularity (a few busy, most quiet), and a wedding hall's 1,000 guests in one
   afternoon. Today's day file is filled too, so uploads land in a day of realistic size.
2. For each ``--workers`` value the server is started, 20 venues register and are
   approved over HTTP, and ``--runs`` runs each post ``--batches`` pre-signed batches of
   500 from ``--concurrency`` client threads; ``upload_records_per_s`` is the median run
   (committed records over wall time). ``--holder-shown`` makes that share of each
   batch's records holder-shown check-ins, which claim their envelopes in the ledger
   first (the relay check).
3. An investigator authenticates (DID authentication, a VP over a registry challenge) and
   runs ``--queries`` contacts queries of one hour at venues drawn by popularity, and 50 at
   the wedding hall: ``query_latency_ms`` median and p99 of each, with their matches.

Beside them, measured in the same run: ``baseline.store_put_records_per_s``, this process
putting the same kind of batches of 500 into the same store (the floor the HTTP path sits
on), and ``baseline.bare_verify_per_s``, Ed25519 verifies. The machine's load average is
printed too. ``--engine postgres`` runs the store on a throwaway PostgreSQL server started
from the machine's binaries (as the tests do), or on ``--postgres URL``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as _dt
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

import registry
from did import (
    KDF_TEST,
    Ed25519PrivateKey,
    X25519PrivateKey,
    b64url_encode,
    did_from_public_key,
    save_private_key,
)
from did.vc import create_presentation
from protocol import (
    ENVELOPE_SIZE,
    Channel,
    HealthDeclaration,
    SealedVisit,
    UploadBatch,
    day_of,
    pseudonym_did,
)
from registry.service import REGISTRATION_CONTEXT, signed_bytes

DAY = 86_400
BATCH = 500
FILL_BATCH = 1000
FILL_VENUES = 2000
UPLOAD_VENUES = 20
WEDDING_GUESTS = 1000
PASSPHRASE = "bench registry passphrase"
_MAIN = "import sys; from did.cli import main; sys.exit(main(sys.argv[1:]))"
_CATEGORIES = ["restaurant", "cafe", "shop", "bar", "gym", "church", "karaoke", "office"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fill_did(i: int) -> str:
    return f"did:web:localhost:venues:fill{i:05d}"


class Records:
    """Signed SealedVisit records with random envelopes (one key signs the fill: the
    store does not verify; upload batches are signed by their registered venue)."""

    def __init__(self) -> None:
        self.rng = random.Random(11)
        self.pseudonyms = [pseudonym_did(Ed25519PrivateKey.generate()) for _ in range(2048)]
        self.key = Ed25519PrivateKey.generate()

    def visit(
        self, venue: str, time_in: int, time_out: int | None, channel: Channel
    ) -> SealedVisit:
        return SealedVisit(
            visit_id=os.urandom(16), venue=venue, day=day_of(time_in), time_in=time_in,
            time_out=time_out, pseudonym=self.rng.choice(self.pseudonyms),
            locator=os.urandom(16), channel=channel,
            declaration=HealthDeclaration(False, False), envelope=os.urandom(ENVELOPE_SIZE),
            receipt_hash=os.urandom(32),
        )  # fmt: skip

    def stored(self, venue: str, time_in: int, time_out: int | None) -> registry.StoredVisit:
        visit = self.visit(venue, time_in, time_out, Channel.QR_STATIC)
        return registry.StoredVisit(visit, visit.sign(self.key)[-64:])

    def signed(self, key: Ed25519PrivateKey, venue: str, time_in: int, holder: bool) -> bytes:
        channel = Channel.HOLDER_SHOWN if holder else Channel.QR_STATIC
        return self.visit(venue, time_in, time_in + 3600, channel).sign(key)


def fill(store: registry.Store, gen: Records, records: int, days: int, now: int) -> dict[str, int]:
    """Fill ``store`` (module docstring, step 1); returns the wedding hall's day and DID."""
    rng = gen.rng
    weights = [1 / (rank + 20) ** 0.9 for rank in range(FILL_VENUES)]
    store.put_venues([
        registry.Venue(_fill_did(i), "wedding_hall" if i == 1 else _CATEGORIES[i % 8],
                       os.urandom(32), os.urandom(32), valid_from=0)
        for i in range(FILL_VENUES)
    ])  # fmt: skip
    today = now // DAY
    first = today - days + 1
    wedding_day = first + days // 2
    batch: list[registry.StoredVisit] = []
    for _ in range(WEDDING_GUESTS):
        t = wedding_day * DAY + 12 * 3600 + rng.randrange(-1800, 1800)
        batch.append(gen.stored(_fill_did(1), t, t + rng.randrange(5400, 10800)))
    venues = rng.choices(range(FILL_VENUES), weights=weights, k=records - WEDDING_GUESTS)
    for n, venue in enumerate(venues):
        day = first + n * days // len(venues)
        opens = day * DAY + 7 * 3600
        # Today only up to now, less the hours the uploads land in.
        span = 16 * 3600 if day < today else max(3600, min(16 * 3600, now - opens - 7200))
        t = opens + rng.randrange(span)
        out = t + rng.randrange(600, 7200) if rng.random() < 0.6 else None
        batch.append(gen.stored(_fill_did(venue), t, out))
        if len(batch) >= FILL_BATCH:
            store.put(batch)
            batch = []
    if batch:
        store.put(batch)
    return {"wedding_day": wedding_day, "first_day": first}


class Server:
    """``anshim registry serve`` in another process."""

    def __init__(self, state: Path, store_url: str, admin: str, workers: int) -> None:
        self.port = _port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "ANSHIM_PASSPHRASE": PASSPHRASE,
            "ANSHIM_REGISTRY_PUBLIC_URL": f"https://localhost:{self.port}",
            "ANSHIM_REGISTRY_ADMIN_DID": admin,
            "ANSHIM_REGISTRY_STATE_DIR": str(state),
            "ANSHIM_REGISTRY_STORE": store_url,
        }
        self.log = open(state / f"server-{self.port}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-c", _MAIN, "registry", "serve", "--port", str(self.port),
             "--workers", str(workers)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not start; see {self.log.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self.log.close()


def _token(client: httpx.Client, key: Ed25519PrivateKey, credentials: list[dict]) -> str:  # type: ignore[type-arg]
    ch = client.post("/challenges").json()
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    vp = create_presentation(credentials, holder_key=key, challenge=ch["challenge"],
                             domain=ch["domain"], created=now)  # fmt: skip
    r = client.post("/auth/token", json={"verifiablePresentation": vp})
    r.raise_for_status()
    return str(r.json()["access_token"])


def _register(client: httpx.Client, admin: dict[str, str]) -> list[tuple[Ed25519PrivateKey, str]]:
    venues = []
    for i in range(UPLOAD_VENUES):
        key, agreement = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
        req = {"type": "VenueRegistration", "name": {"ko": f"식당 {i}", "en": f"Restaurant {i}"},
               "address": "제주시", "businessRegistrationNumber": "616-81-12345",
               "category": "restaurant", "signingKey": key.public_key.to_multikey(),
               "agreementKey": agreement.public_key.to_multikey(),
               "nonce": b64url_encode(os.urandom(16)), "created": int(time.time())}  # fmt: skip
        req["proof"] = b64url_encode(key.sign(signed_bytes(REGISTRATION_CONTEXT, req)))
        r = client.post("/venues", json=req)
        r.raise_for_status()
        v = r.json()
        client.post(f"/venues/{v['id']}/approval", headers=admin).raise_for_status()
        venues.append((key, v["did"]))
    return venues


def _batches(
    gen: Records,
    venues: list[tuple[Ed25519PrivateKey, str]],
    n: int,
    holder: float,
    now: int,
    size: int = BATCH,
) -> list[bytes]:
    # Pre-signed (signing is the venue's cost, not timed), time in within today.
    low = max(now // DAY * DAY, now - 6 * 3600)
    out = []
    for _ in range(n):
        key, did = random.choice(venues)
        recs = tuple(
            gen.signed(key, did, low + random.randrange(now - low - 3600 + 1),
                       random.random() < holder)
            for _ in range(size)
        )  # fmt: skip
        out.append(
            UploadBatch(venue=did, batch_id=os.urandom(16), issued=now, records=recs).sign(key)
        )
    return out


def _upload_run(base: str, batches: list[bytes], concurrency: int) -> float:
    headers = {"Content-Type": "application/cbor"}
    clients = [httpx.Client(base_url=base, timeout=120) for _ in range(concurrency)]
    try:

        def post(i: int) -> int:
            r = clients[i % concurrency].post(
                "/uploads/visits", content=batches[i], headers=headers
            )
            r.raise_for_status()
            return int(r.json()["records"])

        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            t = time.perf_counter()
            committed = sum(pool.map(post, range(len(batches))))
            wall = time.perf_counter() - t
    finally:
        for c in clients:
            c.close()
    return committed / wall


def _latencies(client: httpx.Client, headers: dict[str, str], bodies: list[dict]) -> dict:  # type: ignore[type-arg]
    lat, counts = [], []
    for body in bodies:
        t = time.perf_counter()
        r = client.post("/queries/contacts", json=body, headers=headers)
        lat.append((time.perf_counter() - t) * 1000)
        r.raise_for_status()
        counts.append(r.json()["count"])
    lat.sort()
    return {
        "median": round(statistics.median(lat), 2),
        "p99": round(lat[max(0, int(len(lat) * 0.99) - 1)], 2),
        "queries": len(lat),
        "matches_median": statistics.median(counts),
        "matches_max": max(counts),
    }


def _store_put_rate(
    store: registry.Store, gen: Records, now: int, size: int = BATCH, runs: int = 10
) -> float:
    low = max(now // DAY * DAY, now - 6 * 3600)
    rates = []
    for _ in range(runs):
        did = _fill_did(random.randrange(FILL_VENUES))
        recs = [gen.stored(did, low + random.randrange(now - low - 3600 + 1), None)
                for _ in range(size)]  # fmt: skip
        t = time.perf_counter()
        store.put(recs)
        rates.append(size / (time.perf_counter() - t))
    return statistics.median(rates)


def _bare_verify_rate() -> float:
    key = Ed25519PrivateKey.generate()
    msg, sig = b"x" * 64, key.sign(b"x" * 64)
    t = time.perf_counter()
    for _ in range(2000):
        key.public_key.verify(sig, msg)
    return 2000 / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000, help="records in the store")
    ap.add_argument("--days", type=int, default=7, help="days the fill spans (up to today)")
    ap.add_argument("--workers", default="1,2", help="server worker counts to measure")
    ap.add_argument("--concurrency", type=int, default=4, help="client threads posting")
    ap.add_argument("--batches", type=int, default=60, help="batches per run")
    ap.add_argument("--batch-records", type=int, default=BATCH, help="records per batch")
    ap.add_argument("--runs", type=int, default=3, help="upload runs per worker count")
    ap.add_argument("--holder-shown", type=float, default=0.0, help="share of such records")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--postgres", help="a PostgreSQL URL (default: a throwaway server)")
    args = ap.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="anshim-bench-registry-"))
    state = tmp / "state"
    state.mkdir()
    pg = None
    try:
        if args.engine == "sqlite":
            url = f"sqlite://{(tmp / 'visits').resolve()}"
        elif args.postgres:
            url = args.postgres
        else:
            from tests.registry import postgres_server

            bindir = postgres_server.find_bindir()
            if bindir is None:
                raise SystemExit("no PostgreSQL server binaries: pass --postgres URL")
            # A folder of its own under /tmp: run as root, the server runs as another
            # user, who must reach it (a mkdtemp folder's children it could not).
            pg_folder = Path(tempfile.mkdtemp(prefix="anshim-bench-pg-"))
            pg = postgres_server.start_server(bindir, pg_folder)
            url = pg.create_database("bench")
        now = int(time.time())
        gen = Records()
        admin_key = Ed25519PrivateKey.generate()
        admin = did_from_public_key(admin_key.public_key)
        save_private_key(state / "registry-key.json", Ed25519PrivateKey.generate(), PASSPHRASE,
                         kdf=KDF_TEST)  # fmt: skip
        store = registry.open_store(url, create=True)
        t = time.perf_counter()
        shape = fill(store, gen, args.records, args.days, now)
        fill_s = time.perf_counter() - t
        out: dict[str, object] = {"engine": args.engine, "store_records": args.records}
        uploads: dict[str, object] = {}
        queries: dict[str, object] = {}
        uploaded = 0
        for n in workers:
            server = Server(state, url, admin, n)
            try:
                client = httpx.Client(base_url=server.base, timeout=120)
                admin_h = {"Authorization": f"Bearer {_token(client, admin_key, [])}"}
                venues = _register(client, admin_h)
                rates = []
                for _ in range(args.runs):
                    batches = _batches(gen, venues, args.batches, args.holder_shown, now,
                                       args.batch_records)  # fmt: skip
                    rates.append(_upload_run(server.base, batches, args.concurrency))
                    uploaded += len(batches) * args.batch_records
                uploads[str(n)] = {"median": round(statistics.median(rates)),
                                   "runs": [round(r) for r in rates]}  # fmt: skip
                if n == workers[-1]:
                    queries = _queries(client, admin_h, shape, now, args.queries)
                client.close()
            finally:
                server.stop()
        best = max(uploads, key=lambda k: uploads[k]["median"])  # type: ignore[index]
        put_rate = _store_put_rate(store, gen, now, args.batch_records)
        store.close()
        out.update({
            "upload_records_per_s": uploads[best]["median"],  # type: ignore[index]
            "upload_workers": int(best),
            "upload_by_workers": uploads,
            "upload": {"batch_records": args.batch_records, "batches_per_run": args.batches,
                       "runs": args.runs, "concurrency": args.concurrency,
                       "holder_shown_share": args.holder_shown},
            **queries,
            "store_records_after": args.records + uploaded,
            "baseline": {"store_put_records_per_s": round(put_rate),
                         "bare_verify_per_s": round(_bare_verify_rate())},
            "fill_s": round(fill_s, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
            "server": "anshim registry serve (uvicorn), other process on loopback",
            "envelopes": "random bytes of ENVELOPE_SIZE (queries never decrypt)",
        })  # fmt: skip
        print(json.dumps(out, indent=2))
    finally:
        if pg is not None:
            pg.stop("immediate")
            shutil.rmtree(pg.folder, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _queries(
    client: httpx.Client, admin_h: dict[str, str], shape: dict[str, int], now: int, n: int
) -> dict[str, object]:
    ikey = Ed25519PrivateKey.generate()
    cred = {"@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "InvestigatorCredential"],
            "credentialSubject": {"id": did_from_public_key(ikey.public_key)}}  # fmt: skip
    r = client.post("/credentials/issue", json={"credential": cred}, headers=admin_h)
    r.raise_for_status()
    inv_h = {"Authorization": f"Bearer {_token(client, ikey, [r.json()['verifiableCredential']])}"}
    rng = random.Random(5)
    weights = [1 / (rank + 20) ** 0.9 for rank in range(FILL_VENUES)]
    today = now // DAY
    bodies = []
    for venue in rng.choices(range(FILL_VENUES), weights=weights, k=n):
        day = rng.randrange(shape["first_day"], today)
        start = day * DAY + 7 * 3600 + rng.randrange(15 * 3600)
        bodies.append({"case_id": "BENCH-1", "venue": _fill_did(venue), "start": start,
                       "end": start + 3600})  # fmt: skip
    noon = shape["wedding_day"] * DAY + 12 * 3600
    wedding = [{"case_id": "BENCH-2", "venue": _fill_did(1), "start": noon,
                "end": noon + 7200}] * 50  # fmt: skip
    _latencies(client, inv_h, bodies[:20])  # warm the connection and the caches
    return {
        "query_latency_ms": _latencies(client, inv_h, bodies),
        "wedding_hall_query_latency_ms": _latencies(client, inv_h, wedding),
    }


if __name__ == "__main__":
    main()
