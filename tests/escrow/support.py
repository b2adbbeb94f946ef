"""Shared set-up for the escrow tests: a real 3-of-5 joint-Feldman ceremony, run once.

Every custodian's store uses the minimum Argon2id limits (KDF_TEST) so the tests stay fast.
The ceremony's files go to the folder tests/conftest.py hands over from pytest's
``tmp_path_factory`` (the ``escrow_world`` session fixture), so nothing is left behind.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from did import KDF_TEST
from escrow import (
    EpochKeyDirectory,
    Roster,
    ShareStore,
    VenueScope,
    VisitLabel,
    Warrant,
    WarrantScope,
    deal,
    finalize,
    publish,
)

PASS = "correct horse battery staple"
FIRST_EPOCH = 20000  # 2024-10-04
N, K = 5, 3
VENUE = "did:web:registry.example:venues:cafe-1"
OTHER_VENUE = "did:web:registry.example:venues:bar-2"
DAY = 86400
NOW = FIRST_EPOCH * DAY + 12 * 3600


@dataclass
class World:
    roster: Roster
    stores: list[ShareStore]
    directory: EpochKeyDirectory
    tmp: Path


_folder: list[Path] = []


def use_folder(path: Path) -> None:
    """Where :func:`world` writes the custodians' stores (set once per session)."""
    _folder[:] = [path]


@functools.lru_cache(maxsize=1)
def world() -> World:
    """Run the ceremony once for the whole test session (3 epochs).

    Raises:
        RuntimeError: called outside pytest, before conftest.py named the folder.
    """
    if not _folder:
        raise RuntimeError("tests/conftest.py sets the escrow world's folder first")
    tmp = _folder[0]
    stores = [ShareStore.create(tmp / f"c{i}.store", PASS, kdf=KDF_TEST) for i in range(1, N + 1)]
    roster = Roster.new([s.did for s in stores], K, first_epoch=FIRST_EPOCH, epochs=3)
    deals = [deal(roster, s.key) for s in stores]
    sigs = [finalize(roster, deals, s, PASS) for s in stores]
    directory = publish(roster, sigs)
    return World(roster, stores, directory, tmp)


def visit(
    n: int, *, venue: str = VENUE, epoch: int = FIRST_EPOCH, offset: int = 3600
) -> VisitLabel:
    """A visit label: pseudonym ``n`` at ``venue``, ``offset`` seconds into the epoch."""
    return VisitLabel(venue, epoch, f"did:key:z6MkPseudonym{n}", epoch * DAY + offset)


def approved_warrant(w: World, scope: WarrantScope | None = None, *, approvers: int = K) -> Warrant:
    """A warrant for VENUE's whole first day, approved by the first ``approvers`` custodians."""
    scope = scope or WarrantScope(
        venues=(VenueScope(VENUE, 2 * 3600, ((FIRST_EPOCH * DAY, (FIRST_EPOCH + 1) * DAY),)),)
    )
    warrant = Warrant.create(
        case_id="case-2024-001",
        purpose="contact tracing",
        investigator="did:key:z6MkInvestigator",
        scope=scope,
        issued=NOW - 3600,
        expires=NOW + 7 * DAY,
    )
    for store in w.stores[:approvers]:
        warrant = warrant.approve(store.key, store.did, now=NOW)
    return warrant
