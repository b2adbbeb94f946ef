"""The outbox's group commit (verifier.service._groupcommit): a result is returned only
once what its request wrote is committed; concurrent copies of one check-in admit one,
within a process and across two processes' stores on one file (the loser of the commit
race is validated again and refused with the core's own code); a refusal's count is
committed before the refusal is answered; a failed commit admits nothing."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from protocol.errors import DeclaredFever
from tests.escrow.support import NOW, World
from tests.verifier.service.support import Clock, app_options, new_wallet, settings, wallet_answer
from tests.wallet.support import VENUE, poster
from verifier.errors import OutboxUnavailable, ReplayedCheckIn
from verifier.service import VenueService, VenueStore


def open_service(tmp_path: Path) -> VenueService:
    options = app_options(Clock())
    return VenueService.open(
        settings(tmp_path, synchronous="full"),
        clock=options["clock"],
        keys=options["keys"],
        epoch_keys=options["epoch_keys"],
    )


def committed(path: Path, sql: str) -> int:
    """A count read by a connection of its own: only what is committed."""
    with sqlite3.connect(path) as conn:
        count: int = conn.execute(sql).fetchone()[0]
    return count


def admit(service: VenueService, message: bytes) -> asyncio.Future[bytes]:
    return asyncio.ensure_future(service.durably(lambda: service.check_in("cafe-1", message)))


def test_a_receipt_is_returned_only_once_its_record_is_committed(
    tmp_path: Path, escrow_world: World
) -> None:
    service = open_service(tmp_path)
    database = service.settings.database
    wallet = new_wallet(tmp_path, "visitor")
    messages = [wallet_answer(wallet, poster(VENUE), now=NOW + i) for i in range(20)]

    async def run() -> None:
        service.enable_group_commit()
        pending = [admit(service, m) for m in messages]
        await asyncio.sleep(0)  # every request validated and staged, none committed
        assert committed(database, "SELECT count(*) FROM outbox") == 0
        for future in asyncio.as_completed(pending):
            await future
            # Each returned receipt's record is in the file, seen by another connection.
            assert committed(database, "SELECT count(*) FROM outbox") >= 1
        assert committed(database, "SELECT count(*) FROM outbox") == 20
        service.flush_now()

    asyncio.run(run())


def test_two_copies_of_one_check_in_in_one_batch_admit_one(
    tmp_path: Path, escrow_world: World
) -> None:
    service = open_service(tmp_path)
    message = wallet_answer(new_wallet(tmp_path, "visitor"), poster(VENUE), now=NOW)

    async def run() -> list[bytes | BaseException]:
        service.enable_group_commit()
        results = await asyncio.gather(
            admit(service, message), admit(service, message), return_exceptions=True
        )
        service.flush_now()
        return results

    results = asyncio.run(run())
    assert sum(type(r) is bytes for r in results) == 1
    assert [type(r) for r in results if not isinstance(r, bytes)] == [ReplayedCheckIn]
    assert committed(service.settings.database, "SELECT count(*) FROM outbox") == 1


def test_the_loser_of_a_commit_race_between_processes_is_refused_as_a_replay(
    tmp_path: Path, escrow_world: World
) -> None:
    # Two services on one file stand for two worker processes: neither sees the other's
    # staged claim, both validate the same check-in, and only one commit can take it.
    first, second = open_service(tmp_path), open_service(tmp_path)
    message = wallet_answer(new_wallet(tmp_path, "visitor"), poster(VENUE), now=NOW)

    async def run() -> list[bytes | BaseException]:
        first.enable_group_commit()
        second.enable_group_commit()
        results = await asyncio.gather(
            admit(first, message), admit(second, message), return_exceptions=True
        )
        first.flush_now()
        second.flush_now()
        return results

    results = asyncio.run(run())
    assert sum(type(r) is bytes for r in results) == 1
    refused = [r for r in results if not isinstance(r, bytes)]
    assert [type(r) for r in refused] == [ReplayedCheckIn], refused
    database = first.settings.database
    assert committed(database, "SELECT count(*) FROM outbox") == 1
    # The refusal was counted (its tally committed), the admission once.
    counts = dict(
        sqlite3.connect(database).execute("SELECT code, sum(count) FROM tallies GROUP BY code")
    )
    assert counts == {"admitted": 1, "replayedCheckIn": 1}


def test_a_refusal_is_counted_before_it_is_answered(tmp_path: Path, escrow_world: World) -> None:
    service = open_service(tmp_path)
    feverish = wallet_answer(new_wallet(tmp_path, "visitor"), poster(VENUE), now=NOW, fever=True)

    async def run() -> None:
        service.enable_group_commit()
        with pytest.raises(DeclaredFever):
            await service.durably(lambda: service.check_in("cafe-1", feverish))
        sql = "SELECT count(*) FROM tallies WHERE code = 'declaredFever'"
        assert committed(service.settings.database, sql) == 1
        service.flush_now()

    asyncio.run(run())


def test_a_failed_commit_admits_nothing_and_says_so(tmp_path: Path, escrow_world: World) -> None:
    service = open_service(tmp_path)
    wallet = new_wallet(tmp_path, "visitor")
    messages = [wallet_answer(wallet, poster(VENUE), now=NOW + i) for i in range(3)]
    database = service.settings.database
    # Another handle breaks the file under the writer: its inserts into the outbox fail.
    with sqlite3.connect(database) as conn:
        conn.execute("DROP TABLE outbox")

    async def run(service: VenueService) -> list[bytes | BaseException]:
        service.enable_group_commit()
        try:
            return await asyncio.gather(
                *(admit(service, m) for m in messages), return_exceptions=True
            )
        finally:
            service.flush_now()

    results = asyncio.run(run(service))
    assert all(isinstance(r, OutboxUnavailable) for r in results), results
    # Nothing was claimed either: once the store is whole again (a restart re-creates
    # the table), the very same check-ins are admitted.
    assert committed(database, "SELECT count(*) FROM replay") == 0
    VenueStore(database).close()
    results = asyncio.run(run(open_service(tmp_path)))
    assert all(type(r) is bytes for r in results), results
    assert committed(database, "SELECT count(*) FROM outbox") == 3


def test_a_replay_the_process_no_longer_remembers_is_refused_by_the_writer(
    tmp_path: Path, escrow_world: World
) -> None:
    service = open_service(tmp_path)
    wallet = new_wallet(tmp_path, "visitor")
    first, second = (wallet_answer(wallet, poster(VENUE), now=NOW + i) for i in range(2))

    async def run() -> BaseException | None:
        service.enable_group_commit()
        staging = service.store.staging
        assert staging is not None
        staging.max_claims = 1  # the second admission makes the process forget the first
        await admit(service, first)
        await admit(service, second)
        assert len(staging.claims) == 1
        try:
            await admit(service, first)
        except ReplayedCheckIn as refused:
            return refused
        finally:
            service.flush_now()
        return None

    assert isinstance(asyncio.run(run()), ReplayedCheckIn)
    assert committed(service.settings.database, "SELECT count(*) FROM outbox") == 2


def test_a_request_cancelled_while_waiting_leaves_its_batch_to_commit_for_the_others(
    tmp_path: Path, escrow_world: World
) -> None:
    service = open_service(tmp_path)
    wallet = new_wallet(tmp_path, "visitor")
    messages = [wallet_answer(wallet, poster(VENUE), now=NOW + i) for i in range(5)]

    async def run() -> list[bytes | BaseException]:
        service.enable_group_commit()
        pending = [admit(service, m) for m in messages]
        await asyncio.sleep(0)  # all five staged in one batch, waiting for its commit
        pending[2].cancel()  # its client went away
        try:
            return await asyncio.gather(*pending, return_exceptions=True)
        finally:
            service.flush_now()

    results = asyncio.run(run())
    assert isinstance(results[2], asyncio.CancelledError)
    assert all(type(r) is bytes for i, r in enumerate(results) if i != 2), results
    # What was staged is committed all the same: the record of the cancelled request too.
    assert committed(service.settings.database, "SELECT count(*) FROM outbox") == 5
