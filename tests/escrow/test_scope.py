"""Warrant scope limits (DESIGN.md "Warrant", "Decryption share"): holder-shown records and
the caps on a venue scope's maximum stay and windows."""

from __future__ import annotations

from typing import Any

import pytest

import escrow
from did import cbor
from escrow import (
    HOLDER_SHOWN_VENUE,
    UnsealRequest,
    VenueScope,
    VisitLabel,
    Warrant,
    WarrantScope,
    answer_warrant,
    seal,
)
from escrow.errors import ScopeError, WarrantError
from tests.escrow.support import DAY, FIRST_EPOCH, NOW, VENUE, approved_warrant, world


def _holder_shown_envelope() -> tuple[escrow.Envelope, VisitLabel]:
    key = world().directory.get_key(FIRST_EPOCH)
    label = VisitLabel(
        HOLDER_SHOWN_VENUE, FIRST_EPOCH, "did:key:z6MkHolder", FIRST_EPOCH * DAY + 3600
    )
    return seal(key, label, b"holder-shown", pad_to=64), label


def test_venue_warrant_cannot_open_a_holder_shown_envelope() -> None:
    w = world()
    env, label = _holder_shown_envelope()
    # The warrant for VENUE's whole day covers the visit's time but not its (unknown) venue.
    by_venue = approved_warrant(w)
    with pytest.raises(ScopeError):
        answer_warrant(
            by_venue,
            UnsealRequest(by_venue.warrant_id, ((env, label),)),
            store=w.stores[0],
            directory=w.directory,
            now=NOW,
        )
    # Even a scope listing the placeholder (built around VenueScope's own refusal, as a
    # decoder bug might) does not reach holder-shown records: the custodian's check refuses.
    sneaky = object.__new__(VenueScope)
    for name, value in (
        ("venue_did", HOLDER_SHOWN_VENUE),
        ("max_stay", 3600),
        ("windows", ((FIRST_EPOCH * DAY, (FIRST_EPOCH + 1) * DAY),)),
    ):
        object.__setattr__(sneaky, name, value)
    with pytest.raises(ScopeError):
        WarrantScope(venues=(sneaky,)).check(label, env.envelope_id)
    # The same envelope opens under a warrant listing its record id.
    by_record = approved_warrant(
        w, WarrantScope(records=frozenset({bytes.fromhex(env.envelope_id)}))
    )
    request = UnsealRequest(by_record.warrant_id, ((env, label),))
    batches = [
        answer_warrant(by_record, request, store=s, directory=w.directory, now=NOW)
        for s in w.stores[:3]
    ]
    assert [o.plaintext() for o in escrow.unseal(request, batches, w.directory)] == [
        b"holder-shown"
    ]


@pytest.mark.parametrize("did", [HOLDER_SHOWN_VENUE, "did:anshim:anything-else"])
def test_venue_scope_refuses_the_placeholder_namespace(did: str) -> None:
    window = ((FIRST_EPOCH * DAY, (FIRST_EPOCH + 1) * DAY),)
    with pytest.raises(WarrantError) as info:
        VenueScope(did, 3600, window)
    assert info.value.code == "warrantScope"
    # A warrant body naming the placeholder (made by hand, bypassing VenueScope) is refused
    # when decoded.
    good = Warrant.create(
        case_id="c",
        purpose="p",
        investigator="did:key:z6MkInvestigator",
        scope=WarrantScope(venues=(VenueScope(VENUE, 3600, window),)),
        issued=NOW,
        expires=NOW + DAY,
    )
    forged = good.to_bytes().replace(VENUE.encode(), did.encode().ljust(len(VENUE), b"x"))
    with pytest.raises(WarrantError) as info:
        Warrant.from_bytes(forged)
    assert info.value.code == "warrantScope"


def test_max_stay_and_window_are_capped() -> None:
    start = FIRST_EPOCH * DAY
    # At the caps: accepted.
    VenueScope(VENUE, escrow.MAX_STAY_LIMIT, ((start, start + escrow.MAX_WINDOW),))
    for stay, window in (
        (escrow.MAX_STAY_LIMIT + 1, (start, start + DAY)),  # max stay over 12 h
        (10**12, (start, start + DAY)),  # the unbounded stay the warrant author could set
        (3600, (start, start + escrow.MAX_WINDOW + 1)),  # one window over 35 days
        (3600, (0, 2**62)),
    ):
        with pytest.raises(WarrantError) as info:
            VenueScope(VENUE, stay, (window,))
        assert info.value.code == "warrantScope"
    # The same caps hold when a warrant is decoded: a body with an oversized stay is
    # refused, whoever wrote it.
    good = Warrant.create(
        case_id="c",
        purpose="p",
        investigator="did:key:z6MkInvestigator",
        scope=WarrantScope(venues=(VenueScope(VENUE, 3600, ((start, start + DAY),)),)),
        issued=NOW,
        expires=NOW + DAY,
    )
    obj = escrow_cbor_body(good)
    obj["scope"]["venues"][0][1] = escrow.MAX_STAY_LIMIT + 1
    with pytest.raises(WarrantError):
        Warrant._from_body(cbor.encode(obj), ())
    obj["scope"]["venues"][0][1] = 3600
    obj["scope"]["venues"][0][2] = [[start, start + escrow.MAX_WINDOW + 1]]
    with pytest.raises(WarrantError):
        Warrant.from_bytes(cbor.encode({"body": cbor.encode(obj), "approvals": []}))


def escrow_cbor_body(warrant: Warrant) -> dict[str, Any]:
    obj = cbor.decode(warrant.body)
    assert isinstance(obj, dict)
    return obj
