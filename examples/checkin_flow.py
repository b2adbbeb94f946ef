"""A day at one restaurant, end to end: key ceremony, check-ins, a warrant, unsealing.

Five custodians hold a 3-of-5 escrow key for today; two visitors check in (one scans the
static poster, one the kiosk's rotating code), a third person texts the venue's number;
the venue validates each check-in without learning who anyone is. Later a case is
confirmed: three custodians approve a warrant for the records and the investigator unseals
exactly those identities. Two custodians alone cannot.

Run with ``make demo`` (after the quick start) or ``python examples/checkin_flow.py``.
Everything runs in one process and a temporary folder.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from did import KDF_INTERACTIVE, Ed25519PrivateKey, day_of, did_from_public_key
from escrow import (
    Envelope,
    Roster,
    ShareStore,
    UnsealRequest,
    VisitLabel,
    Warrant,
    WarrantScope,
    answer_warrant,
    deal,
    finalize,
    publish,
    unseal,
)
from protocol import (
    CompactPersonCredential,
    GatewayPlaintext,
    HealthDeclaration,
    IdentityPlaintext,
    QrKind,
    SealedVisit,
    VenueCode,
    issue_person_credential,
    open_plaintext,
    to_qr_text,
)
from verifier import (
    MemoryReplayStore,
    VenueContext,
    VisitBook,
    seal_sms_checkin,
    validate_checkin,
)
from wallet import Wallet

DAY = 86400
VENUE = "did:web:registry.example:venues:jeju-noodles"
PASSPHRASE = "correct horse battery staple"  # a demo passphrase, not a secret


def step(text: str) -> None:
    print(f"\n== {text}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="anshim-demo-") as folder:
        run(Path(folder))


def run(tmp: Path) -> None:
    """The whole flow, with every key store and wallet in ``tmp``."""
    now = int(time.time())
    today = day_of(now)

    step("Key ceremony: 5 custodians, threshold 3, keys for today and tomorrow")
    stores = [
        ShareStore.create(tmp / f"custodian{i}.store", PASSPHRASE, kdf=KDF_INTERACTIVE)
        for i in range(5)
    ]
    roster = Roster.new([s.did for s in stores], 3, first_epoch=today, epochs=2)
    deals = [deal(roster, s.key) for s in stores]
    signatures = [finalize(roster, deals, s, PASSPHRASE) for s in stores]
    directory = publish(roster, signatures)
    print(f"epoch-key directory: {len(directory)} epochs, signed by {len(signatures)} custodians")

    step("Registry, identity issuer, venue")
    registry = Ed25519PrivateKey.generate()
    issuer = Ed25519PrivateKey.generate()
    issuer_did = did_from_public_key(issuer.public_key)
    venue = VenueContext.create(VENUE, Ed25519PrivateKey.generate(), category="restaurant")
    poster = VenueCode(
        venue=VENUE, name="Jeju Noodles", category="restaurant", issued=now, expires=now + 90 * DAY
    ).sign(registry)
    print(f"venue {VENUE}; poster QR: {to_qr_text(QrKind.VENUE_CODE, poster)[:40]}…")

    step("Two visitors enrol their wallets with a verified phone number")
    wallets = []
    for n, phone in enumerate(["+821011112222", "+821033334444"]):
        w = Wallet.create(
            tmp / f"wallet{n}",
            PASSPHRASE,
            registry_key=registry.public_key,
            custodians=[s.did for s in stores],
            threshold=3,
            kdf=KDF_INTERACTIVE,
        )
        credential = issue_person_credential(
            issuer,
            issuer_did,
            w.holder_did,
            phone,
            valid_from=now - DAY,
            valid_until=now + 365 * DAY,
        )
        w.enroll(credential, trusted_issuers=[issuer_did], now=now)
        w.set_epoch_keys(directory.to_bytes(), now=now)
        wallets.append(w)
        print(f"wallet {n}: holder {w.holder_did[:30]}… (known only to the wallet and issuer)")

    step("Check-ins: the venue sees pseudonyms, never identities")
    replay, visits, records = MemoryReplayStore(), VisitBook(), []
    no_symptoms = HealthDeclaration(False, False)
    alice, bob = wallets
    message = alice.check_in(alice.scan(to_qr_text(QrKind.VENUE_CODE, poster), now=now),
                             declaration=no_symptoms, now=now)  # fmt: skip
    kiosk = to_qr_text(QrKind.CHALLENGE, venue.issue_challenge(now=now + 60))
    scanned = bob.scan(kiosk, now=now + 62, venue_keys=lambda did: venue.key.public_key)
    messages = [
        (message, now),
        (bob.check_in(scanned, declaration=no_symptoms, now=now + 65), now + 65),
    ]
    for data, at in messages:
        started = time.perf_counter()
        admission = validate_checkin(
            data, venue=venue, now=at, replay=replay, epoch_keys=directory, visits=visits
        )
        took = (time.perf_counter() - started) * 1e6
        records.append(admission.record)
        print(f"admitted {admission.record.pseudonym[:28]}… ({len(data)} bytes, {took:.0f} µs)")
    records.append(seal_sms_checkin("+821055556666", venue, now=now + 120, epoch_keys=directory))
    print("SMS check-in sealed at once; the number is not stored in plaintext")
    uploaded = [SealedVisit.verify(venue.sign_record(r), venue.key.public_key, now=now + 180)
                for r in records]  # fmt: skip

    step("A confirmed case: 3 of 5 custodians approve a warrant for these records")
    warrant = Warrant.create(
        case_id="case-0001",
        purpose="contact tracing",
        investigator="did:web:kdca.example:investigators:lee",
        scope=WarrantScope(
            records=frozenset(
                bytes.fromhex(Envelope.from_bytes(r.envelope).envelope_id) for r in uploaded
            )
        ),
        issued=now + DAY,
        expires=now + 8 * DAY,
    )
    for store in stores[:3]:
        warrant = warrant.approve(store.key, store.did, now=now + DAY)
    request = UnsealRequest(
        warrant.warrant_id,
        tuple(
            (Envelope.from_bytes(r.envelope), VisitLabel(r.venue, r.day, r.pseudonym, r.time_in))
            for r in uploaded
        ),
    )
    batches = [
        answer_warrant(warrant, request, store=s, directory=directory, now=now + DAY)
        for s in stores[1:4]
    ]
    for outcome in unseal(request, batches, directory):
        opened = open_plaintext(outcome.plaintext())
        if isinstance(opened, GatewayPlaintext):
            print(f"unsealed {opened.channel.name} visitor: {opened.phone}")
        else:
            assert isinstance(opened, IdentityPlaintext)
            compact = CompactPersonCredential.from_cbor(opened.compact)
            compact.verify(issuer.public_key, issuer_did=issuer_did, now=now)
            print(f"unsealed wallet visitor: {compact.phone} (issuer signature verified)")

    step("Two custodians alone cannot open anything")
    refused = [o.error.code for o in unseal(request, batches[:2], directory) if o.error]
    print(f"{len(refused)} records refused: {sorted(set(refused))}")


if __name__ == "__main__":
    main()
