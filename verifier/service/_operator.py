"""The operator's page (``/operator``): today's admissions by channel and refusals by
reason and channel, the backlog and the last upload, for the venues whose staff passcode
was given (DESIGN.md "Access control": venue staff prove themselves by a passcode).

Counts only: the page is rendered from :func:`verifier.service._views.operator_summary`,
which holds no pseudonym, number or name. It is plain HTML rendered on the server with its
own style sheet (no script, no external asset), so it works on a closed venue network.
The passcode comes in a form post, is checked against each hosted venue's Argon2id hash,
and is never echoed back into the page.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

from did.errors import AnshimError
from verifier.service._access import check_passcode
from verifier.service._messages import kiosk_message
from verifier.service._runtime import VenueService

__all__ = ["authorised_venues", "operator_page", "passcode_of"]

_MAX_FORM = 1024


def passcode_of(form: bytes) -> str | None:
    """The ``passcode`` field of an ``application/x-www-form-urlencoded`` body."""
    if len(form) > _MAX_FORM:
        return None
    try:
        fields = parse_qs(form.decode("ascii"), max_num_fields=4, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None
    values = fields.get("passcode", [])
    return values[0] if len(values) == 1 else None


def authorised_venues(service: VenueService, passcode: str | None) -> list[str]:
    """The ids of the hosted venues whose staff passcode is ``passcode`` (none if it is
    missing or matches no venue's)."""
    found = []
    for venue_id, hosted in service.venues.items():
        if hosted.settings.staff_passcode_hash is None:
            continue
        try:
            check_passcode(hosted.settings.staff_passcode_hash, passcode)
        except AnshimError:
            continue
        found.append(venue_id)
    return found


def _when(t: int | None) -> str:
    if t is None:
        return "없음 / never"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


def _day(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86400))


def _rows(cells: Iterable[Iterable[object]]) -> str:
    return "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in cells
    )


def _venue_section(venue: Mapping[str, Any], name: str) -> str:
    admitted: Mapping[str, int] = venue["admitted"]
    refused: Mapping[str, Mapping[str, int]] = venue["refused"]
    admitted_rows = _rows((channel, n) for channel, n in sorted(admitted.items()))
    refused_rows = _rows(
        (code, kiosk_message(code), channel, n)
        for code, channels in sorted(refused.items())
        for channel, n in sorted(channels.items())
    )
    total_in = sum(admitted.values())
    total_refused = sum(n for channels in refused.values() for n in channels.values())
    vid = html.escape(venue["venue"])
    return f"""<section class="venue" id="venue-{vid}" data-venue="{vid}">
<h2>{html.escape(name)} <small>({vid})</small></h2>
<p class="totals"><span id="{vid}-admitted">입장 / Admitted: <b>{total_in}</b></span>
<span id="{vid}-refused">거부 / Refused: <b>{total_refused}</b></span>
<span id="{vid}-checked-out">퇴장 / Checked out: <b>{venue["checkedOut"]}</b></span>
<span id="{vid}-backlog">미전송 / Not yet uploaded: <b>{venue["backlog"]}</b></span></p>
<h3>채널별 입장 / Admissions by channel</h3>
<table class="admitted"><thead><tr><th>채널 / Channel</th><th>수 / Count</th></tr></thead>
<tbody>{admitted_rows or '<tr><td colspan="2">없음 / none</td></tr>'}</tbody></table>
<h3>사유·채널별 거부 / Refusals by reason and channel</h3>
<table class="refused"><thead><tr><th>코드 / Code</th><th>사유 / Reason</th>
<th>채널 / Channel</th><th>수 / Count</th></tr></thead>
<tbody>{refused_rows or '<tr><td colspan="4">없음 / none</td></tr>'}</tbody></table>
</section>"""


def _form(message: str = "") -> str:
    note = f'<p id="login-error" role="alert">{html.escape(message)}</p>' if message else ""
    return f"""<form id="login" method="post" action="/operator">
<label for="passcode">직원 암호 / Staff passcode</label>
<input id="passcode" name="passcode" type="password" inputmode="numeric" autocomplete="off"
 maxlength="128" required>
<button id="show" type="submit">보기 / Show</button>
{note}</form>"""


def operator_page(
    service: VenueService, summary: Mapping[str, Any] | None, venues: list[str], message: str
) -> str:
    """The page: the passcode form, and with ``summary`` the sections of ``venues``."""
    body = _form(message)
    if summary is not None:
        names = {v: h.settings.name for v, h in service.venues.items()}
        sections = "".join(
            _venue_section(v, names[v["venue"]]) for v in summary["venues"] if v["venue"] in venues
        )
        error = summary.get("lastError")
        failed = (
            f'<span id="last-error">오류 / Last error: {html.escape(str(error))}</span>'
            if error
            else ""
        )
        body += f"""<section id="service">
<h2>서비스 / Service · {_day(summary["day"])}</h2>
<p><span id="backlog">미전송 합계 / Backlog: <b>{summary["backlog"]}</b></span>
<span id="last-upload">마지막 전송 / Last upload: <b>{html.escape(_when(summary["lastUpload"]))}</b>
</span>{failed}
</p></section>{sections}"""
    return f"""<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>운영자 / Operator</title>
<link rel="stylesheet" href="/kiosk-assets/operator.css">
</head>
<body>
<h1>운영 현황 / Today at the door</h1>
{body}
</body>
</html>
"""
