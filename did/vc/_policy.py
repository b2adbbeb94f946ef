"""Issuer trust policies: which issuers may issue which credential types.

A policy is anything with ``check(credential) -> None`` that raises
:class:`~did.vc.errors.UntrustedIssuer`. Policies compose with :class:`AllOf` and
:class:`AnyOf`. An empty trust list or an empty combination is refused when it is built
(:class:`~did.vc.errors.PolicyMisuse`): a policy that can never say yes, or that
vacuously says yes, is a configuration mistake. The policy that accepts everything is
named :class:`UnsafeNoOp` and logs a warning when created.

Quick start::

    from did.vc import AllOf, TrustedIssuers
    policy = TrustedIssuers({"did:web:registry.example": ["VenueCredential"]})
    policy.check(credential)          # raises UntrustedIssuer
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

from did.vc._credential import Credential
from did.vc.errors import PolicyMisuse, UntrustedIssuer

__all__ = ["AllOf", "AnyOf", "TrustPolicy", "TrustedIssuers", "UnsafeNoOp"]

_log = logging.getLogger(__name__)
_BASE_TYPE = "VerifiableCredential"


@runtime_checkable
class TrustPolicy(Protocol):
    """Decides whether a verified credential's issuer is trusted for its types."""

    def check(self, credential: Credential) -> None:
        """Return ``None`` if trusted; raise :class:`~did.vc.errors.UntrustedIssuer` if not."""
        ...


class TrustedIssuers:
    """A trust list: issuer DID → the credential types it may issue.

    A credential passes when its issuer is listed and every type besides
    ``VerifiableCredential`` is among the issuer's types (and it has at least one such type).

    Raises :class:`~did.vc.errors.PolicyMisuse` from the constructor for an empty list, an
    issuer with no types, or a non-string entry.
    """

    def __init__(self, rules: Mapping[str, Iterable[str]]) -> None:
        if not isinstance(rules, Mapping) or not rules:
            raise PolicyMisuse("an empty trust list would refuse every credential")
        table: dict[str, frozenset[str]] = {}
        for issuer, types in rules.items():
            if not isinstance(issuer, str) or not issuer:
                raise PolicyMisuse("issuer names must be non-empty strings")
            if isinstance(types, str):
                raise PolicyMisuse("give an issuer's types as a list, not one string")
            allowed = frozenset(types)
            if not allowed or not all(isinstance(t, str) and t for t in allowed):
                raise PolicyMisuse(f"issuer {issuer!r:.80} needs at least one credential type")
            if allowed == {_BASE_TYPE}:
                raise PolicyMisuse("allowing only VerifiableCredential would allow nothing")
            table[issuer] = allowed
        self._rules = table

    def check(self, credential: Credential) -> None:
        """Raises :class:`~did.vc.errors.UntrustedIssuer` unless the list allows it."""
        allowed = self._rules.get(credential.issuer)
        if allowed is None:
            raise UntrustedIssuer("the issuer is not on the trust list")
        specific = set(credential.types) - {_BASE_TYPE}
        if not specific:
            raise UntrustedIssuer("the credential names no specific type to trust")
        if not specific <= allowed:
            raise UntrustedIssuer("the issuer is not trusted for this credential type")

    def __repr__(self) -> str:
        return f"TrustedIssuers({len(self._rules)} issuers)"


class AllOf:
    """Passes when every policy passes; raises the first failure.

    Raises :class:`~did.vc.errors.PolicyMisuse` from the constructor when empty (an empty
    conjunction would accept everything) or given a non-policy.
    """

    def __init__(self, *policies: TrustPolicy) -> None:
        if not policies:
            raise PolicyMisuse("AllOf() with no policies would accept every credential")
        if not all(isinstance(p, TrustPolicy) for p in policies):
            raise PolicyMisuse("AllOf takes policy objects")
        self._policies = policies

    def check(self, credential: Credential) -> None:
        """Raises :class:`~did.vc.errors.UntrustedIssuer` from the first failing policy."""
        for policy in self._policies:
            policy.check(credential)

    def __repr__(self) -> str:
        return f"AllOf({', '.join(map(repr, self._policies))})"


class AnyOf:
    """Passes when at least one policy passes.

    Raises :class:`~did.vc.errors.PolicyMisuse` from the constructor when empty (an empty
    disjunction would refuse everything) or given a non-policy.
    """

    def __init__(self, *policies: TrustPolicy) -> None:
        if not policies:
            raise PolicyMisuse("AnyOf() with no policies would refuse every credential")
        if not all(isinstance(p, TrustPolicy) for p in policies):
            raise PolicyMisuse("AnyOf takes policy objects")
        self._policies = policies

    def check(self, credential: Credential) -> None:
        """Raises :class:`~did.vc.errors.UntrustedIssuer` when every policy refuses."""
        for policy in self._policies:
            try:
                policy.check(credential)
            except UntrustedIssuer:
                continue
            return
        raise UntrustedIssuer("no policy trusts this issuer for this credential type")

    def __repr__(self) -> str:
        return f"AnyOf({', '.join(map(repr, self._policies))})"


class UnsafeNoOp:
    """Trusts every issuer. For tests and demos only; logs a warning when created."""

    def __init__(self) -> None:
        _log.warning("UnsafeNoOp trust policy: every issuer is trusted")

    def check(self, credential: Credential) -> None:
        """Never raises."""

    def __repr__(self) -> str:
        return "UnsafeNoOp()"
