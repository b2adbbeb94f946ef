"""Was my visit unsealed, and under which case? (DESIGN.md "Transparency": "a wallet can
check, per visit in its diary, whether that record was unsealed (an inclusion or absence
proof)").

The custodians' audit log commits, in every signed tree head, to a sorted Merkle tree of the
ids of every record they unsealed, and to every approval and share batch. A wallet keeps
each visit's record id (the hash of its envelope, :attr:`wallet.Visit.record_id`), fetches
the registry's answer for that id once (``GET /audit-log/proofs/<record id>``: the head
and an :class:`escrow.RecordAuditProof`), reads it with :func:`read_audit_answer` and checks
it here: the head against the custodians pinned when the wallet was created (a registry
cannot substitute its own log), the proof against the head, and, for an unsealed record,
the share-batch entries naming it and the approval entries of their warrant, each signed by
a pinned custodian and included under the head, and the case id against the commitment
those approvals carry. The answer names the case; what else the warrant opened, who asked
and why stay out of it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from did import b64url_decode
from did.errors import AnshimError
from escrow import MAX_RECORD_AUDIT, RecordAuditProof, SignedTreeHead, UnsealedCase
from wallet.errors import AuditProofRefused

__all__ = ["MAX_AUDIT_ANSWER", "AuditAnswer", "check_unsealed", "read_audit_answer"]

#: The largest registry answer :func:`read_audit_answer` reads (bytes of JSON): the proof
#: in base64url and the head beside it.
MAX_AUDIT_ANSWER = MAX_RECORD_AUDIT * 4 // 3 + 64 * 1024
_MAX_HEAD = 4096


@dataclass(frozen=True, slots=True)
class AuditAnswer:
    """What a verified proof says about one record.

    ``unsealed`` is ``True`` when the record's id is in the head's tree of unsealed records
    (an inclusion proof) and ``False`` when it provably is not (an absence proof);
    ``cases`` names, for an unsealed record, each case it was unsealed under (case id,
    warrant id, approving custodians, custodians who released shares, when), empty for an
    absence; ``head_size`` and ``unsealed_count`` describe the head the answer holds for,
    and ``signed_by`` names the custodian who signed it.
    """

    record_id: bytes
    unsealed: bool
    head_size: int
    unsealed_count: int
    signed_by: str
    cases: tuple[UnsealedCase, ...] = ()

    @property
    def case_ids(self) -> tuple[str, ...]:
        """The case ids of :attr:`cases`, in log order."""
        return tuple(c.case_id for c in self.cases)


def read_audit_answer(data: bytes) -> tuple[bytes, bytes]:
    """The tree head and the proof (both bytes, for :meth:`wallet.Wallet.was_unsealed`)
    from the registry's JSON answer to ``GET /audit-log/proofs/<record id>``; at most
    :data:`MAX_AUDIT_ANSWER` bytes, read strictly (nothing in it is trusted until checked).

    Raises:
        AuditProofRefused: oversized, not JSON, or without ``tree_head.head`` and
            ``proof`` as base64url strings.
    """
    if not isinstance(data, (bytes, bytearray)) or len(data) > MAX_AUDIT_ANSWER:
        raise AuditProofRefused(f"an audit answer is at most {MAX_AUDIT_ANSWER} bytes")
    try:
        obj = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise AuditProofRefused("the audit answer is not JSON") from exc
    head = obj.get("tree_head") if isinstance(obj, dict) else None
    head = head.get("head") if isinstance(head, dict) else None
    proof = obj.get("proof") if isinstance(obj, dict) else None
    if not isinstance(head, str) or not isinstance(proof, str) or len(head) > _MAX_HEAD:
        raise AuditProofRefused("the audit answer has no tree head or proof")
    try:
        return (
            b64url_decode(head, max_chars=_MAX_HEAD),
            b64url_decode(proof, max_chars=MAX_AUDIT_ANSWER),
        )
    except (AnshimError, ValueError) as exc:
        raise AuditProofRefused("the audit answer's head or proof is not base64url") from exc


def check_unsealed(
    record_id: bytes,
    head: bytes,
    proof: bytes | RecordAuditProof,
    custodians: Sequence[str],
) -> AuditAnswer:
    """Verify ``head`` (a :class:`escrow.SignedTreeHead` in bytes) against ``custodians``
    and ``proof`` (a :class:`escrow.RecordAuditProof`, or its bytes) against it, for the
    record ``record_id``.

    Raises:
        AuditProofRefused: the head or proof does not decode, the head or an entry is
            not signed by a pinned custodian, the proof is for another record, or it
            does not establish its claim (an entry for another warrant or case swapped
            in, a truncated path, an inclusion naming no case).
    """
    try:
        parsed_proof = (
            RecordAuditProof.from_bytes(bytes(proof))
            if isinstance(proof, (bytes, bytearray))
            else proof
        )
        if not isinstance(parsed_proof, RecordAuditProof):
            raise AuditProofRefused("the proof is not a record audit proof")
        if parsed_proof.record_id != record_id:
            raise AuditProofRefused("the proof is not about this visit's record")
        parsed = SignedTreeHead.from_bytes(head)
        cases = parsed_proof.verify(parsed, custodians)
    except AuditProofRefused:
        raise
    except AnshimError as exc:
        raise AuditProofRefused(f"audit proof refused: {exc.message} [{exc.code}]") from exc
    return AuditAnswer(
        record_id,
        parsed_proof.unsealed.unsealed,
        parsed.size,
        parsed.unsealed_count,
        parsed.signer,
        cases,
    )
