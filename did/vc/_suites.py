"""The cryptosuite interface and registry shared by every proof format.

A cryptosuite turns an unsecured document plus proof options into a proof object, and checks
a proof against a public key that the caller has already resolved from the proof's
``verificationMethod``. :mod:`did.vc._data_integrity` finds suites here by
``(proof type, cryptosuite)``:

* ``("DataIntegrityProof", "eddsa-jcs-2022")`` — :mod:`did.vc._eddsa_jcs_2022` (core);
* ``("DataIntegrityProof", "eddsa-rdfc-2022")`` — :mod:`did.vc._eddsa_rdfc_2022` (``jsonld`` extra);
* ``("Ed25519Signature2020", None)`` — :mod:`did.vc._ed25519_signature_2020` (``jsonld`` extra);
* ``("Ed25519Signature2018", None)`` — :mod:`did.vc._ed25519_signature_2018` (``jsonld`` extra).

The modules register themselves when imported (``import did.vc`` imports them all);
:func:`get_suite` also imports a listed module on first use, for a registry reset by a test.
PyLD itself is imported only when a JSON-LD document is processed, so ``import did.vc``
never pulls it in.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import re
import threading
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from did import Ed25519PrivateKey, Ed25519PublicKey
from did.vc.errors import CredentialError, UnsupportedCryptosuite

__all__ = [
    "Cryptosuite",
    "ProofOptions",
    "format_datetime",
    "get_suite",
    "parse_datetime",
    "register_suite",
    "registered_suites",
]

# XML Schema dateTimeStamp as VC Data Model 2.0 §4.8 uses it: a date, a time with optional
# fraction, and a mandatory time zone ("Z" or ±hh:mm).
_DATETIME_RE = re.compile(
    r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})\Z"
)
_MAX_DATETIME_CHARS = 64


def format_datetime(moment: _dt.datetime) -> str:
    """``moment`` as an XML dateTimeStamp in UTC with second precision (``…Z``).

    Raises :class:`~did.vc.errors.CredentialError` for a naive datetime.
    """
    if moment.tzinfo is None:
        raise CredentialError("datetime must be timezone-aware")
    return moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: object, what: str) -> _dt.datetime:
    """Parse an XML dateTimeStamp (VC Data Model 2.0 §4.8) into an aware datetime.

    ``what`` names the field in the error message. Raises
    :class:`~did.vc.errors.CredentialError` when ``value`` is not a string of that form or
    names an impossible date.
    """
    if not isinstance(value, str) or len(value) > _MAX_DATETIME_CHARS:
        raise CredentialError(f"{what} must be an XML dateTimeStamp string")
    if _DATETIME_RE.match(value) is None:
        raise CredentialError(f"{what} is not an XML dateTimeStamp with a time zone")
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        parsed = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise CredentialError(f"{what} names an impossible date or time") from None
    return parsed


@dataclass(frozen=True)
class ProofOptions:
    """The options a proof is created with (Data Integrity 1.0 §2.1 "Proofs").

    ``created`` is an XML dateTimeStamp (UTC, ``Z``); ``None`` means "now" at signing time.
    ``challenge`` and ``domain`` bind a presentation proof to one verifier exchange.
    """

    verification_method: str
    proof_purpose: str = "assertionMethod"
    created: str | None = None
    challenge: str | None = None
    domain: str | None = None
    expires: str | None = None

    def created_or_now(self, now: _dt.datetime | None = None) -> str:
        """``created``, or ``now`` (default: the current UTC time) formatted as dateTimeStamp."""
        if self.created is not None:
            return self.created
        return format_datetime(now if now is not None else _dt.datetime.now(_dt.UTC))


@runtime_checkable
class Cryptosuite(Protocol):
    """One proof format: its ``type``, its ``cryptosuite`` name and its two algorithms."""

    proof_type: str
    cryptosuite: str | None

    def create_proof(
        self,
        unsecured_document: dict[str, Any],
        key: Ed25519PrivateKey,
        options: ProofOptions,
    ) -> dict[str, Any]:
        """Return the proof object (not the secured document).

        Raises :class:`~did.vc.errors.ProofError` or an ``InputError`` subclass when the
        document cannot be transformed.
        """
        ...

    def verify_proof(
        self,
        unsecured_document: dict[str, Any],
        proof: dict[str, Any],
        public_key: Ed25519PublicKey,
    ) -> None:
        """Check ``proof`` over ``unsecured_document`` with ``public_key``.

        Raises a :class:`~did.vc.errors.ProofError` subclass; returns ``None`` on success.
        """
        ...


# Suites that live in modules needing optional dependencies register themselves on import;
# this table says which module to import for which key.
_LAZY_MODULES: dict[tuple[str, str | None], str] = {
    ("DataIntegrityProof", "eddsa-jcs-2022"): "did.vc._eddsa_jcs_2022",
    ("DataIntegrityProof", "eddsa-rdfc-2022"): "did.vc._eddsa_rdfc_2022",
    ("Ed25519Signature2020", None): "did.vc._ed25519_signature_2020",
    ("Ed25519Signature2018", None): "did.vc._ed25519_signature_2018",
}

_registry: dict[tuple[str, str | None], Cryptosuite] = {}
_lock = threading.Lock()


def register_suite(suite: Cryptosuite) -> None:
    """Make ``suite`` available under ``(suite.proof_type, suite.cryptosuite)``.

    Registering the same key again replaces the earlier suite. Raises ``TypeError`` when
    ``suite`` does not implement :class:`Cryptosuite`.
    """
    if not isinstance(suite, Cryptosuite):
        raise TypeError("suite must implement the Cryptosuite protocol")
    with _lock:
        _registry[(suite.proof_type, suite.cryptosuite)] = suite


def get_suite(proof_type: object, cryptosuite: object) -> Cryptosuite:
    """The suite for ``(proof_type, cryptosuite)``, importing its module on first use.

    Raises :class:`~did.vc.errors.UnsupportedCryptosuite` when no suite is known for the
    pair, or when its module needs an extra (``jsonld``) that is not installed.
    """
    if not isinstance(proof_type, str) or not (cryptosuite is None or isinstance(cryptosuite, str)):
        raise UnsupportedCryptosuite("proof type and cryptosuite must be strings")
    key = (proof_type, cryptosuite)
    suite = _registry.get(key)
    if suite is not None:
        return suite
    module = _LAZY_MODULES.get(key)
    if module is None:
        raise UnsupportedCryptosuite(
            f"unsupported proof type {proof_type!r:.64} / {cryptosuite!r:.64}"
        )
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise UnsupportedCryptosuite(
            f"{cryptosuite or proof_type} needs the 'jsonld' extra or a missing module"
        ) from exc
    suite = _registry.get(key)
    if suite is None:
        raise UnsupportedCryptosuite(f"{module} did not register {cryptosuite or proof_type}")
    return suite


def registered_suites() -> list[tuple[str, str | None]]:
    """The ``(proof type, cryptosuite)`` pairs registered so far (sorted)."""
    with _lock:
        return sorted(_registry, key=lambda k: (k[0], k[1] or ""))
