"""Check-in hot-path figures: wallet check-in creation, venue validation, DIDKit, QR sizes.

Prints one JSON object: medians in microseconds per operation of

* ``wallet_checkin``: :meth:`wallet.Wallet.check_in` (pseudonym from the cache, the holder's
  signature over the label, one escrow seal to the day's epoch key, one Ed25519 signature);
  ``wallet_checkin_new_pseudonym``: the first check-in of the day at a venue, which derives
  the pairwise key and the trace seed too (built from the public protocol and escrow API,
  step for step as the wallet builds it);
* ``venue_validate``: :func:`verifier.validate_checkin` as a venue meets it: every call a
  new visitor (a wallet secret, hence a pairwise pseudonym, never seen before) answering a
  kiosk challenge never answered before, with every memo of the anshim packages emptied
  after the pools are built (strict decoding, the pseudonym's byte checks, one Ed25519
  verify, the challenge and replay look-ups and claims, the envelope's byte checks, the
  entry policy, and the receipt: encoded and signed with one Ed25519 signature);
  ``venue_validate_poster``: the same from the static poster (no challenge);
  ``venue_validate_same_pseudonym``: one wallet again and again (what a cache would
  flatter); ``venue_validate_checks_only`` (derived): ``venue_validate`` less
  ``part_receipt_sign``, steps 1 to 5 without the receipt;
* ``bare_ed25519_verify`` / ``bare_ed25519_sign``: PyNaCl directly on a 300-byte message,
  the baseline measured in the same run, and the ratios to it;
* ``didkit_vc_jwt_verify``: DIDKit's VC-JWT verify of a credential DIDKit issued for its own
  key, when ``didkit`` is importable (its async call runs on one event loop kept open,
  so the figure is DIDKit's work, not event-loop start-up), in batches of ``inner`` calls
  like the validations it is compared with. A call right after other work costs DIDKit
  more (its runtime's threads wake, caches refill: alone, interleaved with bare verifies,
  160-172 us for one call against 105-112 us a call in batches of 20 to 100, CPU or wall
  time alike), so the batches of a fifth of ``inner`` it had before made the figure swing
  with the machine; ``didkit_vc_jwt_verify_one_call`` and ``venue_validate_one_call``
  time single calls between the other cases, both sides of the ratio in that regime;
* a breakdown of validation into its parts (each on presentations or pseudonyms never seen
  before), the cryptographic floor (one verify and one signature: DESIGN.md steps 2 and 4
  make byte checks only), the prime-order point check the venue no longer makes (for
  comparison), and the byte sizes and QR versions (error correction M, alphanumeric mode)
  of each QR payload.

Batches of all operations are interleaved round by round, so a noisy machine slows the
baseline and the candidates alike and the ratios stay meaningful; the whole interleaved
measurement runs ``--runs`` times (each on presentations of its own), and every figure is
the median of the runs' medians (``per_run_us`` shows the spread of the ones the ratios
use).

Run: ``.venv/bin/python benchmarks/bench_checkin.py [--rounds N] [--inner N] [--runs N]
[--profile] [--clock wall|cpu]`` (``--profile`` also prints pyinstrument's profile of the
validations to standard error; pyinstrument samples at Python calls and returns, so it
charges a long C call such as the verify with the time around it: for the split between
Python and libsodium, run the script under ``py-spy record --native --format raw``, both
dev dependencies; ``--clock cpu`` times by the process's CPU time, all threads, which a
machine shared with other work disturbs less than wall time).
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

import escrow
from did import KDF_TEST, Ed25519PrivateKey, day_of, did_from_public_key
from did.qr import base45_encode, make_qr
from escrow import EpochKey, EpochKeyDirectory, Point, check_envelope_structure, random_scalar
from protocol import (
    ENVELOPE_PAD_TO,
    ENVELOPE_SIZE,
    Channel,
    CheckIn,
    HealthDeclaration,
    IdentityPlaintext,
    QrKind,
    VenueChallenge,
    VenueCode,
    VisitReceipt,
    derive_pseudonym_key,
    derive_trace_seed,
    issue_person_credential,
    locator,
    parse_qr_text,
    pseudonym_did,
    to_qr_text,
)
from protocol.wire import pseudonym_key_bytes
from verifier import ChallengeBook, MemoryReplayStore, VenueContext, validate_checkin
from wallet import Wallet

try:  # DIDKit is an optional (dev) dependency: measured when present.
    import didkit
except ImportError:  # pragma: no cover - depends on the environment
    didkit = None  # type: ignore[assignment]

PAYLOAD_BYTES = 300
NOW = 20000 * 86400 + 12 * 3600
VENUE = "did:web:registry.anshim.kr:venues:jeju-000123"
_ANSHIM = ("did", "protocol", "escrow", "verifier", "wallet")


def measure(
    cases: dict[str, tuple[Callable[[], object], int]],
    *,
    rounds: int,
    clock: Callable[[], int] = time.perf_counter_ns,
) -> dict[str, float]:
    """Median over ``rounds`` of the per-call time of each case's ``inner`` calls,
    interleaved round by round (each case is ``(function, inner)``), by ``clock``."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for fn, inner in cases.values():  # warm-up
        for _ in range(inner):
            fn()
    for _ in range(rounds):
        for name, (fn, inner) in cases.items():
            start = clock()
            for _ in range(inner):
                fn()
            samples[name].append((clock() - start) / inner / 1000.0)
    return {name: round(statistics.median(values), 2) for name, values in samples.items()}


def _directory(day: int) -> tuple[EpochKeyDirectory, str]:
    """A one-custodian signed epoch-key directory for ``day`` and its custodian's DID."""
    custodian = Ed25519PrivateKey.generate()
    did = did_from_public_key(custodian.public_key)
    y = Point.base_mul(random_scalar())
    key = EpochKey(day, y, (y,), 1, (did,))
    body = EpochKeyDirectory.encode_body(
        ceremony=os.urandom(16), tz_offset=0, threshold=1, custodians=[did], keys=[key]
    )
    directory = EpochKeyDirectory(body, [(1, EpochKeyDirectory.sign_body(body, custodian))])
    return directory, did


def _fresh_checkin(
    directory: EpochKeyDirectory,
    venue: VenueContext,
    compact: bytes,
    holder: Ed25519PrivateKey,
    *,
    kiosk: bool,
) -> bytes:
    """A check-in from a wallet secret never used before (so a pseudonym never seen before),
    answering a fresh kiosk challenge if ``kiosk``, built as the wallet builds one: the
    pairwise key and trace seed, the holder's signature over the label, the seal, the
    pseudonym's signature (DESIGN.md "Check-in presentation")."""
    challenge = None
    if kiosk:
        _, issued = VenueChallenge.parse_unverified(venue.issue_challenge(now=NOW))
        challenge = issued.nonce
    secret = os.urandom(32)
    day = day_of(NOW, tz_offset=directory.tz_offset)
    key = derive_pseudonym_key(secret, VENUE, day)
    pseudonym = pseudonym_did(key)
    label = escrow.VisitLabel(VENUE, day, pseudonym, NOW)
    plaintext = IdentityPlaintext.new(compact, holder_key=holder, label=label.to_bytes())
    envelope = escrow.seal(directory[day], label, plaintext.to_bytes(), pad_to=ENVELOPE_PAD_TO)
    return CheckIn(
        audience=VENUE,
        challenge=challenge,
        issued_at=NOW,
        expires=NOW + 60,
        pseudonym=pseudonym,
        declaration=HealthDeclaration(False, False),
        envelope=envelope.to_bytes(),
        locator=locator(derive_trace_seed(secret, day), VENUE),
    ).sign(key)


def _forget_memos() -> None:
    """Empty every memo (``functools`` cache) of the anshim packages, as in a venue process
    that has never parsed the pool's pseudonyms or messages."""
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in _ANSHIM:
            continue
        for value in list(vars(module).values()):
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


def _profile(validate: Callable[[], object], calls: int) -> None:
    """pyinstrument's profile of ``calls`` validations, to standard error."""
    try:
        from pyinstrument import Profiler
    except ImportError:  # pragma: no cover - a dev dependency
        print("pyinstrument is not installed (the dev extra)", file=sys.stderr)
        return
    profiler = Profiler(interval=0.0001)
    profiler.start()
    for _ in range(calls):
        validate()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False), file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31, help="batches per operation")
    parser.add_argument("--inner", type=int, default=100, help="calls per batch")
    parser.add_argument(
        "--runs", type=int, default=3, help="interleaved measurements; medians of their medians"
    )
    parser.add_argument("--profile", action="store_true", help="profile the validations")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time (default) or the process's CPU time, every thread's (steadier on a "
        "machine shared with other work: time spent descheduled is not counted)",
    )
    args = parser.parse_args()
    rounds, inner, runs = args.rounds, args.inner, args.runs

    day = day_of(NOW)
    directory, custodian = _directory(day)
    registry = Ed25519PrivateKey.generate()
    issuer = Ed25519PrivateKey.generate()
    issuer_did = did_from_public_key(issuer.public_key)
    tmp = Path(tempfile.mkdtemp(prefix="bench-checkin-"))
    wallet = Wallet.create(
        tmp / "w.wallet",
        "pass",
        registry_key=registry.public_key,
        custodians=[custodian],
        threshold=1,
        kdf=KDF_TEST,
    )
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
    count = inner * (rounds + 1) * runs
    extra = 2000 if args.profile else 0
    compact = credential.compact.cbor
    holder = wallet.holder_key
    venue = VenueContext(
        did=VENUE,
        key=venue_key,
        category="restaurant",
        challenges=ChallengeBook(VENUE, venue_key, max_live=3 * count + extra + 1),
        tz_offset=0,
        max_skew=30,
        devices={},
    )

    def fresh(kiosk: bool) -> bytes:
        return _fresh_checkin(directory, venue, compact, holder, kiosk=kiosk)

    pool = [fresh(True) for _ in range(count)]
    single_pool = [fresh(True) for _ in range((rounds + 1) * runs)]
    poster_pool = [fresh(False) for _ in range(count)]
    parse_pool = [fresh(True) for _ in range(count)]
    profile_pool = [fresh(True) for _ in range(extra)]
    # One wallet, so one pseudonym, again and again (what a pseudonym cache would flatter).
    same_pool = [wallet.check_in(scanned, declaration=clear, now=NOW) for _ in range(count)]
    replay = MemoryReplayStore(max_entries=6 * count + 3 * extra + 1)
    # Building the pools decoded every pseudonym in this process; a venue's process has
    # never seen them, so whatever the packages remember goes.
    _forget_memos()

    def validator(items: list[bytes]) -> Callable[[], object]:
        cursor = iter(items)
        return lambda: validate_checkin(
            next(cursor), venue=venue, now=NOW, replay=replay, epoch_keys=directory
        )

    parse_cursor = iter(parse_pool)
    sample = pool[0]
    parsed, checkin = CheckIn.parse_unverified(sample)
    pseudonym_key = checkin.pseudonym_key
    envelope = checkin.envelope or b""

    signing_key = nacl.signing.SigningKey(os.urandom(32))
    verify_key = signing_key.verify_key
    payload = os.urandom(PAYLOAD_BYTES)
    bare_signature = signing_key.sign(payload).signature
    fresh_dids = iter(
        [did_from_public_key(Ed25519PrivateKey.generate().public_key) for _ in range(count)]
    )
    r_point = envelope[6:38]
    receipt = VisitReceipt(
        venue=VENUE,
        pseudonym=checkin.pseudonym,
        time_in=NOW,
        time_out=None,
        visit_id=bytes(16),
        checkin_hash=bytes(32),
        channel=Channel.QR_KIOSK,
    )

    cases: dict[str, tuple[Callable[[], object], int]] = {
        "bare_ed25519_verify": (lambda: verify_key.verify(payload, bare_signature), inner),
        "bare_ed25519_sign": (lambda: signing_key.sign(payload), inner),
        "wallet_checkin": (lambda: wallet.check_in(scanned, declaration=clear, now=NOW), inner),
        "wallet_checkin_new_pseudonym": (lambda: fresh(False), inner),
        "venue_validate": (validator(pool), inner),
        "venue_validate_poster": (validator(poster_pool), inner),
        # One validation at a time between the other cases (caches as other work left them).
        "venue_validate_one_call": (validator(single_pool), 1),
        "venue_validate_same_pseudonym": (validator(same_pool), inner),
        "part_parse_checkin": (lambda: CheckIn.parse_unverified(next(parse_cursor)), inner),
        "part_verify_signature": (lambda: CheckIn.check_signature(parsed, pseudonym_key), inner),
        "part_envelope_structure": (
            lambda: check_envelope_structure(
                envelope, epoch_keys=directory, expected_epoch=day, expected_size=ENVELOPE_SIZE
            ),
            inner,
        ),
        # DESIGN.md step 2: the pseudonym's did:key by byte checks (no point decompression).
        "part_pseudonym_did_parse": (
            lambda: pseudonym_key_bytes(next(fresh_dids), "bench"),
            inner,
        ),
        # The prime-order check (libsodium's crypto_core_ed25519_is_valid_point, a
        # multiplication by the group order) that steps 2 and 4 no longer make, twice per
        # check-in before: for comparison only.
        "part_point_check": (
            lambda: nacl.bindings.crypto_core_ed25519_is_valid_point(r_point),
            inner,
        ),
        "part_receipt_sign": (lambda: receipt.sign(venue.key), inner),
    }
    notes: list[str] = []
    didkit_case = _didkit_case()
    if didkit_case is not None:
        cases["didkit_vc_jwt_verify"] = (didkit_case[0], inner)
        cases["didkit_vc_jwt_verify_one_call"] = (didkit_case[0], 1)
    else:
        notes.append("didkit not importable: DIDKit VC-JWT verify not measured")

    clock = time.perf_counter_ns if args.clock == "wall" else time.process_time_ns
    per_run = [measure(cases, rounds=rounds, clock=clock) for _ in range(runs)]
    medians = {name: round(statistics.median(r[name] for r in per_run), 2) for name in cases}
    medians["venue_validate_checks_only"] = round(
        medians["venue_validate"] - medians["part_receipt_sign"], 2
    )
    if args.profile:
        _profile(validator(profile_pool), extra)
    challenge = venue.issue_challenge(now=NOW)
    holder_text = wallet.holder_shown_check_in(declaration=clear, now=NOW)
    _, holder_shown = parse_qr_text(holder_text)
    payloads: dict[str, dict[str, Any]] = {}
    for name, kind, message in (
        ("venue_code", QrKind.VENUE_CODE, poster),
        ("challenge", QrKind.CHALLENGE, challenge),
        ("checkin", None, sample),
        ("holder_shown_checkin", QrKind.HOLDER_CHECKIN, holder_shown),
    ):
        # A venue-addressed check-in travels over HTTP; its QR figures are for the same
        # 4-character-prefix base45 form the holder-shown one uses.
        text = "AH1:" + base45_encode(message) if kind is None else to_qr_text(kind, message)
        payloads[name] = {
            "signed_bytes": len(message),
            "qr_text_chars": len(text),
            "qr_version": make_qr(text).version,
        }
    payloads["venue_code"]["payload_bytes"] = len(VenueCode.parse_unverified(poster)[0].payload)
    bare = medians["bare_ed25519_verify"]
    result: dict[str, Any] = {
        "unit": "microseconds per operation (median of interleaved batches)",
        "clock": args.clock,
        "rounds": rounds,
        "inner": inner,
        "runs": runs,
        "python": platform.python_version(),
        "medians_us": medians,
        "per_run_us": {
            name: [r[name] for r in per_run]
            for name in (
                "bare_ed25519_verify",
                "venue_validate",
                "didkit_vc_jwt_verify",
                "venue_validate_one_call",
                "didkit_vc_jwt_verify_one_call",
            )
            if name in medians
        },
        "ratio_validate_to_bare_verify": round(medians["venue_validate"] / bare, 3),
        "ratio_checks_only_to_bare_verify": round(medians["venue_validate_checks_only"] / bare, 3),
        "ratio_wallet_checkin_to_bare_verify": round(medians["wallet_checkin"] / bare, 3),
        "validations_per_second_one_core": round(1e6 / medians["venue_validate"]),
        # (bare verify + bare sign) / bare verify: the receipt's signature and the check-in's
        # verify are the only public-key operations left on the venue's path.
        "ratio_crypto_floor_to_bare_verify": round((bare + medians["bare_ed25519_sign"]) / bare, 3),
        "payloads": payloads,
        "envelope_bytes": ENVELOPE_SIZE,
        "notes": notes,
    }
    if didkit_case is not None:
        result["ratio_didkit_jwt_verify_to_validate"] = round(
            medians["didkit_vc_jwt_verify"] / medians["venue_validate"], 3
        )
        result["ratio_didkit_jwt_verify_to_validate_one_call"] = round(
            medians["didkit_vc_jwt_verify_one_call"] / medians["venue_validate_one_call"], 3
        )
        result["didkit_vc_jwt_chars"] = len(didkit_case[1])
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
