"""The visit graph as GraphML (DESIGN.md "Investigation" step 5; the GraphML 1.0 schema at
http://graphml.graphdrawing.org/), written directly: people and venues are nodes, visits
and contact edges are edges of a directed multigraph, each edge with its own id.

Every attribute is declared once as a ``<key>`` with its GraphML type, so Gephi, yEd and
networkx's ``read_graphml`` read it as networkx itself would write it. Text is escaped for
XML, and characters XML 1.0 cannot carry (controls other than tab and newline, lone
surrogates) are replaced with U+FFFD: a name typed at a venue can break neither the file
nor the reader.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from investigator._graph import VisitGraph

__all__ = ["graphml"]

# XML 1.0 section 2.2, Char: what may appear in a document at all.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_KEYS = (
    ("g_case_id", "graph", "case_id", "string"),
    ("n_kind", "node", "kind", "string"),
    ("n_label", "node", "label", "string"),
    ("n_hop", "node", "hop", "int"),
    ("n_through", "node", "through", "string"),
    ("n_phone", "node", "phone", "string"),
    ("n_name", "node", "name", "string"),
    ("n_channels", "node", "channels", "string"),
    ("n_sealed", "node", "sealed", "boolean"),
    ("e_kind", "edge", "kind", "string"),
    ("e_start", "edge", "start", "long"),
    ("e_end", "edge", "end", "long"),
    ("e_visit_id", "edge", "visit_id", "string"),
    ("e_channel", "edge", "channel", "string"),
    ("e_round", "edge", "round", "int"),
    ("e_venue", "edge", "venue", "string"),
    ("e_overlap_minutes", "edge", "overlap_minutes", "double"),
    ("e_hop", "edge", "hop", "int"),
)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_NOT_XML.sub("\ufffd", str(value)), {"\r": "&#13;"})  # kept, not folded


def _attr(value: str) -> str:
    return quoteattr(_NOT_XML.sub("\ufffd", value))


def _data(prefix: str, values: dict[str, object]) -> str:
    return "".join(f'<data key="{prefix}_{k}">{_text(v)}</data>' for k, v in values.items())


def graphml(graph: VisitGraph) -> bytes:
    """The graph as a GraphML document (UTF-8)."""
    out = [
        "<?xml version='1.0' encoding='utf-8'?>",
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
    ]
    out += [
        f'<key id="{i}" for="{kind}" attr.name="{name}" attr.type="{t}" />'
        for i, kind, name, t in _KEYS
    ]
    out.append('<graph edgedefault="directed">')
    out.append(_data("g", {"case_id": graph.case_id}))
    for p in graph.people.values():
        values: dict[str, object] = {
            "kind": "person", "label": p.label, "hop": p.hop, "through": p.through,
            "phone": p.phone, "name": p.name or "", "channels": ",".join(sorted(p.channels)),
            "sealed": p.sealed,
        }  # fmt: skip
        out.append(f"<node id={_attr(p.id)}>{_data('n', values)}</node>")
    for did, name in graph.venues.items():
        values = {"kind": "venue", "label": name or did}
        out.append(f"<node id={_attr(did)}>{_data('n', values)}</node>")
    n = 0
    for v in graph.visits:
        values = {
            "kind": "visit", "start": v.start, "end": v.end, "visit_id": v.visit_id,
            "channel": v.channel, "round": v.round,
        }  # fmt: skip
        out.append(
            f'<edge id="e{n}" source={_attr(v.person)} target={_attr(v.venue)}>'
            f"{_data('e', values)}</edge>"
        )
        n += 1
    for c in graph.contacts:
        values = {
            "kind": "contact", "venue": c.venue, "overlap_minutes": c.overlap_minutes,
            "visit_id": c.visit_id, "hop": c.hop,
        }  # fmt: skip
        out.append(
            f'<edge id="e{n}" source={_attr(c.source)} target={_attr(c.target)}>'
            f"{_data('e', values)}</edge>"
        )
        n += 1
    out += ["</graph>", "</graphml>"]
    return "\n".join(out).encode("utf-8")
