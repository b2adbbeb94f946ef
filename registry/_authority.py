"""The health authority's registry as one object: its keys and DID, its ledger, the
sealed-visit store, the clock, and the venue lifecycle (DESIGN.md "The registry service").

The registry is ``did:web:<host>`` (its document at ``/.well-known/did.json``); a venue it
hosts is ``did:web:<host>:venues:<id>`` (its document at ``/venues/<id>/did.json``). Its
one Ed25519 key signs posters (:class:`~protocol.VenueCode`), credentials, status lists,
exposure notices and access tokens. Everything here takes its time from the injected
``clock`` (STYLE.md habit 6).

Venue lifecycle: :meth:`Authority.register` (pending) → :meth:`Authority.approve` (active:
directory entry in the store, DID document, ``VenueCredential`` with a status-list entry)
→ :meth:`Authority.rotate` (new keys, signed by the current key) →
:meth:`Authority.deactivate` (status bit set, DID document gone with 410, directory entry
closed, posters and uploads refused).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from did import (
    DidDocument,
    Ed25519PrivateKey,
    Ed25519PublicKey,
    Gone,
    NotFound,
    Resolver,
    did_web_document,
    did_web_to_url,
    url_to_did_web,
)
from did.vc import ProofOptions, add_proof
from protocol import VenueCode
from protocol.errors import OversizeMessage
from registry._groupcommit import GroupCommit
from registry._ledger import Ledger
from registry._model import Venue
from registry._status import StatusLists
from registry._store import Store
from registry._venues import Registration, Rotation, VenueRecord, is_venue_id, new_venue_id
from registry.errors import (
    InvalidRegistration,
    UnknownVenue,
    VenueDeactivated,
    VenueExists,
    VenueNotActive,
)

__all__ = ["VENUE_CREDENTIAL_TYPE", "Authority", "AuthorityConfig"]

VENUE_CREDENTIAL_TYPE = "VenueCredential"
_VC_V2 = "https://www.w3.org/ns/credentials/v2"
_DAY = 86_400


@dataclass(frozen=True, slots=True)
class AuthorityConfig:
    """What an authority is configured with.

    ``public_url`` is the registry's https origin (its did:web follows from it);
    ``admin_did`` the administrator's DID; ``custodians`` and ``threshold`` the pinned
    escrow custodians (the epoch-key directory and the audit log are verified against them
    before anything is published).

    Raises (on construction):
        InvalidDid: ``public_url`` has no did:web (not https, an IP address, a path).
        ValueError: a lifetime that is not positive.
    """

    public_url: str
    admin_did: str
    custodians: tuple[str, ...] = ()
    threshold: int | None = None
    token_lifetime: int = 900
    challenge_lifetime: int = 300
    credential_days: int = 365
    poster_days: int = 365

    def __post_init__(self) -> None:
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))
        if ":" in url_to_did_web(self.public_url).removeprefix("did:web:").replace("%3A", ""):
            raise ValueError("public_url must be an origin without a path")
        for name in ("token_lifetime", "challenge_lifetime", "credential_days", "poster_days"):
            if type(getattr(self, name)) is not int or getattr(self, name) <= 0:
                raise ValueError(f"{name} must be a positive int")


class _OwnDocuments:
    """A :class:`did.Transport` that answers for the registry's own URLs from memory, so
    the registry verifies its own and its venues' signatures without any network."""

    def __init__(self, authority: Authority) -> None:
        self._authority = authority

    def get(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        a = self._authority
        prefix = a.config.public_url + "/"
        if not url.startswith(prefix):
            raise NotFound("only the registry's own documents are resolved here")
        path = url.removeprefix(prefix)
        if path == ".well-known/did.json":
            return json.dumps(a.document().to_json()).encode()
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == "venues" and parts[2] == "did.json":
            try:
                return json.dumps(a.venue_document(parts[1])).encode()
            except VenueDeactivated:
                raise Gone("the venue was deactivated") from None
            except (UnknownVenue, VenueNotActive):
                raise NotFound("no such venue") from None
        if len(parts) == 2 and parts[0] == "status":
            try:
                return a.status.credential(parts[1], now=a.now())
            except KeyError:
                raise NotFound("no such status list") from None
        raise NotFound("no document at this URL")


class Authority:
    """The registry (module docstring). Every method may raise
    :class:`~registry.errors.StoreUnavailable` when the ledger or store fails."""

    def __init__(
        self,
        config: AuthorityConfig,
        *,
        key: Ed25519PrivateKey,
        ledger: Ledger,
        store: Store,
        clock: Callable[[], int],
    ) -> None:
        self.config = config
        self.key = key
        self.ledger = ledger
        self.store = store
        self.clock = clock
        self.did = url_to_did_web(config.public_url)
        self.verification_method = f"{self.did}#{key.public_key.to_multikey()}"
        self.status = StatusLists(
            ledger,
            issuer=self.did,
            list_url=lambda name: f"{config.public_url}/status/{name}",
            sign=self.sign_credential,
        )
        self.transport = _OwnDocuments(self)
        self.resolver = Resolver(transport=self.transport, cache_ttl=0)
        #: Upload batches reach the store through here (one durable commit per group): one
        #: commit at a time on SQLite (one writer), two on PostgreSQL (of its pool's four);
        #: holder-shown claims go to the ledger first, one transaction per group.
        from registry._uploads import claim_holder_shown  # _uploads imports this module

        self.commits = GroupCommit(
            store,
            claim=lambda claims: claim_holder_shown(self, claims),
            concurrency=2 if store.url.startswith("postgres") else 1,
        )

    # -- the registry itself -------------------------------------------------------------

    def now(self) -> int:
        """The clock's time, in whole Unix seconds."""
        return int(self.clock())

    def document(self) -> DidDocument:
        """The registry's own DID document."""
        return did_web_document(self.did, signing_key=self.key.public_key)

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The key wallets pin to check posters and notices."""
        return self.key.public_key

    def sign_credential(
        self, unsecured: dict[str, Any], *, suite: str = "eddsa-jcs-2022"
    ) -> dict[str, Any]:
        """``unsecured`` with a Data Integrity proof by the registry's key.

        Raises:
            CredentialError, UnsupportedCryptosuite: as :func:`did.vc.add_proof`.
        """
        created = _dt.datetime.fromtimestamp(self.now(), _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        options = ProofOptions(verification_method=self.verification_method, created=created)
        return add_proof(unsecured, self.key, options, suite=suite)

    def _moment(self, t: int) -> str:
        return _dt.datetime.fromtimestamp(t, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- venues ---------------------------------------------------------------------------

    def venue(self, venue_id: str) -> VenueRecord:
        """A venue by id.

        Raises:
            UnknownVenue: no venue has that id.
        """
        if not is_venue_id(venue_id):
            raise UnknownVenue("no venue has that id")
        data = self.ledger.venue(venue_id)
        if data is None:
            raise UnknownVenue("no venue has that id")
        return VenueRecord.from_json(data)

    def venue_by_did(self, did: str) -> VenueRecord:
        """A venue by DID. Raises UnknownVenue."""
        data = self.ledger.venue_by_did(did) if isinstance(did, str) else None
        if data is None:
            raise UnknownVenue("no venue has that DID")
        return VenueRecord.from_json(data)

    def active_venue(self, venue_id: str) -> VenueRecord:
        """An approved, not deactivated venue.

        Raises:
            UnknownVenue: no such venue.
            VenueNotActive: not approved yet.
            VenueDeactivated: deactivated.
        """
        record = self.venue(venue_id)
        _require_active(record)
        return record

    def current_key(self, venue_did: str) -> Ed25519PublicKey:
        """The signing key of an active venue, for :meth:`protocol.UploadBatch.verify`.

        Raises:
            LookupError: (:class:`UnknownVenue`'s stand-in for key look-ups) the venue is
                unknown, pending or deactivated, so nothing it signs is accepted.
        """
        data = self.ledger.venue_by_did(venue_did)
        if data is None or data["status"] != "active":
            raise LookupError(venue_did)
        return Ed25519PublicKey.from_multikey(data["signing_key"])

    def register(self, request: object) -> VenueRecord:
        """Register a venue from a signed :class:`~registry._venues.Registration` (pending
        until the administrator approves it).

        Raises:
            InvalidRegistration, ProofOfPossessionFailed, ReplayedRequest: as
                :meth:`Registration.verify`.
            VenueExists: the signing key is already a venue's.
        """
        now = self.now()
        reg = Registration.verify(request, replay=self.ledger, now=now)
        for _ in range(4):
            venue_id = new_venue_id()
            record = VenueRecord(
                id=venue_id,
                did=f"{self.did}:venues:{venue_id}",
                status="pending",
                name_ko=reg.name_ko,
                name_en=reg.name_en,
                address=reg.address,
                business_registration_number=reg.business_registration_number,
                category=reg.category,
                signing_key=reg.signing_key.to_multikey(),
                agreement_key=reg.agreement_key.to_multikey(),
                registered=now,
            )
            if len(record.did) > 64:
                raise InvalidRegistration("the registry's host is too long for venue DIDs")
            key = reg.signing_key.to_bytes()
            if self.ledger.add_venue(venue_id, record.did, key, record.to_json()):
                return record
            if self.ledger.venue_with_key(key) is not None:
                raise VenueExists("a registered venue already uses this signing key")
        raise VenueExists("could not allocate a venue id")  # pragma: no cover - 2^-60 odds

    def approve(self, venue_id: str) -> VenueRecord:
        """Approve a pending venue: directory entry, status-list entry and ``VenueCredential``.
        Approving an active venue again returns it unchanged.

        Raises:
            UnknownVenue: no such venue.
            VenueDeactivated: the venue was deactivated (final).
        """
        record = self.venue(venue_id)
        if record.status == "active":
            return record
        if record.status == "deactivated":
            raise VenueDeactivated("a deactivated venue cannot be approved again")
        now = self.now()
        index, entry = self.status.allocate("venues")
        approved = replace(record, status="active", approved=now, status_index=index)
        approved = replace(approved, credential=self._venue_credential(approved, entry, now))
        key = approved.public_signing_key.to_bytes()
        self.store.put_venues([self._directory_entry(approved)])
        if self.ledger.update_venue(venue_id, key, approved.to_json(), was=("pending", key)):
            return approved
        # Another worker approved or deactivated the venue meanwhile (the index allocated
        # here stays unused); a deactivation wins, and its directory entry stays closed.
        current = self.venue(venue_id)
        if current.status == "active":
            return current
        self.store.put_venues([self._directory_entry(approved, until=now)])
        raise VenueDeactivated("the venue was deactivated while it was being approved")

    def _directory_entry(self, record: VenueRecord, until: int | None = None) -> Venue:
        return Venue(
            record.did,
            record.category,
            record.public_signing_key.to_bytes(),
            record.public_agreement_key.to_bytes(),
            valid_from=record.approved or record.registered,
            valid_until=until,
        )

    def _venue_credential(
        self, record: VenueRecord, entry: dict[str, Any], now: int
    ) -> dict[str, Any]:
        # DESIGN.md "Credentials": VenueCredential (registry → venue), VC 2.0, eddsa-jcs-2022.
        unsecured = {
            "@context": [_VC_V2],
            "id": f"{self.config.public_url}/venues/{record.id}/credential",
            "type": ["VerifiableCredential", VENUE_CREDENTIAL_TYPE],
            "issuer": self.did,
            "validFrom": self._moment(now),
            "validUntil": self._moment(now + self.config.credential_days * _DAY),
            "credentialSubject": {
                "id": record.did,
                "name": {"ko": record.name_ko, "en": record.name_en},
                "address": record.address,
                "businessRegistrationNumber": record.business_registration_number,
                "category": record.category,
            },
            "credentialStatus": entry,
        }
        return self.sign_credential(unsecured)

    def rotate(self, venue_id: str, request: object) -> VenueRecord:
        """Replace an active venue's keys, as asked by a rotation signed by its current key.

        Raises:
            UnknownVenue, VenueNotActive, VenueDeactivated: as :meth:`active_venue`.
            InvalidRegistration, ProofOfPossessionFailed, ReplayedRequest: as
                :meth:`Rotation.verify` (and a rotation naming another venue's DID).
            VenueExists: the new signing key is another venue's.
        """
        record = self.active_venue(venue_id)
        rotation = Rotation.verify(
            request, current_key=record.public_signing_key, replay=self.ledger, now=self.now()
        )
        if rotation.venue != record.did:
            raise InvalidRegistration("the rotation names another venue")
        rotated = record.with_keys(rotation, now=self.now())
        new_key = rotation.signing_key.to_bytes()
        was = ("active", record.public_signing_key.to_bytes())
        if not self.ledger.update_venue(venue_id, new_key, rotated.to_json(), was=was):
            if self.ledger.venue_with_key(new_key) not in (None, self.ledger.venue(venue_id)):
                raise VenueExists("a registered venue already uses this signing key")
            # Compare and set: the key this rotation was checked against is no longer the
            # venue's (another rotation or a deactivation came first).
            raise InvalidRegistration("the venue's keys or status changed; sign a new rotation")
        self.store.put_venues([self._directory_entry(rotated)])
        return rotated

    def deactivate(self, venue_id: str) -> VenueRecord:
        """Deactivate a venue (final; deactivating again returns it unchanged).

        Raises:
            UnknownVenue: no such venue.
        """
        while True:
            record = self.venue(venue_id)
            if record.status == "deactivated":
                return record
            now = self.now()
            closed = replace(record, status="deactivated", deactivated=now)
            if record.status_index is not None:
                self.status.revoke("venues", record.status_index)
            if record.status == "active":
                self.store.put_venues([self._directory_entry(closed, until=now)])
            key = record.public_signing_key.to_bytes()
            if self.ledger.update_venue(venue_id, key, closed.to_json(), was=(record.status, key)):
                return closed
            # Approved or rotated by another worker meanwhile: deactivate what it is now.

    def venue_document(self, venue_id: str) -> dict[str, Any]:
        """The did:web document of an active venue (JSON).

        Raises:
            UnknownVenue, VenueNotActive, VenueDeactivated: as :meth:`active_venue`.
        """
        record = self.active_venue(venue_id)
        doc = did_web_document(
            record.did,
            signing_key=record.public_signing_key,
            agreement_key=record.public_agreement_key,
        )
        return doc.to_json()

    def venue_code(self, venue_id: str) -> tuple[VenueRecord, bytes]:
        """The registry-signed :class:`~protocol.VenueCode` of an active venue (the poster's
        QR content), named by its Korean name cut to fit the code's size cap.

        Raises:
            UnknownVenue, VenueNotActive, VenueDeactivated: as :meth:`active_venue`.
        """
        record = self.active_venue(venue_id)
        now = self.now()
        name = record.name_ko
        while True:
            fitted = name
            while len(fitted.encode("utf-8")) > 80:
                fitted = fitted[:-1]
            try:
                code = VenueCode(
                    venue=record.did,
                    name=fitted.strip() or record.id,
                    category=record.category,
                    issued=now,
                    expires=now + self.config.poster_days * _DAY,
                ).sign(self.key)
            except OversizeMessage:
                name = fitted[:-2]
                continue
            return record, code

    def venue_url(self, did: str) -> str:
        """The URL of a DID this registry hosts (for links)."""
        return did_web_to_url(did)


def _require_active(record: VenueRecord) -> None:
    if record.status == "deactivated":
        raise VenueDeactivated("the venue was deactivated")
    if record.status != "active":
        raise VenueNotActive("the venue is not approved yet")
