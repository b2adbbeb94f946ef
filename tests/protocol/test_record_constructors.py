"""The records' private trusted constructors (``VisitReceipt._trusted``,
``SealedVisit._trusted``), which the verifier's hot path uses for fields it has already
validated (DESIGN.md "Validation at the venue" step 6): for every valid input they must
build the very object the public, validating constructor builds, with the same CBOR."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from did.didkey import did_from_public_key
from did.keys import Ed25519PrivateKey
from protocol import (
    ENVELOPE_SIZE,
    Channel,
    HealthDeclaration,
    SealedVisit,
    VisitReceipt,
    day_of,
)
from protocol.wire import MAX_TIME

_WALLET_CHANNELS = [c for c in Channel if c.wallet]
_DID_CHARS = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789.-_")
_MAX_TZ = 14 * 3600


@st.composite
def visits(draw: st.DrawFn) -> dict[str, object]:
    """Field values as validate_checkin has them at step 6 (all valid)."""
    # DID Core 3.1: a method-specific id of idchars (at most 64 characters in all).
    venue = "did:web:" + draw(st.text(_DID_CHARS, min_size=1, max_size=64 - len("did:web:")))
    time_in = draw(st.integers(min_value=0, max_value=MAX_TIME))
    tz = draw(st.integers(min_value=-min(_MAX_TZ, time_in), max_value=_MAX_TZ))
    seed = draw(st.binary(min_size=32, max_size=32))
    return {
        "venue": venue,
        "pseudonym": did_from_public_key(Ed25519PrivateKey.from_seed(seed).public_key),
        "time_in": time_in,
        "day": day_of(time_in, tz_offset_seconds=tz),
        "visit_id": draw(st.binary(min_size=16, max_size=16)),
        "checkin_hash": draw(st.binary(min_size=32, max_size=32)),
        "receipt_hash": draw(st.binary(min_size=32, max_size=32)),
        "locator": draw(st.binary(min_size=16, max_size=16)),
        "channel": draw(st.sampled_from(_WALLET_CHANNELS)),
        "declaration": HealthDeclaration(draw(st.booleans()), draw(st.booleans())),
        "envelope": draw(st.binary(min_size=ENVELOPE_SIZE, max_size=ENVELOPE_SIZE)),
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
@given(visits())
def test_trusted_receipt_equals_the_public_constructor(v: dict[str, object]) -> None:
    names = ("venue", "pseudonym", "time_in", "visit_id", "checkin_hash", "channel")
    fields = {name: v[name] for name in names}
    public = VisitReceipt(time_out=None, **fields)  # type: ignore[arg-type]
    trusted = VisitReceipt._trusted(**fields)  # type: ignore[arg-type]
    _same(trusted, public)
    assert trusted.to_cbor() == public.to_cbor()
    assert VisitReceipt.from_cbor(trusted.to_cbor()) == trusted


@settings(max_examples=200, deadline=None)
@given(visits())
def test_trusted_record_equals_the_public_constructor(v: dict[str, object]) -> None:
    names = (
        "visit_id",
        "venue",
        "day",
        "time_in",
        "pseudonym",
        "locator",
        "channel",
        "declaration",
        "envelope",
        "receipt_hash",
    )
    fields = {name: v[name] for name in names}
    public = SealedVisit(time_out=None, **fields)  # type: ignore[arg-type]
    trusted = SealedVisit._trusted(**fields)  # type: ignore[arg-type]
    _same(trusted, public)
    assert trusted.to_cbor() == public.to_cbor()
    assert SealedVisit.from_cbor(trusted.to_cbor()) == trusted
