"""The investigator's errors, each with a stable camelCase ``code`` (STYLE.md habit 13).

Input the investigator can correct (a bad window, a file that is not what it claims) is an
:class:`~did.errors.InputError`, so also a ``ValueError``. A case folder that does not
hold what its log says, a step taken out of order, a warrant without its quorum, share
batches that do not open the records, or an identity whose issuer cannot be confirmed
each have their own class, so the command line and an authority's own console can print
the code.

::

    did.errors.AnshimError
    ├── did.errors.InputError (ValueError)
    │   └── CaseInputError         caseInput            bad case arguments or input files
    │       └── DisclosureRefused  disclosureRefused    a diary disclosure that does not verify
    └── InvestigatorError          investigatorError
        ├── CaseError              caseError            the case folder cannot be used
        │   ├── CaseExists         caseExists           a case folder already exists there
        │   ├── CaseNotFound       caseNotFound         no case folder there
        │   ├── CaseCorrupted      caseCorrupted        a case file or the step log is damaged
        │   ├── CaseLocked         caseLocked           wrong passphrase for the case secrets
        │   └── StepOutOfOrder     stepOutOfOrder       a step whose inputs are not there yet
        ├── WarrantRefused         warrantRefused       a warrant that cannot be used
        ├── ShareBatchRefused      shareBatchRefused    a share batch for another warrant
        ├── UnsealIncomplete       unsealIncomplete     records the shares could not open
        ├── IdentityRefused        identityRefused      an unsealed identity that fails its checks
        ├── RegistryUnavailable    registryUnavailable  the registry cannot be reached
        ├── RegistryRefused        registryRefused      the registry refused a request
        └── ReportUnavailable      reportUnavailable    drawing without the ``report`` extra
"""

from __future__ import annotations

from collections.abc import Sequence

from did.errors import AnshimError, InputError

__all__ = [
    "CaseCorrupted",
    "CaseError",
    "CaseExists",
    "CaseInputError",
    "CaseLocked",
    "CaseNotFound",
    "DisclosureRefused",
    "IdentityRefused",
    "InvestigatorError",
    "RegistryRefused",
    "RegistryUnavailable",
    "ReportUnavailable",
    "ShareBatchRefused",
    "StepOutOfOrder",
    "UnsealIncomplete",
    "WarrantRefused",
]


class CaseInputError(InputError):
    """Case arguments or an input file the investigator can correct."""

    code = "caseInput"


class DisclosureRefused(CaseInputError):
    """A wallet's diary disclosure that does not verify (the protocol error is the cause)."""

    code = "disclosureRefused"


class InvestigatorError(AnshimError):
    """Root of the investigator's errors that are not the caller's input."""

    code = "investigatorError"


class CaseError(InvestigatorError):
    """The case folder cannot be used as asked."""

    code = "caseError"


class CaseExists(CaseError):
    """``open`` was asked to create a case where a case folder already is."""

    code = "caseExists"


class CaseNotFound(CaseError):
    """No case folder (no case record) at the given path."""

    code = "caseNotFound"


class CaseCorrupted(CaseError):
    """A case file does not parse, or the step log's hash chain is broken."""

    code = "caseCorrupted"


class CaseLocked(CaseError):
    """The passphrase does not open the case's secrets (or they were tampered with)."""

    code = "caseLocked"


class StepOutOfOrder(CaseError):
    """A step whose inputs are not in the folder yet (``anshim case status`` names them)."""

    code = "stepOutOfOrder"


class WarrantRefused(InvestigatorError):
    """A warrant that cannot be used: too few approvals, expired, or another body."""

    code = "warrantRefused"


class ShareBatchRefused(InvestigatorError):
    """A share batch that answers another warrant or whose signature does not verify."""

    code = "shareBatchRefused"


class UnsealIncomplete(InvestigatorError):
    """Some records could not be opened with the collected shares.

    ``envelope_ids`` lists them; ``bad_custodians`` names the custodians whose shares
    were bad (also written to the case log).
    """

    code = "unsealIncomplete"

    def __init__(
        self,
        message: str,
        *,
        envelope_ids: Sequence[str] = (),
        bad_custodians: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.envelope_ids = tuple(envelope_ids)
        self.bad_custodians = tuple(bad_custodians)


class IdentityRefused(InvestigatorError):
    """An unsealed identity whose issuer is not trusted or whose signature fails."""

    code = "identityRefused"


class RegistryUnavailable(InvestigatorError):
    """The registry could not be reached or answered with a server error (retryable)."""

    code = "registryUnavailable"


class RegistryRefused(InvestigatorError):
    """The registry refused a request; ``remote_code`` is its problem detail's code."""

    code = "registryRefused"

    def __init__(self, message: str, *, status: int = 0, remote_code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.remote_code = remote_code


class ReportUnavailable(InvestigatorError):
    """Drawing the PNG needs the ``report`` extra (matplotlib)."""

    code = "reportUnavailable"
