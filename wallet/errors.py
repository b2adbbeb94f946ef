"""The wallet's errors. Each has a stable camelCase ``code``, unique across anshim; scan
refusals and full-store refusals also carry a short ``user_message`` a phone can show as it
is (it never contains data from the scanned code or the store).

::

    did.errors.AnshimError
    └── WalletError                         walletError
        ├── WalletCorrupted (ValueError)    walletCorrupted    the store file is damaged
        ├── WrongPassphrase (ValueError)    wrongPassphrase    the passphrase does not open it
        ├── WalletLocked                    walletLocked       another Wallet has it open
        ├── WalletClosed                    walletClosed       this Wallet was closed
        ├── StoreChanged                    storeChanged       the file changed behind us
        ├── NotEnrolled                     notEnrolled        no identity credential yet
        ├── EnrollmentRefused               enrollmentRefused  forged, untrusted, other holder
        │   └── DirectoryRefused            directoryRefused   not the pinned custodians' keys
        ├── NoEpochKey                      noEpochKey         no verified epoch key for the day
        ├── ReceiptRefused                  receiptRefused     a receipt not for this wallet
        │   └── UnexpectedReceipt           unexpectedReceipt  answers no visit of this wallet
        ├── AuditProofRefused               auditProofRefused  a tree head or proof that fails
        ├── StoreFull                       storeFull          saving would exceed the caps
        │   └── DiaryFull                   diaryFull          no room for another receipt
        └── ScanRefused                     scanRefused
            ├── MalformedCode               malformedCode      not a readable code
            ├── WrongPrefix                 wrongPrefix        not a venue code or kiosk code
            ├── AlteredCode                 alteredCode        the signed message was changed
            ├── ForgedCode                  forgedCode         not signed by registry/venue
            ├── ExpiredCode                 expiredCode        past its expiry
            ├── CodeNotYetValid             codeNotYetValid    dated in the future
            └── UnknownVenueKey             unknownVenueKey    no key known for the venue

``WalletCorrupted`` is also a :class:`did.errors.DecodeError` and ``WrongPassphrase`` a
:class:`did.errors.KeyFileError` (both input errors, hence ``ValueError``).

``malformedCode``: the text does not decode (bad base45, or not ``PREFIX:DATA``).
``alteredCode``: it decodes, but the bytes are not a well-formed signed venue message (a
changed byte that broke the CBOR or COSE structure). ``forgedCode``: a well-formed message
whose signature does not verify under the pinned registry key (posters) or the venue's key
(kiosk codes); a well-formed forgery and a well-formed alteration cannot be told apart, so
both are ``forgedCode``.
"""

from __future__ import annotations

from did.errors import AnshimError, DecodeError, KeyFileError

__all__ = [
    "AlteredCode",
    "AuditProofRefused",
    "CodeNotYetValid",
    "DiaryFull",
    "DirectoryRefused",
    "EnrollmentRefused",
    "ExpiredCode",
    "ForgedCode",
    "MalformedCode",
    "NoEpochKey",
    "NotEnrolled",
    "ReceiptRefused",
    "ScanRefused",
    "StoreChanged",
    "StoreFull",
    "UnexpectedReceipt",
    "UnknownVenueKey",
    "WalletClosed",
    "WalletCorrupted",
    "WalletError",
    "WalletLocked",
    "WrongPassphrase",
    "WrongPrefix",
]


class WalletError(AnshimError):
    """Root of the wallet's errors."""

    code = "walletError"


class WalletCorrupted(WalletError, DecodeError):
    """The store file is damaged: truncated, not a wallet store, or content that the right
    passphrase decrypts but that fails its checks."""

    code = "walletCorrupted"


class WrongPassphrase(WalletError, KeyFileError):
    """The passphrase does not open the store."""

    code = "wrongPassphrase"


class WalletLocked(WalletError):
    """Another :class:`wallet.Wallet` (in this process or another) has the store open; two
    wallets writing one file would each drop what the other saved. Close the other one
    (:meth:`wallet.Wallet.close`) first. ``user_message`` is what the phone shows."""

    code = "walletLocked"
    user_message = "The wallet is open in another window. Close it and try again."


class WalletClosed(WalletError):
    """The :class:`wallet.Wallet` was closed (its lock released), so it saves nothing more;
    open the store again."""

    code = "walletClosed"


class StoreChanged(WalletError):
    """The store file was replaced or removed since this wallet read or wrote it (by a
    program that ignored the lock, or a restored backup), so nothing was saved: saving
    would have dropped what the file holds now. Open the wallet again."""

    code = "storeChanged"
    user_message = "The wallet was changed elsewhere. Nothing was changed; open it again."


class NotEnrolled(WalletError):
    """The operation needs an identity credential and the wallet has none."""

    code = "notEnrolled"


class EnrollmentRefused(WalletError):
    """The identity credential was refused: untrusted issuer, a proof or twin signature that
    does not verify, another holder, or outside its validity."""

    code = "enrollmentRefused"


class DirectoryRefused(EnrollmentRefused):
    """An epoch-key directory that does not decode, is not signed by every pinned custodian,
    names other custodians or another threshold than the pinned ones (a rogue ceremony's
    keys, which would let whoever ran it open every identity the wallet seals)."""

    code = "directoryRefused"


class NoEpochKey(WalletError):
    """No verified escrow epoch key for the day: update the epoch-key directory."""

    code = "noEpochKey"


class ReceiptRefused(WalletError):
    """A visit receipt that does not verify or names a pseudonym this wallet never used."""

    code = "receiptRefused"


class UnexpectedReceipt(ReceiptRefused):
    """A validly signed receipt that answers no check-in (or check-out) this wallet made:
    another check-in hash, venue, pseudonym, time in or time out, or a second visit for a
    check-in already answered. A venue cannot plant visits in the diary."""

    code = "unexpectedReceipt"


class StoreFull(WalletError):
    """Saving would make a store larger than :meth:`wallet.Wallet.open` accepts, so nothing
    was saved: the store on disk and the wallet in memory are as they were before the call.
    ``user_message`` is what the phone shows."""

    code = "storeFull"
    user_message = "The wallet is full. Nothing was changed."


class DiaryFull(StoreFull):
    """The diary has no room for another receipt, even after deleting the receipts past
    the retention period; the receipt was not kept. Room comes back as old visits expire."""

    code = "diaryFull"
    user_message = (
        "Your visit diary is full, so this visit was not saved. "
        "Old visits are deleted automatically after the retention period."
    )


class ScanRefused(WalletError):
    """A scanned code was refused; ``user_message`` is what the phone shows."""

    code = "scanRefused"
    user_message = "This code cannot be used."


class MalformedCode(ScanRefused):
    """The text is not a readable anshim code."""

    code = "malformedCode"
    user_message = "This is not a readable check-in code."


class WrongPrefix(ScanRefused):
    """Not a venue poster or kiosk code (another app's code, or a visitor's own code)."""

    code = "wrongPrefix"
    user_message = "This is not a venue check-in code."


class AlteredCode(ScanRefused):
    """The code's signed message was changed and no longer has a valid structure."""

    code = "alteredCode"
    user_message = "This code has been altered. Do not use it; tell the staff."


class ForgedCode(ScanRefused):
    """The code is not signed by the registry (poster) or by the venue (kiosk)."""

    code = "forgedCode"
    user_message = "This code is not genuine. Do not use it; tell the staff."


class ExpiredCode(ScanRefused):
    """The code is past its expiry."""

    code = "expiredCode"
    user_message = "This code has expired. Scan the current code."


class CodeNotYetValid(ScanRefused):
    """The code is dated in the future (the phone's clock may be wrong)."""

    code = "codeNotYetValid"
    user_message = "This code is not valid yet. Check your phone's clock."


class UnknownVenueKey(ScanRefused):
    """No key is known for the venue the code names (unregistered, closed, or the look-up
    failed), so the code cannot be trusted."""

    code = "unknownVenueKey"
    user_message = "This venue is not registered."


class AuditProofRefused(WalletError):
    """A published audit-log tree head not signed by a pinned custodian, or a proof that
    does not establish whether the visit's record was unsealed."""

    code = "auditProofRefused"
