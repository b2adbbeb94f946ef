"""The real registry (registry.service on SQLite) for the venue service's end-to-end
tests, served by uvicorn on loopback, with the venue registered and approved through its
HTTP API under the wallet tests' venue key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from did import Ed25519PublicKey
from tests.registry.service.support import Clock as RegistryClock
from tests.registry.service.support import Operator, Registry, make_registry
from tests.verifier.service.serving import serve_in_thread
from tests.wallet.support import OTHER_VENUE_KEY, VENUE_KEY
from verifier.service._store import VenueStore


@dataclass
class LiveRegistry:
    registry: Registry
    venue_did: str
    url: str

    def keys(self, did: str) -> Ed25519PublicKey | None:
        return VENUE_KEY.public_key if did == self.venue_did else None

    def holds(self, visit_ids: list[bytes], day: int) -> list[bytes]:
        """The visit ids of ``visit_ids`` the registry's store holds (each match once)."""
        matches = self.registry.store.by_visit_ids(visit_ids, days=range(day - 1, day + 2))
        return [m.record.visit.visit_id for m in matches]


def make_live_registry(tmp: Path, now: int) -> tuple[Registry, str, str]:
    """A registry at ``now`` with the cafe and the bar (the wallet tests' venue keys)
    registered and approved: (registry, cafe DID, bar DID)."""
    reg = make_registry(tmp, clock=RegistryClock(now))
    cafe = reg.register(Operator(key=VENUE_KEY, category="restaurant"))
    bar = reg.register(
        Operator(name_ko="바 둘", name_en="Bar Two", key=OTHER_VENUE_KEY, category="bar")
    )
    return reg, cafe.did, bar.did


@contextmanager
def live_registry(reg: Registry, venue_did: str, *, port: int = 0) -> Iterator[LiveRegistry]:
    with serve_in_thread(reg.app, port=port) as url:
        yield LiveRegistry(reg, venue_did, url)


def outbox_ids(store: VenueStore, venue: str) -> list[bytes]:
    return [row.record.visit_id for row in store.pending(venue, limit=10_000)]
