"""The docs name real tests: every ``tests/…py::test_name`` on a docs page exists, so a page
that says which test enforces a rule cannot drift from the suite."""

from __future__ import annotations

import ast
import re

import pytest

from tests.paths import ROOT

PAGES = sorted((ROOT / "docs").glob("*.md"))
_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _refs() -> list[tuple[str, str, str]]:
    return [
        (page.name, path, name)
        for page in PAGES
        for path, name in _REF.findall(page.read_text(encoding="utf-8"))
    ]


def _defined(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


@pytest.mark.parametrize(("page", "path", "name"), _refs())
def test_a_test_named_in_the_docs_exists(page: str, path: str, name: str) -> None:
    assert (ROOT / path).is_file(), f"{page} names {path}, which does not exist"
    assert name in _defined(path), f"{page} names {path}::{name}, which does not exist"


def test_the_privacy_page_names_tests() -> None:
    assert len([r for r in _refs() if r[0] == "privacy.md"]) >= 10
