"""Check-in hot-path figures: wallet check-in creation, venue validation, DIDKit, QR sizes.

Prints one JSON object: medians in microseconds per operation of

* ``wallet_checkin``: :meth:`wallet.Wallet.check_in` (pseudonym from the cache, one escrow
  seal to the day's epoch key, one Ed25519 signature); ``wallet_checkin_new_pseudonym``:
  the first check-in of the day at a venue, which derives the pairwise key too;
* ``venue_validate``: :func:`verifier.validate_checkin` as a venue meets it: every call a
  new visitor (a wallet secret, hence a pairwise pseudonym, never seen before) answering a
  kiosk challenge never answered before, with the did:key memos emptied after the pool is
  built (strict decoding, the pseudonym's point check, one Ed25519 verify, the challenge
  and replay claims, the envelope's point check, the entry policy and one Ed25519
  signature for the receipt); ``venue_validate_poster``: the same from the static poster
  (no challenge); ``venue_validate_same_pseudonym``: one wallet again and again, the
  figure this benchmark used to report, which a did:key cache flatters;
* ``bare_ed25519_verify`` / ``bare_ed25519_sign``: PyNaCl directly on a 300-byte message,
  the baseline measured in the same run, and the ratio of validation to it;
* ``didkit_vc_jwt_verify``: DIDKit's VC-JWT verify of a credential DIDKit issued for its own
  key, when ``didkit`` is importable (its async call runs on one event loop kept open,
  so the figure is DIDKit's work, not event-loop start-up);
* a breakdown of validation into its parts (each on presentations or pseudonyms never seen
  before) with the cryptographic floor: one verify, two prime-order point checks (the
  pseudonym's key, DESIGN.md step 2, and the envelope's R, step 4) and one signature, and
  the byte sizes and QR versions (error correction M, alphanumeric mode) of each QR
  payload.

Batches of all operations are interleaved round by round, so a noisy machine slows the
baseline and the candidates alike and the ratios stay meaningful.

Run: ``.venv/bin/python benchmarks/bench_checkin.py [--rounds N] [--inner N]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nacl.bindings
import nacl.signing

import did.didkey
from did.didkey import did_from_public_key, ed25519_public_key_from_did
from did.keyfile import KDF_TEST
from did.keys import Ed25519PrivateKey
from did.qr import base45_encode, make_qr
from escrow import EpochKey, EpochKeyDirectory, check_envelope_structure
from escrow.group import Point, random_scalar
from protocol import (
    ENVELOPE_SIZE,
    Channel,
    CheckIn,
    HealthDeclaration,
    Kind,
    QrKind,
    VenueChallenge,
    VenueCode,
    VisitReceipt,
    day_of,
    issue_person_credential,
    parse_qr_text,
    to_qr_text,
)
from verifier import ChallengeBook, MemoryReplayStore, VenueContext, validate_checkin
from wallet import Wallet
from wallet._checkin import Derivations, build_presentation

try:  # DIDKit is an optional (dev) dependency: measured when present.
    import didkit
except ImportError:  # pragma: no cover - depends on the environment
    didkit = None  # type: ignore[assignment]

PAYLOAD_BYTES = 300
NOW = 20000 * 86400 + 12 * 3600
VENUE = "did:web:registry.anshim.kr:venues:jeju-000123"


def measure(cases: dict[str, tuple[Callable[[], object], int]], *, rounds: int) -> dict[str, float]:
    """Median over ``rounds`` of the per-call time of each case's ``inner`` calls,
    interleaved round by round (each case is ``(function, inner)``)."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for fn, inner in cases.values():  # warm-up
        for _ in range(inner):
            fn()
    for _ in range(rounds):
        for name, (fn, inner) in cases.items():
            start = time.perf_counter_ns()
            for _ in range(inner):
                fn()
            samples[name].append((time.perf_counter_ns() - start) / inner / 1000.0)
    return {name: round(statistics.median(values), 2) for name, values in samples.items()}


def _directory(day: int) -> EpochKeyDirectory:
    """A one-custodian signed epoch-key directory for ``day`` (the wallet verifies it)."""
    custodian = Ed25519PrivateKey.generate()
    did = did_from_public_key(custodian.public_key)
    y = Point.base_mul(random_scalar())
    key = EpochKey(day, y, (y,), 1, (did,))
    body = EpochKeyDirectory.encode_body(
        ceremony=os.urandom(16), tz_offset=0, threshold=1, custodians=[did], keys=[key]
    )
    return EpochKeyDirectory(body, [(1, EpochKeyDirectory.sign_body(body, custodian))])


def _fresh_checkin(
    directory: EpochKeyDirectory, venue: VenueContext, compact: bytes, *, kiosk: bool
) -> bytes:
    """A check-in from a wallet secret never used before (so a pseudonym never seen before),
    answering a fresh kiosk challenge if ``kiosk``, built as the wallet builds it."""
    challenge = None
    if kiosk:
        _, issued = VenueChallenge.parse_unverified(venue.issue_challenge(now=NOW))
        challenge = issued.nonce
    return build_presentation(
        Derivations(os.urandom(32)),
        directory=directory,
        compact=compact,
        venue=VENUE,
        challenge=challenge,
        declaration=HealthDeclaration(False, False),
        kind=Kind.CHECK_IN,
        now=NOW,
    )


def _forget_parsed_keys() -> None:
    """Empty every memo of :mod:`did.didkey` (its parse caches), as in a venue process that
    has never parsed the pool's pseudonyms."""
    for value in vars(did.didkey).values():
        clear = getattr(value, "cache_clear", None)
        if callable(clear):
            clear()


def _didkit_case() -> tuple[Callable[[], object], str] | None:
    if didkit is None:
        return None
    jwk = didkit.generate_ed25519_key()
    issuer = didkit.key_to_did("key", jwk)
    loop = asyncio.new_event_loop()

    def run(make: Callable[[], Any]) -> Any:
        # DIDKit's functions return awaitables that need a running loop when created.
        async def call() -> Any:
            return await make()

        return loop.run_until_complete(call())

    method = run(lambda: didkit.key_to_verification_method("key", jwk))
    credential = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "id": "urn:uuid:5a4c1f0e-1d2b-4c3a-9e8f-7a6b5c4d3e2f",
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "issuanceDate": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:holder"},
    }
    options = json.dumps(
        {"proofFormat": "jwt", "verificationMethod": method, "proofPurpose": "assertionMethod"}
    )
    jwt = run(lambda: didkit.issue_credential(json.dumps(credential), options, jwk))
    verify_options = json.dumps({"proofFormat": "jwt"})
    result = json.loads(run(lambda: didkit.verify_credential(jwt, verify_options)))
    if result.get("errors"):
        raise SystemExit(f"DIDKit refused its own VC-JWT: {result['errors']}")
    return (lambda: run(lambda: didkit.verify_credential(jwt, verify_options))), jwt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31, help="batches per operation")
    parser.add_argument("--inner", type=int, default=100, help="calls per batch")
    args = parser.parse_args()
    rounds, inner = args.rounds, args.inner

    day = day_of(NOW)
    directory = _directory(day)
    registry = Ed25519PrivateKey.generate()
    issuer = Ed25519PrivateKey.generate()
    issuer_did = did_from_public_key(issuer.public_key)
    tmp = Path(tempfile.mkdtemp(prefix="bench-checkin-"))
    wallet = Wallet.create(tmp / "w.wallet", "pass", registry_key=registry.public_key, kdf=KDF_TEST)
    credential = issue_person_credential(
        issuer,
        issuer_did,
        wallet.holder_did,
        "+821012345678",
        name="Kim Minji",
        valid_from=NOW - 86400,
        valid_until=NOW + 365 * 86400,
    )
    wallet.enroll(credential, trusted_issuers=[issuer_did], now=NOW)
    wallet.set_epoch_keys(directory.to_bytes(), now=NOW)
    venue_key = Ed25519PrivateKey.generate()

    poster = VenueCode(
        venue=VENUE,
        name="제주 흑돼지 식당",
        category="restaurant",
        issued=NOW - 86400,
        expires=NOW + 365 * 86400,
    ).sign(registry)
    scanned = wallet.scan(to_qr_text(QrKind.VENUE_CODE, poster), now=NOW)
    clear = HealthDeclaration(False, False)

    # At a venue every check-in comes from another visitor, so its pseudonym (pairwise per
    # venue and day) is one the venue has never parsed. Every timed validation therefore
    # gets a presentation never seen before from a wallet secret never seen before,
    # answering a kiosk challenge never answered before: no cache keyed on the pseudonym
    # or the message can hide a per-visitor cost. One pool item per timed and warm-up call.
    count = inner * (rounds + 1)
    compact = credential.compact.cbor
    venue = VenueContext(
        did=VENUE,
        key=venue_key,
        category="restaurant",
        challenges=ChallengeBook(VENUE, venue_key, max_live=2 * count + 1),
        tz_offset=0,
        max_skew=30,
        devices={},
    )
    pool = [_fresh_checkin(directory, venue, compact, kiosk=True) for _ in range(count)]
    poster_pool = [_fresh_checkin(directory, venue, compact, kiosk=False) for _ in range(count)]
    parse_pool = [_fresh_checkin(directory, venue, compact, kiosk=True) for _ in range(count)]
    # The figure the benchmark used to report: one wallet, so one pseudonym, again and again.
    same_pool = [wallet.check_in(scanned, declaration=clear, now=NOW) for _ in range(count)]
    replay = MemoryReplayStore(max_entries=4 * count + 1)
    # Building the pools parsed every pseudonym in this process (CheckIn's constructor checks
    # it); a venue's process has never seen them, so whatever did:key parsing cached goes.
    _forget_parsed_keys()

    def validator(items: list[bytes]) -> Callable[[], object]:
        cursor = iter(items)
        return lambda: validate_checkin(
            next(cursor), venue=venue, now=NOW, replay=replay, epoch_keys=directory
        )

    parse_cursor = iter(parse_pool)
    sample = pool[0]
    parsed, checkin = CheckIn.parse_unverified(sample)
    pseudonym_key = ed25519_public_key_from_did(checkin.pseudonym)
    envelope = checkin.envelope or b""

    signing_key = nacl.signing.SigningKey(os.urandom(32))
    verify_key = signing_key.verify_key
    payload = os.urandom(PAYLOAD_BYTES)
    bare_signature = signing_key.sign(payload).signature

    cases: dict[str, tuple[Callable[[], object], int]] = {
        "bare_ed25519_verify": (lambda: verify_key.verify(payload, bare_signature), inner),
        "bare_ed25519_sign": (lambda: signing_key.sign(payload), inner),
        "wallet_checkin": (lambda: wallet.check_in(scanned, declaration=clear, now=NOW), inner),
        # The first check-in of the day at a venue: the pairwise key is derived too.
        "wallet_checkin_new_pseudonym": (
            lambda: _fresh_checkin(directory, venue, compact, kiosk=False),
            inner,
        ),
        "venue_validate": (validator(pool), inner),
        "venue_validate_poster": (validator(poster_pool), inner),
        "venue_validate_same_pseudonym": (validator(same_pool), inner),
        "part_parse_checkin": (lambda: CheckIn.parse_unverified(next(parse_cursor)), inner),
        "part_verify_signature": (lambda: CheckIn.check_signature(parsed, pseudonym_key), inner),
        "part_envelope_structure": (
            lambda: check_envelope_structure(
                envelope,
                epoch_keys=directory,
                expected_epoch=day,
                expected_size=ENVELOPE_SIZE,
            ),
            inner,
        ),
    }
    # The cryptographic floor of validation: two prime-order checks (libsodium's
    # crypto_core_ed25519_is_valid_point, a multiplication by the group order), one of the
    # pseudonym's key and one of the envelope's R, and the receipt's Ed25519 signature come
    # on top of the one verify. The key's check cannot be left to the verify: libsodium's
    # crypto_sign_open admits mixed-order keys (tests/test_verifier_pseudonym_points.py).
    fresh_dids = iter(
        [did_from_public_key(Ed25519PrivateKey.generate().public_key) for _ in range(count)]
    )
    cases["part_pseudonym_did_parse"] = (
        lambda: ed25519_public_key_from_did(next(fresh_dids)),
        inner,
    )
    r_point = envelope[6:38]
    cases["part_point_check"] = (
        lambda: nacl.bindings.crypto_core_ed25519_is_valid_point(r_point),
        inner,
    )
    receipt = VisitReceipt(
        venue=VENUE,
        pseudonym=checkin.pseudonym,
        time_in=NOW,
        time_out=None,
        visit_id=bytes(16),
        checkin_hash=bytes(32),
        channel=Channel.QR_STATIC,
    )
    cases["part_receipt_sign"] = (lambda: receipt.sign(venue.key), inner)
    notes: list[str] = []
    didkit_case = _didkit_case()
    if didkit_case is not None:
        cases["didkit_vc_jwt_verify"] = (didkit_case[0], max(1, inner // 5))
    else:
        notes.append("didkit not importable: DIDKit VC-JWT verify not measured")

    medians = measure(cases, rounds=rounds)
    challenge = venue.issue_challenge(now=NOW)
    holder_text = wallet.holder_shown_check_in(declaration=clear, now=NOW)
    _, holder = parse_qr_text(holder_text)
    payloads: dict[str, dict[str, Any]] = {}
    for name, kind, message in (
        ("venue_code", QrKind.VENUE_CODE, poster),
        ("challenge", QrKind.CHALLENGE, challenge),
        ("checkin", None, sample),
        ("holder_shown_checkin", QrKind.HOLDER_CHECKIN, holder),
    ):
        # A venue-addressed check-in travels over HTTP; its QR figures are for the same
        # 4-character-prefix base45 form the holder-shown one uses.
        text = "AH1:" + base45_encode(message) if kind is None else to_qr_text(kind, message)
        payloads[name] = {
            "signed_bytes": len(message),
            "qr_text_chars": len(text),
            "qr_version": make_qr(text).version,
        }
    bare = medians["bare_ed25519_verify"]
    result: dict[str, Any] = {
        "unit": "microseconds per operation (median of interleaved batches)",
        "rounds": rounds,
        "inner": inner,
        "python": platform.python_version(),
        "medians_us": medians,
        "ratio_validate_to_bare_verify": round(medians["venue_validate"] / bare, 3),
        "ratio_wallet_checkin_to_bare_verify": round(medians["wallet_checkin"] / bare, 3),
        "validations_per_second_one_core": round(1e6 / medians["venue_validate"]),
        # (bare verify + 2 point checks + bare sign) / bare verify: no implementation that
        # checks the points as DESIGN.md steps 2 and 4 ask can go below this ratio.
        "ratio_crypto_floor_to_bare_verify": round(
            (bare + 2 * medians["part_point_check"] + medians["bare_ed25519_sign"]) / bare, 3
        ),
        "payloads": payloads,
        "envelope_bytes": ENVELOPE_SIZE,
        "notes": notes,
    }
    if didkit_case is not None:
        result["ratio_didkit_jwt_verify_to_validate"] = round(
            medians["didkit_vc_jwt_verify"] / medians["venue_validate"], 3
        )
        result["didkit_vc_jwt_chars"] = len(didkit_case[1])
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
