"""The key ceremony: joint-Feldman DKG, offline and file-based (DESIGN.md "Key ceremony").

Three steps, each run by every custodian on its own machine; only files travel:

1. ``deal``: for every epoch of the batch the custodian (as dealer i) picks a random
   polynomial f_i of degree k − 1, publishes Feldman commitments C_{i,t} = a_{i,t}·G and
   seals f_i(m) for each custodian m into an X25519 sealed box (the key is derived from m's
   Ed25519 did:key). The whole deal file is signed by i's Ed25519 identity key.
2. ``finalize``: custodian m checks every dealer's signature, opens its boxes, checks each
   share against the dealer's commitments (a failure raises :class:`DealerMisbehaved`
   naming the dealer), adds the shares of the qualified dealers into x_m = Σ_i f_i(m), stores
   x_m encrypted, computes Y = Σ_i C_{i,0} and Y_j = Σ_i Σ_t j^t C_{i,t}, checks
   x_m·G = Y_m, and signs the directory body.
3. ``publish``: anyone combines the n identical bodies and their signatures into the
   :class:`~escrow.EpochKeyDirectory`.

No process ever holds an epoch's whole secret x = Σ_i f_i(0): a dealer knows only its own
polynomial, a custodian only the sum of the values dealt to it. A dealer named as a cheater
can be excluded by every custodian re-running ``finalize`` with the same ``exclude`` set
(joint Feldman's QUAL); at least k dealers must remain.

File formats (deterministic CBOR): roster ``{"v", "type", "ceremony", "custodians",
"threshold", "first_epoch", "epochs", "tz_offset"}``; deal ``{"body": bstr, "sig": bstr}``
with body ``{"v", "type", "roster": sha256(roster), "dealer", "commitments": [[C_0..C_{k-1}]
per epoch], "boxes": [sealed box per custodian]}`` and box plaintext ``{"roster", "dealer",
"recipient", "shares": [f_i(m) per epoch]}``; signature file ``{"body": directory body,
"index", "sig"}``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import nacl.exceptions
import nacl.public
import nacl.utils

from did import Ed25519PrivateKey, cbor, ed25519_public_key_from_did
from did.errors import DecodeError, InputError, InvalidSignature, VerificationError
from escrow._epochkeys import MAX_CUSTODIANS, MAX_EPOCHS, EpochKey, EpochKeyDirectory
from escrow._group import (
    Point,
    RandomBytes,
    Scalar,
    commitment_eval,
    feldman_verify,
    poly_commit,
    poly_eval,
    random_scalar,
)
from escrow._labels import _check_tz
from escrow._store import EpochShare, ShareStore
from escrow.errors import CeremonyError, DealerMisbehaved, InvalidPoint, InvalidScalar

__all__ = ["Roster", "deal", "finalize", "publish"]

T = TypeVar("T")
Progress = Callable[[Iterable[Any], str], Iterable[Any]]
DEAL_CONTEXT = b"anshim/escrow/deal/v1\x00"
_MAX_FILE = 8 * 1024 * 1024


def _no_progress(items: Iterable[T], _desc: str) -> Iterable[T]:
    return items


@dataclass(frozen=True, slots=True)
class Roster:
    """Who takes part and what is made: custodians (Ed25519 did:key), k, epochs, time zone.

    Raises:
        CeremonyError: on fewer than 2 or more than 32 custodians, DIDs that are not
            Ed25519 did:keys or repeat, k outside [2, n], or more than 400 epochs.
    """

    ceremony: bytes
    custodians: tuple[str, ...]
    threshold: int
    first_epoch: int
    epochs: int
    tz_offset: int = 0

    def __post_init__(self) -> None:
        n = len(self.custodians)
        if not 2 <= n <= MAX_CUSTODIANS or len(set(self.custodians)) != n:
            raise CeremonyError("a ceremony needs 2..32 distinct custodians")
        for did in self.custodians:
            try:
                ed25519_public_key_from_did(did)
            except InputError as exc:
                raise CeremonyError("every custodian must be an Ed25519 did:key") from exc
        if type(self.threshold) is not int or not 2 <= self.threshold <= n:
            raise CeremonyError("threshold must be between 2 and the number of custodians")
        if type(self.epochs) is not int or not 1 <= self.epochs <= MAX_EPOCHS:
            raise CeremonyError(f"a ceremony makes 1..{MAX_EPOCHS} epochs")
        if type(self.first_epoch) is not int or not 0 <= self.first_epoch < 2**32 - MAX_EPOCHS:
            raise CeremonyError("first_epoch out of range")
        if not isinstance(self.ceremony, bytes) or len(self.ceremony) != 16:
            raise CeremonyError("ceremony id must be 16 bytes")
        try:
            _check_tz(self.tz_offset)
        except InputError as exc:
            raise CeremonyError("tz_offset out of range") from exc

    @classmethod
    def new(
        cls,
        custodians: Sequence[str],
        threshold: int,
        *,
        first_epoch: int,
        epochs: int = 35,
        tz_offset: int = 0,
    ) -> Roster:
        """A roster with a fresh random ceremony id (35 epochs by default)."""
        return cls(
            nacl.utils.random(16), tuple(custodians), threshold, first_epoch, epochs, tz_offset
        )

    def epoch_list(self) -> range:
        """The epochs this ceremony makes."""
        return range(self.first_epoch, self.first_epoch + self.epochs)

    def to_bytes(self) -> bytes:
        """Canonical CBOR encoding (module docstring)."""
        return cbor.encode(
            {
                "v": 1,
                "type": "anshim-escrow-roster",
                "ceremony": self.ceremony,
                "custodians": list(self.custodians),
                "threshold": self.threshold,
                "first_epoch": self.first_epoch,
                "epochs": self.epochs,
                "tz_offset": self.tz_offset,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Roster:
        """Strictly decode a roster. Raises :class:`CeremonyError` or :class:`DecodeError`."""
        obj = cbor.decode(data, max_size=65536, max_depth=3)
        keys = {
            "v",
            "type",
            "ceremony",
            "custodians",
            "threshold",
            "first_epoch",
            "epochs",
            "tz_offset",
        }
        if not isinstance(obj, dict) or set(obj) != keys or obj["type"] != "anshim-escrow-roster":
            raise DecodeError("not an anshim ceremony roster")
        if obj["v"] != 1 or not isinstance(obj["custodians"], list):
            raise DecodeError("unsupported roster version")
        return cls(
            obj["ceremony"], tuple(obj["custodians"]), obj["threshold"],
            obj["first_epoch"], obj["epochs"], obj["tz_offset"],
        )  # fmt: skip

    @property
    def digest(self) -> bytes:
        """SHA-256 of the roster: every ceremony message is bound to it."""
        return hashlib.sha256(self.to_bytes()).digest()

    def index_of(self, did: str) -> int:
        """1-based index of a custodian. Raises :class:`CeremonyError` if not listed."""
        if did not in self.custodians:
            raise CeremonyError("this identity is not a custodian of the roster")
        return self.custodians.index(did) + 1


def deal(
    roster: Roster,
    key: Ed25519PrivateKey,
    *,
    progress: Progress = _no_progress,
    _rng: RandomBytes | None = None,
) -> bytes:
    """Step 1: the signed deal file of the custodian holding ``key``.

    ``_rng`` exists for the known-answer tests only; never pass it.

    Raises:
        CeremonyError: if ``key`` is not a custodian of the roster.
    """
    dealer = roster.index_of("did:key:" + key.public_key.to_multikey())
    polys = [
        [random_scalar(_rng=_rng) for _ in range(roster.threshold)]
        for _ in progress(roster.epoch_list(), "dealing")
    ]
    n = len(roster.custodians)
    shares = [[poly_eval(p, m) for p in polys] for m in range(1, n + 1)]
    return _build_deal(roster, key, dealer, [poly_commit(p) for p in polys], shares)


def _build_deal(
    roster: Roster,
    key: Ed25519PrivateKey,
    dealer: int,
    commitments: Sequence[Sequence[Point]],
    shares: Sequence[Sequence[Scalar]],
) -> bytes:
    """Encrypt, seal and sign a deal from explicit commitments and shares (per recipient,
    per epoch). :func:`deal` uses it; tests in tests/escrow use it to play a cheating
    dealer (private: no caller outside escrow chooses its own polynomial)."""
    boxes = []
    for m, did in enumerate(roster.custodians, start=1):
        x_pub = ed25519_public_key_from_did(did).to_x25519()
        plain = cbor.encode(
            {
                "roster": roster.digest,
                "dealer": dealer,
                "recipient": m,
                "shares": [s.to_bytes() for s in shares[m - 1]],
            }
        )
        boxes.append(nacl.public.SealedBox(nacl.public.PublicKey(x_pub.to_bytes())).encrypt(plain))
    body = cbor.encode(
        {
            "v": 1,
            "type": "anshim-escrow-deal",
            "roster": roster.digest,
            "dealer": dealer,
            "commitments": [[c.to_bytes() for c in cs] for cs in commitments],
            "boxes": boxes,
        }
    )
    return cbor.encode({"body": body, "sig": key.sign(DEAL_CONTEXT + body)})


@dataclass(frozen=True, slots=True)
class _Deal:
    dealer: int
    commitments: tuple[tuple[Point, ...], ...]
    box: bytes


def _parse_deal(roster: Roster, data: bytes, recipient: int) -> _Deal:
    obj = cbor.decode(data, max_size=_MAX_FILE, max_depth=2)
    if not isinstance(obj, dict) or set(obj) != {"body", "sig"}:
        raise CeremonyError("deal file must be {body, sig}")
    body = obj["body"]
    if not isinstance(body, bytes) or not isinstance(obj["sig"], bytes):
        raise CeremonyError("deal file: wrong field types")
    b = cbor.decode(body, max_size=_MAX_FILE, max_depth=4)
    keys = {"v", "type", "roster", "dealer", "commitments", "boxes"}
    if (
        not isinstance(b, dict)
        or set(b) != keys
        or b["type"] != "anshim-escrow-deal"
        or b["v"] != 1
    ):
        raise CeremonyError("not an anshim deal file")
    if b["roster"] != roster.digest:
        raise CeremonyError("deal file belongs to another roster")
    dealer = b["dealer"]
    n = len(roster.custodians)
    if type(dealer) is not int or not 1 <= dealer <= n:
        raise CeremonyError("deal file names no dealer of the roster")
    did = roster.custodians[dealer - 1]
    try:
        ed25519_public_key_from_did(did).verify(obj["sig"], DEAL_CONTEXT + body)
    except InvalidSignature as exc:
        # Unsigned data cannot be blamed on the dealer: someone else may have altered it.
        raise CeremonyError(f"deal file of dealer {dealer} has a bad signature") from exc
    # From here the content is signed by the dealer: anything wrong is the dealer's fault.
    comms, boxes = b["commitments"], b["boxes"]
    try:
        if not isinstance(comms, list) or len(comms) != roster.epochs:
            raise CeremonyError("wrong number of epochs")
        parsed = []
        for cs in comms:
            if not isinstance(cs, list) or len(cs) != roster.threshold:
                raise CeremonyError("wrong number of commitments")
            parsed.append(tuple(Point.from_bytes(c) for c in cs))
        if (
            not isinstance(boxes, list)
            or len(boxes) != n
            or not isinstance(boxes[recipient - 1], bytes)
        ):
            raise CeremonyError("wrong number of boxes")
    except (CeremonyError, InvalidPoint) as exc:
        raise DealerMisbehaved(
            f"dealer {dealer} published malformed commitments", dealer=dealer, dealer_did=did
        ) from exc
    return _Deal(dealer, tuple(parsed), boxes[recipient - 1])


def _open_box(roster: Roster, d: _Deal, key: Ed25519PrivateKey, recipient: int) -> list[Scalar]:
    did = roster.custodians[d.dealer - 1]
    sk = key.to_x25519().nacl_private_key()
    try:
        plain = nacl.public.SealedBox(sk).decrypt(d.box)
        obj = cbor.decode(plain, max_size=65536, max_depth=2)
        if not isinstance(obj, dict) or set(obj) != {"roster", "dealer", "recipient", "shares"}:
            raise DecodeError("malformed box")
        if (obj["roster"], obj["dealer"], obj["recipient"]) != (roster.digest, d.dealer, recipient):
            raise DecodeError("box addressed elsewhere")
        shares = obj["shares"]
        if not isinstance(shares, list) or len(shares) != roster.epochs:
            raise DecodeError("wrong number of shares")
        return [Scalar.from_bytes(s) for s in shares]
    except (nacl.exceptions.CryptoError, DecodeError, InvalidScalar) as exc:
        raise DealerMisbehaved(
            f"dealer {d.dealer} sent an unreadable share", dealer=d.dealer, dealer_did=did
        ) from exc


def finalize(
    roster: Roster,
    deals: Sequence[bytes],
    store: ShareStore,
    passphrase: str | bytes,
    *,
    exclude: Iterable[int] = (),
    progress: Progress = _no_progress,
) -> bytes:
    """Step 2 for the custodian owning ``store``: check, combine, store, sign.

    Returns the signature file (directory body + this custodian's signature). The store
    gains one share per epoch.

    Raises:
        DealerMisbehaved: naming the dealer whose share fails its Feldman check, whose box
            does not open, or whose commitments are malformed.
        CeremonyError: on missing, repeated or foreign deal files, bad deal signatures, too
            few qualified dealers, or a store that already holds one of these epochs.
    """
    me = roster.index_of(store.did)
    excluded = set(exclude)
    parsed: dict[int, _Deal] = {}
    for data in deals:
        d = _parse_deal(roster, data, me)
        if d.dealer in parsed:
            raise CeremonyError(f"two deal files from dealer {d.dealer}")
        parsed[d.dealer] = d
    qual = sorted(i for i in range(1, len(roster.custodians) + 1) if i not in excluded)
    missing = [i for i in qual if i not in parsed]
    if missing:
        raise CeremonyError(f"missing deal files from dealers {missing}")
    if len(qual) < roster.threshold:
        raise CeremonyError("fewer than k qualified dealers remain")
    opened = {i: _open_box(roster, parsed[i], store.key, me) for i in qual}
    keys: list[EpochKey] = []
    mine: list[EpochShare] = []
    n = len(roster.custodians)
    for e_idx, epoch in enumerate(progress(roster.epoch_list(), "checking shares")):
        x = Scalar(bytes(32))
        agg: list[Point] | None = None
        for i in qual:
            comm = parsed[i].commitments[e_idx]
            s = opened[i][e_idx]
            try:
                feldman_verify(s, me, comm)
            except VerificationError as exc:
                raise DealerMisbehaved(
                    f"dealer {i} dealt a share that fails its Feldman check (epoch {epoch})",
                    dealer=i,
                    dealer_did=roster.custodians[i - 1],
                ) from exc
            x = x + s
            agg = list(comm) if agg is None else [a + c for a, c in zip(agg, comm, strict=True)]
        if agg is None or x.is_zero():
            raise CeremonyError("no qualified dealers")
        vks = tuple(commitment_eval(agg, j) for j in range(1, n + 1))
        if Point.base_mul(x) != vks[me - 1]:
            raise CeremonyError("own share does not match the joint commitments")
        keys.append(EpochKey(epoch, agg[0], vks, roster.threshold, roster.custodians))
        mine.append(EpochShare(epoch, me, roster.ceremony, x))
    body = EpochKeyDirectory.encode_body(
        ceremony=roster.ceremony,
        tz_offset=roster.tz_offset,
        threshold=roster.threshold,
        custodians=roster.custodians,
        keys=keys,
    )
    store.add_shares(mine, passphrase)
    sig = EpochKeyDirectory.sign_body(body, store.key)
    return cbor.encode({"body": body, "index": me, "sig": sig})


def publish(roster: Roster, signature_files: Sequence[bytes]) -> EpochKeyDirectory:
    """Step 3: combine every custodian's signature file into the signed directory.

    Raises:
        CeremonyError: if the files disagree on the body (custodians saw different deals
            or exclusions), repeat a custodian, or are not from every custodian.
        InvalidSignature: if a signature does not verify.
    """
    body: bytes | None = None
    sigs: dict[int, bytes] = {}
    for data in signature_files:
        obj = cbor.decode(data, max_size=_MAX_FILE, max_depth=2)
        if not isinstance(obj, dict) or set(obj) != {"body", "index", "sig"}:
            raise CeremonyError("not a ceremony signature file")
        if not isinstance(obj["body"], bytes) or not isinstance(obj["sig"], bytes):
            raise CeremonyError("ceremony signature file: wrong field types")
        if body is not None and obj["body"] != body:
            raise CeremonyError("custodians computed different directories")
        body = obj["body"]
        index = obj["index"]
        if type(index) is not int or index in sigs:
            raise CeremonyError("repeated or malformed custodian index")
        sigs[index] = obj["sig"]
    if body is None:
        raise CeremonyError("no signature files")
    directory = EpochKeyDirectory(body, sorted(sigs.items()))
    if directory.ceremony_id != roster.ceremony or directory.custodians != roster.custodians:
        raise CeremonyError("directory does not belong to this roster")
    directory.verify(trusted_custodians=roster.custodians)
    return directory
