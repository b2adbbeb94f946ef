"""The sealed plaintexts of every channel (DESIGN.md "Check-in presentation" and "Other
channels, one record"): investigators decode what custodians unsealed without the venue's
package, every channel's plaintext pads to the one envelope size, and each kind byte names
its channel."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import escrow
from protocol import (
    ENVELOPE_PAD_TO,
    ENVELOPE_SIZE,
    MAX_ASSISTED_NAME_BYTES,
    MAX_IDENTITY_PLAINTEXT,
    Channel,
    GatewayPlaintext,
    IdentityPlaintext,
    open_plaintext,
)
from protocol.errors import MalformedMessage


def test_open_plaintext_needs_no_role_package() -> None:
    # DESIGN.md "Roles and packages": role packages never import each other, so the decoder
    # an investigator uses must come from protocol (and did) alone.
    code = (
        "import sys, protocol as p; "
        "assert p.open_plaintext and p.GatewayPlaintext and p.verify_sealed_identity; "
        "roles = ('verifier', 'wallet', 'escrow', 'registry', 'investigator'); "
        "print(sorted(m for m in roles if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.CALL, Channel.ASSISTED])
def test_open_plaintext_dispatches_by_the_kind_byte(channel: Channel) -> None:
    name = "김민지" if channel is Channel.ASSISTED else None
    plain = GatewayPlaintext(channel, "+821012345678", name, os.urandom(16))
    data = plain.to_bytes()
    assert data[0] == {Channel.SMS: 2, Channel.CALL: 3, Channel.ASSISTED: 4}[channel]
    assert open_plaintext(data) == plain
    assert "821012345678" not in repr(plain)


def test_every_channel_pads_to_the_one_envelope_size() -> None:
    # The longest gateway plaintext (a 15-digit number and the longest name staff may type)
    # fits the wallets' pad, so SMS, call, assisted and wallet envelopes are all one size.
    longest = GatewayPlaintext(
        Channel.ASSISTED, "+999999999999999", "가" * (MAX_ASSISTED_NAME_BYTES // 3), bytes(16)
    )
    assert len(longest.to_bytes()) <= MAX_IDENTITY_PLAINTEXT
    assert ENVELOPE_SIZE == escrow.ENVELOPE_OVERHEAD + ENVELOPE_PAD_TO
    assert MAX_IDENTITY_PLAINTEXT == ENVELOPE_PAD_TO - 1


def test_kinds_do_not_cross() -> None:
    sms = GatewayPlaintext(Channel.SMS, "+821012345678", None, bytes(16)).to_bytes()
    with pytest.raises(MalformedMessage):
        IdentityPlaintext.from_bytes(sms)
    with pytest.raises(MalformedMessage):
        GatewayPlaintext.from_bytes(b"\x01" + sms[1:])
    with pytest.raises(MalformedMessage):
        open_plaintext(b"")
