"""Signed observations that feed matching and the entry policy.

* :class:`ExposureNotice` (registry → everyone; DESIGN.md "Credentials" and "Investigation"
  step 6): a venue and a time window; wallets match it against their diaries on the phone.
* :class:`ThermalReading` (a thermal camera or mask detector → the venue service; DESIGN.md
  "Thermal camera / mask detector"): signed by the device's own key, it feeds the entry
  policy. A reading names what it was taken for, the kiosk challenge on screen (its nonce)
  or the holder-shown code the scanner read (its :func:`~protocol.digest`), and counts only
  for the check-in that answers that challenge or is that code; the venue also claims it
  in its replay store, so one healthy reading never admits two visitors. A check-in from
  the static poster has neither, so no reading can be attached to it.

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
6                                   taken for a kiosk challenge: its nonce (16 bytes), or null
7                                   taken for a scanned holder-shown code: its SHA-256 (32
                                    bytes), or null; exactly one of 6 and 7 is set
===  =============================  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from did import SECONDS_PER_DAY, Ed25519PublicKey, require_did
from did.errors import InputError
from protocol._checkin import CheckIn
from protocol._values import ANY_VENUE, RiskLevel
from protocol._venue import NONCE_SIZE
from protocol.errors import ReadingMismatch, StaleReading, WrongAudience
from protocol.wire import (
    DIGEST_SIZE,
    MAX_KEY_DID_CHARS,
    MAX_VENUE_DID_CHARS,
    PROTOCOL_VERSION,
    Field,
    KeySource,
    Signed,
    check_now,
    check_skew,
    did_value,
    enum_field,
    enum_value,
    fail,
    fixed_bytes,
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
MAX_READING_MESSAGE = 300
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
    _FIELDS: ClassVar[tuple[Field, ...]] = (
        Field(1, "venue"),
        Field(2, "window_start"),
        Field(3, "window_end"),
        enum_field(4, "risk", RiskLevel),
    )
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

    ``challenge`` is the nonce of the kiosk challenge on screen when the reading was taken;
    ``scanned`` is the :func:`~protocol.digest` of the holder-shown code the scanner read;
    exactly one of them is set. Build with :meth:`for_challenge` or :meth:`for_code`.

    Raises (on construction and decoding):
        MalformedMessage: a field of the wrong type or range, or not exactly one of
            ``challenge`` and ``scanned``.
        UnsupportedVersion: ``version`` is not 1.
    """

    device: str
    venue: str
    time: int
    temperature: int
    mask: bool | None
    challenge: bytes | None = None
    scanned: bytes | None = None
    version: int = PROTOCOL_VERSION

    _WHAT: ClassVar[str] = "ThermalReading"
    _FIELDS: ClassVar[tuple[Field, ...]] = (
        Field(1, "device"),
        Field(2, "venue"),
        Field(3, "time"),
        Field(4, "temperature"),
        Field(5, "mask"),
        Field(6, "challenge"),
        Field(7, "scanned"),
    )
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
        if (self.challenge is None) == (self.scanned is None):
            raise fail(w, "a reading names exactly one kiosk challenge or scanned code")
        if self.challenge is not None:
            fixed_bytes(self.challenge, w, "challenge", NONCE_SIZE)
        else:
            fixed_bytes(self.scanned, w, "scanned", DIGEST_SIZE)

    @classmethod
    def for_challenge(
        cls,
        nonce: bytes,
        *,
        device: str,
        venue: str,
        time: int,
        temperature: int,
        mask: bool | None,
    ) -> Self:
        """A reading taken while the kiosk showed the challenge with ``nonce``.

        Raises:
            MalformedMessage: as the constructor.
        """
        return cls(
            device=device,
            venue=venue,
            time=time,
            temperature=temperature,
            mask=mask,
            challenge=nonce,
        )

    @classmethod
    def for_code(
        cls,
        code_hash: bytes,
        *,
        device: str,
        venue: str,
        time: int,
        temperature: int,
        mask: bool | None,
    ) -> Self:
        """A reading taken as the scanner read the holder-shown code whose
        :func:`~protocol.digest` is ``code_hash``.

        Raises:
            MalformedMessage: as the constructor.
        """
        return cls(
            device=device,
            venue=venue,
            time=time,
            temperature=temperature,
            mask=mask,
            scanned=code_hash,
        )

    @property
    def celsius(self) -> float:
        """The temperature in degrees Celsius."""
        return self.temperature / 100

    def check_taken_for(self, checkin: CheckIn, checkin_hash: bytes) -> None:
        """Check that this reading was taken for ``checkin`` (whose bytes digest to
        ``checkin_hash``): the kiosk challenge it answers, or the holder-shown code it is.

        Raises:
            ReadingMismatch: the reading names another challenge or code, or the check-in
                (from the static poster) answers no challenge and is not a scanned code.
        """
        if checkin.audience == ANY_VENUE:
            if self.scanned is None or self.scanned != checkin_hash:
                raise ReadingMismatch("ThermalReading: taken for another scanned code")
        elif checkin.challenge is None or self.challenge != checkin.challenge:
            raise ReadingMismatch("ThermalReading: taken for another kiosk challenge")

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
