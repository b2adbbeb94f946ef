"""The wallet's public surface (issue 8): ``__all__`` is exactly its public names, sorted the
RUF022 way; its errors are the tree wallet/errors.py draws, each with its own camelCase
code; and ``import wallet`` stays as light as a phone needs (no web framework, database,
HTTP client, drawing or progress-bar library, and only escrow's sealing half at work)."""

from __future__ import annotations

import re
import subprocess
import sys
import types

import wallet
import wallet.errors as errors
from did.errors import AnshimError, InputError

_CAMEL = re.compile(r"\A[a-z][a-zA-Z0-9]*\Z")


def _ruf022(name: str) -> tuple[int, str]:
    # SCREAMING_CASE constants, then CamelCase classes, then functions.
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_exactly_the_public_names_sorted() -> None:
    public = {
        name
        for name, value in vars(wallet).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(wallet.__all__) == public
    assert list(wallet.__all__) == sorted(wallet.__all__, key=_ruf022)
    assert set(errors.__all__) <= public
    assert "HOLDER_SHOWN_LABEL_VENUE" not in public  # escrow.HOLDER_SHOWN_VENUE is the one


def _drawn() -> dict[str, str | None]:
    """class name -> drawn parent, and each drawn code checked, from the module docstring."""
    block = (errors.__doc__ or "").split("::", 1)[1]
    tree: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in block.splitlines():
        if line.strip() and not line.startswith("    "):
            break
        m = re.match(
            r"^(?P<indent>[\s│├└─]*)(?P<name>[\w.]+)(?: \([A-Z]\w*\))?\s*(?P<code>\w*)", line
        )
        if m is None:
            continue
        depth = len(m["indent"])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        name = m["name"].split(".")[-1]
        if "." not in m["name"]:
            tree[name] = stack[-1][1] if stack else None
            assert getattr(errors, name).code == m["code"], name
        stack.append((depth, name))
    return tree


def test_every_error_is_drawn_with_its_parent_and_code() -> None:
    tree = _drawn()
    assert set(tree) == set(errors.__all__)
    for name, parent in tree.items():
        cls = getattr(errors, name)
        assert parent is not None
        assert cls.__bases__[0].__name__ == parent, name


def test_codes_are_camel_case_unique_and_input_errors_are_value_errors() -> None:
    classes = [getattr(errors, name) for name in errors.__all__]
    codes = [vars(cls)["code"] for cls in classes]
    assert all(_CAMEL.match(code) for code in codes), codes
    assert len(set(codes)) == len(codes)
    for cls in classes:
        assert issubclass(cls, AnshimError)
        assert issubclass(cls, ValueError) == issubclass(cls, InputError), cls.__name__
    # The three codes that collided with protocol's are the wallet's own now.
    assert (errors.MalformedCode.code, errors.ExpiredCode.code) == ("malformedCode", "expiredCode")
    assert errors.CodeNotYetValid.code == "codeNotYetValid"


def test_import_wallet_pulls_in_no_web_database_http_or_heavy_library() -> None:
    code = "import wallet, sys; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = set(out.stdout.split())
    loaded = {name.split(".")[0] for name in modules}
    assert "wallet" in loaded
    assert "escrow" in loaded
    forbidden = {
        "httpx",
        "fastapi",
        "starlette",
        "uvicorn",
        "requests",
        "urllib3",
        "aiohttp",
        "sqlite3",
        "psycopg",
        "sqlalchemy",
        "pyld",
        "tqdm",
        "segno",
        "http",
        "ssl",
        "socket",
        "multiprocessing",
        "asyncio",
        "investigator",
        "registry",
        "verifier",
    }
    assert loaded & forbidden == set()
    # The standard library's HTTP client arrives through xml.sax -> urllib.request; escrow's
    # process pool (its combiner's parallel path) only when an investigator unseals.
    assert "urllib.request" not in modules
    assert "concurrent.futures" not in modules
    assert "escrow._cli" not in modules
