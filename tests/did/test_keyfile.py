"""Encrypted key files: round trips, tamper detection on every header field, bounds."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

import base58
import pytest

from did import (
    KDF_MODERATE,
    KDF_SENSITIVE,
    KDF_TEST,
    Ed25519PrivateKey,
    KdfParams,
    X25519PrivateKey,
    atomic_write,
    b64url_encode,
    decrypt_secret,
    encrypt_secret,
    load_private_key,
    read_public,
    save_plaintext_key_unsafe,
    save_private_key,
)
from did.errors import KeyFileError

SECRET = bytes(range(32))
PASS = "correct horse battery staple"


def _blob(**kw: Any) -> bytes:
    return encrypt_secret(SECRET, PASS, kind="escrow-share", kdf=KDF_TEST, **kw)


def test_round_trip_and_public_metadata() -> None:
    blob = _blob(public={"epoch": 7, "custodian": "did:example:c1"})
    assert decrypt_secret(blob, PASS) == SECRET
    assert decrypt_secret(blob, PASS.encode(), kind="escrow-share") == SECRET
    assert read_public(blob) == {"epoch": 7, "custodian": "did:example:c1"}
    # Fresh salt and nonce each time: two encryptions never look alike.
    assert _blob() != _blob()


def test_wrong_passphrase_and_wrong_kind() -> None:
    blob = _blob()
    with pytest.raises(KeyFileError) as info:
        decrypt_secret(blob, PASS + "!")
    assert PASS not in str(info.value)
    with pytest.raises(KeyFileError):
        decrypt_secret(blob, PASS, kind="ed25519-private-key")
    with pytest.raises(KeyFileError):
        decrypt_secret(blob, "")


def _tampered(blob: bytes, path: list[str], value: Any) -> bytes:
    obj = json.loads(blob)
    target = obj
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["kind"], "wallet-seed"),  # header swap: authenticated, so decryption fails
        (["public", "epoch"], 8),
        (["public", "added"], True),
        (["kdf", "salt"], b64url_encode(bytes(16))),
        (["cipher", "nonce"], b64url_encode(bytes(24))),
        (["kdf", "opslimit"], 2),
        (["kdf", "memlimit"], 16384),
        (["ciphertext"], b64url_encode(bytes(48))),
    ],
)
def test_attack_header_or_ciphertext_tampering_is_detected(path: list[str], value: Any) -> None:
    blob = _blob(public={"epoch": 7})
    with pytest.raises(KeyFileError):
        decrypt_secret(_tampered(blob, path, value), PASS)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["kdf", "memlimit"], 100 * 1024**3),  # a hostile file asking for 100 GiB
        (["kdf", "opslimit"], 10**9),
        (["kdf", "opslimit"], 0),
        (["kdf", "memlimit"], "8192"),
        (["kdf", "opslimit"], True),
        (["kdf", "alg"], "scrypt"),
        (["cipher", "alg"], "aes-256-gcm"),
        (["anshim-keyfile"], 2),
        (["kdf", "salt"], b64url_encode(bytes(8))),
        (["cipher", "nonce"], "!!"),
        (["ciphertext"], ""),
        (["public"], []),
        (["extra"], 1),
    ],
)
def test_attack_absurd_or_unknown_headers_refused_before_kdf(path: list[str], value: Any) -> None:
    with pytest.raises(KeyFileError):
        decrypt_secret(_tampered(_blob(), path, value), PASS)


@pytest.mark.parametrize(
    "blob", [b"", b"not json", b"[]", b'{"anshim-keyfile": 1}', b"\xff" * 10, b"{" * 100000]
)
def test_garbage_is_key_file_error(blob: bytes) -> None:
    with pytest.raises(KeyFileError):
        decrypt_secret(blob, PASS)
    with pytest.raises(KeyFileError):
        read_public(blob)


def test_kdf_params_bounds_and_profiles() -> None:
    assert KDF_TEST.opslimit == 1
    assert KDF_TEST.memlimit == 8192
    assert KDF_MODERATE.memlimit == 256 * 1024**2
    assert KDF_SENSITIVE.memlimit == 1024**3
    for ops, mem in ((0, 8192), (1, 1024), (1, 2 * 1024**3), (17, 8192)):
        with pytest.raises(KeyFileError):
            KdfParams(ops, mem)


def test_encrypt_refuses_bad_arguments() -> None:
    with pytest.raises(KeyFileError):
        encrypt_secret(SECRET, "", kind="x", kdf=KDF_TEST)
    with pytest.raises(KeyFileError):
        encrypt_secret(SECRET, PASS, kind="", kdf=KDF_TEST)
    with pytest.raises(KeyFileError):
        encrypt_secret(SECRET, PASS, kind="x", kdf=KDF_TEST, public={"b": b"bytes"})
    with pytest.raises(KeyFileError):
        encrypt_secret("text", PASS, kind="x", kdf=KDF_TEST)  # type: ignore[arg-type]


def test_private_key_file_round_trip_and_permissions(tmp_path: Path) -> None:
    sk = Ed25519PrivateKey.generate()
    path = tmp_path / "venue.key"
    save_private_key(path, sk, PASS, kdf=KDF_TEST)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_private_key(path, PASS)
    assert loaded.public_key == sk.public_key
    assert read_public(path.read_bytes())["did"] == "did:key:" + sk.public_key.to_multikey()
    with pytest.raises(KeyFileError):
        load_private_key(path, "wrong")
    with pytest.raises(KeyFileError):
        load_private_key(path, None)
    assert [p.name for p in tmp_path.iterdir()] == ["venue.key"]  # no temp files left


def test_secret_never_in_file_repr_or_errors(tmp_path: Path) -> None:
    sk = Ed25519PrivateKey.from_seed(SECRET)
    path = tmp_path / "k.key"
    save_private_key(path, sk, PASS, kdf=KDF_TEST)
    data = path.read_bytes()
    encodings = [
        SECRET.hex(),
        b64url_encode(SECRET),
        base58.b58encode(SECRET).decode(),
        sk.to_multikey(),
        PASS,
    ]
    for enc in encodings:
        assert enc.encode() not in data
        assert enc not in repr(sk)
        assert enc not in str(sk)
    xsk = X25519PrivateKey.from_bytes(SECRET)
    assert xsk.to_bytes().hex() not in repr(xsk)
    assert b64url_encode(xsk.to_bytes()) not in str(xsk)
    with pytest.raises(KeyFileError) as info:
        load_private_key(path, PASS + "x")
    assert all(enc not in str(info.value) for enc in encodings)


def test_plaintext_key_needs_explicit_unsafe_opt_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sk = Ed25519PrivateKey.generate()
    path = tmp_path / "test.key"
    with caplog.at_level(logging.WARNING, logger="did._keyfile"):
        save_plaintext_key_unsafe(path, sk)
    assert "UNENCRYPTED" in caplog.text
    assert sk.to_multikey() not in caplog.text
    with pytest.raises(KeyFileError):
        load_private_key(path, None)
    assert load_private_key(path, None, unsafe_allow_plaintext=True).public_key == sk.public_key


def test_attack_swapped_public_metadata_in_plaintext_file(tmp_path: Path) -> None:
    sk, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    path = tmp_path / "test.key"
    save_plaintext_key_unsafe(path, sk)
    obj = json.loads(path.read_bytes())
    obj["public"]["did"] = "did:key:" + other.public_key.to_multikey()
    path.write_text(json.dumps(obj))
    with pytest.raises(KeyFileError):
        load_private_key(path, None, unsafe_allow_plaintext=True)


def test_load_refuses_other_kinds(tmp_path: Path) -> None:
    path = tmp_path / "share.bin"
    atomic_write(path, _blob())
    with pytest.raises(KeyFileError):
        load_private_key(path, PASS)
    path.write_bytes(b"x" * (2 * 1024 * 1024))
    with pytest.raises(KeyFileError):
        load_private_key(path, PASS)


def test_atomic_write_replaces_and_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    atomic_write(path, b"one")
    atomic_write(path, b"two", mode=0o640)
    assert path.read_bytes() == b"two"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "missing-dir" / "f", b"x")
    assert os.listdir(tmp_path) == ["f.json"]


def test_regression_header_integer_beyond_jcs_range_is_a_key_file_error() -> None:
    # Found by hypothesis: a header value JCS cannot encode (RFC 8785 section 3.2.2.3, an
    # integer beyond 2**53 - 1) escaped as rfc8785's IntegerDomainError.
    import json

    from did import KDF_TEST, decrypt_secret, encrypt_secret
    from did.errors import KeyFileError

    blob = json.loads(encrypt_secret(b"secret", "pw", kind="k", kdf=KDF_TEST, public={"n": 1}))
    blob["public"]["n"] = 2**53
    with pytest.raises(KeyFileError):
        decrypt_secret(json.dumps(blob).encode(), "pw")


def test_regression_every_secret_encrypt_accepts_decrypts_again() -> None:
    # The ciphertext field was decoded under the 16,384-character bound meant for keys, so a
    # secret over about 12 KiB was written but never read back (a wallet store with a few
    # dozen receipts stopped opening). Both ends of the range round-trip.
    for size in (12 * 1024, 256 * 1024):
        secret = os.urandom(size)
        blob = encrypt_secret(secret, PASS, kind="x", kdf=KDF_TEST)
        assert decrypt_secret(blob, PASS) == secret
    with pytest.raises(KeyFileError):
        encrypt_secret(bytes(256 * 1024 + 1), PASS, kind="x", kdf=KDF_TEST)
