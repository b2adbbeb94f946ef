"""The verifier's public surface: exported names, its error tree (as drawn in
verifier/errors.py) and its dependencies."""

from __future__ import annotations

import inspect
import subprocess
import sys

import verifier
from protocol.errors import ProtocolError, ReplayedChallenge, UnknownKey
from verifier import errors


def test_all_is_exactly_the_public_names() -> None:
    public = {name for name in vars(verifier) if not name.startswith("_")}
    modules = {name for name, value in vars(verifier).items() if inspect.ismodule(value)}
    assert set(verifier.__all__) == public - modules
    assert len(verifier.__all__) == len(set(verifier.__all__))
    for name in verifier.__all__:
        obj = getattr(verifier, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__, name


def test_validation_errors_extend_the_protocol_tree() -> None:
    # The validation core's own refusals sit in the protocol's tree, so a kiosk or a
    # problem-details handler that knows ProtocolError knows them too (the drawing itself
    # is checked for every package by tests/system/test_conventions.py).
    expected = {
        errors.ReplayedCheckIn: (ReplayedChallenge, "replayedCheckIn"),
        errors.ReplayedReading: (ReplayedChallenge, "replayedReading"),
        errors.NoOpenVisit: (ProtocolError, "noOpenVisit"),
        errors.UnknownDevice: (UnknownKey, "unknownDevice"),
    }
    assert {cls.__name__ for cls in expected} <= set(errors.__all__)
    for cls, (parent, code) in expected.items():
        assert cls.__bases__ == (parent,)
        assert cls.code == code
        assert code in (errors.__doc__ or "")


def test_codes_are_unique_across_protocol_and_verifier_errors() -> None:
    import protocol.errors as protocol_errors

    classes = [getattr(protocol_errors, n) for n in protocol_errors.__all__]
    classes += [getattr(errors, n) for n in errors.__all__]
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes))


def test_import_verifier_pulls_no_web_or_database_library() -> None:
    code = (
        "import sys, verifier; "
        "bad = [m for m in ('fastapi', 'starlette', 'httpx', 'sqlalchemy', 'psycopg', "
        "'sqlite3', 'requests', 'uvicorn') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
