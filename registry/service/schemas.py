"""The registry service's HTTP shapes (pydantic, only here: STYLE.md habit 14).

Request models are strict (no coercion, no extra fields) and bounded (every string and
list has a maximum, every integer a range), so the OpenAPI document says exactly what is
accepted and malformed input is a 422 problem before any library code runs. Signed
requests (registration, rotation) are passed to the library as the exact JSON object the
venue signed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from registry._investigations import CASE_ID_PATTERN, MAX_DIRECTORY_PAGE

__all__ = [
    "BatchAck",
    "ChallengeResponse",
    "ContactsQuery",
    "Health",
    "IssueRequest",
    "IssueResponse",
    "LocatorPair",
    "LocatorsQuery",
    "NoticeFeed",
    "NoticeRequest",
    "Problem",
    "PseudonymQuery",
    "PutCounts",
    "QueryAnswer",
    "RecordsQuery",
    "RegistrationRequest",
    "RelayView",
    "RotationRequest",
    "StatusUpdateRequest",
    "TokenRequest",
    "TokenResponse",
    "TraceSeedAnswer",
    "TraceSeedQuery",
    "TrustListRequest",
    "TrustedIssuer",
    "VenueDirectoryAnswer",
    "VenueDirectoryQuery",
    "VenueFacts",
    "VenueName",
    "VenueView",
    "VerificationResult",
    "VerifyCredentialRequest",
    "VerifyPresentationRequest",
]

_MAX_TIME = 2**32 - 1
Time = Annotated[int, Field(ge=0, le=_MAX_TIME)]
Day = Annotated[int, Field(ge=0, le=_MAX_TIME)]
Did = Annotated[str, Field(min_length=7, max_length=200, pattern=r"^did:[a-z0-9]+:.+$")]
CaseId = Annotated[str, Field(pattern=CASE_ID_PATTERN)]
Hex16 = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
JsonObject = dict[str, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Problem(BaseModel):
    """An RFC 9457 problem detail (``type`` = ``urn:anshim:error:<code>``)."""

    type: str
    title: str
    status: int
    detail: str
    code: str


class VenueName(_Strict):
    """A venue's name in Korean and English."""

    ko: Annotated[str, Field(min_length=1, max_length=100)]
    en: Annotated[str, Field(min_length=1, max_length=100)]


class RegistrationRequest(_Strict):
    """A venue registration signed by the venue's Ed25519 key (registry._venues)."""

    type: Literal["VenueRegistration"]
    name: VenueName
    address: Annotated[str, Field(min_length=1, max_length=200)]
    businessRegistrationNumber: Annotated[str, Field(pattern=r"^[0-9]{3}-[0-9]{2}-[0-9]{5}$")]
    category: Annotated[str, Field(min_length=1, max_length=24)]
    signingKey: Annotated[str, Field(min_length=1, max_length=100)]
    agreementKey: Annotated[str, Field(min_length=1, max_length=100)]
    nonce: Annotated[str, Field(min_length=1, max_length=32)]
    created: Time
    proof: Annotated[str, Field(min_length=1, max_length=100)]


class RotationRequest(_Strict):
    """A key rotation signed by the venue's current and new keys (registry._venues)."""

    type: Literal["VenueKeyRotation"]
    venue: Annotated[str, Field(min_length=1, max_length=64)]
    signingKey: Annotated[str, Field(min_length=1, max_length=100)]
    agreementKey: Annotated[str, Field(min_length=1, max_length=100)]
    nonce: Annotated[str, Field(min_length=1, max_length=32)]
    created: Time
    proof: Annotated[str, Field(min_length=1, max_length=100)]
    newKeyProof: Annotated[str, Field(min_length=1, max_length=100)]


class VenueView(BaseModel):
    """What anyone may read about a venue (and, after approval, its credential)."""

    id: str
    did: str
    status: Literal["pending", "active", "deactivated"]
    name: VenueName
    address: str
    category: str
    registered: int
    approved: int | None
    deactivated: int | None
    credential: JsonObject | None = None


class PutCounts(BaseModel):
    """What a write did."""

    inserted: int
    updated: int
    unchanged: int


class RelayView(BaseModel):
    """A relay flag as a venue sees it: its own record, kept (the first to claim the
    envelope) or refused (a second upload of the same holder-shown check-in)."""

    seq: int
    time: int
    day: int
    envelope_id: str
    visit_id: str
    record: Literal["kept", "refused"]


class BatchAck(BaseModel):
    """A committed venue batch: ``records`` committed, what the store did with them (null
    when the batch shared a commit whose counts cannot be split), and the holder-shown
    records refused as relays (not stored)."""

    venue: str
    batch_id: str
    records: int
    inserted: int | None
    updated: int | None
    unchanged: int | None
    relays: list[RelayView]


class ChallengeResponse(BaseModel):
    """A challenge to sign a presentation over (VC-API ``CreateChallengeResult``)."""

    challenge: str
    domain: str
    expires: int


class TokenRequest(_Strict):
    """A DID-authentication presentation over a registry challenge."""

    verifiablePresentation: JsonObject


class TokenResponse(BaseModel):
    """A short-lived access token."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    role: Literal["admin", "investigator", "venue"]
    subject: str


class ContactsQuery(_Strict):
    """Contacts of a stay at a venue (registry.Store.contacts)."""

    case_id: CaseId
    venue: Did
    start: Time
    end: Time
    min_overlap: Annotated[int, Field(ge=0, le=86_400)] = 600


class LocatorPair(_Strict):
    """A (venue, locator) pair of the lost-phone path."""

    venue: Did
    locator: Hex16


class LocatorsQuery(_Strict):
    """Records of a day by (venue, locator)."""

    case_id: CaseId
    day: Day
    pairs: Annotated[list[LocatorPair], Field(min_length=1, max_length=10_000)]


class PseudonymQuery(_Strict):
    """Records of a day under a pseudonym."""

    case_id: CaseId
    pseudonym: Annotated[str, Field(min_length=1, max_length=64)]
    day: Day


class RecordsQuery(_Strict):
    """Signed records by visit id, for a warrant's unsealing request."""

    case_id: CaseId
    visit_ids: Annotated[list[Hex16], Field(min_length=1, max_length=10_000)]
    first_day: Day
    last_day: Day


class QueryAnswer(BaseModel):
    """A logged query's answer (``matches``: registry.Match.to_json, with ``record``, the
    signed record in base64url, for warrant fetches)."""

    case_id: str
    query: int
    count: int
    matches: list[JsonObject]


class TraceSeedQuery(_Strict):
    """The sealed trace-seed envelopes under one canonical label (base64url), for the
    lost-phone path and next hops."""

    case_id: CaseId
    label: Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[A-Za-z0-9_-]+$")]


class TraceSeedAnswer(BaseModel):
    """A logged trace-seed query's answer (``envelopes`` in base64url)."""

    case_id: str
    query: int
    count: int
    envelopes: list[str]


class VenueDirectoryQuery(_Strict):
    """A page of the active venues' public facts, ordered by id after ``after``."""

    case_id: CaseId
    after: Annotated[str, Field(pattern=r"^([a-z2-7]{12})?$")] = ""
    limit: Annotated[int, Field(ge=1, le=MAX_DIRECTORY_PAGE)] = MAX_DIRECTORY_PAGE


class VenueFacts(BaseModel):
    """What an investigator's directory shows of a venue."""

    id: str
    did: str
    name: VenueName
    category: str


class VenueDirectoryAnswer(BaseModel):
    """A logged directory page; ask again after ``next`` (None: the last page)."""

    case_id: str
    query: int
    count: int
    venues: list[VenueFacts]
    next: str | None


class NoticeRequest(_Strict):
    """An exposure notice to publish (or a correction's new content)."""

    venue: Did
    window_start: Time
    window_end: Time
    risk: Literal["low", "elevated", "high"]
    message: VenueName


class NoticeFeed(BaseModel):
    """Feed events after a cursor, and the cursor to ask from next."""

    events: list[JsonObject]
    next: int
    more: bool


class TrustedIssuer(_Strict):
    """One trusted identity issuer."""

    id: Did
    types: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=16)]


class TrustListRequest(_Strict):
    """The identity issuers to publish as trusted."""

    issuers: Annotated[list[TrustedIssuer], Field(max_length=100)]


class IssueRequest(BaseModel):
    """VC-API ``IssueCredentialRequest``."""

    model_config = ConfigDict(extra="forbid")
    credential: JsonObject
    options: JsonObject | None = None


class IssueResponse(BaseModel):
    """VC-API issue answer."""

    verifiableCredential: JsonObject


class VerifyCredentialRequest(BaseModel):
    """VC-API ``VerifyCredentialRequest``."""

    model_config = ConfigDict(extra="forbid")
    verifiableCredential: JsonObject | Annotated[str, Field(max_length=512 * 1024)]
    options: JsonObject | None = None


class VerifyPresentationRequest(BaseModel):
    """VC-API ``VerifyPresentationRequest`` (``options.challenge`` required)."""

    model_config = ConfigDict(extra="forbid")
    verifiablePresentation: JsonObject
    options: JsonObject | None = None


class VerificationResult(BaseModel):
    """VC-API ``VerificationResult``."""

    verified: bool
    checks: list[str] | None = None
    warnings: list[Any] | None = None
    errors: list[Any] | None = None
    problemDetails: list[JsonObject] | None = None
    results: JsonObject | None = None


class StatusUpdateRequest(BaseModel):
    """VC-API ``UpdateCredentialStatusRequest`` (revocation only)."""

    model_config = ConfigDict(extra="forbid")
    credentialId: Annotated[str, Field(max_length=2048)] | None = None
    credentialStatus: JsonObject
    status: bool


class Health(BaseModel):
    """The service's health: the store and ledger reachable, the pending approvals."""

    status: Literal["ok", "degraded"]
    store: Literal["reachable", "unreachable"]
    ledger: Literal["reachable", "unreachable"]
    pending_venues: int | None
