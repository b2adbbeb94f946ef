"""The Citus variant keeps to what Citus accepts; the checker itself can fail."""

from __future__ import annotations

import pytest

import registry
from registry._schema import CITUS_PLACEMENT, SQLITE_DAY_MIGRATIONS
from registry.errors import SchemaMismatch


def test_citus_variant_keeps_the_citus_rules() -> None:
    registry.check_citus_rules(registry.citus_migrations())


def test_citus_variant_places_every_table_and_distributes_visits_by_venue() -> None:
    statements = [s for m in registry.citus_migrations() for s in m]
    assert "SELECT create_distributed_table('visits', 'venue')" in statements
    assert CITUS_PLACEMENT["visits"] == "venue"
    for table, column in CITUS_PLACEMENT.items():
        call = (
            f"SELECT create_reference_table('{table}')"
            if column is None
            else f"SELECT create_distributed_table('{table}', '{column}')"
        )
        assert call in statements
        # Placed right after it is made, before any partition exists.
        made = next(i for i, s in enumerate(statements) if s.startswith(f"CREATE TABLE {table} "))
        assert statements.index(call) > made


def test_single_node_ddl_is_the_citus_ddl_without_placement() -> None:
    citus = [s for m in registry.citus_migrations() for s in m if not s.startswith("SELECT")]
    assert citus == [s for m in registry.postgres_migrations() for s in m]


def test_every_visit_key_and_index_leads_with_or_holds_the_venue() -> None:
    statements = [s for m in registry.postgres_migrations() for s in m] + [
        s for m in SQLITE_DAY_MIGRATIONS for s in m
    ]
    tables = [s for s in statements if s.startswith("CREATE TABLE visits")]
    indexes = [s for s in statements if " ON visits " in s]
    assert tables
    assert indexes
    for s in indexes:
        assert "venue" in s.split("(", 1)[1]  # the DID or its 8-byte key or hash
    for s in tables:
        # PostgreSQL keys the table on it; SQLite's day files from version 4 on have no
        # table key but the unique index (visit_id, venue_key), checked above.
        assert "PRIMARY KEY (visit_id, venue, day)" in s or "PRIMARY KEY" not in s
    (unique,) = [s for s in SQLITE_DAY_MIGRATIONS[3] if "UNIQUE INDEX" in s]
    assert unique.endswith("ON visits (visit_id, venue_key)")


@pytest.mark.parametrize(
    "broken",
    [
        # A unique key without the distribution column.
        (
            "CREATE TABLE visits (venue text, visit_id bytea, UNIQUE (visit_id))",
            "SELECT create_distributed_table('visits', 'venue')",
        ),
        # An inline primary key on another column.
        (
            "CREATE TABLE visits (visit_id bytea PRIMARY KEY, venue text)",
            "SELECT create_distributed_table('visits', 'venue')",
        ),
        # A unique index without it.
        (
            "CREATE TABLE visits (venue text, visit_id bytea)",
            "CREATE UNIQUE INDEX v ON visits (visit_id)",
            "SELECT create_distributed_table('visits', 'venue')",
        ),
        # A foreign key between distributed tables.
        (
            "CREATE TABLE venues2 (did text PRIMARY KEY)",
            "CREATE TABLE visits (venue text REFERENCES venues2 (did), PRIMARY KEY (venue))",
            "SELECT create_distributed_table('visits', 'venue')",
        ),
        # Distributing a table that is never made.
        ("SELECT create_distributed_table('ghost', 'venue')",),
    ],
)
def test_the_checker_refuses_what_citus_refuses(broken: tuple[str, ...]) -> None:
    with pytest.raises(SchemaMismatch):
        registry.check_citus_rules([broken])
