"""The case's outputs (DESIGN.md "Investigation" step 5) and its exposure notices (step 6).

:func:`write_outputs` writes, into a folder the investigator names, the visit graph as
JSON and GraphML, the HTML report, the PNG and the call list. These are exports holding
names and phone numbers in clear, meant to be handed on; the case folder itself keeps
identities only sealed. Each export is logged in the case log.

:func:`publish_notice`, :func:`withdraw_notice` and :func:`correct_notice` go through the
registry, which signs the notices; each is kept in ``notices/`` and logged. A notice is
never replaced silently: a correction is a new notice and the old one is marked.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from did import atomic_write
from investigator._calllist import call_list_csv
from investigator._case import Case
from investigator._graph import build_graph
from investigator._png import report_png
from investigator._registry import Notice
from investigator._report import report_html
from investigator.errors import CaseInputError, RegistryRefused, ReportUnavailable

__all__ = ["correct_notice", "notices", "publish_notice", "withdraw_notice", "write_outputs"]

_MAX_NOTICE_WINDOW = 14 * 86400
_MAX_MESSAGE = 500


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

    Returns the paths written by kind. GraphML and PNG are skipped (and logged) when the
    ``report`` extra is missing; ``png=False`` skips the PNG.

    Raises:
        CaseLocked: the case was loaded without its passphrase.
        CaseInputError: an unknown layout.
    """
    names = venue_names
    if names is None:
        names = {}
        if case.has_registry:
            # The venue list is the administrator's; without it the report shows DIDs.
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
    skipped = []
    try:
        put("graphml", "graph.graphml", graph.to_graphml())
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


def _check_notice(venue: str, start: int, end: int, risk: int, message: str) -> None:
    if not 0 <= start < end <= start + _MAX_NOTICE_WINDOW:
        raise CaseInputError("a notice's window must be non-empty and at most 14 days")
    if risk not in (1, 2, 3):
        raise CaseInputError("risk is 1 (low), 2 (elevated) or 3 (high)")
    if not isinstance(message, str) or len(message) > _MAX_MESSAGE:
        raise CaseInputError(f"a notice's message is at most {_MAX_MESSAGE} characters")
    if not venue.startswith("did:"):
        raise CaseInputError("a notice names a venue DID")


def _keep(case: Case, notice: Notice, step: str, *, now: int, extra: dict[str, Any]) -> Notice:
    case.folder.write_json(f"notices/{notice.notice_id}.json", notice.to_json())
    case.log(step, {"notice": notice.notice_id, "venue": notice.venue, **extra}, now=now)
    return notice


def publish_notice(
    case: Case, venue: str, start: int, end: int, *, risk: int, message: str, now: int
) -> Notice:
    """Publish an exposure notice for ``venue`` over ``[start, end]`` through the registry.

    Raises:
        CaseInputError: a window over 14 days, an unknown risk level or a long message.
        RegistryUnavailable, RegistryRefused: from the registry.
    """
    _check_notice(venue, start, end, risk, message)
    notice = case.registry.publish_notice(venue, start, end, risk, message)
    return _keep(
        case, notice, "notice-published", now=now, extra={"window": [start, end], "risk": risk}
    )


def withdraw_notice(case: Case, notice_id: str, *, reason: str, now: int) -> Notice:
    """Withdraw a notice this case published.

    Raises:
        CaseInputError: the notice is not one of this case's.
        RegistryUnavailable, RegistryRefused: from the registry.
    """
    if not case.folder.exists(f"notices/{notice_id}.json"):
        raise CaseInputError(f"notice {notice_id} was not published by this case")
    notice = case.registry.withdraw_notice(notice_id)
    return _keep(case, notice, "notice-withdrawn", now=now, extra={"reason": reason})


def correct_notice(
    case: Case, notice_id: str, start: int, end: int, *, risk: int, message: str, now: int
) -> Notice:
    """Correct a notice this case published (a new notice; the old one is marked).

    Raises:
        CaseInputError: the notice is not one of this case's, or bad notice fields.
        RegistryUnavailable, RegistryRefused: from the registry.
    """
    if not case.folder.exists(f"notices/{notice_id}.json"):
        raise CaseInputError(f"notice {notice_id} was not published by this case")
    old = case.folder.read_json(f"notices/{notice_id}.json")
    _check_notice(old["venue"], start, end, risk, message)
    notice = case.registry.correct_notice(
        case.record.case_id,
        notice_id,
        window_start=start,
        window_end=end,
        risk=risk,
        message=message,
    )
    return _keep(case, notice, "notice-corrected", now=now, extra={"corrects": notice_id})


def notices(case: Case) -> list[dict[str, Any]]:
    """The notices this case published, as kept in ``notices/``."""
    return [case.folder.read_json(name) for name in case.folder.listdir("notices")]
