"""Warrants (DESIGN.md "Warrant"): a case's scope, approved by at least k custodians.

Wire format (deterministic CBOR, :mod:`did.cbor`)::

    warrant = {"body": bstr .cbor body, "approvals": [[custodian DID, Ed25519 sig], ...]}
    body = {"v": 1, "type": "anshim-escrow-warrant", "case_id": tstr, "purpose": tstr,
            "investigator": DID, "issued": int, "expires": int,
            "scope": {"venues": [[venue DID, max_stay, [[start, end], ...]], ...],
                      "records": [envelope id (32 bytes), ...],
                      "credentials": [[credential id, first epoch, last epoch], ...]}}

The warrant id is SHA-256("anshim/escrow/warrant-id/v1" ‖ 0x00 ‖ body); custodians sign
``"anshim/escrow/warrant/v1" ‖ 0x00 ‖ body``. A visit is in scope when its venue is listed
and ``start − max_stay ≤ time in ≤ end`` for one of the venue's windows (``max_stay`` is the
venue category's maximum stay, so a visit that began before the window but overlaps it is
covered); a trace seed when its credential is listed for its epoch; any envelope whose id
is listed under ``records``.

Holder-shown records (label venue :data:`~escrow.HOLDER_SHOWN_VENUE`) carry no real venue,
so a venue scope can never cover them: a venue scope naming a DID under ``did:anshim:`` is
refused when the warrant is made or decoded, and a holder-shown label is in scope only when
its envelope id is listed under ``records``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from did import Ed25519PrivateKey, cbor, ed25519_public_key_from_did
from did.errors import DecodeError, InputError, InvalidSignature
from escrow._labels import (
    HOLDER_SHOWN_VENUE,
    RESERVED_DID_PREFIX,
    Label,
    TraceSeedLabel,
    VisitLabel,
    _check_did,
    _check_text,
)
from escrow.errors import (
    InvalidLabel,
    ScopeError,
    WarrantBadApproval,
    WarrantExpired,
    WarrantNotYetValid,
    WarrantQuorumMissing,
    WarrantScopeRefused,
    WarrantUnknownSigner,
)

__all__ = ["MAX_STAY_LIMIT", "MAX_WINDOW", "Authority", "VenueScope", "Warrant", "WarrantScope"]

#: The longest maximum stay a venue scope may claim (s): 12 h, the longest stay of any venue
#: category's (DESIGN.md "Decryption share": time in may precede a window's start by the
#: category's maximum stay). The warrant's author sets ``max_stay``, so without a cap it
#: would widen every window backwards without bound.
MAX_STAY_LIMIT = 12 * 3600
#: The longest time window a venue scope may list (s): 35 days, one ceremony's batch of
#: epochs; a longer investigation lists several windows, each one visible to the approvers.
MAX_WINDOW = 35 * 86400

_TYPE = "anshim-escrow-warrant"
SIGN_CONTEXT = b"anshim/escrow/warrant/v1\x00"
ID_CONTEXT = b"anshim/escrow/warrant-id/v1\x00"
_MAX_WARRANT = 4 * 1024 * 1024
_MAX_ITEMS = 100_000
_MAX_INT = 2**63 - 1


class Authority(Protocol):
    """Who may approve: an :class:`~escrow.EpochKey` or :class:`~escrow.EpochKeyDirectory`."""

    @property
    def custodians(self) -> tuple[str, ...]: ...

    @property
    def threshold(self) -> int: ...


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_INT:
        raise DecodeError(f"warrant {what} must be a non-negative int")
    return value


@dataclass(frozen=True, slots=True)
class VenueScope:
    """One venue of a warrant's scope: its DID, maximum stay (s) and time windows [start, end].

    Raises:
        InvalidLabel: if ``venue_did`` is not a DID.
        DecodeError: on a negative or non-int stay or window bound, or no windows.
        WarrantScopeRefused: if ``venue_did`` is under ``did:anshim:`` (the holder-shown
            placeholder names every venue; module docstring), if ``max_stay`` exceeds
            :data:`MAX_STAY_LIMIT` or a window is longer than :data:`MAX_WINDOW`.
    """

    venue_did: str
    max_stay: int
    windows: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        _check_did(self.venue_did, "venue_did")
        if self.venue_did.startswith(RESERVED_DID_PREFIX):
            raise WarrantScopeRefused(
                "a venue scope cannot name a did:anshim: placeholder; "
                "holder-shown records are opened by record id only"
            )
        if _int(self.max_stay, "max_stay") > MAX_STAY_LIMIT:
            raise WarrantScopeRefused(
                f"max_stay exceeds the longest category stay ({MAX_STAY_LIMIT} s)"
            )
        if not self.windows or not all(
            len(w) == 2 and _int(w[0], "window") <= _int(w[1], "window") for w in self.windows
        ):
            raise DecodeError("a venue scope needs windows with start <= end")
        if any(end - start > MAX_WINDOW for start, end in self.windows):
            raise WarrantScopeRefused(f"a venue scope's window is longer than {MAX_WINDOW} s")


@dataclass(frozen=True, slots=True)
class WarrantScope:
    """The records a warrant covers: venues with windows, explicit envelope ids, credentials."""

    venues: tuple[VenueScope, ...] = ()
    records: frozenset[bytes] = field(default_factory=frozenset)
    credentials: tuple[tuple[str, int, int], ...] = ()

    def __post_init__(self) -> None:
        if not (self.venues or self.records or self.credentials):
            raise DecodeError("a warrant scope must not be empty")
        if len(self.venues) + len(self.records) + len(self.credentials) > _MAX_ITEMS:
            raise DecodeError("warrant scope is too large")
        if not all(isinstance(r, bytes) and len(r) == 32 for r in self.records):
            raise DecodeError("record ids must be 32-byte envelope ids")
        for cred, first, last in self.credentials:
            _check_text(cred, "credential id")
            if _int(first, "epoch") > _int(last, "epoch"):
                raise DecodeError("credential epochs must be first <= last")

    def to_obj(self) -> dict[str, Any]:
        """The CBOR-ready form (module docstring)."""
        return {
            "venues": [
                [v.venue_did, v.max_stay, [list(w) for w in v.windows]] for v in self.venues
            ],
            "records": sorted(self.records),
            "credentials": [list(c) for c in self.credentials],
        }

    @classmethod
    def from_obj(cls, obj: object) -> WarrantScope:
        """Parse the CBOR form. Raises :class:`DecodeError` on any malformed part."""
        if not isinstance(obj, dict) or set(obj) != {"venues", "records", "credentials"}:
            raise DecodeError("warrant scope must be {venues, records, credentials}")
        venues, records, creds = obj["venues"], obj["records"], obj["credentials"]
        if not all(isinstance(x, list) for x in (venues, records, creds)):
            raise DecodeError("warrant scope fields must be lists")
        try:
            vs = []
            for v in venues:
                if not isinstance(v, list) or len(v) != 3 or not isinstance(v[2], list):
                    raise DecodeError("malformed venue scope")
                wins = []
                for w in v[2]:
                    if not isinstance(w, list) or len(w) != 2:
                        raise DecodeError("malformed window")
                    wins.append((_int(w[0], "window"), _int(w[1], "window")))
                vs.append(VenueScope(v[0], v[1], tuple(wins)))
            cs = []
            for c in creds:
                if not isinstance(c, list) or len(c) != 3:
                    raise DecodeError("malformed credential scope")
                cs.append((c[0], c[1], c[2]))
            if len(set(map(bytes, records))) != len(records):
                raise DecodeError("record ids repeat")
            return cls(tuple(vs), frozenset(records), tuple(cs))
        except (InvalidLabel, TypeError) as exc:
            raise DecodeError("malformed warrant scope") from exc

    def check(self, label: Label, envelope_id: str) -> None:
        """Check that a record falls inside this scope (module docstring).

        Raises:
            ScopeError: if it does not, including a holder-shown visit (label venue
                :data:`~escrow.HOLDER_SHOWN_VENUE`) whose envelope id is not listed.
        """
        if bytes.fromhex(envelope_id) in self.records:
            return
        if isinstance(label, VisitLabel):
            if label.venue_did.startswith(RESERVED_DID_PREFIX):
                # A holder-shown label names no venue (module docstring): never by venue scope.
                raise ScopeError(
                    f"a record labelled {HOLDER_SHOWN_VENUE} is in scope only by its record id"
                )
            for v in self.venues:
                if v.venue_did == label.venue_did and any(
                    start - v.max_stay <= label.time_in <= end for start, end in v.windows
                ):
                    return
        elif isinstance(label, TraceSeedLabel):
            for cred, first, last in self.credentials:
                if cred == label.credential_id and first <= label.epoch <= last:
                    return
        raise ScopeError("record is outside the warrant's scope")


@dataclass(frozen=True, slots=True)
class Warrant:
    """A warrant body and its custodians' approvals; use :meth:`create` or :meth:`from_bytes`."""

    body: bytes
    approvals: tuple[tuple[str, bytes], ...]
    case_id: str
    purpose: str
    investigator: str
    issued: int
    expires: int
    scope: WarrantScope

    @classmethod
    def create(
        cls,
        *,
        case_id: str,
        purpose: str,
        investigator: str,
        scope: WarrantScope,
        issued: int,
        expires: int,
    ) -> Warrant:
        """A new, unapproved warrant.

        Raises:
            DecodeError: on malformed fields, an expiry not after ``issued``, or an empty scope.
            WarrantScopeRefused: on a venue scope :class:`VenueScope` refuses.
        """
        body = cbor.encode(
            {
                "v": 1,
                "type": _TYPE,
                "case_id": case_id,
                "purpose": purpose,
                "investigator": investigator,
                "issued": issued,
                "expires": expires,
                "scope": scope.to_obj(),
            }
        )
        return cls._from_body(body, ())

    @classmethod
    def _from_body(cls, body: bytes, approvals: tuple[tuple[str, bytes], ...]) -> Warrant:
        obj = cbor.decode(body, max_size=_MAX_WARRANT, max_depth=6)
        keys = {"v", "type", "case_id", "purpose", "investigator", "issued", "expires", "scope"}
        if not isinstance(obj, dict) or set(obj) != keys:
            raise DecodeError("warrant body has missing or unknown fields")
        if type(obj["v"]) is not int or obj["v"] != 1 or obj["type"] != _TYPE:
            raise DecodeError("not an anshim warrant of a supported version")
        try:
            case_id = _check_text(obj["case_id"], "case_id")
            purpose = _check_text(obj["purpose"], "purpose")
            investigator = _check_did(obj["investigator"], "investigator")
        except InvalidLabel as exc:
            raise DecodeError(f"warrant: {exc.message}") from exc
        issued, expires = _int(obj["issued"], "issued"), _int(obj["expires"], "expires")
        if expires <= issued:
            raise DecodeError("warrant expires before it is issued")
        scope = WarrantScope.from_obj(obj["scope"])
        return cls(body, approvals, case_id, purpose, investigator, issued, expires, scope)

    @classmethod
    def from_bytes(cls, data: bytes) -> Warrant:
        """Strictly decode a warrant file (signatures are checked by :meth:`verify`).

        Raises:
            DecodeError: on malformed CBOR or fields.
            WarrantScopeRefused: on a venue scope :class:`VenueScope` refuses.
        """
        obj = cbor.decode(data, max_size=_MAX_WARRANT + 65536, max_depth=3)
        if not isinstance(obj, dict) or set(obj) != {"body", "approvals"}:
            raise DecodeError("warrant must be {body, approvals}")
        body, approvals = obj["body"], obj["approvals"]
        if not isinstance(body, bytes) or not isinstance(approvals, list) or len(approvals) > 64:
            raise DecodeError("warrant: wrong field types")
        out = []
        for a in approvals:
            if not (isinstance(a, list) and len(a) == 2 and isinstance(a[0], str)):
                raise DecodeError("warrant: malformed approval")
            if not isinstance(a[1], bytes):
                raise DecodeError("warrant: malformed approval")
            out.append((a[0], a[1]))
        return cls._from_body(body, tuple(out))

    def to_bytes(self) -> bytes:
        """The warrant file's canonical encoding."""
        return cbor.encode({"body": self.body, "approvals": [list(a) for a in self.approvals]})

    @property
    def warrant_id(self) -> bytes:
        """SHA-256 over the body with a domain prefix: what shares and log entries cite."""
        return hashlib.sha256(ID_CONTEXT + self.body).digest()

    def check_window(self, *, now: int) -> None:
        """Check that the warrant is valid at ``now``: ``issued ≤ now < expires``.

        Raises:
            WarrantNotYetValid: ``now`` is before ``issued``.
            WarrantExpired: ``now`` is at or after ``expires``.
            InputError: ``now`` is not a non-negative int.
        """
        if isinstance(now, bool) or not isinstance(now, int) or now < 0:
            raise InputError("now must be a non-negative int (Unix seconds)")
        if now < self.issued:
            raise WarrantNotYetValid("the warrant is not valid yet (now is before issued)")
        if now >= self.expires:
            raise WarrantExpired("the warrant has expired")

    def approve(self, key: Ed25519PrivateKey, did: str, *, now: int) -> Warrant:
        """This warrant with one more approval by the custodian ``did`` holding ``key``.

        A custodian approves only a warrant that is valid at ``now`` (DESIGN.md "Warrant":
        the expiry is part of what k custodians sign; an expired warrant opens nothing, so
        approving one would only put a dead approval in the audit log).

        Raises:
            WarrantNotYetValid, WarrantExpired: the warrant is not valid at ``now``.
            InputError: if ``did`` has already approved or ``key`` is not ``did``'s key.
        """
        self.check_window(now=now)
        if any(d == did for d, _ in self.approvals):
            raise InputError("this custodian has already approved the warrant")
        if ed25519_public_key_from_did(did) != key.public_key:
            raise InputError("the signing key is not the custodian DID's key")
        sig = key.sign(SIGN_CONTEXT + self.body)
        return Warrant(
            self.body, (*self.approvals, (did, sig)), self.case_id, self.purpose,
            self.investigator, self.issued, self.expires, self.scope,
        )  # fmt: skip

    def verify(self, authority: Authority, *, now: int) -> None:
        """Check the validity window and the custodians' approvals.

        Raises:
            WarrantNotYetValid, WarrantExpired: the warrant is not valid at ``now``.
            WarrantUnknownSigner: an approval by a non-custodian.
            WarrantBadApproval: a bad or repeated approval.
            WarrantQuorumMissing: fewer than k valid approvals.
            InputError: ``now`` is not a non-negative int.
        """
        self.check_window(now=now)
        custodians: Sequence[str] = authority.custodians
        seen: set[str] = set()
        for did, sig in self.approvals:
            if did not in custodians:
                raise WarrantUnknownSigner("warrant approved by a non-custodian")
            if did in seen:
                raise WarrantBadApproval("a custodian approved twice")
            try:
                ed25519_public_key_from_did(did).verify(sig, SIGN_CONTEXT + self.body)
            except (InvalidSignature, InputError) as exc:
                raise WarrantBadApproval("an approval does not verify") from exc
            seen.add(did)
        if len(seen) < authority.threshold:
            raise WarrantQuorumMissing(
                f"warrant has {len(seen)} approvals, {authority.threshold} needed"
            )
