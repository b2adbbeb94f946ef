"""A case, from its own visits to the identities of its contacts, hop by hop (DESIGN.md
"Investigation" steps 1-5). The Python API every command of ``anshim case`` calls.

The investigation goes in rounds. Round 1 searches the case's own stays (from its wallet's
diary disclosure, from its escrowed trace seeds when the phone is lost, or from the
interview) and finds the first-order contacts (hop 1); round N searches the stays of
chosen hop N−1 contacts, found through their own escrowed trace seeds, and finds hop N.
Every round keeps its files in ``hops/N/`` (``people.json``, ``visits.json``,
``contacts.json``) and has its own warrants: ``rN-seeds`` for trace seeds, ``rN-identities``
for the contacts' identities. Everything is read back from the folder, so a case resumes
after a crash at any step; :func:`~investigator.case_status` says what comes next.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from did import KDF_MODERATE, Ed25519PublicKey, KdfParams, day_of
from did.errors import AnshimError, InvalidSignature
from escrow import EpochKeyDirectory, TraceSeedLabel, Warrant
from investigator import _warrants as stages
from investigator._folder import CaseFolder, CaseRecord
from investigator._identities import Identity, decode_identity
from investigator._records import Record, Stay, VenueInfo, label_of
from investigator._registry import RegistryClient
from investigator.errors import (
    CaseCorrupted,
    CaseInputError,
    CaseLocked,
    DisclosureRefused,
    IdentityRefused,
    StepOutOfOrder,
)
from protocol import TRACE_SEED_SIZE, DiaryDisclosure, category, locator

__all__ = ["CASE_PERSON", "LOCATOR_BATCH", "Case"]

#: The graph's and the files' name for the case itself.
CASE_PERSON = "case"
#: (venue, locator) pairs per registry look-up on the trace-seed path.
LOCATOR_BATCH = 5000
_TZ = 14 * 3600

Progress = Callable[[Iterable[Any], str], Iterable[Any]]


def _identity(items: Iterable[Any], _desc: str) -> Iterable[Any]:
    return items


class Case:
    """An open case folder with the registry client and the verified epoch-key directory.

    Build with :meth:`create` (a new case) or :meth:`load`. ``who`` (the investigator's
    name or DID) signs every log entry; ``registry`` is needed only by the steps that ask
    the registry.
    """

    def __init__(
        self,
        folder: CaseFolder,
        directory: EpochKeyDirectory,
        *,
        who: str,
        registry: RegistryClient | None = None,
        progress: Progress = _identity,
    ) -> None:
        self.folder = folder
        self.directory = directory
        self.who = who
        self._registry = registry
        self.progress = progress
        self._venues: dict[str, VenueInfo] | None = None
        # Records parsed in this session by visit id (the folder's JSON is the record).
        self._parsed: dict[str, Record] = {}

    @property
    def record(self) -> CaseRecord:
        """The case record."""
        return self.folder.record

    @property
    def has_registry(self) -> bool:
        """Whether a registry client was given."""
        return self._registry is not None

    @property
    def registry(self) -> RegistryClient:
        """The registry client. Raises :class:`StepOutOfOrder` when none was given."""
        if self._registry is None:
            raise StepOutOfOrder("this step asks the registry: give a registry client")
        return self._registry

    # -- opening ------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | Path,
        record: CaseRecord,
        passphrase: str,
        *,
        directory: bytes,
        custodians: Sequence[str],
        now: int,
        who: str,
        registry: RegistryClient | None = None,
        kdf: KdfParams = KDF_MODERATE,
        progress: Progress = _identity,
    ) -> Case:
        """Open a new case (DESIGN.md "Investigation" step 1).

        ``directory`` is the epoch-key directory, verified against the pinned
        ``custodians`` before anything is written.

        Raises:
            CaseInputError: the directory does not verify against the custodians.
            CaseExists: ``path`` already holds a case.
        """
        parsed = _verified_directory(directory, custodians)
        folder = CaseFolder.create(path, record, passphrase, who=who, now=now, kdf=kdf)
        folder.write_bytes("directory.cbor", directory)
        folder.write_json("custodians.json", list(custodians))
        return cls(folder, parsed, who=who, registry=registry, progress=progress)

    @classmethod
    def load(
        cls,
        path: str | Path,
        passphrase: str | None = None,
        *,
        who: str,
        registry: RegistryClient | None = None,
        progress: Progress = _identity,
    ) -> Case:
        """Open an existing case (unlocked when ``passphrase`` is given).

        Raises:
            CaseNotFound, CaseCorrupted, CaseLocked: from the folder.
        """
        folder = CaseFolder.load(path, passphrase)
        try:
            directory = _verified_directory(
                folder.read_bytes("directory.cbor"), folder.read_json("custodians.json")
            )
        except (FileNotFoundError, CaseInputError) as exc:
            raise CaseCorrupted(f"the case's epoch-key directory is missing or bad: {exc}") from exc
        return cls(folder, directory, who=who, registry=registry, progress=progress)

    def log(self, step: str, what: dict[str, Any], *, now: int) -> None:
        """Append a step to the case log."""
        self.folder.log(step, what, who=self.who, now=now)

    def _query(
        self, kind: str, args: dict[str, Any], records: Sequence[Record], *, now: int
    ) -> None:
        # Every registry query and its answer is kept as a file (DESIGN.md "Investigation").
        n = len(self.folder.listdir("queries")) + 1
        name = f"queries/{n:05d}-{kind}.json"
        self.folder.write_json(
            name, {"kind": kind, "at": now, "args": args, "records": [r.to_json() for r in records]}
        )

    # -- venues -------------------------------------------------------------------------
    def venues(self) -> dict[str, VenueInfo]:
        """The registry's directory of active venues (fetched once per session, asked
        under the case)."""
        if self._venues is None:
            self._venues = {v.did: v for v in self.registry.venues(self.record.case_id)}
        return self._venues

    def _record(self, obj: dict[str, Any]) -> Record:
        # A record read back from the folder, parsed strictly once per session.
        record = self._parsed.get(obj["visit_id"])
        if record is None or record.to_json() != obj:
            record = self._parsed[obj["visit_id"]] = Record.from_json(obj)
        return record

    def _venue_key(self, did: str) -> Ed25519PublicKey | None:
        raw = self.registry.venue_key(did)
        return None if raw is None else Ed25519PublicKey.from_bytes(raw)

    # -- round 1: the case's own stays --------------------------------------------------
    def _write_stays(
        self, rnd: int, people: list[dict[str, Any]], stays: list[dict[str, Any]]
    ) -> None:
        self.folder.write_json(f"hops/{rnd}/people.json", people)
        self.folder.write_json(f"hops/{rnd}/visits.json", stays)

    def visits_from_disclosure(self, data: bytes, *, now: int) -> list[Stay]:
        """The case's own stays from its wallet's diary disclosure (step 2a): every
        receipt's venue signature and pseudonym countersignature checked, receipts outside
        the case window dropped, stays completed from the registry's records.

        Raises:
            DisclosureRefused: the disclosure does not verify (the protocol error is the
                ``__cause__``; its code is in the log).
        """
        rec = self.record
        try:
            diary = DiaryDisclosure.verify(data, self._venue_key, audience=rec.authority, now=now)
        except (AnshimError, ValueError) as exc:
            code = getattr(exc, "code", "invalidInput")
            self.log("disclosure-refused", {"code": code, "reason": str(exc)}, now=now)
            raise DisclosureRefused(f"diary disclosure refused: {exc} [{code}]") from exc
        self.folder.write_bytes("disclosure.cbor", data)
        by_visit: dict[str, tuple[str, int, int | None]] = {}
        for r in diary.receipts:
            if not rec.window_start <= r.time_in <= rec.window_end:
                continue
            vid = r.visit_id.hex()
            _, _, out = by_visit.get(vid, (r.venue, r.time_in, None))
            by_visit[vid] = (r.venue, r.time_in, r.time_out if r.time_out is not None else out)
        ends = {}
        if by_visit:
            days = [day_of(t, tz_offset=self.directory.tz_offset) for _, t, _ in by_visit.values()]
            found = self.registry.records(
                rec.case_id, sorted(by_visit), first_day=min(days) - 1, last_day=max(days) + 1
            )
            self._query("records", {"visit_ids": sorted(by_visit)}, found, now=now)
            ends = {r.visit_id: r.visit.time_out for r in found if r.visit.time_out is not None}
        stays = []
        for vid, (venue, time_in, time_out) in sorted(by_visit.items(), key=lambda x: x[1][1]):
            end = time_out if time_out is not None else ends.get(vid)
            if end is None:
                # No check-out anywhere: the venue class's default dwell, as the venue and
                # the registry end the record (protocol.CATEGORIES).
                known = self.venues().get(venue)
                end = time_in + category(known.category if known else None).dwell
            stays.append(Stay(venue, time_in, end, "disclosure", vid))
        self._write_stays(
            1, [{"person": CASE_PERSON}], [{"person": CASE_PERSON, **s.to_json()} for s in stays]
        )
        self.log(
            "visits",
            {"source": "disclosure", "receipts": len(diary.receipts), "stays": len(stays)},
            now=now,
        )
        return stays

    def visits_from_interview(
        self, stays: Sequence[tuple[str, int, int]], *, now: int
    ) -> list[Stay]:
        """The case's own stays as the interview named them (step 2c: a case without a
        wallet); the contacts query then finds the case's own records among the others.

        Raises:
            CaseInputError: a stay that is not (venue DID, start, end) or outside the window.
        """
        out = []
        for venue, start, end in stays:
            stay = Stay(venue, start, end, "interview")
            if stay.end < self.record.window_start or stay.start > self.record.window_end:
                raise CaseInputError("an interview stay lies outside the case window")
            out.append(stay)
        self.folder.write_json("interview.json", [s.to_json() for s in out])
        self._write_stays(
            1, [{"person": CASE_PERSON}], [{"person": CASE_PERSON, **s.to_json()} for s in out]
        )
        self.log("visits", {"source": "interview", "stays": len(out)}, now=now)
        return out

    def _days(self, start: int, end: int) -> list[int]:
        tz = self.directory.tz_offset
        return list(range(day_of(start, tz_offset=tz), day_of(end, tz_offset=tz) + 1))

    def draft_seeds(self, rnd: int, people: Sequence[dict[str, Any]], *, now: int) -> Warrant:
        """Draft round ``rnd``'s warrant for the trace seeds of ``people`` (each
        ``{person, credential_id, start, end, through}``): the lost-phone path for the
        case (round 1), next hops after it (step 5).

        Raises:
            StepOutOfOrder: the registry holds no trace seed of these people in the window.
        """
        found: list[tuple[str, int, bytes]] = []
        scope = []
        for p in people:
            days = self._days(p["start"], p["end"])
            scope.append((p["credential_id"], days[0], days[-1]))
            for day in days:
                label = TraceSeedLabel(p["credential_id"], day).to_bytes()
                found += [
                    (p["credential_id"], day, e)
                    for e in self.registry.trace_seeds(self.record.case_id, label)
                ]
        self.folder.write_json(f"hops/{rnd}/people.json", list(people))
        self.log(
            "trace-seeds-found",
            {"round": rnd, "people": len(people), "envelopes": len(found)},
            now=now,
        )
        return stages.draft(
            self.folder,
            f"r{rnd}-seeds",
            stages.seed_items(found),
            credentials=scope,
            now=now,
            who=self.who,
        )

    def lost_phone(self, credential_id: str, *, now: int) -> Warrant:
        """Start the lost-phone path (step 2b): draft the warrant for the case's escrowed
        trace seeds over the window (``credential_id``: the case's identity credential,
        from its issuer). After it is approved, collected and unsealed, :meth:`unseal`
        recomputes the locators and finds the case's own records.

        Raises:
            StepOutOfOrder: no trace seed of the credential at the registry.
        """
        rec = self.record
        person = {
            "person": CASE_PERSON,
            "credential_id": credential_id,
            "start": rec.window_start,
            "end": rec.window_end,
            "through": "",
        }
        return self.draft_seeds(1, [person], now=now)

    def _stays_from_seeds(
        self, rnd: int, opened: list[tuple[dict[str, Any], bytes]], *, now: int
    ) -> None:
        people = {p["credential_id"]: p for p in self.folder.read_json(f"hops/{rnd}/people.json")}
        venues = list(self.venues().values())
        work: list[tuple[str, int, list[tuple[str, bytes]]]] = []
        for item, seed in opened:
            if len(seed) != TRACE_SEED_SIZE:
                continue  # a squatter's envelope under the label: not a seed
            pairs = [(v.did, locator(seed, v.did)) for v in venues]
            for i in range(0, len(pairs), LOCATOR_BATCH):
                work.append((item["credential"], item["day"], pairs[i : i + LOCATOR_BATCH]))
        stays: list[dict[str, Any]] = []
        seen: set[str] = set()
        for cred, day, chunk in self.progress(work, "locators"):
            found = self.registry.locators(self.record.case_id, day, chunk)
            self._query("locators", {"day": day, "pairs": len(chunk)}, found, now=now)
            person = people[cred]
            for r in found:
                if r.visit_id in seen or r.end < person["start"] or r.start > person["end"]:
                    continue
                seen.add(r.visit_id)
                stay = Stay(r.visit.venue, r.start, r.end, "trace-seeds", r.visit_id)
                stays.append({"person": person["person"], **stay.to_json()})
        stays.sort(key=lambda s: (s["start"], s["venue"]))
        self.folder.write_json(f"hops/{rnd}/visits.json", stays)
        self.log("visits", {"source": "trace-seeds", "round": rnd, "stays": len(stays)}, now=now)

    # -- contacts -----------------------------------------------------------------------
    def stays(self, rnd: int) -> list[dict[str, Any]]:
        """Round ``rnd``'s searched stays (``person`` and the :class:`Stay` fields).

        Raises:
            StepOutOfOrder: the round has no stays yet.
        """
        name = f"hops/{rnd}/visits.json"
        if not self.folder.exists(name):
            raise StepOutOfOrder(f"round {rnd} has no stays yet")
        result: list[dict[str, Any]] = self.folder.read_json(name)
        return result

    def known_visit_ids(self, before: int) -> set[str]:
        """Every record id already searched or found in rounds before ``before``: the
        searched stays (the case's own records among them) and the contacts found."""
        known: set[str] = set()
        for rnd in range(1, before):
            if self.folder.exists(f"hops/{rnd}/visits.json"):
                known |= {s["visit_id"] for s in self.stays(rnd) if s["visit_id"]}
            if self.folder.exists(f"hops/{rnd}/contacts.json"):
                known |= {c["record"]["visit_id"] for c in self.contacts(rnd)}
        return known

    def find_contacts(self, rnd: int = 1, *, now: int) -> list[dict[str, Any]]:
        """The contacts of round ``rnd``'s stays (step 3): one registry contacts query per
        stay (minimum overlap and extra margin from the case record), deduplicated across
        stays; the searched people's own records and records already found are left out.
        Each contact lists every stay it overlapped (``through``) and its largest overlap.

        Raises:
            StepOutOfOrder: the round has no stays yet.
        """
        rec = self.record
        stays = self.stays(rnd)
        own = {s["visit_id"] for s in stays if s["visit_id"]}
        earlier = self.known_visit_ids(rnd)
        found: dict[str, dict[str, Any]] = {}
        for index, s in enumerate(self.progress(stays, "contacts")):
            start, end = max(0, s["start"] - rec.extra_margin), s["end"] + rec.extra_margin
            records = self.registry.contacts(
                rec.case_id,
                s["venue"],
                start,
                end,
                min_overlap=rec.min_overlap,
                exclude=sorted(own),
            )
            self._query(
                "contacts", {"venue": s["venue"], "start": start, "end": end}, records, now=now
            )
            for r in records:
                if r.visit_id in own or r.visit_id in earlier:
                    continue
                self._parsed.setdefault(r.visit_id, r)
                entry = found.setdefault(r.visit_id, {"record": r.to_json(), "through": []})
                entry["through"].append(
                    {"person": s["person"], "stay": index, "overlap_seconds": r.overlap_seconds}
                )
                if r.overlap_seconds > entry["record"]["overlap_seconds"]:
                    entry["record"] = r.to_json()
        contacts = sorted(
            found.values(), key=lambda c: (c["record"]["start"], c["record"]["visit_id"])
        )
        self.folder.write_json(f"hops/{rnd}/contacts.json", contacts)
        self.log(
            "contacts", {"round": rnd, "stays": len(stays), "contacts": len(contacts)}, now=now
        )
        return contacts

    def contacts(self, rnd: int) -> list[dict[str, Any]]:
        """Round ``rnd``'s contacts as :meth:`find_contacts` wrote them.

        Raises:
            StepOutOfOrder: no contacts query yet for the round.
        """
        name = f"hops/{rnd}/contacts.json"
        if not self.folder.exists(name):
            raise StepOutOfOrder(f"round {rnd} has no contacts yet")
        result: list[dict[str, Any]] = self.folder.read_json(name)
        return result

    def draft_identities(self, rnd: int = 1, *, now: int, quorum: Sequence[int] = ()) -> Warrant:
        """Draft round ``rnd``'s warrant for exactly its contacts' records (step 4);
        ``quorum`` as :func:`investigator._warrants.draft`.

        Raises:
            StepOutOfOrder: no contacts yet, or none to open.
        """
        records = [self._record(c["record"]) for c in self.contacts(rnd)]
        return stages.draft(
            self.folder,
            f"r{rnd}-identities",
            stages.visit_items(records),
            now=now,
            who=self.who,
            quorum=quorum,
        )

    # -- warrant stages -----------------------------------------------------------------
    def approve(
        self, name: str, approved: Sequence[bytes], *, now: int, fold: bool = True
    ) -> Warrant:
        """Merge approved copies of a stage's warrant and check its quorum; with ``fold``,
        the request names k approvers as the folding quorum (see
        :func:`investigator._warrants.approve`)."""
        return stages.approve(
            self.folder, name, approved, self.directory, now=now, who=self.who, fold=fold
        )

    def collect(self, name: str, batch: bytes, *, now: int) -> None:
        """Keep one custodian's share batch (see :func:`investigator._warrants.collect`)."""
        stages.collect(self.folder, name, batch, self.directory, now=now, who=self.who)

    def unseal(self, name: str, *, now: int, processes: int | None = None) -> int:
        """Open a stage's records and keep the result sealed in the folder.

        An identities stage decodes and checks every identity (refused ones are logged and
        left out); a seeds stage recomputes locators and finds the round's stays. Returns
        how many records were opened.

        Raises:
            StepOutOfOrder, UnsealIncomplete: from :func:`investigator._warrants.open_stage`.
            CaseLocked: the case was loaded without its passphrase.
        """
        if not self.folder.unlocked:
            raise CaseLocked("the case is locked: give the passphrase to unseal")
        opened = stages.open_stage(
            self.folder, name, self.directory, now=now, who=self.who, processes=processes,
            progress=self.progress,
        )  # fmt: skip
        rnd = int(name[1:].split("-", 1)[0])
        if name.endswith("-seeds"):
            seeds = [{**item, "seed": plain.hex()} for item, plain in opened]
            self.folder.write_secret(f"warrants/{name}/result.enc", json.dumps(seeds).encode())
            self.log("unsealed", {"warrant": name, "seeds": len(seeds)}, now=now)
            self._stays_from_seeds(rnd, opened, now=now)
            return len(opened)
        records = {c["record"]["visit_id"]: c["record"] for c in self.contacts(rnd)}
        identities, refused = [], 0
        for item, plain in opened:
            rec = records[item["visit_id"]]
            try:
                identity = decode_identity(
                    plain,
                    envelope_id=item["envelope_id"],
                    visit_id=item["visit_id"],
                    channel=rec["channel"],
                    trusted_issuers=self.record.trusted_issuers,
                    label=label_of(self._record(rec).visit).to_bytes(),
                    time_in=rec["time_in"],
                )
            except IdentityRefused as exc:
                refused += 1
                self.log(
                    "identity-refused",
                    {"visit_id": item["visit_id"], "reason": exc.message},
                    now=now,
                )
                continue
            identities.append(identity.to_json())
        self.folder.write_secret(f"warrants/{name}/result.enc", json.dumps(identities).encode())
        self.log(
            "unsealed",
            {"warrant": name, "identities": len(identities), "refused": refused},
            now=now,
        )
        return len(identities)

    def identities(self, rnd: int) -> list[Identity]:
        """Round ``rnd``'s unsealed identities (empty before they are opened).

        Raises:
            CaseLocked: the case was loaded without its passphrase.
        """
        name = f"warrants/r{rnd}-identities/result.enc"
        if not self.folder.exists(name):
            return []
        return [Identity.from_json(x) for x in json.loads(self.folder.read_secret(name))]

    # -- next hops ----------------------------------------------------------------------
    def next_hop(self, *, people: Sequence[str] | None = None, now: int) -> Warrant:
        """Start the next round (step 5): a warrant for the trace seeds of the last
        round's wallet contacts (all of them, or those whose credential ids or phone
        numbers are in ``people``), each over the days from its contact with the case's
        chain to the end of the window.

        Raises:
            StepOutOfOrder: the last round's identities are not opened yet, the hop limit
                is reached, or no chosen contact has a wallet credential.
        """
        rnd = self.rounds()
        if rnd >= self.record.hop_limit:
            raise StepOutOfOrder(f"the case's hop limit ({self.record.hop_limit}) is reached")
        if not self.folder.exists(f"warrants/r{rnd}-identities/result.enc"):
            raise StepOutOfOrder(f"round {rnd}'s identities are not opened yet")
        contacts = {c["record"]["visit_id"]: c for c in self.contacts(rnd)}
        chosen: dict[str, dict[str, Any]] = {}
        for ident in self.identities(rnd):
            if not ident.credential_id:
                continue
            if people is not None and not {ident.credential_id, ident.phone} & set(people):
                continue
            rec = contacts[ident.visit_id]["record"]
            p = chosen.setdefault(
                ident.credential_id,
                {
                    "person": ident.phone,
                    "credential_id": ident.credential_id,
                    "start": rec["start"],
                    "end": self.record.window_end,
                    "through": ident.visit_id,
                },
            )
            p["start"] = min(p["start"], rec["start"])
        if not chosen:
            raise StepOutOfOrder(f"no wallet contact of round {rnd} to follow")
        return self.draft_seeds(
            rnd + 1, sorted(chosen.values(), key=lambda p: p["person"]), now=now
        )

    def rounds(self) -> int:
        """The highest round with stays or people in the folder (0 before any)."""
        n = 0
        while self.folder.exists(f"hops/{n + 1}/people.json"):
            n += 1
        return n


def _verified_directory(data: bytes, custodians: Sequence[str]) -> EpochKeyDirectory:
    try:
        directory = EpochKeyDirectory.from_bytes(data)
        directory.verify(trusted_custodians=list(custodians))
    except (InvalidSignature, AnshimError, ValueError) as exc:
        raise CaseInputError(f"the epoch-key directory does not verify: {exc}") from exc
    return directory
