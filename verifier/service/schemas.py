"""The venue service's HTTP shapes (pydantic models only here, at the boundary; STYLE.md
habit 14). Raw protocol messages (check-ins, receipts, readings) travel as
``application/cbor`` bytes and have no model: their format is :mod:`protocol`'s."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AdmittedVisit",
    "AssistedEntry",
    "GatewayCheckIn",
    "GatewayReply",
    "Health",
    "KioskCode",
    "KioskOutcome",
    "KioskReading",
    "KioskState",
    "OperatorSummary",
    "Problem",
    "ReadingsAccepted",
    "VenueCounts",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Problem(_Strict):
    """An RFC 9457 problem detail; ``type`` is ``urn:anshim:error:<code>``."""

    model_config = ConfigDict(extra="allow", frozen=True)
    type: str
    title: str
    status: int
    detail: str = ""
    code: str = ""
    userMessage: str | None = None


class AssistedEntry(_Strict):
    """What staff type at an assisted entry (sealed at once, never stored or echoed)."""

    name: str = Field(min_length=1, max_length=128)
    phone: str = Field(min_length=8, max_length=16, description="E.164, e.g. +821012345678")
    fever: bool = False
    respiratory: bool = False


class GatewayCheckIn(_Strict):
    """The telecom gateway's JSON body (checked under its HMAC before it is parsed)."""

    channel: Literal["sms", "call"]
    caller: str = Field(description="the visitor's E.164 number; sealed at once")
    venue: str = Field(description="the venue number the visitor texted or called")


class GatewayReply(_Strict):
    """The text the gateway sends back by SMS."""

    reply: str


class AdmittedVisit(_Strict):
    """An admission without a receipt for a phone (scanner, staff)."""

    code: Literal["admitted"] = "admitted"
    venue: str
    channel: str
    timeIn: int
    message: str


class ReadingsAccepted(_Strict):
    """How many device readings were verified and kept."""

    accepted: int


class KioskCode(_Strict):
    """The challenge on screen: its id (the nonce, hex), QR text and inline SVG."""

    id: str
    text: str
    svg: str | None = Field(None, description="omitted when the caller already has this id")
    refreshAt: int


class KioskOutcome(_Strict):
    """One check-in result for the screen (no pseudonym: the code and the channel)."""

    seq: int
    time: int
    channel: str
    code: str
    message: str
    temperature: float | None = None


class KioskReading(_Strict):
    """The newest thermal-camera reading at the door."""

    celsius: float
    mask: bool | None


class KioskState(_Strict):
    """Everything the kiosk page shows, polled every second."""

    venue: str
    name: str
    now: int
    code: KioskCode
    poster: str | None = None
    outcomes: list[KioskOutcome]
    reading: KioskReading | None = None


class VenueCounts(_Strict):
    """Today's counts at one venue: admissions by channel, refusals by code and channel."""

    venue: str
    admitted: dict[str, int]
    refused: dict[str, dict[str, int]]
    checkedOut: int
    backlog: int


class OperatorSummary(_Strict):
    """The operator's view: counts only, never pseudonyms."""

    day: int
    venues: list[VenueCounts]
    backlog: int
    lastUpload: int | None
    lastError: str | None


class Health(_Strict):
    """The health endpoint: the store answers, and how many records wait for upload."""

    status: Literal["ok"]
    backlog: int
    lastUpload: int | None
    lastError: str | None
