"""The public surface of escrow: exported names, error tree, no heavy imports for wallets."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import did.errors as did_errors
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
    assert public - {"errors", "annotations"} == set(escrow.__all__)
    # The ceremony and group layers are private modules; their names live in escrow itself,
    # and the cheating-dealer helper stays private (tests reach it in escrow._ceremony).
    assert not hasattr(escrow, "build_deal")
    for gone in ("group", "ceremony", "epoch_for", "epoch_start"):
        assert gone not in public


def test_error_tree() -> None:
    inputs = [
        errors.InvalidPoint,
        errors.InvalidScalar,
        errors.InvalidLabel,
        errors.InvalidQuorum,
        errors.MalformedEnvelope,
        errors.CeremonyError,
        errors.StoreError,
        errors.EpochUnavailable,
    ]
    checks = [
        errors.EnvelopeProofFailed,
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
    every = [getattr(errors, n) for n in errors.__all__]
    codes = [c.code for c in every]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", c) for c in codes)
    # Codes belong to classes: no escrow module sets one per instance.
    for path in Path(escrow.__file__).parent.glob("*.py"):
        assert "code=" not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize(
    ("cls", "parent", "code"),
    [
        (errors.EnvelopeWrongSize, errors.MalformedEnvelope, "envelopeSize"),
        (errors.EnvelopeVersionUnsupported, errors.MalformedEnvelope, "envelopeVersion"),
        (errors.EnvelopeKindUnknown, errors.MalformedEnvelope, "envelopeKind"),
        (errors.EnvelopeWrongEpoch, errors.MalformedEnvelope, "envelopeEpoch"),
        (errors.EnvelopeEpochUnknown, errors.MalformedEnvelope, "envelopeUnknownEpoch"),
        (errors.EnvelopeBadPoint, errors.MalformedEnvelope, "envelopePoint"),
        (errors.EnvelopeBadScalar, errors.MalformedEnvelope, "envelopeScalar"),
        (errors.WarrantExpired, errors.WarrantError, "warrantExpired"),
        (errors.WarrantNotYetValid, errors.WarrantError, "warrantNotYetValid"),
        (errors.WarrantQuorumMissing, errors.WarrantError, "warrantQuorum"),
        (errors.WarrantUnknownSigner, errors.WarrantError, "warrantUnknownSigner"),
        (errors.WarrantBadApproval, errors.WarrantError, "warrantSignature"),
        (errors.WarrantMismatch, errors.WarrantError, "warrantMismatch"),
        (errors.WarrantScopeRefused, errors.WarrantError, "warrantScope"),
        (errors.AuditLogBadSignature, errors.AuditLogError, "auditLogSignature"),
        (errors.AuditLogOrderBroken, errors.AuditLogError, "auditLogOrder"),
        (errors.AuditLogRootMismatch, errors.AuditLogError, "auditLogRoot"),
        (errors.AuditLogBadProof, errors.AuditLogError, "auditLogProof"),
    ],
)
def test_each_former_per_instance_code_is_a_class(
    cls: type[did_errors.AnshimError], parent: type[Exception], code: str
) -> None:
    assert cls.__bases__ == (parent,)
    assert cls.code == code
    assert cls("x").code == code


def _drawn() -> dict[str, tuple[str | None, str | None]]:
    """name -> (drawn parent, drawn code) from escrow/errors.py's docstring drawing."""
    block = (errors.__doc__ or "").split("::", 1)[1]
    tree: dict[str, tuple[str | None, str | None]] = {}
    stack: list[tuple[int, str]] = []
    for line in block.splitlines():
        if line.strip() and not line.startswith("    "):
            break  # the prose after the drawing
        m = re.match(r"^(?P<indent>[\s│├└─]*)(?P<name>(?:[a-z_]\w*\.)*[A-Z]\w+)", line)
        if m is None:
            continue
        depth = len(m["indent"])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        code = re.search(r"\(code (\w+)\)", line)
        name = m["name"]  # did's classes are drawn with their module: did.errors.InputError
        tree[name] = (stack[-1][1] if stack else None, code.group(1) if code else None)
        stack.append((depth, name))
    return tree


def test_every_error_class_is_drawn_with_its_parent_and_code() -> None:
    tree = _drawn()
    assert set(errors.__all__) <= set(tree)
    assert set(tree) - set(errors.__all__) == {
        "did.errors.AnshimError",
        "did.errors.InputError",
        "did.errors.KeyFileError",
        "did.errors.VerificationError",
    }
    for name, (parent, code) in tree.items():
        cls = getattr(errors, name, None) or getattr(did_errors, name.rsplit(".", 1)[-1])
        if parent is None:
            assert cls is did_errors.AnshimError
            continue
        assert cls.__bases__[0].__name__ == parent.rsplit(".", 1)[-1], name
        if name in errors.__all__:
            assert code == cls.code, name
            assert "code" in vars(cls), name  # its own code, not its parent's


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
