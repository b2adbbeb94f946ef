"""Unsealing requests and a custodian's answer (DESIGN.md "Decryption share").

An investigator sends each custodian a :class:`UnsealRequest`: the warrant id and, per
record, the envelope and its label's canonical bytes (the fields the registry stored). A
custodian runs :func:`answer_warrant`: it checks the warrant (approvals, expiry), then for
every record parses the envelope strictly, recomputes the label from its fields, checks
the envelope's proof against that label and the fields against the warrant's scope, and
only then computes its share. The answer is a :class:`ShareBatch` signed by the custodian,
which is also what the audit log records.

Wire formats (deterministic CBOR)::

    request = {"v": 1, "type": "anshim-escrow-request", "warrant_id": bstr(32),
               "items": [[envelope bytes, label bytes], ...]}
    batch   = {"body": bstr .cbor body, "sig": Ed25519 signature}
    body    = {"v": 2, "type": "anshim-escrow-shares", "warrant_id": bstr(32),
               "custodian": DID, "index": i, "shares": [[envelope id, 129-byte share], ...]}

``"v"`` of a share batch is the share format (:data:`escrow._shares.SHARE_FORMAT`, now 2);
batches of format 1 (97-byte shares with a (c, z) proof) are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from did import cbor
from did.didkey import ed25519_public_key_from_did
from did.errors import DecodeError, InputError, InvalidSignature
from escrow._envelope import Envelope, check_envelope_proof
from escrow._epochkeys import EpochKeyDirectory
from escrow._labels import Label, label_from_bytes
from escrow._shares import SHARE_FORMAT, make_share, share_context
from escrow._store import ShareStore
from escrow._warrant import Warrant
from escrow.errors import CeremonyError, InvalidLabel, ProofError, ScopeError, WarrantError
from escrow.group import RandomBytes

__all__ = ["ShareBatch", "UnsealRequest", "answer_warrant"]

SHARES_CONTEXT = b"anshim/escrow/shares/v1\x00"
MAX_ITEMS = 100_000
_MAX_REQUEST = 64 * 1024 * 1024


def _identity(items: Iterable[Any], _desc: str) -> Iterable[Any]:
    return items


@dataclass(frozen=True, slots=True)
class UnsealRequest:
    """The records an investigator asks custodians to unseal under one warrant."""

    warrant_id: bytes
    items: tuple[tuple[Envelope, Label], ...]

    def to_bytes(self) -> bytes:
        """Canonical CBOR (module docstring)."""
        return cbor.encode(
            {
                "v": 1,
                "type": "anshim-escrow-request",
                "warrant_id": self.warrant_id,
                "items": [[e.to_bytes(), lab.to_bytes()] for e, lab in self.items],
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> UnsealRequest:
        """Strictly decode a request: every envelope and label is parsed and validated.

        Raises:
            DecodeError: on malformed CBOR or fields.
            EnvelopeError: on a malformed envelope (invalid point, non-canonical scalar…).
            InvalidLabel: on a malformed or non-canonical label.
        """
        obj = cbor.decode(data, max_size=_MAX_REQUEST, max_depth=3)
        if not isinstance(obj, dict) or set(obj) != {"v", "type", "warrant_id", "items"}:
            raise DecodeError("not an unsealing request")
        if obj["v"] != 1 or obj["type"] != "anshim-escrow-request":
            raise DecodeError("unsupported unsealing request")
        wid, items = obj["warrant_id"], obj["items"]
        if not isinstance(wid, bytes) or len(wid) != 32:
            raise DecodeError("warrant_id must be 32 bytes")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise DecodeError(f"items must be a list of at most {MAX_ITEMS}")
        out = []
        for item in items:
            if not (isinstance(item, list) and len(item) == 2):
                raise DecodeError("malformed request item")
            if not isinstance(item[0], bytes) or not isinstance(item[1], bytes):
                raise DecodeError("malformed request item")
            out.append((Envelope.from_bytes(item[0]), label_from_bytes(item[1])))
        return cls(wid, tuple(out))


@dataclass(frozen=True, slots=True)
class ShareBatch:
    """One custodian's signed answer to a request. Construct via :func:`answer_warrant`."""

    body: bytes
    sig: bytes
    warrant_id: bytes
    custodian: str
    index: int
    shares: tuple[tuple[bytes, bytes], ...]

    def to_bytes(self) -> bytes:
        """Canonical CBOR (module docstring)."""
        return cbor.encode({"body": self.body, "sig": self.sig})

    @classmethod
    def from_bytes(cls, data: bytes) -> ShareBatch:
        """Strictly decode a batch (the signature is checked by :meth:`verify`).

        Raises:
            DecodeError: on malformed CBOR or fields.
        """
        obj = cbor.decode(data, max_size=_MAX_REQUEST, max_depth=2)
        if not isinstance(obj, dict) or set(obj) != {"body", "sig"}:
            raise DecodeError("share batch must be {body, sig}")
        body, sig = obj["body"], obj["sig"]
        if not isinstance(body, bytes) or not isinstance(sig, bytes):
            raise DecodeError("share batch: wrong field types")
        return cls._from_body(body, sig)

    @classmethod
    def _from_body(cls, body: bytes, sig: bytes) -> ShareBatch:
        b = cbor.decode(body, max_size=_MAX_REQUEST, max_depth=3)
        keys = {"v", "type", "warrant_id", "custodian", "index", "shares"}
        if not isinstance(b, dict) or set(b) != keys or b["type"] != "anshim-escrow-shares":
            raise DecodeError("not a share batch")
        if (
            b["v"] != SHARE_FORMAT
            or type(b["index"]) is not int
            or not isinstance(b["custodian"], str)
        ):
            raise DecodeError("unsupported share batch")
        if not isinstance(b["warrant_id"], bytes) or not isinstance(b["shares"], list):
            raise DecodeError("share batch: wrong field types")
        shares = []
        for s in b["shares"]:
            if not (isinstance(s, list) and len(s) == 2):
                raise DecodeError("malformed share entry")
            if not (isinstance(s[0], bytes) and len(s[0]) == 32 and isinstance(s[1], bytes)):
                raise DecodeError("malformed share entry")
            shares.append((s[0], s[1]))
        return cls(body, sig, b["warrant_id"], b["custodian"], b["index"], tuple(shares))

    def verify(self, directory: EpochKeyDirectory) -> None:
        """Check the custodian's signature and that index and DID match the directory.

        Raises:
            InvalidSignature: if the author is not the directory's custodian ``index`` or
                the signature does not verify.
        """
        if not 1 <= self.index <= len(directory.custodians):
            raise InvalidSignature("share batch names no custodian")
        if directory.custodians[self.index - 1] != self.custodian:
            raise InvalidSignature("share batch index and custodian DID disagree")
        try:
            pub = ed25519_public_key_from_did(self.custodian)
        except InputError as exc:
            raise InvalidSignature("custodian DID is not an Ed25519 did:key") from exc
        pub.verify(self.sig, SHARES_CONTEXT + self.body)


def answer_warrant(
    warrant: Warrant,
    request: UnsealRequest,
    *,
    store: ShareStore,
    directory: EpochKeyDirectory,
    now: int,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] = _identity,
    _rng: RandomBytes | None = None,
) -> ShareBatch:
    """A custodian's decryption shares for every record of ``request`` (module docstring).

    ``_rng`` exists for the known-answer tests only; never pass it.

    Raises:
        WarrantError: if the warrant is expired or lacks k valid custodian approvals, or
            the request cites another warrant (code ``warrantMismatch``).
        ProofError: if an envelope's proof fails for the label sent with it (its R was
            moved under another label).
        ScopeError: if a record's label fields fall outside the warrant's scope.
        EpochUnavailable: if the store has no share for a record's epoch (shredded).
        CeremonyError: if this store's identity is not the epoch key's custodian.
    """
    warrant.verify(directory, now=now)
    if request.warrant_id != warrant.warrant_id:
        raise WarrantError("request cites another warrant", code="warrantMismatch")
    out: list[list[bytes]] = []
    index = 0
    for n, (env, label) in enumerate(progress(request.items, "shares")):
        epoch_key = directory.get_key(env.epoch)
        try:
            check_envelope_proof(env, epoch_key, label)
        except ProofError as exc:
            raise ProofError(f"record {n}: {exc.message}") from exc
        try:
            warrant.scope.check(label, env.envelope_id)
        except ScopeError as exc:
            raise ScopeError(f"record {n}: {exc.message}") from exc
        share = store.share(env.epoch)
        if epoch_key.custodians[share.index - 1] != store.did:
            raise CeremonyError("this store's share does not belong to the epoch key")
        index = share.index
        ds = make_share(
            share.x, share.index, epoch_key, env, share_context(warrant.warrant_id, env), _rng=_rng
        )
        out.append([bytes.fromhex(env.envelope_id), ds.to_bytes()])
    if not out:
        raise InvalidLabel("an unsealing request needs at least one record")
    body = cbor.encode(
        {
            "v": SHARE_FORMAT,
            "type": "anshim-escrow-shares",
            "warrant_id": warrant.warrant_id,
            "custodian": store.did,
            "index": index,
            "shares": out,
        }
    )
    return ShareBatch._from_body(body, store.key.sign(SHARES_CONTEXT + body))


def shares_for(batch: ShareBatch) -> dict[bytes, bytes]:
    """The batch's shares keyed by envelope id. Raises :class:`DecodeError` on repeats."""
    out: dict[bytes, bytes] = {}
    for eid, share in batch.shares:
        if eid in out:
            raise DecodeError("a share batch answers one envelope twice")
        out[eid] = share
    return out
