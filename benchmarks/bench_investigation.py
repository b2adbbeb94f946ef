"""Investigation benchmark: a wedding hall with 1,000 real wallet check-ins (issue 13
"Performance"). Prints JSON.

Runs from any directory without PYTHONPATH (it puts the repository root on ``sys.path``
for ``benchmarks.town``, the town the investigator's end-to-end tests use too).

Set-up (not timed): a real 3-of-5 key ceremony; the registry service (registry.service on
SQLite) served by uvicorn on loopback; a hall and ``--venues`` other venues registered and
approved through its API; 1,000 wallet check-ins at the hall during one reception, each
with its own wallet secret, holder key and issued identity credential, its pseudonym and
locator derived as a wallet derives them and the holder's signature over the label; and
``--records`` background check-ins at the other venues; all uploaded in venue-signed
batches over HTTP. The case is one of the guests, who discloses its diary.

Timed, from the case's disclosure to the written report (``case_to_report_s``): the
disclosure's verification and the registry look-ups of the case's records (``visits``),
the contacts query with the signed records (``query``), the warrant draft (the approval
then names the three approvers as the folding quorum, as ``Case.approve`` does by default,
so they fold their Lagrange coefficients into their shares), the 3 custodians' share
batches (each custodian one after another, in this process: their CPU
time; ``shares_slowest_custodian`` is what a deployment with a machine per custodian waits
for), collecting the batches, combining and decrypting on every core with the identities
checked (``combine``), and the graph, HTML report, PNG and call list (``report``). The
custodians' approval is a person's act and is timed separately (``approval_s``).
Baseline (same run): a bare libsodium Ed25519 verify. Repeated ``--runs`` times; medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nacl.signing

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks.town

from benchmarks.town import running_town
from did import KDF_TEST, Ed25519PrivateKey, did_from_public_key
from escrow import (
    Roster,
    ShareStore,
    UnsealRequest,
    Warrant,
    answer_warrant,
    deal,
    finalize,
    publish,
)
from investigator import Case, CaseRecord, HttpRegistryClient, write_outputs
from protocol import Channel, DiaryDisclosure

DAY = 86400
EPOCH = 20000
NOW = (EPOCH + 1) * DAY + 6 * 3600
RECEPTION = EPOCH * DAY + 11 * 3600
PASS = "custodian passphrase"
AUTHORITY = "did:web:kdca.example"
ISSUER = Ed25519PrivateKey.generate()
ISSUER_DID = did_from_public_key(ISSUER.public_key)


def _ceremony(tmp: Path) -> tuple[list[ShareStore], Any]:
    stores = [ShareStore.create(tmp / f"c{i}.store", PASS, kdf=KDF_TEST) for i in range(5)]
    roster = Roster.new([s.did for s in stores], 3, first_epoch=EPOCH, epochs=2)
    deals = [deal(roster, s.key) for s in stores]
    return stores, publish(roster, [finalize(roster, deals, s, PASS) for s in stores])


def _bare_verify_us() -> float:
    key = nacl.signing.SigningKey.generate()
    signed = key.sign(b"x" * 200)
    vk = key.verify_key
    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        vk.verify(signed)
    return (time.perf_counter() - start) / n * 1e6


def _run(
    town: Any, stores: list[ShareStore], directory: Any, tmp: Path, n: int
) -> dict[str, float]:
    holder = town.holders[0]
    registry = HttpRegistryClient(
        town.url, key=town.investigator_key,
        did=did_from_public_key(town.investigator_key.public_key),
        credential=town.investigator_credential, clock=lambda: town.clock.now,
    )  # fmt: skip
    record = CaseRecord(
        case_id=f"BENCH-{n}", investigator=did_from_public_key(town.investigator_key.public_key),
        authority=AUTHORITY, window_start=EPOCH * DAY, window_end=(EPOCH + 1) * DAY,
        onset=EPOCH * DAY, trusted_issuers=(ISSUER_DID,),
    )  # fmt: skip
    case = Case.create(
        tmp / f"case-{n}", record, "case passphrase", directory=directory.to_bytes(),
        custodians=list(directory.custodians), now=NOW, who="bench", registry=registry,
        kdf=KDF_TEST,
    )  # fmt: skip
    disclosure = DiaryDisclosure.create(
        holder.receipts, audience=AUTHORITY, window_start=EPOCH * DAY,
        window_end=(EPOCH + 1) * DAY, issued=NOW,
    ).to_cbor()  # fmt: skip
    t: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        t[name] = now - mark
        mark = now

    case.visits_from_disclosure(disclosure, now=NOW)
    lap("visits")
    contacts = case.find_contacts(1, now=NOW)
    lap("query")
    warrant = case.draft_identities(1, now=NOW)
    lap("warrant_draft")
    approved = Warrant.from_bytes(warrant.to_bytes())
    a0 = time.perf_counter()
    for s in stores[:3]:
        approved = approved.approve(s.key, s.did, now=NOW)
    case.approve("r1-identities", [approved.to_bytes()], now=NOW)
    approval = time.perf_counter() - a0
    mark = time.perf_counter()
    request = UnsealRequest.from_bytes(
        case.folder.read_bytes("warrants/r1-identities/request.cbor")
    )
    per: list[float] = []
    batches = []
    for s in stores[:3]:
        c0 = time.perf_counter()
        batches.append(answer_warrant(approved, request, store=s, directory=directory, now=NOW))
        per.append(time.perf_counter() - c0)
    lap("shares_3_custodians")
    for b in batches:
        case.collect("r1-identities", b.to_bytes(), now=NOW)
    lap("collect")
    opened = case.unseal("r1-identities", now=NOW, processes=os.cpu_count())
    lap("combine")
    write_outputs(case, tmp / f"out-{n}", now=NOW)
    lap("report")
    registry.close()
    total = sum(t.values())
    return {
        **t,
        "shares_slowest_custodian": max(per),
        "case_to_report_s": total,
        "deployment_case_to_report_s": total - t["shares_3_custodians"] + max(per),
        "approval_s": approval,
        "contacts_found": float(len(contacts)),
        "identities_opened": float(opened),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--guests", type=int, default=1000)
    parser.add_argument("--records", type=int, default=2000, help="background check-ins")
    parser.add_argument("--venues", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    baseline = _bare_verify_us()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        stores, directory = _ceremony(tmp)
        special = [
            {"venue": 0, "time_in": RECEPTION + (i * 7) % 1800,
             "time_out": RECEPTION + 7200 + (i * 11) % 1800,
             "channel": Channel.QR_STATIC, "holder": i}
            for i in range(args.guests)
        ]  # fmt: skip
        with running_town(
            tmp, directory, issuer=ISSUER, first_day=EPOCH, now=NOW, venues=args.venues + 1,
            wallets=args.guests, gateway_visitors=args.records, seed=7, special=special,
            background_visits=False, trace_seeds=False,
        ) as town:  # fmt: skip
            runs = [_run(town, stores, directory, tmp, n) for n in range(args.runs)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    out = {
        "guests": args.guests,
        "background_records": args.records,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "contacts_found": int(med.pop("contacts_found")),
        "identities_opened": int(med.pop("identities_opened")),
        "median_seconds": {k: round(v, 4) for k, v in med.items()},
        "case_to_report_s": round(med["case_to_report_s"], 3),
        "goal_case_to_report_s": 5.0,
        "baseline_bare_ed25519_verify_us": round(baseline, 2),
        "case_to_report_in_bare_verifies": round(med["case_to_report_s"] * 1e6 / baseline),
        "load_average": os.getloadavg(),
    }
    json.dump(out, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
