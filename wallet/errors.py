"""The wallet's errors. Each has a stable ``code``; scan refusals also carry a short
``user_message`` a phone can show as it is (it never contains data from the scanned code).

::

    AnshimError
    └── WalletError                         wallet_error
        ├── WalletCorrupted (DecodeError)   wallet_corrupted   the store file is damaged
        ├── WrongPassphrase (KeyFileError)  wrong_passphrase   the passphrase does not open it
        ├── NotEnrolled                     not_enrolled       no identity credential yet
        ├── EnrollmentRefused               enrollment_refused forged, untrusted, other holder
        ├── NoEpochKey                      no_epoch_key       no verified epoch key for the day
        ├── ReceiptRefused                  receipt_refused    a receipt not for this wallet
        ├── StoreFull                       store_full         saving would exceed the store's cap
        │   └── DiaryFull                   diary_full         no room for another receipt
        └── ScanRefused                     scan_refused
            ├── MalformedCode               malformed          not a readable code
            ├── WrongPrefix                 wrong_prefix       not a venue code or kiosk code
            ├── AlteredCode                 altered            the signed message was changed
            ├── ForgedCode                  forged             not signed by the registry/venue
            ├── ExpiredCode                 expired            past its expiry
            ├── CodeNotYetValid             not_yet_valid      dated in the future
            └── UnknownVenue                unknown_venue      no key known for the venue

``malformed``: the text does not decode (bad base45, or not ``PREFIX:DATA``). ``altered``:
it decodes, but the bytes are not a well-formed signed venue message (a changed byte that
broke the CBOR or COSE structure). ``forged``: a well-formed message whose signature does not
verify under the pinned registry key (posters) or the venue's key (kiosk codes); a
well-formed forgery and a well-formed alteration cannot be told apart, so both are
``forged``.
"""

from __future__ import annotations

from did.errors import AnshimError, DecodeError, KeyFileError

__all__ = [
    "AlteredCode",
    "CodeNotYetValid",
    "DiaryFull",
    "EnrollmentRefused",
    "ExpiredCode",
    "ForgedCode",
    "MalformedCode",
    "NoEpochKey",
    "NotEnrolled",
    "ReceiptRefused",
    "ScanRefused",
    "StoreFull",
    "UnknownVenue",
    "WalletCorrupted",
    "WalletError",
    "WrongPassphrase",
    "WrongPrefix",
]


class WalletError(AnshimError):
    """Root of the wallet's errors."""

    code = "wallet_error"


class WalletCorrupted(WalletError, DecodeError):
    """The store file is damaged: truncated, not a wallet store, or content that the right
    passphrase decrypts but that fails its checks."""

    code = "wallet_corrupted"


class WrongPassphrase(WalletError, KeyFileError):
    """The passphrase does not open the store."""

    code = "wrong_passphrase"


class NotEnrolled(WalletError):
    """The operation needs an identity credential and the wallet has none."""

    code = "not_enrolled"


class EnrollmentRefused(WalletError):
    """The identity credential was refused: untrusted issuer, a proof or twin signature that
    does not verify, another holder, or outside its validity."""

    code = "enrollment_refused"


class NoEpochKey(WalletError):
    """No verified escrow epoch key for the day: update the epoch-key directory."""

    code = "no_epoch_key"


class ReceiptRefused(WalletError):
    """A visit receipt that does not verify or names a pseudonym this wallet never used."""

    code = "receipt_refused"


class StoreFull(WalletError):
    """Saving would make a store larger than :meth:`wallet.Wallet.open` accepts, so nothing
    was saved: the store on disk and the wallet in memory are as they were before the call.
    ``user_message`` is what the phone shows."""

    code = "store_full"
    user_message = "The wallet is full. Nothing was changed."


class DiaryFull(StoreFull):
    """The diary has no room for another receipt, even after deleting the receipts past
    the retention period; the receipt was not kept. Room comes back as old visits expire."""

    code = "diary_full"
    user_message = (
        "Your visit diary is full, so this visit was not saved. "
        "Old visits are deleted automatically after the retention period."
    )


class ScanRefused(WalletError):
    """A scanned code was refused; ``user_message`` is what the phone shows."""

    code = "scan_refused"
    user_message = "This code cannot be used."


class MalformedCode(ScanRefused):
    """The text is not a readable anshim code."""

    code = "malformed"
    user_message = "This is not a readable check-in code."


class WrongPrefix(ScanRefused):
    """Not a venue poster or kiosk code (another app's code, or a visitor's own code)."""

    code = "wrong_prefix"
    user_message = "This is not a venue check-in code."


class AlteredCode(ScanRefused):
    """The code's signed message was changed and no longer has a valid structure."""

    code = "altered"
    user_message = "This code has been altered. Do not use it; tell the staff."


class ForgedCode(ScanRefused):
    """The code is not signed by the registry (poster) or by the venue (kiosk)."""

    code = "forged"
    user_message = "This code is not genuine. Do not use it; tell the staff."


class ExpiredCode(ScanRefused):
    """The code is past its expiry."""

    code = "expired"
    user_message = "This code has expired. Scan the current code."


class CodeNotYetValid(ScanRefused):
    """The code is dated in the future (the phone's clock may be wrong)."""

    code = "not_yet_valid"
    user_message = "This code is not valid yet. Check your phone's clock."


class UnknownVenue(ScanRefused):
    """No key is known for the venue the code names."""

    code = "unknown_venue"
    user_message = "This venue is not registered."
