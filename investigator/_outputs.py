"""The case's outputs (DESIGN.md "Investigation" step 5) and its exposure notices (step 6).

:func:`write_outputs` writes, into a folder the investigator names, the visit graph as
JSON and GraphML, the HTML report, the PNG and the call list. These are exports holding
names and phone numbers in clear, meant to be handed on; the case folder itself keeps
identities only sealed. Each export is logged in the case log.

:func:`publish_notice`, :func:`withdraw_notice` and :func:`correct_notice` go through the
registry, which signs the notices, with the registry administrator's client (DESIGN.md
"Access control": the administrator publishes notices; an investigator's token is refused);
each is kept in ``notices/`` and logged. A notice is
never replaced silently: a correction is a new notice and the old one is marked.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from did import atomic_write
from investigator._calllist import call_list_csv
from investigator._case import Case
from investigator._graph import build_graph
from investigator._png import report_png
from investigator._registry import Notice, NoticePublisher
from investigator._report import report_html
from investigator.errors import CaseInputError, RegistryRefused, ReportUnavailable

__all__ = ["correct_notice", "notices", "publish_notice", "withdraw_notice", "write_outputs"]

_MAX_NOTICE_WINDOW = 14 * 86400
_MAX_MESSAGE = 100  # the registry's limit for each language


def write_outputs(
    case: Case,
    out_dir: str | Path,
    *,
    now: int,
    by: str = "hop",
    png: bool = True,
    venue_names: dict[str, str] | None = None,
) -> dict[str, Path]:
    """Write graph.json, graph.graphml, report.html, report.png and calls.csv.

    Returns the paths written by kind. The PNG is skipped (and logged) when the
    ``report`` extra is missing, or with ``png=False``.

    Raises:
        CaseLocked: the case was loaded without its passphrase.
        CaseInputError: an unknown layout.
    """
    names = venue_names
    if names is None:
        names = {}
        if case.has_registry:
            # The directory is an investigator query; refused (another role), the report
            # shows DIDs.
            with contextlib.suppress(RegistryRefused):
                names = {v.did: v.name for v in case.venues().values()}
    graph = build_graph(case, venue_names=names)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    def put(kind: str, name: str, data: bytes) -> None:
        atomic_write(out / name, data)
        written[kind] = out / name

    put(
        "graph_json",
        "graph.json",
        json.dumps(graph.to_json(), ensure_ascii=False, indent=1).encode(),
    )
    put("report_html", "report.html", report_html(graph, by=by, generated=now).encode("utf-8"))
    put("call_list", "calls.csv", call_list_csv(graph))
    put("graphml", "graph.graphml", graph.to_graphml())
    skipped = []
    try:
        if png:
            put("report_png", "report.png", report_png(graph, by=by))
    except ReportUnavailable as exc:
        skipped.append(exc.message)
    case.log(
        "report",
        {
            "out": str(out),
            "files": sorted(p.name for p in written.values()),
            "people": len(graph.people),
            "skipped": skipped,
        },
        now=now,
    )
    return written


def notice_message(message: str | Mapping[str, str]) -> dict[str, str]:
    """A notice's text in Korean and English, ``{"ko", "en"}``: one string for both, or a
    mapping with exactly those two keys.

    Raises:
        CaseInputError: another shape, or a text that is empty or over 100 characters.
    """
    if isinstance(message, str):
        pair = {"ko": message, "en": message}
    elif isinstance(message, Mapping) and set(message) == {"ko", "en"}:
        pair = {"ko": message["ko"], "en": message["en"]}
    else:
        raise CaseInputError("a notice's message is a text or {'ko': text, 'en': text}")
    for lang, text in pair.items():
        if not isinstance(text, str) or not 0 < len(text) <= _MAX_MESSAGE:
            raise CaseInputError(f"a notice's {lang} message is 1 to {_MAX_MESSAGE} characters")
    return pair


def _check_notice(
    venue: str, start: int, end: int, risk: int, message: str | Mapping[str, str]
) -> dict[str, str]:
    if not 0 <= start < end <= start + _MAX_NOTICE_WINDOW:
        raise CaseInputError("a notice's window must be non-empty and at most 14 days")
    if risk not in (1, 2, 3):
        raise CaseInputError("risk is 1 (low), 2 (elevated) or 3 (high)")
    if not venue.startswith("did:"):
        raise CaseInputError("a notice names a venue DID")
    return notice_message(message)


def _keep(case: Case, notice: Notice, step: str, *, now: int, extra: dict[str, Any]) -> Notice:
    case.folder.write_json(f"notices/{notice.notice_id}.json", notice.to_json())
    case.log(step, {"notice": notice.notice_id, "venue": notice.venue, **extra}, now=now)
    return notice


def _mark(case: Case, notice_id: str, status: str) -> None:
    # The case's copy of a closed notice says so (the registry's feed is the record).
    kept = case.folder.read_json(f"notices/{notice_id}.json")
    case.folder.write_json(f"notices/{notice_id}.json", {**kept, "status": status})


def publish_notice(
    case: Case,
    venue: str,
    start: int,
    end: int,
    *,
    risk: int,
    message: str | Mapping[str, str],
    now: int,
    admin: NoticePublisher,
) -> Notice:
    """Publish an exposure notice for ``venue`` over ``[start, end]`` through the registry,
    which signs it. ``message`` is the text phones show: one string for Korean and
    English alike, or ``{"ko": …, "en": …}`` (:func:`notice_message`). ``admin`` is a
    client with the registry administrator's credentials
    (DESIGN.md "Access control": the administrator publishes notices), not the case's
    investigator client.

    Raises:
        CaseInputError: a window over 14 days, an unknown risk level, or a message that is
            empty or over 100 characters in either language.
        RegistryUnavailable, RegistryRefused: from the registry (``notPermitted`` for a
            token that is not the administrator's).
    """
    text = _check_notice(venue, start, end, risk, message)
    notice = admin.publish_notice(venue, start, end, risk, text)
    return _keep(
        case, notice, "notice-published", now=now, extra={"window": [start, end], "risk": risk}
    )


def withdraw_notice(
    case: Case, notice_id: str, *, reason: str, now: int, admin: NoticePublisher
) -> Notice:
    """Withdraw a notice this case published (its status bit is set at the registry;
    phones see a withdrawn event). ``admin`` as :func:`publish_notice`.

    Raises:
        CaseInputError: the notice is not one of this case's.
        RegistryUnavailable, RegistryRefused: from the registry (``noticeClosed`` when it
            was already withdrawn or corrected).
    """
    if not case.folder.exists(f"notices/{notice_id}.json"):
        raise CaseInputError(f"notice {notice_id} was not published by this case")
    notice = admin.withdraw_notice(notice_id)
    return _keep(case, notice, "notice-withdrawn", now=now, extra={"reason": reason})


def correct_notice(
    case: Case,
    notice_id: str,
    start: int,
    end: int,
    *,
    risk: int,
    message: str | Mapping[str, str],
    now: int,
    admin: NoticePublisher,
) -> Notice:
    """Correct a notice this case published: the registry publishes a new notice for the
    same venue naming the old one, which is marked corrected (never silently replaced).
    Returns the new notice. ``message`` and ``admin`` as :func:`publish_notice`.

    Raises:
        CaseInputError: the notice is not one of this case's, or bad notice fields.
        RegistryUnavailable, RegistryRefused: from the registry.
    """
    if not case.folder.exists(f"notices/{notice_id}.json"):
        raise CaseInputError(f"notice {notice_id} was not published by this case")
    old = case.folder.read_json(f"notices/{notice_id}.json")
    text = _check_notice(old["venue"], start, end, risk, message)
    notice = admin.correct_notice(notice_id, old["venue"], start, end, risk, text)
    _mark(case, notice_id, "corrected")
    return _keep(case, notice, "notice-corrected", now=now, extra={"corrects": notice_id})


def notices(case: Case) -> list[dict[str, Any]]:
    """The notices this case published, as kept in ``notices/``."""
    return [case.folder.read_json(name) for name in case.folder.listdir("notices")]
