"""What the kiosk says, in Korean and English, for each outcome code (DESIGN.md "The venue
service": "the result of each check-in in large type in Korean and English").

Entry-policy refusals carry their own ``user_message`` (:mod:`protocol.errors`), shown as it
is; the other codes a visitor can meet at the door are worded here; anything else is the
generic refusal. The kiosk shows the code too, so staff can look it up.
"""

from __future__ import annotations

import inspect

import protocol.errors
import verifier.errors
from protocol.errors import (
    BadEnvelope,
    BadSignature,
    ClockSkew,
    EpochKeyInactive,
    Expired,
    ExpiredChallenge,
    MalformedMessage,
    PresenceRequired,
    ReplayedChallenge,
    StaleReading,
    UnknownChallenge,
    WrongAudience,
)
from verifier.errors import ReplayedCheckIn, UnknownDevice

__all__ = ["ADMITTED", "CHECKED_OUT", "kiosk_message"]

#: The outcome code of an admitted check-in (any channel).
ADMITTED = "admitted"
#: The outcome code of an accepted check-out.
CHECKED_OUT = "checkedOut"

_WORDED: dict[str, str] = {
    ADMITTED: "입장하세요 / Welcome, you are checked in",
    CHECKED_OUT: "안녕히 가세요 / Goodbye, you are checked out",
    ExpiredChallenge.code: (
        "코드가 만료되었습니다. 다시 스캔해 주세요 / Expired code: please scan again"
    ),
    Expired.code: (
        "체크인이 만료되었습니다. 다시 시도해 주세요 / Expired check-in: please try again"
    ),
    ReplayedChallenge.code: (
        "이미 사용된 코드입니다. 새 코드를 스캔해 주세요 / Code already used: scan the new one"
    ),
    ReplayedCheckIn.code: ("이미 기록된 체크인입니다 / This check-in was already recorded"),
    UnknownChallenge.code: "이 입구의 코드가 아닙니다 / Not this entrance's code",
    WrongAudience.code: ("다른 장소의 체크인입니다 / This check-in is for another venue"),
    ClockSkew.code: "휴대폰 시계를 확인해 주세요 / Please check your phone's clock",
    EpochKeyInactive.code: (
        "오늘의 키가 없습니다. 직원에게 문의하세요 / No key for today: please ask staff"
    ),
    BadEnvelope.code: "앱을 업데이트해 주세요 / Please update your app",
    BadSignature.code: ("체크인을 확인할 수 없습니다 / The check-in could not be verified"),
    MalformedMessage.code: "읽을 수 없는 코드입니다 / Unreadable code",
    StaleReading.code: ("체온을 다시 측정해 주세요 / Please measure your temperature again"),
    UnknownDevice.code: "등록되지 않은 측정 장치입니다 / Unregistered measuring device",
}
_REFUSED = "입장할 수 없습니다 / Entry refused"


def _user_messages() -> dict[str, str]:
    found: dict[str, str] = {}
    for module in (protocol.errors, verifier.errors):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            message = getattr(cls, "user_message", None)
            code = vars(cls).get("code")
            if isinstance(message, str) and isinstance(code, str):
                found[code] = message
    return found


_MESSAGES = {**_WORDED, **_user_messages(), PresenceRequired.code: PresenceRequired.user_message}


def kiosk_message(code: str) -> str:
    """The bilingual line the kiosk shows for an outcome ``code``."""
    return _MESSAGES.get(code, _REFUSED)
