"""Venue service throughput: admitted check-ins per second over HTTP, and what the web layer
costs against the library's own validation in the same run.

Prints JSON:
- ``checkins_per_s``: pre-made wallet check-ins (real envelopes, one pseudonym each) posted
  by a load generator in another process over loopback keep-alive connections, every one
  admitted and committed to the outbox (SQLite, ``synchronous`` as printed) before its
  receipt returns; ``latency_ms``: median and p99 per request;
- ``library_validate_per_s``: :func:`verifier.validate_checkin` (with the receipt) on one
  core in this process, over the same kind of check-ins, in-memory replay store;
- ``service_to_library_ratio`` = service rate ÷ library rate, and the number of uvicorn
  workers (the load generator shares the machine's cores with them);
- ``http_floor_requests_per_s`` (and ``http_floor`` with its latencies): the same load
  generator and messages against uvicorn (same loop and parser, same number of workers)
  serving a raw ASGI app that reads each body and answers a receipt-sized body with no
  work behind it, in the same run: the cost of a request on this machine's loopback that
  no endpoint can go under (``floor_to_library_ratio`` bounds the ratio any service could
  reach here; ``service_to_floor_ratio`` is how close this one comes);
- ``load_average`` before and after (the machine is shared), and the core count.

Bounded: ``--count`` check-ins per run (default 4000), a 120 s cap per run, ``--runs`` runs
(default 3; medians are printed with every run's figures).

Workers: 2 by default, the number that helps on a 2-core machine (each worker validates on
its own core and commits in its own writer thread; 3 measured no faster than 2).
``--concurrency`` requests are in flight (default 128, enough to keep both cores busy, so
that the rate is the service's work and the ratio what the web layer costs). Each request
waits for its batch's durable commit, so with fewer in flight the rate is bound by the
fsync's latency instead: at 32, a fifth of the machine's CPU is idle while each worker's
batch waits for its commit (``--concurrency 32`` shows it).

    python benchmarks/bench_venue_service.py [--workers 2] [--concurrency 128] [--count 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CONCURRENCY = 128
PASSPHRASE = "bench venue passphrase"
VENUE_ID = "bench-1"
VENUE = f"did:web:registry.example:venues:{VENUE_ID}"


# -- the load generator (runs in its own process) ------------------------------------------------


async def _client(
    port: int, queue: list[bytes], latencies: list[float], statuses: dict[int, int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"POST /venues/{VENUE_ID}/checkins HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += "Content-Type: application/cbor\r\n"
    try:
        while queue:
            body = queue.pop()
            request = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
            start = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            status = int(status_line.split()[1])
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _load(port: int, messages: list[bytes], concurrency: int) -> dict[str, object]:
    queue = list(reversed(messages))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = time.perf_counter()
    await asyncio.wait_for(
        asyncio.gather(*(_client(port, queue, latencies, statuses) for _ in range(concurrency))),
        timeout=120,
    )
    elapsed = time.perf_counter() - start
    return {"elapsed": elapsed, "latencies": latencies, "statuses": statuses}


def _read_messages(path: Path) -> list[bytes]:
    data, out, i = path.read_bytes(), [], 0
    while i < len(data):
        (n,) = struct.unpack_from(">I", data, i)
        out.append(data[i + 4 : i + 4 + n])
        i += 4 + n
    return out


def load_main(port: int, path: Path, concurrency: int) -> None:
    """Post every message in ``path`` to the service on ``port``; print the results."""
    result = asyncio.run(_load(port, _read_messages(path), concurrency))
    print(json.dumps(result))


# -- the floor: uvicorn's cost of one request on loopback, with no work behind it -----------


_FLOOR_SIZE = "ANSHIM_BENCH_FLOOR_SIZE"


def floor_app() -> Any:
    """The floor's raw ASGI app (a uvicorn factory: each worker builds its own): it reads
    each POST body and answers 201 with as many bytes as a receipt has."""
    size = int(os.environ[_FLOOR_SIZE])
    answer = os.urandom(size)
    headers = [(b"content-type", b"application/cbor"), (b"content-length", str(size).encode())]

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()  # type: ignore[operator]
                kind = message["type"].rsplit(".", 1)[-1]
                await send({"type": message["type"] + ".complete"})  # type: ignore[operator]
                if kind == "shutdown":
                    return
        more = True
        while more:
            message = await receive()  # type: ignore[operator]
            more = message.get("more_body", False)
        status = 200 if scope["path"] == "/health" else 201
        await send({"type": "http.response.start", "status": status, "headers": headers})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": answer})  # type: ignore[operator]

    return app


def floor_main(port: int, size: int, workers: int) -> None:
    """Serve :func:`floor_app` under uvicorn as ``anshim venue serve`` runs the service:
    the same loop and parser (uvicorn's defaults: uvloop and httptools when installed)
    and the same number of worker processes (the floor any endpoint here sits above)."""
    import uvicorn

    os.environ[_FLOOR_SIZE] = str(size)
    uvicorn.run(
        "bench_venue_service:floor_app",
        factory=True,
        app_dir=str(Path(__file__).resolve().parent),
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


def _measure(port: int, run_dir: Path, concurrency: int) -> dict[str, Any]:
    load = subprocess.run(
        [
            sys.executable,
            __file__,
            "--load",
            str(port),
            str(run_dir / "messages.bin"),
            str(concurrency),
        ],
        capture_output=True,
        text=True,
        timeout=150,
        check=True,
    )
    result: dict[str, Any] = json.loads(load.stdout)
    return result


def _figures(result: dict[str, Any]) -> tuple[float, dict[str, float], int]:
    latencies = sorted(result["latencies"])
    admitted = int(result["statuses"].get("201", 0))
    rate = admitted / float(result["elapsed"])
    latency = {
        "median": round(statistics.median(latencies) * 1000, 2),
        "p99": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }
    return rate, latency, admitted


def _floor(run_dir: Path, concurrency: int, size: int, workers: int) -> dict[str, object]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--floor", str(port), str(size), str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_up(port)
        rate, latency, _ = _figures(_measure(port, run_dir, concurrency))
    finally:
        server.terminate()
        server.wait(30)
    return {"requests_per_s": round(rate, 1), "latency_ms": latency}


# -- the world: a two-custodian ceremony, a venue, check-ins --------------------------------------


def _ceremony(tmp: Path, first_epoch: int) -> object:
    from did import KDF_TEST
    from escrow import Roster, ShareStore, deal, finalize, publish

    stores = [
        ShareStore.create(tmp / f"custodian{i}.store", PASSPHRASE, kdf=KDF_TEST) for i in (1, 2)
    ]
    roster = Roster.new([s.did for s in stores], 2, first_epoch=first_epoch, epochs=3)
    deals = [deal(roster, s.key) for s in stores]
    return publish(roster, [finalize(roster, deals, s, PASSPHRASE) for s in stores])


def _checkins(directory: object, count: int, now: int) -> list[bytes]:
    from did import day_of
    from escrow import VisitLabel, seal
    from protocol import (
        ENVELOPE_PAD_TO,
        CheckIn,
        HealthDeclaration,
        derive_pseudonym_key,
        derive_trace_seed,
        locator,
        pseudonym_did,
    )

    day = day_of(now)
    key = directory.get_key(day)  # type: ignore[attr-defined]
    plaintext = b"\x01" + bytes(16) + b"a compact identity credential stand-in" * 3
    out = []
    for _ in range(count):
        secret = os.urandom(32)
        signer = derive_pseudonym_key(secret, VENUE, day)
        pseudonym = pseudonym_did(signer)
        label = VisitLabel(VENUE, day, pseudonym, now)
        envelope = seal(key, label, plaintext, pad_to=ENVELOPE_PAD_TO).to_bytes()
        out.append(
            CheckIn(
                audience=VENUE,
                challenge=None,
                issued_at=now,
                expires=now + 60,
                pseudonym=pseudonym,
                declaration=HealthDeclaration(False, False),
                envelope=envelope,
                locator=locator(derive_trace_seed(secret, day), VENUE),
            ).sign(signer)
        )
    return out


def _library_rate(directory: object, venue_key: object, messages: list[bytes], now: int) -> float:
    from verifier import MemoryReplayStore, VenueContext, validate_checkin

    venue = VenueContext.create(VENUE, venue_key, category="cafe")  # type: ignore[arg-type]
    replay = MemoryReplayStore()
    start = time.perf_counter()
    for message in messages:
        validate_checkin(message, venue=venue, now=now, replay=replay, epoch_keys=directory)  # type: ignore[arg-type]
    return len(messages) / (time.perf_counter() - start)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _config(tmp: Path, directory: object, port: int, workers: int, sync: str) -> Path:
    custodians = ", ".join(f'"{c}"' for c in directory.custodians)  # type: ignore[attr-defined]
    path = tmp / "venue.toml"
    path.write_text(
        f"""[service]
data_dir = "data"
epoch_keys = "epoch-keys.cbor"
custodians = [{custodians}]
host = "127.0.0.1"
port = {port}
workers = {workers}
synchronous = "{sync}"

[[venue]]
id = "{VENUE_ID}"
did = "{VENUE}"
name = "Bench"
category = "cafe"
key_file = "venue.key"
""",
        encoding="utf-8",
    )
    return path


def _wait_up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError("the venue service did not start")


def _run(args: argparse.Namespace, tmp: Path, directory: object) -> dict[str, object]:
    from did import KDF_TEST, Ed25519PrivateKey, save_private_key

    run_dir = Path(tempfile.mkdtemp(dir=tmp))
    key = Ed25519PrivateKey.generate()
    save_private_key(run_dir / "venue.key", key, PASSPHRASE, kdf=KDF_TEST)
    (run_dir / "epoch-keys.cbor").write_bytes(directory.to_bytes())  # type: ignore[attr-defined]
    now = int(time.time())
    messages = _checkins(directory, args.count, now)
    library = _library_rate(directory, key, _checkins(directory, min(args.count, 1500), now), now)
    blob = b"".join(struct.pack(">I", len(m)) + m for m in messages)
    (run_dir / "messages.bin").write_bytes(blob)
    port = _free_port()
    config = _config(run_dir, directory, port, args.workers, args.synchronous)
    env = {**os.environ, "ANSHIM_PASSPHRASE": PASSPHRASE}
    service = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "did.cli",
            "venue",
            "serve",
            "--config",
            str(config),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_up(port)
        result = _measure(port, run_dir, args.concurrency)
    finally:
        service.terminate()
        service.wait(30)
    rate, latency, admitted = _figures(result)
    floor = _floor(run_dir, args.concurrency, _receipt_size(directory, key, now), args.workers)
    floor_rate = floor["requests_per_s"]
    return {
        "checkins_per_s": round(rate, 1),
        "latency_ms": latency,
        "library_validate_per_s": round(library, 1),
        "service_to_library_ratio": round(rate / library, 3),
        "http_floor_requests_per_s": floor_rate,
        "http_floor": floor,
        "floor_to_library_ratio": round(floor_rate / library, 3),  # type: ignore[operator]
        "service_to_floor_ratio": round(rate / floor_rate, 3),  # type: ignore[operator]
        "admitted": admitted,
        "statuses": result["statuses"],
    }


def _receipt_size(directory: object, venue_key: object, now: int) -> int:
    from verifier import MemoryReplayStore, VenueContext, validate_checkin

    venue = VenueContext.create(VENUE, venue_key, category="cafe")  # type: ignore[arg-type]
    message = _checkins(directory, 1, now)[0]
    admission = validate_checkin(
        message,
        venue=venue,
        now=now,
        replay=MemoryReplayStore(),
        epoch_keys=directory,  # type: ignore[arg-type]
    )
    return len(admission.receipt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--synchronous", choices=["full", "normal"], default="full")
    parser.add_argument("--load", nargs=3, metavar=("PORT", "FILE", "CONCURRENCY"))
    parser.add_argument("--floor", nargs=3, type=int, metavar=("PORT", "SIZE", "WORKERS"))
    args = parser.parse_args()
    if args.floor:
        floor_main(*args.floor)
        return
    if args.load:
        load_main(int(args.load[0]), Path(args.load[1]), int(args.load[2]))
        return
    from did import day_of

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="anshim-bench-venue-") as name:
        tmp = Path(name)
        directory = _ceremony(tmp, day_of(int(time.time())) - 1)
        runs = [_run(args, tmp, directory) for _ in range(args.runs)]
    load_after = os.getloadavg()
    rates = [r["checkins_per_s"] for r in runs]

    def median(*path: str) -> float:
        values = []
        for run in runs:
            value: object = run
            for key in path:
                value = value[key]  # type: ignore[index]
            values.append(value)
        return float(statistics.median(values))  # type: ignore[type-var, arg-type]

    print(
        json.dumps(
            {
                "benchmark": "venue_service",
                "workers": args.workers,
                "concurrency": args.concurrency,
                "synchronous": args.synchronous,
                "count_per_run": args.count,
                "checkins_per_s": statistics.median(rates),  # type: ignore[type-var]
                "latency_ms": {
                    "median": median("latency_ms", "median"),
                    "p99": median("latency_ms", "p99"),
                },
                "library_validate_per_s": median("library_validate_per_s"),
                "service_to_library_ratio": median("service_to_library_ratio"),
                "http_floor_requests_per_s": median("http_floor_requests_per_s"),
                # The floor: uvicorn answering the same POSTs with no work behind them, on
                # the same loopback and cores, measured in the same run.
                "http_floor": {
                    "requests_per_s": median("http_floor", "requests_per_s"),
                    "latency_ms": {
                        "median": median("http_floor", "latency_ms", "median"),
                        "p99": median("http_floor", "latency_ms", "p99"),
                    },
                },
                "floor_to_library_ratio": median("floor_to_library_ratio"),
                "service_to_floor_ratio": median("service_to_floor_ratio"),
                "cpus": os.cpu_count(),
                "load_average": {
                    "before": [round(x, 2) for x in load_before],
                    "after": [round(x, 2) for x in load_after],
                },
                "goals": {"checkins_per_s": 1000, "p99_ms": 50, "ratio": 0.5},
                "runs": runs,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
