"""The one error tree of anshim.

Every exception that anshim raises on purpose derives from :class:`AnshimError`. Errors
caused by bad input also derive from :class:`ValueError`, so callers that only know the
standard library can still catch them. Every class has a stable ``code`` (used in HTTP
problem details, CLI output and DID Resolution metadata); messages never contain secrets.

::

    AnshimError
    ├── InputError (ValueError)            bad input: the caller can fix it
    │   ├── DecodeError                    bytes/text that do not parse (CBOR, base45, …)
    │   │   ├── EncodingError              a value that cannot be encoded deterministically
    │   │   ├── CoseError                  a malformed COSE_Sign1              (coseMalformed)
    │   │   │   ├── CoseCriticalHeader     a bad or unknown ``crit`` header
    │   │   │   ├── CoseAlgUnprotected     ``alg`` outside the protected header
    │   │   │   ├── CoseMissingTag         tag 18 required and absent
    │   │   │   └── CoseDetachedPayload    a detached payload not supplied
    │   │   └── QrTextError                QR text that is not PREFIX:BASE45
    │   ├── InvalidKey                     wrong length, wrong type, bad JWK or Multikey
    │   ├── InvalidDid                     a malformed DID or DID URL       (code invalidDid)
    │   ├── MethodNotSupported             an unsupported DID method (methodNotSupported)
    │   │   └── UnsupportedPublicKeyType   a did:key of a type anshim does not sign with
    │   ├── RepresentationNotSupported     a DID document representation not available
    │   ├── UnsupportedAlgorithm           a COSE ``alg`` other than EdDSA
    │   ├── InvalidDidDocument             a DID document that breaks DID Core
    │   ├── InvalidTime                    a Unix time or zone offset out of range
    │   └── KeyFileError                   a key file that cannot be read or decrypted
    ├── ReplayStoreFull                    the in-memory replay store holds only live claims
    ├── CliError                           a command-line usage error (exit status 2)
    ├── QrRenderingUnavailable             QR rendering without segno (the ``cli`` extra)
    ├── VerificationError                  a cryptographic check failed
    │   ├── InvalidSignature               a signature does not verify
    │   ├── MethodNotAuthorized            a key not listed under the needed relationship
    │   └── ControllerMismatch             a method whose controller is another DID
    └── ResolutionError                    a DID could not be resolved
        ├── NotFound                       (code notFound)
        │   ├── VerificationMethodNotFound a DID URL naming no method of the document
        │   └── Gone                       removed on purpose (HTTP 410)
        ├── DidDeactivated                 the controller deactivated the DID (deactivated)
        └── TransportError                 the transport failed or the answer was too large

Role packages (credentials, escrow, wallet, verifier, registry) root their own errors in
these classes.
The check-in protocol's errors, with the stable codes the verifier reports, form their own
subtree under ``AnshimError``: :mod:`protocol.errors` (root ``ProtocolError``).
"""

from __future__ import annotations

__all__ = [
    "AnshimError",
    "CliError",
    "ControllerMismatch",
    "CoseAlgUnprotected",
    "CoseCriticalHeader",
    "CoseDetachedPayload",
    "CoseError",
    "CoseMissingTag",
    "DecodeError",
    "DidDeactivated",
    "EncodingError",
    "Gone",
    "InputError",
    "InvalidDid",
    "InvalidDidDocument",
    "InvalidKey",
    "InvalidSignature",
    "InvalidTime",
    "KeyFileError",
    "MethodNotAuthorized",
    "MethodNotSupported",
    "NotFound",
    "QrRenderingUnavailable",
    "QrTextError",
    "ReplayStoreFull",
    "RepresentationNotSupported",
    "ResolutionError",
    "TransportError",
    "UnsupportedAlgorithm",
    "UnsupportedPublicKeyType",
    "VerificationError",
    "VerificationMethodNotFound",
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


class RepresentationNotSupported(InputError):
    """A DID document representation that is not available (``representationNotSupported``)."""

    code = "representationNotSupported"


class UnsupportedPublicKeyType(MethodNotSupported):
    """A well-formed did:key whose key type anshim does not use for signing (P-256 …)."""

    code = "invalidPublicKeyType"


class VerificationMethodNotFound(NotFound):
    """A DID URL that names no verification method of the document."""

    code = "verificationMethodNotFound"


class MethodNotAuthorized(VerificationError):
    """A verification method that is not listed under the required relationship."""

    code = "verificationMethodNotAuthorized"


class DidDeactivated(ResolutionError):
    """The DID was deactivated by its controller (document metadata ``deactivated``)."""

    code = "deactivated"


class Gone(NotFound):
    """The resource existed and was removed on purpose (HTTP 410): a deactivated DID."""

    code = "gone"


class UnsupportedAlgorithm(InputError):
    """A COSE message whose ``alg`` is not EdDSA (-8), or that names no algorithm."""

    code = "unsupportedAlgorithm"


class CoseError(DecodeError):
    """A COSE_Sign1 message that is malformed or breaks the policy of :mod:`did.cose`;
    the subclasses name the more precise failures."""

    code = "coseMalformed"


class QrTextError(DecodeError):
    """QR text that is not ``PREFIX:BASE45`` under the strict rules of this module."""

    code = "invalidQrText"


class CliError(AnshimError):
    """A usage error detected by a command handler (exit status 2)."""

    code = "usage"


class QrRenderingUnavailable(AnshimError):
    """Rendering a QR code needs segno, which the ``cli`` extra installs."""

    code = "qrRenderingUnavailable"


class CoseCriticalHeader(CoseError):
    """A ``crit`` header that is malformed, unprotected, or names a label not understood
    (RFC 9052 section 3.1)."""

    code = "coseCriticalHeader"


class CoseAlgUnprotected(CoseError):
    """``alg`` outside the protected header (RFC 9052 section 3.1)."""

    code = "coseAlgUnprotected"


class CoseMissingTag(CoseError):
    """A COSE_Sign1 without its CBOR tag 18 where the tag is required."""

    code = "coseMissingTag"


class CoseDetachedPayload(CoseError):
    """A detached (``nil``) payload the caller did not supply."""

    code = "coseDetachedPayload"


class ControllerMismatch(VerificationError):
    """A verification method whose ``controller`` is not the DID of the document listing it.

    Controlled Identifiers 1.0 §3.3 (retrieve verification method): such a method is refused
    (``INVALID_VERIFICATION_METHOD``): otherwise a document could list another party's key
    under ``assertionMethod`` and let that party sign as its subject.
    """

    code = "controllerMismatch"
