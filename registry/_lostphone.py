"""The lost-phone path (DESIGN.md "Investigation" step 2b): a warrant opened the case's
escrowed trace seeds; the locator of every venue registered on each day is recomputed from
that day's seed and looked up, in batches, in that day's records.

A locator is HMAC(trace seed, venue DID) truncated (:func:`protocol.locator`): it is
looked up together with the venue it was computed for, so a record whose locator matches
but which another venue uploaded is never returned as the case's visit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from did import SECONDS_PER_DAY, day_start
from protocol import TRACE_SEED_SIZE, LocatorVenues, locators
from registry._checks import check_day
from registry._model import Match, Venue
from registry._store import MAX_QUERY_ITEMS, Store
from registry.errors import InvalidQuery

__all__ = ["LOCATOR_BATCH", "lost_phone_visits", "venue_locators"]

#: (venue, locator) pairs per look-up.
LOCATOR_BATCH = 5000
#: Look-ups under way at once (the registry's pool holds 4 connections).
LOOKUP_WORKERS = 2
_MAX_WORKERS = 16
_TZ = 14 * 3600
_MAX_SEED_DAYS = 60

Progress = Callable[[Iterable[Any], str], Iterable[Any]]


def venue_locators(seed: bytes, day: int, venues: Iterable[Venue]) -> list[tuple[str, bytes]]:
    """(venue DID, locator) for every venue registered at some time of ``day`` (in any
    zone within ±14 h of UTC).

    Raises:
        InvalidQuery: ``seed`` is not 32 bytes or ``day`` is not a day number.
    """
    directory = list(venues)
    return _day_locators(seed, day, directory, LocatorVenues(v.did for v in directory))


def _day_locators(
    seed: bytes, day: int, directory: Sequence[Venue], dids: LocatorVenues
) -> list[tuple[str, bytes]]:
    # ``dids``: the directory's DIDs, in order, checked and encoded once for every day.
    if type(seed) is not bytes or len(seed) != TRACE_SEED_SIZE:
        raise InvalidQuery(f"a trace seed is {TRACE_SEED_SIZE} bytes")
    check_day(day)
    start = day_start(day) - _TZ
    end = start + SECONDS_PER_DAY + 2 * _TZ
    return [
        (v.did, loc)
        for v, loc in zip(directory, locators(seed, dids), strict=True)
        if v.valid_between(start, end)
    ]


def lost_phone_visits(
    store: Store,
    seeds: Mapping[int, bytes],
    *,
    venues: Sequence[Venue] | None = None,
    batch: int = LOCATOR_BATCH,
    workers: int = LOOKUP_WORKERS,
    progress: Progress | None = None,
) -> list[Match]:
    """The case's own visits found from its trace seeds (``seeds``: day -> seed), ordered
    by time in. ``venues`` defaults to the store's whole directory; ``progress`` wraps the
    iteration over batches (the CLI's progress bar).

    The look-ups run on ``workers`` threads while the next day's locators are computed: a
    PostgreSQL store answers them on as many connections at once (a SQLite store takes
    them one at a time, in the meantime the locators are computed).

    Raises:
        InvalidQuery: more than 60 days of seeds, a bad seed or day, a bad batch size or
            number of workers.
        StoreUnavailable: from the store.
    """
    if not isinstance(seeds, Mapping) or len(seeds) > _MAX_SEED_DAYS:
        raise InvalidQuery(f"seeds must map at most {_MAX_SEED_DAYS} days to trace seeds")
    if type(batch) is not int or not 1 <= batch <= MAX_QUERY_ITEMS:
        raise InvalidQuery(f"batch must be an int in [1, {MAX_QUERY_ITEMS}]")
    if type(workers) is not int or not 1 <= workers <= _MAX_WORKERS:
        raise InvalidQuery(f"workers must be an int in [1, {_MAX_WORKERS}]")
    directory = list(store.venues() if venues is None else venues)
    dids = LocatorVenues(v.did for v in directory)  # checked and encoded once for all days
    found: list[Match] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lost-phone") as pool:
        pending: list[Future[list[Match]]] = []
        try:
            for day in sorted(seeds):
                pairs = _day_locators(seeds[day], day, directory, dids)
                pending += [
                    pool.submit(store.by_locators, day, pairs[i : i + batch])
                    for i in range(0, len(pairs), batch)
                ]
            steps: Iterable[Future[list[Match]]] = pending
            if progress is not None:
                steps = progress(pending, "locators")
            for future in steps:
                found += future.result()
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    found.sort(key=lambda m: (m.start, m.record.visit.venue))
    return found
