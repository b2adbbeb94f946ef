"""What the venue service and ``anshim venue init`` say back: a path no endpoint has and a
method an endpoint does not take are problems with the service's own stable codes (never
FastAPI's ``about:blank``); ``venue init`` cannot print a made-up DID (the registry assigns
it, so ``--registry`` is required) and writes names in UTF-8, not ``\\u`` escapes."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import httpx
import pytest

from did.cli import main
from verifier.service._cli import venue_table
from verifier.service._problems import PROBLEM_TYPE_PREFIX

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/no/such/path"), ("POST", "/venues/cafe-1/checkins/extra"), ("GET", "/kiosks")],
)
def test_a_path_no_endpoint_has_is_no_such_endpoint(
    client: httpx.Client, method: str, path: str
) -> None:
    answer = client.request(method, path)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["type"] == PROBLEM_TYPE_PREFIX + "noSuchEndpoint"
    assert answer.json()["code"] == "noSuchEndpoint"


def test_a_method_the_endpoint_does_not_take_is_refused_with_its_code(
    client: httpx.Client,
) -> None:
    # The phones' fast path takes only POST; FastAPI's route answers the other methods.
    for path in ("/venues/cafe-1/checkins", "/health", "/venues/cafe-1/readings"):
        method = "DELETE" if path == "/health" else "GET"
        answer = client.request(method, path)
        assert answer.status_code == 405, path
        assert answer.headers["content-type"] == PROBLEM
        body = answer.json()
        assert body["type"] == PROBLEM_TYPE_PREFIX + "endpointMethodRefused"
        assert body["status"] == 405
        assert "allow" in answer.headers


def test_venue_init_without_the_registry_is_refused_and_makes_no_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(
            ["venue", "init", "--id", "hall-1", "--name", "Hall", "--category", "wedding_hall",
             "--address", "서울 1", "--brn", "123-45-67890", "--dir", str(tmp_path)]
        )  # fmt: skip
    assert exit_.value.code == 2
    assert "--registry" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name", ["행복 웨딩홀 / Happy Wedding Hall", 'Bar "Quote" \\ Back', "탭\t과 줄\n바꿈"]
)
def test_the_venue_table_is_utf8_toml_that_reads_back(name: str) -> None:
    did = "did:web:registry.test:venues:abcdefghijkl"
    table = venue_table("hall-1", did, name, "wedding_hall", "hall-1.key")
    venue = tomllib.loads(table)["venue"][0]
    assert venue == {
        "id": "hall-1",
        "did": did,
        "name": name,
        "category": "wedding_hall",
        "key_file": "hall-1.key",
    }
    assert "\\u" not in table
    hangul = [c for c in name if "\uac00" <= c <= "\ud7a3"]
    assert all(c in table for c in hangul)
    # And the JSON that init prints keeps it readable too.
    assert json.dumps({"config": table}, ensure_ascii=False).count("\\u") == 0
