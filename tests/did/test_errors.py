"""The error tree in did/errors.py is exactly what its docstring draws."""

from __future__ import annotations

import builtins
import re

import did.errors as errors


def _drawn_tree() -> dict[str, tuple[str | None, list[str]]]:
    """name -> (drawn parent, extra bases in parentheses) from the docstring drawing."""
    doc = errors.__doc__ or ""
    block = doc.split("::", 1)[1]
    tree: dict[str, tuple[str | None, list[str]]] = {}
    stack: list[tuple[int, str]] = []
    for line in block.splitlines():
        if line.strip() and not line.startswith("    "):
            break  # the prose after the drawing
        m = re.match(
            r"^(?P<indent>[\s│├└─]*)(?P<name>[A-Z]\w+)(?: \((?P<extra>[A-Z][\w, ]*)\))?", line
        )
        if m is None:
            continue
        depth = len(m["indent"])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1] if stack else None
        extra = [e.strip() for e in m["extra"].split(",")] if m["extra"] else []
        code = re.search(r"\(code (\w+)\)", line)
        if code is not None:
            assert getattr(errors, m["name"]).code == code.group(1), m["name"]
        tree[m["name"]] = (parent, extra)
        stack.append((depth, m["name"]))
    return tree


def test_every_error_class_is_drawn_with_its_parent() -> None:
    tree = _drawn_tree()
    assert set(tree) == set(errors.__all__)
    for name, (parent, extra) in tree.items():
        cls = getattr(errors, name)
        if parent is None:
            assert cls.__bases__ == (Exception,)
        else:
            assert cls.__bases__[0] is getattr(errors, parent), name
        for base in extra:
            assert issubclass(cls, getattr(builtins, base)), name


def test_input_errors_are_value_errors_and_all_have_codes() -> None:
    codes = set()
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.AnshimError)
        assert issubclass(cls, ValueError) == issubclass(cls, errors.InputError)
        assert isinstance(cls.code, str)
        codes.add(cls.code)
    assert len(codes) == len(errors.__all__)
    assert errors.InvalidDid("x").code == "invalidDid"
    assert errors.NotFound("x").code == "notFound"
    assert errors.MethodNotSupported("x").code == "methodNotSupported"
