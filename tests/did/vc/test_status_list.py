"""Bitstring Status List v1.0: encoding, random allocation, revoke/suspend, cached checks."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did import Ed25519PrivateKey, InMemoryTransport, did_from_public_key, verification_method_id
from did.errors import DecodeError, InputError
from did.vc import (
    STATUS_LIST_MIN_ENTRIES,
    ProofOptions,
    StatusList,
    StatusListChecker,
    add_proof,
    verify_credential,
)
from did.vc.errors import (
    RevokedCredential,
    StatusCheckFailed,
    StatusListFull,
    SuspendedCredential,
)

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
SIGNED = "2025-05-01T00:00:00Z"
KEY = Ed25519PrivateKey.from_seed(b"r" * 32)
ISSUER = did_from_public_key(KEY.public_key)
OTHER_KEY = Ed25519PrivateKey.from_seed(b"o" * 32)
REV_URL = "https://registry.example/status/rev"
SUS_URL = "https://registry.example/status/sus"


def _sign(doc: dict[str, Any], key: Ed25519PrivateKey = KEY) -> dict[str, Any]:
    did = did_from_public_key(key.public_key)
    return add_proof(
        doc, key, ProofOptions(verification_method=verification_method_id(did), created=SIGNED)
    )


def test_bit_order_index_zero_is_leftmost_bit() -> None:
    lst = StatusList()
    lst.set(0)
    lst.set(9)
    raw = gzip.decompress(base64.urlsafe_b64decode(lst.encode()[1:] + "=="))
    assert len(raw) == STATUS_LIST_MIN_ENTRIES // 8
    assert raw[0] == 0b1000_0000
    assert raw[1] == 0b0100_0000
    assert lst.get(0)
    assert lst.get(9)
    assert not lst.get(1)


def test_encoding_round_trip_and_prefix() -> None:
    lst = StatusList(purpose="suspension")
    for i in (0, 7, 8, 131_071):
        lst.set(i)
    encoded = lst.encode()
    assert encoded.startswith("u")
    back = StatusList.decode(encoded, purpose="suspension")
    assert [back.get(i) for i in (0, 1, 7, 8, 131_070, 131_071)] == [
        True,
        False,
        True,
        True,
        False,
        True,
    ]


def test_size_rules() -> None:
    with pytest.raises(InputError):
        StatusList(1024)
    with pytest.raises(InputError):
        StatusList(STATUS_LIST_MIN_ENTRIES + 1)
    with pytest.raises(InputError):
        StatusList(purpose="message")
    with pytest.raises(InputError):
        StatusList().get(STATUS_LIST_MIN_ENTRIES)


def test_allocation_is_random_and_never_reused() -> None:
    lst = StatusList()
    indexes = [lst.allocate() for _ in range(2000)]
    assert len(set(indexes)) == 2000
    # Sequential allocation would give 0..1999; random allocation spreads over the list.
    assert max(indexes) > 10 * 2000
    assert indexes != sorted(indexes)


def test_allocation_until_full() -> None:
    allocated = set(range(STATUS_LIST_MIN_ENTRIES)) - {5, 77_777}
    lst = StatusList(allocated=allocated)
    assert {lst.allocate(), lst.allocate()} == {5, 77_777}
    with pytest.raises(StatusListFull):
        lst.allocate()


def test_revocation_is_permanent_suspension_is_not() -> None:
    rev = StatusList(purpose="revocation")
    rev.set(3)
    with pytest.raises(InputError):
        rev.set(3, False)
    sus = StatusList(purpose="suspension")
    sus.set(3)
    sus.set(3, False)
    assert not sus.get(3)


def test_gzip_bomb_refused() -> None:
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(8 * 1024 * 1024))).decode().rstrip(
        "="
    )
    with pytest.raises(DecodeError):
        StatusList.decode(bomb)


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=64)
    | st.binary(max_size=64).map(lambda b: "u" + base64.urlsafe_b64encode(b).decode().rstrip("="))
)
def test_decode_fuzz_raises_only_decode_error(value: str) -> None:
    with pytest.raises(DecodeError):
        StatusList.decode(value)


class _World:
    """An issuer with a revocation and a suspension list, served by an in-memory transport."""

    def __init__(self) -> None:
        self.rev = StatusList(purpose="revocation")
        self.sus = StatusList(purpose="suspension")
        self.transport = InMemoryTransport()
        self.publish()

    def publish(self, key: Ed25519PrivateKey = KEY) -> None:
        for lst, url in ((self.rev, REV_URL), (self.sus, SUS_URL)):
            vc = lst.to_credential(issuer=ISSUER, list_url=url, ttl=dt.timedelta(minutes=1))
            self.transport.put(url, json.dumps(_sign(vc, key)).encode())

    def issue(self) -> tuple[dict[str, Any], int]:
        index = self.rev.allocate()
        doc = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "VenueCredential"],
            "issuer": ISSUER,
            "credentialSubject": {"id": "did:web:venue.example", "name": "Cafe"},
            "credentialStatus": [self.rev.entry(index, REV_URL), self.sus.entry(index, SUS_URL)],
        }
        return _sign(doc), index


def test_good_revoked_suspended() -> None:
    world = _World()
    vc, index = world.issue()
    checker = StatusListChecker(world.transport)
    verify_credential(vc, now=NOW, status=checker)

    world.sus.set(index)
    world.publish()
    fresh = StatusListChecker(world.transport)
    with pytest.raises(SuspendedCredential):
        verify_credential(vc, now=NOW, status=fresh)

    world.sus.set(index, False)
    world.rev.set(index)
    world.publish()
    with pytest.raises(RevokedCredential):
        verify_credential(vc, now=NOW, status=StatusListChecker(world.transport))


def test_cache_respects_ttl() -> None:
    world = _World()
    vc, index = world.issue()
    checker = StatusListChecker(world.transport)
    verify_credential(vc, now=NOW, status=checker)
    fetches = len(world.transport.requests)
    world.rev.set(index)
    world.publish()
    # Within the list's ttl (one minute) the cached answer stands, without fetching.
    verify_credential(vc, now=NOW + dt.timedelta(seconds=30), status=checker)
    assert len(world.transport.requests) == fetches
    with pytest.raises(RevokedCredential):
        verify_credential(vc, now=NOW + dt.timedelta(minutes=2), status=checker)


def test_list_signed_by_someone_else_fails_closed() -> None:
    world = _World()
    vc, _ = world.issue()
    world.publish(key=OTHER_KEY)  # issuer field says ISSUER, the proof is by OTHER
    with pytest.raises(StatusCheckFailed):
        verify_credential(vc, now=NOW, status=StatusListChecker(world.transport))


def test_status_list_swapped_for_another_list_of_the_same_issuer_does_not_unrevoke() -> None:
    # Issue 9 §4 item 7: the issuer's revocation list (bit set) is replaced, at its URL, by
    # another validly signed list of the same issuer and purpose where the bit is clear.
    world = _World()
    vc, index = world.issue()
    world.rev.set(index)
    world.publish()
    with pytest.raises(RevokedCredential):
        verify_credential(vc, now=NOW, status=StatusListChecker(world.transport))
    other_url = "https://registry.example/status/other"
    clean = StatusList(purpose="revocation").to_credential(issuer=ISSUER, list_url=other_url)
    world.transport.put(REV_URL, json.dumps(_sign(clean)).encode())
    with pytest.raises(StatusCheckFailed, match="id"):
        verify_credential(vc, now=NOW, status=StatusListChecker(world.transport))
    # The same clean list served at its own URL is accepted there: the check is the id.
    world.transport.put(other_url, json.dumps(_sign(clean)).encode())
    entry = {**world.rev.entry(index, other_url)}
    doc = {k: v for k, v in vc.items() if k != "proof"}
    doc["credentialStatus"] = [entry]
    verify_credential(_sign(doc), now=NOW, status=StatusListChecker(world.transport))


def test_unreachable_list_fails_closed() -> None:
    world = _World()
    vc, _ = world.issue()
    with pytest.raises(StatusCheckFailed):
        verify_credential(vc, now=NOW, status=StatusListChecker(InMemoryTransport()))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("statusListIndex", 5),
        ("statusListIndex", "05"),
        ("statusListIndex", "-1"),
        ("statusListIndex", "999999999"),
        ("statusPurpose", "suspension"),
        ("statusPurpose", "message"),
        ("type", "StatusList2021Entry"),
        ("statusListCredential", "ftp://x"),
        ("statusSize", 2),
    ],
)
def test_bad_entries_fail_closed(field: str, value: object) -> None:
    world = _World()
    index = world.rev.allocate()
    entry = dict(world.rev.entry(index, REV_URL), **{field: value})
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": ISSUER,
        "credentialSubject": {"name": "x"},
        "credentialStatus": entry,
    }
    with pytest.raises(StatusCheckFailed):
        verify_credential(_sign(doc), now=NOW, status=StatusListChecker(world.transport))
