"""Prometheus-style counters for the registry service (uploads, records, queries, refusals
by code), kept in memory per process and rendered in the text exposition format."""

from __future__ import annotations

import re
import threading
from collections import Counter

__all__ = ["Metrics"]

_NAME = re.compile(r"\A[a-z_][a-z0-9_]*\Z")
_LABEL = re.compile(r"\A[A-Za-z0-9_.:/-]{1,64}\Z")
_HELP = {
    "anshim_registry_uploads_total": "Venue batches committed.",
    "anshim_registry_records_total": "Visit records in committed batches, by outcome.",
    "anshim_registry_relays_total": "Holder-shown records refused as relays.",
    "anshim_registry_trace_seeds_total": "Wallet trace seeds committed.",
    "anshim_registry_queries_total": "Investigation queries answered, by kind.",
    "anshim_registry_refusals_total": "Requests refused, by error code.",
    "anshim_registry_requests_total": "HTTP requests answered, by status class.",
}


class Metrics:
    """Counters named in ``_HELP`` with at most one label each (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, str]] = Counter()

    def add(self, name: str, amount: int = 1, *, label: str = "", value: str = "") -> None:
        """Add ``amount`` to counter ``name`` (optionally under ``label="value"``).

        Raises:
            KeyError: an unknown counter name.
        """
        if name not in _HELP:
            raise KeyError(name)
        if value and not _LABEL.match(value):
            value = "other"
        with self._lock:
            self._counts[(name, label, value)] += amount

    def value(self, name: str, *, label: str = "", value: str = "") -> int:
        """A counter's current value."""
        with self._lock:
            return self._counts[(name, label, value)]

    def render(self) -> str:
        """The counters in the Prometheus text exposition format (version 0.0.4)."""
        with self._lock:
            counts = dict(self._counts)
        lines = []
        for name, text in _HELP.items():
            lines.append(f"# HELP {name} {text}")
            lines.append(f"# TYPE {name} counter")
            rows = sorted((k, v) for k, v in counts.items() if k[0] == name)
            if not rows:
                lines.append(f"{name} 0")
            for (_, label, value), count in rows:
                suffix = f'{{{label}="{value}"}}' if label else ""
                lines.append(f"{name}{suffix} {count}")
        return "\n".join(lines) + "\n"
