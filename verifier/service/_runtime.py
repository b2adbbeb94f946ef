"""The venue service's library half: every endpoint's work, with no web framework in it.

:class:`VenueService` holds the hosted venues (their keys, challenge books, entry
policies), the store and the clock. Each HTTP handler calls one of its methods, which
validates through :mod:`verifier`'s core, commits what was admitted to the outbox in the
same transaction as its replay claims, counts the outcome, and only then returns the
receipt or reply (DESIGN.md "The venue service", Durability).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from did import Ed25519PrivateKey, day_of, ed25519_public_key_from_did, load_private_key
from did.errors import AnshimError, InputError
from escrow import EpochKeyDirectory
from protocol import Channel, CheckIn, HealthDeclaration, QrKind, SealedVisit, digest, parse_qr_text
from protocol.errors import MalformedMessage, OversizeMessage, ProtocolError
from verifier import (
    Admission,
    EntryPolicy,
    EpochKeys,
    VenueContext,
    VisitBook,
    read_device,
    seal_assisted_entry,
    seal_sms_checkin,
    validate_checkin,
    validate_checkout,
)
from verifier.errors import UnknownVenueNumber, VenueConfigError, VenueNotHosted
from verifier.service._access import (
    PersistentChallengeBook,
    check_gateway_signature,
    check_passcode,
)
from verifier.service._groupcommit import GroupCommit
from verifier.service._messages import ADMITTED, CHECKED_OUT
from verifier.service._settings import VenueServiceSettings, VenueSettings
from verifier.service._store import SqliteReplayStore, VenueStore

__all__ = ["Clock", "Hosted", "Outcome", "VenueService", "system_clock"]

T = TypeVar("T")
#: A clock: Unix seconds now.
Clock = Callable[[], int]
_MAX_READINGS = 15  # the seeds' cameras measure up to 15 people at once
_MAX_GATEWAY_BODY = 2048


def system_clock() -> int:
    """The system's Unix time in whole seconds."""
    return int(time.time())


def _camel(channel: Channel) -> str:
    head, *rest = channel.name.lower().split("_")
    return head + "".join(part.title() for part in rest)


_CHANNEL_NAMES = {channel: _camel(channel) for channel in Channel}


def channel_name(channel: Channel) -> str:
    """A channel's name in tallies and on the wire (``qrKiosk``, ``sms``, …)."""
    return _CHANNEL_NAMES[channel]


@dataclass(frozen=True, slots=True)
class Hosted:
    """One hosted venue at run time: its settings, validation context and policy."""

    settings: VenueSettings
    context: VenueContext
    policy: EntryPolicy


@dataclass(frozen=True, slots=True)
class Outcome:
    """An admitted visit from a channel without a receipt (scanner, gateway, staff)."""

    venue: str
    channel: str
    time_in: int
    visit_id: bytes


class VenueService:
    """The hosted venues and their shared state. Build with :meth:`open`.

    ``store`` is the request path's :class:`VenueStore`; ``epoch_keys`` the verified
    epoch-key directory (or a mapping from epoch to key, in tests); ``on_commit`` is
    called after each committed record (the app wakes the uploader with it).
    """

    def __init__(
        self,
        settings: VenueServiceSettings,
        *,
        store: VenueStore,
        clock: Clock,
        keys: Mapping[str, Ed25519PrivateKey],
        epoch_keys: EpochKeys,
        gateway_secret: bytes | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.epoch_keys = epoch_keys
        self.replay = SqliteReplayStore(store)
        self.gateway_secret = gateway_secret
        self.on_commit: Callable[[], None] = lambda: None
        self._group: GroupCommit | None = None
        zone = getattr(epoch_keys, "tz_offset", None)
        hosted: dict[str, Hosted] = {}
        for venue in settings.venues:
            key = keys.get(venue.id)
            if key is None:
                raise VenueConfigError(f"venue {venue.id}: no signing key")
            if zone is not None and zone != venue.tz_offset:
                raise VenueConfigError(
                    f"venue {venue.id}: tz_offset differs from the epoch-key directory's"
                )
            context = VenueContext(
                did=venue.did,
                key=key,
                category=venue.category,
                challenges=PersistentChallengeBook(venue.did, key, store),
                tz_offset=venue.tz_offset,
                max_skew=venue.max_skew,
                devices={d: ed25519_public_key_from_did(d) for d in venue.devices},
                require_presence=venue.require_presence,
            )
            policy = EntryPolicy(threshold=venue.threshold, require_mask=venue.require_mask)
            hosted[venue.id] = Hosted(venue, context, policy)
        self.venues: Mapping[str, Hosted] = hosted
        self._by_number = {n: v.id for v in settings.venues for n in v.numbers}

    @classmethod
    def open(
        cls,
        settings: VenueServiceSettings,
        *,
        store: VenueStore | None = None,
        clock: Clock = system_clock,
        keys: Mapping[str, Ed25519PrivateKey] | None = None,
        epoch_keys: EpochKeys | None = None,
        passphrase: str | None = None,
    ) -> VenueService:
        """Open the store, load the venue keys and the epoch-key directory.

        Keys not given in ``keys`` are read from each venue's ``key_file`` with
        ``passphrase``; the directory, if not given, from ``settings.epoch_keys``, verified
        against the pinned ``settings.custodians``.

        Raises:
            VenueConfigError: a missing key file, passphrase, directory or custodians, or
                a directory that the pinned custodians did not sign.
            KeyFileError: a key file that does not open with ``passphrase``.
            OutboxUnavailable: the store cannot be opened.
        """
        store = store or VenueStore(settings.database, synchronous=settings.synchronous)
        loaded = dict(keys or {})
        for venue in settings.venues:
            if venue.id in loaded:
                continue
            if venue.key_file is None:
                raise VenueConfigError(f"venue {venue.id}: key_file is not set")
            loaded[venue.id] = load_private_key(venue.key_file, passphrase)
        if epoch_keys is None:
            epoch_keys = load_directory(settings)
        secret = None
        if settings.gateway_secret_file is not None:
            secret = Path(settings.gateway_secret_file).read_bytes().strip()
            if len(secret) < 16:
                raise VenueConfigError("the gateway secret must be at least 16 bytes")
        return cls(
            settings,
            store=store,
            clock=clock,
            keys=loaded,
            epoch_keys=epoch_keys,
            gateway_secret=secret,
        )

    # -- group commit -------------------------------------------------------------------------

    def enable_group_commit(self) -> None:
        """Commit the writes of concurrent requests together, in a writer thread: handlers
        run their work through :meth:`durably`, so a receipt still leaves only after its
        record is committed, but one fsync serves every request of a batch and the event
        loop validates the next requests meanwhile (:mod:`verifier.service._groupcommit`).
        Call from the event loop's thread.

        Raises:
            OutboxUnavailable: the writer's connection cannot be opened.
        """
        staging, writer = self.store.group_commits()
        self._group = GroupCommit(staging, writer, on_commit=lambda: self.on_commit())

    async def durably(self, work: Callable[[], T]) -> T:
        """Run ``work`` (one of this service's methods, bound to a request's arguments)
        and return its result once everything it wrote is committed (at once without
        group commit, where every block commits on its own).

        Raises:
            whatever ``work`` raises;
            OutboxUnavailable: the commit failed (nothing of the batch was admitted).
        """
        group = self._group
        if group is None:
            return work()
        return await group.durably(work)

    def flush_now(self) -> None:
        """Commit whatever is staged and stop the writer (at shutdown).

        Raises:
            OutboxUnavailable: the commit failed.
        """
        group = self._group
        if group is not None:
            self._group = None
            group.close()

    def _committed(self) -> None:
        # Without group commit the block just committed: wake the uploader. With it, the
        # writer wakes it after each batch.
        if self._group is None:
            self.on_commit()

    def hosted(self, venue_id: str) -> Hosted:
        """The hosted venue ``venue_id``.

        Raises:
            VenueNotHosted: this service hosts no venue by that id.
        """
        found = self.venues.get(venue_id)
        if found is None:
            raise VenueNotHosted("no venue by that id is hosted here")
        return found

    def _commit(self, hosted: Hosted, record: SealedVisit, now: int) -> None:
        self.store.put_record(record, now=now)
        self.store.note_outcome(hosted.context.did, channel_name(record.channel), ADMITTED, now=now)

    def _refused(
        self,
        hosted: Hosted,
        channel: str,
        error: AnshimError,
        now: int,
        temperature: int | None = None,
    ) -> None:
        self.store.note_outcome(
            hosted.context.did, channel, error.code, now=now, temperature=temperature
        )

    # -- phones -----------------------------------------------------------------------------

    def check_in(self, venue_id: str, message: bytes) -> bytes:
        """Validate a wallet's check-in, commit it, and return the signed receipt.

        Raises:
            VenueNotHosted: no such venue.
            ProtocolError: every refusal of :func:`verifier.validate_checkin` (counted and
                shown on the kiosk).
            OutboxUnavailable: the store could not commit (nothing was admitted).
        """
        return self._admit(self.hosted(venue_id), message).receipt

    def _admit(self, hosted: Hosted, message: bytes) -> Admission:
        now = self.clock()
        reading = self._reading_for(hosted, message, now)
        temperature = None if reading is None else reading[2]
        try:
            with self.store.transaction():
                admission = validate_checkin(
                    message,
                    venue=hosted.context,
                    now=now,
                    replay=self.replay,
                    epoch_keys=self.epoch_keys,
                    entry_policy=hosted.policy,
                    reading=None if reading is None else reading[1],
                )
                record = admission.record
                encoded = record.to_cbor()
                self.store.put_record(record, now=now, encoded=encoded)
                self.store.open_visit(record, digest(message), encoded=encoded)
                if reading is not None:
                    self.store.use_reading(reading[0])
                nonce = admission.checkin.challenge
                if nonce is not None:
                    self.store.retire_kiosk_code(hosted.context.did, nonce)
                channel = channel_name(record.channel)
                self.store.note_outcome(
                    hosted.context.did, channel, ADMITTED, now=now, temperature=temperature
                )
        except ProtocolError as refusal:
            self._refused(hosted, _channel_of(message), refusal, now, temperature)
            raise
        self._committed()
        return admission

    def check_out(self, venue_id: str, message: bytes) -> bytes:
        """Validate a check-out, close its open visit and return the new receipt.

        Raises:
            VenueNotHosted: no such venue.
            ProtocolError: every refusal of :func:`verifier.validate_checkout`, among
                them NoOpenVisit.
            OutboxUnavailable: the store could not commit.
        """
        hosted = self.hosted(venue_id)
        now = self.clock()
        book = VisitBook()
        try:
            checkout = CheckIn.parse_unverified(message)[1]
            day = day_of(checkout.issued_at, tz_offset=hosted.context.tz_offset)
            for record, checkin_hash in self.store.find_open(
                hosted.context.did, checkout.pseudonym, (day, day - 1)
            ):
                book.add(record, checkin_hash)
        except ProtocolError:
            pass  # validate_checkout below reports the message's own failure
        except InputError as exc:
            raise MalformedMessage(f"CheckIn: {exc.message}") from None
        try:
            with self.store.transaction():
                departure = validate_checkout(
                    message, venue=hosted.context, now=now, replay=self.replay, visits=book
                )
                self.store.put_record(departure.record, now=now)
                self.store.close_visit(departure.record)
                self.store.note_outcome(
                    hosted.context.did,
                    channel_name(departure.record.channel),
                    CHECKED_OUT,
                    now=now,
                )
        except ProtocolError as refusal:
            self._refused(hosted, "checkOut", refusal, now)
            raise
        self._committed()
        return departure.receipt

    def scan(self, venue_id: str, text: str) -> Outcome:
        """A holder-shown code (``AH1:…``) typed by a keyboard-wedge scanner.

        Raises:
            VenueNotHosted, OversizeMessage, MalformedMessage: no such venue, or text that
                is not a holder-shown check-in's QR text.
            ProtocolError, OutboxUnavailable: as :meth:`check_in`.
        """
        hosted = self.hosted(venue_id)
        try:
            _, message = parse_qr_text(text.strip(), accept=(QrKind.HOLDER_CHECKIN,))
        except ProtocolError as refusal:
            self._refused(hosted, channel_name(Channel.HOLDER_SHOWN), refusal, self.clock())
            raise
        admission = self._admit(hosted, message)
        record = admission.record
        return Outcome(
            hosted.context.did, channel_name(record.channel), record.time_in, record.visit_id
        )

    # -- devices ------------------------------------------------------------------------------

    def _reading_for(
        self, hosted: Hosted, message: bytes, now: int
    ) -> tuple[int, bytes, int] | None:
        # A reading names what it was taken for: the kiosk challenge the check-in answers,
        # or the holder-shown code itself (its digest). A poster check-in has neither.
        if not hosted.context.devices:
            return None
        try:
            checkin = CheckIn.parse_unverified(message)[1]
        except AnshimError:
            return None  # validate_checkin reports the message's failure
        subject = checkin.challenge
        if subject is None and checkin.holder_shown:
            subject = digest(message)
        if subject is None:
            return None
        since = now - hosted.policy.max_reading_age
        return self.store.find_reading(hosted.context.did, subject, since=since)

    def add_readings(self, venue_id: str, body: bytes) -> int:
        """Verify device-signed readings (one COSE message, or a CBOR array of up to 15)
        and keep each until the check-in it belongs to uses it. Returns how many.

        Raises:
            VenueNotHosted: no such venue.
            MalformedMessage, OversizeMessage: a body that is neither.
            UnknownDevice, BadSignature, WrongAudience, StaleReading, ClockSkew: a reading
                that cannot be trusted (none of the body's readings is kept).
        """
        from did import cbor

        hosted = self.hosted(venue_id)
        now = self.clock()
        # One reading is a COSE_Sign1 (tag 18, or its untagged 4-array whose second item is
        # a map); several are an array of such messages, each a byte string.
        messages: list[Any] = [body]
        if body[:1] != b"\xd2":
            try:
                decoded = cbor.decode(body, max_size=self.settings.max_body_bytes, max_depth=3)
            except AnshimError:
                raise MalformedMessage("readings must be CBOR") from None
            if isinstance(decoded, list) and all(type(m) is bytes for m in decoded):
                messages = list(decoded)
        signed = [m for m in messages if type(m) is bytes]
        if not 1 <= len(signed) <= _MAX_READINGS:
            raise MalformedMessage(f"readings: 1 to {_MAX_READINGS} signed readings")
        verified = [
            read_device(
                m,
                hosted.context.devices,
                venue=hosted.context.did,
                now=now,
                max_age=hosted.policy.max_reading_age,
                max_skew=hosted.context.max_skew,
            )
            for m in signed
        ]
        for message, reading in zip(signed, verified, strict=True):
            subject = reading.challenge if reading.challenge is not None else reading.scanned
            self.store.add_reading(
                hosted.context.did,
                subject,
                reading.time,
                reading.temperature,
                reading.mask,
                message,
            )
        return len(verified)

    # -- gateways and staff -------------------------------------------------------------------

    def gateway(self, body: bytes, *, timestamp: str | None, signature: str | None) -> str:
        """An SMS or call check-in from the telecom gateway; returns the SMS reply text.

        The body is JSON ``{"channel": "sms" | "call", "caller": E.164, "venue": E.164}``,
        checked under the HMAC before it is parsed. The caller's number is sealed at once;
        it is never stored, logged or repeated (not in errors either).

        Raises:
            BadGatewaySignature, StaleGatewayRequest: the HMAC check fails.
            MalformedMessage, OversizeMessage: a body that is not that JSON.
            UnknownVenueNumber: no hosted venue has that number.
            ReplayedChallenge: the very same signed request was already accepted.
            EpochKeyInactive: no epoch key for today.
            OutboxUnavailable: the store could not commit.
        """
        now = self.clock()
        if len(body) > _MAX_GATEWAY_BODY:
            raise OversizeMessage("the gateway request is too large")
        stamp = check_gateway_signature(
            self.gateway_secret,
            body,
            timestamp,
            signature,
            now=now,
            max_age=self.settings.gateway_max_age,
        )
        channel, caller, number = _gateway_fields(body)
        venue_id = self._by_number.get(number)
        if venue_id is None:
            raise UnknownVenueNumber("no hosted venue has that number")
        hosted = self.venues[venue_id]
        try:
            record = seal_sms_checkin(
                caller, hosted.context, now=now, epoch_keys=self.epoch_keys, channel=channel
            )
            with self.store.transaction():
                until = stamp + self.settings.gateway_max_age + 1
                if not self.replay.claim(
                    b"g" + digest(body + str(stamp).encode()), until=until, now=now
                ):
                    from protocol.errors import ReplayedChallenge

                    raise ReplayedChallenge("this gateway request was already accepted")
                self._commit(hosted, record, now)
        except ProtocolError as refusal:
            self._refused(hosted, channel, refusal, now)
            raise
        self._committed()
        return sms_reply(hosted.settings.name, record.time_in, hosted.context.tz_offset)

    def assisted(
        self,
        venue_id: str,
        *,
        passcode: str | None,
        name: str,
        phone: str,
        declaration: HealthDeclaration | None,
    ) -> Outcome:
        """Staff's assisted entry: the name and number are sealed at once.

        Raises:
            VenueNotHosted: no such venue.
            StaffPasscodeRefused: no passcode, a wrong one, or a venue without one.
            MalformedMessage: a name or phone the sealed plaintext refuses (never repeated).
            DeclaredFever, DeclaredSymptoms: the declaration refuses entry.
            EpochKeyInactive, OutboxUnavailable: as :meth:`gateway`.
        """
        hosted = self.hosted(venue_id)
        check_passcode(hosted.settings.staff_passcode_hash, passcode)
        now = self.clock()
        try:
            record = seal_assisted_entry(
                name,
                phone,
                hosted.context,
                now=now,
                epoch_keys=self.epoch_keys,
                declaration=declaration,
                entry_policy=hosted.policy,
            )
            with self.store.transaction():
                self._commit(hosted, record, now)
        except ProtocolError as refusal:
            self._refused(hosted, channel_name(Channel.ASSISTED), refusal, now)
            raise
        self._committed()
        return Outcome(hosted.context.did, channel_name(Channel.ASSISTED), now, record.visit_id)


def _channel_of(message: bytes) -> str:
    try:
        return channel_name(CheckIn.parse_unverified(message)[1].channel)
    except AnshimError:
        return "unknown"


def _gateway_fields(body: bytes) -> tuple[Literal["sms", "call"], str, str]:
    # Strict: exactly these three string fields. Errors never quote the body.
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedMessage("the gateway body is not JSON") from None
    if not isinstance(value, dict) or set(value) != {"channel", "caller", "venue"}:
        raise MalformedMessage('the gateway body is {"channel", "caller", "venue"}')
    channel, caller, number = value["channel"], value["caller"], value["venue"]
    if channel not in ("sms", "call") or not isinstance(caller, str) or not isinstance(number, str):
        raise MalformedMessage('channel is "sms" or "call"; caller and venue are E.164')
    return ("sms" if channel == "sms" else "call"), caller, number


def sms_reply(name: str, time_in: int, tz_offset: int) -> str:
    """The SMS the gateway sends back: the venue and the local time, nothing else."""
    local = time.gmtime(time_in + tz_offset)
    clock = f"{local.tm_hour:02d}:{local.tm_min:02d}"
    return f"[안심] {name} 방문 기록 {clock} / Check-in recorded at {name}, {clock}"


def load_directory(settings: VenueServiceSettings) -> EpochKeyDirectory:
    """The epoch-key directory from ``settings.epoch_keys``, verified against the pinned
    custodians.

    Raises:
        VenueConfigError: no file or no custodians configured, or a directory that does not
            decode or verify.
        OSError: the file cannot be read.
    """
    if settings.epoch_keys is None:
        raise VenueConfigError("epoch_keys is not set: the service cannot check envelopes")
    if not settings.custodians:
        raise VenueConfigError("custodians are not pinned: refusing an unpinned directory")
    data = Path(settings.epoch_keys).read_bytes()
    try:
        directory = EpochKeyDirectory.from_bytes(data)
        directory.verify(trusted_custodians=settings.custodians)
    except AnshimError as exc:
        raise VenueConfigError(f"the epoch-key directory is refused: {exc.code}") from None
    return directory
