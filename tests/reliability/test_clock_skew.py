"""Phones whose clocks are off, against the real venue service: within the allowed bound
the check-in is admitted, beyond it refused with a stable code, for posters and kiosk
codes (30 s ahead; behind, as long as the check-in has not expired) and for holder-shown
codes (5 s ahead, 15 s lifetime; DESIGN.md "Venue codes"). The visit's recorded time in is
the phone's issued-at (the sealed envelope's label binds it), so the bound is also how far
a wrong clock can move a visit; every admitted one reaches the registry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from protocol import CHECKIN_LIFETIME, HOLDER_SHOWN_LIFETIME, HOLDER_SHOWN_MAX_SKEW, VisitReceipt
from tests.reliability.support import (
    CLEAR,
    Phone,
    RegistryProcess,
    Tally,
    Trust,
    VenueProcess,
    now,
)

MAX_SKEW = 30  # the venue's default max_skew (verifier.service VenueSettings)

# (phone clock minus venue clock, seconds; the expected answer's code, None: admitted)
POSTER_CASES = [
    (-50, None),
    (-25, None),
    (0, None),
    (MAX_SKEW - 5, None),
    (MAX_SKEW + 10, "clockSkew"),
    (-(CHECKIN_LIFETIME + MAX_SKEW + 10), "expiredMessage"),
]
KIOSK_CASES = [(-25, None), (MAX_SKEW - 5, None), (MAX_SKEW + 10, "clockSkew")]
HOLDER_CASES = [
    (-(HOLDER_SHOWN_LIFETIME - 5), None),
    (HOLDER_SHOWN_MAX_SKEW - 2, None),
    (HOLDER_SHOWN_MAX_SKEW + 5, "clockSkew"),
    (-(HOLDER_SHOWN_LIFETIME + HOLDER_SHOWN_MAX_SKEW + 5), "expiredMessage"),
]
_admitted: list[bytes] = []


@pytest.fixture(scope="module")
def phone(
    deployment: tuple[RegistryProcess, VenueProcess],
    trust: Trust,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Phone]:
    _, venue = deployment
    p = Phone(trust, venue, tmp_path_factory.mktemp("phone"), "skewed")
    yield p
    p.close()


def _check(response: httpx.Response | None, code: str | None) -> None:
    assert response is not None
    if code is None:
        assert response.status_code == 201, response.text
    else:
        assert response.status_code == 422, response.text
        assert response.json()["code"] == code


@pytest.mark.parametrize(("skew", "code"), POSTER_CASES)
def test_poster_check_in_with_a_skewed_phone_clock(
    deployment: tuple[RegistryProcess, VenueProcess], phone: Phone, skew: int, code: str | None
) -> None:
    _, venue = deployment
    tally = Tally()
    before = now()
    r = phone.check_in(tally, venue.venues[0], skew=skew)
    _check(r, code)
    if code is None:
        assert r is not None
        receipt = VisitReceipt.verify(r.content, venue.key_of, now=now())
        assert before + skew - 1 <= receipt.time_in <= now() + skew + 1
        _admitted.append(receipt.visit_id)


@pytest.mark.parametrize(("skew", "code"), KIOSK_CASES)
def test_kiosk_check_in_with_a_skewed_phone_clock(
    deployment: tuple[RegistryProcess, VenueProcess], phone: Phone, skew: int, code: str | None
) -> None:
    _, venue = deployment
    tally = Tally()
    r = phone.check_in(tally, venue.venues[1], kiosk=True, skew=skew)
    _check(r, code)
    if code is None:
        _admitted.extend(tally.visit_ids)


def test_a_phone_far_behind_refuses_the_kiosk_code_itself(
    deployment: tuple[RegistryProcess, VenueProcess], phone: Phone
) -> None:
    # The challenge looks issued in the phone's future: the wallet says so on the phone.
    _, venue = deployment
    hosted = venue.venues[1]
    text = httpx.get(f"{venue.url}/kiosk/{hosted.id}/state", timeout=10).json()["code"]["text"]
    with pytest.raises(Exception, match="later than now") as raised:
        phone.wallet.scan(text, now=now() - (MAX_SKEW + 10), venue_keys=venue.key_of)
    assert getattr(raised.value, "code", None) == "codeNotYetValid"


@pytest.mark.parametrize(("skew", "code"), HOLDER_CASES)
def test_holder_shown_code_with_a_skewed_phone_clock(
    deployment: tuple[RegistryProcess, VenueProcess], phone: Phone, skew: int, code: str | None
) -> None:
    _, venue = deployment
    text = phone.wallet.holder_shown_check_in(declaration=CLEAR, now=now() + skew)
    r = httpx.post(f"{venue.url}/venues/{venue.venues[0].id}/scans", content=text.encode())
    _check(r, code)
    if code is None:
        assert abs(r.json()["timeIn"] - (now() + skew)) <= 2


def test_every_admitted_skewed_check_in_reaches_the_registry(
    deployment: tuple[RegistryProcess, VenueProcess], report: Any
) -> None:
    reg, venue = deployment
    venue.drained(timeout=60)
    held, total = reg.holdings(_admitted)
    admitted = sum(1 for _, c in POSTER_CASES + KIOSK_CASES + HOLDER_CASES if c is None)
    report({"records_acknowledged": admitted, "records_found": total, "receipted": len(held)})
    assert sorted(held) == sorted(_admitted)
    assert total == admitted
