"""Venue registration, approval, key rotation and deactivation (DESIGN.md "The registry
service", Venues; "Access control": a venue proves itself by its DID key).

An operator registers a venue with a :class:`Registration`: names in Korean and English,
address, business registration number, facility class, the venue's Ed25519 and X25519
public keys (Multikey), a fresh nonce and the time, signed by the venue's Ed25519 key as
proof of possession. The signed bytes are a context string and the RFC 8785 (JCS) form of
the request without its ``proof`` (:func:`protocol.venue_request_bytes`, the one definition
the venue service signs by too)::

    b"anshim/registry/venue-registration/v1\\x00" + JCS(request - proof)

A :class:`Rotation` names the venue's DID and its new keys and carries two signatures over
the same kind of bytes (context ``venue-rotation``): ``proof`` by the *current* key (the
venue authorises the change) and ``newKeyProof`` by the new key (it possesses it).

Both are refused when their ``created`` time is more than :data:`REQUEST_WINDOW` seconds
from the registry's clock or their nonce was seen before (the nonce is claimed in the
authority's replay store for twice the window), so a captured request cannot be replayed.

:class:`VenueRecord` is what the authority keeps about a venue; ``status`` moves from
``pending`` (registered) to ``active`` (approved by the administrator) to ``deactivated``
(final).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from did import (
    Ed25519PublicKey,
    InvalidKey,
    InvalidSignature,
    ReplayStore,
    X25519PublicKey,
    b64url_decode,
)
from did.errors import DecodeError
from protocol import (
    CATEGORIES,
    VENUE_REGISTRATION_CONTEXT,
    VENUE_ROTATION_CONTEXT,
    venue_request_bytes,
)
from protocol.errors import MalformedMessage
from registry.errors import (
    InvalidRegistration,
    ProofOfPossessionFailed,
    ReplayedRequest,
)

__all__ = [
    "REGISTRATION_CONTEXT",
    "REQUEST_WINDOW",
    "ROTATION_CONTEXT",
    "Registration",
    "Rotation",
    "VenueRecord",
    "new_venue_id",
    "signed_bytes",
]

#: The contexts a registration's and a rotation's proofs sign under (defined in protocol,
#: which the venue service that signs them shares).
REGISTRATION_CONTEXT = VENUE_REGISTRATION_CONTEXT
ROTATION_CONTEXT = VENUE_ROTATION_CONTEXT
#: How far (seconds) a request's ``created`` may be from the registry's clock.
REQUEST_WINDOW = 300
_BRN_RE = re.compile(r"\A[0-9]{3}-[0-9]{2}-[0-9]{5}\Z")
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_ID_RE = re.compile(r"\A[a-z2-7]{12}\Z")
_MAX_NAME = 100
_MAX_ADDRESS = 200
_SIGNATURE_SIZE = 64
_NONCE_SIZE = 16


def new_venue_id() -> str:
    """A random 12-character venue id (60 bits, base32 lowercase): the last segment of the
    venue's did:web."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def is_venue_id(value: object) -> bool:
    """Whether ``value`` has the form of a venue id."""
    return isinstance(value, str) and _ID_RE.match(value) is not None


def signed_bytes(context: bytes, request: Mapping[str, Any]) -> bytes:
    """The bytes a request's signatures cover (:func:`protocol.venue_request_bytes`:
    ``context`` and the JCS form of the request without ``proof`` and ``newKeyProof``).

    Raises:
        InvalidRegistration: a request that has no JCS form (a float that is not finite),
            or a context that is neither of the two.
    """
    try:
        return venue_request_bytes(context, request)
    except MalformedMessage as exc:
        raise InvalidRegistration(exc.message) from exc


def _text(request: Mapping[str, Any], name: str, limit: int) -> str:
    value = request.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise InvalidRegistration(f"{name} must be text of 1 to {limit} characters")
    value = unicodedata.normalize("NFC", value.strip())
    if not value or any(unicodedata.category(c)[0] == "C" for c in value):
        raise InvalidRegistration(f"{name} must be printable text")
    return value


def _int(request: Mapping[str, Any], name: str) -> int:
    value = request.get(name)
    if type(value) is not int or not 0 <= value < 2**32:
        raise InvalidRegistration(f"{name} must be a Unix time")
    return value


def _signature(request: Mapping[str, Any], name: str) -> bytes:
    value = request.get(name)
    try:
        raw = b64url_decode(value) if isinstance(value, str) and len(value) <= 100 else b""
    except DecodeError:
        raw = b""
    if len(raw) != _SIGNATURE_SIZE:
        raise InvalidRegistration(f"{name} must be a base64url Ed25519 signature")
    return raw


def _nonce(request: Mapping[str, Any]) -> bytes:
    value = request.get("nonce")
    try:
        raw = b64url_decode(value) if isinstance(value, str) and len(value) <= 32 else b""
    except DecodeError:
        raw = b""
    if len(raw) != _NONCE_SIZE:
        raise InvalidRegistration("nonce must be 16 random bytes in base64url")
    return raw


def _keys(request: Mapping[str, Any]) -> tuple[Ed25519PublicKey, X25519PublicKey]:
    sk, ak = request.get("signingKey"), request.get("agreementKey")
    if not isinstance(sk, str) or not isinstance(ak, str) or max(len(sk), len(ak)) > 100:
        raise InvalidRegistration("signingKey and agreementKey must be Multikey strings")
    try:
        return Ed25519PublicKey.from_multikey(sk), X25519PublicKey.from_multikey(ak)
    except (InvalidKey, DecodeError) as exc:
        raise InvalidRegistration(
            "signingKey must be an Ed25519 and agreementKey an X25519 Multikey"
        ) from exc


def _check_fields(request: object, kind: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(request, Mapping):
        raise InvalidRegistration("the request must be a JSON object")
    if request.get("type") != kind:
        raise InvalidRegistration(f"type must be {kind!r}")
    if set(request) != allowed:
        raise InvalidRegistration(f"a {kind} has exactly the fields {sorted(allowed)}")
    return request


def _fresh(replay: ReplayStore, context: bytes, nonce: bytes, created: int, now: int) -> None:
    if abs(created - now) > REQUEST_WINDOW:
        raise ReplayedRequest(f"created must be within {REQUEST_WINDOW} s of the registry's clock")
    if not replay.claim(context + nonce, until=now + 2 * REQUEST_WINDOW, now=now):
        raise ReplayedRequest("this request was already received")


def _verify(key: Ed25519PublicKey, signature: bytes, message: bytes, what: str) -> None:
    try:
        key.verify(signature, message)
    except InvalidSignature as exc:
        raise ProofOfPossessionFailed(f"{what} does not verify") from exc


_REGISTRATION_FIELDS = frozenset(
    {
        "type",
        "name",
        "address",
        "businessRegistrationNumber",
        "category",
        "signingKey",
        "agreementKey",
        "nonce",
        "created",
        "proof",
    }
)
_ROTATION_FIELDS = frozenset(
    {"type", "venue", "signingKey", "agreementKey", "nonce", "created", "proof", "newKeyProof"}
)


@dataclass(frozen=True, slots=True)
class Registration:
    """A verified venue registration (module docstring). Build with :meth:`verify`."""

    name_ko: str
    name_en: str
    address: str
    business_registration_number: str
    category: str
    signing_key: Ed25519PublicKey
    agreement_key: X25519PublicKey
    created: int

    @classmethod
    def verify(cls, request: object, *, replay: ReplayStore, now: int) -> Registration:
        """Parse a registration strictly, check its proof of possession and its freshness.

        Raises:
            InvalidRegistration: a missing, extra or malformed field, an unknown category.
            ProofOfPossessionFailed: ``proof`` is not the signing key's signature.
            ReplayedRequest: ``created`` is outside the window, or the nonce was seen.
            ReplayStoreFull: the replay store is full.
        """
        r = _check_fields(request, "VenueRegistration", _REGISTRATION_FIELDS)
        names = r.get("name")
        if not isinstance(names, Mapping) or set(names) != {"ko", "en"}:
            raise InvalidRegistration("name must be an object with 'ko' and 'en'")
        name_ko, name_en = _text(names, "ko", _MAX_NAME), _text(names, "en", _MAX_NAME)
        address = _text(r, "address", _MAX_ADDRESS)
        brn = r.get("businessRegistrationNumber")
        if not isinstance(brn, str) or not _BRN_RE.match(brn):
            raise InvalidRegistration("businessRegistrationNumber must look like 123-45-67890")
        category = r.get("category")
        if category not in CATEGORIES:
            raise InvalidRegistration(f"category must be one of {sorted(CATEGORIES)}")
        signing_key, agreement_key = _keys(r)
        created, nonce, proof = _int(r, "created"), _nonce(r), _signature(r, "proof")
        _verify(signing_key, proof, signed_bytes(REGISTRATION_CONTEXT, r), "the proof")
        _fresh(replay, REGISTRATION_CONTEXT, nonce, created, now)
        return cls(
            name_ko, name_en, address, brn, str(category), signing_key, agreement_key, created
        )


@dataclass(frozen=True, slots=True)
class Rotation:
    """A verified key rotation (module docstring). Build with :meth:`verify`."""

    venue: str
    signing_key: Ed25519PublicKey
    agreement_key: X25519PublicKey

    @classmethod
    def verify(
        cls, request: object, *, current_key: Ed25519PublicKey, replay: ReplayStore, now: int
    ) -> Rotation:
        """Parse a rotation strictly and check both signatures and its freshness.

        Raises:
            InvalidRegistration: a missing, extra or malformed field, or new keys equal to
                the current one.
            ProofOfPossessionFailed: ``proof`` is not the current key's signature, or
                ``newKeyProof`` not the new key's.
            ReplayedRequest: ``created`` is outside the window, or the nonce was seen.
        """
        r = _check_fields(request, "VenueKeyRotation", _ROTATION_FIELDS)
        venue = r.get("venue")
        if not isinstance(venue, str) or len(venue) > 64:
            raise InvalidRegistration("venue must be the venue's DID")
        signing_key, agreement_key = _keys(r)
        if signing_key == current_key:
            raise InvalidRegistration("the new signing key is the current one")
        created, nonce = _int(r, "created"), _nonce(r)
        proof, new_proof = _signature(r, "proof"), _signature(r, "newKeyProof")
        message = signed_bytes(ROTATION_CONTEXT, r)
        _verify(current_key, proof, message, "the current key's proof")
        _verify(signing_key, new_proof, message, "the new key's proof")
        _fresh(replay, ROTATION_CONTEXT, nonce, created, now)
        return cls(venue, signing_key, agreement_key)


@dataclass(frozen=True, slots=True)
class VenueRecord:
    """What the authority keeps about one venue (``status``: pending, active, deactivated;
    keys as Multikey strings; times as Unix seconds)."""

    id: str
    did: str
    status: str
    name_ko: str
    name_en: str
    address: str
    business_registration_number: str
    category: str
    signing_key: str
    agreement_key: str
    registered: int
    approved: int | None = None
    deactivated: int | None = None
    status_index: int | None = None
    credential: dict[str, Any] | None = None
    previous_keys: list[list[Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VenueRecord:
        """The record of its stored form (:meth:`to_json`)."""
        return cls(**dict(data))

    def to_json(self) -> dict[str, Any]:
        """The stored form (JSON-ready)."""
        return asdict(self)

    @property
    def public_signing_key(self) -> Ed25519PublicKey:
        """The current Ed25519 key."""
        return Ed25519PublicKey.from_multikey(self.signing_key)

    @property
    def public_agreement_key(self) -> X25519PublicKey:
        """The current X25519 key."""
        return X25519PublicKey.from_multikey(self.agreement_key)

    def with_keys(self, rotation: Rotation, *, now: int) -> VenueRecord:
        """The record after a rotation (the old signing key kept with the time it ended)."""
        return replace(
            self,
            signing_key=rotation.signing_key.to_multikey(),
            agreement_key=rotation.agreement_key.to_multikey(),
            previous_keys=[*self.previous_keys, [self.signing_key, now]],
        )

    def public_json(self) -> dict[str, Any]:
        """What anyone may read about the venue (no keys' history, no credential)."""
        return {
            "id": self.id,
            "did": self.did,
            "status": self.status,
            "name": {"ko": self.name_ko, "en": self.name_en},
            "address": self.address,
            "category": self.category,
            "registered": self.registered,
            "approved": self.approved,
            "deactivated": self.deactivated,
        }
