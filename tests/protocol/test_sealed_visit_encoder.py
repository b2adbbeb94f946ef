"""SealedVisit.to_cbor writes the fixed layout of version 1 directly; its bytes are exactly
the generic deterministic-CBOR encoder's (protocol.wire.Message.to_cbor over the key
table), for every channel, every optional field and every size of every integer."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import given, settings

from did import SECONDS_PER_DAY, Ed25519PrivateKey
from protocol import (
    ENVELOPE_SIZE,
    MAX_TIME,
    Channel,
    HealthDeclaration,
    SealedVisit,
    pseudonym_did,
)
from protocol.wire import Message

_PSEUDONYMS = [pseudonym_did(Ed25519PrivateKey.from_seed(bytes([i]) * 32)) for i in range(4)]
_DID_CHARS = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-.")


@st.composite
def records(draw: st.DrawFn) -> SealedVisit:
    channel = draw(st.sampled_from(list(Channel)))
    # Times of every head size the format allows: in the head, one byte, two and four.
    time_in = draw(
        st.one_of(st.integers(0, 300), st.integers(0, 2**16 + 10), st.integers(0, MAX_TIME))
    )
    zone = draw(st.integers(-14 * 3600, 14 * 3600))
    day = max(0, time_in + zone) // SECONDS_PER_DAY
    time_out = draw(st.none() | st.integers(time_in, min(MAX_TIME, time_in + SECONDS_PER_DAY)))
    declaration = draw(
        st.builds(HealthDeclaration, st.booleans(), st.booleans())
        if channel.wallet
        else st.none() | st.builds(HealthDeclaration, st.booleans(), st.booleans())
    )
    host = draw(st.text(_DID_CHARS, min_size=1, max_size=20).filter(lambda h: h[0].isalnum()))
    return SealedVisit(
        visit_id=draw(st.binary(min_size=16, max_size=16)),
        venue=f"did:web:{host}:venues:{draw(st.text(_DID_CHARS, min_size=1, max_size=12))}",
        day=day,
        time_in=time_in,
        time_out=time_out,
        pseudonym=draw(st.sampled_from(_PSEUDONYMS)),
        locator=draw(st.binary(min_size=16, max_size=16)) if channel.wallet else None,
        channel=channel,
        declaration=declaration,
        envelope=draw(st.binary(min_size=ENVELOPE_SIZE, max_size=ENVELOPE_SIZE)),
        receipt_hash=draw(st.binary(min_size=32, max_size=32)) if channel.wallet else None,
    )


@settings(max_examples=600, deadline=None)
@given(records())
def test_the_stored_bytes_are_the_generic_encodings(record: SealedVisit) -> None:
    assert record.to_cbor() == Message.to_cbor(record)
    assert SealedVisit.from_cbor(record.to_cbor()) == record


def test_every_channel_and_declaration_is_covered() -> None:
    base = {
        "visit_id": bytes(16),
        "venue": "did:web:registry.test:venues:a",
        "day": 20000,
        "time_in": 20000 * SECONDS_PER_DAY,
        "pseudonym": _PSEUDONYMS[0],
        "envelope": bytes(ENVELOPE_SIZE),
    }
    for channel in Channel:
        for fever in (False, True):
            for respiratory in (False, True):
                record = SealedVisit(
                    **base,  # type: ignore[arg-type]
                    time_out=None,
                    locator=bytes(16) if channel.wallet else None,
                    channel=channel,
                    declaration=HealthDeclaration(fever, respiratory),
                    receipt_hash=bytes(32) if channel.wallet else None,
                )
                assert record.to_cbor() == Message.to_cbor(record)
