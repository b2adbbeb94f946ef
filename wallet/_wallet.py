"""The :class:`Wallet`: one encrypted store and the holder's side of the check-in protocol."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable

import escrow
from did import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
    day_of,
)
from did.errors import AnshimError, InputError, InvalidSignature
from did.vc import KeyResolver
from protocol import (
    MAX_STAY,
    Channel,
    HealthDeclaration,
    KeySource,
    Kind,
    PersonCredential,
    QrKind,
    VisitReceipt,
    digest,
    to_qr_text,
)
from protocol.wire import check_now
from wallet import _diary
from wallet._checkin import Presentation, holder_shown_venue, sign_presentation
from wallet._enrollment import (
    TraceSeedEnvelope,
    check_credential,
    seal_trace_seeds,
)
from wallet._exposures import ExposureMatch, match
from wallet._opened import OpenedStore
from wallet._pending import (
    PendingCheckIn,
    PendingCheckOut,
    StoredReceipt,
    match_receipt,
    record_id,
    unexpired,
)
from wallet._scanning import ScannedVenue, scan_code
from wallet._transparency import AuditAnswer, check_unsealed
from wallet.errors import (
    DiaryFull,
    DirectoryRefused,
    NoEpochKey,
    NotEnrolled,
    ReceiptRefused,
    StoreFull,
)

__all__ = ["Wallet"]

_DEFAULT_STAY = 3600


class Wallet(OpenedStore):
    """The holder's wallet. Build with :meth:`create` or :meth:`open`; never printed with
    its secrets. Methods that change what is stored save at once (atomically).

    A wallet holds its store's lock from open to :meth:`close` (or to the end of a ``with``
    block, or until it is garbage-collected): a second wallet on the same file raises
    :class:`~wallet.errors.WalletLocked` instead of silently overwriting this one's saves.
    """

    __slots__ = ()

    # -- enrollment --------------------------------------------------------------------
    def enroll(
        self,
        credential: PersonCredential,
        *,
        trusted_issuers: Collection[str],
        now: int,
        resolver: KeyResolver | None = None,
    ) -> None:
        """Verify the identity credential (issuer in ``trusted_issuers``, both signatures,
        validity, subject = this wallet's holder DID) and keep it.

        Raises:
            EnrollmentRefused: the credential was refused (the message says why).
            TransportError: a did:web issuer could not be fetched.
            StoreFull: no room to store it (the wallet is unchanged).
        """
        check_credential(
            credential,
            holder=self.holder_did,
            trusted_issuers=trusted_issuers,
            resolver=resolver,
            now=now,
        )
        self._commit(dataclasses.replace(self._state, credential=credential.to_bytes()), now=now)
        self._credential = credential

    def set_epoch_keys(self, directory: bytes, *, now: int) -> None:
        """Verify and keep the registry's epoch-key directory: its custodians and threshold
        are exactly the pinned ones and every one of them signed it. A directory from any
        other ceremony (a rogue registry's, a network attacker's) is refused, so the wallet
        never seals an identity to keys the pinned custodians did not make.

        Raises:
            DirectoryRefused: the directory does not decode, names other custodians or
                another threshold, or lacks a valid signature of a pinned custodian.
            StoreFull: no room to store it (the wallet is unchanged).
        """
        try:
            parsed = escrow.EpochKeyDirectory.from_bytes(directory)
            parsed.verify(trusted_custodians=self._state.custodians)
        except (AnshimError, InvalidSignature) as exc:
            raise DirectoryRefused(f"epoch-key directory refused: {exc}") from exc
        if parsed.threshold != self._state.threshold:
            raise DirectoryRefused("epoch-key directory refused: not the pinned threshold")
        self._commit(dataclasses.replace(self._state, directory=bytes(directory)), now=now)
        self._directory = parsed

    def _ready(self) -> tuple[PersonCredential, escrow.EpochKeyDirectory]:
        if self._credential is None:
            raise NotEnrolled("enroll an identity credential first")
        if self._directory is None:
            raise NoEpochKey("no epoch-key directory: call set_epoch_keys first")
        return self._credential, self._directory

    def trace_seed_envelopes(self, days: Iterable[int]) -> list[TraceSeedEnvelope]:
        """Each day's trace seed sealed to that day's epoch key under
        ``escrow.TraceSeedLabel(credential id, day)``, for upload to the registry.

        Raises:
            NotEnrolled, NoEpochKey: no credential, no directory or no key for a day.
        """
        credential, directory = self._ready()
        return seal_trace_seeds(self._derivations, directory, credential.credential_id, days)

    # -- the visit ---------------------------------------------------------------------
    def scan(self, qr_text: str, *, now: int, venue_keys: KeySource | None = None) -> ScannedVenue:
        """Parse and verify a scanned poster (``AV1``, against the pinned registry key) or
        kiosk code (``AC1``, against the venue's key from ``venue_keys``: a key, or a
        look-up from venue DID to key returning ``None`` for an unknown venue).

        Raises:
            ScanRefused: one of MalformedCode, WrongPrefix, AlteredCode, ForgedCode,
                ExpiredCode, CodeNotYetValid, UnknownVenueKey (``code`` and ``user_message``).
            InputError: ``now`` is not a valid time.
        """
        return scan_code(qr_text, registry_key=self.registry_key, venue_keys=venue_keys, now=now)

    def _sign_checkin(
        self, venue: str | None, challenge: bytes | None, channel: Channel, *, now: int,
        declaration: HealthDeclaration,
    ) -> bytes:  # fmt: skip
        """Sign a check-in and save it as pending before it leaves the phone."""
        if not isinstance(declaration, HealthDeclaration):
            raise InputError("declaration must be a HealthDeclaration")
        credential, directory = self._ready()
        when = check_now(now)
        built: Presentation = sign_presentation(
            self._derivations,
            holder=self._holder,
            directory=directory,
            compact=credential.compact.cbor,
            venue=venue,
            challenge=challenge,
            declaration=declaration,
            kind=Kind.CHECK_IN,
            now=when,
        )
        envelope = built.envelope or b""
        pending = PendingCheckIn(
            digest(built.message), venue, built.pseudonym, when, channel, record_id(envelope)
        )
        self._remember(pending, now=when)
        return built.message

    def check_in(self, scanned: ScannedVenue, *, declaration: HealthDeclaration, now: int) -> bytes:
        """The signed check-in for a scanned venue (COSE bytes, for QR or HTTP).

        The check-in is saved as pending first (:mod:`wallet._pending`): only a receipt
        that answers it enters the diary.

        Raises:
            NotEnrolled, NoEpochKey: nothing to seal, or no key for today.
            InputError: ``scanned`` or ``declaration`` of the wrong type.
            StoreChanged, WalletClosed, OSError: it could not be saved (nothing to send).
        """
        if not isinstance(scanned, ScannedVenue):
            raise InputError("check_in needs a ScannedVenue from scan()")
        return self._sign_checkin(
            scanned.venue, scanned.challenge, scanned.channel, declaration=declaration, now=now
        )

    def holder_shown_check_in(self, *, declaration: HealthDeclaration, now: int) -> str:
        """QR text (``AH1:…``) of a holder-shown check-in: audience "any venue", valid for
        ``protocol.HOLDER_SHOWN_LIFETIME`` (15 s).

        Raises:
            NotEnrolled, NoEpochKey, InputError, StoreChanged, WalletClosed, OSError: as
                :meth:`check_in`.
        """
        message = self._sign_checkin(
            None, None, Channel.HOLDER_SHOWN, declaration=declaration, now=now
        )
        return to_qr_text(QrKind.HOLDER_CHECKIN, message)

    def _open_visit(self, venue: str, now: int) -> tuple[str, int] | None:
        """The (derivation venue, day) of the open visit a check-out at ``venue`` closes:
        one begun at most :data:`protocol.MAX_STAY` before ``now`` without a time out (in
        the diary, or a check-in whose receipt has not come back); the latest under the
        venue's pairwise pseudonym if there is one (a same-day check-out closes what it
        always closed), else the latest holder-shown one."""
        begun: list[tuple[int, Channel]] = [
            (v.time_in, v.channel)
            for v in self.visits(start=now - MAX_STAY, end=now)
            if v.venue == venue and v.time_out is None
        ]
        begun += [
            (p.time_in, p.channel)
            for p in self._state.checkins
            if p.venue == venue and now - MAX_STAY <= p.time_in <= now
        ]
        if not begun:
            return None
        time_in, channel = max(begun, key=lambda v: (v[1] is not Channel.HOLDER_SHOWN, v[0]))
        derive = holder_shown_venue(time_in) if channel is Channel.HOLDER_SHOWN else venue
        return derive, self._day(time_in)

    def check_out(self, venue: ScannedVenue | str, *, now: int) -> bytes:
        """The signed check-out of the open visit at a venue, by that visit's pseudonym.

        The visit being closed is the latest one at the venue without a time out (in the
        diary, or a check-in awaiting its receipt), begun at most a day before: its pairwise
        pseudonym is the one of its own day, so a stay that crosses midnight is closed by
        the key that opened it. Without an open visit, today's pseudonym for the venue
        signs. The check-out is saved as pending, so its receipt's time out is accepted.

        Raises:
            NotEnrolled, NoEpochKey: not enrolled, or no directory.
            MalformedMessage: ``venue`` is not a venue DID.
            StoreChanged, WalletClosed, OSError: it could not be saved (nothing to send).
        """
        _, directory = self._ready()
        did = venue.venue if isinstance(venue, ScannedVenue) else venue
        when = check_now(now)
        built = sign_presentation(
            self._derivations,
            holder=self._holder,
            directory=directory,
            compact=b"",
            venue=did,
            challenge=None,
            declaration=None,
            kind=Kind.CHECK_OUT,
            now=when,
            closes=self._open_visit(did, when),
        )
        self._remember(PendingCheckOut(did, built.pseudonym, when), now=when)
        return built.message

    # -- the diary ---------------------------------------------------------------------
    def _day(self, time: int) -> int:
        tz = 0 if self._directory is None else self._directory.tz_offset
        return day_of(time, tz_offset=tz)

    def _pseudonym_for(self, receipt: VisitReceipt) -> Ed25519PrivateKey:
        """Re-derive the pseudonym key a receipt names, or raise ReceiptRefused."""
        day = self._day(receipt.time_in)
        if receipt.channel is Channel.HOLDER_SHOWN:
            venue = holder_shown_venue(receipt.time_in)
        else:
            venue = receipt.venue
        key, pseudonym = self._derivations.pseudonym(venue, day)
        if pseudonym != receipt.pseudonym:
            raise ReceiptRefused("the receipt names a pseudonym this wallet never used")
        return key

    def accept_receipt(self, receipt: bytes, *, venue_key: KeySource, now: int) -> _diary.Visit:
        """Verify a venue's receipt and keep it in the diary, if it answers a check-in (and,
        for a time out, a check-out) this wallet made: same check-in hash, venue, pseudonym,
        time in and channel (DESIGN.md "Credentials"), so a venue cannot plant visits.

        Receipts past the retention period are deleted first; if the diary still has no
        room (:data:`wallet._store.MAX_DIARY` receipts or the store's byte cap), the receipt
        is refused and the diary stays as it was, so the wallet always opens again. A
        receipt already in the diary is accepted again without change.

        Raises:
            ReceiptRefused: the receipt does not verify or names another pseudonym.
            UnexpectedReceipt: it answers no check-in or check-out of this wallet.
            DiaryFull: no room for the receipt (``user_message`` for the phone).
            StoreChanged, WalletClosed, OSError: as :meth:`save` (not kept).
        """
        try:
            parsed = VisitReceipt.verify(receipt, venue_key, now=now)
        except AnshimError as exc:
            raise ReceiptRefused(f"receipt refused: {exc.message}") from exc
        self._pseudonym_for(parsed)
        state, when = self._state, check_now(now)
        found = match_receipt(
            bytes(receipt),
            parsed,
            diary=state.diary,
            checkins=unexpired(state.checkins, now=when),
            checkouts=unexpired(state.checkouts, now=when),
        )
        entry = StoredReceipt(bytes(receipt), found.record_id, parsed)
        if found.known:
            return _diary.visit_of(entry)
        candidate = dataclasses.replace(
            state,
            diary=[*state.diary, entry],
            checkins=[p for p in state.checkins if p != found.checkin],
            checkouts=[p for p in state.checkouts if p != found.checkout],
        )
        try:
            self._commit(candidate, now=when)
        except StoreFull as exc:
            raise DiaryFull(f"the diary is full: {exc.message}") from exc
        return _diary.visit_of(entry)

    def visits(self, *, start: int | None = None, end: int | None = None) -> list[_diary.Visit]:
        """The diary's visits with time in in ``[start, end]`` (oldest first)."""
        return _diary.visits(self._state.diary, start=start, end=end)

    def was_unsealed(
        self, visit: _diary.Visit, *, head: bytes, proof: bytes | escrow.RecordAuditProof
    ) -> AuditAnswer:
        """Whether ``visit``'s sealed record was unsealed, and under which case, from a
        published audit-log tree head and the :class:`escrow.RecordAuditProof` for
        :attr:`~wallet.Visit.record_id` (both in the registry's one answer to
        ``GET /audit-log/proofs/<record id>``: :func:`wallet.read_audit_answer`). The head
        and every log entry the proof shows must be signed by custodians pinned when this
        wallet was created; the answer's :attr:`~wallet.AuditAnswer.cases` name the case
        ids, checked against the commitments the warrant's approval entries carry.

        Raises:
            AuditProofRefused: a head or entry not signed by a pinned custodian, a proof
                about another record or naming another case, a truncated proof, or one
                that does not establish its claim.
        """
        return check_unsealed(visit.record_id, head, proof, self.custodians[0])

    def export_disclosure(self, start: int, end: int, *, audience: str, now: int) -> bytes:
        """A diary disclosure for ``[start, end]`` addressed to the health authority
        ``audience``: the venue-signed receipts, each countersigned by its pseudonym key
        (verify with ``protocol.DiaryDisclosure.verify``).

        Raises:
            MalformedMessage: a bad window (empty or over 60 days) or audience.
            OversizeMessage: more receipts than one disclosure holds.
        """
        return _diary.disclosure(
            self._state.diary,
            self._pseudonym_for,
            audience=audience,
            start=start,
            end=end,
            now=check_now(now),
        )

    def match_exposures(
        self,
        notices: Iterable[bytes],
        *,
        now: int,
        registry_key: Ed25519PublicKey | None = None,
        default_stay: int = _DEFAULT_STAY,
    ) -> list[ExposureMatch]:
        """Match registry-signed exposure notices against the diary, on the phone.

        Each notice is verified against ``registry_key`` (default: the pinned key) first;
        a visit without a check-out lasts ``default_stay`` seconds.

        Raises:
            BadSignature, MalformedMessage, ClockSkew: a notice that does not verify.
        """
        key = self.registry_key if registry_key is None else registry_key
        return match(
            notices, self.visits(), registry_key=key, now=check_now(now), default_stay=default_stay
        )
