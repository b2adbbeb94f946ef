"""protocol messages: round trips, the key tables, strict decoding and size caps."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import base58
import cbor2
import pytest

import tests.protocol.support as sup
from did import cbor, cose
from protocol import (
    ANY_VENUE,
    ENVELOPE_SIZE,
    MAX_CHECKIN_MESSAGE,
    MAX_VENUE_CODE_PAYLOAD,
    Channel,
    CheckIn,
    DiaryDisclosure,
    ExposureNotice,
    HealthDeclaration,
    Kind,
    RiskLevel,
    SealedVisit,
    ThermalReading,
    VenueChallenge,
    VenueCode,
    VisitReceipt,
)
from protocol.errors import (
    BadAlgorithm,
    BadEnvelope,
    BadPseudonym,
    MalformedMessage,
    OversizeMessage,
    UnsupportedVersion,
)
from protocol.wire import Message, Signed

SAMPLES: dict[str, Callable[[], Message]] = {
    "VenueCode": sup.venue_code,
    "VenueChallenge": sup.challenge,
    "CheckIn": sup.checkin,
    "HolderShown": sup.holder_shown,
    "CheckOut": sup.checkout,
    "VisitReceipt": sup.receipt,
    "SealedVisit": sup.sealed_visit,
    "ExposureNotice": sup.notice,
    "ThermalReading": sup.reading,
    "DiaryDisclosure": lambda: DiaryDisclosure.from_cbor(sup.diary(2)[0]),
}
SIGNED = [name for name, make in SAMPLES.items() if isinstance(make(), Signed)]


def _map(message: Message) -> dict[Any, Any]:
    decoded = cbor.decode(message.to_cbor())
    assert isinstance(decoded, dict)
    return decoded


# --- round trips and key tables --------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_cbor_round_trip(name: str) -> None:
    message = SAMPLES[name]()
    data = message.to_cbor()
    assert type(message).from_cbor(data) == message
    assert type(message).from_cbor(data).to_cbor() == data


@pytest.mark.parametrize("name", SIGNED)
def test_signed_round_trip(name: str) -> None:
    message = SAMPLES[name]()
    assert isinstance(message, Signed)
    data = message.sign(sup.VENUE_KEY)
    parsed, decoded = type(message).parse_unverified(data)
    assert decoded == message
    assert parsed.payload == message.to_cbor()
    # Tagged COSE_Sign1 with exactly {alg: EdDSA} and no unprotected header.
    assert data[:1] == b"\xd2"
    assert parsed.protected_bytes == b"\xa1\x01\x27"
    assert parsed.unprotected == {}


def test_key_tables_are_documented_integers() -> None:
    assert _map(sup.venue_code()) == {
        0: 1,
        1: sup.VENUE,
        2: "제주 흑돼지 식당",
        3: "restaurant",
        4: sup.NOW - 86400,
        5: sup.NOW + 365 * 86400,
    }
    ci = sup.checkin()
    assert _map(ci) == {
        0: 1,
        1: sup.VENUE,
        2: b"\x11" * 16,
        3: sup.NOW,
        4: sup.NOW + 60,
        5: ci.pseudonym,
        6: [False, False],
        7: sup.envelope(),
        8: ci.locator,
        9: 0,
    }
    out = _map(sup.checkout())
    assert (out[6], out[7], out[9]) == (None, None, 1)
    assert _map(sup.challenge()) == {
        0: 1,
        1: sup.VENUE,
        2: b"\x11" * 16,
        3: sup.NOW,
        4: sup.NOW + 60,
    }
    assert _map(sup.notice())[4] == 3
    assert _map(sup.reading())[4] == 3650
    assert sorted(_map(sup.sealed_visit())) == list(range(12))
    assert sorted(_map(sup.receipt())) == list(range(8))


def test_enums_are_normalised_from_wire_integers() -> None:
    assert sup.checkin(kind=1, declaration=None, envelope=None).kind is Kind.CHECK_OUT
    assert sup.receipt(channel=2).channel is Channel.HOLDER_SHOWN
    assert sup.notice(risk=1).risk is RiskLevel.LOW
    assert sup.checkin().channel is Channel.QR_KIOSK
    assert sup.checkin(challenge=None).channel is Channel.QR_STATIC
    assert sup.holder_shown().channel is Channel.HOLDER_SHOWN


# --- strict decoding, one rule at a time ------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_extra_key_refused(name: str) -> None:
    message = SAMPLES[name]()
    m = _map(message)
    m[99] = 0
    with pytest.raises(MalformedMessage, match="wrong key set") as info:
        type(message).from_cbor(cbor.encode(m))
    assert info.value.code == "malformedMessage"


@pytest.mark.parametrize("name", SAMPLES)
def test_each_missing_key_refused(name: str) -> None:
    message = SAMPLES[name]()
    for k in _map(message):
        m = _map(message)
        del m[k]
        expected = UnsupportedVersion if k == 0 else MalformedMessage
        with pytest.raises(expected):
            type(message).from_cbor(cbor.encode(m))


@pytest.mark.parametrize("name", SAMPLES)
def test_each_wrong_type_refused(name: str) -> None:
    message = SAMPLES[name]()
    for k, value in _map(message).items():
        # A float fits no field; a bool is not an int; text is not bytes and vice versa.
        wrong: list[object] = [1.5, [value], {1: value}]
        wrong.append(b"x" if isinstance(value, str) else "x")
        if type(value) is int:
            wrong.append(bool(value))
        for bad in wrong:
            m = _map(message)
            m[k] = bad
            with pytest.raises((MalformedMessage, UnsupportedVersion)):
                type(message).from_cbor(cbor.encode(m))


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("version", [0, 2, -1, "1"])
def test_wrong_version_refused(name: str, version: object) -> None:
    message = SAMPLES[name]()
    m = _map(message)
    m[0] = version
    with pytest.raises(UnsupportedVersion) as info:
        type(message).from_cbor(cbor.encode(m))
    assert info.value.code == "unsupportedVersion"
    with pytest.raises(UnsupportedVersion):
        type(message)(**{**_fields(message), "version": 2})


def _fields(message: Message) -> dict[str, Any]:
    return {f.name: getattr(message, f.name) for f in dataclasses.fields(message)}  # type: ignore[arg-type]


@pytest.mark.parametrize("name", SAMPLES)
def test_non_map_and_non_bytes_refused(name: str) -> None:
    cls = type(SAMPLES[name]())
    for data in (cbor.encode([1, 2]), cbor.encode(1), b"", b"\xff", b"\xa1\x00"):
        with pytest.raises(MalformedMessage):
            cls.from_cbor(data)
    with pytest.raises(MalformedMessage):
        cls.from_cbor(bytearray(SAMPLES[name]().to_cbor()))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", SAMPLES)
def test_non_deterministic_encoding_refused(name: str) -> None:
    message = SAMPLES[name]()
    m = _map(message)
    # Keys in descending order: valid CBOR, but not the deterministic encoding.
    unsorted = b"".join(cbor2.dumps(k) + cbor2.dumps(m[k]) for k in sorted(m, reverse=True))
    data = bytes([0xA0 + len(m)]) + unsorted
    with pytest.raises(MalformedMessage):
        type(message).from_cbor(data)
    # A non-minimal head for the version (0x18 0x01 instead of 0x01).
    canonical = message.to_cbor()
    assert canonical[1:3] == b"\x00\x01"
    with pytest.raises(MalformedMessage):
        type(message).from_cbor(canonical[:2] + b"\x18\x01" + canonical[3:])


def test_tags_refused_in_payload() -> None:
    m = _map(sup.checkin())
    m[8] = cbor.Tag(24, m[8])
    with pytest.raises(MalformedMessage):
        CheckIn.from_cbor(cbor.encode(m))


# --- field rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "changes"),
    [
        (sup.venue_code, {"venue": "not-a-did"}),
        (sup.venue_code, {"venue": "did:web:" + "a" * 57}),  # 65 characters
        (sup.venue_code, {"name": ""}),
        (sup.venue_code, {"name": "a" * 81}),
        (sup.venue_code, {"name": "가" * 27}),  # 81 UTF-8 bytes
        (sup.venue_code, {"name": "Cafe\n"}),
        (sup.venue_code, {"name": "Cafe\u202e"}),  # bidi override (Cf)
        (sup.venue_code, {"name": "Cafe\u0301"}),  # not NFC
        (sup.venue_code, {"category": "Restaurant"}),
        (sup.venue_code, {"category": "a" * 25}),
        (sup.venue_code, {"expires": sup.NOW - 86400}),
        (sup.venue_code, {"issued": 2**32}),
        (sup.venue_code, {"issued": -1}),
        (sup.challenge, {"nonce": b"\x11" * 15}),
        (sup.challenge, {"expires": sup.NOW + 61}),
        (sup.challenge, {"expires": sup.NOW}),
        (sup.checkin, {"expires": sup.NOW + 121}),
        (sup.checkin, {"expires": sup.NOW}),
        (sup.checkin, {"locator": b"\x00" * 15}),
        (sup.checkin, {"declaration": None}),
        (sup.checkin, {"envelope": None}),
        (sup.checkin, {"challenge": b"\x00" * 17}),
        (sup.checkin, {"kind": 2}),
        (sup.holder_shown, {"expires": sup.NOW + 16}),
        (sup.holder_shown, {"challenge": b"\x11" * 16}),
        (sup.checkout, {"envelope": sup.envelope()}),
        (sup.checkout, {"declaration": HealthDeclaration(False, False)}),
        (sup.receipt, {"channel": Channel.SMS}),
        (sup.receipt, {"channel": 6}),
        (sup.receipt, {"time_out": sup.NOW - 1}),
        (sup.receipt, {"time_out": sup.NOW + 86401}),
        (sup.receipt, {"checkin_hash": b"\x00" * 31}),
        (sup.sealed_visit, {"day": sup.NOW // 86400 + 2}),
        (sup.sealed_visit, {"day": sup.NOW // 86400 - 2}),
        (sup.sealed_visit, {"locator": None}),
        (sup.sealed_visit, {"receipt_hash": None}),
        (sup.sealed_visit, {"declaration": None}),
        (sup.sealed_visit, {"channel": Channel.SMS}),  # SMS visits carry no locator
        (sup.notice, {"window_end": sup.NOW - 7200}),
        (sup.notice, {"window_end": sup.NOW - 7200 + 14 * 86400 + 1}),
        (sup.notice, {"risk": 0}),
        (sup.reading, {"temperature": 6001}),
        (sup.reading, {"temperature": -4001}),
        (sup.reading, {"mask": 1}),
        (sup.reading, {"device": "did:key"}),
    ],
)
def test_field_rules(make: Callable[..., Message], changes: dict[str, object]) -> None:
    with pytest.raises(MalformedMessage):
        make(**changes)


def test_rules_that_accept() -> None:
    assert sup.venue_code(name="가" * 26).name == "가" * 26  # 78 UTF-8 bytes
    assert sup.venue_code(venue="did:web:" + "a" * 56).venue  # 64 characters
    assert sup.checkin(expires=sup.NOW + 120).expires == sup.NOW + 120
    assert sup.holder_shown(expires=sup.NOW + 15).holder_shown
    assert sup.reading(mask=None, temperature=-4000).celsius == -40.0
    sms = sup.sealed_visit(channel=Channel.SMS, locator=None, receipt_hash=None, declaration=None)
    assert SealedVisit.from_cbor(sms.to_cbor()) == sms
    # KST (UTC+9) days are accepted as well as UTC days.
    kst = sup.sealed_visit(day=(sup.NOW + 9 * 3600) // 86400)
    assert kst.day in (sup.NOW // 86400, sup.NOW // 86400 + 1)


@pytest.mark.parametrize("size", [0, ENVELOPE_SIZE - 1, ENVELOPE_SIZE + 1])
def test_envelope_of_wrong_size_is_bad_envelope(size: int) -> None:
    with pytest.raises(BadEnvelope) as info:
        sup.checkin(envelope=b"\x00" * size)
    assert info.value.code == "badEnvelope"
    m = _map(sup.checkin())
    m[7] = b"\x00" * size
    with pytest.raises(BadEnvelope):
        CheckIn.from_cbor(cbor.encode(m))
    with pytest.raises(BadEnvelope):
        sup.sealed_visit(envelope=b"\x00" * size)


def _did_key(raw: bytes) -> str:
    return "did:key:z" + base58.b58encode(b"\xed\x01" + raw).decode("ascii")


@pytest.mark.parametrize(
    "pseudonym",
    [
        "did:web:example.com",
        "did:key:z6LSeu9HkTHSfLLeUs2nnzUSNedgDUevfNQgQjQC23ZCit6F",  # X25519, not Ed25519
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2do0",  # "0" is not base58
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#x",
        "did:key:" + "z" * 57,  # 65 characters
        _did_key(b"\xec" + b"\xff" * 30 + b"\x7f"),  # the order-2 point (0, -1)
        _did_key(b"\x01" + bytes(31)),  # the identity (order 1)
        _did_key(b"\xed" + b"\xff" * 30 + b"\x7f"),  # y = p: not canonical
    ],
)
def test_bad_pseudonym(pseudonym: str) -> None:
    with pytest.raises(BadPseudonym) as info:
        sup.checkin(pseudonym=pseudonym)
    assert info.value.code == "badPseudonym"
    m = _map(sup.checkin())
    m[5] = pseudonym
    with pytest.raises(BadPseudonym):
        CheckIn.from_cbor(cbor.encode(m))


# --- sizes -----------------------------------------------------------------------------


def test_venue_code_payload_within_200_bytes_at_the_largest_fields() -> None:
    largest = sup.venue_code(
        venue="did:web:" + "a" * 56, name="가" * 26 + "aa", category="a" * 24, expires=2**32 - 1
    )
    assert len(largest.to_cbor()) <= MAX_VENUE_CODE_PAYLOAD
    assert VenueCode.from_cbor(largest.to_cbor()) == largest


def test_checkin_within_600_bytes_at_the_largest_fields() -> None:
    key = sup.pseudonym_key()
    largest = sup.checkin(audience="did:web:" + "a" * 56, expires=sup.NOW + 120)
    data = largest.sign(key)
    assert len(data) <= MAX_CHECKIN_MESSAGE
    assert CheckIn.parse_unverified(data)[1] == largest


def _signed_filler(total: int) -> bytes:
    # A well-formed, EdDSA-signed COSE_Sign1 of exactly ``total`` bytes whose payload is a
    # version-1 map with an unknown key, to probe the size cap independently of the fields.
    for n in range(total):
        data = cose.sign1(cbor.encode({0: 1, 99: b"\x00" * n}), sup.VENUE_KEY)
        if len(data) == total:
            return data
    raise AssertionError("no filler of that size")


def test_checkin_cap_is_exactly_600_bytes() -> None:
    at_cap = _signed_filler(MAX_CHECKIN_MESSAGE)
    with pytest.raises(MalformedMessage) as info:  # parsed, refused for its key set
        CheckIn.parse_unverified(at_cap)
    assert not isinstance(info.value, OversizeMessage)
    with pytest.raises(OversizeMessage) as info2:
        CheckIn.parse_unverified(_signed_filler(MAX_CHECKIN_MESSAGE + 1))
    assert info2.value.code == "oversizeMessage"


def test_venue_code_payload_cap_is_exactly_200_bytes() -> None:
    for size, refused in ((MAX_VENUE_CODE_PAYLOAD, False), (MAX_VENUE_CODE_PAYLOAD + 1, True)):
        payload = next(
            p for n in range(size) if len(p := cbor.encode({0: 1, 99: b"\x00" * n})) == size
        )
        with pytest.raises(OversizeMessage if refused else MalformedMessage) as info:
            VenueCode.from_cbor(payload)
        assert isinstance(info.value, OversizeMessage) is refused


@pytest.mark.parametrize("name", SAMPLES)
def test_oversize_input_refused_before_parsing(name: str) -> None:
    cls = type(SAMPLES[name]())
    with pytest.raises(OversizeMessage):
        cls.from_cbor(b"\xa0" * (cls._MAX_CBOR + 1))
    if issubclass(cls, Signed):
        with pytest.raises(OversizeMessage):
            cls.parse_unverified(b"\x00" * (cls._MAX_MESSAGE + 1))


def test_realistic_sizes() -> None:
    # The figures of the report: a 45-character did:web venue, a kiosk check-in.
    key = sup.pseudonym_key()
    assert len(sup.VENUE) == 45
    assert len(sup.checkin().sign(key)) == 642
    assert len(sup.holder_shown().sign(key)) == 581
    assert len(sup.checkout().sign(key)) == 223
    assert len(sup.venue_code().to_cbor()) == 100
    assert ENVELOPE_SIZE == 398


# --- COSE framing ----------------------------------------------------------------------


def test_other_algorithm_refused() -> None:
    payload = sup.venue_code().to_cbor()
    body = [cbor.encode({1: -7}), {}, payload, b"\x00" * 64]
    with pytest.raises(BadAlgorithm) as info:
        VenueCode.parse_unverified(cbor.encode(cbor.Tag(18, body)))
    assert info.value.code == "badAlgorithm"


def test_extra_headers_refused() -> None:
    payload = sup.venue_code().to_cbor()
    with_kid = cose.sign1(payload, sup.REGISTRY, kid=b"registry")
    with pytest.raises(BadAlgorithm):
        VenueCode.parse_unverified(with_kid)
    unprotected = cose.sign1(payload, sup.REGISTRY, unprotected={4: b"registry"})
    with pytest.raises(BadAlgorithm):
        VenueCode.parse_unverified(unprotected)


def test_untagged_cose_refused() -> None:
    data = cose.sign1(sup.venue_code().to_cbor(), sup.REGISTRY, tagged=False)
    with pytest.raises(MalformedMessage):
        VenueCode.parse_unverified(data)


def test_holder_shown_audience_is_not_a_did() -> None:
    assert ANY_VENUE == "*"
    assert sup.holder_shown().audience == ANY_VENUE


def test_other_messages_not_confused() -> None:
    # A receipt's payload is not a challenge, and so on: the key tables differ.
    with pytest.raises(MalformedMessage):
        VenueChallenge.from_cbor(sup.receipt().to_cbor())
    with pytest.raises(MalformedMessage):
        VisitReceipt.from_cbor(sup.challenge().to_cbor())
    with pytest.raises(MalformedMessage):
        ExposureNotice.from_cbor(sup.challenge().to_cbor())
    with pytest.raises(MalformedMessage):
        ThermalReading.from_cbor(sup.venue_code().to_cbor())
