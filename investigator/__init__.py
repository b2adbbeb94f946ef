"""The investigators' workflow (DESIGN.md "Investigation"): cases, the case's own visits,
contacts, warrants for exactly those records, unsealing, next hops, the visit graph,
reports, call lists and exposure notices.

Quick start::

    import investigator

    registry = investigator.HttpRegistryClient(url, key=my_key, credential=my_credential)
    record = investigator.CaseRecord(case_id="JJ-2024-017", investigator=my_did,
                                     authority=authority_did, window_start=start,
                                     window_end=end, onset=onset,
                                     trusted_issuers=(issuer_did,))
    case = investigator.Case.create("cases/JJ-2024-017", record, passphrase,
                                    directory=directory_bytes, custodians=pinned_dids,
                                    now=now, who="Kim", registry=registry)
    case.visits_from_disclosure(disclosure_bytes, now=now)   # or lost_phone / interview
    case.find_contacts(1, now=now)
    case.draft_identities(1, now=now)        # custodians: anshim escrow warrant approve
    case.approve("r1-identities", approved_copies, now=now)  # refuses k-1 approvals
    for batch in batches:                    # custodians: anshim escrow share
        case.collect("r1-identities", batch, now=now)
    case.unseal("r1-identities", now=now)    # every core; bad custodians in the case log
    case.next_hop(now=now)                   # the contacts' trace seeds: round 2
    investigator.write_outputs(case, "exports/", now=now)   # graph, report, PNG, calls.csv
    admin = investigator.HttpRegistryClient(url, key=administrator_key)  # notices: the admin's
    investigator.publish_notice(case, venue_did, start, end, risk=2,
                                message={"ko": "…", "en": "…"}, now=now, admin=admin)
    print(investigator.case_status(case).next_step)

The same steps on the command line: ``anshim case open|status|visits|contacts|warrant|
collect|unseal|hop|report|notify``. Errors: :mod:`investigator.errors`. ``import
investigator`` loads no web framework, HTTP client or drawing library; the registry client
imports httpx (the ``server`` extra) when built, the PNG needs the ``report`` extra.
"""

from investigator._calllist import CALL_LIST_COLUMNS, call_list_csv, neutralise
from investigator._case import CASE_PERSON, LOCATOR_BATCH, Case
from investigator._folder import CaseFolder, CaseRecord, LogEntry
from investigator._graph import (
    GraphContact,
    GraphPerson,
    GraphVisit,
    VisitGraph,
    build_graph,
    mask_phone,
)
from investigator._identities import Identity, decode_identity
from investigator._layout import LAYOUTS
from investigator._outputs import (
    correct_notice,
    notice_message,
    notices,
    publish_notice,
    withdraw_notice,
    write_outputs,
)
from investigator._png import report_png
from investigator._records import Record, Stay, VenueInfo, label_of
from investigator._registry import HttpRegistryClient, Notice, NoticePublisher, RegistryClient
from investigator._report import report_html
from investigator._status import CaseStatus, case_status
from investigator._warrants import DEFAULT_VALID_FOR, StageState, stage_state

__all__ = [
    "CALL_LIST_COLUMNS",
    "CASE_PERSON",
    "DEFAULT_VALID_FOR",
    "LAYOUTS",
    "LOCATOR_BATCH",
    "Case",
    "CaseFolder",
    "CaseRecord",
    "CaseStatus",
    "GraphContact",
    "GraphPerson",
    "GraphVisit",
    "HttpRegistryClient",
    "Identity",
    "LogEntry",
    "Notice",
    "NoticePublisher",
    "Record",
    "RegistryClient",
    "StageState",
    "Stay",
    "VenueInfo",
    "VisitGraph",
    "build_graph",
    "call_list_csv",
    "case_status",
    "correct_notice",
    "decode_identity",
    "label_of",
    "mask_phone",
    "neutralise",
    "notice_message",
    "notices",
    "publish_notice",
    "report_html",
    "report_png",
    "stage_state",
    "withdraw_notice",
    "write_outputs",
]
