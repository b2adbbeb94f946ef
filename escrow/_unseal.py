"""The combiner: verify every custodian's shares and open each record (DESIGN.md "Escrow").

:func:`unseal` takes the investigator's request and the custodians' signed share batches.
A batch whose signature fails, that cites another warrant, or that lacks a record, counts
as a bad share of its custodian for the records concerned. Each record then goes through
:func:`escrow.combine`: every share's DLEQ proof is checked (a bad one names its custodian
and is excluded), any k good ones are combined, and the envelope is decrypted.

With ``processes`` > 1 the records are split into chunks checked and opened in worker
processes (the work is CPU-bound libsodium calls, so this uses every core). Workers get the
already-parsed envelopes, labels and epoch keys (pickled as their bytes) and each share's
raw bytes; every share is decoded and its DLEQ proof verified in the worker.
``concurrent.futures`` is imported only then: wallets import escrow's sealing half and must
not pay for (or carry) the process-pool machinery.

``progress`` wraps the records as they are opened (the CLI passes a tqdm bar on stderr);
the default shows nothing, and escrow itself never imports tqdm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from did.errors import AnshimError, InputError, InvalidSignature
from escrow._custodian import ShareBatch, UnsealRequest, shares_for
from escrow._envelope import Envelope
from escrow._epochkeys import EpochKey, EpochKeyDirectory
from escrow._labels import Label
from escrow._shares import OpenResult, combine, share_from_bytes_or_bad
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


def _open_one(job: _Job, warrant_id: bytes) -> _Result:
    env, label, key, raw = job
    bad: list[_BadT] = []
    shares = []
    for index, data in raw:
        try:
            if isinstance(data, str):
                did = key.custodians[index - 1] if 1 <= index <= len(key.custodians) else ""
                raise BadShare(data, custodian=index, custodian_did=did)
            share = share_from_bytes_or_bad(data, index, key)
            if share.index != index:
                raise BadShare(
                    "share index differs from its batch's custodian",
                    custodian=index,
                    custodian_did=key.custodians[index - 1],
                )
            shares.append(share)
        except BadShare as exc:
            bad.append((exc.custodian, exc.custodian_did, exc.message))
    try:
        res = combine(env, key, label, shares, warrant_id=warrant_id)
    except NotEnoughShares as exc:
        bad += [(b.custodian, b.custodian_did, b.message) for b in exc.bad]
        return (False, b"", (), bad, exc.code, exc.message)
    except DecryptionFailed as exc:
        return (False, b"", (), bad, exc.code, exc.message)
    bad += [(b.custodian, b.custodian_did, b.message) for b in res.bad]
    return (True, res.plaintext, res.used, bad, "", "")


def _open_chunk(jobs: list[_Job], warrant_id: bytes) -> list[_Result]:
    return [_open_one(job, warrant_id) for job in jobs]


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


def unseal(
    request: UnsealRequest,
    batches: Sequence[ShareBatch],
    directory: EpochKeyDirectory,
    *,
    processes: int = 1,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] = _identity,
) -> list[UnsealOutcome]:
    """Open every record of ``request`` with the custodians' share batches.

    Returns one :class:`UnsealOutcome` per record, in request order; each lists the
    custodians whose shares were bad (``result.bad`` or ``error.bad``).

    Raises:
        InputError: if two batches come from the same custodian.
        EpochUnavailable: if a record's epoch is not in the directory.
    """
    by_custodian: dict[int, dict[bytes, bytes] | str] = {}
    for batch in batches:
        if batch.index in by_custodian:
            raise InputError("two share batches from the same custodian")
        try:
            batch.verify(directory)
            if batch.warrant_id != request.warrant_id:
                raise InvalidSignature("share batch answers another warrant")
            by_custodian[batch.index] = shares_for(batch)
        except (InvalidSignature, AnshimError) as exc:
            by_custodian[batch.index] = f"share batch rejected: {exc.message}"
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
        jobs.append((env, label, directory.get_key(env.epoch), raw))
    if processes > 1 and len(jobs) > 1:
        # A few chunks per process, handed out as workers free up, so a core that is
        # busy with something else does not hold back the whole batch.
        size = max(1, -(-len(jobs) // (processes * _CHUNKS_PER_PROCESS)))
        chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        workers = min(processes, len(chunks))
        import concurrent.futures  # module docstring: only the parallel path needs it

        with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
            parts = pool.map(_open_chunk, chunks, [request.warrant_id] * len(chunks))
            results = list(progress(_Flattened(parts, len(jobs)), "combine"))
    else:
        results = [_open_one(job, request.warrant_id) for job in progress(jobs, "combine")]
    out = []
    for (env, _label, _key, _raw), (ok, plain, used, bad_t, code, msg) in zip(
        jobs, results, strict=True
    ):
        bad = tuple(BadShare(m, custodian=i, custodian_did=d) for i, d, m in bad_t)
        if ok:
            out.append(UnsealOutcome(env.envelope_id, OpenResult(plain, used, bad), None))
        elif code == NotEnoughShares.code:
            out.append(UnsealOutcome(env.envelope_id, None, NotEnoughShares(msg, bad=bad)))
        else:
            out.append(UnsealOutcome(env.envelope_id, None, DecryptionFailed(msg)))
    return out
