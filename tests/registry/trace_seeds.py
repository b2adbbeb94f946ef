"""Trace-seed envelopes for registry tests.

The registry checks an envelope's structure only (escrow's ``Envelope.from_bytes``:
version, kind, epoch, a valid point R, a canonical scalar z); the proof and the ciphertext
are the custodians' to check. So these envelopes have the exact layout of escrow's version-2
envelopes (escrow/_envelope.py's module docstring) with a valid R and z, and random bytes
where the proof's T, the nonce and the ciphertext go.
"""

from __future__ import annotations

import os
import struct

from did import Ed25519PrivateKey
from escrow import ENVELOPE_OVERHEAD, TraceSeedLabel
from registry import TraceSeed

_VERSION = 2
_PAD = 48  # a 32-byte seed padded as wallets pad it


def make_trace_seed(credential_id: str, day: int) -> TraceSeed:
    label = TraceSeedLabel(credential_id, day)
    # An Ed25519 public key is a point of the prime-order subgroup: a valid R.
    r_point = Ed25519PrivateKey.generate().public_key.to_bytes()
    z = os.urandom(31) + b"\x00"  # below the group order: canonical
    body = struct.pack(">BBI", _VERSION, TraceSeedLabel.KIND, day) + r_point
    body += os.urandom(32) + z + os.urandom(24)
    body += os.urandom(ENVELOPE_OVERHEAD + _PAD - len(body))
    return TraceSeed(label.to_bytes(), body)
