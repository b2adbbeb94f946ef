"""Threshold opening, bad shares, cheating dealers, warrants, scope, shredding (DESIGN.md)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import escrow
from did import KDF_TEST
from escrow import (
    DecryptionShare,
    Point,
    Roster,
    Scalar,
    ShareStore,
    UnsealRequest,
    VenueScope,
    WarrantScope,
    answer_warrant,
    combine,
    deal,
    finalize,
    lagrange_coefficient,
    poly_commit,
    poly_eval,
    publish,
    random_scalar,
    seal,
    unseal,
)
from escrow._ceremony import _build_deal
from escrow._envelope import open_with_point
from escrow._shares import make_share, share_context
from escrow.errors import (
    BadShare,
    CeremonyError,
    DealerMisbehaved,
    DecryptionFailed,
    EnvelopeProofFailed,
    EpochUnavailable,
    NotEnoughShares,
    ScopeError,
    StoreError,
    WarrantBadApproval,
    WarrantError,
    WarrantExpired,
    WarrantMismatch,
    WarrantNotYetValid,
    WarrantQuorumMissing,
    WarrantUnknownSigner,
)
from tests.escrow.support import (
    DAY,
    FIRST_EPOCH,
    NOW,
    OTHER_VENUE,
    PASS,
    VENUE,
    World,
    approved_warrant,
    visit,
    world,
)


def _all_shares(
    w: World, envs: list[escrow.Envelope], warrant: escrow.Warrant
) -> list[list[DecryptionShare]]:
    labels = [visit(i) for i in range(len(envs))]
    request = UnsealRequest(warrant.warrant_id, tuple(zip(envs, labels, strict=True)))
    batches = [
        answer_warrant(warrant, request, store=s, directory=w.directory, now=NOW) for s in w.stores
    ]
    return [[DecryptionShare.from_bytes(b.shares[j][1]) for b in batches] for j in range(len(envs))]


def test_any_k_of_n_open_and_no_k_minus_1_can() -> None:
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    envs = [seal(key, visit(i), b"identity %d" % i, pad_to=96) for i in range(3)]
    warrant = approved_warrant(w)
    shares = _all_shares(w, envs, warrant)
    for j, env in enumerate(envs):
        expected = None
        for subset in itertools.combinations(range(5), 3):
            res = combine(
                env, key, visit(j), [shares[j][i] for i in subset], warrant_id=warrant.warrant_id
            )
            assert res.plaintext == b"identity %d" % j
            assert res.used == tuple(i + 1 for i in subset)
            assert res.bad == ()
        # The true r·Y, from one k-subset, to compare against every (k−1)-subset.
        idx = (1, 2, 3)
        expected = shares[j][0].D.mul(lagrange_coefficient(1, idx))
        for i in (2, 3):
            expected = expected + shares[j][i - 1].D.mul(lagrange_coefficient(i, idx))
        for subset in itertools.combinations(range(5), 2):
            with pytest.raises(NotEnoughShares):
                combine(
                    env,
                    key,
                    visit(j),
                    [shares[j][i] for i in subset],
                    warrant_id=warrant.warrant_id,
                )
            ids = tuple(i + 1 for i in subset)
            guess = None
            for i in ids:
                term = shares[j][i - 1].D.mul(lagrange_coefficient(i, ids))
                guess = term if guess is None else guess + term
            assert guess is not None
            assert guess != expected  # the derived key differs …
            with pytest.raises(DecryptionFailed):  # … and the AEAD refuses
                open_with_point(env, key, visit(j), guess)


def _one(
    w: World,
) -> tuple[escrow.EpochKey, escrow.Envelope, escrow.Warrant, list[DecryptionShare]]:
    key = w.directory.get_key(FIRST_EPOCH)
    env = seal(key, visit(0), b"the case", pad_to=96)
    warrant = approved_warrant(w)
    return key, env, warrant, _all_shares(w, [env], warrant)[0]


def test_forged_dleq_proof_names_the_custodian() -> None:
    w = world()
    key, env, warrant, shares = _one(w)
    s = shares[1]
    forged = DecryptionShare(s.index, s.D, s.A, s.B, s.z + Scalar.from_int(1))
    four = [shares[0], forged, shares[2], shares[3]]
    # D itself is right, so the optimistic path opens the record without looking at proofs
    # (DESIGN.md "Combining, optimistically") …
    fast = combine(env, key, visit(0), four, warrant_id=warrant.warrant_id)
    assert (fast.plaintext, fast.used, fast.bad) == (b"the case", (1, 2, 3), ())
    # … and checking every proof, as an auditor does, names the forger.
    res = combine(env, key, visit(0), four, warrant_id=warrant.warrant_id, check_every_proof=True)
    assert res.plaintext == b"the case"
    assert [b.custodian for b in res.bad] == [2]
    assert res.bad[0].custodian_did == w.stores[1].did
    assert 2 not in res.used


def test_share_with_wrong_secret_names_the_custodian() -> None:
    w = world()
    key, env, warrant, shares = _one(w)
    wrong = make_share(random_scalar(), 3, key, env, share_context(warrant.warrant_id, env))
    with pytest.raises(NotEnoughShares) as info:
        combine(env, key, visit(0), [shares[0], shares[1], wrong], warrant_id=warrant.warrant_id)
    assert [b.custodian for b in info.value.bad] == [3]
    # A fake D with a proof for x_i but another point is also caught.
    fake = DecryptionShare(
        3, Point.base_mul(random_scalar()), shares[2].A, shares[2].B, shares[2].z
    )
    res = combine(
        env, key, visit(0), [shares[0], fake, shares[1], shares[3]], warrant_id=warrant.warrant_id
    )
    assert [b.custodian for b in res.bad] == [3]


def test_replayed_share_for_another_envelope_names_the_custodian() -> None:
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    envs = [seal(key, visit(i), b"p%d" % i, pad_to=96) for i in range(2)]
    warrant = approved_warrant(w)
    shares = _all_shares(w, envs, warrant)
    replayed = shares[1][4]  # custodian 5's share of envelope 1, sent for envelope 0
    with pytest.raises(NotEnoughShares) as info:
        combine(
            envs[0],
            key,
            visit(0),
            [shares[0][0], shares[0][1], replayed],
            warrant_id=warrant.warrant_id,
        )
    assert [b.custodian for b in info.value.bad] == [5]
    # A share made under another warrant is refused too.
    other = make_share(Scalar.from_int(1), 1, key, envs[0], share_context(b"\x00" * 32, envs[0]))
    with pytest.raises(BadShare):
        escrow.verify_share(other, key, envs[0], share_context(warrant.warrant_id, envs[0]))


def test_batch_path_names_bad_custodians_and_opens_in_parallel() -> None:
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    envs = [seal(key, visit(i), b"p%d" % i, pad_to=96) for i in range(4)]
    warrant = approved_warrant(w)
    request = UnsealRequest(warrant.warrant_id, tuple((e, visit(i)) for i, e in enumerate(envs)))
    batches = [
        answer_warrant(warrant, request, store=s, directory=w.directory, now=NOW)
        for s in w.stores[:4]
    ]
    # Custodian 2's batch is re-signed by custodian 1 after tampering: its signature fails.
    b = batches[1]
    batches[1] = escrow.ShareBatch(
        b.body, batches[0].sig, b.warrant_id, b.custodian, b.index, b.shares
    )
    for processes in (1, 2):
        out = unseal(request, batches, w.directory, processes=processes)
        assert [o.plaintext() for o in out] == [b"p%d" % i for i in range(4)]
        assert all([x.custodian for x in o.result.bad] == [2] for o in out if o.result)


def test_cheating_dealer_is_detected_and_named(tmp_path: Path) -> None:
    tmp = tmp_path
    stores = [ShareStore.create(tmp / f"{i}", PASS, kdf=KDF_TEST) for i in range(4)]
    roster = Roster.new([s.did for s in stores], 2, first_epoch=FIRST_EPOCH, epochs=2)
    deals = [deal(roster, s.key) for s in stores[:3]]
    polys = [[random_scalar(), random_scalar()] for _ in range(2)]
    shares = [[poly_eval(p, m) for p in polys] for m in range(1, 5)]
    shares[1][1] = shares[1][1] + Scalar.from_int(1)  # dealer 4 cheats custodian 2, epoch 2
    deals.append(_build_deal(roster, stores[3].key, 4, [poly_commit(p) for p in polys], shares))
    # Every custodian finalizes first: those dealt honest shares accept (and store them),
    # custodian 2 detects dealer 4 and names it.
    for i, s in enumerate(stores):
        if i == 1:
            with pytest.raises(DealerMisbehaved) as info:
                finalize(roster, deals, s, PASS)
            assert info.value.dealer == 4
            assert info.value.dealer_did == stores[3].did
        else:
            finalize(roster, deals, s, PASS)
            assert s.epochs() == (FIRST_EPOCH, FIRST_EPOCH + 1)
    before = [s.share(FIRST_EPOCH).x for s in stores if s is not stores[1]]
    # Then everyone re-runs with dealer 4 excluded: the same ceremony replaces its own shares.
    sigs = [finalize(roster, deals, s, PASS, exclude=[4]) for s in stores]
    directory = publish(roster, sigs)
    directory.verify()
    after = [s.share(FIRST_EPOCH).x for s in stores if s is not stores[1]]
    assert all(a != b for a, b in zip(after, before, strict=True))
    for i, s in enumerate(stores, start=1):
        reloaded = ShareStore.load(s.path, PASS)
        x = reloaded.share(FIRST_EPOCH).x
        assert Point.base_mul(x) == directory.get_key(FIRST_EPOCH).verification_keys[i - 1]
    # Another ceremony's shares for those epochs are still refused.
    other = Roster.new([s.did for s in stores], 2, first_epoch=FIRST_EPOCH, epochs=2)
    with pytest.raises(StoreError):
        finalize(other, [deal(other, s.key) for s in stores], stores[0], PASS)
    # A deal file whose signature does not verify is refused without blaming the dealer.
    bad = bytearray(deals[0])
    bad[-5] ^= 1
    with pytest.raises(CeremonyError):
        finalize(roster, [bytes(bad), *deals[1:]], stores[2], PASS)


def test_warrant_refusals() -> None:
    w = world()
    directory = w.directory
    ok = approved_warrant(w)
    ok.verify(directory, now=NOW)
    assert escrow.Warrant.from_bytes(ok.to_bytes()) == ok
    with pytest.raises(WarrantQuorumMissing):
        approved_warrant(w, approvers=2).verify(directory, now=NOW)
    with pytest.raises(WarrantExpired):
        ok.verify(directory, now=ok.expires)
    with pytest.raises(WarrantNotYetValid):
        ok.verify(directory, now=ok.issued - 1)
    from did import Ed25519PrivateKey

    outsider = Ed25519PrivateKey.generate()
    outsider_did = "did:key:" + outsider.public_key.to_multikey()
    with pytest.raises(WarrantUnknownSigner):
        ok.approve(outsider, outsider_did, now=NOW).verify(directory, now=NOW)
    # A valid-looking approval whose signature is another custodian's.
    forged = escrow.Warrant(
        ok.body, (*ok.approvals[:2], (w.stores[3].did, ok.approvals[0][1])), ok.case_id,
        ok.purpose, ok.investigator, ok.issued, ok.expires, ok.scope,
    )  # fmt: skip
    with pytest.raises(WarrantBadApproval) as info:
        forged.verify(directory, now=NOW)
    assert isinstance(info.value, WarrantError)
    assert info.value.code == "warrantSignature"


def test_warrant_window_is_checked_by_approve_itself() -> None:
    # DESIGN.md "Warrant": the expiry is what the custodians sign. The library refuses to
    # approve outside [issued, expires), so no caller (the CLI included) can forget to.
    w = world()
    fresh = approved_warrant(w, approvers=0)
    store = w.stores[0]
    with pytest.raises(WarrantExpired):
        fresh.approve(store.key, store.did, now=fresh.expires)
    with pytest.raises(WarrantExpired):
        fresh.approve(store.key, store.did, now=fresh.expires + 10 * DAY)
    with pytest.raises(WarrantNotYetValid):
        fresh.approve(store.key, store.did, now=fresh.issued - 1)
    assert fresh.approvals == ()
    approved = fresh.approve(store.key, store.did, now=fresh.issued)
    assert [d for d, _ in approved.approvals] == [store.did]
    assert fresh.approve(store.key, store.did, now=fresh.expires - 1).approvals == (
        approved.approvals
    )  # Ed25519 signatures are deterministic
    with pytest.raises(ValueError, match="non-negative int"):
        fresh.approve(store.key, store.did, now=-1)


def test_custodian_checks_scope_windows_and_max_stay() -> None:
    w = world()
    key = w.directory.get_key(FIRST_EPOCH)
    start = FIRST_EPOCH * DAY + 10 * 3600
    scope = WarrantScope(venues=(VenueScope(VENUE, 3600, ((start, start + 3600),)),))
    warrant = approved_warrant(w, scope)
    inside = [visit(1, offset=10 * 3600 + 60), visit(2, offset=9 * 3600 + 1)]  # 2: max stay
    outside = [
        visit(3, offset=8 * 3600),
        visit(4, offset=11 * 3600 + 1),
        visit(5, venue=OTHER_VENUE, offset=10 * 3600),
    ]
    for lab in inside:
        env = seal(key, lab, b"x", pad_to=64)
        answer_warrant(
            warrant,
            UnsealRequest(warrant.warrant_id, ((env, lab),)),
            store=w.stores[0],
            directory=w.directory,
            now=NOW,
        )
    for lab in outside:
        env = seal(key, lab, b"x", pad_to=64)
        with pytest.raises(ScopeError):
            answer_warrant(
                warrant,
                UnsealRequest(warrant.warrant_id, ((env, lab),)),
                store=w.stores[0],
                directory=w.directory,
                now=NOW,
            )
    # An out-of-scope envelope presented under an in-scope label fails on the proof.
    env = seal(key, outside[0], b"x", pad_to=64)
    with pytest.raises(EnvelopeProofFailed):
        answer_warrant(
            warrant,
            UnsealRequest(warrant.warrant_id, ((env, inside[0]),)),
            store=w.stores[0],
            directory=w.directory,
            now=NOW,
        )
    # Explicit record ids and trace-seed credentials.
    seed_label = escrow.TraceSeedLabel("urn:uuid:case", FIRST_EPOCH)
    seed_env = seal(key, seed_label, b"seed", pad_to=64)
    by_record = approved_warrant(
        w, WarrantScope(records=frozenset({bytes.fromhex(seed_env.envelope_id)}))
    )
    answer_warrant(
        by_record,
        UnsealRequest(by_record.warrant_id, ((seed_env, seed_label),)),
        store=w.stores[0],
        directory=w.directory,
        now=NOW,
    )
    by_cred = approved_warrant(
        w, WarrantScope(credentials=(("urn:uuid:case", FIRST_EPOCH - 1, FIRST_EPOCH - 1),))
    )
    with pytest.raises(ScopeError):
        answer_warrant(
            by_cred,
            UnsealRequest(by_cred.warrant_id, ((seed_env, seed_label),)),
            store=w.stores[0],
            directory=w.directory,
            now=NOW,
        )
    # A request citing another warrant is refused.
    with pytest.raises(WarrantMismatch):
        answer_warrant(
            warrant,
            UnsealRequest(b"\x01" * 32, ((seed_env, seed_label),)),
            store=w.stores[0],
            directory=w.directory,
            now=NOW,
        )


def test_shredded_epochs_cannot_be_opened_unshredded_can(tmp_path: Path) -> None:
    tmp = tmp_path
    stores = [ShareStore.create(tmp / f"{i}.store", PASS, kdf=KDF_TEST) for i in range(3)]
    roster = Roster.new([s.did for s in stores], 2, first_epoch=FIRST_EPOCH, epochs=2)
    deals = [deal(roster, s.key) for s in stores]
    directory = publish(roster, [finalize(roster, deals, s, PASS) for s in stores])
    old, new = FIRST_EPOCH, FIRST_EPOCH + 1
    env_old = seal(directory.get_key(old), visit(1, epoch=old), b"old", pad_to=64)
    env_new = seal(directory.get_key(new), visit(1, epoch=new), b"new", pad_to=64)
    scope = WarrantScope(venues=(VenueScope(VENUE, 0, ((old * DAY, (new + 1) * DAY),)),))
    warrant = escrow.Warrant.create(
        case_id="c",
        purpose="p",
        investigator="did:key:z6MkI",
        scope=scope,
        issued=NOW - 1,
        expires=NOW + DAY,
    )
    for s in stores:
        warrant = warrant.approve(s.key, s.did, now=NOW)
    before = [(tmp / f"{i}.store").read_bytes() for i in range(3)]
    for s in stores:
        assert s.shred(new, PASS) == (old,)
    for i, s in enumerate(stores):
        after = (tmp / f"{i}.store").read_bytes()
        assert after != before[i]
        assert ShareStore.load(s.path, PASS).epochs() == (new,)
        assert not list(tmp.glob(f"{i}.store.new"))
    req_old = UnsealRequest(warrant.warrant_id, ((env_old, visit(1, epoch=old)),))
    for s in stores:  # not even every custodian together can answer for the old epoch
        with pytest.raises(EpochUnavailable):
            answer_warrant(
                warrant, req_old, store=ShareStore.load(s.path, PASS), directory=directory, now=NOW
            )
    req_new = UnsealRequest(warrant.warrant_id, ((env_new, visit(1, epoch=new)),))
    batches = [
        answer_warrant(
            warrant, req_new, store=ShareStore.load(s.path, PASS), directory=directory, now=NOW
        )
        for s in stores[:2]
    ]
    assert unseal(req_new, batches, directory)[0].plaintext() == b"new"


def test_store_is_encrypted_and_refuses_wrong_passphrase() -> None:
    w = world()
    store = w.stores[0]
    raw = store.path.read_bytes()
    x = store.share(FIRST_EPOCH).x.to_bytes()
    assert x not in raw
    assert x.hex().encode() not in raw
    with pytest.raises(StoreError):
        ShareStore.load(store.path, "wrong")
    assert "hidden" in repr(store.share(FIRST_EPOCH))
    with pytest.raises(FileExistsError):
        ShareStore.create(store.path, PASS, kdf=KDF_TEST)
