"""Property tests for did.qr: round trips and strict refusal of bad text."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from did import qr
from did.errors import DecodeError
from did.qr import QrTextError

_prefixes = st.from_regex(r"[A-Z0-9]{2,8}", fullmatch=True)


@given(st.binary(max_size=700))
def test_base45_round_trip(data: bytes) -> None:
    text = qr.base45_encode(data)
    assert set(text) <= set(qr.BASE45_ALPHABET)
    assert len(text) == (len(data) // 2) * 3 + (len(data) % 2) * 2
    assert qr.base45_decode(text) == data


@given(_prefixes, st.binary(max_size=300))
def test_qr_text_round_trip(prefix: str, data: bytes) -> None:
    text = qr.encode_qr_text(prefix, data)
    assert qr.decode_qr_text(text, prefixes=[prefix], max_bytes=len(data)) == (prefix, data)


@settings(max_examples=400)
@given(st.text(max_size=60))
def test_arbitrary_text_into_base45_raises_only_decode_error(text: str) -> None:
    try:
        data = qr.base45_decode(text)
    except DecodeError:
        return
    # Whatever is accepted is the one canonical encoding of its bytes.
    assert qr.base45_encode(data) == text


@settings(max_examples=400)
@given(st.text(alphabet=qr.BASE45_ALPHABET + "abc\n\t", max_size=60))
def test_arbitrary_qr_text_raises_only_qr_text_error(text: str) -> None:
    with contextlib.suppress(QrTextError):
        prefix, data = qr.decode_qr_text(text, prefixes=["AV", "AC"], max_bytes=32)
        assert prefix in ("AV", "AC")
        assert len(data) <= 32


@st.composite
def _mutated_text(draw: st.DrawFn) -> str:
    chars = list(qr.encode_qr_text("AV", draw(st.binary(min_size=1, max_size=40))))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        pos = draw(st.integers(min_value=0, max_value=len(chars) - 1))
        action = draw(st.sampled_from(["replace", "insert", "delete"]))
        char = draw(st.characters(codec="utf-8"))
        if action == "replace":
            chars[pos] = char
        elif action == "insert":
            chars.insert(pos, char)
        elif len(chars) > 1:
            del chars[pos]
    return "".join(chars)


@settings(max_examples=400)
@given(_mutated_text())
def test_mutated_qr_text_raises_only_qr_text_error(text: str) -> None:
    try:
        prefix, data = qr.decode_qr_text(text, prefixes=["AV"], max_bytes=64)
    except QrTextError:
        return
    # Accepted text is exactly the canonical text of what it decodes to.
    assert qr.encode_qr_text(prefix, data) == text
