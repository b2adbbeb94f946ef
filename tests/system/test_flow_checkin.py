"""The whole check-in flow in one process (issue 5 "Tests that must exist"): a registry key,
a did:web venue resolved through an in-memory transport, an identity issuer, a real 3-of-5
key ceremony, two wallets, check-ins in all three modes plus SMS and assisted entry, receipts
kept by the wallets, and custodians unsealing a check-in back to the exact identity
credential the issuer signed (and refusing what a warrant does not allow). The venue's
records are opened by a venue and time-window warrant, so the custodians' own scope check
runs on real check-ins; the holder-shown record, whose label names no venue, by record id."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

import tests.verifier.support as sup
from did import (
    KDF_TEST,
    Ed25519PrivateKey,
    Ed25519PublicKey,
    InMemoryTransport,
    Resolver,
    did_from_public_key,
    did_web_document,
    did_web_to_url,
)
from did.errors import InputError
from escrow import (
    HOLDER_SHOWN_VENUE,
    Envelope,
    EpochKeyDirectory,
    Roster,
    ShareStore,
    UnsealRequest,
    VenueScope,
    VisitLabel,
    Warrant,
    WarrantScope,
    answer_warrant,
    deal,
    finalize,
    publish,
    unseal,
)
from escrow.errors import EnvelopeProofFailed, NotEnoughShares, ScopeError, WarrantError
from protocol import (
    Channel,
    CompactPersonCredential,
    GatewayPlaintext,
    HealthDeclaration,
    IdentityPlaintext,
    QrKind,
    SealedVisit,
    VenueCode,
    issue_person_credential,
    open_plaintext,
    parse_qr_text,
    to_qr_text,
)
from protocol.errors import DeclaredSymptoms
from verifier import (
    MemoryReplayStore,
    VenueContext,
    VisitBook,
    seal_assisted_entry,
    seal_sms_checkin,
    validate_checkin,
    validate_checkout,
)
from wallet import Wallet

NOW = sup.NOW
DAY = sup.DAY
PASS = "custodian passphrase"
ISSUER = Ed25519PrivateKey.generate()
ISSUER_DID = did_from_public_key(ISSUER.public_key)
AUTHORITY = "did:web:kdca.example"
#: The investigation window at the venue, and the category's maximum stay a visit may
#: begin before the window's start and still overlap it (DESIGN.md "Decryption share").
WINDOW = (NOW + 1800, NOW + 6 * 3600)
MAX_STAY = 2 * 3600
VENUE_SCOPE = WarrantScope(venues=(VenueScope(sup.VENUE, MAX_STAY, (WINDOW,)),))


@dataclasses.dataclass
class World:
    registry: Ed25519PrivateKey
    resolver: Resolver
    venue: VenueContext
    stores: list[ShareStore]
    directory: EpochKeyDirectory
    wallets: list[Wallet]
    phones: list[str]


def _ceremony(tmp: Path) -> tuple[list[ShareStore], EpochKeyDirectory]:
    stores = [ShareStore.create(tmp / f"c{i}.store", PASS, kdf=KDF_TEST) for i in range(5)]
    roster = Roster.new([s.did for s in stores], 3, first_epoch=sup.FIRST_EPOCH, epochs=2)
    deals = [deal(roster, s.key) for s in stores]
    signatures = [finalize(roster, deals, s, PASS) for s in stores]
    return stores, publish(roster, signatures)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    tmp = tmp_path_factory.mktemp("flow")
    registry = Ed25519PrivateKey.generate()
    venue_key = Ed25519PrivateKey.generate()
    # The registry hosts the venue's did:web document.
    document = did_web_document(sup.VENUE, signing_key=venue_key.public_key)
    transport = InMemoryTransport({did_web_to_url(sup.VENUE): document.to_json_bytes()})
    resolver = Resolver(transport=transport)
    stores, directory = _ceremony(tmp)
    wallets, phones = [], ["+821011112222", "+821033334444"]
    for n, phone in enumerate(phones):
        w = Wallet.create(
            tmp / f"w{n}.wallet",
            "wallet passphrase",
            registry_key=registry.public_key,
            custodians=[s.did for s in stores],
            threshold=3,
            kdf=KDF_TEST,
        )
        credential = issue_person_credential(
            ISSUER,
            ISSUER_DID,
            w.holder_did,
            phone,
            name=f"Holder {n}",
            valid_from=NOW - DAY,
            valid_until=NOW + 365 * DAY,
        )
        w.enroll(credential, trusted_issuers=[ISSUER_DID], now=NOW)
        w.set_epoch_keys(directory.to_bytes(), now=NOW)
        wallets.append(w)
    venue = VenueContext.create(sup.VENUE, venue_key, category="restaurant")
    return World(registry, resolver, venue, stores, directory, wallets, phones)


def _venue_key(resolver: Resolver) -> Callable[[str], Ed25519PublicKey | None]:
    def lookup(did: str) -> Ed25519PublicKey | None:
        key = resolver.resolve_document(did).methods_for("assertionMethod")[0].public_key()
        return key if isinstance(key, Ed25519PublicKey) else None

    return lookup


def _label(record: SealedVisit) -> VisitLabel:
    # Custodians recompute the label from the stored record; a holder-shown envelope names
    # the wallet's placeholder venue (the wallet could not know the venue when sealing).
    venue = HOLDER_SHOWN_VENUE if record.channel is Channel.HOLDER_SHOWN else record.venue
    return VisitLabel(venue, record.day, record.pseudonym, record.time_in)


def _by_id(records: list[SealedVisit]) -> WarrantScope:
    ids = frozenset(Envelope.from_bytes(r.envelope).envelope_id for r in records)
    return WarrantScope(records=frozenset(bytes.fromhex(i) for i in ids))


def _warrant(w: World, records: list[SealedVisit], approvers: int = 3) -> Warrant:
    return _scoped(w, _by_id(records), approvers)


def _scoped(w: World, scope: WarrantScope, approvers: int = 3) -> Warrant:
    warrant = Warrant.create(
        case_id="case-2024-017",
        purpose="contact tracing",
        investigator="did:key:z6MkInvestigator",
        scope=scope,
        issued=NOW,
        expires=NOW + 7 * DAY,
    )
    for store in w.stores[:approvers]:
        warrant = warrant.approve(store.key, store.did, now=NOW)
    return warrant


def _request(warrant: Warrant, records: list[SealedVisit]) -> UnsealRequest:
    items = tuple((Envelope.from_bytes(r.envelope), _label(r)) for r in records)
    return UnsealRequest(warrant.warrant_id, items)


def test_whole_flow(world: World) -> None:
    w, venue = world, world.venue
    replay, visits = MemoryReplayStore(), VisitBook()
    lookup = _venue_key(w.resolver)
    uploaded: list[bytes] = []

    def admit(message: bytes, now: int) -> bytes:
        admission = validate_checkin(
            message, venue=venue, now=now, replay=replay, epoch_keys=w.directory, visits=visits
        )
        uploaded.append(venue.sign_record(admission.record))
        return admission.receipt

    # 1. Static poster: signed by the registry, verified offline on the phone.
    poster = VenueCode(
        venue=sup.VENUE,
        name="Jeju Noodles",
        category="restaurant",
        issued=NOW - DAY,
        expires=NOW + 365 * DAY,
    ).sign(w.registry)
    alice, bob = w.wallets
    scanned = alice.scan(to_qr_text(QrKind.VENUE_CODE, poster), now=NOW)
    message = alice.check_in(scanned, declaration=HealthDeclaration(False, False), now=NOW)
    visit = alice.accept_receipt(admit(message, NOW), venue_key=lookup, now=NOW)
    assert visit.venue == sup.VENUE

    # 2. Kiosk challenge: signed by the venue key, resolved from its did:web document.
    kiosk = to_qr_text(QrKind.CHALLENGE, venue.issue_challenge(now=NOW + 100))
    scanned_kiosk = bob.scan(kiosk, now=NOW + 105, venue_keys=lookup)
    message = bob.check_in(
        scanned_kiosk, declaration=HealthDeclaration(False, False), now=NOW + 110
    )
    bob.accept_receipt(admit(message, NOW + 110), venue_key=lookup, now=NOW + 110)

    # 3. Holder-shown: the phone shows a 30-second code, the venue's scanner posts it.
    shown = alice.holder_shown_check_in(declaration=HealthDeclaration(False, False), now=NOW + 200)
    _, shown_message = parse_qr_text(shown, accept=(QrKind.HOLDER_CHECKIN,))
    receipt = admit(shown_message, NOW + 205)
    assert alice.accept_receipt(receipt, venue_key=lookup, now=NOW + 205).venue == sup.VENUE

    # A refused entry: the wallet declares symptoms; no receipt, no record.
    sick = bob.check_in(scanned, declaration=HealthDeclaration(False, True), now=NOW + 300)
    with pytest.raises(DeclaredSymptoms):
        admit(sick, NOW + 300)

    # Check-out of the poster visit: same pairwise pseudonym, same day.
    departure = validate_checkout(
        alice.check_out(scanned, now=NOW + 3000),
        venue=venue,
        now=NOW + 3000,
        replay=replay,
        visits=visits,
    )
    alice.accept_receipt(departure.receipt, venue_key=lookup, now=NOW + 3000)
    uploaded.append(venue.sign_record(departure.record))
    assert departure.record.time_out == NOW + 3000

    # 4. SMS and assisted entry.
    sms = seal_sms_checkin(w.phones[1], venue, now=NOW + 400, epoch_keys=w.directory)
    assisted = seal_assisted_entry(
        "Kim Jisoo", "+821055556666", venue, now=NOW + 500, epoch_keys=w.directory
    )
    uploaded += [venue.sign_record(sms), venue.sign_record(assisted)]

    # The registry checks every record's venue signature (key from the venue's did:web).
    records = [SealedVisit.verify(data, lookup, now=NOW + 3600) for data in uploaded]
    assert [r.channel for r in records] == [
        Channel.QR_STATIC,
        Channel.QR_KIOSK,
        Channel.HOLDER_SHOWN,
        Channel.QR_STATIC,
        Channel.SMS,
        Channel.ASSISTED,
    ]
    assert records[3].visit_id == records[0].visit_id  # the check-out closes that record
    # Alice's diary: the poster visit (its check-out receipt replaces the open one) and the
    # holder-shown visit.
    diary = {v.channel: v for v in alice.visits()}
    assert set(diary) == {Channel.QR_STATIC, Channel.HOLDER_SHOWN}
    assert diary[Channel.QR_STATIC].time_out == NOW + 3000
    assert diary[Channel.QR_STATIC].visit_id == records[0].visit_id
    assert len({r.pseudonym for r in records}) == 5

    # 5. Warrants approved by 3 of 5 custodians; each answers; the records are unsealed.
    # The venue's records by venue and time window: each custodian recomputes every label
    # and checks its venue and time in against the window. The poster visit began before
    # the window's start, within the maximum stay, so it overlaps the window and is in.
    assert WINDOW[0] - MAX_STAY <= records[0].time_in < WINDOW[0]
    opened = [records[i] for i in (0, 1, 4, 5)]
    warrant = _scoped(w, VENUE_SCOPE)
    request = _request(warrant, opened)
    batches = [
        answer_warrant(warrant, request, store=s, directory=w.directory, now=NOW + DAY)
        for s in w.stores[2:5]
    ]
    plain = [o.plaintext() for o in unseal(request, batches, w.directory)]
    # The holder-shown label names the wallet's placeholder, not this venue: no venue
    # scope covers it, so it is opened by its record id under a warrant of its own.
    shown_request = _request(warrant, [records[2]])
    with pytest.raises(ScopeError):
        answer_warrant(warrant, shown_request, store=w.stores[0], directory=w.directory, now=NOW)
    shown_warrant = _warrant(w, [records[2]])
    shown_request = _request(shown_warrant, [records[2]])
    shown_batches = [
        answer_warrant(shown_warrant, shown_request, store=s, directory=w.directory, now=NOW)
        for s in w.stores[:3]
    ]
    (shown_outcome,) = unseal(shown_request, shown_batches, w.directory)

    # Wallet check-ins open back to the exact compact credential the issuer signed.
    wallet_plain = [plain[0], plain[1], shown_outcome.plaintext()]
    for data, holder in zip(wallet_plain, (alice, bob, alice), strict=True):
        identity = IdentityPlaintext.from_bytes(data)
        assert holder.credential is not None
        assert identity.compact == holder.credential.compact.cbor
        compact = CompactPersonCredential.from_cbor(identity.compact)
        compact.verify(ISSUER.public_key, issuer_did=ISSUER_DID, now=NOW)
        assert compact.phone == w.phones[0 if holder is alice else 1]
    sms_plain = open_plaintext(plain[2])
    assisted_plain = open_plaintext(plain[3])
    assert isinstance(sms_plain, GatewayPlaintext)
    assert isinstance(assisted_plain, GatewayPlaintext)
    assert (sms_plain.channel, sms_plain.phone) == (Channel.SMS, w.phones[1])
    assert (assisted_plain.name, assisted_plain.phone) == ("Kim Jisoo", "+821055556666")

    # 6. Two custodians' shares cannot open anything.
    two = unseal(request, batches[:2], w.directory)
    for outcome in two:
        assert outcome.result is None
        assert isinstance(outcome.error, NotEnoughShares)


def test_venue_warrant_refuses_a_visit_before_its_window_less_the_max_stay(world: World) -> None:
    # A real poster check-in whose time in precedes the window's start by more than the
    # maximum stay cannot overlap the window: every custodian refuses it on its own.
    alice = world.wallets[0]
    early = WINDOW[0] - MAX_STAY - 60
    poster = VenueCode(
        venue=sup.VENUE,
        name="Jeju Noodles",
        category="restaurant",
        issued=early - DAY,
        expires=early + DAY,
    ).sign(world.registry)
    scanned = alice.scan(to_qr_text(QrKind.VENUE_CODE, poster), now=early)
    message = alice.check_in(scanned, declaration=HealthDeclaration(False, False), now=early)
    admission = validate_checkin(
        message,
        venue=world.venue,
        now=early,
        replay=MemoryReplayStore(),
        epoch_keys=world.directory,
    )
    warrant = _scoped(world, VENUE_SCOPE)
    request = _request(warrant, [admission.record])
    for store in world.stores:
        with pytest.raises(ScopeError, match="outside the warrant's scope"):
            answer_warrant(warrant, request, store=store, directory=world.directory, now=NOW)
    # The same record is in scope once the window starts within its maximum stay.
    wider = WarrantScope(
        venues=(VenueScope(sup.VENUE, MAX_STAY, ((early + MAX_STAY, WINDOW[1]),)),)
    )
    widened = _scoped(world, wider)
    answer_warrant(
        widened,
        _request(widened, [admission.record]),
        store=world.stores[0],
        directory=world.directory,
        now=NOW,
    )


def test_warrant_with_two_approvals_is_refused(world: World) -> None:
    record = seal_sms_checkin(world.phones[0], world.venue, now=NOW, epoch_keys=world.directory)
    warrant = _warrant(world, [record], approvers=2)
    with pytest.raises(WarrantError):
        answer_warrant(
            warrant,
            _request(warrant, [record]),
            store=world.stores[0],
            directory=world.directory,
            now=NOW + DAY,
        )


def test_envelope_under_a_wrong_label_is_refused_by_custodians(world: World) -> None:
    # A tampered wallet seals its identity under another venue's label. The venue cannot see
    # it (DESIGN.md step 4) and admits the visit; custodians check the proof of knowledge
    # against the label recomputed from the record and refuse to answer.
    day_key = world.directory.get_key(sup.FIRST_EPOCH)
    env = sup.envelope(
        label_venue=sup.OTHER_VENUE,
        pseudonym=sup.pseudonym_did_of(sup.VENUE),
        epoch_key=day_key,
    )
    admission = validate_checkin(
        sup.checkin(env=env),
        venue=dataclasses.replace(world.venue, key=sup.VENUE_KEY),
        now=NOW,
        replay=MemoryReplayStore(),
        epoch_keys=world.directory,
    )
    warrant = _warrant(world, [admission.record])
    with pytest.raises(EnvelopeProofFailed):
        answer_warrant(
            warrant,
            _request(warrant, [admission.record]),
            store=world.stores[0],
            directory=world.directory,
            now=NOW + DAY,
        )


def test_venue_zone_must_match_the_directory(world: World) -> None:
    kst = dataclasses.replace(world.venue, tz_offset=9 * 3600)
    with pytest.raises(InputError):
        seal_sms_checkin(world.phones[0], kst, now=NOW, epoch_keys=world.directory)
    with pytest.raises(InputError):
        validate_checkin(
            sup.checkin(),
            venue=kst,
            now=NOW,
            replay=MemoryReplayStore(),
            epoch_keys=world.directory,
        )
