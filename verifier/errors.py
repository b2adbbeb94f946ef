"""The verifier's errors: the shared codes of :mod:`protocol.errors` plus the few that
only a venue's state can raise.

Every error the validation core raises is a :class:`~protocol.errors.ProtocolError` with
a stable ``code`` (the kiosk, RFC 9457 problem details and logs show the code). The classes
below are the only additions; everything else is re-used from :mod:`protocol.errors`
so wallets, venues and the registry share one vocabulary.

::

    protocol.errors.ProtocolError
    ├── ReplayedChallenge
    │   └── ReplayedCheckIn     replayed_checkin   the same signed check-in was already seen
    ├── NoOpenVisit             no_open_visit      a check-out with no check-in to match
    └── UnknownKey
        └── UnknownDevice       unknown_device     a reading from a device the venue did not
                                                   register
"""

from __future__ import annotations

from protocol.errors import ProtocolError, ReplayedChallenge, UnknownKey

__all__ = ["NoOpenVisit", "ReplayedCheckIn", "UnknownDevice"]


class ReplayedCheckIn(ReplayedChallenge):
    """The very same signed presentation was already accepted (a copied QR or a replayed
    upload); it is a kind of replay, so it sits under :class:`ReplayedChallenge`."""

    code = "replayed_checkin"


class NoOpenVisit(ProtocolError):
    """A check-out whose pseudonym has no open visit at this venue on that day."""

    code = "no_open_visit"


class UnknownDevice(UnknownKey):
    """A thermal or mask reading signed by a device this venue did not register."""

    code = "unknown_device"
