"""A SQLite store's day-file page cache can be bounded from its URL
(``sqlite:///dir?cache_kib=N``) or an ``open_store`` option: the reliability soak runs the
registry with a small cache, so that the memory it measures after warm-up is not the
cache filling up to its bound (tests/reliability/test_soak.py). Anything else in the
query, or a size out of range, is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

import registry
from registry.errors import InvalidStoreUrl


def _day_cache(store: registry.Store) -> int:
    conn = store._day(20000, create=True)  # type: ignore[attr-defined]
    size: int = conn.execute("PRAGMA cache_size").fetchone()[0]
    return size


def test_the_url_bounds_each_day_files_cache(tmp_path: Path) -> None:
    with registry.open_store(f"sqlite://{tmp_path}/a?cache_kib=256", create=True) as store:
        assert _day_cache(store) == -256  # negative: KiB (SQLite's PRAGMA cache_size)
        assert store.url == f"sqlite:///{tmp_path}/a"
    with registry.open_store(f"sqlite://{tmp_path}/b", create=True, cache_kib=512) as store:
        assert _day_cache(store) == -512
    with registry.open_store(f"sqlite://{tmp_path}/c", create=True) as store:
        assert _day_cache(store) not in (-256, -512)  # the engine's own default


@pytest.mark.parametrize(
    "query",
    ["cache_kib=0", "cache_kib=-5", "cache_kib=2.5", "cache_kib=", "cache_kib=1e9",
     "cache_kib=99999999", "cache=shared", "cache_kib=256&mode=ro", "cache_kib"],
)  # fmt: skip
def test_other_queries_and_sizes_out_of_range_are_refused(tmp_path: Path, query: str) -> None:
    with pytest.raises(InvalidStoreUrl):
        registry.open_store(f"sqlite://{tmp_path}/s?{query}", create=True)
    assert not (tmp_path / "s").exists()


def test_an_option_out_of_range_is_refused(tmp_path: Path) -> None:
    for wrong in (True, -1, 10**9, "lots"):
        with pytest.raises(InvalidStoreUrl):
            registry.open_store(f"sqlite://{tmp_path}/s", create=True, cache_kib=wrong)
