"""Issue 2, "Bad input": decoders fed MUTATED valid input (not only arbitrary input) raise only
our typed errors — multibase and multicodec, DID URLs and their dereferencing, base45 — and
every input error is also a ValueError."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from did import (
    Ed25519PrivateKey,
    Resolver,
    did_from_public_key,
    multibase_decode,
    multibase_encode,
    multicodec_unwrap,
    parse_did_url,
    public_key_from_multikey,
    verification_method_id,
)
from did.errors import AnshimError, InputError
from did.qr import base45_decode, base45_encode

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEY = Ed25519PrivateKey.from_seed(bytes(range(32, 64)))
DID = did_from_public_key(KEY.public_key)
METHOD = verification_method_id(DID)
MULTIKEY = KEY.public_key.to_multikey()
RESOLVER = Resolver()


def _mutate(base: str, data: st.DataObject, alphabet: st.SearchStrategy[str]) -> str:
    chars = list(base)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
        pos = data.draw(st.integers(0, max(len(chars) - 1, 0)))
        if op == "replace" and chars:
            chars[pos] = data.draw(alphabet)
        elif op == "insert":
            chars.insert(pos, data.draw(alphabet))
        elif op == "delete" and chars:
            del chars[pos]
        else:
            chars = chars[:pos]
    return "".join(chars)


# Mostly characters a real encoding uses (so mutations reach deep into the decoders), and
# sometimes anything at all.
near = st.one_of(
    st.sampled_from(list("zufmbk19AZaol0OI_-+/=:#?;%.\x00é")),
    st.characters(),
)


def _typed(fn: Any, *args: Any) -> None:
    caught: AnshimError | None = None
    try:
        fn(*args)
    except AnshimError as exc:
        caught = exc
    assert not isinstance(caught, InputError) or isinstance(caught, ValueError)


@FAST
@given(st.data(), st.binary(min_size=1, max_size=40), st.sampled_from(["base58btc", "base64url"]))
def test_mutated_multibase_raises_only_typed_errors(
    data: st.DataObject, payload: bytes, base: str
) -> None:
    encoded = multibase_encode(payload, base)
    mutated = _mutate(encoded, data, near)
    _typed(multibase_decode, mutated)
    _typed(public_key_from_multikey, _mutate(MULTIKEY, data, near))
    try:
        raw = multibase_decode(mutated)
    except AnshimError:
        return
    _typed(multicodec_unwrap, raw)


@FAST
@given(st.data())
def test_mutated_did_urls_raise_only_typed_errors(data: st.DataObject) -> None:
    mutated = _mutate(METHOD, data, near)
    _typed(parse_did_url, mutated)
    _typed(RESOLVER.dereference, mutated)
    _typed(RESOLVER.verification_key, mutated)
    result = RESOLVER.resolve(mutated)
    assert (result.error is None) == (result.did_document is not None)


@FAST
@given(st.data(), st.binary(max_size=60))
def test_mutated_base45_raises_only_typed_errors(data: st.DataObject, payload: bytes) -> None:
    alphabet = st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:a")
    mutated = _mutate(base45_encode(payload), data, alphabet)
    try:
        decoded = base45_decode(mutated)
    except InputError:  # an InputError is also a ValueError (asserted by the error-tree tests)
        return
    # Whatever still decodes is canonical: it re-encodes to exactly the text given.
    assert base45_encode(decoded) == mutated


def test_mutations_reach_the_decoders() -> None:
    # The strategies above would prove nothing if every mutation failed at the first check.
    with pytest.raises(InputError):
        multibase_decode("z" + "0" * 10)  # "0" is not in the base58btc alphabet
    with pytest.raises(InputError):
        base45_decode("GGW")  # RFC 9285 section 4.3: 65535 + 1 does not fit two bytes
    assert RESOLVER.dereference(METHOD).public_key() == KEY.public_key
