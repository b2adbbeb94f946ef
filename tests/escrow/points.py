"""Encodings every point and scalar decoder must refuse: small order, non-canonical,
off the curve, mixed order, wrong lengths (libsodium's blocklist for the small-order ones)."""

from __future__ import annotations

import nacl.bindings as nb

from escrow import ORDER, Point, Scalar

P = 2**255 - 19
D = (-121665 * pow(121666, P - 2, P)) % P


def _enc(y: int, sign: int = 0) -> bytes:
    return (y | (sign << 255)).to_bytes(32, "little")


def _off_curve() -> bytes:
    # The first y whose x² = (y² − 1)/(d·y² + 1) is not a square mod p: no point has it.
    y = 2
    while True:
        x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
        if x2 and pow(x2, (P - 1) // 2, P) == P - 1:
            return _enc(y)
        y += 1


# libsodium's small-order list (crypto_core_ed25519 blocklist): orders 1, 2, 4 and 8.
SMALL_ORDER = [
    _enc(1),  # identity (0, 1)
    _enc(P - 1),  # (0, −1), order 2
    _enc(0),  # order 4
    _enc(0, 1),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
]
NON_CANONICAL = [_enc(P), _enc(P + 1), _enc(2**255 - 1)]
G = Point.base_mul(Scalar.from_int(1))
MIXED = nb.crypto_core_ed25519_add(G.to_bytes(), SMALL_ORDER[4])  # G + torsion: not in subgroup
OFF_CURVE = _off_curve()
BAD_POINTS = [*SMALL_ORDER, *NON_CANONICAL, OFF_CURVE, MIXED, b"\x00" * 31, b""]
BAD_SCALARS = [
    bytes(32),  # zero
    ORDER.to_bytes(32, "little"),  # ℓ: non-canonical
    (ORDER + 1).to_bytes(32, "little"),
    (2**256 - 1).to_bytes(32, "little"),
    b"\x01" * 31,
]
