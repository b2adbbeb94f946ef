"""The outputs: a call list that spreadsheets open safely (OWASP CSV injection), a
self-contained HTML report that no name can break out of, GraphML and PNG."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys

import pytest

from investigator import (
    CALL_LIST_COLUMNS,
    GraphContact,
    GraphPerson,
    GraphVisit,
    VisitGraph,
    call_list_csv,
    mask_phone,
    neutralise,
    notice_message,
    report_html,
    report_png,
)
from investigator.errors import CaseInputError

HALL = "did:web:registry.example:venues:hall"
CAFE = "did:web:registry.example:venues:cafe"
T = 1_728_000_000
NASTY = [
    '=HYPERLINK("http://x","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\tTAB",
    "\rCR",
    "</script><script>alert(1)</script>",
    "김민수",
]


def _graph(names: list[str]) -> VisitGraph:
    g = VisitGraph("JJ-1", (T, T + 86400))
    g.people["case"] = GraphPerson("case", "JJ-1", 0, channels={"case"})
    g.venues = {HALL: "웨딩홀", CAFE: ""}
    g.visits.append(GraphVisit("case", HALL, T, T + 7200, "aa" * 16, "disclosure", 1))
    for n, name in enumerate(names):
        pid = f"p{n}"
        phone = f"+8210{n:08d}"
        g.people[pid] = GraphPerson(pid, name or mask_phone(phone), 1, "case", phone, name)
        vid = f"{n:032x}"
        g.visits.append(GraphVisit(pid, HALL, T + 60 * n, T + 3600, vid, "assisted", 1))
        g.contacts.append(GraphContact("case", pid, HALL, 59.0 - n, vid, 1))
    return g


def test_the_call_list_neutralises_every_formula_lead_and_keeps_hangul() -> None:
    data = call_list_csv(_graph(NASTY))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CALL_LIST_COLUMNS
    names = [r[1] for r in rows[1:]]
    assert names == [neutralise(n) for n in NASTY]
    assert '\'=HYPERLINK("http://x","click")' in names
    assert "김민수" in names
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
        assert row[2].startswith("'+8210")  # the number stays readable as text


def test_a_contact_followed_to_the_next_hop_has_one_row_per_visit() -> None:
    # The contact's visit with the case comes back among its own stays (round 2, from its
    # trace seeds): the call list lists the visit once, as the contact record it was.
    g = _graph(["김민수"])
    vid = f"{0:032x}"
    g.visits.append(GraphVisit("p0", HALL, T, T + 3600, vid, "trace-seeds", 2))
    g.visits.append(GraphVisit("p0", CAFE, T + 7200, T + 9000, "bb" * 16, "trace-seeds", 2))
    g.people["p1"] = GraphPerson("p1", "이영희", 2, "p0", "+821011112222", "이영희")
    g.visits.append(GraphVisit("p1", CAFE, T + 7300, T + 9000, "cc" * 16, "qr_static", 2))
    g.contacts.append(GraphContact("p0", "p1", CAFE, 28.3, "cc" * 16, 2))
    rows = list(csv.DictReader(io.StringIO(call_list_csv(g).decode("utf-8-sig"))))
    assert [(r["name"], r["visit_id"], r["hop"], r["channel"]) for r in rows] == [
        ("김민수", vid, "1", "assisted"),
        ("이영희", "cc" * 16, "2", "qr_static"),
    ]
    # The stay listed first (a graph built in another order) still yields the record's row.
    g.visits.insert(0, g.visits.pop(2))
    again = list(csv.DictReader(io.StringIO(call_list_csv(g).decode("utf-8-sig"))))
    assert again == rows


def test_neutralise_leaves_plain_cells_alone() -> None:
    assert neutralise("Kim") == "Kim"
    assert neutralise("") == ""
    assert neutralise("a=b") == "a=b"


def test_the_report_is_self_contained_and_escapes_every_name() -> None:
    for by in ("hop", "time"):
        page = report_html(_graph(NASTY), by=by, generated=T)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;/script&gt;&lt;script&gt;alert(1)" in page
        # Nothing is fetched: no external scripts, styles, images or fonts.
        assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)
        assert "@import" not in page
        # The embedded data cannot close its script element.
        data = page.split('id="case-data">', 1)[1].split("</script>", 1)[0]
        assert "<" not in data
        assert page.count("<svg") >= 2  # the graph and a timeline
        assert "웨딩홀" in page
        assert 'class="node"' in page


def test_png_and_graphml() -> None:
    png = report_png(_graph(NASTY[:3]))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    import networkx as nx

    parsed = nx.parse_graphml(_graph(NASTY[:3]).to_graphml().decode())
    assert parsed.nodes["case"]["kind"] == "person"
    assert parsed.nodes[HALL]["kind"] == "venue"
    assert {d["kind"] for _, _, d in parsed.edges(data=True)} == {"visit", "contact"}


def test_graphml_reads_back_in_networkx_with_every_name_and_type() -> None:
    import networkx as nx

    names = [*NASTY, "\x00\x1bnul-esc", "\ud800lone", "<&>\"'"]
    graph = _graph(names)
    parsed = nx.read_graphml(io.BytesIO(graph.to_graphml()))
    assert set(parsed.nodes) == set(graph.people) | set(graph.venues)
    assert parsed.number_of_edges() == len(graph.visits) + len(graph.contacts)
    labels = {parsed.nodes[f"p{n}"]["label"] for n in range(len(names))}
    assert {"\ufffd\ufffdnul-esc", "\ufffdlone", "<&>\"'", "\rCR", "\tTAB", NASTY[0]} <= labels
    assert parsed.nodes["p0"]["hop"] == 1
    assert parsed.nodes["p0"]["sealed"] is False
    contacts = [d for _, _, d in parsed.edges(data=True) if d["kind"] == "contact"]
    assert sorted(d["overlap_minutes"] for d in contacts)[-1] == 59.0
    assert parsed.graph["case_id"] == "JJ-1"


def test_a_layout_name_is_checked() -> None:
    from investigator.errors import CaseInputError

    with pytest.raises(CaseInputError):
        report_html(_graph([]), by="alphabet")


def test_import_investigator_loads_no_web_http_or_drawing_library() -> None:
    code = (
        "import sys, investigator;"
        "bad = [m for m in ('httpx', 'fastapi', 'starlette', 'uvicorn', 'networkx', "
        "'matplotlib', 'tqdm', 'sqlite3', 'psycopg', 'wallet', 'verifier', 'registry') "
        "if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_notice_message_is_one_text_for_both_languages_or_one_each() -> None:
    assert notice_message("확진자 방문") == {"ko": "확진자 방문", "en": "확진자 방문"}
    pair = {"ko": "확진자 방문", "en": "a confirmed case visited"}
    assert notice_message(pair) == pair
    for bad in ({"ko": "확진자 방문"}, {"ko": "a", "en": "b", "fr": "c"}, {"ko": "", "en": "b"},
                {"ko": "a", "en": "x" * 101}, "", ["ko", "en"]):  # fmt: skip
        with pytest.raises(CaseInputError):
            notice_message(bad)  # type: ignore[arg-type]
