"""Seal and the two envelope checks (DESIGN.md "Escrow": Seal; "Validation at the venue" 4).

TDH1-style, label-bound sealing to an epoch key Y:

* r random, R = r·G; a Schnorr proof of knowledge of r bound to (Y, R, label):
  t random, T = t·G, c = SHA-512(T ‖ R ‖ M) mod ℓ with M = POK_DOMAIN ‖ Y ‖ header ‖ label,
  z = t + c·r; the proof is (T, z) and a verifier checks z·G = T + c·R.
* key = HKDF-SHA256(ikm = r·Y, salt = R ‖ Y, info = "anshim/escrow/key/v1" ‖ version ‖ label).
* ciphertext = XChaCha20-Poly1305(key, nonce, pad(plaintext), ad = header ‖ label ‖ R).

Fixed binary layout (version 2); every envelope sealed with one ``pad_to`` has the same size,
``ENVELOPE_OVERHEAD + pad_to`` bytes::

    0   1  version (0x02)        1  1  label kind (0x01 visit, 0x02 trace seed)
    2   4  epoch (u32 BE)        6 32  R
    38 32  T                    70 32  z
    102 24 nonce               126  …  ciphertext (pad_to + 16-byte tag)

Padding is ISO/IEC 7816-4 style: plaintext ‖ 0x80 ‖ 0x00…, unambiguous to remove.

Why the proof is checked with libsodium's Ed25519 verification (``crypto_sign_open``):
an Ed25519 signature (R_sig, S) on M under public key A verifies iff S·B = R_sig + h·A with
h = SHA-512(R_sig ‖ A ‖ M) mod ℓ. Take A = R, R_sig = T, S = z: that is exactly the Schnorr
equation z·G = T + c·R with the Fiat–Shamir challenge c = SHA-512(T ‖ R ‖ M) mod ℓ. So the
proof system is the ordinary Schnorr proof of knowledge of log_G R made non-interactive by
Fiat–Shamir; only the hash input order is fixed by Ed25519. The challenge still covers every
public value (T, R, Y, header, label) and the domain string: M = POK_DOMAIN ‖ Y (32) ‖
header (6) ‖ label, where every part but the last has a fixed length, so M is unambiguous.
libsodium refuses a non-canonical z (≥ ℓ), a small-order or non-canonical R, a small-order T,
and compares the canonical encoding of z·G − c·R byte for byte with T: the proof verifies
exactly when T is that encoding, which forces T into the prime-order subgroup without a
separate point check (tests/escrow/test_equivalence.py checks this equivalence against the
group equation computed explicitly). Version 1 (proof (c, z) over a length-prefixed hash) is
refused: its envelopes carry version byte 0x01.

Who checks R, and how (DESIGN.md "Validation at the venue" step 4, "Group"):

* the venue (:func:`check_envelope_structure`) makes byte checks only: R's y coordinate is
  canonical (below p) and is not the y of one of the eight small-order points (0, 1, −1 and
  the two of order 8; x = 0 only occurs with y = ±1, so a set sign bit on them is caught
  too). No point is decompressed: a venue cannot judge the plaintext anyway, so its check
  only catches broken wallets early;
* a custodian parses the request with the same byte checks (:meth:`Envelope.parse_unchecked`),
  then checks the proof with ``crypto_sign_open``, which refuses a non-canonical,
  small-order or off-curve R, and then multiplies R by its secret with
  ``crypto_scalarmult_ed25519_noclamp``, which refuses R unless it is in the prime-order
  subgroup before multiplying (the four checks of ``crypto_core_ed25519_is_valid_point``).
  So R is fully validated before any share exists, without paying for the validation a
  second time (it costs about one scalar multiplication);
* :meth:`Envelope.from_bytes` validates R in full for every other caller.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import nacl.bindings as _nb
import nacl.exceptions
import nacl.utils
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from escrow._epochkeys import EpochKey
from escrow._group import ORDER, Point, RandomBytes, Scalar, random_scalar
from escrow._labels import LABEL_KINDS, Label
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
    InvalidPoint,
    InvalidScalar,
)

__all__ = [
    "ENVELOPE_OVERHEAD",
    "ENVELOPE_VERSION",
    "Envelope",
    "check_envelope_proof",
    "check_envelope_structure",
    "r_encoding_ok",
    "seal",
]

ENVELOPE_VERSION = 2
_HEADER = 6
_NONCE = 24
_TAG = 16
ENVELOPE_OVERHEAD = _HEADER + 32 * 3 + _NONCE + _TAG  # 142
MAX_PAD = 16 * 1024
POK_DOMAIN = b"anshim/escrow/pok/v2\x00"
KEY_INFO = b"anshim/escrow/key/v1"

EpochKeys = Mapping[int, EpochKey] | Callable[[int], EpochKey | None]


@dataclass(frozen=True, slots=True)
class Envelope:
    """A sealed envelope. Construct with :func:`seal` or :meth:`from_bytes`.

    ``R`` is a validated prime-order point when the envelope comes from :func:`seal` or
    :meth:`from_bytes`; from :meth:`parse_unchecked` (unsealing requests) it has passed the
    byte checks only, and the custodian's libsodium operations validate it (module docstring).
    """

    version: int
    kind: int
    epoch: int
    R: Point
    T: bytes
    z: Scalar
    nonce: bytes
    ciphertext: bytes

    def header(self) -> bytes:
        """The 6-byte header (version, kind, epoch), authenticated as associated data."""
        return struct.pack(">BBI", self.version, self.kind, self.epoch)

    def to_bytes(self) -> bytes:
        """The fixed binary layout (module docstring)."""
        return (
            self.header()
            + self.R.to_bytes()
            + self.T
            + self.z.to_bytes()
            + self.nonce
            + self.ciphertext
        )

    @property
    def envelope_id(self) -> str:
        """Hex SHA-256 of the envelope bytes: the record id warrants and the audit log use."""
        return hashlib.sha256(self.to_bytes()).hexdigest()

    @property
    def padded_size(self) -> int:
        """The ``pad_to`` this envelope was sealed with."""
        return len(self.ciphertext) - _TAG

    @classmethod
    def from_bytes(cls, data: bytes, *, expected_size: int | None = None) -> Envelope:
        """Strictly parse an envelope: size, version, kind, valid point R, canonical z.

        T is not decoded here: :func:`check_envelope_proof` accepts only the one canonical
        prime-order encoding the proof equation determines (module docstring).

        Raises:
            EnvelopeWrongSize, EnvelopeVersionUnsupported, EnvelopeKindUnknown: the bytes.
            EnvelopeBadPoint: R is not a point of the prime-order subgroup.
            EnvelopeBadScalar: z is zero or not canonical.
        """
        env = cls.parse_unchecked(data, expected_size=expected_size)
        try:
            Point.from_bytes(env.R.to_bytes())
        except InvalidPoint as exc:
            raise EnvelopeBadPoint("envelope R is not a valid point") from exc
        return env

    @classmethod
    def parse_unchecked(cls, data: bytes, *, expected_size: int | None = None) -> Envelope:
        """Parse an envelope with byte checks only: R is not decompressed (module docstring).

        For the custodians' and combiner's request decoding, where every use of R by a
        secret runs libsodium's full validation; everyone else calls :meth:`from_bytes`.

        Raises:
            EnvelopeWrongSize, EnvelopeVersionUnsupported, EnvelopeKindUnknown: the bytes.
            EnvelopeBadPoint: R is non-canonical or a small-order encoding.
            EnvelopeBadScalar: z is zero or not canonical.
        """
        if not isinstance(data, (bytes, bytearray)):
            raise EnvelopeWrongSize("envelope must be bytes")
        n = len(data)
        if expected_size is not None and n != expected_size:
            raise EnvelopeWrongSize("envelope has the wrong size")
        if n < ENVELOPE_OVERHEAD + 1 or n > ENVELOPE_OVERHEAD + MAX_PAD:
            raise EnvelopeWrongSize("envelope size out of range")
        data = bytes(data)
        version, kind, epoch = struct.unpack_from(">BBI", data, 0)
        if version != ENVELOPE_VERSION:
            raise EnvelopeVersionUnsupported("unsupported envelope version")
        if kind not in LABEL_KINDS:
            raise EnvelopeKindUnknown("unknown envelope kind")
        r_bytes = data[6:38]
        if not r_encoding_ok(r_bytes):
            raise EnvelopeBadPoint("envelope R is non-canonical or of small order")
        try:
            z = Scalar.from_bytes(data[70:102])
        except InvalidScalar as exc:
            raise EnvelopeBadScalar("envelope proof scalar invalid") from exc
        return cls(version, kind, epoch, Point(r_bytes), data[38:70], z, data[102:126], data[126:])


# The field prime p = 2^255 − 19 and the y coordinates of edwards25519's eight small-order
# points (RFC 8032 §5.1: −x² + y² = 1 + d·x²·y², d = −121665/121666). The identity has
# y = 1, the point of order 2 y = −1, those of order 4 y = 0 (x = ±√−1). A point P of
# order 8 doubles to one of order 4, so y(2P) = (y² + x²)/(2 + x² − y²) = 0, i.e.
# x² = −y²; on the curve that gives d·y⁴ + 2y² − 1 = 0, y² = (−1 ± √(1 + d))/d, and the
# root for which y² (and so −y² = x²) is a square gives the two y values ±y₈.
_P = 2**255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _sqrt(a: int) -> int | None:
    # A square root mod p (p ≡ 5 mod 8): a^((p+3)/8), times √−1 if that squares to −a.
    r = pow(a, (_P + 3) // 8, _P)
    if r * r % _P == a % _P:
        return r
    r = r * _SQRT_M1 % _P
    return r if r * r % _P == a % _P else None


def _order8_y() -> int:
    root = _sqrt(1 + _D)
    if root is None:  # pragma: no cover - 1 + d is a square for edwards25519
        raise RuntimeError("1 + d has no square root")
    inv_d = pow(_D, _P - 2, _P)
    for sign in (1, -1):
        y2 = (-1 + sign * root) * inv_d % _P
        y = _sqrt(y2)
        if y is not None and _sqrt(-y2 % _P) is not None:
            return y
    raise RuntimeError("no order-8 point found")  # pragma: no cover - one root works


_Y8 = _order8_y()
#: The y coordinates of the small-order points (canonical values; y ≥ p is refused anyway).
SMALL_ORDER_Y = frozenset({0, 1, _P - 1, _Y8, _P - _Y8})
_Y_MASK = (1 << 255) - 1


def r_encoding_ok(r: bytes) -> bool:
    """Whether 32 bytes are a canonical encoding of no small-order point (module docstring).

    Byte checks only: y below p, and y none of :data:`SMALL_ORDER_Y`. An encoding that is
    off the curve or of mixed order passes; custodians refuse those.
    """
    y = int.from_bytes(r, "little") & _Y_MASK
    return y < _P and y not in SMALL_ORDER_Y


def _pok_message(y: Point, header: bytes, label: bytes) -> bytes:
    # M = POK_DOMAIN ‖ Y ‖ header ‖ label (module docstring); only the label varies in length.
    return POK_DOMAIN + y.to_bytes() + header + label


def _pok_challenge(t_point: bytes, r_point: Point, message: bytes) -> Scalar:
    # c = SHA-512(T ‖ R ‖ M) mod ℓ: the challenge Ed25519 verification recomputes.
    return Scalar.reduce64(hashlib.sha512(t_point + r_point.to_bytes() + message).digest())


def derive_key(shared: Point, r_point: Point, y: Point, version: int, label: bytes) -> bytes:
    """HKDF-SHA256(ikm = r·Y, salt = R ‖ Y, info = KEY_INFO ‖ version ‖ label), 32 bytes."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=r_point.to_bytes() + y.to_bytes(),
        info=KEY_INFO + bytes((version,)) + label,
    ).derive(shared.to_bytes())


def _pad(plaintext: bytes, pad_to: int) -> bytes:
    if isinstance(pad_to, bool) or not isinstance(pad_to, int) or not 1 <= pad_to <= MAX_PAD:
        raise InvalidLabel(f"pad_to must be an int in [1, {MAX_PAD}]")
    if not isinstance(plaintext, (bytes, bytearray)) or len(plaintext) + 1 > pad_to:
        raise InvalidLabel("plaintext does not fit in pad_to (one byte is needed for padding)")
    return bytes(plaintext) + b"\x80" + bytes(pad_to - len(plaintext) - 1)


def _unpad(padded: bytes) -> bytes:
    stripped = padded.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80:
        raise DecryptionFailed("bad padding")
    return stripped[:-1]


def _check_label_matches(header_kind: int, epoch: int, label: Label) -> None:
    if header_kind != label.KIND or label.epoch != epoch:
        raise EnvelopeProofFailed("label kind or epoch does not match the envelope")


def seal(
    epoch_key: EpochKey,
    label: Label,
    plaintext: bytes,
    *,
    pad_to: int,
    _rng: RandomBytes | None = None,
) -> Envelope:
    """Seal ``plaintext`` to ``epoch_key`` under ``label``, padded to ``pad_to`` bytes.

    ``_rng`` exists for the known-answer tests only (:mod:`escrow._kat`); never pass it.

    Raises:
        InvalidLabel: if the label's epoch is not the key's epoch, the label is of an
            unknown type, or the plaintext does not fit in ``pad_to`` − 1 bytes.
    """
    if not isinstance(label, tuple(LABEL_KINDS.values())):
        raise InvalidLabel("label must be a VisitLabel or TraceSeedLabel")
    if label.epoch != epoch_key.epoch:
        raise InvalidLabel("label epoch differs from the epoch key's epoch")
    padded = _pad(plaintext, pad_to)
    label_bytes = label.to_bytes()
    y = epoch_key.Y
    header = struct.pack(">BBI", ENVELOPE_VERSION, label.KIND, label.epoch)
    r = random_scalar(_rng=_rng)
    r_point = Point.base_mul(r)
    t = random_scalar(_rng=_rng)
    t_point = Point.base_mul(t).to_bytes()
    c = _pok_challenge(t_point, r_point, _pok_message(y, header, label_bytes))
    z = t + c * r
    key = derive_key(y.mul(r), r_point, y, ENVELOPE_VERSION, label_bytes)
    nonce = (_rng or nacl.utils.random)(_NONCE)
    ciphertext = _nb.crypto_aead_xchacha20poly1305_ietf_encrypt(
        padded, header + label_bytes + r_point.to_bytes(), nonce, key
    )
    return Envelope(
        ENVELOPE_VERSION, label.KIND, label.epoch, r_point, t_point, z, nonce, ciphertext
    )


def _lookup(epoch_keys: EpochKeys, epoch: int) -> EpochKey | None:
    if isinstance(epoch_keys, Mapping):
        return epoch_keys.get(epoch)
    return epoch_keys(epoch)


def check_envelope_structure(
    data: bytes,
    *,
    epoch_keys: EpochKeys,
    expected_epoch: int,
    expected_size: int,
) -> None:
    """The venue's structural check, by byte checks only (DESIGN.md "Validation at the
    venue", step 4).

    Checks, in order: the fixed envelope size, version and kind, epoch = the visit's day,
    that epoch's key is published, R canonical and not a small-order encoding (no point
    decompression), the proof's z a canonical non-zero scalar. It does not check the proof
    (that needs the label) nor that R is in the prime-order subgroup: both are the
    custodians' checks, made before any share touches R (module docstring).

    Raises:
        EnvelopeWrongSize: not bytes of ``expected_size`` (or a size no pad allows).
        EnvelopeVersionUnsupported: a version other than 2.
        EnvelopeKindUnknown: neither a visit nor a trace-seed envelope.
        EnvelopeWrongEpoch: sealed to another epoch than ``expected_epoch``.
        EnvelopeEpochUnknown: ``epoch_keys`` has no key for the epoch.
        EnvelopeBadPoint: R is non-canonical or a small-order encoding.
        EnvelopeBadScalar: z is zero or not canonical.
    """
    if not isinstance(data, (bytes, bytearray)) or len(data) != expected_size:
        raise EnvelopeWrongSize("envelope has the wrong size")
    if not ENVELOPE_OVERHEAD < expected_size <= ENVELOPE_OVERHEAD + MAX_PAD:
        raise EnvelopeWrongSize("envelope size out of range")
    if data[0] != ENVELOPE_VERSION:
        raise EnvelopeVersionUnsupported("unsupported envelope version")
    if data[1] not in LABEL_KINDS:
        raise EnvelopeKindUnknown("unknown envelope kind")
    epoch = int.from_bytes(data[2:6], "big")
    if epoch != expected_epoch:
        raise EnvelopeWrongEpoch("envelope epoch is not the visit's day")
    if _lookup(epoch_keys, epoch) is None:
        raise EnvelopeEpochUnknown("no published key for that epoch")
    if not r_encoding_ok(data[6:38]):
        raise EnvelopeBadPoint("envelope R is non-canonical or of small order")
    # z canonical (below the group order, as Scalar.from_bytes requires) and not zero: an
    # int comparison, no scalar object and no reduction.
    if not 0 < int.from_bytes(data[70:102], "little") < ORDER:
        raise EnvelopeBadScalar("envelope proof scalar invalid")


def check_envelope_proof(envelope: Envelope, epoch_key: EpochKey, label: Label) -> None:
    """The custodians' check: the proof of knowledge of r against (Y, R, label).

    An envelope whose R was moved under another label fails here. libsodium's verification
    also refuses an R that is non-canonical, of small order or off the curve; the subgroup
    check follows in the custodian's scalar multiplication (module docstring).

    Raises:
        EnvelopeProofFailed: if the label's kind or epoch, or the key's epoch, differ from
            the envelope's, or the proof does not verify.
    """
    if epoch_key.epoch != envelope.epoch:
        raise EnvelopeProofFailed("epoch key is for another epoch")
    _check_label_matches(envelope.kind, envelope.epoch, label)
    message = _pok_message(epoch_key.Y, envelope.header(), label.to_bytes())
    # z·G = T + c·R with c = SHA-512(T ‖ R ‖ M) mod ℓ, checked as an Ed25519 signature
    # (T ‖ z) on M under the public key R (module docstring).
    try:
        _nb.crypto_sign_open(envelope.T + envelope.z.to_bytes() + message, envelope.R.to_bytes())
    except nacl.exceptions.CryptoError as exc:
        raise EnvelopeProofFailed(
            "envelope proof of knowledge does not verify for this label"
        ) from exc


def open_with_point(envelope: Envelope, epoch_key: EpochKey, label: Label, shared: Point) -> bytes:
    """Decrypt with the combined point r·Y (the combiner's last step) and remove padding.

    Raises:
        DecryptionFailed: if the AEAD refuses (wrong point, wrong label, tampering) or the
            padding is malformed.
    """
    label_bytes = label.to_bytes()
    key = derive_key(shared, envelope.R, epoch_key.Y, envelope.version, label_bytes)
    try:
        padded = _nb.crypto_aead_xchacha20poly1305_ietf_decrypt(
            envelope.ciphertext,
            envelope.header() + label_bytes + envelope.R.to_bytes(),
            envelope.nonce,
            key,
        )
    except nacl.exceptions.CryptoError as exc:
        raise DecryptionFailed("envelope does not decrypt") from exc
    return _unpad(bytes(padded))
