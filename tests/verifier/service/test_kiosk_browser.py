"""The kiosk page in a real headless Chromium: the QR code read back from a screenshot is
a valid venue challenge, a wallet's answer over HTTP shows the admission in large type,
a fever reading shows the Korean and English refusal, and the code changes after an
accepted answer and after 30 s (injected clock) without reloading the page."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from protocol import QrKind, VenueChallenge, parse_qr_text
from tests.verifier.service.browser import chromium_path
from tests.verifier.service.serving import serve_in_thread
from tests.verifier.service.support import NOW, Clock, reading, wallet_answer
from tests.wallet.support import VENUE_KEY
from wallet import Wallet

CBOR = {"content-type": "application/cbor"}


@pytest.fixture
def page(make_app: Callable[..., FastAPI]) -> Iterator[tuple[Any, str]]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with serve_in_thread(make_app(upload=False)) as base, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, headless=True)
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 800})
            tab.set_default_timeout(15_000)
            tab.goto(base + "/kiosk/cafe-1")
            tab.wait_for_selector("#qr svg")
            yield tab, base
        finally:
            browser.close()


def read_qr(tab: Any) -> str:
    """Decode the QR code on screen from a screenshot of its box."""
    import zxingcpp
    from PIL import Image

    image = Image.open(io.BytesIO(tab.locator("#qr").screenshot()))
    found = [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    assert len(found) == 1, found
    return found[0]


def wait_for_new_code(tab: Any, old: str) -> str:
    tab.wait_for_function("old => document.querySelector('#qr').dataset.code !== old", arg=old)
    return read_qr(tab)


def post_answer(base: str, message: bytes) -> httpx.Response:
    return httpx.post(f"{base}/venues/cafe-1/checkins", content=message, headers=CBOR)


def test_the_screen_code_is_a_valid_venue_challenge(page: tuple[Any, str]) -> None:
    tab, _ = page
    text = read_qr(tab)
    kind, message = parse_qr_text(text)
    assert kind is QrKind.CHALLENGE
    challenge = VenueChallenge.verify(message, VENUE_KEY.public_key, now=NOW)
    assert challenge.venue.endswith(":venues:cafe-1")
    assert tab.locator("#venue-name").inner_text() == "카페 하나 / Cafe One"


def test_a_wallet_answer_shows_the_admission_and_a_new_code(
    page: tuple[Any, str], wallet: Wallet
) -> None:
    tab, base = page
    text = read_qr(tab)
    response = post_answer(base, wallet_answer(wallet, text, now=NOW))
    assert response.status_code == 201, response.text
    tab.wait_for_selector("#outcome[data-code=admitted]")
    assert "입장하세요" in tab.locator("#outcome").inner_text()
    assert "Welcome" in tab.locator("#outcome").inner_text()
    # The answered code leaves the screen without a reload.
    assert wait_for_new_code(tab, text) != text
    assert tab.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_a_fever_reading_shows_the_refusal_in_korean_and_english(
    page: tuple[Any, str], wallet: Wallet
) -> None:
    tab, base = page
    text = read_qr(tab)
    nonce = VenueChallenge.parse_unverified(parse_qr_text(text)[1])[1].nonce
    posted = httpx.post(
        f"{base}/venues/cafe-1/readings", content=reading(nonce, 3880), headers=CBOR
    )
    assert posted.status_code == 201, posted.text
    assert post_answer(base, wallet_answer(wallet, text, now=NOW)).status_code == 403
    tab.wait_for_selector("#outcome[data-code=highTemperature]")
    shown = tab.locator("#outcome").inner_text()
    assert "체온이 높습니다" in shown
    assert "High temperature" in shown
    assert "38.8" in tab.locator("#reading").inner_text()
    # A refusal leaves the challenge on screen for the corrected retry.
    assert read_qr(tab) == text


def test_the_code_changes_after_thirty_seconds(page: tuple[Any, str], clock: Clock) -> None:
    tab, _ = page
    text = read_qr(tab)
    clock.advance(29)
    tab.wait_for_timeout(1500)
    assert read_qr(tab) == text
    clock.advance(1)
    assert wait_for_new_code(tab, text) != text
