"""SMS/call check-in and assisted entry (sealed at once, never kept in plaintext), and the
investigator's check of a wallet's diary disclosure (DESIGN.md "Other channels, one record";
"Investigation" step 2a)."""

from __future__ import annotations

import contextlib
import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tests.verifier.support as sup
from did import InMemoryTransport, Resolver, did_web_document, did_web_to_url
from did.errors import AnshimError
from escrow import VisitLabel
from protocol import (
    ENVELOPE_SIZE,
    Channel,
    DiaryDisclosure,
    GatewayPlaintext,
    HealthDeclaration,
    SealedVisit,
    open_plaintext,
)
from protocol.errors import (
    BadSignature,
    DeclaredFever,
    EpochKeyInactive,
    MalformedMessage,
    UnknownKey,
    WrongAudience,
)
from verifier import (
    MemoryReplayStore,
    seal_assisted_entry,
    seal_sms_checkin,
    validate_checkin,
    verify_disclosure,
)

NOW = sup.NOW
PHONE = "+821098765432"
NAME = "김민지 Kim Minji"
AUTHORITY = "did:web:kdca.example"


def _label(record: SealedVisit) -> VisitLabel:
    return VisitLabel(record.venue, record.day, record.pseudonym, record.time_in)


def _forms(text: str) -> list[bytes]:
    digits = text.lstrip("+")
    return [text.encode(), digits.encode(), int(digits).to_bytes(8, "big").lstrip(b"\x00")]


@pytest.mark.parametrize(("channel", "expected"), [("sms", Channel.SMS), ("call", Channel.CALL)])
def test_sms_and_call_checkins_seal_the_number(channel: str, expected: Channel) -> None:
    venue = sup.venue()
    record = seal_sms_checkin(
        PHONE,
        venue,
        now=NOW,
        epoch_keys=sup.EPOCH_KEYS,
        channel=channel,  # type: ignore[arg-type]
    )
    assert record.channel is expected
    assert len(record.envelope) == ENVELOPE_SIZE
    assert record.locator is None
    assert record.receipt_hash is None
    assert record.time_in == NOW
    assert record.day == sup.FIRST_EPOCH
    signed = venue.sign_record(record)
    assert SealedVisit.verify(signed, sup.VENUE_KEY.public_key, now=NOW) == record
    for form in _forms(PHONE):
        assert form not in signed
    opened = open_plaintext(sup.open_envelope(record.envelope, _label(record)))
    assert isinstance(opened, GatewayPlaintext)
    assert opened.channel is expected
    assert opened.phone == PHONE
    assert opened.name is None


def test_assisted_entry_seals_name_and_phone() -> None:
    venue = sup.venue()
    record = seal_assisted_entry(
        NAME,
        PHONE,
        venue,
        now=NOW,
        epoch_keys=sup.EPOCH_KEYS,
        declaration=HealthDeclaration(False, False),
    )
    assert record.channel is Channel.ASSISTED
    assert record.declaration == HealthDeclaration(False, False)
    signed = venue.sign_record(record)
    assert NAME.encode() not in signed
    assert "김민지".encode() not in signed
    for form in _forms(PHONE):
        assert form not in signed
    opened = open_plaintext(sup.open_envelope(record.envelope, _label(record)))
    assert isinstance(opened, GatewayPlaintext)
    assert (opened.name, opened.phone, opened.channel) == (NAME, PHONE, Channel.ASSISTED)
    assert NAME not in repr(opened)
    assert PHONE not in repr(opened)


def test_gateway_and_wallet_envelopes_have_the_same_size() -> None:
    wallet = validate_checkin(
        sup.checkin(),
        venue=sup.venue(),
        now=NOW,
        replay=MemoryReplayStore(),
        epoch_keys=sup.EPOCH_KEYS,
    ).record
    sms = seal_sms_checkin(PHONE, sup.venue(), now=NOW, epoch_keys=sup.EPOCH_KEYS)
    long_name = "가" * 42  # 126 UTF-8 bytes, the longest name class staff may type
    assisted = seal_assisted_entry(
        long_name, "+12025550123", sup.venue(), now=NOW, epoch_keys=sup.EPOCH_KEYS
    )
    assert len(wallet.envelope) == len(sms.envelope) == len(assisted.envelope) == ENVELOPE_SIZE


def test_each_gateway_visit_has_a_fresh_pseudonym() -> None:
    records = [
        seal_sms_checkin(PHONE, sup.venue(), now=NOW, epoch_keys=sup.EPOCH_KEYS) for _ in range(3)
    ]
    assert len({r.pseudonym for r in records}) == 3
    assert len({r.visit_id for r in records}) == 3
    assert len({r.envelope for r in records}) == 3


def test_plaintext_never_in_logs_errors_or_reprs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    venue = sup.venue()
    secret_phone, secret_name = "+821055501234", "Park Jiwoo"
    record = seal_assisted_entry(
        secret_name, secret_phone, venue, now=NOW, epoch_keys=sup.EPOCH_KEYS
    )
    texts = [repr(record), str(record), repr(venue), caplog.text]
    # Errors on bad or refused input never repeat what was typed.
    bad_inputs = [
        lambda: seal_sms_checkin("+82 10-5550-1234", venue, now=NOW, epoch_keys=sup.EPOCH_KEYS),
        lambda: seal_assisted_entry(
            secret_name + "\x00", secret_phone, venue, now=NOW, epoch_keys=sup.EPOCH_KEYS
        ),
        lambda: seal_assisted_entry(
            secret_name, secret_phone, venue, now=NOW + 9 * sup.DAY, epoch_keys=sup.EPOCH_KEYS
        ),
        lambda: seal_assisted_entry(
            secret_name,
            secret_phone,
            venue,
            now=NOW,
            epoch_keys=sup.EPOCH_KEYS,
            declaration=HealthDeclaration(True, False),
        ),
    ]
    for call in bad_inputs:
        with pytest.raises(AnshimError) as info:
            call()
        err = info.value
        texts += [str(err), repr(err), json.dumps(err.args, ensure_ascii=False)]
        cause = err.__cause__
        while cause is not None:
            texts += [str(cause), repr(cause)]
            cause = cause.__cause__
    texts.append(caplog.text)
    for text in texts:
        for needle in ("5550-1234", "5501234", "821055501234", "Park", "Jiwoo"):
            assert needle not in text


def test_gateway_refusals_have_codes() -> None:
    venue = sup.venue()
    with pytest.raises(MalformedMessage):
        seal_sms_checkin("01012345678", venue, now=NOW, epoch_keys=sup.EPOCH_KEYS)
    with pytest.raises(EpochKeyInactive):
        seal_sms_checkin(PHONE, venue, now=NOW + 9 * sup.DAY, epoch_keys=sup.EPOCH_KEYS)
    with pytest.raises(DeclaredFever):
        seal_assisted_entry(
            NAME,
            PHONE,
            venue,
            now=NOW,
            epoch_keys=sup.EPOCH_KEYS,
            declaration=HealthDeclaration(True, False),
        )
    with pytest.raises(MalformedMessage):
        seal_assisted_entry("x" * 129, PHONE, venue, now=NOW, epoch_keys=sup.EPOCH_KEYS)
    with pytest.raises(AnshimError):
        seal_sms_checkin(PHONE, venue, now=NOW, epoch_keys=sup.EPOCH_KEYS, channel="fax")  # type: ignore[arg-type]


def test_epoch_keys_may_be_a_lookup_function() -> None:
    record = seal_sms_checkin(PHONE, sup.venue(), now=NOW, epoch_keys=sup.EPOCH_KEYS.get)
    assert record.day == sup.FIRST_EPOCH


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_open_plaintext_raises_only_anshim_errors(data: bytes) -> None:
    with contextlib.suppress(AnshimError):
        open_plaintext(data)


def test_gateway_plaintext_round_trip_and_strictness() -> None:
    plain = GatewayPlaintext(Channel.ASSISTED, PHONE, NAME, bytes(16))
    assert GatewayPlaintext.from_bytes(plain.to_bytes()) == plain
    assert len(plain.to_bytes()) <= 191
    with pytest.raises(MalformedMessage):
        GatewayPlaintext(Channel.SMS, PHONE, NAME, bytes(16))  # a name on a phone channel
    with pytest.raises(MalformedMessage):
        GatewayPlaintext(Channel.QR_STATIC, PHONE, None, bytes(16))
    with pytest.raises(MalformedMessage):
        GatewayPlaintext.from_bytes(b"\x09" + bytes(16) + plain.to_bytes()[17:])


# -- diary disclosure -------------------------------------------------------------------------


def _diary(now: int = NOW) -> tuple[bytes, list[bytes]]:
    venue, replay = sup.venue(), MemoryReplayStore()
    receipts = []
    for t in (NOW, NOW + 3600):
        admission = validate_checkin(
            sup.checkin(issued_at=t), venue=venue, now=t, replay=replay, epoch_keys=sup.EPOCH_KEYS
        )
        receipts.append(admission.receipt)
    key = sup.pseudonym_key()
    disclosure = DiaryDisclosure.create(
        [(r, key) for r in receipts],
        audience=AUTHORITY,
        window_start=NOW - 3600,
        window_end=NOW + 7200,
        issued=now,
    )
    return disclosure.to_cbor(), receipts


def _resolver(venue_key: object = None) -> Resolver:
    doc = did_web_document(sup.VENUE, signing_key=venue_key or sup.VENUE_KEY.public_key)
    transport = InMemoryTransport({did_web_to_url(sup.VENUE): doc.to_json_bytes()})
    return Resolver(transport=transport)


def test_disclosure_verifies_with_the_venue_did_web_document() -> None:
    data, _receipts = _diary()
    diary = verify_disclosure(data, venues=_resolver(), audience=AUTHORITY, now=NOW + 7200)
    assert [r.time_in for r in diary.receipts] == [NOW, NOW + 3600]
    assert diary.audience == AUTHORITY
    mapped = verify_disclosure(
        data, venues={sup.VENUE: sup.VENUE_KEY.public_key}, audience=AUTHORITY, now=NOW + 7200
    )
    assert mapped == diary


def test_disclosure_refusals() -> None:
    data, _ = _diary()
    with pytest.raises(BadSignature):
        verify_disclosure(
            data,
            venues=_resolver(sup.key("impostor").public_key),
            audience=AUTHORITY,
            now=NOW + 7200,
        )
    with pytest.raises(UnknownKey):
        verify_disclosure(
            data, venues=Resolver(transport=InMemoryTransport()), audience=AUTHORITY, now=NOW + 7200
        )
    with pytest.raises(UnknownKey):
        verify_disclosure(data, venues={}, audience=AUTHORITY, now=NOW + 7200)
    with pytest.raises(WrongAudience):
        verify_disclosure(
            data, venues=_resolver(), audience="did:web:other.example", now=NOW + 7200
        )
    with pytest.raises(AnshimError):
        verify_disclosure(
            data,
            venues="nope",
            audience=AUTHORITY,  # type: ignore[arg-type]
            now=NOW + 7200,
        )
