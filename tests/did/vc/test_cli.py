"""anshim vc / vp / status: issue, verify (exit 0/1/2 with a JSON verdict), presentations,
status lists — run in-process through the real argument parser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from did import KDF_TEST, Ed25519PrivateKey, did_from_public_key, save_private_key
from did.cli import main

PASS = "correct horse battery staple"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("ANSHIM_PASSPHRASE", PASS)
    issuer = Ed25519PrivateKey.from_seed(b"c" * 32)
    holder = Ed25519PrivateKey.from_seed(b"d" * 32)
    save_private_key(tmp_path / "issuer.key", issuer, PASS, kdf=KDF_TEST)
    save_private_key(tmp_path / "holder.key", holder, PASS, kdf=KDF_TEST)
    holder_did = did_from_public_key(holder.public_key)
    cred = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "VenueCredential"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": holder_did, "name": "Cafe"},
    }
    (tmp_path / "cred.json").write_text(json.dumps(cred))
    return {
        "dir": tmp_path,
        "issuer": did_from_public_key(issuer.public_key),
        "holder": holder_did,
    }


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_issue_and_verify_jcs(env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    d = env["dir"]
    # Signed before validFrom, so that --now 2024 below reaches the validity check.
    code, out = _run(
        capsys,
        "vc",
        "issue",
        "--key",
        str(d / "issuer.key"),
        "--now",
        "2024-01-01T00:00:00Z",
        str(d / "cred.json"),
    )
    assert code == 0
    signed = json.loads(out)
    assert signed["proof"]["created"] == "2024-01-01T00:00:00Z"
    assert signed["issuer"] == env["issuer"]
    assert signed["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    (d / "signed.json").write_text(out)
    code, out = _run(
        capsys, "vc", "verify", str(d / "signed.json"), "--now", "2025-06-01T00:00:00Z"
    )
    assert code == 0
    assert json.loads(out)["verified"] is True
    # Tampered: exit 1 with the error code.
    signed["credentialSubject"]["name"] = "Evil"
    (d / "bad.json").write_text(json.dumps(signed))
    code, out = _run(capsys, "vc", "verify", str(d / "bad.json"))
    assert code == 1
    assert json.loads(out)["error"] == "invalidProofSignature"
    # Not yet valid at --now.
    code, out = _run(
        capsys, "vc", "verify", str(d / "signed.json"), "--now", "2024-01-01T00:00:00Z"
    )
    assert code == 1
    assert json.loads(out)["error"] == "notYetValid"
    # Untrusted issuer.
    code, out = _run(
        capsys, "vc", "verify", str(d / "signed.json"), "--trust", "did:key:zX=VenueCredential"
    )
    assert code == 1
    assert json.loads(out)["error"] == "untrustedIssuer"


def test_verify_unusable_input_exits_2(
    env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    d = env["dir"]
    (d / "junk.json").write_text("{not json")
    code, out = _run(capsys, "vc", "verify", str(d / "junk.json"))
    assert code == 2
    assert json.loads(out)["verified"] is False


def test_issue_jwt_and_verify(env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    d = env["dir"]
    code, out = _run(
        capsys,
        "vc",
        "issue",
        "--key",
        str(d / "issuer.key"),
        "--format",
        "jwt",
        str(d / "cred.json"),
    )
    assert code == 0
    token = out.strip()
    assert token.count(".") == 2
    (d / "vc.jwt").write_text(token)
    code, out = _run(capsys, "vc", "verify", str(d / "vc.jwt"), "--now", "2025-06-01T00:00:00Z")
    assert code == 0, out
    assert json.loads(out)["format"] == "vc-jwt"


def test_wrong_passphrase_is_unusable(
    env: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANSHIM_PASSPHRASE", "hunter2-not-it")
    d = env["dir"]
    assert main(["vc", "issue", "--key", str(d / "issuer.key"), str(d / "cred.json")]) == 2
    err = capsys.readouterr().err
    assert "hunter2-not-it" not in err
    assert "invalidKeyFile" in err
    assert PASS not in err


def test_presentation_round_trip(env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    d = env["dir"]
    _, out = _run(capsys, "vc", "issue", "--key", str(d / "issuer.key"), str(d / "cred.json"))
    (d / "signed.json").write_text(out)
    code, out = _run(
        capsys,
        "vp",
        "create",
        "--key",
        str(d / "holder.key"),
        "--challenge",
        "n1",
        "--domain",
        "venue",
        str(d / "signed.json"),
    )
    assert code == 0
    (d / "vp.json").write_text(out)
    code, out = _run(
        capsys, "vp", "verify", str(d / "vp.json"), "--challenge", "n1", "--domain", "venue"
    )
    assert code == 0
    assert json.loads(out)["holder"] == env["holder"]
    code, out = _run(capsys, "vp", "verify", str(d / "vp.json"), "--challenge", "n2")
    assert code == 1
    assert json.loads(out)["error"] == "invalidChallenge"


def test_status_create_revoke_check(
    env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    d = env["dir"]
    url = "https://registry.example/status/1"
    code, _ = _run(
        capsys,
        "status",
        "create",
        "--key",
        str(d / "issuer.key"),
        "--url",
        url,
        "--out",
        str(d / "list.json"),
    )
    assert code == 0
    cred = json.loads((d / "cred.json").read_text())
    cred["credentialStatus"] = {
        "id": url + "#4242",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "4242",
        "statusListCredential": url,
    }
    (d / "cred.json").write_text(json.dumps(cred))
    _, out = _run(capsys, "vc", "issue", "--key", str(d / "issuer.key"), str(d / "cred.json"))
    (d / "signed.json").write_text(out)
    status_arg = f"{url}={d / 'list.json'}"
    code, out = _run(capsys, "status", "check", str(d / "signed.json"), "--status-list", status_arg)
    assert code == 0
    assert json.loads(out)["status"] == "valid"
    # Without the list, verification fails closed.
    code, out = _run(capsys, "vc", "verify", str(d / "signed.json"))
    assert code == 1
    assert json.loads(out)["error"] == "statusCheckFailed"
    code, _ = _run(
        capsys,
        "status",
        "revoke",
        "--key",
        str(d / "issuer.key"),
        "--list",
        str(d / "list.json"),
        "--index",
        "4242",
    )
    assert code == 0
    code, out = _run(capsys, "status", "check", str(d / "signed.json"), "--status-list", status_arg)
    assert code == 1
    assert json.loads(out)["status"] == "revokedCredential"
    code, out = _run(capsys, "vc", "verify", str(d / "signed.json"), "--status-list", status_arg)
    assert code == 1
    assert json.loads(out)["error"] == "revokedCredential"
