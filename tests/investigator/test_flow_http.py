"""The whole investigation over real HTTP on loopback (issue 13 "Tests that must exist"):
the real registry service on SQLite served by uvicorn, a small town (30 venues, 300
wallets, 60 SMS, call and assisted-entry visitors, two days), real 3-of-5 custodians.

A case with a wallet discloses its diary; the tool finds its contacts and a brute force
over every uploaded record decides who overlapped and by how much, which the tool must
match exactly. A warrant with k−1 approvals is refused; a custodian returning bad shares
is named in the case log; identities of every channel are unsealed and checked; the
report and the call list are produced, and an assisted-entry name written as a spreadsheet
formula comes out of the call list neutralised. The lost-phone path and second hops need
the registry's trace-seed query."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from did import cbor
from escrow import ShareBatch
from escrow._custodian import SHARES_CONTEXT  # to sign a wrong batch as its custodian
from investigator import Case, HttpRegistryClient, Record, case_status, write_outputs
from investigator.errors import WarrantRefused
from protocol import Channel, DiaryDisclosure
from registry import CATEGORIES, MIN_OVERLAP
from tests.escrow.support import FIRST_EPOCH, World
from tests.investigator.support import AUTHORITY, PASS, approve_by, new_case, shares_by
from tests.investigator.town import Town, build_town, serve, upload

DAY = 86400
NOW = (FIRST_EPOCH + 2) * DAY + 3600
CASE_IN = FIRST_EPOCH * DAY + 10 * 3600
FORMULA = '=HYPERLINK("http://x","click")'


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory, escrow_world: World) -> Iterator[Town]:
    special: list[dict[str, Any]] = [
        {"venue": 0, "time_in": CASE_IN, "time_out": CASE_IN + 7200,
         "channel": Channel.QR_STATIC, "holder": 0},
        {"venue": 0, "time_in": CASE_IN + 1800, "time_out": None, "channel": Channel.ASSISTED,
         "phone": "+821077778888", "name": FORMULA},
    ]  # fmt: skip
    app, t = build_town(
        tmp_path_factory.mktemp("town"), escrow_world.directory, first_day=FIRST_EPOCH,
        now=NOW, special=special,
    )  # fmt: skip
    with serve(app) as url:
        t.url = url
        upload(t, escrow_world.directory, FIRST_EPOCH)
        yield t
    t._store.close()  # type: ignore[attr-defined]


def _client(town: Town) -> HttpRegistryClient:
    from did import did_from_public_key

    return HttpRegistryClient(
        town.url,
        key=town.investigator_key,
        did=did_from_public_key(town.investigator_key.public_key),
        credential=town.investigator_credential,
        clock=lambda: town.clock.now,
    )


def _brute_force(town: Town, stays: list[dict[str, Any]], own: set[str]) -> dict[str, float]:
    """Every record that overlaps a case stay by at least 10 minutes, with the registry's
    category margins and dwells, from the test's own list of uploaded records."""
    category = {op.did: op.category for op in town.venues}
    out: dict[str, float] = {}
    for s in stays:
        cat = CATEGORIES[category[s["venue"]]]
        lo, hi = s["start"] - cat.margin, s["end"] + cat.margin
        for v in town.visits:
            if v.venue != s["venue"] or v.visit_id in own:
                continue
            end = v.time_out if v.time_out is not None else v.time_in + cat.dwell
            overlap = min(end, hi) - max(v.time_in, lo)
            if overlap >= MIN_OVERLAP:
                out[v.visit_id] = max(out.get(v.visit_id, 0.0), round(overlap / 60, 1))
    return out


def test_a_wallet_case_from_disclosure_to_call_list(
    town: Town, escrow_world: World, tmp_path: Path
) -> None:
    holder = town.holders[0]
    disclosure = DiaryDisclosure.create(
        holder.receipts, audience=AUTHORITY, window_start=FIRST_EPOCH * DAY,
        window_end=(FIRST_EPOCH + 2) * DAY, issued=NOW,
    ).to_cbor()  # fmt: skip
    registry = _client(town)
    request_close = registry.close
    case = new_case(escrow_world, tmp_path / "case")
    case = Case.load(case.folder.path, PASS, who="Kim", registry=registry)
    stays = case.visits_from_disclosure(disclosure, now=NOW)
    own = {v.visit_id for v in town.visits if v.holder == 0}
    assert {s.visit_id for s in stays} == own
    contacts = case.find_contacts(1, now=NOW)
    found = {
        c["record"]["visit_id"]: round(c["record"]["overlap_seconds"] / 60, 1) for c in contacts
    }
    expected = _brute_force(town, [s.to_json() for s in stays], own)
    assert found == expected
    assert len(found) > 5
    assert case_status(case).stage == "warrant"

    warrant = case.draft_identities(1, now=NOW)
    draft = case.folder.read_bytes("warrants/r1-identities/draft.warrant")
    with pytest.raises(WarrantRefused, match="warrantQuorum"):
        case.approve("r1-identities", approve_by(escrow_world, draft, range(2), now=NOW), now=NOW)
    case.approve("r1-identities", approve_by(escrow_world, draft, range(1, 4), now=NOW), now=NOW)
    assert "shares" in case_status(case).stage
    request = case.folder.read_bytes("warrants/r1-identities/request.cbor")
    approved = case.folder.read_bytes("warrants/r1-identities/approved.warrant")
    batches = shares_by(escrow_world, approved, request, range(4), now=NOW)
    # Custodian 3 swaps its first two shares: signed by it, wrong for their envelopes.
    body = cbor.decode(batches[2].body)
    body["shares"][0][1], body["shares"][1][1] = body["shares"][1][1], body["shares"][0][1]
    raw = cbor.encode(body)
    bad = cbor.encode({"body": raw, "sig": escrow_world.stores[2].key.sign(SHARES_CONTEXT + raw)})
    for b in (batches[0].to_bytes(), batches[1].to_bytes(), bad, batches[3].to_bytes()):
        case.collect("r1-identities", b, now=NOW)
    assert ShareBatch.from_bytes(bad).index == 3
    # A crash before unsealing: the case resumes from its folder.
    case = Case.load(case.folder.path, PASS, who="Kim", registry=registry)
    opened = case.unseal("r1-identities", now=NOW, processes=2)
    assert opened == len(found)
    named = [e.what for e in case.folder.entries() if e.step == "bad-shares"]
    assert named[0]["custodians"] == [{"index": 3, "did": escrow_world.stores[2].did}]
    truth = {v.visit_id: v for v in town.visits}
    for ident in case.identities(1):
        v = truth[ident.visit_id]
        assert (ident.phone, ident.name) == (v.phone, v.name)
        if v.holder is not None:
            assert ident.credential_id == town.holders[v.holder].credential.credential_id
    assert {truth[i.visit_id].channel for i in case.identities(1)} >= {
        Channel.QR_STATIC, Channel.ASSISTED,
    }  # fmt: skip
    # The warrant named exactly the contacts' envelopes, nothing else.
    envelopes = {bytes.fromhex(Record.from_json(c["record"]).envelope_id) for c in contacts}
    assert warrant.scope.records == envelopes

    out = write_outputs(case, tmp_path / "exports", now=NOW)
    assert set(out) >= {"graph_json", "report_html", "call_list", "graphml", "report_png"}
    rows = list(csv.DictReader(io.StringIO(out["call_list"].read_bytes().decode("utf-8-sig"))))
    assert len(rows) == len(found)
    names = {r["name"] for r in rows}
    assert "'" + FORMULA in names
    assert FORMULA not in names
    assert all(not r["phone"].startswith("+") for r in rows)
    html = out["report_html"].read_text(encoding="utf-8")
    assert "HYPERLINK" in html
    assert case_status(case).stage == "report"
    request_close()


def test_the_lost_phone_path_and_second_hops(
    town: Town, escrow_world: World, tmp_path: Path
) -> None:
    import httpx

    paths = httpx.get(f"{town.url}/openapi.json").json()["paths"]
    if "/queries/trace-seeds" not in paths:
        pytest.skip(
            "registry.service has no investigators' trace-seed query (POST /queries/trace-seeds"
            " {case_id, label} -> {envelopes}); the lost-phone path and next hops need it"
        )
    holder = town.holders[0]
    registry = _client(town)
    case = new_case(escrow_world, tmp_path / "lost", case_id="JJ-2024-018")
    case = Case.load(case.folder.path, PASS, who="Kim", registry=registry)
    case.lost_phone(holder.credential.credential_id, now=NOW)
    for stage in ("r1-seeds",):
        draft = case.folder.read_bytes(f"warrants/{stage}/draft.warrant")
        case.approve(stage, approve_by(escrow_world, draft, range(3), now=NOW), now=NOW)
        request = case.folder.read_bytes(f"warrants/{stage}/request.cbor")
        approved = case.folder.read_bytes(f"warrants/{stage}/approved.warrant")
        for b in shares_by(escrow_world, approved, request, range(3), now=NOW):
            case.collect(stage, b.to_bytes(), now=NOW)
        case.unseal(stage, now=NOW, processes=2)
    own = {v.visit_id for v in town.visits if v.holder == 0}
    assert {s["visit_id"] for s in case.stays(1)} == own
    registry.close()
