"""The visit graph (DESIGN.md "Investigation" step 5: people, venues, visits, overlap
minutes, hop, channel), as JSON and GraphML.

People are the case (id ``case``) and every contact, one node per phone number (a person
found through several records, or through a wallet and an SMS check-in, is one node);
a contact not yet unsealed is a node of its own, labelled "sealed", until its identity is
known. Each person records the hop at which it was found and through whom. Venues are
nodes too; a visit joins a person to a venue, and a contact edge joins the person whose
stay was searched to the contact found there, weighted by the overlap in minutes.

The graph is built only from the case folder's files (:func:`build_graph`), so it can be
redrawn at any step.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from investigator._case import Case

__all__ = ["GraphContact", "GraphPerson", "GraphVisit", "VisitGraph", "build_graph", "mask_phone"]


def mask_phone(phone: str) -> str:
    """A phone number with its middle digits hidden (``+8210****2222``): a report label."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:5] + "*" * (len(phone) - 9) + phone[-4:]


def _person_id(phone: str) -> str:
    return "p" + hashlib.sha256(b"anshim/investigator/person\x00" + phone.encode()).hexdigest()[:12]


@dataclass(slots=True)
class GraphPerson:
    """A person of the graph: label (name or masked phone), hop found at, through whom."""

    id: str
    label: str
    hop: int
    through: str = ""
    phone: str = ""
    name: str | None = None
    channels: set[str] = field(default_factory=set)
    credential_id: str = ""
    sealed: bool = False

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "id": self.id,
            "label": self.label,
            "hop": self.hop,
            "through": self.through,
            "phone": self.phone,
            "name": self.name,
            "channels": sorted(self.channels),
            "credential_id": self.credential_id,
            "sealed": self.sealed,
        }


@dataclass(frozen=True, slots=True)
class GraphVisit:
    """A person's visit: venue, stay, record id, channel, and the round that found it."""

    person: str
    venue: str
    start: int
    end: int
    visit_id: str
    channel: str
    round: int

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "person": self.person,
            "venue": self.venue,
            "start": self.start,
            "end": self.end,
            "visit_id": self.visit_id,
            "channel": self.channel,
            "round": self.round,
        }


@dataclass(frozen=True, slots=True)
class GraphContact:
    """A contact edge: ``source``'s stay at ``venue`` overlapped ``target``'s visit."""

    source: str
    target: str
    venue: str
    overlap_minutes: float
    visit_id: str
    hop: int

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "source": self.source,
            "target": self.target,
            "venue": self.venue,
            "overlap_minutes": self.overlap_minutes,
            "visit_id": self.visit_id,
            "hop": self.hop,
        }


@dataclass(slots=True)
class VisitGraph:
    """People, venues (DID → display name), visits and contact edges of one case."""

    case_id: str
    window: tuple[int, int]
    people: dict[str, GraphPerson] = field(default_factory=dict)
    venues: dict[str, str] = field(default_factory=dict)
    visits: list[GraphVisit] = field(default_factory=list)
    contacts: list[GraphContact] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON form of the whole graph (personal data included: keep it sealed)."""
        return {
            "case_id": self.case_id,
            "window": list(self.window),
            "people": [p.to_json() for p in sorted(self.people.values(), key=_order)],
            "venues": [{"id": d, "name": n} for d, n in sorted(self.venues.items())],
            "visits": [v.to_json() for v in self.visits],
            "contacts": [c.to_json() for c in self.contacts],
        }

    def to_graphml(self) -> bytes:
        """The graph as GraphML (:mod:`investigator._graphml`): people and venues as
        nodes, visits and contact edges as edges of a directed multigraph."""
        from investigator._graphml import graphml

        return graphml(self)

    def by_hop(self) -> dict[int, list[GraphPerson]]:
        """People grouped by hop, each group ordered by label."""
        out: dict[int, list[GraphPerson]] = {}
        for p in sorted(self.people.values(), key=_order):
            out.setdefault(p.hop, []).append(p)
        return out


def _order(p: GraphPerson) -> tuple[int, str, str]:
    return (p.hop, p.label, p.id)


def build_graph(case: Case, *, venue_names: dict[str, str] | None = None) -> VisitGraph:
    """The visit graph of everything the case folder holds so far.

    Raises:
        CaseLocked: the case was loaded without its passphrase (identities are sealed).
    """
    rec = case.record
    graph = VisitGraph(rec.case_id, (rec.window_start, rec.window_end))
    graph.people["case"] = GraphPerson("case", rec.case_id, 0, channels={"case"})
    names = venue_names or {}
    by_phone: dict[str, str] = {"case": "case"}

    def person_for(key: str) -> str:
        return by_phone.get(key, key)

    for rnd in range(1, case.rounds() + 1):
        if case.folder.exists(f"hops/{rnd}/visits.json"):
            for s in case.stays(rnd):
                pid = person_for(s["person"])
                graph.venues.setdefault(s["venue"], names.get(s["venue"], ""))
                graph.visits.append(
                    GraphVisit(
                        pid, s["venue"], s["start"], s["end"], s["visit_id"], s["source"], rnd
                    )
                )
        if not case.folder.exists(f"hops/{rnd}/contacts.json"):
            continue
        identities = {i.visit_id: i for i in case.identities(rnd)}
        stays = case.stays(rnd)
        for c in case.contacts(rnd):
            r = c["record"]
            ident = identities.get(r["visit_id"])
            if ident is None:
                pid = "sealed-" + r["visit_id"][:12]
                graph.people.setdefault(pid, GraphPerson(pid, "sealed", rnd, sealed=True))
            else:
                pid = by_phone.setdefault(ident.phone, _person_id(ident.phone))
                through = person_for(stays[c["through"][0]["stay"]]["person"])
                person = graph.people.setdefault(
                    pid,
                    GraphPerson(
                        pid, ident.name or mask_phone(ident.phone), rnd, through, ident.phone,
                        ident.name,
                    ),
                )  # fmt: skip
                if ident.credential_id:
                    person.credential_id = ident.credential_id
            graph.people[pid].channels.add(r["channel"])
            graph.venues.setdefault(r["venue"], names.get(r["venue"], ""))
            graph.visits.append(
                GraphVisit(pid, r["venue"], r["start"], r["end"], r["visit_id"], r["channel"], rnd)
            )
            for t in c["through"]:
                source = person_for(stays[t["stay"]]["person"])
                graph.contacts.append(
                    GraphContact(
                        source, pid, r["venue"], round(t["overlap_seconds"] / 60, 1),
                        r["visit_id"], rnd,
                    )
                )  # fmt: skip
    return graph
