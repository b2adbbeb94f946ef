"""Signed observations that feed matching and the entry policy.

* :class:`ExposureNotice` (registry → everyone; DESIGN.md "Credentials" and "Investigation"
  step 6): a venue and a time window; wallets match it against their diaries on the phone.
* :class:`ThermalReading` (a thermal camera or mask detector → the venue service; DESIGN.md
  "Other channels, one record"): signed by the device's own key, it feeds the entry policy.

Key tables (deterministic CBOR maps):

===  =============================  ==========================================================
key  ExposureNotice                 ThermalReading
===  =============================  ==========================================================
0    version (1)                    version (1)
1    venue DID                      device DID
2    window start (Unix seconds)    venue DID
3    window end (start < end,       time (Unix seconds)
     at most 14 days later)
4    risk level (:class:`RiskLevel`) temperature in centi-degrees Celsius (int, -40.00 to
                                    60.00 °C)
5                                   mask: true, false, or null (no mask detector)
===  =============================  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from did._didsyntax import require_did
from did.errors import InputError
from did.keys import Ed25519PublicKey
from protocol._derive import SECONDS_PER_DAY
from protocol._values import RiskLevel
from protocol.errors import StaleReading, WrongAudience
from protocol.wire import (
    MAX_KEY_DID_CHARS,
    MAX_VENUE_DID_CHARS,
    PROTOCOL_VERSION,
    KeySource,
    Signed,
    check_now,
    check_skew,
    did_value,
    enum_value,
    fail,
    flag,
    not_in_future,
    resolve_key,
    sint,
    time_value,
    version_value,
)

__all__ = [
    "MAX_EXPOSURE_WINDOW",
    "MAX_NOTICE_MESSAGE",
    "MAX_READING_MESSAGE",
    "MAX_TEMPERATURE",
    "MIN_TEMPERATURE",
    "ExposureNotice",
    "ThermalReading",
]

#: The longest window one notice may announce.
MAX_EXPOSURE_WINDOW = 14 * SECONDS_PER_DAY
MAX_NOTICE_MESSAGE = 200
MAX_READING_MESSAGE = 250
#: Readings are centi-degrees Celsius in [-40.00, 60.00] °C.
MIN_TEMPERATURE = -4000
MAX_TEMPERATURE = 6000


@dataclass(frozen=True, slots=True, kw_only=True)
class ExposureNotice(Signed):
    """A registry-signed exposure notice (key table in the module docstring).

    Raises (on construction and decoding):
        MalformedMessage: a field of the wrong type or range, or an empty or too long window.
        UnsupportedVersion: ``version`` is not 1.
    """

    venue: str
    window_start: int
    window_end: int
    risk: RiskLevel
    version: int = PROTOCOL_VERSION

    _WHAT: ClassVar[str] = "ExposureNotice"
    _KEYS: ClassVar[frozenset[int]] = frozenset(range(5))
    _MAX_CBOR: ClassVar[int] = MAX_NOTICE_MESSAGE - 76
    _MAX_MESSAGE: ClassVar[int] = MAX_NOTICE_MESSAGE
    _AAD_NAME: ClassVar[bytes] = b"ExposureNotice"

    def __post_init__(self) -> None:
        w = self._WHAT
        version_value(self.version, w)
        did_value(self.venue, w, "venue", MAX_VENUE_DID_CHARS)
        time_value(self.window_start, w, "window_start")
        time_value(self.window_end, w, "window_end")
        if not self.window_start < self.window_end <= self.window_start + MAX_EXPOSURE_WINDOW:
            raise fail(w, f"window must be non-empty and at most {MAX_EXPOSURE_WINDOW} s")
        object.__setattr__(self, "risk", enum_value(RiskLevel, self.risk, w, "risk"))

    def overlaps(self, start: int, end: int) -> bool:
        """Whether the visit ``[start, end]`` overlaps the notice's window (wallet matching)."""
        return start <= self.window_end and end >= self.window_start

    def _to_map(self) -> dict[int, Any]:
        return {
            0: self.version,
            1: self.venue,
            2: self.window_start,
            3: self.window_end,
            4: int(self.risk),
        }

    @classmethod
    def _from_map(cls, m: dict[int, Any]) -> Self:
        return cls(
            venue=m[1],
            window_start=m[2],
            window_end=m[3],
            risk=enum_value(RiskLevel, m[4], cls._WHAT, "risk"),
            version=m[0],
        )

    @classmethod
    def verify(
        cls, data: bytes, registry_key: Ed25519PublicKey, *, now: int, max_skew: int = 300
    ) -> Self:
        """Check a notice against the pinned registry key.

        Raises:
            OversizeMessage, BadAlgorithm, MalformedMessage, UnsupportedVersion: decoding.
            BadSignature: not signed by ``registry_key``.
            ClockSkew: a window that starts later than ``now + max_skew``.
            InputError: ``now`` or ``max_skew`` is not a valid int.
        """
        now, max_skew = check_now(now), check_skew(max_skew)
        parsed, notice = cls.parse_unverified(data)
        cls.check_signature(parsed, registry_key)
        not_in_future(notice.window_start, now, max_skew, cls._WHAT, "window_start")
        return notice


@dataclass(frozen=True, slots=True, kw_only=True)
class ThermalReading(Signed):
    """A device-signed temperature (and mask) reading (key table in the module docstring).

    Raises (on construction and decoding):
        MalformedMessage: a field of the wrong type or range.
        UnsupportedVersion: ``version`` is not 1.
    """

    device: str
    venue: str
    time: int
    temperature: int
    mask: bool | None
    version: int = PROTOCOL_VERSION

    _WHAT: ClassVar[str] = "ThermalReading"
    _KEYS: ClassVar[frozenset[int]] = frozenset(range(6))
    _MAX_CBOR: ClassVar[int] = MAX_READING_MESSAGE - 76
    _MAX_MESSAGE: ClassVar[int] = MAX_READING_MESSAGE
    _AAD_NAME: ClassVar[bytes] = b"ThermalReading"

    def __post_init__(self) -> None:
        w = self._WHAT
        version_value(self.version, w)
        did_value(self.device, w, "device", MAX_KEY_DID_CHARS)
        did_value(self.venue, w, "venue", MAX_VENUE_DID_CHARS)
        time_value(self.time, w, "time")
        sint(self.temperature, w, "temperature", MIN_TEMPERATURE, MAX_TEMPERATURE)
        if self.mask is not None:
            flag(self.mask, w, "mask")

    @property
    def celsius(self) -> float:
        """The temperature in degrees Celsius."""
        return self.temperature / 100

    def _to_map(self) -> dict[int, Any]:
        return {
            0: self.version,
            1: self.device,
            2: self.venue,
            3: self.time,
            4: self.temperature,
            5: self.mask,
        }

    @classmethod
    def _from_map(cls, m: dict[int, Any]) -> Self:
        return cls(device=m[1], venue=m[2], time=m[3], temperature=m[4], mask=m[5], version=m[0])

    @classmethod
    def verify(
        cls,
        data: bytes,
        key: KeySource,
        *,
        now: int,
        venue: str | None = None,
        max_age: int = 120,
        max_skew: int = 30,
    ) -> Self:
        """Check a reading's device signature, venue and age.

        ``key`` is the device's registered key, or a look-up from the device DID to the key
        the venue registered for it (never trust a device DID alone: anyone can make one).

        Raises:
            OversizeMessage, BadAlgorithm, MalformedMessage, UnsupportedVersion: decoding.
            UnknownKey: the look-up knows no key for the device.
            BadSignature: not signed by the device key.
            WrongAudience: ``venue`` is given and the reading names another venue.
            ClockSkew: a reading dated later than ``now + max_skew``.
            StaleReading: a reading older than ``max_age`` seconds.
            InputError: ``now``, ``max_skew``, ``max_age`` or ``venue`` is invalid.
        """
        now, max_skew = check_now(now), check_skew(max_skew)
        if type(max_age) is not int or max_age < 0:
            raise InputError("max_age must be a non-negative int (seconds)")
        if venue is not None:
            require_did(venue)
        parsed, reading = cls.parse_unverified(data)
        cls.check_signature(parsed, resolve_key(key, reading.device, cls._WHAT))
        if venue is not None and reading.venue != venue:
            raise WrongAudience("ThermalReading: the reading was made at another venue")
        not_in_future(reading.time, now, max_skew, cls._WHAT, "time")
        if now - reading.time > max_age:
            raise StaleReading("ThermalReading: the reading is too old")
        return reading
