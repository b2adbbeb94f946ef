"""Pinned custodians (issue 9 section 4 item 1, DESIGN.md "Key ceremony"): a wallet cannot be
created without them, and an epoch-key directory from any other ceremony is refused, so
whoever serves the directory cannot make the wallet seal identities to its own keys."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import escrow
from did import KDF_TEST, Ed25519PrivateKey, did_from_public_key
from did.errors import InputError
from escrow import Point, random_scalar
from protocol import CheckIn, IdentityPlaintext
from tests.wallet.support import (
    FIRST_EPOCH,
    NOW,
    REGISTRY,
    VENUE,
    checked_in,
    new_wallet,
    unseal,
    world,
)
from wallet import DirectoryRefused, EnrollmentRefused, Wallet


def _directory(custodians: list[str], signers: list[Ed25519PrivateKey], *, threshold: int) -> bytes:
    """A directory over FIRST_EPOCH .. +2 with keys nobody honest made, naming
    ``custodians`` and signed by ``signers`` (custodian i by ``signers[i]``)."""
    keys = []
    for epoch in range(FIRST_EPOCH, FIRST_EPOCH + 3):
        y = Point.base_mul(random_scalar())
        vks = tuple(Point.base_mul(random_scalar()) for _ in custodians)
        keys.append(escrow.EpochKey(epoch, y, vks, threshold, tuple(custodians)))
    body = escrow.EpochKeyDirectory.encode_body(
        ceremony=os.urandom(16),
        tz_offset=0,
        threshold=threshold,
        custodians=custodians,
        keys=keys,
    )
    signatures = [
        (i + 1, escrow.EpochKeyDirectory.sign_body(body, key)) for i, key in enumerate(signers)
    ]
    return escrow.EpochKeyDirectory(body, signatures).to_bytes()


def test_a_rogue_ceremonys_directory_is_refused(tmp_path: Path) -> None:
    w = new_wallet(tmp_path)
    pinned = list(world().directory.custodians)
    rogue = [Ed25519PrivateKey.generate() for _ in range(5)]
    rogue_dids = [did_from_public_key(k.public_key) for k in rogue]
    stores = world().stores
    attacks = {
        # A rogue registry's own ceremony: its custodians, validly signed by them.
        "other custodians": _directory(rogue_dids, rogue, threshold=3),
        # One custodian the attacker controls, as a benchmark directory has.
        "one custodian": _directory(rogue_dids[:1], rogue[:1], threshold=1),
        # The pinned custodians' names over the attacker's keys and signatures.
        "forged signatures": _directory(pinned, rogue, threshold=3),
        # The pinned custodians' names, signed by only four of them.
        "a missing signature": _directory(pinned, [s.key for s in stores[:4]], threshold=3),
        # Signed by every pinned custodian, but another threshold than the pinned one.
        "another threshold": _directory(pinned, [s.key for s in stores], threshold=2),
        # The pinned custodians in another order (so another index for each share).
        "reordered custodians": _directory(
            pinned[::-1], [s.key for s in stores][::-1], threshold=3
        ),
        "not a directory": b"\xa0",
    }
    for name, directory in attacks.items():
        with pytest.raises(DirectoryRefused) as info:
            w.set_epoch_keys(directory, now=NOW)
        assert info.value.code == "directoryRefused", name
        assert isinstance(info.value, EnrollmentRefused)
    # The genuine directory is still the one in use: a check-in opens with the genuine
    # custodians' shares, also after the wallet is opened again.
    w.close()
    w = Wallet.open(w.path, "wallet passphrase", now=NOW)
    data, pid = checked_in(w)
    envelope = CheckIn.parse_unverified(data)[1].envelope
    assert envelope is not None
    label = escrow.VisitLabel(VENUE, FIRST_EPOCH, pid, NOW)
    assert IdentityPlaintext.from_bytes(unseal(envelope, label)).compact == (
        w.credential.compact.cbor  # type: ignore[union-attr]
    )


def _create(tmp: Path, name: str, **pins: Any) -> Wallet:
    return Wallet.create(
        tmp / f"{name}.wallet", "p", registry_key=REGISTRY.public_key, kdf=KDF_TEST, **pins
    )


def test_a_wallet_cannot_be_created_without_pinned_custodians(tmp_path: Path) -> None:
    pinned = list(world().directory.custodians)
    with pytest.raises(TypeError):
        _create(tmp_path, "none")
    with pytest.raises(TypeError):
        _create(tmp_path, "no-threshold", custodians=pinned)
    with pytest.raises(TypeError):
        _create(tmp_path, "no-dids", threshold=3)
    bad: list[dict[str, Any]] = [
        {"custodians": [], "threshold": 1},
        {"custodians": None, "threshold": 1},
        {"custodians": pinned[0], "threshold": 1},  # a string is not a list of DIDs
        {"custodians": [pinned[0], pinned[0]], "threshold": 1},
        {"custodians": ["did:web:custodian.example"], "threshold": 1},
        {"custodians": [b"did:key:z6Mk"], "threshold": 1},
        {"custodians": pinned, "threshold": 0},
        {"custodians": pinned, "threshold": 6},
        {"custodians": pinned, "threshold": True},
        {"custodians": pinned, "threshold": "3"},
    ]
    for n, pins in enumerate(bad):
        with pytest.raises(InputError):
            _create(tmp_path, f"bad{n}", **pins)
        assert not (tmp_path / f"bad{n}.wallet").exists()
    w = _create(tmp_path, "good", custodians=pinned, threshold=3)
    assert w.custodians == (tuple(pinned), 3)
