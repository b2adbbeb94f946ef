"""The COSE_Sign1 framing read directly by ``Signed.parse_unverified`` (the venue's hot path,
DESIGN.md "Validation at the venue" step 1) against the generic strict decoder
(:meth:`did.cose.CoseSign1.from_bytes`): the same parsed message for every message ``sign``
makes, and the same outcome (result, or error class) for mutated and arbitrary bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import tests.protocol.support as sup
from did import cose
from did.errors import AnshimError
from protocol import CheckIn, VenueChallenge, VenueCode
from protocol.wire import PROTECTED_EDDSA, Signed, _framed


def _generic(cls: type[Signed], data: bytes) -> object:
    """What parse_unverified returned before the direct read: the generic path's outcome."""
    try:
        parsed = cose.CoseSign1.from_bytes(data, max_size=cls._MAX_MESSAGE, require_tag=True)
    except AnshimError as exc:
        return type(exc)
    if parsed.protected_bytes != PROTECTED_EDDSA or parsed.unprotected:
        return "headers"
    return parsed


_MESSAGES: list[tuple[type[Signed], bytes]] = [
    (CheckIn, sup.checkin().sign(sup.pseudonym_key())),
    (CheckIn, sup.holder_shown().sign(sup.pseudonym_key())),
    (CheckIn, sup.checkout().sign(sup.pseudonym_key())),
    (VenueCode, sup.venue_code().sign(sup.REGISTRY)),
    (VenueChallenge, sup.challenge().sign(sup.VENUE_KEY)),
]


_SIGNERS = {CheckIn: sup.pseudonym_key(), VenueCode: sup.REGISTRY, VenueChallenge: sup.VENUE_KEY}


def test_every_signed_message_is_read_directly_and_equals_the_generic_parse() -> None:
    for cls, data in _MESSAGES:
        framed = _framed(data)
        assert framed is not None, cls.__name__
        generic = _generic(cls, data)
        assert isinstance(generic, cose.CoseSign1)
        assert framed == (generic.payload, generic.signature)
        parsed, _ = cls.parse_unverified(data)
        assert parsed == generic
        cls.check_signature(parsed, _SIGNERS[cls].public_key)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(range(len(_MESSAGES))),
    st.lists(st.tuples(st.integers(0, 700), st.integers(0, 255)), min_size=1, max_size=3),
    st.integers(-3, 3),
)
def test_mutated_framing_reads_as_the_generic_decoder_does(
    which: int, edits: list[tuple[int, int]], resize: int
) -> None:
    cls, original = _MESSAGES[which]
    data = bytearray(original)
    for position, value in edits:
        data[position % len(data)] = value
    if resize > 0:
        data += bytes(resize)
    elif resize < 0:
        del data[resize:]
    mutated = bytes(data)
    framed = _framed(mutated)
    generic = _generic(cls, mutated)
    if framed is not None:
        # Whatever the direct read accepts, the generic decoder reads the same way.
        assert isinstance(generic, cose.CoseSign1)
        assert framed == (generic.payload, generic.signature)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_arbitrary_bytes_read_directly_only_when_the_generic_decoder_agrees(data: bytes) -> None:
    framed = _framed(b"\xd2\x84\x43\xa1\x01\x27\xa0" + data)
    if framed is not None:
        generic = _generic(CheckIn, b"\xd2\x84\x43\xa1\x01\x27\xa0" + data)
        assert isinstance(generic, cose.CoseSign1)
        assert framed == (generic.payload, generic.signature)


def test_sign_writes_the_bytes_did_cose_writes() -> None:
    # The protocol signs its one COSE form directly; did.cose.sign1 is the reference.
    for cls, data in _MESSAGES:
        _, message = cls.parse_unverified(data)
        payload = message.to_cbor()
        reference = cose.sign1(payload, _SIGNERS[cls], external_aad=cls._aad())
        assert message.sign(_SIGNERS[cls]) == reference == data
        assert cose.verify1(data, _SIGNERS[cls].public_key, external_aad=cls._aad()) == payload


def _by_the_generic_path(data: bytes) -> object:
    try:
        parsed, checkin = CheckIn.parse_unverified(data)
        CheckIn.check_signature(parsed, checkin.pseudonym_key)
    except AnshimError as exc:
        return type(exc)
    return checkin


def _authenticated(data: bytes) -> object:
    try:
        return CheckIn.authenticate(data)
    except AnshimError as exc:
        return type(exc)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(range(3)),
    st.lists(st.tuples(st.integers(0, 700), st.integers(0, 255)), max_size=2),
)
def test_authenticate_equals_parse_and_check_signature(
    which: int, edits: list[tuple[int, int]]
) -> None:
    # Valid check-ins, and mutated ones (a flipped payload byte breaks the signature or
    # the decoding, a flipped signature byte the signature): the direct path opens and
    # refuses exactly as the general one does.
    data = bytearray(_MESSAGES[which][1])
    for position, value in edits:
        data[position % len(data)] = value
    assert _authenticated(bytes(data)) == _by_the_generic_path(bytes(data))
