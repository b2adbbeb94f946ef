"""The append-only audit log (DESIGN.md "Audit log").

Every warrant approval and every share batch becomes a :class:`LogEntry` signed by its
author (a custodian). Entries form a Merkle tree (RFC 9162 hashing, :mod:`escrow._merkle`)
and are also hash-chained: entry n carries its sequence number and the root of the tree of
entries 0..n−1, so removing, reordering or altering any entry breaks a signature, the
chain or the root. Custodians publish :class:`SignedTreeHead` s; a head also commits to the
*unsealed-records tree*: the Merkle tree over the sorted, distinct envelope ids that appear
in any share batch of the log's first ``size`` entries. A record counts as unsealed as
soon as any custodian has released a share for it (a conservative reading: k are needed).

A holder who knows its envelope id asks for an :class:`UnsealedProof` against a head:
either an inclusion proof of its id in the unsealed tree (it was unsealed), or, since the
leaves are sorted, the two adjacent leaves that bracket its id with their inclusion proofs
(or the first/last leaf alone at either end; or an empty tree): it was not.

Under which case? An approval entry carries the warrant's *case commitment*
(:class:`escrow.CaseOpening`): a hash of the warrant id, the case id and a nonce derived
from the warrant's body, so the published log names no case id (case ids are an
authority's numbering, guessable, and the log is public), while whoever is handed the
opening, a holder asking about its own record, can check the case id against the signed
entry. The log keeps the openings beside its entries (``openings``, written by
:meth:`AuditLog.record_approval`); :meth:`AuditLog.to_bytes` with ``openings=False`` is the
log as published to everyone, :meth:`AuditLog.prove_record` the per-record proof
(:class:`escrow.RecordAuditProof`) that names the case.

Wire formats (deterministic CBOR): entry ``{"body", "sig"}`` with body ``{"v": 2, "type",
"seq", "prev", "kind", "author", "time", "warrant_id", "case", "records", "payload"}``
(``case``: the 32-byte commitment in an approval, empty in a share batch); head
``{"body", "sig"}`` with body ``{"v", "type", "size", "root", "unsealed_root",
"unsealed_count", "time", "signer"}``; log file ``{"entries": [...], "heads": [...]}``
and, in the custodians' copy, ``"openings": [[warrant id, case id, nonce], ...]``.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from did import Ed25519PrivateKey, cbor, ed25519_public_key_from_did
from did.errors import DecodeError, InputError, InvalidSignature
from escrow._caseref import CaseOpening
from escrow._custodian import ShareBatch
from escrow._merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaves,
    verify_inclusion,
)
from escrow._warrant import Warrant
from escrow.errors import (
    AuditLogBadProof,
    AuditLogBadSignature,
    AuditLogOrderBroken,
    AuditLogRootMismatch,
)

if TYPE_CHECKING:
    from escrow._auditproof import RecordAuditProof

__all__ = ["AuditLog", "LogEntry", "SignedTreeHead", "UnsealedProof"]

ENTRY_CONTEXT = b"anshim/escrow/log-entry/v1\x00"
HEAD_CONTEXT = b"anshim/escrow/tree-head/v1\x00"
_MAX_LOG = 256 * 1024 * 1024
_KINDS = ("approval", "shares")
_ENTRY_VERSION = 2
#: The most openings a log file holds (one per approved warrant).
_MAX_OPENINGS = 1 << 20


def _check_sig(did: str, sig: bytes, message: bytes, custodians: Sequence[str]) -> None:
    if did not in custodians:
        raise AuditLogBadSignature("log author is not a custodian")
    try:
        ed25519_public_key_from_did(did).verify(sig, message)
    except (InvalidSignature, InputError) as exc:
        raise AuditLogBadSignature("log signature does not verify") from exc


def _decode_signed(data: bytes, what: str) -> tuple[bytes, bytes, dict[str, object]]:
    obj = cbor.decode(data, max_size=_MAX_LOG, max_depth=2)
    if not isinstance(obj, dict) or set(obj) != {"body", "sig"}:
        raise DecodeError(f"{what} must be {{body, sig}}")
    body, sig = obj["body"], obj["sig"]
    if not isinstance(body, bytes) or not isinstance(sig, bytes):
        raise DecodeError(f"{what}: wrong field types")
    b = cbor.decode(body, max_size=_MAX_LOG, max_depth=2)
    if not isinstance(b, dict):
        raise DecodeError(f"{what} body must be a map")
    return body, sig, b


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One signed log entry (module docstring)."""

    body: bytes
    sig: bytes
    seq: int
    prev: bytes
    kind: str
    author: str
    time: int
    warrant_id: bytes
    case: bytes
    records: tuple[bytes, ...]

    def to_bytes(self) -> bytes:
        """Canonical CBOR; the Merkle leaf is SHA-256(0x00 ‖ these bytes)."""
        return cbor.encode({"body": self.body, "sig": self.sig})

    def verify(self, custodians: Sequence[str]) -> None:
        """Check the entry's signature by its author, one of ``custodians``.

        Raises:
            AuditLogBadSignature: the author is not a custodian or the signature fails.
        """
        _check_sig(self.author, self.sig, ENTRY_CONTEXT + self.body, custodians)

    @classmethod
    def from_bytes(cls, data: bytes) -> LogEntry:
        """Strictly decode an entry. Raises :class:`DecodeError`."""
        body, sig, b = _decode_signed(data, "log entry")
        keys = {
            "v",
            "type",
            "seq",
            "prev",
            "kind",
            "author",
            "time",
            "warrant_id",
            "case",
            "records",
            "payload",
        }
        if set(b) != keys or b["v"] != _ENTRY_VERSION or b["type"] != "anshim-escrow-log-entry":
            raise DecodeError("not an anshim log entry of a supported version")
        seq, prev, kind, author, time = b["seq"], b["prev"], b["kind"], b["author"], b["time"]
        wid, case, records = b["warrant_id"], b["case"], b["records"]
        if type(seq) is not int or type(time) is not int or kind not in _KINDS:
            raise DecodeError("log entry: bad seq, time or kind")
        if not isinstance(prev, bytes) or not isinstance(author, str) or not isinstance(wid, bytes):
            raise DecodeError("log entry: wrong field types")
        if not isinstance(records, list) or not all(
            isinstance(r, bytes) and len(r) == 32 for r in records
        ):
            raise DecodeError("log entry: records must be 32-byte ids")
        if not isinstance(b["payload"], bytes):
            raise DecodeError("log entry: payload must be bytes")
        # An approval commits to its warrant's case; a share batch names only the warrant.
        if not isinstance(case, bytes) or len(case) != (32 if kind == "approval" else 0):
            raise DecodeError("log entry: an approval's case commitment is 32 bytes, else empty")
        return cls(body, sig, seq, prev, str(kind), author, time, wid, case, tuple(records))


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    """A signed commitment to the log's first ``size`` entries and their unsealed records."""

    body: bytes
    sig: bytes
    size: int
    root: bytes
    unsealed_root: bytes
    unsealed_count: int
    time: int
    signer: str

    def to_bytes(self) -> bytes:
        """Canonical CBOR."""
        return cbor.encode({"body": self.body, "sig": self.sig})

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedTreeHead:
        """Strictly decode a head. Raises :class:`DecodeError`."""
        body, sig, b = _decode_signed(data, "tree head")
        keys = {"v", "type", "size", "root", "unsealed_root", "unsealed_count", "time", "signer"}
        if set(b) != keys or b["v"] != 1 or b["type"] != "anshim-escrow-tree-head":
            raise DecodeError("not an anshim tree head")
        ints = (b["size"], b["unsealed_count"], b["time"])
        if not all(type(i) is int for i in ints) or not isinstance(b["signer"], str):
            raise DecodeError("tree head: wrong field types")
        roots = (b["root"], b["unsealed_root"])
        if not all(isinstance(r, bytes) and len(r) == 32 for r in roots):
            raise DecodeError("tree head: roots must be 32 bytes")
        return cls(body, sig, *ints[:1], *roots, *ints[1:], b["signer"])  # type: ignore[arg-type]

    def verify(self, custodians: Sequence[str]) -> None:
        """Check the head's signature by a custodian.

        Raises:
            AuditLogBadSignature: if the signer is not a custodian or the
                signature does not verify.
        """
        _check_sig(self.signer, self.sig, HEAD_CONTEXT + self.body, custodians)


@dataclass(frozen=True, slots=True)
class UnsealedProof:
    """Whether a record was unsealed, provable against a :class:`SignedTreeHead`.

    ``neighbours`` are (index, record id, inclusion path) of the leaf itself (when
    ``unsealed``) or of the leaves bracketing it (when not).
    """

    record_id: bytes
    unsealed: bool
    neighbours: tuple[tuple[int, bytes, tuple[bytes, ...]], ...]

    def verify(self, head: SignedTreeHead) -> None:
        """Check the proof against a head (whose signature the caller has checked).

        Raises:
            AuditLogBadProof: if the proof does not establish its claim.
        """
        n = head.unsealed_count
        for index, rid, path in self.neighbours:
            verify_inclusion(leaf_hash(rid), index, n, path, head.unsealed_root)
        idx = [i for i, _, _ in self.neighbours]
        ids = [r for _, r, _ in self.neighbours]
        if self.unsealed:
            if ids != [self.record_id]:
                raise AuditLogBadProof("inclusion proof is for another record")
            return
        x = self.record_id
        if n == 0 and not self.neighbours:
            return
        ok = (
            (len(ids) == 2 and idx[1] == idx[0] + 1 and ids[0] < x < ids[1])
            or (len(ids) == 1 and idx == [0] and x < ids[0])
            or (len(ids) == 1 and idx == [n - 1] and ids[0] < x)
        )
        if not ok:
            raise AuditLogBadProof("non-inclusion proof does not bracket the record")


class AuditLog:
    """An in-memory audit log; load and save with :meth:`from_bytes` / :meth:`to_bytes`."""

    __slots__ = ("_leaves", "entries", "heads", "openings")

    def __init__(self) -> None:
        self.entries: list[LogEntry] = []
        self.heads: list[SignedTreeHead] = []
        #: The case openings of approved warrants, by warrant id (module docstring).
        self.openings: dict[bytes, CaseOpening] = {}
        self._leaves: list[bytes] = []

    # -- writing --------------------------------------------------------------------------
    def _append(
        self, kind: str, key: Ed25519PrivateKey, author: str, *, warrant_id: bytes,
        case: bytes, records: Sequence[bytes], payload: bytes, now: int,
    ) -> LogEntry:  # fmt: skip
        body = cbor.encode(
            {
                "v": _ENTRY_VERSION,
                "type": "anshim-escrow-log-entry",
                "seq": len(self.entries),
                "prev": self.root(),
                "kind": kind,
                "author": author,
                "time": now,
                "warrant_id": warrant_id,
                "case": case,
                "records": sorted(set(records)),
                "payload": payload,
            }
        )
        entry = LogEntry.from_bytes(
            cbor.encode({"body": body, "sig": key.sign(ENTRY_CONTEXT + body)})
        )
        self.entries.append(entry)
        self._leaves.append(leaf_hash(entry.to_bytes()))
        return entry

    def record_approval(
        self, warrant: Warrant, key: Ed25519PrivateKey, author: str, *, now: int
    ) -> LogEntry:
        """Log ``author``'s approval of ``warrant`` (payload: SHA-256 of the warrant body;
        case: its :class:`~escrow.CaseOpening`'s commitment, the opening kept in
        :attr:`openings`)."""
        opening = CaseOpening.of(warrant)
        entry = self._append(
            "approval", key, author, warrant_id=warrant.warrant_id, case=opening.commitment,
            records=(), payload=hashlib.sha256(warrant.body).digest(), now=now,
        )  # fmt: skip
        self.openings[warrant.warrant_id] = opening
        return entry

    def record_batch(
        self, batch: ShareBatch, key: Ed25519PrivateKey, author: str, *, now: int
    ) -> LogEntry:
        """Log a share batch (payload: SHA-256 of the batch body; records: its envelope ids)."""
        return self._append(
            "shares", key, author, warrant_id=batch.warrant_id, case=b"",
            records=[eid for eid, _ in batch.shares],
            payload=hashlib.sha256(batch.body).digest(), now=now,
        )  # fmt: skip

    def sign_head(self, key: Ed25519PrivateKey, signer: str, *, now: int) -> SignedTreeHead:
        """Sign and keep a head over the whole log as it stands."""
        unsealed = self._unsealed(len(self.entries))
        body = cbor.encode(
            {
                "v": 1,
                "type": "anshim-escrow-tree-head",
                "size": len(self.entries),
                "root": self.root(),
                "unsealed_root": root_from_leaves([leaf_hash(r) for r in unsealed]),
                "unsealed_count": len(unsealed),
                "time": now,
                "signer": signer,
            }
        )
        sig = key.sign(HEAD_CONTEXT + body)
        head = SignedTreeHead.from_bytes(cbor.encode({"body": body, "sig": sig}))
        self.heads.append(head)
        return head

    # -- reading --------------------------------------------------------------------------
    def root(self, size: int | None = None) -> bytes:
        """The Merkle root of the first ``size`` entries (all by default)."""
        return root_from_leaves(self._leaves[: len(self._leaves) if size is None else size])

    def _unsealed(self, size: int) -> list[bytes]:
        return sorted({r for e in self.entries[:size] if e.kind == "shares" for r in e.records})

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The Merkle path of entry ``index`` in the tree of the first ``size`` entries."""
        return inclusion_proof(index, self._leaves[: len(self._leaves) if size is None else size])

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """RFC 9162 consistency proof from size ``first`` to ``second`` (default: now)."""
        return consistency_proof(
            first, self._leaves[: len(self._leaves) if second is None else second]
        )

    def prove_unsealed(self, record_id: bytes, head: SignedTreeHead) -> UnsealedProof:
        """Proof that ``record_id`` was, or was not, unsealed as of ``head``."""
        ids = self._unsealed(head.size)
        leaves = [leaf_hash(r) for r in ids]

        def nb(i: int) -> tuple[int, bytes, tuple[bytes, ...]]:
            return (i, ids[i], tuple(inclusion_proof(i, leaves)))

        pos = bisect.bisect_left(ids, record_id)
        if pos < len(ids) and ids[pos] == record_id:
            return UnsealedProof(record_id, True, (nb(pos),))
        around = tuple(nb(i) for i in (pos - 1, pos) if 0 <= i < len(ids))
        return UnsealedProof(record_id, False, around)

    def prove_record(self, record_id: bytes, head: SignedTreeHead) -> RecordAuditProof:
        """Whether ``record_id`` was unsealed as of ``head`` and, if it was, under which
        cases: the :class:`UnsealedProof` and, per warrant whose share batches named it, the
        approval and share-batch entries with their inclusion proofs and the case opening.

        Raises:
            AuditLogBadProof: ``head`` is not one of this log's sizes, or a warrant that
                unsealed the record has no opening here (a published copy, not the
                custodians').
        """
        from escrow._auditproof import prove_record  # the proof module builds on this one

        return prove_record(self, record_id, head)

    def verify(self, custodians: Sequence[str], *, openings: bool = False) -> None:
        """Check every entry and every head, and that every kept case opening matches its
        warrant's approval entries; with ``openings``, also that every approved warrant
        has its opening (the custodians' copy of the log, which the registry requires).

        Raises:
            AuditLogBadSignature: an entry or head not signed by a custodian.
            AuditLogOrderBroken: a sequence number or previous root that does not follow
                (a removed, inserted or reordered entry).
            AuditLogRootMismatch: a head whose size, root or unsealed tree does not match
                the entries.
            AuditLogBadProof: an opening that does not match its approvals' commitment,
                names a warrant no entry approved, or (with ``openings``) is missing.
        """
        self._verify_openings(required=openings)
        leaves: list[bytes] = []
        for n, entry in enumerate(self.entries):
            entry.verify(custodians)
            if entry.seq != n or entry.prev != root_from_leaves(leaves):
                raise AuditLogOrderBroken(f"entry {n} is out of order or its predecessor changed")
            leaves.append(leaf_hash(entry.to_bytes()))
        for head in self.heads:
            head.verify(custodians)
            if head.size > len(leaves) or head.root != root_from_leaves(leaves[: head.size]):
                raise AuditLogRootMismatch("a signed tree head does not match the entries")
            unsealed = self._unsealed(head.size)
            if head.unsealed_count != len(unsealed) or head.unsealed_root != root_from_leaves(
                [leaf_hash(r) for r in unsealed]
            ):
                raise AuditLogRootMismatch("a tree head's unsealed records do not match")

    def _verify_openings(self, *, required: bool) -> None:
        approved = {e.warrant_id for e in self.entries if e.kind == "approval"}
        for wid, opening in self.openings.items():
            if wid not in approved or opening.warrant_id != wid:
                raise AuditLogBadProof("a case opening names a warrant no entry approved")
        before: set[bytes] = set()  # warrants approved by an earlier entry
        for e in self.entries:
            if e.kind == "shares":
                if required and e.warrant_id not in before:
                    raise AuditLogBadProof("a share batch precedes its warrant's logged approval")
                continue
            before.add(e.warrant_id)
            found = self.openings.get(e.warrant_id)
            if found is None:
                if required:
                    raise AuditLogBadProof("an approved warrant's case opening is missing")
            elif found.commitment != e.case:
                raise AuditLogBadProof("a case opening does not match its approval entry")

    # -- files ----------------------------------------------------------------------------
    def to_bytes(self, *, openings: bool = True) -> bytes:
        """The log file (canonical CBOR); ``openings=False`` leaves the case openings out
        (the log as published to everyone, module docstring)."""
        obj: dict[str, object] = {
            "entries": [e.to_bytes() for e in self.entries],
            "heads": [h.to_bytes() for h in self.heads],
        }
        if openings and self.openings:
            obj["openings"] = [o.to_obj() for _, o in sorted(self.openings.items())]
        return cbor.encode(obj)

    @classmethod
    def from_bytes(cls, data: bytes) -> AuditLog:
        """Strictly decode a log file (call :meth:`verify` to check it).

        Raises:
            DecodeError: on malformed CBOR, entries or heads.
        """
        obj = cbor.decode(data, max_size=_MAX_LOG, max_depth=3)
        if not isinstance(obj, dict) or not {"entries", "heads"} <= set(obj) <= {
            "entries",
            "heads",
            "openings",
        }:
            raise DecodeError("log file must be {entries, heads[, openings]}")
        entries, heads = obj["entries"], obj["heads"]
        if not isinstance(entries, list) or not isinstance(heads, list):
            raise DecodeError("log file: wrong field types")
        log = cls()
        for e in entries:
            if not isinstance(e, bytes):
                raise DecodeError("log entry must be bytes")
            entry = LogEntry.from_bytes(e)
            log.entries.append(entry)
            log._leaves.append(leaf_hash(entry.to_bytes()))
        for h in heads:
            if not isinstance(h, bytes):
                raise DecodeError("tree head must be bytes")
            log.heads.append(SignedTreeHead.from_bytes(h))
        openings = obj.get("openings", [])
        if not isinstance(openings, list) or len(openings) > _MAX_OPENINGS:
            raise DecodeError("log file: openings must be a list")
        for item in openings:
            opening = CaseOpening.from_obj(item)
            if opening.warrant_id in log.openings:
                raise DecodeError("log file: a warrant's case opening is repeated")
            log.openings[opening.warrant_id] = opening
        return log
