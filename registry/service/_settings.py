"""The registry service's settings: a TOML config file's ``[registry]`` table, overridden
by ``ANSHIM_REGISTRY_<NAME>`` environment variables (DESIGN.md "Services": settings from
the environment or a config file). Nothing is read at import time.

=====================  ============================================  ======================
setting                meaning                                       default
=====================  ============================================  ======================
``public_url``         the registry's https origin (its did:web)     required
``admin_did``          the administrator's DID                       required
``state_dir``          the authority's ledger and key folder         required
``store``              the sealed-visit store URL                    ``sqlite:///<state_dir>/visits``
``key_file``           the registry's encrypted key file             ``<state_dir>/`` +
                                                                     ``registry-key.json``
``custodians``         pinned custodian DIDs (comma-separated)       none
``threshold``          the custodians' threshold                     none
``token_lifetime``     access-token lifetime, seconds                900
``max_body``           default request body cap, bytes               262144
``retry_after``        ``Retry-After`` of a 503, seconds             5
``body_timeout``       seconds a request's whole body may take       10
``host`` / ``port``    where ``anshim registry serve`` listens       127.0.0.1 / 8443
``workers``            worker processes (one per core)               1
=====================  ============================================  ======================

The key file's passphrase comes from ``ANSHIM_PASSPHRASE`` (:data:`did.cli.PASSPHRASE_ENV`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from did.errors import InputError
from registry._authority import AuthorityConfig

__all__ = ["ENV_PREFIX", "Settings"]

ENV_PREFIX = "ANSHIM_REGISTRY_"
_INTS = ("threshold", "token_lifetime", "max_body", "retry_after", "port", "workers")
_FLOATS = ("body_timeout",)


@dataclass(frozen=True, slots=True)
class Settings:
    """The service's settings (module docstring).

    Raises (from :meth:`load`):
        InputError: a missing required setting, a value of the wrong form, or an
            unreadable config file.
    """

    public_url: str
    admin_did: str
    state_dir: Path
    store: str = ""
    key_file: Path | None = None
    custodians: tuple[str, ...] = field(default_factory=tuple)
    threshold: int | None = None
    token_lifetime: int = 900
    max_body: int = 256 * 1024
    retry_after: int = 5
    host: str = "127.0.0.1"
    port: int = 8443
    workers: int = 1
    body_timeout: float = 10.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "state_dir", Path(self.state_dir))
        if not self.store:
            object.__setattr__(self, "store", f"sqlite://{self.state_dir.resolve()}/visits")
        if self.key_file is None:
            object.__setattr__(self, "key_file", self.state_dir / "registry-key.json")
        if not 1024 <= self.max_body <= 16 * 1024 * 1024:
            raise InputError("max_body must be between 1 KiB and 16 MiB")
        if type(self.workers) is not int or not 1 <= self.workers <= 64:
            raise InputError("workers must be 1 to 64")
        timeout = self.body_timeout
        if type(timeout) not in (int, float) or not 0 < timeout <= 600:
            raise InputError("body_timeout must be more than 0 and at most 600 seconds")

    @classmethod
    def load(
        cls, *, config_file: str | Path | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Settings from ``config_file`` (TOML, table ``[registry]``) and the environment.

        Raises:
            InputError: as the class docstring says.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        path = config_file or env.get(ENV_PREFIX + "CONFIG")
        if path:
            try:
                with open(path, "rb") as fh:
                    values.update(tomllib.load(fh).get("registry", {}))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise InputError(f"cannot read the config file: {exc}") from exc
        for name in cls.__dataclass_fields__:
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is not None:
                values[name] = raw
        missing = [n for n in ("public_url", "admin_did", "state_dir") if not values.get(n)]
        if missing:
            raise InputError(f"missing settings: {', '.join(missing)} (or {ENV_PREFIX}<NAME>)")
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise InputError(f"unknown settings: {', '.join(sorted(unknown))}")
        for name in _INTS:
            if name in values and values[name] is not None:
                try:
                    values[name] = int(values[name])
                except (TypeError, ValueError) as exc:
                    raise InputError(f"{name} must be an integer") from exc
        for name in _FLOATS:
            if name in values:
                try:
                    values[name] = float(values[name])
                except (TypeError, ValueError) as exc:
                    raise InputError(f"{name} must be a number") from exc
        if isinstance(values.get("custodians"), str):
            values["custodians"] = tuple(c.strip() for c in values["custodians"].split(",") if c)
        elif "custodians" in values:
            values["custodians"] = tuple(values["custodians"])
        for name in ("state_dir", "key_file"):
            if values.get(name):
                values[name] = Path(values[name])
        return cls(**values)

    def authority_config(self) -> AuthorityConfig:
        """The :class:`~registry._authority.AuthorityConfig` these settings describe.

        Raises:
            InvalidDid, ValueError: a ``public_url`` without a did:web, bad lifetimes.
        """
        return AuthorityConfig(
            public_url=self.public_url,
            admin_did=self.admin_did,
            custodians=self.custodians,
            threshold=self.threshold,
            token_lifetime=self.token_lifetime,
        )
