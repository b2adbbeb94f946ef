"""The store side of :class:`wallet.Wallet`: creating and opening the store, its lock, saving
(atomically, only after the caps and the file's fingerprint are checked), the pending
journal, the passphrase, and the wallet's keys and pins.
"""

from __future__ import annotations

import dataclasses
import os
import weakref
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import nacl.utils

import escrow
from did import (
    KDF_MODERATE,
    RETENTION_DAYS,
    DerivedKey,
    Ed25519PrivateKey,
    Ed25519PublicKey,
    KdfParams,
    derive_key,
    did_from_public_key,
)
from did.errors import AnshimError, InputError
from protocol import PersonCredential
from protocol.wire import check_now
from wallet import _diary, _journal
from wallet._checkin import Derivations
from wallet._enrollment import check_pinned_custodians
from wallet._pending import PendingCheckIn, PendingCheckOut, add_pending, unexpired
from wallet._store import Fingerprint, State, StoreLock, check_unchanged, read_store, write_store
from wallet.errors import WalletClosed, WalletCorrupted

__all__ = ["OpenedStore"]


class OpenedStore:
    """A wallet's open store (the base of :class:`wallet.Wallet`, which documents it).

    It holds its store's lock from open to :meth:`close` (or to the end of a ``with``
    block, or until it is garbage-collected): a second wallet on the same file raises
    :class:`~wallet.errors.WalletLocked` instead of silently overwriting this one's saves.
    """

    __slots__ = (
        "__weakref__",
        "_credential",
        "_derivations",
        "_directory",
        "_holder",
        "_journaled",
        "_key",
        "_lock",
        "_path",
        "_release",
        "_seen",
        "_state",
    )

    def __init__(
        self, path: Path, state: State, key: DerivedKey, lock: StoreLock, seen: Fingerprint
    ) -> None:
        self._path = path
        self._state = state
        self._key = key
        self._lock = lock
        self._seen = seen
        self._journaled = 0
        self._release = weakref.finalize(self, lock.release)
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
        custodians: Sequence[str],
        threshold: int,
        retention_days: int = RETENTION_DAYS,
        kdf: KdfParams = KDF_MODERATE,
    ) -> Self:
        """Create a new wallet file at ``path`` (refusing to overwrite one) and open it.

        ``registry_key`` is the pinned registry key (venue posters, exposure notices);
        ``custodians`` (their Ed25519 ``did:key`` DIDs, in the directory's order) and
        ``threshold`` are the pinned key custodians: every epoch-key directory must be
        signed by all of them and name exactly them and this threshold (DESIGN.md "Key
        ceremony"), so whoever serves the directory cannot substitute its own keys. An app
        ships them as it ships the registry key; there is no default. A fresh 32-byte
        wallet secret and a long-term Ed25519 key are generated.

        Raises:
            FileExistsError: a file already exists at ``path``.
            WalletLocked: another wallet holds the lock of ``path``.
            KeyFileError: an empty passphrase.
            InputError: a bad registry key, custodian list, threshold or retention.
        """
        target = Path(path)
        if not isinstance(registry_key, Ed25519PublicKey):
            raise InputError("registry_key must be an Ed25519PublicKey")
        pinned = check_pinned_custodians(custodians, threshold)
        if type(retention_days) is not int or not 1 <= retention_days <= 366:
            raise InputError("retention_days must be an int in [1, 366]")
        if target.exists():
            raise FileExistsError(f"a wallet already exists at {target}")
        lock = StoreLock.acquire(target)
        try:
            if target.exists():  # made by another wallet before the lock was taken
                raise FileExistsError(f"a wallet already exists at {target}")
            state = State(
                secret=nacl.utils.random(32),
                holder_seed=Ed25519PrivateKey.generate().seed(),
                registry_key=registry_key.to_bytes(),
                custodians=pinned,
                threshold=threshold,
                retention_days=retention_days,
            )
            key = derive_key(passphrase, kdf=kdf)
            seen = write_store(target, state, key)
        except BaseException:
            lock.release()
            raise
        return cls(target, state, key, lock, seen)

    @classmethod
    def open(cls, path: str | os.PathLike[str], passphrase: str | bytes, *, now: int) -> Self:
        """Open a wallet file; receipts past the retention period are deleted at once, and
        the pending check-ins of its journal are saved into the store.

        Raises:
            WalletLocked: another wallet (this process or another) has the file open.
            WrongPassphrase: the passphrase does not open it.
            WalletCorrupted: the file is damaged.
            FileNotFoundError, OSError: the file cannot be read.
        """
        lock = StoreLock.acquire(path)
        try:
            state, key, seen = read_store(path, passphrase)
            for entry in _journal.read(path, key):  # folded in by the save below
                if isinstance(entry, PendingCheckIn):
                    state.checkins = add_pending(state.checkins, entry)
                else:
                    state.checkouts = add_pending(state.checkouts, entry)
            try:
                wallet = cls(Path(path), state, key, lock, seen)
            except AnshimError as exc:
                raise WalletCorrupted(f"the wallet's contents are damaged: {exc.message}") from exc
        except BaseException:
            lock.release()
            raise
        try:
            wallet.save(now=now)
        except BaseException:
            wallet.close()
            raise
        return wallet

    def close(self) -> None:
        """Release the store's lock; the wallet saves nothing more (idempotent)."""
        self._release()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return not self._lock.held

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def save(self, *, now: int) -> None:
        """Delete receipts past retention and pending visits past their lifetime, and
        write the store (fresh nonce, no Argon2id).

        Raises:
            StoreFull: the store would exceed the caps :meth:`open` applies (not written).
            StoreChanged: the file changed since this wallet read or wrote it (not written).
            WalletClosed: the wallet was closed.
            OSError: the file cannot be written; the previous file is then intact.
        """
        self._commit(self._state, now=now)

    def _commit(self, state: State, *, now: int, key: DerivedKey | None = None) -> None:
        """Purge ``state`` of expired receipts and pending visits, write it, and only then
        adopt it (and ``key``): a refused or failed write leaves the wallet in memory as on
        disk. The pending journal is folded in (its entries are in ``state``) and deleted.

        Raises:
            StoreFull: the state exceeds the store's caps, even after the purge.
            StoreChanged, WalletClosed: as :meth:`save`.
            OSError: the file cannot be written.
        """
        if not self._lock.held:
            raise WalletClosed("the wallet was closed: open it again")
        when = check_now(now)
        candidate = dataclasses.replace(
            state,
            diary=_diary.purge(state.diary, retention_days=state.retention_days, now=when),
            checkins=unexpired(state.checkins, now=when),
            checkouts=unexpired(state.checkouts, now=when),
        )
        new_key = self._key if key is None else key
        check_unchanged(self._path, self._seen)
        self._seen = write_store(self._path, candidate, new_key)
        self._state = candidate
        self._key = new_key
        _journal.discard(self._path)
        self._journaled = 0

    def _remember(self, entry: PendingCheckIn | PendingCheckOut, *, now: int) -> None:
        """Keep a pending check-in or check-out, in memory and in the store's journal
        (:mod:`wallet._journal`), before its presentation leaves the phone; every
        :data:`~wallet._journal.MAX_RECORDS` entries the journal is folded into the store.

        Raises:
            StoreChanged, WalletClosed, OSError: as :meth:`save` (not kept).
        """
        if not self._lock.held:
            raise WalletClosed("the wallet was closed: open it again")
        state = self._state
        if isinstance(entry, PendingCheckIn):
            state = dataclasses.replace(
                state, checkins=add_pending(unexpired(state.checkins, now=now), entry)
            )
        else:
            state = dataclasses.replace(
                state, checkouts=add_pending(unexpired(state.checkouts, now=now), entry)
            )
        if self._journaled >= _journal.MAX_RECORDS:
            self._commit(state, now=now)
            return
        check_unchanged(self._path, self._seen)
        _journal.append(self._path, self._key, entry)
        self._state = state
        self._journaled += 1

    def change_passphrase(
        self, new_passphrase: str | bytes, *, now: int, kdf: KdfParams | None = None
    ) -> None:
        """Re-key the store under a new passphrase (Argon2id with a fresh salt) and save.

        Raises:
            KeyFileError: an empty passphrase.
            StoreFull, StoreChanged, WalletClosed, OSError: as :meth:`save` (the old
                passphrase still opens the store).
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
    def custodians(self) -> tuple[tuple[str, ...], int]:
        """The pinned custodians' DIDs and threshold."""
        return self._state.custodians, self._state.threshold

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
