"""The implementation of :mod:`did.cbor`; the package docstring describes it."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

from did.errors import DecodeError, EncodingError

DEFAULT_MAX_SIZE = 65536
DEFAULT_MAX_DEPTH = 16
# Encoding refuses deeper nesting than this, which also turns a cyclic structure into an
# EncodingError instead of a RecursionError.
_ENCODE_MAX_DEPTH = 64
# Decoding recursion is bounded by max_depth; this bound keeps it far from Python's limit.
_DECODE_DEPTH_LIMIT = 64

_UINT64_MAX = 2**64 - 1
_NINT64_MIN = -(2**64)

_pack_half = struct.Struct(">e").pack
_pack_single = struct.Struct(">f").pack
_pack_double = struct.Struct(">d").pack
_unpack_half = struct.Struct(">e").unpack
_unpack_single = struct.Struct(">f").unpack
_unpack_double = struct.Struct(">d").unpack


@dataclass(frozen=True, slots=True)
class Tag:
    """A tagged data item (RFC 8949 section 3.4): tag ``number`` applied to ``value``.

    ``number`` must be an int in ``[0, 2**64 - 1]``; :func:`encode` raises
    :class:`~did.errors.EncodingError` otherwise.
    """

    number: int
    value: Any


# ---------------------------------------------------------------------------------------
# Encoding (RFC 8949 section 4.2.1, core deterministic encoding requirements)
# ---------------------------------------------------------------------------------------


def _head(major: int, arg: int) -> bytes:
    # Section 4.2.1: arguments (integers, lengths, tag numbers) use the shortest form.
    mt = major << 5
    if arg < 24:
        return bytes((mt | arg,))
    if arg < 0x100:
        return bytes((mt | 24, arg))
    if arg < 0x10000:
        return bytes((mt | 25,)) + arg.to_bytes(2, "big")
    if arg < 0x100000000:
        return bytes((mt | 26,)) + arg.to_bytes(4, "big")
    return bytes((mt | 27,)) + arg.to_bytes(8, "big")


def _encode_float(value: float) -> bytes:
    if math.isnan(value):
        raise EncodingError("NaN cannot be encoded (anshim refuses NaN)")
    # Section 4.2.1: the shortest of half/single/double that preserves the value exactly.
    try:
        half = _pack_half(value)
    except OverflowError:
        pass
    else:
        if _unpack_half(half)[0] == value:
            return b"\xf9" + half
    try:
        single = _pack_single(value)
    except OverflowError:
        pass
    else:
        if _unpack_single(single)[0] == value:
            return b"\xfa" + single
    return b"\xfb" + _pack_double(value)


def _encode_key(key: object) -> bytes:
    # Map keys are restricted to int and str (module docstring); bool is an int subclass.
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        raise EncodingError(f"map key of type {type(key).__name__} (only int and str allowed)")
    out: list[bytes] = []
    _emit(key, 0, out)
    return out[0] if len(out) == 1 else b"".join(out)


def _check_depth(depth: int) -> None:
    if depth >= _ENCODE_MAX_DEPTH:
        raise EncodingError(f"nesting deeper than {_ENCODE_MAX_DEPTH} (cyclic structure?)")


def _emit(obj: object, depth: int, out: list[bytes]) -> None:
    """Append the deterministic encoding of ``obj`` to ``out``."""
    if obj is None:
        out.append(b"\xf6")
    elif obj is True:
        out.append(b"\xf5")
    elif obj is False:
        out.append(b"\xf4")
    elif isinstance(obj, int):
        n = int(obj)
        if n >= 0:
            if n > _UINT64_MAX:
                raise EncodingError("integer above 2**64 - 1 cannot be encoded")
            out.append(_head(0, n))
        else:
            if n < _NINT64_MIN:
                raise EncodingError("integer below -2**64 cannot be encoded")
            out.append(_head(1, -1 - n))
    elif isinstance(obj, (bytes, bytearray, memoryview)):
        raw = bytes(obj)
        out.append(_head(2, len(raw)))
        out.append(raw)
    elif isinstance(obj, str):
        try:
            raw = obj.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise EncodingError("text string is not valid Unicode (lone surrogate)") from exc
        out.append(_head(3, len(raw)))
        out.append(raw)
    elif isinstance(obj, float):
        out.append(_encode_float(obj))
    elif isinstance(obj, (list, tuple)):
        _check_depth(depth)
        out.append(_head(4, len(obj)))
        for item in obj:
            _emit(item, depth + 1, out)
    elif isinstance(obj, dict):
        _check_depth(depth)
        pairs = []
        for key, value in obj.items():
            sub: list[bytes] = []
            _emit(value, depth + 1, sub)
            pairs.append((_encode_key(key), sub))
        # Section 4.2.1: keys sorted by the bytewise lexicographic order of their encodings.
        pairs.sort(key=lambda pair: pair[0])
        out.append(_head(5, len(pairs)))
        for key_bytes, sub in pairs:
            out.append(key_bytes)
            out.extend(sub)
    elif isinstance(obj, Tag) or _is_foreign_tag(obj):
        number = obj.number if isinstance(obj, Tag) else getattr(obj, "tag", None)
        if isinstance(number, bool) or not isinstance(number, int):
            raise EncodingError("tag number must be an int in [0, 2**64 - 1]")
        if not 0 <= number <= _UINT64_MAX:
            raise EncodingError("tag number must be an int in [0, 2**64 - 1]")
        _check_depth(depth)
        out.append(_head(6, number))
        _emit(getattr(obj, "value", None), depth + 1, out)
    else:
        raise EncodingError(f"cannot encode a value of type {type(obj).__name__}")


def _is_foreign_tag(obj: object) -> bool:
    # cbor2.CBORTag is accepted on encoding so that callers holding one need not convert it.
    return type(obj).__name__ == "CBORTag" and hasattr(obj, "tag") and hasattr(obj, "value")


def encode(obj: object) -> bytes:
    """Encode ``obj`` in the RFC 8949 section 4.2.1 core deterministic encoding.

    Raises:
        EncodingError: for an unsupported type, an int outside ``[-2**64, 2**64 - 1]``, NaN,
            a map key that is not ``int``/``str``, a string with lone surrogates, a bad tag
            number, or nesting deeper than 64 (which includes cyclic structures).
    """
    out: list[bytes] = []
    _emit(obj, 0, out)
    return b"".join(out)


# ---------------------------------------------------------------------------------------
# Strict decoding
# ---------------------------------------------------------------------------------------


class _Decoder:
    """One pass over the input that parses and enforces every rule at the same time.

    Each item's head is checked for minimal length (section 4.2.1); lengths are checked
    against the bytes remaining *before* anything is allocated, so a declared 2**64-element
    array or string fails at once; nesting is bounded by ``max_depth``.
    """

    __slots__ = ("allowed_tags", "data", "deterministic", "end", "max_depth")

    def __init__(
        self, data: bytes, max_depth: int, allowed_tags: frozenset[int], deterministic: bool
    ) -> None:
        self.data = data
        self.end = len(data)
        self.max_depth = max_depth
        self.allowed_tags = allowed_tags
        self.deterministic = deterministic

    def _fail(self, what: str, pos: int) -> DecodeError:
        return DecodeError(f"CBOR: {what} at offset {pos}")

    def _arg(self, ib: int, pos: int) -> tuple[int, int]:
        """Return (argument, position after the head) for the head byte at ``pos``."""
        ai = ib & 0x1F
        if ai < 24:
            return ai, pos + 1
        if ai > 27:
            if ai == 31:
                raise self._fail("indefinite length or break code is not allowed", pos)
            raise self._fail(f"reserved additional information {ai}", pos)
        size = 1 << (ai - 24)
        start = pos + 1
        stop = start + size
        if stop > self.end:
            raise self._fail("truncated item head", pos)
        arg = int.from_bytes(self.data[start:stop], "big")
        # Section 4.2.1: the argument must use the shortest possible form.
        if self.deterministic and arg < (24 if size == 1 else 1 << (4 * size)):
            raise self._fail("non-minimal integer or length encoding", pos)
        return arg, stop

    def item(self, pos: int, depth: int) -> tuple[Any, int]:
        if pos >= self.end:
            raise self._fail("unexpected end of data", pos)
        ib = self.data[pos]
        major = ib >> 5
        if major == 7:
            return self._simple(ib, pos)
        if ib & 0x1F < 24:
            # Fast path: the argument is in the head byte itself (always minimal).
            arg = ib & 0x1F
            pos2 = pos + 1
        else:
            arg, pos2 = self._arg(ib, pos)
        if major == 0:
            return arg, pos2
        if major == 1:
            return -1 - arg, pos2
        if major == 2 or major == 3:
            stop = pos2 + arg
            if stop > self.end:
                raise self._fail("string length exceeds the remaining data", pos)
            raw = self.data[pos2:stop]
            if major == 2:
                return raw, stop
            try:
                return raw.decode("utf-8"), stop
            except UnicodeDecodeError:
                raise self._fail("text string is not valid UTF-8", pos) from None
        if depth >= self.max_depth:
            raise self._fail(f"nesting deeper than max_depth={self.max_depth}", pos)
        if major == 4:
            # Every item takes at least one byte: refuse impossible counts before looping.
            if arg > self.end - pos2:
                raise self._fail("array length exceeds the remaining data", pos)
            items = []
            for _ in range(arg):
                value, pos2 = self.item(pos2, depth + 1)
                items.append(value)
            return items, pos2
        if major == 5:
            return self._map(arg, pos, pos2, depth)
        # major == 6: a tag
        if arg not in self.allowed_tags:
            raise self._fail(f"tag {arg} is not allowed here", pos)
        value, pos2 = self.item(pos2, depth + 1)
        return Tag(arg, value), pos2

    def _map(self, count: int, pos: int, pos2: int, depth: int) -> tuple[Any, int]:
        if count > (self.end - pos2) // 2:
            raise self._fail("map length exceeds the remaining data", pos)
        data = self.data
        result: dict[Any, Any] = {}
        previous = b""
        for _ in range(count):
            key_pos = pos2
            kb = data[key_pos] if key_pos < self.end else -1
            # Map keys: int (major 0/1) or text string (major 3) only; see module docstring.
            if kb < 0 or (kb >> 5) not in (0, 1, 3):
                if kb < 0:
                    raise self._fail("unexpected end of data", key_pos)
                raise self._fail("map key must be an integer or a text string", key_pos)
            key, pos2 = self.item(key_pos, depth + 1)
            if self.deterministic:
                # Section 4.2.1: keys in bytewise lexicographic order of their encodings;
                # strictly increasing also rules out duplicates.
                raw_key = data[key_pos:pos2]
                if raw_key <= previous:
                    if raw_key == previous:
                        raise self._fail("duplicate map key", key_pos)
                    raise self._fail("map keys not in deterministic order", key_pos)
                previous = raw_key
            elif key in result:
                raise self._fail("duplicate map key", key_pos)
            value, pos2 = self.item(pos2, depth + 1)
            result[key] = value
        return result, pos2

    def _simple(self, ib: int, pos: int) -> tuple[Any, int]:
        if ib == 0xF4:
            return False, pos + 1
        if ib == 0xF5:
            return True, pos + 1
        if ib == 0xF6:
            return None, pos + 1
        if ib in (0xF9, 0xFA, 0xFB):
            size = 2 if ib == 0xF9 else 4 if ib == 0xFA else 8
            stop = pos + 1 + size
            if stop > self.end:
                raise self._fail("truncated float", pos)
            raw = self.data[pos + 1 : stop]
            if ib == 0xF9:
                value = _unpack_half(raw)[0]
            elif ib == 0xFA:
                value = _unpack_single(raw)[0]
            else:
                value = _unpack_double(raw)[0]
            if value != value:  # NaN
                raise self._fail("NaN is not allowed", pos)
            if self.deterministic and _encode_float(value)[0] != ib:
                raise self._fail("float not in its shortest exact form", pos)
            return value, stop
        if ib == 0xF7:
            raise self._fail("undefined is not allowed", pos)
        if ib == 0xFF:
            raise self._fail("unexpected break code", pos)
        raise self._fail("simple values other than false/true/null are not allowed", pos)


def decode(
    data: bytes,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    allowed_tags: frozenset[int] = frozenset(),
    deterministic: bool = True,
) -> Any:
    """Decode one CBOR data item that must be exactly its deterministic encoding.

    Checks, in one bounded pass: ``len(data) <= max_size``; nesting of arrays, maps and tags
    at most ``max_depth`` levels; definite lengths only; every length no longer than the data
    left; minimal-length heads and shortest floats; map keys of type int/str, sorted and
    unique; only tags in ``allowed_tags`` (returned as :class:`Tag`); no ``undefined``, no
    simple values besides false/true/null, no NaN; valid UTF-8; no trailing bytes.

    ``deterministic=False`` keeps every rule above except minimal heads, shortest floats and
    key order (duplicates are still refused). Use it only for bytes whose exact form is
    authenticated anyway, such as a COSE protected header (see :mod:`did.cose`).

    Raises:
        DecodeError: naming the rule broken and the byte offset (never the payload itself);
            also for ``data`` that is not bytes or for a ``max_depth`` outside ``[1, 64]``.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError(f"CBOR input must be bytes, not {type(data).__name__}")
    if isinstance(max_depth, bool) or not isinstance(max_depth, int):
        raise DecodeError("max_depth must be an int")
    if not 1 <= max_depth <= _DECODE_DEPTH_LIMIT:
        raise DecodeError(f"max_depth must be between 1 and {_DECODE_DEPTH_LIMIT}")
    size = len(data) if not isinstance(data, memoryview) else data.nbytes
    if size > max_size:
        raise DecodeError(f"CBOR input of {size} bytes exceeds max_size={max_size}")
    raw = data if type(data) is bytes else bytes(data)
    if not raw:
        raise DecodeError("CBOR: empty input")
    decoder = _Decoder(raw, max_depth, frozenset(allowed_tags), deterministic)
    value, end = decoder.item(0, 0)
    if end != len(raw):
        raise DecodeError(f"CBOR: {len(raw) - end} trailing bytes after the item at offset {end}")
    return value
