"""The one replay store of anshim: an atomic, expiring test-and-set of byte keys.

Every single-use thing goes through it: the venue's kiosk challenges and accepted
check-ins (DESIGN.md "Validation at the venue" step 3: "unused (replay cache)"), thermal
readings (used once), and the challenges that verifiable presentations answer
(:func:`did.vc.verify_presentation`). A venue service shares one store across all the venues
it hosts, so a holder-shown code relayed to a second venue is refused there too.

The venue's validation core claims two kinds of keys in it: each answered kiosk challenge nonce (a
challenge is good for one check-in), and the digest of each accepted presentation (so the
same signed bytes are never accepted twice, whatever the mode). Step 3 only looks
(:meth:`ReplayStore.held`); the claims are made when the check-in is admitted, after steps
4 and 5, so a refused check-in (a bad envelope, a declared fever) leaves the challenge
for the corrected retry. The claim is the atomic test-and-set: of two identical messages
validated at once, both may pass the look, but only one claim succeeds. A claim lasts until the
moment after which the key could no longer pass the expiry checks anyway, so the store
only ever holds what is still live: its size is bounded by the check-in rate times the
longest lifetime (120 s plus the clock-skew bound), not by history.

:class:`ReplayStore` is the protocol a shared store (for example a Redis ``SET NX EX`` or a
database unique key, when several validators serve one venue) implements;
:class:`MemoryReplayStore` is the single-process implementation.
"""

from __future__ import annotations

import heapq
from typing import Protocol, runtime_checkable

from did.errors import InputError, ReplayStoreFull

__all__ = ["DEFAULT_MAX_ENTRIES", "MemoryReplayStore", "ReplayStore"]

#: The in-memory store refuses to grow past this many live claims (about 2 MB).
DEFAULT_MAX_ENTRIES = 50_000


@runtime_checkable
class ReplayStore(Protocol):
    """An atomic test-and-set of byte keys that expire, with a read-only look."""

    def held(self, key: bytes, *, now: int) -> bool:
        """Whether a live claim holds ``key`` at ``now`` (changes nothing).

        The answer may be stale by the time the caller acts on it; only :meth:`claim`
        decides.
        """
        ...

    def claim(self, key: bytes, *, until: int, now: int) -> bool:
        """Claim ``key`` until Unix time ``until``.

        Returns ``True`` if the key was free (or its earlier claim had ended by ``now``) and
        is now claimed; ``False`` if a live claim already holds it. The check and the claim
        must be one atomic step.
        """
        ...


class MemoryReplayStore:
    """A bounded in-memory :class:`ReplayStore` for one process.

    Expired claims are dropped on each call (a heap ordered by expiry makes that cheap).
    When ``max_entries`` live claims exist, a new claim raises :class:`ReplayStoreFull` rather than
    forgetting a live one (forgetting would re-open a replay window).
    """

    __slots__ = ("_expiry", "_heap", "_max")

    def __init__(self, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if type(max_entries) is not int or max_entries < 1:
            raise InputError("max_entries must be a positive int")
        self._max = max_entries
        self._expiry: dict[bytes, int] = {}
        self._heap: list[tuple[int, bytes]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    def __repr__(self) -> str:
        return f"MemoryReplayStore(live={len(self._expiry)}, max_entries={self._max})"

    def _drop_expired(self, now: int) -> None:
        heap, expiry = self._heap, self._expiry
        while heap and heap[0][0] <= now:
            until, key = heapq.heappop(heap)
            # A key re-claimed later has a newer expiry; only drop the entry this item made.
            if expiry.get(key) == until:
                del expiry[key]

    def held(self, key: bytes, *, now: int) -> bool:
        """See :meth:`ReplayStore.held`.

        Raises:
            InputError: ``key`` is not bytes, or ``now`` is not an int.
        """
        if type(key) is not bytes or type(now) is not int:
            raise InputError("held takes a bytes key and an int time")
        until = self._expiry.get(key)
        return until is not None and until > now

    def claim(self, key: bytes, *, until: int, now: int) -> bool:
        """See :meth:`ReplayStore.claim`.

        Raises:
            InputError: ``key`` is not bytes, or ``until``/``now`` are not ints.
            ReplayStoreFull: ``max_entries`` live claims already exist.
        """
        if type(key) is not bytes or type(until) is not int or type(now) is not int:
            raise InputError("claim takes a bytes key and int times")
        heap, expiry = self._heap, self._expiry
        if heap and heap[0][0] <= now:
            self._drop_expired(now)
        held = expiry.get(key)
        if held is not None and held > now:
            return False
        if until <= now:
            # Already expired: nothing to remember, the expiry checks refuse it anyway.
            return True
        if len(expiry) >= self._max:
            raise ReplayStoreFull("the replay store is full of live claims")
        expiry[key] = until
        heapq.heappush(heap, (until, key))
        return True
