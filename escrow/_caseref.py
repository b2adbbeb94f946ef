"""Case commitments: how the public audit log names a case without printing its id.

A warrant's approval entries carry ``commitment = SHA-256("anshim/escrow/case/v1" ‖ 0x00 ‖
warrant id ‖ nonce ‖ case id)`` with ``nonce = SHA-256("anshim/escrow/case-nonce/v1" ‖ 0x00
‖ warrant body)``. The warrant id is public (every entry cites it) and case ids follow an
authority's numbering, so without the nonce anyone could try every likely case id against
the published log; the nonce comes from the warrant's body, which the custodians and the
investigator hold and the published log does not (it holds only the body's hash under
another domain). Every custodian who approves computes the same commitment on its own.
The opening (warrant id, case id, nonce) reveals the case id and nothing of the warrant's
scope, investigator or purpose; the registry hands it out only beside a proof that names
a record the warrant unsealed (:meth:`escrow.AuditLog.prove_record`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from did.errors import DecodeError
from escrow._labels import _check_text
from escrow.errors import InvalidLabel

if TYPE_CHECKING:
    from escrow._warrant import Warrant

__all__ = ["CASE_CONTEXT", "NONCE_CONTEXT", "CaseOpening"]

CASE_CONTEXT = b"anshim/escrow/case/v1\x00"
NONCE_CONTEXT = b"anshim/escrow/case-nonce/v1\x00"


@dataclass(frozen=True, slots=True)
class CaseOpening:
    """The opening of one warrant's case commitment (module docstring). Build with
    :meth:`of` (from the warrant) or :meth:`from_obj` (decoded)."""

    warrant_id: bytes
    case_id: str
    nonce: bytes

    @classmethod
    def of(cls, warrant: Warrant) -> CaseOpening:
        """The opening for ``warrant`` (its id, its case id, the nonce from its body)."""
        nonce = hashlib.sha256(NONCE_CONTEXT + warrant.body).digest()
        return cls(warrant.warrant_id, warrant.case_id, nonce)

    @classmethod
    def from_obj(cls, obj: object) -> CaseOpening:
        """Strictly decode ``[warrant id, case id, nonce]``.

        Raises:
            DecodeError: not two 32-byte strings around a printable case id.
        """
        if not isinstance(obj, list) or len(obj) != 3:
            raise DecodeError("a case opening is [warrant id, case id, nonce]")
        wid, case_id, nonce = obj
        if not (isinstance(wid, bytes) and len(wid) == 32):
            raise DecodeError("a case opening's warrant id is 32 bytes")
        if not (isinstance(nonce, bytes) and len(nonce) == 32):
            raise DecodeError("a case opening's nonce is 32 bytes")
        try:
            text = _check_text(case_id, "case_id")
        except InvalidLabel as exc:
            raise DecodeError(f"a case opening's {exc.message}") from exc
        return cls(wid, text, nonce)

    def to_obj(self) -> list[object]:
        """``[warrant id, case id, nonce]``, as :meth:`from_obj` reads it."""
        return [self.warrant_id, self.case_id, self.nonce]

    @property
    def commitment(self) -> bytes:
        """The 32-byte commitment an approval entry carries."""
        return hashlib.sha256(
            CASE_CONTEXT + self.warrant_id + self.nonce + self.case_id.encode("utf-8")
        ).digest()
