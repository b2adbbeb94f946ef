"""The registry's schema, versioned, for SQLite, PostgreSQL and Citus (DESIGN.md "Storage",
"Beyond one machine").

Migrations are numbered lists of statements, applied in order, each in its own transaction
together with the bump of the schema version (SQLite: ``PRAGMA user_version`` of each
file; PostgreSQL: the ``registry_schema`` table, under an advisory lock so that two
processes opening one database do not migrate it twice). A store whose version is newer
than :data:`SCHEMA_VERSION` is refused (:class:`~registry.errors.SchemaMismatch`): old
code never writes a schema it does not know.

SQLite keeps a main file (venues, settings, the journal of batches that span days) and one
file per day of visits and trace seeds, each migrated when it is opened. PostgreSQL keeps
the same tables, the day-keyed ones partitioned by list on ``day``; a day's partitions are
made on first write (:func:`postgres_partition_ddl`) and inherit the parent's indexes, so
every partition has its own.

Every visit table keeps the venue in its primary key and its indexes: it is the
distribution column of the Citus variant (:func:`citus_migrations`), which distributes
``visits`` by venue, ``trace_seeds`` by label, and replicates the small tables.
:func:`check_citus_rules` checks the rendered statements for what Citus refuses: a primary
key or unique constraint without the distribution column, and foreign keys between
distributed tables (the schema has no foreign keys at all). SQLite's day files (never
distributed) hold an 8-byte key of the venue's DID in every index (versions 3 and 4) and
key the pseudonym index by ten characters of the pseudonym (version 4): narrow index
entries are what a day file's ingest pays for (``registry/_sqlite.py``, "Write volume").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from registry.errors import SchemaMismatch

__all__ = [
    "PSEUDONYM_KEY",
    "SCHEMA_VERSION",
    "SQLITE_DAY_MIGRATIONS",
    "SQLITE_MAIN_MIGRATIONS",
    "SQLITE_PSEUDONYM_KEY",
    "VENUE_KEY",
    "check_citus_rules",
    "citus_migrations",
    "postgres_migrations",
    "postgres_partition_ddl",
    "text_key",
]

Migration = tuple[str, ...]

SCHEMA_VERSION = 5

# -- SQLite -------------------------------------------------------------------------------

SQLITE_MAIN_MIGRATIONS: tuple[Migration, ...] = (
    (
        "CREATE TABLE venues (did TEXT PRIMARY KEY, category TEXT NOT NULL,"
        " signing_key BLOB NOT NULL, agreement_key BLOB NOT NULL,"
        " valid_from INTEGER NOT NULL, valid_until INTEGER) WITHOUT ROWID",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
        # Batches that span several day files are journalled here first (see _sqlite.py).
        "CREATE TABLE pending_visits (batch INTEGER NOT NULL, venue TEXT NOT NULL,"
        " day INTEGER NOT NULL, visit_id BLOB NOT NULL, time_in INTEGER NOT NULL,"
        " time_out INTEGER, pseudonym TEXT NOT NULL, locator BLOB, channel INTEGER NOT NULL,"
        " declaration INTEGER, envelope BLOB NOT NULL, receipt_hash BLOB,"
        " version INTEGER NOT NULL, signature BLOB NOT NULL)",
    ),
    (
        "CREATE TABLE pending_trace_seeds (batch INTEGER NOT NULL, label BLOB NOT NULL,"
        " day INTEGER NOT NULL, envelope_hash BLOB NOT NULL, envelope BLOB NOT NULL)",
    ),
    (),  # version 3 changed the day files only
    (),  # so did version 4
    (),  # version 5 changed PostgreSQL's indexes only
)

#: A day file's visit columns from version 3 on: :data:`registry._store.COLUMNS`, then the
#: venue's key.
_SQLITE_VISIT_COLUMNS = (
    "venue TEXT NOT NULL, day INTEGER NOT NULL, visit_id BLOB NOT NULL,"
    " time_in INTEGER NOT NULL, time_out INTEGER, pseudonym TEXT NOT NULL, locator BLOB,"
    " channel INTEGER NOT NULL, declaration INTEGER, envelope BLOB NOT NULL,"
    " receipt_hash BLOB, version INTEGER NOT NULL, signature BLOB NOT NULL,"
    " venue_key INTEGER NOT NULL"
)

SQLITE_DAY_MIGRATIONS: tuple[Migration, ...] = (
    (
        "CREATE TABLE visits (venue TEXT NOT NULL, day INTEGER NOT NULL,"
        " visit_id BLOB NOT NULL, time_in INTEGER NOT NULL, time_out INTEGER,"
        " pseudonym TEXT NOT NULL, locator BLOB, channel INTEGER NOT NULL,"
        " declaration INTEGER, envelope BLOB NOT NULL, receipt_hash BLOB,"
        " version INTEGER NOT NULL, signature BLOB NOT NULL,"
        " PRIMARY KEY (visit_id, venue, day))",
        "CREATE INDEX visits_venue_time ON visits (venue, time_in, time_out)",
        "CREATE INDEX visits_venue_locator ON visits (venue, locator) WHERE locator IS NOT NULL",
        "CREATE INDEX visits_pseudonym ON visits (pseudonym, venue)",
    ),
    (
        "CREATE TABLE trace_seeds (label BLOB NOT NULL, day INTEGER NOT NULL,"
        " envelope_hash BLOB NOT NULL, envelope BLOB NOT NULL,"
        " PRIMARY KEY (label, day, envelope_hash)) WITHOUT ROWID",
    ),
    # Version 3: the secondary indexes hold the venue as its 8-byte key (the first 8 bytes
    # of SHA-256 of its DID, ``anshim_venue_key``; every query also matches the DID on the
    # row) instead of the DID's ~45 characters, and the time index drops time_out: smaller
    # entries cost a quarter less CPU per ingested record (see _sqlite.py, "Write volume").
    (
        "ALTER TABLE visits ADD COLUMN venue_key INTEGER NOT NULL DEFAULT 0",
        "UPDATE visits SET venue_key = anshim_venue_key(venue)",
        "DROP INDEX visits_venue_time",
        "DROP INDEX visits_venue_locator",
        "DROP INDEX visits_pseudonym",
        "CREATE INDEX visits_venue_time ON visits (venue_key, time_in)",
        "CREATE INDEX visits_venue_locator ON visits (venue_key, locator)"
        " WHERE locator IS NOT NULL",
        "CREATE INDEX visits_pseudonym ON visits (pseudonym, venue_key)",
    ),
    # Version 4: narrower entries in the two widest indexes (at 1 million records, 3,900
    # instead of 5,600 bytes written per ingested record and a sixth less CPU). The key
    # is unique on (visit id, venue key) instead of (visit id, venue DID, day): the day
    # is the file's, and two venues whose keys collide (never seen) cannot store one
    # visit id twice, so the writer refuses that as a conflict
    # (``registry._sqlite_journal.sort_out``) rather than dropping a record. The
    # pseudonym index holds its characters 13 to 22 (every Ed25519 did:key begins
    # ``did:key:z6Mk``; the next ten digits carry over 50 bits of the key); the query
    # also matches the whole pseudonym on the row. SQLite cannot drop a table's primary
    # key, so the table is rebuilt (in rowid order).
    (
        f"CREATE TABLE visits_v4 ({_SQLITE_VISIT_COLUMNS})",
        "INSERT INTO visits_v4 SELECT venue, day, visit_id, time_in, time_out, pseudonym,"
        " locator, channel, declaration, envelope, receipt_hash, version, signature,"
        " venue_key FROM visits ORDER BY rowid",
        "DROP TABLE visits",
        "ALTER TABLE visits_v4 RENAME TO visits",
        "CREATE UNIQUE INDEX visits_id ON visits (visit_id, venue_key)",
        "CREATE INDEX visits_venue_time ON visits (venue_key, time_in)",
        "CREATE INDEX visits_venue_locator ON visits (venue_key, locator)"
        " WHERE locator IS NOT NULL",
        "CREATE INDEX visits_pseudonym ON visits (substr(pseudonym, 13, 10), venue_key)",
    ),
    (),  # version 5 changed PostgreSQL's indexes only
)

#: The pseudonym index's expression (version 4); a query must name it exactly so.
SQLITE_PSEUDONYM_KEY = "substr(pseudonym, 13, 10)"

# -- PostgreSQL ---------------------------------------------------------------------------


def text_key(expression: str) -> str:
    """The 64-bit index key of a text ``expression`` (a column, ``%s``, ``q.venue``): the
    query's side of a comparison with :data:`VENUE_KEY` or :data:`PSEUDONYM_KEY`, so the
    function and its seed are written here only."""
    return f"hashtextextended({expression}, 0)"


#: The expressions PostgreSQL's secondary indexes hold from version 5 on, each a 64-bit hash
#: of the text (``hashtextextended``, the function hash partitioning uses, so stable across
#: versions and machines). A query names the same expression to use the index, and matches
#: the text itself on the row too.
VENUE_KEY = text_key("venue")
PSEUDONYM_KEY = text_key("pseudonym")

_VISITS = (
    "CREATE TABLE visits (venue text NOT NULL, day integer NOT NULL,"
    " visit_id bytea NOT NULL, time_in bigint NOT NULL, time_out bigint,"
    " pseudonym text NOT NULL, locator bytea, channel smallint NOT NULL,"
    " declaration smallint, envelope bytea NOT NULL, receipt_hash bytea,"
    " version smallint NOT NULL, signature bytea NOT NULL,"
    " PRIMARY KEY (visit_id, venue, day)) PARTITION BY LIST (day)"
)
_TRACE_SEEDS = (
    "CREATE TABLE trace_seeds (label bytea NOT NULL, day integer NOT NULL,"
    " envelope_hash bytea NOT NULL, envelope bytea NOT NULL,"
    " PRIMARY KEY (label, day, envelope_hash)) PARTITION BY LIST (day)"
)

#: How each table is placed on a Citus cluster: distributed by a column, or replicated.
CITUS_PLACEMENT: dict[str, str | None] = {
    "registry_meta": None,
    "venues": None,
    "visits": "venue",
    "trace_seeds": "label",
}


def _postgres(citus: bool) -> tuple[Migration, ...]:
    def place(table: str) -> tuple[str, ...]:
        if not citus:
            return ()
        column = CITUS_PLACEMENT[table]
        if column is None:
            return (f"SELECT create_reference_table('{table}')",)
        return (f"SELECT create_distributed_table('{table}', '{column}')",)

    return (
        (
            "CREATE TABLE registry_meta (key text PRIMARY KEY, value bigint NOT NULL)",
            *place("registry_meta"),
            "CREATE TABLE venues (did text PRIMARY KEY, category text NOT NULL,"
            " signing_key bytea NOT NULL, agreement_key bytea NOT NULL,"
            " valid_from bigint NOT NULL, valid_until bigint)",
            *place("venues"),
            _VISITS,
            "CREATE INDEX visits_venue_time ON visits (venue, time_in, time_out)",
            "CREATE INDEX visits_venue_locator ON visits (venue, locator)"
            " WHERE locator IS NOT NULL",
            "CREATE INDEX visits_pseudonym ON visits (pseudonym, venue)",
            *place("visits"),
        ),
        (_TRACE_SEEDS, *place("trace_seeds")),
        (),  # versions 3 and 4 changed SQLite's day files only
        (),
        # Version 5: the secondary indexes hold 8-byte hashes of the venue and pseudonym
        # (VENUE_KEY, PSEUDONYM_KEY) instead of their text, and the time index drops
        # time_out: comparing text made a fifth of a full-size day's ingest CPU (see
        # _postgres.py, "Index keys"). Dropping a parent's index drops its partitions';
        # making one makes theirs.
        (
            "DROP INDEX visits_venue_time",
            "DROP INDEX visits_venue_locator",
            "DROP INDEX visits_pseudonym",
            f"CREATE INDEX visits_venue_time ON visits ({VENUE_KEY}, time_in)",
            f"CREATE INDEX visits_venue_locator ON visits ({VENUE_KEY}, locator)"
            " WHERE locator IS NOT NULL",
            f"CREATE INDEX visits_pseudonym ON visits ({PSEUDONYM_KEY}, {VENUE_KEY})",
        ),
    )


def postgres_migrations() -> tuple[Migration, ...]:
    """The single-node PostgreSQL migrations, version 1 first."""
    return _postgres(citus=False)


def citus_migrations() -> tuple[Migration, ...]:
    """The Citus variant: the same tables, each placed (distributed or replicated) right
    after it is made, before any partition exists."""
    return _postgres(citus=True)


#: The day-partitioned tables, made for each day on first write.
PARTITIONED_TABLES = ("visits", "trace_seeds")


def postgres_partition_ddl(table: str, day: int) -> str:
    """The statement making ``table``'s partition of ``day`` (it inherits every index)."""
    if table not in PARTITIONED_TABLES or type(day) is not int or day < 0:
        raise ValueError("unknown table or bad day")
    return f"CREATE TABLE IF NOT EXISTS {table}_d{day} PARTITION OF {table} FOR VALUES IN ({day})"


# -- Citus rules --------------------------------------------------------------------------

_CREATE = re.compile(r"CREATE TABLE\s+(\w+)\s*\((.*)\)", re.IGNORECASE | re.DOTALL)
_KEY = re.compile(r"(PRIMARY KEY|UNIQUE)\s*\(([^)]*)\)", re.IGNORECASE)
_INLINE_PK = re.compile(r"(\w+)\s+\w+[^,]*\bPRIMARY KEY\b(?!\s*\()", re.IGNORECASE)
_UNIQUE_INDEX = re.compile(r"CREATE UNIQUE INDEX\s+\w+\s+ON\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE)
_DISTRIBUTE = re.compile(r"create_distributed_table\('(\w+)',\s*'(\w+)'\)", re.IGNORECASE)


def check_citus_rules(migrations: Sequence[Migration]) -> None:
    """Check rendered DDL against the rules Citus enforces on distributed tables.

    Every primary key and unique constraint or index of a distributed table includes its
    distribution column; no statement declares a foreign key (Citus refuses them between
    distributed tables, and the schema needs none); every distributed table exists.

    Raises:
        SchemaMismatch: naming the first statement that breaks a rule.
    """
    statements = [s for migration in migrations for s in migration]
    distributed: dict[str, str] = {
        m.group(1): m.group(2) for s in statements for m in _DISTRIBUTE.finditer(s)
    }
    tables: dict[str, list[list[str]]] = {}
    for s in statements:
        if re.search(r"\bREFERENCES\b|\bFOREIGN KEY\b", s, re.IGNORECASE):
            raise SchemaMismatch(f"foreign key in a Citus schema: {s}")
        create = _CREATE.match(s)
        if create:
            name, body = create.groups()
            keys = [[c.strip() for c in m.group(2).split(",")] for m in _KEY.finditer(body)]
            keys += [[m.group(1)] for m in _INLINE_PK.finditer(body)]
            tables[name] = keys
        unique = _UNIQUE_INDEX.match(s)
        if unique:
            tables.setdefault(unique.group(1), []).append(
                [c.strip() for c in unique.group(2).split(",")]
            )
    for table, column in distributed.items():
        if table not in tables:
            raise SchemaMismatch(f"distributed table {table} is never created")
        for key in tables[table]:
            if column not in key:
                raise SchemaMismatch(
                    f"unique key ({', '.join(key)}) of {table} lacks its distribution "
                    f"column {column}"
                )
