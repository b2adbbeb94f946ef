"""The did:key method (W3C CCG did:key v0.9): DIDs that are their own public key.

Quick start::

    from did._didkey import did_from_public_key, did_key_document, public_key_from_did_key
    did = did_from_public_key(sk.public_key)       # 'did:key:z6Mk…'
    public_key_from_did_key(did)                   # Ed25519PublicKey
    did_key_document(did).to_json()                # Multikey form of the DID document
    did_key_document(did, representation="legacy") # Ed25519VerificationKey2018 form

Ed25519 (``z6Mk``) and X25519 (``z6LS``) keys give ``Ed25519PublicKey`` and
``X25519PublicKey``. NIST P-256/P-384/P-521 keys (``zDn``, ``z82``, ``z2J9``) resolve to
DID documents too, but anshim signs with EdDSA only, so :func:`public_key_from_did_key`
refuses them with :class:`UnsupportedPublicKeyType`; :func:`ec_public_key_from_did_key`
returns them as ``cryptography`` keys. Parsing is cached, so resolving a DID again costs a
dictionary look-up.
"""

from __future__ import annotations

import functools
from typing import Any

import base58
import nacl.bindings as _nb
from cryptography.hazmat.primitives.asymmetric import ec

from did._didsyntax import parse_did_url
from did._document import DID_CONTEXT_V1, DidDocument
from did._keys import Ed25519PublicKey, X25519PublicKey
from did._multibase import ED25519_PUB, P256_PUB, X25519_PUB, b64url_encode, multibase_decode
from did.errors import (
    DecodeError,
    InvalidDid,
    InvalidKey,
    MethodNotSupported,
    RepresentationNotSupported,
    UnsupportedPublicKeyType,
)

__all__ = [
    "REPRESENTATIONS",
    "RepresentationNotSupported",
    "UnsupportedPublicKeyType",
    "did_from_public_key",
    "did_key_document",
    "ec_public_key_from_did_key",
    "ed25519_public_key_from_did",
    "public_key_from_did_key",
    "verification_method_id",
]

# How a did:key document can be written: the current Multikey form, the 2018/2019
# suites of the published test vectors, the 2020 suites, and JsonWebKey2020.
REPRESENTATIONS = ("multikey", "legacy", "legacy-2020", "jwk")

_MAX_DID_KEY_CHARS = 256
P384_PUB = b"\x81\x24"  # multicodec 0x1201 p384-pub
P521_PUB = b"\x82\x24"  # multicodec 0x1202 p521-pub

# multicodec prefix -> (name, raw key length); lengths per did:key "Signature Method
# Creation Algorithm" step (compressed SEC1 points for the NIST curves).
_CODECS: dict[bytes, tuple[str, int]] = {
    ED25519_PUB: ("Ed25519", 32),
    X25519_PUB: ("X25519", 32),
    P256_PUB: ("P-256", 33),
    P384_PUB: ("P-384", 49),
    P521_PUB: ("P-521", 67),
}
_EC_CURVES: dict[str, ec.EllipticCurve] = {
    "P-256": ec.SECP256R1(),
    "P-384": ec.SECP384R1(),
    "P-521": ec.SECP521R1(),
}

_CTX_MULTIKEY = "https://w3id.org/security/multikey/v1"
_CTX_ED2018 = "https://w3id.org/security/suites/ed25519-2018/v1"
_CTX_X2019 = "https://w3id.org/security/suites/x25519-2019/v1"
_CTX_ED2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
_CTX_X2020 = "https://w3id.org/security/suites/x25519-2020/v1"
_CTX_JWS2020 = "https://w3id.org/security/suites/jws-2020/v1"
_CTX_MULTIKEY2021 = "https://w3id.org/security/suites/multikey-2021/v1"

_SIGNING_RELATIONSHIPS = (
    "assertionMethod",
    "authentication",
    "capabilityInvocation",
    "capabilityDelegation",
)


def _parse(did: str) -> tuple[str, bytes]:
    """(key type name, raw key bytes) of a did:key, fully validated; cached."""
    if not isinstance(did, str) or len(did) > _MAX_DID_KEY_CHARS:
        raise InvalidDid("not a valid did:key")
    return _parse_cached(did)


@functools.lru_cache(maxsize=8192)
def _parse_cached(did: str) -> tuple[str, bytes]:
    url = parse_did_url(did)  # raises InvalidDid
    if url.did != did:
        raise InvalidDid("a did:key has no path, query or fragment here")
    if url.method != "key":
        raise MethodNotSupported(f"DID method {url.method!r} is not did:key")
    # did:key 3.1: did:key:<mb-value>, where mb-value is base58btc ("z"). An explicit
    # version segment is not accepted.
    msid = url.method_specific_id
    if not msid.startswith("z") or ":" in msid:
        raise InvalidDid("did:key value must be one base58btc multibase value")
    try:
        data = multibase_decode(msid)
    except DecodeError as exc:
        raise InvalidDid("did:key value is not valid base58btc") from exc
    entry = _CODECS.get(data[:2])
    if entry is None:
        raise InvalidDid("did:key names an unknown multicodec key type")
    name, length = entry
    raw = data[2:]
    if len(raw) != length:
        raise InvalidDid(f"did:key {name} key must be {length} bytes (invalidPublicKeyLength)")
    if name == "Ed25519" and not _nb.crypto_core_ed25519_is_valid_point(raw):
        # did:key 3.1.4 step 4 (invalidPublicKey): the point must be canonical, on the
        # curve, in the prime-order subgroup and not of small order.
        raise InvalidDid("did:key Ed25519 key is not a valid curve point")
    if name in _EC_CURVES:
        if raw[0] not in (2, 3):
            raise InvalidDid("did:key NIST keys must be compressed points")
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(_EC_CURVES[name], raw)
        except ValueError as exc:
            raise InvalidDid(f"did:key {name} key is not a point on the curve") from exc
    return name, raw


def public_key_from_did_key(did: str) -> Ed25519PublicKey | X25519PublicKey:
    """The Ed25519 or X25519 public key a did:key encodes.

    Raises:
        InvalidDid: on a malformed did:key, bad multibase, wrong key length, an invalid
            point or an unknown multicodec.
        MethodNotSupported: for a DID of another method.
        UnsupportedPublicKeyType: for a valid NIST-curve did:key.
    """
    if not isinstance(did, str) or len(did) > _MAX_DID_KEY_CHARS:
        raise InvalidDid("not a valid did:key")
    return _key_cached(did)


@functools.lru_cache(maxsize=8192)
def _key_cached(did: str) -> Ed25519PublicKey | X25519PublicKey:
    name, raw = _parse_cached(did)
    if name == "Ed25519":
        return Ed25519PublicKey(raw)
    if name == "X25519":
        return X25519PublicKey(raw)
    raise UnsupportedPublicKeyType(f"did:key {name} keys are not used by anshim")


def ec_public_key_from_did_key(did: str) -> ec.EllipticCurvePublicKey:
    """The NIST-curve public key of a ``zDn…``/``z82…``/``z2J9…`` did:key.

    Raises:
        InvalidDid: on a malformed did:key (as :func:`public_key_from_did_key`).
        MethodNotSupported: for another method.
        UnsupportedPublicKeyType: for an Ed25519 or X25519 did:key.
    """
    name, raw = _parse(did)
    if name not in _EC_CURVES:
        raise UnsupportedPublicKeyType("not a NIST-curve did:key")
    return ec.EllipticCurvePublicKey.from_encoded_point(_EC_CURVES[name], raw)


def did_from_public_key(key: Ed25519PublicKey | X25519PublicKey) -> str:
    """The did:key of an Ed25519 or X25519 public key.

    Raises:
        InvalidKey: for any other object.
    """
    if not isinstance(key, Ed25519PublicKey | X25519PublicKey):
        raise InvalidKey("did:key needs an Ed25519PublicKey or X25519PublicKey")
    return "did:key:" + key.to_multikey()


def ed25519_public_key_from_did(did_or_did_url: str) -> Ed25519PublicKey:
    """The Ed25519 key of a did:key or of its verification-method URL (``did#z6Mk…``).

    Raises:
        InvalidDid: on a malformed did:key, a path or query, or a fragment that is not
            the key's own method id.
        MethodNotSupported: for another DID method.
        InvalidKey: if the did:key holds a key that is not Ed25519.
    """
    if not isinstance(did_or_did_url, str) or len(did_or_did_url) > 2 * _MAX_DID_KEY_CHARS:
        raise InvalidDid("not a valid did:key URL")
    return _ed25519_cached(did_or_did_url)


# An Ed25519 did:key is "did:key:z" and 47 base58btc characters: the 34 bytes 0xed01 ‖ key
# (did:key 3.1) always encode to 47 digits whose first is "6" (so no leading "1" digits).
_ED25519_DID_PREFIX = "did:key:z6Mk"
_ED25519_DID_CHARS = 56
_B58_DIGITS = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_VALUE = {ch: i for i, ch in enumerate(_B58_DIGITS)}
_ED25519_MULTIKEY_BYTES = 34


def _plain_ed25519_raw(did: str) -> bytes | None:
    """The raw key of a plain Ed25519 did:key (no fragment), decoded without the generic
    DID-URL and multibase machinery; ``None`` if ``did`` is not of exactly that form (the
    caller then takes the generic path, which names the error). The point is not checked.

    A 47-digit base58 string without a leading "1" is the one base58btc encoding of its
    value, so this accepts exactly the strings the generic path decodes to 0xed01 ‖ 32
    bytes (tested against the ``base58`` library).
    """
    if len(did) != _ED25519_DID_CHARS or not did.startswith(_ED25519_DID_PREFIX):
        return None
    value = 0
    digits = _B58_VALUE
    try:
        for ch in did[9:]:
            value = value * 58 + digits[ch]
    except KeyError:
        return None
    if value >> (8 * _ED25519_MULTIKEY_BYTES):
        return None
    data = value.to_bytes(_ED25519_MULTIKEY_BYTES, "big")
    if data[:2] != ED25519_PUB:
        return None
    return data[2:]


@functools.lru_cache(maxsize=8192)
def _ed25519_cached(did_or_did_url: str) -> Ed25519PublicKey:
    # Every check-in names a pseudonym the venue has never seen (pairwise per venue and
    # day), so the common form is decoded directly; the point check is the same one.
    raw = _plain_ed25519_raw(did_or_did_url)
    if raw is not None:
        if not _nb.crypto_core_ed25519_is_valid_point(raw):
            # did:key 3.1.4 step 4 (invalidPublicKey), as in _parse_cached.
            raise InvalidDid("did:key Ed25519 key is not a valid curve point")
        return Ed25519PublicKey(raw)
    url = parse_did_url(did_or_did_url)
    if url.method != "key":
        raise MethodNotSupported(f"DID method {url.method!r} is not did:key")
    if url.path or url.query is not None:
        raise InvalidDid("a did:key verification method URL has no path or query")
    # did:key 3.1.2: the Ed25519 method's fragment is the multibase value itself.
    if url.fragment is not None and url.fragment != url.method_specific_id:
        raise InvalidDid("fragment does not name this did:key's verification method")
    key = public_key_from_did_key(url.did)
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidKey("did:key is not an Ed25519 key")
    return key


def verification_method_id(did: str) -> str:
    """``did#<multibase value>``: the id of the did:key's own key (did:key 3.1.2).

    Raises:
        InvalidDid: on a malformed did:key.
        MethodNotSupported: for another method.
    """
    _parse(did)
    return f"{did}#{did[len('did:key:') :]}"


def _b64url_int(value: int, length: int) -> str:
    return b64url_encode(value.to_bytes(length, "big"))


def _method(
    did: str, mbvalue: str, name: str, raw: bytes, representation: str
) -> tuple[str, dict[str, Any]]:
    """(context URL, verification-method map) for one key in one representation."""
    vm: dict[str, Any] = {"id": f"{did}#{mbvalue}", "controller": did}
    if representation == "multikey":
        vm["type"] = "Multikey"
        vm["publicKeyMultibase"] = mbvalue
        return _CTX_MULTIKEY, vm
    if representation == "jwk":
        vm["type"] = "JsonWebKey2020"
        if name in _EC_CURVES:
            point = ec.EllipticCurvePublicKey.from_encoded_point(_EC_CURVES[name], raw)
            numbers = point.public_numbers()
            size = (point.curve.key_size + 7) // 8
            vm["publicKeyJwk"] = {
                "kty": "EC",
                "crv": name,
                "x": _b64url_int(numbers.x, size),
                "y": _b64url_int(numbers.y, size),
            }
        else:
            vm["publicKeyJwk"] = {"kty": "OKP", "crv": name, "x": b64url_encode(raw)}
        return _CTX_JWS2020, vm
    if representation == "legacy":
        legacy = {
            "Ed25519": ("Ed25519VerificationKey2018", _CTX_ED2018),
            "X25519": ("X25519KeyAgreementKey2019", _CTX_X2019),
            "P-256": ("P256Key2021", _CTX_MULTIKEY2021),
        }
        if name not in legacy:
            raise RepresentationNotSupported(f"no legacy representation for {name} keys")
        vm["type"], ctx = legacy[name]
        vm["publicKeyBase58"] = base58.b58encode(raw).decode("ascii")
        return ctx, vm
    if representation == "legacy-2020":
        suites = {
            "Ed25519": ("Ed25519VerificationKey2020", _CTX_ED2020),
            "X25519": ("X25519KeyAgreementKey2020", _CTX_X2020),
        }
        if name not in suites:
            raise RepresentationNotSupported(f"no 2020-suite representation for {name} keys")
        vm["type"], ctx = suites[name]
        vm["publicKeyMultibase"] = mbvalue
        return ctx, vm
    raise RepresentationNotSupported(f"unknown did:key representation {representation!r}")


def did_key_document(did: str, *, representation: str = "multikey") -> DidDocument:
    """The DID document of a did:key (did:key 3.1.1 "Document Creation Algorithm").

    An Ed25519 key gets one signing method (authentication, assertionMethod and both
    capability relationships) and a derived X25519 keyAgreement method; an X25519 key gets
    keyAgreement only; a NIST-curve key gets one method in all five relationships.
    ``representation`` is one of :data:`REPRESENTATIONS`.

    Raises:
        InvalidDid: on a malformed did:key (including an Ed25519 key that has no X25519
            counterpart).
        MethodNotSupported: for another method.
        RepresentationNotSupported: for an unknown representation, or one the key type
            does not have.
    """
    if not isinstance(representation, str) or representation not in REPRESENTATIONS:
        raise RepresentationNotSupported("unknown did:key representation")
    _parse(did)
    return _document_cached(did, representation)


@functools.lru_cache(maxsize=4096)
def _document_cached(did: str, representation: str) -> DidDocument:
    name, raw = _parse_cached(did)
    mbvalue = did[len("did:key:") :]
    ctx, vm = _method(did, mbvalue, name, raw, representation)
    contexts = [DID_CONTEXT_V1, ctx]
    methods = [vm]
    doc: dict[str, Any] = {"id": did}
    if name == "X25519":
        doc["keyAgreement"] = [vm["id"]]
    else:
        for rel in _SIGNING_RELATIONSHIPS:
            doc[rel] = [vm["id"]]
        if name == "Ed25519":
            # did:key 3.1.3 "Encryption Method Creation": the X25519 key birationally
            # equivalent to the Ed25519 key is the keyAgreement method.
            try:
                xkey = Ed25519PublicKey(raw).to_x25519()
            except InvalidKey as exc:
                raise InvalidDid("did:key Ed25519 key has no X25519 counterpart") from exc
            xctx, xvm = _method(did, xkey.to_multikey(), "X25519", xkey.to_bytes(), representation)
            if xctx not in contexts:
                contexts.append(xctx)
            methods.append(xvm)
            doc["keyAgreement"] = [xvm["id"]]
        else:
            doc["keyAgreement"] = [vm["id"]]
    doc["@context"] = contexts
    doc["verificationMethod"] = methods
    return DidDocument.from_json(doc)
