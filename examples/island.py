"""An outbreak on an island, end to end (``make demo``).

Udo, a small island off Jeju. The health authority's registry and one venue service hosting
every venue of the island run as real uvicorn processes on free loopback ports (SQLite).
Five custodians hold a 3-of-5 escrow key made in a key ceremony. The island's venues (a
wedding hall, a church, a cafe, a district office with a thermal camera that detects masks,
and the others) register at the registry over HTTP and print their posters; a few thousand
residents enrol their wallets. Two days pass on a simulated clock: poster, kiosk and
holder-shown check-ins, SMS and call check-ins through the telecom gateway, assisted entry,
a visitor refused for fever and one for no mask, check-outs and forgotten ones. Then a
wedding guest tests positive: the diary disclosure, the contacts at the hall, a warrant
three custodians approve, unsealing, a second hop through one contact's escrowed trace
seeds, the report and call list, exposure notices matched on the phones, and a contact's
phone learning from the audit log that its visit was unsealed.

    python examples/island.py            # the default island (about 2 minutes on 2 cores)
    python examples/island.py --help     # the scale and where things go

Every figure printed is counted or measured in the run. Every process started is stopped
at the end, on Ctrl-C, on SIGTERM and on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import island_town as town
from island_case import CASE_ID, Investigation
from island_days import Island, make_plan
from island_procs import Service, SimClock, Stopped, stop_on_signals

from did import KDF_TEST, Ed25519PrivateKey, day_of, did_from_public_key, save_private_key

DAY = town.DAY
#: Friday 6 August 2021, 00:00 UTC: the first of the two days (the wedding is on Saturday).
FIRST_DAY = day_of(1628208000)
REPO = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="An outbreak on an island, end to end: real services, two simulated days, "
        "a case from disclosure to report.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--venues", type=int, default=200, help="venues on the island (at least 4)")
    p.add_argument("--wallets", type=int, default=2500, help="residents with a wallet")
    p.add_argument(
        "--guests",
        type=int,
        default=1000,
        help="wedding guests (90%% with a wallet, the rest by SMS, call or staff; at least 5)",
    )
    p.add_argument(
        "--visits",
        type=float,
        default=0.8,
        help="ordinary visits per resident per day (besides the story's)",
    )
    p.add_argument("--threads", type=int, default=4, help="phones checking in side by side")
    p.add_argument("--seed", type=int, default=2021, help="the island's random seed")
    p.add_argument(
        "--out",
        type=Path,
        default=REPO / "out" / "island",
        help="where the case's report and call list go",
    )
    p.add_argument("--work", type=Path, help="state folder (default: a temporary one, removed)")
    p.add_argument("--figures", type=Path, help="also write the story's figures as JSON here")
    args = p.parse_args(argv)
    if args.venues < 4 or args.wallets < 4 or args.guests < 2 or args.visits < 0:
        p.error("at least 4 venues, 4 wallets and 2 guests; visits >= 0")
    if args.guests < 5 or args.guests * 0.9 > args.wallets:
        p.error("at least 5 guests, and 90%% of them at most --wallets")
    return args


class Story:
    """The lines the demo prints, each as it happens, with the time since the start."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, *parts: str) -> None:
        print(f"[{time.perf_counter() - self.start:6.1f} s] " + " ".join(parts), flush=True)


def hhmm(t: int, day: bool = False) -> str:
    """Island time as ``Sat 11:42`` (``day``) or ``11:42``."""
    return time.strftime("%a %H:%M" if day else "%H:%M", time.gmtime(t))


def detail(*parts: str) -> None:
    """An indented line under the story's last step."""
    print("           " + " ".join(parts), flush=True)


def camel(name: str) -> str:
    """``qr_static`` as the venue service names it: ``qrStatic``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def tally(counts: Counter[str]) -> str:
    return ", ".join(f"{k} {n}" for k, n in counts.most_common()) or "none"


def metric(http: httpx.Client, name: str, label: str = "") -> float:
    """A counter's total from the registry's ``/metrics`` (Prometheus text), over the
    series whose labels contain ``label`` (e.g. ``outcome="inserted"``)."""
    text = town.ok(http.get("/metrics")).text
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith(name) and label in line)  # fmt: skip


def _phones_folder(work: Path) -> Path:
    # Each phone's wallet store saves with fsync; a few thousand phones on one disk would
    # measure the disk. On a RAM disk (tmpfs) they behave like phones: each its own flash.
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="anshim-island-phones-", dir=shm))
    return work / "phones"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    say = Story()
    work = args.work or Path(tempfile.mkdtemp(prefix="anshim-island-"))
    work.mkdir(parents=True, exist_ok=True)
    phones = _phones_folder(work)
    services: list[Service] = []
    residents: list[town.Resident] = []
    figures: dict[str, Any] = {"ports": [], "pids": []}
    try:
        figures.update(play(args, say, work, phones, services, residents, figures))
        return 0
    except Stopped as exc:
        print(f"\nstopped ({exc}): stopping the services", file=sys.stderr)
        return 130
    finally:
        for r in residents:
            r.wallet.close()
        for s in reversed(services):
            s.stop()
        if services:
            say(
                f"stopped {len(services)} services: "
                + ", ".join(
                    f"{s.role} (pid {s.pid}, port {s.port}, exit {s.proc.returncode})"
                    for s in services
                )
            )
        if args.figures is not None:
            args.figures.parent.mkdir(parents=True, exist_ok=True)
            args.figures.write_text(json.dumps(figures, indent=2, default=str))
        shutil.rmtree(phones, ignore_errors=True)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


def play(
    args: argparse.Namespace,
    say: Story,
    work: Path,
    phones: Path,
    services: list[Service],
    residents: list[town.Resident],
    figures: dict[str, Any],
) -> dict[str, Any]:
    rng = random.Random(args.seed)
    clock = SimClock(work / "clock", FIRST_DAY * DAY - DAY + 8 * 3600)

    say(f"Key ceremony: {len(town.CUSTODIAN_NAMES)} custodians, threshold 3, epoch keys for 4 days")
    custodians = town.ceremony(work / "custodians", FIRST_DAY, 4)
    for name, did in zip(town.CUSTODIAN_NAMES, custodians.dids, strict=True):
        print(f"           {name}: {did[:24]}…")

    admin_key, registry_key, issuer = (Ed25519PrivateKey.generate() for _ in range(3))
    state = work / "registry"
    state.mkdir()
    save_private_key(state / "registry-key.json", registry_key, town.PASSPHRASE, kdf=KDF_TEST)
    env = {
        "ANSHIM_PASSPHRASE": town.PASSPHRASE,
        "ANSHIM_REGISTRY_PUBLIC_URL": town.PUBLIC_URL,
        "ANSHIM_REGISTRY_ADMIN_DID": did_from_public_key(admin_key.public_key),
        "ANSHIM_REGISTRY_STATE_DIR": str(state),
        "ANSHIM_REGISTRY_CUSTODIANS": ",".join(custodians.dids),
        "ANSHIM_REGISTRY_THRESHOLD": "3",
    }
    registry = Service("registry", clock=clock, log=work / "registry.log", env=env)
    services.append(registry)
    registry.wait_up()
    figures["ports"].append(registry.port)
    figures["pids"].append(registry.pid)
    say(f"Registry service up: {registry.url} (pid {registry.pid}, SQLite in {state})")
    http = httpx.Client(base_url=registry.url, timeout=120)
    admin = town.Admin(http, admin_key, clock)
    town.ok(
        http.put(
            "/epoch-keys",
            content=custodians.directory.to_bytes(),
            headers={"content-type": "application/cbor"},
        )
    )

    venues = town.island_venues(args.venues, rng)
    camera = Ed25519PrivateKey.generate()
    started = time.perf_counter()
    for v in venues:
        town.register(http, admin, v, clock())
        v.poster = town.read_poster(town.ok(http.get(f"/venues/{v.venue_id}/poster.svg")).content)
        if v.key == "office":
            v.devices = (did_from_public_key(camera.public_key),)
    by_key = {v.key: v for v in venues}
    say(
        f"{len(venues)} venues registered, approved and their posters read back "
        f"({time.perf_counter() - started:.1f} s), among them:"
    )
    for key in ("hall", "church", "cafe", "office"):
        detail(f"{by_key[key].name} ({by_key[key].category}): {by_key[key].did}")
    detail(
        f"the district office's AI thermal camera with mask detector: {by_key['office'].devices[0]}"
    )
    config = town.venue_config(
        work / "venue",
        venues,
        registry_url=registry.url,
        directory=custodians.directory.to_bytes(),
        custodians=custodians.dids,
    )
    venue = Service(
        "venue",
        clock=clock,
        log=work / "venue.log",
        config=config,
        env={"ANSHIM_PASSPHRASE": town.PASSPHRASE},
    )
    services.append(venue)
    venue.wait_up()
    figures["ports"].append(venue.port)
    figures["pids"].append(venue.pid)
    say(f"Venue service up: {venue.url} (pid {venue.pid}), hosting all {len(venues)} venues")

    started = time.perf_counter()
    directory = town.ok(http.get("/epoch-keys")).content
    residents += town.enrol(
        phones,
        args.wallets,
        registry_key=registry_key.public_key,
        custodians=custodians.dids,
        directory=directory,
        issuer=issuer,
        now=clock(),
    )
    seeds = town.upload_trace_seeds(http, residents, range(FIRST_DAY, FIRST_DAY + 2))
    say(
        f"{len(residents)} wallets enrolled and {seeds} trace seeds escrowed at the registry "
        f"({time.perf_counter() - started:.1f} s)"
    )

    plan = make_plan(
        rng, residents, venues, first_day=FIRST_DAY, guests=args.guests, visits=args.visits
    )
    island = Island(
        venue.url,
        clock,
        venues,
        gateway_secret=(config.parent / "gateway.secret").read_bytes(),
        camera=camera,
        threads=args.threads,
    )
    marks = {len(plan.events) * k // 4 for k in (1, 2, 3)}

    def progress(done: int, total: int) -> None:
        if any(done >= m > done - 400 for m in marks):
            marks.difference_update({m for m in marks if m <= done})
            say(f"  … {done} of {total} events played (island time {hhmm(clock(), True)})")

    say(f"Two days on the island: {len(plan.events)} events (Fri 6 and Sat 7 August 2021)")
    started = time.perf_counter()
    try:
        island.play(plan.events, progress=progress)
    finally:
        island.close()
    played = time.perf_counter() - started
    admitted, refused, checked_out = island.service_counts()
    seen = island.outcomes
    say(f"Two days played in {played:.1f} s; the venue service counted:")
    detail(f"admitted {sum(admitted.values())}:", tally(admitted))
    detail(f"refused {sum(refused.values())}:", tally(refused))
    missing = sum(admitted.values()) - checked_out
    detail(f"checked out {checked_out}; without a check-out {missing}",
           "(the category's default dwell applies)")  # fmt: skip
    if (Counter(seen.admitted), Counter(seen.refused)) != (admitted, refused):
        detail("(but the phones, gateway and staff were told: admitted", tally(seen.admitted),
               "; refused", tally(seen.refused) + ")")  # fmt: skip

    started = time.perf_counter()
    deadline = time.monotonic() + 120
    while httpx.get(venue.url + "/health").json()["backlog"] and time.monotonic() < deadline:
        time.sleep(0.2)
    backlog = httpx.get(venue.url + "/health").json()["backlog"]
    stored = metric(http, "anshim_registry_records_total", 'outcome="inserted"')
    closed = metric(http, "anshim_registry_records_total", 'outcome="updated"')
    waited = time.perf_counter() - started
    say(f"Venue uploads drained in {waited:.1f} s more (backlog {backlog}); the registry",
        f"stored {stored:.0f} sealed records and {closed:.0f} check-out updates")  # fmt: skip

    hall = by_key["hall"]
    inv = Investigation(
        url=registry.url, http=http, clock=clock, custodians=custodians, admin=admin,
        issuer_did=did_from_public_key(issuer.public_key), folder=work / "cases" / CASE_ID,
        out=args.out / CASE_ID,
    )  # fmt: skip
    say(f"Sun 8 Aug 09:00: a wedding guest tests positive; case {CASE_ID} opens")
    case = inv.run(plan, venues, first_day=FIRST_DAY)
    f = inv.findings
    names = {v.did: v.name_en for v in venues}
    for stay in f.case_stays:
        detail("the case's diary:", names[stay["venue"]],
               f"{hhmm(stay['start'], True)}–{hhmm(stay['end'])}")  # fmt: skip
    detail(f"contacts found: {f.contacts[1]} ({f.hall_contacts} at the wedding hall)")
    detail(f"warrant approved by 3 of 5 custodians; {f.opened[1]} identities unsealed and",
           "checked:", tally(Counter({camel(k): n for k, n in f.by_channel.items()})))  # fmt: skip
    if f.hop_blocked:
        detail("second hop NOT RUN:", f.hop_blocked)
    else:
        hop_venues = ", ".join(sorted({names[stay["venue"]] for stay in f.hop_stays}))
        detail(f"second hop through one guest's trace seeds: {len(f.hop_stays)} of its visits",
               f"({hop_venues}), {f.contacts.get(2, 0)} more contacts,",
               f"{f.opened.get(2, 0)} identities unsealed")  # fmt: skip
    detail("step times (s):", ", ".join(f"{k} {v}" for k, v in f.seconds.items()))
    report = f.outputs["report_html"]
    say(f"Report written {f.case_to_report_s:.1f} s after the case opened: {report}")
    detail(f"call list: {f.outputs['call_list']}")
    now = clock()
    inv.publish_log(now)
    inv.notify(case, venues, residents, now)
    say(
        f"{f.notices} exposure notices published; {f.matched_wallets} phones matched one",
        f"on the phone ({f.matched_there} of the {f.wallets_there} whose diary was there)",
    )
    stranger = next(
        r for r in reversed(residents) if r.n not in plan.hall_wallets and r.wallet.visits()
    )
    inv.check_audit(plan.hop, stranger, hall)
    detail(f"audit log published: {f.audit_entries} entries; a guest's phone asks about its",
           f"hall visit: unsealed={f.checked_visit['unsealed']} under case "
           f"{', '.join(f.checked_visit['cases'])} (an inclusion proof against a",
           f"custodian-signed head of {f.checked_visit['unsealed_count']} unsealed records)",
    )  # fmt: skip
    detail("a resident who was not there asks about a visit of its own:",
           f"unsealed={f.absent_visit['unsealed']} (an absence proof)")  # fmt: skip
    return {
        "venues": len(venues),
        "wallets": len(residents),
        "events": len(plan.events),
        "play_seconds": round(played, 1),
        "admitted": dict(admitted),
        "refused": dict(refused),
        "checked_out": checked_out,
        "seen_admitted": dict(seen.admitted),
        "seen_refused": dict(seen.refused),
        "guests": plan.hall_guests,
        "case_stays": len(f.case_stays),
        "contacts": f.contacts,
        "hall_contacts": f.hall_contacts,
        "opened": f.opened,
        "hop_blocked": f.hop_blocked,
        "hop_stays": len(f.hop_stays),
        "case_to_report_s": f.case_to_report_s,
        "report": str(f.outputs["report_html"]),
        "call_list": str(f.outputs["call_list"]),
        "notices": f.notices,
        "matched_wallets": f.matched_wallets,
        "matched_there": f.matched_there,
        "wallets_there": f.wallets_there,
        "contact_visit_unsealed": f.checked_visit["unsealed"],
        "contact_visit_cases": f.checked_visit["cases"],
        "stranger_visit_unsealed": f.absent_visit["unsealed"],
        "audit_entries": f.audit_entries,
    }


if __name__ == "__main__":
    sys.exit(main())
