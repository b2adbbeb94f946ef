"""Group commit (registry/_groupcommit.py) on both engines: requests that arrive while a
commit runs share the next one; none returns before the commit holding its records; a bad
batch in a group is refused alone while the others go through; an outage fails the whole
group; counts are exact unless a group's cannot be split."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import registry
from protocol import ENVELOPE_SIZE, Channel
from registry._groupcommit import Claim, GroupCommit, Outcome
from registry._ledger import Ledger, Relay
from registry.errors import RecordConflict, StoreUnavailable
from tests.registry.support import MINUTE, T0, make_venue, make_visit

_WAIT = 10.0


class Gated:
    """A store whose ``put`` calls are recorded and held at a gate until it opens."""

    def __init__(self, store: registry.Store) -> None:
        self.store = store
        self.calls: list[int] = []
        self.committed: list[int] = []
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.fail: BaseException | None = None

    def put(self, records: Sequence[registry.StoredVisit]) -> registry.PutResult:
        self.calls.append(len(records))
        self.entered.set()
        assert self.gate.wait(_WAIT)
        if self.fail is not None:
            raise self.fail
        result = self.store.put(records)
        self.committed.append(len(records))
        return result


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + _WAIT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class Requests:
    """Upload requests on threads, each ``put`` through one GroupCommit."""

    def __init__(self, commits: GroupCommit) -> None:
        self.commits = commits
        self.threads: list[threading.Thread] = []
        self.results: dict[int, Outcome | BaseException] = {}

    def start(
        self, n: int, records: Sequence[registry.StoredVisit], claims: Sequence[Claim] = ()
    ) -> None:
        def run() -> None:
            try:
                self.results[n] = self.commits.put(records, claims)
            except BaseException as exc:
                self.results[n] = exc

        thread = threading.Thread(target=run)
        self.threads.append(thread)
        thread.start()

    def join(self) -> None:
        for t in self.threads:
            t.join(_WAIT)


def _queued(commits: GroupCommit, n: int) -> Callable[[], bool]:
    return lambda: len(commits._queue) >= n


def _batch(kit: Any, n: int, start: int) -> list[registry.StoredVisit]:
    return [make_visit(kit, T0 + 9 * 3600 + (start + i) * MINUTE) for i in range(n)]


@pytest.fixture
def kits(store: registry.Store) -> list[Any]:
    kits = [make_venue(i) for i in range(4)]
    store.put_venues([k.venue for k in kits])
    return kits


def test_requests_arriving_during_a_commit_share_the_next_one(
    store: registry.Store, kits: list[Any]
) -> None:
    gated = Gated(store)
    commits = GroupCommit(gated)  # type: ignore[arg-type]
    requests = Requests(commits)
    requests.start(0, _batch(kits[0], 5, 0))  # the leader, held at the gate
    assert gated.entered.wait(_WAIT)
    for n in (1, 2, 3):
        requests.start(n, _batch(kits[n], 5, 10 * n))
    _until(_queued(commits, 3))
    # Nobody has an answer while the commits holding their records have not returned.
    assert requests.results == {}
    gated.gate.set()
    requests.join()
    assert gated.calls == [5, 15]  # the leader alone, then the three followers together
    assert {n: r.shared for n, r in requests.results.items()} == {0: 1, 1: 3, 2: 3, 3: 3}  # type: ignore[union-attr]
    for r in requests.results.values():
        assert r.result == registry.PutResult(inserted=5)  # type: ignore[union-attr]
    stored = store.contacts(kits[1].did, T0, T0 + 86400 - 1, min_overlap=0)
    assert len(stored) == 5


def test_a_bad_batch_in_a_group_is_refused_alone(store: registry.Store, kits: list[Any]) -> None:
    taken = _batch(kits[1], 1, 50)
    store.put(taken)
    clash = make_visit(kits[1], T0 + 8 * 3600, visit_id=taken[0].visit.visit_id)
    gated = Gated(store)
    commits = GroupCommit(gated)  # type: ignore[arg-type]
    requests = Requests(commits)
    requests.start(0, _batch(kits[0], 2, 0))
    assert gated.entered.wait(_WAIT)
    requests.start(1, [clash, *_batch(kits[1], 2, 60)])
    requests.start(2, _batch(kits[2], 2, 70))
    _until(_queued(commits, 2))
    gated.gate.set()
    requests.join()
    assert isinstance(requests.results[1], RecordConflict)
    assert isinstance(requests.results[2], Outcome)
    assert requests.results[2].result == registry.PutResult(inserted=2)
    # The leader alone, the group (refused), then each of its batches alone.
    assert gated.calls[:2] == [2, 5]
    assert sorted(gated.calls[2:]) == [2, 3]
    assert len(store.contacts(kits[1].did, T0, T0 + 86400 - 1, min_overlap=0)) == 1
    assert len(store.contacts(kits[2].did, T0, T0 + 86400 - 1, min_overlap=0)) == 2


def test_an_outage_fails_every_request_of_the_group(store: registry.Store, kits: list[Any]) -> None:
    gated = Gated(store)
    commits = GroupCommit(gated)  # type: ignore[arg-type]
    requests = Requests(commits)
    requests.start(0, _batch(kits[0], 2, 0))
    assert gated.entered.wait(_WAIT)
    requests.start(1, _batch(kits[1], 2, 10))
    requests.start(2, _batch(kits[2], 2, 20))
    _until(_queued(commits, 2))
    gated.fail = StoreUnavailable("the database is restarting")
    gated.gate.set()
    requests.join()
    assert all(isinstance(r, StoreUnavailable) for r in requests.results.values())
    assert gated.committed == []


def test_a_group_with_a_retry_reports_committed_without_counts(
    store: registry.Store, kits: list[Any]
) -> None:
    again = _batch(kits[1], 3, 0)
    store.put(again)
    gated = Gated(store)
    commits = GroupCommit(gated)  # type: ignore[arg-type]
    requests = Requests(commits)
    requests.start(0, _batch(kits[0], 2, 0))
    assert gated.entered.wait(_WAIT)
    requests.start(1, again)
    requests.start(2, _batch(kits[2], 2, 20))
    _until(_queued(commits, 2))
    gated.gate.set()
    requests.join()
    assert requests.results[1] == Outcome(3, None, 2)
    assert requests.results[2] == Outcome(2, None, 2)
    assert len(store.contacts(kits[2].did, T0, T0 + 86400 - 1, min_overlap=0)) == 2
    # Alone, a retry is counted exactly.
    assert commits.put(again) == Outcome(3, registry.PutResult(unchanged=3), 1)


def test_batches_of_other_days_wait_for_a_commit_of_their_own(
    store: registry.Store, kits: list[Any]
) -> None:
    gated = Gated(store)
    commits = GroupCommit(gated)  # type: ignore[arg-type]
    requests = Requests(commits)
    requests.start(0, _batch(kits[0], 1, 0))
    assert gated.entered.wait(_WAIT)
    tomorrow = [make_visit(kits[1], T0 + 86400 + 9 * 3600)]
    requests.start(1, tomorrow)
    requests.start(2, _batch(kits[2], 1, 20))
    requests.start(3, _batch(kits[3], 1, 30))
    _until(_queued(commits, 3))
    gated.gate.set()
    requests.join()
    # One day per commit (a batch over two days costs the store a journal); the next
    # leader takes what shares its days, and the other day goes after.
    assert sorted(gated.calls[1:]) == [1, 2]
    assert all(isinstance(r, Outcome) for r in requests.results.values())


def test_with_two_slots_two_commits_run_at_once_and_the_rest_wait(
    store: registry.Store, kits: list[Any]
) -> None:
    # An engine with concurrent writers keeps them: grouping starts only when every slot
    # is taken.
    gated = Gated(store)
    commits = GroupCommit(gated, concurrency=2)  # type: ignore[arg-type]
    requests = Requests(commits)
    requests.start(0, _batch(kits[0], 1, 0))
    requests.start(1, _batch(kits[1], 1, 10))
    _until(lambda: len(gated.calls) == 2)  # both in the store at once
    requests.start(2, _batch(kits[2], 1, 20))
    requests.start(3, _batch(kits[3], 1, 30))
    _until(_queued(commits, 2))
    assert len(gated.calls) == 2
    gated.gate.set()
    requests.join()
    # The two waiting go together in the first slot to free up, and each only once (a
    # request taken into another's group never leads a commit of its own).
    assert sorted(gated.calls) == [1, 1, 2]
    assert [requests.results[n].shared for n in (2, 3)] == [2, 2]  # type: ignore[union-attr]
    assert len(store.contacts(kits[2].did, T0, T0 + 86400 - 1, min_overlap=0)) == 1
    with pytest.raises(ValueError, match="concurrency"):
        GroupCommit(store, concurrency=0)


def test_a_group_makes_its_claims_in_one_call_and_a_relay_is_left_out(
    store: registry.Store, kits: list[Any], tmp_path: Path
) -> None:
    # Two venues' uploads of one holder-shown code in one group: the earlier in the group
    # keeps it, the later's record is not stored and its request learns the relay.
    ledger = Ledger(tmp_path / "ledger")
    calls: list[int] = []

    def claim(claims: Sequence[Claim]) -> list[Relay]:
        calls.append(len(claims))
        return ledger.claim_holder_shown(claims, now=T0, horizon=0)

    gated = Gated(store)
    commits = GroupCommit(gated, claim=claim)  # type: ignore[arg-type]
    envelope = os.urandom(ENVELOPE_SIZE)
    shown = [
        make_visit(k, T0 + 9 * 3600, channel=Channel.HOLDER_SHOWN, envelope=envelope)
        for k in kits[1:3]
    ]
    eid = hashlib.sha256(envelope).digest()

    def claims(r: registry.StoredVisit) -> list[Claim]:
        return [(eid, r.visit.day, r.visit.venue, r.visit.visit_id)]

    requests = Requests(commits)
    requests.start(0, _batch(kits[0], 1, 0))
    assert gated.entered.wait(_WAIT)
    requests.start(1, [shown[0], *_batch(kits[1], 1, 10)], claims(shown[0]))
    _until(_queued(commits, 1))
    requests.start(2, [shown[1], *_batch(kits[2], 1, 20)], claims(shown[1]))
    _until(_queued(commits, 2))
    gated.gate.set()
    requests.join()
    assert calls == [2]  # one claim call for the group of two
    first, second = requests.results[1], requests.results[2]
    assert isinstance(first, Outcome)
    assert isinstance(second, Outcome)
    assert (first.records, first.relays) == (2, ())
    assert second.records == 1
    ((relay,),) = [second.relays]
    assert (relay.first_venue, relay.second_venue) == (kits[1].did, kits[2].did)
    assert gated.calls == [1, 3]
    assert len(store.contacts(kits[2].did, T0, T0 + 86400 - 1, min_overlap=0)) == 1
    ledger.close()
