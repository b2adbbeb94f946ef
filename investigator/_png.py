"""The visit graph as a PNG for slides (DESIGN.md "Investigation" step 5), drawn with
matplotlib's Agg canvas (the ``report`` extra, imported on use; no pyplot, so no global
figure state and no display) in the same layout as the HTML report.

matplotlib's bundled font has no Hangul; a name it cannot draw shows as boxes in the PNG
(the HTML report shows it in the reader's fonts), and matplotlib's missing-glyph warnings
are silenced for this drawing only.
"""

from __future__ import annotations

import io
import warnings

from investigator._graph import VisitGraph
from investigator._layout import layout
from investigator._report import HOP_COLOURS
from investigator.errors import ReportUnavailable

__all__ = ["report_png"]

_DPI = 100
_MAX_INCHES = 60.0


def report_png(graph: VisitGraph, *, by: str = "hop") -> bytes:
    """The graph drawn as a PNG image.

    Raises:
        ReportUnavailable: matplotlib (the ``report`` extra) is not installed.
        CaseInputError: an unknown layout.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ReportUnavailable("PNG needs matplotlib (pip install anshim[report])") from exc
    lay = layout(graph, by)
    w = min(max(lay.width / _DPI, 4.0), _MAX_INCHES)
    h = min(max(lay.height / _DPI, 3.0), _MAX_INCHES)
    fig = Figure(figsize=(w, h), dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.axis("off")
    pos = lay.positions
    # One collection per kind (not one artist per node): a wedding hall's thousand guests
    # draw in a fraction of a second.
    segments, colours = [], []
    for v in graph.visits:
        if v.person in pos and v.venue in pos:
            segments.append([pos[v.person], pos[v.venue]])
            colours.append(HOP_COLOURS[min(graph.people[v.person].hop, len(HOP_COLOURS) - 1)])
    ax.add_collection(LineCollection(segments, colors=colours, alpha=0.25, linewidths=0.8))
    by_hop: dict[int, list[tuple[float, float]]] = {}
    for p in graph.people.values():
        if p.id in pos:
            by_hop.setdefault(p.hop, []).append(pos[p.id])
            if p.id in lay.labelled:
                ax.text(pos[p.id][0] + 8, pos[p.id][1] + 3, p.label, fontsize=7, va="center")
    for hop, points in by_hop.items():
        xs, ys = zip(*points, strict=True)
        colour = HOP_COLOURS[min(hop, len(HOP_COLOURS) - 1)]
        ax.scatter(xs, ys, s=60 if hop == 0 else 18, color=colour, zorder=3)
    if graph.venues:
        xs, ys = zip(*(pos[d] for d in graph.venues), strict=True)
        ax.scatter(xs, ys, s=40, marker="s", color="#566573", zorder=3)
        for did, name in graph.venues.items():
            x, y = pos[did]
            ax.text(x + 9, y + 3, name or did.rsplit(":", 1)[-1], fontsize=7, va="center")
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*missing from font", category=UserWarning)
        fig.savefig(out, format="png", dpi=_DPI)
    return out.getvalue()
