"""Real sealed records for the investigator's tests: venue-signed SealedVisits whose
envelopes are sealed to the session's 3-of-5 epoch keys (tests/escrow/support.py), holding
wallet identities signed by a real issuer or gateway plaintexts (SMS, call, assisted)."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from did import KDF_TEST, Ed25519PrivateKey, did_from_public_key
from escrow import (
    HOLDER_SHOWN_VENUE,
    EpochKeyDirectory,
    ShareBatch,
    UnsealRequest,
    VisitLabel,
    Warrant,
    answer_warrant,
    seal,
)
from investigator import Case, CaseRecord, Record
from protocol import (
    ENVELOPE_PAD_TO,
    Channel,
    GatewayPlaintext,
    HealthDeclaration,
    IdentityPlaintext,
    SealedVisit,
    issue_person_credential,
)
from tests.escrow.support import FIRST_EPOCH, World

DAY = 86400
DAY0 = FIRST_EPOCH
NOW = DAY0 * DAY + 20 * 3600
ISSUER = Ed25519PrivateKey.generate()
ISSUER_DID = did_from_public_key(ISSUER.public_key)
INVESTIGATOR = did_from_public_key(Ed25519PrivateKey.generate().public_key)
AUTHORITY = "did:web:kdca.example"
PASS = "case passphrase"


@dataclass(frozen=True)
class Made:
    """A record and who is inside it (what the test expects unsealing to give)."""

    record: Record
    phone: str
    name: str | None
    credential_id: str


def make_record(
    directory: EpochKeyDirectory,
    venue_key: Ed25519PrivateKey,
    venue: str,
    time_in: int,
    time_out: int | None,
    *,
    phone: str,
    name: str | None = None,
    channel: Channel = Channel.QR_STATIC,
    issuer: Ed25519PrivateKey = ISSUER,
    holder_key: Ed25519PrivateKey | None = None,
    moved: bool = False,
) -> Made:
    """A signed record at ``venue`` with its envelope sealed to the day's epoch key.

    ``moved``: the holder's signature is over another visit's label (an identity plaintext
    moved from another check-in)."""
    day = time_in // DAY
    pseudonym = did_from_public_key(Ed25519PrivateKey.generate().public_key)
    credential_id = ""
    label = VisitLabel(
        HOLDER_SHOWN_VENUE if channel is Channel.HOLDER_SHOWN else venue, day, pseudonym, time_in
    )
    if channel.wallet:
        holder_key = holder_key or Ed25519PrivateKey.generate()
        holder = did_from_public_key(holder_key.public_key)
        cred = issue_person_credential(
            issuer,
            did_from_public_key(issuer.public_key),
            holder,
            phone,
            name=name,
            valid_from=time_in - 30 * DAY,
            valid_until=time_in + 365 * DAY,
        )
        credential_id = cred.credential_id
        plaintext = IdentityPlaintext.new(
            cred.compact.cbor,
            holder_key=holder_key,
            label=dataclasses.replace(label, time_in=time_in + 1).to_bytes()
            if moved
            else label.to_bytes(),
        ).to_bytes()
    else:
        plaintext = GatewayPlaintext(channel, phone, name, os.urandom(16)).to_bytes()
    envelope = seal(directory.get_key(day), label, plaintext, pad_to=ENVELOPE_PAD_TO).to_bytes()
    visit = SealedVisit(
        visit_id=os.urandom(16),
        venue=venue,
        day=day,
        time_in=time_in,
        time_out=time_out,
        pseudonym=pseudonym,
        locator=os.urandom(16) if channel.wallet else None,
        channel=channel,
        declaration=HealthDeclaration(False, False) if channel.wallet else None,
        envelope=envelope,
        receipt_hash=os.urandom(32) if channel.wallet else None,
    )
    record = Record.from_message(visit.sign(venue_key))
    return Made(record, phone, name, credential_id)


def new_case(world: World, path: object, **overrides: object) -> Case:
    """A fresh case over the first epoch of the escrow world, with a fast KDF."""
    fields: dict[str, object] = {
        "case_id": "JJ-2024-017",
        "investigator": INVESTIGATOR,
        "authority": AUTHORITY,
        "window_start": DAY0 * DAY,
        "window_end": (DAY0 + 2) * DAY,
        "onset": DAY0 * DAY,
        "trusted_issuers": (ISSUER_DID,),
    }
    fields.update(overrides)
    return Case.create(
        path,  # type: ignore[arg-type]
        CaseRecord(**fields),  # type: ignore[arg-type]
        PASS,
        directory=world.directory.to_bytes(),
        custodians=list(world.directory.custodians),
        now=NOW,
        who="test investigator",
        kdf=KDF_TEST,
    )


def approve_by(world: World, draft: bytes, custodians: range, *, now: int = NOW) -> list[bytes]:
    """Each custodian of ``custodians`` approves its own copy of the draft (as files)."""
    warrant = Warrant.from_bytes(draft)
    return [
        warrant.approve(world.stores[i].key, world.stores[i].did, now=now).to_bytes()
        for i in custodians
    ]


def shares_by(
    world: World, approved: bytes, request: bytes, custodians: range, *, now: int = NOW
) -> list[ShareBatch]:
    """Each custodian's answer to the request (as ``anshim escrow share`` makes it)."""
    warrant = Warrant.from_bytes(approved)
    req = UnsealRequest.from_bytes(request)
    return [
        answer_warrant(warrant, req, store=world.stores[i], directory=world.directory, now=now)
        for i in custodians
    ]
