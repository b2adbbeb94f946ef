"""The investigator's view of the registry (DESIGN.md "Services": investigation queries,
published data, exposure notices; "Access control": an investigator proves itself with a
VP over a registry challenge, exchanged for a short-lived token).

:class:`RegistryClient` is the small protocol the case workflow needs; role packages never
import each other, so the investigator talks to the registry over HTTP through
:class:`HttpRegistryClient`. Every investigation query cites the case id. httpx (the
``server`` extra) is imported when a client is built, never by ``import investigator``.

The HTTP shapes are the registry service's (``registry/service``; JSON unless noted)::

    POST /challenges                       -> {"challenge", "domain", "expires"}
    POST /auth/token {"verifiablePresentation"} -> {"access_token", "expires_in", "role"}
    POST /queries/venues {case_id, after, limit}
         -> {"venues": [{id, did, name: {ko, en}, category}, ...], "next": id or null}
    GET  /venues/{id}/did.json             -> the venue's did:web document (its key)
    GET  /epoch-keys                       -> the signed epoch-key directory (CBOR)
    POST /queries/contacts {case_id, venue, start, end, min_overlap}
    POST /queries/locators {case_id, day, pairs: [{venue, locator (hex)}, ...]}
         -> {"matches": [registry Match summaries: visit_id, day, time_in, end, ...]}
    POST /queries/records  {case_id, visit_ids, first_day, last_day}
         -> {"matches": [... with "record": the signed record in base64url]}
    POST /queries/trace-seeds {case_id, label (base64url)} -> {"envelopes": [...]}
    POST /notices {venue, window_start, window_end, risk, message: {ko, en}} -> {number, ...}
    POST /notices/{number}/withdrawal; POST /notices/{number}/correction
    GET  /notices?since=N                  -> {"events": [...], "next", "more"}
    GET  /venues/{id}/requests             -> the venue's view of requests for its records

Every ``/queries/*`` needs an investigator's token; notices need the registry
administrator's (DESIGN.md "Access control": the administrator publishes notices), so a
case publishes them through a second client built with the administrator's key or token.

Contacts and locator answers are summaries; the client fetches the signed records (with
their envelopes) by visit id right after, under the same case, so every :class:`Record`
it returns carries the venue-signed message a warrant's request needs.
Errors come back as RFC 9457 problem details whose ``type`` ends in the error's code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from did import DidDocument, Ed25519PrivateKey, Ed25519PublicKey, b64url_decode, b64url_encode
from did.errors import AnshimError
from investigator._records import Record, VenueInfo
from investigator.errors import CaseInputError, RegistryRefused, RegistryUnavailable

if TYPE_CHECKING:
    import httpx

__all__ = ["RISK_LEVELS", "HttpRegistryClient", "Notice", "NoticePublisher", "RegistryClient"]

#: Exposure-notice risk levels by number (protocol ``RiskLevel``) as the registry names them.
RISK_LEVELS = {1: "low", 2: "elevated", 3: "high"}
_TIMEOUT = 60.0
_MAX_ANSWER = 256 * 1024 * 1024
_RECORDS_PER_QUERY = 10_000
_PAIRS_PER_QUERY = 10_000
_VENUES_PER_PAGE = 1000
_MAX_DIRECTORY_PAGES = 10_000


@dataclass(frozen=True, slots=True)
class Notice:
    """An exposure notice as the registry published it: its number and what it announces."""

    notice_id: str
    venue: str
    window_start: int
    window_end: int
    risk: str
    message: dict[str, str]
    status: str = "active"

    def to_json(self) -> dict[str, Any]:
        """The JSON form kept in the case folder."""
        return {
            "id": self.notice_id,
            "venue": self.venue,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "risk": self.risk,
            "message": self.message,
            "status": self.status,
        }


class RegistryClient(Protocol):
    """What the case workflow asks of the registry; every query cites the case id.

    Implementations raise :class:`~investigator.errors.RegistryUnavailable` when the
    registry cannot be reached and :class:`~investigator.errors.RegistryRefused` when it
    refuses a request.
    """

    def venues(self, case_id: str) -> list[VenueInfo]:
        """Every active venue (DID, class, name), asked under the case."""

    def venue_key(self, did: str) -> bytes | None:
        """The venue's Ed25519 signing key (raw), or None for a venue the registry does
        not know."""

    def epoch_keys(self) -> bytes:
        """The published epoch-key directory (verify it against the pinned custodians)."""

    def contacts(
        self,
        case_id: str,
        venue: str,
        start: int,
        end: int,
        *,
        min_overlap: int,
        exclude: Sequence[str] = (),
    ) -> list[Record]:
        """Records at ``venue`` whose stay overlaps ``[start, end]`` (widened by the venue
        class's margin) by at least ``min_overlap`` seconds, except the ``exclude`` ids."""

    def locators(self, case_id: str, day: int, pairs: Sequence[tuple[str, bytes]]) -> list[Record]:
        """Records of ``day`` whose (venue, locator) is one of ``pairs``."""

    def records(
        self, case_id: str, visit_ids: Sequence[str], *, first_day: int, last_day: int
    ) -> list[Record]:
        """Records with one of ``visit_ids`` (hex) stored on the given days."""

    def trace_seeds(self, case_id: str, label: bytes) -> list[bytes]:
        """The sealed trace-seed envelopes stored under a canonical trace-seed label."""


class NoticePublisher(Protocol):
    """Exposure notices at the registry: the administrator's (DESIGN.md "Access control":
    the registry's administrator publishes notices, proved by the administrator's key).

    Implementations raise :class:`~investigator.errors.RegistryUnavailable` and
    :class:`~investigator.errors.RegistryRefused` as :class:`RegistryClient` does.
    """

    def publish_notice(
        self, venue: str, window_start: int, window_end: int, risk: int,
        message: Mapping[str, str],
    ) -> Notice:  # fmt: skip
        """Publish an exposure notice (the registry signs it); ``message`` is
        ``{"ko": …, "en": …}``."""

    def withdraw_notice(self, notice_id: str) -> Notice:
        """Withdraw a published notice (a status bit; never silently replaced)."""

    def correct_notice(
        self,
        notice_id: str,
        venue: str,
        window_start: int,
        window_end: int,
        risk: int,
        message: Mapping[str, str],
    ) -> Notice:
        """Publish a correction of a notice (the old one is marked corrected)."""


def _notice(answer: Any) -> Notice:
    if not isinstance(answer, dict):
        raise RegistryRefused("the registry's answer is not a notice")
    try:
        message = answer.get("message") or {}
        return Notice(
            str(answer["number"]),
            str(answer["venue"]),
            int(answer["window_start"]),
            int(answer["window_end"]),
            str(answer["risk"]),
            {str(k): str(v) for k, v in dict(message).items()},
            str(answer.get("status", "active")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RegistryRefused("the registry's notice is malformed") from exc


def _venue_name(v: Mapping[str, Any]) -> str:
    # The report shows the Korean name, and the English one beside it when they differ.
    name = v.get("name") or {}
    ko, en = str(name.get("ko", "")), str(name.get("en", ""))
    return ko if not en or en == ko else (f"{ko} ({en})" if ko else en)


def _venue_id(did: str) -> str:
    # did:web:<registry host>:venues:<venue id> (DESIGN.md "Identifiers").
    parts = did.split(":")
    if len(parts) < 5 or parts[:2] != ["did", "web"] or parts[-2] != "venues":
        raise CaseInputError(f"not a registry venue DID: {did}")
    return parts[-1]


def _matches(answer: Any) -> list[dict[str, Any]]:
    if not isinstance(answer, dict) or not isinstance(answer.get("matches"), list):
        raise RegistryRefused("the registry's answer holds no matches")
    return [m for m in answer["matches"] if isinstance(m, dict)]


class HttpRegistryClient:
    """:class:`RegistryClient` and :class:`NoticePublisher` over the registry service's
    HTTP API (module docstring).

    Authenticates lazily: the first request that needs a token asks for a challenge,
    presents ``credential`` (the authority's InvestigatorCredential; none for the
    registry's administrator, who publishes notices, or for a venue reading its requests)
    in a VP signed by ``key`` for ``did`` over it, and keeps the token until it expires (or
    uses ``token`` as given). ``verification_method`` names ``key`` in the holder's DID
    document when ``did`` is not the key's own did:key (a venue's did:web). The registry
    decides the role from who signed: one client per role. ``transport`` is an httpx transport (the
    default HTTP transport otherwise); ``clock`` returns the time (default: the system's).

    Raises (on construction):
        RegistryUnavailable: httpx (the ``server`` extra) is not installed.
    """

    def __init__(
        self,
        base_url: str,
        *,
        key: Ed25519PrivateKey | None = None,
        did: str | None = None,
        credential: Mapping[str, Any] | None = None,
        verification_method: str | None = None,
        token: str | None = None,
        transport: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        try:
            import httpx  # module docstring: only a client built here loads httpx
        except ImportError as exc:  # pragma: no cover - the server extra is installed
            raise RegistryUnavailable("the registry client needs httpx (the server extra)") from exc
        self._httpx = httpx
        self._client: httpx.Client = httpx.Client(
            base_url=base_url.rstrip("/"), transport=transport, timeout=_TIMEOUT
        )
        self._key, self._did, self._credential = key, did, credential
        self._method = verification_method
        self._token = token
        self._token_expires = 2**62 if token is not None else 0
        self._clock = clock
        self._keys: dict[str, bytes | None] = {}

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def __enter__(self) -> HttpRegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ----------------------------------------------------------------------
    def _send(
        self, method: str, path: str, *, body: Any = None, auth: bool = True, params: Any = None
    ) -> Any:
        headers = {"Accept": "application/json, application/cbor, application/did+json"}
        if auth:
            headers["Authorization"] = f"Bearer {self._bearer()}"
        try:
            response = self._client.request(method, path, json=body, headers=headers, params=params)
        except self._httpx.HTTPError as exc:
            raise RegistryUnavailable(f"registry unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise RegistryUnavailable(f"registry answered {response.status_code} to {path}")
        if len(response.content) > _MAX_ANSWER:
            raise RegistryRefused("the registry's answer is too large")
        if response.status_code >= 400:
            code, detail = "", response.text[:200]
            try:
                problem = response.json()
                code = str(problem.get("code") or str(problem.get("type", "")).rsplit(":", 1)[-1])
                detail = str(problem.get("detail") or problem.get("title") or detail)
            except (ValueError, AttributeError):
                pass
            raise RegistryRefused(
                f"registry refused {method} {path} ({response.status_code} {code}): {detail}",
                status=response.status_code,
                remote_code=code,
            )
        kind = response.headers.get("content-type", "")
        if kind.startswith("application/json") or kind.startswith("application/problem+json"):
            return response.json()
        if kind.startswith("application/did+json"):
            return response.json()
        return response.content

    def _bearer(self) -> str:
        now = int(self._clock())
        if self._token is not None and self._token_expires > now + 5:
            return self._token
        if self._key is None:
            raise RegistryRefused("no token and no investigator key to authenticate with")
        import datetime as _dt

        from did.vc import create_presentation, format_datetime  # only when a token is needed

        challenge = self._send("POST", "/challenges", body={}, auth=False)
        if not isinstance(challenge, dict) or not isinstance(challenge.get("challenge"), str):
            raise RegistryRefused("the registry's challenge is malformed")
        vp = create_presentation(
            [dict(self._credential)] if self._credential is not None else [],
            holder_key=self._key,
            holder=self._did,
            verification_method=self._method,
            challenge=challenge["challenge"],
            domain=challenge.get("domain"),
            created=format_datetime(_dt.datetime.fromtimestamp(now, _dt.UTC)),
        )
        answer = self._send("POST", "/auth/token", body={"verifiablePresentation": vp}, auth=False)
        if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
            raise RegistryRefused("the registry's token answer is malformed")
        self._token = answer["access_token"]
        self._token_expires = now + int(answer.get("expires_in", 60))
        return self._token

    # -- records ------------------------------------------------------------------------
    def _with_records(
        self, case_id: str, summaries: list[dict[str, Any]], exclude: Sequence[str] = ()
    ) -> list[Record]:
        skip = set(exclude)
        wanted = [m for m in summaries if m.get("visit_id") not in skip]
        if not wanted:
            return []
        days = [int(m["day"]) for m in wanted]
        ids = sorted({str(m["visit_id"]) for m in wanted})
        messages: dict[str, bytes] = {}
        for i in range(0, len(ids), _RECORDS_PER_QUERY):
            for m in self._records(case_id, ids[i : i + _RECORDS_PER_QUERY], min(days), max(days)):
                messages[str(m["visit_id"])] = b64url_decode(str(m["record"]))
        out = []
        for m in wanted:
            message = messages.get(str(m["visit_id"]))
            if message is None:
                raise RegistryRefused(f"the registry has no record {m['visit_id']} it matched")
            start, end = int(m["time_in"]), int(m["end"])
            # The registry reports the overlap in minutes to a tenth: back in seconds it may
            # round past the stay by a few seconds.
            overlap = min(round(float(m["overlap_minutes"]) * 60), end - start)
            out.append(
                Record.from_message(
                    message,
                    start=start,
                    end=end,
                    end_assumed=bool(m["end_assumed"]),
                    overlap_seconds=overlap,
                )
            )
        return out

    def _records(
        self, case_id: str, ids: Sequence[str], first_day: int, last_day: int
    ) -> list[dict[str, Any]]:
        body = {
            "case_id": case_id,
            "visit_ids": list(ids),
            "first_day": first_day,
            "last_day": last_day,
        }
        return _matches(self._send("POST", "/queries/records", body=body))

    # -- RegistryClient -----------------------------------------------------------------
    def venues(self, case_id: str) -> list[VenueInfo]:
        """Every active venue, page by page of the registry's directory (each page a
        logged query under the case). Raises RegistryUnavailable or RegistryRefused."""
        out: list[VenueInfo] = []
        after = ""
        for _ in range(_MAX_DIRECTORY_PAGES):
            body = {"case_id": case_id, "after": after, "limit": _VENUES_PER_PAGE}
            answer = self._send("POST", "/queries/venues", body=body)
            if not isinstance(answer, dict) or not isinstance(answer.get("venues"), list):
                raise RegistryRefused("the registry's venue directory is malformed")
            try:
                out += [
                    VenueInfo(v["did"], str(v.get("category", "")), name=_venue_name(v))
                    for v in answer["venues"]
                ]
            except (KeyError, TypeError, AttributeError, AnshimError) as exc:
                raise RegistryRefused("the registry's venue directory is malformed") from exc
            following = answer.get("next")
            if following is None:
                return out
            if not isinstance(following, str) or following <= after:
                raise RegistryRefused("the registry's venue directory does not advance")
            after = following
        raise RegistryRefused("the registry's venue directory has too many pages")

    def venue_key(self, did: str) -> bytes | None:
        """The venue's Ed25519 assertion key from its did:web document at the registry
        (None for an unknown or deactivated venue). Raises RegistryUnavailable."""
        if did not in self._keys:
            try:
                raw = self._send("GET", f"/venues/{_venue_id(did)}/did.json", auth=False)
                doc = DidDocument.from_json(raw if isinstance(raw, dict) else {})
                key = doc.methods_for("assertionMethod")[0].public_key()
                self._keys[did] = key.to_bytes() if isinstance(key, Ed25519PublicKey) else None
            except (RegistryRefused, CaseInputError, AnshimError, IndexError):
                self._keys[did] = None
        return self._keys[did]

    def epoch_keys(self) -> bytes:
        """The published directory's bytes. Raises RegistryUnavailable or RegistryRefused."""
        answer = self._send("GET", "/epoch-keys", auth=False)
        if not isinstance(answer, bytes):
            raise RegistryRefused("the epoch-key directory is not CBOR")
        return answer

    def contacts(
        self,
        case_id: str,
        venue: str,
        start: int,
        end: int,
        *,
        min_overlap: int,
        exclude: Sequence[str] = (),
    ) -> list[Record]:
        """:meth:`RegistryClient.contacts` over HTTP (then the records by visit id)."""
        body = {
            "case_id": case_id,
            "venue": venue,
            "start": start,
            "end": end,
            "min_overlap": min_overlap,
        }
        found = _matches(self._send("POST", "/queries/contacts", body=body))
        return self._with_records(case_id, found, exclude)

    def locators(self, case_id: str, day: int, pairs: Sequence[tuple[str, bytes]]) -> list[Record]:
        """:meth:`RegistryClient.locators` over HTTP (then the records by visit id)."""
        found: list[dict[str, Any]] = []
        for i in range(0, len(pairs), _PAIRS_PER_QUERY):
            chunk = [
                {"venue": v, "locator": loc.hex()} for v, loc in pairs[i : i + _PAIRS_PER_QUERY]
            ]
            body = {"case_id": case_id, "day": day, "pairs": chunk}
            found += _matches(self._send("POST", "/queries/locators", body=body))
        return self._with_records(case_id, found)

    def records(
        self, case_id: str, visit_ids: Sequence[str], *, first_day: int, last_day: int
    ) -> list[Record]:
        """:meth:`RegistryClient.records` over HTTP."""
        out = []
        for i in range(0, len(visit_ids), _RECORDS_PER_QUERY):
            chunk = visit_ids[i : i + _RECORDS_PER_QUERY]
            out += [
                Record.from_message(b64url_decode(str(m["record"])))
                for m in self._records(case_id, chunk, first_day, last_day)
            ]
        return out

    def trace_seeds(self, case_id: str, label: bytes) -> list[bytes]:
        """:meth:`RegistryClient.trace_seeds` over HTTP."""
        body = {"case_id": case_id, "label": b64url_encode(label)}
        answer = self._send("POST", "/queries/trace-seeds", body=body)
        if not isinstance(answer, dict) or not isinstance(answer.get("envelopes"), list):
            raise RegistryRefused("the registry's trace-seed answer is malformed")
        return [b64url_decode(e) for e in answer["envelopes"] if isinstance(e, str)]

    def _notice_body(
        self, venue: str, start: int, end: int, risk: int, message: Mapping[str, str]
    ) -> dict[str, Any]:
        if risk not in RISK_LEVELS:
            raise CaseInputError("risk is 1 (low), 2 (elevated) or 3 (high)")
        return {
            "venue": venue,
            "window_start": start,
            "window_end": end,
            "risk": RISK_LEVELS[risk],
            "message": {"ko": message["ko"], "en": message["en"]},
        }

    def publish_notice(
        self, venue: str, window_start: int, window_end: int, risk: int,
        message: Mapping[str, str],
    ) -> Notice:  # fmt: skip
        """:meth:`RegistryClient.publish_notice` over HTTP (the administrator's token)."""
        body = self._notice_body(venue, window_start, window_end, risk, message)
        return _notice(self._send("POST", "/notices", body=body))

    def withdraw_notice(self, notice_id: str) -> Notice:
        """:meth:`RegistryClient.withdraw_notice` over HTTP."""
        return _notice(self._send("POST", f"/notices/{int(notice_id)}/withdrawal"))

    def correct_notice(
        self,
        notice_id: str,
        venue: str,
        window_start: int,
        window_end: int,
        risk: int,
        message: Mapping[str, str],
    ) -> Notice:
        """:meth:`RegistryClient.correct_notice` over HTTP."""
        body = self._notice_body(venue, window_start, window_end, risk, message)
        return _notice(self._send("POST", f"/notices/{int(notice_id)}/correction", body=body))

    def venue_requests(self, venue: str) -> list[dict[str, Any]]:
        """The venue's view of investigation requests that cited its records (which
        records, under which case, when; never who was found): the venue's own token or
        the administrator's. Raises RegistryRefused."""
        answer = self._send("GET", f"/venues/{_venue_id(venue)}/requests")
        if not isinstance(answer, list):
            raise RegistryRefused("the registry's request list is malformed")
        return [r for r in answer if isinstance(r, dict)]
