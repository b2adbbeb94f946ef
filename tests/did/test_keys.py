"""Ed25519/X25519 keys: RFC 8032 section 7.1 test vectors (typed from the RFC text) and
the key encodings did/keys.py offers."""

from __future__ import annotations

import pickle

import pytest

from did import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
    X25519PrivateKey,
    X25519PublicKey,
    b64url_encode,
    public_key_from_jwk,
    public_key_from_multikey,
)
from did.errors import InvalidKey, InvalidSignature

# RFC 8032 section 7.1: (secret key, public key, message, signature), all hex.
RFC8032 = {
    "TEST 1": (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    "TEST 2": (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    "TEST 3": (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
        "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
    "TEST SHA(abc)": (
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
        "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    ),
}


@pytest.mark.parametrize("name", list(RFC8032))
def test_rfc8032_section_7_1_vectors(name: str) -> None:
    secret, public, message, signature = (bytes.fromhex(v) for v in RFC8032[name])
    sk = Ed25519PrivateKey.from_seed(secret)
    assert sk.public_key.to_bytes() == public
    assert sk.sign(message) == signature
    pk = Ed25519PublicKey.from_bytes(public)
    pk.verify(signature, message)
    tampered = bytearray(signature)
    tampered[0] ^= 1
    with pytest.raises(InvalidSignature):
        pk.verify(bytes(tampered), message)
    with pytest.raises(InvalidSignature):
        pk.verify(signature, message + b"\x00")
    with pytest.raises(InvalidSignature):
        pk.verify(signature[:63], message)


def test_multikey_and_jwk_round_trips() -> None:
    sk = Ed25519PrivateKey.generate()
    pk = sk.public_key
    assert Ed25519PublicKey.from_multikey(pk.to_multikey()) == pk
    assert Ed25519PublicKey.from_jwk(pk.to_jwk()) == pk
    assert Ed25519PrivateKey.from_multikey(sk.to_multikey()).public_key == pk
    assert Ed25519PrivateKey.from_jwk(sk.to_jwk()).public_key == pk
    xk = sk.to_x25519()
    assert X25519PublicKey.from_multikey(xk.public_key.to_multikey()) == xk.public_key
    assert X25519PublicKey.from_jwk(xk.public_key.to_jwk()) == xk.public_key
    assert pk.to_x25519() == xk.public_key
    assert public_key_from_multikey(pk.to_multikey()) == pk
    assert public_key_from_jwk(xk.public_key.to_jwk()) == xk.public_key


def test_x25519_exchange_agrees() -> None:
    a, b = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    assert a.exchange(b.public_key) == b.exchange(a.public_key)
    with pytest.raises(InvalidKey):
        a.exchange(X25519PublicKey(bytes(32)))  # low-order point


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "EC", "crv": "Ed25519", "x": b64url_encode(bytes(32))},
        {"kty": "OKP", "crv": "Ed448", "x": b64url_encode(bytes(57))},
        {"kty": "OKP", "crv": "Ed25519"},
        {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(bytes(31))},
        {"kty": "OKP", "crv": "Ed25519", "x": "not base64!"},
        {"kty": "OKP", "crv": "Ed25519", "x": 5},
    ],
)
def test_bad_jwks_refused(jwk: dict[str, object]) -> None:
    with pytest.raises(InvalidKey):
        public_key_from_jwk(jwk)


def test_private_jwk_with_mismatched_x_refused() -> None:
    jwk = Ed25519PrivateKey.generate().to_jwk()
    jwk["x"] = Ed25519PrivateKey.generate().public_key.to_jwk()["x"]
    with pytest.raises(InvalidKey):
        Ed25519PrivateKey.from_jwk(jwk)


def test_wrong_lengths_and_types_refused() -> None:
    for bad in (b"", bytes(31), bytes(33), "00" * 32, None):
        with pytest.raises(InvalidKey):
            Ed25519PublicKey.from_bytes(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidKey):
            Ed25519PrivateKey.from_seed(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidKey):
            X25519PrivateKey.from_bytes(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidKey):
        Ed25519PublicKey.from_multikey(X25519PrivateKey.generate().public_key.to_multikey())


def test_private_keys_never_show_their_secret() -> None:
    seed = bytes(range(32))
    sk = Ed25519PrivateKey.from_seed(seed)
    xsk = sk.to_x25519()
    secrets = [
        seed.hex(),
        b64url_encode(seed),
        sk.to_multikey(),
        xsk.to_bytes().hex(),
        xsk.to_multikey(),
    ]
    for text in (repr(sk), str(sk), repr(xsk), str(xsk), f"{sk}", f"{xsk!r}"):
        for secret in secrets:
            assert secret not in text
    assert sk.public_key.to_multikey() in repr(sk)
    with pytest.raises(TypeError):
        pickle.dumps(sk)
    with pytest.raises(TypeError):
        pickle.dumps(xsk)
