"""COSE_Sign1 with EdDSA over Ed25519 (RFC 9052 section 4, RFC 9053 section 2.2).

Every anshim check-in, venue code and receipt is a COSE_Sign1 message. This module signs
and verifies them and nothing else: one signer, one algorithm (EdDSA, ``alg`` -8).

Quick start::

    from did import cbor, cose
    from did._keys import Ed25519PrivateKey
    key = Ed25519PrivateKey.generate()
    msg = cose.sign1(cbor.encode({"v": 1}), key, kid=b"venue-1")
    payload = cose.verify1(msg, key.public_key)          # raises InvalidSignature
    parsed = cose.CoseSign1.from_bytes(msg)              # raises CoseError
    parsed.kid                                           # b'venue-1'

Decoding policy (documented choices):

* The message as a whole must be deterministic CBOR (RFC 8949 section 4.2.1) and pass the
  strict checks of :func:`did.cbor.decode`; otherwise one signed message would have many
  byte forms, and anything keyed on the bytes (replay caches, logs) could be fooled.
* The *protected header* is the one exception: its bytes are covered by the signature
  exactly as sent (RFC 9052 section 4.4), so a map that another implementation encoded in a
  valid but non-deterministic way is accepted there (still definite-length, no duplicate
  keys, no tags). Messages made here are always fully deterministic.
* ``alg`` must be EdDSA (-8) and must sit in the protected header; an ``alg`` in the
  unprotected header is refused, as is any label present in both headers (section 3).
* ``crit`` (section 3.1) must be protected, non-empty, name labels present in the protected
  header, and name only labels the caller declares it understands.
* A detached payload (``nil``) is refused unless the caller supplies the payload.

Error codes: :class:`CoseError` ``coseMalformed`` (and ``coseCriticalHeader``,
``coseDetachedPayload``, ``coseAlgUnprotected``, ``coseMissingTag`` for those cases),
:class:`UnsupportedAlgorithm` ``unsupportedAlgorithm``, and
:class:`~did.errors.InvalidSignature` ``invalidSignature``.
"""

from did.cose._sign1 import (
    ALG_EDDSA,
    COSE_SIGN1_TAG,
    HEADER_ALG,
    HEADER_CONTENT_TYPE,
    HEADER_CRIT,
    HEADER_KID,
    CoseSign1,
    sign1,
    verify1,
)
from did.errors import CoseError, UnsupportedAlgorithm

__all__ = [
    "ALG_EDDSA",
    "COSE_SIGN1_TAG",
    "HEADER_ALG",
    "HEADER_CONTENT_TYPE",
    "HEADER_CRIT",
    "HEADER_KID",
    "CoseError",
    "CoseSign1",
    "UnsupportedAlgorithm",
    "sign1",
    "verify1",
]
