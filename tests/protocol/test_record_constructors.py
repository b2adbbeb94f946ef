"""The records' hot-path constructors (``VisitReceipt.for_checkin``,
``SealedVisit.from_checkin``), which the venue uses at step 6 of DESIGN.md "Validation at
the venue": from a decoded check-in they build the very object the public, validating
constructor builds, with the same CBOR, and they refuse what is not a check-in."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did import Ed25519PrivateKey, day_of, did_from_public_key
from did.errors import InvalidKey
from protocol import (
    ANY_VENUE,
    ENVELOPE_SIZE,
    CheckIn,
    HealthDeclaration,
    Kind,
    SealedVisit,
    VisitReceipt,
)
from protocol.errors import MalformedMessage
from protocol.wire import MAX_TIME

_DID_CHARS = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789.-_")
_MAX_TZ = 14 * 3600
_venues = st.text(_DID_CHARS, min_size=1, max_size=64 - len("did:web:")).map(
    lambda s: "did:web:" + s
)


@st.composite
def admitted(draw: st.DrawFn) -> dict[str, object]:
    """A decoded check-in and the other values validate_checkin has at step 6."""
    venue = draw(_venues)
    time_in = draw(st.integers(min_value=0, max_value=MAX_TIME - 120))
    holder_shown = draw(st.booleans())
    seed = draw(st.binary(min_size=32, max_size=32))
    checkin = CheckIn(
        audience=ANY_VENUE if holder_shown else venue,
        challenge=None if holder_shown else draw(st.none() | st.binary(min_size=16, max_size=16)),
        issued_at=time_in,
        expires=time_in + draw(st.integers(1, 15)),
        pseudonym=did_from_public_key(Ed25519PrivateKey.from_seed(seed).public_key),
        declaration=HealthDeclaration(draw(st.booleans()), draw(st.booleans())),
        envelope=draw(st.binary(min_size=ENVELOPE_SIZE, max_size=ENVELOPE_SIZE)),
        locator=draw(st.binary(min_size=16, max_size=16)),
    )
    tz = draw(st.integers(min_value=-min(_MAX_TZ, time_in), max_value=_MAX_TZ))
    return {
        "checkin": checkin,
        "venue": venue,
        "day": day_of(time_in, tz_offset=tz),
        "visit_id": draw(st.binary(min_size=16, max_size=16)),
        "checkin_hash": draw(st.binary(min_size=32, max_size=32)),
        "receipt_hash": draw(st.binary(min_size=32, max_size=32)),
    }


def _same(a: object, b: object) -> None:
    assert type(a) is type(b)
    assert a == b
    assert repr(a) == repr(b)
    for field in dataclasses.fields(a):  # type: ignore[arg-type]
        left, right = getattr(a, field.name), getattr(b, field.name)
        assert type(left) is type(right), field.name
        assert left == right, field.name


@settings(max_examples=200, deadline=None)
@given(admitted())
def test_receipt_for_a_checkin_equals_the_public_constructor(v: dict[str, object]) -> None:
    checkin = v["checkin"]
    assert isinstance(checkin, CheckIn)
    fast = VisitReceipt.for_checkin(
        checkin,
        venue=v["venue"],  # type: ignore[arg-type]
        visit_id=v["visit_id"],  # type: ignore[arg-type]
        checkin_hash=v["checkin_hash"],  # type: ignore[arg-type]
    )
    public = VisitReceipt(
        venue=v["venue"],  # type: ignore[arg-type]
        pseudonym=checkin.pseudonym,
        time_in=checkin.issued_at,
        time_out=None,
        visit_id=v["visit_id"],  # type: ignore[arg-type]
        checkin_hash=v["checkin_hash"],  # type: ignore[arg-type]
        channel=checkin.channel,
    )
    _same(fast, public)
    assert fast.to_cbor() == public.to_cbor()
    assert VisitReceipt.from_cbor(fast.to_cbor()) == fast


@settings(max_examples=100, deadline=None)
@given(admitted(), st.binary(min_size=32, max_size=32))
def test_the_signed_receipt_of_a_checkin_is_the_receipt_signed(
    v: dict[str, object], seed: bytes
) -> None:
    # VisitReceipt.sign_for_checkin writes the receipt's payload straight from the check-in
    # (the venue's hot path): the bytes for_checkin(...).sign(key) makes, which verify.
    checkin = v["checkin"]
    assert isinstance(checkin, CheckIn)
    key = Ed25519PrivateKey.from_seed(seed)
    args = {"venue": v["venue"], "visit_id": v["visit_id"], "checkin_hash": v["checkin_hash"]}
    signed = VisitReceipt.sign_for_checkin(checkin, key=key, **args)  # type: ignore[arg-type]
    assert signed == VisitReceipt.for_checkin(checkin, **args).sign(key)  # type: ignore[arg-type]
    receipt = VisitReceipt.verify(signed, key.public_key, now=MAX_TIME)
    assert receipt == VisitReceipt.for_checkin(checkin, **args)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(admitted())
def test_record_from_a_checkin_equals_the_public_constructor(v: dict[str, object]) -> None:
    checkin = v["checkin"]
    assert isinstance(checkin, CheckIn)
    fast = SealedVisit.from_checkin(
        checkin,
        venue=v["venue"],  # type: ignore[arg-type]
        day=v["day"],  # type: ignore[arg-type]
        visit_id=v["visit_id"],  # type: ignore[arg-type]
        receipt_hash=v["receipt_hash"],  # type: ignore[arg-type]
    )
    public = SealedVisit(
        visit_id=v["visit_id"],  # type: ignore[arg-type]
        venue=v["venue"],  # type: ignore[arg-type]
        day=v["day"],  # type: ignore[arg-type]
        time_in=checkin.issued_at,
        time_out=None,
        pseudonym=checkin.pseudonym,
        locator=checkin.locator,
        channel=checkin.channel,
        declaration=checkin.declaration,
        envelope=checkin.envelope,  # type: ignore[arg-type]
        receipt_hash=v["receipt_hash"],  # type: ignore[arg-type]
    )
    _same(fast, public)
    assert fast.to_cbor() == public.to_cbor()
    assert SealedVisit.from_cbor(fast.to_cbor()) == fast
    assert fast.envelope_id == public.envelope_id


@settings(max_examples=100, deadline=None)
@given(admitted(), st.binary(min_size=32, max_size=32))
def test_admit_is_the_signed_receipt_and_the_record_of_its_hash(
    v: dict[str, object], seed: bytes
) -> None:
    # SealedVisit.admit (the venue's step 6 in one call) gives the receipt sign_for_checkin
    # signs and the record from_checkin builds with that receipt's digest.
    checkin = v["checkin"]
    assert isinstance(checkin, CheckIn)
    key = Ed25519PrivateKey.from_seed(seed)
    receipt, record = SealedVisit.admit(
        checkin,
        venue=v["venue"],  # type: ignore[arg-type]
        day=v["day"],  # type: ignore[arg-type]
        visit_id=v["visit_id"],  # type: ignore[arg-type]
        checkin_hash=v["checkin_hash"],  # type: ignore[arg-type]
        key=key,
    )
    assert receipt == VisitReceipt.sign_for_checkin(
        checkin,
        venue=v["venue"],  # type: ignore[arg-type]
        visit_id=v["visit_id"],  # type: ignore[arg-type]
        checkin_hash=v["checkin_hash"],  # type: ignore[arg-type]
        key=key,
    )
    expected = SealedVisit.from_checkin(
        checkin,
        venue=v["venue"],  # type: ignore[arg-type]
        day=v["day"],  # type: ignore[arg-type]
        visit_id=v["visit_id"],  # type: ignore[arg-type]
        receipt_hash=hashlib.sha256(receipt).digest(),
    )
    _same(record, expected)
    assert record.to_cbor() == expected.to_cbor()


def _checkin(**changes: object) -> CheckIn:
    key = Ed25519PrivateKey.from_seed(bytes(32))
    fields: dict[str, object] = {
        "audience": "did:web:registry.example:venues:v1",
        "challenge": None,
        "issued_at": 1_700_000_000,
        "expires": 1_700_000_060,
        "pseudonym": did_from_public_key(key.public_key),
        "declaration": HealthDeclaration(False, False),
        "envelope": bytes(ENVELOPE_SIZE),
        "locator": bytes(16),
    }
    fields.update(changes)
    return CheckIn(**fields)  # type: ignore[arg-type]


_GOOD = {"venue": "did:web:registry.example:venues:v1", "visit_id": bytes(16)}


@pytest.mark.parametrize(
    ("checkin", "changes"),
    [
        # Only a check-in starts a visit: never a check-out, nor anything else.
        (_checkin(kind=Kind.CHECK_OUT, declaration=None, envelope=None), {}),
        ("not a check-in", {}),
        (_checkin(), {"venue": "not a DID"}),
        (_checkin(), {"visit_id": bytes(15)}),
        (_checkin(), {"hash": bytes(31)}),
        (_checkin(), {"day": 1_700_000_000 // 86400 + 2}),  # no zone has that day
    ],
)
def test_the_fast_constructors_refuse_what_the_public_ones_refuse(
    checkin: object, changes: dict[str, object]
) -> None:
    args = {**_GOOD, **changes}
    digest = args.pop("hash", bytes(32))
    day = args.pop("day", 1_700_000_000 // 86400)
    if "day" not in changes:
        with pytest.raises(MalformedMessage):
            VisitReceipt.for_checkin(checkin, checkin_hash=digest, **args)  # type: ignore[arg-type]
        with pytest.raises(MalformedMessage):
            VisitReceipt.sign_for_checkin(
                checkin,  # type: ignore[arg-type]
                checkin_hash=digest,
                key=Ed25519PrivateKey.generate(),
                **args,  # type: ignore[arg-type]
            )
    with pytest.raises(MalformedMessage):
        SealedVisit.from_checkin(checkin, day=day, receipt_hash=digest, **args)  # type: ignore[arg-type]
    with pytest.raises(MalformedMessage):
        SealedVisit.admit(
            checkin,  # type: ignore[arg-type]
            day=day,
            checkin_hash=digest,
            key=Ed25519PrivateKey.generate(),
            **args,  # type: ignore[arg-type]
        )


def test_a_signed_receipt_needs_a_private_key() -> None:
    with pytest.raises(InvalidKey):
        VisitReceipt.sign_for_checkin(
            _checkin(),
            checkin_hash=bytes(32),
            key=Ed25519PrivateKey.generate().public_key,  # type: ignore[arg-type]
            **_GOOD,  # type: ignore[arg-type]
        )
    with pytest.raises(InvalidKey):
        SealedVisit.admit(
            _checkin(),
            day=1_700_000_000 // 86400,
            checkin_hash=bytes(32),
            key=Ed25519PrivateKey.generate().public_key,  # type: ignore[arg-type]
            **_GOOD,  # type: ignore[arg-type]
        )
