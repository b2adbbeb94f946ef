"""Multibase: the official vectors from multiformats/multibase @ d7406cde, folder tests/
(copied unchanged into tests/vectors/multibase/), plus strictness checks."""

from __future__ import annotations

import pytest

from did import b64url_decode, multibase_decode, multibase_encode
from did.errors import DecodeError
from tests.paths import VECTORS as _VECTORS

VECTORS = _VECTORS / "multibase"


def _rows(name: str) -> tuple[bytes, list[tuple[str, str]]]:
    lines = [ln for ln in (VECTORS / name).read_text(encoding="utf-8").splitlines() if ln.strip()]
    header = lines[0].split(",", 1)[1].strip().strip('"')
    data = header.encode("ascii").decode("unicode_escape").encode("latin-1")
    rows = []
    for line in lines[1:]:
        encoding, value = line.split(",", 1)
        rows.append((encoding.strip(), value.strip().strip('"')))
    return data, rows


CANONICAL = [
    (name, encoding, value)
    for name in ("basic.csv", "leading_zero.csv", "two_leading_zeros.csv")
    for encoding, value in _rows(name)[1]
]
MIXED_CASE = _rows("case_insensitivity.csv")[1]


@pytest.mark.parametrize(("name", "encoding", "value"), CANONICAL)
def test_official_vectors_decode_and_encode_canonically(
    name: str, encoding: str, value: str
) -> None:
    data = _rows(name)[0]
    assert multibase_decode(value) == data
    assert multibase_encode(data, encoding) == value


@pytest.mark.parametrize(("encoding", "value"), MIXED_CASE)
def test_case_insensitive_inputs_decode(encoding: str, value: str) -> None:
    data = _rows("case_insensitivity.csv")[0]
    assert multibase_decode(value) == data
    # Our encoder writes the canonical (single-case) form, which decodes to the same bytes.
    canonical = multibase_encode(data, encoding)
    assert multibase_decode(canonical) == data
    assert canonical[1:] in (canonical[1:].lower(), canonical[1:].upper())


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "z0OIl",  # characters outside the base58btc alphabet
        "u====",
        "uAB=",  # padding in unpadded base64url
        "uAB",  # non-canonical trailing bits
        "Q123",  # unknown prefix
        "7362625631006654133464440102=====",  # padded base8
        "\U0001f680\u00e9",  # not in the base256emoji alphabet
        "z" + "2" * 5000,  # over the length bound
    ],
)
def test_malformed_values_are_decode_errors(bad: str) -> None:
    with pytest.raises(DecodeError):
        multibase_decode(bad)


def test_non_strings_are_decode_errors() -> None:
    for value in (None, b"zabc", 5):
        with pytest.raises(DecodeError):
            multibase_decode(value)  # type: ignore[arg-type]
        with pytest.raises(DecodeError):
            b64url_decode(value)  # type: ignore[arg-type]


def test_unknown_encoding_name_refused() -> None:
    with pytest.raises(DecodeError):
        multibase_encode(b"x", "base99")
