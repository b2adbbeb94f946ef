"""Epoch keys and the signed epoch-key directory (DESIGN.md "Key ceremony").

An :class:`EpochKey` is the public half of one epoch's threshold key: Y, the verification
keys Y_1..Y_n (Y_i = x_i·G), the threshold k and the custodians' DIDs (index i is position
i − 1). Custodians are identified by Ed25519 ``did:key`` DIDs, so a directory can be
checked offline with no resolver.

Directory wire format (deterministic CBOR, :mod:`did.cbor`)::

    directory = {"body": bstr .cbor body, "signatures": [[custodian index, Ed25519 sig], ...]}
    body = {"v": 1, "type": "anshim-escrow-epoch-keys", "ceremony": bstr(16),
            "tz_offset": int, "threshold": k, "custodians": [did, ...],
            "epochs": [[epoch, Y, [Y_1, ..., Y_n]], ...]}        # sorted by epoch

Each custodian signs ``"anshim/escrow/directory/v1" ‖ 0x00 ‖ body`` after checking its
own share against Y_i (:mod:`escrow._ceremony`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from did import Ed25519PrivateKey, cbor, ed25519_public_key_from_did
from did.errors import DecodeError, InputError, InvalidSignature
from escrow._group import Point
from escrow._labels import _check_tz
from escrow.errors import CeremonyError, EpochUnavailable, InvalidPoint

__all__ = ["DIRECTORY_CONTEXT", "EpochKey", "EpochKeyDirectory"]

DIRECTORY_CONTEXT = b"anshim/escrow/directory/v1\x00"
_TYPE = "anshim-escrow-epoch-keys"
MAX_CUSTODIANS = 32
MAX_EPOCHS = 400
_MAX_DIRECTORY = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class EpochKey:
    """The public threshold key of one epoch.

    Raises:
        CeremonyError: if the threshold is not in [1, n], the key lists disagree in
            length, or custodians repeat.
    """

    epoch: int
    public_key: Point
    verification_keys: tuple[Point, ...]
    threshold: int
    custodians: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.custodians)
        if not 1 <= n <= MAX_CUSTODIANS or len(self.verification_keys) != n:
            raise CeremonyError("an epoch key needs 1..32 custodians, one key each")
        if isinstance(self.threshold, bool) or not 1 <= self.threshold <= n:
            raise CeremonyError("threshold must be between 1 and the number of custodians")
        if len(set(self.custodians)) != n:
            raise CeremonyError("custodian DIDs must be distinct")
        if not isinstance(self.public_key, Point) or not all(
            isinstance(p, Point) for p in self.verification_keys
        ):
            raise CeremonyError("epoch key points must be Point objects")

    @property
    def Y(self) -> Point:
        """The epoch's public key Y = x·G."""
        return self.public_key

    def custodian_index(self, did: str) -> int:
        """The 1-based index of a custodian. Raises :class:`InputError` if unknown."""
        try:
            return self.custodians.index(did) + 1
        except ValueError:
            raise InputError("not a custodian of this epoch key") from None


def _point(value: object) -> Point:
    if not isinstance(value, bytes):
        raise DecodeError("epoch-key directory: a point must be a byte string")
    try:
        return Point.from_bytes(value)
    except InvalidPoint as exc:
        raise DecodeError("epoch-key directory: invalid point") from exc


class EpochKeyDirectory(Mapping[int, EpochKey]):
    """The signed directory of epoch keys the registry publishes; a ``Mapping`` epoch → key.

    Construct with :meth:`from_bytes`; check with :meth:`verify` before use.
    """

    __slots__ = (
        "_body",
        "_ceremony",
        "_keys",
        "_signatures",
        "custodians",
        "threshold",
        "tz_offset",
    )

    def __init__(
        self,
        body: bytes,
        signatures: Sequence[tuple[int, bytes]],
    ) -> None:
        self._body = body
        self._signatures = tuple(signatures)
        parsed = _parse_body(body)
        self._ceremony: bytes = parsed["ceremony"]
        self.tz_offset: int = parsed["tz_offset"]
        self.threshold: int = parsed["threshold"]
        self.custodians: tuple[str, ...] = parsed["custodians"]
        self._keys: dict[int, EpochKey] = parsed["keys"]

    # -- construction -------------------------------------------------------------------
    @staticmethod
    def encode_body(
        *,
        ceremony: bytes,
        tz_offset: int,
        threshold: int,
        custodians: Sequence[str],
        keys: Sequence[EpochKey],
    ) -> bytes:
        """The canonical body bytes every custodian signs (module docstring)."""
        return cbor.encode(
            {
                "v": 1,
                "type": _TYPE,
                "ceremony": ceremony,
                "tz_offset": tz_offset,
                "threshold": threshold,
                "custodians": list(custodians),
                "epochs": [
                    [k.epoch, k.Y.to_bytes(), [p.to_bytes() for p in k.verification_keys]]
                    for k in sorted(keys, key=lambda k: k.epoch)
                ],
            }
        )

    @staticmethod
    def sign_body(body: bytes, key: Ed25519PrivateKey) -> bytes:
        """A custodian's signature over a directory body."""
        return key.sign(DIRECTORY_CONTEXT + body)

    @classmethod
    def from_bytes(cls, data: bytes) -> EpochKeyDirectory:
        """Strictly decode a directory (does not check signatures: call :meth:`verify`).

        Raises:
            DecodeError: on malformed CBOR, unknown fields, invalid points or bad values.
        """
        obj = cbor.decode(data, max_size=_MAX_DIRECTORY, max_depth=4)
        if not isinstance(obj, dict) or set(obj) != {"body", "signatures"}:
            raise DecodeError("epoch-key directory must be {body, signatures}")
        sigs = obj["signatures"]
        if not isinstance(obj["body"], bytes) or not isinstance(sigs, list):
            raise DecodeError("epoch-key directory: wrong field types")
        out: list[tuple[int, bytes]] = []
        for item in sigs:
            if (
                not isinstance(item, list)
                or len(item) != 2
                or type(item[0]) is not int
                or not isinstance(item[1], bytes)
            ):
                raise DecodeError("epoch-key directory: malformed signature entry")
            out.append((item[0], item[1]))
        return cls(obj["body"], out)

    def to_bytes(self) -> bytes:
        """The directory's canonical encoding."""
        return cbor.encode(
            {"body": self._body, "signatures": [[i, s] for i, s in self._signatures]}
        )

    @property
    def body(self) -> bytes:
        """The signed body bytes."""
        return self._body

    @property
    def ceremony_id(self) -> bytes:
        """The 16-byte id of the ceremony that made these keys."""
        return self._ceremony

    # -- verification -------------------------------------------------------------------
    def verify(
        self,
        *,
        trusted_custodians: Sequence[str] | None = None,
        min_signatures: int | None = None,
    ) -> None:
        """Check the custodians' signatures over the body.

        Every signature present must verify under the did:key of the custodian it names;
        at least ``min_signatures`` distinct custodians must have signed (default: all of
        them, since every custodian takes part in the ceremony). With
        ``trusted_custodians`` (pinned out of band), the directory's custodian list must be
        exactly that list.

        Raises:
            InvalidSignature: on a bad, duplicate or out-of-range signature, too few
                signatures, or custodians other than the pinned ones.
        """
        if trusted_custodians is not None and tuple(trusted_custodians) != self.custodians:
            raise InvalidSignature("directory custodians differ from the pinned custodians")
        needed = len(self.custodians) if min_signatures is None else min_signatures
        if needed < 1:
            raise InvalidSignature("min_signatures must be at least 1")
        seen: set[int] = set()
        for index, sig in self._signatures:
            if not 1 <= index <= len(self.custodians) or index in seen:
                raise InvalidSignature("directory signature names no custodian or repeats")
            seen.add(index)
            try:
                pub = ed25519_public_key_from_did(self.custodians[index - 1])
            except InputError as exc:
                raise InvalidSignature("custodian DID is not an Ed25519 did:key") from exc
            pub.verify(sig, DIRECTORY_CONTEXT + self._body)
        if len(seen) < needed:
            raise InvalidSignature(f"directory has {len(seen)} signatures, {needed} needed")

    # -- Mapping --------------------------------------------------------------------------
    def get_key(self, epoch: int) -> EpochKey:
        """The key of ``epoch``. Raises :class:`EpochUnavailable` if the directory lacks it."""
        try:
            return self._keys[epoch]
        except (KeyError, TypeError):
            raise EpochUnavailable("no epoch key for that epoch") from None

    def __getitem__(self, epoch: int) -> EpochKey:
        return self._keys[epoch]

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._keys))

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        span = f"{min(self._keys)}..{max(self._keys)}" if self._keys else "empty"
        return f"EpochKeyDirectory(epochs={span}, {self.threshold}-of-{len(self.custodians)})"


def _parse_body(body: bytes) -> dict[str, Any]:
    obj = cbor.decode(body, max_size=_MAX_DIRECTORY, max_depth=5)
    fields = {"v", "type", "ceremony", "tz_offset", "threshold", "custodians", "epochs"}
    if not isinstance(obj, dict) or set(obj) != fields:
        raise DecodeError("epoch-key directory body has missing or unknown fields")
    if obj["v"] != 1 or type(obj["v"]) is not int or obj["type"] != _TYPE:
        raise DecodeError("not an anshim epoch-key directory of a supported version")
    ceremony = obj["ceremony"]
    if not isinstance(ceremony, bytes) or len(ceremony) != 16:
        raise DecodeError("ceremony id must be 16 bytes")
    try:
        tz = _check_tz(obj["tz_offset"])
    except InputError as exc:
        raise DecodeError("tz_offset out of range") from exc
    custodians = obj["custodians"]
    if not isinstance(custodians, list) or not all(isinstance(c, str) for c in custodians):
        raise DecodeError("custodians must be a list of DIDs")
    threshold = obj["threshold"]
    if type(threshold) is not int:
        raise DecodeError("threshold must be an int")
    epochs = obj["epochs"]
    if not isinstance(epochs, list) or len(epochs) > MAX_EPOCHS:
        raise DecodeError(f"epochs must be a list of at most {MAX_EPOCHS}")
    keys: dict[int, EpochKey] = {}
    last = -1
    for entry in epochs:
        if not isinstance(entry, list) or len(entry) != 3 or type(entry[0]) is not int:
            raise DecodeError("malformed epoch entry")
        epoch, y, vks = entry
        if epoch <= last or not isinstance(vks, list):
            raise DecodeError("epochs must be strictly increasing")
        last = epoch
        try:
            keys[epoch] = EpochKey(
                epoch, _point(y), tuple(_point(p) for p in vks), threshold, tuple(custodians)
            )
        except CeremonyError as exc:
            raise DecodeError(f"epoch-key directory: {exc.message}") from exc
    return {
        "ceremony": ceremony,
        "tz_offset": tz,
        "threshold": threshold,
        "custodians": tuple(custodians),
        "keys": keys,
    }
