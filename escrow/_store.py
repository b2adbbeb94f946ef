"""A custodian's encrypted store: identity key and per-epoch secret shares (DESIGN.md "Shredding").

One file per custodian, made with :func:`did.encrypt_secret` (Argon2id +
XChaCha20-Poly1305, the whole header authenticated), ``kind = "anshim-escrow-store"``,
public metadata ``{"did": the custodian's did:key}``. The secret is deterministic CBOR::

    {"v": 1, "seed": bstr(32), "shares": [[epoch, custodian index, ceremony id, x_i], ...]}

sorted by epoch. Each write uses a fresh salt and nonce.

Shredding (:meth:`ShareStore.shred_expired`: every epoch older than the retention period,
:data:`did.RETENTION_DAYS`; or :meth:`ShareStore.shred` before a given epoch), like every
rewrite, goes in an order that leaves a loadable store at the path whatever step a crash
interrupts:

1. the re-encrypted store (without the old epochs) is written to a temporary file in the same
   directory and fsynced;
2. the old file is opened and its descriptor kept (it still names the old inode);
3. the temporary file is renamed over the path and the directory fsynced: the path now holds
   the new store, atomically;
4. the old inode's bytes are overwritten with random bytes through the kept descriptor,
   fsynced, and the descriptor closed.

A crash before step 3 leaves the old store at the path (and perhaps a stray temporary file,
which :meth:`ShareStore.load` never reads); a crash after it leaves the new one. The path
never holds the random bytes of step 4: they go to the old inode, which no name points to
any more (unless something else hard-linked it).

What "irrecoverable" can and cannot mean: the cryptographic guarantee is that after
shredding the shares exist in no store any custodian holds, so no quorum, however large,
can compute x·R for those epochs. The in-place overwrite defeats ordinary undelete tools on
simple filesystems, but on flash (wear levelling), copy-on-write or journaling filesystems
and in backups, old blocks may survive; those copies are still encrypted under the
passphrase, so a custodian who also leaks the passphrase and an old copy could recover
them. Keep the store on an encrypted volume, never back it up, and rotate passphrases;
Python also cannot wipe secrets from process memory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import nacl.utils

from did import (
    KDF_MODERATE,
    RETENTION_DAYS,
    Ed25519PrivateKey,
    KdfParams,
    atomic_write,
    cbor,
    day_of,
    decrypt_secret,
    did_from_public_key,
    encrypt_secret,
)
from did.errors import DecodeError, InputError, InvalidKey, KeyFileError
from escrow._group import Scalar
from escrow.errors import EpochUnavailable, InvalidScalar, StoreError

__all__ = ["EpochShare", "ShareStore"]

STORE_KIND = "anshim-escrow-store"
_MAX_STORE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class EpochShare:
    """One epoch's secret share x_i of custodian ``index`` (never shown in ``repr``)."""

    epoch: int
    index: int
    ceremony: bytes
    x: Scalar

    def __repr__(self) -> str:
        return f"EpochShare(epoch={self.epoch}, index={self.index}, x=<hidden>)"


class ShareStore:
    """A custodian's identity key and shares, loaded from its encrypted file.

    Construct with :meth:`create` or :meth:`load`; every change is written at once.
    """

    __slots__ = ("_kdf", "_key", "_shares", "did", "path")

    def __init__(
        self, path: Path, key: Ed25519PrivateKey, shares: dict[int, EpochShare], kdf: KdfParams
    ) -> None:
        self.path = path
        self._key = key
        self.did = did_from_public_key(key.public_key)
        self._shares = shares
        self._kdf = kdf

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        passphrase: str | bytes,
        *,
        key: Ed25519PrivateKey | None = None,
        kdf: KdfParams = KDF_MODERATE,
    ) -> ShareStore:
        """Make a new store with a fresh (or given) identity key and no shares.

        Raises:
            FileExistsError: if ``path`` exists (a store is never silently replaced).
            KeyFileError: on an empty passphrase.
        """
        target = Path(path)
        if target.exists():
            raise FileExistsError(f"refusing to overwrite {target}")
        store = cls(target, key or Ed25519PrivateKey.generate(), {}, kdf)
        store._write({}, passphrase, overwrite_old=False)
        return store

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], passphrase: str | bytes, *, kdf: KdfParams = KDF_MODERATE
    ) -> ShareStore:
        """Decrypt and parse a store. ``kdf`` is used for later writes.

        Raises:
            StoreError: on a wrong passphrase, tampering or a malformed store.
            OSError: if the file cannot be read.
        """
        target = Path(path)
        with target.open("rb") as fh:
            blob = fh.read(_MAX_STORE + 1)
        if len(blob) > _MAX_STORE:
            raise StoreError("store file is too large")
        try:
            secret = decrypt_secret(blob, passphrase, kind=STORE_KIND)
        except KeyFileError as exc:
            raise StoreError(f"cannot open store: {exc.message}") from exc
        try:
            obj = cbor.decode(secret, max_size=_MAX_STORE, max_depth=3)
            if not isinstance(obj, dict) or set(obj) != {"v", "seed", "shares"} or obj["v"] != 1:
                raise DecodeError("store content has missing or unknown fields")
            key = Ed25519PrivateKey.from_seed(obj["seed"])
            shares: dict[int, EpochShare] = {}
            for item in obj["shares"]:
                if not isinstance(item, list) or len(item) != 4:
                    raise DecodeError("malformed share entry")
                epoch, index, ceremony, x = item
                if type(epoch) is not int or type(index) is not int or epoch in shares:
                    raise DecodeError("malformed share entry")
                if not isinstance(ceremony, bytes) or len(ceremony) != 16:
                    raise DecodeError("malformed ceremony id")
                shares[epoch] = EpochShare(epoch, index, ceremony, Scalar.from_bytes(x))
        except (DecodeError, InvalidKey, InvalidScalar, TypeError) as exc:
            raise StoreError("store content is malformed") from exc
        return cls(target, key, shares, kdf)

    @property
    def key(self) -> Ed25519PrivateKey:
        """The custodian's Ed25519 identity key (signs approvals, deals and share batches)."""
        return self._key

    def epochs(self) -> tuple[int, ...]:
        """The epochs this store holds shares for, ascending."""
        return tuple(sorted(self._shares))

    def share(self, epoch: int) -> EpochShare:
        """The share for ``epoch``.

        Raises:
            EpochUnavailable: if there is none (never made here, or shredded).
        """
        try:
            return self._shares[epoch]
        except KeyError:
            raise EpochUnavailable("no share for that epoch (never made, or shredded)") from None

    def add_shares(self, shares: Iterable[EpochShare], passphrase: str | bytes) -> None:
        """Add shares from a ceremony and rewrite the store.

        A share from the same ceremony (same ceremony id) as the one the store holds for that
        epoch replaces it: re-running ``finalize`` with a cheating dealer excluded (DESIGN.md
        "Key ceremony") must succeed for custodians who had already finalized. The rewrite
        overwrites the replaced share's old bytes like :meth:`shred`. Re-running a ceremony
        whose directory is already published would leave shares that no longer match its
        verification keys, so only do it before publishing.

        Raises:
            StoreError: if an epoch already has a share from another ceremony (a ceremony
                never replaces another's), or ``shares`` repeats an epoch.
            OSError: if the store cannot be rewritten (it then still holds the old shares).
        """
        new = dict(self._shares)
        added: set[int] = set()
        for s in shares:
            held = new.get(s.epoch)
            if s.epoch in added or (held is not None and held.ceremony != s.ceremony):
                raise StoreError("the store already holds a share for that epoch")
            added.add(s.epoch)
            new[s.epoch] = s
        self._write(new, passphrase, overwrite_old=True)

    def shred_expired(
        self,
        passphrase: str | bytes,
        *,
        now: int,
        tz_offset: int = 0,
        retention_days: int = RETENTION_DAYS,
    ) -> tuple[int, ...]:
        """Destroy the shares of every epoch older than the retention period; returns them.

        DESIGN.md "Shredding": an epoch more than ``retention_days`` (default
        :data:`did.RETENTION_DAYS`, 28) days before today's, in the directory's zone, is
        destroyed, as :meth:`shred` with ``before = day_of(now) − retention_days``.

        Raises:
            InvalidTime: ``now`` or ``tz_offset`` out of range.
            InputError: ``retention_days`` is not a non-negative int.
            OSError: as :meth:`shred`.
        """
        if isinstance(retention_days, bool) or not isinstance(retention_days, int):
            raise InputError("retention_days must be a non-negative int")
        if retention_days < 0:
            raise InputError("retention_days must be a non-negative int")
        return self.shred(day_of(now, tz_offset=tz_offset) - retention_days, passphrase)

    def shred(self, before: int, passphrase: str | bytes) -> tuple[int, ...]:
        """Destroy every share of an epoch < ``before`` (module docstring); returns those epochs.

        Raises:
            OSError: if the store cannot be rewritten; the path then holds either the old
                store intact (failure before the rename) or the new one (failure while
                overwriting the old bytes, which may then survive on disk).
        """
        gone = tuple(e for e in sorted(self._shares) if e < before)
        self._write(
            {e: s for e, s in self._shares.items() if e >= before}, passphrase, overwrite_old=True
        )
        return gone

    def _write(
        self, shares: dict[int, EpochShare], passphrase: str | bytes, *, overwrite_old: bool
    ) -> None:
        content = cbor.encode(
            {
                "v": 1,
                "seed": self._key.seed(),
                "shares": [
                    [s.epoch, s.index, s.ceremony, s.x.to_bytes()]
                    for _, s in sorted(shares.items())
                ],
            }
        )
        blob = encrypt_secret(
            content, passphrase, kind=STORE_KIND, kdf=self._kdf, public={"did": self.did}
        )
        if not overwrite_old or not self.path.exists():
            atomic_write(self.path, blob)
            self._shares = shares
            return
        # The four steps of the module docstring, in that order.
        directory = self.path.parent if str(self.path.parent) else Path(".")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
                fh.flush()
                os.fsync(fh.fileno())
            old = self.path.open("r+b", buffering=0)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        with old:
            try:
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._shares = shares
            _fsync_dir(directory)
            _overwrite_fd(old)

    def __repr__(self) -> str:
        return f"ShareStore({self.did!r}, epochs={len(self._shares)})"


def _overwrite_fd(fh: BinaryIO) -> None:
    # Step 4 (module docstring): overwrite the old inode's bytes with random data through the
    # descriptor kept before the rename, so the old ciphertext does not linger in its blocks
    # (see the module docstring's caveats).
    size = os.fstat(fh.fileno()).st_size
    fh.seek(0)
    written = 0
    while written < size:
        chunk = min(65536, size - written)
        fh.write(nacl.utils.random(chunk))
        written += chunk
    fh.flush()
    os.fsync(fh.fileno())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory if str(directory) else ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def shares_by_epoch(store: ShareStore, epochs: Iterable[int]) -> Mapping[int, EpochShare]:
    """The store's shares for ``epochs``. Raises :class:`EpochUnavailable` if one is missing."""
    return {e: store.share(e) for e in epochs}
