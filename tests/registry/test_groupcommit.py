"""Group commit (registry/_groupcommit.py) on both engines: requests that arrive while a
commit runs share the next one; none returns before the commit holding its records; a bad
batch in a group is refused alone while the others go through; an outage fails the whole
group; counts are exact unless a group's cannot be split."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import registry
from registry._groupcommit import GroupCommit, Outcome
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

    def start(self, n: int, records: Sequence[registry.StoredVisit]) -> None:
        def run() -> None:
            try:
                self.results[n] = self.commits.put(records)
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
    # The leader; the group, refused; then each of its batches alone, in either order.
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
    assert requests.results[1] == Outcome(None, 2)
    assert requests.results[2] == Outcome(None, 2)
    assert len(store.contacts(kits[2].did, T0, T0 + 86400 - 1, min_overlap=0)) == 2
    # Alone, a retry is counted exactly.
    assert commits.put(again) == Outcome(registry.PutResult(unchanged=3), 1)


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
