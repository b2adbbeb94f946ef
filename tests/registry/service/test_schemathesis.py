"""schemathesis over the registry's OpenAPI document: generated requests (bounded: a few
examples per operation) never get a 5xx and every response fits the documented schema
and status codes. Runs as part of make test (about a minute)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")

from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.registry.service.support import make_registry  # noqa: E402


@schemathesis.serializer("application/cbor", "text/csv")
def _raw(ctx: object, value: object) -> dict[str, bytes]:
    # Bodies of these endpoints are bytes (CBOR, CSV); generated values go as they are.
    if isinstance(value, bytes):
        return {"data": value}
    return {"data": str(value).encode("utf-8", "replace")}


# The schema is built at import, so the registry's folder cannot be a pytest fixture; a
# TemporaryDirectory is removed when the interpreter exits.
_FOLDER = tempfile.TemporaryDirectory(prefix="anshim-schemathesis-")
_REG = make_registry(Path(_FOLDER.name))
_REG.register()
schema = schemathesis.openapi.from_asgi("/openapi.json", _REG.app)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_5xx_and_no_schema_breaking_response(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers=_REG.admin if case.path.startswith(("/notices", "/venues")) else None,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
