"""The entry policy (DESIGN.md "Validation at the venue" step 5).

Declared fever, declared respiratory symptoms, a thermal-camera reading at or above the
threshold (default 37.5 °C) or a mask detector that saw no mask each refuse entry with their
own reason code (:mod:`protocol.errors`), in that order, which the kiosk shows.

Readings come from devices with their own keys (DESIGN.md "Other channels, one record"):
the venue registers each device's DID and key, and a reading counts only if it is signed by
a registered device, names this venue and is fresh. A device DID alone proves nothing
(anyone can make one), so an unregistered device is refused with ``unknown_device``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from did import Ed25519PublicKey
from did.errors import InputError
from protocol import MAX_TEMPERATURE, MIN_TEMPERATURE, HealthDeclaration, ThermalReading
from protocol.errors import (
    DeclaredFever,
    DeclaredSymptoms,
    HighTemperature,
    MaskMissing,
)
from verifier.errors import UnknownDevice

__all__ = ["DEFAULT_THRESHOLD", "EntryPolicy", "read_device"]

_log = logging.getLogger(__name__)

#: The default fever threshold in centi-degrees Celsius (37.5 °C).
DEFAULT_THRESHOLD = 3750


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryPolicy:
    """What refuses entry. ``threshold`` is in centi-degrees Celsius (3750 = 37.5 °C).

    ``require_mask`` refuses a reading whose mask detector saw no mask (a reading without a
    detector, ``mask=None``, never refuses). ``max_reading_age`` is how old (seconds) a
    reading may be when the check-in arrives. Weakening the policy means passing
    ``unsafe_ignore_declaration=True``, which stays visible in code review and logs a
    warning when the policy is made (STYLE.md habit 5).

    Raises (on construction):
        InputError: a threshold outside the readable range or a negative age.
    """

    threshold: int = DEFAULT_THRESHOLD
    require_mask: bool = True
    max_reading_age: int = 60
    unsafe_ignore_declaration: bool = False

    def __post_init__(self) -> None:
        if type(self.threshold) is not int or not (
            MIN_TEMPERATURE <= self.threshold <= MAX_TEMPERATURE
        ):
            raise InputError("threshold must be an int in centi-degrees Celsius")
        if type(self.max_reading_age) is not int or not 0 <= self.max_reading_age <= 3600:
            raise InputError("max_reading_age must be an int in [0, 3600] seconds")
        if type(self.require_mask) is not bool or type(self.unsafe_ignore_declaration) is not bool:
            raise InputError("require_mask and unsafe_ignore_declaration must be booleans")
        if self.unsafe_ignore_declaration:
            _log.warning(
                "entry policy ignores declared fever and symptoms (unsafe_ignore_declaration)"
            )

    def decide(self, declaration: HealthDeclaration | None, reading: ThermalReading | None) -> None:
        """Refuse entry, or return ``None`` to admit (``reading`` must already be verified).

        Raises:
            DeclaredFever, DeclaredSymptoms: the visitor's own declaration.
            HighTemperature: a reading at or above :attr:`threshold`.
            MaskMissing: the mask detector saw no mask and :attr:`require_mask` is set.

        Each refusal's ``user_message`` is the Korean and English line the kiosk shows.
        """
        if declaration is not None and not self.unsafe_ignore_declaration:
            if declaration.fever:
                raise DeclaredFever("entry refused: fever declared")
            if declaration.respiratory:
                raise DeclaredSymptoms("entry refused: respiratory symptoms declared")
        if reading is not None:
            if reading.temperature >= self.threshold:
                raise HighTemperature("entry refused: temperature at or above the threshold")
            if self.require_mask and reading.mask is False:
                raise MaskMissing("entry refused: no mask")


def read_device(
    data: bytes,
    devices: Mapping[str, Ed25519PublicKey],
    *,
    venue: str,
    now: int,
    max_age: int,
    max_skew: int = 30,
) -> ThermalReading:
    """Verify a device-signed reading for ``venue`` against the registered ``devices``.

    Raises:
        OversizeMessage, BadAlgorithm, MalformedMessage, UnsupportedVersion: decoding.
        UnknownDevice: the reading's device is not registered at this venue.
        BadSignature: not signed by the registered key of that device.
        WrongAudience: the reading was made at another venue.
        ClockSkew: dated later than ``now + max_skew``.
        StaleReading: older than ``max_age`` seconds.
        InputError: a bad ``now``, ``max_age`` or ``venue``.
    """

    def lookup(device: str) -> Ed25519PublicKey:
        key = devices.get(device)
        if key is None:
            raise UnknownDevice("the reading comes from a device not registered here")
        return key

    return ThermalReading.verify(
        data, lookup, now=now, venue=venue, max_age=max_age, max_skew=max_skew
    )
