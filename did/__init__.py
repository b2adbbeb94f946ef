"""anshim's standards core: keys, multiformats, DIDs, CBOR/COSE, QR text, credentials.

Quick start::

    from did.keys import Ed25519PrivateKey
    key = Ed25519PrivateKey.generate()
    signature = key.sign(b"check-in")
    key.public_key.verify(signature, b"check-in")   # raises did.errors.InvalidSignature

Sub-modules are imported on demand so that a phone app pays only for what it uses.
"""

from did._days import RETENTION_DAYS, SECONDS_PER_DAY, day_of, day_start
from did._replay import MemoryReplayStore, ReplayStore
from did.errors import AnshimError, InputError, VerificationError

__all__ = [
    "RETENTION_DAYS",
    "SECONDS_PER_DAY",
    "AnshimError",
    "InputError",
    "MemoryReplayStore",
    "ReplayStore",
    "VerificationError",
    "day_of",
    "day_start",
]
