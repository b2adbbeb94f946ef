"""Property tests for did.cbor: round trips, and bad input raising only our errors."""

from __future__ import annotations

import math
from typing import Any

import cbor2
from hypothesis import given, settings
from hypothesis import strategies as st

from did import cbor
from did.errors import DecodeError

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.binary(max_size=64)
    | st.text(max_size=32)
)
_keys = st.integers(min_value=-(2**64), max_value=2**64 - 1) | st.text(max_size=16)
values: st.SearchStrategy[Any] = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=6) | st.dictionaries(_keys, children, max_size=6),
    max_leaves=30,
)


def _same(a: Any, b: Any) -> bool:
    """Equality that also tells 0.0 from -0.0 and checks exact types."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@given(values)
def test_decode_encode_round_trip(value: Any) -> None:
    data = cbor.encode(value)
    decoded = cbor.decode(data, max_size=1 << 20)
    assert _same(decoded, value)
    assert cbor.encode(decoded) == data


@given(values)
def test_encoding_is_valid_cbor_for_an_independent_decoder(value: Any) -> None:
    assert _same(cbor2.loads(cbor.encode(value)), value)


@given(st.dictionaries(_keys, st.integers(min_value=-(2**64), max_value=2**64 - 1), max_size=10))
def test_map_order_independent_of_insertion_order(mapping: dict[Any, int]) -> None:
    reversed_mapping = dict(reversed(list(mapping.items())))
    assert cbor.encode(mapping) == cbor.encode(reversed_mapping)


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_decode_error(data: bytes) -> None:
    # Any exception other than DecodeError propagates and fails the test.
    try:
        value = cbor.decode(data, allowed_tags=frozenset({18}))
    except DecodeError:
        pass
    else:
        # Anything accepted must be exactly the deterministic encoding of its value.
        assert cbor.encode(value) == data


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(cbor.encode(draw(values)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif action == "insert":
            data.insert(pos, draw(st.integers(min_value=0, max_value=255)))
        elif action == "delete" and data:
            del data[pos]
        else:
            del data[pos:]
    return bytes(data)


@settings(max_examples=400)
@given(_mutated())
def test_mutated_encodings_raise_only_decode_error(data: bytes) -> None:
    try:
        value = cbor.decode(data, max_size=1 << 20)
    except DecodeError:
        pass
    else:
        assert cbor.encode(value) == data


@given(values)
def test_non_deterministic_mode_accepts_cbor2_default_encoding(value: Any) -> None:
    # cbor2 keeps insertion order and may pick longer float forms; the relaxed mode used
    # for COSE protected headers must still read it.
    data = cbor2.dumps(value)
    assert _same(cbor.decode(data, max_size=1 << 20, deterministic=False), value)
