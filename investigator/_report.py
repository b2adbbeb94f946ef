"""The case report: one self-contained HTML file (DESIGN.md "Investigation" step 5).

* The visit graph drawn as inline SVG (:mod:`~investigator._layout`): people as circles
  coloured by hop and labelled with their name or masked phone number, venues as squares,
  visits as lines whose width grows with the overlap; hovering a node shows its details
  (an SVG ``<title>``) and clicking it lists its visits beside the drawing.
* A timeline per searched venue: the searched person's stay and every contact's stay on
  one time axis, with the overlap in minutes.
* Tables of people, stays and contacts.

Nothing is fetched: no scripts, fonts or styles from elsewhere, so the file opens on a
closed network. Every text from a case (names typed by venue staff included) is escaped
for HTML, and the data the click handler reads is embedded as JSON with ``<``, ``>`` and
``&`` escaped, so no name can close the script element.
"""

from __future__ import annotations

import html
import json
import time
from typing import Any

from investigator._graph import GraphPerson, VisitGraph, mask_phone
from investigator._layout import Layout, layout

__all__ = ["HOP_COLOURS", "report_html"]

#: Node colours by hop (the case first); later hops reuse the last colour.
HOP_COLOURS = ("#c0392b", "#e67e22", "#2e86c1", "#7d3c98", "#17a589")
_VENUE_COLOUR = "#566573"
_TIMELINE_ROWS = 200
_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;padding:2px 6px}
th{background:#f4f4f4}#detail{position:sticky;top:0;background:#fffbe6;padding:.5em;
border:1px solid #e0c060;min-height:2em;font-size:.9em}.graph{overflow:auto;border:1px solid #ddd}
svg text{font-size:10px}.node{cursor:pointer}
"""
_SCRIPT = """
const data = JSON.parse(document.getElementById('case-data').textContent);
function show(id){
  const n = data.nodes[id]; if (!n) return;
  const d = document.getElementById('detail'); d.textContent = '';
  const h = document.createElement('b'); h.textContent = n.label; d.appendChild(h);
  for (const line of n.lines) {
    const p = document.createElement('div'); p.textContent = line; d.appendChild(p);
  }
}
document.querySelectorAll('.node').forEach(e=>e.addEventListener('click',()=>show(e.dataset.id)));
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _t(seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(seconds))


def _colour(hop: int) -> str:
    return HOP_COLOURS[min(hop, len(HOP_COLOURS) - 1)]


def _node_lines(graph: VisitGraph) -> dict[str, dict[str, Any]]:
    nodes: dict[str, dict[str, Any]] = {}
    for p in graph.people.values():
        through = graph.people.get(p.through)
        head = f"hop {p.hop}" + (f", through {through.label}" if through else "")
        nodes[p.id] = {"label": p.label, "lines": [head, ", ".join(sorted(p.channels))]}
    for did, name in graph.venues.items():
        nodes[did] = {"label": name or did, "lines": [did]}
    for v in graph.visits:
        venue = graph.venues.get(v.venue) or v.venue
        span = f"{_t(v.start)} – {_t(v.end)}"
        nodes[v.person]["lines"].append(f"{venue}: {span} ({v.channel})")
        who = graph.people[v.person].label
        nodes[v.venue]["lines"].append(f"{who}: {span}")
    return nodes


def _overlaps(graph: VisitGraph) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for c in graph.contacts:
        key = (c.target, c.venue)
        out[key] = max(out.get(key, 0.0), c.overlap_minutes)
    return out


def _svg(graph: VisitGraph, lay: Layout) -> str:
    pos = lay.positions
    overlaps = _overlaps(graph)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" '
        f'height="{lay.height:.0f}" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
        'role="img" aria-label="visit graph">'
    ]
    seen: set[tuple[str, str]] = set()
    for v in graph.visits:
        if (v.person, v.venue) in seen or v.person not in pos or v.venue not in pos:
            continue
        seen.add((v.person, v.venue))
        (x1, y1), (x2, y2) = pos[v.person], pos[v.venue]
        minutes = overlaps.get((v.person, v.venue))
        width = 2.5 if minutes is None else 0.6 + min(minutes, 240) / 40
        colour = _colour(graph.people[v.person].hop)
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-opacity="0.35" stroke-width="{width:.2f}"><title>'
            f"{_e(graph.people[v.person].label)} @ {_e(graph.venues.get(v.venue) or v.venue)}"
            + ("" if minutes is None else f", {minutes:.1f} min overlap")
            + "</title></line>"
        )
    for p in graph.people.values():
        if p.id not in pos:
            continue
        x, y = pos[p.id]
        r = 7 if p.hop == 0 else 4.5
        parts.append(
            f'<g class="node" data-id="{_e(p.id)}"><title>{_e(p.label)} (hop {p.hop})</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{_colour(p.hop)}"'
            + (' fill-opacity="0.4"' if p.sealed else "")
            + "/>"
            + (
                f'<text x="{x + 8:.1f}" y="{y + 3:.1f}">{_e(p.label)}</text>'
                if p.id in lay.labelled
                else ""
            )
            + "</g>"
        )
    for did, name in graph.venues.items():
        x, y = pos[did]
        parts.append(
            f'<g class="node" data-id="{_e(did)}"><title>{_e(name or did)}</title>'
            f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" '
            f'fill="{_VENUE_COLOUR}"/><text x="{x + 9:.1f}" y="{y + 3:.1f}">'
            f"{_e(name or did.rsplit(':', 1)[-1])}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _timeline(graph: VisitGraph, venue: str, searched: list[str]) -> str:
    own = [v for v in graph.visits if v.venue == venue and v.person in searched]
    contacts = {c.visit_id: c for c in graph.contacts if c.venue == venue}
    others = [v for v in graph.visits if v.visit_id in contacts]
    rows = own + sorted(others, key=lambda v: (v.start, v.visit_id))[:_TIMELINE_ROWS]
    if not rows:
        return ""
    lo, hi = min(v.start for v in rows), max(v.end for v in rows)
    span, width, label_w, row_h = max(1, hi - lo), 640, 170, 12
    height = row_h * len(rows) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + label_w + 80}" height="{height}">'
    ]
    for i, v in enumerate(rows):
        y = 4 + i * row_h
        x = label_w + width * (v.start - lo) / span
        w = max(1.5, width * (v.end - v.start) / span)
        person: GraphPerson = graph.people[v.person]
        c = contacts.get(v.visit_id)
        note = "" if c is None else f"{c.overlap_minutes:.1f} min"
        out.append(
            f'<text x="0" y="{y + 9}">{_e(person.label[:28])}</text>'
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 3}" '
            f'fill="{_colour(person.hop)}"><title>{_e(person.label)}: {_t(v.start)} – '
            f"{_t(v.end)} {note}</title></rect>"
            f'<text x="{label_w + width + 6}" y="{y + 9}">{note}</text>'
        )
    out.append(
        f'<text x="{label_w}" y="{height - 6}">{_t(lo)}</text>'
        f'<text x="{label_w + width - 90}" y="{height - 6}">{_t(hi)}</text></svg>'
    )
    more = len(others) - _TIMELINE_ROWS
    tail = f"<p>and {more} more contacts (see the table)</p>" if more > 0 else ""
    name = graph.venues.get(venue) or venue
    return f"<h3>{_e(name)}</h3>" + "".join(out) + tail


def _table(head: list[str], rows: list[list[object]]) -> str:
    cells = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def _json_for_script(obj: Any) -> str:
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def report_html(graph: VisitGraph, *, by: str = "hop", generated: int = 0) -> str:
    """The self-contained HTML report of ``graph`` drawn in the ``by`` layout.

    Raises:
        CaseInputError: an unknown layout.
    """
    lay = layout(graph, by)
    searched = sorted(
        {v.person for v in graph.visits if v.channel in ("disclosure", "trace-seeds", "interview")}
    )
    venues = sorted({v.venue for v in graph.visits if v.person in searched})
    people = sorted(graph.people.values(), key=lambda p: (p.hop, p.label))
    ppl_rows: list[list[object]] = [
        [p.hop, p.label, mask_phone(p.phone) if p.phone else "", ", ".join(sorted(p.channels)),
         graph.people[p.through].label if p.through in graph.people else ""]
        for p in people
    ]  # fmt: skip
    stay_rows: list[list[object]] = [
        [graph.people[v.person].label, graph.venues.get(v.venue) or v.venue,
         _t(v.start), _t(v.end), v.channel]
        for v in graph.visits if v.person in searched
    ]  # fmt: skip
    contact_rows: list[list[object]] = [
        [c.hop, graph.people[c.target].label, graph.people[c.source].label,
         graph.venues.get(c.venue) or c.venue, f"{c.overlap_minutes:.1f}"]
        for c in sorted(graph.contacts, key=lambda c: (c.hop, -c.overlap_minutes))
    ]  # fmt: skip
    hops = graph.by_hop()
    summary = ", ".join(f"hop {h}: {len(ps)}" for h, ps in sorted(hops.items()))
    start, end = graph.window
    return "".join(
        [
            '<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">',
            f"<title>Case {_e(graph.case_id)}</title><style>{_CSS}</style></head><body>",
            f"<h1>Case {_e(graph.case_id)}</h1>",
            f"<p>Window {_t(start)} – {_t(end)} UTC. People {summary}. "
            f"Layout by {_e(by)}. Generated {_t(generated)} UTC.</p>",
            '<div id="detail">Click a person or a venue for its visits.</div>',
            f'<div class="graph">{_svg(graph, lay)}</div>',
            "<h2>Timelines</h2>",
            "".join(_timeline(graph, v, searched) for v in venues),
            "<h2>People</h2>",
            _table(["hop", "person", "phone", "channels", "through"], ppl_rows),
            "<h2>Searched stays</h2>",
            _table(["person", "venue", "from", "to", "source"], stay_rows),
            "<h2>Contacts</h2>",
            _table(["hop", "contact", "through", "venue", "overlap (min)"], contact_rows),
            f'<script type="application/json" id="case-data">'
            f"{_json_for_script({'nodes': _node_lines(graph)})}</script>",
            f"<script>{_SCRIPT}</script></body></html>",
        ]
    )
