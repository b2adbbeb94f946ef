"""QR text codec: an uppercase prefix plus base45 (RFC 9285), and QR rendering with segno.

The base45 alphabet is exactly the QR alphanumeric character set (ISO/IEC 18004 section
7.4.4), so ``PREFIX:BASE45`` text is encoded in alphanumeric mode: 5.5 bits per character,
about 1.45 times denser than byte mode for the same bytes.

Quick start::

    from did import qr
    text = qr.encode_qr_text("AV", b"\x01\x02")             # 'AV:X50'
    qr.decode_qr_text(text, prefixes={"AV"}, max_bytes=600)   # ('AV', b'\x01\x02')
    print(qr.render_terminal(text))                           # scan it from the screen
    qr.write_svg(text, "poster.svg")

Strictness: the prefix must be 2-8 characters ``A-Z0-9`` and one the caller expects; the
base45 part must use only the 45-character alphabet (so lowercase, tabs and line breaks are
refused; the space *is* a base45 character), have a valid length and in-range groups, and
decode to at most ``max_bytes``. Everything is checked before decoding work is done.
"""

from did.errors import QrTextError
from did.qr._qrtext import (
    BASE45_ALPHABET,
    base45_decode,
    base45_encode,
    check_prefix,
    decode_qr_text,
    encode_qr_text,
    make_qr,
    render_png,
    render_svg,
    render_terminal,
    write_png,
    write_svg,
)

__all__ = [
    "BASE45_ALPHABET",
    "QrTextError",
    "base45_decode",
    "base45_encode",
    "check_prefix",
    "decode_qr_text",
    "encode_qr_text",
    "make_qr",
    "render_png",
    "render_svg",
    "render_terminal",
    "write_png",
    "write_svg",
]
