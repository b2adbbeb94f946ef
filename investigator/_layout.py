"""Where the report draws each node (DESIGN.md "Investigation" step 5: a layout by time or
by hop), shared by the SVG of the HTML report and the PNG.

By hop, columns alternate people and venues from left to right: the case, the venues of
its stays, the first-order contacts, the venues of their stays, and so on; a venue stands
in the column of the first round that searched it. Within a column nodes are ordered by
their earliest visit, and a crowded column (a wedding hall's thousand guests) wraps into
sub-columns. By time, the same order is kept top to bottom but each node moves to the
left-right position of its earliest visit within the case window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from investigator._graph import VisitGraph

__all__ = ["LAYOUTS", "Layout", "layout"]

#: The layouts a report can be drawn in.
LAYOUTS = ("hop", "time")
_COLUMN = 240
_ROW = 16
_ROWS_PER_SUB = 60
_SUB = 26
_MARGIN = 40


@dataclass(frozen=True, slots=True)
class Layout:
    """Node positions (pixels), the drawing's size, and whether labels fit."""

    positions: dict[str, tuple[float, float]]
    width: float
    height: float
    labelled: frozenset[str]


def _columns(graph: VisitGraph) -> dict[int, list[str]]:
    first: dict[str, int] = {}
    earliest: dict[str, int] = {}
    for v in graph.visits:
        earliest[v.person] = min(earliest.get(v.person, v.start), v.start)
        earliest[v.venue] = min(earliest.get(v.venue, v.start), v.start)
        first[v.venue] = min(first.get(v.venue, v.round), v.round)
    cols: dict[int, list[str]] = {}
    for p in graph.people.values():
        cols.setdefault(2 * p.hop, []).append(p.id)
    for venue in graph.venues:
        cols.setdefault(2 * first.get(venue, 1) - 1, []).append(venue)
    for ids in cols.values():
        ids.sort(key=lambda n: (earliest.get(n, 0), n))
    return cols


def _earliest(graph: VisitGraph) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in graph.visits:
        for node in (v.person, v.venue):
            out[node] = min(out.get(node, v.start), v.start)
    return out


def layout(graph: VisitGraph, by: str = "hop") -> Layout:
    """Positions for every person and venue of ``graph``.

    Raises:
        CaseInputError: ``by`` is not one of :data:`LAYOUTS`.
    """
    from investigator.errors import CaseInputError

    if by not in LAYOUTS:
        raise CaseInputError(f"layout must be one of {LAYOUTS}")
    cols = _columns(graph)
    positions: dict[str, tuple[float, float]] = {}
    labelled: set[str] = set()
    x = float(_MARGIN)
    height = 0.0
    col_x: dict[int, float] = {}
    for col in sorted(cols):
        ids = cols[col]
        subs = max(1, math.ceil(len(ids) / _ROWS_PER_SUB))
        col_x[col] = x
        for i, node in enumerate(ids):
            sub, row = divmod(i, _ROWS_PER_SUB) if subs > 1 else (0, i)
            positions[node] = (x + sub * _SUB, float(_MARGIN + row * _ROW))
            height = max(height, positions[node][1])
        if subs == 1:
            labelled |= set(ids)
        x += _COLUMN if subs == 1 else subs * _SUB + _COLUMN / 2
    width = x + _MARGIN
    if by == "time":
        start, end = graph.window
        span = max(1, end - start)
        first = _earliest(graph)
        inner = max(width - 2 * _MARGIN - 160, 400.0)
        for node, (_, y) in positions.items():
            t = min(max(first.get(node, start), start), end)
            positions[node] = (_MARGIN + inner * (t - start) / span, y)
        width = inner + 2 * _MARGIN + 160
    return Layout(positions, width, height + 2 * _MARGIN, frozenset(labelled))
