"""schemathesis over the venue service's OpenAPI document: generated requests (bounded: a
few examples per operation, derandomized) never get a 5xx, and every response has a
documented status and content type."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")

from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    status_code_conformance,
)

from tests.verifier.service.support import Clock, app_options  # noqa: E402
from tests.verifier.service.support import settings as venue_settings  # noqa: E402
from tests.verifier.support import EPOCH_KEYS  # noqa: E402
from verifier.service import create_app  # noqa: E402


@schemathesis.serializer("application/cbor", "text/plain")
def _raw(ctx: object, value: object) -> dict[str, bytes]:
    # These bodies are bytes (CBOR messages, QR text); generated values go as they are.
    if isinstance(value, bytes):
        return {"data": value}
    return {"data": str(value).encode("utf-8", "replace")}


# The app is built at import, as schemathesis needs it to generate the cases: so the
# one-custodian epoch keys of tests/verifier/support.py (no ceremony at collection time),
# in a temporary folder removed when the module's tests are done.
_TMP = tempfile.TemporaryDirectory(prefix="anshim-venue-schemathesis-")
_APP = create_app(
    venue_settings(Path(_TMP.name)), **app_options(Clock(), upload=False, epoch_keys=EPOCH_KEYS)
)
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    _APP.state.service.store.close()
    _TMP.cleanup()


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_5xx_and_only_documented_answers(case: schemathesis.Case) -> None:
    case.call_and_validate(
        checks=[not_a_server_error, status_code_conformance, content_type_conformance]
    )
