"""The registry's errors, each with a stable camelCase ``code`` (STYLE.md habit 13).

Input the caller can fix is an :class:`~did.errors.InputError` (so also a ``ValueError``);
it is refused before anything reaches the database. :class:`StoreUnavailable` is the one
retryable error: the database could not be reached or failed mid-call, and nothing of the
call was acknowledged (a retry of a ``put`` is safe because writes are idempotent).

::

    did.errors.AnshimError
    ├── did.errors.InputError (ValueError)
    │   ├── InvalidRecord          invalidRecord        a visit record that does not parse
    │   ├── InvalidBatch           invalidBatch         an empty, oversized or mistyped batch
    │   ├── RecordConflict         recordConflict       same visit id, different content
    │   ├── ExpiredRecord          expiredRecord        a record of a day already purged
    │   ├── InvalidTraceSeed       invalidTraceSeed     a trace-seed envelope or label
    │   │   └── TraceSeedLabelFull traceSeedLabelFull   too many envelopes under one label
    │   ├── InvalidVenueEntry      invalidVenueEntry    a venue directory entry
    │   ├── InvalidQuery           invalidQuery         query arguments out of range
    │   └── InvalidStoreUrl        invalidStoreUrl      a store URL no engine accepts
    └── RegistryError              registryError
        ├── StoreUnavailable       storeUnavailable     database unreachable (retryable)
        └── SchemaMismatch         schemaMismatch       schema newer than this code, or damaged
"""

from __future__ import annotations

from collections.abc import Sequence

from did.errors import AnshimError, InputError

__all__ = [
    "ExpiredRecord",
    "InvalidBatch",
    "InvalidQuery",
    "InvalidRecord",
    "InvalidStoreUrl",
    "InvalidTraceSeed",
    "InvalidVenueEntry",
    "RecordConflict",
    "RegistryError",
    "SchemaMismatch",
    "StoreUnavailable",
    "TraceSeedLabelFull",
]


class RegistryError(AnshimError):
    """Root of the registry's errors that are not the caller's input."""

    code = "registryError"


class StoreUnavailable(RegistryError):
    """The database is unreachable, restarting, or failed during the call (retryable).

    Nothing of the failed call was acknowledged; retrying it is safe.
    """

    code = "storeUnavailable"
    retryable = True


class SchemaMismatch(RegistryError):
    """The store's schema is newer than this code knows, or its version table is damaged."""

    code = "schemaMismatch"


class InvalidRecord(InputError):
    """A visit record that does not parse strictly (oversize, malformed, bad signature)."""

    code = "invalidRecord"


class InvalidBatch(InputError):
    """A batch that is empty, too large, or holds something other than visit records."""

    code = "invalidBatch"


class RecordConflict(InputError):
    """A record whose visit id is already stored with different content.

    The whole batch is refused; nothing is overwritten. ``visit_ids`` lists the conflicting
    ids (hex), so an operator can report them to the venue.
    """

    code = "recordConflict"

    def __init__(self, message: str, *, visit_ids: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.visit_ids = tuple(visit_ids)


class ExpiredRecord(InputError):
    """A record (or trace seed) of a day already deleted by retention: it is not stored
    again, so retention stays final."""

    code = "expiredRecord"


class InvalidTraceSeed(InputError):
    """A trace-seed envelope or label that does not parse, or that do not match."""

    code = "invalidTraceSeed"


class TraceSeedLabelFull(InvalidTraceSeed):
    """A label already holds the most envelopes the registry keeps under one label."""

    code = "traceSeedLabelFull"


class InvalidVenueEntry(InputError):
    """A venue directory entry with a malformed DID, category, key or validity."""

    code = "invalidVenueEntry"


class InvalidQuery(InputError):
    """Query arguments of the wrong type or out of range."""

    code = "invalidQuery"


class InvalidStoreUrl(InputError):
    """A store URL that names no engine (``sqlite:///dir`` or ``postgresql://…``)."""

    code = "invalidStoreUrl"
