"""The optimistic combiner and folded shares (DESIGN.md "Combining, optimistically").

- four custodians answer and one sends a wrong D_i: the record opens from the other three
  and the bad custodian is named (plain shares, and folded shares whose quorum holds it);
- a batch whose every share is bad fails with every custodian named;
- the fast path never returns a plaintext the checked path (every proof first) would not:
  a property test over random mixes of good, wrong, forged, replayed, torsion-shifted,
  malformed and missing shares, with and without a named quorum;
- folded shares carry proofs anyone can check under λ_i·Y_i, bound to their quorum;
- Lagrange weights and folds are computed once per batch.
"""

from __future__ import annotations

import functools

import nacl.bindings as nb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import escrow._combine as combine_module
from did import cbor
from escrow import (
    ORDER,
    DecryptionShare,
    Envelope,
    Point,
    Scalar,
    ShareBatch,
    ShareStore,
    UnsealOutcome,
    UnsealRequest,
    Warrant,
    answer_warrant,
    combine,
    lagrange_coefficient,
    make_share,
    random_scalar,
    seal,
    share_context,
    unseal,
    verify_share,
)
from escrow._custodian import SHARES_CONTEXT
from escrow.errors import BadShare, InvalidQuorum, NotEnoughShares
from tests.escrow.points import SMALL_ORDER
from tests.escrow.support import FIRST_EPOCH, NOW, World, approved_warrant, visit, world

N_RECORDS = 3


def _resigned(batch: ShareBatch, store: ShareStore, replace: dict[int, bytes]) -> ShareBatch:
    """``batch`` with its shares at the given positions replaced, signed by its custodian:
    only the shares' own checks can catch it."""
    body = cbor.decode(batch.body)
    assert isinstance(body, dict)
    for position, share in replace.items():
        body["shares"][position][1] = share
    raw = cbor.encode(body)
    return ShareBatch.from_bytes(
        cbor.encode({"body": raw, "sig": store.key.sign(SHARES_CONTEXT + raw)})
    )


def _setup(
    quorum: tuple[int, ...], answering: tuple[int, ...], n: int = N_RECORDS
) -> tuple[World, Warrant, UnsealRequest, dict[int, ShareBatch]]:
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    labels = [visit(100 + i) for i in range(n)]
    envs = [seal(key, lab, b"identity %d" % i, pad_to=64) for i, lab in enumerate(labels)]
    warrant = approved_warrant(w)
    request = UnsealRequest(warrant.warrant_id, tuple(zip(envs, labels, strict=True)), quorum)
    batches = {
        i: answer_warrant(warrant, request, store=w.stores[i - 1], directory=w.directory, now=NOW)
        for i in answering
    }
    return w, warrant, request, batches


def _summary(o: UnsealOutcome) -> tuple[object, ...]:
    if o.result is not None:
        return (o.result.plaintext, o.result.used, [(b.custodian, b.message) for b in o.result.bad])
    return (type(o.error), [(b.custodian, b.message) for b in getattr(o.error, "bad", ())])


def _wrong_d(share: bytes) -> bytes:
    # D replaced by another prime-order point; the proof stays as it was.
    return share[:1] + Point.base_mul(random_scalar()).to_bytes() + share[33:]


@pytest.mark.parametrize("quorum", [(), (1, 2, 3), (2, 3, 4)])
def test_four_answer_one_wrong_D_opens_from_the_other_three_and_names_it(
    quorum: tuple[int, ...],
) -> None:
    w, _, request, batches = _setup(quorum, (1, 2, 3, 4))
    # Custodian 2's batch, properly signed by custodian 2, carries a wrong D_2 for record 0
    # and a share made with a wrong secret (a consistent proof for another key) for record 1.
    key = w.directory.get_key(FIRST_EPOCH)
    env1 = request.items[1][0]
    wrong_secret = make_share(
        random_scalar(), 2, key, env1, share_context(request.warrant_id, env1), quorum=quorum
    )
    batches[2] = _resigned(
        batches[2],
        w.stores[1],
        {0: _wrong_d(batches[2].shares[0][1]), 1: wrong_secret.to_bytes()},
    )
    out = unseal(request, list(batches.values()), w.directory)
    # With processes, the records the fast path could not open are checked in workers.
    in_workers = unseal(request, list(batches.values()), w.directory, processes=2)
    assert [_summary(o) for o in in_workers] == [_summary(o) for o in out]
    assert [o.plaintext() for o in out] == [b"identity %d" % i for i in range(N_RECORDS)]
    for o in out[:2]:
        assert o.result is not None
        assert [(b.custodian, b.custodian_did) for b in o.result.bad] == [(2, w.stores[1].did)]
        assert o.result.used == (1, 3, 4)
    # Record 2 is untouched: the fast path opens it from the quorum (or the first three).
    assert out[2].result is not None
    assert out[2].result.bad == ()
    assert out[2].result.used == (quorum or (1, 2, 3))


@pytest.mark.parametrize("quorum", [(), (1, 3, 5)])
def test_every_share_bad_fails_naming_every_custodian(quorum: tuple[int, ...]) -> None:
    w, _, request, batches = _setup(quorum, (1, 2, 3, 4, 5), n=2)
    bad = {
        i: _resigned(b, w.stores[i - 1], {0: _wrong_d(b.shares[0][1]), 1: _wrong_d(b.shares[1][1])})
        for i, b in batches.items()
    }
    out = unseal(request, list(bad.values()), w.directory)
    for o in out:
        assert o.result is None
        assert isinstance(o.error, NotEnoughShares)
        assert sorted(b.custodian for b in o.error.bad) == [1, 2, 3, 4, 5]
        assert {b.custodian_did for b in o.error.bad} == {s.did for s in w.stores}


def test_folded_shares_are_checkable_under_the_folded_key_and_bound_to_their_quorum() -> None:
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    env = seal(key, visit(7), b"folded", pad_to=64)
    ctx = share_context(b"\x05" * 32, env)
    quorum = (2, 4, 5)
    x = {i: w.stores[i - 1].share(FIRST_EPOCH).x for i in range(1, 6)}
    folded = {i: make_share(x[i], i, key, env, ctx, quorum=quorum) for i in quorum}
    plain = {i: make_share(x[i], i, key, env, ctx) for i in range(1, 6)}
    for i in quorum:
        verify_share(folded[i], key, env, ctx, quorum=quorum)  # λ_i·Y_i, anyone can compute
        with pytest.raises(BadShare):
            verify_share(folded[i], key, env, ctx)  # not a plain share
        with pytest.raises(BadShare):
            verify_share(folded[i], key, env, ctx, quorum=(1, 2, 4, 5)[:3] if i != 5 else (1, 4, 5))
        with pytest.raises(BadShare):
            verify_share(plain[i], key, env, ctx, quorum=quorum)  # a plain share is not folded
        # Unfolding gives the plain share: λ_i⁻¹·D_i^folded = x_i·R.
        lam = lagrange_coefficient(i, quorum)
        assert folded[i].D.mul(lam.invert()) == plain[i].D
    # The combiner only adds folded shares of the named quorum …
    shares = [folded[i] for i in quorum]
    res = combine(env, key, visit(7), shares, warrant_id=b"\x05" * 32, quorum=quorum)
    assert (res.plaintext, res.used, res.bad) == (b"folded", quorum, ())
    # … and can still mix them with plain stand-ins when one member is missing.
    mixed = [folded[2], folded[5], plain[1]]
    res = combine(env, key, visit(7), mixed, warrant_id=b"\x05" * 32, quorum=quorum)
    assert (res.plaintext, res.used) == (b"folded", (1, 2, 5))
    # Folded shares read as plain ones do not open the record.
    with pytest.raises(NotEnoughShares) as info:
        combine(env, key, visit(7), shares, warrant_id=b"\x05" * 32)
    assert sorted(b.custodian for b in info.value.bad) == [2, 4, 5]


def test_a_batch_answering_another_quorum_is_refused_and_named() -> None:
    w, warrant, request, batches = _setup((1, 2, 3), (1, 2, 3, 4))
    other = UnsealRequest(request.warrant_id, request.items, (1, 2, 4))
    batches[2] = answer_warrant(warrant, other, store=w.stores[1], directory=w.directory, now=NOW)
    out = unseal(request, list(batches.values()), w.directory)
    for o in out:
        assert o.result is not None
        assert o.result.used == (1, 3, 4)
        assert [b.custodian for b in o.result.bad] == [2]
        assert "quorum" in o.result.bad[0].message


@pytest.mark.parametrize(
    "quorum", [(1, 2), (1, 2, 3, 4), (3, 2, 1), (1, 1, 2), (0, 1, 2), (1, 2, 9)]
)
def test_a_quorum_that_is_not_k_custodians_is_refused(quorum: tuple[int, ...]) -> None:
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    env = seal(key, visit(8), b"q", pad_to=64)
    warrant = approved_warrant(w)

    def ask() -> None:
        request = UnsealRequest(warrant.warrant_id, ((env, visit(8)),), quorum)
        answer_warrant(warrant, request, store=w.stores[0], directory=w.directory, now=NOW)

    with pytest.raises(InvalidQuorum):
        ask()


def test_quorum_round_trips_through_the_request_and_the_batch() -> None:
    _, _, request, batches = _setup((1, 3, 5), (1, 2))
    again = UnsealRequest.from_bytes(request.to_bytes())
    assert again.quorum == (1, 3, 5)
    assert ShareBatch.from_bytes(batches[1].to_bytes()).quorum == (1, 3, 5)
    assert [s for s in again.items] == list(request.items)


def test_lagrange_weights_and_folds_are_computed_once_per_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w, _, request, batches = _setup((), (1, 2, 3, 4), n=8)
    calls: list[tuple[int, tuple[int, ...]]] = []

    def counting(i: int, indices: tuple[int, ...]) -> Scalar:
        calls.append((i, tuple(indices)))
        return real(i, indices)

    real = lagrange_coefficient
    monkeypatch.setattr(combine_module, "lagrange_coefficient", counting)
    out = unseal(request, list(batches.values()), w.directory)
    assert all(o.result is not None and o.result.used == (1, 2, 3) for o in out)
    assert sorted(calls) == [(1, (1, 2, 3)), (2, (1, 2, 3)), (3, (1, 2, 3))]


# -- the property: the fast path agrees with the checked path --------------------------------

_KINDS = ["good", "wrong_d", "forged_proof", "replayed", "torsion", "malformed", "missing"]


def _corrupt(kind: str, share: bytes, other: bytes) -> bytes | None:
    if kind == "good":
        return share
    if kind == "wrong_d":
        return _wrong_d(share)
    if kind == "forged_proof":  # the right D with a proof that fails
        z = int.from_bytes(share[97:], "little")
        return share[:97] + ((z + 1) % ORDER).to_bytes(32, "little")
    if kind == "replayed":  # this custodian's share of another record
        return other
    if kind == "torsion":  # the right D plus a point of order 8
        return share[:1] + nb.crypto_core_ed25519_add(share[1:33], SMALL_ORDER[4]) + share[33:]
    if kind == "malformed":
        return share[:-1]
    return None  # missing


_Batches = dict[tuple[int, ...], tuple[UnsealRequest, dict[int, ShareBatch]]]


@functools.cache
def _answered() -> _Batches:
    """Every custodian's batch for two records, per quorum (made once: answering is slow)."""
    out: _Batches = {}
    for quorum in [(), (1, 2, 3), (2, 4, 5)]:
        _, _, request, batches = _setup(quorum, (1, 2, 3, 4, 5), n=2)
        out[quorum] = (request, batches)
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    quorum=st.sampled_from([(), (1, 2, 3), (2, 4, 5)]),
    kinds=st.lists(st.sampled_from(_KINDS), min_size=5, max_size=5),
)
def test_fast_path_never_returns_what_the_checked_path_would_not(
    quorum: tuple[int, ...], kinds: list[str]
) -> None:
    w = world()
    request, batches = _answered()[quorum]
    sent = []
    for i, kind in enumerate(kinds, start=1):
        b = batches[i]
        share = _corrupt(kind, b.shares[0][1], b.shares[1][1])
        if share is None:
            continue
        sent.append(_resigned(b, w.stores[i - 1], {0: share}))
    if not sent:
        return
    [fast, _] = unseal(request, sent, w.directory)
    [checked, _] = unseal(request, sent, w.directory, check_every_proof=True)
    if checked.result is not None:
        # The checked path opens it: so does the fast path, with the same plaintext.
        assert fast.result is not None
        assert fast.result.plaintext == checked.result.plaintext == b"identity 0"
        assert {b.custodian for b in fast.result.bad} <= {b.custodian for b in checked.result.bad}
    elif fast.result is not None:
        # Only the fast path opens it: every share it combined has the right D value (its
        # proof, unread, may be wrong), so the plaintext is still the one sealed.
        assert fast.result.plaintext == b"identity 0"
        assert all(kinds[i - 1] in ("good", "forged_proof") for i in fast.result.used)
        assert any(kinds[i - 1] == "forged_proof" for i in range(1, 6))
    else:
        # Both refuse, for the same reason and naming the same custodians.
        assert type(fast.error) is type(checked.error)
        if isinstance(fast.error, NotEnoughShares):
            assert isinstance(checked.error, NotEnoughShares)
            assert sorted(b.custodian for b in fast.error.bad) == sorted(
                b.custodian for b in checked.error.bad
            )
    if fast.result is not None:
        assert fast.result.plaintext == b"identity 0"


def test_a_forged_proof_beside_a_right_D_is_the_only_fast_only_opening() -> None:
    # The one way the two paths differ, pinned: exactly k answer and one proof is forged
    # over a right D. The record is opened with the sealed plaintext; an auditor checking
    # every proof (the shares stay in the signed batches) names the forger.
    w, _, request, batches = _setup((), (1, 2, 3), n=1)
    b = batches[2]
    forged = _corrupt("forged_proof", b.shares[0][1], b"")
    assert forged is not None
    sent = [batches[1], _resigned(b, w.stores[1], {0: forged}), batches[3]]
    [fast] = unseal(request, sent, w.directory)
    assert fast.plaintext() == b"identity 0"
    [checked] = unseal(request, sent, w.directory, check_every_proof=True)
    assert isinstance(checked.error, NotEnoughShares)
    assert [x.custodian for x in checked.error.bad] == [2]
    env: Envelope = request.items[0][0]
    key = w.directory.get_key(FIRST_EPOCH)
    with pytest.raises(BadShare):
        verify_share(
            DecryptionShare.from_bytes(forged), key, env, share_context(request.warrant_id, env)
        )
