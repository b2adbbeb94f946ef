"""Property tests: every escrow decoder turns hostile bytes into our typed errors only."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import escrow
from did.errors import AnshimError
from escrow import Point, Scalar
from escrow._ceremony import Roster
from tests.escrow.support import FIRST_EPOCH, approved_warrant, visit, world

DECODERS: list[Callable[[bytes], object]] = [
    Point.from_bytes,
    Scalar.from_bytes,
    escrow.Envelope.from_bytes,
    escrow.DecryptionShare.from_bytes,
    escrow.label_from_bytes,
    escrow.EpochKeyDirectory.from_bytes,
    escrow.Warrant.from_bytes,
    escrow.UnsealRequest.from_bytes,
    escrow.ShareBatch.from_bytes,
    escrow.AuditLog.from_bytes,
    escrow.LogEntry.from_bytes,
    escrow.SignedTreeHead.from_bytes,
    escrow.RecordAuditProof.from_bytes,
    Roster.from_bytes,
]


def _valid_samples() -> list[bytes]:
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    env = escrow.seal(key, visit(1), b"x", pad_to=64)
    warrant = approved_warrant(w)
    request = escrow.UnsealRequest(warrant.warrant_id, ((env, visit(1)),))
    return [
        env.to_bytes(),
        visit(1).to_bytes(),
        w.directory.to_bytes(),
        warrant.to_bytes(),
        request.to_bytes(),
        w.roster.to_bytes(),
    ]


@pytest.mark.parametrize("decode", DECODERS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600))
def test_random_bytes_raise_only_our_errors(decode: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(AnshimError):
        decode(data)


@settings(max_examples=150, deadline=None)
@given(
    pos=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7), which=st.integers(0, 5)
)
def test_bit_flipped_valid_messages_raise_only_our_errors(pos: int, bit: int, which: int) -> None:
    sample = _samples()[which]
    mutated = bytearray(sample)
    mutated[pos % len(mutated)] ^= 1 << bit
    for decode in DECODERS:
        with contextlib.suppress(AnshimError):
            decode(bytes(mutated))


_CACHE: list[list[bytes]] = []


def _samples() -> list[bytes]:
    if not _CACHE:
        _CACHE.append(_valid_samples())
    return _CACHE[0]


@settings(max_examples=40, deadline=None)
@given(
    venue=st.text(min_size=1, max_size=40).map(lambda s: "did:web:" + s),
    time_in=st.integers(min_value=0, max_value=2**63 - 1),
    epoch=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_visit_labels_round_trip_or_refuse(venue: str, time_in: int, epoch: int) -> None:
    try:
        label = escrow.VisitLabel(venue, epoch, "did:key:z6MkP", time_in)
    except AnshimError:
        return
    assert escrow.label_from_bytes(label.to_bytes()) == label


@settings(max_examples=15, deadline=None)
@given(plaintext=st.binary(max_size=63))
def test_seal_then_threshold_open_round_trips(plaintext: bytes) -> None:
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    env = escrow.Envelope.from_bytes(escrow.seal(key, visit(2), plaintext, pad_to=64).to_bytes())
    wid = b"\x07" * 32
    ctx = wid + bytes.fromhex(env.envelope_id)
    shares = [
        escrow.make_share(s.share(FIRST_EPOCH).x, i, key, env, ctx)
        for i, s in ((2, w.stores[1]), (4, w.stores[3]), (5, w.stores[4]))
    ]
    assert escrow.combine(env, key, visit(2), shares, warrant_id=wid).plaintext == plaintext
