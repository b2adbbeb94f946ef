"""The :class:`Wallet`: one encrypted store and the holder's side of the check-in protocol."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

import nacl.utils

import escrow
from did.didkey import did_from_public_key
from did.errors import AnshimError, InputError, InvalidSignature
from did.keyfile import KDF_MODERATE, DerivedKey, KdfParams, derive_key
from did.keys import Ed25519PrivateKey, Ed25519PublicKey
from did.vc.data_integrity import KeyResolver
from protocol import (
    Channel,
    HealthDeclaration,
    KeySource,
    Kind,
    PersonCredential,
    QrKind,
    VisitReceipt,
    day_of,
    to_qr_text,
)
from protocol.wire import check_now
from wallet import _diary
from wallet._checkin import Derivations, build_presentation, holder_shown_venue
from wallet._enrollment import TraceSeedEnvelope, check_credential, seal_trace_seeds
from wallet._exposures import ExposureMatch, match
from wallet._scanning import ScannedVenue, scan_code
from wallet._store import State, read_store, write_store
from wallet.errors import (
    DiaryFull,
    EnrollmentRefused,
    NoEpochKey,
    NotEnrolled,
    ReceiptRefused,
    StoreFull,
    WalletCorrupted,
)

__all__ = ["DEFAULT_RETENTION_DAYS", "Wallet"]

#: DESIGN.md "Where it comes from": visits are kept four weeks.
DEFAULT_RETENTION_DAYS = 28
_DEFAULT_STAY = 3600


class Wallet:
    """The holder's wallet. Build with :meth:`create` or :meth:`open`; never printed with
    its secrets. Methods that change what is stored save at once (atomically).
    """

    __slots__ = ("_credential", "_derivations", "_directory", "_holder", "_key", "_path", "_state")

    def __init__(self, path: Path, state: State, key: DerivedKey) -> None:
        self._path = path
        self._state = state
        self._key = key
        self._holder = Ed25519PrivateKey.from_seed(state.holder_seed)
        self._derivations = Derivations(state.secret)
        self._credential = (
            None if state.credential is None else PersonCredential.from_bytes(state.credential)
        )
        self._directory = (
            None
            if state.directory is None
            else escrow.EpochKeyDirectory.from_bytes(state.directory)
        )

    # -- the store ---------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        passphrase: str | bytes,
        *,
        registry_key: Ed25519PublicKey,
        custodians: Sequence[str] | None = None,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        kdf: KdfParams = KDF_MODERATE,
    ) -> Wallet:
        """Create a new wallet file at ``path`` (refusing to overwrite one).

        ``registry_key`` is the pinned registry key (venue posters, exposure notices);
        ``custodians`` the pinned custodian DIDs the epoch-key directory must list. A fresh
        32-byte wallet secret and a long-term Ed25519 key are generated.

        Raises:
            FileExistsError: a file already exists at ``path``.
            KeyFileError: an empty passphrase.
            InputError: a bad registry key or retention.
        """
        target = Path(path)
        if target.exists():
            raise FileExistsError(f"a wallet already exists at {target}")
        if not isinstance(registry_key, Ed25519PublicKey):
            raise InputError("registry_key must be an Ed25519PublicKey")
        if type(retention_days) is not int or not 1 <= retention_days <= 366:
            raise InputError("retention_days must be an int in [1, 366]")
        state = State(
            secret=nacl.utils.random(32),
            holder_seed=Ed25519PrivateKey.generate().seed(),
            registry_key=registry_key.to_bytes(),
            custodians=None if custodians is None else tuple(custodians),
            retention_days=retention_days,
        )
        key = derive_key(passphrase, kdf=kdf)
        write_store(target, state, key)
        return cls(target, state, key)

    @classmethod
    def open(cls, path: str | os.PathLike[str], passphrase: str | bytes, *, now: int) -> Wallet:
        """Open a wallet file; receipts past the retention period are deleted at once.

        Raises:
            WrongPassphrase: the passphrase does not open it.
            WalletCorrupted: the file is damaged.
            FileNotFoundError, OSError: the file cannot be read.
        """
        state, key = read_store(path, passphrase)
        try:
            wallet = cls(Path(path), state, key)
        except AnshimError as exc:
            raise WalletCorrupted(f"the wallet's contents are damaged: {exc.message}") from exc
        wallet.save(now=now)
        return wallet

    def save(self, *, now: int) -> None:
        """Delete receipts past retention and write the store (fresh nonce, no Argon2id).

        Raises:
            StoreFull: the store would exceed the caps :meth:`open` applies (not written).
            OSError: the file cannot be written; the previous file is then intact.
        """
        self._commit(self._state, now=now)

    def _commit(self, state: State, *, now: int, key: DerivedKey | None = None) -> None:
        """Purge ``state`` of expired receipts, write it, and only then adopt it (and
        ``key``): a refused or failed write leaves the wallet in memory as on disk.

        Raises:
            StoreFull: the state exceeds the store's caps, even after the purge.
            OSError: the file cannot be written.
        """
        when = check_now(now)
        purged = _diary.purge(state.diary, retention_days=state.retention_days, now=when)
        candidate = dataclasses.replace(state, diary=purged)
        new_key = self._key if key is None else key
        write_store(self._path, candidate, new_key)
        self._state = candidate
        self._key = new_key

    def change_passphrase(
        self, new_passphrase: str | bytes, *, now: int, kdf: KdfParams | None = None
    ) -> None:
        """Re-key the store under a new passphrase (Argon2id with a fresh salt) and save.

        Raises:
            KeyFileError: an empty passphrase.
            StoreFull, OSError: as :meth:`save` (the old passphrase still opens the store).
        """
        key = derive_key(new_passphrase, kdf=kdf or self._key.kdf)
        self._commit(self._state, now=now, key=key)

    @property
    def path(self) -> Path:
        """The store file."""
        return self._path

    @property
    def holder_did(self) -> str:
        """The holder's long-term ``did:key`` (given to the identity issuer only)."""
        return did_from_public_key(self._holder.public_key)

    @property
    def holder_key(self) -> Ed25519PrivateKey:
        """The long-term key (for proving control of :attr:`holder_did` to the issuer)."""
        return self._holder

    @property
    def registry_key(self) -> Ed25519PublicKey:
        """The pinned registry key."""
        return Ed25519PublicKey.from_bytes(self._state.registry_key)

    @property
    def credential(self) -> PersonCredential | None:
        """The enrolled identity credential, if any."""
        return self._credential

    @property
    def retention_days(self) -> int:
        """How many days receipts are kept."""
        return self._state.retention_days

    def __repr__(self) -> str:
        return f"Wallet({self.holder_did}, {len(self._state.diary)} receipts)"

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
        """Verify and keep the registry's epoch-key directory: every custodian signed it and
        its custodians are exactly the pinned ones (if the wallet pins custodians).

        Raises:
            EnrollmentRefused: the directory does not decode or does not verify.
            StoreFull: no room to store it (the wallet is unchanged).
        """
        try:
            parsed = escrow.EpochKeyDirectory.from_bytes(directory)
            parsed.verify(trusted_custodians=self._state.custodians)
        except (AnshimError, InvalidSignature) as exc:
            raise EnrollmentRefused(f"epoch-key directory refused: {exc}") from exc
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
                ExpiredCode, CodeNotYetValid, UnknownVenue (``code`` and ``user_message``).
            InputError: ``now`` is not a valid time.
        """
        return scan_code(qr_text, registry_key=self.registry_key, venue_keys=venue_keys, now=now)

    def check_in(self, scanned: ScannedVenue, *, declaration: HealthDeclaration, now: int) -> bytes:
        """The signed check-in for a scanned venue (COSE bytes, for QR or HTTP).

        Raises:
            NotEnrolled, NoEpochKey: nothing to seal, or no key for today.
            InputError: ``scanned`` or ``declaration`` of the wrong type.
        """
        if not isinstance(scanned, ScannedVenue):
            raise InputError("check_in needs a ScannedVenue from scan()")
        if not isinstance(declaration, HealthDeclaration):
            raise InputError("declaration must be a HealthDeclaration")
        credential, directory = self._ready()
        return build_presentation(
            self._derivations,
            directory=directory,
            compact=credential.compact.cbor,
            venue=scanned.venue,
            challenge=scanned.challenge,
            declaration=declaration,
            kind=Kind.CHECK_IN,
            now=check_now(now),
        )

    def holder_shown_check_in(self, *, declaration: HealthDeclaration, now: int) -> str:
        """QR text (``AH1:…``) of a holder-shown check-in: audience "any venue", valid 30 s.

        Raises:
            NotEnrolled, NoEpochKey, InputError: as :meth:`check_in`.
        """
        if not isinstance(declaration, HealthDeclaration):
            raise InputError("declaration must be a HealthDeclaration")
        credential, directory = self._ready()
        message = build_presentation(
            self._derivations,
            directory=directory,
            compact=credential.compact.cbor,
            venue=None,
            challenge=None,
            declaration=declaration,
            kind=Kind.CHECK_IN,
            now=check_now(now),
        )
        return to_qr_text(QrKind.HOLDER_CHECKIN, message)

    def check_out(self, venue: ScannedVenue | str, *, now: int) -> bytes:
        """The signed check-out for a venue visited today (same pairwise pseudonym).

        Raises:
            NotEnrolled, NoEpochKey: not enrolled, or no directory.
            MalformedMessage: ``venue`` is not a venue DID.
        """
        _, directory = self._ready()
        did = venue.venue if isinstance(venue, ScannedVenue) else venue
        return build_presentation(
            self._derivations,
            directory=directory,
            compact=b"",
            venue=did,
            challenge=None,
            declaration=None,
            kind=Kind.CHECK_OUT,
            now=check_now(now),
        )

    # -- the diary ---------------------------------------------------------------------
    def _day(self, time: int) -> int:
        tz = 0 if self._directory is None else self._directory.tz_offset
        return day_of(time, tz_offset_seconds=tz)

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
        """Verify a venue's receipt (signature under ``venue_key``, a pseudonym of this
        wallet) and keep it in the diary.

        Receipts past the retention period are deleted first; if the diary still has no
        room (:data:`wallet._store.MAX_DIARY` receipts or the store's byte cap), the receipt
        is refused and the diary stays as it was, so the wallet always opens again.

        Raises:
            ReceiptRefused: the receipt does not verify or is not for this wallet.
            DiaryFull: no room for the receipt (``user_message`` for the phone).
        """
        try:
            parsed = VisitReceipt.verify(receipt, venue_key, now=now)
        except AnshimError as exc:
            raise ReceiptRefused(f"receipt refused: {exc.message}") from exc
        self._pseudonym_for(parsed)
        diary = self._state.diary
        if receipt not in diary:
            diary = [*diary, bytes(receipt)]
        try:
            self._commit(dataclasses.replace(self._state, diary=diary), now=now)
        except StoreFull as exc:
            raise DiaryFull(f"the diary is full: {exc.message}") from exc
        return next(v for v in _diary.visits([receipt]))

    def visits(self, *, start: int | None = None, end: int | None = None) -> list[_diary.Visit]:
        """The diary's visits with time in in ``[start, end]`` (oldest first)."""
        return _diary.visits(self._state.diary, start=start, end=end)

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
