"""Published data (DESIGN.md "The registry service", Published data): the epoch-key
directory, the custodians' audit log, the issuer trust list and exposure notices.

Nothing is published unverified, and nothing published goes back:

* an **epoch-key directory** is verified against the pinned custodians and threshold
  (:meth:`escrow.EpochKeyDirectory.verify` with ``trusted_custodians``), and one whose last
  epoch is not later than the published one's is refused (:class:`StalePublication`), so a
  replayed old directory cannot push wallets back to retired keys;
* the **audit log** is verified whole (:meth:`escrow.AuditLog.verify`, the custodians'
  copy with every approved warrant's case opening) and must extend the published one: the
  published entries are a prefix of the new log. Everyone may read the log without the
  openings (the entries name cases only by commitment); the proof for one record id
  (:func:`prove_record`) carries the openings of the cases that unsealed it, so a holder
  learns its own record's case and nobody reads every case id off the log;
* **exposure notices** are signed :class:`~protocol.ExposureNotice` messages with a number
  and a status-list bit; a correction withdraws the old notice (its bit set) and publishes
  a new one naming it, so a notice is never silently replaced. Every change is an event in
  a feed with an increasing cursor (``since``), so a phone fetches only what is new.
"""

from __future__ import annotations

import datetime as _dt
import json
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from did import AnshimError, b64url_encode
from escrow import AuditLog, EpochKeyDirectory, SignedTreeHead
from protocol import ExposureNotice, RiskLevel
from protocol.errors import ProtocolError
from registry._authority import Authority
from registry.errors import (
    InvalidNotice,
    InvalidPublication,
    NoticeClosed,
    NotPublished,
    StalePublication,
    UnknownNotice,
)

__all__ = [
    "MAX_FEED_PAGE",
    "MAX_NOTICE_TEXT",
    "audit_head",
    "audit_log",
    "correct_notice",
    "epoch_directory",
    "notice_feed",
    "prove_record",
    "public_audit_log",
    "publish_audit_log",
    "publish_directory",
    "publish_notice",
    "publish_trust_list",
    "trust_list",
    "withdraw_notice",
]

#: The most feed events one page returns.
MAX_FEED_PAGE = 500
#: The longest notice message (characters), shown on phones beside the signed notice.
MAX_NOTICE_TEXT = 280
_DIRECTORY = "published/epoch-keys"
_AUDIT_LOG = "published/audit-log"
_TRUST_LIST = "published/trust-list"
_MAX_TRUSTED = 100


# -- the epoch-key directory ---------------------------------------------------------------


def publish_directory(authority: Authority, data: bytes) -> EpochKeyDirectory:
    """Verify and publish a custodians' epoch-key directory (module docstring).

    Raises:
        InvalidPublication: it does not decode, no custodians are pinned, or its
            signatures, custodians or threshold are not the pinned ones.
        StalePublication: its last epoch is not later than the published directory's.
    """
    cfg = authority.config
    if not cfg.custodians:
        raise InvalidPublication("the registry has no pinned custodians to verify against")
    try:
        directory = EpochKeyDirectory.from_bytes(data)
        directory.verify(trusted_custodians=cfg.custodians)
    except AnshimError as exc:
        raise InvalidPublication(f"the epoch-key directory is refused [{exc.code}]") from exc
    if cfg.threshold is not None and directory.threshold != cfg.threshold:
        raise InvalidPublication("the directory's threshold is not the pinned threshold")
    if not len(directory):
        raise InvalidPublication("the directory holds no epoch key")

    def newer(published: bytes | None) -> bytes:
        # Compared and written in one ledger transaction: of two racing uploads, the
        # older cannot overwrite the newer.
        if published is not None:
            current = EpochKeyDirectory.from_bytes(published)
            if max(directory) <= max(current):
                raise StalePublication("the directory is not newer than the published one")
        return directory.to_bytes()

    authority.ledger.update_document(_DIRECTORY, newer)
    return directory


def epoch_directory(authority: Authority) -> bytes:
    """The published directory's bytes. Raises NotPublished."""
    data = authority.ledger.document(_DIRECTORY)
    if data is None:
        raise NotPublished("no epoch-key directory is published yet")
    return data


# -- the audit log ---------------------------------------------------------------------------


def publish_audit_log(authority: Authority, data: bytes) -> AuditLog:
    """Verify and publish the custodians' audit log (module docstring).

    Raises:
        InvalidPublication: it does not decode, does not verify against the pinned
            custodians, lacks an approved warrant's case opening, logs a share batch
            before its warrant's approval, or holds no signed tree head.
        StalePublication: it does not extend the published log.
    """
    cfg = authority.config
    if not cfg.custodians:
        raise InvalidPublication("the registry has no pinned custodians to verify against")
    try:
        log = AuditLog.from_bytes(data)
        log.verify(cfg.custodians, openings=True)
    except AnshimError as exc:
        raise InvalidPublication(f"the audit log is refused [{exc.code}]") from exc
    if not log.heads:
        raise InvalidPublication("the audit log has no signed tree head")

    def extends(published: bytes | None) -> bytes:
        # Compared and written in one ledger transaction, as the directory is.
        if published is not None:
            old = AuditLog.from_bytes(published)
            n = len(old.entries)
            if len(log.entries) < n or any(
                a.to_bytes() != b.to_bytes()
                for a, b in zip(old.entries, log.entries[:n], strict=True)
            ):
                raise StalePublication("the audit log does not extend the published one")
            if log.heads[-1].size < old.heads[-1].size:
                raise StalePublication("the latest tree head is older than the published one")
        return log.to_bytes()

    authority.ledger.update_document(_AUDIT_LOG, extends)
    return log


def audit_log(authority: Authority) -> AuditLog:
    """The published audit log, the custodians' copy with its case openings. Raises
    NotPublished."""
    data = authority.ledger.document(_AUDIT_LOG)
    if data is None:
        raise NotPublished("no audit log is published yet")
    return AuditLog.from_bytes(data)


def public_audit_log(authority: Authority) -> bytes:
    """The published audit log as everyone reads it: without the case openings (module
    docstring). Raises NotPublished."""
    return audit_log(authority).to_bytes(openings=False)


def _head_json(head: SignedTreeHead) -> dict[str, Any]:
    return {
        "size": head.size,
        "root": head.root.hex(),
        "unsealed_root": head.unsealed_root.hex(),
        "unsealed_count": head.unsealed_count,
        "time": head.time,
        "signer": head.signer,
        "head": b64url_encode(head.to_bytes()),
    }


def audit_head(authority: Authority) -> dict[str, Any]:
    """The latest signed tree head (fields and its signed CBOR). Raises NotPublished."""
    return _head_json(audit_log(authority).heads[-1])


def prove_record(authority: Authority, record_id: bytes) -> dict[str, Any]:
    """Whether record ``record_id`` (SHA-256 of its envelope, escrow's record id) was
    unsealed as of the latest head and under which cases, in one answer: the head,
    ``proof`` (an :class:`escrow.RecordAuditProof`, base64url CBOR, what a wallet checks
    with ``wallet.read_audit_answer`` and ``Wallet.was_unsealed``), and the same content
    as readable fields (``unsealed``, ``neighbours``, ``cases``), unverified.

    Raises:
        InvalidPublication: ``record_id`` is not 32 bytes.
        NotPublished: no audit log is published.
    """
    if type(record_id) is not bytes or len(record_id) != 32:
        raise InvalidPublication("a record id is the 32-byte SHA-256 of the envelope")
    log = audit_log(authority)
    head = log.heads[-1]
    proof = log.prove_record(record_id, head)
    return {
        "record_id": record_id.hex(),
        "unsealed": proof.unsealed.unsealed,
        "neighbours": [
            {"index": i, "record_id": rid.hex(), "path": [p.hex() for p in path]}
            for i, rid, path in proof.unsealed.neighbours
        ],
        "cases": [
            {
                "case_id": c.opening.case_id,
                "warrant_id": c.opening.warrant_id.hex(),
                "approved_by": [p.entry.author for p in c.approvals],
                "shares_from": [p.entry.author for p in c.shares],
                "first_shares": min(p.entry.time for p in c.shares),
            }
            for c in proof.cases
        ],
        "proof": b64url_encode(proof.to_bytes()),
        "tree_head": _head_json(head),
    }


# -- the issuer trust list -----------------------------------------------------------------


def publish_trust_list(authority: Authority, issuers: object) -> dict[str, Any]:
    """Sign and publish the identity issuers wallets and investigators trust, as a
    credential ``{"issuers": [{"id": DID, "types": [...]}, ...]}`` by the registry.

    Raises:
        InvalidPublication: not a list of at most 100 ``{"id", "types"}`` entries.
    """
    if not isinstance(issuers, Sequence) or isinstance(issuers, (str, bytes)):
        raise InvalidPublication("issuers must be a list")
    if len(issuers) > _MAX_TRUSTED:
        raise InvalidPublication(f"at most {_MAX_TRUSTED} trusted issuers")
    entries = []
    for item in issuers:
        if (
            not isinstance(item, Mapping)
            or set(item) != {"id", "types"}
            or not isinstance(item["id"], str)
            or not item["id"].startswith("did:")
            or len(item["id"]) > 200
            or not isinstance(item["types"], list)
            or not all(isinstance(t, str) and 0 < len(t) <= 64 for t in item["types"])
            or len(item["types"]) > 16
        ):
            raise InvalidPublication("each issuer is {'id': DID, 'types': [credential type]}")
        entries.append({"id": item["id"], "types": list(item["types"])})
    now = authority.now()
    unsecured = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"{authority.config.public_url}/trust/issuers",
        "type": ["VerifiableCredential", "IssuerTrustList"],
        "issuer": authority.did,
        "validFrom": _moment(now),
        "credentialSubject": {"id": authority.did, "issuers": entries},
    }
    signed = authority.sign_credential(unsecured)
    authority.ledger.put_document(_TRUST_LIST, json.dumps(signed).encode())
    return signed


def trust_list(authority: Authority) -> dict[str, Any]:
    """The published trust list. Raises NotPublished."""
    data = authority.ledger.document(_TRUST_LIST)
    if data is None:
        raise NotPublished("no issuer trust list is published yet")
    return dict(json.loads(data))


def _moment(t: int) -> str:
    return _dt.datetime.fromtimestamp(t, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- exposure notices ------------------------------------------------------------------------


def _message(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping) or set(value) != {"ko", "en"}:
        raise InvalidNotice("message must be an object with 'ko' and 'en'")
    out = {}
    for lang in ("ko", "en"):
        text = value[lang]
        if not isinstance(text, str) or not 0 < len(text) <= MAX_NOTICE_TEXT:
            raise InvalidNotice(f"message.{lang} must be 1 to {MAX_NOTICE_TEXT} characters")
        if any(unicodedata.category(c)[0] == "C" and c != "\n" for c in text):
            raise InvalidNotice("messages are printable text")
        out[lang] = unicodedata.normalize("NFC", text)
    return out


def _sign_notice(
    authority: Authority, venue: object, start: object, end: object, risk: object
) -> bytes:
    if not isinstance(venue, str):
        raise InvalidNotice("venue must be a venue DID")
    authority.venue_by_did(venue)  # UnknownVenue: notices name venues this registry knows
    try:
        if not isinstance(risk, str) or type(start) is not int or type(end) is not int:
            raise InvalidNotice("risk is a level name and the window two Unix times")
        level = RiskLevel[risk.upper()]
        notice = ExposureNotice(venue=venue, window_start=start, window_end=end, risk=level)
        return notice.sign(authority.key)
    except (KeyError, ValueError, ProtocolError) as exc:
        raise InvalidNotice(f"the notice is refused: {exc}") from exc


def publish_notice(
    authority: Authority,
    *,
    venue: object,
    start: object,
    end: object,
    risk: object,
    message: object,
    replaces: int | None = None,
) -> dict[str, Any]:
    """Sign and publish an exposure notice; returns its published form.

    Raises:
        InvalidNotice: a bad window, risk level or message.
        UnknownVenue: the venue is not registered here.
    """
    text = _message(message)
    signed = _sign_notice(authority, venue, start, end, risk)
    index, entry = authority.status.allocate("notices")
    data = {
        "notice": b64url_encode(signed),
        "venue": venue,
        "window_start": start,
        "window_end": end,
        "risk": RiskLevel(ExposureNotice.from_cbor(_payload(signed)).risk).name.lower(),
        "message": text,
        "status": "active",
        "replaces": replaces,
        "replaced_by": None,
        "published": authority.now(),
        "credentialStatus": entry,
        "status_index": index,
    }
    number = authority.ledger.put_notice(None, data, {"event": "published", **data})
    return {**data, "number": number}


def _payload(signed: bytes) -> bytes:
    parsed, _ = ExposureNotice.parse_unverified(signed)
    return parsed.payload


def _open_notice(authority: Authority, number: int) -> dict[str, Any]:
    data = authority.ledger.notice(number) if type(number) is int else None
    if data is None:
        raise UnknownNotice("no exposure notice has that number")
    if data["status"] != "active":
        raise NoticeClosed("the notice was already withdrawn or corrected")
    return data


def withdraw_notice(authority: Authority, number: int) -> dict[str, Any]:
    """Withdraw a notice: its status bit is set and a ``withdrawn`` event is published.

    Raises:
        UnknownNotice: no such notice.
        NoticeClosed: it was already withdrawn or corrected.
    """
    data = _open_notice(authority, number)
    authority.status.revoke("notices", data["status_index"])
    closed = {**data, "status": "withdrawn", "withdrawn": authority.now()}
    authority.ledger.put_notice(number, closed, {"event": "withdrawn", "time": authority.now()})
    return closed


def correct_notice(authority: Authority, number: int, **fields: Any) -> dict[str, Any]:
    """Correct a notice: a new notice naming the old one is published and the old one is
    withdrawn as ``corrected``; returns the new notice.

    Raises:
        UnknownNotice, NoticeClosed: as :func:`withdraw_notice`.
        InvalidNotice, UnknownVenue: as :func:`publish_notice`.
    """
    old = _open_notice(authority, number)
    new = publish_notice(authority, replaces=number, **fields)
    authority.status.revoke("notices", old["status_index"])
    closed = {**old, "status": "corrected", "replaced_by": new["number"]}
    authority.ledger.put_notice(
        number,
        closed,
        {"event": "corrected", "replaced_by": new["number"], "time": authority.now()},
    )
    return new


def notice_feed(authority: Authority, since: int = 0, limit: int = MAX_FEED_PAGE) -> dict[str, Any]:
    """The feed events after cursor ``since`` (oldest first) and the cursor to ask from
    next time.

    Raises:
        InvalidNotice: ``since`` is not a non-negative int or ``limit`` not in [1, 500].
    """
    if type(since) is not int or since < 0:
        raise InvalidNotice("since must be a non-negative int cursor")
    if type(limit) is not int or not 1 <= limit <= MAX_FEED_PAGE:
        raise InvalidNotice(f"limit must be 1 to {MAX_FEED_PAGE}")
    events = authority.ledger.feed(since, limit)
    items = [
        {"cursor": c, **{k: v for k, v in e.items() if k != "status_index"}} for c, e in events
    ]
    cursor = events[-1][0] if events else max(since, 0)
    return {"events": items, "next": cursor, "more": len(events) == limit}
