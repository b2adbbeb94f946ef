"""The registry's Bitstring Status Lists (Bitstring Status List 1.0): one per kind of
thing the registry can revoke, persisted in the authority's ledger.

* ``venues``: a bit per ``VenueCredential`` (set when the venue is deactivated);
* ``investigators``: a bit per ``InvestigatorCredential`` (set when it is revoked);
* ``notices``: a bit per exposure notice (set when it is withdrawn or corrected, DESIGN.md
  "Investigation" step 6: never silently replaced).

Each list keeps its bits and the indexes it handed out (random ones, §6.3) in the ledger,
and is published as a ``BitstringStatusListCredential`` signed by the registry with
``eddsa-jcs-2022``, re-signed only when a bit changes.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import json
import threading
from collections.abc import Callable
from typing import Any

from did import multibase_decode
from did.vc import StatusList
from registry._ledger import Ledger

__all__ = ["STATUS_LISTS", "StatusLists"]

STATUS_LISTS = ("venues", "investigators", "notices")
_TTL = _dt.timedelta(minutes=5)


class StatusLists:
    """The registry's status lists over a :class:`~registry._ledger.Ledger`.

    ``sign`` signs an unsecured credential with the registry's key; ``list_url`` maps a
    list name to its public URL.

    Raises (every method):
        KeyError: a list name not in :data:`STATUS_LISTS`.
        StoreUnavailable: the ledger fails.
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        issuer: str,
        list_url: Callable[[str], str],
        sign: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> None:
        self._ledger = ledger
        self._issuer = issuer
        self._url = list_url
        self._sign = sign
        self._lock = threading.Lock()
        self._signed: dict[str, tuple[str, bytes]] = {}

    def _load(self, name: str) -> StatusList:
        if name not in STATUS_LISTS:
            raise KeyError(name)
        return self._parse(self._ledger.document(f"status/{name}"))

    @staticmethod
    def _parse(raw: bytes | None) -> StatusList:
        if raw is None:
            return StatusList(purpose="revocation")
        stored = json.loads(raw)
        # Bitstring Status List 1.0 §2.2: encodedList is multibase base64url of the GZIP
        # bitstring (the registry wrote it itself, so it is trusted input here).
        bits = gzip.decompress(multibase_decode(stored["encoded"]))
        return StatusList(
            len(bits) * 8, purpose="revocation", bits=bits, allocated=stored["allocated"]
        )

    def _change(self, name: str, change: Callable[[StatusList], int]) -> tuple[int, StatusList]:
        # One ledger transaction per change, so service workers in several processes never
        # hand out one index twice or lose each other's bits.
        if name not in STATUS_LISTS:
            raise KeyError(name)
        out: list[tuple[int, StatusList]] = []

        def update(raw: bytes | None) -> bytes:
            lst = self._parse(raw)
            out.append((change(lst), lst))
            data = {"encoded": lst.encode(), "allocated": sorted(lst.allocated)}
            return json.dumps(data).encode()

        self._ledger.update_document(f"status/{name}", update)
        return out[0]

    def allocate(self, name: str) -> tuple[int, dict[str, Any]]:
        """A fresh random index of list ``name`` and its ``credentialStatus`` entry."""
        index, lst = self._change(name, lambda lst: lst.allocate())
        return index, lst.entry(index, self._url(name))

    def revoke(self, name: str, index: int) -> None:
        """Set the bit ``index`` of list ``name`` (final: revocation is never undone)."""

        def set_bit(lst: StatusList) -> int:
            lst.set(index)
            return index

        self._change(name, set_bit)
        with self._lock:
            self._signed.pop(name, None)

    def is_set(self, name: str, index: int) -> bool:
        """Whether bit ``index`` of list ``name`` is set."""
        return self._load(name).get(index)

    def credential(self, name: str, *, now: int) -> bytes:
        """The signed ``BitstringStatusListCredential`` of list ``name`` as JSON bytes,
        signed again only after a change (or when the cached one's validity ran out)."""
        with self._lock:
            cached = self._signed.get(name)
            lst = self._load(name)
            encoded = lst.encode()
            if cached is not None and cached[0] == encoded:
                return cached[1]
            moment = _dt.datetime.fromtimestamp(now, _dt.UTC)
            unsecured = lst.to_credential(
                issuer=self._issuer, list_url=self._url(name), valid_from=moment, ttl=_TTL
            )
            body = json.dumps(self._sign(unsecured), separators=(",", ":")).encode()
            self._signed[name] = (encoded, body)
            return body
