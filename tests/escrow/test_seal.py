"""Seal, the venue's structural check and the custodians' proof check (DESIGN.md "Escrow", Seal).

The venue's check is by bytes only (DESIGN.md "Validation at the venue" step 4): an R that
is off the curve or of mixed order passes it and is refused by the custodians (and by
:meth:`escrow.Envelope.from_bytes`)."""

from __future__ import annotations

import nacl.bindings as nb
import nacl.utils
import pytest

import did
import escrow
from escrow import (
    ENVELOPE_OVERHEAD,
    Envelope,
    Point,
    Scalar,
    TraceSeedLabel,
    UnsealRequest,
    VisitLabel,
    answer_warrant,
    check_envelope_proof,
    check_envelope_structure,
    random_scalar,
    seal,
)
from escrow._envelope import open_with_point
from escrow.errors import (
    DecryptionFailed,
    EnvelopeBadPoint,
    EnvelopeBadScalar,
    EnvelopeEpochUnknown,
    EnvelopeKindUnknown,
    EnvelopeProofFailed,
    EnvelopeVersionUnsupported,
    EnvelopeWrongEpoch,
    EnvelopeWrongSize,
    InvalidLabel,
    MalformedEnvelope,
)
from tests.escrow.points import BAD_SCALARS, MIXED, NON_CANONICAL, OFF_CURVE, SMALL_ORDER
from tests.escrow.support import DAY, FIRST_EPOCH, NOW, VENUE, approved_warrant, visit, world

PAD = 256


@pytest.fixture(scope="module")
def key() -> escrow.EpochKey:
    return world().directory.get_key(FIRST_EPOCH)


def _check(data: bytes, key: escrow.EpochKey) -> None:
    check_envelope_structure(
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
    _check(env.to_bytes(), key)
    parsed = Envelope.from_bytes(env.to_bytes())
    assert parsed == env
    check_envelope_proof(parsed, key, visit(1))


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda b: b[:-1], EnvelopeWrongSize),
        (lambda b: b"\x01" + b[1:], EnvelopeVersionUnsupported),  # format 1: (c, z) proofs
        (lambda b: b"\x03" + b[1:], EnvelopeVersionUnsupported),
        (lambda b: b[:1] + b"\x09" + b[2:], EnvelopeKindUnknown),
        (lambda b: b[:2] + (FIRST_EPOCH + 1).to_bytes(4, "big") + b[6:], EnvelopeWrongEpoch),
    ],
)
def test_structural_check_errors(
    key: escrow.EpochKey, mutate: object, error: type[MalformedEnvelope]
) -> None:
    data = seal(key, visit(1), b"hello", pad_to=PAD).to_bytes()
    bad = mutate(data)  # type: ignore[operator]
    with pytest.raises(error):
        check_envelope_structure(
            bad, epoch_keys={FIRST_EPOCH: key}, expected_epoch=FIRST_EPOCH, expected_size=len(data)
        )


def test_unknown_epoch_error(key: escrow.EpochKey) -> None:
    data = seal(key, visit(1), b"hello", pad_to=PAD).to_bytes()
    with pytest.raises(EnvelopeEpochUnknown):
        check_envelope_structure(
            data, epoch_keys=lambda e: None, expected_epoch=FIRST_EPOCH, expected_size=len(data)
        )


def test_structural_check_refuses_a_size_no_pad_allows(key: escrow.EpochKey) -> None:
    short = seal(key, visit(1), b"", pad_to=1).to_bytes()[:-1]  # the overhead alone
    with pytest.raises(EnvelopeWrongSize):
        check_envelope_structure(
            short, epoch_keys={FIRST_EPOCH: key}, expected_epoch=FIRST_EPOCH,
            expected_size=len(short),
        )  # fmt: skip


# Byte checks catch these R encodings (DESIGN.md step 4); off-curve and mixed-order R need
# decompression or a subgroup check, which are the custodians'.
BYTE_BAD_R = [*SMALL_ORDER, *NON_CANONICAL]


@pytest.mark.parametrize("point", BYTE_BAD_R)
def test_non_canonical_or_small_order_R_is_refused_by_the_venue(
    key: escrow.EpochKey, point: bytes
) -> None:
    data = seal(key, visit(1), b"hello", pad_to=PAD).to_bytes()
    bad = data[:6] + point + data[38:]
    with pytest.raises(EnvelopeBadPoint):
        _check(bad, key)
    with pytest.raises(EnvelopeBadPoint):
        Envelope.from_bytes(bad)
    with pytest.raises(EnvelopeBadPoint):
        Envelope.parse_unchecked(bad)


@pytest.mark.parametrize("point", [OFF_CURVE, MIXED])
def test_off_curve_or_mixed_order_R_passes_the_venue_and_fails_at_the_custodian(
    key: escrow.EpochKey, point: bytes
) -> None:
    data = seal(key, visit(1), b"hello", pad_to=PAD).to_bytes()
    bad = data[:6] + point + data[38:]
    _check(bad, key)  # byte checks only: the documented split
    with pytest.raises(EnvelopeBadPoint):
        Envelope.from_bytes(bad)
    env = Envelope.parse_unchecked(bad)
    w = world()
    warrant = approved_warrant(w)
    request = UnsealRequest(warrant.warrant_id, ((env, visit(1)),))
    # The custodian refuses before any share exists: off the curve, the proof check
    # (crypto_sign_open decompresses R) fails; of mixed order, the multiplication does.
    with pytest.raises((EnvelopeProofFailed, EnvelopeBadPoint)):
        answer_warrant(warrant, request, store=w.stores[0], directory=w.directory, now=NOW)


def _mixed_order_envelope(key: escrow.EpochKey, label: VisitLabel) -> bytes:
    """An envelope whose R' = r·G + E (E of order 8) carries a proof libsodium accepts.

    Ed25519 verification has no subgroup check on its public key: with T = t·G + j·E and
    z = t + c·r, z·G − c·R' = t·G − c·E, which is T exactly when j ≡ −c (mod 8); c hashes
    T, so a sealer who knows r retries until that holds (one try in eight).
    """
    real = seal(key, label, b"hello", pad_to=PAD)
    r = random_scalar()
    e = SMALL_ORDER[4]  # order 8
    multiples = [None, e]
    for _ in range(6):
        multiples.append(nb.crypto_core_ed25519_add(multiples[-1], e))  # type: ignore[arg-type]
    r_mixed = Point(nb.crypto_core_ed25519_add(Point.base_mul(r).to_bytes(), e))
    message = escrow._envelope._pok_message(key.Y, real.header(), label.to_bytes())
    for _ in range(400):
        t = random_scalar()
        j = int.from_bytes(nacl.utils.random(1), "little") % 8
        tg = Point.base_mul(t).to_bytes()
        t_point = tg if j == 0 else nb.crypto_core_ed25519_add(tg, multiples[j])
        c = escrow._envelope._pok_challenge(t_point, r_mixed, message)
        if (int.from_bytes(c.to_bytes(), "little") + j) % 8 == 0:
            z = t + c * r
            forged = Envelope(*_fields(real, R=r_mixed, T=t_point, z=z))
            return forged.to_bytes()
    raise AssertionError("no accepting proof in 400 tries")  # probability (7/8)^400


def test_mixed_order_R_with_a_valid_proof_is_refused_before_any_share(
    key: escrow.EpochKey,
) -> None:
    label = visit(1)
    data = _mixed_order_envelope(key, label)
    _check(data, key)  # the venue's byte checks pass, as DESIGN.md step 4 says
    parsed = Envelope.parse_unchecked(data)
    check_envelope_proof(parsed, key, label)  # the proof alone does not validate R …
    with pytest.raises(EnvelopeBadPoint):
        Envelope.from_bytes(data)
    w = world()
    warrant = approved_warrant(w)
    request = UnsealRequest(warrant.warrant_id, ((parsed, label),))
    with pytest.raises(EnvelopeBadPoint):  # … the custodian's multiplication does
        answer_warrant(warrant, request, store=w.stores[0], directory=w.directory, now=NOW)


def _fields(env: Envelope, **change: object) -> list[object]:
    names = ["version", "kind", "epoch", "R", "T", "z", "nonce", "ciphertext"]
    return [change.get(n, getattr(env, n)) for n in names]


@pytest.mark.parametrize("scalar", [s for s in BAD_SCALARS if len(s) == 32])
def test_bad_proof_scalars_are_refused(key: escrow.EpochKey, scalar: bytes) -> None:
    data = seal(key, visit(1), b"hello", pad_to=PAD).to_bytes()
    bad = data[:70] + scalar + data[102:]
    with pytest.raises(EnvelopeBadScalar):
        _check(bad, key)
    with pytest.raises(EnvelopeBadScalar):
        Envelope.from_bytes(bad)


def test_R_moved_under_an_in_scope_label_is_refused(key: escrow.EpochKey) -> None:
    # Sealed for another venue (out of scope); presented with an in-scope label.
    out_of_scope = visit(7, venue="did:web:registry.example:venues:elsewhere")
    env = seal(key, out_of_scope, b"secret", pad_to=PAD)
    with pytest.raises(EnvelopeProofFailed):
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
    with pytest.raises(EnvelopeProofFailed):
        check_envelope_proof(forged, key, visit(7))
    check_envelope_proof(env, key, out_of_scope)


def test_label_kind_and_time_are_bound(key: escrow.EpochKey) -> None:
    env = seal(key, visit(1), b"secret", pad_to=PAD)
    with pytest.raises(EnvelopeProofFailed):
        check_envelope_proof(env, key, VisitLabel(VENUE, FIRST_EPOCH, visit(1).pseudonym_did, 5))
    with pytest.raises(EnvelopeProofFailed):
        check_envelope_proof(env, key, TraceSeedLabel("cred", FIRST_EPOCH))


def test_wrong_point_or_tampering_does_not_decrypt(key: escrow.EpochKey) -> None:
    from escrow import Point, random_scalar

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


def test_epochs_are_did_day_numbers_and_iso_dates() -> None:
    # One day function for everything (did.day_of); escrow only spells epochs as dates.
    t = FIRST_EPOCH * DAY + 20 * 3600  # 20:00 UTC
    assert did.day_of(t) == FIRST_EPOCH
    assert did.day_of(t, tz_offset=9 * 3600) == FIRST_EPOCH + 1  # 05:00 KST next day
    assert escrow.epoch_to_date(FIRST_EPOCH) == "2024-10-04"
    assert escrow.epoch_from_date("2024-10-04") == FIRST_EPOCH
    assert VisitLabel(VENUE, "2024-10-04", "did:key:z", t).epoch == FIRST_EPOCH
    with pytest.raises(InvalidLabel):
        escrow.epoch_from_date("2024-13-01")
