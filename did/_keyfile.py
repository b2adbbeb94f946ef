"""Secrets at rest: passphrase-encrypted envelopes and private-key files.

Quick start::

    from did._keyfile import KDF_MODERATE, encrypt_secret, decrypt_secret
    blob = encrypt_secret(secret, "correct horse", kind="escrow-share", public={"epoch": 7})
    decrypt_secret(blob, "correct horse", kind="escrow-share")   # raises KeyFileError

    from did._keyfile import save_private_key, load_private_key
    save_private_key("venue.key", sk, passphrase)
    sk = load_private_key("venue.key", passphrase)

The envelope is versioned JSON: Argon2id (libsodium ``crypto_pwhash``, random 16-byte
salt) derives a 32-byte key for XChaCha20-Poly1305-IETF (random 24-byte nonce). The
associated data is the RFC 8785 canonical form of the whole header (version, kind, KDF
parameters, salt, nonce, public metadata), so no header field can be altered without the
decryption failing. KDF parameters read from a file are bounded, so a hostile file cannot
make us burn unbounded memory or time.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.bindings as _nb
import nacl.exceptions
import nacl.pwhash.argon2id as _argon2id
import nacl.utils
import rfc8785

from did._docjson import check_bounds, load_json_object
from did._keys import Ed25519PrivateKey
from did._multibase import MAX_MULTIBASE_CHARS, b64url_decode, b64url_encode
from did.errors import DecodeError, InvalidKey, KeyFileError

__all__ = [
    "ED25519_KEY_KIND",
    "KDF_INTERACTIVE",
    "KDF_MODERATE",
    "KDF_SENSITIVE",
    "KDF_TEST",
    "MAX_FILE_BYTES",
    "DerivedKey",
    "KdfParams",
    "atomic_write",
    "decrypt_secret",
    "derive_key",
    "encrypt_secret",
    "encrypt_with_key",
    "load_private_key",
    "open_secret",
    "read_public",
    "save_plaintext_key_unsafe",
    "save_private_key",
]

_log = logging.getLogger(__name__)

VERSION = 1
ED25519_KEY_KIND = "ed25519-private-key"
MAX_FILE_BYTES = 1024 * 1024
_MAX_SECRET_BYTES = 256 * 1024
_SALT_LEN = _argon2id.SALTBYTES  # 16
_NONCE_LEN = _nb.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
_TAG_LEN = _nb.crypto_aead_xchacha20poly1305_ietf_ABYTES  # 16
# The longest ciphertext field encrypt_with_key writes (the largest secret plus its tag, in
# unpadded base64url): reading must accept every file that writing produces.
_MAX_CIPHERTEXT_CHARS = -(-(_MAX_SECRET_BYTES + _TAG_LEN) * 4 // 3)
_KEY_LEN = _nb.crypto_aead_xchacha20poly1305_ietf_KEYBYTES  # 32
# Upper bounds on parameters read from a file: libsodium's "sensitive" profile (1 GiB,
# 4 passes) is the most we ever write; a file asking for more is refused unread.
_MAX_OPSLIMIT = 16
_MAX_MEMLIMIT = _argon2id.MEMLIMIT_SENSITIVE
_HEADER_KEYS = frozenset(("anshim-keyfile", "kind", "kdf", "cipher", "public", "ciphertext"))


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id cost parameters (libsodium ``opslimit`` passes, ``memlimit`` bytes).

    Raises:
        KeyFileError: from the constructor if a limit is below libsodium's minimum or above
            our bounds (16 passes, 1 GiB).
    """

    opslimit: int
    memlimit: int

    def __post_init__(self) -> None:
        ops, mem = self.opslimit, self.memlimit
        if type(ops) is not int or not _argon2id.OPSLIMIT_MIN <= ops <= _MAX_OPSLIMIT:
            raise KeyFileError("Argon2id opslimit out of bounds")
        if type(mem) is not int or not _argon2id.MEMLIMIT_MIN <= mem <= _MAX_MEMLIMIT:
            raise KeyFileError("Argon2id memlimit out of bounds")


KDF_INTERACTIVE = KdfParams(_argon2id.OPSLIMIT_INTERACTIVE, _argon2id.MEMLIMIT_INTERACTIVE)
KDF_MODERATE = KdfParams(_argon2id.OPSLIMIT_MODERATE, _argon2id.MEMLIMIT_MODERATE)
KDF_SENSITIVE = KdfParams(_argon2id.OPSLIMIT_SENSITIVE, _argon2id.MEMLIMIT_SENSITIVE)
#: libsodium's minimum limits. FOR TESTS ONLY: offers no protection against guessing.
KDF_TEST = KdfParams(_argon2id.OPSLIMIT_MIN, _argon2id.MEMLIMIT_MIN)


def _passphrase_bytes(passphrase: str | bytes) -> bytes:
    if isinstance(passphrase, str):
        data = passphrase.encode("utf-8")
    elif isinstance(passphrase, bytes | bytearray):
        data = bytes(passphrase)
    else:
        raise KeyFileError("passphrase must be str or bytes")
    if not data:
        raise KeyFileError("passphrase must not be empty")
    return data


def _derive(passphrase: str | bytes, salt: bytes, kdf: KdfParams) -> bytes:
    return bytes(
        _argon2id.kdf(
            _KEY_LEN,
            _passphrase_bytes(passphrase),
            salt,
            opslimit=kdf.opslimit,
            memlimit=kdf.memlimit,
        )
    )


def _associated_data(header: dict[str, Any]) -> bytes:
    # RFC 8785 canonical JSON: one byte string for one header, whatever the file's layout.
    # A hostile header can hold values JCS cannot encode (integers beyond 2**53 - 1, RFC 8785
    # section 3.2.2.3): that is a bad file, not a crash.
    try:
        return bytes(rfc8785.dumps(header))
    except rfc8785.CanonicalizationError as exc:
        raise KeyFileError("key file header holds a value outside the JSON number range") from exc


@dataclass(frozen=True, slots=True, eq=False)
class DerivedKey:
    """An Argon2id-derived key with its salt and parameters, so one secret can be
    re-encrypted many times (each time under a fresh nonce) without re-running Argon2id.

    Build with :func:`derive_key` or :func:`open_secret`. The key never appears in ``repr``.
    """

    kdf: KdfParams
    salt: bytes
    key: bytes

    def __repr__(self) -> str:
        return f"DerivedKey(kdf={self.kdf!r})"


def derive_key(passphrase: str | bytes, *, kdf: KdfParams = KDF_MODERATE) -> DerivedKey:
    """Run Argon2id once over ``passphrase`` with a fresh random salt.

    Raises:
        KeyFileError: on an empty passphrase or a ``kdf`` that is not a :class:`KdfParams`.
    """
    if not isinstance(kdf, KdfParams):
        raise KeyFileError("kdf must be a KdfParams")
    salt = nacl.utils.random(_SALT_LEN)
    return DerivedKey(kdf, salt, _derive(passphrase, salt, kdf))


def encrypt_secret(
    plaintext: bytes,
    passphrase: str | bytes,
    *,
    kind: str,
    kdf: KdfParams = KDF_MODERATE,
    public: dict[str, Any] | None = None,
) -> bytes:
    """Encrypt ``plaintext`` under ``passphrase`` into a versioned JSON envelope.

    ``kind`` names what the secret is (checked on decryption); ``public`` is metadata
    stored in clear but authenticated (readable with :func:`read_public`).

    Raises:
        KeyFileError: on an empty passphrase, a bad ``kind``, an oversized secret, or
            ``public`` metadata that is not a small JSON object.
    """
    _check_secret_args(plaintext, kind, public)
    return encrypt_with_key(plaintext, derive_key(passphrase, kdf=kdf), kind=kind, public=public)


def _check_secret_args(plaintext: object, kind: object, public: object) -> None:
    if not isinstance(plaintext, bytes | bytearray) or len(plaintext) > _MAX_SECRET_BYTES:
        raise KeyFileError("secret must be bytes of at most 256 KiB")
    if not isinstance(kind, str) or not kind or len(kind) > 64:
        raise KeyFileError("kind must be a non-empty string of at most 64 characters")
    try:
        check_bounds({} if public is None else public, max_depth=8, max_bytes=64 * 1024)
    except DecodeError as exc:
        raise KeyFileError(f"public metadata: {exc.message}") from exc
    if public is not None and not isinstance(public, dict):
        raise KeyFileError("public metadata must be a JSON object")


def encrypt_with_key(
    plaintext: bytes,
    key: DerivedKey,
    *,
    kind: str,
    public: dict[str, Any] | None = None,
) -> bytes:
    """:func:`encrypt_secret` with an already derived key (same envelope, a fresh nonce).

    Raises:
        KeyFileError: as :func:`encrypt_secret`, or ``key`` is not a :class:`DerivedKey`.
    """
    _check_secret_args(plaintext, kind, public)
    if not isinstance(key, DerivedKey):
        raise KeyFileError("key must be a DerivedKey")
    nonce = nacl.utils.random(_NONCE_LEN)
    header: dict[str, Any] = {
        "anshim-keyfile": VERSION,
        "kind": kind,
        "kdf": {
            "alg": "argon2id",
            "opslimit": key.kdf.opslimit,
            "memlimit": key.kdf.memlimit,
            "salt": b64url_encode(key.salt),
        },
        "cipher": {"alg": "xchacha20poly1305-ietf", "nonce": b64url_encode(nonce)},
        "public": {} if public is None else public,
    }
    ciphertext = _nb.crypto_aead_xchacha20poly1305_ietf_encrypt(
        bytes(plaintext), _associated_data(header), nonce, key.key
    )
    envelope = {**header, "ciphertext": b64url_encode(ciphertext)}
    return bytes(rfc8785.dumps(envelope)) + b"\n"


def _parse_envelope(blob: bytes) -> dict[str, Any]:
    if not isinstance(blob, bytes | bytearray):
        raise KeyFileError("key file must be bytes")
    try:
        obj = load_json_object(blob, max_bytes=MAX_FILE_BYTES)
    except DecodeError as exc:
        raise KeyFileError(f"key file is not valid JSON: {exc.message}") from exc
    if obj.get("anshim-keyfile") != VERSION or type(obj.get("anshim-keyfile")) is not int:
        raise KeyFileError("not an anshim key file of a supported version")
    return obj


def _b64field(
    value: object, length: int | None, what: str, *, max_chars: int = 4 * MAX_MULTIBASE_CHARS
) -> bytes:
    if not isinstance(value, str):
        raise KeyFileError(f"{what} must be a base64url string")
    try:
        data = b64url_decode(value, max_chars=max_chars)
    except DecodeError as exc:
        raise KeyFileError(f"{what} is not base64url") from exc
    if length is not None and len(data) != length:
        raise KeyFileError(f"{what} must be {length} bytes")
    return data


def read_public(blob: bytes) -> dict[str, Any]:
    """The public metadata of an envelope, without the passphrase (not authenticated
    until :func:`decrypt_secret` succeeds).

    Raises:
        KeyFileError: if ``blob`` is not an anshim envelope.
    """
    obj = _parse_envelope(blob)
    public = obj.get("public")
    if not isinstance(public, dict):
        raise KeyFileError("key file public metadata must be an object")
    return dict(public)


def decrypt_secret(blob: bytes, passphrase: str | bytes, *, kind: str | None = None) -> bytes:
    """Decrypt an envelope made by :func:`encrypt_secret`.

    Raises:
        KeyFileError: on a wrong passphrase or any tampering (the two are
            indistinguishable by design), a ``kind`` other than the one asked for, bad
            JSON, unknown fields or algorithms, or KDF parameters outside our bounds.
    """
    return open_secret(blob, passphrase, kind=kind)[0]


def open_secret(
    blob: bytes, passphrase: str | bytes, *, kind: str | None = None
) -> tuple[bytes, DerivedKey]:
    """:func:`decrypt_secret`, also returning the derived key for :func:`encrypt_with_key`.

    Raises:
        KeyFileError: on a wrong passphrase or any tampering (the two are
            indistinguishable by design), a ``kind`` other than the one asked for, bad
            JSON, unknown fields or algorithms, or KDF parameters outside our bounds.
    """
    obj = _parse_envelope(blob)
    if set(obj) != _HEADER_KEYS:
        raise KeyFileError("key file has missing or unknown fields")
    if kind is not None and obj["kind"] != kind:
        raise KeyFileError("key file holds a different kind of secret")
    kdf_obj, cipher = obj["kdf"], obj["cipher"]
    if not isinstance(kdf_obj, dict) or set(kdf_obj) != {"alg", "opslimit", "memlimit", "salt"}:
        raise KeyFileError("malformed kdf header")
    if kdf_obj["alg"] != "argon2id":
        raise KeyFileError("unsupported kdf")
    if not isinstance(cipher, dict) or cipher != {
        "alg": "xchacha20poly1305-ietf",
        "nonce": cipher.get("nonce"),
    }:
        raise KeyFileError("unsupported cipher")
    if not isinstance(obj["kind"], str) or not isinstance(obj["public"], dict):
        raise KeyFileError("malformed key file header")
    kdf = KdfParams(kdf_obj["opslimit"], kdf_obj["memlimit"])  # bounded before any work
    salt = _b64field(kdf_obj["salt"], _SALT_LEN, "salt")
    nonce = _b64field(cipher["nonce"], _NONCE_LEN, "nonce")
    ciphertext = _b64field(obj["ciphertext"], None, "ciphertext", max_chars=_MAX_CIPHERTEXT_CHARS)
    if len(ciphertext) < _TAG_LEN:
        raise KeyFileError("ciphertext is too short")
    header = {k: v for k, v in obj.items() if k != "ciphertext"}
    key = _derive(passphrase, salt, kdf)
    try:
        plaintext = bytes(
            _nb.crypto_aead_xchacha20poly1305_ietf_decrypt(
                ciphertext, _associated_data(header), nonce, key
            )
        )
    except nacl.exceptions.CryptoError as exc:
        raise KeyFileError("wrong passphrase or damaged key file") from exc
    return plaintext, DerivedKey(kdf, salt, key)


def atomic_write(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same directory
    (created with ``mode``), fsync, ``os.replace``, then fsync of the directory.

    Raises:
        OSError: if the directory is not writable or the disk is full; the old file, if
            any, is then left untouched.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _key_public(key: Ed25519PrivateKey) -> dict[str, str]:
    mk = key.public_key.to_multikey()
    return {"did": f"did:key:{mk}", "publicKeyMultibase": mk}


def save_private_key(
    path: str | os.PathLike[str],
    key: Ed25519PrivateKey,
    passphrase: str | bytes,
    *,
    kdf: KdfParams = KDF_MODERATE,
) -> None:
    """Encrypt an Ed25519 private key to ``path`` (mode 0600, written atomically).

    The public DID and Multikey are stored as authenticated public metadata.

    Raises:
        KeyFileError: on an empty passphrase or a key of another type.
        OSError: if the file cannot be written.
    """
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError("only Ed25519 private keys are saved by this function")
    blob = encrypt_secret(
        key.seed(), passphrase, kind=ED25519_KEY_KIND, kdf=kdf, public=_key_public(key)
    )
    atomic_write(path, blob)


def save_plaintext_key_unsafe(path: str | os.PathLike[str], key: Ed25519PrivateKey) -> None:
    """Write an Ed25519 private key UNENCRYPTED (tests and throw-away demos only).

    Logs a warning. :func:`load_private_key` reads it only with
    ``unsafe_allow_plaintext=True``.

    Raises:
        KeyFileError: for a key of another type.
        OSError: if the file cannot be written.
    """
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError("only Ed25519 private keys are saved by this function")
    _log.warning("writing an UNENCRYPTED private key file; use only for tests")
    doc: dict[str, Any] = {
        "anshim-keyfile": VERSION,
        "kind": ED25519_KEY_KIND,
        "unsafe-plaintext": True,
        "public": _key_public(key),
        "secretKeyMultibase": key.to_multikey(),
    }
    atomic_write(path, bytes(rfc8785.dumps(doc)) + b"\n")


def _read_file(path: str | os.PathLike[str]) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise KeyFileError("key file is too large")
    return data


def load_private_key(
    path: str | os.PathLike[str],
    passphrase: str | bytes | None,
    *,
    unsafe_allow_plaintext: bool = False,
) -> Ed25519PrivateKey:
    """Load an Ed25519 private key saved by :func:`save_private_key` (or, with
    ``unsafe_allow_plaintext=True``, by :func:`save_plaintext_key_unsafe`).

    The stored public metadata must match the decrypted key.

    Raises:
        KeyFileError: on a wrong passphrase, tampering, another kind of file, a plaintext
            file without ``unsafe_allow_plaintext``, or a missing passphrase.
        OSError: if the file cannot be read.
    """
    blob = _read_file(path)
    obj = _parse_envelope(blob)
    if obj.get("unsafe-plaintext") is True:
        if not unsafe_allow_plaintext:
            raise KeyFileError("key file is unencrypted; refusing without unsafe_allow_plaintext")
        _log.warning("loading an UNENCRYPTED private key file")
        if obj.get("kind") != ED25519_KEY_KIND:
            raise KeyFileError("key file holds a different kind of secret")
        secret = obj.get("secretKeyMultibase")
        if not isinstance(secret, str):
            raise KeyFileError("plaintext key file holds no secretKeyMultibase")
        try:
            key = Ed25519PrivateKey.from_multikey(secret)
        except InvalidKey as exc:
            raise KeyFileError("plaintext key file holds no valid Ed25519 key") from exc
    else:
        if passphrase is None:
            raise KeyFileError("key file is encrypted: a passphrase is required")
        seed = decrypt_secret(blob, passphrase, kind=ED25519_KEY_KIND)
        try:
            key = Ed25519PrivateKey.from_seed(seed)
        except InvalidKey as exc:
            raise KeyFileError("key file holds no valid Ed25519 key") from exc
    if obj.get("public") != _key_public(key):
        raise KeyFileError("key file public metadata does not match its key")
    return key
