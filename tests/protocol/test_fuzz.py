"""Property tests: whatever the input, protocol decoders and verifiers either succeed or
raise an AnshimError (and a decoding failure is a ProtocolError with a stable code)."""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Callable
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tests.protocol.support as sup
from did import cbor
from protocol import (
    CHECKIN_LIFETIME,
    ENVELOPE_SIZE,
    HOLDER_SHOWN_LIFETIME,
    MAX_CHECKIN_MESSAGE,
    MAX_VENUE_CODE_PAYLOAD,
    CheckIn,
    DiaryDisclosure,
    ExposureNotice,
    HealthDeclaration,
    Kind,
    QrKind,
    SealedVisit,
    ThermalReading,
    VenueChallenge,
    VenueCode,
    VisitReceipt,
    parse_qr_text,
    pseudonym_did,
    to_qr_text,
)
from protocol.errors import ProtocolError

NOW = sup.NOW
VERIFIERS: dict[str, Callable[[bytes], object]] = {
    "VenueCode": lambda d: VenueCode.verify(d, sup.REGISTRY.public_key, now=NOW),
    "VenueChallenge": lambda d: VenueChallenge.verify(d, sup.venue_keys, now=NOW),
    "CheckIn": lambda d: CheckIn.verify(d, audience=sup.VENUE, now=NOW),
    "VisitReceipt": lambda d: VisitReceipt.verify(d, sup.venue_keys, now=NOW),
    "SealedVisit": lambda d: SealedVisit.verify(d, sup.venue_keys, now=NOW + 5400),
    "ExposureNotice": lambda d: ExposureNotice.verify(d, sup.REGISTRY.public_key, now=NOW),
    "ThermalReading": lambda d: ThermalReading.verify(d, sup.DEVICE.public_key, now=NOW),
    "DiaryDisclosure": lambda d: DiaryDisclosure.verify(
        d, sup.venue_keys, audience=sup.AUTHORITY, now=NOW + 16 * 86400
    ),
}
DECODERS = [
    VenueCode,
    VenueChallenge,
    CheckIn,
    VisitReceipt,
    SealedVisit,
    ExposureNotice,
    ThermalReading,
    DiaryDisclosure,
]
VALID: dict[str, bytes] = {
    "VenueCode": sup.venue_code().sign(sup.REGISTRY),
    "VenueChallenge": sup.challenge().sign(sup.VENUE_KEY),
    "CheckIn": sup.checkin().sign(sup.pseudonym_key()),
    "VisitReceipt": sup.receipt().sign(sup.VENUE_KEY),
    "SealedVisit": sup.sealed_visit().sign(sup.VENUE_KEY),
    "ExposureNotice": sup.notice().sign(sup.REGISTRY),
    "ThermalReading": sup.reading().sign(sup.DEVICE),
    "DiaryDisclosure": sup.diary(2)[0],
}


def _mutate(data: bytes, draw: st.DrawFn) -> bytes:
    """Flip, insert, delete or truncate bytes of a valid message."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "set"]))
        pos = draw(st.integers(0, max(0, len(out) - 1)))
        if op == "flip" and out:
            out[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            out.insert(pos, draw(st.integers(0, 255)))
        elif op == "delete" and out:
            del out[pos]
        elif op == "truncate":
            del out[pos:]
        elif op == "set" and out:
            out[pos] = draw(st.sampled_from([0x00, 0x18, 0x1F, 0x5F, 0x7F, 0x9F, 0xBF, 0xF7, 0xFF]))
    return bytes(out)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(VALID)))
    return name, _mutate(VALID[name], draw)


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_verify_mutated_messages(case: tuple[str, bytes]) -> None:
    name, data = case
    with contextlib.suppress(ProtocolError):
        VERIFIERS[name](data)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(VERIFIERS)), st.binary(max_size=700))
def test_verify_random_bytes(name: str, data: bytes) -> None:
    # Decoding failures are protocol errors with a stable code.
    with contextlib.suppress(ProtocolError):
        VERIFIERS[name](data)


# Structured fuzz: maps with the right integer keys and values of every CBOR type, so
# the field checks (not only the CBOR decoder) are exercised.
_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64 - 1)
    | st.floats(allow_nan=False)
    | st.binary(max_size=40)
    | st.text(max_size=40)
    | st.sampled_from([sup.VENUE, "*", b"\x11" * 16, sup.envelope(), NOW, 1, 0]),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)


@st.composite
def field_maps(draw: st.DrawFn) -> tuple[type, bytes]:
    cls = draw(st.sampled_from(DECODERS))
    keys = draw(st.sets(st.integers(0, 12), max_size=13))
    m: dict[int, Any] = {k: draw(_values) for k in keys}
    if draw(st.booleans()):
        m[0] = 1
    return cls, cbor.encode(m)


@settings(max_examples=400, deadline=None)
@given(field_maps())
def test_from_cbor_structured(case: tuple[type, bytes]) -> None:
    cls, data = case
    try:
        message = cls.from_cbor(data)
    except ProtocolError:
        return
    # Anything accepted re-encodes to exactly the same bytes (one encoding per message).
    assert message.to_cbor() == data


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(DECODERS), st.binary(max_size=400))
def test_from_cbor_random_bytes(cls: type, data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        cls.from_cbor(data)


_QR = {
    QrKind.VENUE_CODE: VALID["VenueCode"],
    QrKind.CHALLENGE: VALID["VenueChallenge"],
    QrKind.HOLDER_CHECKIN: sup.holder_shown().sign(sup.pseudonym_key()),
}


@st.composite
def qr_texts(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(list(QrKind)))
    text = to_qr_text(kind, _QR[kind])
    chars = list(text)
    for _ in range(draw(st.integers(0, 3))):
        pos = draw(st.integers(0, len(chars) - 1))
        chars[pos] = draw(st.sampled_from("0AZ:$ %*+-./a\n\u00e9"))
    if draw(st.booleans()):
        chars = chars[: draw(st.integers(0, len(chars)))]
    return "".join(chars)


@settings(max_examples=300, deadline=None)
@given(st.one_of(qr_texts(), st.text(max_size=900)))
def test_qr_parse(text: str) -> None:
    try:
        kind, data = parse_qr_text(text)
    except ProtocolError:
        return
    assert len(data) <= kind.max_bytes


# --- every valid message fits its caps and round-trips ---------------------------------

_venue_dids = st.from_regex(r"did:web:[a-z0-9]{1,56}", fullmatch=True)
_times = st.integers(0, 2**32 - 121)
_keys = [sup.key(f"pseudonym-{i}") for i in range(4)]


@st.composite
def valid_checkins(draw: st.DrawFn) -> tuple[CheckIn, int]:
    index = draw(st.integers(0, len(_keys) - 1))
    holder = draw(st.booleans())
    checkout = draw(st.booleans())
    issued = draw(_times)
    lifetime = draw(st.integers(1, HOLDER_SHOWN_LIFETIME if holder else CHECKIN_LIFETIME))
    declaration = HealthDeclaration(draw(st.booleans()), draw(st.booleans()))
    envelope = draw(st.binary(min_size=ENVELOPE_SIZE, max_size=ENVELOPE_SIZE))
    checkin = CheckIn(
        audience="*" if holder else draw(_venue_dids),
        challenge=None if holder else draw(st.none() | st.binary(min_size=16, max_size=16)),
        issued_at=issued,
        expires=issued + lifetime,
        pseudonym=pseudonym_did(_keys[index]),
        declaration=None if checkout else declaration,
        envelope=None if checkout else envelope,
        locator=draw(st.binary(min_size=16, max_size=16)),
        kind=Kind.CHECK_OUT if checkout else Kind.CHECK_IN,
    )
    return checkin, index


@settings(max_examples=150, deadline=None)
@given(valid_checkins())
def test_every_valid_checkin_fits_680_bytes_and_verifies(case: tuple[CheckIn, int]) -> None:
    checkin, index = case
    data = checkin.sign(_keys[index])
    assert len(data) <= MAX_CHECKIN_MESSAGE
    assert CheckIn.from_cbor(checkin.to_cbor()) == checkin
    audience = sup.VENUE if checkin.holder_shown else checkin.audience
    assert CheckIn.verify(data, audience=audience, now=checkin.issued_at) == checkin


@settings(max_examples=150, deadline=None)
@given(
    _venue_dids,
    st.text(st.characters(categories=["Lo", "Ll", "Lu", "Nd", "Zs"]), min_size=1, max_size=80),
    st.from_regex(r"[a-z][a-z0-9_-]{0,23}", fullmatch=True),
    _times,
)
def test_every_valid_venue_code_fits_200_bytes(
    venue: str, name: str, category: str, t: int
) -> None:
    name = unicodedata.normalize("NFC", name)
    while len(name.encode()) > 80:
        name = name[:-1]
    assume(name and unicodedata.normalize("NFC", name) == name)
    code = VenueCode(venue=venue, name=name, category=category, issued=t, expires=t + 1)
    assert len(code.to_cbor()) <= MAX_VENUE_CODE_PAYLOAD
    assert VenueCode.verify(code.sign(sup.REGISTRY), sup.REGISTRY.public_key, now=t) == code
