"""The authority's sealed-visit store and the investigators' queries (DESIGN.md "Storage",
"Investigation").

Quick start::

    import registry

    store = registry.open_store("sqlite:///var/lib/anshim/registry", create=True)
    # or registry.open_store("postgresql://anshim@db.example/registry")
    store.put_venues([registry.Venue(venue_did, "restaurant", signing_key_bytes,
                                     agreement_key_bytes, valid_from=issued)])
    record = registry.StoredVisit.verified(signed_sealed_visit, venue_public_key, now=now)
    store.put([record])                         # idempotent by visit id; returns after commit
    for m in store.contacts(venue_did, start, end):   # overlap >= 10 min, margins, dwell
        print(m.record.visit.visit_id.hex(), m.overlap_minutes)
    registry.lost_phone_visits(store, {day: trace_seed})   # the lost-phone path
    store.purge(registry.retention_horizon(now=now))         # drops whole days

Engines: :mod:`~registry._sqlite` (WAL, one file per day) and :mod:`~registry._postgres`
(psycopg 3, partitioned by day), behind the :class:`Store` protocol; their schema and
migrations: :mod:`~registry._schema` (with the Citus variant). Errors:
:mod:`registry.errors`. The operator's commands: ``anshim registry …`` (:mod:`~registry._cli`).
Importing this package loads no database driver, web framework or HTTP client.
"""

from registry._lostphone import LOCATOR_BATCH, lost_phone_visits, venue_locators
from registry._model import (
    MAX_TRACE_SEED_ENVELOPE,
    SIGNATURE_SIZE,
    DayStats,
    Match,
    PutResult,
    StoredVisit,
    TraceSeed,
    Venue,
)
from registry._open import open_store
from registry._retention import retention_horizon
from registry._schema import (
    SCHEMA_VERSION,
    check_citus_rules,
    citus_migrations,
    postgres_migrations,
)
from registry._store import (
    MAX_BATCH,
    MAX_QUERY_ITEMS,
    MAX_SEEDS_PER_LABEL,
    MIN_OVERLAP,
    Store,
)

__all__ = [
    "LOCATOR_BATCH",
    "MAX_BATCH",
    "MAX_QUERY_ITEMS",
    "MAX_SEEDS_PER_LABEL",
    "MAX_TRACE_SEED_ENVELOPE",
    "MIN_OVERLAP",
    "SCHEMA_VERSION",
    "SIGNATURE_SIZE",
    "DayStats",
    "Match",
    "PutResult",
    "Store",
    "StoredVisit",
    "TraceSeed",
    "Venue",
    "check_citus_rules",
    "citus_migrations",
    "lost_phone_visits",
    "open_store",
    "postgres_migrations",
    "retention_horizon",
    "venue_locators",
]
