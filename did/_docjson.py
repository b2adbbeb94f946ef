"""Strict, bounded JSON for DID documents: parsing, bounds, freezing, URI syntax."""

from __future__ import annotations

import json
import math
import re
import types
from collections.abc import Mapping
from typing import Any

from did.errors import DecodeError

__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "check_bounds",
    "freeze",
    "is_uri",
    "load_json_object",
    "thaw",
]

MAX_DOCUMENT_BYTES = 64 * 1024
MAX_DEPTH = 16
_MAX_URI_CHARS = 2048

# RFC 3986 section 3: scheme ":" followed by URI characters (unreserved, reserved, "%").
_URI_RE = re.compile(r"\A[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*\Z")


def is_uri(value: object) -> bool:
    """Whether ``value`` is an absolute URI string (RFC 3986 section 4.3 character set)."""
    return isinstance(value, str) and len(value) <= _MAX_URI_CHARS and bool(_URI_RE.match(value))


def _refuse_constant(name: str) -> Any:
    raise DecodeError(f"JSON constant {name} is not allowed")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DecodeError("duplicate key in JSON object")
        out[key] = value
    return out


def load_json_object(data: str | bytes | bytearray, *, max_bytes: int) -> dict[str, Any]:
    """Parse a JSON object strictly: UTF-8, bounded size, no duplicate keys, no NaN.

    Raises:
        DecodeError: on anything else, including input longer than ``max_bytes``.
    """
    if isinstance(data, bytes | bytearray):
        if len(data) > max_bytes:
            raise DecodeError("JSON document is too large")
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError("JSON document is not UTF-8") from exc
    elif isinstance(data, str):
        if len(data) > max_bytes or len(data.encode("utf-8", "surrogatepass")) > max_bytes:
            raise DecodeError("JSON document is too large")
        text = data
    else:
        raise DecodeError("JSON document must be text or bytes")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except DecodeError:
        raise
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and over-long integers (int_max_str_digits).
        raise DecodeError("malformed JSON") from exc
    if not isinstance(value, dict):
        raise DecodeError("JSON document must be an object")
    check_bounds(value, max_depth=MAX_DEPTH, max_bytes=max_bytes)
    return value


def check_bounds(value: object, *, max_depth: int, max_bytes: int) -> None:
    """Check a decoded JSON value: JSON types only, nesting and approximate size bounded.

    Raises:
        DecodeError: on a non-JSON type, a non-finite float, a non-string key, nesting
            deeper than ``max_depth`` or an encoded size estimate above ``max_bytes``.
    """
    budget = max_bytes
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise DecodeError("JSON nesting is too deep")
        budget -= 2
        if isinstance(node, str):
            budget -= len(node)
        elif isinstance(node, Mapping):
            for key, item in node.items():
                if not isinstance(key, str):
                    raise DecodeError("JSON object keys must be strings")
                budget -= len(key) + 3
                stack.append((item, depth + 1))
        elif isinstance(node, list | tuple):
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise DecodeError("non-finite number in JSON")
        elif node is not None and not isinstance(node, bool | int):
            raise DecodeError(f"{type(node).__name__} is not a JSON type")
        if budget < 0:
            raise DecodeError("JSON document is too large")


def freeze(value: Any) -> Any:
    """A read-only copy of a JSON value (maps become mapping proxies, lists tuples)."""
    if isinstance(value, Mapping):
        return types.MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """A fresh mutable JSON value from a frozen one (the inverse of :func:`freeze`)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value
