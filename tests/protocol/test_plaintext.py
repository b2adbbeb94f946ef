"""The sealed plaintexts live in protocol (issue 5 review, items 4 to 6): investigators
decode what custodians unsealed without importing the venue's package, the pad size has one
definition, and every name the split of protocol._person moved stays importable there."""

from __future__ import annotations

import subprocess
import sys

import escrow
import protocol._compact
import protocol._person
import protocol._plaintext
import verifier
from protocol import (
    ENVELOPE_PAD_TO,
    ENVELOPE_SIZE,
    Channel,
    GatewayPlaintext,
    IdentityPlaintext,
    open_plaintext,
)


def test_open_plaintext_needs_no_role_package() -> None:
    # DESIGN.md "Roles and packages": role packages never import each other, so the decoder
    # an investigator (escrow side, registry) uses must come from did/ alone.
    code = (
        "import sys, protocol._plaintext as p; "
        "assert p.open_plaintext and p.GatewayPlaintext; "
        "roles = ('verifier', 'wallet', 'escrow', 'registry'); "
        "print(sorted(m for m in roles if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_verifier_re_exports_the_same_objects() -> None:
    assert verifier.GatewayPlaintext is GatewayPlaintext
    assert verifier.open_plaintext is open_plaintext
    assert protocol._person.IdentityPlaintext is IdentityPlaintext


def test_open_plaintext_dispatches_by_the_kind_byte() -> None:
    sms = GatewayPlaintext(Channel.SMS, "+821012345678", None, bytes(16))
    assert open_plaintext(sms.to_bytes()) == sms
    assert sms.to_bytes()[0] == 0x02


def test_pad_size_has_one_definition_tied_to_escrow() -> None:
    assert protocol._person.IDENTITY_PAD is ENVELOPE_PAD_TO
    assert ENVELOPE_SIZE == escrow.ENVELOPE_OVERHEAD + ENVELOPE_PAD_TO
    assert protocol._plaintext.MAX_IDENTITY_PLAINTEXT == ENVELOPE_PAD_TO - 1


def test_person_keeps_every_name_it_had() -> None:
    # The names protocol._person exported before the split into compact and plaintext.
    before = {
        "COMPACT_OVERHEAD", "IDENTITY_PAD", "MAX_COMPACT_SIZE", "MAX_IDENTITY_PLAINTEXT",
        "MAX_NAME_BYTES", "PERSON_CREDENTIAL_TYPE", "VISIT_NONCE_SIZE",
        "CompactPersonCredential", "IdentityPlaintext", "IdentityVerification", "NotYetValid",
        "PersonCredential", "TwinMismatch", "WrongIssuer", "check_phone",
        "issue_person_credential", "issuer_tag",
    }  # fmt: skip
    assert set(protocol._person.__all__) == before
    for module in (protocol._person, protocol._compact, protocol._plaintext):
        assert list(module.__all__) == sorted(module.__all__, key=lambda n: (not n.isupper(), n))
        for name in module.__all__:
            assert getattr(module, name) is not None
    assert protocol._person.CompactPersonCredential is protocol._compact.CompactPersonCredential
