"""Property tests: hostile input to every DID-core decoder raises only our typed errors,
and the encoders round-trip."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from did import (
    KDF_TEST,
    DidDocument,
    Ed25519PrivateKey,
    InMemoryTransport,
    Resolver,
    decrypt_secret,
    did_from_public_key,
    did_key_document,
    did_web_document,
    did_web_to_url,
    encrypt_secret,
    multibase_decode,
    multibase_encode,
    public_key_from_did_key,
    public_key_from_jwk,
    read_public,
    url_to_did_web,
)
from did.errors import AnshimError

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SK = Ed25519PrivateKey.from_seed(bytes(range(32)))
KEY_DID = did_from_public_key(SK.public_key)
WEB_DID = "did:web:example.com:v:1"
WEB_URL = "https://example.com/v/1/did.json"
VALID_DOC = did_web_document(
    WEB_DID, signing_key=SK.public_key, agreement_key=SK.to_x25519().public_key
).to_json()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _mutate_text(base: str, data: st.DataObject) -> str:
    chars = list(base)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        pos = data.draw(st.integers(0, max(len(chars) - 1, 0)))
        ch = data.draw(st.characters())
        if op == "replace" and chars:
            chars[pos] = ch
        elif op == "insert":
            chars.insert(pos, ch)
        elif chars:
            del chars[pos]
    return "".join(chars)


def _mutate_json(base: Any, data: st.DataObject, depth: int = 0) -> Any:
    if isinstance(base, dict) and base and depth < 4:
        key = data.draw(st.sampled_from(sorted(base)))
        out = dict(base)
        action = data.draw(st.sampled_from(["recurse", "replace", "delete", "add"]))
        if action == "recurse":
            out[key] = _mutate_json(base[key], data, depth + 1)
        elif action == "replace":
            out[key] = data.draw(json_values)
        elif action == "delete":
            del out[key]
        else:
            out[data.draw(st.text(max_size=10))] = data.draw(json_values)
        return out
    if isinstance(base, list) and base and depth < 4:
        i = data.draw(st.integers(0, len(base) - 1))
        out_list = list(base)
        out_list[i] = _mutate_json(base[i], data, depth + 1)
        return out_list
    if isinstance(base, str) and data.draw(st.booleans()):
        return _mutate_text(base, data)
    return data.draw(json_values)


def _only_typed_errors(fn: Any, *args: Any, **kw: Any) -> None:
    with contextlib.suppress(AnshimError):
        fn(*args, **kw)


@FAST
@given(st.text(max_size=200))
def test_multibase_decode_arbitrary_text(text: str) -> None:
    _only_typed_errors(multibase_decode, text)


@FAST
@given(
    st.binary(max_size=64),
    st.sampled_from(
        ["base58btc", "base64url", "base16", "base32", "base36", "base256emoji", "base8", "base2"]
    ),
)
def test_multibase_round_trip(data: bytes, base: str) -> None:
    assert multibase_decode(multibase_encode(data, base)) == data


@FAST
@given(st.data())
def test_public_key_from_did_key_mutated(data: st.DataObject) -> None:
    _only_typed_errors(public_key_from_did_key, _mutate_text(KEY_DID, data))
    _only_typed_errors(did_key_document, _mutate_text(KEY_DID, data))
    _only_typed_errors(public_key_from_did_key, data.draw(st.text(max_size=80)))


@FAST
@given(st.binary(min_size=32, max_size=32))
def test_did_key_round_trip(seed: bytes) -> None:
    pk = Ed25519PrivateKey.from_seed(seed).public_key
    assert public_key_from_did_key(did_from_public_key(pk)) == pk


@FAST
@given(st.data())
def test_did_document_from_mutated_json(data: st.DataObject) -> None:
    doc = _mutate_json(VALID_DOC, data)
    _only_typed_errors(DidDocument.from_json, doc)
    _only_typed_errors(DidDocument.from_json, json.dumps(doc))
    try:
        parsed = DidDocument.from_json(doc)
    except AnshimError:
        return
    # Whatever parses must round-trip and keep its keys decodable or typed-failing.
    assert DidDocument.from_json(parsed.to_json()) == parsed
    for vm in parsed.verification_methods:
        _only_typed_errors(vm.public_key)


@FAST
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_did_document_from_arbitrary_bytes(blob: bytes | str) -> None:
    _only_typed_errors(DidDocument.from_json, blob)


@FAST
@given(st.data())
def test_resolver_never_raises(data: st.DataObject) -> None:
    if data.draw(st.booleans()):
        body = data.draw(st.binary(max_size=200))
    else:
        body = json.dumps(_mutate_json(VALID_DOC, data)).encode()
    resolver = Resolver(transport=InMemoryTransport({WEB_URL: body}), max_document_bytes=4096)
    did = data.draw(
        st.one_of(
            st.just(WEB_DID),
            st.just(KEY_DID),
            st.text(max_size=60),
            st.builds(lambda: _mutate_text(WEB_DID, data)),
        )
    )
    result = resolver.resolve(did)
    assert (result.error is None) == (result.did_document is not None or result.deactivated)
    json.dumps(result.to_json())


@FAST
@given(st.data())
def test_did_web_url_round_trip(data: st.DataObject) -> None:
    label = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\Z")
    host = ".".join(data.draw(st.lists(label, min_size=2, max_size=3)))
    if host.rsplit(".", 1)[1].isdigit():
        return
    segments = data.draw(st.lists(st.from_regex(r"\A[A-Za-z0-9._-]{1,8}\Z"), max_size=3))
    if any(s in (".", "..") for s in segments):
        return
    did = ":".join(["did:web", host, *segments])
    assert url_to_did_web(did_web_to_url(did)) == did
    _only_typed_errors(did_web_to_url, _mutate_text(did, data))
    _only_typed_errors(url_to_did_web, _mutate_text(did_web_to_url(did), data))


BLOB = encrypt_secret(b"secret", "pw", kind="k", kdf=KDF_TEST, public={"a": 1})


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_decrypt_secret_hostile_input(data: st.DataObject) -> None:
    mutated = data.draw(
        st.one_of(
            st.binary(max_size=400),
            st.builds(lambda: json.dumps(_mutate_json(json.loads(BLOB), data)).encode()),
            st.builds(lambda: _mutate_text(BLOB.decode(), data).encode("utf-8", "surrogatepass")),
        )
    )
    _only_typed_errors(decrypt_secret, mutated, "pw")
    _only_typed_errors(read_public, mutated)
    if mutated != BLOB:
        with contextlib.suppress(AnshimError):
            assert decrypt_secret(mutated, "pw") == b"secret"


@FAST
@given(st.one_of(json_values, st.builds(lambda d: _mutate_json(SK.to_jwk(), d), st.data())))
def test_jwk_decoders_hostile_input(jwk: Any) -> None:
    _only_typed_errors(public_key_from_jwk, jwk)
    _only_typed_errors(Ed25519PrivateKey.from_jwk, jwk)
