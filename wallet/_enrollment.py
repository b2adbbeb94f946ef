"""Enrollment: accept the identity credential, and escrow the daily trace seeds in advance
(DESIGN.md "Investigation" step 2b, the lost-phone path).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import escrow
from did import ed25519_public_key_from_did
from did.errors import AnshimError, InputError, TransportError
from did.vc import KeyResolver
from protocol import TRACE_SEED_SIZE, PersonCredential
from wallet._checkin import Derivations
from wallet.errors import EnrollmentRefused, NoEpochKey

__all__ = [
    "MAX_CUSTODIANS",
    "TRACE_SEED_PAD",
    "TraceSeedEnvelope",
    "check_credential",
    "check_pinned_custodians",
    "seal_trace_seeds",
]

#: Trace-seed envelopes hold exactly one 32-byte seed (plus escrow's padding byte).
TRACE_SEED_PAD = TRACE_SEED_SIZE + 1
#: The most custodians a directory names (escrow's limit).
MAX_CUSTODIANS = 32


def check_pinned_custodians(custodians: Sequence[str], threshold: int) -> tuple[str, ...]:
    """The pinned custodians a wallet is created with, checked (DESIGN.md "Key ceremony").

    Raises:
        InputError: not a non-empty sequence of at most 32 distinct Ed25519 ``did:key``
            DIDs, or a threshold that is not an int in [1, number of custodians].
    """
    if isinstance(custodians, (str, bytes)) or not isinstance(custodians, Sequence):
        raise InputError("custodians must be a sequence of custodian DIDs")
    pinned = tuple(custodians)
    if not 1 <= len(pinned) <= MAX_CUSTODIANS or len(set(pinned)) != len(pinned):
        raise InputError(f"custodians must be 1 to {MAX_CUSTODIANS} distinct DIDs")
    for did in pinned:
        if type(did) is not str:
            raise InputError("custodians must be DID strings")
        try:
            ed25519_public_key_from_did(did)
        except InputError as exc:
            raise InputError(f"a custodian is not an Ed25519 did:key: {exc.message}") from exc
    if type(threshold) is not int or not 1 <= threshold <= len(pinned):
        raise InputError("threshold must be an int between 1 and the number of custodians")
    return pinned


@dataclass(frozen=True, slots=True)
class TraceSeedEnvelope:
    """One day's trace seed sealed to that day's epoch key, for upload to the registry.

    ``label`` is ``escrow.TraceSeedLabel(credential id, day)``; ``envelope`` its bytes.
    """

    epoch: int
    label: escrow.TraceSeedLabel
    envelope: bytes


def check_credential(
    credential: PersonCredential,
    *,
    holder: str,
    trusted_issuers: Collection[str],
    resolver: KeyResolver | None,
    now: int,
) -> None:
    """Verify an identity credential before the wallet keeps it.

    Raises:
        EnrollmentRefused: an empty trust list, an untrusted issuer, a proof or twin
            signature that does not verify, another holder, or outside its validity.
        TransportError: the issuer's did:web could not be fetched (try again later).
    """
    if not isinstance(credential, PersonCredential):
        raise EnrollmentRefused("not a PersonCredential")
    if not trusted_issuers:
        raise EnrollmentRefused("enrollment needs a non-empty list of trusted issuers")
    try:
        credential.verify(now=now, resolver=resolver, trusted_issuers=trusted_issuers)
    except TransportError:
        raise
    except AnshimError as exc:
        raise EnrollmentRefused(f"identity credential refused: {exc.message}") from exc
    if credential.holder != holder:
        raise EnrollmentRefused("the identity credential names another holder")


def seal_trace_seeds(
    derivations: Derivations,
    directory: escrow.EpochKeyDirectory,
    credential_id: str,
    days: Iterable[int],
) -> list[TraceSeedEnvelope]:
    """Seal each day's trace seed to that day's epoch key.

    Raises:
        NoEpochKey: the directory has no key for one of the days.
    """
    out = []
    for day in days:
        epoch_key = directory.get(day)
        if epoch_key is None:
            raise NoEpochKey(f"no escrow key for day {day}")
        label = escrow.TraceSeedLabel(credential_id, day)
        sealed = escrow.seal(epoch_key, label, derivations.trace_seed(day), pad_to=TRACE_SEED_PAD)
        out.append(TraceSeedEnvelope(day, label, sealed.to_bytes()))
    return out
