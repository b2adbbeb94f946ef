"""The call list (DESIGN.md "Investigation" step 5): one row per contact visit, as CSV that
spreadsheets open correctly and cannot be turned against the investigator.

* UTF-8 with a byte-order mark, so spreadsheets read Hangul names.
* Every cell quoted, and every cell that a spreadsheet would read as a formula — one that
  begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — prefixed with a
  single quote, as OWASP's CSV injection guidance says (Luca's investigator exports were
  attacked this way through guests' names). A phone number ``+8210…`` is therefore written
  ``'+8210…``, which spreadsheets show as the text it is.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterable

from investigator._graph import GraphVisit, VisitGraph

__all__ = ["CALL_LIST_COLUMNS", "call_list_csv", "neutralise"]

#: The call list's columns, in order.
CALL_LIST_COLUMNS = (
    "hop",
    "name",
    "phone",
    "channel",
    "venue",
    "venue_name",
    "time_in",
    "time_out",
    "overlap_minutes",
    "through",
    "visit_id",
)
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
#: Where a graph visit that is a person's own stay came from (its ``channel`` field), not
#: a contact record's channel.
_STAY_SOURCES = frozenset({"disclosure", "trace-seeds", "interview"})


def neutralise(cell: str) -> str:
    """``cell`` with a leading single quote if a spreadsheet would read it as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_LEADS) else cell


def _iso(t: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(t))


def _rows(graph: VisitGraph) -> Iterable[list[str]]:
    overlap: dict[tuple[str, str], float] = {}
    through: dict[tuple[str, str], str] = {}
    for c in graph.contacts:
        key = (c.target, c.visit_id)
        if c.overlap_minutes >= overlap.get(key, -1.0):
            overlap[key] = c.overlap_minutes
            through[key] = graph.people[c.source].label if c.source in graph.people else c.source
    # One row per contact visit. A contact followed to the next hop has the visit it was
    # found by twice in the graph: as that hop's contact record and again among its own
    # stays from its trace seeds; the row is the contact record's (its channel).
    chosen: dict[tuple[str, str], GraphVisit] = {}
    for v in graph.visits:
        key = (v.person, v.visit_id)
        if key not in overlap:
            continue
        held = chosen.get(key)
        if held is None or (held.channel in _STAY_SOURCES and v.channel not in _STAY_SOURCES):
            chosen[key] = v
    visits = sorted(
        chosen.values(), key=lambda v: (graph.people[v.person].hop, v.start, v.visit_id)
    )
    for v in visits:
        person = graph.people[v.person]
        yield [
            str(person.hop),
            person.name or "",
            person.phone,
            v.channel,
            v.venue,
            graph.venues.get(v.venue, ""),
            _iso(v.start),
            _iso(v.end),
            f"{overlap[(v.person, v.visit_id)]:.1f}",
            through[(v.person, v.visit_id)],
            v.visit_id,
        ]


def call_list_csv(graph: VisitGraph) -> bytes:
    """The call list of every contact visit in ``graph``, ordered by hop and time, as
    UTF-8 CSV with a byte-order mark (module docstring)."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CALL_LIST_COLUMNS)
    for row in _rows(graph):
        writer.writerow([neutralise(cell) for cell in row])
    return buf.getvalue().encode("utf-8-sig")
