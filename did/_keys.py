"""Ed25519 and X25519 keys: raw bytes, Multikey, JWK (OKP).

Signing and verification go through libsodium (PyNaCl). Verification raises
:class:`~did.errors.InvalidSignature`; it never returns a bool. Private keys never appear
in ``repr`` or ``str``.

Quick start::

    from did._keys import Ed25519PrivateKey
    sk = Ed25519PrivateKey.generate()
    sig = sk.sign(b"hello")
    sk.public_key.verify(sig, b"hello")          # raises InvalidSignature if wrong
    sk.public_key.to_multikey()                  # 'z6Mk...'
    sk.to_x25519().public_key.to_multikey()      # 'z6LS...'
"""

from __future__ import annotations

import hmac
from typing import Any

import nacl.bindings as _nb
import nacl.exceptions
import nacl.public
import nacl.utils

from did._multibase import (
    ED25519_PRIV,
    ED25519_PUB,
    X25519_PRIV,
    X25519_PUB,
    b64url_decode,
    b64url_encode,
    multibase_decode,
    multibase_encode,
)
from did.errors import DecodeError, InvalidKey, InvalidSignature

__all__ = [
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "X25519PrivateKey",
    "X25519PublicKey",
    "public_key_from_jwk",
    "public_key_from_multikey",
]

_KEY_LEN = 32
_SIG_LEN = 64


def _require_bytes(value: object, length: int, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise InvalidKey(f"{what} must be bytes")
    data = bytes(value)
    if len(data) != length:
        raise InvalidKey(f"{what} must be {length} bytes, got {len(data)}")
    return data


class Ed25519PublicKey:
    """An Ed25519 public key (RFC 8032).

    Construct with :meth:`from_bytes`, :meth:`from_multikey` or :meth:`from_jwk`.
    """

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        # 32 bytes; the point itself is judged by libsodium when a signature is verified
        # (canonical encoding, not of small order).
        self._raw = _require_bytes(raw, _KEY_LEN, "Ed25519 public key")

    @classmethod
    def from_bytes(cls, raw: bytes) -> Ed25519PublicKey:
        """Load 32 raw bytes. Raises :class:`InvalidKey` on wrong type or length."""
        return cls(raw)

    @classmethod
    def from_multikey(cls, value: str) -> Ed25519PublicKey:
        """Load a Multikey ``publicKeyMultibase`` (``z6Mk…``).

        Raises:
            InvalidKey: if the value is not an Ed25519 public Multikey.
        """
        key = public_key_from_multikey(value)
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidKey("Multikey is not an Ed25519 public key")
        return key

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> Ed25519PublicKey:
        """Load an OKP JWK with ``crv`` ``Ed25519`` (RFC 8037). Raises :class:`InvalidKey`."""
        key = public_key_from_jwk(jwk)
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidKey("JWK is not an Ed25519 public key")
        return key

    def to_bytes(self) -> bytes:
        """The 32 raw public-key bytes."""
        return self._raw

    def to_multikey(self) -> str:
        """The Multikey ``publicKeyMultibase`` value (base58btc of 0xed01 ‖ key)."""
        return multibase_encode(ED25519_PUB + self._raw)

    def to_jwk(self) -> dict[str, str]:
        """The public OKP JWK (RFC 8037 section 2)."""
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(self._raw)}

    def to_x25519(self) -> X25519PublicKey:
        """The birationally equivalent X25519 public key (as did:key derives keyAgreement).

        Raises:
            InvalidKey: if the point cannot be converted (small order, not on the curve).
        """
        try:
            return X25519PublicKey(_nb.crypto_sign_ed25519_pk_to_curve25519(self._raw))
        except (nacl.exceptions.CryptoError, ValueError, RuntimeError) as exc:
            raise InvalidKey("Ed25519 public key cannot be converted to X25519") from exc

    def verify(self, signature: bytes, message: bytes) -> None:
        """Verify an Ed25519 signature over ``message``.

        Raises:
            InvalidSignature: if the signature is malformed or does not verify.
        """
        if not isinstance(signature, (bytes, bytearray)) or len(signature) != _SIG_LEN:
            raise InvalidSignature("Ed25519 signature must be 64 bytes")
        try:
            # crypto_sign_open takes the signature followed by the message.
            _nb.crypto_sign_open(bytes(signature) + message, self._raw)
        except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError) as exc:
            raise InvalidSignature("Ed25519 signature does not verify") from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ed25519PublicKey) and hmac.compare_digest(self._raw, other._raw)

    def __hash__(self) -> int:
        return hash((Ed25519PublicKey, self._raw))

    def __repr__(self) -> str:
        return f"Ed25519PublicKey({self.to_multikey()!r})"


class Ed25519PrivateKey:
    """An Ed25519 signing key. Its secret never appears in ``repr``.

    Construct with :meth:`generate` or :meth:`from_seed`.
    """

    __slots__ = ("_pub", "_sk")

    def __init__(self, seed: bytes) -> None:
        seed = _require_bytes(seed, _KEY_LEN, "Ed25519 seed")
        # libsodium's secret key is the seed followed by the public key (RFC 8032 5.1.5);
        # keeping it signs with one binding call and no wrapper objects (a venue signs a
        # receipt per check-in).
        public, self._sk = _nb.crypto_sign_seed_keypair(seed)
        self._pub = Ed25519PublicKey(public)

    @classmethod
    def generate(cls) -> Ed25519PrivateKey:
        """A fresh key from the operating system's CSPRNG (libsodium ``randombytes``)."""
        return cls(nacl.utils.random(_KEY_LEN))

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519PrivateKey:
        """The key for a 32-byte RFC 8032 seed. Raises :class:`InvalidKey`."""
        return cls(seed)

    @classmethod
    def from_multikey(cls, value: str) -> Ed25519PrivateKey:
        """Load a ``secretKeyMultibase`` (base58btc of 0x8026 ‖ seed).

        Raises:
            InvalidKey: on bad multibase, another multicodec, or a wrong length.
        """
        try:
            data = multibase_decode(value)
        except DecodeError as exc:
            raise InvalidKey("invalid secretKeyMultibase") from exc
        if data[:2] != ED25519_PRIV:
            raise InvalidKey("secretKeyMultibase is not an Ed25519 private key")
        return cls(data[2:])

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> Ed25519PrivateKey:
        """Load a private OKP JWK (``d`` present); checks that ``x`` matches.

        Raises:
            InvalidKey: on another key type, a missing or malformed ``d``, or a mismatched ``x``.
        """
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise InvalidKey("JWK is not an Ed25519 OKP key")
        d = jwk.get("d")
        if not isinstance(d, str):
            raise InvalidKey("JWK has no private part 'd'")
        try:
            key = cls(b64url_decode(d))
        except DecodeError as exc:
            raise InvalidKey("JWK 'd' is not base64url") from exc
        if "x" in jwk and jwk["x"] != key.public_key.to_jwk()["x"]:
            raise InvalidKey("JWK 'x' does not match its private key")
        return key

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The matching public key."""
        return self._pub

    def seed(self) -> bytes:
        """The 32-byte secret seed. Handle with care: this is the private key."""
        return self._sk[:_KEY_LEN]

    def to_multikey(self) -> str:
        """The ``secretKeyMultibase`` value. Handle with care: this is the private key."""
        return multibase_encode(ED25519_PRIV + self.seed())

    def to_jwk(self) -> dict[str, str]:
        """The private OKP JWK. Handle with care: this contains the private key."""
        return {**self._pub.to_jwk(), "d": b64url_encode(self.seed())}

    def sign(self, message: bytes) -> bytes:
        """A 64-byte deterministic Ed25519 signature over ``message``."""
        # crypto_sign returns the signature followed by the message.
        return _nb.crypto_sign(message, self._sk)[:_SIG_LEN]

    def to_x25519(self) -> X25519PrivateKey:
        """The X25519 private key derived as libsodium's ``ed25519_sk_to_curve25519``."""
        return X25519PrivateKey(_nb.crypto_sign_ed25519_sk_to_curve25519(self._sk))

    def __repr__(self) -> str:
        return f"Ed25519PrivateKey(public={self._pub.to_multikey()!r})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("private keys cannot be pickled; use a key file")


class X25519PublicKey:
    """An X25519 key-agreement public key (RFC 7748)."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        self._raw = _require_bytes(raw, _KEY_LEN, "X25519 public key")

    @classmethod
    def from_bytes(cls, raw: bytes) -> X25519PublicKey:
        """Load 32 raw bytes. Raises :class:`InvalidKey`."""
        return cls(raw)

    @classmethod
    def from_multikey(cls, value: str) -> X25519PublicKey:
        """Load a Multikey (``z6LS…``). Raises :class:`InvalidKey`."""
        key = public_key_from_multikey(value)
        if not isinstance(key, X25519PublicKey):
            raise InvalidKey("Multikey is not an X25519 public key")
        return key

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> X25519PublicKey:
        """Load an OKP JWK with ``crv`` ``X25519``. Raises :class:`InvalidKey`."""
        key = public_key_from_jwk(jwk)
        if not isinstance(key, X25519PublicKey):
            raise InvalidKey("JWK is not an X25519 public key")
        return key

    def to_bytes(self) -> bytes:
        """The 32 raw bytes."""
        return self._raw

    def to_multikey(self) -> str:
        """The Multikey value (base58btc of 0xec01 ‖ key)."""
        return multibase_encode(X25519_PUB + self._raw)

    def to_jwk(self) -> dict[str, str]:
        """The public OKP JWK."""
        return {"kty": "OKP", "crv": "X25519", "x": b64url_encode(self._raw)}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X25519PublicKey) and hmac.compare_digest(self._raw, other._raw)

    def __hash__(self) -> int:
        return hash((X25519PublicKey, self._raw))

    def __repr__(self) -> str:
        return f"X25519PublicKey({self.to_multikey()!r})"


class X25519PrivateKey:
    """An X25519 private key. Its secret never appears in ``repr``."""

    __slots__ = ("_pub", "_sk")

    def __init__(self, raw: bytes) -> None:
        raw = _require_bytes(raw, _KEY_LEN, "X25519 private key")
        self._sk = nacl.public.PrivateKey(raw)
        self._pub = X25519PublicKey(bytes(self._sk.public_key))

    @classmethod
    def generate(cls) -> X25519PrivateKey:
        """A fresh random key."""
        return cls(nacl.utils.random(_KEY_LEN))

    @classmethod
    def from_bytes(cls, raw: bytes) -> X25519PrivateKey:
        """Load 32 raw bytes. Raises :class:`InvalidKey`."""
        return cls(raw)

    @property
    def public_key(self) -> X25519PublicKey:
        """The matching public key."""
        return self._pub

    def to_bytes(self) -> bytes:
        """The 32 secret bytes. Handle with care: this is the private key."""
        return bytes(self._sk)

    def to_multikey(self) -> str:
        """The ``secretKeyMultibase`` value. Handle with care."""
        return multibase_encode(X25519_PRIV + self.to_bytes())

    def exchange(self, peer: X25519PublicKey) -> bytes:
        """The raw X25519 shared secret with ``peer``.

        Raises:
            InvalidKey: if the peer key is a low-order point (all-zero shared secret).
        """
        try:
            return _nb.crypto_scalarmult(self.to_bytes(), peer.to_bytes())
        except (nacl.exceptions.CryptoError, RuntimeError) as exc:
            raise InvalidKey("X25519 exchange with a low-order point") from exc

    def nacl_private_key(self) -> nacl.public.PrivateKey:
        """The PyNaCl object, for sealed boxes (``nacl.public.SealedBox``)."""
        return self._sk

    def __repr__(self) -> str:
        return f"X25519PrivateKey(public={self._pub.to_multikey()!r})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("private keys cannot be pickled; use a key file")


def public_key_from_multikey(value: str) -> Ed25519PublicKey | X25519PublicKey:
    """Decode a Multikey ``publicKeyMultibase`` into the key type its multicodec names.

    Raises:
        InvalidKey: on bad multibase, an unknown or unsupported multicodec, or a wrong length.
    """
    try:
        data = multibase_decode(value)
    except DecodeError as exc:
        raise InvalidKey(f"invalid publicKeyMultibase: {exc.message}") from exc
    head, raw = data[:2], data[2:]
    if head == ED25519_PUB:
        return Ed25519PublicKey(raw)
    if head == X25519_PUB:
        return X25519PublicKey(raw)
    raise InvalidKey("unsupported multicodec in publicKeyMultibase")


def public_key_from_jwk(jwk: dict[str, Any]) -> Ed25519PublicKey | X25519PublicKey:
    """Decode a public OKP JWK (RFC 8037) with ``crv`` Ed25519 or X25519.

    Raises:
        InvalidKey: on any other key type, a missing or malformed ``x``, or a wrong length.
            A private part ``d``, if present, is ignored.
    """
    if not isinstance(jwk, dict):
        raise InvalidKey("JWK must be a JSON object")
    if jwk.get("kty") != "OKP":
        raise InvalidKey("JWK kty must be 'OKP'")
    x = jwk.get("x")
    if not isinstance(x, str):
        raise InvalidKey("JWK is missing 'x'")
    try:
        raw = b64url_decode(x)
    except DecodeError as exc:
        raise InvalidKey("JWK 'x' is not base64url") from exc
    crv = jwk.get("crv")
    if crv == "Ed25519":
        return Ed25519PublicKey(raw)
    if crv == "X25519":
        return X25519PublicKey(raw)
    raise InvalidKey("JWK crv must be 'Ed25519' or 'X25519'")
