"""Where the tests find their data: the vectors beside them and the repository root."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
VECTORS = TESTS / "vectors"
EXAMPLES = ROOT / "examples"
