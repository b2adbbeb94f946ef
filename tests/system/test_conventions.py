"""The house rules that hold in every package (DESIGN.md "Roles and packages", STYLE.md
habits 1, 3, 13), checked over the whole tree so that a new package cannot drift:

- no module imports another top-level package's private (``_``) module or name, and role
  packages import only what DESIGN's package table allows;
- each package's ``__all__`` is exactly its public names, sorted, under a quick-start docstring;
- one error vocabulary: every ``AnshimError`` subclass has its own camelCase ``code``,
  unique across the project, a class name used once, lives in its package's ``errors.py``
  and is drawn in that module's docstring tree; input errors are ``ValueError``\\ s.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import pkgutil
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from did.errors import AnshimError, InputError
from tests.paths import ROOT

#: Top-level packages and what each may import of ours (DESIGN.md "Roles and packages").
ALLOWED: dict[str, set[str]] = {
    "did": set(),
    "protocol": {"did"},
    "escrow": {"did"},
    "wallet": {"did", "protocol", "escrow"},
    "verifier": {"did", "protocol", "escrow"},
    "registry": {"did", "protocol", "escrow"},
    "investigator": {"did", "protocol", "escrow"},
}
PACKAGES = [p for p in ALLOWED if (ROOT / p / "__init__.py").exists()]
#: Folders whose code uses the packages from outside (they may import any package).
CONSUMERS = ["examples", "benchmarks"]
_CAMEL = re.compile(r"\A[a-z][a-zA-Z0-9]*\Z")


def _sources(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every import in ``path``; ``names`` empty for ``import m``."""
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [a.name for a in node.names]))
    return found


def _private_crossings(folder: str) -> list[str]:
    problems = []
    for path in _sources(folder):
        for line, module, names in _imports(path):
            top = module.split(".")[0]
            if top not in ALLOWED or top == folder:
                continue
            where = f"{path.relative_to(ROOT)}:{line}"
            if any(part.startswith("_") for part in module.split(".")[1:]):
                problems.append(f"{where} imports the private module {module}")
            problems += [
                f"{where} imports the private name {module}.{name}"
                for name in names
                if name.startswith("_")
            ]
    return problems


@pytest.mark.parametrize("folder", PACKAGES + CONSUMERS)
def test_no_private_names_cross_a_package_boundary(folder: str) -> None:
    assert _private_crossings(folder) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_only_what_the_design_allows(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _sources(package)
        for line, module, _ in _imports(path)
        if module.split(".")[0] in ALLOWED
        and module.split(".")[0] != package
        and module.split(".")[0] not in ALLOWED[package]
    ]
    assert wrong == []


def test_the_checker_finds_a_private_crossing(tmp_path: Path) -> None:
    # The import walk itself can fail: a module that reaches into another package's
    # internals is reported, one that stays public is not.
    bad = tmp_path / "m.py"
    bad.write_text("from did._keys import Ed25519PrivateKey\nfrom escrow import _ceremony\n")
    good = tmp_path / "n.py"
    good.write_text("from did import Ed25519PrivateKey\nimport protocol\n")
    assert [m for _, m, _ in _imports(bad)] == ["did._keys", "escrow"]
    assert [n for _, _, n in _imports(bad)][1] == ["_ceremony"]
    assert all(not m.split(".")[-1].startswith("_") for _, m, _ in _imports(good))


def test_import_did_loads_no_protocol_message() -> None:
    code = (
        "import sys, did, did.vc; print(sorted(m for m in sys.modules if m.split('.')[0] in {0}))"
    )
    roles = "('protocol', 'escrow', 'wallet', 'verifier', 'registry', 'investigator')"
    out = subprocess.run(
        [sys.executable, "-c", code.format(roles)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# -- one public-API convention ----------------------------------------------------------------


def _namespaces() -> list[str]:
    names = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            if info.ispkg and not any(p.startswith("_") for p in info.name.split(".")):
                names.append(info.name)
    return names


def _ruf022_key(name: str) -> tuple[int, str]:
    # ruff's RUF022 "isort-style" order: SCREAMING_CASE, then CamelCase, then the rest.
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return (kind, name)


@pytest.mark.parametrize("name", _namespaces())
def test_all_is_exactly_the_public_names_sorted(name: str) -> None:
    package = importlib.import_module(name)
    assert "Quick start" in (package.__doc__ or ""), f"{name} has no quick-start docstring"
    exported = list(package.__all__)
    public = {
        attr
        for attr, value in vars(package).items()
        if not attr.startswith("_")
        and not isinstance(value, types.ModuleType)
        and attr != "annotations"  # from __future__ import annotations
    }
    assert set(exported) == public
    assert exported == sorted(exported, key=_ruf022_key)
    assert len(exported) == len(set(exported))


def test_every_package_module_but_the_named_public_ones_is_private() -> None:
    public_modules = {"errors", "cli", "wire", "service", "schemas", "deps"}
    loose = []
    for package in PACKAGES:
        for path in _sources(package):
            if path.name == "__init__.py" or path.stem.startswith("_"):
                continue
            if path.stem not in public_modules:
                loose.append(str(path.relative_to(ROOT)))
    assert loose == []


# -- one error vocabulary ---------------------------------------------------------------------


def _import_everything() -> None:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            if info.name.split(".")[-1] in ("__main__",):
                continue
            try:
                importlib.import_module(info.name)
            except ImportError as exc:  # an optional extra that is not installed
                if exc.name and exc.name.split(".")[0] in ALLOWED:
                    raise


def _error_classes() -> list[type[AnshimError]]:
    _import_everything()
    seen: list[type[AnshimError]] = []
    todo: list[type[AnshimError]] = [AnshimError]
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo += [c for c in cls.__subclasses__() if c not in seen]
    return [c for c in seen if c.__module__.split(".")[0] in ALLOWED]


def _drawn(module: types.ModuleType) -> dict[str, tuple[str | None, list[str]]]:
    """class name -> (drawn parent's last name, builtin extra bases) from the docstring."""
    doc = module.__doc__ or ""
    assert "::" in doc, f"{module.__name__} draws no error tree"
    tree: dict[str, tuple[str | None, list[str]]] = {}
    for block in doc.split("::")[1:]:
        stack: list[tuple[int, str]] = []
        for line in block.splitlines():
            if line.strip() and not line.startswith("    "):
                break  # the prose after a drawing
            m = re.match(
                r"^(?P<indent>[\s│├└─]*)(?P<name>(?:[a-z_]\w*\.)*[A-Z]\w+)"
                r"(?: \((?P<extra>[A-Z][\w, ]*)\))?",
                line,
            )
            if m is None:
                continue
            depth = len(m["indent"])
            while stack and stack[-1][0] >= depth:
                stack.pop()
            name = m["name"].split(".")[-1]
            parent = stack[-1][1] if stack else None
            extra = [e.strip() for e in m["extra"].split(",")] if m["extra"] else []
            if "." not in m["name"]:
                tree[name] = (parent, extra)
            stack.append((depth, name))
    return tree


def test_every_error_has_its_own_unique_camel_case_code() -> None:
    by_code: dict[str, list[str]] = {}
    for cls in _error_classes():
        assert "code" in vars(cls), f"{cls.__qualname__} inherits its parent's code"
        code = vars(cls)["code"]
        assert _CAMEL.match(code), f"{cls.__qualname__}.code {code!r} is not camelCase"
        by_code.setdefault(code, []).append(f"{cls.__module__}.{cls.__qualname__}")
    assert {c: n for c, n in by_code.items() if len(n) > 1} == {}


def test_error_class_names_are_unique_and_live_in_errors_modules() -> None:
    names: dict[str, list[str]] = {}
    for cls in _error_classes():
        names.setdefault(cls.__name__, []).append(cls.__module__)
        assert cls.__module__.endswith(".errors"), f"{cls.__name__} is in {cls.__module__}"
    assert {n: m for n, m in names.items() if len(m) > 1} == {}


def test_every_error_is_drawn_under_its_parent() -> None:
    by_module: dict[str, list[type[AnshimError]]] = {}
    for cls in _error_classes():
        by_module.setdefault(cls.__module__, []).append(cls)
    for module_name, classes in by_module.items():
        tree = _drawn(importlib.import_module(module_name))
        assert {c.__name__ for c in classes} == set(tree), module_name
        for cls in classes:
            parent, extra = tree[cls.__name__]
            if parent is None:
                assert cls.__bases__ == (Exception,), cls.__name__
            else:
                assert cls.__bases__[0].__name__ == parent, cls.__name__
            for base in extra:
                assert issubclass(cls, getattr(builtins, base)), cls.__name__


def test_input_errors_and_only_they_are_value_errors() -> None:
    for cls in _error_classes():
        if issubclass(cls, InputError):
            assert issubclass(cls, ValueError), cls.__name__
