"""Group commit: concurrent uploads share one durable commit (DESIGN.md "Storage": one
transaction per batch, acknowledged only after commit).

A store's :meth:`~registry.Store.put` pays a fixed price per call: taking the writer's
lock, a transaction, the write-ahead log's fsync. A registry serving many venues at once
receives many batches at once (small ones, at a national scale: a venue's uploader sends
what queued in its last two seconds), so :class:`GroupCommit` lets the requests of one
process that arrive while commits are under way wait for one to end and then go together,
in one ``put`` of all their records (leader and followers: whoever finds a free commit
slot commits everything queued, up to :data:`~registry.MAX_BATCH` records of the same
days). No timer holds a request back: while a slot is free, an upload is committed at
once, as before. ``concurrency`` is how many commits may run at once: one for an engine
with one writer (SQLite's writer lock serialises them anyway), a few for one that takes
concurrent writers (PostgreSQL), so grouping never costs the parallelism the engine has.

**Claims first.** A request may bring claims: the envelope ids of its holder-shown
records (:mod:`registry._uploads`, "Relayed holder-shown codes"). The leader makes the
whole group's claims in one call of ``claim`` (one ledger transaction, so one fsync for the
group, not one per request) before the group's ``put``, in the group's order, and leaves
each relayed record out of its request's records; each request learns its own relays.

Nothing is acknowledged before its commit: every request waits until the ``put`` holding
its records returned. A group is all or nothing, as a batch is; when the group's ``put``
refuses it for one batch's fault (a conflict, a purged day), each batch of the group is
committed alone, so a bad batch is refused by itself and the others go through. A store
(or ledger) outage fails every request of the group, and none was acknowledged.

The store counts what a ``put`` did for the whole call, so a request's own counts are
exact when it was alone, or when its group inserted every record (the common case of fresh
uploads); a group holding retries or check-outs reports for each request only that its
records are committed (:attr:`Outcome.result` is None).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from did.errors import InputError
from protocol import Channel
from registry._ledger import Relay
from registry._model import PutResult, StoredVisit
from registry._store import MAX_BATCH, Store

__all__ = ["Claim", "GroupCommit", "Outcome"]

#: A holder-shown record's claim: (envelope id, day, venue DID, visit id).
Claim = tuple[bytes, int, str, bytes]


@dataclass(frozen=True, slots=True)
class Outcome:
    """A committed request: its ``records`` committed (its relays left out), their result
    (None when its group's counts cannot be split, as the module docstring says), how many
    requests shared the commit, and its records refused as relays."""

    records: int
    result: PutResult | None
    shared: int
    relays: tuple[Relay, ...] = ()


@dataclass(slots=True)
class _Pending:
    records: Sequence[StoredVisit]
    claims: Sequence[Claim]
    days: frozenset[int]
    taken: bool = False  # in a group being committed (by another request's thread)
    done: bool = False
    relays: tuple[Relay, ...] = ()
    outcome: Outcome | None = None
    error: BaseException | None = None


def _no_claims(claims: Sequence[Claim]) -> list[Relay]:
    if claims:
        raise ValueError("claims need a claim function")
    return []


class GroupCommit:
    """Commits batches of records to ``store`` in groups, at most ``concurrency`` commits
    at once, their claims made first by ``claim`` (module docstring); one per process,
    shared by its request threads.

    Raises (on construction):
        ValueError: ``concurrency`` is not a positive int.
    """

    def __init__(
        self,
        store: Store,
        *,
        claim: Callable[[Sequence[Claim]], Sequence[Relay]] = _no_claims,
        max_records: int = MAX_BATCH,
        concurrency: int = 1,
    ) -> None:
        if type(concurrency) is not int or concurrency < 1:
            raise ValueError("concurrency must be a positive int")
        self.store = store
        self._claim = claim
        self._max = max_records
        self._slots = concurrency
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._running = 0

    def put(self, records: Sequence[StoredVisit], claims: Sequence[Claim] = ()) -> Outcome:
        """Store ``records`` (one request's batch) durably, alone or with others, after
        making ``claims`` (its holder-shown records'); relayed records are not stored.

        Raises:
            InvalidBatch, RecordConflict, ExpiredRecord: as :meth:`Store.put`, for this
                batch's own records.
            StoreUnavailable: the store or the ledger failed; nothing of the group was
                acknowledged.
        """
        mine = _Pending(records, claims, frozenset(r.visit.day for r in records))
        with self._cond:
            self._queue.append(mine)
            while not mine.done and (mine.taken or self._running >= self._slots):
                self._cond.wait()
            if not mine.done:
                self._running += 1
                group = self._take(mine)
        if not mine.done:
            try:
                self._commit(group)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()
        if mine.error is not None:
            raise mine.error
        assert mine.outcome is not None  # done without an error means committed
        return mine.outcome

    def _take(self, first: _Pending) -> list[_Pending]:
        # Everything queued of the same days, in arrival order (so claims go first come,
        # first served), up to the cap; the rest waits for the next leader. The leader's
        # own batch always goes.
        group, total, rest = [], len(first.records), []
        for p in self._queue:
            if p is first:
                group.append(p)
            elif p.days == first.days and total + len(p.records) <= self._max:
                group.append(p)
                total += len(p.records)
            else:
                rest.append(p)
        self._queue = rest
        for p in group:
            p.taken = True
        return group

    def _commit(self, group: list[_Pending]) -> None:
        try:
            try:
                self._relays(group)
            except BaseException as exc:
                for p in group:
                    p.error = exc
                return
            if len(group) == 1:
                self._alone(group[0])
                return
            merged = [r for p in group for r in p.records]
            try:
                result = self.store.put(merged) if merged else PutResult()
            except InputError:
                # One batch's fault refuses the group: each batch on its own.
                for p in group:
                    self._alone(p)
                return
            except BaseException as exc:
                for p in group:
                    p.error = exc
                return
            exact = result.inserted == len(merged)
            for p in group:
                own = PutResult(inserted=len(p.records)) if exact else None
                p.outcome = Outcome(len(p.records), own, len(group), p.relays)
        finally:
            with self._cond:
                for p in group:
                    p.done = True

    def _relays(self, group: list[_Pending]) -> None:
        # One claim call for the group, in its order; each request drops its relays.
        claims = [c for p in group for c in p.claims]
        if not claims:
            return
        refused: dict[tuple[str, bytes], Relay] = {
            (r.second_venue, r.second_visit): r for r in self._claim(claims)
        }
        for p in group:
            if not p.claims:
                continue
            mine = {(c[2], c[3]) for c in p.claims}
            p.relays = tuple(r for key, r in refused.items() if key in mine)
            if p.relays:
                gone = {(r.second_venue, r.second_visit) for r in p.relays}
                p.records = [
                    r
                    for r in p.records
                    if r.visit.channel is not Channel.HOLDER_SHOWN
                    or (r.visit.venue, r.visit.visit_id) not in gone
                ]

    def _alone(self, p: _Pending) -> None:
        try:
            result = self.store.put(p.records) if p.records else PutResult()
            p.outcome = Outcome(len(p.records), result, 1, p.relays)
        except BaseException as exc:
            p.error = exc
