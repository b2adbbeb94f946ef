"""A private key never appears in what the toolkit prints or logs (issue 2, item 1; DESIGN's
"secrets never in repr, logs or error messages"): every CLI command that loads a key runs
with all loggers at DEBUG, and neither stdout, stderr nor any log record holds the secret in
any encoding, nor the passphrase — on success, on a wrong passphrase, and on a malformed
private JWK."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import base58
import pytest

from did import KDF_TEST, Ed25519PrivateKey, X25519PrivateKey, b64url_encode, save_private_key
from did.cli import main
from did.errors import AnshimError

SEED = bytes(range(200, 232))
PASS = "a passphrase nobody should ever see"
KEY = Ed25519PrivateKey.from_seed(SEED)


def _forbidden() -> list[str]:
    x_secret = KEY.to_x25519().to_bytes()
    return [
        SEED.hex(),
        SEED.hex().upper(),
        b64url_encode(SEED),
        base58.b58encode(SEED).decode(),
        KEY.to_multikey(),
        x_secret.hex(),
        b64url_encode(x_secret),
        PASS,
    ]


def _assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in _forbidden():
            assert secret not in text


def test_no_cli_command_prints_or_logs_the_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    key = tmp_path / "issuer.key"
    save_private_key(key, KEY, PASS, kdf=KDF_TEST)
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:web:venue.example"},
    }
    (tmp_path / "cred.json").write_text(json.dumps(credential))
    k, c, s = str(key), str(tmp_path / "cred.json"), str(tmp_path / "list.json")
    runs = [
        ["key", "show", k],
        ["did", "create", "key", "--key", k],
        ["vc", "issue", "--key", k, c],
        ["vc", "issue", "--key", k, "--format", "jwt", c],
        ["vp", "create", "--key", k, "--challenge", "n", c],
        ["status", "create", "--key", k, "--url", "https://r.example/s/1", "--out", s],
    ]
    for passphrase, expected in ((PASS, 0), (PASS + "?", 2)):
        monkeypatch.setenv("ANSHIM_PASSPHRASE", passphrase)
        for argv in runs:
            code = main(argv)
            out, err = capsys.readouterr()
            if argv[:2] != ["key", "show"]:  # showing public metadata needs no passphrase
                assert code == expected, (argv, err)
            _assert_clean(out, err, caplog.text)
    assert "invalidKeyFile" in err  # the wrong passphrase was reported, without echoing it


@pytest.mark.parametrize("d", [b64url_encode(SEED[:31]), b64url_encode(SEED) + "A", SEED.hex()])
def test_malformed_private_jwk_error_does_not_echo_d(d: str) -> None:
    jwk = {**KEY.to_jwk(), "d": d}
    with pytest.raises(AnshimError) as info:
        Ed25519PrivateKey.from_jwk(jwk)
    assert d not in str(info.value)
    assert d not in repr(info.value)
    _assert_clean(str(info.value), repr(info.value))


def test_x25519_private_key_import_error_does_not_echo_bytes() -> None:
    bad = SEED[:31]
    with pytest.raises(AnshimError) as info:
        X25519PrivateKey.from_bytes(bad)
    assert bad.hex() not in str(info.value)
    assert repr(bad) not in str(info.value)
