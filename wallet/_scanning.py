"""Scanning a venue's code (DESIGN.md "Venue codes" 1 and 2).

A static poster (``AV1``) is checked offline against the pinned registry key; a kiosk code
(``AC1``) against the venue's key, which the app looks up (a key, or a callable from venue
DID to key such as a did:web resolver's). Every refusal is a typed
:class:`~wallet.errors.ScanRefused` with a stable code and a message for the phone.
"""

from __future__ import annotations

from dataclasses import dataclass

from did import Ed25519PublicKey
from did.errors import AnshimError, InputError, InvalidDid, ResolutionError
from protocol import Channel, KeySource, QrKind, VenueChallenge, VenueCode, parse_qr_text
from protocol.errors import (
    BadSignature,
    ClockSkew,
    ExpiredChallenge,
    ExpiredVenueCode,
    MalformedMessage,
    UnknownKey,
)
from wallet.errors import (
    AlteredCode,
    CodeNotYetValid,
    ExpiredCode,
    ForgedCode,
    MalformedCode,
    UnknownVenueKey,
    WrongPrefix,
)

__all__ = ["ScannedVenue", "scan_code"]

_ACCEPTED = {QrKind.VENUE_CODE.value: QrKind.VENUE_CODE, QrKind.CHALLENGE.value: QrKind.CHALLENGE}
_MAX_TEXT = 1024


@dataclass(frozen=True, slots=True)
class ScannedVenue:
    """A verified venue code, ready for :meth:`wallet.Wallet.check_in`.

    ``name`` and ``category`` come from a poster (``None`` for a kiosk code); ``challenge``
    is the kiosk nonce the check-in answers (``None`` for a poster); ``expires`` is the
    code's expiry (Unix seconds).
    """

    venue: str
    channel: Channel
    expires: int
    name: str | None = None
    category: str | None = None
    challenge: bytes | None = None


def _split(text: object) -> tuple[QrKind, bytes]:
    if type(text) is not str or len(text) > _MAX_TEXT:
        raise MalformedCode("scanned text is not a check-in code")
    prefix = text.split(":", 1)[0]
    if prefix not in _ACCEPTED:
        raise WrongPrefix("not a venue poster or kiosk code")
    try:
        return parse_qr_text(text, accept=(_ACCEPTED[prefix],))
    except MalformedMessage as exc:
        raise MalformedCode(f"unreadable code: {exc.message}") from exc


def _guarded(source: KeySource) -> KeySource:
    """A look-up whose resolution failures mean "unknown venue"."""
    if isinstance(source, Ed25519PublicKey):
        return source

    def lookup(did: str) -> Ed25519PublicKey | None:
        try:
            return source(did)
        except (ResolutionError, InvalidDid) as exc:
            raise LookupError(exc.message) from exc

    return lookup


def scan_code(
    text: str,
    *,
    registry_key: Ed25519PublicKey,
    venue_keys: KeySource | None,
    now: int,
) -> ScannedVenue:
    """Parse and verify a scanned code (see :meth:`wallet.Wallet.scan`).

    Raises:
        MalformedCode, WrongPrefix, AlteredCode, ForgedCode, ExpiredCode, CodeNotYetValid,
        UnknownVenueKey: the refusal, by its code.
        InputError: ``now`` is not a valid time.
    """
    kind, data = _split(text)
    try:
        if kind is QrKind.VENUE_CODE:
            code = VenueCode.verify(data, registry_key, now=now)
            return ScannedVenue(
                code.venue, Channel.QR_STATIC, code.expires, code.name, code.category
            )
        if venue_keys is None:
            raise UnknownVenueKey("no venue key look-up is configured")
        challenge = VenueChallenge.verify(data, _guarded(venue_keys), now=now)
        return ScannedVenue(
            challenge.venue, Channel.QR_KIOSK, challenge.expires, challenge=challenge.nonce
        )
    except (ExpiredVenueCode, ExpiredChallenge) as exc:
        raise ExpiredCode(exc.message) from exc
    except ClockSkew as exc:
        raise CodeNotYetValid(exc.message) from exc
    except UnknownKey as exc:
        raise UnknownVenueKey(exc.message) from exc
    except BadSignature as exc:
        raise ForgedCode(exc.message) from exc
    except MalformedMessage as exc:
        raise AlteredCode(exc.message) from exc
    except InputError:
        raise
    except AnshimError as exc:
        # A look-up that failed for another reason (a network error): the venue's key is
        # not known, so the code cannot be trusted.
        raise UnknownVenueKey(f"the venue's key could not be obtained: {exc.message}") from exc
