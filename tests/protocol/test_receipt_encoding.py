"""VisitReceipt.to_cbor writes the key table's fixed layout directly (one receipt per
check-in); these tests hold it byte for byte to the generic deterministic encoder
(RFC 8949 section 4.2.1, :func:`did.cbor.encode`) and to the decoder."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from did import Ed25519PrivateKey, Ed25519PublicKey, cbor, did_from_public_key
from protocol import MAX_STAY, Channel, VisitReceipt
from protocol.wire import MAX_TIME

_WALLET_CHANNELS = [c for c in Channel if c.wallet]
_DID_CHARS = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789.-_")


@st.composite
def receipts(draw: st.DrawFn) -> VisitReceipt:
    # DID Core 3.1: a method-specific id of idchars (at most 64 characters in all).
    venue = "did:web:" + draw(st.text(_DID_CHARS, min_size=1, max_size=64 - len("did:web:")))
    time_in = draw(st.integers(min_value=0, max_value=MAX_TIME))
    time_out = draw(
        st.none() | st.integers(min_value=time_in, max_value=min(MAX_TIME, time_in + MAX_STAY))
    )
    # Valid points only (the constructor checks the pseudonym), from a drawn seed.
    seed = draw(st.binary(min_size=32, max_size=32))
    pseudonym = did_from_public_key(Ed25519PrivateKey.from_seed(seed).public_key)
    return VisitReceipt(
        venue=venue,
        pseudonym=pseudonym,
        time_in=time_in,
        time_out=time_out,
        visit_id=draw(st.binary(min_size=16, max_size=16)),
        checkin_hash=draw(st.binary(min_size=32, max_size=32)),
        channel=draw(st.sampled_from(_WALLET_CHANNELS)),
    )


@settings(max_examples=300, deadline=None)
@given(receipts())
def test_fast_encoding_equals_the_generic_encoder(receipt: VisitReceipt) -> None:
    data = receipt.to_cbor()
    assert data == cbor.encode(receipt._to_map())
    assert VisitReceipt.from_cbor(data) == receipt


@settings(max_examples=50, deadline=None)
@given(receipts())
def test_signed_receipts_verify(receipt: VisitReceipt) -> None:
    key = Ed25519PrivateKey.from_seed(bytes(range(32)))
    signed = receipt.sign(key)
    public: Ed25519PublicKey = key.public_key
    assert VisitReceipt.verify(signed, public, now=MAX_TIME) == receipt
