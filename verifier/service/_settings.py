"""The venue service's settings: a TOML file (``venue.toml``) and ``ANSHIM_VENUE_*``
environment variables, which override the file's ``[service]`` table (DESIGN.md
"Services": settings from the environment or a config file).

A file looks like this (paths are relative to the file)::

    [service]
    data_dir = "data"                       # the outbox (SQLite) lives here
    registry = "https://registry.example"   # where batches go; omit to keep them local
    epoch_keys = "epoch-keys.cbor"          # the signed epoch-key directory
    custodians = ["did:key:z6Mk...", ...]   # pinned: the directory must be theirs
    host = "127.0.0.1"
    port = 8700
    gateway_secret_file = "gateway.secret"  # the telecom gateway's HMAC secret

    [[venue]]
    id = "cafe-1"
    did = "did:web:registry.example:venues:cafe-1"
    name = "카페 하나 / Cafe One"
    category = "cafe"
    key_file = "cafe-1.key"                 # encrypted (did.save_private_key)
    numbers = ["+82215880001"]              # SMS and call check-in numbers
    staff_passcode_hash = "$argon2id$..."   # anshim venue passcode prints one
    devices = ["did:key:z6Mk..."]           # registered thermal cameras, mask detectors

Environment variables (each overrides the ``[service]`` key of the same name):
``ANSHIM_VENUE_CONFIG`` (the file), ``ANSHIM_VENUE_DATA_DIR``, ``ANSHIM_VENUE_REGISTRY``,
``ANSHIM_VENUE_HOST``, ``ANSHIM_VENUE_PORT``, ``ANSHIM_VENUE_WORKERS``,
``ANSHIM_VENUE_GATEWAY_SECRET_FILE``, ``ANSHIM_VENUE_MAX_BODY_BYTES``,
``ANSHIM_VENUE_BODY_TIMEOUT``; the key files'
passphrase comes from ``ANSHIM_PASSPHRASE`` (:data:`did.cli.PASSPHRASE_ENV`) or
``passphrase_file``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from did import ed25519_public_key_from_did, is_did
from did.errors import AnshimError
from protocol import MAX_VENUE_DID_CHARS, check_phone
from verifier import DEFAULT_THRESHOLD
from verifier.errors import VenueConfigError

__all__ = ["ENV_PREFIX", "VenueServiceSettings", "VenueSettings", "load_settings"]

#: Every environment variable of the venue service starts with this.
ENV_PREFIX = "ANSHIM_VENUE_"
_ID = re.compile(r"\A[a-z0-9][a-z0-9-]{0,31}\Z")
# The facility class as the protocol carries it (protocol.wire.token_value: a lowercase
# token of at most 24 characters), so every class the registry names (wedding_hall) fits.
_CATEGORY = re.compile(r"\A[a-z][a-z0-9_-]{0,23}\Z")
_MAX_CONFIG_BYTES = 1 << 20
_SYNC_MODES = ("full", "normal")


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueSettings:
    """One hosted venue (a ``[[venue]]`` table).

    ``id`` names the venue in URLs (``/venues/<id>/…``, ``/kiosk/<id>``) and at the
    registry (``did:web:<registry>:venues:<id>``). ``numbers`` are the E.164 numbers a
    visitor texts or calls; ``staff_passcode_hash`` is an Argon2id string
    (:func:`verifier.service.hash_passcode`); ``devices`` are the did:key DIDs of the
    registered thermal cameras and mask detectors; ``poster`` is the registry-signed
    ``AV1:`` poster text, shown on the kiosk for phones that cannot scan the screen.

    Raises (on construction):
        VenueConfigError: a field that cannot be used (the message names the field).
    """

    id: str
    did: str
    name: str
    category: str
    key_file: Path | None = None
    tz_offset: int = 0
    max_skew: int = 30
    require_presence: bool = False
    threshold: int = DEFAULT_THRESHOLD
    require_mask: bool = True
    numbers: tuple[str, ...] = ()
    staff_passcode_hash: str | None = field(default=None, repr=False)
    devices: tuple[str, ...] = ()
    poster: str | None = None

    def __post_init__(self) -> None:
        if type(self.id) is not str or not _ID.match(self.id):
            raise VenueConfigError("venue id must be 1-32 characters of a-z, 0-9 and '-'")
        if not isinstance(self.did, str) or len(self.did) > MAX_VENUE_DID_CHARS:
            raise VenueConfigError(f"venue {self.id}: did must be a DID of at most 64 chars")
        if not is_did(self.did):
            raise VenueConfigError(f"venue {self.id}: did is not a DID")
        if type(self.name) is not str or not 0 < len(self.name) <= 80:
            raise VenueConfigError(f"venue {self.id}: name must be 1-80 characters")
        if type(self.category) is not str or not _CATEGORY.match(self.category):
            raise VenueConfigError(
                f"venue {self.id}: category must be a lowercase token [a-z][a-z0-9_-]*"
                " of at most 24 characters (the registry's facility class, e.g. wedding_hall)"
            )
        for name in ("tz_offset", "max_skew", "threshold"):
            if type(getattr(self, name)) is not int:
                raise VenueConfigError(f"venue {self.id}: {name} must be an integer")
        for name in ("require_presence", "require_mask"):
            if type(getattr(self, name)) is not bool:
                raise VenueConfigError(f"venue {self.id}: {name} must be true or false")
        for number in self.numbers:
            try:
                check_phone(number)
            except AnshimError:
                raise VenueConfigError(f"venue {self.id}: numbers must be E.164") from None
        for device in self.devices:
            try:
                ed25519_public_key_from_did(device)
            except AnshimError:
                raise VenueConfigError(
                    f"venue {self.id}: devices must be Ed25519 did:key DIDs"
                ) from None
        passcode = self.staff_passcode_hash
        if passcode is not None and (
            type(passcode) is not str or not passcode.startswith("$argon2id$")
        ):
            raise VenueConfigError(f"venue {self.id}: staff_passcode_hash must be Argon2id")
        if self.poster is not None and (
            type(self.poster) is not str or not self.poster.startswith("AV1:")
        ):
            raise VenueConfigError(f"venue {self.id}: poster must be AV1: QR text")


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueServiceSettings:
    """The whole service: where its state lives, where batches go, and its venues.

    ``synchronous`` is SQLite's: ``"full"`` (the default) makes every admitted check-in
    durable against a power cut before its receipt leaves; ``"normal"`` only against a
    crash of the process. ``max_body_bytes`` caps every request body before it is read,
    and ``body_timeout`` is how long (seconds) a whole body may take to arrive (408 after).
    ``gateway_max_age`` is how far (seconds) a gateway's signed timestamp may be from the
    service's clock. ``upload_*`` tune the uploader (batch size, pause between rounds,
    backoff bounds in seconds). ``rate_per_source`` is the per-client-address request rate
    (per second, with a burst of ten times that; 0 turns the limit off).

    Raises (on construction):
        VenueConfigError: a value that cannot be used, or two venues with one id, DID or
            number.
    """

    data_dir: Path
    venues: tuple[VenueSettings, ...]
    registry: str | None = None
    epoch_keys: Path | None = None
    custodians: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8700
    workers: int = 1
    gateway_secret_file: Path | None = None
    gateway_max_age: int = 300
    passphrase_file: Path | None = None
    max_body_bytes: int = 16384
    body_timeout: float = 10.0
    synchronous: str = "full"
    upload_batch: int = 500
    upload_interval: float = 2.0
    upload_backoff_min: float = 1.0
    upload_backoff_max: float = 300.0
    rate_per_source: float = 0.0

    def __post_init__(self) -> None:
        if not self.venues:
            raise VenueConfigError("at least one [[venue]] is required")
        for what in ("id", "did"):
            values = [getattr(v, what) for v in self.venues]
            if len(set(values)) != len(values):
                raise VenueConfigError(f"two venues share one {what}")
        numbers = [n for v in self.venues for n in v.numbers]
        if len(set(numbers)) != len(numbers):
            raise VenueConfigError("two venues share one phone number")
        if self.registry is not None and not re.match(r"\Ahttps?://[^\s/?#]+", self.registry):
            raise VenueConfigError("registry must be an http(s) URL")
        if type(self.port) is not int or not 0 <= self.port <= 65535:
            raise VenueConfigError("port must be an int in [0, 65535]")
        if type(self.workers) is not int or not 1 <= self.workers <= 64:
            raise VenueConfigError("workers must be an int in [1, 64]")
        if type(self.max_body_bytes) is not int or not 1024 <= self.max_body_bytes <= 1 << 20:
            raise VenueConfigError("max_body_bytes must be in [1024, 1048576]")
        if (
            not isinstance(self.body_timeout, int | float)
            or isinstance(self.body_timeout, bool)
            or not 0 < self.body_timeout <= 600
        ):
            raise VenueConfigError("body_timeout must be more than 0 and at most 600 seconds")
        if type(self.gateway_max_age) is not int or not 1 <= self.gateway_max_age <= 3600:
            raise VenueConfigError("gateway_max_age must be in [1, 3600] seconds")
        if self.synchronous not in _SYNC_MODES:
            raise VenueConfigError('synchronous must be "full" or "normal"')
        if type(self.upload_batch) is not int or not 1 <= self.upload_batch <= 5000:
            raise VenueConfigError("upload_batch must be in [1, 5000]")
        for name in ("upload_interval", "upload_backoff_min", "upload_backoff_max"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0 < value <= 86400:
                raise VenueConfigError(f"{name} must be a positive number of seconds")
        if self.upload_backoff_min > self.upload_backoff_max:
            raise VenueConfigError("upload_backoff_min must not exceed upload_backoff_max")
        if not isinstance(self.rate_per_source, int | float) or self.rate_per_source < 0:
            raise VenueConfigError("rate_per_source must be a non-negative number")
        for custodian in self.custodians:
            if not is_did(custodian):
                raise VenueConfigError("custodians must be DIDs")

    def venue(self, venue_id: str) -> VenueSettings | None:
        """The hosted venue named ``venue_id`` (``None`` if there is none)."""
        for venue in self.venues:
            if venue.id == venue_id:
                return venue
        return None

    @property
    def database(self) -> Path:
        """The outbox's SQLite file."""
        return self.data_dir / "outbox.sqlite3"


_SERVICE_KEYS: dict[str, type | tuple[type, ...]] = {
    "data_dir": str,
    "registry": str,
    "epoch_keys": str,
    "custodians": list,
    "host": str,
    "port": int,
    "workers": int,
    "gateway_secret_file": str,
    "gateway_max_age": int,
    "passphrase_file": str,
    "max_body_bytes": int,
    "body_timeout": (int, float),
    "synchronous": str,
    "upload_batch": int,
    "upload_interval": (int, float),
    "upload_backoff_min": (int, float),
    "upload_backoff_max": (int, float),
    "rate_per_source": (int, float),
}
_PATHS = ("data_dir", "epoch_keys", "gateway_secret_file", "passphrase_file")
_VENUE_KEYS = {f for f in VenueSettings.__dataclass_fields__}


def _venue(table: object, base: Path) -> VenueSettings:
    if not isinstance(table, dict):
        raise VenueConfigError("each [[venue]] must be a table")
    unknown = set(table) - _VENUE_KEYS
    if unknown:
        raise VenueConfigError(f"unknown [[venue]] keys: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = dict(table)
    for name in ("numbers", "devices"):
        if name in values:
            if not isinstance(values[name], list) or not all(
                isinstance(x, str) for x in values[name]
            ):
                raise VenueConfigError(f"[[venue]] {name} must be a list of strings")
            values[name] = tuple(values[name])
    if "key_file" in values:
        if not isinstance(values["key_file"], str):
            raise VenueConfigError("[[venue]] key_file must be a path")
        values["key_file"] = base / values["key_file"]
    missing = {"id", "did", "name", "category"} - set(values)
    if missing:
        raise VenueConfigError(f"[[venue]] misses {', '.join(sorted(missing))}")
    return VenueSettings(**values)


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, kind in _SERVICE_KEYS.items():
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is None or kind is list:
            continue
        try:
            found[name] = int(raw) if kind is int else raw if kind is str else float(raw)
        except ValueError:
            raise VenueConfigError(f"{ENV_PREFIX}{name.upper()} must be a number") from None
    return found


def load_settings(
    path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
) -> VenueServiceSettings:
    """Read ``path`` (else ``$ANSHIM_VENUE_CONFIG``) and apply ``ANSHIM_VENUE_*`` overrides.

    Raises:
        VenueConfigError: no file named, a file over 1 MiB, bad TOML, unknown keys, values
            of the wrong type, or anything :class:`VenueServiceSettings` refuses.
        OSError: the file cannot be read.
    """
    env = os.environ if env is None else env
    name = path if path is not None else env.get(ENV_PREFIX + "CONFIG")
    if not name:
        raise VenueConfigError(f"no config file: pass --config or set {ENV_PREFIX}CONFIG")
    config = Path(name)
    with open(config, "rb") as fh:
        raw = fh.read(_MAX_CONFIG_BYTES + 1)
    if len(raw) > _MAX_CONFIG_BYTES:
        raise VenueConfigError("the config file is over 1 MiB")
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise VenueConfigError(f"the config file is not valid TOML: {exc}") from None
    unknown = set(document) - {"service", "venue"}
    if unknown:
        raise VenueConfigError(f"unknown tables: {', '.join(sorted(unknown))}")
    base = config.resolve().parent
    service = document.get("service", {})
    if not isinstance(service, dict):
        raise VenueConfigError("[service] must be a table")
    values: dict[str, Any] = {}
    for key, value in {**service, **_from_env(env)}.items():
        kind = _SERVICE_KEYS.get(key)
        if kind is None:
            raise VenueConfigError(f"unknown [service] key: {key}")
        if not isinstance(value, kind) or isinstance(value, bool):
            raise VenueConfigError(f"[service] {key} has the wrong type")
        values[key] = value
    for key in _PATHS:
        if key in values:
            values[key] = base / values[key]
    if "custodians" in values:
        if not all(isinstance(c, str) for c in values["custodians"]):
            raise VenueConfigError("[service] custodians must be a list of DIDs")
        values["custodians"] = tuple(values["custodians"])
    values.setdefault("data_dir", base / "data")
    venues = document.get("venue", [])
    if not isinstance(venues, list):
        raise VenueConfigError("venues are [[venue]] tables")
    settings = VenueServiceSettings(venues=tuple(_venue(v, base) for v in venues), **values)
    return settings
