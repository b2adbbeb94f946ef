"""Unsealing requests and a custodian's answer (DESIGN.md "Decryption share").

An investigator sends each custodian a :class:`UnsealRequest`: the warrant id, optionally
the quorum of k custodians it means to combine, and, per record, the envelope and its
label's canonical bytes (the fields the registry stored). A custodian runs
:func:`answer_warrant`: it checks the warrant (approvals, validity window), then for every
record checks the envelope's proof against the label recomputed from its fields, the
fields against the warrant's scope, and R in full (libsodium's multiplication, before any
share exists; :mod:`escrow._envelope`), and only then computes its share, folded with its
Lagrange coefficient when it is in the request's quorum (:mod:`escrow._shares`). The
answer is a :class:`ShareBatch` signed by the custodian, which is also what the audit log
records.

Wire formats (deterministic CBOR)::

    request = {"v": 2, "type": "anshim-escrow-request", "warrant_id": bstr(32),
               "quorum": [i, ...], "items": [[envelope bytes, label bytes], ...]}
    batch   = {"body": bstr .cbor body, "sig": Ed25519 signature}
    body    = {"v": 3, "type": "anshim-escrow-shares", "warrant_id": bstr(32),
               "custodian": DID, "index": i, "quorum": [i, ...],
               "shares": [[envelope id, 129-byte share], ...]}

``"quorum"`` is empty (every share plain) or k increasing custodian indices. A batch
carries its request's quorum so that anyone checking its proofs later knows which shares
are folded. Batches of formats 1 and 2 (no quorum) and requests of format 1 are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from did import cbor, ed25519_public_key_from_did
from did.errors import DecodeError, InputError, InvalidSignature
from escrow._envelope import Envelope, check_envelope_proof
from escrow._epochkeys import EpochKey, EpochKeyDirectory
from escrow._group import Point, RandomBytes, Scalar
from escrow._labels import Label, label_from_bytes
from escrow._shares import check_quorum, fold_factor, prove
from escrow._store import ShareStore
from escrow._warrant import Warrant
from escrow.errors import (
    CeremonyError,
    EnvelopeBadPoint,
    EnvelopeProofFailed,
    InvalidLabel,
    InvalidQuorum,
    ScopeError,
    WarrantMismatch,
)

__all__ = ["ShareBatch", "UnsealRequest", "answer_warrant"]

SHARES_CONTEXT = b"anshim/escrow/shares/v1\x00"
REQUEST_FORMAT = 2
BATCH_FORMAT = 3
MAX_ITEMS = 100_000
_MAX_REQUEST = 64 * 1024 * 1024


def _identity(items: Iterable[Any], _desc: str) -> Iterable[Any]:
    return items


def _quorum_field(value: object, what: str) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise DecodeError(f"{what}: quorum must be a list")
    try:
        return check_quorum(value)
    except InvalidQuorum as exc:
        raise DecodeError(f"{what}: {exc.message}") from exc


@dataclass(frozen=True, slots=True)
class UnsealRequest:
    """The records an investigator asks custodians to unseal under one warrant.

    ``quorum`` names the k custodians whose shares will be combined (they fold their
    Lagrange coefficients, so the combiner only adds); empty, every share is plain. Other
    custodians may still answer, with plain shares, as stand-ins should one be bad.

    Raises:
        InvalidQuorum: if ``quorum`` is not strictly increasing indices in [1, 255].
    """

    warrant_id: bytes
    items: tuple[tuple[Envelope, Label], ...]
    quorum: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "quorum", check_quorum(self.quorum))

    def to_bytes(self) -> bytes:
        """Canonical CBOR (module docstring)."""
        return cbor.encode(
            {
                "v": REQUEST_FORMAT,
                "type": "anshim-escrow-request",
                "warrant_id": self.warrant_id,
                "quorum": list(self.quorum),
                "items": [[e.to_bytes(), lab.to_bytes()] for e, lab in self.items],
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> UnsealRequest:
        """Strictly decode a request: every envelope and label is parsed.

        Envelopes get the byte checks of :meth:`Envelope.parse_unchecked`: the custodian
        validates R in full before any share touches it, and the combiner needs no more
        (:mod:`escrow._envelope`).

        Raises:
            DecodeError: on malformed CBOR or fields (a malformed quorum included).
            MalformedEnvelope: on a malformed envelope (a subclass names what).
            InvalidLabel: on a malformed or non-canonical label.
        """
        obj = cbor.decode(data, max_size=_MAX_REQUEST, max_depth=3)
        keys = {"v", "type", "warrant_id", "quorum", "items"}
        if not isinstance(obj, dict) or set(obj) != keys:
            raise DecodeError("not an unsealing request")
        if obj["v"] != REQUEST_FORMAT or obj["type"] != "anshim-escrow-request":
            raise DecodeError("unsupported unsealing request")
        wid, items = obj["warrant_id"], obj["items"]
        if not isinstance(wid, bytes) or len(wid) != 32:
            raise DecodeError("warrant_id must be 32 bytes")
        quorum = _quorum_field(obj["quorum"], "unsealing request")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise DecodeError(f"items must be a list of at most {MAX_ITEMS}")
        out = []
        for item in items:
            if not (isinstance(item, list) and len(item) == 2):
                raise DecodeError("malformed request item")
            if not isinstance(item[0], bytes) or not isinstance(item[1], bytes):
                raise DecodeError("malformed request item")
            out.append((Envelope.parse_unchecked(item[0]), label_from_bytes(item[1])))
        return cls(wid, tuple(out), quorum)


@dataclass(frozen=True, slots=True)
class ShareBatch:
    """One custodian's signed answer to a request. Construct via :func:`answer_warrant`."""

    body: bytes
    sig: bytes
    warrant_id: bytes
    custodian: str
    index: int
    shares: tuple[tuple[bytes, bytes], ...]
    quorum: tuple[int, ...] = ()

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
        keys = {"v", "type", "warrant_id", "custodian", "index", "quorum", "shares"}
        if not isinstance(b, dict) or set(b) != keys or b["type"] != "anshim-escrow-shares":
            raise DecodeError("not a share batch")
        if (
            b["v"] != BATCH_FORMAT
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
        quorum = _quorum_field(b["quorum"], "share batch")
        return cls(body, sig, b["warrant_id"], b["custodian"], b["index"], tuple(shares), quorum)

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


@dataclass(frozen=True, slots=True)
class _EpochSecret:
    # What a batch computes once per epoch: the (folded) secret w = f_i·x_i and W = w·G.
    index: int
    w: Scalar
    w_public: bytes
    tag: bytes


def _epoch_secret(store: ShareStore, epoch_key: EpochKey, quorum: tuple[int, ...]) -> _EpochSecret:
    share = store.share(epoch_key.epoch)
    if epoch_key.custodians[share.index - 1] != store.did:
        raise CeremonyError("this store's share does not belong to the epoch key")
    check_quorum(quorum, epoch_key)
    fold = fold_factor(share.index, quorum)
    w = share.x if fold is None else fold * share.x
    tag = bytes(quorum) if fold is not None else b""
    return _EpochSecret(share.index, w, Point.base_mul(w).to_bytes(), tag)


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
        WarrantNotYetValid, WarrantExpired: the warrant is not valid at ``now``.
        WarrantQuorumMissing, WarrantUnknownSigner, WarrantBadApproval: it lacks k valid
            custodian approvals.
        WarrantMismatch: the request cites another warrant.
        InvalidQuorum: the request's quorum is not k of the epoch key's custodians.
        EnvelopeProofFailed: an envelope's proof fails for the label sent with it (its R
            was moved under another label), or R is off the curve.
        EnvelopeBadPoint: an envelope's R is not in the prime-order subgroup.
        ScopeError: a record's label fields fall outside the warrant's scope.
        EpochUnavailable: the store has no share for a record's epoch (shredded).
        CeremonyError: this store's identity is not the epoch key's custodian.
        InvalidLabel: the request has no records.
    """
    warrant.verify(directory, now=now)
    if request.warrant_id != warrant.warrant_id:
        raise WarrantMismatch("request cites another warrant")
    secrets: dict[int, _EpochSecret] = {}
    out: list[list[bytes]] = []
    index = 0
    for n, (env, label) in enumerate(progress(request.items, "shares")):
        epoch_key = directory.get_key(env.epoch)
        try:
            check_envelope_proof(env, epoch_key, label)
        except EnvelopeProofFailed as exc:
            raise EnvelopeProofFailed(f"record {n}: {exc.message}") from exc
        eid = env.envelope_id
        try:
            warrant.scope.check(label, eid)
        except ScopeError as exc:
            raise ScopeError(f"record {n}: {exc.message}") from exc
        secret = secrets.get(env.epoch)
        if secret is None:
            secret = secrets[env.epoch] = _epoch_secret(store, epoch_key, request.quorum)
        index = secret.index
        context = warrant.warrant_id + bytes.fromhex(eid)  # share_context, id computed once
        try:
            ds = prove(secret.w, secret.w_public, index, env, context, secret.tag, _rng=_rng)
        except EnvelopeBadPoint as exc:
            raise EnvelopeBadPoint(f"record {n}: {exc.message}") from exc
        out.append([bytes.fromhex(eid), ds.to_bytes()])
    if not out:
        raise InvalidLabel("an unsealing request needs at least one record")
    body = cbor.encode(
        {
            "v": BATCH_FORMAT,
            "type": "anshim-escrow-shares",
            "warrant_id": warrant.warrant_id,
            "custodian": store.did,
            "index": index,
            "quorum": list(request.quorum),
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
