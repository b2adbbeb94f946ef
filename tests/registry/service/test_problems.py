"""Problem details: every error code has a status, a store outage is 503 with Retry-After
(never 500), unknown paths and methods are problems too, and ``import registry`` loads no
web framework."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import did.errors
from registry.errors import StoreUnavailable
from registry.service import status_of
from registry.service._problems import STATUS
from tests.registry.service.support import T0, Operator, Registry

# The packages whose errors the registry service can raise (DESIGN.md: registry may depend
# on did, protocol and escrow).
_PACKAGES = ("did", "protocol", "escrow", "registry")


def _errors() -> list[type[did.errors.AnshimError]]:
    for name in _PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, name + "."):
            try:
                importlib.import_module(info.name)
            except ImportError:  # an optional extra that is not installed
                continue
    seen, todo = [], [did.errors.AnshimError]
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo += [c for c in cls.__subclasses__() if c not in seen]
    return [c for c in seen if c.__module__.split(".")[0] in _PACKAGES]


def test_every_error_code_has_a_status_of_its_own_tree() -> None:
    for cls in _errors():
        if cls is did.errors.AnshimError:
            continue
        status = status_of(cls)
        assert 400 <= status < 600, cls
        # Found below the root: no error falls through to AnshimError's bare 500.
        nearest = next(k for k in cls.__mro__ if k in STATUS)
        assert nearest is not did.errors.AnshimError, cls.__name__


def test_statuses_of_the_security_refusals() -> None:
    import protocol.errors as pe
    import registry.errors as re_

    assert status_of(pe.BadSignature) == 401
    assert status_of(pe.ForeignRecord) == 403
    assert status_of(re_.ExpiredToken) == 401
    assert status_of(re_.NotPermitted) == 403
    assert status_of(re_.StoreUnavailable) == 503
    assert status_of(re_.InvalidCaseId) == 422


def test_a_store_outage_is_503_with_retry_after(
    reg: Registry, venue: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise StoreUnavailable("the database is restarting")

    monkeypatch.setattr(reg.store, "put", down)
    batch = venue.batch([venue.record(T0 - 3600)], T0)
    r = reg.client.post(
        "/uploads/visits", content=batch, headers={"Content-Type": "application/cbor"}
    )
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert r.json()["type"] == "urn:anshim:error:storeUnavailable"
    monkeypatch.setattr(reg.store, "days", down)
    health = reg.client.get("/health")
    assert (health.status_code, health.json()["store"]) == (503, "unreachable")


def test_unknown_paths_and_methods_are_problems(reg: Registry) -> None:
    r = reg.client.get("/no/such/path")
    assert (r.status_code, r.json()["type"]) == (404, "urn:anshim:error:routeNotFound")
    r = reg.client.request("DELETE", "/venues")
    assert (r.status_code, r.json()["type"]) == (405, "urn:anshim:error:methodNotAllowed")
    r = reg.client.post(
        "/venues", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert (r.status_code, r.json()["type"]) == (400, "urn:anshim:error:malformedBody")


def test_openapi_is_published(reg: Registry) -> None:
    doc = reg.client.get("/openapi.json").json()
    paths = [
        "/venues",
        "/uploads/visits",
        "/queries/contacts",
        "/credentials/issue",
        "/credentials/verify",
        "/presentations/verify",
        "/challenges",
        "/notices",
        "/epoch-keys",
        "/audit-log/proofs/{record_id}",
        "/venues/{venue_id}/did.json",
    ]
    for path in paths:
        assert path in doc["paths"], path
    assert "application/cbor" in doc["paths"]["/uploads/visits"]["post"]["requestBody"]["content"]


def test_import_registry_loads_no_web_framework() -> None:
    heavy = "('fastapi', 'starlette', 'uvicorn', 'registry.service', 'pydantic', 'reportlab')"
    code = f"import sys, registry; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
