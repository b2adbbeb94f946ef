"""Posters: the registry-signed VenueCode as a QR code with the Korean and English names,
as SVG, PNG and an A4 PDF (one page per venue from a CSV); the PDF is turned into an image
and the QR code read back from it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from protocol import QrKind, VenueCode, parse_qr_text
from tests.registry.service.support import T0, Operator, Registry

zxingcpp = pytest.importorskip("zxingcpp")
from PIL import Image  # noqa: E402


def _read_qr(path: Path) -> str:
    # QR codes only, by content: a two-symbol result once made this flaky (the page's text
    # read as a stray barcode, or one symbol found twice); the poster says one thing.
    results = zxingcpp.read_barcodes(Image.open(path), formats=zxingcpp.BarcodeFormat.QRCode)
    texts = {str(r.text) for r in results}
    assert len(texts) == 1
    return texts.pop()


def _verify(reg: Registry, text: str, op: Operator) -> None:
    kind, message = parse_qr_text(text)
    assert kind is QrKind.VENUE_CODE
    code = VenueCode.verify(message, reg.key.public_key, now=T0)
    assert (code.venue, code.name) == (op.did, op.name_ko)


def test_svg_and_png_posters_carry_the_names_and_the_signed_code(
    reg: Registry, venue: Operator, tmp_path: Path
) -> None:
    svg = reg.client.get(f"/venues/{venue.venue_id}/poster.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert venue.name_ko in svg.text
    assert venue.name_en in svg.text
    png = reg.client.get(f"/venues/{venue.venue_id}/poster.png")
    (tmp_path / "poster.png").write_bytes(png.content)
    _verify(reg, _read_qr(tmp_path / "poster.png"), venue)


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed"
)
def test_pdf_posters_from_a_csv_render_hangul_and_a_readable_code(
    reg: Registry, tmp_path: Path
) -> None:
    names = (("성산 일출봉 카페", "Seongsan Sunrise Cafe"), ("한라 교회", "Halla Church"))
    ops = [reg.register(Operator(name_ko=n, name_en=e)) for n, e in names]
    csv = "venue_id,note\n" + "".join(f"{op.venue_id},x\n" for op in ops)
    assert reg.client.post("/posters", content=csv.encode()).status_code == 401
    r = reg.client.post(
        "/posters", content=csv.encode(), headers={**reg.admin, "Content-Type": "text/csv"}
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "posters.pdf"
    pdf.write_bytes(r.content)
    subprocess.run(["pdftoppm", "-png", "-r", "100", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    for op, page in zip(ops, pages, strict=True):
        _verify(reg, _read_qr(page), op)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "성산 일출봉 카페" in text
    assert "Halla Church" in text


def test_posters_of_pending_venues_are_refused(reg: Registry) -> None:
    op = reg.register(approve=False)
    r = reg.client.get(f"/venues/{op.venue_id}/poster.pdf")
    assert (r.status_code, r.json()["code"]) == (409, "venueNotActive")
