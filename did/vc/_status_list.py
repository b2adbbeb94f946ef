"""Bitstring Status List v1.0: issue status lists, revoke and suspend, check status.

Issuer side: a :class:`StatusList` is one bitstring for one ``statusPurpose``
(``revocation`` or ``suspension``), at least 131,072 entries (§2.1, so that one credential
hides among many). :meth:`StatusList.allocate` hands out *random* unused indexes: sequential
ones would leak the order of issuance (§6.3 "Privacy Considerations"). The list is published
as a ``BitstringStatusListCredential`` whose ``encodedList`` is the multibase base64url
(``u``) of the GZIP-compressed bitstring (§2.2). Index 0 is the left-most bit of the first
byte.

Verifier side: :class:`StatusListChecker` fetches each ``statusListCredential`` through a
:class:`did.Transport`, verifies it like any credential (it must be signed by the
credential's own issuer), caches it for its ``ttl``, and raises
:class:`~did.vc.errors.RevokedCredential` or :class:`~did.vc.errors.SuspendedCredential`
when the bit is set. Anything that prevents a clear answer raises
:class:`~did.vc.errors.StatusCheckFailed`: the check fails closed.

Quick start::

    lst = StatusList(purpose="revocation")
    index = lst.allocate()
    vc["credentialStatus"] = lst.entry(index, "https://issuer.example/status/1")
    lst.set(index)                                   # revoke
    list_vc = lst.to_credential(issuer=did, list_url="https://issuer.example/status/1")
"""

from __future__ import annotations

import datetime as _dt
import gzip
import secrets
import threading
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from did import Transport, b64url_decode, b64url_encode
from did.errors import AnshimError, DecodeError, InputError, ResolutionError
from did.vc._credential import VC_V2_CONTEXT, Credential
from did.vc._data_integrity import KeyResolver
from did.vc._suites import format_datetime
from did.vc._verify import verify_credential
from did.vc.errors import (
    RevokedCredential,
    StatusCheckFailed,
    StatusListFull,
    SuspendedCredential,
)

__all__ = [
    "ENTRY_TYPE",
    "LIST_CREDENTIAL_TYPE",
    "PURPOSES",
    "STATUS_LIST_MIN_ENTRIES",
    "StatusList",
    "StatusListChecker",
]

ENTRY_TYPE = "BitstringStatusListEntry"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
LIST_TYPE = "BitstringStatusList"
# §2.1: the bitstring is at least 16 KB (131,072 entries) for group privacy.
STATUS_LIST_MIN_ENTRIES = 131_072
PURPOSES = ("revocation", "suspension")
# A bound on what a verifier inflates (a GZIP bomb would otherwise cost memory):
# 2 MiB of bitstring is 16.7 million entries.
_MAX_LIST_BYTES = 2 * 1024 * 1024
_MAX_ENCODED_CHARS = 1024 * 1024
_MAX_INDEX_CHARS = 10
_DEFAULT_TTL = _dt.timedelta(minutes=5)
_FETCH_TIMEOUT = 10.0


def _check_purpose(purpose: object) -> str:
    if not isinstance(purpose, str) or purpose not in PURPOSES:
        raise InputError(f"statusPurpose must be one of {', '.join(PURPOSES)}")
    return purpose


class StatusList:
    """One status bitstring for one purpose, with the set of allocated indexes.

    ``allocated`` restores a list's allocation record (the issuer persists it with the
    bits). Raises :class:`~did.errors.InputError` for a size below 131,072 or not a
    multiple of 8, or an unknown purpose.
    """

    def __init__(
        self,
        size: int = STATUS_LIST_MIN_ENTRIES,
        *,
        purpose: str = "revocation",
        bits: bytes | None = None,
        allocated: Iterable[int] = (),
    ) -> None:
        if not isinstance(size, int) or size < STATUS_LIST_MIN_ENTRIES or size % 8:
            raise InputError(
                f"a status list has at least {STATUS_LIST_MIN_ENTRIES} entries, a multiple of 8"
            )
        if size // 8 > _MAX_LIST_BYTES:
            raise InputError("status list is too large")
        self.purpose = _check_purpose(purpose)
        if bits is not None and len(bits) != size // 8:
            raise InputError("bits do not match the list size")
        self._bits = bytearray(bits) if bits is not None else bytearray(size // 8)
        self._allocated: set[int] = set()
        for index in allocated:
            self._check_index(index)
            self._allocated.add(index)
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """The number of entries."""
        return len(self._bits) * 8

    @property
    def allocated(self) -> frozenset[int]:
        """The indexes handed out so far (persist these with :meth:`encode`)."""
        return frozenset(self._allocated)

    def _check_index(self, index: object) -> int:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.size:
            raise InputError("status list index out of range")
        return index

    def allocate(self) -> int:
        """A random index never handed out before (§6.3: no sequential indexes).

        Raises :class:`StatusListFull` when every index is taken.
        """
        with self._lock:
            free = self.size - len(self._allocated)
            if free <= 0:
                raise StatusListFull("every index of this status list is allocated")
            if free > self.size // 2:
                # Mostly free: rejection sampling finds a free index in < 2 tries on average.
                while True:
                    index = secrets.randbelow(self.size)
                    if index not in self._allocated:
                        break
            else:
                # Mostly full: choose uniformly among the free indexes directly.
                unused = [i for i in range(self.size) if i not in self._allocated]
                index = unused[secrets.randbelow(len(unused))]
            self._allocated.add(index)
            return index

    def get(self, index: int) -> bool:
        """Whether the bit at ``index`` is set (index 0 = left-most bit of the first byte).

        Raises :class:`~did.errors.InputError` for an index out of range.
        """
        i = self._check_index(index)
        return bool(self._bits[i // 8] & (0x80 >> (i % 8)))

    def set(self, index: int, value: bool = True) -> None:
        """Set (revoke / suspend) or clear (unsuspend) the bit at ``index``.

        Raises :class:`~did.errors.InputError` for an index out of range or for clearing a
        revocation bit (revocation cannot be undone, Bitstring Status List §2.1).
        """
        i = self._check_index(index)
        mask = 0x80 >> (i % 8)
        with self._lock:
            if value:
                self._bits[i // 8] |= mask
            else:
                if self.purpose == "revocation" and self._bits[i // 8] & mask:
                    raise InputError("a revoked credential cannot be reinstated")
                self._bits[i // 8] &= ~mask & 0xFF

    def encode(self) -> str:
        """``encodedList``: multibase base64url (``u``) of the GZIP bitstring (§2.2)."""
        # mtime=0 makes the encoding deterministic (no timestamp leaks into the list).
        return "u" + b64url_encode(gzip.compress(bytes(self._bits), mtime=0))

    @classmethod
    def decode(cls, encoded: object, *, purpose: str = "revocation") -> StatusList:
        """A list from ``encodedList`` (bounded: a GZIP bomb is refused).

        Raises :class:`~did.errors.DecodeError` for a value that is not multibase
        base64url GZIP of a bitstring of an allowed size.
        """
        if not isinstance(encoded, str) or not 1 < len(encoded) <= _MAX_ENCODED_CHARS:
            raise DecodeError("encodedList must be a bounded string")
        if encoded[0] != "u":
            raise DecodeError("encodedList must be multibase base64url (prefix 'u')")
        compressed = b64url_decode(encoded[1:])
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP framing only
        try:
            bits = inflater.decompress(compressed, _MAX_LIST_BYTES + 1)
        except zlib.error:
            raise DecodeError("encodedList is not valid GZIP") from None
        if len(bits) > _MAX_LIST_BYTES or not inflater.eof or inflater.unused_data:
            raise DecodeError("encodedList is too large, truncated or has trailing data")
        try:
            return cls(len(bits) * 8, purpose=purpose, bits=bits)
        except InputError as exc:
            raise DecodeError(exc.message) from None

    def entry(self, index: int, list_url: str) -> dict[str, Any]:
        """The ``credentialStatus`` entry for ``index`` (§2.1 ``BitstringStatusListEntry``).

        Raises :class:`~did.errors.InputError` for an index out of range.
        """
        i = self._check_index(index)
        return {
            "id": f"{list_url}#{i}",
            "type": ENTRY_TYPE,
            "statusPurpose": self.purpose,
            "statusListIndex": str(i),
            "statusListCredential": list_url,
        }

    def to_credential(
        self,
        *,
        issuer: str,
        list_url: str,
        valid_from: _dt.datetime | None = None,
        valid_until: _dt.datetime | None = None,
        ttl: _dt.timedelta | None = None,
    ) -> dict[str, Any]:
        """The unsigned ``BitstringStatusListCredential`` (§2.2); sign it with ``add_proof``.

        ``ttl`` tells verifiers how long they may cache it. Raises
        :class:`~did.vc.errors.CredentialError` for a naive datetime.
        """
        subject: dict[str, Any] = {
            "id": f"{list_url}#list",
            "type": LIST_TYPE,
            "statusPurpose": self.purpose,
            "encodedList": self.encode(),
        }
        if ttl is not None:
            subject["ttl"] = int(ttl.total_seconds() * 1000)  # §2.2: milliseconds
        credential: dict[str, Any] = {
            "@context": [VC_V2_CONTEXT],
            "id": list_url,
            "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
            "issuer": issuer,
        }
        if valid_from is not None:
            credential["validFrom"] = format_datetime(valid_from)
        if valid_until is not None:
            credential["validUntil"] = format_datetime(valid_until)
        credential["credentialSubject"] = subject
        return credential

    def __repr__(self) -> str:
        return f"StatusList(size={self.size}, purpose={self.purpose!r})"


@dataclass(frozen=True)
class _Cached:
    issuer: str
    purpose: str
    status_list: StatusList
    expires: _dt.datetime


def _parse_entry(entry: Mapping[str, Any]) -> tuple[str, str, int]:
    """(list URL, purpose, index) of a ``BitstringStatusListEntry`` (§2.1)."""
    if entry.get("type") != ENTRY_TYPE:
        raise StatusCheckFailed(f"unsupported credentialStatus type {entry.get('type')!r:.64}")
    url = entry.get("statusListCredential")
    purpose = entry.get("statusPurpose")
    raw_index = entry.get("statusListIndex")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise StatusCheckFailed("statusListCredential must be an http(s) URL")
    if purpose not in PURPOSES:
        raise StatusCheckFailed("statusPurpose must be revocation or suspension")
    if "statusSize" in entry and entry["statusSize"] != 1:
        raise StatusCheckFailed("only one-bit status entries (statusSize 1) are supported")
    # §2.1: statusListIndex is the index as a string of decimal digits.
    if (
        not isinstance(raw_index, str)
        or not 0 < len(raw_index) <= _MAX_INDEX_CHARS
        or not raw_index.isascii()
        or not raw_index.isdigit()
        or (raw_index != "0" and raw_index.startswith("0"))
    ):
        raise StatusCheckFailed("statusListIndex must be a decimal integer string")
    return url, str(purpose), int(raw_index)


class StatusListChecker:
    """Checks ``credentialStatus`` against fetched, verified, cached status lists.

    ``transport`` fetches status list credentials (use :class:`did.HttpTransport`
    in production, :class:`did.InMemoryTransport` in tests); ``resolver`` verifies
    their proofs. A list is cached until its ``ttl`` (or ``default_ttl``) has passed, never
    beyond its ``validUntil``.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        resolver: KeyResolver | None = None,
        default_ttl: _dt.timedelta = _DEFAULT_TTL,
        max_bytes: int = 256 * 1024,
    ) -> None:
        self._transport = transport
        self._resolver = resolver
        self._ttl = default_ttl
        self._max_bytes = max_bytes
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def _load(self, url: str, now: _dt.datetime) -> _Cached:
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None and now < cached.expires:
            return cached
        try:
            body = self._transport.get(url, max_bytes=self._max_bytes, timeout=_FETCH_TIMEOUT)
        except ResolutionError as exc:
            raise StatusCheckFailed(f"cannot fetch the status list: {exc.message}") from exc
        try:
            verified = verify_credential(body, resolver=self._resolver, now=now)
        except AnshimError as exc:
            raise StatusCheckFailed(
                f"the status list credential is invalid: {exc.message}"
            ) from exc
        list_vc = verified.credential
        if list_vc.id != url:
            # Bitstring Status List §3.2 (validate): the list credential must be the one the
            # entry names. Without this, another list of the same issuer (where the bit is
            # clear) served at this URL would un-revoke the credential.
            raise StatusCheckFailed(
                "the status list credential's id is not the URL it was fetched for"
            )
        subject = list_vc.subjects[0]
        if LIST_CREDENTIAL_TYPE not in list_vc.types or subject.get("type") != LIST_TYPE:
            raise StatusCheckFailed("not a BitstringStatusListCredential")
        purpose = subject.get("statusPurpose")
        if purpose not in PURPOSES:
            raise StatusCheckFailed("the status list has an unsupported statusPurpose")
        try:
            status_list = StatusList.decode(subject.get("encodedList"), purpose=str(purpose))
        except DecodeError as exc:
            raise StatusCheckFailed(f"bad encodedList: {exc.message}") from exc
        ttl = self._ttl
        if isinstance(subject.get("ttl"), int) and not isinstance(subject["ttl"], bool):
            ttl = _dt.timedelta(milliseconds=max(0, min(subject["ttl"], 86_400_000)))
        expires = now + ttl
        if list_vc.valid_until is not None:
            expires = min(expires, list_vc.valid_until)
        entry = _Cached(list_vc.issuer, str(purpose), status_list, expires)
        with self._lock:
            self._cache[url] = entry
        return entry

    def check(self, credential: Credential, *, now: _dt.datetime) -> None:
        """Check every status entry of ``credential`` at ``now``.

        Raises :class:`~did.vc.errors.RevokedCredential`,
        :class:`~did.vc.errors.SuspendedCredential`, or
        :class:`~did.vc.errors.StatusCheckFailed` (unfetchable or invalid list, a list by
        another issuer, a list whose ``id`` is not the entry's URL, a purpose mismatch, an
        index out of range, an unknown entry type).
        """
        for entry in credential.status:
            url, purpose, index = _parse_entry(entry)
            cached = self._load(url, now)
            if cached.issuer != credential.issuer:
                raise StatusCheckFailed("the status list is not issued by the credential's issuer")
            if cached.purpose != purpose:
                # §3.2 "Validate Algorithm": the purposes must match.
                raise StatusCheckFailed("the status list's statusPurpose does not match the entry")
            if index >= cached.status_list.size:
                raise StatusCheckFailed("statusListIndex is beyond the end of the list")
            if cached.status_list.get(index):
                if purpose == "revocation":
                    raise RevokedCredential("the credential has been revoked")
                raise SuspendedCredential("the credential is suspended")
