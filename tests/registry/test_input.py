"""Bad input is refused with typed errors before it reaches a database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import registry
import registry.errors as errors
from did import Ed25519PrivateKey
from did.errors import AnshimError, InputError
from protocol import ENVELOPE_SIZE, Channel, HealthDeclaration, SealedVisit, pseudonym_did
from registry._batchfile import decode_batch_file, encode_batch_file
from tests.registry.support import DAY, T0, make_venue, make_visit
from tests.registry.trace_seeds import make_trace_seed


def _visit(**changes: object) -> SealedVisit:
    fields: dict[str, object] = {
        "visit_id": os.urandom(16),
        "venue": "did:web:registry.example:venues:v1",
        "day": DAY,
        "time_in": T0 + 60,
        "time_out": None,
        "pseudonym": pseudonym_did(Ed25519PrivateKey.generate()),
        "locator": os.urandom(16),
        "channel": Channel.QR_STATIC,
        "declaration": HealthDeclaration(False, False),
        "envelope": os.urandom(ENVELOPE_SIZE),
        "receipt_hash": os.urandom(32),
    }
    fields.update(changes)
    return SealedVisit(**fields)  # type: ignore[arg-type]


def test_oversized_and_malformed_records_are_invalid_records() -> None:
    key = Ed25519PrivateKey.generate()
    good = _visit().sign(key)
    for bad in (good + b"\x00", good[:-1], b"\x00" * 900, b"", good[:10], "text"):
        with pytest.raises(errors.InvalidRecord):
            registry.StoredVisit.from_message(bad)  # type: ignore[arg-type]
    assert registry.StoredVisit.from_message(good).message() == good


def test_a_record_signed_by_another_key_is_refused_when_verified() -> None:
    venue_key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    message = _visit().sign(other)
    with pytest.raises(errors.InvalidRecord):
        registry.StoredVisit.verified(message, venue_key.public_key, now=T0 + 120)
    assert (
        registry.StoredVisit.verified(message, other.public_key, now=T0 + 120).visit.time_in
        == T0 + 60
    )


def test_bad_batches_are_refused_before_the_database(store: registry.Store) -> None:
    record = make_visit(make_venue(1), T0 + 60)
    for bad in ([], [record.message()], record, [record] * (registry.MAX_BATCH + 1), "x"):
        with pytest.raises(errors.InvalidBatch):
            store.put(bad)  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidRecord):
        registry.StoredVisit(record.visit, b"\x00" * 63)
    assert store.days() == []


def test_bad_queries_are_invalid_query(store: registry.Store) -> None:
    venue = "did:web:registry.example:venues:v1"
    calls = [
        lambda: store.contacts("not a did", T0, T0 + 60),
        lambda: store.contacts(venue, T0 + 60, T0),
        lambda: store.contacts(venue, T0, T0 + 2 * 86400),
        lambda: store.contacts(venue, -1, T0),
        lambda: store.contacts(venue, T0, T0 + 60, min_overlap=-5),
        lambda: store.contacts(venue, T0, T0 + 60, exclude=[b"short"]),
        lambda: store.by_locators(DAY, [(venue, b"\x00" * 15)]),
        lambda: store.by_locators(-1, []),
        lambda: store.by_pseudonym("x" * 65, DAY),
        lambda: store.by_visit_ids([b"\x00" * 16], days=range(0, 1000)),
        lambda: store.by_visit_ids(b"\x00" * 16, days=range(DAY, DAY + 1)),  # type: ignore[arg-type]
        lambda: store.purge(-1),
    ]
    for call in calls:
        with pytest.raises(errors.InvalidQuery):
            call()


def test_bad_trace_seeds_and_venue_entries() -> None:
    seed = make_trace_seed("urn:uuid:h", DAY)
    with pytest.raises(errors.InvalidTraceSeed):  # the envelope is sealed to another day
        registry.TraceSeed(make_trace_seed("urn:uuid:h", DAY + 1).label, seed.envelope)
    with pytest.raises(errors.InvalidTraceSeed):  # R is not a valid point
        registry.TraceSeed(seed.label, seed.envelope[:6] + b"\xff" * 32 + seed.envelope[38:])
    with pytest.raises(errors.InvalidTraceSeed):
        registry.TraceSeed(b"\x01\x01garbage", seed.envelope)
    with pytest.raises(errors.InvalidTraceSeed):
        registry.TraceSeed(seed.label, b"\x00" * 2000)
    with pytest.raises(errors.InvalidVenueEntry):
        registry.Venue("nope", "cafe", b"\x00" * 32, b"\x00" * 32, 0)
    with pytest.raises(errors.InvalidVenueEntry):
        registry.Venue("did:web:x", "Cafe!", b"\x00" * 32, b"\x00" * 32, 0)
    with pytest.raises(errors.InvalidVenueEntry):
        registry.Venue("did:web:x", "cafe", b"\x00" * 31, b"\x00" * 32, 0)
    with pytest.raises(errors.InvalidVenueEntry):
        registry.Venue("did:web:x", "cafe", b"\x00" * 32, b"\x00" * 32, 10, 5)


def test_batch_files_are_strict() -> None:
    record = make_visit(make_venue(1), T0 + 60).message()
    data = encode_batch_file([[record], [record, record]])
    assert decode_batch_file(data) == [[record], [record, record]]
    for bad in (b"", b"\xa0", data[:-1], b"\xa2\x00\x02\x01\x80", data + b"\x00"):
        with pytest.raises(errors.InvalidBatch):
            decode_batch_file(bad)
    with pytest.raises(errors.InvalidBatch):
        encode_batch_file([[]])


def test_error_tree_and_codes() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, AnshimError)
        assert "code" in vars(cls)
    input_errors = {
        errors.InvalidRecord,
        errors.InvalidBatch,
        errors.RecordConflict,
        errors.ExpiredRecord,
        errors.InvalidTraceSeed,
        errors.TraceSeedLabelFull,
        errors.InvalidVenueEntry,
        errors.InvalidQuery,
        errors.InvalidStoreUrl,
    }
    for cls in input_errors:
        assert issubclass(cls, InputError)
        assert issubclass(cls, ValueError)
    for cls in (errors.StoreUnavailable, errors.SchemaMismatch):
        assert issubclass(cls, errors.RegistryError)
        assert not issubclass(cls, ValueError)
    assert errors.StoreUnavailable.retryable
    assert issubclass(errors.TraceSeedLabelFull, errors.InvalidTraceSeed)


def test_import_registry_loads_no_driver_web_framework_or_http_client() -> None:
    code = (
        "import sys, registry, registry.errors; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'psycopg', 'psycopg_pool', 'fastapi', 'starlette', 'httpx', 'uvicorn', 'tqdm',"
        " 'sqlite3'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
