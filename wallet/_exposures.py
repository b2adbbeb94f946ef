"""Local exposure matching (DESIGN.md "Investigation" step 6): registry-signed exposure
notices are checked against the diary on the phone, with no unsealing and nothing sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from did import Ed25519PublicKey
from protocol import ExposureNotice
from wallet._diary import Visit

__all__ = ["ExposureMatch", "match"]


@dataclass(frozen=True, slots=True)
class ExposureMatch:
    """A diary visit that overlaps a notice's window; ``overlap`` is in seconds."""

    notice: ExposureNotice
    visit: Visit
    overlap: int


def match(
    notices: Iterable[bytes],
    visits: Sequence[Visit],
    *,
    registry_key: Ed25519PublicKey,
    now: int,
    default_stay: int,
) -> list[ExposureMatch]:
    """Verify every notice against the registry key, then match it against ``visits``.

    A visit without a check-out is taken to last ``default_stay`` seconds.

    Raises:
        BadSignature: a notice not signed by the registry (every notice is verified before
            any is matched, so a feed with a forged notice is refused whole).
        MalformedMessage, OversizeMessage, UnsupportedVersion, BadAlgorithm, ClockSkew:
            a malformed or future-dated notice.
    """
    verified = [ExposureNotice.verify(data, registry_key, now=now) for data in notices]
    found = []
    for notice in verified:
        for visit in visits:
            end = visit.end(default_stay)
            if visit.venue == notice.venue and notice.overlaps(visit.time_in, end):
                overlap = min(end, notice.window_end) - max(visit.time_in, notice.window_start)
                found.append(ExposureMatch(notice, visit, overlap))
    return found
