"""The phones' check-in and check-out served as raw ASGI (verifier/service/_fastpath.py)
answer as the FastAPI routes they stand in front of: the same statuses, media types and
problem bodies for admitted, replayed, unknown-venue, oversize (by length and chunked) and
malformed requests; the routes stay in the OpenAPI document; and under group commit a
receipt leaves only once its record is committed."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.verifier.service.serving import serve_in_thread
from tests.verifier.service.support import NOW, VENUE, new_wallet, wallet_answer
from tests.wallet.support import poster
from verifier.service import VenueService

CBOR = {"content-type": "application/cbor"}


@pytest.fixture
def pair(
    make_app: Callable[..., FastAPI], tmp_path: Path
) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Two apps over one outbox file (as two workers are): one with its fast path, one
    with the fast path off (every request through FastAPI's routes)."""
    app = make_app(upload=False)
    slow = make_app(upload=False)
    slow.phones = None  # type: ignore[attr-defined]
    with (
        serve_in_thread(app) as fast_base,
        serve_in_thread(slow) as slow_base,
        httpx.Client(base_url=fast_base, timeout=30) as fast,
        httpx.Client(base_url=slow_base, timeout=30) as plain,
    ):
        yield fast, plain


def _same(a: httpx.Response, b: httpx.Response, *, body: bool = True) -> None:
    assert a.status_code == b.status_code, (a.text, b.text)
    assert a.headers["content-type"] == b.headers["content-type"]
    if a.headers["content-type"].endswith("json"):
        ja, jb = a.json(), b.json()
        if not body:
            ja = {k: ja[k] for k in ("type", "status", "code")}
            jb = {k: jb[k] for k in ("type", "status", "code")}
        assert ja == jb


def test_both_paths_answer_alike(pair: tuple[httpx.Client, httpx.Client], tmp_path: Path) -> None:
    fast, plain = pair
    text = poster(VENUE)
    for client in (fast, plain):
        message = wallet_answer(new_wallet(tmp_path, f"w-{id(client)}"), text, now=NOW)
        r = client.post("/venues/cafe-1/checkins", content=message, headers=CBOR)
        assert r.status_code == 201, r.text
        assert r.headers["content-type"] == "application/cbor"
        # The same check-in again: replayed, on either path, whichever admitted it.
        _same(
            fast.post("/venues/cafe-1/checkins", content=message, headers=CBOR),
            plain.post("/venues/cafe-1/checkins", content=message, headers=CBOR),
        )
    cases: list[tuple[str, bytes | Iterator[bytes], bool]] = [
        ("/venues/nowhere/checkins", b"\xa0", True),
        ("/venues/cafe-1/checkins", b"not cbor", True),
        ("/venues/cafe-1/checkouts", b"\x84", True),
        ("/venues/cafe-1/checkins", bytes(20_000), False),
    ]
    for path, content, whole in cases:
        _same(
            fast.post(path, content=content, headers=CBOR),
            plain.post(path, content=content, headers=CBOR),
            body=whole,
        )

    def chunks() -> Iterator[bytes]:
        for _ in range(5):
            yield bytes(4096)

    chunked = fast.post("/venues/cafe-1/checkins", content=chunks(), headers=CBOR)
    assert chunked.status_code == 413
    assert chunked.json()["type"] == "urn:anshim:error:oversizeMessage"


def test_the_routes_stay_in_the_openapi_document(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for action, status in (("checkins", "201"), ("checkouts", "200")):
        post = paths["/venues/{venue_id}/" + action]["post"]
        assert "application/cbor" in post["requestBody"]["content"]
        assert "application/cbor" in post["responses"][status]["content"]


def test_a_receipt_leaves_only_after_its_commit(client: httpx.Client, tmp_path: Path) -> None:
    """A second connection to the outbox sees the record as soon as the receipt arrives:
    it was committed (not only written into the open group transaction)."""
    service: VenueService = client.app.state.service  # type: ignore[attr-defined]
    venue = service.venues["cafe-1"].context.did
    for i in range(5):
        message = wallet_answer(new_wallet(tmp_path, f"v{i}"), poster(venue), now=NOW)
        r = client.post("/venues/cafe-1/checkins", content=message, headers=CBOR)
        assert r.status_code == 201, r.text
        with sqlite3.connect(service.store.path) as other:
            (count,) = other.execute("SELECT count(*) FROM outbox").fetchone()
        assert count == i + 1


def test_concurrent_check_ins_each_get_their_own_commit(
    client: httpx.Client, tmp_path: Path
) -> None:
    """Many check-ins at once (batches committing in the commit thread while others are
    written): every one admitted, every record committed."""
    service: VenueService = client.app.state.service  # type: ignore[attr-defined]
    venue = service.venues["cafe-1"].context.did
    messages = [
        wallet_answer(new_wallet(tmp_path, f"c{i}"), poster(venue), now=NOW) for i in range(40)
    ]

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=str(client.base_url), timeout=30) as http:
            answers = await asyncio.gather(
                *(http.post("/venues/cafe-1/checkins", content=m, headers=CBOR) for m in messages)
            )
        return [a.status_code for a in answers]

    assert asyncio.run(burst()) == [201] * len(messages)
    with sqlite3.connect(service.store.path) as other:
        (count,) = other.execute("SELECT count(*) FROM outbox").fetchone()
    assert count == len(messages)
