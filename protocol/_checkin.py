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

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from did import Ed25519PublicKey, require_did
from protocol._derive import LOCATOR_SIZE
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
    MAX_TIME,
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
    is_pseudonym,
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


class _Irregular(Exception):
    """The payload is not in the layout :func:`_read_payload` reads; the generic decoder
    decides (and raises the typed error, if any). Never leaves this module."""


def _arg(data: bytes, pos: int, major: int) -> tuple[int, int]:
    # A head of major type ``major`` with its argument in the shortest form (RFC 8949
    # section 4.2.1); returns (argument, position after the head).
    ib = data[pos]
    ai = ib & 0x1F
    if ib >> 5 != major or ai > 27:
        raise _Irregular
    if ai < 24:
        return ai, pos + 1
    size = 1 << (ai - 24)
    stop = pos + 1 + size
    if stop > len(data):
        raise _Irregular
    arg = int.from_bytes(data[pos + 1 : stop], "big")
    if arg < (24 if size == 1 else 1 << (4 * size)):
        raise _Irregular
    return arg, stop


def _string(data: bytes, pos: int, major: int) -> tuple[bytes, int]:
    length, pos = _arg(data, pos, major)
    stop = pos + length
    if stop > len(data):
        raise _Irregular
    return data[pos:stop], stop


def _text(data: bytes, pos: int) -> tuple[str, int]:
    raw, pos = _string(data, pos, 3)
    try:
        return raw.decode("utf-8"), pos
    except UnicodeDecodeError:
        raise _Irregular from None


def _bytes_or_null(data: bytes, pos: int) -> tuple[bytes | None, int]:
    if data[pos] == 0xF6:
        return None, pos + 1
    return _string(data, pos, 2)


_BOOLS = {0xF4: False, 0xF5: True}
# The head of a byte string of ENVELOPE_SIZE bytes (two-byte length, RFC 8949 section 3.1).
_ENVELOPE_HEAD = bytes((0x59,)) + ENVELOPE_SIZE.to_bytes(2, "big")


def _read_payload(data: bytes) -> dict[int, Any]:
    """The check-in map, read directly from the layout every valid payload has.

    The payload is a deterministic CBOR map with keys 0-9 (one byte each, in order) and
    values of the types of the key table, so this reads it field by field: the map it
    returns is the map :func:`did.cbor.decode` returns for the same bytes (a property test
    holds them equal). Any other byte (another type, a non-minimal head, invalid UTF-8,
    a short or trailing byte) raises :class:`_Irregular` or :class:`IndexError`, and the
    caller then decodes generically, so errors are exactly the generic decoder's.
    """
    # The common heads are matched inline (one byte string of the size the field must have,
    # a 32-bit time, version 1); anything else goes through the general head readers.
    if data[0] != 0xAA or data[1] != 0x00:  # a map of 10 pairs, key 0
        raise _Irregular
    m: dict[int, Any] = {}
    if data[2] == 0x01 and data[3] == 0x01:  # version 1, key 1
        m[0], pos = 1, 4
    else:
        m[0], pos = _arg(data, 2, 0)
        if data[pos] != 0x01:
            raise _Irregular
        pos += 1
    m[1], pos = _text(data, pos)
    if data[pos] != 0x02:
        raise _Irregular
    if data[pos + 1] == 0x50:  # a 16-byte string
        m[2], pos = data[pos + 2 : pos + 18], pos + 18
    else:
        m[2], pos = _bytes_or_null(data, pos + 1)
    for key in (3, 4):
        if data[pos] != key:
            raise _Irregular
        if data[pos + 1] == 0x1A:  # a 32-bit unsigned integer
            value = int.from_bytes(data[pos + 2 : pos + 6], "big")
            if value < 0x10000:  # not the shortest form (RFC 8949 section 4.2.1)
                raise _Irregular
            m[key], pos = value, pos + 6
        else:
            m[key], pos = _arg(data, pos + 1, 0)
    if data[pos] != 0x05:
        raise _Irregular
    m[5], pos = _text(data, pos + 1)
    if data[pos] != 0x06:
        raise _Irregular
    if data[pos + 1] == 0xF6:
        m[6], pos = None, pos + 2
    elif data[pos + 1] == 0x82:  # [fever, respiratory]
        fever, respiratory = _BOOLS.get(data[pos + 2]), _BOOLS.get(data[pos + 3])
        if fever is None or respiratory is None:
            raise _Irregular
        m[6], pos = [fever, respiratory], pos + 4
    else:
        raise _Irregular
    if data[pos] != 0x07:
        raise _Irregular
    if data[pos + 1 : pos + 4] == _ENVELOPE_HEAD:
        stop = pos + 4 + ENVELOPE_SIZE
        m[7], pos = data[pos + 4 : stop], stop
    else:
        m[7], pos = _bytes_or_null(data, pos + 1)
    if data[pos] != 0x08:
        raise _Irregular
    if data[pos + 1] == 0x50:  # a 16-byte string
        m[8], pos = data[pos + 2 : pos + 18], pos + 18
    else:
        m[8], pos = _string(data, pos + 1, 2)
    if data[pos] != 0x09:
        raise _Irregular
    m[9], pos = _arg(data, pos + 1, 0)
    if pos != len(data):
        raise _Irregular
    return m


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
        venue" step 1), so the usual layout is read directly (:func:`_read_payload`) and a
        payload all of whose fields pass the constructor's checks is built at once
        (:func:`_accepted`); anything else goes through the generic decoder and the
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
            try:
                accepted = _accepted(_read_payload(data))
            except (_Irregular, IndexError):
                accepted = None  # not the fixed layout: the generic strict decoder decides
            if accepted is not None:
                return accepted  # type: ignore[return-value]  # only CheckIn reads this layout
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
        opened = cls._open_framed(data)
        if opened is None:
            parsed, checkin = cls.parse_unverified(data)
            cls.check_signature(parsed, checkin.pseudonym_key)
            return checkin
        checkin, payload, signature = opened
        key = pseudonym_key_bytes(checkin.pseudonym, cls._WHAT)
        cls._verify_framed(payload, signature, key, BadSignature)
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


# The four declarations a check-in can carry, shared (HealthDeclaration is frozen).
_DECLARATIONS = {(f, r): HealthDeclaration(f, r) for f in (False, True) for r in (False, True)}
_KIND_OF = (Kind.CHECK_IN, Kind.CHECK_OUT)


def _accepted(m: dict[int, Any]) -> CheckIn | None:
    """The check-in of a payload map :func:`_read_payload` read (so every value already has
    its wire type) if every field passes :class:`CheckIn`'s checks, else ``None`` (and the
    generic path raises the constructor's error). These are the constructor's checks,
    written once more for the venue's hot path; a property test holds the two equal."""
    audience, challenge, issued, expires, pseudonym = m[1], m[2], m[3], m[4], m[5]
    declared, envelope, where, number = m[6], m[7], m[8], m[9]
    holder = audience == ANY_VENUE
    if (
        m[0] != PROTOCOL_VERSION
        or not (holder or (len(audience) <= MAX_VENUE_DID_CHARS and known_did(audience)))
        or (challenge is not None and (holder or len(challenge) != NONCE_SIZE))
        or not issued < expires <= MAX_TIME
        or expires > issued + (HOLDER_SHOWN_LIFETIME if holder else CHECKIN_LIFETIME)
        or len(where) != LOCATOR_SIZE
        or number > 1
        or not is_pseudonym(pseudonym)
    ):
        return None
    if number == 0:
        if declared is None or envelope is None or len(envelope) != ENVELOPE_SIZE:
            return None
        declaration: HealthDeclaration | None = _DECLARATIONS[declared[0], declared[1]]
    elif declared is not None or envelope is not None:
        return None
    else:
        declaration = None
    checkin = object.__new__(CheckIn)
    put = object.__setattr__
    put(checkin, "audience", audience)
    put(checkin, "challenge", challenge)
    put(checkin, "issued_at", issued)
    put(checkin, "expires", expires)
    put(checkin, "pseudonym", pseudonym)
    put(checkin, "declaration", declaration)
    put(checkin, "envelope", envelope)
    put(checkin, "locator", where)
    put(checkin, "kind", _KIND_OF[number])
    put(checkin, "version", PROTOCOL_VERSION)
    return checkin
