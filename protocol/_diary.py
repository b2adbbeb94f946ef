"""The wallet's diary export for an investigation window (DESIGN.md "Investigation" step 2a:
the consent path, no unsealing).

A :class:`DiaryDisclosure` bundles venue-signed :class:`~protocol.VisitReceipt` messages,
each with a countersignature by the pseudonym key the receipt names. The countersignature is
a plain Ed25519 signature (RFC 8032) over the deterministic CBOR array

    ``["anshim/protocol/v1/DiaryEntry", audience, window_start, window_end, issued,
    SHA-256(receipt)]``

so it binds the receipt to this disclosure: it cannot be replayed to another authority, for
another window, or beside another receipt. The disclosure as a whole is not signed: the
holder has no key that is not a pairwise pseudonym, and the countersignatures already show
that whoever disclosed each receipt holds its pseudonym key.

Key table (deterministic CBOR map):

===  ==================================================================================
key  field
===  ==================================================================================
0    version (1)
1    audience: the DID of the health authority the diary is disclosed to
2    window start (Unix seconds)
3    window end (Unix seconds, after the start, at most 60 days later)
4    issued (Unix seconds)
5    entries: an array of at most 512 ``[receipt (COSE_Sign1 bytes), countersignature
     (64 bytes)]`` pairs
===  ==================================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from did import SECONDS_PER_DAY, Ed25519PrivateKey, Ed25519PublicKey, cbor, require_did
from did.errors import InvalidKey, InvalidSignature
from protocol._derive import pseudonym_did
from protocol._records import MAX_RECEIPT_MESSAGE, VisitReceipt
from protocol.errors import BadSignature, OutOfWindow, WrongAudience
from protocol.wire import (
    PROTOCOL_VERSION,
    Field,
    KeySource,
    Message,
    check_now,
    check_skew,
    did_value,
    digest,
    fail,
    fixed_bytes,
    not_in_future,
    pseudonym_key_bytes,
    time_value,
    version_value,
)

__all__ = [
    "MAX_DIARY_ENTRIES",
    "MAX_DIARY_WINDOW",
    "DiaryDisclosure",
    "DiaryEntry",
    "VerifiedDiary",
]

MAX_DIARY_ENTRIES = 512
#: The longest window one disclosure may cover.
MAX_DIARY_WINDOW = 60 * SECONDS_PER_DAY
_MAX_AUDIENCE_CHARS = 256
_SIG_SIZE = 64
# Each entry costs at most the receipt, its 64-byte countersignature and 6 bytes of framing.
_MAX_DIARY_CBOR = 64 + MAX_DIARY_ENTRIES * (MAX_RECEIPT_MESSAGE + 3 + _SIG_SIZE + 2 + 1)
_CONTEXT = "anshim/protocol/v1/DiaryEntry"


def _entries_to_wire(entries: tuple[DiaryEntry, ...]) -> list[list[bytes]]:
    return [[entry.receipt, entry.signature] for entry in entries]


def _entries_from_wire(item: Any, what: str, name: str) -> tuple[DiaryEntry, ...]:
    if type(item) is not list or len(item) > MAX_DIARY_ENTRIES:
        raise fail(what, f"{name} must be an array of at most {MAX_DIARY_ENTRIES}")
    entries = []
    for pair in item:
        if type(pair) is not list or len(pair) != 2:
            raise fail(what, "each entry must be a [receipt, signature] array")
        entries.append(DiaryEntry(pair[0], pair[1]))
    return tuple(entries)


def _check_unique(receipt: VisitReceipt, seen: set[bytes]) -> None:
    # A visit may be disclosed by its check-in receipt and by its check-out receipt (the one
    # with a time out), but not twice in the same form.
    key = receipt.visit_id + bytes([receipt.time_out is not None])
    if key in seen:
        raise fail("DiaryDisclosure", "a receipt is disclosed twice")
    seen.add(key)


@dataclass(frozen=True, slots=True)
class DiaryEntry:
    """One disclosed receipt (COSE_Sign1 bytes) and its pseudonym countersignature.

    Raises (on construction):
        MalformedMessage: a receipt that is not bytes or too long, or a signature that is
            not 64 bytes. (The receipt itself is parsed by :meth:`DiaryDisclosure.verify`.)
    """

    receipt: bytes
    signature: bytes

    def __post_init__(self) -> None:
        if type(self.receipt) is not bytes or len(self.receipt) > MAX_RECEIPT_MESSAGE:
            raise fail("DiaryEntry", f"receipt must be at most {MAX_RECEIPT_MESSAGE} bytes")
        fixed_bytes(self.signature, "DiaryEntry", "signature", _SIG_SIZE)


@dataclass(frozen=True, slots=True)
class VerifiedDiary:
    """The outcome of :meth:`DiaryDisclosure.verify`: the window and the authentic receipts."""

    audience: str
    window_start: int
    window_end: int
    issued: int
    receipts: tuple[VisitReceipt, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DiaryDisclosure(Message):
    """A diary disclosure (key table in the module docstring). Build with :meth:`create`.

    Raises (on construction and decoding):
        MalformedMessage: a field of the wrong type or range, or too many entries.
        UnsupportedVersion: ``version`` is not 1.
    """

    audience: str
    window_start: int
    window_end: int
    issued: int
    entries: tuple[DiaryEntry, ...]
    version: int = PROTOCOL_VERSION

    _WHAT: ClassVar[str] = "DiaryDisclosure"
    _FIELDS: ClassVar[tuple[Field, ...]] = (
        Field(1, "audience"),
        Field(2, "window_start"),
        Field(3, "window_end"),
        Field(4, "issued"),
        Field(5, "entries", _entries_to_wire, _entries_from_wire),
    )
    _MAX_CBOR: ClassVar[int] = _MAX_DIARY_CBOR

    def __post_init__(self) -> None:
        w = self._WHAT
        version_value(self.version, w)
        did_value(self.audience, w, "audience", _MAX_AUDIENCE_CHARS)
        time_value(self.window_start, w, "window_start")
        time_value(self.window_end, w, "window_end")
        time_value(self.issued, w, "issued")
        if not self.window_start < self.window_end <= self.window_start + MAX_DIARY_WINDOW:
            raise fail(w, f"window must be non-empty and at most {MAX_DIARY_WINDOW} s")
        if type(self.entries) is not tuple or len(self.entries) > MAX_DIARY_ENTRIES:
            raise fail(w, f"entries must be a tuple of at most {MAX_DIARY_ENTRIES}")
        if not all(isinstance(entry, DiaryEntry) for entry in self.entries):
            raise fail(w, "entries must be DiaryEntry values")

    def _to_be_signed(self, receipt: bytes) -> bytes:
        return cbor.encode(
            [
                _CONTEXT,
                self.audience,
                self.window_start,
                self.window_end,
                self.issued,
                digest(receipt),
            ]
        )

    @classmethod
    def create(
        cls,
        receipts: Iterable[tuple[bytes, Ed25519PrivateKey]],
        *,
        audience: str,
        window_start: int,
        window_end: int,
        issued: int,
    ) -> Self:
        """Countersign each receipt with the pseudonym key it names and bundle them.

        ``receipts`` pairs each receipt's COSE bytes with the pseudonym key the wallet
        re-derives for it (:func:`~protocol.derive_pseudonym_key`).

        Raises:
            MalformedMessage, UnsupportedVersion, BadPseudonym: a malformed receipt or
                disclosure field (receipts are parsed, not verified: they are the venue's).
            InvalidKey: a key that is not the pseudonym key its receipt names.
            OutOfWindow: a receipt whose time in is outside the window.
            MalformedMessage: the same receipt given twice.
        """
        pairs = list(receipts)
        shell = cls(
            audience=audience,
            window_start=window_start,
            window_end=window_end,
            issued=issued,
            entries=(),
        )
        entries = []
        seen: set[bytes] = set()
        for data, key in pairs:
            _, receipt = VisitReceipt.parse_unverified(data)
            if not isinstance(key, Ed25519PrivateKey) or pseudonym_did(key) != receipt.pseudonym:
                raise InvalidKey("the key is not the pseudonym key the receipt names")
            shell._check_window(receipt)
            _check_unique(receipt, seen)
            entries.append(DiaryEntry(data, key.sign(shell._to_be_signed(data))))
        return cls(
            audience=audience,
            window_start=window_start,
            window_end=window_end,
            issued=issued,
            entries=tuple(entries),
        )

    def _check_window(self, receipt: VisitReceipt) -> None:
        if not self.window_start <= receipt.time_in <= self.window_end:
            raise OutOfWindow("DiaryDisclosure: a receipt's time in is outside the window")

    @classmethod
    def verify(
        cls,
        data: bytes,
        venue_keys: KeySource,
        *,
        audience: str,
        now: int,
        max_skew: int = 300,
    ) -> VerifiedDiary:
        """Check a disclosure: every receipt's venue signature (keys via ``venue_keys``, a
        look-up from venue DID to key), every pseudonym countersignature, and that every
        receipt's time in falls in the window.

        Raises:
            OversizeMessage, MalformedMessage, UnsupportedVersion: the disclosure or one of
                its receipts is malformed (also a receipt disclosed twice).
            BadAlgorithm, BadPseudonym: a receipt with a bad algorithm or pseudonym.
            WrongAudience: disclosed to another authority than ``audience``.
            ClockSkew: issued later than ``now + max_skew``, or a receipt dated later.
            UnknownKey: the look-up knows no key for a receipt's venue.
            BadSignature: a venue signature or a countersignature does not verify.
            OutOfWindow: a receipt outside the window.
            InputError: ``now`` or ``max_skew`` is invalid; InvalidDid: ``audience`` is not a DID.
        """
        now, max_skew = check_now(now), check_skew(max_skew)
        require_did(audience)
        diary = cls.from_cbor(data)
        if diary.audience != audience:
            raise WrongAudience("DiaryDisclosure: disclosed to another authority")
        not_in_future(diary.issued, now, max_skew, cls._WHAT, "issued")
        receipts: list[VisitReceipt] = []
        seen: set[bytes] = set()
        for entry in diary.entries:
            receipt = VisitReceipt.verify(entry.receipt, venue_keys, now=now, max_skew=max_skew)
            # The pseudonym's key under the rule every check-in's has (DESIGN.md step 2).
            key = Ed25519PublicKey.from_bytes(pseudonym_key_bytes(receipt.pseudonym, cls._WHAT))
            try:
                key.verify(entry.signature, diary._to_be_signed(entry.receipt))
            except InvalidSignature as exc:
                raise BadSignature("DiaryDisclosure: a countersignature does not verify") from exc
            diary._check_window(receipt)
            _check_unique(receipt, seen)
            receipts.append(receipt)
        return VerifiedDiary(
            diary.audience, diary.window_start, diary.window_end, diary.issued, tuple(receipts)
        )
