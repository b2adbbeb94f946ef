"""The check-in presentation: the hot path (DESIGN.md "Check-in presentation").

A :class:`CheckIn` is a COSE_Sign1 signed by the visitor's pairwise pseudonym key (see
:func:`protocol.derive_pseudonym_key`). The whole signed message is at most 680 bytes,
so the holder-shown mode fits a QR code of version 20 or lower at level M.

Key table (deterministic CBOR map):

===  ===============  =====================================================================
key  field            value
===  ===============  =====================================================================
0    version          1
1    audience         the venue DID (at most 64 characters), or ``"*"`` (:data:`ANY_VENUE`)
                      for the holder-shown mode
2    challenge        the answered kiosk nonce (16 bytes), or null
3    issued_at        Unix seconds; also the visit's *time in* bound into the envelope label
4    expires          Unix seconds; ``issued_at < expires``, at most 15 s later in the
                      holder-shown mode and 120 s otherwise (it bounds the venue's replay
                      cache)
5    pseudonym        the pseudonym's Ed25519 ``did:key``
6    declaration      ``[fever, respiratory]`` (two booleans); null for a check-out
7    envelope         the sealed envelope, exactly :data:`ENVELOPE_SIZE` bytes; null for a
                      check-out
8    locator          16 bytes, :func:`protocol.locator` of the day's trace seed
9    kind             0 check-in, 1 check-out (:class:`Kind`)
===  ===============  =====================================================================

Check-outs: DESIGN.md says a check-out matches its check-in by the same pseudonym on the same
day. A check-out is therefore the same message with ``kind`` 1, signed by the same pairwise
key, with neither envelope nor declaration (the check-in's record already has both); the
venue sets the time out of the open visit of that pseudonym to the check-out's time.

A holder-shown check-in has no challenge: its freshness is its lifetime of at most 15 s
(:data:`HOLDER_SHOWN_LIFETIME`, as KI-Pass's code), judged with a clock-skew allowance of at
most 5 s (:data:`HOLDER_SHOWN_MAX_SKEW`), so a photographed code can be relayed for at most
20 s; a venue service shares one replay store across the venues it hosts, so a relayed code
is admitted at one of them only (DESIGN.md "Venue codes" 3).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar, Self

from did import Ed25519PublicKey, require_did
from protocol._derive import LOCATOR_SIZE
from protocol._pseudonym import key_of_digits
from protocol._values import (
    ANY_VENUE,
    ENVELOPE_SIZE,
    Channel,
    HealthDeclaration,
    Kind,
    declaration_field,
)
from protocol._venue import NONCE_SIZE
from protocol.errors import BadEnvelope, BadSignature, Expired, WrongAudience
from protocol.wire import (
    MAX_VENUE_DID_CHARS,
    PROTOCOL_VERSION,
    Field,
    Signed,
    check_now,
    check_skew,
    decode_map,
    did_value,
    enum_field,
    enum_value,
    fail,
    fixed_bytes,
    known_did,
    not_in_future,
    pseudonym_key_bytes,
    pseudonym_value,
    time_value,
    version_value,
)

__all__ = [
    "CHECKIN_LIFETIME",
    "HOLDER_SHOWN_LIFETIME",
    "HOLDER_SHOWN_MAX_SKEW",
    "MAX_CHECKIN_MESSAGE",
    "CheckIn",
]

#: DESIGN.md "Check-in presentation": at most 680 bytes in all (the whole COSE_Sign1).
MAX_CHECKIN_MESSAGE = 680
#: DESIGN.md "Venue codes" 3: a holder-shown check-in expires at most 15 s after issued-at.
HOLDER_SHOWN_LIFETIME = 15
#: DESIGN.md "Venue codes" 3: the clock-skew allowance for a holder-shown check-in, whatever
#: larger skew a venue allows for its other check-ins.
HOLDER_SHOWN_MAX_SKEW = 5
#: The longest lifetime of a check-in addressed to one venue.
CHECKIN_LIFETIME = 120
_MAX_PAYLOAD = MAX_CHECKIN_MESSAGE - 76


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckIn(Signed):
    """A check-in or check-out presentation (key table in the module docstring).

    Raises (on construction and decoding):
        MalformedMessage: a field of the wrong type or range, a challenge in the holder-shown
            mode, a lifetime over its bound, or a check-in without envelope/declaration
            (or a check-out with one).
        UnsupportedVersion: ``version`` is not 1.
        BadPseudonym: ``pseudonym`` is not an Ed25519 did:key libsodium verifies under.
        BadEnvelope: a check-in envelope that is not exactly :data:`ENVELOPE_SIZE` bytes.
    """

    audience: str
    challenge: bytes | None
    issued_at: int
    expires: int
    pseudonym: str
    declaration: HealthDeclaration | None
    envelope: bytes | None
    locator: bytes
    kind: Kind = Kind.CHECK_IN
    version: int = PROTOCOL_VERSION

    _WHAT: ClassVar[str] = "CheckIn"
    _FIELDS: ClassVar[tuple[Field, ...]] = (
        Field(1, "audience"),
        Field(2, "challenge"),
        Field(3, "issued_at"),
        Field(4, "expires"),
        Field(5, "pseudonym"),
        declaration_field(6),
        Field(7, "envelope"),
        Field(8, "locator"),
        enum_field(9, "kind", Kind),
    )
    _MAX_CBOR: ClassVar[int] = _MAX_PAYLOAD
    _MAX_MESSAGE: ClassVar[int] = MAX_CHECKIN_MESSAGE
    _AAD_NAME: ClassVar[bytes] = b"CheckIn"

    def __post_init__(self) -> None:
        w = self._WHAT
        version_value(self.version, w)
        if self.audience != ANY_VENUE:
            did_value(self.audience, w, "audience", MAX_VENUE_DID_CHARS)
        if self.challenge is not None:
            fixed_bytes(self.challenge, w, "challenge", NONCE_SIZE)
            if self.audience == ANY_VENUE:
                raise fail(w, "a holder-shown check-in answers no challenge")
        time_value(self.issued_at, w, "issued_at")
        time_value(self.expires, w, "expires")
        lifetime = HOLDER_SHOWN_LIFETIME if self.audience == ANY_VENUE else CHECKIN_LIFETIME
        if not self.issued_at < self.expires <= self.issued_at + lifetime:
            raise fail(w, f"expires must be within {lifetime} s after issued_at")
        fixed_bytes(self.locator, w, "locator", LOCATOR_SIZE)
        kind = enum_value(Kind, self.kind, w, "kind")
        object.__setattr__(self, "kind", kind)
        if kind is Kind.CHECK_IN:
            if not isinstance(self.declaration, HealthDeclaration):
                raise fail(w, "a check-in carries a health declaration")
            if type(self.envelope) is not bytes:
                raise fail(w, "a check-in carries a sealed envelope")
            if len(self.envelope) != ENVELOPE_SIZE:
                # DESIGN.md validation step 4: the size is the fixed envelope size.
                raise BadEnvelope(f"{w}: envelope must be exactly {ENVELOPE_SIZE} bytes")
        elif self.declaration is not None or self.envelope is not None:
            raise fail(w, "a check-out carries neither declaration nor envelope")
        # DESIGN.md validation step 2 (checked last so that syntax errors come first).
        pseudonym_value(self.pseudonym, w)

    @property
    def pseudonym_key(self) -> Ed25519PublicKey:
        """The pseudonym's public key, which signs the presentation (not point-checked:
        libsodium's verification refuses what DESIGN.md step 2 refuses)."""
        return Ed25519PublicKey.from_bytes(pseudonym_key_bytes(self.pseudonym, self._WHAT))

    @property
    def holder_shown(self) -> bool:
        """Whether this is a holder-shown presentation (audience :data:`ANY_VENUE`)."""
        return self.audience == ANY_VENUE

    @property
    def channel(self) -> Channel:
        """The channel this presentation arrived by: holder-shown, kiosk or static poster."""
        if self.holder_shown:
            return Channel.HOLDER_SHOWN
        return Channel.QR_KIOSK if self.challenge is not None else Channel.QR_STATIC

    @classmethod
    def from_cbor(cls, data: bytes) -> Self:
        """Decode strictly (size, CBOR rules, version, exact keys, types, ranges).

        A check-in is decoded once per visitor at the venue (DESIGN.md "Validation at the
        venue" step 1), so the layout a wallet writes is read and checked in one pass
        (:func:`_read_checkin`); anything else goes through the generic decoder and the
        constructor, which raise the error. Results and errors are therefore the generic
        path's (a property test compares both).

        Raises:
            OversizeMessage: over the size cap.
            UnsupportedVersion: a version other than 1.
            MalformedMessage: anything else wrong.
            BadPseudonym: a pseudonym that is not an Ed25519 did:key.
            BadEnvelope: a check-in envelope that is not :data:`ENVELOPE_SIZE` bytes.
        """
        if type(data) is bytes and len(data) <= cls._MAX_CBOR:
            checkin = _read_checkin(data)
            if checkin is not None:
                return checkin  # type: ignore[return-value]  # only CheckIn reads this layout
        return cls._from_map(decode_map(data, cls._WHAT, cls._KEYS, cls._MAX_CBOR))

    @classmethod
    def authenticate(cls, data: bytes) -> Self:
        """DESIGN.md "Validation at the venue" steps 1 and 2: decode strictly and verify the
        signature under the presentation's own pseudonym, by libsodium's rules (canonical
        encodings, no small-order key or R). The result is authentic, but not yet checked
        against a venue, a challenge or a clock (:meth:`verify` does step 3 without state;
        :func:`verifier.validate_checkin` with it).

        The framing :meth:`sign` writes is opened and verified directly; anything else goes
        through :meth:`parse_unverified` and :meth:`check_signature`, with the same results
        and errors (a property test compares both).

        Raises:
            OversizeMessage, BadAlgorithm, MalformedMessage, UnsupportedVersion: step 1.
            BadEnvelope: step 1, the envelope is not :data:`ENVELOPE_SIZE` bytes.
            BadPseudonym, BadSignature: step 2.
        """
        framed = cls._frame(data)
        if framed is None:
            parsed, checkin = cls.parse_unverified(data)
            cls.check_signature(parsed, checkin.pseudonym_key)
            return checkin
        payload = framed[0]
        read = _read_checkin_keyed(payload) if len(payload) <= cls._MAX_CBOR else None
        if read is None:
            checkin = cls.from_cbor(payload)
            key = pseudonym_key_bytes(checkin.pseudonym, cls._WHAT)
        else:
            checkin, key = read  # type: ignore[assignment]  # only CheckIn reads this layout
        cls._verify_framed(payload, framed[1], key, BadSignature)
        return checkin

    @classmethod
    def verify(
        cls,
        data: bytes,
        *,
        audience: str,
        now: int,
        max_skew: int = 60,
    ) -> Self:
        """Validate a presentation as the venue ``audience`` would (DESIGN.md "Validation at
        the venue" steps 1-3, in that order).

        1. size, strict decoding, COSE structure, EdDSA only (and the envelope size);
        2. the pseudonym is an Ed25519 did:key and the signature verifies under it
           (libsodium's rules: canonical encodings, no small-order key or R);
        3. the audience is ``audience`` or :data:`ANY_VENUE`; ``issued_at`` is at most
           ``now + skew``; ``now < expires + skew``, where the skew is ``max_skew``, and
           at most :data:`HOLDER_SHOWN_MAX_SKEW` for a holder-shown presentation.

        The challenge (issued by this venue, unexpired, unused), the envelope's epoch key and
        point, and replay of the whole message (keep ``digest(data)`` until ``expires +
        skew``) need the venue's state and are the verifier's steps.

        Raises:
            OversizeMessage, BadAlgorithm, MalformedMessage, UnsupportedVersion: step 1.
            BadEnvelope: the envelope is not :data:`ENVELOPE_SIZE` bytes (step 1 here,
                because the size is part of the format).
            BadPseudonym, BadSignature: step 2.
            WrongAudience, ClockSkew, Expired: step 3.
            InvalidDid: ``audience`` is not a DID.
            InputError: ``now`` or ``max_skew`` is not a valid int.
        """
        now, max_skew = check_now(now), check_skew(max_skew)
        require_did(audience)
        checkin = cls.authenticate(data)
        if checkin.audience != audience and checkin.audience != ANY_VENUE:
            raise WrongAudience("CheckIn: addressed to another venue")
        checkin.check_times(now=now, max_skew=max_skew)
        return checkin

    def check_times(self, *, now: int, max_skew: int) -> None:
        """Step 3's time checks: ``issued_at`` at most ``now + skew`` and ``now < expires +
        skew``, the skew being ``max_skew`` (at most :data:`HOLDER_SHOWN_MAX_SKEW` for a
        holder-shown presentation). ``now`` and ``max_skew`` must already be checked ints.

        Raises:
            ClockSkew: dated too far in the future.
            Expired: the presentation has expired.
        """
        skew = min(max_skew, HOLDER_SHOWN_MAX_SKEW) if self.audience == ANY_VENUE else max_skew
        not_in_future(self.issued_at, now, skew, self._WHAT, "issued_at")
        if now >= self.expires + skew:
            raise Expired("CheckIn: the presentation has expired")

    def replay_until(self, max_skew: int) -> int:
        """Until when a venue must remember this presentation to refuse it again: its
        expiry plus the skew :meth:`check_times` allows it."""
        skew = min(max_skew, HOLDER_SHOWN_MAX_SKEW) if self.audience == ANY_VENUE else max_skew
        return self.expires + skew


# The layout every check-in a wallet makes has (RFC 8949 sections 3.1 and 4.2.1): the map
# of 10 pairs with key 0 and version 1, key 1 and the audience text, key 2 and a 16-byte
# challenge or null; then a fixed tail, read by one struct: key 3 and key 4, each with a
# 32-bit unsigned integer; key 5 and a 56-byte text (the pseudonym); key 6 and the
# declaration [bool, bool] (null for a check-out); key 7 and a byte string of
# ENVELOPE_SIZE bytes with a two-byte length (null for a check-out); key 8 and a 16-byte
# string (the locator); key 9 and the kind, 0 (check-in) or 1 (check-out).
_CHECKIN_HEAD = b"\xaa\x00\x01\x01"
_TIME_HEADS = (b"\x03\x1a", b"\x04\x1a", b"\x05\x78\x38")
_ENVELOPE_HEAD = b"\x07\x59" + ENVELOPE_SIZE.to_bytes(2, "big")
_TAIL_IN = struct.Struct(f">2sI2sI3s56s4s4s{ENVELOPE_SIZE}s2s16s2s")
_TAIL_OUT = struct.Struct(">2sI2sI3s56s2s2s2s16s2s")
_CHECKIN_ENDS = (_ENVELOPE_HEAD, b"\x08\x50", b"\x09\x00")
_CHECKOUT_ENDS = (b"\x06\xf6", b"\x07\xf6", b"\x08\x50", b"\x09\x01")
# Key 6 and each of the four declarations (0xf4 false, 0xf5 true), shared (frozen).
_DECLARATIONS = {
    bytes((0x06, 0x82, 0xF4 + f, 0xF4 + r)): HealthDeclaration(bool(f), bool(r))
    for f in (0, 1)
    for r in (0, 1)
}
_CHECK_IN, _CHECK_OUT = Kind.CHECK_IN, Kind.CHECK_OUT
# Every Ed25519 did:key starts so (the multicodec 0xed01 in base58btc is "6Mk…").
_PSEUDONYM_START = b"did:key:z6Mk"
# The setters of CheckIn's slots (what object.__setattr__ calls on a frozen dataclass), in
# the order of its key table, and the version's (as SealedVisit.from_cbor's).
_CHECKIN_SLOTS = tuple(getattr(CheckIn, f.name).__set__ for f in CheckIn._FIELDS)
_CHECKIN_VERSION_SLOT = getattr(CheckIn, "version").__set__  # noqa: B009


def _read_checkin(data: bytes) -> CheckIn | None:
    """The check-in of a payload in the layout every check-in a wallet makes has, read and
    checked in one pass for the venue's hot path; ``None`` for anything else.

    Accepted: the deterministic CBOR map of keys 0-9 in order, version 1, an audience that
    is ``"*"`` or a DID of at most 64 ASCII characters, a 16-byte challenge or null, times
    as 32-bit integers (every time since 1970-01-01T18:12:16Z), a pseudonym of the did:key
    form, a declaration and an envelope of :data:`ENVELOPE_SIZE` bytes for a check-in (both
    null for a check-out), a 16-byte locator, kind 0 or 1, and every rule of
    :class:`CheckIn`'s constructor. For bytes it accepts, the generic decoder and the
    constructor build the same check-in; for everything else the caller takes that path,
    which raises the error, so results and errors are the generic path's (a property test
    compares both on valid, mutated and arbitrary payloads).
    """
    read = _read_checkin_keyed(data)
    return None if read is None else read[0]


def _read_checkin_keyed(data: bytes) -> tuple[CheckIn, bytes] | None:
    """:func:`_read_checkin`'s check-in and its pseudonym's 32 key bytes (read once, from
    the payload's own bytes, for the signature check that follows)."""
    try:
        if data[:4] != _CHECKIN_HEAD:
            return None
        ib = data[4]
        if ib == 0x78:  # text with a one-byte length, which must be 24 or more
            size, pos = data[5], 6
            if size < 24:
                return None
        elif 0x61 <= ib <= 0x77:  # text of 1 to 23 bytes
            size, pos = ib - 0x60, 5
        else:
            return None
        audience = data[pos : pos + size].decode("ascii")
        pos += size
        holder = audience == ANY_VENUE
        if not holder and (size > MAX_VENUE_DID_CHARS or not known_did(audience)):
            return None
        if data[pos] != 0x02:
            return None
        ib = data[pos + 1]
        if ib == 0xF6:
            challenge, pos = None, pos + 2
        elif ib == 0x50 and not holder:
            challenge, pos = data[pos + 2 : pos + 18], pos + 18
        else:
            return None
    except (IndexError, UnicodeDecodeError):
        return None
    rest = len(data) - pos
    if rest == _TAIL_IN.size:
        h3, issued, h4, expires, h5, pseudonym, h6, h7, envelope, h8, where, h9 = (
            _TAIL_IN.unpack_from(data, pos)
        )
        declaration = _DECLARATIONS.get(h6)
        if declaration is None or (h7, h8, h9) != _CHECKIN_ENDS:
            return None
        kind = _CHECK_IN
    elif rest == _TAIL_OUT.size:
        h3, issued, h4, expires, h5, pseudonym, h6, h7, h8, where, h9 = _TAIL_OUT.unpack_from(
            data, pos
        )
        if (h6, h7, h8, h9) != _CHECKOUT_ENDS:
            return None
        declaration, envelope, kind = None, None, _CHECK_OUT
    else:
        return None
    if (h3, h4, h5) != _TIME_HEADS or issued < 0x10000:
        return None
    if not issued < expires <= issued + (HOLDER_SHOWN_LIFETIME if holder else CHECKIN_LIFETIME):
        return None
    # The pseudonym: "did:key:z6Mk…" whose 47 base58btc digits (after "did:key:z") spell
    # 0xed01 and a key libsodium verifies under (so the text is ASCII).
    if not pseudonym.startswith(_PSEUDONYM_START):
        return None
    key = key_of_digits(pseudonym[9:])
    if key is None:
        return None
    checkin = object.__new__(CheckIn)
    s0, s1, s2, s3, s4, s5, s6, s7, s8 = _CHECKIN_SLOTS
    s0(checkin, audience)
    s1(checkin, challenge)
    s2(checkin, issued)
    s3(checkin, expires)
    s4(checkin, pseudonym.decode("ascii"))
    s5(checkin, declaration)
    s6(checkin, envelope)
    s7(checkin, where)
    s8(checkin, kind)
    _CHECKIN_VERSION_SLOT(checkin, PROTOCOL_VERSION)
    return checkin, key
