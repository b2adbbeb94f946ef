"""The channels without a wallet: SMS and call check-in, and assisted entry (DESIGN.md
"Other channels, one record").

A telecom gateway posts (caller number, venue, time) to the venue service; at an assisted
entry, staff type a name and a phone number on the kiosk. Either way the plaintext is sealed
at once, into an envelope of exactly :data:`~protocol.ENVELOPE_SIZE` bytes (the same
``pad_to``, :data:`~protocol.ENVELOPE_PAD_TO`, as a wallet's), and only the
:class:`~protocol.SealedVisit` is kept. Nothing here logs, and neither errors nor reprs
carry the number or the name.

The sealed plaintext is a :class:`~protocol.GatewayPlaintext` (its layout and
:func:`~protocol.open_plaintext`, which decodes the plaintext of any channel, are in
:mod:`protocol`, so investigators read unsealed plaintexts without this package).

Pseudonyms: each gateway visit gets a fresh random Ed25519 did:key, used once and thrown
away. A keyed derivation from the number would let an SMS check-out match its check-in, but
whoever holds the key could later test every phone number against the stored records (the
number space is small), which breaks "a venue never learns identity". So gateway visits
have no check-out; the category's default dwell (:func:`verifier.default_dwell`) ends them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from did import Ed25519PrivateKey
from did.errors import InputError
from escrow import EpochKey, VisitLabel, seal
from protocol import (
    ENVELOPE_PAD_TO,
    VISIT_ID_SIZE,
    VISIT_NONCE_SIZE,
    Channel,
    GatewayPlaintext,
    HealthDeclaration,
    SealedVisit,
    pseudonym_did,
)
from protocol.errors import EpochKeyInactive
from protocol.wire import check_now
from verifier._policy import EntryPolicy
from verifier._validate import EpochKeys, visit_day
from verifier._venue import VenueContext

__all__ = ["seal_assisted_entry", "seal_sms_checkin"]

_DEFAULT_POLICY = EntryPolicy()


def _epoch_key(epoch_keys: EpochKeys, day: int) -> EpochKey:
    key = epoch_keys.get(day) if isinstance(epoch_keys, Mapping) else epoch_keys(day)
    if not isinstance(key, EpochKey):
        raise EpochKeyInactive("no published epoch key for today")
    return key


def _seal_visit(
    plaintext: GatewayPlaintext,
    venue: VenueContext,
    now: int,
    epoch_keys: EpochKeys,
    declaration: HealthDeclaration | None,
) -> SealedVisit:
    day = visit_day(now, venue, epoch_keys)
    epoch_key = _epoch_key(epoch_keys, day)
    pseudonym = pseudonym_did(Ed25519PrivateKey.generate())
    label = VisitLabel(venue.did, day, pseudonym, now)
    # The plaintext always fits (at most 175 of the 255 bytes), and pads to the size every
    # channel's envelope has, so sealing cannot fail here and the records look alike.
    envelope = seal(epoch_key, label, plaintext.to_bytes(), pad_to=ENVELOPE_PAD_TO).to_bytes()
    return SealedVisit(
        visit_id=os.urandom(VISIT_ID_SIZE),
        venue=venue.did,
        day=day,
        time_in=now,
        time_out=None,
        pseudonym=pseudonym,
        locator=None,
        channel=plaintext.channel,
        declaration=declaration,
        envelope=envelope,
        receipt_hash=None,
    )


def seal_sms_checkin(
    caller_number: str,
    venue: VenueContext,
    *,
    now: int,
    epoch_keys: EpochKeys,
    channel: Literal["sms", "call"] = "sms",
) -> SealedVisit:
    """Seal an SMS or call check-in at once and return the record to upload.

    ``caller_number`` is the E.164 number the telecom gateway reports. The time in is
    ``now`` (the gateway's receipt time).

    Raises:
        MalformedMessage: the number is not E.164 (the error does not repeat it).
        EpochKeyInactive: no published epoch key for today.
        InputError: ``now`` is invalid, ``channel`` is neither ``"sms"`` nor ``"call"``, or
            the venue's ``tz_offset`` is not the directory's.
    """
    now = check_now(now)
    if channel not in ("sms", "call"):
        raise InputError('channel must be "sms" or "call"')
    kind = Channel.SMS if channel == "sms" else Channel.CALL
    plaintext = GatewayPlaintext(kind, caller_number, None, os.urandom(VISIT_NONCE_SIZE))
    return _seal_visit(plaintext, venue, now, epoch_keys, None)


def seal_assisted_entry(
    name: str,
    phone: str,
    venue: VenueContext,
    *,
    now: int,
    epoch_keys: EpochKeys,
    declaration: HealthDeclaration | None = None,
    entry_policy: EntryPolicy = _DEFAULT_POLICY,
) -> SealedVisit:
    """Seal what staff typed at an assisted entry and return the record to upload.

    A ``declaration`` the staff took goes through the same entry policy as a wallet's and
    into the record.

    Raises:
        MalformedMessage: the phone is not E.164, or the name is empty, not NFC, has
            control characters or is over 128 UTF-8 bytes (errors never repeat either).
        DeclaredFever, DeclaredSymptoms: the declaration refuses entry.
        EpochKeyInactive: no published epoch key for today.
        InputError: ``now`` is invalid, or the venue's ``tz_offset`` is not the directory's.
    """
    now = check_now(now)
    plaintext = GatewayPlaintext(Channel.ASSISTED, phone, name, os.urandom(VISIT_NONCE_SIZE))
    if declaration is not None:
        if not isinstance(declaration, HealthDeclaration):
            raise InputError("declaration must be a HealthDeclaration")
        entry_policy.decide(declaration, None)
    return _seal_visit(plaintext, venue, now, epoch_keys, declaration)
