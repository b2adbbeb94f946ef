"""Where a case stands and what comes next (``anshim case status``), read from the case
folder's files alone, so it is right after a crash, on another workstation, or after a
hand-over."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from investigator._case import Case
from investigator._warrants import StageState, stage_state

__all__ = ["CaseStatus", "case_status"]


@dataclass(frozen=True, slots=True)
class CaseStatus:
    """The case's round, its current stage, what is done, and the next step (a command)."""

    case_id: str
    round: int
    stage: str
    next_step: str
    done: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON form ``anshim case status`` prints."""
        return {
            "case_id": self.case_id,
            "round": self.round,
            "stage": self.stage,
            "next": self.next_step,
            "done": list(self.done),
            "detail": self.detail,
        }


def _warrant_step(case: Case, state: StageState) -> tuple[str, str] | None:
    path = case.folder.file(f"warrants/{state.name}")
    k = case.directory.threshold
    if not state.drafted:
        return None
    if not state.approved:
        return (
            f"{state.name}: approval",
            f"custodians: anshim escrow warrant approve --warrant {path}/draft.warrant "
            f"--out APPROVED …; then: anshim case warrant approve --warrant {state.name} "
            f"--file APPROVED… ({k} approvals needed)",
        )
    if not state.opened and state.batches < k:
        return (
            f"{state.name}: shares ({state.batches} of {k})",
            f"custodians: anshim escrow share --warrant {path}/approved.warrant --request "
            f"{path}/request.cbor …; then: "
            f"anshim case collect --warrant {state.name} --batch FILE…",
        )
    if not state.opened:
        return (f"{state.name}: unseal", f"anshim case unseal --warrant {state.name}")
    return None


def case_status(case: Case) -> CaseStatus:
    """The case's status (module docstring)."""
    f = case.folder
    rec = case.record
    done: list[str] = [e.step for e in f.entries()]
    rounds = case.rounds()
    base: dict[str, Any] = {"case_id": rec.case_id, "done": tuple(dict.fromkeys(done))}
    if rounds == 0:
        return CaseStatus(
            round=1,
            stage="visits",
            next_step="anshim case visits --disclosure FILE | --interview FILE | --lost-phone ID",
            **base,
        )
    detail: dict[str, Any] = {}
    for rnd in range(1, rounds + 1):
        seeds = stage_state(case.folder, f"r{rnd}-seeds")
        step = _warrant_step(case, seeds)
        if step is not None:
            return CaseStatus(round=rnd, stage=step[0], next_step=step[1], detail=detail, **base)
        if not f.exists(f"hops/{rnd}/visits.json"):
            return CaseStatus(
                round=rnd,
                stage="visits",
                next_step=f"anshim case unseal --warrant r{rnd}-seeds",
                detail=detail,
                **base,
            )
        detail[f"round_{rnd}_stays"] = len(case.stays(rnd))
        if not f.exists(f"hops/{rnd}/contacts.json"):
            return CaseStatus(
                round=rnd,
                stage="contacts",
                next_step=f"anshim case contacts --round {rnd}",
                detail=detail,
                **base,
            )
        contacts = case.contacts(rnd)
        detail[f"round_{rnd}_contacts"] = len(contacts)
        identities = stage_state(case.folder, f"r{rnd}-identities")
        if not identities.drafted:
            if not contacts:
                continue
            return CaseStatus(
                round=rnd,
                stage="warrant",
                next_step=f"anshim case warrant draft --round {rnd}",
                detail=detail,
                **base,
            )
        step = _warrant_step(case, identities)
        if step is not None:
            return CaseStatus(round=rnd, stage=step[0], next_step=step[1], detail=detail, **base)
    if rounds < rec.hop_limit and f.exists(f"warrants/r{rounds}-identities/result.enc"):
        nxt = "anshim case hop [--person PHONE…]  or  anshim case report --out DIR"
    else:
        nxt = "anshim case report --out DIR"
    return CaseStatus(round=rounds, stage="report", next_step=nxt, detail=detail, **base)
