"""anshim vc issue in every format issue 3 names (jcs, rdfc, ed25519-2020, jwt), each verified
by anshim vc verify (0 valid, 1 tampered), and unusable input to every vc/vp/status command:
exit 2 with one readable line, never a traceback. Run through did.cli.main, which loads the
command groups from the installed `anshim.cli` entry points."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from did import KDF_TEST, Ed25519PrivateKey, b64url_decode, b64url_encode, save_private_key
from did.cli import main

PASS = "correct horse battery staple"
NOW = "2025-06-01T00:00:00Z"
SIGNED_AT = "2025-05-01T00:00:00Z"
VC2 = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential", "VenueCredential"],
    "validFrom": "2025-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:web:venue.example", "name": "Cafe"},
}
# Ed25519Signature2020 is a VC 1.1 interop format (issue 3, item 3): its suite context is
# part of the document.
VC11 = {
    "@context": [
        "https://www.w3.org/2018/credentials/v1",
        "https://w3id.org/security/suites/ed25519-2020/v1",
    ],
    "type": ["VerifiableCredential"],
    "issuanceDate": "2025-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:web:venue.example"},
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANSHIM_PASSPHRASE", PASS)
    key = Ed25519PrivateKey.from_seed(b"f" * 32)
    save_private_key(tmp_path / "issuer.key", key, PASS, kdf=KDF_TEST)
    (tmp_path / "vc2.json").write_text(json.dumps(VC2))
    (tmp_path / "vc11.json").write_text(json.dumps(VC11))
    return tmp_path


def _tamper(secured: str) -> str:
    """The same credential with its subject changed (for a JWT: in the signed claims)."""
    if not secured.startswith("{"):
        header, payload, signature = secured.split(".")
        claims = json.loads(b64url_decode(payload))
        claims["vc"]["credentialSubject"]["id"] = "did:web:evil.example"
        claims["sub"] = "did:web:evil.example"
        return ".".join([header, b64url_encode(json.dumps(claims).encode()), signature])
    doc: dict[str, Any] = json.loads(secured)
    doc["credentialSubject"]["id"] = "did:web:evil.example"
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("fmt", "source", "reported"),
    [
        ("jcs", "vc2.json", "eddsa-jcs-2022"),
        ("rdfc", "vc2.json", "eddsa-rdfc-2022"),
        ("ed25519-2020", "vc11.json", "Ed25519Signature2020"),
        ("ed25519-2018", "vc11.json", "Ed25519Signature2018"),
        ("jwt", "vc2.json", "vc-jwt"),
    ],
)
def test_issue_in_every_format_verifies_and_tampering_exits_1(
    workdir: Path, capsys: pytest.CaptureFixture[str], fmt: str, source: str, reported: str
) -> None:
    if fmt in ("rdfc", "ed25519-2020", "ed25519-2018"):
        pytest.importorskip("pyld")
    key = str(workdir / "issuer.key")
    issue = ["vc", "issue", "--key", key, "--format", fmt, "--now", SIGNED_AT]
    assert main([*issue, str(workdir / source)]) == 0
    secured = capsys.readouterr().out.strip()
    (workdir / "secured").write_text(secured)
    assert main(["vc", "verify", str(workdir / "secured"), "--now", NOW]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["verified"] is True
    assert verdict["format"] == reported

    (workdir / "tampered").write_text(_tamper(secured))
    assert main(["vc", "verify", str(workdir / "tampered"), "--now", NOW]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["verified"] is False
    assert verdict["error"] == "invalidProofSignature"


def test_ed25519_2020_without_its_suite_context_is_unusable_input(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyld")
    key = str(workdir / "issuer.key")
    assert main(
        ["vc", "issue", "--key", key, "--format", "ed25519-2020", str(workdir / "vc2.json")]
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "ed25519-2020/v1" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["vc", "verify", "{dir}/missing.json"],
        ["vc", "verify", "{dir}/array.json"],
        ["vc", "verify", "{dir}/garbage.json"],
        ["vc", "issue", "--key", "{dir}/issuer.key", "{dir}/array.json"],
        ["vc", "issue", "--key", "{dir}/missing.key", "{dir}/vc2.json"],
        ["vc", "issue", "--key", "{dir}/garbage.json", "{dir}/vc2.json"],
        ["vp", "create", "--key", "{dir}/issuer.key", "--challenge", "c", "{dir}/garbage.json"],
        ["vp", "verify", "--challenge", "c", "{dir}/array.json"],
        ["status", "check", "{dir}/array.json", "--status-list", "https://x.example={dir}/a.json"],
        [
            "status",
            "revoke",
            "--key",
            "{dir}/issuer.key",
            "--list",
            "{dir}/array.json",
            "--index",
            "3",
        ],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_unusable_input_is_exit_2_with_one_line_and_no_traceback(
    workdir: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    (workdir / "array.json").write_text("[1, 2]")
    (workdir / "garbage.json").write_bytes(b"\xff\xfe{not json")
    code = main([a.format(dir=workdir) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in out + err
    assert PASS not in out + err
    if argv[1] == "verify" and out:  # a verify command's JSON verdict on stdout
        assert json.loads(out)["verified"] is False
    assert len(err.strip().splitlines()) <= 1
    assert out or err
