"""Deterministic CBOR: RFC 8949 Appendix A examples, strictness and attack tests."""

from __future__ import annotations

import math
import time

import cbor2
import pytest

from did import cbor
from did.errors import AnshimError, DecodeError, EncodingError

# RFC 8949 Appendix A ("Examples of Encoded CBOR Data Items"): every example whose
# encoding is also the core deterministic encoding of section 4.2.1.
APPENDIX_A = [
    (0, "00"),
    (1, "01"),
    (10, "0a"),
    (23, "17"),
    (24, "1818"),
    (25, "1819"),
    (100, "1864"),
    (1000, "1903e8"),
    (1000000, "1a000f4240"),
    (1000000000000, "1b000000e8d4a51000"),
    (18446744073709551615, "1bffffffffffffffff"),
    (-18446744073709551616, "3bffffffffffffffff"),
    (-1, "20"),
    (-10, "29"),
    (-100, "3863"),
    (-1000, "3903e7"),
    (0.0, "f90000"),
    (-0.0, "f98000"),
    (1.0, "f93c00"),
    (1.1, "fb3ff199999999999a"),
    (1.5, "f93e00"),
    (65504.0, "f97bff"),
    (100000.0, "fa47c35000"),
    (3.4028234663852886e38, "fa7f7fffff"),
    (1.0e300, "fb7e37e43c8800759c"),
    (5.960464477539063e-8, "f90001"),
    (0.00006103515625, "f90400"),
    (-4.0, "f9c400"),
    (-4.1, "fbc010666666666666"),
    (math.inf, "f97c00"),
    (-math.inf, "f9fc00"),
    (False, "f4"),
    (True, "f5"),
    (None, "f6"),
    (b"", "40"),
    (b"\x01\x02\x03\x04", "4401020304"),
    ("", "60"),
    ("a", "6161"),
    ("IETF", "6449455446"),
    ('"\\', "62225c"),
    ("\u00fc", "62c3bc"),
    ("\u6c34", "63e6b0b4"),
    ("\U00010151", "64f0908591"),
    ([], "80"),
    ([1, 2, 3], "83010203"),
    ([1, [2, 3], [4, 5]], "8301820203820405"),
    (list(range(1, 26)), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
    ({}, "a0"),
    ({1: 2, 3: 4}, "a201020304"),
    ({"a": 1, "b": [2, 3]}, "a26161016162820203"),
    (["a", {"b": "c"}], "826161a161626163"),
    (
        {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"},
        "a56161614161626142616361436164614461656145",
    ),
]

# RFC 8949 Appendix A tagged examples, decoded with their tag allowed.
APPENDIX_A_TAGS = [
    (cbor.Tag(0, "2013-03-21T20:04:00Z"), "c074323031332d30332d32315432303a30343a30305a"),
    (cbor.Tag(1, 1363896240), "c11a514b67b0"),
    (cbor.Tag(23, b"\x01\x02\x03\x04"), "d74401020304"),
    (cbor.Tag(24, b"dIETF"), "d818456449455446"),
    (cbor.Tag(32, "http://www.example.com"), "d82076687474703a2f2f7777772e6578616d706c652e636f6d"),
]


@pytest.mark.parametrize(("value", "hexstr"), APPENDIX_A)
def test_rfc8949_appendix_a_encode(value: object, hexstr: str) -> None:
    assert cbor.encode(value).hex() == hexstr


@pytest.mark.parametrize(("value", "hexstr"), APPENDIX_A)
def test_rfc8949_appendix_a_decode(value: object, hexstr: str) -> None:
    decoded = cbor.decode(bytes.fromhex(hexstr))
    assert decoded == value
    assert type(decoded) is type(value)
    if isinstance(value, float):
        assert math.copysign(1.0, decoded) == math.copysign(1.0, value)


@pytest.mark.parametrize(("value", "hexstr"), APPENDIX_A_TAGS)
def test_rfc8949_appendix_a_tags(value: cbor.Tag, hexstr: str) -> None:
    data = bytes.fromhex(hexstr)
    assert cbor.encode(value) == data
    assert cbor.decode(data, allowed_tags=frozenset({value.number})) == value
    with pytest.raises(DecodeError, match=f"tag {value.number} is not allowed"):
        cbor.decode(data)


def test_map_keys_sorted_bytewise_not_length_first() -> None:
    # Section 4.2.1 orders by the encoded bytes: 0x19 (int 1000) sorts before 0x61 ("a"),
    # although "a" has the shorter encoding (the RFC 7049 "canonical" order would differ).
    data = cbor.encode({"a": 2, 1000: 1})
    assert data.hex() == "a21903e801616102"
    assert cbor.decode(data) == {1000: 1, "a": 2}
    assert (
        cbor.encode({-1: 0, 0: 0, "b": 0, "aa": 0, 10: 0}).hex() == "a500000a00200061620062616100"
    )


def test_encoding_agrees_with_cbor2() -> None:
    value = {"v": 1, "nonce": b"\x00" * 16, -3: [1.5, None, True, "x"], "m": {"k": -70000}}
    assert cbor2.loads(cbor.encode(value)) == value


def test_tuple_encodes_as_array_and_decodes_as_list() -> None:
    assert cbor.decode(cbor.encode((1, (2,)))) == [1, [2]]


def test_cbor2_tag_is_accepted_on_encoding() -> None:
    assert cbor.encode(cbor2.CBORTag(18, [])) == bytes.fromhex("d280")


def test_memoryview_and_bytearray_inputs() -> None:
    assert cbor.decode(bytearray(b"\x83\x01\x02\x03")) == [1, 2, 3]
    assert cbor.decode(memoryview(b"\x41\x00")) == b"\x00"
    assert cbor.encode(bytearray(b"\x01")) == b"\x41\x01"


# --- encoding refusals -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        2**64,
        -(2**64) - 1,
        math.nan,
        {1, 2},
        object(),
        "\ud800",
        {b"key": 1},
        {True: 1},
        {1.0: 1},
        {(1,): 1},
        {None: 1},
        cbor.Tag(-1, 0),
        cbor.Tag(2**64, 0),
        cbor.Tag(True, 0),
        [1, {"x": object()}],
    ],
    ids=repr,
)
def test_encode_refuses(value: object) -> None:
    with pytest.raises(EncodingError):
        cbor.encode(value)


def test_encode_refuses_cyclic_structure() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(EncodingError, match="nesting deeper"):
        cbor.encode(loop)


# --- decoding attacks (each test is named after what it stops) --------------------------


def _refused(hexstr: str, match: str, **kwargs: object) -> None:
    with pytest.raises(DecodeError, match=match):
        cbor.decode(bytes.fromhex(hexstr), **kwargs)  # type: ignore[arg-type]


def test_duplicate_map_keys_refused() -> None:
    _refused("a2010001 00".replace(" ", ""), "duplicate map key")
    _refused("a2616101616102", "duplicate map key")
    # Still refused when key order is not enforced.
    _refused("a2616101616102", "duplicate map key", deterministic=False)
    _refused("a3030401020304", "duplicate map key", deterministic=False)


def test_unsorted_map_keys_refused() -> None:
    _refused("a203040102", "deterministic order")
    assert cbor.decode(bytes.fromhex("a203040102"), deterministic=False) == {3: 4, 1: 2}


@pytest.mark.parametrize(
    "hexstr",
    [
        "5f42010243030405ff",
        "7f657374726561646d696e67ff",
        "9fff",
        "9f018202039f0405ffff",
        "bf61610161629f0203ffff",
        "5fff",
    ],
)
def test_indefinite_length_refused(hexstr: str) -> None:
    # RFC 8949 Appendix A indefinite-length examples: section 4.2.1 forbids them.
    _refused(hexstr, "indefinite length")


@pytest.mark.parametrize(
    "hexstr",
    [
        "1817",
        "190017",
        "1a00000017",
        "1b0000000000000017",
        "1900ff",
        "1a0000ffff",
        "1b00000000ffffffff",
        "3817",
        "580100",
        "780161",
        "9800",
        "b800",
        "d80100",
        "5900 01 00",
    ],
)
def test_non_minimal_int_or_length_refused(hexstr: str) -> None:
    _refused(hexstr.replace(" ", ""), "non-minimal")


def test_non_minimal_accepted_only_when_not_deterministic() -> None:
    assert cbor.decode(bytes.fromhex("1817"), deterministic=False) == 23


@pytest.mark.parametrize(
    "hexstr", ["fa3fc00000", "fb3ff8000000000000", "fa7f800000", "fb0000000000000000"]
)
def test_non_shortest_float_refused(hexstr: str) -> None:
    _refused(hexstr, "shortest")


@pytest.mark.parametrize("hexstr", ["f97e00", "fa7fc00000", "fb7ff8000000000000", "f97c01"])
def test_nan_refused(hexstr: str) -> None:
    _refused(hexstr, "NaN")


def test_unknown_tag_refused() -> None:
    _refused("c249010000000000000000", "tag 2 is not allowed")  # bignum 2**64
    _refused("d9d9f700", "tag 55799 is not allowed")  # self-described CBOR
    _refused("d8 1c 00".replace(" ", ""), "tag 28 is not allowed")  # shareable


def test_undefined_and_simple_values_refused() -> None:
    _refused("f7", "undefined")
    _refused("f0", "simple values")
    _refused("f8ff", "simple values")
    _refused("f820", "simple values")
    _refused("ff", "break")
    _refused("fc", "simple values")


def test_reserved_additional_information_refused() -> None:
    for head in ("1c", "3d", "5e", "7c", "9d", "be", "dc"):
        _refused(head, "reserved additional information")


def test_depth_bomb_refused() -> None:
    nested = b"\x81" * 16 + b"\x00"
    assert cbor.decode(nested, max_depth=16) is not None
    with pytest.raises(DecodeError, match="nesting deeper than max_depth=16"):
        cbor.decode(b"\x81" + nested, max_depth=16)
    with pytest.raises(DecodeError, match="nesting deeper"):
        cbor.decode(b"\x81" * 60_000 + b"\x00", max_size=100_000)
    with pytest.raises(DecodeError, match="nesting deeper"):
        cbor.decode(b"\xa1\x00" * 20 + b"\x00")
    with pytest.raises(DecodeError, match="nesting deeper"):
        cbor.decode(b"\xd2" * 20 + b"\x00", allowed_tags=frozenset({18}))


@pytest.mark.parametrize(
    "hexstr",
    [
        "9bffffffffffffffff",
        "5bffffffffffffffff",
        "7bffffffffffffffff",
        "bbffffffffffffffff",
        "9a7fffffff",
        "5a7fffffff00",
        "b9ffff",
        "9b0000000100000000",
    ],
)
def test_length_bomb_refused_without_allocation(hexstr: str) -> None:
    start = time.perf_counter()
    _refused(hexstr, "exceeds the remaining data")
    assert time.perf_counter() - start < 0.5


def test_trailing_garbage_refused() -> None:
    _refused("0000", "1 trailing bytes")
    _refused("a0ff", "trailing bytes")


def test_truncated_input_refused() -> None:
    _refused("1901", "truncated")
    _refused("8201", "array length exceeds the remaining")
    _refused("828100", "unexpected end")
    _refused("a101", "map length exceeds the remaining")
    _refused("a16161", "unexpected end")
    _refused("fb3ff0", "truncated float")
    _refused("62c3", "exceeds the remaining")


def test_invalid_utf8_refused() -> None:
    _refused("62c328", "UTF-8")
    _refused("63eda080", "UTF-8")  # an encoded surrogate


@pytest.mark.parametrize("key", ["4100", "f5", "f6", "80", "a0", "f93c00", "c000"])
def test_map_key_types_restricted_to_int_and_text(key: str) -> None:
    _refused(f"a1{key}00", "map key must be", allowed_tags=frozenset({0}))


def test_size_cap() -> None:
    data = cbor.encode(b"\x00" * 100)
    assert cbor.decode(data, max_size=len(data)) == b"\x00" * 100
    with pytest.raises(DecodeError, match="exceeds max_size"):
        cbor.decode(data, max_size=len(data) - 1)


@pytest.mark.parametrize("bad", ["a0", 5, None, [0]])
def test_non_bytes_input_refused(bad: object) -> None:
    with pytest.raises(DecodeError, match="must be bytes"):
        cbor.decode(bad)  # type: ignore[arg-type]


def test_empty_input_and_bad_depth_refused() -> None:
    with pytest.raises(DecodeError, match="empty"):
        cbor.decode(b"")
    for depth in (0, 65, True):
        with pytest.raises(DecodeError, match="max_depth"):
            cbor.decode(b"\x00", max_depth=depth)


def test_error_message_names_offset_not_payload() -> None:
    secret = b"SECRET-PAYLOAD-BYTES"
    data = cbor.encode({"k": secret}) + b"\x00"
    with pytest.raises(DecodeError) as info:
        cbor.decode(data)
    assert "SECRET" not in str(info.value)
    assert "offset" in str(info.value)
    assert isinstance(info.value, AnshimError)
    assert isinstance(info.value, ValueError)
