"""The store's pending journal: pending check-ins and check-outs written on the hot path.

A check-in must be remembered before it leaves the phone (:mod:`wallet._pending`), but
re-encrypting and fsync'ing the whole store on every check-in would cost more than the
check-in itself. So each pending entry is appended to ``<store>.pending`` as one sealed
record, and the next full save of the store (any other change, opening the wallet, or
every :data:`MAX_RECORDS` entries) writes the entries into the store and deletes the
journal. The store's lock covers the journal too.

A record is ``length (2 bytes, big-endian) ‖ nonce (24) ‖ XChaCha20-Poly1305 ciphertext``
of the entry's CBOR (:class:`~wallet._pending.PendingCheckIn` or
:class:`~wallet._pending.PendingCheckOut` in a ``[kind, entry]`` array), under a key
derived from the store's key (HMAC-SHA256 with ``anshim/wallet/v1/pending``) with the
record's kind label as associated data. Appends are not fsync'd: a record survives the app
being killed, and a power cut may lose the last records. Reading stops at the first record
that is short or does not open (a torn tail, or records under a key the passphrase has
since replaced, whose entries the store already holds). A lost pending entry can only
make the wallet refuse the receipt of that check-in, never accept another one, and the
store itself is never at risk: it is only ever replaced atomically.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import nacl.bindings
import nacl.exceptions
import nacl.utils

from did import DerivedKey, cbor
from did.errors import DecodeError
from wallet._pending import PendingCheckIn, PendingCheckOut
from wallet.errors import WalletCorrupted

__all__ = ["MAX_RECORDS", "SUFFIX", "append", "discard", "journal_path", "read"]

#: Journal file name suffix (beside the store file).
SUFFIX = ".pending"
#: Records appended before the journal is folded into the store.
MAX_RECORDS = 32
_LABEL = b"anshim/wallet/v1/pending"
_NONCE = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
_MAX_RECORD = 1024
_MAX_BYTES = 4 * MAX_RECORDS * (2 + _MAX_RECORD)
_CHECKIN, _CHECKOUT = 0, 1


def journal_path(store: str | os.PathLike[str]) -> Path:
    """The journal beside ``store``."""
    path = Path(store)
    return path.with_name(path.name + SUFFIX)


def _key(key: DerivedKey) -> bytes:
    return hmac.new(key.key, _LABEL, hashlib.sha256).digest()


def append(
    store: str | os.PathLike[str], key: DerivedKey, entry: PendingCheckIn | PendingCheckOut
) -> None:
    """Append one sealed record of ``entry`` (one ``write``, no fsync: module docstring).

    Raises:
        OSError: the journal cannot be written.
    """
    kind = _CHECKIN if isinstance(entry, PendingCheckIn) else _CHECKOUT
    nonce = nacl.utils.random(_NONCE)
    sealed = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        cbor.encode([kind, entry.to_list()]), _LABEL + bytes((kind,)), nonce, _key(key)
    )
    record = nonce + sealed
    fd = os.open(journal_path(store), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, len(record).to_bytes(2, "big") + record)
    finally:
        os.close(fd)


def _open(record: bytes, key: bytes) -> PendingCheckIn | PendingCheckOut | None:
    nonce, sealed = record[:_NONCE], record[_NONCE:]
    for kind in (_CHECKIN, _CHECKOUT):
        try:
            plain = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
                sealed, _LABEL + bytes((kind,)), nonce, key
            )
        except nacl.exceptions.CryptoError:
            continue
        try:
            item = cbor.decode(plain, max_size=_MAX_RECORD, max_depth=2)
        except DecodeError:
            return None
        if type(item) is not list or len(item) != 2 or item[0] != kind:
            return None
        try:
            if kind == _CHECKIN:
                return PendingCheckIn.from_list(item[1])
            return PendingCheckOut.from_list(item[1])
        except WalletCorrupted:
            return None
    return None


def read(store: str | os.PathLike[str], key: DerivedKey) -> list[PendingCheckIn | PendingCheckOut]:
    """The entries of the journal, in the order written, up to the first record that is
    short or does not open under ``key`` (module docstring); none if there is no journal.

    Raises:
        OSError: the journal exists but cannot be read.
    """
    try:
        with journal_path(store).open("rb") as fh:
            data = fh.read(_MAX_BYTES)
    except FileNotFoundError:
        return []
    sealing_key = _key(key)
    entries: list[PendingCheckIn | PendingCheckOut] = []
    offset = 0
    while offset + 2 <= len(data):
        n = int.from_bytes(data[offset : offset + 2], "big")
        record = data[offset + 2 : offset + 2 + n]
        if n > _MAX_RECORD or len(record) != n:
            break
        entry = _open(record, sealing_key)
        if entry is None:
            break
        entries.append(entry)
        offset += 2 + n
    return entries


def discard(store: str | os.PathLike[str]) -> None:
    """Delete the journal (its entries are in the store now).

    Raises:
        OSError: it exists but cannot be removed.
    """
    journal_path(store).unlink(missing_ok=True)
