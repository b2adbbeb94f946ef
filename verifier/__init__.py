"""The venue's validation core: pure functions over injected state (DESIGN.md "Validation at
the venue"; the venue service, :mod:`verifier.service`, only calls these).

Quick start::

    import verifier
    from escrow import EpochKeyDirectory

    venue = verifier.VenueContext.create(
        "did:web:registry.example:venues:cafe-1", venue_signing_key, category="cafe",
        require_presence=False)                            # True: kiosk answers only
    replay, visits = verifier.MemoryReplayStore(), verifier.VisitBook()  # one per service
    directory = EpochKeyDirectory.from_bytes(published); directory.verify(...)

    kiosk_qr = venue.issue_challenge(now=now)              # rotating code on the kiosk screen
    try:
        admission = verifier.validate_checkin(
            presentation, venue=venue, now=now, replay=replay, epoch_keys=directory,
            reading=thermal_reading_bytes, visits=visits)
    except ProtocolError as refusal:                       # protocol.errors
        show_on_kiosk(refusal.code)                        # stable codes
    else:
        send_to_wallet(admission.receipt)                  # signed VisitReceipt
        upload(venue.sign_record(admission.record))        # SealedVisit, to the registry

    record = verifier.seal_sms_checkin("+821012345678", venue, now=now, epoch_keys=directory)
    diary = verifier.verify_disclosure(data, venues=resolver, audience=authority, now=now)

Modules: errors (:mod:`verifier.errors`, plus the shared :mod:`protocol.errors`); the
replay store is :class:`did.ReplayStore`; the rest is private: ``_validate`` (steps 1-6,
check-outs), ``_challenges`` (kiosk challenges), ``_policy`` (entry policy, device
readings), ``_venue`` (venue context, open visits), ``_dwell`` (default stays),
``_gateway`` (SMS, call, assisted entry), ``_disclosure`` (diary disclosures).
"""

from did import MemoryReplayStore, ReplayStore
from verifier._challenges import FORGET_AFTER, ChallengeBook
from verifier._disclosure import VenueKeys, verify_disclosure
from verifier._dwell import default_dwell, time_out_of
from verifier._gateway import seal_assisted_entry, seal_sms_checkin
from verifier._policy import DEFAULT_THRESHOLD, EntryPolicy, read_device
from verifier._validate import (
    Admission,
    Departure,
    EpochKeys,
    validate_checkin,
    validate_checkout,
)
from verifier._venue import VenueContext, VisitBook

__all__ = [
    "DEFAULT_THRESHOLD",
    "FORGET_AFTER",
    "Admission",
    "ChallengeBook",
    "Departure",
    "EntryPolicy",
    "EpochKeys",
    "MemoryReplayStore",
    "ReplayStore",
    "VenueContext",
    "VenueKeys",
    "VisitBook",
    "default_dwell",
    "read_device",
    "seal_assisted_entry",
    "seal_sms_checkin",
    "time_out_of",
    "validate_checkin",
    "validate_checkout",
    "verify_disclosure",
]
