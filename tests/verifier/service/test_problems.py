"""Every error the venue service can meet has its own HTTP status (not the root's 500),
problem details carry ``urn:anshim:error:<code>``, and the service's imports stay light:
``import verifier`` and ``import verifier.service`` load no web framework."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

from did.errors import AnshimError
from verifier.service._problems import PROBLEM_TYPE_PREFIX, STATUS, problem_body, status_of

MODULES = ("did.errors", "did.vc.errors", "protocol.errors", "escrow.errors", "verifier.errors")


def error_classes() -> list[type[AnshimError]]:
    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        found += [
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, AnshimError) and cls.__module__ == name
        ]
    return found


@pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.code)
def test_every_code_has_a_status_of_its_family(cls: type[AnshimError]) -> None:
    status = status_of(cls)
    if cls is AnshimError:
        assert status == 500
        return
    # Resolved through a listed class, never through the root alone.
    assert any(base in STATUS for base in cls.__mro__ if base is not AnshimError), cls
    assert 400 <= status < 600


def test_problem_bodies_name_the_code() -> None:
    from protocol.errors import HighTemperature
    from verifier.errors import BadGatewaySignature

    body = problem_body(HighTemperature("entry refused"))
    assert body["type"] == PROBLEM_TYPE_PREFIX + "highTemperature"
    assert body["status"] == 403
    assert body["userMessage"] == "체온이 높습니다 / High temperature"
    assert problem_body(BadGatewaySignature("no"))["status"] == 401
    assert "userMessage" not in problem_body(BadGatewaySignature("no"))


def test_importing_the_service_loads_no_web_framework() -> None:
    code = (
        "import sys, verifier, verifier.service, verifier.service._cli; "
        "print(sorted(m for m in ('fastapi', 'starlette', 'uvicorn', 'pydantic', 'httpx')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
