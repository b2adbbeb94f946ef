"""Group commit for the venue's outbox: concurrent requests share one durable commit, and
the event loop never waits for SQLite's write lock or its fsync (DESIGN.md "The venue
service", Durability: a receipt leaves only after its record is committed).

On the event loop's thread a :meth:`VenueStore.transaction` block does not write: it
records its statements as a :class:`Stage` (its replay claims first, as the validation
core makes them, then its inserts). Finished stages queue up; :class:`GroupCommit` hands
the queue to a writer thread with a connection of its own, which applies every stage in
one transaction (each stage with claims inside a savepoint) and commits it with one fsync,
while the loop goes on validating the next requests. A handler runs its work through
:meth:`GroupCommit.durably`, which returns only once the stages that work queued are
committed.

The replay claims stay one atomic test-and-set, decided when the writer applies them (the
store's ``INSERT … ON CONFLICT``, in the transaction that commits the record). Before that,
the event loop looks only at the claims this process made (staged, and committed ones while
they are live): two copies of one message in one process admit one, and a replay of a
check-in this process admitted is refused at once, without reading the file. A claim
another worker process (or an earlier run of the service) committed loses at the writer:
its whole stage is rolled back, and :meth:`GroupCommit.durably` runs the request's work
again with the replay store looking at the file too (``Staging.verify``), so the
validation core refuses it with its own error (replayedCheckIn, replayedChallenge,
replayedReading) as it would have at once.

Several worker processes share the store: their writers take turns by an exclusive
``flock`` on a lock file beside it (a kernel wait that wakes at the release, rather than
SQLite's busy handler, which sleeps 1, 2, 5, … ms between tries).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fcntl
import logging
import os
import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from verifier.errors import OutboxUnavailable

__all__ = ["CLAIM_SQL", "TALLY_SQL", "GroupCommit", "Stage", "Staging", "WriterConnection"]

_log = logging.getLogger("anshim.venue")
T = TypeVar("T")

#: The replay store's atomic test-and-set: a new key, or one whose claim ended by ``now``.
CLAIM_SQL = (
    "INSERT INTO replay (key, until) VALUES (?, ?) ON CONFLICT (key)"
    " DO UPDATE SET until = excluded.until WHERE replay.until <= ?"
)
#: One count added to the day's tally of (venue, channel, outcome code).
TALLY_SQL = (
    "INSERT INTO tallies VALUES (?, ?, ?, ?, ?) ON CONFLICT (day, venue, channel, code)"
    " DO UPDATE SET count = count + excluded.count"
)
# A request refused by a claim that another process committed first is validated again
# against the committed state; a claim can lose that race only to a live claim, so the
# second run refuses it. More than this many losses in a row means something else.
_MAX_RUNS = 3


class Stage:
    """The statements of one transaction block, recorded on the event loop's thread and
    applied by the writer: ``ops`` are the statements in the order they were made,
    ``claims`` the keys of its replay claims among them, ``counts`` the tallies it adds
    one to (the writer sums them over its batch). ``execute`` has a connection's
    signature, so the store's methods write into a stage as they would into a
    transaction. ``conflict`` is set by the writer when a claim found the key taken."""

    __slots__ = ("claims", "conflict", "counts", "ops")

    def __init__(self) -> None:
        self.ops: list[tuple[str, tuple[object, ...]]] = []
        self.claims: list[bytes] = []
        self.counts: list[tuple[int, str, str, str]] = []
        self.conflict = False

    def count(self, tally: tuple[int, str, str, str]) -> None:
        """Add one to the tally (day, venue, channel, code)."""
        self.counts.append(tally)

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> None:
        """Record one statement."""
        self.ops.append((sql, params))

    def claim(self, key: bytes, until: int, now: int) -> None:
        """Record one replay claim (applied with :data:`CLAIM_SQL`)."""
        self.claims.append(key)
        self.ops.append((CLAIM_SQL, (key, until, now)))


class WriterConnection:
    """The writer thread's own connection to the store's file, and the lock file that
    orders the writers of several worker processes.

    Raises (on construction):
        OutboxUnavailable: the file or the lock file cannot be opened.
    """

    def __init__(self, path: Path, *, synchronous: str) -> None:
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
            conn.execute("PRAGMA busy_timeout=30000")
            self._lock_fd = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except (sqlite3.Error, OSError) as exc:
            raise OutboxUnavailable(f"cannot open the outbox's writer: {exc}") from None
        self._conn = conn

    def close(self) -> None:
        """Close the connection and the lock file."""
        self._conn.close()
        os.close(self._lock_fd)

    def commit(self, stages: list[Stage]) -> None:
        """Apply ``stages`` in order in one transaction and commit it (in the writer's
        thread). A stage whose claim finds its key held by a live claim is rolled back
        alone and marked ``conflict``; the others are committed.

        Raises:
            OutboxUnavailable: SQLite failed; nothing of any stage was committed.
        """
        conn = self._conn
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                tallies: dict[tuple[int, str, str, str], int] = {}
                for stage in stages:
                    if stage.claims:
                        self._apply_claimed(conn, stage)
                    else:
                        for sql, params in stage.ops:
                            conn.execute(sql, params)
                    if not stage.conflict:
                        for tally in stage.counts:
                            tallies[tally] = tallies.get(tally, 0) + 1
                conn.executemany(TALLY_SQL, [(*t, n) for t, n in tallies.items()])
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise OutboxUnavailable(f"the outbox could not commit: {exc}") from None
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @staticmethod
    def _apply_claimed(conn: sqlite3.Connection, stage: Stage) -> None:
        # A stage whose one claim is its first statement needs no savepoint: if the claim
        # loses, nothing of the stage was written yet (a wallet's poster check-in).
        ops = stage.ops
        if len(stage.claims) == 1 and ops[0][0] is CLAIM_SQL:
            if conn.execute(*ops[0]).rowcount != 1:
                stage.conflict = True
                return
            for sql, params in ops[1:]:
                conn.execute(sql, params)
            return
        conn.execute("SAVEPOINT stage")
        for sql, params in ops:
            cursor = conn.execute(sql, params)
            if sql is CLAIM_SQL and cursor.rowcount != 1:
                stage.conflict = True
                conn.execute("ROLLBACK TO stage")
                break
        conn.execute("RELEASE stage")


class Staging:
    """The event loop's side of the store under group commit: the open stage, the queue
    of finished ones, and the claims this process made (key → until): staged ones, and
    committed ones while they are live, up to ``max_claims`` of them (the oldest are
    forgotten first, which only sends a replay of them to the writer's check).

    ``verify`` is set while :meth:`GroupCommit.durably` runs a request again after a lost
    claim: then the replay store also looks at what is committed (module docstring)."""

    __slots__ = ("claims", "current", "max_claims", "on_dirty", "queue", "verify", "watchers")

    def __init__(self, on_dirty: Callable[[], None], *, max_claims: int = 100_000) -> None:
        self.current: Stage | None = None
        self.queue: list[Stage] = []
        self.claims: OrderedDict[bytes, int] = OrderedDict()
        self.max_claims = max_claims
        self.on_dirty = on_dirty
        self.verify = False
        #: Lists that :meth:`GroupCommit.durably` collects the stages of its work in.
        self.watchers: list[list[Stage]] = []

    def held(self, key: bytes, now: int) -> bool:
        """Whether a live claim of this process (staged or committed) holds ``key``."""
        until = self.claims.get(key)
        return until is not None and until > now

    def claim(self, stage: Stage, key: bytes, until: int, now: int) -> bool:
        """Record a claim in ``stage``; ``False`` if a live claim of this process holds
        the key (those of other processes are the writer's to find)."""
        if self.held(key, now):
            return False
        stage.claim(key, until, now)
        claims = self.claims
        if until > now:
            claims[key] = until
            claims.move_to_end(key)
        # Forget the oldest: expired ones, and any over the cap.
        while claims and (len(claims) > self.max_claims or next(iter(claims.values())) <= now):
            claims.popitem(last=False)
        return True

    def finish(self, stage: Stage, *, ok: bool) -> None:
        """Queue a finished stage (``ok``) or drop a failed one and its claims."""
        if not ok:
            self.release([stage])
            return
        if not stage.ops and not stage.counts:
            return
        self.queue.append(stage)
        for watcher in self.watchers:
            watcher.append(stage)
        self.on_dirty()

    def take(self) -> list[Stage]:
        """The queued stages, for the writer (the queue starts anew)."""
        stages, self.queue = self.queue, []
        return stages

    def release(self, stages: list[Stage]) -> None:
        """Forget the claims of ``stages``, which were rolled back."""
        claims = self.claims
        for stage in stages:
            for key in stage.claims:
                claims.pop(key, None)


class GroupCommit:
    """Schedules the writer: one batch in flight at a time, the next one gathering
    meanwhile (call everything but :meth:`close` from the event loop's thread).

    ``staging`` and ``writer`` are the store's (:meth:`VenueStore.group_commits`);
    ``on_commit`` is called after each committed batch (the app wakes the uploader).
    """

    def __init__(
        self,
        staging: Staging,
        writer: WriterConnection,
        *,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._staging = staging
        self._writer = writer
        self._on_commit = on_commit
        # The batch gathering now: a future per request waiting for its commit (None: no
        # batch is gathering). One future each, not one shared future that each waiter
        # shields from its own cancellation: asyncio.shield costs a future and two
        # callbacks per waiter (5 us of the event loop's CPU per check-in).
        self._pending: list[asyncio.Future[None]] | None = None
        self._committing = False
        self._closed = False
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="anshim-venue-commit"
        )
        staging.on_dirty = self._schedule

    def _schedule(self) -> None:
        if self._pending is None and not self._closed:
            self._pending = []
            if not self._committing:
                asyncio.get_running_loop().call_soon(self._flush)
            # else: the batch in flight starts this one when it is done.

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending is None or self._closed:
            return
        stages = self._staging.take()
        self._committing = True
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self._executor, self._writer.commit, stages)

        def done(finished: asyncio.Future[None]) -> None:
            self._committing = False
            error = finished.exception()
            if error is None:
                self._staging.release([stage for stage in stages if stage.conflict])
                _settle(pending, None)
                self._on_commit()
            else:
                self._staging.release(stages)
                _settle(pending, error)
            if self._pending is not None:
                self._flush()  # what was staged while this batch was committed

        work.add_done_callback(done)

    async def durably(self, work: Callable[[], T]) -> T:
        """Run ``work`` (a request's synchronous call into the service) and return its
        result once everything it wrote is committed. A stage that lost a replay claim to
        another process runs ``work`` again (module docstring).

        Raises:
            whatever ``work`` raises;
            OutboxUnavailable: the batch's commit failed (nothing of it was admitted), or
                the claims kept losing.
        """
        staging = self._staging
        for run in range(_MAX_RUNS):
            made: list[Stage] = []
            staging.watchers.append(made)
            staging.verify = run > 0
            try:
                result = work()
            except Exception:
                # A refusal is counted (a staged tally): answered once that is committed
                # too, so the kiosk and the operator's counts already show it.
                staging.verify = False
                staging.watchers.remove(made)
                if made:
                    with contextlib.suppress(OutboxUnavailable):
                        await self._committed()
                raise
            staging.verify = False
            staging.watchers.remove(made)
            if not made:
                return result
            await self._committed()
            if not any(stage.conflict for stage in made):
                return result
        raise OutboxUnavailable("the replay store is contended; try again")

    async def _committed(self) -> None:
        # The batch gathering now holds every stage queued since the last one started.
        pending = self._pending
        if pending is None:
            raise OutboxUnavailable("the service is stopping")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pending.append(waiter)
        await waiter  # a cancelled request cancels its own future only

    def close(self) -> None:
        """Wait for the batch in flight, commit what is still queued, and stop the writer
        (at shutdown; requests still waiting are answered as the loop runs on).

        Raises:
            OutboxUnavailable: the last commit failed.
        """
        self._closed = True
        self._executor.shutdown(wait=True)
        stages = self._staging.take()
        pending, self._pending = self._pending, None
        try:
            self._writer.commit(stages)
        except OutboxUnavailable as exc:
            self._staging.release(stages)
            if pending is not None:
                _settle(pending, exc)
            raise
        finally:
            self._writer.close()
        if pending is not None:
            _settle(pending, None)


def _settle(waiters: list[asyncio.Future[None]], error: BaseException | None) -> None:
    # Each request still waiting gets its batch's outcome (a cancelled one is done).
    for waiter in waiters:
        if not waiter.done():
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)
