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


def test_every_registry_category_is_a_venue_category(tmp_path: Path) -> None:
    """The registry's facility classes (protocol's one category table, wedding_hall among them)
    are accepted in venue.toml and by the validation context, and a visit without a
    check-out is given the same stay at the venue as at the registry."""
    from protocol import CATEGORIES
    from tests.wallet.support import VENUE_KEY
    from verifier import VenueContext, default_dwell

    for name, category in CATEGORIES.items():
        path = write(tmp_path, CONFIG.replace('category = "cafe"', f'category = "{name}"'))
        venue = load_settings(path, env={}).venues[0]
        assert venue.category == name
        context = VenueContext.create(venue.did, VENUE_KEY, category=venue.category)
        assert context.default_dwell == category.dwell == default_dwell(name), name


@pytest.mark.parametrize("category", ["Wedding_hall", "_hall", "9bar", "wedding hall", "a" * 25])
def test_categories_outside_the_token_form_are_refused(tmp_path: Path, category: str) -> None:
    path = write(tmp_path, CONFIG.replace('category = "cafe"', f'category = "{category}"'))
    with pytest.raises(VenueConfigError, match="category"):
        load_settings(path, env={})
