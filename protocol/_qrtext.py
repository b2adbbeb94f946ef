"""QR text forms of the messages that travel through a camera (DESIGN.md "The check-in
protocol": an uppercase prefix plus base45, RFC 9285, so QR alphanumeric mode applies).

==========  ======================================  ===========================================
prefix      message                                 shown by
==========  ======================================  ===========================================
``AV1``     :class:`~protocol.VenueCode`        the venue's printed poster
``AC1``     :class:`~protocol.VenueChallenge`   the kiosk screen, refreshed every 30 s
``AH1``     holder-shown :class:`~protocol.CheckIn`  the visitor's phone (audience ``*``)
==========  ======================================  ===========================================

The letters name the product (A, anshim) and the message (V venue, C challenge, H holder);
the digit is the protocol version, so a future format gets a new prefix and old scanners
refuse it cleanly. The text is ``PREFIX:BASE45(COSE_Sign1 bytes)``; parsing only splits and
decodes it (bounded by the message's size cap) and the message's ``verify`` does the rest.
"""

from __future__ import annotations

import enum
from collections.abc import Collection

from did import qr
from did.errors import DecodeError, InputError
from protocol._checkin import MAX_CHECKIN_MESSAGE, CheckIn
from protocol._venue import MAX_CHALLENGE_MESSAGE, MAX_VENUE_CODE_MESSAGE
from protocol.errors import MalformedMessage, OversizeMessage

__all__ = ["QrKind", "parse_qr_text", "to_qr_text"]


class QrKind(enum.Enum):
    """A QR text form; the value is its prefix."""

    VENUE_CODE = "AV1"
    CHALLENGE = "AC1"
    HOLDER_CHECKIN = "AH1"

    @property
    def max_bytes(self) -> int:
        """The size cap of the signed message this form carries."""
        return _MAX_BYTES[self]


_MAX_BYTES = {
    QrKind.VENUE_CODE: MAX_VENUE_CODE_MESSAGE,
    QrKind.CHALLENGE: MAX_CHALLENGE_MESSAGE,
    QrKind.HOLDER_CHECKIN: MAX_CHECKIN_MESSAGE,
}
_BY_PREFIX = {kind.value: kind for kind in QrKind}


def to_qr_text(kind: QrKind, message: bytes) -> str:
    """The QR text of a signed message: ``PREFIX:BASE45``.

    For :attr:`QrKind.HOLDER_CHECKIN` the message must parse as a holder-shown check-in
    (audience ``*``): a presentation addressed to one venue must not be shown as a QR code.

    Raises:
        InputError: ``kind`` is not a :class:`QrKind`, or ``message`` is not bytes.
        OversizeMessage: ``message`` is over the form's size cap.
        MalformedMessage: a holder-shown form whose message is not a holder-shown check-in.
    """
    if not isinstance(kind, QrKind):
        raise InputError("kind must be a QrKind")
    if type(message) is not bytes:
        raise InputError("message must be bytes")
    if len(message) > kind.max_bytes:
        raise OversizeMessage(f"{kind.value}: {len(message)} bytes exceeds {kind.max_bytes}")
    if kind is QrKind.HOLDER_CHECKIN and not CheckIn.parse_unverified(message)[1].holder_shown:
        raise MalformedMessage("AH1: only a holder-shown check-in (audience '*') may be shown")
    return qr.encode_qr_text(kind.value, message)


def parse_qr_text(text: str, *, accept: Collection[QrKind] = tuple(QrKind)) -> tuple[QrKind, bytes]:
    """Split scanned QR text into its form and the signed message's bytes (not verified).

    Raises:
        OversizeMessage: text longer than the largest accepted form allows.
        MalformedMessage: not ``PREFIX:BASE45``, an unexpected prefix, bad base45, or a
            payload over its form's cap.
        InputError: ``accept`` is empty or holds something that is not a :class:`QrKind`.
    """
    kinds = tuple(accept)
    if not kinds or not all(isinstance(kind, QrKind) for kind in kinds):
        raise InputError("accept must be a non-empty collection of QrKind")
    if type(text) is not str:
        raise MalformedMessage("QR text must be a string")
    largest = max(kind.max_bytes for kind in kinds)
    # Base45 (RFC 9285 section 4) spends 3 characters per 2 bytes, 2 for a last odd byte.
    if len(text) > 4 + (largest + 1) // 2 * 3:
        raise OversizeMessage(f"QR text of {len(text)} characters is over the size cap")
    try:
        prefix, data = qr.decode_qr_text(
            text, prefixes=[kind.value for kind in kinds], max_bytes=largest
        )
    except DecodeError as exc:
        raise MalformedMessage(f"QR text: {exc.message}") from exc
    kind = _BY_PREFIX[prefix]
    if len(data) > kind.max_bytes:
        raise OversizeMessage(f"{prefix}: {len(data)} bytes exceeds {kind.max_bytes}")
    return kind, data
