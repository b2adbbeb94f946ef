"""Venue posters (DESIGN.md "Venue codes", the static poster): the registry-signed
:class:`~protocol.VenueCode` as a QR code with the venue's name in Korean and English, as
SVG, PNG and a printable A4 PDF (one page per venue, so a district prints all its offices'
posters at once).

Korean must render: the PNG and PDF embed a TrueType font with Hangul found on the machine
(:func:`hangul_font`: the Nanum or Noto CJK families that Debian's ``fonts-nanum`` and
``fonts-noto-cjk`` install, or ``ANSHIM_HANGUL_FONT``); the SVG names those families and
leaves drawing to the viewer. Drawing needs the ``report`` extra (reportlab, Pillow) and
segno (the ``cli`` extra); without them, or without a font, :class:`PosterUnavailable`.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from did import qr
from did.errors import QrRenderingUnavailable
from protocol import QrKind, to_qr_text
from registry.errors import PosterUnavailable

__all__ = ["FONT_ENV", "Poster", "hangul_font", "poster_pdf", "poster_png", "poster_svg"]

#: An environment variable naming a TrueType font with Hangul, tried first.
FONT_ENV = "ANSHIM_HANGUL_FONT"
_CANDIDATES = (
    "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
)
_SVG_FONTS = "'NanumGothic', 'Noto Sans CJK KR', 'Apple SD Gothic Neo', 'Malgun Gothic', sans-serif"
_HEADLINE = ("안심 체크인", "Scan to check in")
_A4_MM = (210, 297)
_QR_MM = 120


@dataclass(frozen=True, slots=True)
class Poster:
    """What a poster shows: the names, the class, the DID and the signed venue code."""

    name_ko: str
    name_en: str
    category: str
    venue: str
    code: bytes

    @property
    def qr_text(self) -> str:
        """The QR content: ``AV1:`` and the base45 signed VenueCode."""
        return to_qr_text(QrKind.VENUE_CODE, self.code)


def hangul_font() -> Path:
    """A TrueType font file with Hangul glyphs.

    Raises:
        PosterUnavailable: none is installed (install ``fonts-nanum`` or set
            ``ANSHIM_HANGUL_FONT``).
    """
    chosen = os.environ.get(FONT_ENV)
    if chosen and Path(chosen).is_file():
        return Path(chosen)
    for candidate in _CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=ko:fontformat=TrueType"],  # noqa: S607
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        path = Path(out.stdout.strip())
        if out.returncode == 0 and path.suffix.lower() == ".ttf" and path.is_file():
            return path
    except (OSError, subprocess.SubprocessError):
        pass
    raise PosterUnavailable(f"no TrueType font with Hangul: install fonts-nanum or set {FONT_ENV}")


def _matrix(text: str) -> list[list[bool]]:
    try:
        code = qr.make_qr(text)
    except QrRenderingUnavailable as exc:
        raise PosterUnavailable(exc.message) from exc
    return [[bool(cell) for cell in row] for row in code.matrix]


def poster_svg(poster: Poster) -> bytes:
    """The poster as a standalone A4 SVG (millimetre units)."""
    m = _matrix(poster.qr_text)
    n = len(m) + 8  # a quiet zone of four modules on each side (ISO/IEC 18004 §6.3.8)
    cell = _QR_MM / n
    x0, y0 = (_A4_MM[0] - _QR_MM) / 2, 95
    path = "".join(
        f"M{x0 + (c + 4) * cell:.3f},{y0 + (r + 4) * cell:.3f}h{cell:.3f}v{cell:.3f}h-{cell:.3f}z"
        for r, row in enumerate(m)
        for c, dark in enumerate(row)
        if dark
    )
    text = [
        (30, 12, _HEADLINE[0]),
        (40, 8, _HEADLINE[1]),
        (62, 14, poster.name_ko),
        (78, 9, poster.name_en),
        (232, 6, f"{poster.category} · {poster.venue}"),
        (250, 6, "휴대폰 카메라로 QR 코드를 스캔하세요 / Scan the QR code with your phone"),
    ]
    lines = "".join(
        f'<text x="105" y="{y}" font-size="{size}" text-anchor="middle">{escape(t)}</text>'
        for y, size, t in text
    )
    svg = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" '
        'viewBox="0 0 210 297">'
        f"<title>{escape(poster.name_ko)} / {escape(poster.name_en)}</title>"
        '<rect width="210" height="297" fill="#fff"/>'
        f'<g font-family="{_SVG_FONTS}" font-weight="bold" fill="#111">{lines}</g>'
        f'<rect x="{x0}" y="{y0}" width="{_QR_MM}" height="{_QR_MM}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/>'
        "</svg>"
    )
    return svg.encode("utf-8")


def _pil() -> Any:
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError as exc:
        raise PosterUnavailable("PNG posters need Pillow (the 'report' extra)") from exc
    return Image, ImageDraw, ImageFont


def poster_png(poster: Poster, *, dpi: int = 150) -> bytes:
    """The poster as an A4 PNG at ``dpi`` (default 150: 1240 x 1754 pixels)."""
    image_mod, draw_mod, font_mod = _pil()
    px = dpi / 25.4
    width, height = round(_A4_MM[0] * px), round(_A4_MM[1] * px)
    image = image_mod.new("RGB", (width, height), "white")
    draw = draw_mod.Draw(image)
    font = str(hangul_font())
    for y, size, t in _texts(poster):
        face = font_mod.truetype(font, round(size * px))
        draw.text((width / 2, y * px), t, font=face, fill="#111111", anchor="ms")
    m = _matrix(poster.qr_text)
    n = len(m) + 8
    cell = _QR_MM * px / n
    x0, y0 = (width - _QR_MM * px) / 2, 95 * px
    for r, row in enumerate(m):
        for c, dark in enumerate(row):
            if dark:
                # Whole-pixel edges shared by neighbours, so no seam shows between cells.
                left, top = round(x0 + (c + 4) * cell), round(y0 + (r + 4) * cell)
                right, bottom = round(x0 + (c + 5) * cell), round(y0 + (r + 5) * cell)
                draw.rectangle((left, top, right - 1, bottom - 1), fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _texts(poster: Poster) -> list[tuple[float, float, str]]:
    return [
        (30, 12, _HEADLINE[0]),
        (40, 8, _HEADLINE[1]),
        (62, 14, poster.name_ko),
        (78, 9, poster.name_en),
        (232, 5, f"{poster.category} · {poster.venue}"),
        (250, 5, "휴대폰 카메라로 QR 코드를 스캔하세요"),
        (258, 5, "Scan the QR code with your phone's camera"),
    ]


def poster_pdf(posters: Sequence[Poster]) -> bytes:
    """A printable A4 PDF with one page per poster (the Hangul font embedded).

    Raises:
        PosterUnavailable: reportlab or a Hangul font is missing, or ``posters`` is empty.
    """
    if not posters:
        raise PosterUnavailable("a PDF needs at least one poster")
    try:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
        from reportlab.pdfgen import canvas
    except ImportError as exc:
        raise PosterUnavailable("PDF posters need reportlab (the 'report' extra)") from exc
    font = "AnshimHangul"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, str(hangul_font())))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True)
    pdf.setTitle("anshim venue posters")
    width, height = A4
    for poster in posters:
        for y, size, t in _texts(poster):
            pdf.setFont(font, size * mm)
            pdf.drawCentredString(width / 2, height - y * mm, t)
        m = _matrix(poster.qr_text)
        n = len(m) + 8
        cell = _QR_MM * mm / n
        x0, top = (width - _QR_MM * mm) / 2, height - 95 * mm
        for r, row in enumerate(m):
            for c, dark in enumerate(row):
                if dark:
                    x = x0 + (c + 4) * cell
                    y = top - (r + 5) * cell
                    # A hair of overlap, so viewers' anti-aliasing shows no seams.
                    pdf.rect(x, y, cell + 0.05, cell + 0.05, stroke=0, fill=1)
        pdf.showPage()
    pdf.save()
    return out.getvalue()
