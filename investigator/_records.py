"""What the investigator handles before anything is unsealed: registry records with their
stays, the venues of the directory, and a visit of a person (DESIGN.md "Investigation").

A :class:`Record` is a venue-signed :class:`~protocol.SealedVisit` message as the registry
returned it, with the stay the registry worked out (``end`` is the time out, or the time in
plus the venue class's default dwell) and, for a contacts query, the overlap with the
queried stay. Its escrow label is recomputed from its fields exactly as custodians do
(:func:`label_of`): a holder-shown record names :data:`escrow.HOLDER_SHOWN_VENUE`.

Every value here has a JSON form (``to_json``/``from_json``) so each query and its answer
are kept as files in the case folder; the signed message travels as base64url and is
parsed strictly again when read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from did import b64url_decode, b64url_encode, require_did
from did.errors import AnshimError
from escrow import HOLDER_SHOWN_VENUE, Envelope, VisitLabel
from investigator.errors import CaseInputError
from protocol import Channel, SealedVisit
from protocol import category as protocol_category

__all__ = ["Record", "Stay", "VenueInfo", "label_of"]

_MAX_MESSAGE_CHARS = 2048


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CaseInputError(f"{what} must be a non-negative int")
    return value


def label_of(visit: SealedVisit) -> VisitLabel:
    """The escrow label of a record's envelope, recomputed from the record's fields.

    Raises:
        InvalidLabel: fields that make no label (a record that parsed always makes one).
    """
    venue = HOLDER_SHOWN_VENUE if visit.channel is Channel.HOLDER_SHOWN else visit.venue
    return VisitLabel(venue, visit.day, visit.pseudonym, visit.time_in)


@dataclass(frozen=True, slots=True)
class Record:
    """A registry record: the signed message, the parsed visit and its stay.

    Build with :meth:`from_message` (strict parse) or :meth:`from_json`.

    Raises (on construction):
        CaseInputError: a stay that ends before it starts or an overlap out of range.
    """

    message: bytes
    visit: SealedVisit
    start: int
    end: int
    end_assumed: bool
    overlap_seconds: int

    def __post_init__(self) -> None:
        if not isinstance(self.visit, SealedVisit):
            raise CaseInputError("visit must be a SealedVisit")
        if _int(self.end, "end") < _int(self.start, "start"):
            raise CaseInputError("a stay cannot end before it starts")
        if _int(self.overlap_seconds, "overlap_seconds") > self.end - self.start:
            raise CaseInputError("an overlap cannot be longer than the stay")

    @classmethod
    def from_message(
        cls,
        message: bytes,
        *,
        start: int | None = None,
        end: int | None = None,
        end_assumed: bool | None = None,
        overlap_seconds: int | None = None,
        category: str | None = None,
    ) -> Record:
        """Parse a signed record strictly (the venue's signature is not checked here:
        :meth:`check_signature` does that with the venue's key).

        Without a stay, the stay is the time in to the time out or, for a record without
        a check-out, to the time in plus the default dwell of the venue's facility class
        ``category`` (:func:`protocol.category`: an unknown or missing class gets
        :data:`protocol.FALLBACK_CATEGORY`'s), as the venue and the registry end it.

        Raises:
            CaseInputError: the message does not parse as a SealedVisit (the protocol
                error is the ``__cause__``), or the stay is out of range.
        """
        if type(message) is not bytes:
            raise CaseInputError("a record message must be bytes")
        try:
            _, visit = SealedVisit.parse_unverified(message)
        except AnshimError as exc:
            raise CaseInputError(f"record refused: {exc.message} [{exc.code}]") from exc
        s = visit.time_in if start is None else start
        if end is None:
            assumed = visit.time_out is None
            dwell = protocol_category(category).dwell
            e = visit.time_in + dwell if assumed else int(visit.time_out or 0)
        else:
            e, assumed = end, bool(end_assumed)
        overlap = e - s if overlap_seconds is None else overlap_seconds
        return cls(message, visit, s, e, assumed if end_assumed is None else end_assumed, overlap)

    def check_signature(self, venue_key: Any, *, now: int) -> None:
        """Check the venue's signature over the record (``venue_key``: an Ed25519 public
        key or a look-up from venue DID to key).

        Raises:
            BadSignature, UnknownKey, ClockSkew: from :meth:`protocol.SealedVisit.verify`.
        """
        SealedVisit.verify(self.message, venue_key, now=now)

    @property
    def visit_id(self) -> str:
        """The visit id in hex."""
        return self.visit.visit_id.hex()

    @property
    def envelope_id(self) -> str:
        """The envelope id in hex: what a warrant's record scope lists.

        Raises:
            MalformedEnvelope: an envelope that does not parse (:mod:`escrow.errors`;
                custodians would refuse it too).
        """
        return Envelope.from_bytes(self.visit.envelope).envelope_id

    @property
    def overlap_minutes(self) -> float:
        """The overlap in minutes, to a tenth."""
        return round(self.overlap_seconds / 60, 1)

    def with_overlap(self, overlap_seconds: int) -> Record:
        """This record with another overlap (the largest over several case stays)."""
        return Record(
            self.message, self.visit, self.start, self.end, self.end_assumed, overlap_seconds
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON form kept in the case folder (the message in base64url)."""
        v = self.visit
        return {
            "visit_id": self.visit_id,
            "venue": v.venue,
            "channel": v.channel.name.lower(),
            "time_in": v.time_in,
            "time_out": v.time_out,
            "start": self.start,
            "end": self.end,
            "end_assumed": self.end_assumed,
            "overlap_seconds": self.overlap_seconds,
            "message": b64url_encode(self.message),
        }

    @classmethod
    def from_json(cls, obj: object) -> Record:
        """Read the JSON form back, parsing the message strictly again.

        Raises:
            CaseInputError: a malformed object or message.
        """
        if not isinstance(obj, dict):
            raise CaseInputError("a record must be a JSON object")
        message = obj.get("message")
        if not isinstance(message, str) or len(message) > _MAX_MESSAGE_CHARS:
            raise CaseInputError("a record needs its signed message")
        try:
            raw = b64url_decode(message)
        except AnshimError as exc:
            raise CaseInputError("a record's message is not base64url") from exc
        return cls.from_message(
            raw,
            start=_int(obj.get("start"), "start"),
            end=_int(obj.get("end"), "end"),
            end_assumed=bool(obj.get("end_assumed")),
            overlap_seconds=_int(obj.get("overlap_seconds"), "overlap_seconds"),
        )


@dataclass(frozen=True, slots=True)
class VenueInfo:
    """A venue of the registry's directory: DID, facility class and display name.

    Raises (on construction):
        CaseInputError: a DID that is not a DID, or a class or name that is not text.
    """

    did: str
    category: str
    name: str = ""

    def __post_init__(self) -> None:
        try:
            require_did(self.did)
        except AnshimError as exc:
            raise CaseInputError(f"venue DID refused: {exc.message}") from exc
        if not isinstance(self.category, str) or not isinstance(self.name, str):
            raise CaseInputError("a venue's category and name are text")


@dataclass(frozen=True, slots=True)
class Stay:
    """A person's stay at a venue: the case's own visits and a contact's visits.

    ``visit_id`` is the registry record's id when known (a receipt or a lost-phone look-up),
    empty for a venue and time from the case's interview. ``source`` says where it came
    from: ``disclosure``, ``trace-seeds`` or ``interview``.

    Raises (on construction):
        CaseInputError: a venue that is not a DID or ``end`` before ``start``.
    """

    venue: str
    start: int
    end: int
    source: str
    visit_id: str = ""

    def __post_init__(self) -> None:
        try:
            require_did(self.venue)
        except AnshimError as exc:
            raise CaseInputError(f"venue DID refused: {exc.message}") from exc
        if _int(self.end, "end") < _int(self.start, "start"):
            raise CaseInputError("a stay cannot end before it starts")
        if self.source not in ("disclosure", "trace-seeds", "interview"):
            raise CaseInputError("a stay's source is disclosure, trace-seeds or interview")

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "venue": self.venue,
            "start": self.start,
            "end": self.end,
            "source": self.source,
            "visit_id": self.visit_id,
        }

    @classmethod
    def from_json(cls, obj: object) -> Stay:
        """Read the JSON form. Raises :class:`CaseInputError` on a malformed object."""
        if not isinstance(obj, dict) or not {"venue", "start", "end", "source"} <= set(obj):
            raise CaseInputError("a stay needs venue, start, end and source")
        return cls(
            obj["venue"], obj["start"], obj["end"], obj["source"], str(obj.get("visit_id", ""))
        )
