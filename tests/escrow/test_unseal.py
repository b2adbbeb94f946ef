"""The combiner's progress hook: the CLI's tqdm bar sees every record, serial or parallel."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from escrow import UnsealRequest, answer_warrant, seal, unseal
from tests.escrow.support import FIRST_EPOCH, NOW, approved_warrant, visit, world


@pytest.mark.parametrize("processes", [1, 2])
def test_unseal_reports_progress_over_every_record(processes: int) -> None:
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    labels = [visit(i) for i in range(5)]
    envs = [seal(key, lab, b"r%d" % i, pad_to=64) for i, lab in enumerate(labels)]
    warrant = approved_warrant(w)
    request = UnsealRequest(warrant.warrant_id, tuple(zip(envs, labels, strict=True)))
    batches = [
        answer_warrant(warrant, request, store=s, directory=w.directory, now=NOW)
        for s in w.stores[:3]
    ]
    seen: list[tuple[str, int, int]] = []

    def progress(items: Iterable[Any], desc: str) -> Iterable[Any]:
        total = len(items)  # type: ignore[arg-type]  # what tqdm reads for its total
        count = 0
        for item in items:
            count += 1
            yield item
        seen.append((desc, total, count))

    out = unseal(request, batches, w.directory, processes=processes, progress=progress)
    assert [o.plaintext() for o in out] == [b"r%d" % i for i in range(5)]
    assert seen == [("combine", 5, 5)]
