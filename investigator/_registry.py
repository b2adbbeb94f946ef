"""The investigator's view of the registry (DESIGN.md "Services": investigation queries,
published data, exposure notices; "Access control": an investigator proves itself with a
VP over a registry challenge, exchanged for a short-lived token).

:class:`RegistryClient` is the small protocol the case workflow needs; role packages never
import each other, so the investigator talks to the registry over HTTP through
:class:`HttpRegistryClient`. Every investigation query cites the case id. httpx (the
``server`` extra) is imported when a client is built, never by ``import investigator``.

The HTTP shapes (JSON unless noted; binary fields in base64url, ids and locators in hex)::

    POST /auth/challenges                  -> {"challenge", "domain"}
    POST /auth/token  {"presentation"}     -> {"token", "expires"}
    GET  /venues                           -> {"venues": [{did, category, signing_key, name}]}
    GET  /epoch-keys                       -> the signed epoch-key directory (CBOR)
    POST /investigations/contacts  {case_id, venue, start, end, min_overlap, exclude}
    POST /investigations/locators  {case_id, day, pairs: [[venue, locator], ...]}
    POST /investigations/records   {case_id, visit_ids, first_day, last_day}
         -> {"matches": [{message, start, end, end_assumed, overlap_seconds}, ...]}
    POST /investigations/trace-seeds {case_id, label} -> {"envelopes": [...]}
    POST /notices  {case_id, venue, window_start, window_end, risk, message} -> {"id", ...}
    POST /notices/{id}/withdraw {case_id, reason}; POST /notices/{id}/correct {case_id, ...}
    GET  /venues/{did}/requests            -> the venue's view: requests citing its records

Errors come back as RFC 9457 problem details whose ``type`` ends in the error's code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from did import Ed25519PrivateKey, b64url_decode, b64url_encode
from did.errors import AnshimError
from investigator._records import Record, VenueInfo
from investigator.errors import RegistryRefused, RegistryUnavailable

if TYPE_CHECKING:
    import httpx

__all__ = ["HttpRegistryClient", "Notice", "RegistryClient"]

_TIMEOUT = 30.0
_MAX_ANSWER = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Notice:
    """An exposure notice as the registry published it: its id and what it announces."""

    notice_id: str
    venue: str
    window_start: int
    window_end: int
    risk: int
    message: str
    status: str = "published"

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

    def venues(self) -> list[VenueInfo]:
        """Every registered venue (DID, class, signing key)."""

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

    def publish_notice(
        self, case_id: str, venue: str, window_start: int, window_end: int, risk: int, message: str
    ) -> Notice:
        """Publish an exposure notice for the case."""

    def withdraw_notice(self, case_id: str, notice_id: str, reason: str) -> Notice:
        """Withdraw a published notice (a status bit; never silently replaced)."""

    def correct_notice(
        self,
        case_id: str,
        notice_id: str,
        *,
        window_start: int,
        window_end: int,
        risk: int,
        message: str,
    ) -> Notice:
        """Publish a correction of a notice (the old one is marked corrected)."""


def _records(answer: Any) -> list[Record]:
    if not isinstance(answer, dict) or not isinstance(answer.get("matches"), list):
        raise RegistryRefused("the registry's answer holds no matches")
    out = []
    for m in answer["matches"]:
        if not isinstance(m, dict) or not isinstance(m.get("message"), str):
            raise RegistryRefused("a match without its signed record")
        out.append(
            Record.from_message(
                b64url_decode(m["message"]),
                start=m.get("start"),
                end=m.get("end"),
                end_assumed=m.get("end_assumed"),
                overlap_seconds=m.get("overlap_seconds"),
            )
        )
    return out


def _notice(answer: Any) -> Notice:
    if not isinstance(answer, dict):
        raise RegistryRefused("the registry's answer is not a notice")
    try:
        return Notice(
            str(answer["id"]),
            str(answer["venue"]),
            int(answer["window_start"]),
            int(answer["window_end"]),
            int(answer["risk"]),
            str(answer.get("message", "")),
            str(answer.get("status", "published")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RegistryRefused("the registry's notice is malformed") from exc


class HttpRegistryClient:
    """:class:`RegistryClient` over the registry service's HTTP API (module docstring).

    Authenticates lazily: the first query asks for a challenge, presents the
    ``credential`` (the authority's InvestigatorCredential) in a VP signed by ``key`` over
    it, and keeps the token until it expires (or uses ``token`` as given).

    ``transport`` is an httpx transport (a ``MockTransport`` in unit tests, the default
    HTTP transport otherwise).

    Raises (on construction):
        ReportUnavailable: never; RegistryUnavailable: httpx (the ``server`` extra) is not
            installed.
    """

    def __init__(
        self,
        base_url: str,
        *,
        key: Ed25519PrivateKey | None = None,
        did: str | None = None,
        credential: Mapping[str, Any] | None = None,
        token: str | None = None,
        transport: Any = None,
        now: Any = None,
    ) -> None:
        try:
            import httpx  # module docstring: only a client built here loads httpx
        except ImportError as exc:  # pragma: no cover - the server extra is a dependency
            raise RegistryUnavailable("the registry client needs httpx (the server extra)") from exc
        self._httpx = httpx
        self._client: httpx.Client = httpx.Client(
            base_url=base_url.rstrip("/"), transport=transport, timeout=_TIMEOUT
        )
        self._key, self._did, self._credential = key, did, credential
        self._token, self._token_expires = token, None if token is None else 2**62
        self._clock = now

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def __enter__(self) -> HttpRegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ----------------------------------------------------------------------
    def _now(self) -> int:
        import time

        return int(self._clock()) if callable(self._clock) else int(time.time())

    def _send(self, method: str, path: str, *, body: Any = None, auth: bool = True) -> Any:
        headers = {"Accept": "application/json, application/cbor"}
        if auth:
            headers["Authorization"] = f"Bearer {self._bearer()}"
        try:
            response = self._client.request(method, path, json=body, headers=headers)
        except self._httpx.HTTPError as exc:
            raise RegistryUnavailable(f"registry unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise RegistryUnavailable(f"registry answered {response.status_code}")
        if len(response.content) > _MAX_ANSWER:
            raise RegistryRefused("the registry's answer is too large")
        if response.status_code >= 400:
            code = ""
            try:
                problem = response.json()
                code = str(problem.get("type", "")).rsplit(":", 1)[-1]
                detail = str(problem.get("detail") or problem.get("title") or "")
            except ValueError:
                detail = response.text[:200]
            raise RegistryRefused(
                f"registry refused {method} {path} ({response.status_code} {code}): {detail}",
                status=response.status_code,
                remote_code=code,
            )
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    def _bearer(self) -> str:
        if self._token is not None and (self._token_expires or 0) > self._now() + 5:
            return self._token
        if self._key is None or self._credential is None:
            raise RegistryRefused("no token and no investigator credential to authenticate")
        from did.vc import create_presentation

        challenge = self._send("POST", "/auth/challenges", body={}, auth=False)
        if not isinstance(challenge, dict) or not isinstance(challenge.get("challenge"), str):
            raise RegistryRefused("the registry's challenge is malformed")
        vp = create_presentation(
            [dict(self._credential)],
            holder_key=self._key,
            holder=self._did,
            challenge=challenge["challenge"],
            domain=challenge.get("domain"),
        )
        answer = self._send("POST", "/auth/token", body={"presentation": vp}, auth=False)
        if not isinstance(answer, dict) or not isinstance(answer.get("token"), str):
            raise RegistryRefused("the registry's token answer is malformed")
        self._token = answer["token"]
        self._token_expires = int(answer.get("expires", self._now() + 300))
        return self._token

    # -- RegistryClient -----------------------------------------------------------------
    def venues(self) -> list[VenueInfo]:
        """Every registered venue. Raises RegistryUnavailable or RegistryRefused."""
        answer = self._send("GET", "/venues", auth=False)
        if not isinstance(answer, dict) or not isinstance(answer.get("venues"), list):
            raise RegistryRefused("the registry's venue list is malformed")
        try:
            return [
                VenueInfo(
                    v["did"],
                    v.get("category", ""),
                    bytes.fromhex(v["signing_key"]),
                    v.get("name", ""),
                )
                for v in answer["venues"]
            ]
        except (KeyError, TypeError, ValueError, AnshimError) as exc:
            raise RegistryRefused("the registry's venue list is malformed") from exc

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
        """:meth:`RegistryClient.contacts` over HTTP."""
        body = {
            "case_id": case_id,
            "venue": venue,
            "start": start,
            "end": end,
            "min_overlap": min_overlap,
            "exclude": list(exclude),
        }
        return _records(self._send("POST", "/investigations/contacts", body=body))

    def locators(self, case_id: str, day: int, pairs: Sequence[tuple[str, bytes]]) -> list[Record]:
        """:meth:`RegistryClient.locators` over HTTP."""
        body = {"case_id": case_id, "day": day, "pairs": [[v, loc.hex()] for v, loc in pairs]}
        return _records(self._send("POST", "/investigations/locators", body=body))

    def records(
        self, case_id: str, visit_ids: Sequence[str], *, first_day: int, last_day: int
    ) -> list[Record]:
        """:meth:`RegistryClient.records` over HTTP."""
        body = {
            "case_id": case_id,
            "visit_ids": list(visit_ids),
            "first_day": first_day,
            "last_day": last_day,
        }
        return _records(self._send("POST", "/investigations/records", body=body))

    def trace_seeds(self, case_id: str, label: bytes) -> list[bytes]:
        """:meth:`RegistryClient.trace_seeds` over HTTP."""
        body = {"case_id": case_id, "label": b64url_encode(label)}
        answer = self._send("POST", "/investigations/trace-seeds", body=body)
        if not isinstance(answer, dict) or not isinstance(answer.get("envelopes"), list):
            raise RegistryRefused("the registry's trace-seed answer is malformed")
        return [b64url_decode(e) for e in answer["envelopes"] if isinstance(e, str)]

    def publish_notice(
        self, case_id: str, venue: str, window_start: int, window_end: int, risk: int, message: str
    ) -> Notice:
        """:meth:`RegistryClient.publish_notice` over HTTP."""
        body = {
            "case_id": case_id,
            "venue": venue,
            "window_start": window_start,
            "window_end": window_end,
            "risk": risk,
            "message": message,
        }
        return _notice(self._send("POST", "/notices", body=body))

    def withdraw_notice(self, case_id: str, notice_id: str, reason: str) -> Notice:
        """:meth:`RegistryClient.withdraw_notice` over HTTP."""
        body = {"case_id": case_id, "reason": reason}
        return _notice(self._send("POST", f"/notices/{notice_id}/withdraw", body=body))

    def correct_notice(
        self,
        case_id: str,
        notice_id: str,
        *,
        window_start: int,
        window_end: int,
        risk: int,
        message: str,
    ) -> Notice:
        """:meth:`RegistryClient.correct_notice` over HTTP."""
        body = {
            "case_id": case_id,
            "window_start": window_start,
            "window_end": window_end,
            "risk": risk,
            "message": message,
        }
        return _notice(self._send("POST", f"/notices/{notice_id}/correct", body=body))

    def venue_requests(self, venue: str) -> list[dict[str, Any]]:
        """The venue's view of investigation requests that cited its records (which
        records, under which case, when; never who was found). Raises RegistryRefused."""
        answer = self._send("GET", f"/venues/{venue}/requests")
        if not isinstance(answer, dict) or not isinstance(answer.get("requests"), list):
            raise RegistryRefused("the registry's request list is malformed")
        return [r for r in answer["requests"] if isinstance(r, dict)]
