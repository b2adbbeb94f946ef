"""Bundled JSON-LD contexts and an offline document loader for PyLD.

JSON-LD processing (the ``eddsa-rdfc-2022`` and ``Ed25519Signature2020`` suites) needs the
context documents that a credential names in ``@context``. Fetching them at verification time
would let whoever controls a context URL change what a signature means, and would make
verification depend on the network. So the contexts live in ``did/vc/contexts/`` (copies of the
published documents, see its README) and :class:`OfflineDocumentLoader` serves only those; any
other URL raises :class:`ContextNotBundled`. The loader never touches the network.

PyLD is imported lazily, inside the functions that need it, so ``import did`` and
``import did.vc`` work without the ``jsonld`` extra.

Errors (:mod:`did.vc.errors`): :class:`~did.vc.errors.JsonLdProcessingError` and its
subclasses :class:`~did.vc.errors.ContextNotBundled` and
:class:`~did.vc.errors.JsonLdExtraMissing`.
"""

from __future__ import annotations

import copy
import json
import math
import threading
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

from did.errors import InputError
from did.vc.errors import ContextNotBundled, JsonLdExtraMissing, JsonLdProcessingError

__all__ = [
    "BUNDLED_CONTEXTS",
    "MAX_JSON_DEPTH",
    "MAX_JSON_VALUES",
    "OfflineDocumentLoader",
    "bundled_context",
    "check_json_bounds",
    "default_loader",
    "to_rdf_dataset",
]

# The canonical context URL -> the bundled file (did/vc/contexts/README.md lists the sources).
BUNDLED_CONTEXTS: Mapping[str, str] = {
    "https://www.w3.org/ns/credentials/v2": "w3c-ns-credentials-v2.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "w3c-ns-credentials-examples-v2.jsonld",
    "https://www.w3.org/2018/credentials/v1": "w3c-2018-credentials-v1.jsonld",
    "https://www.w3.org/2018/credentials/examples/v1": "w3c-2018-credentials-examples-v1.jsonld",
    "https://www.w3.org/ns/did/v1": "w3c-did-v1.jsonld",
    "https://w3id.org/security/data-integrity/v2": "w3id-data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "w3id-multikey-v1.jsonld",
    "https://w3id.org/security/suites/ed25519-2020/v1": "w3id-ed25519-signature-2020-v1.jsonld",
    "https://w3id.org/security/v1": "w3id-security-v1.jsonld",
    "https://w3id.org/security/v2": "w3id-security-v2.jsonld",
}

# Bounds on a JSON document handed to PyLD: PyLD recurses once per nesting level and copies
# freely, so deep or huge inputs would otherwise end in RecursionError or memory exhaustion.
MAX_JSON_DEPTH = 32
MAX_JSON_VALUES = 20_000


_cache_lock = threading.Lock()
_parsed: dict[str, dict[str, Any]] = {}


def bundled_context(url: str) -> dict[str, Any]:
    """Return a fresh copy of the bundled context document for ``url``.

    Raises:
        ContextNotBundled: if ``url`` is not one of :data:`BUNDLED_CONTEXTS`.
    """
    if not isinstance(url, str) or url not in BUNDLED_CONTEXTS:
        raise ContextNotBundled(f"JSON-LD context is not bundled: {str(url)[:200]!r}")
    with _cache_lock:
        doc = _parsed.get(url)
        if doc is None:
            text = (
                resources.files("did.vc")
                .joinpath("contexts")
                .joinpath(BUNDLED_CONTEXTS[url])
                .read_text(encoding="utf-8")
            )
            doc = json.loads(text)
            _parsed[url] = doc
    return copy.deepcopy(doc)


class OfflineDocumentLoader:
    """A PyLD document loader that serves bundled contexts and never uses the network.

    ``extra`` adds more context documents by URL (for example a test vector's context); an
    extra document must not replace a bundled URL. The loader keeps its own resolved-context
    cache, so documents loaded through one loader never leak into another.

    Raises (when called):
        ContextNotBundled: for any URL that is neither bundled nor in ``extra``.
    """

    def __init__(self, extra: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        extra = dict(extra or {})
        for url, doc in extra.items():
            if not isinstance(url, str) or not isinstance(doc, Mapping):
                raise InputError("extra contexts must map URL strings to JSON objects")
            if url in BUNDLED_CONTEXTS:
                raise InputError(f"extra context may not replace a bundled context: {url}")
        self._extra: dict[str, dict[str, Any]] = {
            url: copy.deepcopy(dict(doc)) for url, doc in extra.items()
        }
        self._resolver: Any = None

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return the remote-document dict PyLD expects for ``url``."""
        if isinstance(url, str) and url in self._extra:
            doc = copy.deepcopy(self._extra[url])
        else:
            doc = bundled_context(url)
        return {"contextUrl": None, "documentUrl": url, "document": doc}

    def _pyld_options(self) -> dict[str, Any]:
        # A private ContextResolver (with its own LRU cache) instead of PyLD's process-wide
        # cache, so that contexts resolved through another loader are never reused here.
        if self._resolver is None:
            from cachetools import LRUCache
            from pyld.context_resolver import ContextResolver

            self._resolver = ContextResolver(LRUCache(maxsize=100), self)
        return {"documentLoader": self, "contextResolver": self._resolver}


_default_loader: OfflineDocumentLoader | None = None


def default_loader() -> OfflineDocumentLoader:
    """The shared loader over the bundled contexts only."""
    global _default_loader
    if _default_loader is None:
        _default_loader = OfflineDocumentLoader()
    return _default_loader


def check_json_bounds(
    value: object, *, max_depth: int = MAX_JSON_DEPTH, max_values: int = MAX_JSON_VALUES
) -> None:
    """Check that ``value`` is plain JSON (dict/list/str/int/float/bool/None) within bounds.

    Raises:
        JsonLdProcessingError: on a non-JSON type, a non-string key, a non-finite float,
            nesting deeper than ``max_depth`` or more than ``max_values`` values.
    """
    count = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > max_values:
            raise JsonLdProcessingError(f"JSON-LD document has more than {max_values} values")
        if depth > max_depth:
            raise JsonLdProcessingError(f"JSON-LD document nests deeper than {max_depth}")
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise JsonLdProcessingError("JSON-LD object keys must be strings")
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise JsonLdProcessingError("JSON-LD numbers must be finite")
        elif item is None or isinstance(item, (str, bool, int)):
            continue
        else:
            raise JsonLdProcessingError(f"not a JSON value: {type(item).__name__}")


def _our_cause(exc: BaseException) -> InputError | None:
    """Find one of our typed errors in an exception's cause/context chain (PyLD wraps them)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, InputError):
            return cur
        cur = cur.__cause__ or cur.__context__
    return None


def _run_pyld(action: Callable[[], Any], what: str) -> Any:
    try:
        return action()
    except InputError:
        raise
    except RecursionError as exc:
        raise JsonLdProcessingError(f"JSON-LD {what} recursed too deeply") from exc
    except Exception as exc:
        # PyLD raises JsonLdError for invalid JSON-LD, wraps loader failures in it, and lets
        # TypeError/KeyError/ValueError escape on some malformed inputs: all of them mean
        # "this document cannot be processed", which is our typed input error.
        ours = _our_cause(exc)
        if ours is not None:
            raise type(ours)(ours.message) from exc
        raise JsonLdProcessingError(f"JSON-LD {what} failed: {type(exc).__name__}") from exc


def _import_pyld() -> Any:
    try:
        from pyld import jsonld
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise JsonLdExtraMissing(
            "JSON-LD processing needs the 'jsonld' extra: pip install 'anshim[jsonld]'"
        ) from exc
    return jsonld


def to_rdf_dataset(
    document: Mapping[str, Any], *, loader: OfflineDocumentLoader | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Expand ``document`` with the offline loader and convert it to a PyLD RDF dataset.

    JSON-LD 1.1 Processing Algorithms section 8.1 (Deserialize JSON-LD to RDF). The result maps
    graph names (``"@default"``, an IRI or ``"_:b…"``) to lists of PyLD triple dicts.

    Raises:
        ContextNotBundled: if the document names a context that is not available offline.
        JsonLdProcessingError: if the document is not JSON-LD PyLD accepts, or is out of bounds.
        JsonLdExtraMissing: if PyLD is not installed.
    """
    if not isinstance(document, Mapping):
        raise JsonLdProcessingError("a JSON-LD document must be a JSON object")
    check_json_bounds(document)
    jsonld = _import_pyld()
    active = loader if loader is not None else default_loader()
    options = active._pyld_options()
    options["base"] = ""
    doc = copy.deepcopy(dict(document))
    dataset = _run_pyld(lambda: jsonld.to_rdf(doc, options), "to RDF")
    if not isinstance(dataset, dict):
        raise JsonLdProcessingError("JSON-LD to RDF produced no dataset")
    return dataset
