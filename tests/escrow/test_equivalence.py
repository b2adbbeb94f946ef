"""The proofs are checked with libsodium's Ed25519 verification: check it is the same equation.

escrow/_envelope.py and escrow/_shares.py argue that ``crypto_sign_open(T ‖ z ‖ M, P)``
accepts exactly when T is a prime-order point and z·G = T + c·P with c = SHA-512(T ‖ P ‖ M)
mod ℓ. Here both sides are computed independently (the explicit side with libsodium's
group operations only) on valid proofs and on many kinds of invalid ones — random z, random
T, T shifted by every small-order point, swapped halves, wrong secret, wrong message — and
the verdicts must agree; then the same is checked through the public checks
(:func:`escrow.check_envelope_proof`, :func:`escrow.verify_share`).
"""

from __future__ import annotations

import hashlib

import nacl.bindings as nb
import nacl.exceptions
import nacl.utils
import pytest

import escrow
from escrow import (
    DecryptionShare,
    Envelope,
    Point,
    Scalar,
    check_envelope_proof,
    combine,
    random_scalar,
    seal,
    verify_share,
)
from escrow._shares import make_share, share_context, share_from_bytes_or_bad
from escrow.errors import BadShare, EnvelopeProofFailed, InvalidPoint, NotEnoughShares
from tests.escrow.points import BAD_POINTS
from tests.escrow.support import FIRST_EPOCH, visit, world

# The eight small-order points of edwards25519 (identity, order 2, 4, 8), canonical encodings.
SMALL_ORDER = [
    bytes.fromhex("01" + "00" * 31),
    bytes.fromhex("ec" + "ff" * 30 + "7f"),
    bytes(32),
    bytes(31) + b"\x80",
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
]


def _scalar() -> bytes:
    return nb.crypto_core_ed25519_scalar_reduce(nacl.utils.random(64))


def _point() -> bytes:
    return nb.crypto_scalarmult_ed25519_base_noclamp(_scalar())


def _challenge(t: bytes, p: bytes, m: bytes) -> bytes:
    return nb.crypto_core_ed25519_scalar_reduce(hashlib.sha512(t + p + m).digest())


def _explicit(t: bytes, z: bytes, m: bytes, p: bytes) -> bool:
    """T is a prime-order point and z·G = T + c·P, c = SHA-512(T ‖ P ‖ M) mod ℓ."""
    if not nb.crypto_core_ed25519_is_valid_point(t):
        return False
    c = _challenge(t, p, m)
    lhs = nb.crypto_scalarmult_ed25519_base_noclamp(z)
    return lhs == nb.crypto_core_ed25519_add(t, nb.crypto_scalarmult_ed25519_noclamp(c, p))


def _libsodium(t: bytes, z: bytes, m: bytes, p: bytes) -> bool:
    try:
        nb.crypto_sign_open(t + z + m, p)
    except nacl.exceptions.CryptoError:
        return False
    return True


def _cases() -> list[tuple[str, bytes, bytes, bytes, bytes]]:
    """(name, T, z, M, P): valid proofs and many invalid variations of them."""
    out = []
    for n in range(12):
        x, t = _scalar(), _scalar()
        p = nb.crypto_scalarmult_ed25519_base_noclamp(x)
        tp = nb.crypto_scalarmult_ed25519_base_noclamp(t)
        m = b"message %d " % n + nacl.utils.random(n * 7)
        z = nb.crypto_core_ed25519_scalar_add(
            t, nb.crypto_core_ed25519_scalar_mul(_challenge(tp, p, m), x)
        )
        out.append(("valid", tp, z, m, p))
        out.append(("random z", tp, _scalar(), m, p))
        out.append(("random T", _point(), z, m, p))
        out.append(("random bytes as T", nacl.utils.random(32), z, m, p))
        out.append(("other message", tp, z, m + b"!", p))
        out.append(("other key", tp, z, m, _point()))
        out.append(("wrong secret", tp, nb.crypto_core_ed25519_scalar_add(z, x), m, p))
        for k, torsion in enumerate(SMALL_ORDER[1:]):
            # T shifted by a small-order point, with z recomputed for the new challenge:
            # z·G = (T + E) − E + c'·P, so only the torsion component is wrong.
            shifted = nb.crypto_core_ed25519_add(tp, torsion)
            z2 = nb.crypto_core_ed25519_scalar_add(
                t, nb.crypto_core_ed25519_scalar_mul(_challenge(shifted, p, m), x)
            )
            out.append((f"T + small-order point {k}", shifted, z2, m, p))
    return out


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c[0])
def test_libsodium_verdict_equals_the_group_equation(
    case: tuple[str, bytes, bytes, bytes, bytes],
) -> None:
    name, t, z, m, p = case
    assert _libsodium(t, z, m, p) is _explicit(t, z, m, p)
    assert _libsodium(t, z, m, p) is (name == "valid")


@pytest.fixture(scope="module")
def key() -> escrow.EpochKey:
    return world().directory.get_key(FIRST_EPOCH)


def _pok_holds(env: Envelope, key: escrow.EpochKey) -> bool:
    m = escrow._envelope._pok_message(key.Y, env.header(), visit(1).to_bytes())
    return _explicit(env.T, env.z.to_bytes(), m, env.R.to_bytes())


def test_envelope_proof_check_equals_the_group_equation(key: escrow.EpochKey) -> None:
    for n in range(10):
        env = seal(key, visit(1), b"x", pad_to=64)
        variants = [
            env,
            Envelope(*_fields(env, T=Point.base_mul(random_scalar()).to_bytes())),
            Envelope(*_fields(env, z=random_scalar())),
            Envelope(*_fields(env, T=nb.crypto_core_ed25519_add(env.T, SMALL_ORDER[1 + n % 7]))),
        ]
        for i, variant in enumerate(variants):
            holds = _pok_holds(variant, key)
            assert holds is (i == 0)
            if holds:
                check_envelope_proof(variant, key, visit(1))
            else:
                with pytest.raises(EnvelopeProofFailed):
                    check_envelope_proof(variant, key, visit(1))


def _fields(env: Envelope, **change: object) -> list[object]:
    names = ["version", "kind", "epoch", "R", "T", "z", "nonce", "ciphertext"]
    return [change.get(n, getattr(env, n)) for n in names]


def _dleq_holds(share: DecryptionShare, key: escrow.EpochKey, env: Envelope, ctx: bytes) -> bool:
    y_i = key.verification_keys[share.index - 1].to_bytes()
    m = escrow._shares._message(share.index, env.R, share.D, share.B, ctx)
    if not _explicit(share.A, share.z.to_bytes(), m, y_i):
        return False
    # R-side, z·R = B + c·D_i, with B a prime-order point.
    c = _challenge(share.A, y_i, m)
    if not nb.crypto_core_ed25519_is_valid_point(share.B):
        return False
    lhs = nb.crypto_scalarmult_ed25519_noclamp(share.z.to_bytes(), env.R.to_bytes())
    rhs = nb.crypto_core_ed25519_add(
        share.B, nb.crypto_scalarmult_ed25519_noclamp(c, share.D.to_bytes())
    )
    return lhs == rhs


def test_share_check_equals_the_group_equations(key: escrow.EpochKey) -> None:
    w = world()
    x1 = w.stores[0].share(FIRST_EPOCH).x
    for n in range(6):
        env = seal(key, visit(1), b"x", pad_to=64)
        ctx = share_context(bytes(32), env)
        good = make_share(x1, 1, key, env, ctx)
        torsion = SMALL_ORDER[1 + n % 7]
        variants = [
            good,
            DecryptionShare(1, good.D, good.A, good.B, random_scalar()),
            DecryptionShare(1, good.D, good.A, Point.base_mul(random_scalar()).to_bytes(), good.z),
            DecryptionShare(1, good.D, good.A, nb.crypto_core_ed25519_add(good.B, torsion), good.z),
            DecryptionShare(1, good.D, nb.crypto_core_ed25519_add(good.A, torsion), good.B, good.z),
            DecryptionShare(1, Point.base_mul(random_scalar()), good.A, good.B, good.z),
            make_share(x1 + Scalar.from_int(1), 1, key, env, ctx),
            make_share(x1, 1, key, env, share_context(b"\x01" * 32, env)),
        ]
        for i, share in enumerate(variants):
            holds = _dleq_holds(share, key, env, ctx)
            assert holds is (i == 0)
            if holds:
                verify_share(share, key, env, ctx)
            else:
                with pytest.raises(BadShare):
                    verify_share(share, key, env, ctx)


@pytest.mark.parametrize("point", [p for p in BAD_POINTS if len(p) == 32] + SMALL_ORDER)
def test_combiner_refuses_a_share_whose_D_is_not_a_prime_order_point(
    key: escrow.EpochKey, point: bytes
) -> None:
    # The combiner decodes shares without a separate point check on D: verify_share's
    # scalar multiplication must refuse every invalid D, naming the custodian.
    w = world()
    env = seal(key, visit(1), b"x", pad_to=64)
    ctx = share_context(bytes(32), env)
    shares = [make_share(w.stores[i].share(FIRST_EPOCH).x, i + 1, key, env, ctx) for i in range(3)]
    candidates = [point]
    if point in SMALL_ORDER[1:]:  # the true D plus a torsion component
        candidates.append(nb.crypto_core_ed25519_add(shares[1].D.to_bytes(), point))
    for shifted in candidates:
        raw = shares[1].to_bytes()
        raw = raw[:1] + shifted + raw[33:]
        with pytest.raises(InvalidPoint):
            DecryptionShare.from_bytes(raw)
        bad = share_from_bytes_or_bad(raw, 2, key)
        with pytest.raises(BadShare) as info:
            verify_share(bad, key, env, ctx)
        assert info.value.custodian == 2
        with pytest.raises(NotEnoughShares) as many:
            combine(env, key, visit(1), [shares[0], bad, shares[2]], warrant_id=bytes(32))
        assert [b.custodian for b in many.value.bad] == [2]
