"""The whole investigation over real HTTP on loopback (issue 13 "Tests that must exist"):
the real registry service on SQLite served by uvicorn, a small town (30 venues, 300
wallets, 60 SMS, call and assisted-entry visitors, two days; benchmarks/town.py), real
3-of-5 custodians.

A case with a wallet discloses its diary; the tool finds its contacts and a brute force
over every uploaded record decides who overlapped and by how much, which the tool must
match exactly. A warrant with k−1 approvals is refused; a custodian returning bad shares
is named in the case log; identities of every channel are unsealed and checked; the
report and the call list are produced, and an assisted-entry name written as a spreadsheet
formula comes out of the call list neutralised.

A case whose phone is lost finds its own visits through its escrowed trace seeds (a
warrant, the locators recomputed for every venue of the registry's directory), and a
chosen contact's own visits through that contact's trace seeds under a warrant of its
own, whose contacts are the case's second hop; the graph records the hop and through
whom. A case without a wallet names its venues and times in the interview; the contacts
query finds the case's own record among the others, and the venue sees which of its
records were requested under which case, and nothing of who was found.

Transparency (issue 13 section 8): two real wallets (``wallet.Wallet``) check in among the
town, one beside the case and one where the case never was, and their records are
uploaded by the venues. The custodians log their approvals and share batches and publish
the log at the registry; each wallet asks the registry over HTTP about its visit and checks
the answer against the custodians pinned at its creation: the contact learns its visit was
unsealed and under which case, the other gets a verified absence proof."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.town import Town, Visit, running_town
from did import KDF_TEST, cbor, day_of, did_from_public_key
from escrow import AuditLog, ShareBatch, UnsealRequest, Warrant
from escrow._custodian import SHARES_CONTEXT  # to sign a wrong batch as its custodian
from investigator import (
    Case,
    HttpRegistryClient,
    Record,
    build_graph,
    case_status,
    write_outputs,
)
from investigator.errors import RegistryRefused, WarrantRefused
from protocol import (
    CATEGORIES,
    Channel,
    CheckIn,
    DiaryDisclosure,
    HealthDeclaration,
    QrKind,
    SealedVisit,
    UploadBatch,
    VenueCode,
    VisitReceipt,
    digest,
    issue_person_credential,
    to_qr_text,
)
from registry import MIN_OVERLAP
from tests.escrow.support import FIRST_EPOCH, World
from tests.investigator.support import (
    AUTHORITY,
    ISSUER,
    ISSUER_DID,
    PASS,
    approve_by,
    new_case,
    shares_by,
)
from wallet import AuditProofRefused, Wallet, read_audit_answer

DAY = 86400
NOW = (FIRST_EPOCH + 2) * DAY + 3600
CASE_IN = FIRST_EPOCH * DAY + 10 * 3600
DAY1 = (FIRST_EPOCH + 1) * DAY
FORMULA = '=HYPERLINK("http://x","click")'
#: The wallet contact followed to the second hop, and the second hop's contact.
FIRST, SECOND = 1, 2
#: A case without a wallet (an SMS check-in) and where the interview puts it.
SMS_CASE = "+821055550000"
SMS_IN = FIRST_EPOCH * DAY + 15 * 3600


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory, escrow_world: World) -> Iterator[Town]:
    special: list[dict[str, Any]] = [
        {"venue": 0, "time_in": CASE_IN, "time_out": CASE_IN + 7200,
         "channel": Channel.QR_STATIC, "holder": 0},
        # The case at a cafe without checking out: its stay is the cafe's default dwell.
        {"venue": 1, "time_in": CASE_IN + 7 * 3600, "time_out": None,
         "channel": Channel.QR_STATIC, "holder": 0},
        {"venue": 0, "time_in": CASE_IN + 1800, "time_out": None, "channel": Channel.ASSISTED,
         "phone": "+821077778888", "name": FORMULA},
        # The first hop's contact, then its own visit the next day with the second hop's.
        {"venue": 0, "time_in": CASE_IN + 600, "time_out": CASE_IN + 4200,
         "channel": Channel.QR_STATIC, "holder": FIRST},
        {"venue": 1, "time_in": DAY1 + 14 * 3600, "time_out": DAY1 + 16 * 3600,
         "channel": Channel.QR_STATIC, "holder": FIRST},
        {"venue": 1, "time_in": DAY1 + 14 * 3600 + 1800, "time_out": DAY1 + 15 * 3600 + 1800,
         "channel": Channel.QR_STATIC, "holder": SECOND},
        # The case without a wallet: an SMS check-in with no check-out.
        {"venue": 2, "time_in": SMS_IN, "time_out": None, "channel": Channel.SMS,
         "phone": SMS_CASE, "name": None},
    ]  # fmt: skip
    with running_town(
        tmp_path_factory.mktemp("town"), escrow_world.directory, issuer=ISSUER,
        first_day=FIRST_EPOCH, now=NOW, special=special,
    ) as t:  # fmt: skip
        yield t


@pytest.fixture(scope="module")
def phones(
    town: Town, escrow_world: World, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Wallet]]:
    """Two real wallets in the town: ``contact`` at venue 0 while the case was there,
    ``stranger`` at a venue the case never visited. Each scans the venue's poster, checks
    in, keeps the venue's receipt; the venue uploads the record (with the envelope the
    wallet sealed) and the town's ground truth gains it."""
    tmp = tmp_path_factory.mktemp("phones")
    directory = escrow_world.directory
    away = next(
        n for n, op in enumerate(town.venues)
        if n > 2 and all(v.venue != op.did for v in town.visits if v.holder == 0)
    )  # fmt: skip
    out = {}
    for who, n, time_in, phone in (
        ("contact", 0, CASE_IN + 1200, "+821066660001"),
        ("stranger", away, DAY1 + 11 * 3600, "+821066660002"),
    ):
        op = town.venues[n]
        w = Wallet.create(
            tmp / f"{who}.wallet", "wallet passphrase", registry_key=town.registry_key.public_key,
            custodians=directory.custodians, threshold=directory.threshold, kdf=KDF_TEST,
        )  # fmt: skip
        cred = issue_person_credential(
            ISSUER, ISSUER_DID, w.holder_did, phone, name=who, valid_from=time_in - 30 * DAY,
            valid_until=NOW + 365 * DAY,
        )  # fmt: skip
        w.enroll(cred, trusted_issuers=[ISSUER_DID], now=time_in)
        w.set_epoch_keys(directory.to_bytes(), now=time_in)
        code = VenueCode(venue=op.did, name=op.name_ko, category=op.category,
                         issued=time_in - DAY, expires=time_in + 30 * DAY)  # fmt: skip
        scanned = w.scan(to_qr_text(QrKind.VENUE_CODE, code.sign(town.registry_key)), now=time_in)
        checkin = w.check_in(scanned, declaration=HealthDeclaration(False, False), now=time_in)
        ci = CheckIn.parse_unverified(checkin)[1]
        assert ci.envelope is not None
        record = SealedVisit(
            visit_id=digest(checkin)[:16], venue=op.did,
            day=day_of(time_in, tz_offset=directory.tz_offset), time_in=time_in, time_out=None,
            pseudonym=ci.pseudonym, locator=ci.locator, channel=Channel.QR_STATIC,
            declaration=ci.declaration, envelope=ci.envelope, receipt_hash=digest(checkin),
        )  # fmt: skip
        receipt = VisitReceipt(
            venue=op.did, pseudonym=ci.pseudonym, time_in=time_in, time_out=None,
            visit_id=record.visit_id, checkin_hash=digest(checkin), channel=Channel.QR_STATIC,
        ).sign(op.key)  # fmt: skip
        w.accept_receipt(receipt, venue_key=op.key.public_key, now=time_in)
        batch = UploadBatch(venue=op.did, batch_id=os.urandom(16), issued=NOW,
                            records=(record.sign(op.key),)).sign(op.key)  # fmt: skip
        answer = httpx.post(f"{town.url}/uploads/visits", content=batch,
                            headers={"content-type": "application/cbor"})  # fmt: skip
        assert answer.status_code == 200, answer.text
        town.visits.append(Visit(record.visit_id.hex(), op.did, time_in, None,
                                 Channel.QR_STATIC, phone, who, None))  # fmt: skip
        out[who] = w
    yield out
    for w in out.values():
        w.close()


def _publish_log(
    town: Town, world: World, approved: bytes, approvers: range, batches: list[bytes]
) -> None:
    """What the custodians do as they act (``anshim escrow … --log``): each approval and
    each share batch is an entry of the audit log; one custodian signs the head and the
    log is published at the registry (verified there against the pinned custodians)."""
    log, warrant = AuditLog(), Warrant.from_bytes(approved)
    for i in approvers:
        log.record_approval(warrant, world.stores[i].key, world.stores[i].did, now=NOW)
    for data in batches:
        batch = ShareBatch.from_bytes(data)
        store = world.stores[batch.index - 1]
        log.record_batch(batch, store.key, store.did, now=NOW)
    log.sign_head(world.stores[0].key, world.stores[0].did, now=NOW)
    answer = httpx.put(f"{town.url}/audit-log", content=log.to_bytes(),
                       headers={"content-type": "application/cbor"})  # fmt: skip
    assert answer.status_code == 201, answer.text


def _ask_audit_log(town: Town, phone: Wallet) -> Any:
    """The wallet's one request to the registry about its visit, and its own check."""
    (visit,) = phone.visits()
    answer = httpx.get(f"{town.url}/audit-log/proofs/{visit.record_id.hex()}")
    assert answer.status_code == 200, answer.text
    head, proof = read_audit_answer(answer.content)
    return phone.was_unsealed(visit, head=head, proof=proof)


def _client(town: Town) -> HttpRegistryClient:
    return HttpRegistryClient(
        town.url,
        key=town.investigator_key,
        did=did_from_public_key(town.investigator_key.public_key),
        credential=town.investigator_credential,
        clock=lambda: town.clock.now,
    )


def _venue_client(town: Town, n: int) -> HttpRegistryClient:
    """Venue ``n``'s operator at the registry (DID authentication with its did:web key)."""
    op = town.venues[n]
    return HttpRegistryClient(
        town.url, key=op.key, did=op.did, verification_method=op.verification_method,
        clock=lambda: town.clock.now,
    )  # fmt: skip


def _brute_force(town: Town, stays: list[dict[str, Any]], own: set[str]) -> dict[str, float]:
    """Every record that overlaps a searched stay by at least 10 minutes, with the
    registry's category margins and dwells, from the town's own list of uploaded records."""
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


def _found(contacts: list[dict[str, Any]]) -> dict[str, float]:
    return {
        c["record"]["visit_id"]: round(c["record"]["overlap_seconds"] / 60, 1) for c in contacts
    }


def _open(case: Case, world: World, stage: str) -> int:
    """Custodians 1-3 approve the stage's draft and answer it; the case unseals it."""
    draft = case.folder.read_bytes(f"warrants/{stage}/draft.warrant")
    case.approve(stage, approve_by(world, draft, range(3), now=NOW), now=NOW)
    request = case.folder.read_bytes(f"warrants/{stage}/request.cbor")
    approved = case.folder.read_bytes(f"warrants/{stage}/approved.warrant")
    for b in shares_by(world, approved, request, range(3), now=NOW):
        case.collect(stage, b.to_bytes(), now=NOW)
    return case.unseal(stage, now=NOW, processes=2)


def _stays_of(town: Town, holder: int, start: int, end: int) -> set[str]:
    """The holder's records whose stay touches [start, end] (the trace-seed path's rule)."""
    category = {op.did: op.category for op in town.venues}
    out = set()
    for v in town.visits:
        if v.holder != holder:
            continue
        stay_end = v.time_out if v.time_out is not None else (
            v.time_in + CATEGORIES[category[v.venue]].dwell
        )  # fmt: skip
        if stay_end >= start and v.time_in <= end:
            out.add(v.visit_id)
    return out


def test_a_wallet_case_from_disclosure_to_call_list(
    town: Town, escrow_world: World, phones: dict[str, Wallet], tmp_path: Path
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
    # A visit without a check-out lasts its venue class's default dwell, as at the registry
    # (the cafe's hour, not a fixed two hours).
    category = {op.did: op.category for op in town.venues}
    truth = {v.visit_id: v for v in town.visits}
    assert category[town.venues[1].did] == "cafe"
    assert any(truth[s.visit_id].time_out is None for s in stays)
    for s in stays:
        v = truth[s.visit_id]
        dwell = CATEGORIES[category[v.venue]].dwell
        assert s.end == (v.time_out if v.time_out is not None else v.time_in + dwell)
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
    # The approvers (custodians 2, 3, 4) are the folding quorum; custodian 1 answers too.
    assert UnsealRequest.from_bytes(request).quorum == (2, 3, 4)
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
    assert "가게 0 (Venue 0)" in html  # venue names from the investigators' directory
    assert case_status(case).stage == "report"
    request_close()

    # Transparency: the custodians publish their audit log; each wallet asks about its
    # visit over HTTP and checks the answer against the custodians pinned at its creation.
    contact, stranger = phones["contact"], phones["stranger"]
    assert contact.visits()[0].record_id in warrant.scope.records
    assert stranger.visits()[0].record_id not in warrant.scope.records
    dids = escrow_world.directory.custodians
    released = [batches[0].to_bytes(), batches[1].to_bytes(), bad, batches[3].to_bytes()]
    _publish_log(town, escrow_world, approved, range(1, 4), released)
    learned = _ask_audit_log(town, contact)
    assert (learned.unsealed, learned.case_ids) == (True, ("JJ-2024-017",))
    assert learned.cases[0].warrant_id == warrant.warrant_id
    assert learned.cases[0].approved_by == dids[1:4]
    assert learned.cases[0].shares_from == dids[:4]  # custodian 3's bad batch released shares
    assert learned.signed_by == dids[0]
    absent = _ask_audit_log(town, stranger)
    assert (absent.unsealed, absent.cases) == (False, ())
    assert absent.head_size == learned.head_size == 7
    # The contact's answer, handed to the stranger's wallet, is refused.
    theirs = httpx.get(f"{town.url}/audit-log/proofs/{contact.visits()[0].record_id.hex()}")
    head, proof = read_audit_answer(theirs.content)
    with pytest.raises(AuditProofRefused):
        stranger.was_unsealed(stranger.visits()[0], head=head, proof=proof)


def test_a_lost_phone_finds_its_own_visits_and_a_contact_leads_to_the_second_hop(
    town: Town, escrow_world: World, tmp_path: Path
) -> None:
    holder, first, second = town.holders[0], town.holders[FIRST], town.holders[SECOND]
    registry = _client(town)
    case = new_case(escrow_world, tmp_path / "lost", case_id="JJ-2024-018")
    case = Case.load(case.folder.path, PASS, who="Kim", registry=registry)
    window = (case.record.window_start, case.record.window_end)

    # Round 1: the case's trace seeds under a warrant; its locators at every venue.
    warrant = case.lost_phone(holder.credential.credential_id, now=NOW)
    assert warrant.scope.credentials == (
        (holder.credential.credential_id, FIRST_EPOCH, FIRST_EPOCH + 2),
    )
    assert _open(case, escrow_world, "r1-seeds") == 2  # one seed per day it escrowed
    own = _stays_of(town, 0, *window)
    assert {s["visit_id"] for s in case.stays(1)} == own
    assert {s["source"] for s in case.stays(1)} == {"trace-seeds"}
    contacts = case.find_contacts(1, now=NOW)
    assert _found(contacts) == _brute_force(town, case.stays(1), own)
    truth = {v.visit_id: v for v in town.visits}
    first_visit = next(
        v.visit_id for v in town.visits if v.holder == FIRST and v.time_in == CASE_IN + 600
    )
    assert first_visit in _found(contacts)
    assert SECOND not in {truth[c["record"]["visit_id"]].holder for c in contacts}
    case.draft_identities(1, now=NOW)
    assert _open(case, escrow_world, "r1-identities") == len(contacts)

    # Round 2: the chosen contact's own visits through its trace seeds, its own warrant.
    warrant = case.next_hop(people=[first.phone], now=NOW)
    day = CASE_IN // DAY
    assert warrant.scope.credentials == ((first.credential.credential_id, day, FIRST_EPOCH + 2),)
    assert case.rounds() == 2
    _open(case, escrow_world, "r2-seeds")
    theirs = _stays_of(town, FIRST, CASE_IN + 600, window[1])
    assert {s["visit_id"] for s in case.stays(2)} == theirs
    assert {s["person"] for s in case.stays(2)} == {first.phone}
    known = own | set(_found(contacts))
    second_hop = case.find_contacts(2, now=NOW)
    assert _found(second_hop) == _brute_force(town, case.stays(2), known | theirs)
    # The case itself and the first hop are not found again.
    assert not set(_found(second_hop)) & known
    second_visit = next(v.visit_id for v in town.visits if v.holder == SECOND and v.venue
                        == town.venues[1].did and v.time_in == DAY1 + 14 * 3600 + 1800)  # fmt: skip
    assert second_visit in _found(second_hop)
    case.draft_identities(2, now=NOW)
    assert _open(case, escrow_world, "r2-identities") == len(second_hop)
    assert {i.phone for i in case.identities(2)} >= {second.phone}

    # The graph: who was found at which hop, and through whom.
    graph = build_graph(case)
    by_phone = {p.phone: p for p in graph.people.values() if p.phone}
    assert (by_phone[first.phone].hop, by_phone[first.phone].through) == (1, "case")
    assert by_phone[second.phone].hop == 2
    assert by_phone[second.phone].through == by_phone[first.phone].id
    edges = {(c.source, c.target, c.hop) for c in graph.contacts}
    assert (by_phone[first.phone].id, by_phone[second.phone].id, 2) in edges
    assert ("case", by_phone[first.phone].id, 1) in edges
    hop2_visits = {v.visit_id for v in graph.visits if v.person == by_phone[first.phone].id}
    assert theirs <= hop2_visits
    # The call list has one row per contact visit: the first hop's visit with the case is
    # also among that contact's own stays (its trace seeds), and is listed once, at hop 1.
    out = write_outputs(case, tmp_path / "exports", now=NOW, png=False)
    rows = list(csv.DictReader(io.StringIO(out["call_list"].read_bytes().decode("utf-8-sig"))))
    assert len(rows) == len(contacts) + len(second_hop)
    assert len({(r["phone"], r["visit_id"]) for r in rows}) == len(rows)
    met = [r for r in rows if r["visit_id"] == first_visit]
    assert [(r["hop"], r["channel"]) for r in met] == [("1", "qr_static")]
    # Each hop had its own warrants; every registry look-up was logged under the case.
    stages = sorted(p.rsplit("/", 1)[-1] for p in case.folder.listdir("warrants"))
    assert stages == ["r1-identities", "r1-seeds", "r2-identities", "r2-seeds"]
    registry.close()


def test_a_case_without_a_wallet_from_its_interview_and_the_venues_view(
    town: Town, escrow_world: World, tmp_path: Path
) -> None:
    registry = _client(town)
    case = new_case(escrow_world, tmp_path / "interview", case_id="JJ-2024-019")
    case = Case.load(case.folder.path, PASS, who="Kim", registry=registry)
    venue = town.venues[2]
    stays = case.visits_from_interview([(venue.did, SMS_IN, SMS_IN + 5400)], now=NOW)
    assert [(s.venue, s.source, s.visit_id) for s in stays] == [(venue.did, "interview", "")]
    contacts = case.find_contacts(1, now=NOW)
    found = _found(contacts)
    assert found == _brute_force(town, case.stays(1), set())
    own = next(v.visit_id for v in town.visits if v.phone == SMS_CASE)
    assert own in found  # the case's own record is among the contacts: nothing marks it
    case.draft_identities(1, now=NOW)
    assert _open(case, escrow_world, "r1-identities") == len(found)
    truth = {v.visit_id: v for v in town.visits}
    idents = {i.visit_id: i for i in case.identities(1)}
    assert idents[own].phone == SMS_CASE
    assert idents[own].channel == "sms"
    assert {(i.phone, i.name) for i in idents.values()} == {
        (truth[v].phone, truth[v].name) for v in found
    }
    out = write_outputs(case, tmp_path / "exports", now=NOW, png=False)
    assert "가게 2 (Venue 2)" in out["report_html"].read_text(encoding="utf-8")

    # The venue's view: which of its records were requested, under which case, when.
    with _venue_client(town, 2) as operator:
        seen = [r for r in operator.venue_requests(venue.did) if r["case_id"] == "JJ-2024-019"]
        with pytest.raises(RegistryRefused, match="notPermitted"):
            operator.venue_requests(town.venues[0].did)
    assert {v for r in seen for v in r["visit_ids"]} == set(found)
    assert {r["kind"] for r in seen} == {"contacts", "records"}
    for r in seen:
        assert set(r) == {"seq", "time", "case_id", "kind", "visit_ids"}  # never who, or whom
        assert r["time"] == NOW
    # Another venue saw none of this case's requests.
    with _venue_client(town, 5) as other:
        assert [r for r in other.venue_requests(town.venues[5].did)
                if r["case_id"] == "JJ-2024-019"] == []  # fmt: skip
    registry.close()
