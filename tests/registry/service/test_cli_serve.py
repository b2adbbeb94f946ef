"""``anshim registry keygen`` and ``venue-request``: the key file the service loads and a
registration the service accepts; ``import registry`` and the CLI's registration load no
web framework."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from did import KDF_TEST, Ed25519PrivateKey, load_private_key, save_private_key
from tests.registry.service.support import Registry

PASS = "a long test passphrase"
_MAIN = "import sys; from did.cli import main; sys.exit(main(sys.argv[1:]))"


def _anshim(*args: str, env_pass: bool = True) -> subprocess.CompletedProcess[str]:
    env = {"ANSHIM_PASSPHRASE": PASS, "PATH": "/usr/bin:/bin"} if env_pass else {}
    return subprocess.run(
        [sys.executable, "-c", _MAIN, *args],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip


def test_keygen_writes_a_key_the_service_loads(tmp_path: Path) -> None:
    out = _anshim(
        "registry",
        "keygen",
        "--out",
        str(tmp_path / "k.json"),
        "--public-url",
        "https://registry.example.kr",
    )
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    assert printed["did"] == "did:web:registry.example.kr"
    key = load_private_key(tmp_path / "k.json", PASS)
    assert key.public_key.to_multikey() == printed["public_key"]
    again = _anshim("registry", "keygen", "--out", str(tmp_path / "k.json"))
    assert again.returncode == 2


def test_venue_request_is_accepted_by_the_registry(reg: Registry, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    save_private_key(tmp_path / "venue.json", key, PASS, kdf=KDF_TEST)
    out = _anshim("registry", "venue-request", "--key", str(tmp_path / "venue.json"),
                  "--name-ko", "한라 도서관", "--name-en", "Halla Library", "--address", "제주시 1",
                  "--brn", "616-81-00001", "--category", "office")  # fmt: skip
    assert out.returncode == 0, out.stderr
    request = json.loads(out.stdout)
    reg.clock.now = request["created"]
    r = reg.client.post("/venues", json=request)
    assert r.status_code == 202, r.text
    assert r.json()["name"] == {"ko": "한라 도서관", "en": "Halla Library"}
