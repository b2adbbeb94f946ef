"""Escrow benchmark: prints JSON figures (medians in µs) beside a bare PyNaCl Ed25519 verify.

Per envelope: seal; the venue's structural check (byte checks only: version, size, epoch,
published key, R canonical and not small order, z canonical); the custodians' full check
(:meth:`Envelope.from_bytes` with full point validation, then the proof); one custodian's
share with its DLEQ proof; and the combiner on already-decoded shares: the optimistic path
over 3 plain shares (three λ·D multiplications), over 3 folded shares of a named quorum
(two additions), and the checked path (every DLEQ proof first, what an auditor runs).
The floor of each is printed beside it in units of the same run's libsodium operations.

Then the wall time to unseal 1,000 envelopes with 3 of 5 custodians end to end: each
custodian loads its store, checks the warrant, every envelope's proof (full point
validation) and scope, and makes its shares (folded: the request names the quorum 1, 3,
5); the combiner combines and decrypts, checking no proof unless a record fails. Reported
twice: everything in one process one after another ("serial_cpu_…": one core, so this is
the CPU time), and custodians in parallel processes followed by the combiner using every
core ("parallel_…": wall-clock time, the custodians sharing this machine's cores).
``deployment_critical_path`` is what a real deployment waits for, each custodian on its
own machine: the slowest custodian's batch (measured alone, serially) plus the combiner
(serially, one core). The end-to-end run is repeated RUNS times and medians reported.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nacl.bindings as nb
import nacl.signing
import nacl.utils

from did import KDF_TEST
from escrow import (
    DecryptionShare,
    Envelope,
    EpochKeyDirectory,
    Roster,
    ShareBatch,
    ShareStore,
    UnsealRequest,
    VenueScope,
    VisitLabel,
    Warrant,
    WarrantScope,
    answer_warrant,
    check_envelope_proof,
    check_envelope_structure,
    combine,
    deal,
    finalize,
    make_share,
    publish,
    seal,
    share_context,
    unseal,
)

EPOCH = 20000
DAY = 86400
NOW = EPOCH * DAY + 43200
PASS = "bench"
VENUE = "did:web:registry.example:venues:bench"
PAD = 320
N_ENVELOPES = 1000
RUNS = 5  # the end-to-end unseal is repeated and the median of each figure reported
QUORUM = (1, 3, 5)


def _median_us(fn: Callable[[], object], n: int = 300, repeat: int = 7) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t) / n * 1e6)
    return statistics.median(runs)


def _custodian(store_path: str, warrant: bytes, request: bytes, directory: bytes) -> bytes:
    # One custodian machine: load its store, parse what it was sent, answer the warrant.
    store = ShareStore.load(store_path, PASS, kdf=KDF_TEST)
    batch = answer_warrant(
        Warrant.from_bytes(warrant),
        UnsealRequest.from_bytes(request),
        store=store,
        directory=EpochKeyDirectory.from_bytes(directory),
        now=NOW,
    )
    return batch.to_bytes()


def _timed_custodian(args: tuple[str, bytes, bytes, bytes]) -> tuple[bytes, float]:
    t = time.perf_counter()
    out = _custodian(*args)
    return out, time.perf_counter() - t


def _combiner(req_b: bytes, batches_b: list[bytes], dir_b: bytes, processes: int) -> None:
    # The investigator's workstation: parse the request, the directory and the batches, open.
    directory = EpochKeyDirectory.from_bytes(dir_b)
    directory.verify()
    batches = [ShareBatch.from_bytes(b) for b in batches_b]
    outcomes = unseal(UnsealRequest.from_bytes(req_b), batches, directory, processes=processes)
    opened = sum(o.result is not None and o.result.bad == () for o in outcomes)
    if opened != N_ENVELOPES:
        raise SystemExit(f"unseal opened {opened} of {N_ENVELOPES} envelopes on the fast path")


def _unseal_run(chosen: list[str], war_b: bytes, req_b: bytes, dir_b: bytes) -> dict[str, float]:
    """One end-to-end unseal of the request, serial then parallel; seconds, all measured."""
    jobs = [(path, war_b, req_b, dir_b) for path in chosen]
    # Serial CPU: one process does each custodian's work, then the combiner's.
    t0 = time.perf_counter()
    serial = [_timed_custodian(j) for j in jobs]
    t1 = time.perf_counter()
    _combiner(req_b, [b for b, _ in serial], dir_b, processes=1)
    t2 = time.perf_counter()
    # Parallel wall: one process per custodian (three machines in reality; here the OS
    # shares the cores between them), then the combiner with one worker per core.
    cores = os.cpu_count() or 1
    t3 = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(max_workers=len(chosen)) as pool:
        batches_b = list(pool.map(_custodian, *zip(*jobs, strict=True)))
    t4 = time.perf_counter()
    _combiner(req_b, batches_b, dir_b, processes=cores)
    t5 = time.perf_counter()
    slowest = max(dt for _, dt in serial)
    return {
        "serial_cpu_custodians_sum": t1 - t0,
        "serial_cpu_slowest_custodian": slowest,
        "serial_cpu_combiner": t2 - t1,
        "serial_cpu_total": t2 - t0,
        "parallel_wall_custodians": t4 - t3,
        "parallel_wall_combiner": t5 - t4,
        "parallel_total_wall": t5 - t3,
        "deployment_critical_path": slowest + (t2 - t1),
    }


def _floors(ed_verify: float) -> dict[str, float]:
    """libsodium's operations, same run (µs), and the floors they set."""
    x = nb.crypto_core_ed25519_scalar_reduce(nacl.utils.random(64))
    p = nb.crypto_scalarmult_ed25519_base_noclamp(x)
    q = nb.crypto_scalarmult_ed25519_base_noclamp(x[::-1][:31] + b"\x00")
    ops = {
        "scalarmult_variable_base_with_subgroup_check": _median_us(
            lambda: nb.crypto_scalarmult_ed25519_noclamp(x, p), n=500
        ),
        "scalarmult_fixed_base": _median_us(
            lambda: nb.crypto_scalarmult_ed25519_base_noclamp(x), n=500
        ),
        "is_valid_point": _median_us(lambda: nb.crypto_core_ed25519_is_valid_point(p), n=500),
        "point_add": _median_us(lambda: nb.crypto_core_ed25519_add(p, q), n=500),
        "ed25519_verify": ed_verify,
    }
    mul, base, add = (
        ops["scalarmult_variable_base_with_subgroup_check"],
        ops["scalarmult_fixed_base"],
        ops["point_add"],
    )
    return {
        **{k: round(v, 1) for k, v in ops.items()},
        # Combining 3 plain shares: three λ·D multiplications and two additions.
        "floor_combine_3_plain_shares": round(3 * mul + 2 * add, 1),
        # Combining 3 folded shares: two additions.
        "floor_combine_3_folded_shares": round(2 * add, 1),
        # A custodian's record: the proof (one verify), x·R and t·R (each validates R
        # again inside libsodium; unavoidable with its API), t·G.
        "floor_custodian_record": round(ed_verify + 2 * mul + base, 1),
    }


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-escrow-") as folder:
        return _measure(Path(folder))


def _measure(tmp: Path) -> dict[str, Any]:
    stores = [ShareStore.create(tmp / f"c{i}", PASS, kdf=KDF_TEST) for i in range(5)]
    roster = Roster.new([s.did for s in stores], 3, first_epoch=EPOCH, epochs=1)
    deals = [deal(roster, s.key) for s in stores]
    directory = publish(roster, [finalize(roster, deals, s, PASS) for s in stores])
    key = directory.get_key(EPOCH)

    sk = nacl.signing.SigningKey.generate()
    signed = sk.sign(b"x" * 200)
    vk = sk.verify_key
    ed_verify = _median_us(lambda: vk.verify(signed), n=1000)

    label = VisitLabel(VENUE, EPOCH, "did:key:z6MkBench", EPOCH * DAY + 3600)
    plaintext = b"v" * 200
    env = seal(key, label, plaintext, pad_to=PAD)
    data = env.to_bytes()
    keys = {EPOCH: key}
    scope = WarrantScope(venues=(VenueScope(VENUE, 7200, ((EPOCH * DAY, (EPOCH + 1) * DAY),)),))
    warrant = Warrant.create(
        case_id="bench", purpose="benchmark", investigator="did:key:z6MkBenchInvestigator",
        scope=scope, issued=NOW - 60, expires=NOW + DAY,
    )  # fmt: skip
    for s in stores[:3]:
        warrant = warrant.approve(s.key, s.did, now=NOW)
    wid = warrant.warrant_id
    ctx = share_context(wid, env)
    x = {i: stores[i - 1].share(EPOCH).x for i in QUORUM}
    # The combiner's shares arrive as bytes; DecryptionShare.from_bytes also validates D
    # (one is_valid_point each), which the combiner itself leaves to libsodium.
    plain = [DecryptionShare.from_bytes(make_share(x[i], i, key, env, ctx).to_bytes()) for i in x]
    folded = [make_share(x[i], i, key, env, ctx, quorum=QUORUM) for i in x]

    def structural() -> None:
        check_envelope_structure(
            data, epoch_keys=keys, expected_epoch=EPOCH, expected_size=len(data)
        )

    per_envelope = {
        "seal": _median_us(lambda: seal(key, label, plaintext, pad_to=PAD)),
        "envelope_check_structural": _median_us(structural, n=3000),
        "envelope_check_full_with_proof": _median_us(
            lambda: check_envelope_proof(Envelope.from_bytes(data), key, label)
        ),
        "custodian_share_with_dleq_proof": _median_us(lambda: make_share(x[1], 1, key, env, ctx)),
        "combine_and_decrypt_3_shares": _median_us(
            lambda: combine(env, key, label, plain, warrant_id=wid)
        ),
        "combine_and_decrypt_3_folded_shares": _median_us(
            lambda: combine(env, key, label, folded, warrant_id=wid, quorum=QUORUM), n=1000
        ),
        "combine_checked_3_shares_every_dleq": _median_us(
            lambda: combine(env, key, label, plain, warrant_id=wid, check_every_proof=True),
            n=100,
        ),
    }
    floors = _floors(ed_verify)

    labels = [
        VisitLabel(VENUE, EPOCH, f"did:key:z6MkBench{i}", EPOCH * DAY + 60 * i)
        for i in range(N_ENVELOPES)
    ]
    envs = [seal(key, lab, b"identity %d" % i, pad_to=PAD) for i, lab in enumerate(labels)]
    request = UnsealRequest(warrant.warrant_id, tuple(zip(envs, labels, strict=True)), QUORUM)
    req_b, war_b, dir_b = request.to_bytes(), warrant.to_bytes(), directory.to_bytes()
    chosen = [str(stores[i - 1].path) for i in QUORUM]

    load_before = os.getloadavg()[0]
    runs = [_unseal_run(chosen, war_b, req_b, dir_b) for _ in range(RUNS)]
    unseal_figures = {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}
    return {
        "benchmark": "escrow",
        "cpu_count": os.cpu_count() or 1,
        # The machine is shared: other work running at the same time inflates the wall times.
        "load_average_1min_before_after_unseal": [
            round(load_before, 2),
            round(os.getloadavg()[0], 2),
        ],
        "baseline_ed25519_verify_us": round(ed_verify, 1),
        "per_envelope_median_us": {k: round(v, 1) for k, v in per_envelope.items()},
        "ratio_to_ed25519_verify": {k: round(v / ed_verify, 2) for k, v in per_envelope.items()},
        "libsodium_same_run_us": floors,
        "unseal_1000_3_of_5": {
            "envelopes": N_ENVELOPES,
            "quorum_named": list(QUORUM),
            "runs": RUNS,
            "median_of_runs_seconds": unseal_figures,
            "all_runs_parallel_total_wall_seconds": [
                round(r["parallel_total_wall"], 3) for r in runs
            ],
            "all_runs_deployment_critical_path_seconds": [
                round(r["deployment_critical_path"], 3) for r in runs
            ],
            "target_parallel_total_wall_seconds": 1.2,
            "goal_deployment_critical_path_seconds": 0.6,
        },
        "targets_us": {"envelope_check_structural": 10, "combine_and_decrypt_3_shares": 500},
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
