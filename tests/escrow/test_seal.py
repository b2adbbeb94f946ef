"""Seal, the venue's structural check and the custodians' proof check (DESIGN.md "Escrow", Seal)."""

from __future__ import annotations

import nacl.bindings as nb
import pytest

import escrow
from escrow import (
    ENVELOPE_OVERHEAD,
    Envelope,
    TraceSeedLabel,
    VisitLabel,
    check_envelope_proof,
    check_envelope_structure,
    seal,
)
from escrow._envelope import open_with_point
from escrow.errors import EnvelopeError, InvalidLabel, ProofError
from escrow.group import Scalar
from tests.escrow.points import BAD_POINTS, BAD_SCALARS
from tests.escrow.support import DAY, FIRST_EPOCH, VENUE, visit, world

PAD = 256


@pytest.fixture(scope="module")
def key() -> escrow.EpochKey:
    return world().directory.get_key(FIRST_EPOCH)


def _check(data: bytes, key: escrow.EpochKey) -> Envelope:
    return check_envelope_structure(
        data, epoch_keys={FIRST_EPOCH: key}, expected_epoch=FIRST_EPOCH, expected_size=len(data)
    )


def test_every_envelope_of_one_kind_has_the_same_size(key: escrow.EpochKey) -> None:
    sizes = {len(seal(key, visit(i), b"x" * i, pad_to=PAD).to_bytes()) for i in range(0, 200, 37)}
    assert sizes == {ENVELOPE_OVERHEAD + PAD}


def test_oversize_plaintext_is_refused(key: escrow.EpochKey) -> None:
    with pytest.raises(InvalidLabel):
        seal(key, visit(1), b"x" * PAD, pad_to=PAD)
    with pytest.raises(InvalidLabel):
        seal(key, visit(1), b"x", pad_to=0)


def test_label_epoch_must_match_key(key: escrow.EpochKey) -> None:
    with pytest.raises(InvalidLabel):
        seal(key, visit(1, epoch=FIRST_EPOCH + 1), b"x", pad_to=PAD)


def test_structural_check_accepts_and_round_trips(key: escrow.EpochKey) -> None:
    env = seal(key, visit(1), b"hello", pad_to=PAD)
    parsed = _check(env.to_bytes(), key)
    assert parsed == env
    check_envelope_proof(parsed, key, visit(1))


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda b: b[:-1], "envelopeSize"),
        (lambda b: b"\x01" + b[1:], "envelopeVersion"),  # format 1: (c, z) proofs
        (lambda b: b"\x03" + b[1:], "envelopeVersion"),
        (lambda b: b[:1] + b"\x09" + b[2:], "envelopeKind"),
        (lambda b: b[:2] + (FIRST_EPOCH + 1).to_bytes(4, "big") + b[6:], "envelopeEpoch"),
    ],
)
def test_structural_check_codes(key: escrow.EpochKey, mutate: object, code: str) -> None:
    data = seal(key, visit(1), b"hello", pad_to=PAD).to_bytes()
    bad = mutate(data)  # type: ignore[operator]
    with pytest.raises(EnvelopeError) as info:
        check_envelope_structure(
            bad, epoch_keys={FIRST_EPOCH: key}, expected_epoch=FIRST_EPOCH, expected_size=len(data)
        )
    assert info.value.code == code


def test_unknown_epoch_code(key: escrow.EpochKey) -> None:
    data = seal(key, visit(1), b"hello", pad_to=PAD).to_bytes()
    with pytest.raises(EnvelopeError) as info:
        check_envelope_structure(
            data, epoch_keys=lambda e: None, expected_epoch=FIRST_EPOCH, expected_size=len(data)
        )
    assert info.value.code == "envelopeUnknownEpoch"


@pytest.mark.parametrize("point", [p for p in BAD_POINTS if len(p) == 32])
def test_bad_R_is_refused_by_the_venue(key: escrow.EpochKey, point: bytes) -> None:
    data = seal(key, visit(1), b"hello", pad_to=PAD).to_bytes()
    bad = data[:6] + point + data[38:]
    with pytest.raises(EnvelopeError) as info:
        _check(bad, key)
    assert info.value.code == "envelopePoint"


@pytest.mark.parametrize("scalar", [s for s in BAD_SCALARS if len(s) == 32])
def test_bad_proof_scalars_are_refused(key: escrow.EpochKey, scalar: bytes) -> None:
    data = seal(key, visit(1), b"hello", pad_to=PAD).to_bytes()
    bad = data[:70] + scalar + data[102:]
    with pytest.raises(EnvelopeError) as info:
        _check(bad, key)
    assert info.value.code == "envelopeScalar"


def test_R_moved_under_an_in_scope_label_is_refused(key: escrow.EpochKey) -> None:
    # Sealed for another venue (out of scope); presented with an in-scope label.
    out_of_scope = visit(7, venue="did:web:registry.example:venues:elsewhere")
    env = seal(key, out_of_scope, b"secret", pad_to=PAD)
    with pytest.raises(ProofError):
        check_envelope_proof(env, key, visit(7))
    # Same for a re-made envelope that keeps R but swaps the proof's halves.
    forged = Envelope(
        env.version,
        env.kind,
        env.epoch,
        env.R,
        env.z.to_bytes(),
        Scalar(env.T),
        env.nonce,
        env.ciphertext,
    )
    with pytest.raises(ProofError):
        check_envelope_proof(forged, key, visit(7))
    check_envelope_proof(env, key, out_of_scope)


def test_label_kind_and_time_are_bound(key: escrow.EpochKey) -> None:
    env = seal(key, visit(1), b"secret", pad_to=PAD)
    with pytest.raises(ProofError):
        check_envelope_proof(env, key, VisitLabel(VENUE, FIRST_EPOCH, visit(1).pseudonym_did, 5))
    with pytest.raises(ProofError):
        check_envelope_proof(env, key, TraceSeedLabel("cred", FIRST_EPOCH))


def test_wrong_point_or_tampering_does_not_decrypt(key: escrow.EpochKey) -> None:
    from escrow.errors import DecryptionFailed
    from escrow.group import Point, random_scalar

    env = seal(key, visit(1), b"secret", pad_to=PAD)
    with pytest.raises(DecryptionFailed):
        open_with_point(env, key, visit(1), Point.base_mul(random_scalar()))
    raw = bytearray(env.to_bytes())
    raw[-1] ^= 1
    with pytest.raises(DecryptionFailed):
        open_with_point(Envelope.from_bytes(bytes(raw)), key, visit(1), key.Y)


def test_labels_are_canonical_and_strict() -> None:
    lab = visit(3)
    assert escrow.label_from_bytes(lab.to_bytes()) == lab
    assert escrow.label_from_fields(lab.fields()) == lab
    t = TraceSeedLabel("urn:uuid:1", "2024-10-04")
    assert t.epoch == FIRST_EPOCH == escrow.epoch_from_date("2024-10-04")
    assert escrow.label_from_bytes(t.to_bytes()) == t
    for bad in [lab.to_bytes() + b"\x00", lab.to_bytes()[:-1], b"\x02" + lab.to_bytes()[1:]]:
        with pytest.raises(InvalidLabel):
            escrow.label_from_bytes(bad)
    with pytest.raises(InvalidLabel):
        VisitLabel("not a did", FIRST_EPOCH, "did:key:z", 1)
    with pytest.raises(InvalidLabel):
        VisitLabel(VENUE, FIRST_EPOCH, "did:key:z", -1)
    with pytest.raises(InvalidLabel):
        escrow.label_from_fields({**lab.fields(), "extra": 1})


def test_epochs_and_time_zones() -> None:
    t = FIRST_EPOCH * DAY + 20 * 3600  # 20:00 UTC
    assert escrow.epoch_for(t) == FIRST_EPOCH
    assert escrow.epoch_for(t, tz_offset=9 * 3600) == FIRST_EPOCH + 1  # 05:00 KST next day
    assert (
        escrow.epoch_start(FIRST_EPOCH + 1, tz_offset=9 * 3600) == (FIRST_EPOCH + 1) * DAY - 32400
    )
    assert escrow.epoch_to_date(FIRST_EPOCH) == "2024-10-04"
    with pytest.raises(InvalidLabel):
        escrow.epoch_for(t, tz_offset=15 * 3600)


def test_mixed_order_R_is_rejected_even_when_otherwise_valid(key: escrow.EpochKey) -> None:
    env = seal(key, visit(1), b"hello", pad_to=PAD)
    torsion = bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
    mixed = nb.crypto_core_ed25519_add(env.R.to_bytes(), torsion)
    data = env.to_bytes()
    with pytest.raises(EnvelopeError):
        _check(data[:6] + mixed + data[38:], key)
