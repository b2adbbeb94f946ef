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
separate point check (tests/test_escrow_equivalence.py checks this equivalence against the
group equation computed explicitly). Version 1 (proof (c, z) over a length-prefixed hash) is
refused: its envelopes carry version byte 0x01.
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
from escrow._labels import LABEL_KINDS, Label
from escrow.errors import (
    DecryptionFailed,
    EnvelopeError,
    InvalidLabel,
    InvalidPoint,
    InvalidScalar,
    ProofError,
)
from escrow.group import Point, RandomBytes, Scalar, random_scalar

__all__ = [
    "ENVELOPE_OVERHEAD",
    "ENVELOPE_VERSION",
    "Envelope",
    "check_envelope_proof",
    "check_envelope_structure",
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
    """A sealed envelope. Construct with :func:`seal` or :meth:`from_bytes`."""

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
            EnvelopeError: with code ``envelopeSize``, ``envelopeVersion``, ``envelopeKind``,
                ``envelopePoint`` or ``envelopeScalar``.
        """
        if not isinstance(data, (bytes, bytearray)):
            raise EnvelopeError("envelope must be bytes", code="envelopeSize")
        n = len(data)
        if expected_size is not None and n != expected_size:
            raise EnvelopeError("envelope has the wrong size", code="envelopeSize")
        if n < ENVELOPE_OVERHEAD + 1 or n > ENVELOPE_OVERHEAD + MAX_PAD:
            raise EnvelopeError("envelope size out of range", code="envelopeSize")
        data = bytes(data)
        version, kind, epoch = struct.unpack_from(">BBI", data, 0)
        if version != ENVELOPE_VERSION:
            raise EnvelopeError("unsupported envelope version", code="envelopeVersion")
        if kind not in LABEL_KINDS:
            raise EnvelopeError("unknown envelope kind", code="envelopeKind")
        try:
            r_point = Point.from_bytes(data[6:38])
        except InvalidPoint as exc:
            raise EnvelopeError("envelope R is not a valid point", code="envelopePoint") from exc
        try:
            z = Scalar.from_bytes(data[70:102])
        except InvalidScalar as exc:
            raise EnvelopeError("envelope proof scalar invalid", code="envelopeScalar") from exc
        return cls(version, kind, epoch, r_point, data[38:70], z, data[102:126], data[126:])


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
        raise ProofError("label kind or epoch does not match the envelope")


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
) -> Envelope:
    """The venue's fast structural check (DESIGN.md "Validation at the venue", step 4).

    Checks, in order: size (the fixed envelope size), version and kind, epoch = the
    visit's day, that epoch's key is published, R is a valid prime-order point and the
    proof's z is a canonical non-zero scalar. It does not check the proof (that needs the
    label); T is only constrained by the proof (module docstring).

    Raises:
        EnvelopeError: with a stable code: ``envelopeSize``, ``envelopeVersion``,
            ``envelopeKind``, ``envelopeEpoch``, ``envelopeUnknownEpoch``,
            ``envelopePoint`` or ``envelopeScalar``.
    """
    if not isinstance(data, (bytes, bytearray)) or len(data) != expected_size:
        raise EnvelopeError("envelope has the wrong size", code="envelopeSize")
    if len(data) >= _HEADER:
        version, _kind, epoch = struct.unpack_from(">BBI", data, 0)
        if version == ENVELOPE_VERSION and epoch != expected_epoch:
            raise EnvelopeError("envelope epoch is not the visit's day", code="envelopeEpoch")
        if version == ENVELOPE_VERSION and _lookup(epoch_keys, epoch) is None:
            raise EnvelopeError("no published key for that epoch", code="envelopeUnknownEpoch")
    return Envelope.from_bytes(data, expected_size=expected_size)


def check_envelope_proof(envelope: Envelope, epoch_key: EpochKey, label: Label) -> None:
    """The custodians' full check: the proof of knowledge of r against (Y, R, label).

    An envelope whose R was moved under another label fails here.

    Raises:
        ProofError: if the label's kind or epoch, or the key's epoch, differ from the
            envelope's, or the proof does not verify.
    """
    if epoch_key.epoch != envelope.epoch:
        raise ProofError("epoch key is for another epoch")
    _check_label_matches(envelope.kind, envelope.epoch, label)
    message = _pok_message(epoch_key.Y, envelope.header(), label.to_bytes())
    # z·G = T + c·R with c = SHA-512(T ‖ R ‖ M) mod ℓ, checked as an Ed25519 signature
    # (T ‖ z) on M under the public key R (module docstring).
    try:
        _nb.crypto_sign_open(envelope.T + envelope.z.to_bytes() + message, envelope.R.to_bytes())
    except nacl.exceptions.CryptoError as exc:
        raise ProofError("envelope proof of knowledge does not verify for this label") from exc


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
