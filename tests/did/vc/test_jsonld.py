"""The bundled JSON-LD contexts and the offline document loader (did/vc/_jsonld.py).

Context files: tests/vectors/jsonld-contexts (see tests/vectors/README.md).
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did.errors import InputError
from did.vc import _jsonld
from did.vc._jsonld import (
    BUNDLED_CONTEXTS,
    OfflineDocumentLoader,
    bundled_context,
    check_json_bounds,
    to_rdf_dataset,
)
from did.vc.errors import ContextNotBundled, JsonLdProcessingError
from tests.paths import VECTORS as _VECTORS

VECTORS = _VECTORS
PACKAGE_CONTEXTS = Path(_jsonld.__file__).parent / "contexts"

# A term each context must define (top level or inside a scoped context), so that a URL mapped
# to the wrong file is caught.
EXPECTED_TERM = {
    "https://www.w3.org/ns/credentials/v2": "EnvelopedVerifiablePresentation",
    "https://www.w3.org/ns/credentials/examples/v2": "@vocab",
    "https://www.w3.org/2018/credentials/v1": "VerifiablePresentation",
    "https://www.w3.org/2018/credentials/examples/v1": "AlumniCredential",
    "https://www.w3.org/ns/did/v1": "keyAgreement",
    "https://w3id.org/security/data-integrity/v2": "DataIntegrityProof",
    "https://w3id.org/security/multikey/v1": "Multikey",
    "https://w3id.org/security/suites/ed25519-2020/v1": "Ed25519Signature2020",
    "https://w3id.org/security/v1": "EcdsaKoblitzSignature2016",
    "https://w3id.org/security/v2": "EcdsaSecp256k1Signature2019",
}


def _top_terms(doc: dict[str, Any]) -> set[str]:
    ctx = doc["@context"]
    parts = ctx if isinstance(ctx, list) else [ctx]
    return {k for part in parts if isinstance(part, dict) for k in part}


def test_every_url_is_mapped_to_the_file_that_defines_it() -> None:
    assert set(BUNDLED_CONTEXTS) == set(EXPECTED_TERM)
    for url, term in EXPECTED_TERM.items():
        assert term in _top_terms(bundled_context(url)), url


def test_bundled_files_are_unchanged_copies_of_the_vectors() -> None:
    for name in BUNDLED_CONTEXTS.values():
        ours = hashlib.sha256((PACKAGE_CONTEXTS / name).read_bytes()).hexdigest()
        theirs = hashlib.sha256((VECTORS / "jsonld-contexts" / name).read_bytes()).hexdigest()
        assert ours == theirs, name


def test_bundled_context_returns_a_fresh_copy() -> None:
    first = bundled_context("https://www.w3.org/ns/credentials/v2")
    first["@context"]["id"] = "tampered"
    assert bundled_context("https://www.w3.org/ns/credentials/v2")["@context"]["id"] == "@id"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/context",
        "http://www.w3.org/ns/credentials/v2",  # http, not https
        "https://www.w3.org/ns/credentials/v2/",
        "https://www.w3.org/ns/odrl.jsonld",
    ],
)
def test_unknown_context_raises_typed_error(url: str) -> None:
    with pytest.raises(ContextNotBundled):
        OfflineDocumentLoader()(url)
    with pytest.raises(ContextNotBundled):
        to_rdf_dataset({"@context": url, "@id": "urn:x", "urn:p": "v"})


def test_loader_never_opens_a_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    doc = json.loads((VECTORS / "w3c-vc-di-eddsa/unsigned.json").read_text())
    assert to_rdf_dataset(doc)["@default"]
    with pytest.raises(ContextNotBundled):
        to_rdf_dataset({"@context": "https://attacker.example/ctx", "a": 1})


def test_vc11_examples_context_needs_odrl_which_is_not_bundled() -> None:
    doc = {
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://www.w3.org/2018/credentials/examples/v1",
        ],
        "type": ["VerifiableCredential"],
    }
    with pytest.raises(ContextNotBundled, match="odrl"):
        to_rdf_dataset(doc)


def test_extra_contexts_are_served_but_cannot_replace_bundled_ones() -> None:
    loader = OfflineDocumentLoader({"https://example.org/ctx": {"@context": {"n": "urn:n"}}})
    dataset = to_rdf_dataset(
        {"@context": "https://example.org/ctx", "@id": "urn:s", "n": "v"}, loader=loader
    )
    assert dataset["@default"][0]["predicate"]["value"] == "urn:n"
    # A different loader does not see the extra context (no shared resolved-context cache).
    with pytest.raises(ContextNotBundled):
        to_rdf_dataset({"@context": "https://example.org/ctx", "@id": "urn:s", "n": "v"})
    with pytest.raises(InputError):
        OfflineDocumentLoader({"https://www.w3.org/ns/credentials/v2": {"@context": {}}})


def test_import_did_vc_does_not_import_pyld() -> None:
    code = "import sys, did; import did.vc._jsonld; print('pyld' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(
    "bad",
    [{"a": float("nan")}, {"a": float("inf")}, {"a": b"bytes"}, {1: "non-string key"}],
)
def test_non_json_values_are_refused(bad: Any) -> None:
    with pytest.raises(JsonLdProcessingError):
        check_json_bounds(bad)


def test_depth_and_size_bounds() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(_jsonld.MAX_JSON_DEPTH + 2):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(JsonLdProcessingError, match="deeper"):
        to_rdf_dataset(deep)
    with pytest.raises(JsonLdProcessingError, match="more than"):
        to_rdf_dataset({"a": list(range(_jsonld.MAX_JSON_VALUES + 1))})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["@context", "@id", "@type", "@value", "@list", "@graph", "id", "a"])
            | st.text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.text(max_size=6), json_values, max_size=4),
    st.sampled_from([None, "https://www.w3.org/ns/credentials/v2", {"@vocab": "urn:v:"}]),
)
def test_fuzzed_json_ld_raises_only_our_errors(doc: dict[str, Any], ctx: object) -> None:
    if ctx is not None:
        doc = {"@context": ctx, **doc}
    try:
        dataset = to_rdf_dataset(doc)
    except InputError:
        return
    assert isinstance(dataset, dict)
