"""The public surface of escrow: exported names, error tree, no heavy imports for wallets."""

from __future__ import annotations

import subprocess
import sys

import escrow
import escrow.errors as errors
from did.errors import InputError, KeyFileError, VerificationError


def test_all_is_sorted_and_complete() -> None:
    # isort-style order, as ruff's RUF022 keeps it: CONSTANTS, Classes, functions.
    def rank(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert list(escrow.__all__) == sorted(escrow.__all__, key=rank)
    for name in escrow.__all__:
        assert hasattr(escrow, name)
    public = {n for n in vars(escrow) if not n.startswith("_")}
    modules = {"errors", "group", "ceremony"}
    assert public - modules - {"annotations"} == set(escrow.__all__)


def test_error_tree() -> None:
    inputs = [
        errors.InvalidPoint,
        errors.InvalidScalar,
        errors.InvalidLabel,
        errors.EnvelopeError,
        errors.CeremonyError,
        errors.StoreError,
        errors.EpochUnavailable,
    ]
    checks = [
        errors.ProofError,
        errors.DecryptionFailed,
        errors.DealerMisbehaved,
        errors.BadShare,
        errors.NotEnoughShares,
        errors.WarrantError,
        errors.ScopeError,
        errors.AuditLogError,
    ]
    for cls in inputs:
        assert issubclass(cls, InputError)
        assert issubclass(cls, ValueError)
    for cls in checks:
        assert issubclass(cls, VerificationError)
    assert issubclass(errors.StoreError, KeyFileError)
    codes = [c.code for c in inputs + checks]
    assert len(set(codes)) == len(codes)


def test_sealing_half_imports_nothing_heavy() -> None:
    code = (
        "import sys, escrow\n"
        "names = ('tqdm', 'escrow._cli', 'multiprocessing', 'concurrent',"
        " 'concurrent.futures', 'concurrent.futures.process',"
        " 'fastapi', 'httpx', 'sqlite3')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
