"""The wallet's one encrypted store file.

The file is a :mod:`did.keyfile` envelope of kind ``anshim-wallet`` (Argon2id +
XChaCha20-Poly1305, the whole header authenticated) whose secret is the deterministic CBOR
map of :class:`State`. Writes go through :func:`did.keyfile.atomic_write` (temporary file,
fsync, ``os.replace``, fsync of the directory), so a process killed mid-write leaves the old
store or the new one, never a torn one.

Argon2id runs on create, open and passphrase change only: the derived key stays in memory
(:class:`did.keyfile.DerivedKey`) and every save re-encrypts under a fresh random nonce.

A wrong passphrase and a damaged ciphertext both fail the AEAD. To tell them apart, the
authenticated public header carries a 16-byte passphrase check, HMAC-SHA256(key,
``anshim/wallet/v1/check``): when decryption fails, the key is derived again and the check
decides (a second Argon2id, on the failure path only). The check lets nobody test a
passphrase faster than the AEAD tag already does.

Reading and writing share one set of caps (:data:`MAX_STATE_BYTES`, :data:`MAX_DIARY`):
:func:`write_store` refuses with :class:`~wallet.errors.StoreFull` a state that
:func:`read_store` would refuse, so a save can never leave a store that does not open.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nacl.pwhash.argon2id as _argon2id

from did import cbor
from did._multibase import b64url_decode, b64url_encode
from did.errors import DecodeError, KeyFileError
from did.keyfile import (
    MAX_FILE_BYTES,
    DerivedKey,
    KdfParams,
    atomic_write,
    encrypt_with_key,
    open_secret,
    read_public,
)
from wallet.errors import StoreFull, WalletCorrupted, WrongPassphrase

__all__ = [
    "KIND",
    "MAX_DIARY",
    "MAX_STATE_BYTES",
    "State",
    "derived_check",
    "read_store",
    "write_store",
]

KIND = "anshim-wallet"
_STATE_VERSION = 1
_CHECK_LABEL = b"anshim/wallet/v1/check"
#: The largest encoded state: what :func:`did.keyfile.encrypt_with_key` encrypts (256 KiB).
MAX_STATE_BYTES = 256 * 1024
#: The most receipts a diary holds (receipts are at most 300 bytes: 870 or more fit the bytes).
MAX_DIARY = 4096
_KEYS = frozenset(
    (
        "v",
        "secret",
        "holder",
        "registry",
        "custodians",
        "directory",
        "credential",
        "diary",
        "retention_days",
    )
)


@dataclass(slots=True, repr=False)
class State:
    """Everything the wallet keeps (never printed: it holds the wallet's secrets)."""

    secret: bytes
    holder_seed: bytes
    registry_key: bytes
    custodians: tuple[str, ...] | None
    directory: bytes | None = None
    credential: bytes | None = None
    diary: list[bytes] = field(default_factory=list)
    retention_days: int = 28

    def __repr__(self) -> str:
        return f"State(<secret>, {len(self.diary)} receipts)"

    def to_cbor(self) -> bytes:
        """The deterministic CBOR map (RFC 8949 section 4.2.1) that is encrypted."""
        return cbor.encode(
            {
                "v": _STATE_VERSION,
                "secret": self.secret,
                "holder": self.holder_seed,
                "registry": self.registry_key,
                "custodians": None if self.custodians is None else list(self.custodians),
                "directory": self.directory,
                "credential": self.credential,
                "diary": list(self.diary),
                "retention_days": self.retention_days,
            }
        )

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
        custodians = m["custodians"]
        if custodians is not None and (
            type(custodians) is not list or not all(type(c) is str for c in custodians)
        ):
            raise WalletCorrupted("wallet state custodians have the wrong form")
        for name in ("directory", "credential"):
            if m[name] is not None and type(m[name]) is not bytes:
                raise WalletCorrupted(f"wallet state {name} has the wrong form")
        diary = m["diary"]
        if type(diary) is not list or len(diary) > MAX_DIARY:
            raise WalletCorrupted("wallet diary has the wrong form")
        if not all(type(item) is bytes for item in diary):
            raise WalletCorrupted("wallet diary entries must be bytes")
        days = m["retention_days"]
        if type(days) is not int or not 1 <= days <= 366:
            raise WalletCorrupted("wallet retention has the wrong form")
        return cls(
            secret=m["secret"],
            holder_seed=m["holder"],
            registry_key=m["registry"],
            custodians=None if custodians is None else tuple(custodians),
            directory=m["directory"],
            credential=m["credential"],
            diary=list(diary),
            retention_days=days,
        )


def derived_check(key: DerivedKey) -> str:
    """The passphrase check value stored in the public header (module docstring)."""
    mac = hmac.new(key.key, _CHECK_LABEL, hashlib.sha256).digest()[:16]
    return b64url_encode(mac)


def write_store(path: str | os.PathLike[str], state: State, key: DerivedKey) -> None:
    """Encrypt ``state`` under ``key`` (fresh nonce) and replace the file atomically.

    Raises:
        StoreFull: the state exceeds :data:`MAX_DIARY` or :data:`MAX_STATE_BYTES`, the caps
            :func:`read_store` applies; nothing is written.
        OSError: the file cannot be written; the old file is then untouched.
    """
    if len(state.diary) > MAX_DIARY:
        raise StoreFull(f"a wallet diary holds at most {MAX_DIARY} receipts")
    plaintext = state.to_cbor()
    if len(plaintext) > MAX_STATE_BYTES:
        raise StoreFull(f"a wallet store holds at most {MAX_STATE_BYTES} bytes")
    public = {"wallet": _STATE_VERSION, "check": derived_check(key)}
    blob = encrypt_with_key(plaintext, key, kind=KIND, public=public)
    atomic_write(path, blob)


def _header_kdf(blob: bytes) -> tuple[KdfParams, bytes]:
    # The envelope already parsed in read_public; only its KDF fields are needed here.
    obj: Any = json.loads(blob)
    kdf = obj["kdf"]
    return KdfParams(kdf["opslimit"], kdf["memlimit"]), b64url_decode(kdf["salt"])


def read_store(path: str | os.PathLike[str], passphrase: str | bytes) -> tuple[State, DerivedKey]:
    """Open the store: decrypt it and decode the state.

    Raises:
        WrongPassphrase: the passphrase does not open the store.
        WalletCorrupted: the file is not a wallet store or is damaged.
        OSError: the file cannot be read (FileNotFoundError if it does not exist).
    """
    target = Path(path)
    with target.open("rb") as fh:
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
    return State.from_cbor(plaintext), key


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
