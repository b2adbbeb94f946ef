"""The implementation of :mod:`did.qr`; the package docstring describes it."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import segno

from did.errors import DecodeError, EncodingError, QrRenderingUnavailable, QrTextError

#: RFC 9285 section 4.2: the 45 characters, in value order 0-44.
BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {char: value for value, char in enumerate(BASE45_ALPHABET)}
_PREFIX_RE = re.compile(r"[A-Z0-9]{2,8}")
_ALPHANUMERIC = frozenset(BASE45_ALPHABET)
# QR error-correction level M (15% recovery): posters get scuffed and screens glare.
_ERROR_LEVEL = "m"


# ---------------------------------------------------------------------------------------
# Base45 (RFC 9285)
# ---------------------------------------------------------------------------------------


def base45_encode(data: bytes) -> str:
    """Encode bytes as base45 (RFC 9285 section 4).

    Raises:
        EncodingError: if ``data`` is not bytes.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise EncodingError(f"base45 input must be bytes, not {type(data).__name__}")
    raw = bytes(data)
    alphabet = BASE45_ALPHABET
    out: list[str] = []
    # Section 4: each pair [a, b] is the number n = a*256 + b = c + d*45 + e*45*45,
    # written as the three characters c, d, e.
    for i in range(0, len(raw) - 1, 2):
        n = (raw[i] << 8) | raw[i + 1]
        d, c = divmod(n, 45)
        e, d = divmod(d, 45)
        out.append(alphabet[c] + alphabet[d] + alphabet[e])
    # A trailing single byte a = c + d*45 is written as two characters.
    if len(raw) % 2:
        d, c = divmod(raw[-1], 45)
        out.append(alphabet[c] + alphabet[d])
    return "".join(out)


def base45_decode(text: str) -> bytes:
    """Decode base45 text strictly (RFC 9285 section 4.2).

    Raises:
        DecodeError: for non-str input, a character outside the alphabet (including
            lowercase and line breaks), a length of 1 modulo 3, a three-character group
            above 65535 or a final two-character group above 255. The message names the
            position, never the text.
    """
    if not isinstance(text, str):
        raise DecodeError(f"base45 input must be str, not {type(text).__name__}")
    length = len(text)
    if length % 3 == 1:
        raise DecodeError(f"base45 text of length {length} (a length of 1 mod 3 is invalid)")
    value = _VALUE
    try:
        digits = [value[char] for char in text]
    except KeyError:
        position = next(i for i, char in enumerate(text) if char not in value)
        raise DecodeError(f"base45: character not in the alphabet at position {position}") from None
    out = bytearray()
    full = length - length % 3
    for i in range(0, full, 3):
        n = digits[i] + digits[i + 1] * 45 + digits[i + 2] * 2025
        if n > 0xFFFF:
            raise DecodeError(f"base45: group at position {i} exceeds 65535")
        out.append(n >> 8)
        out.append(n & 0xFF)
    if full != length:
        n = digits[full] + digits[full + 1] * 45
        if n > 0xFF:
            raise DecodeError(f"base45: final group at position {full} exceeds 255")
        out.append(n)
    return bytes(out)


# ---------------------------------------------------------------------------------------
# PREFIX:BASE45 text
# ---------------------------------------------------------------------------------------


def check_prefix(prefix: object) -> str:
    """Return ``prefix`` if it is 2-8 characters ``A-Z0-9``.

    Raises:
        EncodingError: otherwise.
    """
    if not isinstance(prefix, str) or not _PREFIX_RE.fullmatch(prefix):
        raise EncodingError("QR prefix must be 2-8 characters A-Z or 0-9")
    return prefix


def encode_qr_text(prefix: str, data: bytes) -> str:
    """Return ``PREFIX:BASE45(data)``, all in the QR alphanumeric character set.

    Raises:
        EncodingError: a prefix that is not 2-8 characters ``A-Z0-9``, or non-bytes data.
    """
    return check_prefix(prefix) + ":" + base45_encode(data)


def _max_text_length(max_bytes: int) -> int:
    # Longest prefix (8) + ":" + 3 characters per 2 bytes (+2 for an odd byte).
    return 9 + (max_bytes // 2) * 3 + (max_bytes % 2) * 2


def decode_qr_text(text: str, *, prefixes: Collection[str], max_bytes: int) -> tuple[str, bytes]:
    """Split and decode ``PREFIX:BASE45`` text; return ``(prefix, data)``.

    Args:
        text: the scanned text, exactly (no surrounding whitespace).
        prefixes: the prefixes the caller accepts (each 2-8 characters ``A-Z0-9``).
        max_bytes: refuse text that would decode to more bytes than this.

    Raises:
        QrTextError: oversize text, a missing, malformed or unexpected prefix, or bad
            base45 (lowercase, whitespace other than the base45 space, bad length or range).
        EncodingError: ``prefixes`` holds a malformed prefix or ``max_bytes`` is not a
            non-negative int (caller mistakes).
    """
    allowed = {check_prefix(p) for p in prefixes}
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise EncodingError("max_bytes must be a non-negative int")
    if not isinstance(text, str):
        raise QrTextError(f"QR text must be str, not {type(text).__name__}")
    if len(text) > _max_text_length(max_bytes):
        raise QrTextError(f"QR text of {len(text)} characters exceeds max_bytes={max_bytes}")
    prefix, sep, body = text.partition(":")
    if not sep:
        raise QrTextError("QR text has no 'PREFIX:' part")
    if not _PREFIX_RE.fullmatch(prefix):
        raise QrTextError("QR prefix must be 2-8 characters A-Z or 0-9")
    if prefix not in allowed:
        raise QrTextError(f"QR prefix {prefix!r} is not one of {sorted(allowed)}")
    try:
        data = base45_decode(body)
    except DecodeError as exc:
        raise QrTextError(f"QR text after '{prefix}:': {exc.message}") from exc
    if len(data) > max_bytes:
        raise QrTextError(f"QR payload of {len(data)} bytes exceeds max_bytes={max_bytes}")
    return prefix, data


# ---------------------------------------------------------------------------------------
# Rendering (segno)
# ---------------------------------------------------------------------------------------


def make_qr(text: str) -> segno.QRCode:
    """A QR code (never Micro QR) for ``text`` in alphanumeric mode, error level M or better.

    Raises:
        EncodingError: ``text`` has characters outside the QR alphanumeric set, or is too
            long for a version-40 QR code.
        QrRenderingUnavailable: segno (the ``cli`` extra) is not installed.
    """
    if not isinstance(text, str) or not text or not _ALPHANUMERIC.issuperset(text):
        raise EncodingError("QR text must be non-empty and use only the alphanumeric set")
    # segno is imported on first rendering: its writers import xml.sax and so urllib and
    # http.client, which a phone app that only decodes QR text must not pay for. It is an
    # optional dependency (the ``cli`` extra): phones render QR codes with their own toolkit.
    try:
        import segno
    except ImportError as exc:
        raise QrRenderingUnavailable(
            "rendering QR codes needs segno: install anshim with the 'cli' extra"
        ) from exc

    try:
        return segno.make(text, mode="alphanumeric", error=_ERROR_LEVEL, micro=False)
    except segno.DataOverflowError as exc:
        raise EncodingError(f"{len(text)} characters do not fit in a QR code") from exc


def render_terminal(text: str, *, dark_background: bool = True, border: int = 2) -> str:
    """A compact text rendering: two module rows per line with half-block characters.

    With ``dark_background`` (the usual terminal), light modules are drawn as blocks so the
    code reads dark-on-light to a scanner; otherwise dark modules are drawn.

    Raises:
        EncodingError: as :func:`make_qr`.
    """
    qr = make_qr(text)
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=border)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    glyphs = (" ", "▄", "▀", "█")  # indexed by (top drawn, bottom drawn)
    lines = []
    for top, bottom in zip(rows[::2], rows[1::2], strict=True):
        chars = []
        for t, b in zip(top, bottom, strict=True):
            t_drawn = bool(t) != dark_background
            b_drawn = bool(b) != dark_background
            chars.append(glyphs[t_drawn * 2 + b_drawn])
        lines.append("".join(chars))
    return "\n".join(lines) + "\n"


def render_svg(text: str, *, scale: int = 4) -> bytes:
    """The QR code as an SVG document (4-module quiet zone). Raises :class:`EncodingError`."""
    buffer = io.BytesIO()
    make_qr(text).save(buffer, kind="svg", scale=scale, border=4)
    return buffer.getvalue()


def render_png(text: str, *, scale: int = 4) -> bytes:
    """The QR code as a PNG image (4-module quiet zone). Raises :class:`EncodingError`."""
    buffer = io.BytesIO()
    make_qr(text).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def write_svg(text: str, path: str | os.PathLike[str], *, scale: int = 4) -> None:
    """Write :func:`render_svg` to ``path``. Raises :class:`EncodingError` or ``OSError``."""
    with open(path, "wb") as handle:
        handle.write(render_svg(text, scale=scale))


def write_png(text: str, path: str | os.PathLike[str], *, scale: int = 4) -> None:
    """Write :func:`render_png` to ``path``. Raises :class:`EncodingError` or ``OSError``."""
    with open(path, "wb") as handle:
        handle.write(render_png(text, scale=scale))
