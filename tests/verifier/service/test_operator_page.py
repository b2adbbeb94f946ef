"""The operator's page (``/operator``): counts of today's admissions by channel and
refusals by reason and channel for the venue whose staff passcode was given, the backlog
and the last upload; no pseudonym, number or name on it, no script, no external asset.
Over HTTP with real uvicorn, and in a real headless Chromium."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from protocol import CheckIn
from tests.verifier.service.browser import chromium_path
from tests.verifier.service.serving import serve_in_thread
from tests.verifier.service.support import (
    NOW,
    STAFF_PASSCODE,
    gateway_request,
    new_wallet,
    wallet_answer,
)
from tests.wallet.support import poster
from verifier.service import VenueService

CBOR = {"content-type": "application/cbor"}
CALLER = "+821098765432"


def visits(http: httpx.Client, tmp: Any) -> list[str]:
    """Today at the cafe: a kiosk and a poster check-in admitted, a fever refused, an SMS
    admitted; at the bar, one poster check-in. The pseudonyms used, for the privacy check."""
    service: VenueService = http.app.state.service  # type: ignore[attr-defined]
    cafe = service.venues["cafe-1"].context.did
    bar = service.venues["bar-2"].context.did
    pseudonyms = []
    for i, (text, fever, status) in enumerate(
        [
            (http.get("/kiosk/cafe-1/state").json()["code"]["text"], False, 201),
            (poster(cafe), False, 201),
            (poster(cafe), True, 403),
            (poster(bar), False, 201),
        ]
    ):
        message = wallet_answer(new_wallet(tmp, f"visitor{i}"), text, now=NOW, fever=fever)
        pseudonyms.append(CheckIn.parse_unverified(message)[1].pseudonym)
        venue = "bar-2" if text == poster(bar) else "cafe-1"
        r = http.post(f"/venues/{venue}/checkins", content=message, headers=CBOR)
        assert r.status_code == status, r.text
    body, headers = gateway_request(CALLER)
    assert http.post("/gateway/checkins", content=body, headers=headers).status_code == 201
    return pseudonyms


def test_the_page_needs_the_staff_passcode_and_shows_counts_only(
    client: httpx.Client, tmp_path: Any
) -> None:
    pseudonyms = visits(client, tmp_path)
    form = client.get("/operator")
    assert form.status_code == 200
    assert 'name="passcode"' in form.text
    assert "Admitted" not in form.text
    assert "<script" not in form.text
    wrong = client.post("/operator", data={"passcode": "0000"})
    assert wrong.status_code == 401
    assert "Admissions by channel" not in wrong.text
    page = client.post("/operator", data={"passcode": STAFF_PASSCODE})
    assert page.status_code == 200, page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    text = page.text
    assert 'data-venue="cafe-1"' in text
    assert 'data-venue="bar-2"' not in text  # the bar's staff have their own passcode
    assert "declaredFever" in text
    for secret in [*pseudonyms, CALLER, CALLER[1:], STAFF_PASSCODE]:
        assert secret not in text
    assert "<script" not in text
    assert "http://" not in text.replace('action="/operator"', "")


@pytest.fixture
def browser_page(make_app: Callable[..., FastAPI]) -> Iterator[tuple[Any, str, httpx.Client]]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    app = make_app(upload=False)
    with (
        serve_in_thread(app) as base,
        httpx.Client(base_url=base, timeout=30) as http,
        sync_playwright() as driver,
    ):
        http.app = app  # type: ignore[attr-defined]
        browser = driver.chromium.launch(executable_path=executable, headless=True)
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.set_default_timeout(15_000)
            yield tab, base, http
        finally:
            browser.close()


def test_the_operator_page_in_a_browser(
    browser_page: tuple[Any, str, httpx.Client], tmp_path: Any
) -> None:
    tab, base, http = browser_page
    pseudonyms = visits(http, tmp_path)
    requested: list[str] = []
    tab.on("request", lambda r: requested.append(r.url))
    tab.goto(base + "/operator")
    tab.fill("#passcode", "1111")
    tab.click("#show")
    tab.wait_for_selector("#login-error")
    assert "not right" in tab.locator("#login-error").inner_text()
    assert tab.locator("section.venue").count() == 0

    tab.fill("#passcode", STAFF_PASSCODE)
    tab.click("#show")
    tab.wait_for_selector("#venue-cafe-1")
    assert tab.locator("section.venue").count() == 1
    # Two wallet check-ins and one SMS admitted, one fever refused.
    assert tab.locator("#cafe-1-admitted b").inner_text() == "3"
    assert tab.locator("#cafe-1-refused b").inner_text() == "1"
    admitted = {
        row.locator("td").nth(0).inner_text(): row.locator("td").nth(1).inner_text()
        for row in tab.locator("#venue-cafe-1 table.admitted tbody tr").all()
    }
    assert admitted == {"qrKiosk": "1", "qrStatic": "1", "sms": "1"}
    refused = tab.locator("#venue-cafe-1 table.refused tbody tr")
    assert refused.count() == 1
    cells = [refused.locator("td").nth(i).inner_text() for i in range(4)]
    assert cells[0] == "declaredFever"
    assert cells[2:] == ["qrStatic", "1"]
    # The backlog is the outbox's (nothing uploads in this app): cafe 3, bar 1.
    assert tab.locator("#cafe-1-backlog b").inner_text() == "3"
    assert tab.locator("#backlog b").inner_text() == "4"
    assert "never" in tab.locator("#last-upload").inner_text()
    shown = tab.locator("body").inner_text()
    for secret in [*pseudonyms, CALLER, CALLER[1:]]:
        assert secret not in shown
    # Everything the page loaded came from the service itself.
    assert requested
    assert all(url.startswith(base + "/") for url in requested), requested
    assert tab.evaluate("document.scripts.length") == 0
