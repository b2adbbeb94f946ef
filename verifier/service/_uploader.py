"""The uploader: queued records go to the registry in venue-signed batches
(:class:`protocol.UploadBatch`), retried with exponential backoff and jitter, and are
deleted locally only once the registry acknowledged them (DESIGN.md "The venue service",
Durability: "a registry outage delays uploads and loses nothing, and a restart resumes").

The registry is reached through a :class:`RegistryClient`: :class:`HttpRegistryClient`
posts ``application/cbor`` to the registry service's ``<registry>/uploads/visits``
(:mod:`registry.service`, which verifies the batch against the venue's current key and
answers only after its store committed); tests may pass their own. A batch's id is
derived from its records' visit ids, so a retry of the same records carries the same id,
and the registry's writes are idempotent by visit id, so a batch re-sent after a crash
(acknowledged there, not yet deleted here) duplicates nothing.

With several worker processes, one uploader runs at a time: each round starts by taking
the store's lease.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from did import Ed25519PrivateKey
from did.errors import AnshimError
from protocol import UploadBatch
from verifier.errors import BatchUploadRefused, UploadFailed
from verifier.service._store import OutboxRow, VenueStore

__all__ = ["HttpRegistryClient", "RegistryClient", "UploadAck", "Uploader"]

_log = logging.getLogger("anshim.venue.uploader")
_LEASE_SECONDS = 30


@dataclass(frozen=True, slots=True)
class UploadAck:
    """The registry's acknowledgement of a committed batch: how many records it holds
    now from this batch (new or already stored)."""

    records: int


class RegistryClient(Protocol):
    """Where batches go. ``upload`` returns only once the registry committed the batch.

    Raises:
        UploadFailed: the registry could not be reached or failed (retry later).
        BatchUploadRefused: the registry refused the batch itself.
    """

    def upload(self, venue_id: str, batch: bytes) -> UploadAck:
        """Send one signed :class:`protocol.UploadBatch` of the hosted venue ``venue_id``
        (the service's id for it, for logs and routing; the batch names its DID)."""
        ...


class HttpRegistryClient:
    """Posts batches to ``<base>/uploads/visits`` as ``application/cbor`` (the venue is
    named and proven by the batch's own signature, so the path carries no venue id).

    ``httpx`` (the ``server`` extra) is imported on construction, so the rest of the
    service can be imported without it.
    """

    def __init__(self, base: str, *, timeout: float = 10.0) -> None:
        import httpx

        self._base = base.rstrip("/")
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)
        self._httpx = httpx

    def upload(self, venue_id: str, batch: bytes) -> UploadAck:
        """See :meth:`RegistryClient.upload`.

        Raises:
            UploadFailed: a network error, a timeout, a 408, 429 or 5xx answer.
            BatchUploadRefused: any other non-2xx answer (its problem type is logged).
        """
        url = f"{self._base}/uploads/visits"
        try:
            response = self._client.post(
                url, content=batch, headers={"content-type": "application/cbor"}
            )
        except self._httpx.HTTPError as exc:
            raise UploadFailed(f"registry unreachable: {type(exc).__name__}") from None
        status = response.status_code
        if 200 <= status < 300:
            return UploadAck(_ack_count(response.content))
        if status in (408, 429) or status >= 500:
            raise UploadFailed(f"registry answered {status}")
        kind = response.headers.get("content-type", "")
        detail = response.text[:200] if "json" in kind else ""
        raise BatchUploadRefused(f"registry refused the batch ({status}) {detail}".strip())

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _ack_count(body: bytes) -> int:
    # The registry's answer is informative only: a 2xx already means "committed".
    import json

    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return 0
    if isinstance(value, dict):
        for key in ("records", "accepted", "stored"):
            count = value.get(key)
            if type(count) is int:
                return count
    return 0


def backoff_delay(attempt: int, *, low: float, high: float, rng: random.Random) -> float:
    """The pause before retry number ``attempt`` (1, 2, …): exponential from ``low``,
    capped at ``high``, with "equal jitter" (half fixed, half random) so that many venue
    services coming back after a registry outage do not retry in step."""
    ceiling = min(high, low * 2.0 ** max(0, attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class Uploader:
    """Runs upload rounds in a background thread until :meth:`stop`.

    ``keys`` maps each venue id to (venue DID, signing key). ``clock`` gives Unix seconds
    (the batch's ``issued``, the lease, retention); the pauses are real time.
    """

    def __init__(
        self,
        store: VenueStore,
        client: RegistryClient,
        keys: Mapping[str, tuple[str, Ed25519PrivateKey]],
        *,
        clock: Callable[[], int],
        batch: int = 500,
        interval: float = 2.0,
        backoff_min: float = 1.0,
        backoff_max: float = 300.0,
        on_dropped: Callable[[int], None] | None = None,
    ) -> None:
        self._store = store
        self._client = client
        self._keys = dict(keys)
        self._clock = clock
        self._batch = batch
        self._interval = interval
        self._low, self._high = backoff_min, backoff_max
        self._failures = 0
        self._rng = random.Random()  # jitter only; nothing secret depends on it
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._holder = f"{os.getpid()}-{id(self):x}"
        self._on_dropped = on_dropped

    def start(self) -> None:
        """Start the background thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="anshim-uploader", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Start the next round now (called after a check-in is committed)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current round and close the client (if it has ``close``)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        close = getattr(self._client, "close", None)
        if callable(close):
            close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                delay = self.run_once()
            except Exception:  # a bug must not end uploading for good; log and go on
                _log.exception("upload round failed")
                delay = self._high
            self._wake.wait(delay)
            self._wake.clear()

    def run_once(self) -> float:
        """One round: housekeeping, then every venue's queued records in batches until
        the queue is empty or an upload fails. Returns the pause before the next round.

        Raises:
            OutboxUnavailable: the local store failed.
        """
        now = self._clock()
        if not self._store.take_lease(self._holder, now=now, seconds=_LEASE_SECONDS):
            return self._interval
        dropped = self._store.housekeeping(now=now)
        if dropped:
            _log.warning("%d records outlived the retention period unsent", dropped)
            if self._on_dropped is not None:
                self._on_dropped(dropped)
        delay = self._interval
        failed = False
        for venue_id, (venue_did, key) in self._keys.items():
            # One venue's refused or failed upload does not hold back the others'.
            outcome = self._upload_venue(venue_id, venue_did, key)
            if outcome is not None:
                failed = True
                delay = max(delay, outcome)
        if not failed:
            self._failures = 0
        return delay

    def _upload_venue(self, venue_id: str, venue_did: str, key: Ed25519PrivateKey) -> float | None:
        # Returns None when the venue's queue is empty, else the pause before a retry.
        while not self._stopping.is_set():
            rows = self._store.pending(venue_did, limit=self._batch)
            if not rows:
                return None
            try:
                self._client.upload(venue_id, self._batch_bytes(venue_did, key, rows))
            except UploadFailed as exc:
                self._failures += 1
                self._store.set_meta("last_error", f"{self._clock()} {venue_id} {exc.code}")
                _log.warning("upload of %s failed (%s); retrying later", venue_id, exc.code)
                if isinstance(exc, BatchUploadRefused):
                    return self._high
                return backoff_delay(self._failures, low=self._low, high=self._high, rng=self._rng)
            self._store.acknowledged(rows)
            self._store.set_meta("last_upload", str(self._clock()))
            self._store.take_lease(self._holder, now=self._clock(), seconds=_LEASE_SECONDS)
        return None

    def _batch_bytes(self, venue: str, key: Ed25519PrivateKey, rows: list[OutboxRow]) -> bytes:
        try:
            records = tuple(row.record.sign(key) for row in rows)
            batch_id = hashlib.sha256(b"".join(r.record.visit_id for r in rows)).digest()[:16]
            return UploadBatch(
                venue=venue, batch_id=batch_id, issued=self._clock(), records=records
            ).sign(key)
        except AnshimError as exc:  # a record the format refuses: never for our own
            raise UploadFailed(f"cannot build a batch: {exc.code}") from exc
