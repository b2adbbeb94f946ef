"""Labels and epochs (DESIGN.md "Check-in presentation": the envelope's label; "Key ceremony").

A label is the public record an envelope is bound to. It is encoded canonically as a fixed
binary layout so that a custodian given the label's fields recomputes exactly the bytes the
sealer used, then checks the fields against a warrant's scope itself:

``VisitLabel``  ``0x01 ‖ u16 len ‖ venue DID ‖ u32 epoch ‖ u16 len ‖ pseudonym DID ‖ u64 time in``
``TraceSeedLabel`` ``0x02 ‖ u16 len ‖ credential id ‖ u32 epoch``

(integers big-endian, strings UTF-8, each prefixed by the label-format version byte 0x01).
Every field is length-prefixed, so two different field lists never share an encoding.

Epochs are the day numbers of :func:`did.day_of` (the one definition of "which day"):
``floor((unix time + tz_offset) / 86400)``, with ``tz_offset`` in seconds east of UTC
(0 = UTC, the default; 32400 = Korea Standard Time); :func:`did.day_start` is the inverse.
The offset is fixed per epoch-key directory so wallets, venues and custodians agree. Only
the ISO-date spelling of an epoch (:func:`epoch_from_date`, :func:`epoch_to_date`, used by
labels and the CLI) lives here.

A holder-shown check-in (DESIGN.md "Venue codes" 3) is sealed on the phone before any venue
is known, so its label names the placeholder :data:`HOLDER_SHOWN_VENUE`. DIDs under
:data:`RESERVED_DID_PREFIX` name no real venue: a warrant may not list them as a venue, and
a holder-shown record can only be opened by a warrant that lists its envelope id.
"""

from __future__ import annotations

import datetime as _dt
import struct
from dataclasses import dataclass
from typing import ClassVar

from did import MAX_TZ_OFFSET
from escrow.errors import InvalidLabel

__all__ = [
    "HOLDER_SHOWN_VENUE",
    "LABEL_KINDS",
    "RESERVED_DID_PREFIX",
    "Label",
    "TraceSeedLabel",
    "VisitLabel",
    "epoch_from_date",
    "epoch_to_date",
    "label_from_bytes",
    "label_from_fields",
]

#: The DID namespace of anshim's placeholders: it names no real venue (module docstring).
RESERVED_DID_PREFIX = "did:anshim:"
#: The venue a holder-shown envelope's label names: the real venue is not known when the
#: wallet seals. Such records can only be opened by explicit record-id scope
#: (:class:`~escrow.WarrantScope` ``records``), never by a venue scope.
HOLDER_SHOWN_VENUE = RESERVED_DID_PREFIX + "holder-shown"

_FORMAT = 0x01
_MAX_STR = 512
_MAX_EPOCH = 2**32 - 1
_MAX_TIME = 2**63 - 1


def _check_tz(tz_offset: int) -> int:
    # A directory's or roster's zone field: the range is did's (did.MAX_TZ_OFFSET).
    if (
        isinstance(tz_offset, bool)
        or not isinstance(tz_offset, int)
        or abs(tz_offset) > MAX_TZ_OFFSET
    ):
        raise InvalidLabel("tz_offset must be an int number of seconds within ±14 h")
    return tz_offset


def epoch_from_date(value: str) -> int:
    """The epoch of an ISO date ``YYYY-MM-DD`` (the calendar day in the directory's zone).

    Raises:
        InvalidLabel: if ``value`` is not an ISO date on or after 1970-01-01.
    """
    if not isinstance(value, str) or len(value) != 10:
        raise InvalidLabel("epoch date must be YYYY-MM-DD")
    try:
        day = _dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidLabel("epoch date must be YYYY-MM-DD") from exc
    return _check_epoch((day - _dt.date(1970, 1, 1)).days)


def epoch_to_date(epoch: int) -> str:
    """The ISO date ``YYYY-MM-DD`` of an epoch. Raises :class:`InvalidLabel` if out of range."""
    return (_dt.date(1970, 1, 1) + _dt.timedelta(days=_check_epoch(epoch))).isoformat()


def _check_epoch(epoch: object) -> int:
    if isinstance(epoch, str):
        return epoch_from_date(epoch)
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= _MAX_EPOCH:
        raise InvalidLabel("epoch must be an int day number in [0, 2^32) or a YYYY-MM-DD date")
    return epoch


def _check_did(value: object, what: str) -> str:
    text = _check_text(value, what)
    # _check_text admits printable text only, and the one printable whitespace is " ".
    if not text.startswith("did:") or " " in text:
        raise InvalidLabel(f"{what} must be a DID")
    return text


def _check_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidLabel(f"{what} must be a non-empty string")
    if len(value.encode("utf-8", "surrogatepass")) > _MAX_STR or not value.isprintable():
        raise InvalidLabel(f"{what} must be printable and at most {_MAX_STR} bytes")
    return value


def _put_str(value: str) -> bytes:
    raw = value.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise InvalidLabel("label is truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def text(self) -> str:
        (n,) = struct.unpack(">H", self.take(2))
        try:
            return self.take(n).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidLabel("label text is not UTF-8") from exc

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack(">Q", self.take(8))[0])

    def done(self) -> None:
        if self.pos != len(self.data):
            raise InvalidLabel("trailing bytes after label")


@dataclass(frozen=True, slots=True)
class VisitLabel:
    """The label of a visit envelope: (venue DID, epoch, pseudonym DID, time in).

    ``epoch`` may be given as an int day number or an ISO date; it is stored as the int.

    Raises:
        InvalidLabel: on a malformed DID, an epoch out of range, or a negative time.
    """

    KIND: ClassVar[int] = 0x01

    venue_did: str
    epoch: int
    pseudonym_did: str
    time_in: int

    def __post_init__(self) -> None:
        _check_did(self.venue_did, "venue_did")
        _check_did(self.pseudonym_did, "pseudonym_did")
        object.__setattr__(self, "epoch", _check_epoch(self.epoch))
        t = self.time_in
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= _MAX_TIME:
            raise InvalidLabel("time_in must be a non-negative int (Unix seconds)")

    def to_bytes(self) -> bytes:
        """The canonical encoding (module docstring)."""
        return (
            bytes((_FORMAT, self.KIND))
            + _put_str(self.venue_did)
            + struct.pack(">I", self.epoch)
            + _put_str(self.pseudonym_did)
            + struct.pack(">Q", self.time_in)
        )

    def fields(self) -> dict[str, str | int]:
        """The fields as a plain mapping (what a request carries beside the envelope)."""
        return {
            "kind": "visit",
            "venue_did": self.venue_did,
            "epoch": self.epoch,
            "pseudonym_did": self.pseudonym_did,
            "time_in": self.time_in,
        }


@dataclass(frozen=True, slots=True)
class TraceSeedLabel:
    """The label of an escrowed daily trace seed: (credential id, epoch).

    Raises:
        InvalidLabel: on an empty or oversized credential id or an epoch out of range.
    """

    KIND: ClassVar[int] = 0x02

    credential_id: str
    epoch: int

    def __post_init__(self) -> None:
        _check_text(self.credential_id, "credential_id")
        object.__setattr__(self, "epoch", _check_epoch(self.epoch))

    def to_bytes(self) -> bytes:
        """The canonical encoding (module docstring)."""
        return (
            bytes((_FORMAT, self.KIND))
            + _put_str(self.credential_id)
            + struct.pack(">I", self.epoch)
        )

    def fields(self) -> dict[str, str | int]:
        """The fields as a plain mapping (what a request carries beside the envelope)."""
        return {"kind": "trace-seed", "credential_id": self.credential_id, "epoch": self.epoch}


Label = VisitLabel | TraceSeedLabel
LABEL_KINDS: dict[int, type[VisitLabel] | type[TraceSeedLabel]] = {
    VisitLabel.KIND: VisitLabel,
    TraceSeedLabel.KIND: TraceSeedLabel,
}


def label_from_bytes(data: bytes) -> Label:
    """Strictly parse a canonical label encoding.

    Raises:
        InvalidLabel: on an unknown format or kind, truncation, trailing bytes or bad fields.
    """
    if not isinstance(data, (bytes, bytearray)) or len(data) < 2 or len(data) > 4 * _MAX_STR:
        raise InvalidLabel("label must be 2 to 2048 bytes")
    r = _Reader(bytes(data))
    fmt, kind = r.take(2)
    if fmt != _FORMAT:
        raise InvalidLabel("unknown label format")
    label: Label
    if kind == VisitLabel.KIND:
        label = VisitLabel(r.text(), r.u32(), r.text(), r.u64())
    elif kind == TraceSeedLabel.KIND:
        label = TraceSeedLabel(r.text(), r.u32())
    else:
        raise InvalidLabel("unknown label kind")
    r.done()
    if label.to_bytes() != bytes(data):
        raise InvalidLabel("label is not canonical")
    return label


def label_from_fields(fields: object) -> Label:
    """Rebuild a label from the mapping :meth:`VisitLabel.fields` returns.

    Raises:
        InvalidLabel: on a missing, extra or malformed field or an unknown kind.
    """
    if not isinstance(fields, dict):
        raise InvalidLabel("label fields must be a map")
    kind = fields.get("kind")
    try:
        if kind == "visit" and set(fields) == {
            "kind",
            "venue_did",
            "epoch",
            "pseudonym_did",
            "time_in",
        }:
            return VisitLabel(
                fields["venue_did"], fields["epoch"], fields["pseudonym_did"], fields["time_in"]
            )
        if kind == "trace-seed" and set(fields) == {"kind", "credential_id", "epoch"}:
            return TraceSeedLabel(fields["credential_id"], fields["epoch"])
    except TypeError as exc:
        raise InvalidLabel("malformed label fields") from exc
    raise InvalidLabel("unknown label kind or wrong fields")
