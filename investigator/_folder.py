"""The case folder (DESIGN.md "Investigation": the case record, every query, warrant, share
batch and result, and a log of each step, so an investigation can be resumed, reviewed and
handed over).

Layout::

    case.json              the case record (:class:`CaseRecord`)
    case.key               the folder's data key, sealed with the investigator's passphrase
                           (:func:`did.encrypt_secret`: Argon2id + XChaCha20-Poly1305)
    log.jsonl              the step log: one JSON object per line, hash-chained
    directory.cbor         the epoch-key directory the case was opened with
    queries/NNNN.json      every registry query and its answer
    visits.json            the case's own stays; disclosure.cbor, interview.json beside it
    hops/N/…               per hop: the people searched, their stays, the contacts found
    warrants/NAME/…        draft.warrant, items.json, request.cbor, approved.warrant,
                           batches/I.cbor, result.enc (secret)

Every file is written whole with :func:`did.atomic_write` (a temporary file, fsync,
rename), so a crash leaves either the old file or the new one; the log is appended with
one ``write`` and fsync per entry, and a torn last line (a crash mid-append) is dropped
when the log is next read or appended to. Files whose content is personal data (unsealed
identities and trace seeds) are sealed with the folder's data key under XChaCha20-Poly1305
with the file's name as associated data, so a sealed file cannot be moved to another name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nacl.bindings as sodium
import nacl.exceptions
import nacl.utils

from did import KDF_MODERATE, KdfParams, atomic_write, encrypt_secret, open_secret, require_did
from did.errors import AnshimError, KeyFileError
from investigator.errors import (
    CaseCorrupted,
    CaseExists,
    CaseInputError,
    CaseLocked,
    CaseNotFound,
)

__all__ = ["CaseFolder", "CaseRecord", "LogEntry"]

_KEY_KIND = "anshim-case-key"
_SEALED_MAGIC = b"ANSHIM-CASE-SEALED-1\x00"
_AD_PREFIX = b"anshim/investigator/sealed-file/v1\x00"
_NONCE = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
_MAX_FILE = 256 * 1024 * 1024
_MAX_TEXT = 512
_LOG = "log.jsonl"
#: A case id as the registry accepts it in every query: 1 to 64 of ``[A-Za-z0-9._:-]``.
CASE_ID_PATTERN = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,63}\Z")


def _text(value: object, what: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty) or len(value) > _MAX_TEXT:
        raise CaseInputError(f"{what} must be text of at most {_MAX_TEXT} characters")
    if not value.isprintable():
        raise CaseInputError(f"{what} must be printable")
    return value


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise CaseInputError(f"{what} must be a non-negative int")
    return value


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case as the health authority opens it (DESIGN.md "Investigation" step 1).

    ``window_start``/``window_end`` are the infectious window (Unix seconds), ``onset`` the
    symptom onset or positive test, ``authority`` the DID diary disclosures are addressed
    to, ``registry`` the registry's URL. ``min_overlap`` (s, default 10 minutes) and
    ``extra_margin`` (s, widening every stay further than the venue class's margin) tune
    the contacts query; ``trusted_issuers`` are the identity issuers' DIDs whose
    signatures an unsealed identity must carry; ``hop_limit`` bounds next hops.

    Raises (on construction):
        CaseInputError: a field of the wrong type, a window that ends before it starts or
            is longer than 60 days, or an investigator that is not a DID.
    """

    case_id: str
    investigator: str
    authority: str
    window_start: int
    window_end: int
    onset: int
    registry: str = ""
    created: int = 0
    purpose: str = "contact tracing"
    min_overlap: int = 600
    extra_margin: int = 0
    hop_limit: int = 2
    trusted_issuers: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not isinstance(self.case_id, str) or not CASE_ID_PATTERN.match(self.case_id):
            raise CaseInputError("case_id must be 1 to 64 of A-Z a-z 0-9 . _ : -")
        _text(self.purpose, "purpose")
        _text(self.registry, "registry", empty=True)
        for name in ("investigator", "authority"):
            try:
                require_did(getattr(self, name))
            except AnshimError as exc:
                raise CaseInputError(f"{name} must be a DID: {exc.message}") from exc
        for name in ("window_start", "window_end", "onset", "created"):
            _int(getattr(self, name), name)
        if not self.window_start < self.window_end <= self.window_start + 60 * 86400:
            raise CaseInputError("the window must be non-empty and at most 60 days")
        if not 0 <= _int(self.min_overlap, "min_overlap") <= 86400:
            raise CaseInputError("min_overlap must be within a day")
        if not 0 <= _int(self.extra_margin, "extra_margin") <= 6 * 3600:
            raise CaseInputError("extra_margin must be at most 6 hours")
        if not 0 <= _int(self.hop_limit, "hop_limit") <= 8:
            raise CaseInputError("hop_limit must be 0 to 8")
        if not isinstance(self.trusted_issuers, tuple):
            raise CaseInputError("trusted_issuers must be a tuple of DIDs")
        for issuer in self.trusted_issuers:
            try:
                require_did(issuer)
            except AnshimError as exc:
                raise CaseInputError(f"trusted issuer refused: {exc.message}") from exc

    def to_json(self) -> dict[str, Any]:
        """The JSON form of ``case.json``."""
        return {
            "case_id": self.case_id,
            "investigator": self.investigator,
            "authority": self.authority,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "onset": self.onset,
            "registry": self.registry,
            "created": self.created,
            "purpose": self.purpose,
            "min_overlap": self.min_overlap,
            "extra_margin": self.extra_margin,
            "hop_limit": self.hop_limit,
            "trusted_issuers": list(self.trusted_issuers),
        }

    @classmethod
    def from_json(cls, obj: object) -> CaseRecord:
        """Read ``case.json``. Raises :class:`CaseInputError` on a malformed record."""
        if not isinstance(obj, dict):
            raise CaseInputError("a case record is a JSON object")
        known = set(cls.__dataclass_fields__)
        if not set(obj) <= known:
            raise CaseInputError(f"unknown case fields: {sorted(set(obj) - known)}")
        args = dict(obj)
        args["trusted_issuers"] = tuple(args.get("trusted_issuers", ()))
        try:
            return cls(**args)
        except TypeError as exc:
            raise CaseInputError(f"malformed case record: {exc}") from exc


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One step of the case log: its number, time, who took it, the step and what it did."""

    seq: int
    at: int
    who: str
    step: str
    what: dict[str, Any]


def _entry_hash(line: bytes) -> str:
    return hashlib.sha256(b"anshim/investigator/log/v1\x00" + line).hexdigest()


class CaseFolder:
    """A case folder on disk: files, sealed files and the step log (module docstring).

    Use :meth:`create` for a new case and :meth:`load` for an existing one. Sealed files
    need the folder unlocked (a passphrase given to either).
    """

    def __init__(self, path: Path, record: CaseRecord, key: bytes | None) -> None:
        self.path = path
        self.record = record
        self._key = key

    # -- opening ------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        record: CaseRecord,
        passphrase: str,
        *,
        who: str,
        now: int,
        kdf: KdfParams = KDF_MODERATE,
    ) -> CaseFolder:
        """Make a new case folder with a fresh data key sealed under ``passphrase``.

        Raises:
            CaseExists: ``path`` already holds a case record.
            KeyFileError: an empty passphrase.
            OSError: the folder cannot be written.
        """
        root = Path(path)
        if (root / "case.json").exists():
            raise CaseExists(f"{root} already holds a case")
        root.mkdir(parents=True, exist_ok=True)
        key = nacl.utils.random(32)
        blob = encrypt_secret(key, passphrase, kind=_KEY_KIND, kdf=kdf)
        atomic_write(root / "case.key", blob)
        folder = cls(root, record, key)
        # The case record is written last: until it exists the folder is not a case, and
        # a crash before it lets ``create`` run again.
        folder.write_json("case.json", record.to_json())
        folder.log("open", {"case_id": record.case_id}, who=who, now=now)
        return folder

    @classmethod
    def load(cls, path: str | os.PathLike[str], passphrase: str | None = None) -> CaseFolder:
        """Open an existing case folder; with ``passphrase``, unlocked for sealed files.

        Raises:
            CaseNotFound: no case record at ``path``.
            CaseCorrupted: the case record does not parse.
            CaseLocked: the passphrase does not open the data key.
        """
        root = Path(path)
        if not (root / "case.json").is_file():
            raise CaseNotFound(f"no case folder at {root}")
        folder = cls(root, CaseRecord.from_json(_load_json(root / "case.json")), None)
        if passphrase is not None:
            folder.unlock(passphrase)
        return folder

    def unlock(self, passphrase: str) -> None:
        """Open the folder's data key.

        Raises:
            CaseLocked: a wrong passphrase or a tampered key file.
        """
        try:
            key, _ = open_secret(self.read_bytes("case.key"), passphrase, kind=_KEY_KIND)
        except (KeyFileError, FileNotFoundError) as exc:
            raise CaseLocked("the passphrase does not open this case's secrets") from exc
        self._key = key

    @property
    def unlocked(self) -> bool:
        """Whether sealed files can be read and written."""
        return self._key is not None

    # -- files --------------------------------------------------------------------------
    def file(self, name: str) -> Path:
        """The path of a file of the folder (``name`` relative, without ``..``).

        Raises:
            CaseInputError: an absolute name or one that leaves the folder.
        """
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise CaseInputError(f"not a case file name: {name!r}")
        return self.path / rel

    def exists(self, name: str) -> bool:
        """Whether the folder holds ``name``."""
        return self.file(name).exists()

    def write_bytes(self, name: str, data: bytes) -> Path:
        """Write a file atomically (creating its folder). Returns its path."""
        target = self.file(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data)
        return target

    def read_bytes(self, name: str) -> bytes:
        """Read a file. Raises FileNotFoundError or :class:`CaseCorrupted` (too large)."""
        with open(self.file(name), "rb") as fh:
            data = fh.read(_MAX_FILE + 1)
        if len(data) > _MAX_FILE:
            raise CaseCorrupted(f"{name} is too large")
        return data

    def write_json(self, name: str, obj: Any) -> Path:
        """Write a JSON file atomically (UTF-8, sorted keys)."""
        text = json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False)
        return self.write_bytes(name, (text + "\n").encode("utf-8"))

    def read_json(self, name: str) -> Any:
        """Read a JSON file. Raises FileNotFoundError or :class:`CaseCorrupted`."""
        return _load_json(self.file(name))

    def listdir(self, name: str) -> list[str]:
        """The names (relative to the folder) in a sub-folder, sorted; none if absent."""
        folder = self.file(name)
        if not folder.is_dir():
            return []
        return sorted(f"{name}/{p.name}" for p in folder.iterdir() if not p.name.startswith("."))

    def _aead_key(self) -> bytes:
        if self._key is None:
            raise CaseLocked("the case is locked: give the passphrase to read its secrets")
        return self._key

    def write_secret(self, name: str, data: bytes) -> Path:
        """Seal ``data`` with the folder's data key and write it atomically.

        Raises:
            CaseLocked: the folder is not unlocked.
        """
        nonce = nacl.utils.random(_NONCE)
        sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
            data, _AD_PREFIX + name.encode("utf-8"), nonce, self._aead_key()
        )
        return self.write_bytes(name, _SEALED_MAGIC + nonce + sealed)

    def read_secret(self, name: str) -> bytes:
        """Read and open a sealed file.

        Raises:
            CaseLocked: the folder is not unlocked.
            CaseCorrupted: the file is not a sealed file, or was altered or moved.
            FileNotFoundError: no such file.
        """
        blob = self.read_bytes(name)
        if not blob.startswith(_SEALED_MAGIC) or len(blob) < len(_SEALED_MAGIC) + _NONCE + 16:
            raise CaseCorrupted(f"{name} is not a sealed case file")
        body = blob[len(_SEALED_MAGIC) :]
        try:
            return bytes(
                sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
                    body[_NONCE:],
                    _AD_PREFIX + name.encode("utf-8"),
                    body[:_NONCE],
                    self._aead_key(),
                )
            )
        except nacl.exceptions.CryptoError as exc:
            raise CaseCorrupted(f"{name} was altered or belongs to another case") from exc

    # -- the step log -------------------------------------------------------------------
    def _log_lines(self) -> list[bytes]:
        path = self.file(_LOG)
        if not path.exists():
            return []
        data = path.read_bytes()
        lines = data.split(b"\n")
        # The last element is what follows the final newline: empty unless a crash tore
        # the last append, in which case it is dropped (module docstring).
        return [line for line in lines[:-1] if line]

    def entries(self) -> list[LogEntry]:
        """The step log, checked: sequence numbers in order and the hash chain intact.

        Raises:
            CaseCorrupted: a line that does not parse, a gap, or a broken chain.
        """
        out: list[LogEntry] = []
        prev = ""
        for n, line in enumerate(self._log_lines()):
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise CaseCorrupted(f"log line {n + 1} does not parse") from exc
            if not isinstance(obj, dict) or obj.get("seq") != n or obj.get("prev") != prev:
                raise CaseCorrupted(f"log line {n + 1} breaks the log's chain")
            out.append(LogEntry(n, obj["at"], obj["who"], obj["step"], obj["what"]))
            prev = _entry_hash(line)
        return out

    def log(self, step: str, what: dict[str, Any], *, who: str, now: int) -> LogEntry:
        """Append one step to the log (fsynced before returning).

        Raises:
            CaseCorrupted: the existing log is damaged.
        """
        lines = self._log_lines()
        self.entries()  # refuses to extend a damaged log
        prev = _entry_hash(lines[-1]) if lines else ""
        entry = {"seq": len(lines), "at": now, "who": who, "step": step, "what": what, "prev": prev}
        line = json.dumps(entry, sort_keys=True, ensure_ascii=False).encode("utf-8")
        path = self.file(_LOG)
        if path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            # A torn last line from a crash: rewrite the log without it, then append.
            atomic_write(path, b"".join(x + b"\n" for x in lines))
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        return LogEntry(len(lines), now, who, step, what)


def _load_json(path: Path) -> Any:
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_FILE + 1)
    except FileNotFoundError:
        raise
    if len(data) > _MAX_FILE:
        raise CaseCorrupted(f"{path.name} is too large")
    try:
        return json.loads(data)
    except ValueError as exc:
        raise CaseCorrupted(f"{path.name} is not JSON") from exc
