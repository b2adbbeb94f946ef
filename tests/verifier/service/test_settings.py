"""venue.toml and ANSHIM_VENUE_* settings: paths relative to the file, environment
overrides, and refusals of what cannot be served."""

from __future__ import annotations

from pathlib import Path

import pytest

from verifier.errors import VenueConfigError
from verifier.service import load_settings

CONFIG = """
[service]
data_dir = "state"
registry = "http://127.0.0.1:9"
port = 8701

[[venue]]
id = "cafe-1"
did = "did:web:registry.example:venues:cafe-1"
name = "카페 하나 / Cafe One"
category = "cafe"
key_file = "cafe-1.key"
numbers = ["+8215880001"]
"""


def write(tmp: Path, text: str) -> Path:
    path = tmp / "venue.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_file_and_environment(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG)
    settings = load_settings(path, env={})
    assert settings.data_dir == tmp_path.resolve() / "state"
    assert settings.venues[0].key_file == tmp_path.resolve() / "cafe-1.key"
    assert settings.port == 8701
    env = {"ANSHIM_VENUE_PORT": "9000", "ANSHIM_VENUE_CONFIG": str(path)}
    assert load_settings(env=env).port == 9000


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (('id = "cafe-1"', 'id = "Cafe 1"'), "venue id"),
        (('numbers = ["+8215880001"]', 'numbers = ["02-1588-0001"]'), "E.164"),
        (("port = 8701", "port = 99999"), "port"),
        (("port = 8701", "colour = 1"), "unknown"),
        (('category = "cafe"', 'category = "cafe"\ndevices = ["did:key:nope"]'), "did:key"),
    ],
)
def test_refusals(tmp_path: Path, change: tuple[str, str], what: str) -> None:
    path = write(tmp_path, CONFIG.replace(*change))
    with pytest.raises(VenueConfigError, match=what):
        load_settings(path, env={})


def test_no_config_named(tmp_path: Path) -> None:
    with pytest.raises(VenueConfigError, match="no config"):
        load_settings(env={})
    with pytest.raises(VenueConfigError, match="TOML"):
        load_settings(write(tmp_path, "[service\n"), env={})
