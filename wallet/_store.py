"""The wallet's one encrypted store file, and the lock that keeps it to one writer.

The file is a :mod:`did` key-file envelope of kind ``anshim-wallet`` (Argon2id +
XChaCha20-Poly1305, the whole header authenticated) whose secret is the deterministic CBOR
map of :class:`State`. Writes go through :func:`did.atomic_write` (temporary file, fsync,
``os.replace``, fsync of the directory), so a process killed mid-write leaves the old store
or the new one, never a torn one.

Argon2id runs on create, open and passphrase change only: the derived key stays in memory
(:class:`did.DerivedKey`) and every save re-encrypts under a fresh random nonce.

A wrong passphrase and a damaged ciphertext both fail the AEAD. To tell them apart, the
authenticated public header carries a 16-byte passphrase check, HMAC-SHA256(key,
``anshim/wallet/v1/check``): when decryption fails, the key is derived again and the check
decides (a second Argon2id, on the failure path only). The check lets nobody test a
passphrase faster than the AEAD tag already does.

Reading and writing share one set of caps (:data:`MAX_STATE_BYTES`, :data:`MAX_DIARY`):
:func:`write_store` refuses with :class:`~wallet.errors.StoreFull` a state that
:func:`read_store` would refuse, so a save can never leave a store that does not open. The
pending check-ins and check-outs (:mod:`wallet._pending`; written first to the journal of
:mod:`wallet._journal`) are bounded in number and size, and every other part of the state
must leave :data:`PENDING_RESERVE` bytes for them, so signing a check-in never fails for
want of room.

One writer (issue 9 section 4 item 8: two wallets on one file each dropped what the other
saved). A :class:`StoreLock` is an exclusive ``flock`` on ``<store>.lock``, held from open
to close; a second wallet on the file, in this process or another, gets
:class:`~wallet.errors.WalletLocked`. The kernel releases it when the process dies. Beside
the lock, each wallet remembers the :func:`fingerprint` of the file it last read or wrote
and refuses to save (:class:`~wallet.errors.StoreChanged`) over a file that changed since,
which catches what the lock cannot see (a program that ignores it, a restored backup).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nacl.pwhash.argon2id as _argon2id

from did import (
    MAX_FILE_BYTES,
    RETENTION_DAYS,
    DerivedKey,
    KdfParams,
    atomic_write,
    b64url_decode,
    b64url_encode,
    cbor,
    encrypt_with_key,
    open_secret,
    read_public,
)
from did.errors import DecodeError, KeyFileError
from protocol import MAX_VENUE_DID_CHARS
from wallet._pending import MAX_PENDING, PendingCheckIn, PendingCheckOut, StoredReceipt
from wallet.errors import StoreChanged, StoreFull, WalletCorrupted, WalletLocked, WrongPassphrase

__all__ = [
    "KIND",
    "MAX_DIARY",
    "MAX_STATE_BYTES",
    "PENDING_RESERVE",
    "Fingerprint",
    "State",
    "StoreLock",
    "check_unchanged",
    "derived_check",
    "fingerprint",
    "read_store",
    "write_store",
]

KIND = "anshim-wallet"
_STATE_VERSION = 2
_CHECK_LABEL = b"anshim/wallet/v1/check"
#: The largest encoded state: what :func:`did.encrypt_with_key` encrypts (256 KiB).
MAX_STATE_BYTES = 256 * 1024
#: The most receipts a diary holds (an entry is at most about 340 bytes: 770 or more fit).
MAX_DIARY = 4096
# The largest pending entries: a check-in is [32-byte hash, venue DID, pseudonym did:key
# (56 characters), time, channel, 32-byte record id], a check-out [venue, pseudonym, time].
_MAX_PSEUDONYM = 64
_MAX_PENDING_CHECKIN = 1 + 34 + 3 + MAX_VENUE_DID_CHARS + 2 + _MAX_PSEUDONYM + 5 + 1 + 34
_MAX_PENDING_CHECKOUT = 1 + 3 + MAX_VENUE_DID_CHARS + 2 + _MAX_PSEUDONYM + 5
#: Room every other part of the state leaves for the pending check-ins and check-outs.
PENDING_RESERVE = 8 + MAX_PENDING * (_MAX_PENDING_CHECKIN + _MAX_PENDING_CHECKOUT)
_KEYS = frozenset(
    (
        "v",
        "secret",
        "holder",
        "registry",
        "custodians",
        "threshold",
        "directory",
        "credential",
        "diary",
        "checkins",
        "checkouts",
        "retention_days",
    )
)
_MAX_CUSTODIANS = 32
# The state map's keys, encoded, in deterministic order (the bytewise order of their
# encodings, RFC 8949 section 4.2.1), and the map's head.
_ENCODED_KEYS = sorted(((name, cbor.encode(name)) for name in _KEYS), key=lambda item: item[1])
_MAP_HEAD = cbor.encode({name: 0 for name in _KEYS})[:1]


def _array(items: list[bytes]) -> bytes:
    """A CBOR array of already-encoded items (its head in the shortest form)."""
    n = len(items)
    if n < 24:
        head = bytes((0x80 | n,))
    elif n < 0x100:
        head = bytes((0x98, n))
    elif n < 0x10000:
        head = b"\x99" + n.to_bytes(2, "big")
    else:
        head = b"\x9a" + n.to_bytes(4, "big")
    return head + b"".join(items)


@dataclass(slots=True, repr=False)
class State:
    """Everything the wallet keeps (never printed: it holds the wallet's secrets).

    ``custodians`` and ``threshold`` are the pinned custodians every epoch-key directory
    must match; ``diary`` the accepted receipts; ``checkins`` and ``checkouts`` the pending
    ones (:mod:`wallet._pending`).
    """

    secret: bytes
    holder_seed: bytes
    registry_key: bytes
    custodians: tuple[str, ...]
    threshold: int
    directory: bytes | None = None
    credential: bytes | None = None
    diary: list[StoredReceipt] = field(default_factory=list)
    checkins: list[PendingCheckIn] = field(default_factory=list)
    checkouts: list[PendingCheckOut] = field(default_factory=list)
    retention_days: int = RETENTION_DAYS

    def __repr__(self) -> str:
        return f"State(<secret>, {len(self.diary)} receipts)"

    def _map(self) -> dict[str, Any]:
        """The state as the map :meth:`to_cbor` encodes (lists of entries as lists)."""
        return {
            **self._scalars(),
            "diary": [entry.to_list() for entry in self.diary],
            "checkins": [entry.to_list() for entry in self.checkins],
            "checkouts": [entry.to_list() for entry in self.checkouts],
        }

    def _scalars(self) -> dict[str, Any]:
        return {
            "v": _STATE_VERSION,
            "secret": self.secret,
            "holder": self.holder_seed,
            "registry": self.registry_key,
            "custodians": list(self.custodians),
            "threshold": self.threshold,
            "directory": self.directory,
            "credential": self.credential,
            "retention_days": self.retention_days,
        }

    def _encode(self, *, pending: bool) -> bytes:
        # Exactly did.cbor.encode(self._map()) (a test holds them equal), from each entry's
        # CBOR made once: the map's keys in RFC 8949 section 4.2.1 order, then the values.
        values = {key: cbor.encode(value) for key, value in self._scalars().items()}
        values["diary"] = _array([entry.encoded for entry in self.diary])
        values["checkins"] = _array([e.encoded for e in self.checkins] if pending else [])
        values["checkouts"] = _array([e.encoded for e in self.checkouts] if pending else [])
        return b"".join((_MAP_HEAD, *(k + values[name] for name, k in _ENCODED_KEYS)))

    def to_cbor(self) -> bytes:
        """The deterministic CBOR map (RFC 8949 section 4.2.1) that is encrypted."""
        return self._encode(pending=True)

    def size_without_pending(self) -> int:
        """The encoded size of the state with no pending check-ins or check-outs."""
        return len(self._encode(pending=False))

    @classmethod
    def from_cbor(cls, data: bytes) -> State:
        """Decode the decrypted state strictly.

        Raises:
            WalletCorrupted: anything but the exact map :meth:`to_cbor` writes.
        """
        try:
            m = cbor.decode(data, max_size=MAX_STATE_BYTES, max_depth=3)
        except DecodeError as exc:
            raise WalletCorrupted(f"wallet state: {exc.message}") from exc
        if type(m) is not dict or m.keys() != _KEYS or m["v"] != _STATE_VERSION:
            raise WalletCorrupted("wallet state has the wrong fields or version")
        fixed = (("secret", 32), ("holder", 32), ("registry", 32))
        if any(type(m[k]) is not bytes or len(m[k]) != n for k, n in fixed):
            raise WalletCorrupted("wallet state keys have the wrong form")
        custodians, threshold = m["custodians"], m["threshold"]
        if (
            type(custodians) is not list
            or not 1 <= len(custodians) <= _MAX_CUSTODIANS
            or not all(type(c) is str for c in custodians)
            or type(threshold) is not int
            or not 1 <= threshold <= len(custodians)
        ):
            raise WalletCorrupted("wallet state custodians have the wrong form")
        for name in ("directory", "credential"):
            if m[name] is not None and type(m[name]) is not bytes:
                raise WalletCorrupted(f"wallet state {name} has the wrong form")
        diary = m["diary"]
        if type(diary) is not list or len(diary) > MAX_DIARY:
            raise WalletCorrupted("wallet diary has the wrong form")
        checkins, checkouts = m["checkins"], m["checkouts"]
        if any(type(x) is not list or len(x) > MAX_PENDING for x in (checkins, checkouts)):
            raise WalletCorrupted("wallet pending visits have the wrong form")
        days = m["retention_days"]
        if type(days) is not int or not 1 <= days <= 366:
            raise WalletCorrupted("wallet retention has the wrong form")
        return cls(
            secret=m["secret"],
            holder_seed=m["holder"],
            registry_key=m["registry"],
            custodians=tuple(custodians),
            threshold=threshold,
            directory=m["directory"],
            credential=m["credential"],
            diary=[StoredReceipt.from_list(item) for item in diary],
            checkins=[PendingCheckIn.from_list(item) for item in checkins],
            checkouts=[PendingCheckOut.from_list(item) for item in checkouts],
            retention_days=days,
        )


#: What identifies one version of the store file: (device, inode, size, mtime in ns).
Fingerprint = tuple[int, int, int, int]


def _of(st: os.stat_result) -> Fingerprint:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def fingerprint(path: str | os.PathLike[str]) -> Fingerprint:
    """The file's :data:`Fingerprint` now. Raises ``OSError`` if it cannot be stat'ed."""
    return _of(os.stat(path))


def check_unchanged(path: str | os.PathLike[str], seen: Fingerprint) -> None:
    """Refuse to write over a store that is not the one last read or written.

    An atomic write makes a new file each time (a new inode, a new modification time), so
    another writer's save shows in the fingerprint; the lock, not this check, is what
    keeps two wallets apart (this one catches writers that ignore the lock).

    Raises:
        StoreChanged: the file was replaced, changed or removed since.
    """
    try:
        now = fingerprint(path)
    except FileNotFoundError:
        raise StoreChanged("the wallet store was removed since it was read") from None
    if now != seen:
        raise StoreChanged("the wallet store was changed since it was read")


class StoreLock:
    """The exclusive lock on a store (module docstring); release it with :meth:`release`.

    The lock is on ``<store>.lock``, not on the store: every save replaces the store file,
    so a lock on the store itself would be left behind on the old inode.
    """

    __slots__ = ("_fd", "path")

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, store: str | os.PathLike[str]) -> StoreLock:
        """Take the lock of ``store`` without waiting.

        Raises:
            WalletLocked: another wallet holds it.
            OSError: the lock file cannot be created.
        """
        path = Path(store)
        path = path.with_name(path.name + ".lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise WalletLocked(f"another wallet has {Path(store).name} open") from None
        except BaseException:
            os.close(fd)
            raise
        return cls(fd, path)

    @property
    def held(self) -> bool:
        """Whether the lock is still held."""
        return self._fd is not None

    def release(self) -> None:
        """Release the lock (closing its descriptor releases the flock); idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def derived_check(key: DerivedKey) -> str:
    """The passphrase check value stored in the public header (module docstring)."""
    mac = hmac.new(key.key, _CHECK_LABEL, hashlib.sha256).digest()[:16]
    return b64url_encode(mac)


def write_store(path: str | os.PathLike[str], state: State, key: DerivedKey) -> Fingerprint:
    """Encrypt ``state`` under ``key`` (fresh nonce), replace the file atomically and
    return the new file's fingerprint.

    Raises:
        StoreFull: the state exceeds :data:`MAX_DIARY` or :data:`MAX_STATE_BYTES` (the caps
            :func:`read_store` applies), or leaves less than :data:`PENDING_RESERVE` bytes
            for pending visits; nothing is written.
        OSError: the file cannot be written; the old file is then untouched.
    """
    if len(state.diary) > MAX_DIARY:
        raise StoreFull(f"a wallet diary holds at most {MAX_DIARY} receipts")
    if len(state.checkins) > MAX_PENDING or len(state.checkouts) > MAX_PENDING:
        raise StoreFull(f"a wallet keeps at most {MAX_PENDING} pending visits of each kind")
    plaintext = state.to_cbor()
    if len(plaintext) > MAX_STATE_BYTES or (
        len(plaintext) > MAX_STATE_BYTES - PENDING_RESERVE
        and state.size_without_pending() > MAX_STATE_BYTES - PENDING_RESERVE
    ):
        raise StoreFull(f"a wallet store holds at most {MAX_STATE_BYTES} bytes")
    public = {"wallet": _STATE_VERSION, "check": derived_check(key)}
    blob = encrypt_with_key(plaintext, key, kind=KIND, public=public)
    atomic_write(path, blob)
    return fingerprint(path)


def _header_kdf(blob: bytes) -> tuple[KdfParams, bytes]:
    # The envelope already parsed in read_public; only its KDF fields are needed here.
    obj: Any = json.loads(blob)
    kdf = obj["kdf"]
    return KdfParams(kdf["opslimit"], kdf["memlimit"]), b64url_decode(kdf["salt"])


def read_store(
    path: str | os.PathLike[str], passphrase: str | bytes
) -> tuple[State, DerivedKey, Fingerprint]:
    """Open the store: decrypt it and decode the state; also the fingerprint of the file
    that was read.

    Raises:
        WrongPassphrase: the passphrase does not open the store.
        WalletCorrupted: the file is not a wallet store or is damaged.
        OSError: the file cannot be read (FileNotFoundError if it does not exist).
    """
    target = Path(path)
    with target.open("rb") as fh:
        seen = _of(os.fstat(fh.fileno()))
        blob = fh.read(MAX_FILE_BYTES + 1)
    if len(blob) > MAX_FILE_BYTES:
        raise WalletCorrupted("the wallet store is too large")
    try:
        public = read_public(blob)
    except KeyFileError as exc:
        raise WalletCorrupted(f"not a wallet store: {exc.message}") from exc
    check = public.get("check")
    if public.get("wallet") != _STATE_VERSION or type(check) is not str:
        raise WalletCorrupted("not a wallet store of a supported version")
    try:
        plaintext, key = open_secret(blob, passphrase, kind=KIND)
    except KeyFileError as exc:
        _classify_failure(blob, passphrase, check, exc)
    if not hmac.compare_digest(derived_check(key), check):
        raise WalletCorrupted("the wallet store's passphrase check is damaged")
    return State.from_cbor(plaintext), key, seen


def _classify_failure(blob: bytes, passphrase: str | bytes, check: str, exc: KeyFileError) -> None:
    """Raise WrongPassphrase or WalletCorrupted for a store that did not open."""
    try:
        kdf, salt = _header_kdf(blob)
        raw = _argon2id.kdf(
            32,
            passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase),
            salt,
            opslimit=kdf.opslimit,
            memlimit=kdf.memlimit,
        )
    except (KeyFileError, DecodeError, KeyError, TypeError, ValueError) as inner:
        raise WalletCorrupted("the wallet store's header is damaged") from inner
    if hmac.compare_digest(derived_check(DerivedKey(kdf, salt, bytes(raw))), check):
        raise WalletCorrupted("the wallet store's encrypted content is damaged") from exc
    raise WrongPassphrase("wrong passphrase") from exc
