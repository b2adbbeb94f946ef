"""protocol derivations: pairwise pseudonyms, trace seeds, locators, days; and the
envelope size agreed with escrow."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given
from hypothesis import strategies as st

import did
import escrow
import tests.protocol.support as sup
from did import Ed25519PrivateKey
from did.errors import InputError, InvalidDid, InvalidKey
from escrow import Point, Scalar
from protocol import (
    ENVELOPE_PAD_TO,
    ENVELOPE_SIZE,
    MAX_CHECKIN_MESSAGE,
    CheckIn,
    LocatorVenues,
    day_of,
    derive_pseudonym_key,
    derive_trace_seed,
    locator,
    locators,
    pseudonym_did,
)

SECRET = sup.WALLET_SECRET
DAY = day_of(sup.NOW)
venues = st.sampled_from([f"did:web:reg.example:venues:v{i}" for i in range(50)])
days = st.integers(min_value=0, max_value=2**32 - 1)


# --- unlinkability (DESIGN.md "Identifiers", "Who learns what") ------------------------


def test_same_venue_same_day_same_pseudonym() -> None:
    a = derive_pseudonym_key(SECRET, sup.VENUE, DAY)
    b = derive_pseudonym_key(SECRET, sup.VENUE, DAY)
    assert a.seed() == b.seed()
    assert pseudonym_did(a) == pseudonym_did(b)
    assert locator(derive_trace_seed(SECRET, DAY), sup.VENUE) == locator(
        derive_trace_seed(SECRET, DAY), sup.VENUE
    )


@given(venues, venues, days, days)
def test_other_venue_or_day_gives_unrelated_values(v1: str, v2: str, d1: int, d2: int) -> None:
    k1 = derive_pseudonym_key(SECRET, v1, d1)
    k2 = derive_pseudonym_key(SECRET, v2, d2)
    same = (v1, d1) == (v2, d2)
    assert (pseudonym_did(k1) == pseudonym_did(k2)) is same
    l1 = locator(derive_trace_seed(SECRET, d1), v1)
    l2 = locator(derive_trace_seed(SECRET, d2), v2)
    assert (l1 == l2) is same
    assert (derive_trace_seed(SECRET, d1) == derive_trace_seed(SECRET, d2)) is (d1 == d2)


def test_other_wallet_gives_other_pseudonyms() -> None:
    other = bytes(32)
    assert pseudonym_did(derive_pseudonym_key(other, sup.VENUE, DAY)) != pseudonym_did(
        derive_pseudonym_key(SECRET, sup.VENUE, DAY)
    )
    assert derive_trace_seed(other, DAY) != derive_trace_seed(SECRET, DAY)


def test_domains_are_separated() -> None:
    # The pseudonym seed and the trace seed come from the same secret under different
    # labels; neither equals the other for any day or venue sampled.
    seeds = {derive_pseudonym_key(SECRET, f"did:web:x:{d}", d).seed() for d in range(20)}
    traces = {derive_trace_seed(SECRET, d) for d in range(20)}
    assert len(seeds) == 20
    assert len(traces) == 20
    assert not seeds & traces


def test_derivations_match_their_specification() -> None:
    # Recompute with the primitives directly (RFC 5869 HKDF-SHA256, RFC 2104 HMAC), as an
    # investigator's independent tool would.
    info = b"anshim/protocol/v1/pseudonym-key\x00" + DAY.to_bytes(8, "big") + sup.VENUE.encode()
    seed = HKDF(hashes.SHA256(), 32, b"anshim/protocol/v1", info).derive(SECRET)
    assert derive_pseudonym_key(SECRET, sup.VENUE, DAY).seed() == seed
    info = b"anshim/protocol/v1/trace-seed\x00" + DAY.to_bytes(8, "big")
    trace = HKDF(hashes.SHA256(), 32, b"anshim/protocol/v1", info).derive(SECRET)
    assert derive_trace_seed(SECRET, DAY) == trace
    mac = hmac.new(trace, b"anshim/protocol/v1/locator\x00" + sup.VENUE.encode(), hashlib.sha256)
    assert locator(trace, sup.VENUE) == mac.digest()[:16]
    assert len(trace) == 32


# DIDs of every length up to the venue limit, across SHA-256's 64-byte block boundaries,
# with percent-encoded and colon-separated method-specific ids.
any_venue = st.builds(
    lambda method, parts: f"did:{method}:{':'.join(parts)}",
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8),
    st.lists(
        st.text("abcXYZ019._-", min_size=1, max_size=40) | st.just("%4A"), min_size=1, max_size=4
    ),
)


@given(st.binary(min_size=32, max_size=32), st.lists(any_venue, max_size=20))
def test_batch_locators_equal_locator_for_every_venue(seed: bytes, dids: list[str]) -> None:
    expected = [locator(seed, d) for d in dids]
    assert locators(seed, dids) == expected
    assert locators(bytearray(seed), LocatorVenues(dids)) == expected
    venues = LocatorVenues(dids)
    assert locators(seed, venues) == locators(seed, venues) == expected  # reusable
    assert venues.dids == tuple(dids)
    assert len(venues) == len(dids)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: locators(bytes(31), [sup.VENUE]), InvalidKey),
        (lambda: locators("x" * 32, [sup.VENUE]), InvalidKey),
        (lambda: locators(bytes(32), [sup.VENUE, "venue"]), InvalidDid),
        (lambda: locators(bytes(32), [7]), InvalidDid),
        (lambda: LocatorVenues(sup.VENUE), InvalidDid),
    ],
)
def test_batch_locators_bad_arguments(call: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        call()  # type: ignore[operator]


def test_pseudonym_did_is_an_ed25519_did_key() -> None:
    did = pseudonym_did(derive_pseudonym_key(SECRET, sup.VENUE, DAY))
    assert did.startswith("did:key:z6Mk")
    assert len(did) == 56


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: derive_pseudonym_key(b"short", sup.VENUE, DAY), InvalidKey),
        (lambda: derive_pseudonym_key(bytes(65), sup.VENUE, DAY), InvalidKey),
        (lambda: derive_pseudonym_key("x" * 32, sup.VENUE, DAY), InvalidKey),
        (lambda: derive_pseudonym_key(SECRET, "venue", DAY), InvalidDid),
        (lambda: derive_pseudonym_key(SECRET, sup.VENUE, -1), InputError),
        (lambda: derive_pseudonym_key(SECRET, sup.VENUE, True), InputError),
        (lambda: derive_pseudonym_key(SECRET, sup.VENUE, 2**32), InputError),
        (lambda: derive_trace_seed(SECRET, 1.0), InputError),
        (lambda: locator(bytes(31), sup.VENUE), InvalidKey),
        (lambda: locator(bytes(32), 7), InvalidDid),
        (lambda: pseudonym_did(sup.VENUE_KEY.public_key), InvalidKey),
        (lambda: day_of(-1), InputError),
        (lambda: day_of(0, tz_offset=14 * 3600 + 1), InputError),
    ],
)
def test_bad_arguments(call: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        call()  # type: ignore[operator]


def test_secret_not_in_repr() -> None:
    key = derive_pseudonym_key(SECRET, sup.VENUE, DAY)
    assert key.seed().hex() not in repr(key)
    assert SECRET.hex() not in repr(key)


# --- days match escrow's epochs --------------------------------------------------------


def test_days_have_one_definition() -> None:
    # Issue 8 "one definition per rule": the day a message names is did.day_of's.
    assert day_of is did.day_of
    # 2023-11-14 15:00 UTC is already 2023-11-15 in Korea (UTC+9).
    t = 1_699_974_000
    assert day_of(t, tz_offset=9 * 3600) == day_of(t) + 1


# --- the envelope size agreed with escrow ----------------------------------------------


def _epoch_key(day: int) -> escrow.EpochKey:
    y = Point.base_mul(Scalar.reduce64(hashlib.sha512(b"test epoch key").digest()))
    return escrow.EpochKey(
        epoch=day,
        public_key=y,
        verification_keys=(y,),
        threshold=1,
        custodians=("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",),
    )


def test_envelope_size_is_escrow_overhead_plus_pad() -> None:
    assert ENVELOPE_SIZE == escrow.ENVELOPE_OVERHEAD + ENVELOPE_PAD_TO


def test_real_escrow_envelope_fits_a_600_byte_checkin() -> None:
    key = derive_pseudonym_key(SECRET, sup.VENUE, DAY)
    label = escrow.VisitLabel(sup.VENUE, DAY, pseudonym_did(key), sup.NOW)
    epoch_key = _epoch_key(DAY)
    # The largest plaintext the pad admits (one byte goes to the padding marker).
    sealed = escrow.seal(epoch_key, label, b"\x01" * (ENVELOPE_PAD_TO - 1), pad_to=ENVELOPE_PAD_TO)
    envelope = sealed.to_bytes()
    assert len(envelope) == ENVELOPE_SIZE
    longest_venue = "did:web:" + "v" * 56
    data = sup.checkin(
        envelope=envelope, audience=longest_venue, pseudonym=pseudonym_did(key)
    ).sign(key)
    assert len(data) <= MAX_CHECKIN_MESSAGE
    checkin = CheckIn.verify(data, audience=longest_venue, now=sup.NOW)
    # The venue's step 4 accepts what the check-in carried.
    escrow.check_envelope_structure(
        checkin.envelope,  # type: ignore[arg-type]
        epoch_keys={DAY: epoch_key},
        expected_epoch=DAY,
        expected_size=ENVELOPE_SIZE,
    )


def test_keys_are_ed25519_private_keys() -> None:
    assert isinstance(derive_pseudonym_key(SECRET, sup.VENUE, DAY), Ed25519PrivateKey)
