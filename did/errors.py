"""The one error tree of anshim.

Every exception that anshim raises on purpose derives from :class:`AnshimError`. Errors
caused by bad input also derive from :class:`ValueError`, so callers that only know the
standard library can still catch them. Every class has a stable ``code`` (used in HTTP
problem details, CLI output and DID Resolution metadata); messages never contain secrets.

::

    AnshimError
    ├── InputError (ValueError)            bad input: the caller can fix it
    │   ├── DecodeError                    bytes/text that do not parse (CBOR, base45, …)
    │   │   └── EncodingError              a value that cannot be encoded deterministically
    │   ├── InvalidKey                     wrong length, wrong type, bad JWK or Multikey
    │   ├── InvalidDid                     a malformed DID or DID URL       (code invalidDid)
    │   ├── MethodNotSupported             an unsupported DID method (methodNotSupported)
    │   ├── InvalidDidDocument             a DID document that breaks DID Core
    │   ├── InvalidTime                    a Unix time or zone offset out of range
    │   └── KeyFileError                   a key file that cannot be read or decrypted
    ├── ReplayStoreFull                    the in-memory replay store holds only live claims
    ├── VerificationError                  a cryptographic check failed
    │   └── InvalidSignature               a signature does not verify
    └── ResolutionError                    a DID could not be resolved
        ├── NotFound                       (code notFound)
        └── TransportError                 the transport failed or the answer was too large

Role packages (credentials, escrow, wallet, verifier, registry) root their own errors in
these classes.
The check-in protocol's errors, with the stable codes the verifier reports, form their own
subtree under ``AnshimError``: :mod:`protocol.errors` (root ``ProtocolError``).
"""

from __future__ import annotations

__all__ = [
    "AnshimError",
    "DecodeError",
    "EncodingError",
    "InputError",
    "InvalidDid",
    "InvalidDidDocument",
    "InvalidKey",
    "InvalidSignature",
    "InvalidTime",
    "KeyFileError",
    "MethodNotSupported",
    "NotFound",
    "ReplayStoreFull",
    "ResolutionError",
    "TransportError",
    "VerificationError",
]


class AnshimError(Exception):
    """Root of every error anshim raises on purpose.

    ``code`` is a stable machine-readable identifier; the message is for people and never
    contains secret material.
    """

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        """The human-readable message (never contains secrets)."""
        return str(self.args[0]) if self.args else ""


class InputError(AnshimError, ValueError):
    """Bad input that the caller can correct."""

    code = "invalidInput"


class DecodeError(InputError):
    """Bytes or text that do not parse under the strict rules of the format."""

    code = "decodeError"


class EncodingError(DecodeError):
    """A value that cannot be encoded (unsupported type, out of range)."""

    code = "encodingError"


class InvalidKey(InputError):
    """A key of the wrong type or length, or a malformed key encoding."""

    code = "invalidKey"


class InvalidDid(InputError):
    """A malformed DID or DID URL (DID Resolution error ``invalidDid``)."""

    code = "invalidDid"


class MethodNotSupported(InputError):
    """A DID method this resolver does not support (``methodNotSupported``)."""

    code = "methodNotSupported"


class InvalidDidDocument(InputError):
    """A DID document that violates DID Core or our strict rules."""

    code = "invalidDidDocument"


class InvalidTime(InputError):
    """A Unix time that is not a non-negative int, or a zone offset beyond ±14 hours."""

    code = "invalidTime"


class KeyFileError(InputError):
    """A key file that cannot be parsed or decrypted (wrong passphrase or tampering)."""

    code = "invalidKeyFile"


class ReplayStoreFull(AnshimError):
    """The replay store cannot remember another claim; what asked for it is refused.

    Refusing is the safe answer: forgetting an unexpired claim would reopen a replay.
    """

    code = "replayStoreFull"


class VerificationError(AnshimError):
    """A cryptographic verification failed."""

    code = "verificationFailed"


class InvalidSignature(VerificationError):
    """A signature that does not verify under the given key."""

    code = "invalidSignature"


class ResolutionError(AnshimError):
    """A DID that could not be resolved."""

    code = "internalError"


class NotFound(ResolutionError):
    """The DID or its document does not exist (``notFound``)."""

    code = "notFound"


class TransportError(ResolutionError):
    """The transport failed, timed out, or returned too much data."""

    code = "transportError"
