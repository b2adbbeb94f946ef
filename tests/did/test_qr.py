"""QR text codec: RFC 9285 base45 vectors, strict prefix text, segno rendering."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import segno

from did import cbor, qr
from did.errors import DecodeError, EncodingError
from did.qr import QrTextError

# RFC 9285 section 4.3 ("Examples"): encoding and decoding.
RFC9285 = [
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
]


@pytest.mark.parametrize(("raw", "text"), RFC9285)
def test_rfc9285_examples(raw: bytes, text: str) -> None:
    assert qr.base45_encode(raw) == text
    assert qr.base45_decode(text) == raw


def test_base45_edges() -> None:
    assert qr.base45_encode(b"") == ""
    assert qr.base45_decode("") == b""
    assert qr.base45_encode(b"\xff\xff") == "FGW"  # 65535 = 30 + 36*45 + 32*2025
    assert qr.base45_decode("FGW") == b"\xff\xff"
    assert qr.base45_encode(b"\xff") == "U5"  # 255 = 30 + 5*45
    assert qr.base45_decode("U5") == b"\xff"
    assert qr.base45_encode(bytearray(b"AB")) == "BB8"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("A", "length of 1 mod 3"),
        ("BB8A", "length of 1 mod 3"),
        ("GGW", "exceeds 65535"),  # 65536
        (":::", "exceeds 65535"),  # 44 + 44*45 + 44*2025 = 91124
        ("V5", "exceeds 255"),  # 31 + 5*45 = 256
        ("::", "exceeds 255"),
        ("bb8", "not in the alphabet"),
        ("BB\n", "not in the alphabet"),
        ("BB\t", "not in the alphabet"),
        ("BB\u00c9", "not in the alphabet"),
    ],
)
def test_base45_decode_refuses(text: str, match: str) -> None:
    with pytest.raises(DecodeError, match=match):
        qr.base45_decode(text)


def test_base45_type_errors() -> None:
    with pytest.raises(EncodingError):
        qr.base45_encode("text")  # type: ignore[arg-type]
    with pytest.raises(DecodeError):
        qr.base45_decode(b"BB8")  # type: ignore[arg-type]


def test_qr_text_round_trip() -> None:
    text = qr.encode_qr_text("AV", b"\x01\x02\x03")
    assert text == "AV:" + qr.base45_encode(b"\x01\x02\x03")
    assert qr.decode_qr_text(text, prefixes={"AV", "AC"}, max_bytes=3) == ("AV", b"\x01\x02\x03")


@pytest.mark.parametrize("prefix", ["A", "ABCDEFGHI", "av", "A-", "", "AÉ", 12])
def test_encode_refuses_bad_prefix(prefix: object) -> None:
    with pytest.raises(EncodingError, match="prefix"):
        qr.encode_qr_text(prefix, b"x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("XX:BB8", "not one of"),  # unknown prefix
        ("av:BB8", "prefix must be"),  # lowercase prefix
        ("AV:bb8", "not in the alphabet"),  # lowercase base45
        (" AV:BB8", "prefix must be"),  # leading whitespace
        ("AV:B8\n", "not in the alphabet"),  # trailing line break
        ("AV:B\t8", "not in the alphabet"),
        ("AVBB8", "no 'PREFIX:'"),
        ("AV:A", "length of 1 mod 3"),
        ("AV:GGW", "exceeds 65535"),
        ("AV:" + "0" * 30, "exceeds max_bytes"),
    ],
)
def test_decode_qr_text_refuses(text: str, match: str) -> None:
    with pytest.raises(QrTextError, match=match):
        qr.decode_qr_text(text, prefixes=["AV"], max_bytes=16)


def test_oversize_refused_before_decoding() -> None:
    huge = "AV:" + "0" * 10_000_000
    with pytest.raises(QrTextError, match="characters exceeds max_bytes"):
        qr.decode_qr_text(huge, prefixes=["AV"], max_bytes=600)


def test_max_bytes_boundary() -> None:
    for size in (0, 1, 2, 599, 600):
        data = os.urandom(size)
        text = qr.encode_qr_text("ABCDEFGH", data)
        assert qr.decode_qr_text(text, prefixes=["ABCDEFGH"], max_bytes=size)[1] == data
        if size:
            with pytest.raises(QrTextError):
                qr.decode_qr_text(text, prefixes=["ABCDEFGH"], max_bytes=size - 1)


def test_caller_mistakes_are_encoding_errors() -> None:
    with pytest.raises(EncodingError):
        qr.decode_qr_text("AV:BB8", prefixes=["av"], max_bytes=10)
    with pytest.raises(EncodingError):
        qr.decode_qr_text("AV:BB8", prefixes=["AV"], max_bytes=-1)


def test_error_codes_and_tree() -> None:
    assert issubclass(QrTextError, DecodeError)
    assert QrTextError("x").code == "invalidQrText"


# --- rendering ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 200, 600])
def test_segno_picks_alphanumeric_mode(size: int) -> None:
    text = qr.encode_qr_text("AC", os.urandom(size))
    assert segno.make(text).mode == "alphanumeric"
    code = qr.make_qr(text)
    assert code.mode == "alphanumeric"
    assert not code.is_micro
    assert code.error in ("M", "Q", "H")


def test_qr_versions_for_protocol_sizes() -> None:
    # Measured sizes (reported, not a performance claim): deterministic for given lengths.
    assert qr.make_qr(qr.encode_qr_text("AC", b"\x00" * 200)).version == 10
    assert qr.make_qr(qr.encode_qr_text("AC", b"\x00" * 600)).version == 19


def test_make_qr_refuses_non_alphanumeric_text() -> None:
    for bad in ("av:bb8", "", "AV:\n"):
        with pytest.raises(EncodingError):
            qr.make_qr(bad)
    with pytest.raises(EncodingError, match="do not fit"):
        qr.make_qr("A" * 5000)


def test_render_terminal_matches_the_matrix() -> None:
    text = qr.encode_qr_text("AV", cbor.encode({"v": 1}))
    code = qr.make_qr(text)
    rendering = qr.render_terminal(text, dark_background=False, border=0)
    lines = rendering.rstrip("\n").split("\n")
    size = code.symbol_size(scale=1, border=0)[0]
    assert len(lines) == (size + 1) // 2
    assert all(len(line) == size for line in lines)
    matrix = [list(row) for row in code.matrix_iter(scale=1, border=0)]
    # The top-left finder pattern: its first row is seven dark modules.
    assert all(matrix[0][:7])
    glyph = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
    for r, line in enumerate(lines):
        for c, char in enumerate(line):
            bottom = bool(matrix[2 * r + 1][c]) if 2 * r + 1 < size else False
            assert char == glyph[(bool(matrix[2 * r][c]), bottom)]
    inverted = qr.render_terminal(text, dark_background=True, border=0)
    assert inverted.split("\n")[0][0] == " "  # a dark finder module is left blank


def test_svg_and_png(tmp_path: Path) -> None:
    text = qr.encode_qr_text("AV", b"\x00\x01")
    svg = qr.render_svg(text)
    assert svg.startswith(b"<?xml")
    assert b"<svg" in svg
    png = qr.render_png(text)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    qr.write_svg(text, tmp_path / "a.svg")
    qr.write_png(text, tmp_path / "a.png")
    assert (tmp_path / "a.svg").read_bytes() == svg
    assert (tmp_path / "a.png").read_bytes() == png
