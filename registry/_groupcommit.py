"""Group commit: concurrent uploads share one durable commit (DESIGN.md "Storage": one
transaction per batch, acknowledged only after commit).

A store's :meth:`~registry.Store.put` pays a fixed price per call: taking the writer's
lock, a transaction, the write-ahead log's fsync. A registry serving many venues at once
receives many batches at once (small ones, at a national scale: a venue's uploader sends
what queued in its last two seconds), so :class:`GroupCommit` lets the requests of one
process that arrive while a commit is under way wait for it and then go together, in one
``put`` of all their records (leader and followers: whoever finds no commit running
commits everything queued, up to :data:`~registry.MAX_BATCH` records of the same days).
No timer holds a request back: a lone upload is committed at once, as before.

Nothing is acknowledged before its commit: every request waits until the ``put`` holding
its records returned. A group is all or nothing, as a batch is; when the group's ``put``
refuses it for one batch's fault (a conflict, a purged day), each batch of the group is
committed alone, so a bad batch is refused by itself and the others go through. A store
outage fails every request of the group, and none was acknowledged.

The store counts what a ``put`` did for the whole call, so a request's own counts are
exact when it was alone, or when its group inserted every record (the common case of fresh
uploads); a group holding retries or check-outs reports for each request only that its
records are committed (:attr:`Outcome.result` is None).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from did.errors import InputError
from registry._model import PutResult, StoredVisit
from registry._store import MAX_BATCH, Store

__all__ = ["GroupCommit", "Outcome"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """A committed request: its result (None when its group's counts cannot be split, as
    the module docstring says) and how many requests shared the commit."""

    result: PutResult | None
    shared: int


@dataclass(slots=True)
class _Pending:
    records: Sequence[StoredVisit]
    days: frozenset[int]
    done: bool = False
    outcome: Outcome | None = None
    error: BaseException | None = None


class GroupCommit:
    """Commits batches of records to ``store`` in groups (module docstring); one per
    process, shared by its request threads."""

    def __init__(self, store: Store, *, max_records: int = MAX_BATCH) -> None:
        self.store = store
        self._max = max_records
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._committing = False

    def put(self, records: Sequence[StoredVisit]) -> Outcome:
        """Store ``records`` (one request's batch) durably, alone or with others.

        Raises:
            InvalidBatch, RecordConflict, ExpiredRecord: as :meth:`Store.put`, for this
                batch's own records.
            StoreUnavailable: the store failed; nothing of the group was acknowledged.
        """
        mine = _Pending(records, frozenset(r.visit.day for r in records))
        with self._cond:
            self._queue.append(mine)
            while self._committing and not mine.done:
                self._cond.wait()
            if not mine.done:
                self._committing = True
                group = self._take(mine)
        if not mine.done:
            try:
                self._commit(group)
            finally:
                with self._cond:
                    self._committing = False
                    self._cond.notify_all()
        if mine.error is not None:
            raise mine.error
        assert mine.outcome is not None  # done without an error means committed
        return mine.outcome

    def _take(self, first: _Pending) -> list[_Pending]:
        # Everything queued of the same days, oldest first, up to the cap; the rest waits
        # for the next leader. The leader's own batch always goes.
        group, total, rest = [first], len(first.records), []
        for p in self._queue:
            if p is first:
                continue
            if p.days == first.days and total + len(p.records) <= self._max:
                group.append(p)
                total += len(p.records)
            else:
                rest.append(p)
        self._queue = rest
        return group

    def _commit(self, group: list[_Pending]) -> None:
        try:
            if len(group) == 1:
                self._alone(group[0])
                return
            merged = [r for p in group for r in p.records]
            try:
                result = self.store.put(merged)
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
                p.outcome = Outcome(own, len(group))
        finally:
            with self._cond:
                for p in group:
                    p.done = True

    def _alone(self, p: _Pending) -> None:
        try:
            p.outcome = Outcome(self.store.put(p.records), 1)
        except BaseException as exc:
            p.error = exc
