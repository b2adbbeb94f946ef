"""protocol QR text forms, the error tree and the public API."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap

import pytest
import segno

import protocol
import tests.protocol.support as sup
from did import qr
from did.errors import AnshimError, DecodeError, InputError, InvalidSignature
from protocol import (
    MAX_CHECKIN_MESSAGE,
    CheckIn,
    QrKind,
    VenueChallenge,
    VenueCode,
    parse_qr_text,
    to_qr_text,
)
from protocol import errors as perr

# --- QR text ---------------------------------------------------------------------------


def _samples() -> dict[QrKind, bytes]:
    return {
        QrKind.VENUE_CODE: sup.venue_code().sign(sup.REGISTRY),
        QrKind.CHALLENGE: sup.challenge().sign(sup.VENUE_KEY),
        QrKind.HOLDER_CHECKIN: sup.holder_shown().sign(sup.pseudonym_key()),
    }


@pytest.mark.parametrize("kind", list(QrKind))
def test_qr_round_trip(kind: QrKind) -> None:
    data = _samples()[kind]
    text = to_qr_text(kind, data)
    assert text.startswith(kind.value + ":")
    assert set(text) <= set(qr.BASE45_ALPHABET)  # alphanumeric mode applies
    assert parse_qr_text(text) == (kind, data)
    assert parse_qr_text(text, accept=[kind]) == (kind, data)


def test_qr_then_verify() -> None:
    text = to_qr_text(QrKind.VENUE_CODE, sup.venue_code().sign(sup.REGISTRY))
    _, data = parse_qr_text(text, accept=[QrKind.VENUE_CODE])
    assert VenueCode.verify(data, sup.REGISTRY.public_key, now=sup.NOW).venue == sup.VENUE
    text = to_qr_text(QrKind.CHALLENGE, sup.challenge().sign(sup.VENUE_KEY))
    _, data = parse_qr_text(text, accept=[QrKind.CHALLENGE])
    assert VenueChallenge.verify(data, sup.VENUE_KEY.public_key, now=sup.NOW).nonce
    text = to_qr_text(QrKind.HOLDER_CHECKIN, sup.holder_shown().sign(sup.pseudonym_key()))
    _, data = parse_qr_text(text, accept=[QrKind.HOLDER_CHECKIN])
    assert CheckIn.verify(data, audience=sup.VENUE, now=sup.NOW).holder_shown


def test_qr_unexpected_prefix_refused() -> None:
    # A poster photographed where the kiosk's challenge is expected, and so on.
    text = to_qr_text(QrKind.VENUE_CODE, sup.venue_code().sign(sup.REGISTRY))
    with pytest.raises(perr.MalformedMessage):
        parse_qr_text(text, accept=[QrKind.CHALLENGE])
    with pytest.raises(perr.MalformedMessage):
        parse_qr_text("AV2:" + text[4:])
    with pytest.raises(perr.MalformedMessage):
        parse_qr_text(text.lower())
    with pytest.raises(perr.MalformedMessage):
        parse_qr_text(text + "\n")


def test_addressed_checkin_never_shown_as_qr() -> None:
    data = sup.checkin().sign(sup.pseudonym_key())
    with pytest.raises(perr.MalformedMessage):
        to_qr_text(QrKind.HOLDER_CHECKIN, data)


def test_qr_size_caps() -> None:
    with pytest.raises(perr.OversizeMessage):
        to_qr_text(QrKind.CHALLENGE, b"\x00" * 201)
    too_long = "AH1:" + "0" * (3 * (MAX_CHECKIN_MESSAGE + 2) // 2)
    with pytest.raises(perr.OversizeMessage):
        parse_qr_text(too_long)
    # A challenge-sized cap applies when only challenges are accepted.
    big = qr.encode_qr_text("AC1", b"\x00" * 201)
    with pytest.raises((perr.OversizeMessage, perr.MalformedMessage)):
        parse_qr_text(big, accept=[QrKind.CHALLENGE])
    big = qr.encode_qr_text("AC1", b"\x00" * 250)
    with pytest.raises(perr.OversizeMessage):
        parse_qr_text(big)  # fits the largest form's cap, not the challenge's


def test_qr_argument_errors() -> None:
    with pytest.raises(InputError):
        to_qr_text("AV1", b"")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        parse_qr_text("AV1:", accept=[])
    with pytest.raises(perr.MalformedMessage):
        parse_qr_text(b"AV1:")  # type: ignore[arg-type]


def test_qr_versions_at_level_m() -> None:
    # Holder-shown at the largest venue-independent size still fits a phone-scannable code.
    versions = {}
    for kind, data in _samples().items():
        code = segno.make(to_qr_text(kind, data), mode="alphanumeric", error="m", micro=False)
        versions[kind] = code.version
    assert versions[QrKind.CHALLENGE] <= versions[QrKind.VENUE_CODE] <= 10
    # DESIGN.md "Check-in presentation": version 20 or lower at level M.
    assert versions[QrKind.HOLDER_CHECKIN] <= 20


# --- the error tree --------------------------------------------------------------------


def _codes() -> dict[str, type[perr.ProtocolError]]:
    classes = [getattr(perr, name) for name in perr.__all__]
    return {cls.code: cls for cls in classes}


def test_error_codes_are_unique_and_documented() -> None:
    codes = _codes()
    assert len(codes) == len(perr.__all__)
    doc = perr.__doc__ or ""
    for code, cls in codes.items():
        assert issubclass(cls, perr.ProtocolError)
        assert issubclass(cls, AnshimError)
        assert code in doc, code
        assert cls.__name__ in doc, cls.__name__


def test_error_codes_the_verifier_relies_on() -> None:
    expected = {
        "malformedMessage",
        "oversizeMessage",
        "unsupportedVersion",
        "badAlgorithm",
        "badPseudonym",
        "badSignature",
        "forgedVenueCode",
        "unknownKey",
        "wrongAudience",
        "unknownChallenge",
        "expiredChallenge",
        "replayedChallenge",
        "clockSkew",
        "expiredMessage",
        "expiredVenueCode",
        "staleReading",
        "outOfWindow",
        "badEnvelope",
        "wrongEpoch",
        "epochKeyInactive",
        "badPoint",
        "entryRefused",
        "declaredFever",
        "declaredSymptoms",
        "highTemperature",
        "maskMissing",
        "presenceRequired",
        "readingMismatch",
        "wrongIssuer",
        "badHolderSignature",
        "identityNotYetValid",
        "twinMismatch",
    }
    assert expected <= set(_codes())


def test_error_tree_shape() -> None:
    assert issubclass(perr.MalformedMessage, DecodeError)
    assert issubclass(perr.MalformedMessage, ValueError)
    for cls in (perr.OversizeMessage, perr.UnsupportedVersion, perr.BadAlgorithm):
        assert issubclass(cls, perr.MalformedMessage)
    assert issubclass(perr.BadSignature, InvalidSignature)
    assert issubclass(perr.ForgedVenueCode, perr.BadSignature)
    assert issubclass(perr.BadPseudonym, InputError)
    for cls in (perr.UnknownChallenge, perr.ExpiredChallenge, perr.ReplayedChallenge):
        assert issubclass(cls, perr.ChallengeError)
    for cls in (perr.ClockSkew, perr.Expired, perr.StaleReading, perr.OutOfWindow):
        assert issubclass(cls, perr.TimeError)
    assert issubclass(perr.ExpiredVenueCode, perr.Expired)
    for cls in (perr.WrongEpoch, perr.EpochKeyInactive, perr.BadPoint):
        assert issubclass(cls, perr.BadEnvelope)
    for cls in (perr.DeclaredFever, perr.DeclaredSymptoms, perr.HighTemperature):
        assert issubclass(cls, perr.EntryRefused)
    assert issubclass(perr.MaskMissing, perr.EntryRefused)
    for cls in (perr.WrongIssuer, perr.BadHolderSignature):
        assert issubclass(cls, perr.BadSignature)
    assert issubclass(perr.IdentityNotYetValid, perr.TimeError)


def test_refusals_a_person_reads_carry_korean_and_english() -> None:
    # DESIGN.md "The venue service": the kiosk shows each refusal in Korean and English
    # ("마스크를 착용해 주세요 / Please wear a mask"); the phone shows PresenceRequired's.
    readable = [perr.PresenceRequired, perr.EntryRefused, *perr.EntryRefused.__subclasses__()]
    assert perr.MaskMissing.user_message == "마스크를 착용해 주세요 / Please wear a mask"
    assert perr.HighTemperature.user_message == "체온이 높습니다 / High temperature"
    for cls in readable:
        korean, english = cls.user_message.split(" / ")
        assert any("\uac00" <= ch <= "\ud7a3" for ch in korean), cls.__name__
        assert english.isascii(), cls.__name__
        assert english, cls.__name__
    assert len({cls.user_message for cls in readable}) == len(readable)


# --- the public API --------------------------------------------------------------------


def test_all_is_sorted_and_complete() -> None:
    names = protocol.__all__
    # Constants first, then classes, then functions, each alphabetical (ruff RUF022).
    assert names == sorted(
        names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )
    public = {
        n for n, v in vars(protocol).items() if not n.startswith("_") and not inspect.ismodule(v)
    }
    assert public == set(names)


def test_every_public_object_has_a_docstring() -> None:
    for name in protocol.__all__:
        obj = getattr(protocol, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), name
            if inspect.isclass(obj):
                for attr in ("verify", "sign", "from_cbor", "to_cbor", "create", "new"):
                    method = getattr(obj, attr, None)
                    if method is not None:
                        assert "Raises" in (inspect.getdoc(method) or ""), f"{name}.{attr}"


def test_import_pulls_no_web_or_database_code() -> None:
    code = (
        "import sys, protocol;"
        "bad = {'httpx', 'fastapi', 'sqlite3', 'psycopg', 'pyld', 'escrow'}"
        " & {m.split('.')[0] for m in sys.modules};"
        "print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_quick_start_runs() -> None:
    doc = protocol.__doc__ or ""
    block = doc.split("Quick start::\n", 1)[1].split("\nModules:", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(textwrap.dedent(block), "<quick start>", "exec"), namespace)
    checkin = namespace["checkin"]
    assert isinstance(checkin, CheckIn)
    assert checkin.audience == "did:web:reg.example:venues:v1"
