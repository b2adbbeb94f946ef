"""The verifier's errors: the shared codes of :mod:`protocol.errors` plus the few that
only a venue's state can raise.

Every error the validation core raises is a :class:`~protocol.errors.ProtocolError` with
a stable ``code`` (the kiosk, RFC 9457 problem details and logs show the code). The classes
below are the only additions; everything else is re-used from :mod:`protocol.errors`
so wallets, venues and the registry share one vocabulary.

::

    protocol.errors.ProtocolError
    ├── protocol.errors.ChallengeError
    │   └── protocol.errors.ReplayedChallenge
    │       ├── ReplayedCheckIn           replayedCheckIn   the same signed check-in was
    │       │                                               already admitted (here, or at
    │       │                                               another venue sharing the
    │       │                                               replay store: a relay)
    │       └── ReplayedReading           replayedReading   the device reading already
    │                                                       admitted a visitor
    ├── NoOpenVisit                       noOpenVisit       a check-out with no check-in to
    │                                                       match
    └── protocol.errors.UnknownKey
        └── UnknownDevice                 unknownDevice     a reading from a device the
                                                            venue did not register

The venue service's own errors (:mod:`verifier.service`): requests it refuses before any
protocol message is read, and failures of its outbox and uploader. Problem details carry
the code; none of these messages repeats a phone number, a name or a passcode.

::

    did.errors.AnshimError
    └── VenueServiceError                venueServiceError
        ├── VenueNotHosted               venueNotHosted        no hosted venue by that id
        ├── GatewayRefused               gatewayRefused        a telecom-gateway request
        │   │                                                  that cannot be trusted
        │   ├── BadGatewaySignature      badGatewaySignature   HMAC missing or wrong
        │   ├── StaleGatewayRequest      staleGatewayRequest   timestamp outside the window
        │   └── UnknownVenueNumber       unknownVenueNumber    no hosted venue has that
        │                                                      number
        ├── StaffPasscodeRefused         staffPasscodeRefused  staff passcode missing or
        │                                                      wrong
        ├── CheckInRateLimited           checkInRateLimited    too many requests from one
        │                                                      source
        ├── BodyTooSlow                  bodyTooSlow           a request body not all in
        │                                                      by the deadline (408)
        ├── NoSuchEndpoint               noSuchEndpoint        no endpoint has that path
        │                                                      (404)
        ├── EndpointMethodRefused        endpointMethodRefused the path exists, not with
        │                                                      that method (405)
        ├── OutboxUnavailable            outboxUnavailable     the local store cannot
        │                                                      commit (nothing admitted)
        └── UploadFailed                 uploadFailed          a batch did not reach the
            │                                                  registry (retried later)
            └── BatchUploadRefused       batchUploadRefused    the registry refused the
                                                               batch (kept, retried)
    did.errors.InputError
    └── VenueConfigError (ValueError)    venueConfigError      a bad venue.toml or
                                                               environment setting
"""

from __future__ import annotations

from did.errors import AnshimError, InputError
from protocol.errors import ProtocolError, ReplayedChallenge, UnknownKey

__all__ = [
    "BadGatewaySignature",
    "BatchUploadRefused",
    "BodyTooSlow",
    "CheckInRateLimited",
    "EndpointMethodRefused",
    "GatewayRefused",
    "NoOpenVisit",
    "NoSuchEndpoint",
    "OutboxUnavailable",
    "ReplayedCheckIn",
    "ReplayedReading",
    "StaffPasscodeRefused",
    "StaleGatewayRequest",
    "UnknownDevice",
    "UnknownVenueNumber",
    "UploadFailed",
    "VenueConfigError",
    "VenueNotHosted",
    "VenueServiceError",
]


class ReplayedCheckIn(ReplayedChallenge):
    """The very same signed presentation was already admitted (a copied QR, a replayed
    upload, or a holder-shown code relayed to another venue that shares this replay
    store); it is a kind of replay, so it sits under :class:`ReplayedChallenge`."""

    code = "replayedCheckIn"


class ReplayedReading(ReplayedChallenge):
    """A thermal or mask reading that already admitted a visitor: a reading is used once
    (DESIGN.md "Thermal camera / mask detector")."""

    code = "replayedReading"


class NoOpenVisit(ProtocolError):
    """A check-out whose pseudonym has no open visit at this venue on that day."""

    code = "noOpenVisit"


class UnknownDevice(UnknownKey):
    """A thermal or mask reading signed by a device this venue did not register."""

    code = "unknownDevice"


# -- the venue service (verifier.service) ----------------------------------------------------


class VenueServiceError(AnshimError):
    """Root of the venue service's own refusals and failures (:mod:`verifier.service`)."""

    code = "venueServiceError"


class VenueNotHosted(VenueServiceError):
    """A request names a venue id this service does not host."""

    code = "venueNotHosted"


class GatewayRefused(VenueServiceError):
    """A telecom-gateway webhook request that cannot be trusted (DESIGN.md "Access
    control": HMAC-SHA256 over timestamp and body, stale timestamps refused)."""

    code = "gatewayRefused"


class BadGatewaySignature(GatewayRefused):
    """The gateway's HMAC is missing, malformed or does not match the body."""

    code = "badGatewaySignature"


class StaleGatewayRequest(GatewayRefused):
    """The gateway's signed timestamp is missing or too far from the service's clock."""

    code = "staleGatewayRequest"


class UnknownVenueNumber(GatewayRefused):
    """The SMS or call went to a number no hosted venue registered."""

    code = "unknownVenueNumber"


class StaffPasscodeRefused(VenueServiceError):
    """A staff-only request (assisted entry) without the venue's staff passcode."""

    code = "staffPasscodeRefused"


class CheckInRateLimited(VenueServiceError):
    """One source sent more requests than the service's per-source rate allows."""

    code = "checkInRateLimited"


class BodyTooSlow(VenueServiceError):
    """A request body that did not arrive whole within the service's deadline (a client
    trickling it, or a network too slow to use); it was not read."""

    code = "bodyTooSlow"


class NoSuchEndpoint(VenueServiceError):
    """No endpoint of the venue service has the request's path."""

    code = "noSuchEndpoint"


class EndpointMethodRefused(VenueServiceError):
    """The path is an endpoint's, but not with the request's method."""

    code = "endpointMethodRefused"


class OutboxUnavailable(VenueServiceError):
    """The local outbox could not commit: nothing was admitted and no receipt was sent."""

    code = "outboxUnavailable"


class UploadFailed(VenueServiceError):
    """A batch did not reach the registry (unreachable, timed out, or a server error);
    its records stay in the outbox and are retried with backoff."""

    code = "uploadFailed"


class BatchUploadRefused(UploadFailed):
    """The registry answered that it refuses the batch (a 4xx other than 408 or 429). The
    records are kept, never dropped, and retried at the longest backoff."""

    code = "batchUploadRefused"


class VenueConfigError(InputError):
    """A venue service setting (``venue.toml`` or ``ANSHIM_VENUE_*``) that cannot be used."""

    code = "venueConfigError"
