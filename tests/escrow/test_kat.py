"""Known-answer tests: fixed seeds give fixed envelopes, shares and plaintexts.

Vectors: tests/vectors/escrow/kat.json, made by tests/vectors/escrow/generate.py (kept beside
them). Besides regenerating and comparing, the stored vectors are checked independently of
the generator: the directory body decodes to the stored keys, each stored envelope's proof
verifies under its stored label, the stored shares combine to the stored plaintexts, and
the folded shares' proofs verify under λ_i·Y_i and their plain sum opens each envelope.
"""

from __future__ import annotations

import json
import runpy

from escrow import (
    DecryptionShare,
    Envelope,
    EpochKeyDirectory,
    check_envelope_proof,
    combine,
    label_from_bytes,
    share_context,
    verify_share,
)
from escrow._envelope import open_with_point
from tests.paths import VECTORS as _VECTORS

HERE = _VECTORS / "escrow"
KAT = json.loads((HERE / "kat.json").read_text())


def test_generator_reproduces_the_vectors() -> None:
    generate = runpy.run_path(str(HERE / "generate.py"))["generate"]
    assert generate() == KAT


def test_stored_vectors_check_independently() -> None:
    directory = EpochKeyDirectory(bytes.fromhex(KAT["directory_body"]), ())
    key = directory.get_key(KAT["epoch"])
    assert key.Y.to_bytes().hex() == KAT["Y"]
    assert [p.to_bytes().hex() for p in key.verification_keys] == KAT["verification_keys"]
    warrant_id = bytes.fromhex(KAT["warrant_id"])
    for n, item in enumerate(KAT["envelopes"]):
        env = Envelope.from_bytes(bytes.fromhex(item["envelope"]))
        label = label_from_bytes(bytes.fromhex(item["label"]))
        assert env.envelope_id == item["envelope_id"]
        check_envelope_proof(env, key, label)
        shares = [
            DecryptionShare.from_bytes(bytes.fromhex(s["share"]))
            for s in KAT["shares"]
            if s["envelope_id"] == item["envelope_id"]
        ]
        assert [s.index for s in shares] == [1, 3, 5]
        res = combine(env, key, label, shares, warrant_id=warrant_id)
        assert res.plaintext == bytes.fromhex(item["plaintext"]) == bytes.fromhex(KAT["opened"][n])
        context = share_context(warrant_id, env)
        for share in shares:
            verify_share(share, key, env, context)
        # Folded shares (quorum 1, 3, 5): each proof checks under λ_i·Y_i, and the shares
        # add up to r·Y with no Lagrange weights: the sum alone opens the envelope.
        quorum = tuple(KAT["quorum"])
        folded = [
            DecryptionShare.from_bytes(bytes.fromhex(s["share"]))
            for s in KAT["folded_shares"]
            if s["envelope_id"] == item["envelope_id"]
        ]
        assert [s.index for s in folded] == list(quorum)
        for share in folded:
            verify_share(share, key, env, context, quorum=quorum)
        total = folded[0].D + folded[1].D + folded[2].D
        assert open_with_point(env, key, label, total) == bytes.fromhex(item["plaintext"])
