"""Warrants for exactly a case's records, against the real 3-of-5 ceremony: drafting,
refusing k−1 approvals, merging approvals from separate copies, collecting share batches,
naming a custodian that returns a bad share, and decoding identities of every channel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import investigator._warrants as stages
from did import Ed25519PrivateKey, cbor
from escrow import ShareBatch, UnsealRequest, Warrant
from escrow._custodian import SHARES_CONTEXT  # to sign a wrong batch as its custodian
from investigator import Case, decode_identity, label_of
from investigator.errors import (
    IdentityRefused,
    ShareBatchRefused,
    StepOutOfOrder,
    UnsealIncomplete,
    WarrantRefused,
)
from protocol import Channel
from tests.escrow.support import World
from tests.investigator.support import (
    DAY0,
    ISSUER_DID,
    NOW,
    PASS,
    Made,
    approve_by,
    make_record,
    new_case,
    shares_by,
)

VENUE = "did:web:registry.example:venues:hall-1"
T0 = DAY0 * 86400 + 11 * 3600


@pytest.fixture
def venue_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _records(world: World, key: Ed25519PrivateKey) -> list:  # type: ignore[type-arg]
    d = world.directory
    return [
        make_record(d, key, VENUE, T0, T0 + 3600, phone="+821011110001", name="김민수"),
        make_record(d, key, VENUE, T0 + 60, None, phone="+821011110002", channel=Channel.SMS),
        make_record(d, key, VENUE, T0 + 120, None, phone="+821011110003", channel=Channel.CALL),
        make_record(
            d,
            key,
            VENUE,
            T0 + 180,
            T0 + 1800,
            phone="+821011110004",
            name='=HYPERLINK("http://x","click")',
            channel=Channel.ASSISTED,
        ),
        make_record(d, key, VENUE, T0 + 240, None, phone="+821011110005", channel=Channel.QR_KIOSK),
    ]


def _draft(case: Case, made: list) -> Warrant:  # type: ignore[type-arg]
    return stages.draft(
        case.folder,
        "r1-identities",
        stages.visit_items([m.record for m in made]),
        now=NOW,
        who="t",
    )


def _files(case: Case) -> Path:
    return case.folder.file("warrants/r1-identities")


def test_a_warrant_with_k_minus_1_approvals_is_refused_and_logged(
    escrow_world: World, tmp_path: Path, venue_key: Ed25519PrivateKey
) -> None:
    case = new_case(escrow_world, tmp_path / "case")
    made = _records(escrow_world, venue_key)
    warrant = _draft(case, made)
    # The scope is exactly the records' envelope ids: nothing else can be opened with it.
    assert warrant.scope.records == {bytes.fromhex(m.record.envelope_id) for m in made}
    assert not warrant.scope.venues
    assert not warrant.scope.credentials
    copies = approve_by(escrow_world, warrant.to_bytes(), range(2))
    with pytest.raises(WarrantRefused, match="warrantQuorum"):
        case.approve("r1-identities", copies, now=NOW)
    last = case.folder.entries()[-1]
    assert last.step == "warrant-refused"
    assert last.what["approvals"] == 2
    assert not (_files(case) / "approved.warrant").exists()
    with pytest.raises(StepOutOfOrder):
        case.collect("r1-identities", b"", now=NOW)


def test_a_copy_of_another_warrant_is_refused(
    escrow_world: World, tmp_path: Path, venue_key: Ed25519PrivateKey
) -> None:
    case = new_case(escrow_world, tmp_path / "case")
    made = _records(escrow_world, venue_key)
    warrant = _draft(case, made)
    other = Warrant.create(
        case_id="other",
        purpose="x",
        investigator=warrant.investigator,
        scope=warrant.scope,
        issued=NOW,
        expires=NOW + 3600,
    )
    copies = approve_by(escrow_world, other.to_bytes(), range(3))
    with pytest.raises(WarrantRefused, match="another warrant"):
        case.approve("r1-identities", copies, now=NOW)


def test_unseal_opens_every_channel_and_names_the_custodian_with_a_bad_share(
    escrow_world: World, tmp_path: Path, venue_key: Ed25519PrivateKey
) -> None:
    case = new_case(escrow_world, tmp_path / "case")
    made = _records(escrow_world, venue_key)
    warrant = _draft(case, made)
    # Three custodians approve their own copies; the case merges them.
    copies = approve_by(escrow_world, warrant.to_bytes(), range(3))
    approved = case.approve("r1-identities", copies, now=NOW)
    assert len(approved.approvals) == 3
    # A crash here: the case is read back from disk and goes on.
    case = Case.load(case.folder.path, PASS, who="t")
    request = (_files(case) / "request.cbor").read_bytes()
    batches = shares_by(escrow_world, approved.to_bytes(), request, range(4))
    # Custodian 2 answers records 0 and 1 with each other's shares: valid points, signed
    # by the custodian, wrong for their envelopes.
    good = batches[1]
    bad_body = _swap_first_two(escrow_world, good)
    with pytest.raises(StepOutOfOrder):
        stages.open_stage(case.folder, "r1-identities", case.directory, now=NOW, who="t")
    for batch in (batches[0], bad_body, batches[2], batches[3]):
        case.collect("r1-identities", batch.to_bytes(), now=NOW)
    opened = stages.open_stage(
        case.folder, "r1-identities", case.directory, now=NOW, who="t", processes=2
    )
    assert len(opened) == len(made)
    bad = [e for e in case.folder.entries() if e.step == "bad-shares"]
    assert [c["index"] for c in bad[0].what["custodians"]] == [good.index]
    assert bad[0].what["custodians"][0]["did"] == escrow_world.stores[1].did
    by_visit = {m.record.visit_id: m for m in made}
    for item, plain in opened:
        m = by_visit[item["visit_id"]]
        ident = decode_identity(
            plain,
            envelope_id=item["envelope_id"],
            visit_id=item["visit_id"],
            channel=m.record.visit.channel.name.lower(),
            trusted_issuers=[ISSUER_DID],
            label=label_of(m.record.visit).to_bytes(),
            time_in=m.record.visit.time_in,
        )
        assert (ident.phone, ident.name, ident.credential_id) == (m.phone, m.name, m.credential_id)
        wallet = m.record.visit.channel.wallet
        assert ("holder-signature" in ident.checks) == wallet
        assert m.phone not in repr(ident)


def _swap_first_two(world: World, batch: ShareBatch) -> ShareBatch:
    # The custodian signs its own (wrong) batch: the signature is good, the shares are not.
    body = cbor.decode(batch.body)
    shares = body["shares"]
    shares[0][1], shares[1][1] = shares[1][1], shares[0][1]
    raw = cbor.encode(body)
    store = world.stores[batch.index - 1]
    return ShareBatch.from_bytes(
        cbor.encode({"body": raw, "sig": store.key.sign(SHARES_CONTEXT + raw)})
    )


def test_too_few_good_shares_leave_the_stage_unopened(
    escrow_world: World, tmp_path: Path, venue_key: Ed25519PrivateKey
) -> None:
    case = new_case(escrow_world, tmp_path / "case")
    made = _records(escrow_world, venue_key)[:2]
    warrant = _draft(case, made)
    approved = case.approve(
        "r1-identities", approve_by(escrow_world, warrant.to_bytes(), range(3)), now=NOW
    )
    request = (_files(case) / "request.cbor").read_bytes()
    b = shares_by(escrow_world, approved.to_bytes(), request, range(3))
    forged = _swap_first_two(escrow_world, b[0])
    for batch in (forged, b[1], b[2]):
        case.collect("r1-identities", batch.to_bytes(), now=NOW)
    with pytest.raises(UnsealIncomplete) as info:
        stages.open_stage(case.folder, "r1-identities", case.directory, now=NOW, who="t")
    assert set(info.value.envelope_ids) == {m.record.envelope_id for m in made}
    assert escrow_world.stores[0].did in info.value.bad_custodians
    assert not (_files(case) / "result.enc").exists()


def test_a_batch_for_another_warrant_or_with_a_bad_signature_is_refused(
    escrow_world: World, tmp_path: Path, venue_key: Ed25519PrivateKey
) -> None:
    case = new_case(escrow_world, tmp_path / "case")
    made = _records(escrow_world, venue_key)[:1]
    warrant = _draft(case, made)
    approved = case.approve(
        "r1-identities", approve_by(escrow_world, warrant.to_bytes(), range(3)), now=NOW
    )
    other_case = new_case(escrow_world, tmp_path / "other", case_id="JJ-2024-099")
    other = stages.draft(
        other_case.folder, "r1-identities", stages.visit_items([made[0].record]), now=NOW, who="t"
    )
    other_ok = other_case.approve(
        "r1-identities", approve_by(escrow_world, other.to_bytes(), range(3)), now=NOW
    )
    other_req = (other_case.folder.file("warrants/r1-identities") / "request.cbor").read_bytes()
    foreign = shares_by(escrow_world, other_ok.to_bytes(), other_req, range(1))[0]
    with pytest.raises(ShareBatchRefused, match="another warrant"):
        case.collect("r1-identities", foreign.to_bytes(), now=NOW)
    request = (_files(case) / "request.cbor").read_bytes()
    mine = shares_by(escrow_world, approved.to_bytes(), request, range(1))[0]
    tampered = ShareBatch.from_bytes(mine.to_bytes())
    raw = cbor.encode({"body": tampered.body, "sig": bytes(64)})
    with pytest.raises(ShareBatchRefused):
        case.collect("r1-identities", raw, now=NOW)
    assert UnsealRequest.from_bytes(request).warrant_id == warrant.warrant_id


def test_an_identity_from_an_untrusted_issuer_moved_or_of_another_channel_is_refused(
    escrow_world: World, tmp_path: Path, venue_key: Ed25519PrivateKey
) -> None:
    d = escrow_world.directory
    rogue = make_record(
        d, venue_key, VENUE, T0, None, phone="+821099990000", issuer=Ed25519PrivateKey.generate()
    )
    moved = make_record(d, venue_key, VENUE, T0, None, phone="+821099990002", moved=True)
    sms = make_record(d, venue_key, VENUE, T0, None, phone="+821099990001", channel=Channel.SMS)
    case = new_case(escrow_world, tmp_path / "case")
    warrant = _draft(case, [rogue, moved, sms])
    approved = case.approve(
        "r1-identities", approve_by(escrow_world, warrant.to_bytes(), range(3)), now=NOW
    )
    request = (_files(case) / "request.cbor").read_bytes()
    for batch in shares_by(escrow_world, approved.to_bytes(), request, range(3)):
        case.collect("r1-identities", batch.to_bytes(), now=NOW)
    opened = stages.open_stage(
        case.folder, "r1-identities", case.directory, now=NOW, who="t", processes=1
    )
    plain = {item["visit_id"]: p for item, p in opened}

    def decode(made: Made, channel: str) -> object:
        return decode_identity(
            plain[made.record.visit_id],
            envelope_id="",
            visit_id="",
            channel=channel,
            trusted_issuers=[ISSUER_DID],
            label=label_of(made.record.visit).to_bytes(),
            time_in=made.record.visit.time_in,
        )

    with pytest.raises(IdentityRefused, match="wrongIssuer"):
        decode(rogue, "qr_static")
    with pytest.raises(IdentityRefused, match="badHolderSignature"):
        decode(moved, "qr_static")
    with pytest.raises(IdentityRefused, match="another channel"):
        decode(sms, "call")
    with pytest.raises(IdentityRefused, match="gateway channel"):
        decode(moved, "sms")
    assert json.loads((_files(case) / "items.json").read_text())[0]["kind"] == "visit"


def test_the_approvers_become_the_folding_quorum_and_a_stand_in_answers_for_a_missing_one(
    escrow_world: World, tmp_path: Path, venue_key: Ed25519PrivateKey
) -> None:
    case = new_case(escrow_world, tmp_path / "case")
    d = escrow_world.directory
    # Enough records that the request is over did.cbor's default 64 KiB decoding bound.
    made = [
        make_record(d, venue_key, VENUE, T0 + i, None, phone=f"+8210{i:08d}", channel=Channel.SMS)
        for i in range(150)
    ]
    _draft(case, made)
    assert UnsealRequest.from_bytes((_files(case) / "request.cbor").read_bytes()).quorum == ()
    draft = (_files(case) / "draft.warrant").read_bytes()
    approved = case.approve("r1-identities", approve_by(escrow_world, draft, range(1, 4)), now=NOW)
    raw = (_files(case) / "request.cbor").read_bytes()
    assert len(raw) > 64 * 1024
    request = UnsealRequest.from_bytes(raw)
    assert request.quorum == (2, 3, 4)
    assert [(m.record.envelope_id, m.record.visit_id) for m in made] == [
        (e.envelope_id, m.record.visit_id) for (e, _), m in zip(request.items, made, strict=True)
    ]
    assert case.folder.entries()[-2].what == {"warrant": "r1-identities", "quorum": [2, 3, 4]}
    # Custodian 4 of the quorum never answers; custodian 1 (plain shares) stands in.
    for b in shares_by(escrow_world, approved.to_bytes(), raw, range(3)):
        case.collect("r1-identities", b.to_bytes(), now=NOW)
    opened = stages.open_stage(
        case.folder, "r1-identities", case.directory, now=NOW, who="t", processes=1
    )
    assert len(opened) == len(made)
    for (item, plain), m in zip(opened, made, strict=True):
        ident = decode_identity(
            plain, envelope_id=item["envelope_id"], visit_id=item["visit_id"], channel="sms",
            trusted_issuers=[ISSUER_DID], label=label_of(m.record.visit).to_bytes(),
            time_in=m.record.visit.time_in,
        )  # fmt: skip
        assert (ident.visit_id, ident.phone) == (m.record.visit_id, m.phone)
    assert not [e for e in case.folder.entries() if e.step == "bad-shares"]


def test_approving_without_folding_leaves_the_request_plain(
    escrow_world: World, tmp_path: Path, venue_key: Ed25519PrivateKey
) -> None:
    case = new_case(escrow_world, tmp_path / "case")
    _draft(case, _records(escrow_world, venue_key))
    draft = (_files(case) / "draft.warrant").read_bytes()
    case.approve("r1-identities", approve_by(escrow_world, draft, range(3)), now=NOW, fold=False)
    assert UnsealRequest.from_bytes((_files(case) / "request.cbor").read_bytes()).quorum == ()
