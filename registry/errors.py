"""The registry's errors, each with a stable camelCase ``code`` (STYLE.md habit 13).

Input the caller can fix is an :class:`~did.errors.InputError` (so also a ``ValueError``);
it is refused before anything reaches the database. :class:`StoreUnavailable` is the one
retryable error: the database could not be reached or failed mid-call, and nothing of the
call was acknowledged (a retry of a ``put`` is safe because writes are idempotent).

::

    did.errors.AnshimError
    ├── did.errors.InputError (ValueError)
    │   ├── InvalidRecord          invalidRecord        a visit record that does not parse
    │   ├── InvalidBatch           invalidBatch         an empty, oversized or mistyped batch
    │   ├── RecordConflict         recordConflict       same visit id, different content
    │   ├── ExpiredRecord          expiredRecord        a record of a day already purged
    │   ├── InvalidTraceSeed       invalidTraceSeed     a trace-seed envelope or label
    │   │   └── TraceSeedLabelFull traceSeedLabelFull   too many envelopes under one label
    │   ├── InvalidVenueEntry      invalidVenueEntry    a venue directory entry
    │   ├── InvalidQuery           invalidQuery         query arguments out of range
    │   └── InvalidStoreUrl        invalidStoreUrl      a store URL no engine accepts
    └── RegistryError              registryError
        ├── StoreUnavailable       storeUnavailable     database unreachable (retryable)
        └── SchemaMismatch         schemaMismatch       schema newer than this code, or damaged

The authority's errors (venues, credentials, published data, investigators' access; the
service maps each to its HTTP status)::

    did.errors.InputError (ValueError)
    ├── InvalidRegistration       invalidRegistration       a registration or rotation request
    ├── InvalidCaseId             invalidCaseId             a query that cites no valid case id
    ├── InvalidPublication        invalidPublication        a directory, log or list refused
    │   └── StalePublication      stalePublication          older than, or not an extension
    │                                                       of, what is published
    ├── InvalidCredentialRequest  invalidCredentialRequest  a VC-API request the issuer refuses
    └── InvalidNotice             invalidNotice             an exposure notice request
    registry.errors.RegistryError
    ├── UnknownVenue              unknownVenue              no venue has that id or DID
    ├── VenueNotActive            venueNotActive            the venue is not approved (yet)
    │   └── VenueDeactivated      venueDeactivated          the venue was deactivated
    ├── VenueExists               venueExists               that signing key is registered
    ├── ReplayedRequest           replayedRequest           a signed request seen before
    ├── ProofOfPossessionFailed   proofOfPossessionFailed   not signed by the key it names
    ├── UnknownNotice             unknownNotice             no exposure notice of that number
    ├── NoticeClosed              noticeClosed              a notice already withdrawn
    ├── NotPublished              notPublished              nothing of that kind published yet
    ├── PosterUnavailable         posterUnavailable         no Hangul font or drawing library
    ├── QueryLogBroken            queryLogBroken            the query log's hash chain breaks
    └── AccessDenied              accessDenied              the caller may not do this
        ├── MissingToken          missingToken              no bearer token
        ├── InvalidToken          invalidToken              a token this registry did not sign
        │   └── ExpiredToken      expiredToken              a token past its lifetime
        ├── AuthenticationFailed  authenticationFailed      a presentation that is refused
        └── NotPermitted          notPermitted              the caller's role may not do this
"""

from __future__ import annotations

from collections.abc import Sequence

from did.errors import AnshimError, InputError

__all__ = [
    "AccessDenied",
    "AuthenticationFailed",
    "ExpiredRecord",
    "ExpiredToken",
    "InvalidBatch",
    "InvalidCaseId",
    "InvalidCredentialRequest",
    "InvalidNotice",
    "InvalidPublication",
    "InvalidQuery",
    "InvalidRecord",
    "InvalidRegistration",
    "InvalidStoreUrl",
    "InvalidToken",
    "InvalidTraceSeed",
    "InvalidVenueEntry",
    "MissingToken",
    "NotPermitted",
    "NotPublished",
    "NoticeClosed",
    "PosterUnavailable",
    "ProofOfPossessionFailed",
    "QueryLogBroken",
    "RecordConflict",
    "RegistryError",
    "ReplayedRequest",
    "SchemaMismatch",
    "StalePublication",
    "StoreUnavailable",
    "TraceSeedLabelFull",
    "UnknownNotice",
    "UnknownVenue",
    "VenueDeactivated",
    "VenueExists",
    "VenueNotActive",
]


class RegistryError(AnshimError):
    """Root of the registry's errors that are not the caller's input."""

    code = "registryError"


class StoreUnavailable(RegistryError):
    """The database is unreachable, restarting, or failed during the call (retryable).

    Nothing of the failed call was acknowledged; retrying it is safe.
    """

    code = "storeUnavailable"
    retryable = True


class SchemaMismatch(RegistryError):
    """The store's schema is newer than this code knows, or its version table is damaged."""

    code = "schemaMismatch"


class InvalidRecord(InputError):
    """A visit record that does not parse strictly (oversize, malformed, bad signature)."""

    code = "invalidRecord"


class InvalidBatch(InputError):
    """A batch that is empty, too large, or holds something other than visit records."""

    code = "invalidBatch"


class RecordConflict(InputError):
    """A record whose visit id is already stored with different content.

    The whole batch is refused; nothing is overwritten. ``visit_ids`` lists the conflicting
    ids (hex), so an operator can report them to the venue.
    """

    code = "recordConflict"

    def __init__(self, message: str, *, visit_ids: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.visit_ids = tuple(visit_ids)


class ExpiredRecord(InputError):
    """A record (or trace seed) of a day already deleted by retention: it is not stored
    again, so retention stays final."""

    code = "expiredRecord"


class InvalidTraceSeed(InputError):
    """A trace-seed envelope or label that does not parse, or that do not match."""

    code = "invalidTraceSeed"


class TraceSeedLabelFull(InvalidTraceSeed):
    """A label already holds the most envelopes the registry keeps under one label."""

    code = "traceSeedLabelFull"


class InvalidVenueEntry(InputError):
    """A venue directory entry with a malformed DID, category, key or validity."""

    code = "invalidVenueEntry"


class InvalidQuery(InputError):
    """Query arguments of the wrong type or out of range."""

    code = "invalidQuery"


class InvalidStoreUrl(InputError):
    """A store URL that names no engine (``sqlite:///dir`` or ``postgresql://…``)."""

    code = "invalidStoreUrl"


# -- the authority (registry.service and its library modules) ------------------------------


class InvalidRegistration(InputError):
    """A venue registration or key rotation request with a missing, malformed or
    out-of-range field (names, address, registration number, category, keys, times)."""

    code = "invalidRegistration"


class InvalidCaseId(InputError):
    """An investigation query that cites no case id, or one that is not a short token:
    every query must name the case it serves (DESIGN.md "Services", investigation queries)."""

    code = "invalidCaseId"


class InvalidPublication(InputError):
    """An epoch-key directory, audit log or trust list that does not parse or does not
    verify against the pinned custodians; nothing is published."""

    code = "invalidPublication"


class StalePublication(InvalidPublication):
    """A publication older than the one already published, or an audit log that does not
    extend the published one: what is published never goes back."""

    code = "stalePublication"


class InvalidCredentialRequest(InputError):
    """A VC-API issue request the registry refuses (another issuer, an unknown suite, a
    document that is not a credential)."""

    code = "invalidCredentialRequest"


class InvalidNotice(InputError):
    """An exposure notice request with a bad venue, window, risk level or message."""

    code = "invalidNotice"


class UnknownVenue(RegistryError):
    """No registered venue has that id or DID."""

    code = "unknownVenue"


class VenueNotActive(RegistryError):
    """The venue is registered but not approved, so it has no DID document, credential,
    poster or uploads yet."""

    code = "venueNotActive"


class VenueDeactivated(VenueNotActive):
    """The venue was deactivated: its DID document is gone, its credential's status bit is
    set, its posters and uploads are refused."""

    code = "venueDeactivated"


class VenueExists(RegistryError):
    """A registration names a signing key that a registered venue already uses."""

    code = "venueExists"


class ReplayedRequest(RegistryError):
    """A signed request (registration, rotation) whose nonce was seen before, or whose
    time is outside the accepted window: a replay is refused, never applied twice."""

    code = "replayedRequest"


class ProofOfPossessionFailed(RegistryError):
    """A registration or rotation not signed by the key it names (or, for a rotation, by
    the venue's current key)."""

    code = "proofOfPossessionFailed"


class UnknownNotice(RegistryError):
    """No exposure notice has that number."""

    code = "unknownNotice"


class NoticeClosed(RegistryError):
    """The exposure notice was already withdrawn (or corrected): it is never changed
    again."""

    code = "noticeClosed"


class NotPublished(RegistryError):
    """Nothing of the asked kind (epoch-key directory, audit log, trust list) has been
    published yet."""

    code = "notPublished"


class AccessDenied(RegistryError):
    """The caller did not prove a role that may do this (DESIGN.md "Access control")."""

    code = "accessDenied"


class MissingToken(AccessDenied):
    """The request carries no bearer token."""

    code = "missingToken"


class InvalidToken(AccessDenied):
    """A token that does not decode, is not signed by this registry's key, or names
    another registry."""

    code = "invalidToken"


class ExpiredToken(InvalidToken):
    """A token past its short lifetime: authenticate again."""

    code = "expiredToken"


class AuthenticationFailed(AccessDenied):
    """A DID-authentication presentation that is refused: not over a challenge this
    registry issued, not by its holder, or holding no credential that gives a role."""

    code = "authenticationFailed"


class NotPermitted(AccessDenied):
    """The caller authenticated, but its role may not do this."""

    code = "notPermitted"


class PosterUnavailable(RegistryError):
    """Posters cannot be drawn here: no font with Hangul was found, or the drawing
    libraries (the ``report`` extra: reportlab, Pillow; the ``cli`` extra: segno) are
    missing."""

    code = "posterUnavailable"


class QueryLogBroken(RegistryError):
    """The query log's hash chain does not hold: an entry was removed, altered or
    reordered outside the registry."""

    code = "queryLogBroken"
