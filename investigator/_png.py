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
    for v in graph.visits:
        if v.person in pos and v.venue in pos:
            (x1, y1), (x2, y2) = pos[v.person], pos[v.venue]
            colour = HOP_COLOURS[min(graph.people[v.person].hop, len(HOP_COLOURS) - 1)]
            ax.plot([x1, x2], [y1, y2], color=colour, alpha=0.25, linewidth=0.8)
    for p in graph.people.values():
        if p.id not in pos:
            continue
        x, y = pos[p.id]
        colour = HOP_COLOURS[min(p.hop, len(HOP_COLOURS) - 1)]
        ax.scatter([x], [y], s=60 if p.hop == 0 else 18, color=colour, zorder=3)
        if p.id in lay.labelled:
            ax.text(x + 8, y + 3, p.label, fontsize=7, va="center")
    for did, name in graph.venues.items():
        x, y = pos[did]
        ax.scatter([x], [y], s=40, marker="s", color="#566573", zorder=3)
        ax.text(x + 9, y + 3, name or did.rsplit(":", 1)[-1], fontsize=7, va="center")
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*missing from font", category=UserWarning)
        fig.savefig(out, format="png", dpi=_DPI)
    return out.getvalue()
