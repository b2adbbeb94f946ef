"""Per-record audit proofs: was this record unsealed, and under which case?

DESIGN.md "Investigation" step 7: a wallet checks, per visit in its diary, whether that
record was unsealed. A :class:`RecordAuditProof` answers it against one signed tree head:

* the :class:`~escrow.UnsealedProof` of the record id in (or absent from) the head's tree
  of unsealed records;
* when it was unsealed, per warrant whose share batches named it, a :class:`CaseProof`:
  the share-batch entries naming the record and the warrant's approval entries, each an
  :class:`EntryProof` (the signed entry and its RFC 9162 inclusion path in the head's
  log tree), and the warrant's :class:`~escrow.CaseOpening`, which must match the case
  commitment the approval entries carry. The holder learns the case id, when shares were
  released and by which custodians; nothing of the warrant's other records, investigator
  or purpose.

Limits: a proof names at most :data:`MAX_CASES` warrants (the earliest) and, per warrant,
one entry of each kind per custodian. A registry could leave a warrant out; the full log
(``GET /audit-log``) lets anyone check it has not.

Wire format (deterministic CBOR)::

    proof = {"v": 1, "type": "anshim-escrow-record-audit", "record_id": bstr .size 32,
             "unsealed": bool, "neighbours": [[index, record id, [hash, ...]], ...],
             "cases": [{"opening": [warrant id, case id, nonce],
                        "approvals": [entry proof, ...], "shares": [entry proof, ...]}, ...]}
    entry proof = [index, entry (LogEntry bytes), [hash, ...]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from did import cbor
from did.errors import DecodeError
from escrow._auditlog import LogEntry, SignedTreeHead, UnsealedProof
from escrow._caseref import CaseOpening
from escrow._merkle import leaf_hash, verify_inclusion
from escrow.errors import AuditLogBadProof

if TYPE_CHECKING:
    from escrow._auditlog import AuditLog

__all__ = [
    "MAX_CASES",
    "MAX_RECORD_AUDIT",
    "CaseProof",
    "EntryProof",
    "RecordAuditProof",
    "UnsealedCase",
    "prove_record",
]

#: The largest encoded :class:`RecordAuditProof` (bytes): share-batch entries list their
#: records (32 bytes each), so a batch of 10,000 records is a 320 KB entry.
MAX_RECORD_AUDIT = 16 * 1024 * 1024
#: The most warrants one proof names.
MAX_CASES = 16
_MAX_ENTRIES = 64  # of one kind per case: one per custodian, and no roster is larger
_MAX_PATH = 64  # hashes in an inclusion path: a tree of 2**64 leaves
_TYPE = "anshim-escrow-record-audit"


def _hashes(obj: object, what: str, limit: int) -> tuple[bytes, ...]:
    if not isinstance(obj, list) or len(obj) > limit:
        raise DecodeError(f"{what} must be a list of at most {limit} hashes")
    if not all(isinstance(h, bytes) and len(h) == 32 for h in obj):
        raise DecodeError(f"{what}: each hash is 32 bytes")
    return tuple(obj)


def _index(obj: object) -> int:
    if type(obj) is not int or not 0 <= obj < 2**62:
        raise DecodeError("a leaf index is a non-negative int")
    return obj


@dataclass(frozen=True, slots=True)
class EntryProof:
    """One signed log entry and its inclusion path in a head's log tree (index = seq)."""

    index: int
    entry: LogEntry
    path: tuple[bytes, ...]

    def verify(self, head: SignedTreeHead, custodians: Sequence[str]) -> None:
        """Check that the entry is signed by one of ``custodians`` and is entry ``index``
        of the first ``head.size`` entries that ``head.root`` commits to.

        Raises:
            AuditLogBadSignature: the entry is not a custodian's or its signature fails.
            AuditLogBadProof: its sequence number is not its index, or the path does not
                lead to the head's root (another log, a truncated or altered path).
        """
        if self.entry.seq != self.index:
            raise AuditLogBadProof("the entry's sequence number is not its leaf index")
        self.entry.verify(custodians)
        verify_inclusion(
            leaf_hash(self.entry.to_bytes()), self.index, head.size, self.path, head.root
        )

    def to_obj(self) -> list[object]:
        """``[index, entry bytes, [hash, ...]]``."""
        return [self.index, self.entry.to_bytes(), list(self.path)]

    @classmethod
    def from_obj(cls, obj: object) -> EntryProof:
        """Strictly decode ``[index, entry bytes, [hash, ...]]``.

        Raises:
            DecodeError: on any other shape, or an entry that does not decode.
        """
        if not isinstance(obj, list) or len(obj) != 3 or not isinstance(obj[1], bytes):
            raise DecodeError("an entry proof is [index, entry, path]")
        return cls(_index(obj[0]), LogEntry.from_bytes(obj[1]), _hashes(obj[2], "path", _MAX_PATH))


@dataclass(frozen=True, slots=True)
class UnsealedCase:
    """What a verified :class:`CaseProof` says: the record was unsealed under case
    ``case_id`` (warrant ``warrant_id``), approved by ``approved_by`` and answered with
    shares by ``shares_from`` (custodian DIDs, in log order), the first shares at ``time``."""

    case_id: str
    warrant_id: bytes
    approved_by: tuple[str, ...]
    shares_from: tuple[str, ...]
    time: int


def _distinct(entries: Sequence[EntryProof], what: str) -> None:
    authors = [p.entry.author for p in entries]
    if not entries or len(entries) > _MAX_ENTRIES or len(set(authors)) != len(authors):
        raise AuditLogBadProof(f"a case proof needs one {what} entry per custodian, at least one")


@dataclass(frozen=True, slots=True)
class CaseProof:
    """One warrant under which a record was unsealed (module docstring)."""

    opening: CaseOpening
    approvals: tuple[EntryProof, ...]
    shares: tuple[EntryProof, ...]

    def verify(
        self, record_id: bytes, head: SignedTreeHead, custodians: Sequence[str]
    ) -> UnsealedCase:
        """Check every entry against ``head`` and ``custodians``, that the share batches
        name ``record_id`` under the opening's warrant, and that the approvals of that
        warrant commit to the opening's case.

        Raises:
            AuditLogBadSignature: an entry not signed by a custodian.
            AuditLogBadProof: an entry not in the head's tree, of the wrong kind, for
                another warrant or case, a share batch that does not name the record, or
                no entry of a kind.
        """
        _distinct(self.approvals, "approval")
        _distinct(self.shares, "share-batch")
        wid, commitment = self.opening.warrant_id, self.opening.commitment
        for p in self.approvals:
            p.verify(head, custodians)
            e = p.entry
            if e.kind != "approval" or e.warrant_id != wid:
                raise AuditLogBadProof("an approval entry is for another warrant")
            if e.case != commitment:
                raise AuditLogBadProof("the approval entry commits to another case")
        for p in self.shares:
            p.verify(head, custodians)
            e = p.entry
            if e.kind != "shares" or e.warrant_id != wid:
                raise AuditLogBadProof("a share-batch entry is for another warrant")
            if record_id not in e.records:
                raise AuditLogBadProof("a share-batch entry does not name this record")
        return UnsealedCase(
            self.opening.case_id,
            wid,
            tuple(p.entry.author for p in self.approvals),
            tuple(p.entry.author for p in self.shares),
            min(p.entry.time for p in self.shares),
        )

    def to_obj(self) -> dict[str, object]:
        """The case's CBOR map (module docstring)."""
        return {
            "opening": self.opening.to_obj(),
            "approvals": [p.to_obj() for p in self.approvals],
            "shares": [p.to_obj() for p in self.shares],
        }

    @classmethod
    def from_obj(cls, obj: object) -> CaseProof:
        """Strictly decode a case map. Raises :class:`DecodeError`."""
        if not isinstance(obj, dict) or set(obj) != {"opening", "approvals", "shares"}:
            raise DecodeError("a case proof is {opening, approvals, shares}")
        lists = (obj["approvals"], obj["shares"])
        if not all(isinstance(x, list) and len(x) <= _MAX_ENTRIES for x in lists):
            raise DecodeError(f"a case proof holds at most {_MAX_ENTRIES} entries of a kind")
        return cls(
            CaseOpening.from_obj(obj["opening"]),
            tuple(EntryProof.from_obj(p) for p in lists[0]),
            tuple(EntryProof.from_obj(p) for p in lists[1]),
        )


@dataclass(frozen=True, slots=True)
class RecordAuditProof:
    """Whether a record was unsealed as of a head, and under which cases (module
    docstring). Build with :meth:`escrow.AuditLog.prove_record` or :meth:`from_bytes`."""

    record_id: bytes
    unsealed: UnsealedProof
    cases: tuple[CaseProof, ...]

    def verify(self, head: SignedTreeHead, custodians: Sequence[str]) -> tuple[UnsealedCase, ...]:
        """Check ``head``'s signature by one of ``custodians``, the unsealed-tree proof,
        and every case proof; returns the cases (empty for an absence proof).

        Raises:
            AuditLogBadSignature: the head or an entry is not signed by a custodian.
            AuditLogBadProof: a proof about another record, one that does not establish
                its claim, an inclusion that names no case (or an absence that names
                one), a warrant named twice, or a case proof :meth:`CaseProof.verify`
                refuses.
        """
        head.verify(custodians)
        if self.unsealed.record_id != self.record_id:
            raise AuditLogBadProof("the unsealed-tree proof is about another record")
        self.unsealed.verify(head)
        if self.unsealed.unsealed != bool(self.cases):
            raise AuditLogBadProof("an unsealed record names its cases, and only then")
        if len({c.opening.warrant_id for c in self.cases}) != len(self.cases):
            raise AuditLogBadProof("a warrant is named twice")
        return tuple(c.verify(self.record_id, head, custodians) for c in self.cases)

    def to_bytes(self) -> bytes:
        """Canonical CBOR (module docstring)."""
        return cbor.encode(
            {
                "v": 1,
                "type": _TYPE,
                "record_id": self.record_id,
                "unsealed": self.unsealed.unsealed,
                "neighbours": [[i, r, list(p)] for i, r, p in self.unsealed.neighbours],
                "cases": [c.to_obj() for c in self.cases],
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> RecordAuditProof:
        """Strictly decode a proof of at most :data:`MAX_RECORD_AUDIT` bytes (call
        :meth:`verify` to check it).

        Raises:
            DecodeError: on oversized or malformed CBOR, or any field out of shape.
        """
        if not isinstance(data, bytes) or len(data) > MAX_RECORD_AUDIT:
            raise DecodeError(f"a record audit proof is at most {MAX_RECORD_AUDIT} bytes")
        obj = cbor.decode(data, max_size=MAX_RECORD_AUDIT, max_depth=6)
        keys = {"v", "type", "record_id", "unsealed", "neighbours", "cases"}
        if not isinstance(obj, dict) or set(obj) != keys:
            raise DecodeError("not a record audit proof")
        if type(obj["v"]) is not int or obj["v"] != 1 or obj["type"] != _TYPE:
            raise DecodeError("not a record audit proof of a supported version")
        rid, unsealed, neighbours, cases = (
            obj["record_id"], obj["unsealed"], obj["neighbours"], obj["cases"],
        )  # fmt: skip
        if not (isinstance(rid, bytes) and len(rid) == 32) or type(unsealed) is not bool:
            raise DecodeError("a record audit proof: bad record id or unsealed flag")
        if not isinstance(neighbours, list) or len(neighbours) > 2:
            raise DecodeError("a record audit proof has at most two neighbours")
        nbs = []
        for n in neighbours:
            if not isinstance(n, list) or len(n) != 3:
                raise DecodeError("a neighbour is [index, record id, path]")
            (nid,) = _hashes([n[1]], "neighbour record id", 1)
            nbs.append((_index(n[0]), nid, _hashes(n[2], "path", _MAX_PATH)))
        if not isinstance(cases, list) or len(cases) > MAX_CASES:
            raise DecodeError(f"a record audit proof names at most {MAX_CASES} cases")
        return cls(
            rid,
            UnsealedProof(rid, unsealed, tuple(nbs)),
            tuple(CaseProof.from_obj(c) for c in cases),
        )


def prove_record(log: AuditLog, record_id: bytes, head: SignedTreeHead) -> RecordAuditProof:
    """:meth:`escrow.AuditLog.prove_record` (which see)."""
    size = head.size
    if size > len(log.entries) or log.root(size) != head.root:
        raise AuditLogBadProof("the tree head is not one of this log's")
    unsealed = log.prove_unsealed(record_id, head)
    entries = log.entries[:size]
    batches: dict[bytes, dict[str, int]] = {}
    if unsealed.unsealed:
        for n, e in enumerate(entries):
            if e.kind == "shares" and record_id in e.records:
                batches.setdefault(e.warrant_id, {}).setdefault(e.author, n)
    cases = []
    for wid, shares in list(batches.items())[:MAX_CASES]:
        opening = log.openings.get(wid)
        if opening is None:
            raise AuditLogBadProof("a warrant that unsealed the record has no case opening here")
        approvals: dict[str, int] = {}
        for n, e in enumerate(entries):
            if e.kind == "approval" and e.warrant_id == wid:
                approvals.setdefault(e.author, n)

        def proofs(at: dict[str, int]) -> tuple[EntryProof, ...]:
            return tuple(
                EntryProof(n, entries[n], tuple(log.inclusion_proof(n, size)))
                for n in sorted(at.values())
            )

        cases.append(CaseProof(opening, proofs(approvals), proofs(shares)))
    return RecordAuditProof(record_id, unsealed, tuple(cases))
