"""Registry service over HTTP: uploads (batches of 500, venue-signed) and authenticated
contacts queries, with the server (uvicorn, one worker) in another process on loopback.

Prints JSON: ``upload_records_per_s`` (HTTP, committed batches) beside the same run's
in-process baselines (``baseline.store_put_records_per_s``: the store's own put of the
same records; ``baseline.bare_verify_per_s``: Ed25519 verifies), and
``query_latency_ms`` (median, p99) of authenticated contacts queries on a store holding
``--records`` records (default 200,000; envelopes are random bytes of the right size:
the queries never decrypt). Bounded: ``--batches`` uploads, ``--queries`` queries.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

import registry
from did import Ed25519PrivateKey, X25519PrivateKey, b64url_encode, did_from_public_key
from did.vc import create_presentation
from protocol import (
    ENVELOPE_SIZE,
    Channel,
    HealthDeclaration,
    SealedVisit,
    UploadBatch,
    day_of,
)
from registry.service import REGISTRATION_CONTEXT, signed_bytes

_SERVER = """
import sys, registry
from did import Ed25519PrivateKey
from registry.service import Settings, create_app
import uvicorn
port, state, seed, admin = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]), sys.argv[4]
settings = Settings(public_url=f"https://localhost:{port}", admin_did=admin, state_dir=state)
store = registry.open_store(settings.store, create=True)
app = create_app(settings, store=store, key=Ed25519PrivateKey.from_seed(seed))
uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")
"""
PSEUDONYM = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _record(key: Ed25519PrivateKey, venue: str, time_in: int) -> bytes:
    return SealedVisit(
        visit_id=os.urandom(16), venue=venue, day=day_of(time_in), time_in=time_in,
        time_out=time_in + 3600, pseudonym=PSEUDONYM, locator=os.urandom(16),
        channel=Channel.QR_STATIC, declaration=HealthDeclaration(False, False),
        envelope=os.urandom(ENVELOPE_SIZE), receipt_hash=os.urandom(32),
    ).sign(key)  # fmt: skip


def _token(client: httpx.Client, key: Ed25519PrivateKey, credentials: list[dict]) -> str:  # type: ignore[type-arg]
    ch = client.post("/challenges").json()
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    vp = create_presentation(credentials, holder_key=key, challenge=ch["challenge"],
                             domain=ch["domain"], created=now)  # fmt: skip
    r = client.post("/auth/token", json={"verifiablePresentation": vp})
    r.raise_for_status()
    return str(r.json()["access_token"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000, help="records in the store")
    ap.add_argument("--batches", type=int, default=40, help="upload batches of 500 to time")
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="anshim-bench-registry-"))
    port, seed, admin_key = _port(), os.urandom(32), Ed25519PrivateKey.generate()
    admin = did_from_public_key(admin_key.public_key)
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(port), str(tmp / "state"), seed.hex(), admin]
    )
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, timeout=60)
    try:
        for _ in range(200):
            try:
                client.get("/health")
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        admin_h = {"Authorization": f"Bearer {_token(client, admin_key, [])}"}
        venues = []
        for i in range(20):
            key, agreement = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
            name = {"ko": f"식당 {i}", "en": f"Restaurant {i}"}
            req = {"type": "VenueRegistration", "name": name,
                   "address": "제주시", "businessRegistrationNumber": "616-81-12345",
                   "category": "restaurant", "signingKey": key.public_key.to_multikey(),
                   "agreementKey": agreement.public_key.to_multikey(),
                   "nonce": b64url_encode(os.urandom(16)), "created": int(time.time())}  # fmt: skip
            req["proof"] = b64url_encode(key.sign(signed_bytes(REGISTRATION_CONTEXT, req)))
            v = client.post("/venues", json=req).json()
            client.post(f"/venues/{v['id']}/approval", headers=admin_h).raise_for_status()
            venues.append((key, v["did"]))
        now = int(time.time())
        # Fill the store to --records through the store's own fast path (not timed).
        store = registry.open_store(f"sqlite://{(tmp / 'state').resolve()}/visits")
        filled, t_put, put_n = 0, 0.0, 0
        while filled < args.records:
            key, did = random.choice(venues)
            times = [now - random.randrange(86400 * 3) for _ in range(1000)]
            recs = [registry.StoredVisit.from_message(_record(key, did, t)) for t in times]
            t = time.perf_counter()
            store.put(recs)
            t_put += time.perf_counter() - t
            put_n += len(recs)
            filled += len(recs)
        store.close()
        # Pre-signed upload batches of 500 (signing is the venue's cost, not timed).
        batches = []
        for _ in range(args.batches):
            key, did = random.choice(venues)
            recs = tuple(_record(key, did, now - random.randrange(3600 * 6)) for _ in range(500))
            batches.append(
                UploadBatch(venue=did, batch_id=os.urandom(16), issued=now, records=recs).sign(key)
            )
        t = time.perf_counter()
        for b in batches:
            client.post(
                "/uploads/visits", content=b, headers={"Content-Type": "application/cbor"}
            ).raise_for_status()
        upload_s = time.perf_counter() - t
        # An investigator, then contacts queries.
        ikey = Ed25519PrivateKey.generate()
        cred = {"@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential", "InvestigatorCredential"],
                "credentialSubject": {"id": did_from_public_key(ikey.public_key)}}  # fmt: skip
        vc = client.post("/credentials/issue", json={"credential": cred}, headers=admin_h).json()[
            "verifiableCredential"
        ]
        inv_h = {"Authorization": f"Bearer {_token(client, ikey, [vc])}"}
        lat, counts = [], []
        for _ in range(args.queries):
            _, did = random.choice(venues)
            start = now - random.randrange(86400 * 3)
            body = {"case_id": "BENCH-1", "venue": did, "start": start, "end": start + 3600}
            t = time.perf_counter()
            r = client.post("/queries/contacts", json=body, headers=inv_h)
            lat.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()
            counts.append(r.json()["count"])
        key = Ed25519PrivateKey.generate()
        msg, sig = b"x" * 64, key.sign(b"x" * 64)
        t = time.perf_counter()
        for _ in range(2000):
            key.public_key.verify(sig, msg)
        verify_rate = 2000 / (time.perf_counter() - t)
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)
    lat.sort()
    print(json.dumps({
        "upload_records_per_s": round(args.batches * 500 / upload_s),
        "upload_batches": args.batches, "batch_records": 500,
        "query_latency_ms": {"median": round(statistics.median(lat), 2),
                             "p99": round(lat[int(len(lat) * 0.99) - 1], 2)},
        "query_matches_median": statistics.median(counts),
        "store_records": args.records + args.batches * 500, "venues": len(venues),
        "baseline": {"store_put_records_per_s": round(put_n / t_put),
                     "bare_verify_per_s": round(verify_rate)},
        "server": "uvicorn, 1 worker, SQLite store, other process on loopback",
        "envelopes": "random bytes of ENVELOPE_SIZE (queries never decrypt)",
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
