"""The outbreak: a wedding guest tests positive. The investigator's case over the registry's
HTTP API (``investigator.Case``), the custodians' approvals and shares (``escrow``) with
every one of them in the audit log, the report and call list, the exposure notices the
wallets match on the phone, and a contact's wallet checking the published audit log."""

from __future__ import annotations

import base64
import inspect
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from island_days import Plan
from island_town import AUTHORITY, DAY, PASSPHRASE, Admin, Custodians, Resident, Venue, ok

from did import KDF_TEST, Ed25519PrivateKey, did_from_public_key
from escrow import AuditLog, UnsealRequest, Warrant, answer_warrant
from investigator import Case, CaseRecord, HttpRegistryClient, publish_notice, write_outputs
from wallet import read_audit_answer

CASE_ID = "UDO-2021-0807"


@dataclass
class Findings:
    case_stays: list[dict[str, Any]] = field(default_factory=list)
    contacts: dict[int, int] = field(default_factory=dict)  # round -> contacts found
    opened: dict[int, int] = field(default_factory=dict)  # round -> identities unsealed
    by_channel: Counter[str] = field(default_factory=Counter)
    hall_contacts: int = 0
    hop_stays: list[dict[str, Any]] = field(default_factory=list)
    hop_blocked: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    case_to_report_s: float = 0.0
    outputs: dict[str, Path] = field(default_factory=dict)
    audit_entries: int = 0
    notices: int = 0
    matched_wallets: int = 0
    matched_there: int = 0
    wallets_there: int = 0
    checked_visit: dict[str, Any] = field(default_factory=dict)
    absent_visit: dict[str, Any] = field(default_factory=dict)


def investigator_credential(
    http: httpx.Client, admin: Admin, key: Ed25519PrivateKey
) -> dict[str, Any]:
    """The authority's InvestigatorCredential for ``key``, issued over the VC-API."""
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "InvestigatorCredential"],
        "credentialSubject": {
            "id": did_from_public_key(key.public_key),
            "role": "epidemiological investigator",
        },
    }
    answer = ok(
        http.post("/credentials/issue", json={"credential": credential}, headers=admin.headers())
    )
    vc: dict[str, Any] = answer.json()["verifiableCredential"]
    return vc


class Investigation:
    """The case from the disclosure to the notices."""

    def __init__(
        self,
        *,
        url: str,
        http: httpx.Client,
        clock: Any,
        custodians: Custodians,
        admin: Admin,
        issuer_did: str,
        folder: Path,
        out: Path,
    ) -> None:
        self.url, self.http, self.clock = url, http, clock
        self.custodians, self.admin, self.issuer_did = custodians, admin, issuer_did
        self.folder, self.out = folder, out
        self.audit = AuditLog()
        self.findings = Findings()
        self._mark = 0.0

    def _lap(self, name: str) -> None:
        now = time.perf_counter()
        self.findings.seconds[name] = round(now - self._mark, 3)
        self._mark = now

    def _stage(self, case: Case, name: str, now: int) -> int:
        """Three custodians approve the stage's warrant and answer it with their shares;
        each approval and batch goes into the audit log; the case collects and unseals."""
        draft = case.folder.read_bytes(f"warrants/{name}/draft.warrant")
        copies = []
        for store in self.custodians.stores[:3]:
            approved = Warrant.from_bytes(draft).approve(store.key, store.did, now=now)
            self.audit.record_approval(approved, store.key, store.did, now=now)
            copies.append(approved.to_bytes())
        case.approve(name, copies, now=now)
        warrant = Warrant.from_bytes(case.folder.read_bytes(f"warrants/{name}/approved.warrant"))
        request = UnsealRequest.from_bytes(case.folder.read_bytes(f"warrants/{name}/request.cbor"))
        for store in self.custodians.stores[:3]:
            batch = answer_warrant(
                warrant, request, store=store, directory=self.custodians.directory, now=now
            )
            self.audit.record_batch(batch, store.key, store.did, now=now)
            case.collect(name, batch.to_bytes(), now=now)
        return case.unseal(name, now=now, processes=os.cpu_count())

    def run(self, plan: Plan, venues: list[Venue], *, first_day: int) -> Case:
        """From the positive test (the morning after the wedding) to the written report."""
        f = self.findings
        self.clock.set((first_day + 2) * DAY + 9 * 3600)
        now = self.clock()
        key = Ed25519PrivateKey.generate()
        did = did_from_public_key(key.public_key)
        credential = investigator_credential(self.http, self.admin, key)
        registry = HttpRegistryClient(
            self.url, key=key, did=did, credential=credential, clock=self.clock
        )
        self._mark = start = time.perf_counter()
        window = (first_day * DAY, (first_day + 2) * DAY - 1)
        disclosure = plan.case.wallet.export_disclosure(*window, audience=AUTHORITY, now=now)
        record = CaseRecord(
            case_id=CASE_ID,
            investigator=did,
            authority=AUTHORITY,
            window_start=window[0],
            window_end=window[1],
            onset=window[0] + DAY,
            trusted_issuers=(self.issuer_did,),
        )
        directory = ok(self.http.get("/epoch-keys")).content
        case = Case.create(
            self.folder,
            record,
            PASSPHRASE,
            directory=directory,
            custodians=self.custodians.dids,
            now=now,
            who="investigator Oh",
            registry=registry,
            kdf=KDF_TEST,
        )
        f.case_stays = [s.to_json() for s in case.visits_from_disclosure(disclosure, now=now)]
        self._lap("disclosure")
        contacts = case.find_contacts(1, now=now)
        hall = next(v for v in venues if v.key == "hall")
        f.contacts[1] = len(contacts)
        f.hall_contacts = sum(1 for c in contacts if c["record"]["venue"] == hall.did)
        self._lap("contacts")
        case.draft_identities(1, now=now, quorum=(1, 2, 3))
        f.opened[1] = self._stage(case, "r1-identities", now)
        f.by_channel = Counter(i.channel for i in case.identities(1))
        self._lap("warrant_and_unseal")
        self._hop(case, plan, now)
        names = {v.did: v.name for v in venues}
        f.outputs = write_outputs(case, self.out, now=now, venue_names=names)
        self._lap("report")
        f.case_to_report_s = round(time.perf_counter() - start, 2)
        registry.close()
        return case

    def _hop(self, case: Case, plan: Plan, now: int) -> None:
        f = self.findings
        paths = ok(self.http.get("/openapi.json")).json()["paths"]
        if "/queries/trace-seeds" not in paths:
            f.hop_blocked = (
                "the registry service has no POST /queries/trace-seeds, which "
                "investigator.HttpRegistryClient.trace_seeds calls"
            )
            return
        case.next_hop(people=[plan.hop.credential_id], now=now)
        self._stage(case, "r2-seeds", now)
        f.hop_stays = case.stays(2)
        f.contacts[2] = len(case.find_contacts(2, now=now))
        if f.contacts[2]:
            case.draft_identities(2, now=now, quorum=(1, 2, 3))
            f.opened[2] = self._stage(case, "r2-identities", now)
        self._lap("second_hop")

    def publish_log(self, now: int) -> None:
        """A custodian signs the log's head; the registry publishes it (verified against
        the pinned custodians)."""
        store = self.custodians.stores[0]
        self.audit.sign_head(store.key, store.did, now=now)
        ok(
            self.http.put(
                "/audit-log",
                content=self.audit.to_bytes(),
                headers={"content-type": "application/cbor"},
            )
        )
        self.findings.audit_entries = len(self.audit.entries)

    def notify(self, case: Case, venues: list[Venue], residents: list[Resident], now: int) -> None:
        """The authority publishes a notice for each of the case's stays; every phone
        fetches the feed and matches it against its own diary."""
        f = self.findings
        admin_client = HttpRegistryClient(
            self.url, key=self.admin.key, did=self.admin.did, clock=self.clock
        )
        # The administrator publishes notices (DESIGN.md "Access control"): investigator's
        # publish_notice takes the administrator's client as ``admin`` (older versions used
        # the case's own client, so the case is also opened with it).
        as_admin = Case.load(
            case.folder.path, PASSPHRASE, who="the authority's administrator", registry=admin_client
        )
        extra = (
            {"admin": admin_client}
            if "admin" in inspect.signature(publish_notice).parameters
            else {}
        )
        names = {v.did: v.name_en for v in venues}
        for stay in f.case_stays:
            publish_notice(
                as_admin,
                stay["venue"],
                stay["start"],
                stay["end"],
                risk=3,
                now=now,
                message=f"A confirmed case visited {names[stay['venue']]}: get tested",
                **extra,
            )
            f.notices += 1
        admin_client.close()
        feed = ok(self.http.get("/notices", params={"since": 0})).json()
        notices = [
            base64.urlsafe_b64decode(e["notice"] + "==") for e in feed["events"] if "notice" in e
        ]
        stays = [(s["venue"], s["start"], s["end"]) for s in f.case_stays]
        for r in residents:
            if r is residents[0]:
                continue  # the case itself
            there = any(
                v.venue == venue and v.time_in <= end and v.end(3600) >= start
                for v in r.wallet.visits()
                for venue, start, end in stays
            )
            matched = bool(r.wallet.match_exposures(notices, now=now))
            f.wallets_there += there
            f.matched_wallets += matched
            f.matched_there += matched and there

    def check_audit(self, contact: Resident, stranger: Resident, hall: Venue) -> None:
        """A contact's phone asks the published audit log about its visit at the hall (an
        inclusion proof naming the case), a stranger's about one of its own (an absence
        proof); each wallet checks the custodians' signatures on the tree head and on the
        log entries it is shown, against the custodians it pinned when it was made."""
        f = self.findings
        for who, wanted, into in (
            (contact, hall.did, f.checked_visit),
            (stranger, None, f.absent_visit),
        ):
            visit = next(v for v in who.wallet.visits() if wanted is None or v.venue == wanted)
            answer = ok(self.http.get(f"/audit-log/proofs/{visit.record_id.hex()}"))
            head, proof = read_audit_answer(answer.content)
            checked = who.wallet.was_unsealed(visit, head=head, proof=proof)
            into.update(
                unsealed=checked.unsealed,
                cases=list(checked.case_ids),
                venue=visit.venue,
                time_in=visit.time_in,
                head_size=checked.head_size,
                unsealed_count=checked.unsealed_count,
            )
