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
migrations: :mod:`~registry._schema` (with the Citus variant).

The health authority over the store (DESIGN.md "The registry service"), what the HTTP
service in :mod:`registry.service` calls, one library function per request::

    authority = registry.Authority(
        registry.AuthorityConfig(public_url="https://registry.example.kr",
                                 admin_did=admin_did, custodians=dids, threshold=3),
        key=registry_key, ledger=registry.Ledger(state_dir), store=store,
        clock=lambda: int(time.time()))
    venue = authority.approve(authority.register(signed_registration).id)
    receipt = registry.accept_batch(authority, upload_batch_bytes)  # after commit
    receipt.relays                      # holder-shown codes also uploaded elsewhere
    registry.publish_audit_log(authority, audit_log_bytes)   # verified, never rolled back
    registry.prove_record(authority, envelope_id)            # was this record unsealed?
    token, text = registry.Access(authority).authenticate(presentation)
    registry.contacts(authority, token, case_id="JEJU-2024-0042", venue=did,
                      start=t0, end=t1)                     # logged in the query log

    # Served over HTTP: `anshim registry serve --workers 2`, or
    # registry.service.create_app(settings, store=store) for uvicorn.

Errors: :mod:`registry.errors`. The operator's commands: ``anshim registry …``
(:mod:`~registry._cli`). Importing this package loads no database driver, web framework or
HTTP client.
"""

from registry._access import INVESTIGATOR_CREDENTIAL_TYPE, Access
from registry._authority import VENUE_CREDENTIAL_TYPE, Authority, AuthorityConfig
from registry._investigations import (
    check_case_id,
    contacts,
    locators,
    pseudonym_records,
    venue_requests,
    warrant_records,
)
from registry._ledger import Ledger, QueryLogEntry, Relay
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
from registry._posters import Poster, poster_pdf, poster_png, poster_svg
from registry._publication import (
    audit_head,
    audit_log,
    correct_notice,
    epoch_directory,
    notice_feed,
    prove_record,
    publish_audit_log,
    publish_directory,
    publish_notice,
    publish_trust_list,
    trust_list,
    withdraw_notice,
)
from registry._retention import retention_horizon
from registry._schema import (
    SCHEMA_VERSION,
    check_citus_rules,
    citus_migrations,
    postgres_migrations,
)
from registry._status import STATUS_LISTS, StatusLists
from registry._store import (
    MAX_BATCH,
    MAX_QUERY_ITEMS,
    MAX_SEEDS_PER_LABEL,
    MIN_OVERLAP,
    Store,
)
from registry._tokens import AccessToken
from registry._uploads import BatchReceipt, accept_batch, accept_trace_seeds
from registry._vcapi import (
    issue_credential,
    update_status,
    verify_credential_request,
    verify_presentation_request,
)
from registry._venues import (
    REGISTRATION_CONTEXT,
    ROTATION_CONTEXT,
    Registration,
    Rotation,
    VenueRecord,
    signed_bytes,
)

__all__ = [
    "INVESTIGATOR_CREDENTIAL_TYPE",
    "LOCATOR_BATCH",
    "MAX_BATCH",
    "MAX_QUERY_ITEMS",
    "MAX_SEEDS_PER_LABEL",
    "MAX_TRACE_SEED_ENVELOPE",
    "MIN_OVERLAP",
    "REGISTRATION_CONTEXT",
    "ROTATION_CONTEXT",
    "SCHEMA_VERSION",
    "SIGNATURE_SIZE",
    "STATUS_LISTS",
    "VENUE_CREDENTIAL_TYPE",
    "Access",
    "AccessToken",
    "Authority",
    "AuthorityConfig",
    "BatchReceipt",
    "DayStats",
    "Ledger",
    "Match",
    "Poster",
    "PutResult",
    "QueryLogEntry",
    "Registration",
    "Relay",
    "Rotation",
    "StatusLists",
    "Store",
    "StoredVisit",
    "TraceSeed",
    "Venue",
    "VenueRecord",
    "accept_batch",
    "accept_trace_seeds",
    "audit_head",
    "audit_log",
    "check_case_id",
    "check_citus_rules",
    "citus_migrations",
    "contacts",
    "correct_notice",
    "epoch_directory",
    "issue_credential",
    "locators",
    "lost_phone_visits",
    "notice_feed",
    "open_store",
    "poster_pdf",
    "poster_png",
    "poster_svg",
    "postgres_migrations",
    "prove_record",
    "pseudonym_records",
    "publish_audit_log",
    "publish_directory",
    "publish_notice",
    "publish_trust_list",
    "retention_horizon",
    "signed_bytes",
    "trust_list",
    "update_status",
    "venue_locators",
    "venue_requests",
    "verify_credential_request",
    "verify_presentation_request",
    "warrant_records",
    "withdraw_notice",
]
