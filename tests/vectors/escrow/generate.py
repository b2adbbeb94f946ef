"""Generator of the escrow known-answer vectors (kat.json beside this file).

Run ``python tests/vectors/escrow/generate.py`` to rewrite kat.json; the test
``tests/test_escrow_kat.py`` regenerates the same data and compares, and checks the stored
vectors independently (proofs verify, the stored shares combine to the stored plaintext).

Everything random comes from :class:`escrow._kat.KatRng` with fixed seeds; the identity keys
are Ed25519 keys from fixed seeds; the ceremony id is fixed. Sealed-box ciphertexts in the
deal files are randomised by libsodium and are not part of the vectors (only their effect,
the directory and shares, is).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from did import KDF_TEST, Ed25519PrivateKey
from escrow import (
    Roster,
    ShareStore,
    TraceSeedLabel,
    UnsealRequest,
    VenueScope,
    VisitLabel,
    Warrant,
    WarrantScope,
    answer_warrant,
    deal,
    finalize,
    publish,
    seal,
    unseal,
)
from escrow._kat import KatRng

N, K, FIRST_EPOCH, EPOCHS = 5, 3, 20000, 2
QUORUM = (1, 3, 5)
CEREMONY = bytes(range(16))
NOW = FIRST_EPOCH * 86400 + 43200
VENUE = "did:web:registry.example:venues:kat-cafe"
PASSPHRASE = "kat"


def generate() -> dict[str, Any]:
    """Run a fixed ceremony, seal fixed plaintexts, answer with custodians 1, 3, 5 (plain
    shares, then folded ones for the quorum (1, 3, 5)), combine."""
    keys = [Ed25519PrivateKey.from_seed(bytes([i]) * 32) for i in range(1, N + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        stores = [
            ShareStore.create(Path(tmp) / f"{i}.store", PASSPHRASE, key=k, kdf=KDF_TEST)
            for i, k in enumerate(keys, start=1)
        ]
        roster = Roster(CEREMONY, tuple(s.did for s in stores), K, FIRST_EPOCH, EPOCHS)
        deals = [
            deal(roster, s.key, _rng=KatRng(b"dealer-%d" % i)) for i, s in enumerate(stores, 1)
        ]
        sigs = [finalize(roster, deals, s, PASSPHRASE) for s in stores]
        directory = publish(roster, sigs)
        key = directory.get_key(FIRST_EPOCH)
        labels = [
            VisitLabel(VENUE, FIRST_EPOCH, "did:key:z6MkKatPseudonym", FIRST_EPOCH * 86400 + 3600),
            TraceSeedLabel("urn:uuid:kat-credential", FIRST_EPOCH),
        ]
        plaintexts = [b"visitor: +82-10-0000-0000", bytes(range(32))]
        envelopes = [
            seal(key, lab, pt, pad_to=128, _rng=KatRng(b"seal-%d" % n))
            for n, (lab, pt) in enumerate(zip(labels, plaintexts, strict=True))
        ]
        scope = WarrantScope(
            venues=(
                VenueScope(VENUE, 7200, ((FIRST_EPOCH * 86400, FIRST_EPOCH * 86400 + 86400),)),
            ),
            credentials=(("urn:uuid:kat-credential", FIRST_EPOCH, FIRST_EPOCH),),
        )
        warrant = Warrant.create(
            case_id="KAT-1",
            purpose="known-answer test",
            investigator="did:key:z6MkKatInvestigator",
            scope=scope,
            issued=NOW - 60,
            expires=NOW + 86400,
        )
        for s in stores[:K]:
            warrant = warrant.approve(s.key, s.did, now=NOW)
        request = UnsealRequest(warrant.warrant_id, tuple(zip(envelopes, labels, strict=True)))
        batches = [
            answer_warrant(
                warrant,
                request,
                store=stores[i],
                directory=directory,
                now=NOW,
                _rng=KatRng(b"custodian-%d" % (i + 1)),
            )
            for i in (0, 2, 4)
        ]
        opened = [o.plaintext() for o in unseal(request, batches, directory)]
        # The same records with a named quorum: custodians 1, 3, 5 fold their Lagrange
        # coefficients into their shares (escrow/_shares.py), so the shares simply add up.
        folded_request = UnsealRequest(request.warrant_id, request.items, QUORUM)
        folded_batches = [
            answer_warrant(
                warrant,
                folded_request,
                store=stores[i - 1],
                directory=directory,
                now=NOW,
                _rng=KatRng(b"custodian-folded-%d" % i),
            )
            for i in QUORUM
        ]
        folded_opened = [o.plaintext() for o in unseal(folded_request, folded_batches, directory)]
        if folded_opened != opened:
            raise AssertionError("folded shares open other plaintexts")
    return {
        "description": "anshim escrow known-answer vectors; see generate.py",
        "ceremony": CEREMONY.hex(),
        "identity_seeds": [bytes([i]).hex() * 32 for i in range(1, N + 1)],
        "threshold": K,
        "directory_body": directory.body.hex(),
        "epoch": FIRST_EPOCH,
        "Y": key.Y.to_bytes().hex(),
        "verification_keys": [p.to_bytes().hex() for p in key.verification_keys],
        "warrant_body": warrant.body.hex(),
        "warrant_id": warrant.warrant_id.hex(),
        "envelopes": [
            {
                "label": lab.to_bytes().hex(),
                "plaintext": pt.hex(),
                "pad_to": 128,
                "envelope": env.to_bytes().hex(),
                "envelope_id": env.envelope_id,
            }
            for lab, pt, env in zip(labels, plaintexts, envelopes, strict=True)
        ],
        "shares": [
            {"custodian": b.index, "envelope_id": eid.hex(), "share": share.hex()}
            for b in batches
            for eid, share in b.shares
        ],
        "opened": [p.hex() for p in opened],
        "quorum": list(QUORUM),
        "folded_shares": [
            {"custodian": b.index, "envelope_id": eid.hex(), "share": share.hex()}
            for b in folded_batches
            for eid, share in b.shares
        ],
    }


if __name__ == "__main__":
    out = Path(__file__).with_name("kat.json")
    out.write_text(json.dumps(generate(), indent=2) + "\n")
    sys.stdout.write(f"wrote {out}\n")
