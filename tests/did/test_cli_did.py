"""``anshim key`` and ``anshim did`` through did.cli.main, with exit codes and output."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

import did.cli
from did import load_private_key
from did.cli import main

PASS = "cli test passphrase"
ED_DID = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"


@pytest.fixture(autouse=True)
def _only_did_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    # Test this module's commands alone, whatever other role packages are installed.
    ep = EntryPoint(name="did", value="did._cli_did:register", group="anshim.cli")
    monkeypatch.setattr(did.cli, "entry_points", lambda group: [ep])
    monkeypatch.delenv("ANSHIM_PASSPHRASE", raising=False)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _generate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, dict[str, Any]]:
    pw = tmp_path / "pw.txt"
    pw.write_text(PASS + "\n")
    key = tmp_path / "k.key"
    code, out, err = _run(
        capsys, "key", "generate", "--out", str(key), "--kdf", "unsafe-test",
        "--passphrase-file", str(pw),
    )  # fmt: skip
    assert code == 0, err
    return key, json.loads(out)


def test_key_generate_prints_public_info_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, info = _generate(tmp_path, capsys)
    sk = load_private_key(key, PASS)
    assert info["did"] == "did:key:" + sk.public_key.to_multikey()
    assert info["publicKeyMultibase"] == sk.public_key.to_multikey()
    assert sk.to_multikey() not in json.dumps(info)
    assert sk.seed().hex() not in json.dumps(info)


def test_key_generate_from_environment_and_show(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANSHIM_PASSPHRASE", PASS)
    key = tmp_path / "env.key"
    code, out, _ = _run(capsys, "key", "generate", "--out", str(key), "--kdf", "unsafe-test")
    assert code == 0
    did = json.loads(out)["did"]
    code, out, _ = _run(capsys, "key", "show", str(key))
    shown = json.loads(out)
    assert code == 0
    assert shown["did"] == did
    assert shown["encrypted"] is True
    assert shown["kdf"] == {"alg": "argon2id", "opslimit": 1, "memlimit": 8192}


def test_key_generate_without_passphrase_source_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # stdin is not a terminal under pytest, so there is no prompt to fall back on.
    code, out, err = _run(capsys, "key", "generate", "--out", str(tmp_path / "k"))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "passphrase" in err


def test_unsafe_plaintext_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "plain.key"
    code, out, err = _run(capsys, "key", "generate", "--out", str(key), "--unsafe-plaintext")
    assert code == 0
    assert "NOT encrypted" in err
    did = json.loads(out)["did"]
    code, out, _ = _run(capsys, "key", "show", str(key))
    assert json.loads(out)["encrypted"] is False
    assert "secretKeyMultibase" not in out
    code, _, err = _run(capsys, "did", "create", "key", "--key", str(key))
    assert code == 2
    assert "unencrypted" in err
    code, out, _ = _run(capsys, "did", "create", "key", "--key", str(key), "--unsafe-plaintext")
    assert code == 0
    assert json.loads(out)["did"] == did


def test_did_create_key_from_file_and_multikey(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, info = _generate(tmp_path, capsys)
    pw = tmp_path / "pw.txt"
    code, out, _ = _run(
        capsys, "did", "create", "key", "--key", str(key), "--passphrase-file", str(pw),
        "--representation", "legacy",
    )  # fmt: skip
    result = json.loads(out)
    assert code == 0
    assert result["did"] == info["did"]
    assert result["didDocument"]["verificationMethod"][0]["type"] == "Ed25519VerificationKey2018"
    code, out, _ = _run(capsys, "did", "create", "key", "--public-key", info["publicKeyMultibase"])
    assert json.loads(out)["did"] == info["did"]
    code, _, err = _run(capsys, "did", "create", "key", "--public-key", "z6LSbad")
    assert code == 2
    assert "[invalidKey]" in err
    code, _, err = _run(capsys, "did", "create", "key")
    assert code == 2


def test_wrong_passphrase_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, _ = _generate(tmp_path, capsys)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("nope\n")
    code, out, err = _run(
        capsys, "did", "create", "key", "--key", str(key), "--passphrase-file", str(wrong)
    )
    assert code == 2
    assert out == ""
    assert err.strip().splitlines() == [err.strip()]
    assert "[invalidKeyFile]" in err


def test_did_create_web_writes_a_document_that_resolves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, info = _generate(tmp_path, capsys)
    out_file = tmp_path / "did.json"
    did = "did:web:registry.example:venues:v1"
    code, _, err = _run(
        capsys, "did", "create", "web", did, "--key", str(key),
        "--passphrase-file", str(tmp_path / "pw.txt"), "--out", str(out_file),
    )  # fmt: skip
    assert code == 0
    assert "https://registry.example/venues/v1/did.json" in err
    from did import InMemoryTransport, Resolver

    transport = InMemoryTransport(
        {"https://registry.example/venues/v1/did.json": out_file.read_bytes()}
    )
    vm = f"{did}#{info['publicKeyMultibase']}"
    assert (
        Resolver(transport=transport).verification_key(vm).to_multikey()
        == info["publicKeyMultibase"]
    )
    code, _, err = _run(
        capsys, "did", "create", "web", "did:web:10.0.0.1", "--key", str(key),
        "--passphrase-file", str(tmp_path / "pw.txt"),
    )  # fmt: skip
    assert code == 2
    assert "[invalidDid]" in err


def test_did_resolve_did_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "did", "resolve", ED_DID, "--representation", "jwk")
    result = json.loads(out)
    assert code == 0
    assert result["didDocument"]["id"] == ED_DID
    assert result["didResolutionMetadata"]["contentType"] == "application/did+ld+json"
    assert result["didDocument"]["verificationMethod"][0]["type"] == "JsonWebKey2020"


@pytest.mark.parametrize(
    ("did", "code_name"),
    [("did:key:zBAD", "invalidDid"), ("did:example:1", "methodNotSupported"), ("x", "invalidDid")],
)
def test_did_resolve_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], did: str, code_name: str
) -> None:
    code, out, err = _run(capsys, "did", "resolve", did)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert f"[{code_name}]" in err


def test_every_command_and_group_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["key"], ["did"], ["did", "create"],
    ):  # fmt: skip
        code, _, err = _run(capsys, *argv)
        assert code == 2
        assert "COMMAND" in err
    for argv in (
        ["key", "generate"], ["key", "show"], ["did", "create", "key"],
        ["did", "create", "web"], ["did", "resolve"],
    ):  # fmt: skip
        with pytest.raises(SystemExit) as info:
            main([*argv, "--help"])
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert "usage:" in out
        assert len(out.splitlines()) > 3


def test_key_generate_defaults_to_a_file_in_the_current_directory_and_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANSHIM_PASSPHRASE", PASS)
    code, out, _ = _run(capsys, "key", "generate", "--kdf", "unsafe-test")
    assert code == 0
    info = json.loads(out)
    written = tmp_path / info["file"]
    assert written.is_file()
    before = written.read_bytes()
    code, _, err = _run(capsys, "key", "generate", "--kdf", "unsafe-test")
    assert code == 2
    assert "already exists" in err
    assert written.read_bytes() == before
    assert load_private_key(written, PASS).public_key.to_multikey() == info["publicKeyMultibase"]
