"""Unsealed identities, decoded and checked for every channel (DESIGN.md "Investigation"
step 3: identities and phone numbers; "Credentials": the compact identity credential keeps
the issuer's signature verifiable after unsealing; "Other channels, one record").

A wallet's plaintext holds the compact identity credential and the holder's signature over
the envelope's label; :func:`protocol.verify_sealed_identity` checks that the issuer is
one of the case's trusted issuers, its signature verifies, the credential was valid at the
visit's time in, and the holder it names signed the label recomputed from the record, so a
leaked credential copied into someone else's check-ins is refused. The plaintext's kind
must match the record's channel. SMS, call and assisted-entry plaintexts were sealed by
the venue's gateway at once; they carry a phone number (and, for assisted entry, the name
staff typed), authenticated by the envelope's AEAD.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from did import ed25519_public_key_from_did
from did.errors import AnshimError
from investigator.errors import IdentityRefused
from protocol import Channel, GatewayPlaintext, open_plaintext, verify_sealed_identity

__all__ = ["Identity", "decode_identity"]

_CHANNELS = {c.name.lower(): c for c in Channel}


@dataclass(frozen=True, slots=True)
class Identity:
    """Who made one record: the phone number for the call list, the name if any, and for a
    wallet the credential (its id, which names the holder's escrowed trace seeds for the
    next hop) and its issuer. ``checks`` says what was verified. The ``repr`` shows no
    personal data."""

    envelope_id: str
    visit_id: str
    channel: str
    phone: str
    name: str | None
    credential_id: str = ""
    holder: str = ""
    issuer: str = ""
    checks: str = ""

    def __repr__(self) -> str:
        return f"Identity(visit={self.visit_id[:8]}…, channel={self.channel})"

    def to_json(self) -> dict[str, Any]:
        """The JSON form (kept only in sealed case files)."""
        return {
            "envelope_id": self.envelope_id,
            "visit_id": self.visit_id,
            "channel": self.channel,
            "phone": self.phone,
            "name": self.name,
            "credential_id": self.credential_id,
            "holder": self.holder,
            "issuer": self.issuer,
            "checks": self.checks,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Identity:
        """Read the JSON form back."""
        return cls(
            str(obj["envelope_id"]),
            str(obj["visit_id"]),
            str(obj["channel"]),
            str(obj["phone"]),
            obj.get("name"),
            str(obj.get("credential_id", "")),
            str(obj.get("holder", "")),
            str(obj.get("issuer", "")),
            str(obj.get("checks", "")),
        )


def decode_identity(
    plaintext: bytes,
    *,
    envelope_id: str,
    visit_id: str,
    channel: str,
    trusted_issuers: Sequence[str],
    label: bytes,
    time_in: int,
) -> Identity:
    """Decode and check one unsealed plaintext of a record of ``channel`` whose envelope
    label is ``label`` (:func:`~investigator.label_of` of the record) and time in ``time_in``.

    Raises:
        IdentityRefused: a plaintext that does not parse, whose kind does not match the
            record's channel, whose issuer is not trusted, whose issuer signature fails,
            that was not valid at ``time_in``, or whose holder did not sign ``label``.
    """
    expected = _CHANNELS.get(channel)
    if expected is None:
        raise IdentityRefused(f"unknown channel {channel!r}")
    try:
        plain = open_plaintext(plaintext)
    except AnshimError as exc:
        raise IdentityRefused(f"the unsealed plaintext does not parse [{exc.code}]") from exc
    if isinstance(plain, GatewayPlaintext):
        if plain.channel is not expected:
            raise IdentityRefused("a gateway plaintext of another channel than its record")
        return Identity(envelope_id, visit_id, channel, plain.phone, plain.name, checks="envelope")
    if not expected.wallet:
        raise IdentityRefused("a wallet identity in a record of a gateway channel")
    try:
        issuers = {did: ed25519_public_key_from_did(did) for did in trusted_issuers}
        credential = verify_sealed_identity(plain, label=label, issuers=issuers, now=time_in)
        issuer = credential.issuer_in(trusted_issuers)
    except AnshimError as exc:
        raise IdentityRefused(f"the identity credential is refused [{exc.code}]") from exc
    checks = "envelope,issuer-signature,holder-signature"
    return Identity(
        envelope_id,
        visit_id,
        channel,
        credential.phone,
        credential.name,
        credential.credential_urn,
        credential.holder,
        issuer,
        checks,
    )
