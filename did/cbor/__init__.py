"""Deterministic CBOR (RFC 8949 section 4.2.1) with a strict, bounded decoder.

Everything that crosses a QR code or a phone in anshim is CBOR in the *core deterministic
encoding*: one value has exactly one encoding, so signatures, hashes and replay caches can
work on bytes.

Quick start::

    from did import cbor
    data = cbor.encode({1: b"\x00" * 16, "v": 1, "name": "Cafe"})
    cbor.decode(data)                     # -> {1: b'...', 'v': 1, 'name': 'Cafe'}
    cbor.decode(b"\x18\x01")              # raises DecodeError (non-minimal integer)

Supported values (both directions): ``int`` in ``[-2**64, 2**64 - 1]`` (major types 0 and 1;
big-number tags are not used), ``bytes``, ``str``, ``bool``, ``None``, ``float``, ``list``
(``tuple`` on encoding), ``dict`` and :class:`Tag`. Decoding returns ``dict``, ``list``,
``bytes``, ``str``, ``int``, ``float``, ``bool``, ``None`` and :class:`Tag`.

Policies (documented choices where RFC 8949 leaves room):

* **Map keys are ``int`` or ``str`` only** (not ``bool``, ``bytes``, floats or containers):
  COSE labels and our protocol messages need no others, and it keeps Python's ``1 == True``
  and ``1 == 1.0`` from colliding keys.
* **Floats** take the shortest of half, single and double precision that preserves the value
  exactly (RFC 8949 section 4.2.1); integral floats stay floats. ``-0.0`` and the infinities
  are allowed. **NaN is refused** in both directions: no anshim message needs it and its many
  encodings invite ambiguity.
* ``undefined`` and every simple value other than ``false``, ``true`` and ``null`` are
  refused; so are indefinite lengths, duplicate keys, unsorted keys and non-minimal heads.
* Tags are decoded only if their number is in ``allowed_tags``; they become :class:`Tag`.
"""

from did.cbor._codec import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_SIZE,
    Tag,
    decode,
    encode,
)
from did.errors import DecodeError, EncodingError

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_SIZE",
    "DecodeError",
    "EncodingError",
    "Tag",
    "decode",
    "encode",
]
