"""Bad points and scalars are refused everywhere they can enter (issue 4, "Tests that must
exist"): decryption shares, the combiner, the epoch-key directory, ceremony commitments and
share boxes, the custodian's store, and an envelope's proof point T."""

from __future__ import annotations

from pathlib import Path

import nacl.bindings as nb
import pytest

from did import KDF_TEST, cbor, encrypt_secret
from did.errors import DecodeError
from escrow import (
    DecryptionShare,
    Envelope,
    EpochKeyDirectory,
    Roster,
    Scalar,
    ShareBatch,
    ShareStore,
    UnsealRequest,
    answer_warrant,
    check_envelope_proof,
    deal,
    finalize,
    poly_commit,
    poly_eval,
    random_scalar,
    seal,
    unseal,
)
from escrow._ceremony import DEAL_CONTEXT, _build_deal
from escrow._custodian import SHARES_CONTEXT
from escrow._store import STORE_KIND
from escrow.errors import (
    BadShare,
    DealerMisbehaved,
    EnvelopeProofFailed,
    InvalidPoint,
    InvalidScalar,
    StoreError,
)
from tests.escrow.points import BAD_POINTS, BAD_SCALARS, NON_CANONICAL, SMALL_ORDER
from tests.escrow.support import FIRST_EPOCH, NOW, PASS, approved_warrant, visit, world

POINTS_32 = [p for p in BAD_POINTS if len(p) == 32]
SCALARS_32 = [s for s in BAD_SCALARS if len(s) == 32]
# Share layout (escrow._shares): index (1) ‖ D (32) ‖ A (32) ‖ B (32) ‖ z (32).
FIELDS = {"D": 1, "A": 33, "B": 65, "z": 97}


def _request_and_batches() -> tuple[UnsealRequest, list[ShareBatch]]:
    w = world()
    env = seal(w.directory.get_key(FIRST_EPOCH), visit(1), b"secret", pad_to=64)
    warrant = approved_warrant(w)
    request = UnsealRequest(warrant.warrant_id, ((env, visit(1)),))
    batches = [
        answer_warrant(warrant, request, store=s, directory=w.directory, now=NOW)
        for s in w.stores[:4]
    ]
    return request, batches


def _with_share(batch: ShareBatch, share: bytes, store: ShareStore) -> ShareBatch:
    # A batch properly signed by its custodian whose one share is replaced: only the
    # share's own check can catch it.
    body = cbor.decode(batch.body)
    assert isinstance(body, dict)
    body["shares"][0][1] = share
    raw = cbor.encode(body)
    return ShareBatch.from_bytes(
        cbor.encode({"body": raw, "sig": store.key.sign(SHARES_CONTEXT + raw)})
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("D", p) for p in POINTS_32]
    + [("A", p) for p in POINTS_32]
    + [("B", p) for p in POINTS_32]
    + [("z", s) for s in SCALARS_32],
)
def test_bad_share_fields_are_refused_and_name_the_custodian(field: str, value: bytes) -> None:
    request, batches = _request_and_batches()
    share = bytearray(batches[0].shares[0][1])
    at = FIELDS[field]
    share[at : at + 32] = value
    if field == "D":
        with pytest.raises(InvalidPoint):
            DecryptionShare.from_bytes(bytes(share))
    if field == "z":
        with pytest.raises(InvalidScalar):
            DecryptionShare.from_bytes(bytes(share))
    w = world()
    bad_batch = _with_share(batches[0], bytes(share), w.stores[0])
    # A bad D spoils the combined key and a bad z the share's decoding, so the combiner
    # finds those on its own; a bad A or B leaves D right, and the optimistic combiner opens
    # the record without reading proofs: checking every proof (an auditor) names it.
    found_by_combiner = field in ("D", "z")
    for check_every_proof in (False, True):
        [outcome] = unseal(
            request, [bad_batch, *batches[1:]], w.directory, check_every_proof=check_every_proof
        )
        assert outcome.plaintext() == b"secret"  # the good shares still open it
        assert outcome.result is not None
        if not (found_by_combiner or check_every_proof):
            assert outcome.result.bad == ()
            assert outcome.result.used == (1, 2, 3)
            continue
        [bad] = outcome.result.bad
        assert isinstance(bad, BadShare)
        assert (bad.custodian, bad.custodian_did) == (1, w.stores[0].did)
        assert outcome.result.used == (2, 3, 4)


@pytest.mark.parametrize("point", POINTS_32)
@pytest.mark.parametrize("which", ["Y", "Y_1", "Y_5"])
def test_directory_refuses_bad_public_keys(which: str, point: bytes) -> None:
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    target = {"Y": key.Y, "Y_1": key.verification_keys[0], "Y_5": key.verification_keys[4]}
    good = target[which].to_bytes()
    data = w.directory.to_bytes()
    assert data.count(good) == 1
    with pytest.raises(DecodeError):
        EpochKeyDirectory.from_bytes(data.replace(good, point))


def _ceremony(tmp: Path) -> tuple[Roster, list[ShareStore]]:
    stores = [ShareStore.create(tmp / f"{i}", PASS, kdf=KDF_TEST) for i in range(3)]
    return Roster.new([s.did for s in stores], 2, first_epoch=FIRST_EPOCH, epochs=1), stores


@pytest.mark.parametrize("point", POINTS_32)
def test_ceremony_commitments_must_be_valid_points(tmp_path: Path, point: bytes) -> None:
    roster, stores = _ceremony(tmp_path)
    poly = [random_scalar(), random_scalar()]
    commitments = poly_commit(poly)
    honest = _build_deal(
        roster, stores[2].key, 3, [commitments], [[poly_eval(poly, m)] for m in (1, 2, 3)]
    )
    # Dealer 3 signs a deal whose second commitment is a bad point.
    outer = cbor.decode(honest)
    assert isinstance(outer, dict)
    body = cbor.decode(outer["body"])
    assert isinstance(body, dict)
    body["commitments"][0][1] = point
    raw = cbor.encode(body)
    cheat = cbor.encode({"body": raw, "sig": stores[2].key.sign(DEAL_CONTEXT + raw)})
    deals = [deal(roster, s.key) for s in stores[:2]] + [cheat]
    with pytest.raises(DealerMisbehaved) as info:
        finalize(roster, deals, stores[0], PASS)
    assert (info.value.dealer, info.value.dealer_did) == (3, stores[2].did)


@pytest.mark.parametrize("scalar", SCALARS_32)
def test_share_box_refuses_zero_and_non_canonical_scalars(tmp_path: Path, scalar: bytes) -> None:
    roster, stores = _ceremony(tmp_path)
    poly = [random_scalar(), random_scalar()]
    shares = [[poly_eval(poly, m)] for m in (1, 2, 3)]
    shares[0] = [Scalar(scalar)]  # the internal constructor: no check, as a cheater would
    cheat = _build_deal(roster, stores[2].key, 3, [poly_commit(poly)], shares)
    deals = [deal(roster, s.key) for s in stores[:2]] + [cheat]
    with pytest.raises(DealerMisbehaved) as info:
        finalize(roster, deals, stores[0], PASS)
    assert (info.value.dealer, info.value.dealer_did) == (3, stores[2].did)


@pytest.mark.parametrize("scalar", SCALARS_32)
def test_store_refuses_a_bad_share_scalar(tmp_path: Path, scalar: bytes) -> None:
    path = tmp_path / "c.store"
    store = ShareStore.create(path, PASS, kdf=KDF_TEST)
    content = cbor.encode(
        {"v": 1, "seed": store.key.seed(), "shares": [[FIRST_EPOCH, 1, b"\x01" * 16, scalar]]}
    )
    path.write_bytes(
        encrypt_secret(content, PASS, kind=STORE_KIND, kdf=KDF_TEST, public={"did": store.did})
    )
    with pytest.raises(StoreError):
        ShareStore.load(path, PASS)


def _t_variants(t: bytes) -> list[bytes]:
    # T shifted by each torsion point of order 2, 4 and 8 (same prime-order part, so the
    # equation z·G = T + c·R would hold up to torsion), and T replaced by non-canonical or
    # small-order encodings.
    shifted = [nb.crypto_core_ed25519_add(t, s) for s in SMALL_ORDER[1:]]
    # The non-canonical encoding of T's own y when it has one (y < 19): y + p.
    y = int.from_bytes(t, "little") & ((1 << 255) - 1)
    own = [((y + 2**255 - 19) | (t[31] >> 7 << 255)).to_bytes(32, "little")] if y < 19 else []
    return shifted + own + NON_CANONICAL + SMALL_ORDER


def test_envelope_proof_refuses_t_shifted_by_torsion_or_non_canonical() -> None:
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    env = seal(key, visit(1), b"x", pad_to=64)
    check_envelope_proof(env, key, visit(1))
    data = env.to_bytes()
    # Envelope layout (escrow._envelope): T is bytes 38..70.
    assert data[38:70] == env.T
    for t in _t_variants(env.T):
        forged = Envelope.from_bytes(data[:38] + t + data[70:])
        with pytest.raises(EnvelopeProofFailed):
            check_envelope_proof(forged, key, visit(1))
