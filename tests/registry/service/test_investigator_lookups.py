"""The investigators' two look-ups besides the records queries: the sealed trace-seed
envelopes under one label (the lost-phone path and next hops) and the directory of active
venues (the lost-phone path recomputes a locator per venue). Only an investigator's token
gets an answer, every answer cites a case id and is in the query log, and neither shows
up in a venue's view of requests (they return no visit records)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from did import b64url_decode, b64url_encode, cbor
from escrow import TraceSeedLabel, seal
from protocol import TRACE_SEED_SIZE
from tests.escrow.support import FIRST_EPOCH, World
from tests.registry.service.support import Clock, Registry, make_registry

DAY = 86400
CBOR = {"Content-Type": "application/cbor"}
CASE = "JEJU-2024-0042"


@pytest.fixture
def reg(tmp_path: Path) -> Iterator[Registry]:
    """A registry whose clock is on the escrow world's first epoch."""
    r = make_registry(tmp_path, clock=Clock(FIRST_EPOCH * DAY + 12 * 3600))
    yield r
    r.store.close()


def _seed(world: World, credential: str, day: int = FIRST_EPOCH) -> tuple[bytes, bytes]:
    label = TraceSeedLabel(credential, day)
    envelope = seal(world.directory.get_key(day), label, os.urandom(TRACE_SEED_SIZE), pad_to=64)
    return label.to_bytes(), envelope.to_bytes()


def test_an_investigator_reads_the_envelopes_under_a_label_and_the_query_is_logged(
    reg: Registry, escrow_world: World
) -> None:
    mine, other = _seed(escrow_world, "urn:uuid:case"), _seed(escrow_world, "urn:uuid:other")
    r = reg.client.post(
        "/uploads/trace-seeds", content=cbor.encode([list(mine), list(other)]), headers=CBOR
    )
    assert r.status_code == 200, r.text
    _, headers = reg.investigator()
    body = {"case_id": CASE, "label": b64url_encode(mine[0])}
    r = reg.client.post("/queries/trace-seeds", json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert [b64url_decode(e) for e in r.json()["envelopes"]] == [mine[1]]
    assert (r.json()["case_id"], r.json()["count"]) == (CASE, 1)
    # A label nobody uploaded under: nothing, logged too.
    empty = {
        "case_id": CASE,
        "label": b64url_encode(TraceSeedLabel("urn:x", FIRST_EPOCH).to_bytes()),
    }
    assert reg.client.post("/queries/trace-seeds", json=empty, headers=headers).json()["count"] == 0
    log = reg.client.get("/queries/log", headers=reg.admin).json()
    assert [(e["case_id"], e["kind"], e["params"]["envelopes"]) for e in log] == [
        (CASE, "trace-seeds", 1),
        (CASE, "trace-seeds", 0),
    ]
    assert log[0]["params"]["label"] == body["label"]
    assert reg.app.state.authority.ledger.verify_query_log() == 2


def test_trace_seed_queries_without_an_investigator_token_or_case_id_are_refused(
    reg: Registry, escrow_world: World
) -> None:
    label, envelope = _seed(escrow_world, "urn:uuid:case")
    reg.client.post("/uploads/trace-seeds", content=cbor.encode([[label, envelope]]), headers=CBOR)
    body = {"case_id": CASE, "label": b64url_encode(label)}
    r = reg.client.post("/queries/trace-seeds", json=body)
    assert (r.status_code, r.json()["code"]) == (401, "missingToken")
    assert "envelopes" not in r.json()
    r = reg.client.post("/queries/trace-seeds", json=body, headers=reg.admin)
    assert (r.status_code, r.json()["code"]) == (403, "notPermitted")
    assert "envelopes" not in r.json()
    _, headers = reg.investigator()
    for case in (None, "", "no spaces allowed", "x" * 65):
        bad = {k: v for k, v in {**body, "case_id": case}.items() if v is not None}
        r = reg.client.post("/queries/trace-seeds", json=bad, headers=headers)
        assert r.status_code == 422, case
        assert "envelopes" not in r.json()
    for label_text in ("not base64url!", b64url_encode(b"\x00not a label"), "A"):
        r = reg.client.post(
            "/queries/trace-seeds", json={**body, "label": label_text}, headers=headers
        )
        assert r.status_code in (400, 422), label_text
        assert r.headers["content-type"].startswith("application/problem+json")
    assert reg.client.get("/queries/log", headers=reg.admin).json() == []


def test_the_venue_directory_lists_active_venues_public_facts_by_page(reg: Registry) -> None:
    active = [reg.register() for _ in range(3)]
    pending = reg.register(approve=False)
    gone = reg.register()
    assert reg.client.post(f"/venues/{gone.venue_id}/deactivation", headers=reg.admin).is_success
    _, headers = reg.investigator()
    seen, after, pages = [], "", 0
    while True:
        r = reg.client.post(
            "/queries/venues", json={"case_id": CASE, "after": after, "limit": 2}, headers=headers
        )
        assert r.status_code == 200, r.text
        page = r.json()
        seen += page["venues"]
        pages += 1
        if page["next"] is None:
            break
        after = page["next"]
    assert pages == 2
    assert sorted(v["did"] for v in seen) == sorted(op.did for op in active)
    assert pending.did not in {v["did"] for v in seen}
    for v in seen:
        assert set(v) == {"id", "did", "name", "category"}
        assert set(v["name"]) == {"ko", "en"}
    log = reg.client.get("/queries/log", headers=reg.admin).json()
    assert [(e["case_id"], e["kind"], e["params"]["venues"]) for e in log] == [
        (CASE, "venues", 2),
        (CASE, "venues", 1),
    ]
    # The directory returns no records: no venue sees it among the requests for its records.
    view = reg.client.get(f"/venues/{active[0].venue_id}/requests", headers=reg.admin)
    assert view.json() == []


def test_the_venue_directory_needs_an_investigator_token_and_a_case_id(reg: Registry) -> None:
    reg.register()
    r = reg.client.post("/queries/venues", json={"case_id": CASE})
    assert (r.status_code, r.json()["code"]) == (401, "missingToken")
    r = reg.client.post("/queries/venues", json={"case_id": CASE}, headers=reg.admin)
    assert (r.status_code, r.json()["code"]) == (403, "notPermitted")
    _, headers = reg.investigator()
    for body in ({}, {"case_id": ""}, {"case_id": CASE, "after": "../etc"},
                 {"case_id": CASE, "limit": 0}, {"case_id": CASE, "limit": 1001}):  # fmt: skip
        r = reg.client.post("/queries/venues", json=body, headers=headers)
        assert r.status_code == 422, body
        assert "venues" not in r.json()
    assert reg.client.get("/queries/log", headers=reg.admin).json() == []
