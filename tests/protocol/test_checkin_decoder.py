"""CheckIn's dedicated payload reader (``protocol._checkin._read_checkin``, used by
``CheckIn.from_cbor`` on the venue's hot path, DESIGN.md "Validation at the venue" step 1)
against the generic strict path (``decode_map`` + ``_from_map``): the same object for valid
payloads, the same typed error (class and message) for generated and mutated ones, and
nothing accepted that the generic path refuses."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from did import Ed25519PrivateKey, cbor, did_from_public_key
from did.errors import AnshimError
from protocol import ANY_VENUE, ENVELOPE_SIZE, CheckIn, HealthDeclaration, Kind
from protocol._checkin import CHECKIN_LIFETIME, HOLDER_SHOWN_LIFETIME, _read_checkin
from protocol.wire import MAX_TIME, decode_map

_DID_CHARS = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789.-_")


@st.composite
def checkins(draw: st.DrawFn) -> CheckIn:
    holder_shown = draw(st.booleans())
    if holder_shown:
        audience, challenge, lifetime = ANY_VENUE, None, HOLDER_SHOWN_LIFETIME
    else:
        # DID Core 3.1: idchars, at most 64 characters in all (DESIGN.md venue DIDs).
        audience = "did:web:" + draw(st.text(_DID_CHARS, min_size=1, max_size=56))
        challenge = draw(st.none() | st.binary(min_size=16, max_size=16))
        lifetime = CHECKIN_LIFETIME
    issued_at = draw(st.integers(min_value=0, max_value=MAX_TIME - lifetime))
    kind = draw(st.sampled_from(Kind))
    seed = draw(st.binary(min_size=32, max_size=32))
    check_in = kind is Kind.CHECK_IN
    return CheckIn(
        audience=audience,
        challenge=challenge,
        issued_at=issued_at,
        expires=issued_at + draw(st.integers(min_value=1, max_value=lifetime)),
        pseudonym=did_from_public_key(Ed25519PrivateKey.from_seed(seed).public_key),
        declaration=HealthDeclaration(draw(st.booleans()), draw(st.booleans()))
        if check_in
        else None,
        envelope=draw(st.binary(min_size=ENVELOPE_SIZE, max_size=ENVELOPE_SIZE))
        if check_in
        else None,
        locator=draw(st.binary(min_size=16, max_size=16)),
        kind=kind,
    )


_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=70)
    | st.binary(max_size=ENVELOPE_SIZE + 2),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=4,
)


def _widened(m: dict[int, Any], key: int, size: int) -> bytes:
    # The map written pair by pair, with the head of field ``key`` (an int, a byte or a
    # text string) in a ``size``-byte argument: non-minimal unless the value needs it
    # (RFC 8949 section 4.2.1 refuses the longer forms).
    out = [b"\xaa"]
    for k in range(10):
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
    data = draw(checkins()).to_cbor()
    how = draw(
        st.sampled_from(["field", "drop", "add", "widen", "flip", "cut", "insert", "delete"])
    )
    if how == "widen":
        size = draw(st.sampled_from([1, 2, 4, 8]))
        return _widened(cbor.decode(data), draw(st.integers(min_value=0, max_value=9)), size)
    if how in ("field", "drop", "add"):
        m = cbor.decode(data)
        key = draw(st.integers(min_value=0, max_value=10 if how == "add" else 9))
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


def _outcome(decode: Any, data: bytes) -> tuple[object, str]:
    try:
        return "ok", repr(decode(data))
    except AnshimError as exc:  # anything else escapes and fails the test
        return type(exc), str(exc)


def _generic(data: bytes) -> CheckIn:
    return CheckIn._from_map(decode_map(data, CheckIn._WHAT, CheckIn._KEYS, CheckIn._MAX_CBOR))


def _same_checkin(data: bytes) -> None:
    # Whenever the dedicated reader accepts bytes, the generic decoder and the constructor
    # accept them too and build the same check-in (repr tells True from 1, b"" from "").
    # CheckIn.from_cbor hands the reader only input within the size cap.
    if len(data) > CheckIn._MAX_CBOR:
        return
    fast = _read_checkin(data)
    if fast is not None:
        assert repr(fast) == repr(_generic(data))
        assert fast == _generic(data)


@settings(max_examples=300, deadline=None)
@given(checkins())
def test_valid_payloads_take_the_dedicated_reader_and_match(checkin: CheckIn) -> None:
    data = checkin.to_cbor()
    if checkin.issued_at >= 0x10000:  # 32-bit times: the layout wallets write
        assert _read_checkin(data) is not None
    _same_checkin(data)
    fast = CheckIn.from_cbor(data)
    assert fast == _generic(data) == checkin
    assert repr(fast) == repr(checkin)


@settings(max_examples=1000, deadline=None)
@given(mutated())
def test_mutated_payloads_give_the_generic_result_or_error(data: bytes) -> None:
    _same_checkin(data)
    assert _outcome(CheckIn.from_cbor, data) == _outcome(_generic, data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=700))
def test_arbitrary_bytes_give_the_generic_error(data: bytes) -> None:
    _same_checkin(data)
    assert _outcome(CheckIn.from_cbor, data) == _outcome(_generic, data)


def test_non_bytes_input_gives_the_generic_error() -> None:
    for value in ("text", bytearray(b"\xaa"), None, 7):
        assert _outcome(CheckIn.from_cbor, value) == _outcome(_generic, value)  # type: ignore[arg-type]
