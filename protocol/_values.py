"""Small value types and constants shared by the protocol messages.

* :data:`ANY_VENUE`: the audience of a holder-shown check-in (DESIGN.md "Venue codes" 3).
* :data:`ENVELOPE_SIZE`: the one fixed size of every sealed envelope in a check-in.
* :class:`Kind`, :class:`Channel`, :class:`RiskLevel`: the enumerations the wire carries as
  small unsigned integers (the numbers are part of the format and never change).
* :class:`HealthDeclaration`: the self-declared fever and respiratory-symptom check.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from protocol.wire import Field, fail, flag

__all__ = [
    "ANY_VENUE",
    "ENVELOPE_PAD_TO",
    "ENVELOPE_SIZE",
    "MAX_IDENTITY_PLAINTEXT",
    "VISIT_NONCE_SIZE",
    "Channel",
    "HealthDeclaration",
    "Kind",
    "RiskLevel",
]

#: The audience of a holder-shown check-in: any venue may accept it (it is bound to the
#: venue by the verifier that scans it). Chosen so that it can never be a DID.
ANY_VENUE = "*"

#: The padded plaintext size of every check-in envelope, defined here only: wallets and the
#: SMS, call and assisted-entry gateways all seal with ``escrow.seal(..., pad_to=ENVELOPE_PAD_TO)``,
#: which leaves 255 bytes for the plaintext (one byte goes to the padding marker): a wallet's
#: kind byte, visit nonce, holder signature and compact credential (:mod:`protocol._plaintext`).
ENVELOPE_PAD_TO = 256
# escrow's fixed envelope overhead (6-byte header, R, the proof's c and z, 24-byte nonce,
# 16-byte tag); did/ cannot import escrow, so a test checks the two stay equal.
_ESCROW_OVERHEAD = 142
#: The size of every sealed envelope (DESIGN.md "Check-in presentation": envelopes are padded
#: to one fixed size, so all check-ins look alike, whatever the channel): 398 bytes. With a
#: venue DID of at most 64 characters this keeps every check-in within 680 bytes.
ENVELOPE_SIZE = _ESCROW_OVERHEAD + ENVELOPE_PAD_TO
#: The longest sealed plaintext (:mod:`protocol._plaintext`): 255 bytes, since escrow's
#: padding (ISO/IEC 7816-4) needs one of the :data:`ENVELOPE_PAD_TO` bytes.
MAX_IDENTITY_PLAINTEXT = ENVELOPE_PAD_TO - 1
#: The random visit nonce each sealed plaintext carries after its kind byte.
VISIT_NONCE_SIZE = 16


class Kind(enum.IntEnum):
    """Whether a presentation starts a visit or ends it (wire values 0 and 1).

    A check-out is signed by the same pairwise pseudonym key as its check-in (same venue,
    same day, DESIGN.md "Identifiers"), which is how the venue matches the two. It carries
    no envelope and no declaration: the check-in's record already holds them.
    """

    CHECK_IN = 0
    CHECK_OUT = 1


class Channel(enum.IntEnum):
    """How a visit reached the venue (DESIGN.md "Other channels, one record")."""

    QR_STATIC = 0
    QR_KIOSK = 1
    HOLDER_SHOWN = 2
    SMS = 3
    CALL = 4
    ASSISTED = 5

    @property
    def wallet(self) -> bool:
        """Whether a wallet signed the visit (so it carries a locator and a receipt)."""
        return self in (Channel.QR_STATIC, Channel.QR_KIOSK, Channel.HOLDER_SHOWN)


class RiskLevel(enum.IntEnum):
    """The risk an exposure notice announces (wire values 1 to 3)."""

    LOW = 1
    ELEVATED = 2
    HIGH = 3


@dataclass(frozen=True, slots=True)
class HealthDeclaration:
    """The visitor's self-declaration (DESIGN.md "Where it comes from": public offices).

    On the wire: the array ``[fever, respiratory]`` of two booleans.

    Raises (on construction):
        MalformedMessage: a field that is not a bool.
    """

    fever: bool
    respiratory: bool

    def __post_init__(self) -> None:
        flag(self.fever, "HealthDeclaration", "fever")
        flag(self.respiratory, "HealthDeclaration", "respiratory")

    @property
    def clear(self) -> bool:
        """True if nothing was declared (no fever, no respiratory symptoms)."""
        return not (self.fever or self.respiratory)

    def to_wire(self) -> list[bool]:
        """The CBOR array form ``[fever, respiratory]``."""
        return [self.fever, self.respiratory]

    @classmethod
    def from_wire(cls, value: Any, what: str) -> HealthDeclaration:
        """Parse the array form.

        Raises:
            MalformedMessage: if ``value`` is not an array of two booleans.
        """
        if type(value) is not list or len(value) != 2:
            raise fail(what, "declaration must be an array of two booleans")
        return cls(flag(value[0], what, "fever"), flag(value[1], what, "respiratory"))


def _declaration_to_wire(value: HealthDeclaration | None) -> list[bool] | None:
    return None if value is None else value.to_wire()


def _declaration_from_wire(item: Any, what: str, name: str) -> HealthDeclaration | None:
    return None if item is None else HealthDeclaration.from_wire(item, what)


def declaration_field(key: int) -> Field:
    """The key-table row of an optional ``declaration`` (``[fever, respiratory]`` or null)."""
    return Field(key, "declaration", _declaration_to_wire, _declaration_from_wire)
