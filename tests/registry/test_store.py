"""The store suite: every test runs on SQLite and on a real PostgreSQL (``store`` fixture)."""

from __future__ import annotations

import os

import pytest

import registry
from protocol import Channel, derive_trace_seed
from registry.errors import (
    ExpiredRecord,
    InvalidQuery,
    RecordConflict,
    StoreUnavailable,
    TraceSeedLabelFull,
)
from tests.registry.support import DAY, MINUTE, T0, check_out, make_venue, make_visit
from tests.registry.trace_seeds import make_trace_seed


def ids(matches: list[registry.Match]) -> set[bytes]:
    return {m.record.visit.visit_id for m in matches}


def ids_of(records: list[registry.StoredVisit]) -> set[bytes]:
    return {r.visit.visit_id for r in records}


# -- writes -------------------------------------------------------------------------------


def test_put_then_fetch_by_visit_id_returns_the_exact_signed_bytes(store: registry.Store) -> None:
    kit = make_venue(1)
    store.put_venues([kit.venue])
    record = make_visit(kit, T0 + 3600, T0 + 7200)
    assert store.put([record]) == registry.PutResult(inserted=1)
    (match,) = store.by_visit_ids([record.visit.visit_id], days=range(DAY, DAY + 1))
    assert match.record == record
    assert match.record.message() == record.message()
    assert match.overlap_seconds == 3600
    assert match.overlap_minutes == 60.0


def test_retried_batch_is_a_no_op(store: registry.Store) -> None:
    kit = make_venue(1)
    store.put_venues([kit.venue])
    batch = [make_visit(kit, T0 + 600 * i) for i in range(20)]
    assert store.put(batch) == registry.PutResult(inserted=20)
    assert store.put(batch) == registry.PutResult(unchanged=20)
    assert store.stats()[0].visits == 20


def test_batch_partly_stored_keeps_its_new_records(store: registry.Store) -> None:
    # The first write of a batch assumes none of it is stored; when some is, that write is
    # taken back whole and the batch sorted out: the new records must still be stored.
    kit = make_venue(1)
    store.put_venues([kit.venue])
    old = [make_visit(kit, T0 + 600 * i) for i in range(5)]
    store.put(old[:3])
    new = [make_visit(kit, T0 + 9000 + i) for i in range(4)]
    out = check_out(kit, old[0], T0 + 3600)
    assert store.put([*new[:2], *old, out, *new[2:]]) == registry.PutResult(
        inserted=2 + 2 + 2, updated=1, unchanged=2
    )
    assert store.stats()[0].visits == 9
    every = ids(store.by_visit_ids([r.visit.visit_id for r in old + new], days=range(DAY, DAY + 1)))
    assert every == ids_of(old + new)
    (stored,) = store.by_visit_ids([out.visit.visit_id], days=range(DAY, DAY + 1))
    assert stored.record == out


def test_conflicting_record_is_refused_and_the_whole_batch_is_not_written(
    store: registry.Store,
) -> None:
    kit = make_venue(1)
    store.put_venues([kit.venue])
    first = make_visit(kit, T0 + 3600)
    store.put([first])
    forged = make_visit(kit, T0 + 3600, visit_id=first.visit.visit_id)  # other pseudonym
    innocent = make_visit(kit, T0 + 4000)
    with pytest.raises(RecordConflict) as info:
        store.put([innocent, forged])
    assert info.value.visit_ids == (first.visit.visit_id.hex(),)
    (kept,) = store.by_visit_ids([first.visit.visit_id], days=range(DAY, DAY + 1))
    assert kept.record == first  # not overwritten
    assert store.by_visit_ids([innocent.visit.visit_id], days=range(DAY, DAY + 1)) == []


def test_conflicting_time_out_is_refused(store: registry.Store) -> None:
    kit = make_venue(1)
    record = make_visit(kit, T0 + 3600)
    store.put([check_out(kit, record, T0 + 5000)])
    with pytest.raises(RecordConflict):
        store.put([check_out(kit, record, T0 + 6000)])


def test_check_out_updates_the_stay_and_a_late_check_in_changes_nothing(
    store: registry.Store,
) -> None:
    kit = make_venue(1, "cafe")
    store.put_venues([kit.venue])
    record = make_visit(kit, T0 + 3600)
    store.put([record])
    (before,) = store.by_visit_ids([record.visit.visit_id], days=range(DAY, DAY + 1))
    assert before.end_assumed
    assert before.end == T0 + 3600 + 60 * MINUTE
    out = check_out(kit, record, T0 + 3600 + 25 * MINUTE)
    assert store.put([out]) == registry.PutResult(updated=1)
    assert store.put([record]) == registry.PutResult(unchanged=1)  # the check-in again
    (after,) = store.by_visit_ids([record.visit.visit_id], days=range(DAY, DAY + 1))
    assert after.record == out
    assert not after.end_assumed
    assert after.end == out.visit.time_out
    assert store.stats()[0].checked_out == 1


def test_a_batch_holding_check_in_and_check_out_stores_the_check_out(store: registry.Store) -> None:
    kit = make_venue(1)
    record = make_visit(kit, T0 + 3600)
    out = check_out(kit, record, T0 + 4000)
    assert store.put([record, out, record]) == registry.PutResult(inserted=1)
    (found,) = store.by_visit_ids([record.visit.visit_id], days=range(DAY, DAY + 1))
    assert found.record == out


def test_conflict_inside_one_batch_is_refused(store: registry.Store) -> None:
    kit = make_venue(1)
    a = make_visit(kit, T0 + 3600)
    b = make_visit(kit, T0 + 7200, visit_id=a.visit.visit_id)
    with pytest.raises(RecordConflict):
        store.put([a, b])
    assert store.days() == [] or store.stats()[0].visits == 0


def test_batch_spanning_days_is_stored_whole(store: registry.Store) -> None:
    kit = make_venue(1)
    store.put_venues([kit.venue])
    batch = [make_visit(kit, T0 + 86400 * d + 3600) for d in range(3)]
    assert store.put(batch).inserted == 3
    assert store.days() == [DAY, DAY + 1, DAY + 2]
    found = store.by_visit_ids([r.visit.visit_id for r in batch], days=range(DAY, DAY + 3))
    assert {m.record for m in found} == set(batch)
    assert store.put(batch) == registry.PutResult(unchanged=3)


def test_conflict_on_one_day_keeps_the_other_days_unwritten(store: registry.Store) -> None:
    kit = make_venue(1)
    first = make_visit(kit, T0 + 86400 + 3600)
    store.put([first])
    batch = [
        make_visit(kit, T0 + 3600),
        make_visit(kit, T0 + 86400 + 3600, visit_id=first.visit.visit_id),
    ]
    with pytest.raises(RecordConflict):
        store.put(batch)
    assert store.by_visit_ids([batch[0].visit.visit_id], days=range(DAY, DAY + 2)) == []


def test_data_survives_reopening(store_url: str, open_url) -> None:  # type: ignore[no-untyped-def]
    kit = make_venue(1)
    s1 = open_url(store_url)
    s1.put_venues([kit.venue])
    record = make_visit(kit, T0 + 100)
    s1.put([record])
    s1.close()
    s2 = open_url(store_url)
    assert s2.schema_version() == registry.SCHEMA_VERSION
    assert s2.venue(kit.did) == kit.venue
    assert [
        m.record for m in s2.by_visit_ids([record.visit.visit_id], days=range(DAY, DAY + 1))
    ] == [record]


# -- contacts -----------------------------------------------------------------------------


def test_contacts_need_ten_minutes_of_overlap_widened_by_the_margin(store: registry.Store) -> None:
    kit = make_venue(1, "shop")  # margin 5 min, dwell 30 min
    store.put_venues([kit.venue])
    start, end = T0 + 12 * 3600, T0 + 13 * 3600  # the case's stay
    # Overlaps: 15 min inside; ends 6 min after start (+5 margin = 11 min: in); ends 4 min
    # after start (+5 = 9 min: out); begins 6 min before the end (+5 = 11: in).
    inside = make_visit(kit, start + 10 * MINUTE, start + 25 * MINUTE)
    early_in = make_visit(kit, start - 60 * MINUTE, start + 6 * MINUTE)
    early_out = make_visit(kit, start - 60 * MINUTE, start + 4 * MINUTE)
    late_in = make_visit(kit, end - 6 * MINUTE, end + 60 * MINUTE)
    other_day = make_visit(kit, start - 86400, start - 86400 + 3600)
    store.put([inside, early_in, early_out, late_in, other_day])
    found = store.contacts(kit.did, start, end)
    assert ids(found) == {r.visit.visit_id for r in (inside, early_in, late_in)}
    by_id = {m.record.visit.visit_id: m for m in found}
    assert by_id[early_in.visit.visit_id].overlap_seconds == 11 * MINUTE
    assert by_id[inside.visit.visit_id].overlap_minutes == 15.0
    assert [m.start for m in found] == sorted(m.start for m in found)


def test_contacts_without_check_out_last_the_category_dwell(store: registry.Store) -> None:
    cafe = make_venue(1, "cafe")  # dwell 60 min, margin 15 min
    store.put_venues([cafe.venue])
    start = T0 + 12 * 3600
    # Checked in 80 min before the case: the assumed stay ends 20 min before the case
    # arrives, 5 min of overlap after the 15-min margin: not a contact. 70 min before: 20.
    gone = make_visit(cafe, start - 80 * MINUTE)
    stayed = make_visit(cafe, start - 55 * MINUTE)
    store.put([gone, stayed])
    (match,) = store.contacts(cafe.did, start, start + 30 * MINUTE)
    assert match.record == stayed
    assert match.end_assumed
    assert match.end == stayed.visit.time_in + 60 * MINUTE
    assert match.overlap_seconds == 20 * MINUTE


def test_unregistered_venue_gets_the_fallback_category(store: registry.Store) -> None:
    kit = make_venue(9)  # not in the directory: dwell 120 min, margin 15 min
    start = T0 + 12 * 3600
    record = make_visit(kit, start - 110 * MINUTE)
    store.put([record])
    (match,) = store.contacts(kit.did, start, start + 3600)
    assert match.overlap_seconds == 25 * MINUTE


def test_contacts_are_per_venue_exclude_ids_and_cross_midnight(store: registry.Store) -> None:
    a, b = make_venue(1, "bar"), make_venue(2, "bar")
    store.put_venues([a.venue, b.venue])
    midnight = T0 + 86400
    case = make_visit(a, midnight - 3600, midnight + 3600)
    before = make_visit(a, midnight - 1800, midnight - 600)  # on DAY
    after = make_visit(a, midnight + 600, midnight + 1800)  # on DAY + 1
    elsewhere = make_visit(b, midnight - 1800, midnight + 1800)
    store.put([case, before, after, elsewhere])
    found = store.contacts(a.did, midnight - 3600, midnight + 3600, exclude=[case.visit.visit_id])
    assert ids(found) == {before.visit.visit_id, after.visit.visit_id}


def test_a_stay_of_up_to_a_day_is_found(store: registry.Store) -> None:
    kit = make_venue(1, "office")
    long_stay = make_visit(kit, T0 + 3600, T0 + 3600 + 86400)  # MAX_STAY
    store.put([long_stay])
    start = T0 + 3600 + 86400 - 20 * MINUTE
    assert ids(store.contacts(kit.did, start, start + 3600)) == {long_stay.visit.visit_id}


# -- other queries ------------------------------------------------------------------------


def test_by_locators_and_by_pseudonym(store: registry.Store) -> None:
    a, b = make_venue(1), make_venue(2)
    store.put_venues([a.venue, b.venue])
    wallet = os.urandom(32)
    mine = make_visit(a, T0 + 3600, wallet=wallet)
    mine_b = make_visit(b, T0 + 7200, wallet=wallet)
    other = make_visit(a, T0 + 3600)
    sms = make_visit(a, T0 + 3600, channel=Channel.SMS)
    store.put([mine, mine_b, other, sms])
    pairs = [(a.did, mine.visit.locator), (b.did, mine_b.visit.locator)]
    assert ids(store.by_locators(DAY, pairs)) == {mine.visit.visit_id, mine_b.visit.visit_id}
    # A locator asked for under the wrong venue finds nothing.
    assert store.by_locators(DAY, [(b.did, mine.visit.locator)]) == []
    assert store.by_locators(DAY + 1, pairs) == []
    (p,) = store.by_pseudonym(mine.visit.pseudonym, DAY)
    assert p.record == mine
    assert p.end_assumed
    assert store.by_pseudonym(mine.visit.pseudonym, DAY + 1) == []


def test_lost_phone_path_finds_the_case_visits_from_its_seeds(store: registry.Store) -> None:
    kits = [make_venue(i) for i in range(30)]
    store.put_venues([k.venue for k in kits])
    wallet = os.urandom(32)
    visits = [
        make_visit(kits[3], T0 + 3600, wallet=wallet),
        make_visit(kits[7], T0 + 86400 + 60, wallet=wallet),
    ]
    noise = [make_visit(k, T0 + 3600) for k in kits]
    store.put(visits + noise)
    seeds = {d: derive_trace_seed(wallet, d) for d in (DAY, DAY + 1, DAY + 2)}
    for workers in (1, 2, 5):  # look-ups in parallel find the same, in the same order
        found = registry.lost_phone_visits(store, seeds, batch=7, workers=workers)
        assert [m.record for m in found] == visits
    with pytest.raises(InvalidQuery):
        registry.lost_phone_visits(store, seeds, workers=0)


def test_lost_phone_path_fails_whole_when_a_look_up_fails(store: registry.Store) -> None:
    kits = [make_venue(i) for i in range(30)]
    store.put_venues([k.venue for k in kits])

    class Failing:  # the real store, whose third look-up finds the database gone
        calls = 0

        def __getattr__(self, name: str) -> object:
            return getattr(store, name)

        def by_locators(self, day: int, pairs: list[tuple[str, bytes]]) -> object:
            Failing.calls += 1
            if Failing.calls == 3:
                raise StoreUnavailable("gone")
            return store.by_locators(day, pairs)

    seeds = {DAY: derive_trace_seed(os.urandom(32), DAY)}
    with pytest.raises(StoreUnavailable):
        registry.lost_phone_visits(Failing(), seeds, batch=2, workers=2)  # type: ignore[arg-type]


def test_trace_seeds_by_label(store: registry.Store) -> None:
    seed = make_trace_seed("urn:uuid:holder-1", DAY)
    assert store.put_trace_seeds([seed]) == registry.PutResult(inserted=1)
    assert store.put_trace_seeds([seed]) == registry.PutResult(unchanged=1)
    assert store.trace_seeds(seed.label) == [seed.envelope]
    other_day = make_trace_seed("urn:uuid:holder-1", DAY + 1)
    assert store.trace_seeds(other_day.label) == []
    assert store.stats()[0].trace_seeds == 1


def test_trace_seed_label_holds_a_bounded_number_of_envelopes(store: registry.Store) -> None:
    seeds = [
        make_trace_seed("urn:uuid:holder-2", DAY) for _ in range(registry.MAX_SEEDS_PER_LABEL + 1)
    ]
    store.put_trace_seeds(seeds[:-1])
    with pytest.raises(TraceSeedLabelFull):
        store.put_trace_seeds(seeds[-1:])
    assert len(store.trace_seeds(seeds[0].label)) == registry.MAX_SEEDS_PER_LABEL


def test_venue_directory_replaces_by_did(store: registry.Store) -> None:
    kit = make_venue(1, "cafe")
    store.put_venues([kit.venue, make_venue(2).venue])
    moved = registry.Venue(kit.did, "bar", kit.venue.signing_key, kit.venue.agreement_key, 10, 99)
    store.put_venues([moved])
    assert store.venue(kit.did) == moved
    assert [v.did for v in store.venues()] == sorted(v.did for v in store.venues())
    assert store.venue("did:web:registry.example:venues:none") is None


# -- retention ----------------------------------------------------------------------------


def test_purge_deletes_whole_days_and_refuses_them_afterwards(store: registry.Store) -> None:
    kit = make_venue(1)
    store.put_venues([kit.venue])
    old = [make_visit(kit, T0 + 86400 * d + 3600) for d in range(3)]
    store.put(old)
    seed = make_trace_seed("urn:uuid:holder-3", DAY)
    store.put_trace_seeds([seed])
    assert store.purge(DAY + 2) == [DAY, DAY + 1]
    assert store.days() == [DAY + 2]
    assert [s.day for s in store.stats()] == [DAY + 2]
    assert store.by_visit_ids([r.visit.visit_id for r in old], days=range(DAY, DAY + 3)) == [
        m for m in store.by_visit_ids([old[2].visit.visit_id], days=range(DAY + 2, DAY + 3))
    ]
    assert store.trace_seeds(seed.label) == []
    with pytest.raises(ExpiredRecord):
        store.put([old[0]])
    with pytest.raises(ExpiredRecord):
        store.put_trace_seeds([seed])
    assert store.purge(DAY) == []  # an older horizon never brings days back
    with pytest.raises(ExpiredRecord):
        store.put([old[1]])


def test_retention_horizon_matches_escrow_shredding() -> None:
    now = T0 + 40 * 86400 + 5
    assert registry.retention_horizon(now=now) == DAY + 40 - 28
    assert registry.retention_horizon(now=now, retention_days=7) == DAY + 33


def test_stats_per_day(store: registry.Store) -> None:
    a, b = make_venue(1), make_venue(2)
    r1 = make_visit(a, T0 + 100)
    store.put([r1, make_visit(b, T0 + 200), make_visit(a, T0 + 86400 + 5)])
    store.put([check_out(a, r1, T0 + 1000)])
    assert [s.to_json() for s in store.stats()] == [
        {"day": DAY, "visits": 2, "checked_out": 1, "venues": 2, "trace_seeds": 0},
        {"day": DAY + 1, "visits": 1, "checked_out": 0, "venues": 1, "trace_seeds": 0},
    ]


def test_pseudonyms_of_non_wallet_channels_are_stored_too(store: registry.Store) -> None:
    kit = make_venue(1)
    sms = make_visit(kit, T0 + 3600, T0 + 4800, channel=Channel.CALL)
    store.put([sms])
    (m,) = store.by_pseudonym(sms.visit.pseudonym, DAY)
    assert m.record.visit.locator is None
    assert m.record.visit.channel is Channel.CALL


# -- compaction ---------------------------------------------------------------------------


def test_compaction_keeps_every_record_and_answer_and_later_writes(store: registry.Store) -> None:
    kits = [make_venue(n) for n in range(1, 6)]
    store.put_venues([k.venue for k in kits])
    wallet = os.urandom(32)
    # Arrival order interleaves the venues; compaction groups each venue's stays.
    records = [
        make_visit(kits[i % 5], T0 + 3600 + 97 * i, T0 + 3600 + 97 * i + 1800) for i in range(60)
    ]
    lost = make_visit(kits[2], T0 + 7200, wallet=wallet)
    open_stay = make_visit(kits[1], T0 + 5000)
    store.put([*records, lost, open_stay])
    seed = make_trace_seed("urn:uuid:holder-9", DAY)
    store.put_trace_seeds([seed])
    store.put([make_visit(kits[0], T0 + 86400 + 60)])  # another day, never compacted

    def answers() -> list[object]:
        return [
            [(m.record, m.overlap_seconds) for m in store.contacts(k.did, T0 + 3600, T0 + 9000)]
            for k in kits
        ] + [
            sorted(  # in no stated order
                store.by_visit_ids([r.visit.visit_id for r in records], days=range(DAY, DAY + 1)),
                key=lambda m: m.record.visit.visit_id,
            ),
            store.by_pseudonym(lost.visit.pseudonym, DAY),
            store.by_locators(DAY, [(kits[2].did, lost.visit.locator or b"")]),
            store.trace_seeds(seed.label),
            [s.to_json() for s in store.stats()],
        ]

    before = answers()
    assert not store.compacted(DAY)
    assert store.compact(DAY) is True
    assert store.compacted(DAY)
    assert not store.compacted(DAY + 1)
    assert answers() == before
    # The day still takes writes: a check-out of a compacted stay, a late upload.
    store.put([check_out(kits[1], open_stay, T0 + 6000)])
    late = make_visit(kits[3], T0 + 4000, T0 + 8000)
    assert store.put([late]) == registry.PutResult(inserted=1)
    (closed,) = store.by_visit_ids([open_stay.visit.visit_id], days=range(DAY, DAY + 1))
    assert closed.record.visit.time_out == T0 + 6000
    assert late.visit.visit_id in ids(store.contacts(kits[3].did, T0 + 3600, T0 + 9000))
    assert store.compact(DAY) is True  # again, with the later writes
    assert store.stats()[0].visits == 63
    assert store.purge(DAY + 1) == [DAY]
    assert not store.compacted(DAY)
    assert store.compact(DAY) is False  # deleted by retention: nothing to rewrite
    assert store.compact(DAY + 5) is False  # never written
    with pytest.raises(InvalidQuery):
        store.compact(-1)
