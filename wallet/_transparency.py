"""Was my visit unsealed? (DESIGN.md "Transparency": "a wallet can check, per visit in its
diary, whether that record was unsealed (an inclusion or absence proof)").

The custodians' audit log commits, in every signed tree head, to a sorted Merkle tree of the
ids of every record they unsealed. A wallet keeps each visit's record id (the hash of its
envelope, :attr:`wallet.Visit.record_id`), fetches a head and a proof for that id from the
registry, and checks both here: the head against the custodians pinned when the wallet was
created (a registry cannot substitute its own log), the proof against the head.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from did.errors import AnshimError
from escrow import SignedTreeHead, UnsealedProof
from wallet.errors import AuditProofRefused

__all__ = ["AuditAnswer", "check_unsealed"]


@dataclass(frozen=True, slots=True)
class AuditAnswer:
    """What a verified proof says about one record.

    ``unsealed`` is ``True`` when the record's id is in the head's tree of unsealed records
    (an inclusion proof) and ``False`` when it provably is not (an absence proof);
    ``head_size`` and ``unsealed_count`` describe the head the answer holds for, and
    ``signed_by`` names the custodian who signed it.
    """

    record_id: bytes
    unsealed: bool
    head_size: int
    unsealed_count: int
    signed_by: str


def check_unsealed(
    record_id: bytes, head: bytes, proof: UnsealedProof, custodians: Sequence[str]
) -> AuditAnswer:
    """Verify ``head`` (a :class:`escrow.SignedTreeHead` in bytes) against ``custodians``
    and ``proof`` against it, for the record ``record_id``.

    Raises:
        AuditProofRefused: the head does not decode or is not signed by a pinned custodian,
            the proof is for another record, or it does not establish its claim.
    """
    if not isinstance(proof, UnsealedProof) or proof.record_id != record_id:
        raise AuditProofRefused("the proof is not about this visit's record")
    try:
        parsed = SignedTreeHead.from_bytes(head)
        parsed.verify(custodians)
        proof.verify(parsed)
    except AnshimError as exc:
        raise AuditProofRefused(f"audit proof refused: {exc.message}") from exc
    return AuditAnswer(record_id, proof.unsealed, parsed.size, parsed.unsealed_count, parsed.signer)
