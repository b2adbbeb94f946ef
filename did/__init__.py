"""anshim's standards core: keys, multiformats, DIDs, CBOR/COSE, QR text, credentials.

Everything here is a W3C or IETF standard (DESIGN.md "Roles and packages"); anshim's own
wire formats are in :mod:`protocol`. The names below come from private modules and are the
API; four namespaces keep their own packages: :mod:`did.cbor` (RFC 8949 deterministic
CBOR), :mod:`did.cose` (RFC 9052 COSE_Sign1), :mod:`did.qr` (RFC 9285 base45 QR text and
rendering) and :mod:`did.vc` (Verifiable Credentials 2.0); errors are in :mod:`did.errors`
(re-exported here) and the command line's helpers in :mod:`did.cli`.

Quick start::

    from did import Ed25519PrivateKey, Resolver, did_from_public_key
    from did import cose

    key = Ed25519PrivateKey.generate()
    did = did_from_public_key(key.public_key)          # did:key:z6Mk…
    document = Resolver().resolve_document(did)         # a DID Core document
    message = cose.sign1(b"check-in", key, kid=did.encode())
    assert cose.verify1(message, key.public_key) == b"check-in"   # raises InvalidSignature

Days (:func:`day_of`, :data:`RETENTION_DAYS`) and the replay store (:class:`ReplayStore`)
are defined here once for every package.
"""

from did._days import (
    MAX_TZ_OFFSET,
    RETENTION_DAYS,
    SECONDS_PER_DAY,
    day_of,
    day_start,
)
from did._didkey import (
    REPRESENTATIONS,
    did_from_public_key,
    did_key_document,
    ec_public_key_from_did_key,
    ed25519_public_key_from_did,
    public_key_from_did_key,
    verification_method_id,
)
from did._didsyntax import (
    MAX_DID_CHARS,
    DidUrl,
    is_did,
    parse_did_url,
    require_did,
)
from did._didweb import (
    did_web_document,
    did_web_to_url,
    url_to_did_web,
)
from did._docjson import (
    check_bounds,
    freeze,
    is_uri,
    load_json_object,
    thaw,
)
from did._document import (
    DID_CONTEXT_V1,
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    RELATIONSHIPS,
    DidDocument,
    Service,
    VerificationMethod,
)
from did._keyfile import (
    ED25519_KEY_KIND,
    KDF_INTERACTIVE,
    KDF_MODERATE,
    KDF_SENSITIVE,
    KDF_TEST,
    MAX_FILE_BYTES,
    DerivedKey,
    KdfParams,
    atomic_write,
    decrypt_secret,
    derive_key,
    encrypt_secret,
    encrypt_with_key,
    load_private_key,
    open_secret,
    read_public,
    save_plaintext_key_unsafe,
    save_private_key,
)
from did._keys import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
    X25519PrivateKey,
    X25519PublicKey,
    public_key_from_jwk,
    public_key_from_multikey,
)
from did._multibase import (
    ED25519_PRIV,
    ED25519_PUB,
    MAX_MULTIBASE_CHARS,
    P256_PUB,
    X25519_PRIV,
    X25519_PUB,
    b64url_decode,
    b64url_encode,
    multibase_decode,
    multibase_encode,
    multicodec_unwrap,
    multicodec_wrap,
)
from did._replay import (
    MemoryReplayStore,
    ReplayStore,
)
from did._resolver import (
    DID_RESOLUTION_CONTEXT,
    ResolutionResult,
    Resolver,
)
from did._transport import (
    HttpTransport,
    InMemoryTransport,
    Transport,
)
from did.errors import (
    AnshimError,
    CliError,
    CoseAlgUnprotected,
    CoseCriticalHeader,
    CoseDetachedPayload,
    CoseError,
    CoseMissingTag,
    DecodeError,
    DidDeactivated,
    EncodingError,
    Gone,
    InputError,
    InvalidDid,
    InvalidDidDocument,
    InvalidKey,
    InvalidSignature,
    InvalidTime,
    KeyFileError,
    MethodNotAuthorized,
    MethodNotSupported,
    NotFound,
    QrRenderingUnavailable,
    QrTextError,
    ReplayStoreFull,
    RepresentationNotSupported,
    ResolutionError,
    TransportError,
    UnsupportedAlgorithm,
    UnsupportedPublicKeyType,
    VerificationError,
    VerificationMethodNotFound,
)

__all__ = [
    "DID_CONTEXT_V1",
    "DID_RESOLUTION_CONTEXT",
    "ED25519_KEY_KIND",
    "ED25519_PRIV",
    "ED25519_PUB",
    "KDF_INTERACTIVE",
    "KDF_MODERATE",
    "KDF_SENSITIVE",
    "KDF_TEST",
    "MAX_DEPTH",
    "MAX_DID_CHARS",
    "MAX_DOCUMENT_BYTES",
    "MAX_FILE_BYTES",
    "MAX_MULTIBASE_CHARS",
    "MAX_TZ_OFFSET",
    "P256_PUB",
    "RELATIONSHIPS",
    "REPRESENTATIONS",
    "RETENTION_DAYS",
    "SECONDS_PER_DAY",
    "X25519_PRIV",
    "X25519_PUB",
    "AnshimError",
    "CliError",
    "CoseAlgUnprotected",
    "CoseCriticalHeader",
    "CoseDetachedPayload",
    "CoseError",
    "CoseMissingTag",
    "DecodeError",
    "DerivedKey",
    "DidDeactivated",
    "DidDocument",
    "DidUrl",
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "EncodingError",
    "Gone",
    "HttpTransport",
    "InMemoryTransport",
    "InputError",
    "InvalidDid",
    "InvalidDidDocument",
    "InvalidKey",
    "InvalidSignature",
    "InvalidTime",
    "KdfParams",
    "KeyFileError",
    "MemoryReplayStore",
    "MethodNotAuthorized",
    "MethodNotSupported",
    "NotFound",
    "QrRenderingUnavailable",
    "QrTextError",
    "ReplayStore",
    "ReplayStoreFull",
    "RepresentationNotSupported",
    "ResolutionError",
    "ResolutionResult",
    "Resolver",
    "Service",
    "Transport",
    "TransportError",
    "UnsupportedAlgorithm",
    "UnsupportedPublicKeyType",
    "VerificationError",
    "VerificationMethod",
    "VerificationMethodNotFound",
    "X25519PrivateKey",
    "X25519PublicKey",
    "atomic_write",
    "b64url_decode",
    "b64url_encode",
    "check_bounds",
    "day_of",
    "day_start",
    "decrypt_secret",
    "derive_key",
    "did_from_public_key",
    "did_key_document",
    "did_web_document",
    "did_web_to_url",
    "ec_public_key_from_did_key",
    "ed25519_public_key_from_did",
    "encrypt_secret",
    "encrypt_with_key",
    "freeze",
    "is_did",
    "is_uri",
    "load_json_object",
    "load_private_key",
    "multibase_decode",
    "multibase_encode",
    "multicodec_unwrap",
    "multicodec_wrap",
    "open_secret",
    "parse_did_url",
    "public_key_from_did_key",
    "public_key_from_jwk",
    "public_key_from_multikey",
    "read_public",
    "require_did",
    "save_plaintext_key_unsafe",
    "save_private_key",
    "thaw",
    "url_to_did_web",
    "verification_method_id",
]
