"""``anshim registry admin …`` against the real registry app served by uvicorn on loopback:
sign-in by DID authentication, venue approval and deactivation, an investigator's
credential that then signs its holder in, the query log, and one-line refusals."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

uvicorn = pytest.importorskip("uvicorn")

from did import KDF_TEST, Ed25519PrivateKey, did_from_public_key, save_private_key  # noqa: E402
from did.cli import main  # noqa: E402
from tests.registry.service.support import (  # noqa: E402
    Clock,
    Operator,
    Registry,
    make_registry,
    present,
    token,
)

PASS = "admin passphrase for tests"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Registry, str]]:
    # The CLI dates its presentations with the wall clock; the test takes seconds.
    reg = make_registry(tmp_path, clock=Clock(int(time.time())))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(reg.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    key_file = tmp_path / "admin.key"
    save_private_key(key_file, reg.admin_key, PASS, kdf=KDF_TEST)
    for name in ("ANSHIM_REGISTRY_TOKEN", "ANSHIM_REGISTRY_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANSHIM_PASSPHRASE", PASS)
    monkeypatch.setenv("ANSHIM_REGISTRY_ADMIN_KEY", str(key_file))
    try:
        yield reg, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        reg.store.close()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, (json.loads(out) if out.strip() else None), err


def _pending(reg: Registry) -> Operator:
    return reg.register(approve=False)


def test_an_administrator_approves_a_pending_venue_from_the_command_line(
    served: tuple[Registry, str], capsys: pytest.CaptureFixture[str]
) -> None:
    reg, url = served
    op = _pending(reg)
    status, listed, _ = _run(capsys, "registry", "admin", "venues", "--registry", url,
                             "--status", "pending")  # fmt: skip
    assert status == 0
    assert isinstance(listed, list)
    assert [v["id"] for v in listed] == [op.venue_id]
    status, approved, _ = _run(capsys, "registry", "admin", "approve", op.venue_id,
                               "--registry", url)  # fmt: skip
    assert status == 0
    assert isinstance(approved, list)
    assert approved[0]["status"] == "active"
    assert reg.client.get(f"/venues/{op.venue_id}/did.json").status_code == 200


def test_login_saves_a_private_token_that_later_commands_use(
    served: tuple[Registry, str], capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    _, url = served
    token_file = tmp_path / "admin.token"
    status, info, _ = _run(capsys, "registry", "admin", "login", "--registry", url,
                           "--out", str(token_file))  # fmt: skip
    assert status == 0
    assert isinstance(info, dict)
    assert info["role"] == "admin"
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    # Without a key the saved token is what signs the request in.
    monkeypatch.delenv("ANSHIM_REGISTRY_ADMIN_KEY")
    monkeypatch.setenv("ANSHIM_REGISTRY_URL", url)
    status, listed, _ = _run(capsys, "registry", "admin", "venues", "--token-file", str(token_file))
    assert (status, listed) == (0, [])
    token_file.write_text("not-a-token\n")
    status, _, err = _run(capsys, "registry", "admin", "venues", "--token-file", str(token_file))
    assert status == 2
    assert "registry refused GET /venues (401" in err
    assert len(err.strip().splitlines()) == 1


def test_an_issued_investigator_credential_signs_its_holder_in(
    served: tuple[Registry, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    reg, url = served
    investigator = Ed25519PrivateKey.generate()
    did = did_from_public_key(investigator.public_key)
    out = tmp_path / "investigator.json"
    status, info, _ = _run(capsys, "registry", "admin", "issue-investigator", "--registry", url,
                           "--subject", did, "--out", str(out))  # fmt: skip
    assert status == 0
    assert isinstance(info, dict)
    assert info["subject"] == did
    vc = json.loads(out.read_text())
    assert "InvestigatorCredential" in vc["type"]
    bearer = token(reg.client, present(reg.client, investigator, [vc]))
    answer = reg.client.post(
        "/queries/venues",
        json={"case_id": "CASE-ADMIN-1", "after": "", "limit": 10},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert answer.status_code == 200, answer.text
    status, log, _ = _run(capsys, "registry", "admin", "query-log", "--registry", url)
    assert status == 0
    assert isinstance(log, list)
    assert [e["case_id"] for e in log] == ["CASE-ADMIN-1"]
    # An existing credential file is never overwritten.
    status, _, err = _run(capsys, "registry", "admin", "issue-investigator", "--registry", url,
                          "--subject", did, "--out", str(out))  # fmt: skip
    assert status == 2
    assert "exists" in err


def test_deactivation_needs_confirmation_and_is_then_final(
    served: tuple[Registry, str], capsys: pytest.CaptureFixture[str]
) -> None:
    reg, url = served
    op = reg.register()
    status, _, err = _run(capsys, "registry", "admin", "deactivate", op.venue_id, "--registry", url)
    assert status == 2
    assert "--yes" in err
    assert reg.client.get(f"/venues/{op.venue_id}").json()["status"] == "active"
    status, view, _ = _run(capsys, "registry", "admin", "deactivate", op.venue_id, "--yes",
                           "--registry", url)  # fmt: skip
    assert status == 0
    assert isinstance(view, dict)
    assert view["status"] == "deactivated"


def test_refusals_are_one_line_with_exit_status_2(
    served: tuple[Registry, str], capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    _, url = served
    # A key that is not the administrator's is signed in with another role, or refused.
    stranger = tmp_path / "stranger.key"
    save_private_key(stranger, Ed25519PrivateKey.generate(), PASS, kdf=KDF_TEST)
    cases = [
        ("venues", "--registry", url, "--key", str(stranger)),
        ("approve", "../etc", "--registry", url),
        ("venues", "--registry", "ftp://example"),
        ("venues", "--registry", f"http://127.0.0.1:{_free_port()}"),
        ("publish-keys", str(tmp_path / "missing.cbor"), "--registry", url),
        ("issue-investigator", "--subject", "not a did", "--registry", url),
    ]
    garbage = tmp_path / "garbage.cbor"
    garbage.write_bytes(b"\xa1\x01")
    cases.append(("publish-keys", str(garbage), "--registry", url))
    for argv in cases:
        status, out, err = _run(capsys, "registry", "admin", *argv)
        assert status == 2, argv
        assert out is None, argv
        assert err.startswith("anshim: error: "), (argv, err)
        assert len(err.strip().splitlines()) == 1, (argv, err)
        assert "Traceback" not in err
    monkeypatch.delenv("ANSHIM_REGISTRY_ADMIN_KEY")
    status, _, err = _run(capsys, "registry", "admin", "venues", "--registry", url)
    assert status == 2
    assert "no administrator key" in err
