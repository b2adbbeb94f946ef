"""SealedVisit's dedicated payload reader (``protocol._visitlayout.read_sealed_visit``, used
by ``SealedVisit.from_cbor`` on the registry's upload path) and ``UploadBatch.open_records``
(which opens the framing ``Signed.sign`` writes directly) against the generic strict path
(``did.cose`` + ``decode_map`` + the constructor): the same records for valid input, the same
typed error (class and message) for generated and mutated input, and nothing accepted that
the generic path refuses."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did import SECONDS_PER_DAY, Ed25519PrivateKey, cbor, cose, did_from_public_key
from did.errors import AnshimError, DecodeError
from protocol import (
    ENVELOPE_SIZE,
    MAX_SEALED_VISIT_MESSAGE,
    MAX_STAY,
    Channel,
    HealthDeclaration,
    SealedVisit,
    UploadBatch,
)
from protocol._visitlayout import MAX_ZONE_OFFSET, read_sealed_visit
from protocol.errors import BadAlgorithm, ForeignRecord, OversizeMessage
from protocol.wire import MAX_TIME, PROTECTED_EDDSA, decode_map, fail

_DID_CHARS = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789.-_")
_VENUE_KEY = Ed25519PrivateKey.from_seed(b"\x11" * 32)
# Pseudonyms from a few fixed seeds (key generation is the slow part of drawing a record).
_PSEUDONYMS = [
    did_from_public_key(Ed25519PrivateKey.from_seed(bytes((i,)) * 32).public_key)
    for i in range(1, 9)
]


def _venues() -> st.SearchStrategy[str]:
    # DID Core 3.1: idchars, at most 64 characters in all (DESIGN.md venue DIDs).
    return st.builds(lambda s: "did:web:" + s, st.text(_DID_CHARS, min_size=1, max_size=56))


@st.composite
def sealed_visits(
    draw: st.DrawFn, venue: str | None = None, *, layout: bool = False
) -> SealedVisit:
    # ``layout``: only days and times whose heads are the layout's (two and four bytes).
    first = 0x100 * SECONDS_PER_DAY + MAX_ZONE_OFFSET if layout else 0
    time_in = draw(
        st.integers(min_value=first, max_value=MAX_TIME - MAX_STAY)
        | st.integers(min_value=1_700_000_000, max_value=1_900_000_000)
        # The smallest days and times, whose heads are shorter than the layout's.
        | st.integers(min_value=0x10000 - 100, max_value=0x10000 + 300 * SECONDS_PER_DAY).filter(
            lambda t: t >= first
        )
    )
    earliest = max(0, time_in - MAX_ZONE_OFFSET) // SECONDS_PER_DAY
    day = draw(
        st.integers(min_value=earliest, max_value=(time_in + MAX_ZONE_OFFSET) // SECONDS_PER_DAY)
    )
    time_out = draw(st.none() | st.integers(min_value=time_in, max_value=time_in + MAX_STAY))
    channel = draw(st.sampled_from(Channel))
    declaration = st.builds(HealthDeclaration, st.booleans(), st.booleans())
    return SealedVisit(
        visit_id=draw(st.binary(min_size=16, max_size=16)),
        venue=venue if venue is not None else draw(_venues()),
        day=day,
        time_in=time_in,
        time_out=time_out,
        pseudonym=draw(st.sampled_from(_PSEUDONYMS)),
        locator=draw(st.binary(min_size=16, max_size=16)) if channel.wallet else None,
        channel=channel,
        declaration=draw(declaration if channel.wallet else st.none() | declaration),
        envelope=draw(st.binary(min_size=ENVELOPE_SIZE, max_size=ENVELOPE_SIZE)),
        receipt_hash=draw(st.binary(min_size=32, max_size=32)) if channel.wallet else None,
    )


_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=70)
    | st.sampled_from(_PSEUDONYMS)
    | st.binary(max_size=ENVELOPE_SIZE + 2),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=4,
)


def _widened(m: dict[int, Any], key: int, size: int) -> bytes:
    # The map written pair by pair, with the head of field ``key`` (an int, a byte or a
    # text string) in a ``size``-byte argument: non-minimal unless the value needs it
    # (RFC 8949 section 4.2.1 refuses the longer forms).
    out = [b"\xac"]
    for k in range(12):
        value = m[k]
        out.append(bytes((k,)))
        if k != key or type(value) not in (int, bytes, str):
            out.append(cbor.encode(value))
            continue
        major, body = (0, b"") if type(value) is int else (2, value)
        if type(value) is str:
            major, body = 3, value.encode("utf-8")
        arg = value if type(value) is int else len(body)
        if arg >= 1 << (8 * size):
            out.append(cbor.encode(value))
            continue
        ai = {1: 24, 2: 25, 4: 26, 8: 27}[size]
        out.append(bytes((major << 5 | ai,)) + arg.to_bytes(size, "big") + body)
    return b"".join(out)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid payload with one field replaced, a key dropped or added, a head widened, or
    bytes flipped, cut, inserted or deleted."""
    data = draw(sealed_visits()).to_cbor()
    how = draw(
        st.sampled_from(["field", "drop", "add", "widen", "flip", "cut", "insert", "delete"])
    )
    if how == "widen":
        size = draw(st.sampled_from([1, 2, 4, 8]))
        return _widened(cbor.decode(data), draw(st.integers(min_value=0, max_value=11)), size)
    if how in ("field", "drop", "add"):
        m = cbor.decode(data)
        key = draw(st.integers(min_value=0, max_value=12 if how == "add" else 11))
        if how == "drop":
            del m[key]
        else:
            m[key] = draw(_VALUES)
        return cbor.encode(m)
    at = draw(st.integers(min_value=0, max_value=len(data) - 1))
    if how == "flip":
        return data[:at] + bytes((data[at] ^ draw(st.integers(1, 255)),)) + data[at + 1 :]
    if how == "cut":
        return data[:at]
    if how == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    return data[:at] + data[at + 1 :]


def _near(m: dict[int, Any], key: int) -> st.SearchStrategy[Any]:
    # Values at and across the edges of the constructor's rules for field ``key``.
    t = m[4]
    earliest = max(0, t - MAX_ZONE_OFFSET) // SECONDS_PER_DAY
    latest = (t + MAX_ZONE_OFFSET) // SECONDS_PER_DAY
    bad_pseudonym = st.builds(
        lambda p, i, c: p[:i] + c + p[i + 1 :],
        st.sampled_from(_PSEUDONYMS),
        st.integers(min_value=8, max_value=55),
        st.sampled_from("12zLl0O_é"),
    )
    ints = {
        3: [earliest - 1, earliest, latest, latest + 1, 0, 255, 256, 0xFFFF, 0x10000],
        4: [t - 1, t + 1, t - MAX_ZONE_OFFSET, t + MAX_ZONE_OFFSET, 0xFFFF, 0x10000, MAX_TIME,
            MAX_TIME + 1],
        5: [None, t - 1, t, t + MAX_STAY, t + MAX_STAY + 1, MAX_TIME + 1, 0xFFFF],
        8: list(range(-1, 8)),
    }  # fmt: skip
    if key in ints:
        return st.sampled_from(ints[key]) | st.integers(min_value=-3, max_value=3).map(
            lambda d: (m[key] or 0) + d
        )
    if key == 2:
        return st.sampled_from(
            ["did:web:" + "a" * 56, "did:web:" + "a" * 57, "did:web:a%41", "did:web:a%4",
             "did:web:a:", "did:Web:a", "did:web:é", "*", "did:web:a\u0000", ""]
        )  # fmt: skip
    if key == 6:
        return bad_pseudonym | st.sampled_from(_PSEUDONYMS) | st.just(_PSEUDONYMS[0][:-1])
    sizes = {1: 16, 7: 16, 10: ENVELOPE_SIZE, 11: 32}
    size = sizes.get(key, 2)
    return (
        st.none()
        | st.binary(min_size=size - 1, max_size=size + 1)
        | st.sampled_from([[True, False], [False], [1, 0], [None, None]])
    )


@st.composite
def tweaked(draw: st.DrawFn) -> bytes:
    """A valid payload with one field moved to an edge of its rule (:func:`_near`), a
    channel changed with the fields kept, an int head widened, or bytes appended."""
    how = draw(st.sampled_from(["near", "near", "near", "widen", "append"]))
    data = draw(sealed_visits(layout=how != "widen")).to_cbor()
    if how == "append":
        return data + draw(st.binary(min_size=1, max_size=3))
    m = cbor.decode(data)
    if how == "widen":
        return _widened(m, draw(st.sampled_from([2, 3, 4, 5, 8])), draw(st.sampled_from([1, 2, 4])))
    key = draw(st.sampled_from([2, 3, 4, 5, 6, 7, 8, 9, 11, 1, 10]))
    m[key] = draw(_near(m, key))
    return cbor.encode(m)


def _outcome(decode: Any, data: object) -> tuple[object, str]:
    try:
        return "ok", repr(decode(data))
    except AnshimError as exc:  # anything else escapes and fails the test
        return type(exc), str(exc)


def _generic(data: bytes) -> SealedVisit:
    m = decode_map(data, SealedVisit._WHAT, SealedVisit._KEYS, SealedVisit._MAX_CBOR)
    return SealedVisit._from_map(m)


def _same_visit(data: bytes) -> None:
    # Whenever the dedicated reader accepts bytes, the generic decoder and the constructor
    # accept them too and build the same record (repr tells True from 1, b"" from "").
    # SealedVisit.from_cbor hands the reader only input within the size cap.
    if len(data) > SealedVisit._MAX_CBOR:
        return
    fields = read_sealed_visit(data)
    if fields is not None:
        generic = _generic(data)
        assert fields == tuple(getattr(generic, f.name) for f in SealedVisit._FIELDS)
        assert repr(SealedVisit.from_cbor(data)) == repr(generic)


@settings(max_examples=300, deadline=None)
@given(sealed_visits())
def test_valid_payloads_take_the_dedicated_reader_and_match(visit: SealedVisit) -> None:
    data = visit.to_cbor()
    if visit.time_in >= 0x10000 and visit.day >= 0x100:  # the layout venues write
        assert read_sealed_visit(data) is not None
    _same_visit(data)
    fast = SealedVisit.from_cbor(data)
    assert fast == _generic(data) == visit
    assert repr(fast) == repr(visit)
    assert fast.to_cbor() == data


@settings(max_examples=1500, deadline=None)
@given(mutated())
def test_mutated_payloads_give_the_generic_result_or_error(data: bytes) -> None:
    _same_visit(data)
    assert _outcome(SealedVisit.from_cbor, data) == _outcome(_generic, data)


@settings(max_examples=1500, deadline=None)
@given(tweaked())
def test_payloads_at_the_edges_give_the_generic_result_or_error(data: bytes) -> None:
    _same_visit(data)
    assert _outcome(SealedVisit.from_cbor, data) == _outcome(_generic, data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=800))
def test_arbitrary_bytes_give_the_generic_error(data: bytes) -> None:
    _same_visit(data)
    assert _outcome(SealedVisit.from_cbor, data) == _outcome(_generic, data)


def test_non_bytes_and_oversize_input_give_the_generic_error() -> None:
    payload = SealedVisit(
        visit_id=b"\x01" * 16, venue="did:web:example.org", day=20_000,
        time_in=20_000 * SECONDS_PER_DAY, time_out=None, pseudonym=_PSEUDONYMS[0],
        locator=None, channel=Channel.SMS, declaration=None, envelope=b"\x00" * ENVELOPE_SIZE,
        receipt_hash=None,
    ).to_cbor()  # fmt: skip
    too_long = payload + b"\x00" * (SealedVisit._MAX_CBOR + 1 - len(payload))
    for value in ("text", bytearray(payload), None, 7, too_long):
        assert _outcome(SealedVisit.from_cbor, value) == _outcome(_generic, value)
    assert _outcome(SealedVisit.from_cbor, payload)[0] == "ok"


# -- UploadBatch.open_records ------------------------------------------------------------


def _frame(payload: bytes) -> bytes:
    # A record signed as Signed.sign frames it, over any payload (the signature is not
    # checked when a batch is opened: the batch's signature covers the records).
    return cose.sign1(payload, _VENUE_KEY, external_aad=SealedVisit._aad())


def _reference_records(batch: UploadBatch) -> list[tuple[SealedVisit, bytes]]:
    # What open_records did before its direct read: each record through did.cose's generic
    # decoder and the generic payload decoder, then the venue check.
    what = SealedVisit._WHAT
    out = []
    for record in batch.records:
        if len(record) > SealedVisit._MAX_MESSAGE:
            raise OversizeMessage(f"{what}: {len(record)} bytes exceeds {SealedVisit._MAX_MESSAGE}")
        try:
            parsed = cose.CoseSign1.from_bytes(
                record, max_size=SealedVisit._MAX_MESSAGE, require_tag=True
            )
        except cose.UnsupportedAlgorithm as exc:
            raise BadAlgorithm(f"{what}: only EdDSA is accepted") from exc
        except DecodeError as exc:
            raise fail(what, exc.message) from exc
        if parsed.protected_bytes != PROTECTED_EDDSA or parsed.unprotected:
            raise BadAlgorithm(f"{what}: headers must be exactly {{alg: EdDSA}} and empty")
        visit = _generic(parsed.payload)
        if visit.venue != batch.venue:
            raise ForeignRecord("UploadBatch: a record of another venue is in the batch")
        out.append((visit, parsed.signature))
    return out


@st.composite
def batches(draw: st.DrawFn) -> UploadBatch:
    """A batch of one venue's records, some of them mutated (in the payload, re-framed, or
    in the signed bytes), or a record of another venue."""
    venue = draw(_venues())
    records = []
    for visit in draw(st.lists(sealed_visits(venue=venue), min_size=1, max_size=4)):
        how = draw(st.sampled_from(["valid", "valid", "payload", "signed", "foreign"]))
        if how == "payload":
            records.append(_frame(draw(mutated())))
        elif how == "foreign":
            records.append(draw(sealed_visits()).sign(_VENUE_KEY))
        else:
            data = visit.sign(_VENUE_KEY)
            if how == "signed":
                at = draw(st.integers(min_value=0, max_value=len(data) - 1))
                data = data[:at] + bytes((data[at] ^ draw(st.integers(1, 255)),)) + data[at + 1 :]
            records.append(data)
    records = [r for r in records if len(r) <= MAX_SEALED_VISIT_MESSAGE] or [records[0][:10]]
    return UploadBatch(venue=venue, batch_id=b"\x02" * 16, issued=0, records=tuple(records))


@settings(max_examples=400, deadline=None)
@given(batches())
def test_open_records_gives_the_generic_records_or_error(batch: UploadBatch) -> None:
    assert _outcome(UploadBatch.open_records, batch) == _outcome(_reference_records, batch)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_open_records_of_a_valid_batch_are_its_visits_and_signatures(data: st.DataObject) -> None:
    venue = data.draw(_venues())
    visits = data.draw(st.lists(sealed_visits(venue=venue), min_size=1, max_size=5))
    records = tuple(v.sign(_VENUE_KEY) for v in visits)
    batch = UploadBatch(venue=venue, batch_id=b"\x03" * 16, issued=0, records=records)
    opened = batch.open_records()
    assert opened == [(v, r[-64:]) for v, r in zip(visits, records, strict=True)]
    for (visit, signature), record in zip(opened, records, strict=True):
        SealedVisit.check_signature(SealedVisit.parse_unverified(record)[0], _VENUE_KEY.public_key)
        assert visit.sign(_VENUE_KEY)[-64:] == signature


def test_a_record_of_another_venue_is_refused() -> None:
    visit = SealedVisit(
        visit_id=b"\x01" * 16, venue="did:web:a.example", day=20_000,
        time_in=20_000 * SECONDS_PER_DAY, time_out=None, pseudonym=_PSEUDONYMS[0],
        locator=None, channel=Channel.CALL, declaration=None, envelope=b"\x00" * ENVELOPE_SIZE,
        receipt_hash=None,
    )  # fmt: skip
    batch = UploadBatch(
        venue="did:web:b.example", batch_id=b"\x04" * 16, issued=0,
        records=(visit.sign(_VENUE_KEY),),
    )  # fmt: skip
    with pytest.raises(ForeignRecord):
        batch.open_records()
