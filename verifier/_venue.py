"""The venue's configuration and open-visit state, as the validation core sees them.

* :class:`VenueContext`: who the venue is (DID, signing key, facility class, the zone its
  epoch keys use), the clock-skew bound, the registered thermal/mask devices and the kiosk
  :class:`~verifier.ChallengeBook`.
* :class:`VisitBook`: the open visits of the last two days, keyed by (pseudonym, day), so a
  check-out finds its check-in (DESIGN.md "Identifiers": the pairwise pseudonym is the same
  for repeat visits to one venue on one day).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from did import Ed25519PrivateKey, Ed25519PublicKey
from did.errors import InputError
from protocol import MAX_VENUE_DID_CHARS, SealedVisit
from protocol.wire import check_skew, did_value, token_value
from verifier._challenges import ChallengeBook
from verifier._dwell import default_dwell

__all__ = ["VenueContext", "VisitBook"]

_MAX_TZ = 14 * 3600


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueContext:
    """One venue as its validator knows it. Build with :meth:`create`.

    ``tz_offset`` must be the epoch-key directory's ``tz_offset`` (the visit's day is the
    escrow epoch). ``devices`` maps each registered device DID to its key. With
    ``require_presence`` (DESIGN.md "Venue codes"), only check-ins that answer this venue's
    own kiosk challenge are admitted: a check-in from the static poster (a photographed
    poster works anywhere) or a holder-shown code is refused with
    :class:`~protocol.errors.PresenceRequired`, whose ``user_message`` the phone shows;
    check-outs are not affected. ``max_skew`` is the clock-skew bound for check-ins
    addressed to this venue; holder-shown codes get at most
    :data:`~protocol.HOLDER_SHOWN_MAX_SKEW` whatever it is. The signing key never appears
    in ``repr``.

    Raises (on construction):
        MalformedMessage: ``did`` is not a DID of at most 64 characters, or ``category`` is
            not a lowercase token.
        InputError: a bad key, zone, skew, device table or ``require_presence``, or a
            challenge book of another venue.
    """

    did: str
    key: Ed25519PrivateKey = field(repr=False)
    category: str
    challenges: ChallengeBook
    tz_offset: int = 0
    max_skew: int = 30
    devices: Mapping[str, Ed25519PublicKey] = field(default_factory=lambda: MappingProxyType({}))
    require_presence: bool = False

    def __post_init__(self) -> None:
        did_value(self.did, "VenueContext", "did", MAX_VENUE_DID_CHARS)
        token_value(self.category, "VenueContext", "category", 24)
        if not isinstance(self.key, Ed25519PrivateKey):
            raise InputError("the venue key must be an Ed25519PrivateKey")
        if type(self.tz_offset) is not int or abs(self.tz_offset) > _MAX_TZ:
            raise InputError("tz_offset must be an int within ±14 hours")
        check_skew(self.max_skew)
        if not isinstance(self.challenges, ChallengeBook) or self.challenges.venue != self.did:
            raise InputError("the challenge book must be this venue's")
        if not isinstance(self.devices, Mapping) or not all(
            isinstance(k, str) and isinstance(v, Ed25519PublicKey) for k, v in self.devices.items()
        ):
            raise InputError("devices must map device DIDs to Ed25519PublicKey")
        object.__setattr__(self, "devices", MappingProxyType(dict(self.devices)))
        if type(self.require_presence) is not bool:
            raise InputError("require_presence must be a bool")

    @classmethod
    def create(
        cls,
        did: str,
        key: Ed25519PrivateKey,
        *,
        category: str,
        tz_offset: int = 0,
        max_skew: int = 30,
        devices: Mapping[str, Ed25519PublicKey] | None = None,
        require_presence: bool = False,
    ) -> VenueContext:
        """A context with a fresh :class:`ChallengeBook` signed by ``key``.

        Raises:
            Everything the constructor raises.
        """
        return cls(
            did=did,
            key=key,
            category=category,
            challenges=ChallengeBook(did, key),
            tz_offset=tz_offset,
            max_skew=max_skew,
            devices=devices or {},
            require_presence=require_presence,
        )

    @property
    def default_dwell(self) -> int:
        """This venue's default stay in seconds (:func:`verifier.default_dwell`)."""
        return default_dwell(self.category)

    def issue_challenge(self, *, now: int) -> bytes:
        """A fresh signed kiosk challenge (see :meth:`ChallengeBook.issue`).

        Raises:
            InputError: ``now`` is not a valid int.
        """
        return self.challenges.issue(now=now)

    def sign_record(self, record: SealedVisit) -> bytes:
        """The record signed by the venue key, as uploaded to the registry.

        Records are signed when they are uploaded (in batches, off the check-in hot path).

        Raises:
            InputError: ``record`` is not a :class:`~protocol.SealedVisit` of this venue.
            OversizeMessage: never for a valid record (the format's cap holds).
        """
        if not isinstance(record, SealedVisit) or record.venue != self.did:
            raise InputError("only this venue's SealedVisit records are signed here")
        return record.sign(self.key)


class VisitBook:
    """Open visits by (pseudonym, day), for matching check-outs; in memory, bounded.

    A visit stays matchable on its day and the next (a stay may cross midnight); older days
    are dropped whole as newer visits arrive. A second check-in by the same pseudonym on one
    day (a repeat visit) replaces the first as the open one. At most ``max_entries`` visits
    are kept; past that the oldest of the oldest day go first (their stays then end at the
    category's default dwell, as if nobody checked out).
    """

    __slots__ = ("_days", "_max", "_size")

    def __init__(self, *, max_entries: int = 100_000) -> None:
        if type(max_entries) is not int or max_entries < 1:
            raise InputError("max_entries must be a positive int")
        self._max = max_entries
        # day -> pseudonym -> (open record, digest of the check-in that opened it)
        self._days: dict[int, dict[str, tuple[SealedVisit, bytes]]] = {}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"VisitBook(open={self._size})"

    def add(self, record: SealedVisit, checkin_hash: bytes) -> None:
        """Remember an open visit (one without a time out) and the hash of its check-in.

        Raises:
            InputError: ``record`` is not an open :class:`~protocol.SealedVisit`, or the
                hash is not 32 bytes.
        """
        if not isinstance(record, SealedVisit) or record.time_out is not None:
            raise InputError("only open SealedVisit records are remembered")
        if type(checkin_hash) is not bytes or len(checkin_hash) != 32:
            raise InputError("checkin_hash must be a 32-byte SHA-256 digest")
        for day in [d for d in self._days if d < record.day - 1]:
            self._size -= len(self._days.pop(day))
        if self.take(record.pseudonym, record.day) is None:
            while self._size >= self._max:
                oldest = self._days[min(self._days)]
                del oldest[next(iter(oldest))]
                self._size -= 1
                if not oldest:
                    del self._days[min(self._days)]
        self._days.setdefault(record.day, {})[record.pseudonym] = (record, checkin_hash)
        self._size += 1

    def peek(self, pseudonym: str, day: int) -> tuple[SealedVisit, bytes] | None:
        """The open visit of ``pseudonym`` on ``day`` and its check-in hash, left in place
        (``None`` if there is none)."""
        visits = self._days.get(day)
        return None if visits is None else visits.get(pseudonym)

    def take(self, pseudonym: str, day: int) -> tuple[SealedVisit, bytes] | None:
        """Remove and return the open visit of ``pseudonym`` on ``day`` and its check-in
        hash (``None`` if there is none)."""
        visits = self._days.get(day)
        if visits is None:
            return None
        record = visits.pop(pseudonym, None)
        if record is not None:
            self._size -= 1
            if not visits:
                del self._days[day]
        return record
