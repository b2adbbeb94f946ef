"""Unsealing a request's records from the custodians' share batches (DESIGN.md "Escrow").

:func:`unseal` takes the investigator's request and the custodians' signed share batches.
A batch whose signature fails, that cites another warrant or another quorum, or that lacks
a record, counts as a bad share of its custodian for the records concerned; so does a share
whose bytes are malformed. Each record is then opened by the optimistic combiner
(:mod:`escrow._combine`): k shares combined and decrypted, proofs checked only if that
fails. The batch's :class:`~escrow._combine.Plan` (folds, Lagrange weights) is made once.

The fast path runs record by record in this process: additions (or k multiplications)
and one AEAD per record cost less than handing records to another process. With
``processes`` > 1, the records it did not open go to the checked path in worker processes
(every DLEQ proof: CPU-bound libsodium calls, so this uses every core). Workers get the
plan, the already-parsed envelopes, labels and epoch keys (pickled as their bytes) and
each share's raw bytes. ``concurrent.futures`` is imported only then: wallets import
escrow's sealing half and must not pay for (or carry) the process-pool machinery.

``progress`` wraps the records as they are opened (the CLI passes a tqdm bar on stderr):
every record under ``"combine"``, then, if some need it, those under ``"check proofs"``;
the default shows nothing, and escrow itself never imports tqdm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from did.errors import AnshimError, InputError, InvalidSignature
from escrow._combine import OpenResult, Plan, open_checked, open_fast
from escrow._custodian import ShareBatch, UnsealRequest, shares_for
from escrow._envelope import Envelope
from escrow._epochkeys import EpochKey, EpochKeyDirectory
from escrow._labels import Label
from escrow._shares import DecryptionShare, check_quorum, share_from_bytes_or_bad
from escrow.errors import BadShare, DecryptionFailed, NotEnoughShares

__all__ = ["UnsealOutcome", "unseal"]

# Shares of one record: (custodian index, share bytes) or (custodian index, reason it is bad).
_Share = tuple[int, bytes | str]
_Job = tuple[Envelope, Label, EpochKey, list[_Share]]
_BadT = tuple[int, str, str]
_Result = tuple[bool, bytes, tuple[int, ...], list[_BadT], str, str]
_CHUNKS_PER_PROCESS = 4


@dataclass(frozen=True, slots=True)
class UnsealOutcome:
    """What happened to one record: ``result`` on success, else ``error`` (never both)."""

    envelope_id: str
    result: OpenResult | None
    error: AnshimError | None

    def plaintext(self) -> bytes:
        """The plaintext. Raises the record's error if it could not be opened."""
        if self.result is None:
            raise self.error or DecryptionFailed("record was not opened")
        return self.result.plaintext


def _did(key: EpochKey, index: int) -> str:
    return key.custodians[index - 1] if 1 <= index <= len(key.custodians) else ""


def _decode(job: _Job) -> tuple[list[DecryptionShare], list[_BadT]]:
    # A share that is missing, from a rejected batch, malformed or mis-indexed is bad up front.
    _env, _label, key, raw = job
    bad: list[_BadT] = []
    shares = []
    for index, data in raw:
        if isinstance(data, str):
            bad.append((index, _did(key, index), data))
            continue
        try:
            share = share_from_bytes_or_bad(data, index, key)
        except BadShare as exc:
            bad.append((exc.custodian, exc.custodian_did, exc.message))
            continue
        if share.index != index:
            bad.append((index, _did(key, index), "share index differs from its batch's custodian"))
            continue
        shares.append(share)
    return shares, bad


def _result(res: OpenResult, bad: list[_BadT]) -> _Result:
    bad = bad + [(b.custodian, b.custodian_did, b.message) for b in res.bad]
    return (True, res.plaintext, res.used, bad, "", "")


def _open_fast(job: _Job, plan: Plan) -> _Result | None:
    env, label, key, _raw = job
    shares, bad = _decode(job)
    try:
        res = open_fast(env, key, label, shares, plan=plan)
    except NotEnoughShares as exc:  # two shares from one custodian
        return (False, b"", (), bad, exc.code, exc.message)
    return None if res is None else _result(res, bad)


def _open_checked(job: _Job, warrant_id: bytes, plan: Plan) -> _Result:
    env, label, key, _raw = job
    shares, bad = _decode(job)
    try:
        res = open_checked(env, key, label, shares, warrant_id=warrant_id, plan=plan)
    except NotEnoughShares as exc:
        bad += [(b.custodian, b.custodian_did, b.message) for b in exc.bad]
        return (False, b"", (), bad, exc.code, exc.message)
    except DecryptionFailed as exc:
        return (False, b"", (), bad, exc.code, exc.message)
    return _result(res, bad)


def _open_chunk(jobs: list[_Job], warrant_id: bytes, plan: Plan) -> list[_Result]:
    return [_open_checked(job, warrant_id, plan) for job in jobs]


def _identity(items: Iterable[Any], _desc: str) -> Iterable[Any]:
    return items


class _Flattened:
    """The per-record results of chunks as they arrive, with a length (for progress bars)."""

    def __init__(self, parts: Iterable[list[_Result]], total: int) -> None:
        self._parts = parts
        self._total = total

    def __len__(self) -> int:
        return self._total

    def __iter__(self) -> Iterator[_Result]:
        for part in self._parts:
            yield from part


def _by_custodian(
    request: UnsealRequest, batches: Sequence[ShareBatch], directory: EpochKeyDirectory
) -> dict[int, dict[bytes, bytes] | str]:
    out: dict[int, dict[bytes, bytes] | str] = {}
    for batch in batches:
        if batch.index in out:
            raise InputError("two share batches from the same custodian")
        try:
            batch.verify(directory)
            if batch.warrant_id != request.warrant_id:
                raise InvalidSignature("share batch answers another warrant")
            if batch.quorum != request.quorum:
                raise InvalidSignature("share batch answers a request with another quorum")
            out[batch.index] = shares_for(batch)
        except (InvalidSignature, AnshimError) as exc:
            out[batch.index] = f"share batch rejected: {exc.message}"
    return out


def unseal(
    request: UnsealRequest,
    batches: Sequence[ShareBatch],
    directory: EpochKeyDirectory,
    *,
    processes: int = 1,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] = _identity,
    check_every_proof: bool = False,
) -> list[UnsealOutcome]:
    """Open every record of ``request`` with the custodians' share batches.

    Returns one :class:`UnsealOutcome` per record, in request order; each lists the
    custodians whose shares were found bad (``result.bad`` or ``error.bad``). A record the
    fast path opened has checked no proof (:mod:`escrow._combine`);
    ``check_every_proof=True`` checks them all, as an auditor would.

    Raises:
        InputError: if two batches come from the same custodian.
        InvalidQuorum: if the request's quorum is not k of the directory's custodians.
        EpochUnavailable: if a record's epoch is not in the directory.
    """
    by_custodian = _by_custodian(request, batches, directory)
    jobs: list[_Job] = []
    for env, label in request.items:
        eid = bytes.fromhex(env.envelope_id)
        raw: list[_Share] = []
        for index, got in sorted(by_custodian.items()):
            if isinstance(got, str):
                raw.append((index, got))
            elif eid in got:
                raw.append((index, got[eid]))
            else:
                raw.append((index, "no share for this record in the batch"))
        key = directory.get_key(env.epoch)
        check_quorum(request.quorum, key)
        jobs.append((env, label, key, raw))
    # Folds and Lagrange weights depend only on the custodian sets: once for the batch.
    plan = Plan(request.quorum)
    wid = request.warrant_id
    # The fast path, record by record: one process is enough for additions and one AEAD.
    results: list[_Result | None] = [
        None if check_every_proof else _open_fast(job, plan) for job in progress(jobs, "combine")
    ]
    # The checked path for the records the fast path did not open: every proof, which is
    # where the CPU goes, so this is what ``processes`` spreads over cores.
    todo = [n for n, r in enumerate(results) if r is None]
    checked: list[_Result]
    if processes > 1 and len(todo) > 1:
        # A few chunks per process, handed out as workers free up, so a core that is
        # busy with something else does not hold back the whole batch.
        size = max(1, -(-len(todo) // (processes * _CHUNKS_PER_PROCESS)))
        chunks = [[jobs[n] for n in todo[i : i + size]] for i in range(0, len(todo), size)]
        workers = min(processes, len(chunks))
        import concurrent.futures  # module docstring: only the parallel path needs it

        n_chunks = len(chunks)
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
            parts = pool.map(_open_chunk, chunks, [wid] * n_chunks, [plan] * n_chunks)
            checked = list(progress(_Flattened(parts, len(todo)), "check proofs"))
    else:
        loop = progress([jobs[n] for n in todo], "check proofs") if todo else []
        checked = [_open_checked(job, wid, plan) for job in loop]
    for n, res in zip(todo, checked, strict=True):
        results[n] = res
    out = []
    for (env, _label, _key, _raw), done in zip(jobs, results, strict=True):
        if done is None:  # every record went through one path or the other
            raise DecryptionFailed("record was not opened")
        ok, plain, used, bad_t, code, msg = done
        bad = tuple(BadShare(m, custodian=i, custodian_did=d) for i, d, m in bad_t)
        if ok:
            out.append(UnsealOutcome(env.envelope_id, OpenResult(plain, used, bad), None))
        elif code == NotEnoughShares.code:
            out.append(UnsealOutcome(env.envelope_id, None, NotEnoughShares(msg, bad=bad)))
        else:
            out.append(UnsealOutcome(env.envelope_id, None, DecryptionFailed(msg)))
    return out
