"""``anshim venue init --registry`` against the real registry (registry.service on SQLite,
real uvicorn on loopback): the signed registration is accepted, the venue's config names
the did:web the registry assigned, the keys it registered are the ones in the encrypted
files, and ``anshim venue status`` follows the registration from pending to approved to
deactivated. A registration the registry refuses leaves no key files behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from did import Ed25519PrivateKey, X25519PrivateKey, load_private_key
from did.cli import main
from registry import _venues as registry_venues
from tests.registry.service.support import REGISTRY_DID, T0, make_registry
from tests.registry.service.support import Clock as RegistryClock
from tests.verifier.service.serving import serve_in_thread
from verifier.service._registration import (
    REGISTRATION_CONTEXT,
    registration_request,
    signed_bytes,
)

PASSPHRASE = "venue operator passphrase"


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The registry's URL on loopback and its administrator's token header."""
    reg = make_registry(tmp_path / "registry", clock=RegistryClock(T0))
    try:
        with serve_in_thread(reg.app) as url:
            yield url, reg.admin
    finally:
        reg.store.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["venue", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def init(
    capsys: pytest.CaptureFixture[str], folder: Path, url: str, *extra: str
) -> tuple[int, str, str]:
    secret = folder.parent / "passphrase"
    secret.write_text(PASSPHRASE, encoding="utf-8")
    return run(
        capsys, "init", "--id", "hall-1", "--name", "행복 웨딩홀 / Happy Wedding Hall",
        "--category", "wedding_hall", "--registry", url, "--address", "서울특별시 동작구 1",
        "--brn", "123-45-67890", "--now", str(T0), "--dir", str(folder),
        "--passphrase-file", str(secret), *extra,
    )  # fmt: skip


def test_init_registers_and_status_follows_the_registry(
    tmp_path: Path, registry: tuple[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, admin = registry
    folder = tmp_path / "venue"
    code, out, err = init(capsys, folder, url)
    assert code == 0, err
    made = json.loads(out)
    did = made["venue"]
    assert did.startswith(REGISTRY_DID + ":venues:")
    assert made["registration"]["status"] == "pending"
    venue_id = made["registration"]["registryId"]
    assert did.endswith(":" + venue_id)
    # The registry holds the keys of the encrypted files.
    key = load_private_key(folder / "hall-1.key", PASSPHRASE)
    assert made["signingKey"].endswith(key.public_key.to_multikey())
    record = httpx.get(f"{url}/venues/{venue_id}").json()
    assert record["category"] == "wedding_hall"
    assert record["name"] == {"ko": "행복 웨딩홀", "en": "Happy Wedding Hall"}

    config = folder / "venue.toml"
    config.write_text(f'[service]\nregistry = "{url}"\n\n' + made["config"], encoding="utf-8")

    def status() -> dict[str, object]:
        code, out, err = run(capsys, "status", "--config", str(config), "--now", str(T0))
        assert code == 0, err
        venue: dict[str, object] = json.loads(out)["venues"][0]
        assert venue["did"] == did
        registration = venue["registration"]
        assert isinstance(registration, dict)
        return registration

    assert status()["status"] == "pending"
    r = httpx.post(f"{url}/venues/{venue_id}/approval", headers=admin)
    assert r.status_code == 200, r.text
    document = httpx.get(f"{url}/venues/{venue_id}/did.json").json()
    assert key.public_key.to_multikey() in json.dumps(document)
    approved = status()
    assert approved["status"] == "approved"
    assert approved["approved"] == T0
    r = httpx.post(f"{url}/venues/{venue_id}/deactivation", headers=admin)
    assert r.status_code == 200, r.text
    assert status()["status"] == "deactivated"
    code, out, _ = run(capsys, "status", "--config", str(config), "--offline")
    assert json.loads(out)["venues"][0]["registration"]["status"] == "unknown"


def test_a_refused_registration_leaves_no_keys(
    tmp_path: Path, registry: tuple[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = registry
    folder = tmp_path / "venue"
    # Signed ten minutes before the registry's clock: outside its request window.
    code, _, err = init(capsys, folder, url, "--now", str(T0 - 600))
    assert code != 0
    assert "replayedRequest" in err
    assert not (folder / "hall-1.key").exists()
    assert not (folder / "hall-1.x25519").exists()


def test_the_registry_unreachable_is_reported_in_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "venue.toml"
    config.write_text(
        '[service]\nregistry = "http://127.0.0.1:9"\n\n[[venue]]\nid = "hall-1"\n'
        'did = "did:web:registry.test:venues:abcdefghijkl"\nname = "Hall"\n'
        'category = "wedding_hall"\n',
        encoding="utf-8",
    )
    code, out, err = run(capsys, "status", "--config", str(config))
    assert code == 0, err
    registration = json.loads(out)["venues"][0]["registration"]
    assert registration["status"] == "unknown"
    assert "unreachable" in registration["error"]


def test_the_signed_bytes_are_the_registrys() -> None:
    """The venue signs what the registry verifies: its context and the JCS form."""
    request = registration_request(
        Ed25519PrivateKey.generate(),
        X25519PrivateKey.generate().public_key,
        name_ko="카페",
        name_en="Cafe",
        address="서울 1",
        business_registration_number="123-45-67890",
        category="wedding_hall",
        now=T0,
    )
    assert REGISTRATION_CONTEXT == registry_venues.REGISTRATION_CONTEXT
    expected = registry_venues.signed_bytes(registry_venues.REGISTRATION_CONTEXT, request)
    assert signed_bytes(request) == expected
