"""Warrants for exactly a case's records, and opening them (DESIGN.md "Investigation" steps
3 and 4, "Escrow": warrant, decryption share, combining).

One warrant stage lives in ``warrants/NAME/`` of the case folder:

1. :func:`draft` writes ``draft.warrant`` (the unapproved warrant: case id, purpose, scope,
   expiry, investigator), ``request.cbor`` (the :class:`escrow.UnsealRequest` custodians
   answer: every envelope with its label recomputed from the record) and ``items.json``
   (what each envelope is: a visit record or a trace seed). The scope lists exactly the
   records' envelope ids, or, for trace seeds, the credential and its days.
2. Custodians approve the draft with ``anshim escrow warrant approve`` (each on its own
   copy or passing one file along); :func:`approve` merges the approvals of every copy,
   checks the quorum and expiry against the epoch-key directory and writes
   ``approved.warrant`` — a warrant short of k approvals is refused and the refusal logged.
   Once the approvers are known, and unless the draft named one, ``request.cbor`` names k
   of them as the folding quorum ("Escrow": combining): those custodians fold their
   Lagrange coefficients into their shares, so combining a record is additions only;
   any other custodian may still answer with plain shares in a missing one's place.
3. Each custodian answers with ``anshim escrow share``; :func:`collect` checks a batch's
   signature and warrant id and keeps it as ``batches/I.cbor``.
4. :func:`open_stage` combines the batches with escrow's combiner on every core (a bad
   custodian is named in the case log and excluded) and returns the plaintexts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from did import cbor
from did.errors import AnshimError, DecodeError, InvalidSignature
from escrow import (
    Envelope,
    EpochKeyDirectory,
    ShareBatch,
    TraceSeedLabel,
    UnsealRequest,
    Warrant,
    WarrantScope,
    label_from_bytes,
    unseal,
)
from investigator._folder import CaseFolder
from investigator._records import Record, label_of
from investigator.errors import (
    ShareBatchRefused,
    StepOutOfOrder,
    UnsealIncomplete,
    WarrantRefused,
)

__all__ = [
    "DEFAULT_VALID_FOR",
    "StageState",
    "approve",
    "collect",
    "draft",
    "open_stage",
    "seed_items",
    "stage_state",
    "visit_items",
]

#: How long a drafted warrant stays valid for approval and shares (s): three days.
DEFAULT_VALID_FOR = 3 * 86400
_MAX_REQUEST = 64 * 1024 * 1024  # escrow's bound on an unsealing request

Progress = Callable[[Iterable[Any], str], Iterable[Any]]
#: One envelope of a stage: (envelope bytes, label bytes, what it is for ``items.json``).
Item = tuple[bytes, bytes, dict[str, Any]]


def _identity(items: Iterable[Any], _desc: str) -> Iterable[Any]:
    return items


def visit_items(records: Sequence[Record]) -> list[Item]:
    """The envelopes of visit records, labelled as custodians recompute them."""
    return [
        (
            r.visit.envelope,
            label_of(r.visit).to_bytes(),
            {"kind": "visit", "visit_id": r.visit_id, "envelope_id": r.envelope_id},
        )
        for r in records
    ]


def seed_items(found: Sequence[tuple[str, int, bytes]]) -> list[Item]:
    """The trace-seed envelopes ``(credential id, day, envelope)`` found at the registry.

    Raises:
        InvalidLabel: a credential id that makes no label.
    """
    out: list[Item] = []
    for credential, day, envelope in found:
        label = TraceSeedLabel(credential, day)
        out.append(
            (
                envelope,
                label.to_bytes(),
                {"kind": "trace-seed", "credential": credential, "day": day},
            )
        )
    return out


def _dir(name: str) -> str:
    return f"warrants/{name}"


def draft(
    folder: CaseFolder,
    name: str,
    items: Sequence[Item],
    *,
    credentials: Sequence[tuple[str, int, int]] = (),
    now: int,
    who: str,
    valid_for: int = DEFAULT_VALID_FOR,
    quorum: Sequence[int] = (),
) -> Warrant:
    """Draft the warrant of stage ``name`` for exactly ``items`` (module docstring, step 1).

    The scope lists the items' envelope ids, or ``credentials`` (id, first day, last day)
    for a trace-seed stage. ``quorum`` (k custodian indices) asks those custodians to fold
    their Lagrange coefficients into their shares, so combining is two additions per
    record; other custodians may still answer with plain shares as stand-ins.

    Raises:
        StepOutOfOrder: no items (nothing to open).
        MalformedEnvelope: an envelope that does not parse (:mod:`escrow.errors`).
        DecodeError, WarrantError: a scope escrow refuses.
    """
    if not items:
        raise StepOutOfOrder(f"warrant {name}: there are no records to open")
    envelopes = [Envelope.from_bytes(e) for e, _, _ in items]
    if credentials:
        scope = WarrantScope(credentials=tuple(credentials))
    else:
        scope = WarrantScope(records=frozenset(bytes.fromhex(e.envelope_id) for e in envelopes))
    record = folder.record
    warrant = Warrant.create(
        case_id=record.case_id,
        purpose=f"{record.purpose} ({name})",
        investigator=record.investigator,
        scope=scope,
        issued=now,
        expires=now + valid_for,
    )
    request = UnsealRequest(
        warrant.warrant_id,
        tuple(
            (env, label_from_bytes(lab)) for env, (_, lab, _) in zip(envelopes, items, strict=True)
        ),
        tuple(quorum),
    )
    base = _dir(name)
    folder.write_json(f"{base}/items.json", [meta for _, _, meta in items])
    folder.write_bytes(f"{base}/request.cbor", request.to_bytes())
    folder.write_bytes(f"{base}/draft.warrant", warrant.to_bytes())
    folder.log(
        "warrant-drafted",
        {
            "warrant": name,
            "warrant_id": warrant.warrant_id.hex(),
            "records": len(items),
            "expires": warrant.expires,
            "file": f"{base}/draft.warrant",
        },
        who=who,
        now=now,
    )
    return warrant


def _draft(folder: CaseFolder, name: str) -> Warrant:
    path = f"{_dir(name)}/draft.warrant"
    if not folder.exists(path):
        raise StepOutOfOrder(f"warrant {name} has not been drafted")
    return Warrant.from_bytes(folder.read_bytes(path))


def approve(
    folder: CaseFolder,
    name: str,
    approved: Sequence[bytes],
    directory: EpochKeyDirectory,
    *,
    now: int,
    who: str,
    fold: bool = True,
) -> Warrant:
    """Merge custodians' approved copies of the draft and check the quorum (step 2).

    With ``fold`` (the default), a request that names no quorum is rewritten to name the
    k approvers with the lowest indices (module docstring), unless the stage was already
    approved (custodians may have answered the request as it was).

    Raises:
        StepOutOfOrder: the stage was not drafted.
        WarrantRefused: a copy of another warrant body, or the merged warrant fails
            :meth:`escrow.Warrant.verify` (fewer than k approvals, a signer who is not a
            custodian, a bad signature, expired); the refusal is written to the log.
    """
    body = _draft(folder, name)
    approvals: dict[str, bytes] = {}
    try:
        for data in approved:
            copy = Warrant.from_bytes(data)
            if copy.body != body.body:
                raise WarrantRefused(f"warrant {name}: an approved copy is of another warrant")
            for did, sig in copy.approvals:
                approvals.setdefault(did, sig)
        merged = Warrant.from_bytes(
            cbor.encode({"body": body.body, "approvals": [[d, s] for d, s in approvals.items()]})
        )
        merged.verify(directory, now=now)
    except (AnshimError, ValueError) as exc:
        code = getattr(exc, "code", "invalidInput")
        folder.log(
            "warrant-refused",
            {"warrant": name, "approvals": len(approvals), "code": code, "reason": str(exc)},
            who=who,
            now=now,
        )
        if isinstance(exc, WarrantRefused):
            raise
        raise WarrantRefused(f"warrant {name} refused: {exc} [{code}]") from exc
    if fold and not folder.exists(f"{_dir(name)}/approved.warrant"):
        _name_quorum(folder, name, sorted(approvals), directory, now=now, who=who)
    folder.write_bytes(f"{_dir(name)}/approved.warrant", merged.to_bytes())
    folder.log(
        "warrant-approved",
        {"warrant": name, "approvals": sorted(approvals), "threshold": directory.threshold},
        who=who,
        now=now,
    )
    return merged


def _name_quorum(
    folder: CaseFolder,
    name: str,
    approvers: Sequence[str],
    directory: EpochKeyDirectory,
    *,
    now: int,
    who: str,
) -> None:
    path = f"{_dir(name)}/request.cbor"
    # Only the request's quorum field changes (escrow._custodian's format): the records and
    # their labels are copied as they are, not decoded and encoded again.
    request = cbor.decode(folder.read_bytes(path), max_size=_MAX_REQUEST, max_depth=3)
    if request.get("quorum") or folder.listdir(f"{_dir(name)}/batches"):
        return
    indices = sorted(directory.custodians.index(d) + 1 for d in approvers)
    quorum = indices[: directory.threshold]
    folder.write_bytes(path, cbor.encode({**request, "quorum": quorum}))
    folder.log("request-quorum", {"warrant": name, "quorum": quorum}, who=who, now=now)


def _approved(folder: CaseFolder, name: str) -> Warrant:
    path = f"{_dir(name)}/approved.warrant"
    if not folder.exists(path):
        raise StepOutOfOrder(f"warrant {name} has no approved copy with a quorum yet")
    return Warrant.from_bytes(folder.read_bytes(path))


def collect(
    folder: CaseFolder,
    name: str,
    data: bytes,
    directory: EpochKeyDirectory,
    *,
    now: int,
    who: str,
) -> ShareBatch:
    """Keep one custodian's share batch for stage ``name`` (step 3).

    Raises:
        StepOutOfOrder: the warrant is not approved yet.
        ShareBatchRefused: the batch does not parse, its signature is not its custodian's,
            or it answers another warrant.
    """
    warrant = _approved(folder, name)
    try:
        batch = ShareBatch.from_bytes(data)
        batch.verify(directory)
    except (DecodeError, InvalidSignature) as exc:
        raise ShareBatchRefused(f"share batch refused: {exc.message}") from exc
    if batch.warrant_id != warrant.warrant_id:
        raise ShareBatchRefused("the share batch answers another warrant")
    folder.write_bytes(f"{_dir(name)}/batches/{batch.index}.cbor", data)
    folder.log(
        "shares-collected",
        {
            "warrant": name,
            "custodian": batch.index,
            "did": batch.custodian,
            "shares": len(batch.shares),
        },
        who=who,
        now=now,
    )
    return batch


def open_stage(
    folder: CaseFolder,
    name: str,
    directory: EpochKeyDirectory,
    *,
    now: int,
    who: str,
    processes: int | None = None,
    progress: Progress = _identity,
) -> list[tuple[dict[str, Any], bytes]]:
    """Combine the collected batches and open every record of stage ``name`` (step 4).

    Returns ``(item, plaintext)`` per record in request order. Custodians whose shares were
    bad are named in the case log (``bad-shares``) whether or not the records opened.

    Raises:
        StepOutOfOrder: no approved warrant, or fewer batches than the threshold.
        UnsealIncomplete: a record that could not be opened (too few good shares).
    """
    _approved(folder, name)
    base = _dir(name)
    request = UnsealRequest.from_bytes(folder.read_bytes(f"{base}/request.cbor"))
    items = folder.read_json(f"{base}/items.json")
    batches = [
        ShareBatch.from_bytes(folder.read_bytes(p)) for p in folder.listdir(f"{base}/batches")
    ]
    if len(batches) < directory.threshold:
        raise StepOutOfOrder(
            f"warrant {name}: {len(batches)} share batches, {directory.threshold} needed"
        )
    outcomes = unseal(
        request,
        batches,
        directory,
        processes=processes or os.cpu_count() or 1,
        progress=progress,
    )
    bad: dict[int, str] = {}
    failed: list[str] = []
    out: list[tuple[dict[str, Any], bytes]] = []
    for item, outcome in zip(items, outcomes, strict=True):
        shares_bad = outcome.result.bad if outcome.result else getattr(outcome.error, "bad", ())
        for b in shares_bad:
            bad.setdefault(b.custodian, b.custodian_did)
        if outcome.result is None:
            failed.append(outcome.envelope_id)
        else:
            out.append((item, outcome.result.plaintext))
    if bad:
        folder.log(
            "bad-shares",
            {
                "warrant": name,
                "custodians": [{"index": i, "did": d} for i, d in sorted(bad.items())],
            },
            who=who,
            now=now,
        )
    if failed:
        folder.log("unseal-incomplete", {"warrant": name, "failed": len(failed)}, who=who, now=now)
        raise UnsealIncomplete(
            f"warrant {name}: {len(failed)} records could not be opened; collect more batches",
            envelope_ids=failed,
            bad_custodians=[d for _, d in sorted(bad.items())],
        )
    return out


@dataclass(frozen=True, slots=True)
class StageState:
    """Where a warrant stage stands: drafted, approved, batches collected, opened."""

    name: str
    drafted: bool
    approved: bool
    batches: int
    opened: bool


def stage_state(folder: CaseFolder, name: str) -> StageState:
    """The state of stage ``name`` read from the folder's files."""
    base = _dir(name)
    return StageState(
        name,
        folder.exists(f"{base}/draft.warrant"),
        folder.exists(f"{base}/approved.warrant"),
        len(folder.listdir(f"{base}/batches")),
        folder.exists(f"{base}/result.enc"),
    )
