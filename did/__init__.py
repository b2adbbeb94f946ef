"""anshim's standards core: keys, multiformats, DIDs, CBOR/COSE, QR text, credentials.

Quick start::

    from did.keys import Ed25519PrivateKey
    key = Ed25519PrivateKey.generate()
    signature = key.sign(b"check-in")
    key.public_key.verify(signature, b"check-in")   # raises did.errors.InvalidSignature

Sub-modules are imported on demand so that a phone app pays only for what it uses.
"""

from did.errors import AnshimError, InputError, VerificationError

__all__ = ["AnshimError", "InputError", "VerificationError"]
